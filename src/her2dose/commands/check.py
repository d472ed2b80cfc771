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
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import attrgetter

from her2dose import units
from her2dose.commands import selection
from her2dose.commands.plan import (  # noqa: F401 - parse_dose re-exported
    beside_request,
    compute_plan,
    parse_dose,
    parse_weight,
)
from her2dose.commands.planner import Memo, Planner
from her2dose.core import dosing
from her2dose.core.dose_check import (
    LabelDose,
    LabelLimit,
    candidates_at,
    decide,
    label_doses,
    label_limits,
    limits_at,
)
from her2dose.errors import InputError
from her2dose.model import Policy, Product, Quantity, RegimenBook
from her2dose.model.plan import Plan, PlanRequest
from her2dose.model.records import replace
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


# CheckRequest fields that `setup_check` reads: everything but the patient's weight, the
# ordered dose and the tolerance (a percent parsed on every row, so that its error comes
# after the weight's and the dose's, as it always has).
SETUP_FIELDS = ("drug", "indication", "product", "level", "schedule", "phase")


@dataclass(frozen=True, slots=True, eq=False)
class CheckSetup:
    """The part of a check that depends only on the combination: the regimen, schedule and
    phase chosen, the label doses and limits (rates, before any weight), and the product
    whose plans the active rounding policy makes (None: nothing is rounded)."""

    chosen: selection.Selection
    doses: tuple[LabelDose, ...]
    scope: str
    limits: tuple[LabelLimit, ...]
    rounding_product: Product | None
    notes: tuple[str, ...]


def compute_check(book: RegimenBook, request: CheckRequest) -> DoseCheck:
    return check_patient(book, setup_check(book, request), request)


def setup_check(book: RegimenBook, request: CheckRequest) -> CheckSetup:
    chosen = selection.select_for(
        book,
        request,
        product_mode=selection.IF_GIVEN,
        level_mode=selection.LEVEL_OPTIONAL,
    )
    regimen, schedule, phase = chosen.regimen, chosen.schedule, chosen.phase
    assert schedule is not None and phase is not None
    # select_for has refused any level that label_doses would refuse
    doses, scope = label_doses(regimen, schedule, phase, chosen.level_given)
    product, notes = _rounding_product(book, chosen)
    return CheckSetup(chosen, doses, scope, label_limits(regimen, phase), product, notes)


def check_patient(
    book: RegimenBook,
    setup: CheckSetup,
    request: CheckRequest,
    *,
    weighed: tuple[Quantity, list[str], list[str]] | None = None,
    dosed: tuple[Quantity, bool] | None = None,
    plan: Callable[[PlanRequest], Plan] | None = None,
) -> DoseCheck:
    """The per-patient part: the order in mg against the label doses for this weight.
    `weighed` and `dosed` are parse_weight's and parse_dose's answers when the caller
    already has them; `plan` plans a request (compute_plan on `book` when None)."""
    chosen = setup.chosen
    molecule, regimen = chosen.molecule, chosen.regimen
    schedule, phase = chosen.schedule, chosen.phase
    assert schedule is not None and phase is not None
    weight, warnings, weight_notes = weighed or parse_weight(request.weight, book)
    ordered, per_kg_input = dosed or parse_dose(request.dose)
    tolerance, tolerance_from = parse_tolerance(request.tolerance, book.policy)
    if per_kg_input:  # exactly as a label level is dosed
        ordered_mg = dosing.dose_for(ordered, "per_kg", weight)
        ordered_rate = units.quantity(units.magnitude(ordered, "mg/kg"), "mg/kg")
    else:
        mg = units.magnitude(ordered, "mg")
        # an order typed in mg is its own figure in mg (a Quantity is never changed in place)
        ordered_mg = ordered if mg == ordered.magnitude else units.quantity(mg, "mg")
        ordered_rate = _per_kg(ordered_mg, weight)
    candidates = candidates_at(setup.doses, regimen.basis, weight)
    if setup.rounding_product is not None:
        planned = plan or (lambda r: compute_plan(book, r, use_by_shown=False))
        for i, c in enumerate(candidates):
            level = c.level
            at = planned(
                beside_request(
                    request,
                    regimen.indication,
                    product=setup.rounding_product.id,
                    level=level.level if level is not None else None,
                    phase=phase.name if level is None else None,
                    schedule=schedule.name if level is None else None,
                    infusion="first",
                    prepared_at=_NOON,
                )
            )
            if at.rounding is not None:
                candidates[i] = replace(c, planned_mg=at.dose, planned_by=at.rounding.reason)
    limits = limits_at(setup.limits, regimen.basis, weight, candidates)
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
        scope=setup.scope,
        comparisons=comparisons,
        nearest=decided.nearest,
        over_label=decided.over_label,
        maximum=regimen.max_dose,
        verdict=decided.verdict,
        warnings=tuple(warnings),
        notes=(*weight_notes, *setup.notes, *decided.notes),
        precision_mg=precision,
        covered=decided.covered,
        message=decided.message,
    )


# in magnitudes (Pint's factors, found once): this runs once per batch row
@units.computes(returns="mg/kg", dose="mg", weight="kg")
def _per_kg(dose: Decimal, weight: Decimal) -> Decimal:
    return dose / weight


def _rounding_product(
    book: RegimenBook, chosen: selection.Selection
) -> tuple[Product | None, tuple[str, ...]]:
    """When the active policy rounds doses: the product whose vials it rounds to, so that
    a dose the policy produced is recognised. None when nothing rounds, or when no product
    was named and the drug has several (a note says so)."""
    policy = book.policy
    if policy.round_to_vial_pct <= 0 and policy.round_increment_mg <= 0:
        return None, ()
    product = chosen.product or chosen.named_product
    products = book.products_of(chosen.molecule.id)
    if product is None and len(products) != 1:
        return None, (
            "the active rounding policy depends on the product's vials, and no product was "
            "named: a rounded dose is compared with the label dose only",
        )
    return product or products[0], ()


class Checker:
    """compute_check for many orders on one book: each distinct setup_check (on the values
    of SETUP_FIELDS), weight text and dose text worked out once, and the plans a rounding
    policy needs made by one Planner. Checks are exactly compute_check's, as they are made
    by the same functions."""

    def __init__(self, book: RegimenBook, max_entries: int = 4096) -> None:
        self.book = book
        self.planner = Planner(book, max_entries, use_by_shown=False)
        self._setup_key = attrgetter(*SETUP_FIELDS)
        self._setups = Memo(max_entries)
        self._weights = Memo(max_entries)
        self._doses = Memo(max_entries)

    def check(self, request: CheckRequest) -> tuple[CheckSetup, DoseCheck]:
        """The check, and the setup it was made on (shared by the combination's rows)."""
        book = self.book
        setup = self._setups.get(self._setup_key(request), lambda: setup_check(book, request))
        weighed = self._weights.get(request.weight, lambda: parse_weight(request.weight, book))
        dosed = self._doses.get(request.dose, lambda: parse_dose(request.dose))
        result = check_patient(
            book, setup, request, weighed=weighed, dosed=dosed, plan=self.planner.plan
        )
        return setup, result


# Use-by times play no part in a check; a fixed time keeps the plan free of the clock.
_NOON = "2000-01-01 12:00"
