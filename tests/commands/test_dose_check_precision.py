"""The check rule without false alarms: ordering precision, one basis for every figure, the
dose a rounding policy produced, and a tolerance that covers two levels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from her2dose import render, units
from her2dose.commands.check import compute_check
from her2dose.commands.plan import compute_plan
from her2dose.model.plan import PlanRequest
from her2dose.model.records import replace
from her2dose.model.results import (
    ABOVE_LABEL_DOSE,
    ABOVE_MAXIMUM,
    AMBIGUOUS,
    MATCH,
    NO_MATCH,
    CheckRequest,
)


def with_policy(book, **settings):
    return replace(book, policy=replace(book.policy, **settings))


@pytest.fixture
def whole_mg(book):
    """Orders written to the whole mg: [policy] order_precision_mg = 1."""
    return with_policy(book, order_precision_mg=Decimal(1))


def check(book, drug, weight, dose, **kw):
    return compute_check(book, CheckRequest(drug=drug, weight=weight, dose=dose, **kw))


def test_an_order_to_the_whole_mg_is_the_label_dose(whole_mg):
    c = check(whole_mg, "enhertu", "72 kg", "389 mg", indication="breast")  # 388.8 mg
    assert c.verdict == MATCH and c.over_label is None
    assert c.nearest.level.level == 0 and c.nearest.within_precision


@pytest.mark.parametrize(
    ("drug", "weight", "dose", "indication", "verdict"),
    [
        ("enhertu", "72 kg", "6.6 mg/kg", "gastric", ABOVE_LABEL_DOSE),  # 6.4 mg/kg
        ("kadcyla", "72 kg", "260 mg", "mbc", ABOVE_MAXIMUM),  # 3.6 mg/kg = 259.2 mg
        ("enhertu", "72 kg", "5.41 mg/kg", "breast", ABOVE_LABEL_DOSE),
    ],
)
def test_above_label_by_more_than_the_precision(whole_mg, drug, weight, dose, indication, verdict):
    assert check(whole_mg, drug, weight, dose, indication=indication).verdict == verdict


def test_the_boundary_is_exactly_half_the_ordering_precision(whole_mg):
    # 388.8 mg, precision 1 mg: 389.3 is the label dose, anything above it is above label
    at = check(whole_mg, "enhertu", "72 kg", "389.3 mg", indication="breast", tolerance="0")
    assert at.verdict == MATCH and at.nearest.within_precision
    past = check(whole_mg, "enhertu", "72 kg", "389.31 mg", indication="breast", tolerance="0")
    assert past.verdict == ABOVE_LABEL_DOSE
    below = check(whole_mg, "enhertu", "72 kg", "388.3 mg", indication="breast", tolerance="0")
    assert below.verdict == MATCH
    short = check(whole_mg, "enhertu", "72 kg", "388.29 mg", indication="breast", tolerance="0")
    assert short.verdict == NO_MATCH


def test_printed_percent_never_contradicts_within():
    """nsclc, 79.52 kg x 3.2 mg/kg = 254.464 mg (254.5 printed); 267.2 mg is 5.005% above."""
    from conftest import SHIPPED

    from her2dose.data import loader

    book = loader.load(SHIPPED)
    c = check(book, "enhertu", "79.52 kg", "267.2 mg", indication="nsclc")
    d = render.dose_check_dict(c)
    assert c.verdict == NO_MATCH
    assert d["nearest"]["difference_pct"] > d["tolerance_pct"]  # 5.01, not 5 (nor 4.99)
    assert "within 5%" in d["message"] and "+5.01%" in d["message"]


@pytest.mark.parametrize(
    ("weight", "dose", "level", "shown"),
    [
        # 5.4 x 85.77 = 463.158 mg; 95% of it is 440.0001 mg: 440 mg is just outside
        ("85.77 kg", "440 mg", 0, "-5.00002"),
        # 338.3 lb = 153.450298... kg; 787.2 mg is 5.000004% below 828.63... mg
        ("338.3 lb", "787.2 mg", 0, "-5.000004"),
        # 172.6 lb = 78.290043... kg; 4.4 mg/kg = 344.476... mg, +5% of it 361.699... mg
        ("172.6 lb", "361.7 mg", -1, "+5.0000003"),
    ],
)
def test_a_dose_a_hair_outside_the_tolerance_prints_the_decimals_that_show_it(
    book, weight, dose, level, shown
):
    c = check(book, "enhertu", weight, dose, indication="breast")
    d = render.dose_check_dict(c)
    assert c.verdict == NO_MATCH and c.nearest.level.level == level
    assert not c.nearest.within_tolerance
    assert f"{shown}%" in d["message"]  # never "-5%" or "+5%" beside "no"
    assert d["nearest"]["difference_pct"] == float(shown)


def test_a_dose_exactly_at_a_two_decimal_tolerance_prints_it_to_two(book):
    # 388.8 mg x (1 - 2.25%) = 380.052 mg: within, and printed -2.25% (not -2.3%, outside)
    c = check(book, "enhertu", "72 kg", "380.052 mg", indication="breast", tolerance="2.25")
    d = render.dose_check_dict(c)
    assert c.verdict == MATCH and c.nearest.within_tolerance
    assert d["nearest"]["difference_pct"] == -2.25
    assert "within 2.25%" in d["message"] and "-2.25%" in d["message"]


def test_a_match_to_the_ordering_precision_prints_one_decimal(book):
    # 389 mg for 388.8 mg: +0.0514%, printed +0.1% (not +0.05%, nor +0%)
    c = check(book, "enhertu", "72 kg", "389 mg", indication="breast")
    d = render.dose_check_dict(c)
    assert c.verdict == MATCH and c.nearest.within_precision
    assert d["nearest"]["difference_pct"] == 0.1
    assert d["message"].endswith("+0.2 mg, +0.1%")


@given(
    weight=st.decimals(min_value=40, max_value=150, places=2),
    dose=st.decimals(min_value=150, max_value=600, places=1),
    tolerance=st.sampled_from(["1", "5", "2.5"]),
)
def test_printed_figures_agree_with_every_decision_hypothesis(book, weight, dose, tolerance):
    c = check(
        book, "enhertu", f"{weight} kg", f"{dose} mg", indication="nsclc", tolerance=tolerance
    )
    d = render.dose_check_dict(c)
    for row in d["comparisons"]:
        shown_within = abs(Decimal(str(row["difference_pct"]))) <= Decimal(tolerance)
        exact = [x for x in c.comparisons if x.name == row["name"]][0]
        if not exact.within_precision:
            assert shown_within == row["within_tolerance"], row


def test_the_plans_own_rounded_dose_is_recognised(book):
    rounding = with_policy(book, round_to_vial_pct=Decimal(10))
    planned = compute_plan(
        rounding,
        PlanRequest(
            drug="enhertu", weight="72 kg", indication="breast", prepared_at="2026-03-02 09:00"
        ),
    )
    assert units.magnitude(planned.dose, "mg") == 400  # 5.56 mg/kg, above 5.4 mg/kg
    assert any("raised the dose above the label dose" in w for w in planned.warnings)
    assert any("5.56 mg/kg" in w and "388.8 mg" in w for w in planned.warnings)
    c = check(rounding, "enhertu", "72 kg", "400 mg", indication="breast", tolerance="1")
    assert c.verdict == MATCH and c.over_label is None
    assert any("active rounding policy" in n for n in c.notes)
    # the same dose without that policy is above the label
    assert check(book, "enhertu", "72 kg", "400 mg", indication="breast").verdict == (
        ABOVE_LABEL_DOSE
    )


def test_a_planned_dose_is_recognised_to_exactly_half_the_ordering_precision(book):
    # the plan's 400 mg (vial rounding 10%, 72 kg), orders to the whole mg: 400.5 mg and
    # 399.5 mg are that order; 400.51 mg and 399.49 mg are not, and are above the label
    rounding = with_policy(book, round_to_vial_pct=Decimal(10))
    for dose in ("400.5 mg", "399.5 mg"):
        c = check(rounding, "enhertu", "72 kg", dose, indication="breast", tolerance="1")
        assert c.verdict == MATCH and c.over_label is None, dose
        assert any(n.startswith(f"{dose} is the dose the active rounding") for n in c.notes)
    for dose in ("400.51 mg", "399.49 mg"):
        c = check(rounding, "enhertu", "72 kg", dose, indication="breast", tolerance="1")
        assert c.verdict == ABOVE_LABEL_DOSE, dose


def test_a_tolerance_covering_two_levels_is_ambiguous(book):
    # 72 kg: 388.8 mg (level 0) and 316.8 mg (level -1); 350 mg is -10% and +10.5%
    c = check(book, "enhertu", "72 kg", "350 mg", indication="breast", tolerance="12")
    assert c.verdict == AMBIGUOUS and not c.matched
    assert {x.level.level for x in c.covered} == {0, -1}
    message = render.dose_check_dict(c)["message"]
    assert "level 0" in message and "level -1" in message and "AMBIGUOUS" in message


def test_an_exact_dose_is_not_ambiguous_under_a_wide_tolerance(whole_mg):
    c = check(whole_mg, "enhertu", "72 kg", "317 mg", indication="breast", tolerance="20")
    assert c.verdict == MATCH and c.nearest.level.level == -1
    assert any("also covers level 0" in n for n in c.notes)


def test_within_tolerance_but_above_a_reduced_level_says_so(book):
    c = check(book, "enhertu", "72 kg", "325 mg", indication="breast")  # 316.8 mg, +2.6%
    assert c.verdict == MATCH and c.nearest.level.level == -1
    assert any("above level -1" in n and "reduced dose" in n for n in c.notes)


def test_cli_ambiguous_exits_1(cli):
    result = cli(
        "check",
        "enhertu",
        "--indication",
        "breast",
        "--weight",
        "72 kg",
        "--dose",
        "350 mg",
        "--tolerance",
        "12",
        "--format",
        "json",
    )
    assert result.exit_code == 1
    assert '"verdict": "ambiguous"' in result.stdout


def test_a_rounded_trastuzumab_dose_is_recognised_for_the_named_product(book):
    rounding = with_policy(book, round_to_vial_pct=Decimal(10))
    kw = {"indication": "gastric", "phase": "loading", "tolerance": "1"}
    # 73.75 kg x 8 mg/kg = 590 mg; OGIVRI's vials round it to 600 mg (+1.7%)
    named = check(rounding, "trastuzumab", "73.75 kg", "600 mg", product="ogivri", **kw)
    assert named.verdict == MATCH
    assert any("active rounding policy" in n for n in named.notes)
    unnamed = check(rounding, "trastuzumab", "73.75 kg", "600 mg", **kw)
    assert unnamed.verdict == ABOVE_LABEL_DOSE
    assert any("no product was named" in n for n in unnamed.notes)


def test_one_dose_planned_at_two_levels_is_ambiguous(book):
    # KADCYLA 45.9 kg: 165.24 mg (level 0) and 137.7 mg (level -1) both round to 150 mg
    steps = with_policy(book, round_increment_mg=Decimal(25))
    c = check(steps, "kadcyla", "45.9 kg", "150 mg", indication="mbc")
    assert c.verdict == AMBIGUOUS and not c.matched
    assert "level 0" in c.message and "level -1" in c.message


def test_a_dose_as_near_two_levels_as_orders_are_written_is_ambiguous(whole_mg):
    # 1 kg: level 0 is 5.4 mg, level -1 4.4 mg; 4.9 mg is half a mg from each
    c = check(whole_mg, "enhertu", "1 kg", "4.9 mg", indication="breast")
    assert c.verdict == AMBIGUOUS
    assert [comp.level.level for comp in c.comparisons if comp.within_precision] == [0, -1]
    message = render.dose_check_message(c)
    assert "within half the ordering precision (1 mg)" in message
    assert "level 0 (starting dose) (5.4 mg) and level -1" in message
    # a tenth of a mg nearer level 0 is level 0
    assert check(whole_mg, "enhertu", "1 kg", "5 mg", indication="breast").verdict == MATCH
