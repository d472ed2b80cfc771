"""`her2dose plan` as a table: the answer block first, then warnings, then the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from her2dose.model import weakest
from her2dose.render.evidence import reminder_text, tagged, words
from her2dose.render.numbers import clock, indication_words, signed_unit, text_number, vial_text
from her2dose.render.records import plan_dict
from her2dose.render.tables import Sheet, grouped_sources, is_severe, sources_text

if TYPE_CHECKING:
    from rich.console import Console

    from her2dose.model.plan import Plan


def plan_table(
    plan: Plan, console: Console, book_path: str, sha256: str, *, details: bool = False
) -> None:
    """The worksheet a pharmacist reads, the answer first: about 15 lines from drug to
    filter, then any warning, the do-not lines, use-by times, reminders and one short
    sources line. `details` adds everything else the plan holds (regimen description,
    concentration, next reduction, policy, every source in full).

    Every text from the regimens file or the command line goes out as rich.text.Text, never
    as Rich markup: a '[...]' in a label sentence or a path must print as written.
    """
    plan_sheet(plan, book_path, sha256, details=details).print(console)


def plan_sheet(plan: Plan, book_path: str, sha256: str, *, details: bool = False) -> Sheet:
    d = plan_dict(plan)
    prep_known = plan.infusion.preparation is not None
    out = Sheet()
    row = out.row
    out.title(f"{plan.product.brand} ({plan.molecule.name}) for {indication_words(plan.regimen)}")
    regimen = f"every {d['interval_days']} days ({plan.schedule.name})"
    if len(plan.schedule.phases) > 1:
        regimen += f", {plan.phase.name} dose"
    if plan.level is not None:
        regimen += f", level {plan.level.level} ({plan.level.name})"
    row("Regimen", regimen)
    if details:
        row("Indication", plan.regimen.description)
    row("Weight used", _weight_text(plan, d))
    if d["weight_change"] is not None:
        row("Weight change", _weight_change_text(d["weight_change"]))
    dose = text_number(d["dose_mg"], "mg")
    if d["dose_mg_per_kg"] is not None and d["rounding"] is None:
        dose += f" ({d['dose_mg_per_kg']} mg/kg x {text_number(d['weight_kg'], 'kg')})"
    elif d["dose_mg_per_kg"] is not None:
        dose += f" ({d['dose_mg_per_kg']} mg/kg, rounded)"
    else:
        dose += " (flat dose)"
    dose_level = plan.level.evidence if plan.level is not None else plan.phase.evidence
    row("Dose", tagged(dose, dose_level, plan.regimen.evidence), "bold")
    if d["rounding"] is not None:
        row("Rounding", _rounding_text(d["rounding"]))
    if d["open_vial"] is not None:
        row("Opened vial", _open_vial_text(d["open_vial"]))
    if plan.vials.counts:
        vials = vial_text(plan) + f" = {text_number(d['vial_total_mg'], 'mg')}"
        vials += f" ({text_number(d['leftover_mg'], 'mg')} left over)"
    else:
        vials = "no new vial: the whole dose comes from the opened vial"
    vial_levels = [c.vial.evidence for c in plan.vials.counts]
    # strengths and counts are packaging: the product's listing, not the vial's preparation
    row("Vials", tagged(vials, plan.product.evidence))
    if details and d["leftover_kept"]:
        kept = d["leftover_kept"]
        row(
            "Leftover",
            f"multiple-dose vial: the remainder may be kept {kept['in_use_days']} days, "
            f"{kept['storage']}",
        )
    elif any(c.vial.multiple_dose for c in plan.vials.counts) and d["leftover_mg"]:
        row(
            "Leftover",
            "multiple-dose vial: how long the remainder may be kept is not encoded; check the "
            "current prescribing information, section 2",
        )
    missing = (
        f"not encoded: check the current prescribing information of {plan.product.brand}, section 2"
    )
    known = d["concentration_mg_per_ml"] is not None
    concentration = f"{d['concentration_mg_per_ml']} mg/mL" if known else "concentration " + missing
    for r in d["reconstitution"]:
        if r["volume_ml"] is not None:
            row(
                "Reconstitute",
                tagged(
                    f"{r['strength_mg']} mg vial: {r['volume_ml']} mL {r['fluid']}",
                    *vial_levels,
                ),
            )
        elif r["fluid"] is None and plan.product.form.startswith("solution"):
            row("Reconstitute", f"not needed (solution, {concentration})")
        else:
            row(
                "Reconstitute", f"{r['strength_mg']} mg vial: volume not encoded, see product label"
            )
    row(
        "Withdraw",
        text_number(d["drug_volume_ml"], "mL") + f" ({concentration})" if known else missing,
        "bold",
    )
    prep = plan.infusion.preparation
    if d["diluent"]:
        bag = f"{d['diluent']}, {text_number(d['bag_volume_ml'], 'mL')} bag"
        levels = (prep.evidence_of("diluent"), prep.evidence_of("bag_volume")) if prep else ()
        row("Diluent", tagged(bag, *levels))
    else:
        row("Diluent", "not encoded: check the current prescribing information")
    row("Total volume", text_number(d["total_volume_ml"], "mL") if known else missing)
    rate = text_number(d["rate_ml_per_h"], "mL/h") if known else "a rate " + missing
    which = f"{d['infusion']} infusion"
    if plan.request.infusion is None and not details:
        which += "; later: --infusion subsequent"
    row("Infusion", f"{d['infusion_minutes']} min at {rate} ({which})", "bold")
    # no encoded preparation means the filter is unknown, not that none is required
    row(
        "Filter",
        (tagged(d["filter"], prep.evidence_of("filter")) if d["filter"] and prep else d["filter"])
        or (
            "no in-line filter requirement in the label"
            if prep_known
            else "not encoded: check the current prescribing information"
        ),
    )
    if details:
        row(
            "Next reduction",
            plan.next_step
            + (
                f" = {text_number(d['next_level_dose_mg'], 'mg')}"
                if d["next_level_dose_mg"]
                else ""
            ),
        )
    for e in d["policy"]:
        row("Policy", f"{e['setting']} = {e['value']} ({e['origin']}): {e['effect']}")
    out.gap()
    for warning in plan.warnings:
        out.warning(warning, severe=is_severe(warning))
    for bad in d["forbidden_diluents"]:
        out.line(
            ("Do not use ", "bold"), tagged(bad, prep.evidence_of("forbidden") if prep else "")
        )
    for r in plan.reminders:
        if r.kind == "do not substitute":
            out.line(reminder_text(r.text, r.evidence), *_source(r.source, details))
    out.gap()
    row(
        "Prepared at",
        clock(d["prepared_at"])
        + ("" if d["prepared_at_given"] else " (now: no --prepared-at given)"),
    )
    # one line per use-by time, the label said once
    use_by = [_use_by_text(u, details, d["prepared_at"]) for u in d["use_by"]]
    levels = {u.evidence for u in plan.use_by}
    if len(levels) == 1 and not details:
        # one evidence for every time: said once, on a line of its own, not after each time
        said = words(*levels)
        use_by = ([f"(all: {said})"] if said else []) + use_by
    else:
        use_by = [tagged(t, u.evidence) for t, u in zip(use_by, plan.use_by, strict=True)]
    if d["use_by_not_encoded"]:
        use_by.append(f"not encoded: {d['use_by_not_encoded']}")
    for i, text in enumerate(use_by):
        row("" if i else "Use by", text)
    for k in d["remainders"]:
        row("Remainder kept", _remainder_text(k))
    if details:
        out.gap()
    for r in plan.reminders:
        if r.kind != "do not substitute":
            out.line(
                (f"{r.kind}: ", "bold"),
                reminder_text(r.text, r.evidence),
                *_source(r.source, details),
            )
    for note in plan.notes:
        if details or not _said_in_a_row(note):
            out.line(f"note: {note}")
    sources = sources_text(plan.sources, True) if details else grouped_sources(_sourced(plan))
    out.line(("Sources: " + sources, "dim"))
    out.line((f"Regimens file: {book_path} (sha256 {sha256})", "dim"))
    return out


def _said_in_a_row(note: str) -> bool:
    # the Infusion row names --infusion subsequent; the Prepared at row says "now"
    return note.startswith(("infusion time is for a first infusion", "prepared_at not given"))


def _sourced(plan: Plan) -> list[tuple[str, str]]:
    """Each of the plan's sources with the evidence level of the record that cites it."""
    records = [
        plan.regimen,
        plan.schedule,
        plan.phase,
        plan.level,
        plan.product,
        plan.infusion.preparation,
        plan.regimen.max_dose,
        *(c.vial for c in plan.vials.counts),
        *(k.vial for k in plan.remainders),
        *plan.use_by,
    ]
    levels: dict[str, list[str]] = {}
    for record in records:
        if record is not None and getattr(record, "source", None):
            levels.setdefault(record.source, []).append(getattr(record, "evidence", ""))
    return [(s, weakest(*levels.get(s, ()))) for s in plan.sources]


def _source(source: str, details: bool) -> tuple[tuple[str, str], ...]:
    return ((f" ({source})", "dim"),) if details else ()


def _weight_text(plan: Plan, d: dict[str, Any]) -> str:
    weight_kg = text_number(d["weight_kg"], "kg")
    given = plan.request.weight.strip()
    if given.replace(" ", "") == weight_kg.replace(" ", ""):
        return weight_kg
    return f"{weight_kg} (typed '{given}')"


def _rounding_text(r: dict[str, Any]) -> str:
    how = (
        f"vial rounding within {r['threshold_pct']}%"
        if r["method"] == "vial"
        else f"to the nearest {text_number(r['increment_mg'], 'mg')}"
    )
    return (
        f"{how}: ordered {text_number(r['ordered_dose_mg'], 'mg')} -> "
        f"{text_number(r['final_dose_mg'], 'mg')} ({signed_unit(r['difference_mg'], 'mg')}, "
        f"{signed_unit(r['difference_pct'], '%')}); vials {r['vials_before']} -> "
        f"{r['vials_after']}, saved {r['vials_saved']}"
    )


def _weight_change_text(w: dict[str, Any]) -> str:
    flag = "RECALCULATE THE DOSE" if w["recalculate"] else "below the threshold"
    return (
        f"baseline {text_number(w['baseline_kg'], 'kg')} -> {text_number(w['current_kg'], 'kg')}: "
        f"{signed_unit(w['change_kg'], 'kg')} ({signed_unit(w['change_pct'], '%')}), threshold "
        f"{w['threshold_pct']}%: {flag}; {w['reason']} "
        f"({text_number(w['weight_used_kg'], 'kg')})"
    )


def _open_vial_text(o: dict[str, Any]) -> str:
    if not o["used"]:
        return (
            f"{text_number(o['remainder_mg'], 'mg')} in a {o['strength_mg']} mg vial opened "
            f"{clock(o['opened'])}: EXPIRED at {clock(o['use_by'])}; not used, discard it"
        )
    return (
        f"draw {text_number(o['drawn_mg'], 'mg')} ({text_number(o['drawn_ml'], 'mL')}) first "
        f"from the {o['strength_mg']} mg vial opened {clock(o['opened'])} (use by "
        f"{clock(o['use_by'])}); {text_number(o['left_mg'], 'mg')} left in it"
    )


def _remainder_text(k: dict[str, Any]) -> str:
    which = "the opened" if k["vial"] == "opened vial" else "the new"
    return (
        f"{text_number(k['remainder_mg'], 'mg')} ({text_number(k['remainder_ml'], 'mL')}) in "
        f"{which} {k['strength_mg']} mg multiple-dose vial: keep {k['storage']}, use by "
        f"{clock(k['use_by'])} ({k['in_use_days']} days from reconstitution)"
    )


def _use_by_text(u: dict[str, Any], details: bool, prepared_at: str | None) -> str:
    kept = {"refrigerated": "refrigerated", "room_temperature": "at room temperature"}
    hold = text_number(u["hold_hours"], "h")
    if not details:
        when = clock(u["use_by"])
        if prepared_at and u["use_by"] and u["use_by"][16:] == prepared_at[16:]:
            when = when[:16]  # the offset is the one on the "Prepared at" line
        return f"{u['what']}: {when} if {kept[u['storage']]} ({hold})"
    text = (
        f"{u['what']}: {clock(u['use_by'])} if {kept[u['storage']]} ({u['condition']}), "
        f"{hold} from {u['counted_from']}"
    )
    if u["counted_from"] != "reconstitution":
        text += " (counted here from the preparation time: later only if diluted later)"
    return text
