"""`her2dose schedule`: the dates of a course, as JSON or a table."""

from __future__ import annotations

from typing import Any

from her2dose.model import weakest
from her2dose.render.evidence import grouped, tagged
from her2dose.render.numbers import (
    SCHEMA_VERSION,
    dose_words,
    drug_title,
    indication_words,
    json_of,
    number,
    ratio,
    table_of,
    text_number,
    trailer,
    vial_list,
    vial_text,
)
from her2dose.render.tables import Sheet, footer, warnings_block


def schedule_dict(cs: Any) -> dict[str, Any]:
    """The documented JSON object for `her2dose schedule`. Keys and order are stable."""
    basis = cs.regimen.basis
    course = cs.course
    duration_days = int(course.duration.m_as("day")) if course and course.duration else None
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": cs.molecule.id,
        "drug_name": cs.molecule.name,
        "product": cs.product.id if cs.product else None,
        "brand": cs.product.brand if cs.product else None,
        "regimen": cs.regimen.id,
        "indication": cs.regimen.indication,
        "schedule": cs.shape.name,
        "chemotherapy": cs.shape.chemotherapy,
        "start": cs.start.isoformat(),
        "level": cs.level.level if cs.level is not None else None,
        "cycle_levels": cs.cycle_levels,
        "first_cycle": cs.first_cycle,
        "course": (
            {
                "cycles": course.cycles,
                "weeks": duration_days // 7 if duration_days is not None else None,
                "until": course.until,
                "limit": course.limit,
                "source": course.source,
                "evidence": course.evidence,
            }
            if course is not None
            else None
        ),
        "requested_cycles": cs.request.cycles,
        "requested_weeks": cs.request.weeks,
        "weight_input": cs.request.weight,
        "weight_kg": number(cs.weight, "kg"),
        "doses": [
            {
                "number": d.number,
                "date": d.date.isoformat(),
                "weekday": d.weekday,
                "week": d.week,
                "day": d.day,
                "schedule": d.schedule.name,
                "interval_days": int(d.schedule.interval.m_as("day")),
                "phase": d.phase.name,
                "level": d.level.level if d.level is not None else None,
                "dose": dose_words(d.dose_rate, basis),
                "dose_mg_per_kg": ratio(d.dose_rate) if basis == "per_kg" else None,
                "dose_mg": number(d.plan.dose, "mg") if d.plan else None,
                "vials": vial_list(d.plan),
                "infusion": d.infusion,
                "infusion_minutes": number(d.plan.infusion.minutes, "min") if d.plan else None,
            }
            for d in cs.doses
        ],
        "end": cs.end,
        **trailer(cs),
    }


def schedule_sheet(cs: Any, book_path: str, sha256: str) -> Sheet:
    d = schedule_dict(cs)
    shape = cs.shape.name + (f" with {cs.shape.chemotherapy}" if cs.shape.chemotherapy else "")
    out = Sheet()
    out.title(
        f"{drug_title(cs.molecule, cs.product)} for {indication_words(cs.regimen)}, {shape}, "
        f"from {d['start']}"
    )
    if cs.weight is not None:
        out.row("Weight", text_number(d["weight_kg"], "kg"))
    out.row(
        "Doses",
        f"{len(d['doses'])}, {d['doses'][0]['date']} to {d['doses'][-1]['date']}"
        if d["doses"]
        else "none",
    )
    if cs.course is None and cs.regimen.id in cs.end:
        # the JSON's sentence names the regimen by its id; a reader knows it by its name
        out.row(
            "Course",
            "length not encoded: check the current prescribing information; this list shows "
            f"{len(d['doses'])} doses.",
        )
    else:
        out.row("Course", tagged(cs.end, cs.course.evidence) if cs.course else cs.end)
    warnings_block(out, cs.warnings)
    out.gap()
    columns = ["#", "date", "weekday", "week", "day", "schedule", "phase", "label dose"]
    if cs.cycle_levels is not None:
        columns.insert(7, "level")
    if cs.weight is not None:
        columns += ["dose", "vials", "minutes"]
    rows = []
    for dose, row in zip(cs.doses, d["doses"], strict=True):
        cells = [
            str(row["number"]),
            row["date"],
            row["weekday"],
            str(row["week"]),
            str(row["day"]),
            f"{row['schedule']} (every {row['interval_days']} days)",
            row["phase"],
            *([str(row["level"])] if cs.cycle_levels is not None else []),
            row["dose"],
        ]
        if cs.weight is not None:
            cells += [
                text_number(row["dose_mg"], "mg"),
                vial_text(dose.plan),
                f"{row['infusion_minutes']}" + (" (first)" if row["infusion"] == "first" else ""),
            ]
        rows.append(cells)
    mg_column = columns.index("dose") if "dose" in columns else len(columns)
    out.grid(columns, rows, right=(0, 3, 4, mg_column), keys=2)
    for line in grouped([_dose_evidence(dose) for dose in cs.doses]):
        out.line(("evidence: ", "bold"), line)
    out.gap()
    for note in cs.notes:
        out.line(f"note: {note}")
    footer(out, cs.sources, book_path, sha256)
    return out


def _dose_evidence(dose: Any) -> tuple[str, str]:
    """What a dose row rests on, named as the table names it: its level or its phase."""
    if dose.level is not None:
        return f"level {dose.level.level}", weakest(dose.level.evidence, dose.schedule.evidence)
    return f"{dose.phase.name} dose", weakest(dose.phase.evidence, dose.schedule.evidence)


schedule_json = json_of(schedule_dict)
schedule_table = table_of(schedule_sheet)
