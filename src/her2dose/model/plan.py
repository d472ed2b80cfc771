"""Records of a plan: vials, reconstitution, infusion, rounding, weight change, and the plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from her2dose import units
from her2dose.model import (
    Level,
    Molecule,
    Phase,
    Policy,
    Preparation,
    Product,
    Quantity,
    Regimen,
    Reminder,
    Schedule,
    Vial,
)
from her2dose.model.records import record
from her2dose.model.storage import StorageFacts, UseBy, UseByRule

CURRENT = "current"
BASELINE = "baseline"
HUNDRED = Decimal(100)


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _signed_pct(value: Decimal, threshold: Decimal) -> str:
    shown = shown_pct(value, threshold)
    return f"{'+' if shown > 0 else ''}{shown:f}%"


def _kg(q: Quantity) -> str:
    return f"{q.m_as('kg').quantize(Decimal('0.01'), rounding=ROUND_HALF_UP).normalize():f} kg"


@record
class Plan:
    request: PlanRequest
    molecule: Molecule
    product: Product
    regimen: Regimen
    schedule: Schedule
    phase: Phase
    level: Level | None  # None for regimens dosed by loading/maintenance phase
    dose_rate: Quantity  # mg/kg (per_kg) or mg (flat)
    weight: Quantity  # in kg, exact
    dose: Quantity  # mg, exact
    vials: VialPlan | None  # None: plan_patient(preparation=False), and infusion too
    infusion: InfusionPlan | None
    next_level: Level | None
    next_step: str
    reminders: tuple[Reminder, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    sources: tuple[str, ...] = field(default=())
    # optional parts: rounding, weight change, multiple-dose vials, use-by times
    dosing_weight: Quantity | None = None  # the weight the dose is calculated on (kg)
    rounding: Rounding | None = None
    weight_change: WeightChange | None = None
    no_benzyl_alcohol: bool = False
    open_vial: OpenVial | None = None
    remainders: tuple[KeptRemainder, ...] = ()
    prepared_at: datetime | None = None
    prepared_at_given: bool = False
    use_by: tuple[UseBy, ...] = ()
    use_by_not_encoded: str | None = None
    policy_effects: tuple[PolicyEffect, ...] = ()
    # the patient-independent part this plan was made from (render.plan_dict
    # renders it once per combination in a batch, and for every plan the same way)
    resolved: ResolvedRequest | None = None
    next_level_dose: Quantity | None = None  # mg at next_level, per-kg regimens only
    order: OrderedDose | None = None  # `plan --dose`: the order planned as written

    @property
    def dose_weight(self) -> Quantity:
        return self.dosing_weight if self.dosing_weight is not None else self.weight


@record
class ResolvedRequest:
    """The patient-independent part of a plan: names, rules, product, policy in force."""

    molecule: Molecule
    product: Product  # as prepared (without benzyl alcohol, if asked)
    regimen: Regimen
    schedule: Schedule
    phase: Phase
    level: Level | None
    dose_rate: Quantity
    which: str  # "first" or "subsequent" infusion
    minutes: Quantity
    concentration: Quantity
    preparation: Preparation | None
    policy: Policy  # [policy] with this request's overrides
    policy_origins: dict[str, str]
    vial_rounding_excluded: bool
    storage: StorageFacts | None
    no_benzyl_alcohol: bool
    reminders: tuple[Reminder, ...]
    next_level: Level | None
    next_step: str
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    use_by_rules: tuple[UseByRule, ...] = ()
    use_by_not_encoded: str | None = None  # why there are no use-by times, when there are none
    # What plan_patient and render work out from this combination alone and from a value
    # shared by many patients (the preparation time of a run), kept here so that a batch
    # works each one out once per combination: see `remember`. Not part of the value.
    memo: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    MEMO_ENTRIES: ClassVar[int] = 256  # a batch with a new prepared_at on every row

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        """compute(), worked out once per key for this combination. `key` must name every
        input of `compute` that is not part of this ResolvedRequest."""
        try:
            return self.memo[key]
        except KeyError:
            pass
        value = compute()
        if len(self.memo) >= self.MEMO_ENTRIES:
            self.memo.clear()
        self.memo[key] = value
        return value


@record
class PolicyEffect:
    """A policy setting that changed something in this plan, and what it changed."""

    setting: str
    value: str
    origin: str  # FROM_FILE or FROM_REQUEST
    effect: str


@record
class OpenVial:
    """An opened multiple-dose vial offered with --open-vial-mg / --open-vial-date."""

    vial: Vial  # the product's multiple-dose vial
    remainder: Quantity  # mg in it, as given
    opened: datetime  # when it was reconstituted
    use_by: datetime  # opened + in-use time
    usable: bool  # still within its in-use time when this dose is prepared
    drawn: Quantity  # mg drawn from it for this dose (0 when expired)

    @property
    def drawn_volume(self) -> Quantity:
        return (self.drawn / self.vial.concentration).to("mL")

    @property
    def left(self) -> Quantity:
        return (self.remainder - self.drawn).to("mg") if self.usable else units.quantity(0, "mg")


@record
class KeptRemainder:
    """What stays in a multiple-dose vial after the dose, and until when it may be used."""

    origin: str  # OPENED or NEW
    vial: Vial
    amount: Quantity  # mg
    volume: Quantity  # mL
    opened: datetime
    use_by: datetime


@record
class WeightChange:
    current: Quantity  # kg
    baseline: Quantity  # kg
    threshold_pct: Decimal
    dose_weight: str  # the policy setting: "current" or "baseline_until_threshold"
    used: str  # CURRENT or BASELINE: the weight the dose is calculated on
    reason: str
    change: Quantity  # kg, today's minus the baseline
    change_pct: Decimal  # signed: a loss is negative

    @property
    def recalculate(self) -> bool:
        return abs(self.change_pct) >= self.threshold_pct

    @property
    def weight_used(self) -> Quantity:
        return self.current if self.used == CURRENT else self.baseline

    def warning(self) -> str | None:
        if not self.recalculate:
            return None
        return (
            f"weight changed by {_signed_pct(self.change_pct, self.threshold_pct)} from the "
            f"baseline "
            f"{_kg(self.baseline)} to {_kg(self.current)}, at or beyond the "
            f"{_pct(self.threshold_pct)} threshold: recalculate the dose (this plan uses "
            f"today's weight)"
        )


@record
class Rounding:
    method: str  # "vial" or "increment"
    ordered: Quantity  # mg, before rounding
    final: Quantity  # mg, after rounding
    vials_before: int  # new vials the ordered dose needs
    vials_after: int  # new vials the final dose needs
    threshold_pct: Decimal | None  # vial rounding: the percent allowed
    increment: Quantity | None  # increment rounding: the step in mg
    reason: str

    # in magnitudes (units.magnitude: Pint's factors, found once): with a rounding policy
    # these run for most rows of a batch

    @property
    def difference(self) -> Quantity:
        return units.quantity(
            units.magnitude(self.final, "mg") - units.magnitude(self.ordered, "mg"), "mg"
        )

    @property
    def difference_pct(self) -> Decimal:
        difference = units.magnitude(self.difference, "mg")
        return difference / units.magnitude(self.ordered, "mg") * HUNDRED

    @property
    def direction(self) -> str:
        final, ordered = units.magnitude(self.final, "mg"), units.magnitude(self.ordered, "mg")
        return "up" if final > ordered else "down"

    @property
    def vials_saved(self) -> int:
        return self.vials_before - self.vials_after


@record
class RoundingOutcome:
    dose: Quantity  # the dose to give, mg
    rounding: Rounding | None  # None when the dose was not changed
    notes: tuple[str, ...]  # why a rounding that was asked for was not made, or how it was bounded


@record
class Reconstitution:
    strength: Quantity
    count: int
    fluid: str | None
    volume: Quantity | None  # None: the product is a solution, or the volume is not encoded


@record
class InfusionPlan:
    concentration: Quantity | None  # None: not encoded for the product
    drug_volume: Quantity | None  # volume of drug solution to withdraw; None: not encoded
    reconstitution: tuple[Reconstitution, ...]
    preparation: Preparation | None
    total_volume: Quantity | None  # bag + drug volume (the labels add the drug to the bag)
    which: str  # "first" or "subsequent"
    minutes: Quantity
    rate: Quantity | None  # mL/h over `minutes`


@record
class VialCount:
    vial: Vial
    count: int


@record
class VialPlan:
    counts: tuple[VialCount, ...]  # largest strength first, zero counts left out
    total: Quantity  # mg in the vials used
    leftover: Quantity  # mg left in them after the dose is drawn

    @property
    def vial_count(self) -> int:
        return sum(c.count for c in self.counts)


@record
class PlanRequest:
    """What a user asked for, as text, exactly as typed (CLI option or batch cell)."""

    drug: str
    weight: str
    indication: str | None = None
    product: str | None = None
    level: str | int | None = None
    phase: str | None = None
    schedule: str | None = None
    infusion: str | None = None
    # named like the CLI flags; overrides of [policy] settings of the same name
    baseline_weight: str | None = None
    round_to_vial_pct: str | None = None
    round_to_vial_exclude: str | None = None
    round_increment_mg: str | None = None
    weight_change_pct: str | None = None
    dose_weight: str | None = None
    no_benzyl_alcohol: str | bool | None = None
    open_vial_mg: str | None = None
    open_vial_date: str | None = None
    prepared_at: str | None = None
    # an ordered dose to plan exactly ('389 mg' or '5.4 mg/kg') instead of the label level
    dose: str | None = None


# `check`'s verdicts (and `plan --dose`'s): here so that a plan needs no other record module.
MATCH = "match"
NO_MATCH = "no-match"
ABOVE_LABEL_DOSE = "above-label-dose"
ABOVE_MAXIMUM = "above-maximum"
AMBIGUOUS = "ambiguous"  # the tolerance covers two levels and the dose is neither exactly
VERDICTS = (MATCH, NO_MATCH, ABOVE_LABEL_DOSE, ABOVE_MAXIMUM, AMBIGUOUS)


@record
class OrderedDose:
    """An order planned as written (`plan --dose`), and how it compares with the label:
    the same verdict and figures as `check`."""

    text: str  # as typed
    per_kg: bool  # typed in mg/kg
    dose: Quantity  # mg planned
    rate: Quantity  # mg/kg for this weight
    verdict: str  # one of model.results.VERDICTS
    level: Level | None  # the level it matches (None: no single level, or dosed by phase)
    label_dose: Quantity  # the nearest label dose, mg
    difference: Quantity  # ordered - nearest label dose, mg
    difference_pct: Decimal
    pct_places: int
    message: str  # the verdict in words
    notes: tuple[str, ...] = ()  # what the verdict noticed (a rounding, a wide tolerance)


def shown_pct(value: Decimal, threshold: Decimal) -> Decimal:
    """The change to 0.01 %, or finer when 0.01 % would blur which side of the threshold it is."""
    for places in (2, 4, 6):
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if (abs(shown) >= threshold) == (abs(value) >= threshold):
            return shown.normalize()
    return value.normalize()
