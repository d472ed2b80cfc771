"""Display precision: Quantities as plain, rounded JSON numbers, and their text forms."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from her2dose import units

if TYPE_CHECKING:
    from collections.abc import Callable

    from her2dose.model.plan import Plan

MEMO_LIMIT = 4096  # distinct texts kept: a batch's memory must not grow with its rows

SCHEMA_VERSION = 1


# unit -> decimal places shown
PLACES = {"mg": 1, "mL": 2, "mL/h": 1, "kg": 2, "min": 0, "mg/mL": 2}


def number(q: Any, unit: str, places: int | None = None) -> int | float | None:
    """A Quantity in `unit`, rounded half-up for display, as a JSON-ready number."""
    if q is None:
        return None
    value = units.magnitude(q, unit)
    return plain(value, PLACES[unit] if places is None else places)


def plain(value: Decimal, places: int) -> int | float:
    rounded = value.quantize(_STEPS.get(places) or Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


_STEPS = {places: Decimal(1).scaleb(-places) for places in range(7)}  # made once, not per cell


def ratio(q: Any) -> int | float | None:
    """A dose per kg (or other exact label figure) as written: 5.4, 15, 3.0 -> 3."""
    if q is None:
        return None
    value = units.magnitude(q, "mg/kg").normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def text_number(value: int | float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:g} {unit}".strip() if isinstance(value, int) else f"{value} {unit}".strip()


def vial_text(plan: Plan) -> str:
    """'4x100mg' style, largest first (used in CSV and tables)."""
    return " + ".join(
        f"{c.count}x{text_number(number(c.vial.strength, 'mg'))}mg" for c in plan.vials.counts
    )


def iso_minutes(value: Any) -> str | None:
    """ISO 8601 to the minute, with the UTC offset: 2026-03-29T11:00+01:00."""
    return value.isoformat(timespec="minutes") if value is not None else None


def pct(value: Decimal) -> int | float:
    return plain(value, 2)


def exact(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def traced_json(data: dict[str, Any], book_path: str, sha256: str) -> str:
    """A command's JSON object with the regimens file and its SHA-256 that produced it."""
    data["regimens_file"] = book_path
    data["regimens_sha256"] = sha256
    return json.dumps(data, ensure_ascii=False, indent=2)


def clock(iso: str | None) -> str:
    """'2026-03-29T11:00+01:00' -> '2026-03-29 11:00 (UTC+01:00)' for the worksheet."""
    if iso is None:
        return "—"
    day, rest = iso.split("T")
    return f"{day} {rest[:5]} (UTC{rest[5:] or '+00:00'})"


def signed_unit(value: int | float, unit: str) -> str:
    return f"{'+' if value > 0 else ''}{text_number(value, unit)}".replace(" %", "%")


def dose_value(q: Any, basis: str) -> int | float | None:
    return ratio(q) if basis == "per_kg" else number(q, "mg")


def dose_words(rate: Any, basis: str) -> str:
    """'6 mg/kg' or '840 mg' as the label writes it."""
    unit = "mg/kg" if basis == "per_kg" else "mg"
    return f"{text_number(dose_value(rate, basis))} {unit}"


def vial_list(plan: Any) -> list[dict[str, Any]] | None:
    if plan is None:
        return None
    return [
        {
            "strength_mg": number(c.vial.strength, "mg"),
            "count": c.count,
            "multiple_dose": c.vial.multiple_dose,
        }
        for c in plan.vials.counts
    ]


def drug_title(molecule: Any, product: Any) -> str:
    if product is not None:
        return f"{product.brand} ({molecule.name})"
    return molecule.name


def percent(value: Decimal | None) -> int | float | None:
    """A percent difference for display: one decimal place, half-up."""
    return None if value is None else plain(value, 1)


def signed(value: int | float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else ""
    return f"{sign}{value:g}{unit}" if isinstance(value, int) else f"{sign}{value}{unit}"


def indication_words(regimen: Any) -> str:
    """A regimen's indication as a reader says it ('metastatic-breast' -> 'metastatic
    breast'); what to type for --indication stays in `her2dose regimens`."""
    return regimen.indication.replace("-", " ")


def trailer(result: Any, *, sources: bool = True) -> dict[str, Any]:
    """The keys every command's JSON object ends with, in this order: its warnings and
    notes (and sources), then the regimens file and its SHA-256 (filled by traced_json)."""
    return {
        "warnings": list(result.warnings),
        "notes": list(result.notes),
        **({"sources": list(result.sources)} if sources else {}),
        "regimens_file": None,
        "regimens_sha256": None,
    }


def json_of(to_dict: Callable[[Any], dict[str, Any]]) -> Callable[[Any, str, str], str]:
    """A command's `--format json` writer from its record function."""

    def to_json(result: Any, book_path: str, sha256: str) -> str:
        return traced_json(to_dict(result), book_path, sha256)

    return to_json


def table_of(to_sheet: Callable[[Any, str, str], Any]) -> Callable[[Any, Any, str, str], None]:
    """A command's table writer (to a Rich console) from its sheet function."""

    def to_table(result: Any, console: Any, book_path: str, sha256: str) -> None:
        to_sheet(result, book_path, sha256).print(console)

    return to_table
