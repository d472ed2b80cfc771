"""Plausibility checks on patient input. Hard limits raise; soft ones become warnings."""

from __future__ import annotations

from her2dose import units
from her2dose.errors import InputError
from her2dose.model import Policy, Quantity


def check_weight(weight: Quantity, given: str, policy: Policy) -> list[str]:
    """Reject impossible weights; return warnings for implausible ones."""
    # in kg magnitudes (units.magnitude: Pint's factors, found once): a batch checks every
    # distinct weight it meets
    kg = units.magnitude(weight, "kg")
    # the exact weight: rounding here made 34.99 kg read "35.0 kg is outside 35 to 200 kg"
    exact = f"{kg.normalize():f}"
    if kg <= 0:
        raise InputError("weight", f"weight '{given}' must be more than zero")
    floor = units.magnitude(policy.weight_reject_below, "kg")
    if kg < floor:
        raise InputError(
            "weight",
            f"weight '{given}' ({exact} kg) is below {floor} kg, the smallest weight "
            f"her2dose accepts; check the weight and its unit (kg or lb)",
        )
    limit = units.magnitude(policy.weight_reject_above, "kg")
    if kg > limit:
        raise InputError(
            "weight",
            f"weight '{given}' ({exact} kg) is above {limit} kg, the largest "
            f"weight her2dose accepts; check the weight and its unit (kg or lb)",
        )
    low = units.magnitude(policy.weight_warn_below, "kg")
    high = units.magnitude(policy.weight_warn_above, "kg")
    if kg < low or kg > high:
        return [
            f"weight {exact} kg is outside the usual adult range "
            f"{low} to {high} kg: confirm the weight and its unit"
        ]
    return []
