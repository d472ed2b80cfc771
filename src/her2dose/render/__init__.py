"""Rendering: a Plan as a Rich table, a JSON object or a CSV row; atomic file writes.

The only module that turns Quantities into plain numbers. Display precision is fixed and
documented (README, "Output"): mg to 0.1, mL to 0.01, mL/h to 0.1, kg to 0.01, rounded
half-up. Nothing else is rounded anywhere.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from her2dose import units
from her2dose.errors import OutputError

if TYPE_CHECKING:
    from rich.console import Console

    from her2dose.model.plan import Plan, ResolvedRequest

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


# A plan's JSON object in two parts (issue 6): what depends only on the resolved
# combination (drug, product, regimen, level, preparation, reminders...), rendered by
# combination_dict from a plan.ResolvedRequest, and the patient's part (weight, dose, vials,
# volumes, times, notes...), rendered by patient_dict. Every plan is rendered this way
# (`plan` as JSON or table, `batch`, `schedule`...); a batch renders each combination's part
# once and only the patient's part per row.

PER_PATIENT = None  # a key of combination_dict whose value patient_dict gives


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The documented JSON object for one plan. Keys and their order are stable: those of
    combination_dict, with the per-patient ones filled in by patient_dict."""
    return joined(combination_dict(_resolved(plan)), patient_dict(plan))


def plan_record(plan: Plan, book_path: str, sha256: str) -> dict[str, Any]:
    """plan_dict with the regimens file filled in: one `plan --format json` object."""
    return joined(combination_record(_resolved(plan), book_path, sha256), patient_dict(plan))


def plan_record_parts(
    plan: Plan, book_path: str, sha256: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """plan_record in its two parts, for a batch: joined() of them is plan_record. The first
    is made once per combination and shared by all its plans: read it, never change it."""
    r = _resolved(plan)
    combination = r.remember(
        ("combination_record", book_path, sha256), lambda: combination_record(r, book_path, sha256)
    )
    return combination, patient_dict(plan)


def combination_record(resolved: ResolvedRequest, book_path: str, sha256: str) -> dict[str, Any]:
    """combination_dict with the regimens file filled in (what plan_record takes from it)."""
    data = combination_dict(resolved)
    data["regimens_file"] = book_path
    data["regimens_sha256"] = sha256
    return data


def joined(combination: dict[str, Any], patient: dict[str, Any]) -> dict[str, Any]:
    """One plan's object from its two parts, in combination_dict's key order."""
    record = combination.copy()
    record.update(patient)  # a key already there keeps its place
    return record


def _resolved(plan: Plan) -> ResolvedRequest:
    if plan.resolved is None:  # pragma: no cover - plan_patient always sets it
        raise ValueError("a Plan made outside plan.plan_patient has no resolved request")
    return plan.resolved


def combination_dict(r: ResolvedRequest) -> dict[str, Any]:
    """Every key of a plan's object, in the documented order; those that depend on the
    patient are PER_PATIENT here (patient_dict gives them)."""
    per_kg = r.regimen.basis == "per_kg"
    prep = r.preparation
    lower = r.next_level
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": r.molecule.id,
        "drug_name": r.molecule.name,
        "product": r.product.id,
        "brand": r.product.brand,
        "regimen": r.regimen.id,
        "indication": r.regimen.indication,
        "schedule": r.schedule.name,
        "interval_days": int(units.magnitude(r.schedule.interval, "day")),
        "phase": r.phase.name,
        "level": r.level.level if r.level is not None else None,
        "level_name": r.level.name if r.level is not None else None,
        "dose_mg_per_kg": ratio(r.dose_rate) if per_kg else None,
        "weight_input": PER_PATIENT,
        "weight_kg": PER_PATIENT,
        "dose_mg": PER_PATIENT,
        "vials": PER_PATIENT,
        "vial_total_mg": PER_PATIENT,
        "leftover_mg": PER_PATIENT,
        "leftover_kept": PER_PATIENT,
        "reconstitution": PER_PATIENT,
        "concentration_mg_per_ml": number(r.concentration, "mg/mL"),
        "drug_volume_ml": PER_PATIENT,
        "diluent": prep.diluent if prep else None,
        "forbidden_diluents": list(prep.forbidden) if prep else [],
        "bag_volume_ml": number(prep.bag_volume if prep else None, "mL"),
        "total_volume_ml": PER_PATIENT,
        "infusion": r.which,
        "infusion_minutes": number(r.minutes, "min"),
        "rate_ml_per_h": PER_PATIENT,
        "filter": prep.filter if prep else None,
        "reminders": [
            {"kind": m.kind, "text": m.text, "source": m.source, "evidence": m.evidence}
            for m in r.reminders
        ],
        "warnings": PER_PATIENT,
        "notes": PER_PATIENT,
        "next_level": lower.level if lower is not None else None,
        "next_level_mg_per_kg": ratio(lower.dose) if lower is not None and per_kg else None,
        "next_level_dose_mg": PER_PATIENT,
        "next_step": r.next_step,
        # issue 4: policy, rounding, weight change, multiple-dose vials and use-by
        "prepared_at": PER_PATIENT,
        "prepared_at_given": PER_PATIENT,
        "policy": PER_PATIENT,
        "rounding": PER_PATIENT,
        "weight_change": PER_PATIENT,
        "no_benzyl_alcohol": r.no_benzyl_alcohol,
        "open_vial": PER_PATIENT,
        "remainders": PER_PATIENT,
        "use_by": PER_PATIENT,
        "use_by_not_encoded": r.use_by_not_encoded,
        "source": PER_PATIENT,
        "sources": PER_PATIENT,
        "regimens_file": None,  # filled by combination_record, which knows the book
        "regimens_sha256": None,
    }


def patient_dict(plan: Plan) -> dict[str, Any]:
    """The PER_PATIENT keys of combination_dict, for this plan."""
    inf = plan.infusion
    counts = plan.vials.counts
    leftover_mdv = [c for c in counts if c.vial.multiple_dose]
    done = plan.rounding
    change = plan.weight_change
    opened = plan.open_vial
    return {
        "weight_input": plan.request.weight,
        "weight_kg": number(plan.weight, "kg"),
        "dose_mg": number(plan.dose, "mg"),
        "vials": _per_combination(
            plan, "vials", counts, tuple([(id(c.vial), c.count) for c in counts]), _vials_list
        ),
        "vial_total_mg": number(plan.vials.total, "mg"),
        "leftover_mg": number(plan.vials.leftover, "mg"),
        "leftover_kept": (
            {
                "in_use_days": int(units.magnitude(leftover_mdv[0].vial.in_use, "day")),
                "storage": leftover_mdv[0].vial.in_use_storage,
            }
            if leftover_mdv
            and leftover_mdv[0].vial.in_use is not None
            and plan.vials.leftover.magnitude > 0
            else None
        ),
        "reconstitution": _per_combination(
            plan,
            "reconstitution",
            inf.reconstitution,
            tuple([(id(r.strength), r.count, r.fluid, id(r.volume)) for r in inf.reconstitution]),
            _reconstitution_list,
        ),
        "drug_volume_ml": number(inf.drug_volume, "mL"),
        "total_volume_ml": number(inf.total_volume, "mL"),
        "rate_ml_per_h": number(inf.rate, "mL/h"),
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
        "next_level_dose_mg": number(plan.next_level_dose, "mg"),
        "prepared_at": _once_per_object(plan.prepared_at, _time),
        "prepared_at_given": plan.prepared_at_given,
        "policy": [
            {"setting": e.setting, "value": e.value, "origin": e.origin, "effect": e.effect}
            for e in plan.policy_effects
        ],
        "rounding": None
        if done is None
        else {
            "method": done.method,
            "ordered_dose_mg": number(done.ordered, "mg"),
            "final_dose_mg": number(done.final, "mg"),
            "difference_mg": number(done.difference, "mg"),
            "difference_pct": _pct(done.difference_pct),
            "direction": done.direction,
            "threshold_pct": _pct(done.threshold_pct) if done.threshold_pct is not None else None,
            "increment_mg": number(done.increment, "mg"),
            "vials_before": done.vials_before,
            "vials_after": done.vials_after,
            "vials_saved": done.vials_saved,
            "reason": done.reason,
        },
        "weight_change": None
        if change is None
        else {
            "baseline_kg": number(change.baseline, "kg"),
            "current_kg": number(change.current, "kg"),
            "change_kg": number(change.change, "kg"),
            "change_pct": _exact(shown_change_pct(change)),
            "threshold_pct": _pct(change.threshold_pct),
            "recalculate": change.recalculate,
            "dose_weight": change.dose_weight,
            "weight_used": change.used,
            "weight_used_kg": number(change.weight_used, "kg"),
            "reason": change.reason,
        },
        "open_vial": None
        if opened is None
        else {
            "strength_mg": number(opened.vial.strength, "mg"),
            "remainder_mg": number(opened.remainder, "mg"),
            "opened": _time(opened.opened),
            "use_by": _time(opened.use_by),
            "used": opened.usable,
            "status": "used" if opened.usable else "expired",
            "drawn_mg": number(opened.drawn, "mg"),
            "drawn_ml": number(opened.drawn_volume, "mL"),
            "left_mg": number(opened.left, "mg"),
        },
        "remainders": [
            {
                "vial": k.origin,
                "strength_mg": number(k.vial.strength, "mg"),
                "remainder_mg": number(k.amount, "mg"),
                "remainder_ml": number(k.volume, "mL"),
                "in_use_days": plain(units.magnitude(k.vial.in_use, "day"), 2),
                "storage": k.vial.in_use_storage,
                "counted_from": "reconstitution",
                "opened": _time(k.opened),
                "use_by": _time(k.use_by),
                "source": k.vial.source,
            }
            for k in plan.remainders
        ],
        "use_by": _once_per_object(plan.use_by, _use_by_list),
        "source": plan.sources[0] if plan.sources else None,
        "sources": list(plan.sources),
    }


def _vials_list(counts: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [
        {
            "strength_mg": number(c.vial.strength, "mg"),
            "count": c.count,
            "multiple_dose": c.vial.multiple_dose,
        }
        for c in counts
    ]


def _reconstitution_list(reconstitution: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [
        {
            "strength_mg": number(r.strength, "mg"),
            "vials": r.count,
            "fluid": r.fluid,
            "volume_ml": number(r.volume, "mL"),
        }
        for r in reconstitution
    ]


def _per_combination(
    plan: Plan, kind: str, parts: Any, identity: tuple[Any, ...], render_it: Callable[[Any], Any]
) -> Any:
    """render_it(parts), worked out once per combination for each `identity`: the ids of
    the objects in `parts` that render_it reads, and its plain values. The memo entry keeps
    `parts` alive, so an id in its key cannot be another object's. A vial count's vial, a
    reconstitution's strength and volume are the product's own: few per combination."""
    key = (kind, identity)
    r = _resolved(plan)
    entry = r.memo.get(key)
    if entry is None:
        entry = r.remember(key, lambda: (parts, render_it(parts)))
    return entry[1]


def _use_by_list(use_by: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [
        {
            "what": u.what,
            "storage": u.storage,
            "condition": u.condition,
            "hold_hours": plain(units.magnitude(u.hold, "h"), 2),
            "counted_from": u.counted_from,
            "starts": _time(u.starts),
            "use_by": _time(u.use_by),
            "source": u.source,
        }
        for u in use_by
    ]


# object -> its rendering, for the parts of a plan that plan_patient shares between the
# plans of a combination (ResolvedRequest.remember: the preparation time and use-by times
# of a run). Keyed by identity and keeping the object alive, so an entry is never taken
# for another object; bounded. A shared rendering is shared too: read it, never change it.
_BY_OBJECT: dict[tuple[int, Callable[[Any], Any]], tuple[Any, Any]] = {}


def _once_per_object(obj: Any, render_it: Callable[[Any], Any]) -> Any:
    key = (id(obj), render_it)
    entry = _BY_OBJECT.get(key)
    if entry is not None and entry[0] is obj:
        return entry[1]
    value = render_it(obj)
    if len(_BY_OBJECT) >= _MEMO_LIMIT:
        _BY_OBJECT.clear()
    _BY_OBJECT[key] = (obj, value)
    return value


def _time(value: Any) -> str | None:
    """ISO 8601 to the minute, with the UTC offset: 2026-03-29T11:00+01:00."""
    return value.isoformat(timespec="minutes") if value is not None else None


def _pct(value: Decimal) -> int | float:
    return plain(value, 2)


def _exact(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def shown_change_pct(change: Any) -> Decimal:
    from her2dose.model.plan import shown_pct

    return shown_pct(change.change_pct, change.threshold_pct)


def item_value_table(title: str):  # -> rich.table.Table
    """The two-column worksheet layout (bold item, value) every command's table uses.

    The title is plain text, never Rich markup: it holds names from the regimens file."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), show_header=False, title_justify="left", expand=False)
    table.add_column("item", style="bold", no_wrap=True)
    table.add_column("value")
    return table


def traced_json(data: dict[str, Any], book_path: str, sha256: str) -> str:
    """A command's JSON object with the regimens file and its SHA-256 that produced it."""
    data["regimens_file"] = book_path
    data["regimens_sha256"] = sha256
    return json.dumps(data, ensure_ascii=False, indent=2)


def plan_json(plan: Plan, book_path: str, sha256: str) -> str:
    return json.dumps(plan_record(plan, book_path, sha256), ensure_ascii=False, indent=2)


def plan_table(plan: Plan, console: Console, book_path: str, sha256: str) -> None:
    """The worksheet a pharmacist reads: one table, then reminders and sources.

    Every text from the regimens file or the command line goes out as rich.text.Text, never
    as Rich markup: a '[...]' in a label sentence or a path must print as written.
    """
    from rich.text import Text

    d = plan_dict(plan)
    prep_known = plan.infusion.preparation is not None
    title = f"{plan.product.brand} ({plan.molecule.name}) — {plan.regimen.indication}"
    table = item_value_table(title)

    def row(label: str, value: str, style: str = "") -> None:
        table.add_row(label, Text(value, style=style))

    row("Regimen", f"{plan.regimen.id}: {plan.regimen.description}")
    row(
        "Schedule",
        f"{plan.schedule.name} (every {d['interval_days']} days), phase {plan.phase.name}",
    )
    if plan.level is not None:
        row("Level", f"{plan.level.level} ({plan.level.name})")
    if d["dose_mg_per_kg"] is not None:
        row("Dose per kg", f"{d['dose_mg_per_kg']} mg/kg")
    weight_kg = text_number(d["weight_kg"], "kg")
    given = plan.request.weight.strip()
    row(
        "Weight",
        weight_kg
        if given.replace(" ", "") == weight_kg.replace(" ", "")
        else f"{given} = {weight_kg}",
    )
    if d["weight_change"] is not None:
        row("Weight change", _weight_change_text(d["weight_change"]))
    row("Dose", text_number(d["dose_mg"], "mg"), "bold")
    if d["rounding"] is not None:
        row("Rounding", _rounding_text(d["rounding"]))
    if d["open_vial"] is not None:
        row("Opened vial", _open_vial_text(d["open_vial"]))
    if plan.vials.counts:
        row("Vials", vial_text(plan) + f" = {text_number(d['vial_total_mg'], 'mg')}")
    else:
        row("Vials", "no new vial: the whole dose comes from the opened vial")
    leftover = f"{text_number(d['leftover_mg'], 'mg')}"
    if d["leftover_kept"]:
        kept = d["leftover_kept"]
        leftover += (
            f" (multiple-dose vial: the remainder may be kept {kept['in_use_days']} days, "
            f"{kept['storage']})"
        )
    elif any(c.vial.multiple_dose for c in plan.vials.counts) and d["leftover_mg"]:
        leftover += (
            " (multiple-dose vial: how long the remainder may be kept is not encoded; check "
            "the current prescribing information, section 2)"
        )
    row("Leftover", leftover)
    for r in d["reconstitution"]:
        if r["volume_ml"] is not None:
            row(
                "Reconstitute",
                f"each {r['strength_mg']} mg vial with {r['volume_ml']} mL {r['fluid']}",
            )
        elif r["fluid"] is None and plan.product.form.startswith("solution"):
            row("Reconstitute", "not needed (solution)")
        else:
            row(
                "Reconstitute", f"{r['strength_mg']} mg vial: volume not encoded, see product label"
            )
    missing = (
        f"not encoded: check the current prescribing information of {plan.product.brand}, section 2"
    )
    concentration = d["concentration_mg_per_ml"]
    row("Concentration", f"{concentration} mg/mL" if concentration is not None else missing)
    row(
        "Withdraw",
        text_number(d["drug_volume_ml"], "mL") if concentration is not None else missing,
        "bold",
    )
    if d["diluent"]:
        row("Diluent", f"{d['diluent']}, {text_number(d['bag_volume_ml'], 'mL')} bag")
    else:
        row("Diluent", "not encoded: check the current prescribing information")
    for bad in d["forbidden_diluents"]:
        row("Do not use", bad)
    row(
        "Total volume",
        text_number(d["total_volume_ml"], "mL") if concentration is not None else missing,
    )
    row("Infusion", f"{d['infusion_minutes']} min ({d['infusion']} infusion)")
    row("Rate", text_number(d["rate_ml_per_h"], "mL/h") if concentration is not None else missing)
    # no encoded preparation means the filter is unknown, not that none is required
    row(
        "Filter",
        d["filter"]
        or (
            "no in-line filter requirement in the label"
            if prep_known
            else "not encoded: check the current prescribing information"
        ),
    )
    row(
        "Next reduction",
        plan.next_step
        + (f" = {text_number(d['next_level_dose_mg'], 'mg')}" if d["next_level_dose_mg"] else ""),
    )
    for k in d["remainders"]:
        row("Remainder kept", _remainder_text(k))
    row(
        "Prepared at",
        _clock(d["prepared_at"])
        + ("" if d["prepared_at_given"] else " (now: no --prepared-at given)"),
    )
    for u in d["use_by"]:
        row("Use by", _use_by_text(u))
    if d["use_by_not_encoded"]:
        row("Use by", f"not encoded: {d['use_by_not_encoded']}")
    for e in d["policy"]:
        row("Policy", f"{e['setting']} = {e['value']} ({e['origin']}): {e['effect']}")
    console.print(table)
    for r in plan.reminders:
        console.print(
            Text.assemble((f"{r.kind}:", "bold"), " ", r.text, " ", (f"({r.source})", "dim"))
        )
    for note in plan.notes:
        console.print(Text(f"note: {note}"))
    console.print(Text(f"Sources: {'; '.join(plan.sources)}", style="dim"))
    console.print(Text(f"Regimens file: {book_path} (sha256 {sha256})", style="dim"))


def _clock(iso: str | None) -> str:
    """'2026-03-29T11:00+01:00' -> '2026-03-29 11:00 (UTC+01:00)' for the worksheet."""
    if iso is None:
        return "—"
    day, rest = iso.split("T")
    return f"{day} {rest[:5]} (UTC{rest[5:] or '+00:00'})"


def _signed(value: int | float, unit: str) -> str:
    return f"{'+' if value > 0 else ''}{text_number(value, unit)}".replace(" %", "%")


def _rounding_text(r: dict[str, Any]) -> str:
    how = (
        f"vial rounding within {r['threshold_pct']}%"
        if r["method"] == "vial"
        else f"to the nearest {text_number(r['increment_mg'], 'mg')}"
    )
    return (
        f"{how}: ordered {text_number(r['ordered_dose_mg'], 'mg')} -> "
        f"{text_number(r['final_dose_mg'], 'mg')} ({_signed(r['difference_mg'], 'mg')}, "
        f"{_signed(r['difference_pct'], '%')}); vials {r['vials_before']} -> "
        f"{r['vials_after']}, saved {r['vials_saved']}"
    )


def _weight_change_text(w: dict[str, Any]) -> str:
    flag = "RECALCULATE THE DOSE" if w["recalculate"] else "below the threshold"
    return (
        f"baseline {text_number(w['baseline_kg'], 'kg')} -> {text_number(w['current_kg'], 'kg')}: "
        f"{_signed(w['change_kg'], 'kg')} ({_signed(w['change_pct'], '%')}), threshold "
        f"{w['threshold_pct']}%: {flag}; {w['reason']} "
        f"({text_number(w['weight_used_kg'], 'kg')})"
    )


def _open_vial_text(o: dict[str, Any]) -> str:
    if not o["used"]:
        return (
            f"{text_number(o['remainder_mg'], 'mg')} in a {o['strength_mg']} mg vial opened "
            f"{_clock(o['opened'])}: EXPIRED at {_clock(o['use_by'])}; not used, discard it"
        )
    return (
        f"draw {text_number(o['drawn_mg'], 'mg')} ({text_number(o['drawn_ml'], 'mL')}) first "
        f"from the {o['strength_mg']} mg vial opened {_clock(o['opened'])} (use by "
        f"{_clock(o['use_by'])}); {text_number(o['left_mg'], 'mg')} left in it"
    )


def _remainder_text(k: dict[str, Any]) -> str:
    which = "the opened" if k["vial"] == "opened vial" else "the new"
    return (
        f"{text_number(k['remainder_mg'], 'mg')} ({text_number(k['remainder_ml'], 'mL')}) in "
        f"{which} {k['strength_mg']} mg multiple-dose vial: keep {k['storage']}, use by "
        f"{_clock(k['use_by'])} ({k['in_use_days']} days from reconstitution)"
    )


def _use_by_text(u: dict[str, Any]) -> str:
    words = {"refrigerated": "refrigerated", "room_temperature": "at room temperature"}
    start = (
        ""
        if u["counted_from"] == "reconstitution"
        else " (counted here from the preparation time: later only if diluted later)"
    )
    return (
        f"{u['what']}: {_clock(u['use_by'])} if {words[u['storage']]} ({u['condition']}): "
        f"{text_number(u['hold_hours'], 'h')} counted from {u['counted_from']}{start}"
    )


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
        with suppress(OSError):
            os.unlink(tmp)
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
                                "evidence": v.evidence,
                            }
                            for v in p.vials
                        ],
                        "source": p.source,
                        "evidence": p.evidence,
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
                                        "evidence": ph.evidence,
                                    }
                                    for ph in s.phases.values()
                                ],
                            }
                            for s in r.schedules.values()
                        ],
                        "levels": [
                            {
                                "level": lv.level,
                                "name": lv.name,
                                "dose": _dose_value(lv.dose, r.basis),
                                "source": lv.source,
                                "evidence": lv.evidence,
                            }
                            for lv in r.levels
                        ],
                        "source": r.source,
                        "evidence": r.evidence,
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
    from rich.text import Text

    table = Table(title=Text(f"Regimens in {book.path}"), title_justify="left")
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
                f"{s.name}: "
                + ", ".join(
                    f"{ph.name} {_dose_value(ph.dose, r.basis)} {unit}" for ph in s.phases.values()
                )
                for s in r.schedules.values()
            )
            levels = " > ".join(str(_dose_value(lv.dose, r.basis)) for lv in r.levels) or "—"
            cells = (f"{m.id} ({m.abbreviation})", products, r.indication, doses, levels, r.source)
            table.add_row(*(Text(c) for c in cells))  # data, not Rich markup
    console.print(table)


# --- issue 5: schedule, next -------------------------------------------------------------


def _dose_words(rate: Any, basis: str) -> str:
    """'6 mg/kg' or '840 mg' as the label writes it."""
    unit = "mg/kg" if basis == "per_kg" else "mg"
    return f"{text_number(_dose_value(rate, basis))} {unit}"


def _vial_list(plan: Any) -> list[dict[str, Any]] | None:
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
                "dose": _dose_words(d.dose_rate, basis),
                "dose_mg_per_kg": ratio(d.dose_rate) if basis == "per_kg" else None,
                "dose_mg": number(d.plan.dose, "mg") if d.plan else None,
                "vials": _vial_list(d.plan),
                "infusion": d.infusion,
                "infusion_minutes": number(d.plan.infusion.minutes, "min") if d.plan else None,
            }
            for d in cs.doses
        ],
        "end": cs.end,
        "warnings": list(cs.warnings),
        "notes": list(cs.notes),
        "sources": list(cs.sources),
        "regimens_file": None,
        "regimens_sha256": None,
    }


def schedule_json(cs: Any, book_path: str, sha256: str) -> str:
    return traced_json(schedule_dict(cs), book_path, sha256)


def _drug_title(molecule: Any, product: Any) -> str:
    if product is not None:
        return f"{product.brand} ({molecule.name})"
    return molecule.name


def schedule_table(cs: Any, console: Console, book_path: str, sha256: str) -> None:
    from rich.table import Table

    d = schedule_dict(cs)
    shape = cs.shape.name + (f" with {cs.shape.chemotherapy}" if cs.shape.chemotherapy else "")
    title = (
        f"{_drug_title(cs.molecule, cs.product)} — {cs.regimen.indication}, {shape}, "
        f"from {d['start']}"
    )
    table = Table(title=title, title_justify="left")
    columns = ["#", "date", "weekday", "week", "schedule", "phase", "dose"]
    if cs.cycle_levels is not None:
        columns.insert(6, "level")
    if cs.weight is not None:
        columns += ["mg", "vials", "minutes"]
    for column in columns:
        table.add_column(
            column, no_wrap=True, justify="right" if column in ("#", "week", "mg") else "left"
        )
    for dose, row in zip(cs.doses, d["doses"], strict=True):
        cells = [
            str(row["number"]),
            row["date"],
            row["weekday"],
            str(row["week"]),
            row["schedule"],
            row["phase"],
            *([str(row["level"])] if cs.cycle_levels is not None else []),
            row["dose"],
        ]
        if cs.weight is not None:
            cells += [
                text_number(row["dose_mg"]),
                vial_text(dose.plan),
                f"{row['infusion_minutes']}" + (" (first)" if row["infusion"] == "first" else ""),
            ]
        table.add_row(*cells)
    console.print(table)
    console.print(cs.end, highlight=False)
    if cs.weight is not None:
        console.print(f"Weight: {text_number(d['weight_kg'], 'kg')}", highlight=False)
    for note in cs.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"[dim]Sources: {'; '.join(cs.sources)}[/dim]", highlight=False)
    console.print(f"[dim]Regimens file: {book_path} (sha256 {sha256})[/dim]", highlight=False)


def next_dict(nd: Any) -> dict[str, Any]:
    """The documented JSON object for `her2dose next`. Keys and order are stable."""
    plan = nd.plan
    basis = nd.regimen.basis if nd.regimen is not None else None
    fixed = nd.fixed_dose
    product = nd.product
    if fixed is not None:
        dose_words = fixed.dose
    elif nd.dose_rate is not None:
        dose_words = _dose_words(nd.dose_rate, basis)
    else:
        dose_words = None
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
        "start": nd.start.isoformat() if nd.start else None,
        "previous": nd.request.previous,
        "last_dose": nd.last_dose.isoformat(),
        "on": nd.on.isoformat(),
        "due_date": nd.due_date.isoformat(),
        "due_weekday": nd.due_weekday,
        "days_since_last_dose": nd.days_since_last_dose,
        "days_late": nd.days_late,
        "days_until_due": nd.days_until_due,
        "minimum_interval_days": nd.minimum_interval_days,
        "earliest_date": nd.due_date.isoformat(),
        "status": nd.status,
        "give_now": nd.gives_dose,
        "action": nd.action,
        "message": nd.message,
        "dose_schedule": nd.schedule.name if nd.schedule is not None else None,
        "phase": nd.phase.name if nd.phase is not None else (fixed.name if fixed else None),
        "level": nd.level.level if nd.level is not None and nd.gives_dose else None,
        "dose": dose_words,
        "dose_mg_per_kg": ratio(nd.dose_rate)
        if nd.dose_rate is not None and basis == "per_kg"
        else None,
        "weight_input": nd.request.weight,
        "weight_kg": number(plan.weight, "kg") if plan else None,
        "dose_mg": number(plan.dose, "mg") if plan else None,
        "vials": _vial_list(plan),
        "infusion": plan.infusion.which if plan else None,
        "infusion_minutes": number(plan.infusion.minutes, "min") if plan else None,
        "rate_ml_per_h": number(plan.infusion.rate, "mL/h") if plan else None,
        "route": "subcutaneous" if fixed else ("intravenous" if nd.regimen else None),
        "volume_ml": number(fixed.volume, "mL") if fixed else None,
        "injection_minutes": number(fixed.injection_time, "min") if fixed else None,
        "injection_minutes_range": (
            [number(q, "min") for q in fixed.injection_time_range]
            if fixed and fixed.injection_time_range
            else None
        ),
        "next_due_date": nd.next_due_date.isoformat() if nd.next_due_date else None,
        "rule": nd.rule_text,
        "rule_source": nd.rule_source,
        "reminders": [
            {"kind": r.kind, "text": r.text, "source": r.source, "evidence": r.evidence}
            for r in nd.reminders
        ],
        "warnings": list(nd.warnings),
        "notes": list(nd.notes),
        "sources": list(nd.sources),
        "regimens_file": None,
        "regimens_sha256": None,
    }


def next_json(nd: Any, book_path: str, sha256: str) -> str:
    return traced_json(next_dict(nd), book_path, sha256)


def next_table(nd: Any, console: Console, book_path: str, sha256: str) -> None:
    d = next_dict(nd)
    title = _drug_title(nd.molecule, nd.product)
    if nd.fixed_dose is not None or nd.regimen is None:
        title = f"{nd.molecule.abbreviation or nd.molecule.name} ({nd.molecule.name})"
    else:
        title += f" — {nd.regimen.indication}, {d['schedule']}"
    table = item_value_table(title)
    status = {
        "not-yet-due": "NOT YET DUE",
        "due": "DUE",
        "late": "LATE",
        "not-encoded": "NOT ENCODED: check the label",
        "course-complete": "COURSE COMPLETE",
    }[nd.status]
    table.add_row("Answer", f"[bold]{status}[/bold]: {nd.message}")
    table.add_row(
        "Last dose", f"{d['last_dose']} ({d['days_since_last_dose']} days before {d['on']})"
    )
    table.add_row(
        "Due date",
        f"{d['due_date']} ({d['due_weekday']}), "
        f"{d['minimum_interval_days']} days after the last dose",
    )
    if nd.status == "not-yet-due":
        table.add_row(
            "Earliest date",
            f"{d['earliest_date']} (in {d['days_until_due']} days; "
            f"minimum interval {d['minimum_interval_days']} days)",
        )
    else:
        table.add_row("Days late", str(d["days_late"]))
    if nd.gives_dose:
        dose = d["dose"] + (f" ({d['phase']})" if d["phase"] else "")
        if d["level"] is not None:
            dose += f", level {d['level']}"
        table.add_row("Give", f"[bold]{dose}[/bold]")
        if nd.plan is not None:
            per = (
                f"for {text_number(d['weight_kg'], 'kg')}"
                if d["dose_mg_per_kg"] is not None
                else "flat dose, whatever the weight"
            )
            table.add_row("Dose", f"[bold]{text_number(d['dose_mg'], 'mg')}[/bold] {per}")
            table.add_row("Vials", vial_text(nd.plan))
            table.add_row(
                "Infusion",
                f"{d['infusion_minutes']} min ({d['infusion']} infusion), "
                f"{text_number(d['rate_ml_per_h'], 'mL/h')}",
            )
        if nd.fixed_dose is not None:
            table.add_row("Volume", f"{text_number(d['volume_ml'], 'mL')}, ready to use")
            if d["injection_minutes_range"]:
                low, high = d["injection_minutes_range"]
                table.add_row("Injection", f"subcutaneous, over about {low} to {high} min")
            else:
                table.add_row("Injection", f"subcutaneous, about {d['injection_minutes']} min")
        table.add_row("Next due", d["next_due_date"] or "none: the course ends")
    if d["rule"] and nd.status != "not-encoded":  # a not-encoded answer is the rule itself
        table.add_row("Label rule", d["rule"])
    console.print(table)
    for r in nd.reminders:
        console.print(f"[bold]{r.kind}:[/bold] {r.text} [dim]({r.source})[/dim]", highlight=False)
    for note in nd.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"[dim]Sources: {'; '.join(nd.sources)}[/dim]", highlight=False)
    console.print(f"[dim]Regimens file: {book_path} (sha256 {sha256})[/dim]", highlight=False)


# --- issue 3: levels, adjust, check ------------------------------------------------------


def percent(value: Decimal | None) -> int | float | None:
    """A percent difference for display: one decimal place, half-up."""
    return None if value is None else plain(value, 1)


def signed(value: int | float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else ""
    return f"{sign}{value:g}{unit}" if isinstance(value, int) else f"{sign}{value}{unit}"


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
        "warnings": list(table.warnings),
        "notes": list(table.notes),
        "regimens_file": None,
        "regimens_sha256": None,
    }


def levels_json(table: Any, book_path: str, sha256: str) -> str:
    return traced_json(levels_dict(table), book_path, sha256)


def levels_table(table: Any, console: Console, book_path: str, sha256: str) -> None:
    from rich.table import Table

    d = levels_dict(table)
    weighed = table.weight is not None
    title = f"{table.molecule.name} — {table.regimen.indication}: dose levels"
    if weighed:
        title += f" at {text_number(d['weight_kg'], 'kg')}"
        if table.product is not None:
            title += f" ({table.product.brand} vials)"
    out = Table(title=title, title_justify="left")
    unit = "mg/kg" if table.regimen.basis == "per_kg" else "mg"
    for column in ("level", "name", unit, *(("dose", "vials", "withdraw") if weighed else ())):
        out.add_column(column, no_wrap=column not in ("name", "vials"))
    for row, r in zip(table.rows, d["levels"], strict=True):
        label = str(r["level"]) if r["level"] is not None else "—"
        name = r["name"] if r["level"] is not None else f"{r['name']} ({r['schedule']})"
        cells = [label, name, text_number(_dose_value(row.dose_rate, table.regimen.basis))]
        if weighed:
            cells += [
                text_number(r["dose_mg"], "mg"),
                vial_text(row.plan) + f" = {text_number(r['vial_total_mg'], 'mg')}",
                text_number(r["drug_volume_ml"], "mL"),
            ]
        out.add_row(*cells, end_section=row is table.rows[-1])
    if d["further_reduction"]:
        out.add_row("", f"further reduction required: {d['further_reduction']}")
    console.print(out)
    if d["no_re_escalation"]:
        rule = d["no_re_escalation"]
        console.print(
            f"[bold]no re-escalation:[/bold] {rule['text']} [dim]({rule['source']})[/dim]",
            highlight=False,
        )
    if d["no_reductions"]:
        console.print(f"[bold]{d['no_reductions']}[/bold]", highlight=False)
    if d["max_dose_mg_per_kg"] is not None:
        console.print(
            f"maximum: {d['max_dose_mg_per_kg']} mg/kg [dim]({d['max_dose_source']})[/dim]",
            highlight=False,
        )
    for note in table.notes:
        console.print(f"note: {note}", highlight=False)
    sources = dict.fromkeys(
        s
        for s in (
            table.regimen.source,
            *(r["source"] for r in d["levels"]),
            d["further_reduction_source"],
        )
        if s
    )
    console.print(f"[dim]Sources: {'; '.join(sources)}[/dim]", highlight=False)
    console.print(f"[dim]Regimens file: {book_path} (sha256 {sha256})[/dim]", highlight=False)


def _lvef_words(reading: Any) -> str | None:
    if reading is None:
        return None
    parts = []
    if reading.symptomatic_chf:
        parts.append("symptomatic congestive heart failure")
    if reading.lvef is not None:
        text = f"LVEF {reading.lvef.normalize():f}%"
        if reading.drop is not None:
            text += f", absolute decrease {reading.drop.normalize():f} points from baseline"
        if reading.lln is not None:
            text += f" (lower limit of normal {reading.lln.normalize():f}%)"
        parts.append(text)
    return "; ".join(parts) or None


def _outcome_dict(o: Any, basis: str) -> dict[str, Any]:
    per_kg = basis == "per_kg"
    return {
        "condition": o.condition,
        "result": o.result,
        "level": o.level.level if o.level is not None else None,
        "level_name": o.level.name if o.level is not None else None,
        "dose_mg_per_kg": ratio(o.level.dose) if o.level is not None and per_kg else None,
        "dose_mg": number(o.dose, "mg"),
        "text": o.text,
    }


def adjustment_message(adj: Any) -> str:
    """The answer in one line."""
    if adj.message is not None:
        return adj.message
    if adj.not_encoded is not None:
        return f"not encoded: check the current prescribing information, {adj.not_encoded.see}"
    if adj.rule is None:
        return (
            f"no row of the label's table for {adj.event.name} matches "
            f"{_lvef_words(adj.lvef)}: her2dose does not infer an action; check the current "
            f"prescribing information ({adj.event.source})"
        )
    rule = adj.rule
    if rule.action == "interrupt":
        head = f"interrupt treatment until {rule.until}"
        if adj.result is not None:
            return f"{head}, then {adj.result.text}"
        branches = "; ".join(
            f"{'if ' + o.condition if o.condition != 'otherwise' else 'otherwise'}: {o.text}"
            for o in adj.outcomes
        )
        return f"{head}; then {branches}"
    assert adj.result is not None  # a rule without an interruption has exactly one outcome
    return adj.result.text


def adjustment_dict(adj: Any) -> dict[str, Any]:
    """The documented JSON object for `her2dose adjust`. Keys and their order are stable."""
    from her2dose.model.adverse_events import ACTIONS

    basis = adj.regimen.basis
    per_kg = basis == "per_kg"
    rule, missing, result, lvef = adj.rule, adj.not_encoded, adj.result, adj.lvef
    no_re = adj.no_re_escalation
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": adj.molecule.id,
        "drug_name": adj.molecule.name,
        "regimen": adj.regimen.id,
        "indication": adj.regimen.indication,
        "event": adj.event.id,
        "event_name": adj.event.name,
        "event_input": adj.request.event,
        "grade": adj.grade,
        "lvef_pct": plain(lvef.lvef, 1) if lvef and lvef.lvef is not None else None,
        "lvef_drop_pct": plain(lvef.drop, 1) if lvef and lvef.drop is not None else None,
        "lvef_lln_pct": plain(lvef.lln, 1) if lvef and lvef.lln is not None else None,
        "lvef_lln_from": lvef.lln_from if lvef else None,
        "symptomatic_chf": bool(lvef and lvef.symptomatic_chf),
        "resolved_days": adj.request.resolved_days,
        "level": adj.level.level if adj.level is not None else None,
        "level_name": adj.level.name if adj.level is not None else None,
        "level_mg_per_kg": ratio(adj.level.dose) if adj.level is not None and per_kg else None,
        "level_dose_mg": number(adj.level_dose, "mg"),
        "weight_input": adj.request.weight,
        "weight_kg": number(adj.weight, "kg"),
        "answer": adj.answer,
        "criterion": rule.criterion if rule else (missing.criterion if missing else None),
        "action": adj.action,
        "action_text": ACTIONS.get(adj.action),
        "until": rule.until if rule else None,
        "condition": rule.condition if rule else None,
        "outcomes": [_outcome_dict(o, basis) for o in adj.outcomes],
        "decided": result is not None,
        "result": result.result if result is not None else None,
        "result_level": result.level.level if result and result.level is not None else None,
        "result_level_name": result.level.name if result and result.level is not None else None,
        "result_mg_per_kg": (
            ratio(result.level.dose) if result and result.level is not None and per_kg else None
        ),
        "result_mg": number(result.dose, "mg") if result is not None else None,
        "result_text": result.text if result is not None else None,
        "follow_up": rule.follow_up if rule else None,
        "label": rule.label if rule else None,
        "source": rule.source if rule else (missing.source if missing else adj.event.source),
        "evidence": (rule or missing or adj.event).evidence,
        "not_encoded": (
            {"criterion": missing.criterion, "reason": missing.reason, "see": missing.see}
            if missing
            else None
        ),
        "message": adjustment_message(adj),
        "no_re_escalation": {"text": no_re.text, "source": no_re.source} if no_re else None,
        "warnings": list(adj.warnings),
        "notes": list(adj.notes),
        "sources": list(adj.sources),
        "regimens_file": None,
        "regimens_sha256": None,
    }


def adjustment_json(adj: Any, book_path: str, sha256: str) -> str:
    return traced_json(adjustment_dict(adj), book_path, sha256)


def adjustment_table(adj: Any, console: Console, book_path: str, sha256: str) -> None:
    d = adjustment_dict(adj)
    title = f"{adj.molecule.name} — {adj.regimen.indication}: {adj.event.name}"
    out = item_value_table(title)
    typed = adj.request.event
    out.add_row("Event", adj.event.name + (f" (typed '{typed}')" if typed != adj.event.id else ""))
    if d["grade"] is not None:
        out.add_row("Grade", str(d["grade"]))
    lvef = _lvef_words(adj.lvef)
    if lvef:
        out.add_row("LVEF", lvef)
    if d["resolved_days"] is not None:
        out.add_row("Resolved after", f"{d['resolved_days']} days from onset")
    if adj.level is not None:
        level = f"{d['level']} ({d['level_name']}"
        level += f", {d['level_mg_per_kg']} mg/kg" if d["level_mg_per_kg"] is not None else ""
        level += f" = {text_number(d['level_dose_mg'], 'mg')}" if d["level_dose_mg"] else ""
        out.add_row("Current level", level + ")")
    if d["criterion"]:
        out.add_row("Label row", d["criterion"])
    if adj.rule is not None:
        action = d["action_text"] + (f" until {d['until']}" if d["until"] else "")
        out.add_row("Action", action)
        if len(adj.outcomes) > 1:
            for o in d["outcomes"]:
                head = "otherwise" if o["condition"] == "otherwise" else f"if {o['condition']}"
                out.add_row("Then", f"{head}: {_outcome_line(o)}")
        result = d["result_text"] and _outcome_line(
            {
                "text": d["result_text"],
                "dose_mg": d["result_mg"],
            }
        )
        out.add_row("Result", f"[bold]{result or 'depends on the condition above'}[/bold]")
        if d["follow_up"]:
            out.add_row("Also", d["follow_up"])
        out.add_row("Label", d["label"])
    else:
        out.add_row("Result", f"[bold]{d['message']}[/bold]")
        if adj.not_encoded is not None:
            out.add_row("Why", adj.not_encoded.reason)
    out.add_row("Source", d["source"])
    console.print(out)
    if d["no_re_escalation"]:
        rule = d["no_re_escalation"]
        console.print(
            f"[bold]no re-escalation:[/bold] {rule['text']} [dim]({rule['source']})[/dim]",
            highlight=False,
        )
    for note in adj.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"[dim]Regimens file: {book_path} (sha256 {sha256})[/dim]", highlight=False)


def _outcome_line(o: dict[str, Any]) -> str:
    return o["text"] + (f" = {text_number(o['dose_mg'], 'mg')}" if o.get("dose_mg") else "")


def _comparison_dict(c: Any, basis: str) -> dict[str, Any]:
    return {
        "level": c.level.level if c.level is not None else None,
        "name": c.name,
        "dose_mg_per_kg": ratio(c.label_rate) if basis == "per_kg" else None,
        "dose_mg": number(c.label_dose, "mg"),
        "difference_mg": number(c.difference, "mg"),
        "difference_pct": plain(c.difference_pct, c.pct_places),
        "within_tolerance": c.within_tolerance,
        "source": c.source,
    }


def _ordered_words(check: Any) -> str:
    mg = text_number(number(check.ordered_mg, "mg"), "mg")
    if check.per_kg_input:
        return f"{text_number(ratio(check.ordered))} mg/kg ({mg})"
    return f"{mg} ({text_number(number(check.ordered_rate, 'mg/kg', 3))} mg/kg)"


def dose_check_message(check: Any) -> str:
    if check.message is not None:
        return check.message
    basis = check.regimen.basis
    over = check.over_label
    if over is not None:
        limit = _dose_words(over.limit_rate, basis)
        limit_mg = text_number(number(over.limit_dose, "mg"), "mg")
        return (
            f"ABOVE THE LABEL: {_ordered_words(check)} is {percent(over.difference_pct)}% "
            f"({text_number(number(over.difference, 'mg'), 'mg')}) above {over.what}, "
            f"{limit} = {limit_mg} ({over.source})"
        )
    n = check.nearest
    what = f"level {n.level.level} ({n.name})" if n.level is not None else f"the {n.name}"
    where = (
        f"{_dose_words(n.label_rate, basis)} = {text_number(number(n.label_dose, 'mg'), 'mg')}: "
        f"{signed(number(n.difference, 'mg'), ' mg')}, "
        f"{signed(plain(n.difference_pct, n.pct_places), '%')}"
    )
    tolerance = f"{plain(check.tolerance_pct, 2):g}%"
    if check.matched:
        return f"matches {what} within {tolerance}: {where}"
    if check.scope == "all-levels":
        return f"matches no level within {tolerance}; nearest is {what}, {where}"
    return f"does not match {what} within {tolerance}: {where}"


def dose_check_dict(check: Any) -> dict[str, Any]:
    """The documented JSON object for `her2dose check`. Keys and their order are stable."""
    basis = check.regimen.basis
    per_kg = basis == "per_kg"
    matched = check.matched_level
    over = check.over_label
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": check.molecule.id,
        "drug_name": check.molecule.name,
        "regimen": check.regimen.id,
        "indication": check.regimen.indication,
        "schedule": check.schedule.name,
        "phase": check.phase.name,
        "weight_input": check.request.weight,
        "weight_kg": number(check.weight, "kg"),
        "dose_input": check.request.dose,
        "dose_mg": number(check.ordered_mg, "mg"),
        "dose_mg_per_kg": (
            ratio(check.ordered) if check.per_kg_input else number(check.ordered_rate, "mg/kg", 3)
        ),
        "tolerance_pct": plain(check.tolerance_pct, 2),
        "tolerance_from": check.tolerance_from,
        "checked_against": check.scope,
        "verdict": check.verdict,
        "match": check.matched,
        "level": matched.level.level if matched and matched.level is not None else None,
        "level_name": matched.name if matched else None,
        "nearest": _comparison_dict(check.nearest, basis),
        "comparisons": [_comparison_dict(c, basis) for c in check.comparisons],
        "over_label": (
            {
                "kind": over.kind,
                "what": over.what,
                "limit_mg_per_kg": ratio(over.limit_rate) if per_kg else None,
                "limit_mg": number(over.limit_dose, "mg"),
                "difference_mg": number(over.difference, "mg"),
                "difference_pct": percent(over.difference_pct),
                "source": over.source,
            }
            if over is not None
            else None
        ),
        "max_dose_mg_per_kg": (
            ratio(check.maximum.dose) if check.maximum is not None and per_kg else None
        ),
        "max_dose_source": check.maximum.source if check.maximum is not None else None,
        "message": dose_check_message(check),
        "warnings": list(check.warnings),
        "notes": list(check.notes),
        "regimens_file": None,
        "regimens_sha256": None,
    }


def dose_check_json(check: Any, book_path: str, sha256: str) -> str:
    return traced_json(dose_check_dict(check), book_path, sha256)


def dose_check_table(check: Any, console: Console, book_path: str, sha256: str) -> None:
    from rich.table import Table

    d = dose_check_dict(check)
    title = f"{check.molecule.name} — {check.regimen.indication}: dose check"
    head = item_value_table(title)
    head.add_row("Weight", text_number(d["weight_kg"], "kg"))
    head.add_row("Dose checked", _ordered_words(check))
    against = {
        "all-levels": f"every level of {check.regimen.id}",
        "level": f"level {check.comparisons[0].level.level} of {check.regimen.id}"
        if check.scope == "level"
        else "",
        "phase": f"the {check.phase.name} dose ({check.schedule.name}) of {check.regimen.id}",
    }[check.scope]
    head.add_row("Compared with", against)
    head.add_row("Tolerance", f"{d['tolerance_pct']}% ({d['tolerance_from']})")
    verdict = d["verdict"].upper().replace("-", " ")
    head.add_row("Verdict", f"[bold]{verdict}[/bold]")
    head.add_row("", d["message"])
    console.print(head)
    unit = "mg/kg" if check.regimen.basis == "per_kg" else "mg"
    rows = Table(title_justify="left")
    for column in ("level", "name", unit, "dose", "difference", "%", "within"):
        rows.add_column(column)
    for c in d["comparisons"]:
        rows.add_row(
            str(c["level"]) if c["level"] is not None else "—",
            c["name"],
            text_number(c["dose_mg_per_kg"] if c["dose_mg_per_kg"] is not None else c["dose_mg"]),
            text_number(c["dose_mg"], "mg"),
            signed(c["difference_mg"], " mg"),
            signed(c["difference_pct"], "%"),
            "yes" if c["within_tolerance"] else "no",
        )
    console.print(rows)
    if d["max_dose_mg_per_kg"] is not None:
        console.print(
            f"maximum: {d['max_dose_mg_per_kg']} mg/kg [dim]({d['max_dose_source']})[/dim]",
            highlight=False,
        )
    for note in check.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"[dim]Regimens file: {book_path} (sha256 {sha256})[/dim]", highlight=False)


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
