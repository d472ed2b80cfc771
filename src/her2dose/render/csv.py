"""Batch rows as CSV cells: numbers stay numbers, every text cell is neutralised."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from her2dose.render.numbers import MEMO_LIMIT, text_number

if TYPE_CHECKING:
    pass

LIST_SEPARATOR = " | "


# OWASP CSV injection: a cell starting with one of these may be run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """Prefix a quote to text a spreadsheet could run as a formula (OWASP CSV injection).

    Text that is just a number ('-1', '+72') is left alone: a spreadsheet reads it as the
    number, never as a formula."""
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _vials_text(vials: list[dict[str, Any]]) -> str:
    return " + ".join(f"{v['count']}x{text_number(v['strength_mg'])}mg" for v in vials)


def _reconstitution_text(items: list[dict[str, Any]]) -> str:
    parts = []
    for r in items:
        vials = f"{r['vials']}x{text_number(r['strength_mg'])}mg"
        if r["volume_ml"] is not None:
            parts.append(f"{vials}: each with {text_number(r['volume_ml'])} mL {r['fluid']}")
        elif r["fluid"] is not None:
            parts.append(f"{vials}: {r['fluid']}, volume not encoded, see product label")
        else:
            parts.append(f"{vials}: no reconstitution encoded")
    return LIST_SEPARATOR.join(parts)


def _reminders_text(items: list[dict[str, Any]]) -> str:
    return LIST_SEPARATOR.join(f"{r['kind']}: {r['text']} ({r['source']})" for r in items)


def _kept_text(kept: dict[str, Any]) -> str:
    return f"{kept['in_use_days']} days, {kept['storage']}"


# Keys whose JSON value is a list or object with a text form of its own; any other list of
# text is joined with LIST_SEPARATOR, any other structure written as compact JSON.
CSV_TEXT = {
    "vials": _vials_text,
    "reconstitution": _reconstitution_text,
    "reminders": _reminders_text,
    "leftover_kept": _kept_text,
}


def csv_cell(key: str, value: Any) -> str | int | float:
    """One plan_record value as a CSV cell."""
    kind = type(value)
    if kind is str:
        # The same few texts recur on every row of a batch: neutralised once each.
        try:
            return _NEUTRALISED[value]
        except KeyError:
            return _remember(_NEUTRALISED, value, neutralise(value))
    if kind is int or kind is float:
        return value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is list and all(type(item) is str for item in value):
        key_text = tuple(value)
        try:
            return _JOINED[key_text]
        except KeyError:
            return _remember(_JOINED, key_text, neutralise(LIST_SEPARATOR.join(value)))
    to_text = CSV_TEXT.get(key)
    if to_text is not None:
        return neutralise(to_text(value))
    if isinstance(value, (int, float)):
        return value
    return neutralise(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def csv_cells(record: dict[str, Any]) -> list[str | int | float]:
    """A plan_record as CSV cells, in its key order."""
    return [csv_cell(key, value) for key, value in record.items()]


_NEUTRALISED: dict[str, str] = {}


_JOINED: dict[tuple[str, ...], str] = {}


def _remember(memo: dict[Any, str], key: Any, text: str) -> str:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = text
    return text
