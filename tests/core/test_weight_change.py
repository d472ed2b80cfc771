"""Weight change from baseline: the threshold boundary and which weight the dose uses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from her2dose import units
from her2dose.core.weight_change import assess
from her2dose.model.plan import BASELINE, CURRENT, shown_pct


def kg(value) -> object:
    return units.quantity(Decimal(str(value)), "kg")


@pytest.mark.parametrize("current", ["77", "63"])  # +10% and -10% of 70 kg
def test_exactly_at_the_threshold_calls_for_recalculation(current):
    change = assess(kg(current), kg(70), Decimal(10), "current")
    assert abs(change.change_pct) == Decimal(10)
    assert change.recalculate
    assert "recalculate the dose" in change.warning()


@pytest.mark.parametrize("current", ["76.99", "63.01"])
def test_just_inside_the_threshold_does_not(current):
    change = assess(kg(current), kg(70), Decimal(10), "current")
    assert not change.recalculate and change.warning() is None


def test_baseline_until_threshold_keeps_the_baseline_below_the_threshold():
    change = assess(kg("76.99"), kg(70), Decimal(10), "baseline_until_threshold")
    assert change.used == BASELINE and change.weight_used == kg(70)
    assert "baseline" in change.reason


def test_baseline_until_threshold_switches_to_today_at_the_threshold():
    change = assess(kg(77), kg(70), Decimal(10), "baseline_until_threshold")
    assert change.used == CURRENT and change.weight_used == kg(77)


def test_current_policy_always_uses_todays_weight():
    change = assess(kg(72), kg(70), Decimal(10), "current")
    assert change.used == CURRENT and change.change == kg(2)


def test_shown_percent_never_blurs_the_side_of_the_threshold():
    just_below = Decimal("9.99999")
    assert shown_pct(just_below, Decimal(10)) < 10
    assert shown_pct(Decimal("14.2857142"), Decimal(10)) == Decimal("14.29")
