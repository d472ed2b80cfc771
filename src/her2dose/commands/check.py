"""`her2dose check`: the independent double-check of an ordered or prepared dose.

Given a weight and a dose ("389 mg" or "5.4 mg/kg"), find the level it corresponds to
within a tolerance, and flag any dose above the label (the starting dose, the phase's dose,
or the label's maximum) even when it is inside the tolerance.

The rule is core.dose_check's: one basis (the exact label dose in mg) for every figure,
and an order within half the ordering precision ([policy] order_precision_mg) of a label
figure is that figure. A dose the active rounding policy produces is recognised as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from her2dose.commands import selection
from her2dose.commands.plan import (  # noqa: F401 - parse_dose re-exported
    parse_dose,
    parse_weight,
    plan_beside,
)
from her2dose.core.dose_check import candidates_for, decide, limits_for
from her2dose.errors import InputError
from her2dose.model import Level, Policy, Quantity, RegimenBook
from her2dose.model.results import CheckRequest, DoseCheck

# render prints mg to 0.1 (render.PLACES["mg"]): the ordering precision when the regimens
# file states none ([policy] order_precision_mg), so a printed figure is that dose.
PRINTED_MG = Decimal("0.1")


def parse_tolerance(text: str | None, policy: Policy) -> tuple[Decimal, str]:
    if text is None:
        return policy.dose_tolerance_pct, "policy"
    try:
        value = Decimal(str(text).strip().removesuffix("%").strip())
    except InvalidOperation:
        raise InputError("tolerance", f"--tolerance '{text}' is not a percent, e.g. '5'") from None
    if not value.is_finite() or value < 0 or value >= 100:
        raise InputError("tolerance", f"--tolerance '{text}' must be from 0 to below 100 (percent)")
    return value, "--tolerance"


def compute_check(book: RegimenBook, request: CheckRequest) -> DoseCheck:
    chosen = selection.select_for(
        book,
        request,
        product_mode=selection.IF_GIVEN,
        level_mode=selection.LEVEL_OPTIONAL,
    )
    weight, warnings, notes = parse_weight(request.weight, book)
    ordered, per_kg_input = parse_dose(request.dose)
    tolerance, tolerance_from = parse_tolerance(request.tolerance, book.policy)
    return check_dose(
        book,
        request,
        chosen,
        weight=weight,
        ordered=ordered,
        per_kg_input=per_kg_input,
        tolerance=tolerance,
        tolerance_from=tolerance_from,
        warnings=warnings,
        notes=notes,
        wanted=chosen.level_given,
    )


def check_dose(
    book: RegimenBook,
    request: CheckRequest,
    chosen: selection.Selection,
    *,
    weight: Quantity,
    ordered: Quantity,
    per_kg_input: bool,
    tolerance: Decimal,
    tolerance_from: str,
    warnings: list[str],
    notes: list[str],
    wanted: int | None,
) -> DoseCheck:
    """The check of a parsed order against the chosen regimen (also `plan --dose`'s)."""
    molecule, regimen = chosen.molecule, chosen.regimen
    schedule, phase = chosen.schedule, chosen.phase
    assert schedule is not None and phase is not None
    ordered_mg = (ordered * weight).to("mg") if per_kg_input else ordered.to("mg")
    ordered_rate = ordered.to("mg/kg") if per_kg_input else (ordered / weight).to("mg/kg")
    candidates, scope = candidates_for(regimen, schedule, phase, wanted, weight)
    planner = _policy_planner(book, request, chosen, notes)
    if planner is not None:
        for i, c in enumerate(candidates):
            planned = planner(c.level, phase.name, schedule.name)
            if planned is not None:
                candidates[i] = replace(c, planned_mg=planned[0], planned_by=planned[1])
    limits = limits_for(regimen, phase, weight)
    precision = book.policy.order_precision_mg
    comparisons, decided = decide(ordered_mg, candidates, limits, tolerance, precision)
    return DoseCheck(
        request=request,
        molecule=molecule,
        regimen=regimen,
        schedule=schedule,
        phase=phase,
        weight=weight,
        per_kg_input=per_kg_input,
        ordered=ordered,
        ordered_mg=ordered_mg,
        ordered_rate=ordered_rate,
        tolerance_pct=tolerance,
        tolerance_from=tolerance_from,
        scope=scope,
        comparisons=comparisons,
        nearest=decided.nearest,
        over_label=decided.over_label,
        maximum=regimen.max_dose,
        verdict=decided.verdict,
        warnings=tuple(warnings),
        notes=(*notes, *decided.notes),
        precision_mg=precision,
        covered=decided.covered,
        message=decided.message,
    )


def _policy_planner(
    book: RegimenBook, request: CheckRequest, chosen: selection.Selection, notes: list[str]
) -> Callable[[Level | None, str, str], tuple[Quantity, str] | None] | None:
    """When the active policy rounds doses: the plan's dose at a level (and the rounding
    in words), so that a dose the policy produced is recognised. None when nothing rounds."""
    policy = book.policy
    if policy.round_to_vial_pct <= 0 and policy.round_increment_mg <= 0:
        return None
    product = chosen.product or chosen.named_product
    products = book.products_of(chosen.molecule.id)
    if product is None and len(products) != 1:
        notes.append(
            "the active rounding policy depends on the product's vials, and no product was "
            "named: a rounded dose is compared with the label dose only"
        )
        return None
    product = product or products[0]

    def planned(level: Level | None, phase: str, schedule: str) -> tuple[Quantity, str] | None:
        plan = plan_beside(
            book,
            request,
            chosen.regimen.indication,
            product=product.id,
            level=level.level if level is not None else None,
            phase=phase if level is None else None,
            schedule=schedule if level is None else None,
            infusion="first",
            prepared_at=_NOON,
        )
        if plan.rounding is None:
            return None
        return plan.dose, plan.rounding.reason

    return planned


# Use-by times play no part in a check; a fixed time keeps the plan free of the clock.
_NOON = "2000-01-01 12:00"
