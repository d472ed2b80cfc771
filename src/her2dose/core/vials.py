"""Which vials cover a dose: exhaustive search, least leftover, then fewest vials."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

from her2dose import units
from her2dose.model import Quantity, Vial
from her2dose.model.plan import VialCount, VialPlan


def plan_vials(dose: Quantity, vials: tuple[Vial, ...]) -> VialPlan:
    # magnitudes in mg (units.magnitude: Pint's factors, found once), as this runs per batch row
    strengths = tuple(units.magnitude(v.strength, "mg") for v in vials)
    dose_mg = units.magnitude(dose, "mg")
    counts = _best_counts(dose_mg, strengths)
    used = tuple(
        VialCount(v, n)
        for _, v, n in sorted(zip(strengths, vials, counts, strict=True), key=lambda p: -p[0])
        if n
    )
    total = sum((s * n for s, n in zip(strengths, counts, strict=True)), Decimal(0))
    return VialPlan(used, units.quantity(total, "mg"), units.quantity(total - dose_mg, "mg"))


@lru_cache(maxsize=4096)
def _best_counts(dose_mg: Decimal, strengths: tuple[Decimal, ...]) -> tuple[int, ...]:
    """Counts per strength minimising (leftover, vial count), trying every combination.

    Greedy picking fails (168 mg from 100 and 160 mg vials is 2 x 100, not 160 + 100), so
    every count of each size up to what alone would cover the dose is tried.
    """
    best: tuple[Decimal, int, tuple[int, ...]] | None = None

    def search(i: int, remaining: Decimal, chosen: tuple[int, ...]) -> None:
        nonlocal best
        if i == len(strengths) - 1:
            size = strengths[i]
            combo = (*chosen, _vials_to_cover(remaining, size))
            total = sum((s * c for s, c in zip(strengths, combo, strict=True)), Decimal(0))
            key = (total - dose_mg, sum(combo), combo)
            if best is None or key[:2] < best[:2]:
                best = key
            return
        size = strengths[i]
        for n in range(_vials_to_cover(remaining, size) + 1):
            search(i + 1, remaining - size * n, (*chosen, n))

    search(0, dose_mg, ())
    assert best is not None
    return best[2]


def _vials_to_cover(amount: Decimal, size: Decimal) -> int:
    if amount <= 0:
        return 0
    return int((amount / size).to_integral_value(rounding=ROUND_CEILING))
