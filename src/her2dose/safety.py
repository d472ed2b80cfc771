"""Plausibility checks on patient input. Hard limits raise; soft ones become warnings."""

from __future__ import annotations

from her2dose.errors import InputError
from her2dose.model import Policy, Quantity


def check_weight(weight: Quantity, given: str, policy: Policy) -> list[str]:
    """Reject impossible weights; return warnings for implausible ones."""
    kg = weight.to("kg")
    if kg.magnitude <= 0:
        raise InputError("weight", f"weight '{given}' must be more than zero")
    limit = policy.weight_reject_above.to("kg")
    if kg > limit:
        raise InputError(
            "weight",
            f"weight '{given}' ({kg.magnitude:.1f} kg) is above {limit.magnitude} kg, the largest "
            f"weight her2dose accepts; check the weight and its unit (kg or lb)",
        )
    low, high = policy.weight_warn_below.to("kg"), policy.weight_warn_above.to("kg")
    if kg < low or kg > high:
        return [
            f"weight {kg.magnitude:.1f} kg is outside the usual adult range "
            f"{low.magnitude} to {high.magnitude} kg: confirm the weight and its unit"
        ]
    return []
