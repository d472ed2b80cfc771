"""Weight change since the course was planned, and which weight the dose uses.

At or beyond `weight_change_pct` (either direction) the dose must be recalculated. Under
`dose_weight = "baseline_until_threshold"` the dose stays on the baseline weight until the
change reaches the threshold; under `"current"` it always uses today's weight. A label
maximum per kg (KADCYLA 3.6 mg/kg) is checked against today's weight by the caller. Pure.
"""

from __future__ import annotations

from decimal import Decimal

from her2dose.model import Quantity
from her2dose.model.plan import BASELINE, CURRENT, WeightChange
from her2dose.model.records import replace


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
