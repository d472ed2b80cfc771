"""`her2dose check`: level matching, tolerance, over-label flags, and two properties:
the dose `levels` prints at a level is identified as that level, and a dose between two
levels matches neither unless it is within tolerance of one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import SHIPPED
from hypothesis import given
from hypothesis import strategies as st

from her2dose import render
from her2dose.commands.check import PRINTED_MG, compute_check
from her2dose.commands.levels import compute_levels
from her2dose.data import loader as regimens
from her2dose.errors import InputError
from her2dose.model.records import replace
from her2dose.model.results import (
    ABOVE_LABEL_DOSE,
    ABOVE_MAXIMUM,
    AMBIGUOUS,
    MATCH,
    NO_MATCH,
    CheckRequest,
    LevelsRequest,
)

# These tests pin the rule at the printed precision (orders to 0.1 mg); the shipped
# [policy] order_precision_mg and its boundary are tested in test_dose_check_precision.py.
_SHIPPED_BOOK = regimens.load(SHIPPED)
BOOK = replace(_SHIPPED_BOOK, policy=replace(_SHIPPED_BOOK.policy, order_precision_mg=PRINTED_MG))


@pytest.fixture
def book():
    return BOOK


def check(book, drug, weight, dose, **kw):
    return compute_check(book, CheckRequest(drug=drug, weight=weight, dose=dose, **kw))


# -- the examples -----------------------------------------------------------------


def test_6_6_mg_per_kg_for_gastric_is_flagged_3_1_percent_above_6_4(book):
    result = check(book, "enhertu", "72 kg", "6.6 mg/kg", indication="gastric")
    assert result.verdict == ABOVE_LABEL_DOSE and not result.matched
    assert result.nearest.within_tolerance  # inside the 5% tolerance, flagged all the same
    assert result.over_label.limit_rate.m_as("mg/kg") == Decimal("6.4")
    assert render.percent(result.over_label.difference_pct) == 3.1
    message = render.dose_check_message(result)
    assert "6.6 mg/kg" in message and "3.1%" in message and "6.4 mg/kg" in message


def test_6_4_mg_per_kg_for_gastric_matches_the_starting_dose(book):
    result = check(book, "enhertu", "72 kg", "6.4 mg/kg", indication="gastric")
    assert result.verdict == MATCH and result.nearest.level.level == 0
    assert result.nearest.difference_pct == 0


def test_kadcyla_never_above_3_6_mg_per_kg(book):
    result = check(book, "kadcyla", "60 kg", "3.7 mg/kg", indication="mbc")
    assert result.verdict == ABOVE_MAXIMUM
    assert result.over_label.kind == "maximum"
    assert result.over_label.limit_rate.m_as("mg/kg") == Decimal("3.6")
    assert "KADCYLA" in result.over_label.source
    barely = check(book, "kadcyla", "60 kg", "216.1 mg", indication="mbc", tolerance="20")
    assert barely.verdict == ABOVE_MAXIMUM  # 3.6 x 60 = 216 mg; any tolerance


def test_a_dose_above_the_starting_dose_is_flagged_however_small(book):
    result = check(book, "enhertu", "72 kg", "389 mg", indication="breast")
    assert result.verdict == ABOVE_LABEL_DOSE  # 5.4 x 72 = 388.8 mg
    assert result.over_label.difference.m_as("mg") == Decimal("0.2")


def test_a_dose_below_the_level_within_tolerance_matches(book):
    result = check(book, "enhertu", "72 kg", "380 mg", indication="breast")
    assert result.verdict == MATCH and result.nearest.level.level == 0
    assert render.percent(result.nearest.difference_pct) == -2.3  # -8.8 / 388.8


def test_printed_figures_are_the_dose_not_above_it(book):
    # 5.4 x 72.33 = 390.582 mg, printed 390.6 mg
    assert check(book, "enhertu", "72.33 kg", "390.6 mg", indication="breast").verdict == MATCH
    assert (
        check(book, "enhertu", "72.33 kg", "390.7 mg", indication="breast").verdict
        == ABOVE_LABEL_DOSE
    )
    assert Decimal(1).scaleb(-render.PLACES["mg"]) == PRINTED_MG


def test_grams_are_read_as_mass(book):
    result = check(book, "enhertu", "72 kg", "0.3888 g", indication="breast")
    assert result.verdict == MATCH and result.ordered_mg.m_as("mg") == Decimal("388.8")


# -- levels, tolerance --------------------------------------------------------------------


def test_dose_between_levels_outside_tolerance_matches_no_level(book):
    result = check(book, "enhertu", "72 kg", "350 mg", indication="breast")
    assert result.verdict == NO_MATCH
    assert result.nearest.level.level == 0  # -10% from 388.8, +10.5% from 316.8


def test_with_level_only_that_level_is_compared(book):
    result = check(book, "enhertu", "72 kg", "316.8 mg", indication="breast", level="-1")
    assert result.verdict == MATCH and [c.level.level for c in result.comparisons] == [-1]
    other = check(book, "enhertu", "72 kg", "388.8 mg", indication="breast", level="-1")
    assert other.verdict == NO_MATCH  # the starting dose is not level -1


def test_level_the_regimen_lacks_is_an_error_listing_levels(book):
    with pytest.raises(InputError, match="valid levels are 0, -1, -2"):
        check(book, "kadcyla", "60 kg", "180 mg", indication="mbc", level="-4")


def test_tolerance_flag_overrides_the_policy(book):
    result = check(book, "enhertu", "72 kg", "350 mg", indication="breast", tolerance="10")
    assert result.verdict == MATCH and result.tolerance_from == "--tolerance"
    assert (
        check(book, "enhertu", "72 kg", "388 mg", indication="breast", tolerance="0").verdict
        == NO_MATCH
    )


def test_tolerance_comes_from_the_policy_table(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "dose_tolerance_pct = 5", "dose_tolerance_pct = 10"
    )
    path = tmp_path / "regimens.toml"
    path.write_text(text, encoding="utf-8")
    book = regimens.load(path)
    result = check(book, "enhertu", "72 kg", "350 mg", indication="breast")
    assert result.verdict == MATCH and result.tolerance_pct == 10
    assert result.tolerance_from == "policy"


@pytest.mark.parametrize("text", ["-1", "100", "five"])
def test_bad_tolerance(book, text):
    with pytest.raises(InputError, match="--tolerance"):
        check(book, "enhertu", "72 kg", "350 mg", indication="breast", tolerance=text)


@pytest.mark.parametrize(
    ("dose", "message"),
    [
        ("389", "has no unit"),
        ("20 mL", "must be a mass such as '389 mg'"),
        ("0 mg", "more than zero"),
        ("", "dose is required"),
    ],
)
def test_bad_doses(book, dose, message):
    with pytest.raises(InputError, match=message):
        check(book, "enhertu", "72 kg", dose, indication="breast")


# -- trastuzumab: compared with the phase the user names -----------------------------------


def test_trastuzumab_needs_the_phase(book):
    with pytest.raises(InputError, match="choose one with --phase: loading, maintenance"):
        check(book, "herceptin", "60 kg", "360 mg", indication="gastric")


def test_trastuzumab_adjuvant_needs_the_schedule(book):
    with pytest.raises(InputError, match="--schedule: q3w, weekly"):
        check(
            book, "herceptin", "60 kg", "360 mg", indication="adjuvant-breast", phase="maintenance"
        )


def test_trastuzumab_loading_dose_given_as_maintenance_is_above_the_label(book):
    result = check(book, "ogivri", "60 kg", "480 mg", indication="gastric", phase="maintenance")
    assert result.verdict == ABOVE_LABEL_DOSE
    assert "maintenance" in result.over_label.what
    assert (
        check(book, "ogivri", "60 kg", "480 mg", indication="gastric", phase="loading").verdict
        == MATCH
    )


def test_trastuzumab_maintenance_given_for_loading_matches_nothing(book):
    result = check(book, "herceptin", "60 kg", "6 mg/kg", indication="gastric", phase="loading")
    assert result.verdict == NO_MATCH and result.scope == "phase"


def test_trastuzumab_has_no_levels_to_check_against(book):
    with pytest.raises(InputError, match="no dose reductions"):
        check(
            book,
            "herceptin",
            "60 kg",
            "360 mg",
            indication="gastric",
            phase="maintenance",
            level="-1",
        )


# -- properties ---------------------------------------------------------------------------


def _drug_and_product(regimen):
    products = BOOK.products_of(regimen.molecule_id)
    return regimen.molecule_id, products[0].id


weights = st.decimals(min_value=30, max_value=200, places=2)


@given(regimen_id=st.sampled_from(sorted(BOOK.regimens)), weight=weights)
def test_check_of_the_dose_levels_prints_identifies_that_level(regimen_id, weight):
    regimen = BOOK.regimens[regimen_id]
    drug, product = _drug_and_product(regimen)
    table = compute_levels(
        BOOK,
        LevelsRequest(
            drug=drug,
            indication=regimen.indication,
            weight=f"{weight} kg",
            product=product,
        ),
    )
    printed = render.levels_dict(table)["levels"]
    assert printed
    for row in printed:
        typed = [f"{row['dose_mg']} mg"]
        if row["dose_mg_per_kg"] is not None:  # flat-dose regimens (PERJETA) have no mg/kg
            typed.append(f"{row['dose_mg_per_kg']} mg/kg")
        for dose in typed:
            result = check(
                BOOK,
                drug,
                f"{weight} kg",
                dose,
                indication=regimen.indication,
                schedule=row["schedule"],
                phase=row["phase"],
            )
            assert result.verdict == MATCH, (row, dose, render.dose_check_message(result))
            found = result.matched_level
            assert (found.level.level if found.level is not None else None) == row["level"]


levelled = sorted(r.id for r in BOOK.regimens.values() if r.has_reductions)


@given(
    regimen_id=st.sampled_from(levelled),
    weight=weights,
    data=st.data(),
    fraction=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.999"), places=3),
    tolerance=st.decimals(min_value=0, max_value=10, places=1),
)
def test_a_dose_between_two_levels_matches_neither_unless_within_tolerance(
    regimen_id, weight, data, fraction, tolerance
):
    regimen = BOOK.regimens[regimen_id]
    i = data.draw(st.integers(min_value=0, max_value=len(regimen.levels) - 2))
    upper_level, lower_level = regimen.levels[i], regimen.levels[i + 1]
    upper = upper_level.dose.m_as("mg/kg") * weight
    lower = lower_level.dose.m_as("mg/kg") * weight
    dose = (lower + (upper - lower) * fraction).quantize(Decimal("0.001"))
    if not lower < dose < upper:
        return
    result = check(
        BOOK,
        regimen.molecule_id,
        f"{weight} kg",
        f"{dose} mg",
        indication=regimen.indication,
        tolerance=str(tolerance),
    )

    def within(label: Decimal) -> bool:
        return abs(dose - label) <= max(label * tolerance / 100, PRINTED_MG / 2)

    near = {lv.level for lv, mg in ((upper_level, upper), (lower_level, lower)) if within(mg)}
    # below the starting dose: never "above"
    assert result.verdict in (MATCH, NO_MATCH, AMBIGUOUS)
    if len(near) == 2:  # a tolerance wide enough for both levels names neither
        assert result.verdict == AMBIGUOUS and result.matched_level is None
    elif near:
        assert result.verdict == MATCH and result.matched_level.level.level in near
    else:
        assert result.verdict == NO_MATCH and result.matched_level is None
