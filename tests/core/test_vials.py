"""vials.plan_vials: exhaustive search for the least leftover, then the fewest vials."""

from __future__ import annotations

import itertools
from decimal import ROUND_CEILING, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from her2dose import units
from her2dose.core.vials import plan_vials
from her2dose.model import Vial

D = Decimal


def vial(strength_mg, multiple_dose: bool = False) -> Vial:
    return Vial(
        strength=units.quantity(D(strength_mg), "mg"),
        multiple_dose=multiple_dose,
        concentration=units.quantity(20, "mg/mL"),
        reconstitute_with=None,
        reconstitution_fluid=None,
        deliverable_volume=None,
        in_use=None,
        in_use_storage=None,
        source="test",
    )


def counts_by_strength(plan) -> dict[Decimal, int]:
    return {c.vial.strength.m_as("mg"): c.count for c in plan.counts}


def mg(q) -> Decimal:
    return q.m_as("mg")


def test_168_mg_from_100_and_160_mg_vials_is_two_100s_not_160_plus_100():
    # greedy would take 160 + 100 = 260 (92 mg left); 2 x 100 = 200 leaves 32 mg
    for order in ((100, 160), (160, 100)):
        plan = plan_vials(units.quantity(168, "mg"), tuple(vial(s) for s in order))
        assert counts_by_strength(plan) == {D(100): 2}
        assert mg(plan.total) == 200
        assert mg(plan.leftover) == 32


@pytest.mark.parametrize(
    ("dose", "strengths", "expected", "leftover"),
    [
        # ENHERTU 72 kg x 5.4 = 388.8 mg: 4 x 100 = 400, 11.2 left
        ("388.8", (100,), {100: 4}, "11.2"),
        # KADCYLA 72 kg x 3.6 = 259.2 mg: 160 + 100 = 260, 0.8 left
        ("259.2", (100, 160), {160: 1, 100: 1}, "0.8"),
        # exactly one vial: no leftover, no second vial
        ("160", (100, 160), {160: 1}, "0"),
        ("320", (100, 160), {160: 2}, "0"),
        # 300 mg: 3 x 100 and 160 + 160 - 20 ... 3 x 100 = 300 leaves 0
        ("300", (100, 160), {100: 3}, "0"),
        # equal leftover (0) as 4 x 100 + 160 = 560 or 2 x 160 + ... : fewest vials wins
        ("480", (100, 160), {160: 3}, "0"),
        # trastuzumab 8 mg/kg x 72 kg = 576 mg: 4 x 150 = 600 (24 left), not 420 + 2 x 150
        ("576", (150, 420), {150: 4}, "24"),
        # 800 mg: 2 x 420 = 840 (40 left)
        ("800", (150, 420), {420: 2}, "40"),
        # MARGENZA 70 kg x 15 = 1050 mg: 5 x 250
        ("1050", (250,), {250: 5}, "200"),
        # a dose below the smallest vial still takes one vial
        ("0.5", (100, 160), {100: 1}, "99.5"),
    ],
)
def test_known_vial_plans(dose, strengths, expected, leftover):
    plan = plan_vials(units.quantity(D(dose), "mg"), tuple(vial(s) for s in strengths))
    assert counts_by_strength(plan) == {D(k): v for k, v in expected.items()}
    assert mg(plan.leftover) == D(leftover)
    assert mg(plan.total) == D(dose) + D(leftover)


def test_counts_are_listed_largest_first_and_carry_the_vial():
    mdv = vial(420, multiple_dose=True)
    plan = plan_vials(units.quantity(570, "mg"), (vial(150), mdv))
    assert [c.vial.strength.m_as("mg") for c in plan.counts] == [420, 150]
    assert plan.counts[0].vial is mdv
    assert plan.vial_count == 2


def brute_force(dose: Decimal, strengths: list[Decimal]) -> tuple[Decimal, int]:
    """(least leftover, fewest vials at that leftover) over every count of every size."""
    ranges = [
        range(int((dose / s).to_integral_value(rounding=ROUND_CEILING)) + 1) for s in strengths
    ]
    best = None
    for combo in itertools.product(*ranges):
        total = sum((s * n for s, n in zip(strengths, combo, strict=True)), D(0))
        if total < dose:
            continue
        key = (total - dose, sum(combo))
        if best is None or key < best:
            best = key
    assert best is not None
    return best


strengths_st = st.lists(
    st.integers(min_value=50, max_value=500).map(D), min_size=1, max_size=3, unique=True
)
dose_st = st.decimals(min_value=D("0.1"), max_value=D(1000), places=1)


@given(dose=dose_st, strengths=strengths_st)
def test_plan_covers_the_dose_with_least_leftover_then_fewest_vials(dose, strengths):
    plan = plan_vials(units.quantity(dose, "mg"), tuple(vial(s) for s in strengths))
    total, leftover = mg(plan.total), mg(plan.leftover)
    counted = sum((c.vial.strength.m_as("mg") * c.count for c in plan.counts), D(0))
    assert counted == total
    assert total >= dose  # covers the dose
    assert leftover == total - dose
    assert leftover < min(strengths)  # otherwise a vial could be dropped
    assert all(c.count > 0 for c in plan.counts)
    best_leftover, fewest = brute_force(dose, strengths)
    assert leftover == best_leftover  # no other combination leaves less
    assert plan.vial_count == fewest  # and none with that leftover uses fewer vials


@given(dose=st.decimals(min_value=D("0.1"), max_value=D(5000), places=2))
def test_real_product_vial_sets(dose, book):
    for pid in ("kadcyla", "ogivri", "enhertu", "margenza"):
        vials = book.products[pid].vials
        strengths = [v.strength.m_as("mg") for v in vials]
        plan = plan_vials(units.quantity(dose, "mg"), vials)
        assert mg(plan.total) >= dose
        assert mg(plan.leftover) < min(strengths)
        if dose <= 1500:  # keep the brute force quick
            assert (mg(plan.leftover), plan.vial_count) == brute_force(dose, strengths)
