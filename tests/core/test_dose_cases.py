"""Vials, dose rules, infusion and the dose check: the figures a small slip in the core would change.

Each case pins a number a plausible one-token mistake (a flipped comparison, a constant off by
one, min for max, another rounding mode) would get wrong. The tests go through public entry
points only (compute_plan, compute_check, plan_vials, the rounding functions, plan_infusion and
the CLI's JSON), so they hold however the internals are arranged. Every expected figure is
worked out by hand from the shipped regimens.toml; the arithmetic is in the comment beside it.
benchmarks/mutants.py runs these tests against generated mutants of the core.
"""

from __future__ import annotations

import json

import pytest
from core_cases import (
    ENHERTU_BREAST,
    KADCYLA_MBC,
    OGIVRI_GASTRIC_LOADING,
    D,
    check,
    counts,
    in_mg,
    mg,
    plan,
    vials_of,
)

from her2dose import units
from her2dose.core import dosing
from her2dose.core.infusion import plan_infusion
from her2dose.core.rounding import (
    new_vials_for,
    round_to_increment,
    round_to_vial,
    whole_vial_totals,
)
from her2dose.core.vials import plan_vials
from her2dose.errors import InputError
from her2dose.model.records import replace
from her2dose.model.results import (
    ABOVE_LABEL_DOSE,
    ABOVE_MAXIMUM,
    MATCH,
    NO_MATCH,
)

# -- vials --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose", "strengths", "expected", "leftover"),
    [
        # 259.2 from 100/160: 160 + 100 = 260 (0.8 left) beats 3 x 100 = 300
        ("259.2", (100, 160), {160: 1, 100: 1}, "0.8"),
        # exactly 2 x 160 = 320: 0 left, 2 vials
        ("320", (100, 160), {160: 2}, "0"),
        # 320.01: 160 + 2 x 100 = 360 (39.99 left) beats 4 x 100 = 400 and 3 x 160 = 480
        ("320.01", (100, 160), {160: 1, 100: 2}, "39.99"),
        # 200: 2 x 100 (0 left), not 2 x 160 = 320
        ("200", (160, 100), {100: 2}, "0"),
        # 590 from 150/420: 4 x 150 = 600 (10 left) beats 2 x 420 = 840 and 420 + 2 x 150 = 720
        ("590", (150, 420), {150: 4}, "10"),
        # 570 exactly: 420 + 150
        ("570", (150, 420), {420: 1, 150: 1}, "0"),
        # 600 from 150 and 300: 2 x 300 (fewest vials), not 4 x 150 (same leftover 0)
        ("600", (150, 300), {300: 2}, "0"),
        # 1 mg: one smallest vial
        ("1", (100, 160), {100: 1}, "99"),
        # 150 from a single 150 mg strength: exactly one
        ("150", (150,), {150: 1}, "0"),
        ("150.01", (150,), {150: 2}, "149.99"),
    ],
)
def test_vial_plans(dose, strengths, expected, leftover):
    p = plan_vials(mg(dose), vials_of(*strengths))
    assert counts(p) == {D(s): n for s, n in expected.items()}
    assert in_mg(p.leftover) == D(leftover)
    assert in_mg(p.total) == D(dose) + D(leftover)
    assert p.vial_count == sum(expected.values())
    # largest strength first
    shown = [in_mg(c.vial.strength) for c in p.counts]
    assert shown == sorted(shown, reverse=True)


def test_plan_vials_fewest_vials_on_equal_leftover_in_any_order():
    # 480 mg from 160 and 240 mg vials: 2 x 240 (2 vials) and 3 x 160 (3 vials) both leave 0
    for order in ((160, 240), (240, 160)):
        assert counts(plan_vials(mg(480), vials_of(*order))) == {D(240): 2}


# -- dose rules ---------------------------------------------------------------------------


def test_dose_for_per_kg_and_flat(book):
    assert dosing.dose_for(
        units.quantity(D("5.4"), "mg/kg"), "per_kg", units.quantity(72, "kg")
    ) == (mg("388.8"))  # 5.4 x 72 = 388.8
    # a flat dose ignores the weight
    assert dosing.dose_for(mg(840), "flat", units.quantity(72, "kg")) == mg(840)
    # 72000 g is 72 kg: 3.6 x 72 = 259.2
    assert dosing.dose_for(
        units.quantity(D("3.6"), "mg/kg"), "per_kg", units.quantity(72000, "g")
    ) == mg("259.2")
    assert dosing.dose_text(units.quantity(D("5.40"), "mg/kg"), "per_kg") == "5.4 mg/kg"
    assert dosing.dose_text(mg(840), "flat") == "840 mg"


def test_levels_and_next_steps(book):
    regimen = book.regimens["tdxd-breast"]
    assert dosing.parse_level(None) is None and dosing.parse_level("") is None
    assert dosing.parse_level(" -1 ") == -1 and dosing.parse_level(0) == 0
    with pytest.raises(InputError, match="not a whole number"):
        dosing.parse_level("-1.5")
    start = dosing.select_level(regimen, None)
    assert start.level == 0 and start.dose == units.quantity(D("5.4"), "mg/kg")
    second = dosing.select_level(regimen, -2)
    assert second.dose == units.quantity(D("3.2"), "mg/kg")
    with pytest.raises(InputError, match="valid levels are 0, -1, -2"):
        dosing.select_level(regimen, -3)
    with pytest.raises(InputError, match="no level 1"):
        dosing.select_level(regimen, 1)
    first = dosing.level_after(regimen, start)
    assert first.level == -1
    assert dosing.level_after(regimen, second) is None
    assert dosing.level_after(regimen, None) is None
    assert dosing.next_step(regimen, start) == (
        "reduce to level -1 (first dose reduction, 4.4 mg/kg)"
    )
    assert dosing.next_step(regimen, second) == regimen.further_reduction.text


def test_level_0_for_a_regimen_without_levels(book, cli):
    # trastuzumab is dosed by phase: --level 0 (the labelled dose) is accepted and changes
    # nothing; any other level is refused. 8 mg/kg x 70 kg = 560 mg.
    regimen = book.regimens["trastuzumab-gastric"]
    assert dosing.select_level(regimen, 0) is None
    assert dosing.select_level(regimen, None) is None
    with pytest.raises(InputError, match="no dose reductions"):
        dosing.select_level(regimen, -1)
    with pytest.raises(InputError, match="no dose reductions"):
        dosing.select_level(regimen, 1)
    assert dosing.next_step(regimen, None) == dosing.NO_REDUCTIONS
    p = plan(book, "70 kg", **OGIVRI_GASTRIC_LOADING, level="0")
    assert in_mg(p.dose) == D(560) and p.level is None
    result = cli("plan", "ogivri", "--indication", "gastric", "--phase", "loading",
                 "--weight", "70 kg", "--level", "0", "--format", "json")  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["dose_mg"] == 560
    refused = cli("plan", "ogivri", "--indication", "gastric", "--phase", "loading",
                  "--weight", "70 kg", "--level", "-1", "--format", "json")  # fmt: skip
    assert refused.exit_code == 2
    assert "no dose reductions" in refused.stderr
    checked = cli("check", "ogivri", "--indication", "gastric", "--phase", "loading",
                  "--weight", "70 kg", "--dose", "560 mg", "--level", "0", "--format", "json")  # fmt: skip
    assert checked.exit_code == 0
    assert json.loads(checked.stdout)["verdict"] == MATCH


# -- infusion -----------------------------------------------------------------------------


def test_kadcyla_infusion_volumes_and_rates(book):
    # 250 mg at 20 mg/mL = 12.5 mL; + 250 mL bag = 262.5 mL; over 90 min: 262.5 / 90 x 60
    # = 175 mL/h; over 30 min (subsequent): 525 mL/h.
    first = plan(book, "72 kg", **KADCYLA_MBC, round_increment_mg="10")
    i = first.infusion
    assert units.magnitude(i.drug_volume, "mL") == D("12.5")
    assert units.magnitude(i.total_volume, "mL") == D("262.5")
    assert units.magnitude(i.minutes, "min") == D(90)
    assert units.magnitude(i.rate, "mL/h") == D(175)
    later = plan(book, "72 kg", **KADCYLA_MBC, round_increment_mg="10", infusion="subsequent")
    assert units.magnitude(later.infusion.minutes, "min") == D(30)
    assert units.magnitude(later.infusion.rate, "mL/h") == D(525)
    assert [(in_mg(r.strength), r.count) for r in i.reconstitution] == [(D(160), 1), (D(100), 1)]
    assert [units.magnitude(r.volume, "mL") for r in i.reconstitution] == [D(8), D(5)]


def test_plan_infusion_directly(book):
    phase = book.regimens["kadcyla-metastatic-breast"].schedules["q3w"].phases["standard"]
    vial_plan = plan_vials(mg(300), vials_of(100))
    prep = book.molecules["ado-trastuzumab-emtansine"].preparation
    # 300 mg at the vial's 20 mg/mL: 15 mL; + 250 mL = 265 mL over 90 min = 176.67 mL/h
    out = plan_infusion(mg(300), vial_plan, prep, phase, "first")
    assert units.magnitude(out.drug_volume, "mL") == D(15)
    assert units.magnitude(out.total_volume, "mL") == D(265)
    assert units.magnitude(out.rate, "mL/h").quantize(D("0.01")) == D("176.67")
    assert [(in_mg(r.strength), r.count) for r in out.reconstitution] == [(D(100), 3)]
    assert out.which == "first"
    # a given concentration wins over the vial's: 300 / 25 = 12 mL
    given = plan_infusion(
        mg(300), vial_plan, prep, phase, "subsequent", units.quantity(25, "mg/mL")
    )
    assert units.magnitude(given.drug_volume, "mL") == D(12)
    assert units.magnitude(given.minutes, "min") == D(30)
    # 262 mL over 30 min = 524 mL/h
    assert units.magnitude(given.rate, "mL/h") == D(524)
    # no preparation: no bag, no total volume, no rate
    bare = plan_infusion(mg(300), vial_plan, None, phase, "first")
    assert bare.total_volume is None and bare.rate is None
    assert units.magnitude(bare.drug_volume, "mL") == D(15)


# -- dose check ---------------------------------------------------------------------------


def test_check_exactly_at_the_tolerance_matches(book):
    # ENHERTU breast, 72 kg: levels 5.4, 4.4, 3.2 mg/kg = 388.8, 316.8, 230.4 mg. Tolerance
    # 5% (shipped policy): 316.8 x 1.05 = 332.64 mg is exactly 5% above level -1: a match.
    at = check(book, "72 kg", "332.64 mg", **ENHERTU_BREAST)
    assert at.verdict == MATCH
    assert at.nearest.level.level == -1
    assert at.nearest.within_tolerance
    assert at.nearest.difference_pct == D(5)
    # 0.01 mg more: 15.85 mg > 15.84 mg (5% of 316.8): no match
    beyond = check(book, "72 kg", "332.65 mg", **ENHERTU_BREAST)
    assert beyond.verdict == NO_MATCH
    assert not beyond.nearest.within_tolerance
    # 5% below: 316.8 x 0.95 = 300.96 mg: a match; 300.95 mg: none
    assert check(book, "72 kg", "300.96 mg", **ENHERTU_BREAST).verdict == MATCH
    assert check(book, "72 kg", "300.95 mg", **ENHERTU_BREAST).verdict == NO_MATCH
    # in mg/kg: 4.4 x 1.05 = 4.62 mg/kg is exactly 5% above: a match
    assert check(book, "72 kg", "4.62 mg/kg", **ENHERTU_BREAST).verdict == MATCH
    assert check(book, "72 kg", "4.6201 mg/kg", **ENHERTU_BREAST).verdict == NO_MATCH


def test_check_tolerance_option(book):
    # --tolerance 5%: "5%" reads as 5; 4%: 332.64 mg (5% above level -1) no longer matches
    five = check(book, "72 kg", "332.64 mg", **ENHERTU_BREAST, tolerance="5%")
    assert (five.tolerance_pct, five.tolerance_from, five.verdict) == (D(5), "--tolerance", MATCH)
    four = check(book, "72 kg", "332.64 mg", **ENHERTU_BREAST, tolerance="4 %")
    assert (four.tolerance_pct, four.verdict) == (D(4), NO_MATCH)
    # 0% still matches the printed dose (316.8) exactly
    assert check(book, "72 kg", "316.8 mg", **ENHERTU_BREAST, tolerance="0").verdict == MATCH
    for bad in ("100", "-1", "abc", "nan", "inf"):
        with pytest.raises(InputError):
            check(book, "72 kg", "316.8 mg", **ENHERTU_BREAST, tolerance=bad)
    assert check(book, "72 kg", "316.8 mg", **ENHERTU_BREAST, tolerance="99.9").tolerance_pct == (
        D("99.9")
    )


@pytest.fixture
def printed(book):
    """Orders to the printed 0.1 mg ([policy] order_precision_mg = 0.1): the finest rule."""
    return replace(book, policy=replace(book.policy, order_precision_mg=D("0.1")))


def test_mg_per_kg_dose_just_above_the_label(printed):
    book = printed
    # 5.41 mg/kg > 5.4 mg/kg, the ENHERTU breast starting dose: above the label though only
    # 0.19% from it (5.41 x 72 = 389.52 mg, 0.72 mg above 388.8 mg; no allowance in mg/kg).
    c = check(book, "72 kg", "5.41 mg/kg", **ENHERTU_BREAST)
    assert c.verdict == ABOVE_LABEL_DOSE
    assert c.over_label.kind == "label-dose"
    assert in_mg(c.over_label.limit_dose) == D("388.8")
    assert in_mg(c.over_label.difference) == D("0.72")
    # cited from the starting dose's own entry, not a reduction's ("§2.3 Table 1")
    assert c.over_label.source == "ENHERTU US PI §2.2"
    assert c.nearest.level.level == 0 and c.nearest.within_tolerance
    assert check(book, "72 kg", "5.4 mg/kg", **ENHERTU_BREAST).verdict == MATCH
    # an mg/kg order is compared by its mg, to the ordering precision like any order:
    # 5.4001 x 72 = 388.807 mg is within 0.05 mg of 388.8 mg; 5.402 x 72 = 388.944 mg is not
    assert check(book, "72 kg", "5.4001 mg/kg", **ENHERTU_BREAST).verdict == MATCH
    assert check(book, "72 kg", "5.402 mg/kg", **ENHERTU_BREAST).verdict == ABOVE_LABEL_DOSE


def test_mg_dose_above_the_printed_label_dose(printed):
    book = printed
    # In mg, the printed dose (to 0.1 mg, half-up) is the dose: 388.8 + 0.05 = 388.85 mg is
    # not above; 388.86 mg is (0.06 mg > 0.05 mg).
    assert check(book, "72 kg", "388.85 mg", **ENHERTU_BREAST).verdict == MATCH
    above = check(book, "72 kg", "388.86 mg", **ENHERTU_BREAST)
    assert above.verdict == ABOVE_LABEL_DOSE
    assert in_mg(above.over_label.difference) == D("0.06")


def test_check_above_the_kadcyla_maximum(book):
    # KADCYLA 72 kg: the maximum is 3.6 mg/kg = 259.2 mg; 262 mg is 2.8 mg above it
    # (2.8 / 259.2 = 1.08%). The maximum is checked before the starting dose.
    c = check(book, "72 kg", "262 mg", **KADCYLA_MBC)
    assert c.verdict == ABOVE_MAXIMUM
    assert c.over_label.kind == "maximum"
    assert in_mg(c.over_label.limit_dose) == D("259.2")
    assert in_mg(c.over_label.difference) == D("2.8")
    assert c.over_label.difference_pct.quantize(D("0.01")) == D("1.08")
    # at a given level the maximum still applies: level -1 (3.0 x 72 = 216 mg), 262 mg
    lv = check(book, "72 kg", "262 mg", **KADCYLA_MBC, level="-1")
    assert lv.verdict == ABOVE_MAXIMUM and lv.scope == "level"
    assert [in_mg(x.label_dose) for x in lv.comparisons] == [D(216)]


def test_check_nearest_and_comparisons(book):
    # ENHERTU 72 kg, 350 mg: 388.8 (-9.98%), 316.8 (+10.48%), 230.4 (+51.9%): nearest is
    # level 0 by percent, outside 5%: no match, nothing above the label.
    c = check(book, "72 kg", "350 mg", **ENHERTU_BREAST)
    assert [in_mg(x.label_dose) for x in c.comparisons] == [D("388.8"), D("316.8"), D("230.4")]
    assert [in_mg(x.difference) for x in c.comparisons] == [D("-38.8"), D("33.2"), D("119.6")]
    assert c.nearest.level.level == 0
    assert c.verdict == NO_MATCH and c.over_label is None
    assert c.scope == "all-levels"
    # 352.8 mg: -9.26% from 388.8, +11.36% from 316.8: level 0
    assert check(book, "72 kg", "352.8 mg", **ENHERTU_BREAST).nearest.level.level == 0
    # 351.5 mg: 37.3/388.8 = 9.59%, 34.7/316.8 = 10.95%: still level 0; 345 mg: 11.27% vs
    # 8.9%: level -1
    assert check(book, "72 kg", "345 mg", **ENHERTU_BREAST).nearest.level.level == -1


def test_check_ties_go_to_the_lower_dose(book):
    # ENHERTU 49 kg: 5.4 and 4.4 mg/kg = 264.6 and 215.6 mg. 237.6 mg is 27 / 264.6 = 5/49
    # below the first and 22 / 215.6 = 5/49 above the second (10.2%): a tie by percent, read
    # as the lower dose, level -1. Outside 5%: no match.
    c = check(book, "49 kg", "237.6 mg", **ENHERTU_BREAST)
    assert abs(c.comparisons[0].difference_pct) == abs(c.comparisons[1].difference_pct)
    assert c.nearest.level.level == -1
    assert c.verdict == NO_MATCH
    # at one level only, that level is the nearest: 4.4 x 100 = 440 mg, a match
    lv = check(book, "100 kg", "440 mg", **ENHERTU_BREAST, level="-1")
    assert lv.scope == "level" and lv.nearest.level.level == -1 and lv.verdict == MATCH


def test_check_phase_regimen(book):
    # OGIVRI gastric maintenance 6 mg/kg x 70 kg = 420 mg; 441 mg is exactly 5% above the
    # labelled maintenance dose: within tolerance, but above the label (21 mg > 0.05 mg).
    c = check(book, "70 kg", "441 mg", drug="ogivri", indication="gastric", phase="maintenance")
    assert c.scope == "phase"
    assert c.verdict == ABOVE_LABEL_DOSE
    assert c.over_label.kind == "label-dose"
    assert in_mg(c.over_label.limit_dose) == D(420)
    assert c.nearest.within_tolerance
    # 399 mg: exactly 5% below: match; 398.99 mg: no match
    m = check(book, "70 kg", "399 mg", drug="ogivri", indication="gastric", phase="maintenance")
    assert m.verdict == MATCH
    n = check(book, "70 kg", "398.99 mg", drug="ogivri", indication="gastric", phase="maintenance")
    assert n.verdict == NO_MATCH


def test_check_dose_grammar(book):
    for bad, word in (("", "required"), ("389", "no unit"), ("0 mg", "more than zero"),
                      ("5 mL", "must be a mass")):  # fmt: skip
        with pytest.raises(InputError, match=word):
            check(book, "72 kg", bad, **ENHERTU_BREAST)
    c = check(book, "72 kg", "5.4 mg/kg", **ENHERTU_BREAST)
    assert c.per_kg_input and in_mg(c.ordered_mg) == D("388.8")
    g = check(book, "72 kg", "0.3888 g", **ENHERTU_BREAST)
    assert not g.per_kg_input and in_mg(g.ordered_mg) == D("388.8")
    assert units.magnitude(g.ordered_rate, "mg/kg") == D("5.4")


# -- the JSON a pharmacy system reads -----------------------------------------------------


def test_json_check_values(cli):
    # KADCYLA 72 kg, 262 mg: comparisons 3.6, 3.0, 2.4 mg/kg x 72 = 259.2, 216, 172.8 mg;
    # over the maximum 259.2 mg by 2.8 mg.
    result = cli("check", "kadcyla", "--indication", "metastatic-breast", "--weight", "72 kg",
                 "--dose", "262 mg", "--format", "json")  # fmt: skip
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert [c["dose_mg"] for c in out["comparisons"]] == [259.2, 216, 172.8]
    assert [c["within_tolerance"] for c in out["comparisons"]] == [True, False, False]
    assert out["over_label"]["limit_mg"] == 259.2
    assert out["over_label"]["difference_mg"] == 2.8
    assert out["over_label"]["kind"] == "maximum"
    assert out["verdict"] == ABOVE_MAXIMUM
    # ENHERTU 72 kg, --tolerance 5%, 332.64 mg: a match on level -1 (316.8 mg)
    result = cli("check", "enhertu", "--indication", "breast", "--weight", "72 kg",
                 "--dose", "332.64 mg", "--tolerance", "5%", "--format", "json")  # fmt: skip
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert (out["verdict"], out["level"], out["tolerance_pct"]) == (MATCH, -1, 5)
    assert [c["dose_mg"] for c in out["comparisons"]] == [388.8, 316.8, 230.4]
    assert out["over_label"] is None


def test_json_plan_reconstitution_vials(cli):
    # KADCYLA 127.5 kg at 10%: 459 mg -> 420 mg = 2 x 160 + 1 x 100 mg vials, reconstituted
    # with 8 mL and 5 mL of water each.
    result = cli("plan", "kadcyla", "--indication", "metastatic-breast", "--weight", "127.5 kg",
                 "--round-to-vial-pct", "10", "--prepared-at", "2026-01-10 10:00",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["dose_mg"] == 420
    assert [(r["strength_mg"], r["vials"], r["volume_ml"]) for r in out["reconstitution"]] == [
        (160, 2, 8),
        (100, 1, 5),
    ]
    assert [(v["strength_mg"], v["count"]) for v in out["vials"]] == [(160, 2), (100, 1)]
    assert (out["vial_total_mg"], out["leftover_mg"]) == (420, 0)
    assert out["rounding"]["ordered_dose_mg"] == 459
    assert (out["rounding"]["vials_before"], out["rounding"]["vials_after"]) == (4, 3)
    # OGIVRI 73.75 kg gastric loading at 10%: 600 mg = 4 x 150 mg
    result = cli("plan", "ogivri", "--indication", "gastric", "--phase", "loading",
                 "--weight", "73.75 kg", "--round-to-vial-pct", "10",
                 "--prepared-at", "2026-01-10 10:00", "--format", "json")  # fmt: skip
    out = json.loads(result.stdout)
    assert out["dose_mg"] == 600
    assert [(r["strength_mg"], r["vials"]) for r in out["reconstitution"]] == [(150, 4)]
    # KADCYLA 72 kg, --round-increment-mg 10: 250 mg, never 260 mg
    result = cli("plan", "kadcyla", "--indication", "metastatic-breast", "--weight", "72 kg",
                 "--round-increment-mg", "10", "--prepared-at", "2026-01-10 10:00",
                 "--format", "json")  # fmt: skip
    out = json.loads(result.stdout)
    assert out["dose_mg"] == 250
    assert out["rounding"]["final_dose_mg"] == 250


# -- small amounts: the rules hold below 1 mg too -----------------------------------------


def test_rounding_rules_hold_for_amounts_below_1_mg():
    v = vials_of(150, multiple_dose=True)
    # 0.5 mg new after a 300 mg opened vial still needs one vial
    assert new_vials_for(D("300.5"), v, D(300)) == 1
    # a 0.5 mg vial makes totals of 0.5 and 1 mg up to 1 mg (1 mg is 2 vials)
    assert whole_vial_totals((D("0.5"),), D(1)) == {D("0.5"): 1, D(1): 2}
    # 0.5 mg with 0.8 mg in the opened vial: all from the opened vial
    whole = round_to_vial(mg("0.5"), v, D(5), offset=mg("0.8"))
    assert whole.rounding is None
    assert whole.notes == (
        "vial rounding not applied: the whole dose comes from the opened multiple-dose vial",
    )
    # 0.84 mg with 0.8 mg opened: 0.04 mg new needs a vial; within 10% (0.756-0.924 mg) the
    # opened vial alone, 0.8 mg, needs none: rounded down, vials 1 -> 0.
    alone = round_to_vial(mg("0.84"), v, D(10), offset=mg("0.8"))
    assert in_mg(alone.dose) == D("0.8")
    assert (alone.rounding.vials_before, alone.rounding.vials_after) == (1, 0)
    # 1.4 mg with 1.2 mg opened (0.2 mg new: 1 vial); nearest 1 mg: 1 mg, all from the
    # opened vial (0 new), a 28.57% change, allowed at max 50%.
    step = round_to_increment(mg("1.4"), mg(1), v, D(50), offset=mg("1.2"))
    assert in_mg(step.dose) == D(1)
    assert (step.rounding.vials_before, step.rounding.vials_after) == (1, 0)


def test_the_refused_change_is_shown_to_the_hundredth():
    # 300 mg, nearest 335 mg: 300 / 335 = 0.9 -> 1 -> 335 mg, +35 / 300 = 11.666...% -> 11.67%
    # (one 400 mg vial either way)
    out = round_to_increment(mg(300), mg(335), vials_of(400), D(10))
    assert out.dose == mg(300) and out.rounding is None
    assert out.notes == (
        "not rounded to the nearest 335 mg: the change (11.67%) would exceed rounding_max_pct (10%)",
    )
    # 800 mg, nearest 889 mg: 0.9 -> 1 -> 889 mg, +89 / 800 = 11.125% -> 11.13% (half-up)
    tie = round_to_increment(mg(800), mg(889), vials_of(1000), D(10))
    assert tie.notes == (
        "not rounded to the nearest 889 mg: the change (11.13%) would exceed rounding_max_pct (10%)",
    )


# -- the note on a match above a reduced level (shipped order_precision_mg = 1: half is 0.5 mg)


def _reduced_notes(c):
    return [n for n in c.notes if "above the reduced dose" in n]


def test_a_match_above_a_reduced_level_says_so(book):
    # level -1 = 4.4 x 72 = 316.8 mg; 320 mg is 3.2 mg (+1.0%) above it: within 5%, noted
    c = check(book, "72 kg", "320 mg", **ENHERTU_BREAST)
    assert c.verdict == MATCH and c.nearest.level.level == -1
    assert _reduced_notes(c) == [
        "320 mg is 3.2 mg (+1%) above level -1 (first dose reduction), 316.8 mg: within the "
        "tolerance, but above the reduced dose"
    ]
    # level -2 = 3.2 x 72 = 230.4 mg; 233 mg is 2.6 mg above it: noted too
    assert _reduced_notes(check(book, "72 kg", "233 mg", **ENHERTU_BREAST))


def test_the_reduced_level_note_starts_past_half_the_ordering_precision(book):
    # 317.3 - 316.8 = 0.5 mg, exactly half of 1 mg: the order is that dose, no note;
    # 317.4 mg is 0.6 mg above: noted
    assert _reduced_notes(check(book, "72 kg", "317.3 mg", **ENHERTU_BREAST)) == []
    assert _reduced_notes(check(book, "72 kg", "317.4 mg", **ENHERTU_BREAST))


def test_a_match_below_the_starting_dose_has_no_reduced_level_note(book):
    # 385 mg is 3.8 mg below level 0 (388.8 mg): a match, and nothing to say about reductions
    c = check(book, "72 kg", "385 mg", **ENHERTU_BREAST)
    assert c.verdict == MATCH and c.nearest.level.level == 0
    assert _reduced_notes(c) == []
