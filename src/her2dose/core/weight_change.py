"""Weight change since the course was planned, and which weight the dose uses.

At or beyond `weight_change_pct` (either direction) the dose must be recalculated. Under
`dose_weight = "baseline_until_threshold"` the dose stays on the baseline weight until the
change reaches the threshold; under `"current"` it always uses today's weight. A label
maximum per kg (KADCYLA 3.6 mg/kg) is checked against today's weight by the caller. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from her2dose.model import Quantity

CURRENT = "current"
BASELINE = "baseline"


@dataclass(frozen=True, slots=True)
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


def assess(
    current: Quantity, baseline: Quantity, threshold_pct: Decimal, dose_weight: str
) -> WeightChange:
    current, baseline = current.to("kg"), baseline.to("kg")
    difference = (current - baseline).to("kg")
    change = WeightChange(
        current,
        baseline,
        threshold_pct,
        dose_weight,
        CURRENT,
        "",
        difference,
        difference.magnitude / baseline.magnitude * Decimal(100),
    )
    if change.recalculate:
        return replace(change, reason="dose on today's weight: the change reached the threshold")
    if dose_weight == "baseline_until_threshold":
        return replace(
            change,
            used=BASELINE,
            reason=(
                "dose on the baseline weight: the change is below the threshold "
                "(dose_weight baseline_until_threshold)"
            ),
        )
    return replace(change, reason="dose on today's weight (dose_weight current)")


def to_current_for_cap(change: WeightChange, max_text: str) -> WeightChange:
    """Switch to today's weight when the baseline would put the dose above a label maximum."""
    return replace(
        change,
        used=CURRENT,
        reason=(
            f"dose on today's weight: the baseline weight would put the dose above the label "
            f"maximum of {max_text} of today's weight"
        ),
    )


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def shown_pct(value: Decimal, threshold: Decimal) -> Decimal:
    """The change to 0.01 %, or finer when 0.01 % would blur which side of the threshold it is."""
    for places in (2, 4, 6):
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if (abs(shown) >= threshold) == (abs(value) >= threshold):
            return shown.normalize()
    return value.normalize()


def _signed_pct(value: Decimal, threshold: Decimal) -> str:
    shown = shown_pct(value, threshold)
    return f"{'+' if shown > 0 else ''}{shown:f}%"


def _kg(q: Quantity) -> str:
    return f"{q.m_as('kg').quantize(Decimal('0.01'), rounding=ROUND_HALF_UP).normalize():f} kg"
