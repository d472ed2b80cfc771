"""An ordered dose (`plan --dose`): parsed, checked with check's rule, planned as written;
and the words for a rounding that raised a dose above the label."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from her2dose import units
from her2dose.core import dosing, rounding
from her2dose.errors import InputError
from her2dose.model import Level, Quantity, RegimenBook
from her2dose.model.plan import MATCH, OrderedDose, PlanRequest, ResolvedRequest, Rounding
from her2dose.model.records import replace

# The plan's dose at a level under the policy in force, and the rounding in words; None
# when that plan is not rounded.
PlannedAt = Callable[[Level | None], tuple[Quantity, str] | None]


def _mg_text(q: Quantity) -> str:
    return rounding.mg(units.magnitude(q, "mg"))


def above_label_words(r: ResolvedRequest, done: Rounding, weight: Quantity) -> str:
    """A rounding that raised the dose above the label dose, said with both figures."""
    label = dosing.dose_text(r.dose_rate, r.regimen.basis)
    if r.regimen.basis == "per_kg":
        per_kg = units.magnitude(done.final, "mg") / units.magnitude(weight, "kg")
        shown = per_kg.quantize(Decimal("0.01"), ROUND_HALF_UP).normalize()
        given = f"{_mg_text(done.final)} ({shown:f} mg/kg)"
    else:
        given = _mg_text(done.final)
    setting = "round_to_vial_pct" if done.method == "vial" else "round_increment_mg"
    return (
        f"{setting} raised the dose above the label dose: {given} instead of {label} = "
        f"{_mg_text(done.ordered)} (+{_mg_text(done.final - done.ordered)}); the policy allows "
        "it: confirm it with the prescriber's order"
    )


def parse_dose(text: str | None) -> tuple[Quantity, bool]:
    """'389 mg' -> (mass, False); '5.4 mg/kg' -> (dose per kg, True). A unit is required."""
    raw = "" if text is None else str(text)
    if not raw.strip():
        raise InputError("dose", "dose is required, e.g. '389 mg' or '5.4 mg/kg'")
    if units.is_bare_number(raw):
        raise InputError(
            "dose",
            f"dose '{raw}' has no unit: write it in mg ('{raw.strip()} mg') or mg/kg "
            f"('{raw.strip()} mg/kg')",
        )
    try:
        dose, per_kg = units.parse_quantity(raw, "mass", "dose"), False
    except InputError:
        try:
            dose, per_kg = units.parse_quantity(raw, "dose_per_mass", "dose"), True
        except InputError:
            raise InputError(
                "dose",
                f"dose '{raw}' must be a mass such as '389 mg' or a dose per body weight "
                "such as '5.4 mg/kg'",
            ) from None
    if dose.magnitude <= 0:
        raise InputError("dose", f"dose '{raw}' must be more than zero")
    return dose, per_kg


def ordered_dose(
    book: RegimenBook,
    r: ResolvedRequest,
    request: PlanRequest,
    weight: Quantity,
    planned_at: PlannedAt | None = None,
) -> OrderedDose:
    """An order to plan as written, with check's verdict on it (the same rule, core's).
    Above a label maximum it is refused with the figures."""
    from her2dose.core import dose_check  # only for an order: not on every plan's start

    given, per_kg = parse_dose(request.dose)
    if per_kg:  # exactly as a label level is dosed
        mg, rate = dosing.dose_for(given, "per_kg", weight), given.to("mg/kg")
    else:
        mg = units.quantity(units.magnitude(given, "mg"), "mg")
        # shown as check shows it, to 0.001 mg/kg; the mg ordered are what is planned
        per = units.magnitude(mg, "mg") / units.magnitude(weight, "kg")
        rate = units.quantity(per.quantize(Decimal("0.001"), ROUND_HALF_UP), "mg/kg")
    wanted = dosing.parse_level(request.level)
    candidates, _ = dose_check.candidates_for(r.regimen, r.schedule, r.phase, wanted, weight)
    if planned_at is not None:  # a rounding policy is active: its own doses are recognised
        for i, c in enumerate(candidates):
            hit = planned_at(c.level)
            if hit is not None:
                candidates[i] = replace(c, planned_mg=hit[0], planned_by=hit[1])
    limits = dose_check.limits_for(r.regimen, r.phase, weight)
    precision = book.policy.order_precision_mg
    _, decided = dose_check.decide(
        mg, candidates, limits, book.policy.dose_tolerance_pct, precision
    )
    over, nearest = decided.over_label, decided.nearest
    typed = str(request.dose).strip()
    if over is not None and over.kind == "maximum":
        raise InputError(
            "dose",
            f"dose '{typed}' ({dose_check.mg_text(mg)} for {_kg_text(weight)}) is above the "
            f"label's maximum, {dosing.dose_text(over.limit_rate, r.regimen.basis)} = "
            f"{dose_check.mg_text(over.limit_dose)} (+{dose_check.mg_text(over.difference)}; "
            f"{over.source}): not planned",
        )
    message = decided.message or dose_check.verdict_words(
        decided.verdict, mg, nearest, over, book.policy.dose_tolerance_pct, r.regimen.basis
    )
    return OrderedDose(
        text=typed,
        per_kg=per_kg,
        dose=mg,
        rate=rate,
        verdict=decided.verdict,
        level=nearest.level if decided.verdict == MATCH else None,
        label_dose=nearest.label_dose,
        difference=nearest.difference,
        difference_pct=nearest.difference_pct,
        pct_places=nearest.pct_places,
        message=f"ordered dose {typed}: {message}",
        notes=decided.notes,
    )


def as_ordered(r: ResolvedRequest, order: OrderedDose) -> ResolvedRequest:
    """The combination as the order makes it: the level it matches (none when it matches
    no single level), the ordered rate, and what follows that level."""
    rate = order.rate if r.regimen.basis == "per_kg" else order.dose
    if not r.regimen.levels:
        return replace(r, dose_rate=rate)
    level = order.level
    reminders = dosing.with_no_re_escalation(r.reminders, r.molecule, level)
    return replace(
        r,
        level=level,
        dose_rate=rate,
        next_level=dosing.level_after(r.regimen, level),
        next_step=dosing.next_step(r.regimen, level),
        reminders=reminders,
    )


def _kg_text(q: Quantity) -> str:
    return f"{units.magnitude(q, 'kg').normalize():f} kg"
