"""Dates typed by a user (`schedule --start`, `next --last-dose`, `plan --weight-date`).

Pure: the caller supplies today (the CLI reads the clock)."""

from __future__ import annotations

import re
from datetime import date

from her2dose.errors import InputError

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str, field: str) -> date:
    """'2026-01-05' -> date; anything else is an InputError naming the option."""
    raw = str(text).strip()
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(
            field,
            f"--{field} '{text}' is not a date; use ISO 8601 YYYY-MM-DD, for example 2026-01-05",
        ) from None


def past_date(text: str, field: str, today: date, instead: str) -> date:
    """A day that has happened (today or before); a later one is refused with `instead`,
    what to give."""
    day = parse_date(text, field)
    if day > today:
        raise InputError(
            field,
            f"--{field} {day.isoformat()} is in the future (today is {today.isoformat()}); "
            f"{instead}",
        )
    return day
