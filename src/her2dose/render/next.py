"""`her2dose next`: the next dose after a missed or late one, as JSON or a table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from her2dose.render.evidence import reminder_text, tagged
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
    vial_list,
    vial_text,
)
from her2dose.render.records import PER_PATIENT, joined
from her2dose.render.tables import Sheet, footer, warnings_block


def next_dict(nd: Any) -> dict[str, Any]:
    """The documented JSON object for `her2dose next`. Keys and order are stable: those of
    next_shared_dict, with the per-patient ones filled in by next_patient_dict."""
    return joined(next_shared_dict(nd), next_patient_dict(nd))


def next_shared_dict(nd: Any) -> dict[str, Any]:
    """Every key of an answer's object, in the documented order; those that depend on the
    patient (the dates, the plan's figures, the words) are PER_PATIENT here. The rest
    reads only the drug, regimen, course shape, level and previous dose of the request,
    the status, action and rule of the answer, and the schedule, phase, dose rate, fixed
    dose, product and reminders of the dose given."""
    basis = nd.regimen.basis if nd.regimen is not None else None
    fixed = nd.fixed_dose
    product = nd.product
    if fixed is not None:
        dose_text = fixed.dose
    elif nd.dose_rate is not None:
        dose_text = dose_words(nd.dose_rate, basis)
    else:
        dose_text = None
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": nd.molecule.id,
        "drug_name": nd.molecule.name,
        "product": product.id if product else None,
        "brand": product.brand if product else None,
        "regimen": nd.regimen.id if nd.regimen is not None else None,
        "indication": nd.regimen.indication if nd.regimen is not None else None,
        "schedule": nd.shape.name if nd.shape is not None else None,
        "chemotherapy": nd.shape.chemotherapy if nd.shape is not None else None,
        "start": PER_PATIENT,
        "previous": nd.request.previous,
        "last_dose": PER_PATIENT,
        "on": PER_PATIENT,
        "due_date": PER_PATIENT,
        "due_weekday": PER_PATIENT,
        "days_since_last_dose": PER_PATIENT,
        "days_late": PER_PATIENT,
        "days_until_due": PER_PATIENT,
        "minimum_interval_days": PER_PATIENT,
        "earliest_date": PER_PATIENT,
        "status": nd.status,
        "give_now": nd.gives_dose,
        "action": nd.action,
        "message": PER_PATIENT,
        "dose_schedule": nd.schedule.name if nd.schedule is not None else None,
        "phase": nd.phase.name if nd.phase is not None else (fixed.name if fixed else None),
        "level": nd.level.level if nd.level is not None and nd.gives_dose else None,
        "dose": dose_text,
        "dose_mg_per_kg": ratio(nd.dose_rate)
        if nd.dose_rate is not None and basis == "per_kg"
        else None,
        "weight_input": PER_PATIENT,
        "weight_kg": PER_PATIENT,
        "dose_mg": PER_PATIENT,
        "vials": PER_PATIENT,
        "infusion": PER_PATIENT,
        "infusion_minutes": PER_PATIENT,
        "rate_ml_per_h": PER_PATIENT,
        "route": "subcutaneous" if fixed else ("intravenous" if nd.regimen else None),
        "volume_ml": number(fixed.volume, "mL") if fixed else None,
        "injection_minutes": number(fixed.injection_time, "min") if fixed else None,
        "injection_minutes_range": (
            [number(q, "min") for q in fixed.injection_time_range]
            if fixed and fixed.injection_time_range
            else None
        ),
        "next_due_date": PER_PATIENT,
        "rule": nd.rule_text,
        "rule_source": nd.rule_source,
        "reminders": [
            {"kind": r.kind, "text": r.text, "source": r.source, "evidence": r.evidence}
            for r in nd.reminders
        ],
        "warnings": PER_PATIENT,
        "notes": PER_PATIENT,
        "sources": PER_PATIENT,
        "regimens_file": None,
        "regimens_sha256": None,
    }


def next_patient_dict(nd: Any) -> dict[str, Any]:
    """The PER_PATIENT keys of next_shared_dict, for this answer: next_dates_dict's, then
    next_dose_dict's."""
    record = next_dates_dict(nd)
    record.update(next_dose_dict(nd))
    return record


def next_dates_dict(nd: Any) -> dict[str, Any]:
    """The PER_PATIENT keys that the dates give (the last dose, on, the start): the same for
    every patient of a combination on those dates, whatever the weight."""
    due = nd.due_date.isoformat()
    return {
        "start": nd.start.isoformat() if nd.start else None,
        "last_dose": nd.last_dose.isoformat(),
        "on": nd.on.isoformat(),
        "due_date": due,
        "due_weekday": nd.due_weekday,
        "days_since_last_dose": nd.days_since_last_dose,
        "days_late": nd.days_late,
        "days_until_due": nd.days_until_due,
        "minimum_interval_days": nd.minimum_interval_days,
        "earliest_date": due,
        "message": nd.message,
        "next_due_date": nd.next_due_date.isoformat() if nd.next_due_date else None,
    }


# The other PER_PATIENT keys: the weight, the plan of the dose given, and what the plan
# adds to the warnings, notes and sources. Each is made by itself, so that a caller that
# writes only some of them (a batch's columns) makes only those.
DOSE_KEYS: dict[str, Callable[[Any, Any], Any]] = {
    "weight_input": lambda nd, plan: nd.request.weight,
    "weight_kg": lambda nd, plan: number(plan.weight, "kg") if plan else None,
    "dose_mg": lambda nd, plan: number(plan.dose, "mg") if plan else None,
    "vials": lambda nd, plan: vial_list(plan),
    "infusion": lambda nd, plan: plan.infusion.which if plan else None,
    "infusion_minutes": lambda nd, plan: number(plan.infusion.minutes, "min") if plan else None,
    "rate_ml_per_h": lambda nd, plan: number(plan.infusion.rate, "mL/h") if plan else None,
    "warnings": lambda nd, plan: list(nd.warnings),
    "notes": lambda nd, plan: list(nd.notes),
    "sources": lambda nd, plan: list(nd.sources),
}


# The keys of DOSE_KEYS made from the plan's vials and infusion, or with what they add.
PREPARED_KEYS = ("vials", "infusion", "infusion_minutes", "rate_ml_per_h", "notes", "sources")


def next_dose_dict(nd: Any, keys: Iterable[str] = tuple(DOSE_KEYS)) -> dict[str, Any]:
    """Those of DOSE_KEYS named in `keys` (all by default), for this answer."""
    plan = nd.plan
    return {key: DOSE_KEYS[key](nd, plan) for key in keys}


def next_sheet(nd: Any, book_path: str, sha256: str) -> Sheet:
    from rich.text import Text

    d = next_dict(nd)
    title = drug_title(nd.molecule, nd.product)
    if nd.fixed_dose is not None or nd.regimen is None:
        title = f"{nd.molecule.abbreviation or nd.molecule.name} ({nd.molecule.name})"
    else:
        title += f" for {indication_words(nd.regimen)}, {d['schedule']}"
    out = Sheet()
    out.title(title + f": next dose on {d['on']}")
    status = {
        "not-yet-due": "NOT YET DUE",
        "due": "DUE",
        "late": "LATE",
        "not-encoded": "NOT ENCODED: check the label",
        "course-complete": "COURSE COMPLETE",
    }[nd.status]
    out.row("Answer", Text.assemble((status, "bold"), f": {nd.message}"))
    if nd.gives_dose:
        dose = d["dose"] + (f" ({d['phase']})" if d["phase"] else "")
        if d["level"] is not None:
            dose += f", level {d['level']}"
        given = nd.level if nd.level is not None else nd.phase
        out.row("Give", tagged(dose, given.evidence if given is not None else ""), "bold")
        if nd.plan is not None:
            per = (
                f"for {text_number(d['weight_kg'], 'kg')}"
                if d["dose_mg_per_kg"] is not None
                else "flat dose, whatever the weight"
            )
            out.row("Dose", Text.assemble((text_number(d["dose_mg"], "mg"), "bold"), f" {per}"))
            out.row("Vials", vial_text(nd.plan))
            out.row(
                "Infusion",
                f"{d['infusion_minutes']} min ({d['infusion']} infusion) at "
                f"{text_number(d['rate_ml_per_h'], 'mL/h')}",
            )
        if nd.fixed_dose is not None:
            out.row("Volume", f"{text_number(d['volume_ml'], 'mL')}, ready to use")
            if d["injection_minutes_range"]:
                low, high = d["injection_minutes_range"]
                out.row("Injection", f"subcutaneous, over about {low} to {high} min")
            else:
                out.row("Injection", f"subcutaneous, about {d['injection_minutes']} min")
    out.row("Last dose", f"{d['last_dose']} ({d['days_since_last_dose']} days before {d['on']})")
    out.row(
        "Due date",
        f"{d['due_date']} ({d['due_weekday']}), "
        f"{d['minimum_interval_days']} days after the last dose",
    )
    if nd.status == "not-yet-due":
        out.row(
            "Earliest date",
            f"{d['earliest_date']} (in {d['days_until_due']} days; "
            f"minimum interval {d['minimum_interval_days']} days)",
        )
        out.row("Days late", f"{d['days_late']} (not yet due)")
    else:
        out.row("Days late", f"{d['days_late']} (days until due: {d['days_until_due']})")
    if nd.gives_dose:
        out.row("Next due", d["next_due_date"] or "none: the course ends")
    if d["rule"] and nd.status != "not-encoded":  # a not-encoded answer is the rule itself
        out.row("Label rule", tagged(d["rule"], nd.rule.evidence if nd.rule else ""))
    warnings_block(out, nd.warnings)
    out.gap()
    for r in nd.reminders:
        out.line((f"{r.kind}: ", "bold"), reminder_text(r.text, r.evidence))
    for note in nd.notes:
        out.line(f"note: {note}")
    footer(out, nd.sources, book_path, sha256)
    return out


next_json = json_of(next_dict)
next_table = table_of(next_sheet)
