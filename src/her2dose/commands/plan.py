"""compute_plan: the one place a dose plan is computed, for `plan`, `batch` and the rest."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from her2dose import units
from her2dose.commands import selection
from her2dose.commands.order import (  # noqa: F401 - parse_dose re-exported
    above_label_words,
    as_ordered,
    ordered_dose,
    parse_dose,
)
from her2dose.core import (
    dosing,
    multiple_dose,
    policy,
    preparation_times,
    rounding,
    safety,
    weight_change,
)
from her2dose.core.infusion import plan_infusion
from her2dose.core.vials import plan_vials
from her2dose.data import clock
from her2dose.errors import InputError
from her2dose.model import (
    INFUSION_CHOICES,
    Level,
    Policy,
    Quantity,
    Regimen,
    RegimenBook,
)
from her2dose.model.plan import (
    BASELINE,
    MATCH,
    OpenVial,
    Plan,
    PlanRequest,
    PolicyEffect,
    ResolvedRequest,
    VialPlan,
)
from her2dose.model.records import replace
from her2dose.model.storage import STAGES


def parse_weight(text: str, book: RegimenBook) -> tuple[Quantity, list[str], list[str]]:
    """Weight text -> (kg quantity, warnings, notes). A bare number is read in kg."""
    if text is None or not str(text).strip():
        raise InputError("weight", "weight is required, for example '72 kg' or '158 lb'")
    notes = []
    bare_unit = book.policy.bare_weight_unit
    weight = units.parse_quantity(str(text), "mass", "weight", default_unit=bare_unit)
    if units.is_bare_number(text):
        notes.append(f"weight '{text}' has no unit and was read as {bare_unit}")
    warnings = safety.check_weight(weight, str(text), book.policy)
    return units.quantity(units.magnitude(weight, "kg"), "kg"), warnings, notes


# PlanRequest fields that `resolve` reads: everything but the patient's weights and times.
# A caller planning many patients (batch) may cache `resolve` on these fields' values.
RESOLVE_FIELDS = (
    "drug",
    "indication",
    "product",
    "level",
    "phase",
    "schedule",
    "infusion",
    "no_benzyl_alcohol",
    *policy.OVERRIDABLE,
)


def compute_plan(
    book: RegimenBook,
    request: PlanRequest,
    *,
    now: datetime | None = None,
    zone: tzinfo | None = None,
    use_by_shown: bool = True,
) -> Plan:
    """The plan for one request. `now` and `zone` default to the clock and the local zone.
    `use_by_shown=False`: the caller shows no use-by times, so no note on the time they
    count from."""
    return plan_patient(
        book, resolve(book, request), request, now=now, zone=zone, use_by_shown=use_by_shown
    )


def plan_beside(book: RegimenBook, request: Any, indication: str | None, **choices: Any) -> Plan:
    """The plan another command computes for its answer (a level, a dose of a course): the
    drug, weight and product of that command's request, on the indication it resolved, so
    that every mg it shows is `plan`'s. `choices` are further PlanRequest fields."""
    # no other command shows a plan's use-by times (they belong to the preparation)
    return compute_plan(book, beside_request(request, indication, **choices), use_by_shown=False)


def beside_request(request: Any, indication: str | None, **choices: Any) -> PlanRequest:
    """plan_beside's request, for a caller that plans it itself (a batch, with a Planner)."""
    fields = {"product": getattr(request, "product", None), **choices}
    return PlanRequest(drug=request.drug, weight=request.weight, indication=indication, **fields)


def resolve(book: RegimenBook, request: PlanRequest) -> ResolvedRequest:
    chosen = selection.select_for(book, request)
    molecule, regimen, level = chosen.molecule, chosen.regimen, chosen.level
    schedule, phase, product = chosen.schedule, chosen.phase, chosen.product
    assert schedule is not None and phase is not None and product is not None

    which = (request.infusion or "first").strip().lower()
    if which not in INFUSION_CHOICES:
        raise InputError(
            "infusion",
            f"infusion '{request.infusion}' must be one of {', '.join(INFUSION_CHOICES)}",
        )
    warnings: list[str] = []
    notes: list[str] = []
    if request.infusion is None:
        notes.append(
            "infusion time is for a first infusion (the longer, safer duration); "
            "use --infusion subsequent for later, well-tolerated infusions"
        )
    in_force, origins = policy.with_overrides(
        book.policy, {name: getattr(request, name) for name in policy.OVERRIDABLE}
    )
    storage = preparation_times.storage_for(book.storage, product.id, molecule.id)
    no_benzyl_alcohol = parse_flag(request.no_benzyl_alcohol, "no_benzyl_alcohol")
    if no_benzyl_alcohol:
        product, changed = multiple_dose.without_benzyl_alcohol(
            product, storage.without_benzyl_alcohol if storage is not None else None
        )
        notes.extend(changed)

    preparation = product.preparation or molecule.preparation
    if preparation is None or preparation.bag_volume is None:
        warnings.append(
            f"diluent, bag and in-line filter for {product.brand} are not encoded: "
            "check the current prescribing information before preparing"
        )
    reminders = tuple(m for m in molecule.reminders + product.reminders if m.applies_to(regimen.id))
    reminders = dosing.with_no_re_escalation(reminders, molecule, level)
    rules = storage.use_by if storage is not None else ()
    if storage is not None and storage.not_encoded is not None:
        not_encoded = storage.not_encoded.text
    elif not rules:
        not_encoded = (
            f"use-by times for {product.brand} are not encoded: check the current "
            "prescribing information, section 2"
        )
    else:
        not_encoded = None
    return ResolvedRequest(
        molecule=molecule,
        product=product,
        regimen=regimen,
        schedule=schedule,
        phase=phase,
        level=level,
        dose_rate=level.dose if level is not None else phase.dose,
        which=which,
        minutes=(phase.infusion_first if which == "first" else phase.infusion_subsequent).to("min"),
        concentration=product.vials[0].concentration,  # the loader makes a product's vials agree
        preparation=preparation,
        policy=in_force,
        policy_origins=origins,
        vial_rounding_excluded=molecule.id in _excluded_molecules(book, in_force),
        storage=storage,
        no_benzyl_alcohol=no_benzyl_alcohol,
        reminders=reminders,
        next_level=dosing.level_after(regimen, level),
        next_step=dosing.next_step(regimen, level),
        warnings=tuple(warnings),
        notes=tuple(notes),
        use_by_rules=rules,
        use_by_not_encoded=not_encoded,
    )


def plan_patient(
    book: RegimenBook,
    resolved: ResolvedRequest,
    request: PlanRequest,
    *,
    now: datetime | None = None,
    zone: tzinfo | None = None,
    weighed: tuple[Quantity, list[str], list[str]] | None = None,
    use_by_shown: bool = True,
    preparation: bool = True,
) -> Plan:
    """The per-patient part: weights, dose, rounding, vials, volumes, times. `weighed` is
    parse_weight's answer when the caller already has it (batch keeps one per weight).
    `use_by_shown` as for compute_plan. `preparation=False`: the caller shows the dose and
    the warnings only (a batch's columns), so no vials, infusion or use-by times are worked
    out (vials and infusion None); the notes and sources lack what they would add."""
    r = resolved
    zone = zone if zone is not None else clock.local_zone()
    weight, weight_warnings, weight_notes = weighed or parse_weight(request.weight, book)
    warnings, notes = [*weight_warnings, *r.warnings], [*weight_notes, *r.notes]
    effects: list[PolicyEffect] = []

    def effect(setting: str, value: str, what: str) -> None:
        effects.append(PolicyEffect(setting, value, r.policy_origins[setting], what))

    # Weight change and the weight the dose is calculated on
    cap = max_dose_for(r.regimen, weight)
    change = None
    if _given(request.baseline_weight):
        baseline, baseline_warnings = parse_baseline_weight(request.baseline_weight, book)
        warnings.extend(baseline_warnings)
        change = weight_change.assess(
            weight, baseline, r.policy.weight_change_pct, r.policy.dose_weight
        )
        if (
            change.used == BASELINE
            and cap is not None
            and dosing.dose_for(r.dose_rate, r.regimen.basis, change.baseline) > cap
        ):
            change = weight_change.to_current_for_cap(
                change, dosing.dose_text(r.regimen.max_dose.dose, r.regimen.basis)
            )
        if (warning := change.warning()) is not None:
            warnings.append(warning)
            effect(
                "weight_change_pct",
                policy.percent_text(change.threshold_pct),
                "the weight change reached the threshold: recalculate the dose",
            )
        if change.used == BASELINE:
            effect(
                "dose_weight",
                change.dose_weight,
                "the dose is calculated on the baseline weight, not today's",
            )
    elif r.policy.dose_weight == "baseline_until_threshold":
        notes.append(
            "dose_weight is baseline_until_threshold but no baseline weight was given: "
            "the dose is calculated on today's weight"
        )
    dosing_weight = change.weight_used if change is not None else weight
    ordered = dosing.dose_for(r.dose_rate, r.regimen.basis, dosing_weight)
    order = None
    if _given(request.dose):
        rounds = r.policy.round_to_vial_pct > 0 or r.policy.round_increment_mg > 0

        def planned_at(lv: Level | None) -> tuple[Quantity, str] | None:
            level = lv.level if lv is not None else request.level
            p = compute_plan(book, replace(request, dose=None, level=level), now=now, zone=zone)
            return (p.dose, p.rounding.reason) if p.rounding is not None else None

        order = ordered_dose(book, r, request, dosing_weight, planned_at if rounds else None)
        ordered = order.dose
        (warnings if order.verdict != MATCH else notes).append(order.message)
        notes.extend(order.notes)
        r = as_ordered(r, order)
    level, dose_rate = r.level, r.dose_rate
    next_level, next_step, reminders = r.next_level, r.next_step, r.reminders

    # Preparation time, and an opened multiple-dose vial to draw from first
    prepared_given = _given(request.prepared_at)
    if prepared_given:
        time_key: tuple[Any, ...] = ("prepared_at", request.prepared_at, zone)
    else:
        now = clock.now(zone) if now is None else now
        time_key = ("prepared_at", None, now, zone)
    prepared_at, time_notes = r.remember(
        time_key, lambda: preparation_time(request.prepared_at, now, zone)
    )
    if use_by_shown:
        notes.extend(time_notes)
    opened = None
    if _given(request.open_vial_mg) or _given(request.open_vial_date):
        opened = _open_vial(r, request, zone, prepared_at, ordered, notes)
        if not opened.usable:
            warnings.append(
                f"the opened {_mg_text(opened.vial.strength)} vial (opened "
                f"{opened.opened.isoformat(timespec='minutes')}) expired at "
                f"{opened.use_by.isoformat(timespec='minutes')}, before this preparation: "
                "discard it; this plan does not use it"
            )

    # Rounding (vial, then increment), never above the label maximum
    vial_pct = r.policy.round_to_vial_pct
    if r.vial_rounding_excluded and vial_pct > 0:
        effect(
            "round_to_vial_exclude",
            ", ".join(r.policy.round_to_vial_exclude),
            f"{r.molecule.name} is excluded from vial rounding: not vial-rounded",
        )
        vial_pct = Decimal(0)
    step = r.policy.round_increment_mg
    if order is not None:  # an order is prepared as written
        vial_pct, step = Decimal(0), Decimal(0)
        if r.policy.round_to_vial_pct > 0 or r.policy.round_increment_mg > 0:
            notes.append("the ordered dose is planned as written: no rounding policy is applied")
    outcome = rounding.apply_rounding(
        ordered,
        r.product.vials,
        vial_pct=vial_pct,
        increment=units.quantity(step, "mg") if step > 0 else None,
        max_pct=r.policy.rounding_max_pct,
        cap=cap,
        offset=opened.remainder if opened is not None and opened.usable else None,
    )
    notes.extend(outcome.notes)
    dose = outcome.dose
    done = outcome.rounding
    if done is not None:
        setting = "round_to_vial_pct" if done.method == "vial" else "round_increment_mg"
        value = (
            policy.percent_text(r.policy.round_to_vial_pct)
            if done.method == "vial"
            else _mg_text(done.increment)
        )
        effect(setting, value, f"{done.reason}: {_mg_text(done.ordered)} -> {_mg_text(done.final)}")
        if done.final > done.ordered:
            warnings.append(above_label_words(r, done, dosing_weight))
    if opened is not None:
        opened = multiple_dose.open_vial(
            r.product, opened.remainder, opened.opened, prepared_at, dose
        )

    # Vials, volumes, remainders kept, use-by times (None and none: `preparation` False)
    vial_plan = infusion = None
    remainders, use_by = (), ()
    if preparation or opened is not None:
        fresh = (dose - opened.drawn).to("mg") if opened is not None else dose
        if fresh.magnitude > 0:
            vial_plan = plan_vials(fresh, r.product.vials)
        else:
            vial_plan = VialPlan((), units.quantity(0, "mg"), units.quantity(0, "mg"))
        infusion = plan_infusion(
            dose, vial_plan, r.preparation, r.phase, r.which, concentration=r.concentration
        )
        remainders = multiple_dose.kept_remainders(vial_plan, prepared_at, opened)
        if vial_plan.leftover.magnitude > 0:
            notes.extend(
                f"in-use time of the opened {r.product.brand} {c.vial.strength:~P} "
                "multiple-dose vial is not encoded: check the current prescribing information"
                for c in vial_plan.counts
                if c.vial.multiple_dose and c.vial.in_use is None
            )
        if any(k.origin == multiple_dose.NEW for k in remainders) and any(
            not c.vial.multiple_dose for c in vial_plan.counts
        ):
            notes.append(
                "draw the single-dose vials empty first, so that what is left stays in "
                "the multiple-dose vial"
            )
        stages = STAGES if vial_plan.counts else ("diluted",)
        use_by = r.remember(
            (time_key, stages),
            lambda: preparation_times.use_by_times(r.use_by_rules, prepared_at, stages=stages),
        )
    # without plan_infusion, as it would find it: the loader makes a product's vials agree
    if (infusion.concentration if infusion is not None else r.concentration) is None:
        warnings.append(
            f"the concentration of {r.product.brand} after reconstitution is not encoded: the "
            "volume to withdraw, the total volume and the rate are not computed; check the "
            "current prescribing information, section 2"
        )

    next_level_dose = (
        dosing.dose_for(next_level.dose, r.regimen.basis, dosing_weight)
        if next_level is not None and r.regimen.basis == "per_kg"
        else None
    )
    sources = tuple(
        dict.fromkeys(
            s
            for s in (
                r.regimen.source,
                r.schedule.source,
                level.source if level is not None else r.phase.source,
                r.product.source,
                *(c.vial.source for c in (vial_plan.counts if vial_plan else ())),
                *(k.vial.source for k in remainders),
                r.preparation.source if r.preparation is not None else None,
                r.regimen.max_dose.source if done is not None and r.regimen.max_dose else None,
                book.policy.source if effects else None,
                *(u.source for u in use_by),
                (
                    r.storage.not_encoded.source
                    if r.storage is not None and r.storage.not_encoded is not None
                    else None
                ),
            )
            if s
        )
    )
    return Plan(
        request=request,
        molecule=r.molecule,
        product=r.product,
        regimen=r.regimen,
        schedule=r.schedule,
        phase=r.phase,
        level=level,
        dose_rate=dose_rate,
        weight=weight,
        dose=dose,
        vials=vial_plan,
        infusion=infusion,
        next_level=next_level,
        next_step=next_step,
        reminders=reminders,
        warnings=tuple(warnings),
        notes=tuple(notes),
        sources=sources,
        dosing_weight=dosing_weight,
        rounding=done,
        weight_change=change,
        no_benzyl_alcohol=r.no_benzyl_alcohol,
        open_vial=opened,
        remainders=remainders,
        prepared_at=prepared_at,
        prepared_at_given=prepared_given,
        use_by=use_by,
        use_by_not_encoded=r.use_by_not_encoded,
        policy_effects=tuple(effects),
        resolved=r,
        next_level_dose=next_level_dose,
        order=order,
    )


# -- helpers: flags, preparation time, baseline weight, cap, opened vial -------------------


def _given(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def parse_flag(value: str | bool | None, field: str) -> bool:
    """A yes/no value as typed: a CLI flag (bool) or a batch cell ('yes', 'true', '1', '')."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("", "0", "false", "no", "n", "off"):
        return False
    if text in ("1", "true", "yes", "y", "on"):
        return True
    raise InputError(field, f"{field} '{value}' must be yes or no (true/false, 1/0)")


def preparation_time(
    text: str | None, now: datetime | None, zone: tzinfo
) -> tuple[datetime, tuple[str, ...]]:
    """The time use-by times count from, and notes on how it was read: --prepared-at
    when given, else `now` (the clock when None), in `zone`."""
    if _given(text):
        prepared_at, notes = preparation_times.parse_local_time(text, "prepared_at", zone)
        return prepared_at, tuple(notes)
    prepared_at = clock.now(zone) if now is None else now.astimezone(zone)
    return prepared_at, (
        f"prepared_at not given: use-by times count from now, "
        f"{prepared_at.isoformat(timespec='minutes')} local time ({clock.zone_name(zone)}); "
        "give --prepared-at for the real time of reconstitution",
    )


def parse_baseline_weight(text: str, book: RegimenBook) -> tuple[Quantity, list[str]]:
    """Like parse_weight, with every message naming the baseline weight."""
    try:
        baseline, warnings, _ = parse_weight(text, book)
    except InputError as error:
        raise InputError("baseline_weight", f"baseline {error}") from None
    return baseline, [f"baseline {w}" for w in warnings]


def max_dose_for(regimen: Regimen, weight: Quantity) -> Quantity | None:
    """The label maximum in mg for this patient, on today's weight (None: no maximum)."""
    if regimen.max_dose is None:
        return None
    return dosing.dose_for(regimen.max_dose.dose, regimen.basis, weight)


def _excluded_molecules(book: RegimenBook, in_force: Policy) -> set[str]:
    excluded = set()
    for name in in_force.round_to_vial_exclude:
        try:
            molecule, _ = selection.resolve_drug(book, name)
        except InputError as error:
            raise InputError("round_to_vial_exclude", f"round_to_vial_exclude: {error}") from None
        excluded.add(molecule.id)
    return excluded


def _open_vial(
    r: ResolvedRequest,
    request: PlanRequest,
    zone: tzinfo,
    prepared_at: datetime,
    dose: Quantity,
    notes: list[str],
) -> OpenVial:
    if not (_given(request.open_vial_mg) and _given(request.open_vial_date)):
        missing = "open_vial_date" if _given(request.open_vial_mg) else "open_vial_mg"
        raise InputError(
            missing,
            "an opened vial needs both --open-vial-mg (what is left in "
            "it) and --open-vial-date (when it was reconstituted)",
        )
    if r.no_benzyl_alcohol:
        raise InputError(
            "open_vial_mg",
            "an opened multiple-dose vial was reconstituted with bacteriostatic water, which "
            "contains benzyl alcohol: it cannot be used with --no-benzyl-alcohol",
        )
    remainder = units.parse_quantity(
        str(request.open_vial_mg), "mass", "open_vial_mg", default_unit="mg"
    )
    opened_at, time_notes = preparation_times.parse_local_time(
        request.open_vial_date, "open_vial_date", zone, date_only_ok=True
    )
    notes.extend(time_notes)
    return multiple_dose.open_vial(r.product, remainder, opened_at, prepared_at, dose)


def _mg_text(q: Quantity) -> str:
    return rounding.mg(units.magnitude(q, "mg"))
