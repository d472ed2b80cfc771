"""`her2dose levels`: the dose levels of a regimen, as JSON or a table."""

from __future__ import annotations

from typing import Any

from her2dose.render.evidence import grouped, reminder_text, tagged
from her2dose.render.numbers import (
    SCHEMA_VERSION,
    dose_value,
    indication_words,
    json_of,
    number,
    ratio,
    table_of,
    text_number,
    trailer,
    vial_text,
)
from her2dose.render.records import plan_dict
from her2dose.render.tables import Sheet, footer, warnings_block


def levels_dict(table: Any) -> dict[str, Any]:
    """The documented JSON object for `her2dose levels`. Keys and their order are stable."""
    per_kg = table.regimen.basis == "per_kg"
    rows = []
    for row in table.rows:
        planned = plan_dict(row.plan) if row.plan is not None else None
        rows.append(
            {
                "level": row.level.level if row.level is not None else None,
                "name": row.level.name if row.level is not None else f"{row.phase.name} dose",
                "schedule": row.schedule.name,
                "phase": row.phase.name,
                "dose_mg_per_kg": ratio(row.dose_rate) if per_kg else None,
                "dose_mg": planned["dose_mg"]
                if planned
                else (None if per_kg else number(row.dose_rate, "mg")),
                "vials": planned["vials"] if planned else None,
                "vial_total_mg": planned["vial_total_mg"] if planned else None,
                "leftover_mg": planned["leftover_mg"] if planned else None,
                "drug_volume_ml": planned["drug_volume_ml"] if planned else None,
                "total_volume_ml": planned["total_volume_ml"] if planned else None,
                "source": row.source,
            }
        )
    further = table.further_reduction
    no_re = table.no_re_escalation
    max_dose = table.max_dose
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": table.molecule.id,
        "drug_name": table.molecule.name,
        "product": table.product.id if table.product is not None else None,
        "brand": table.product.brand if table.product is not None else None,
        "regimen": table.regimen.id,
        "indication": table.regimen.indication,
        "basis": table.regimen.basis,
        "weight_input": table.request.weight,
        "weight_kg": number(table.weight, "kg"),
        "levels": rows,
        "further_reduction": further.text if further is not None else None,
        "further_reduction_source": further.source if further is not None else None,
        "no_reductions": table.no_reductions,
        "no_re_escalation": {"text": no_re.text, "source": no_re.source} if no_re else None,
        "max_dose_mg_per_kg": ratio(max_dose.dose) if max_dose is not None and per_kg else None,
        "max_dose_source": max_dose.source if max_dose is not None else None,
        **trailer(table, sources=False),
    }


def levels_sheet(table: Any, book_path: str, sha256: str) -> Sheet:
    d = levels_dict(table)
    weighed = table.weight is not None
    out = Sheet()
    title = f"{table.molecule.name} for {indication_words(table.regimen)}: dose levels"
    if weighed:
        title += f" at {text_number(d['weight_kg'], 'kg')}"
        if table.product is not None:
            title += f" ({table.product.brand} vials)"
    out.title(title)
    unit = "mg/kg" if table.regimen.basis == "per_kg" else "mg"
    columns = ["level", "name", unit, *(("dose", "vials", "withdraw", "total") if weighed else ())]
    rows = []
    for row, r in zip(table.rows, d["levels"], strict=True):
        label = str(r["level"]) if r["level"] is not None else "—"
        name = r["name"] if r["level"] is not None else f"{r['name']} ({r['schedule']})"
        cells = [label, name, text_number(dose_value(row.dose_rate, table.regimen.basis))]
        if weighed:
            cells += [
                text_number(r["dose_mg"], "mg"),
                vial_text(row.plan)
                + f" = {text_number(r['vial_total_mg'], 'mg')}"
                + f" ({text_number(r['leftover_mg'], 'mg')} left)",
                text_number(r["drug_volume_ml"], "mL"),
                text_number(r["total_volume_ml"], "mL"),
            ]
        rows.append(cells)
    out.grid(columns, rows, right=(0, 2, 3, 5, 6), keys=2, wrap=(1, 4))
    for line in grouped([(_row_name(row), _row_level(row)) for row in table.rows]):
        out.line(("evidence: ", "bold"), line)
    further = table.further_reduction
    if d["further_reduction"]:
        out.line(
            ("further reduction required: ", "bold"),
            tagged(d["further_reduction"], further.evidence),
        )
    if d["no_reductions"]:
        out.line((d["no_reductions"], "bold"))
    warnings_block(out, table.warnings)
    out.gap()
    if d["no_re_escalation"]:
        rule = d["no_re_escalation"]
        out.line(
            ("no re-escalation: ", "bold"),
            reminder_text(rule["text"], table.no_re_escalation.evidence),
        )
    if d["max_dose_mg_per_kg"] is not None:
        out.line(tagged(f"maximum: {d['max_dose_mg_per_kg']} mg/kg", table.max_dose.evidence))
    for note in table.notes:
        out.line(f"note: {note}")
    sources = (
        table.regimen.source,
        *(r["source"] for r in d["levels"]),
        d["further_reduction_source"],
        d["no_re_escalation"]["source"] if d["no_re_escalation"] else None,
        d["max_dose_source"],
    )
    footer(out, sources, book_path, sha256)
    return out


def _row_name(row: Any) -> str:
    if row.level is not None:
        return f"level {row.level.level}"
    return f"{row.phase.name} dose ({row.schedule.name})"


def _row_level(row: Any) -> str:
    return row.level.evidence if row.level is not None else row.phase.evidence


levels_json = json_of(levels_dict)
levels_table = table_of(levels_sheet)
