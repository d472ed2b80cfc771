"""Rendering: a Plan as a Rich table, a JSON object or a CSV row; atomic file writes.

The only module that turns Quantities into plain numbers. Display precision is fixed and
documented (README, "Output"): mg to 0.1, mL to 0.01, mL/h to 0.1, kg to 0.01, rounded
half-up. Nothing else is rounded anywhere.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from her2dose import units
from her2dose.errors import OutputError

if TYPE_CHECKING:
    from rich.console import Console

    from her2dose.plan import Plan

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


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The documented JSON object for one plan. Keys and their order are stable."""
    per_kg = plan.regimen.basis == "per_kg"
    inf = plan.infusion
    prep = inf.preparation
    lower = plan.next_level
    leftover_mdv = [c for c in plan.vials.counts if c.vial.multiple_dose]
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": plan.molecule.id,
        "drug_name": plan.molecule.name,
        "product": plan.product.id,
        "brand": plan.product.brand,
        "regimen": plan.regimen.id,
        "indication": plan.regimen.indication,
        "schedule": plan.schedule.name,
        "interval_days": int(units.magnitude(plan.schedule.interval, "day")),
        "phase": plan.phase.name,
        "level": plan.level.level if plan.level is not None else None,
        "level_name": plan.level.name if plan.level is not None else None,
        "dose_mg_per_kg": ratio(plan.dose_rate) if per_kg else None,
        "weight_input": plan.request.weight,
        "weight_kg": number(plan.weight, "kg"),
        "dose_mg": number(plan.dose, "mg"),
        "vials": [
            {
                "strength_mg": number(c.vial.strength, "mg"),
                "count": c.count,
                "multiple_dose": c.vial.multiple_dose,
            }
            for c in plan.vials.counts
        ],
        "vial_total_mg": number(plan.vials.total, "mg"),
        "leftover_mg": number(plan.vials.leftover, "mg"),
        "leftover_kept": (
            {
                "in_use_days": int(units.magnitude(leftover_mdv[0].vial.in_use, "day")),
                "storage": leftover_mdv[0].vial.in_use_storage,
            }
            if leftover_mdv
            else None
        ),
        "reconstitution": [
            {
                "strength_mg": number(r.strength, "mg"),
                "vials": r.count,
                "fluid": r.fluid,
                "volume_ml": number(r.volume, "mL"),
            }
            for r in inf.reconstitution
        ],
        "concentration_mg_per_ml": number(inf.concentration, "mg/mL"),
        "drug_volume_ml": number(inf.drug_volume, "mL"),
        "diluent": prep.diluent if prep else None,
        "forbidden_diluents": list(prep.forbidden) if prep else [],
        "bag_volume_ml": number(prep.bag_volume if prep else None, "mL"),
        "total_volume_ml": number(inf.total_volume, "mL"),
        "infusion": inf.which,
        "infusion_minutes": number(inf.minutes, "min"),
        "rate_ml_per_h": number(inf.rate, "mL/h"),
        "filter": prep.filter if prep else None,
        "reminders": [
            {"kind": r.kind, "text": r.text, "source": r.source} for r in plan.reminders
        ],
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
        "next_level": lower.level if lower is not None else None,
        "next_level_mg_per_kg": ratio(lower.dose) if lower is not None and per_kg else None,
        "next_level_dose_mg": (
            number(plan.next_level_dose, "mg") if lower is not None and per_kg else None
        ),
        "next_step": plan.next_step,
        "source": plan.sources[0] if plan.sources else None,
        "sources": list(plan.sources),
        "regimens_file": None,  # filled by the caller, which knows the book
        "regimens_sha256": None,
    }


def plan_record(plan: Plan, book_path: str, sha256: str) -> dict[str, Any]:
    """plan_dict with the regimens file filled in: one `plan --format json` object."""
    data = plan_dict(plan)
    data["regimens_file"] = book_path
    data["regimens_sha256"] = sha256
    return data


def plan_json(plan: Plan, book_path: str, sha256: str) -> str:
    return json.dumps(plan_record(plan, book_path, sha256), ensure_ascii=False, indent=2)


def plan_table(plan: Plan, console: Console, book_path: str, sha256: str) -> None:
    """The worksheet a pharmacist reads: one table, then reminders and sources."""
    from rich.table import Table

    d = plan_dict(plan)
    title = f"{plan.product.brand} ({plan.molecule.name}) — {plan.regimen.indication}"
    table = Table(title=title, show_header=False, title_justify="left", expand=False)
    table.add_column("item", style="bold", no_wrap=True)
    table.add_column("value")

    def row(label: str, value: str) -> None:
        table.add_row(label, value)

    row("Regimen", f"{plan.regimen.id}: {plan.regimen.description}")
    row("Schedule", f"{plan.schedule.name} (every {d['interval_days']} days), phase {plan.phase.name}")
    if plan.level is not None:
        row("Level", f"{plan.level.level} ({plan.level.name})")
    if d["dose_mg_per_kg"] is not None:
        row("Dose per kg", f"{d['dose_mg_per_kg']} mg/kg")
    weight_kg = text_number(d["weight_kg"], "kg")
    given = plan.request.weight.strip()
    row("Weight", weight_kg if given.replace(" ", "") == weight_kg.replace(" ", "") else
        f"{given} = {weight_kg}")
    row("Dose", f"[bold]{text_number(d['dose_mg'], 'mg')}[/bold]")
    row("Vials", vial_text(plan) + f" = {text_number(d['vial_total_mg'], 'mg')}")
    leftover = f"{text_number(d['leftover_mg'], 'mg')}"
    if d["leftover_kept"]:
        kept = d["leftover_kept"]
        leftover += (
            f" (multiple-dose vial: the remainder may be kept {kept['in_use_days']} days, "
            f"{kept['storage']})"
        )
    row("Leftover", leftover)
    for r in d["reconstitution"]:
        if r["volume_ml"] is not None:
            row("Reconstitute",
                f"each {r['strength_mg']} mg vial with {r['volume_ml']} mL {r['fluid']}")
        elif r["fluid"] is None and plan.product.form.startswith("solution"):
            row("Reconstitute", "not needed (solution)")
        else:
            row("Reconstitute", f"{r['strength_mg']} mg vial: volume not encoded, see product label")
    row("Concentration", f"{d['concentration_mg_per_ml']} mg/mL")
    row("Withdraw", f"[bold]{text_number(d['drug_volume_ml'], 'mL')}[/bold]")
    if d["diluent"]:
        row("Diluent", f"{d['diluent']}, {text_number(d['bag_volume_ml'], 'mL')} bag")
    else:
        row("Diluent", "not encoded: check the current prescribing information")
    for bad in d["forbidden_diluents"]:
        row("Do not use", bad)
    row("Total volume", text_number(d["total_volume_ml"], "mL"))
    row("Infusion", f"{d['infusion_minutes']} min ({d['infusion']} infusion)")
    row("Rate", text_number(d["rate_ml_per_h"], "mL/h"))
    row("Filter", d["filter"] or "no in-line filter requirement in the label")
    row("Next reduction", plan.next_step + (
        f" = {text_number(d['next_level_dose_mg'], 'mg')}" if d["next_level_dose_mg"] else ""
    ))
    console.print(table)
    for r in plan.reminders:
        console.print(f"[bold]{r.kind}:[/bold] {r.text} [dim]({r.source})[/dim]", highlight=False)
    for note in plan.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"[dim]Sources: {'; '.join(plan.sources)}[/dim]", highlight=False)
    console.print(f"[dim]Regimens file: {book_path} (sha256 {sha256})[/dim]", highlight=False)


@contextmanager
def atomic_output(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Write to a temporary file beside `path`, renamed into place only on success."""
    import tempfile  # only when writing a file: `plan` does not pay for it

    directory = path.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write '{path}': {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def catalogue_dict(book: Any) -> dict[str, Any]:
    """What the regimens file offers, for `her2dose regimens --format json`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "regimens_file": book.path,
        "regimens_sha256": book.sha256,
        "drugs": [
            {
                "drug": m.id,
                "name": m.name,
                "abbreviation": m.abbreviation,
                "aliases": list(m.aliases),
                "products": [
                    {
                        "product": p.id,
                        "brand": p.brand,
                        "vials": [
                            {
                                "strength_mg": number(v.strength, "mg"),
                                "multiple_dose": v.multiple_dose,
                                "concentration_mg_per_ml": number(v.concentration, "mg/mL"),
                                "source": v.source,
                            }
                            for v in p.vials
                        ],
                        "source": p.source,
                    }
                    for p in book.products_of(m.id)
                ],
                "regimens": [
                    {
                        "regimen": r.id,
                        "indication": r.indication,
                        "indication_aliases": list(r.indication_aliases),
                        "description": r.description,
                        "basis": r.basis,
                        "schedules": [
                            {
                                "schedule": s.name,
                                "interval_days": int(s.interval.m_as("day")),
                                "phases": [
                                    {
                                        "phase": ph.name,
                                        "dose": _dose_value(ph.dose, r.basis),
                                        "dose_unit": "mg/kg" if r.basis == "per_kg" else "mg",
                                        "infusion_first_minutes": number(ph.infusion_first, "min"),
                                        "infusion_subsequent_minutes": number(
                                            ph.infusion_subsequent, "min"
                                        ),
                                        "source": ph.source,
                                    }
                                    for ph in s.phases.values()
                                ],
                            }
                            for s in r.schedules.values()
                        ],
                        "levels": [
                            {"level": lv.level, "name": lv.name,
                             "dose": _dose_value(lv.dose, r.basis), "source": lv.source}
                            for lv in r.levels
                        ],
                        "source": r.source,
                    }
                    for r in book.regimens_of(m.id)
                ],
            }
            for m in book.molecules.values()
        ],
    }


def _dose_value(q: Any, basis: str) -> int | float | None:
    return ratio(q) if basis == "per_kg" else number(q, "mg")


def catalogue_json(book: Any) -> str:
    return json.dumps(catalogue_dict(book), ensure_ascii=False, indent=2)


def catalogue_table(book: Any, console: Console) -> None:
    from rich.table import Table

    table = Table(title=f"Regimens in {book.path}", title_justify="left")
    for column in ("drug", "products (vials)", "indication", "schedule: dose", "levels", "source"):
        table.add_column(column)
    for m in book.molecules.values():
        products = ", ".join(
            f"{p.id} ({'/'.join(str(number(v.strength, 'mg')) for v in p.vials)} mg)"
            for p in book.products_of(m.id)
        )
        for r in book.regimens_of(m.id):
            unit = "mg/kg" if r.basis == "per_kg" else "mg"
            doses = "; ".join(
                f"{s.name}: " + ", ".join(
                    f"{ph.name} {_dose_value(ph.dose, r.basis)} {unit}" for ph in s.phases.values()
                )
                for s in r.schedules.values()
            )
            levels = " > ".join(str(_dose_value(lv.dose, r.basis)) for lv in r.levels) or "—"
            table.add_row(f"{m.id} ({m.abbreviation})", products, r.indication, doses, levels,
                          r.source)
    console.print(table)


# --- issue 6: batch rows as CSV cells ----------------------------------------------------
# A CSV row is plan_record's values in plan_record's key order (README, "her2dose batch").
# Numbers stay numbers; every text cell goes through `neutralise`.

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
_MEMO_LIMIT = 4096  # distinct texts kept: a batch's memory must not grow with its rows


def _remember(memo: dict[Any, str], key: Any, text: str) -> str:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = text
    return text
