"""`her2dose check`: the independent double-check of an ordered or prepared dose.

Given a weight and a dose ("389 mg" or "5.4 mg/kg"), find the level it corresponds to
within a tolerance, and flag any dose above the label (the starting dose, the phase's dose,
or the label's maximum) even when it is inside the tolerance.

Doses typed in mg are compared with the label dose as her2dose prints it: a dose that
equals the printed figure (mg to 0.1, rounded half-up) is that dose, not "above" it. Doses
typed in mg/kg are compared exactly with the label's mg/kg.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from her2dose import units
from her2dose.commands import selection
from her2dose.commands.plan import parse_weight
from her2dose.core import dosing
from her2dose.errors import InputError
from her2dose.model import (
    Policy,
    Quantity,
    RegimenBook,
)
from her2dose.model.results import (
    ABOVE_LABEL_DOSE,
    ABOVE_MAXIMUM,
    MATCH,
    NO_MATCH,
    CheckRequest,
    Comparison,
    DoseCheck,
    OverLabel,
)

# render prints mg to 0.1 (render.PLACES["mg"]); any printed figure is within half of that
# of the exact dose, so that much above the exact dose is still "the printed dose".
PRINTED_MG = Decimal("0.1")
PRINTED_ALLOWANCE_MG = PRINTED_MG / 2


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


def _percent(part: Quantity, whole: Quantity) -> Decimal:
    return part.m_as("mg") / whole.m_as("mg") * 100


def compute_check(book: RegimenBook, request: CheckRequest) -> DoseCheck:
    chosen = selection.select(
        book,
        request.drug,
        indication=request.indication,
        schedule=request.schedule,
        phase=request.phase,
        level=request.level,
        product_mode=selection.SKIP,
        level_mode=selection.LEVEL_OPTIONAL,
    )
    molecule, regimen, wanted = chosen.molecule, chosen.regimen, chosen.level_given
    schedule, phase = chosen.schedule, chosen.phase
    assert schedule is not None and phase is not None
    weight, warnings, notes = parse_weight(request.weight, book)
    ordered, per_kg_input = parse_dose(request.dose)
    tolerance, tolerance_from = parse_tolerance(request.tolerance, book.policy)

    if regimen.levels:
        if wanted is None:
            targets, scope = regimen.levels, "all-levels"
        else:
            targets, scope = (dosing.select_level(regimen, wanted),), "level"
        candidates = [(lv, lv.name, lv.dose, lv.source) for lv in targets]
        top_rate, top_what, top_source = (
            regimen.levels[0].dose,
            "the starting dose",
            regimen.levels[0].source,
        )
    else:
        dosing.select_level(regimen, wanted)  # any --level but 0 is an error that says why
        candidates = [(None, f"{phase.name} dose ({schedule.name})", phase.dose, phase.source)]
        scope = "phase"
        top_rate, top_what, top_source = phase.dose, f"the labelled {phase.name} dose", phase.source

    ordered_mg = (ordered * weight).to("mg") if per_kg_input else ordered.to("mg")
    ordered_rate = ordered.to("mg/kg") if per_kg_input else (ordered / weight).to("mg/kg")
    allowance = units.quantity(0 if per_kg_input else PRINTED_ALLOWANCE_MG, "mg")

    comparisons = []
    for lv, name, rate, source in candidates:
        label_mg = dosing.dose_for(rate, regimen.basis, weight)
        difference = ordered_mg - label_mg
        reach = max(label_mg * tolerance / 100, allowance)
        comparisons.append(
            Comparison(
                level=lv,
                name=name,
                label_rate=rate,
                label_dose=label_mg,
                difference=difference,
                difference_pct=_percent(difference, label_mg),
                within_tolerance=abs(difference) <= reach,
                source=source,
            )
        )
    # Nearest by percent; on a tie the lower dose, the safer reading.
    nearest = min(comparisons, key=lambda c: (abs(c.difference_pct), c.label_dose))

    over = None
    limits = []
    if regimen.max_dose is not None:
        limits.append(
            ("maximum", "the label's maximum", regimen.max_dose.dose, regimen.max_dose.source)
        )
    limits.append(("label-dose", top_what, top_rate, top_source))
    for kind, what, rate, source in limits:
        limit_mg = dosing.dose_for(rate, regimen.basis, weight)
        excess = ordered_mg - limit_mg
        if excess > allowance:
            over = OverLabel(kind, what, rate, limit_mg, excess, _percent(excess, limit_mg), source)
            break

    if over is not None:
        verdict = ABOVE_MAXIMUM if over.kind == "maximum" else ABOVE_LABEL_DOSE
    else:
        verdict = MATCH if nearest.within_tolerance else NO_MATCH
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
        comparisons=tuple(comparisons),
        nearest=nearest,
        over_label=over,
        maximum=regimen.max_dose,
        verdict=verdict,
        warnings=tuple(warnings),
        notes=tuple(notes),
    )
