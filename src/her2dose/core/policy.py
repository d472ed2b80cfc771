"""Institutional policy: range checks, per-request overrides, and what a setting changed.

The settings themselves live in `[policy]` of regimens.toml (model.Policy). A request (a CLI
flag or a batch column of the same name) may override any of them except the ceiling
`rounding_max_pct`, which only the file sets: it bounds every rounding, whoever asks.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from her2dose.errors import InputError
from her2dose.model import Policy, range_problems, records

# Request fields that override the policy setting of the same name.
OVERRIDABLE = (
    "round_to_vial_pct",
    "round_to_vial_exclude",
    "round_increment_mg",
    "weight_change_pct",
    "dose_weight",
)
FROM_FILE = "regimens.toml"
FROM_REQUEST = "request"

_PERCENT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%?\s*$")
_MG = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:mg)?\s*$", re.IGNORECASE)


def parse_percent(text: str, field: str) -> Decimal:
    match = _PERCENT.match(str(text))
    if not match:
        raise InputError(
            field, f"{field} '{text}' is not a percentage; use a number such as 10 or 7.5"
        )
    try:
        return Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
        raise InputError(field, f"{field} '{text}' is not a number") from None


def parse_mg(text: str, field: str) -> Decimal:
    match = _MG.match(str(text))
    if not match:
        raise InputError(field, f"{field} '{text}' is not a number of mg; use e.g. 10 or '10 mg'")
    return Decimal(match.group(1))


def parse_names(text: str) -> tuple[str, ...]:
    """'kadcyla, t-dxd' -> ('kadcyla', 't-dxd'); '' or 'none' -> () (clears the list)."""
    names = tuple(n.strip() for n in str(text).split(",") if n.strip())
    return () if names in ((), ("none",)) else names


def with_overrides(
    policy: Policy, overrides: dict[str, str | None]
) -> tuple[Policy, dict[str, str]]:
    """The policy with a request's overrides applied, and where each setting came from.

    `overrides` maps a setting in OVERRIDABLE to its text as typed, or None for "not given".
    Exclusion names are kept as typed; the caller resolves them to molecules.
    """
    changes: dict[str, Any] = {}  # each value of its setting's type
    origins = dict.fromkeys(OVERRIDABLE, FROM_FILE)
    for name in OVERRIDABLE:
        text = overrides.get(name)
        if text is None:
            continue
        origins[name] = FROM_REQUEST
        if name in ("round_to_vial_pct", "weight_change_pct"):
            changes[name] = parse_percent(text, name)
        elif name == "round_increment_mg":
            changes[name] = parse_mg(text, name)
        elif name == "round_to_vial_exclude":
            changes[name] = parse_names(text)
        else:
            changes[name] = str(text).strip().lower().replace("-", "_")
    updated = records.replace(policy, **changes)
    for setting, message in range_problems(updated):
        if origins.get(setting) == FROM_REQUEST or setting not in origins:
            raise InputError(setting, f"{setting}: {message}")
    return updated, origins


def percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}%"
