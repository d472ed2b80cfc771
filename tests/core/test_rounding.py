"""Vial rounding (HOPA) and increment rounding, as pure functions."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from her2dose import units
from her2dose.core.rounding import (
    apply_rounding,
    new_vials_for,
    round_to_increment,
    round_to_vial,
    whole_vial_totals,
)
from her2dose.core.vials import plan_vials
from her2dose.model import Vial

D = Decimal


def mg(value) -> object:
    return units.quantity(D(str(value)), "mg")


def vials_of(*strengths: int) -> tuple[Vial, ...]:
    return tuple(
        Vial(
            strength=mg(s),
            multiple_dose=False,
            concentration=units.quantity(20, "mg/mL"),
            reconstitute_with=None,
            reconstitution_fluid=None,
            deliverable_volume=None,
            in_use=None,
            in_use_storage=None,
            source="test vial",
        )
        for s in strengths
    )


HERCEPTIN = vials_of(150)
KADCYLA = vials_of(100, 160)
OGIVRI = vials_of(150, 420)


# -- HOPA vial rounding at the exact threshold ---------------------------------------------


def test_rounds_down_at_exactly_the_threshold():
    # 500 mg from 150 mg vials: 450 mg (3 vials) is exactly 10% below: 50 / 500 = 10%.
    out = round_to_vial(mg(500), HERCEPTIN, D(10))
    assert out.dose == mg(450)
    r = out.rounding
    assert (r.direction, r.vials_before, r.vials_after, r.vials_saved) == ("down", 4, 3, 1)
    assert r.difference == mg(-50) and r.difference_pct == D(-10)


def test_does_not_round_down_just_beyond_the_threshold():
    # 450 / 500.01 is 10.002% below; 600 is 19.998% above: nothing within 10%.
    out = round_to_vial(mg("500.01"), HERCEPTIN, D(10))
    assert out.rounding is None and out.dose == mg("500.01")
    assert any("no whole-vial total within 10%" in n for n in out.notes)


def test_rounds_up_at_exactly_the_threshold():
    # 100 mg from 110 mg vials: 110 mg is exactly 10% above.
    out = round_to_vial(mg(100), vials_of(110), D(10))
    assert out.dose == mg(110)
    assert out.rounding.direction == "up" and out.rounding.difference_pct == D(10)
    assert out.rounding.vials_saved == 0


def test_does_not_round_up_just_beyond_the_threshold():
    out = round_to_vial(mg("99.99"), vials_of(110), D(10))  # +10.011%
    assert out.rounding is None and out.dose == mg("99.99")


def test_a_tie_goes_to_the_lower_dose():
    out = round_to_vial(mg(100), vials_of(90, 110), D(10))  # 90 (-10%) and 110 (+10%)
    assert out.dose == mg(90)


def test_nearest_total_wins():
    out = round_to_vial(mg(395), vials_of(100), D(10))  # 400 (+1.3%) beats nothing below
    assert out.dose == mg(400)
    out = round_to_vial(mg(405), vials_of(100), D(10))  # 400 (-1.2%) saves a vial
    assert out.dose == mg(400) and out.rounding.vials_saved == 1


def test_a_dose_that_is_already_a_vial_total_is_not_rounded():
    out = round_to_vial(mg(400), vials_of(100), D(10))
    assert out.rounding is None and out.notes == ()


def test_rounding_off_leaves_the_dose_alone():
    out = round_to_vial(mg(405), vials_of(100), D(0))
    assert out.rounding is None and out.dose == mg(405)


def test_label_maximum_beats_rounding_up():
    # KADCYLA 3.6 mg/kg x 72 kg = 259.2 mg, which is also the maximum: 260 mg is above it.
    out = round_to_vial(mg("259.2"), KADCYLA, D(10), cap=mg("259.2"))
    assert out.rounding is None and out.dose == mg("259.2")
    assert any("above the label maximum" in n for n in out.notes)


def test_label_maximum_leaves_rounding_down_allowed():
    # 3.6 mg/kg x 57 kg = 205.2 mg: 200 mg (2 x 100) is 2.5% below, allowed.
    out = round_to_vial(mg("205.2"), KADCYLA, D(10), cap=mg("205.2"))
    assert out.dose == mg(200) and out.rounding.direction == "down"


def test_never_rounds_to_more_vials():
    # 310 mg: 2 x 160 = 320 (2 vials) is the plan. 300 = 3 x 100 is as near but needs 3.
    out = round_to_vial(mg(310), KADCYLA, D(10))
    assert out.dose == mg(320)
    assert any("needs 3 new vials" in n for n in out.notes)


def test_opened_vial_remainder_counts_towards_the_totals():
    # 440 mg with 420 mg left in an opened vial: the remainder alone is 4.5% below.
    out = round_to_vial(mg(440), OGIVRI, D(10), offset=mg(420))
    assert out.dose == mg(420)
    assert (out.rounding.vials_before, out.rounding.vials_after) == (1, 0)


def test_whole_dose_from_the_opened_vial_is_not_rounded():
    out = round_to_vial(mg(300), OGIVRI, D(10), offset=mg(400))
    assert out.rounding is None and "opened multiple-dose vial" in out.notes[0]


# -- increment rounding -------------------------------------------------------------------


def test_increment_rounding_is_half_up():
    out = round_to_increment(mg(685), mg(10), HERCEPTIN, D(10))
    assert out.dose == mg(690)  # half-even would give 680
    assert out.rounding.method == "increment" and out.rounding.difference == mg(5)
    assert round_to_increment(mg("684.9"), mg(10), HERCEPTIN, D(10)).dose == mg(680)
    assert round_to_increment(mg(675), mg(10), HERCEPTIN, D(10)).dose == mg(680)


def test_increment_rounding_respects_the_label_maximum():
    out = round_to_increment(mg(685), mg(10), HERCEPTIN, D(10), cap=mg(688))
    assert out.dose == mg(680)
    assert "label maximum" in out.notes[0]


def test_increment_rounding_never_adds_a_vial():
    # 415 mg fits one 420 mg vial; 425 mg would need another, so 400 mg instead.
    out = round_to_increment(mg(415), mg(25), OGIVRI, D(10))
    assert out.dose == mg(400)
    assert "another vial" in out.notes[0]


def test_increment_rounding_bounded_by_rounding_max_pct():
    out = round_to_increment(mg(14), mg(10), HERCEPTIN, D(10))  # 10 mg would be -28.6%
    assert out.rounding is None and out.dose == mg(14)
    assert "rounding_max_pct" in out.notes[-1]


def test_vial_rounding_comes_first_and_increment_only_when_it_did_nothing():
    both = apply_rounding(mg(395), vials_of(100), vial_pct=D(10), increment=mg(25), max_pct=D(10))
    assert both.dose == mg(400) and both.rounding.method == "vial"
    only_step = apply_rounding(
        mg(333), vials_of(100), vial_pct=D(5), increment=mg(10), max_pct=D(10)
    )
    assert only_step.dose == mg(330) and only_step.rounding.method == "increment"


def test_whole_vial_totals_with_two_sizes():
    totals = whole_vial_totals((D(100), D(160)), D(330))
    assert totals == {D(100): 1, D(160): 1, D(200): 2, D(260): 2, D(300): 3, D(320): 2}


# -- properties ---------------------------------------------------------------------------

strengths = st.lists(st.integers(20, 500), min_size=1, max_size=2, unique=True)
doses = st.decimals(min_value=10, max_value=2000, places=2)
percents = st.decimals(min_value=0, max_value=10, places=2)


@given(strengths, doses, percents)
def test_rounded_dose_is_within_the_threshold(sizes, dose, pct):
    out = round_to_vial(mg(dose), vials_of(*sizes), pct)
    assert abs(out.dose.m_as("mg") - dose) <= dose * pct / 100


@given(strengths, doses, percents)
def test_rounding_never_increases_the_vial_count(sizes, dose, pct):
    vials = vials_of(*sizes)
    out = round_to_vial(mg(dose), vials, pct)
    assert plan_vials(out.dose, vials).vial_count <= plan_vials(mg(dose), vials).vial_count


@given(strengths, st.integers(1, 6), st.decimals(min_value=-10, max_value=10, places=2), percents)
def test_a_dose_near_a_vial_total_is_rounded_to_a_whole_vial_total(sizes, count, off_pct, pct):
    vials = vials_of(*sizes)
    total = D(sizes[0] * count)
    dose = total * (1 + off_pct / 100)  # near a whole-vial total, either side
    out = round_to_vial(mg(dose), vials, pct)
    if out.rounding is not None:
        assert plan_vials(out.dose, vials).leftover.m_as("mg") == 0
        assert abs(out.dose.m_as("mg") - dose) <= dose * pct / 100
    elif off_pct != 0 and abs(total - dose) <= dose * pct / 100:
        # a total was within the threshold: only the vial count, or the dose being a
        # whole-vial total already, can have stopped the rounding
        already_whole = plan_vials(mg(dose), vials).leftover.m_as("mg") == 0
        assert already_whole or any("new vials" in n for n in out.notes)


@given(strengths, doses)
def test_rounding_off_leaves_the_dose_unchanged(sizes, dose):
    out = apply_rounding(mg(dose), vials_of(*sizes), vial_pct=D(0), increment=None, max_pct=D(10))
    assert out.dose == mg(dose) and out.rounding is None


@given(strengths, doses, percents, st.decimals(min_value=0, max_value=5, places=2))
def test_rounding_never_goes_above_the_cap(sizes, dose, pct, headroom):
    cap = dose * (1 + headroom / 100)
    out = round_to_vial(mg(dose), vials_of(*sizes), pct, cap=mg(cap))
    assert out.dose.m_as("mg") <= cap


@given(strengths, doses, st.integers(1, 50), st.decimals(min_value=0, max_value=5, places=2))
def test_increment_rounding_bounds(sizes, dose, step, headroom):
    vials = vials_of(*sizes)
    cap = dose * (1 + headroom / 100)
    out = round_to_increment(mg(dose), mg(step), vials, D(10), cap=mg(cap))
    final = out.dose.m_as("mg")
    assert final <= cap
    assert abs(final - dose) <= min(D(step), dose / 10)
    assert new_vials_for(final, vials, D(0)) <= new_vials_for(dose, vials, D(0))
    if out.rounding is not None:
        assert final % step == 0
