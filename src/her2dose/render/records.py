"""A plan's JSON object, in its two parts (per combination, per patient)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from her2dose import units
from her2dose.render.numbers import (
    MEMO_LIMIT,
    SCHEMA_VERSION,
    exact,
    iso_minutes,
    number,
    pct,
    plain,
    ratio,
)

if TYPE_CHECKING:
    from her2dose.model.plan import Plan, ResolvedRequest

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
        # policy, rounding, weight change, multiple-dose vials and use-by
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
        "prepared_at": _once_per_object(plan.prepared_at, iso_minutes),
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
            "difference_pct": pct(done.difference_pct),
            "direction": done.direction,
            "threshold_pct": pct(done.threshold_pct) if done.threshold_pct is not None else None,
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
            "change_pct": exact(shown_change_pct(change)),
            "threshold_pct": pct(change.threshold_pct),
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
            "opened": iso_minutes(opened.opened),
            "use_by": iso_minutes(opened.use_by),
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
                "opened": iso_minutes(k.opened),
                "use_by": iso_minutes(k.use_by),
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
            "starts": iso_minutes(u.starts),
            "use_by": iso_minutes(u.use_by),
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
    if len(_BY_OBJECT) >= MEMO_LIMIT:
        _BY_OBJECT.clear()
    _BY_OBJECT[key] = (obj, value)
    return value


def shown_change_pct(change: Any) -> Decimal:
    from her2dose.model.plan import shown_pct

    return shown_pct(change.change_pct, change.threshold_pct)


def plan_json(plan: Plan, book_path: str, sha256: str) -> str:
    return json.dumps(plan_record(plan, book_path, sha256), ensure_ascii=False, indent=2)
