"""The double-check rule (`her2dose check`): how an ordered dose compares with the label.

One basis for every figure: the difference, the percent, "within tolerance" and "above the
label" all come from the exact label dose in mg for this weight (never from a printed,
rounded figure), and each percent carries the number of decimal places that shows it on
the same side of the threshold as the decision.

Ordering precision ([policy] order_precision_mg, P): an order is written to P (1 mg: the
whole mg), so a dose within P/2 of a label figure is that figure (389 mg for 388.8 mg;
260 mg is not 259.2 mg). "Above the label" is above the regimen's highest label dose by
more than P/2.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from her2dose import units
from her2dose.core import dosing
from her2dose.model import Level, Phase, Quantity, Regimen, Schedule
from her2dose.model.records import record
from her2dose.model.results import (
    ABOVE_LABEL_DOSE,
    ABOVE_MAXIMUM,
    AMBIGUOUS,
    MATCH,
    NO_MATCH,
    Comparison,
    OverLabel,
)


@record
class Candidate:
    """A label dose to compare with: a level, or a phase of a regimen without levels."""

    level: Level | None
    name: str
    rate: Quantity  # mg/kg or flat mg
    label_mg: Quantity  # exact, for this weight
    source: str
    planned_mg: Quantity | None = None  # the plan's dose at this level, under the policy
    planned_by: str | None = None  # the rounding that made planned_mg, in words


@record
class Limit:
    kind: str  # "maximum" or "label-dose"
    what: str
    rate: Quantity
    limit_mg: Quantity
    source: str


@record
class Verdict:
    verdict: str
    nearest: Comparison
    over_label: OverLabel | None
    covered: tuple[Comparison, ...]  # every comparison within tolerance
    notes: tuple[str, ...]
    message: str | None  # when the usual "matches level ..." would not say it


@record
class LabelDose:
    """A label dose before any weight: what a Candidate is made of for each patient."""

    level: Level | None
    name: str
    rate: Quantity  # mg/kg or flat mg
    source: str


@record
class LabelLimit:
    """What "above the label" is measured against, before any weight."""

    kind: str  # "maximum" or "label-dose"
    what: str
    rate: Quantity
    source: str


def label_doses(
    regimen: Regimen, schedule: Schedule, phase: Phase, wanted: int | None
) -> tuple[tuple[LabelDose, ...], str]:
    """The label doses an order is compared with, and the scope: every level (none chosen),
    one level, or the phase of a regimen dosed by phase. The same for every patient."""
    if regimen.levels:
        targets: tuple[Level, ...] = regimen.levels
        scope = "all-levels"
        if wanted is not None:
            chosen = dosing.select_level(regimen, wanted)
            assert chosen is not None  # a regimen with levels always gives one
            targets, scope = (chosen,), "level"
        return tuple(LabelDose(lv, lv.name, lv.dose, lv.source) for lv in targets), scope
    dosing.select_level(regimen, wanted)  # any --level but 0 is an error that says why
    name = f"{phase.name} dose ({schedule.name})"
    return (LabelDose(None, name, phase.dose, phase.source),), "phase"


def candidates_at(doses: tuple[LabelDose, ...], basis: str, weight: Quantity) -> list[Candidate]:
    """The label doses in mg for this weight, by the plan's dose rule."""
    return [
        Candidate(d.level, d.name, d.rate, dosing.dose_for(d.rate, basis, weight), d.source)
        for d in doses
    ]


def candidates_for(
    regimen: Regimen, schedule: Schedule, phase: Phase, wanted: int | None, weight: Quantity
) -> tuple[list[Candidate], str]:
    """label_doses, in mg for this weight."""
    doses, scope = label_doses(regimen, schedule, phase, wanted)
    return candidates_at(doses, regimen.basis, weight), scope


def label_limits(regimen: Regimen, phase: Phase) -> tuple[LabelLimit, ...]:
    """What "above the label" is measured against: the label's maximum, if it states one,
    then the highest label dose (the starting dose, or the phase's dose)."""
    limits = []
    if regimen.max_dose is not None:
        limits.append(
            LabelLimit(
                "maximum", "the label's maximum", regimen.max_dose.dose, regimen.max_dose.source
            )
        )
    if regimen.levels:
        top, what, source = regimen.levels[0].dose, "the starting dose", regimen.levels[0].source
    else:
        top, what, source = phase.dose, f"the labelled {phase.name} dose", phase.source
    limits.append(LabelLimit("label-dose", what, top, source))
    return tuple(limits)


def limits_at(
    limits: tuple[LabelLimit, ...],
    basis: str,
    weight: Quantity,
    candidates: list[Candidate] | None = None,
) -> list[Limit]:
    """The limits in mg for this weight, by the plan's dose rule. A limit at the very rate
    of one of `candidates` (the starting dose is both) takes that candidate's mg."""
    out = []
    for m in limits:
        mg = next((c.label_mg for c in candidates or () if c.rate is m.rate), None)
        if mg is None:
            mg = dosing.dose_for(m.rate, basis, weight)
        out.append(Limit(m.kind, m.what, m.rate, mg, m.source))
    return out


def limits_for(regimen: Regimen, phase: Phase, weight: Quantity) -> list[Limit]:
    """label_limits, in mg for this weight."""
    return limits_at(label_limits(regimen, phase), regimen.basis, weight)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def decisive_places(value: Decimal, threshold: Decimal, *, minimum: int = 1) -> int:
    """The fewest decimal places (from `minimum`) at which `value`, rounded half-up, is on
    the same side of `threshold` (above, or at-or-below) as the exact value."""
    # No cap on the places: a weight in lb has eight decimals in kg, and 361.7 mg for
    # 172.6 lb at 4.4 mg/kg is +5.0000003%, which a cap of six printed "+5%" beside "no".
    # The loop ends: at as many places as `value` has, rounding leaves it as it is.
    above = value > threshold
    places = minimum
    while (_round(value, places) > threshold) != above:
        places += 1
    return places


# in magnitudes (Pint's factors, found once): these run for every label dose of a batch row
@units.computes(part="mg", whole="mg")
def percent(part: Decimal, whole: Decimal) -> Decimal:
    return part / whole * 100


@units.computes(ordered="mg", label="mg")
def _difference(ordered: Decimal, label: Decimal) -> tuple[Decimal, Decimal]:
    """ordered - label, in mg and as a percent of label."""
    difference = ordered - label
    return difference, difference / label * 100


def mg_text(q: Quantity, places: int = 1) -> str:
    return f"{_round(units.magnitude(q, 'mg'), places).normalize():f} mg"


def compare(
    ordered_mg: Quantity, c: Candidate, tolerance_pct: Decimal, precision_mg: Decimal
) -> Comparison:
    return _compared(units.magnitude(ordered_mg, "mg"), c, tolerance_pct, precision_mg / 2)


def _compared(ordered: Decimal, c: Candidate, tolerance_pct: Decimal, half: Decimal) -> Comparison:
    """compare, on the order in mg and half the ordering precision."""
    label = units.magnitude(c.label_mg, "mg")
    difference = ordered - label
    pct = difference / label * 100
    within_precision = abs(difference) <= half
    within = within_precision or abs(pct) <= tolerance_pct
    places = 1 if within_precision else decisive_places(abs(pct), tolerance_pct)
    return Comparison(
        level=c.level,
        name=c.name,
        label_rate=c.rate,
        label_dose=c.label_mg,
        difference=units.quantity(difference, "mg"),
        difference_pct=pct,
        within_tolerance=within,
        source=c.source,
        within_precision=within_precision,
        pct_places=places,
    )


def _what(c: Comparison) -> str:
    return f"level {c.level.level} ({c.name})" if c.level is not None else f"the {c.name}"


def decide(
    ordered_mg: Quantity,
    candidates: list[Candidate],
    limits: list[Limit],
    tolerance_pct: Decimal,
    precision_mg: Decimal,
) -> tuple[tuple[Comparison, ...], Verdict]:
    """Compare with every candidate and give the one verdict."""
    half = precision_mg / 2
    ordered = units.magnitude(ordered_mg, "mg")
    comparisons = tuple([_compared(ordered, c, tolerance_pct, half) for c in candidates])
    notes: list[str] = []
    # Nearest by percent; on a tie the lower dose, the safer reading.
    nearest = min(comparisons, key=lambda c: (abs(c.difference_pct), c.label_dose))

    planned = [
        (cand, comp)
        for cand, comp in zip(candidates, comparisons, strict=True)
        if cand.planned_mg is not None
        and cand.planned_mg != cand.label_mg
        and abs(ordered - units.magnitude(cand.planned_mg, "mg")) <= half
    ]
    for cand, comp in planned:
        assert cand.planned_mg is not None
        notes.append(
            f"{mg_text(ordered_mg)} is the dose the active rounding policy plans at "
            f"{_what(comp)}: {cand.planned_by}, {mg_text(cand.label_mg)} -> "
            f"{mg_text(cand.planned_mg)}"
        )

    over = None
    for limit in limits:
        excess, pct = _difference(ordered_mg, limit.limit_mg)
        if excess > half:
            over = OverLabel(
                limit.kind,
                limit.what,
                limit.rate,
                limit.limit_mg,
                units.quantity(excess, "mg"),
                pct,
                limit.source,
            )
            break
    if over is not None and planned:
        notes.append(
            f"it is above {over.what} ({mg_text(over.limit_dose)}) by "
            f"{mg_text(over.difference)}, as the active rounding policy allows"
        )
        over = None

    covered = tuple(c for c in comparisons if c.within_tolerance)
    precise = [c for c in comparisons if c.within_precision]
    message = None
    if over is not None:
        verdict = ABOVE_MAXIMUM if over.kind == "maximum" else ABOVE_LABEL_DOSE
    elif len(planned) > 1:  # the policy rounds two levels to this one dose
        verdict = AMBIGUOUS
        listing = " and ".join(_what(comp) for _, comp in planned)
        message = (
            f"AMBIGUOUS: {mg_text(ordered_mg)} is the dose the active rounding policy plans "
            f"at {listing}; the dose does not say which level is meant: check the order"
        )
    elif planned:
        verdict, nearest = MATCH, planned[0][1]
        message = (
            f"matches {_what(nearest)} as planned under the active rounding policy: "
            f"{planned[0][0].planned_by}"
        )
    elif len(precise) > 1:  # as near to two levels as orders are written: fail closed
        verdict = AMBIGUOUS
        listing = " and ".join(f"{_what(c)} ({mg_text(c.label_dose)})" for c in precise)
        message = (
            f"AMBIGUOUS: {mg_text(ordered_mg)} is within half the ordering precision "
            f"({precision_mg.normalize():f} mg) of {listing}; the dose does not say which "
            "level is meant: check the order"
        )
    elif precise:
        verdict, nearest = MATCH, precise[0]
        others = [c for c in covered if c is not nearest]
        if others:
            notes.append(
                f"the tolerance also covers {', '.join(_what(c) for c in others)}; the dose "
                f"is {_what(nearest)} to the ordering precision ({precision_mg.normalize():f} mg)"
            )
    elif len(covered) > 1:
        verdict = AMBIGUOUS
        listing = " and ".join(
            f"{_what(c)} ({mg_text(c.label_dose)}, {_signed_pct(c)})" for c in covered
        )
        message = (
            f"AMBIGUOUS: the tolerance of {tolerance_pct.normalize():f}% covers {listing}; "
            "the dose matches no single level: check the order"
        )
    elif covered:
        verdict, nearest = MATCH, covered[0]
    else:
        verdict = NO_MATCH
    if (
        verdict == MATCH
        and not planned
        and units.magnitude(nearest.difference, "mg") > half
        and nearest.level is not None
        and nearest.level.level < 0
    ):
        notes.append(
            f"{mg_text(ordered_mg)} is {mg_text(nearest.difference)} ({_signed_pct(nearest)}) "
            f"above {_what(nearest)}, {mg_text(nearest.label_dose)}: within the tolerance, "
            "but above the reduced dose"
        )
    return comparisons, Verdict(verdict, nearest, over, covered, tuple(notes), message)


def _signed_pct(c: Comparison) -> str:
    value = _round(c.difference_pct, c.pct_places).normalize()
    return f"{'+' if value > 0 else ''}{value:f}%"


def verdict_words(
    verdict: str,
    ordered_mg: Quantity,
    nearest: Comparison,
    over: OverLabel | None,
    tolerance_pct: Decimal,
    basis: str,
) -> str:
    """The verdict in one sentence, with the figures it rests on."""
    tolerance = f"{tolerance_pct.normalize():f}%"
    if over is not None:
        pct = _round(over.difference_pct, 1).normalize()
        return (
            f"ABOVE THE LABEL: {mg_text(ordered_mg)} is {mg_text(over.difference)} (+{pct:f}%) "
            f"above {over.what}, {dosing.dose_text(over.limit_rate, basis)} = "
            f"{mg_text(over.limit_dose)} ({over.source})"
        )
    where = (
        f"{dosing.dose_text(nearest.label_rate, basis)} = {mg_text(nearest.label_dose)}: "
        f"{'+' if nearest.difference.magnitude > 0 else ''}{mg_text(nearest.difference)}, "
        f"{_signed_pct(nearest)}"
    )
    if verdict == MATCH:
        return f"matches {_what(nearest)} within {tolerance}: {where}"
    return f"matches no level within {tolerance}; nearest is {_what(nearest)}, {where}"
