"""Doses, vials, roundings and verdicts that a small slip in the core would change.

Each case pins a number a plausible one-token mistake (a flipped comparison, a constant off by
one, min for max, another rounding mode) would get wrong. The tests go through public entry
points only (compute_plan, compute_check, plan_vials, the rounding functions, plan_infusion and
the CLI's JSON), so they hold however the internals are arranged. Every expected figure is
worked out by hand from the shipped regimens.toml; the arithmetic is in the comment beside it.
benchmarks/mutants.py runs these tests against generated mutants of the core.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from her2dose import units
from her2dose.commands.check import compute_check
from her2dose.commands.plan import compute_plan
from her2dose.core import dosing
from her2dose.core.infusion import plan_infusion
from her2dose.core.rounding import (
    apply_rounding,
    new_vials_for,
    round_to_increment,
    round_to_vial,
    whole_vial_totals,
)
from her2dose.core.vials import plan_vials
from her2dose.errors import InputError
from her2dose.model import Vial
from her2dose.model.plan import PlanRequest
from her2dose.model.results import (
    ABOVE_LABEL_DOSE,
    ABOVE_MAXIMUM,
    MATCH,
    NO_MATCH,
    CheckRequest,
)

D = Decimal
NOW = datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
KADCYLA_MBC = {"drug": "kadcyla", "indication": "metastatic-breast"}
OGIVRI_GASTRIC_LOADING = {"drug": "ogivri", "indication": "gastric", "phase": "loading"}
OGIVRI_WEEKLY_MAINTENANCE = {
    "drug": "ogivri",
    "indication": "metastatic-breast",
    "schedule": "weekly",
    "phase": "maintenance",
}
ENHERTU_BREAST = {"drug": "enhertu", "indication": "breast"}


def mg(value) -> object:
    return units.quantity(D(str(value)), "mg")


def in_mg(q) -> Decimal:
    return units.magnitude(q, "mg")


def vials_of(*strengths, multiple_dose: bool = False) -> tuple[Vial, ...]:
    return tuple(
        Vial(
            strength=mg(s),
            multiple_dose=multiple_dose,
            concentration=units.quantity(20, "mg/mL"),
            reconstitute_with=units.quantity(5, "mL"),
            reconstitution_fluid="Sterile Water for Injection",
            deliverable_volume=None,
            in_use=None,
            in_use_storage=None,
            source="test vial",
        )
        for s in strengths
    )


def plan(book, weight: str, **fields):
    return compute_plan(book, PlanRequest(weight=weight, **fields), now=NOW, zone=UTC)


def counts(vial_plan) -> dict[Decimal, int]:
    return {in_mg(c.vial.strength): c.count for c in vial_plan.counts}


def check(book, weight: str, dose: str, **fields):
    return compute_check(book, CheckRequest(weight=weight, dose=dose, **fields))


# -- increment rounding against the label cap ---------------------------------------------


def test_kadcyla_increment_rounding_stays_under_the_label_cap(book):
    # 3.6 mg/kg x 72 kg = 259.2 mg, which is also the cap (max 3.6 mg/kg). Nearest 10 mg,
    # half-up: 25.92 -> 26 -> 260 mg > 259.2, so the multiple below: 250 mg.
    # Change 9.2 / 259.2 = 3.55% <= 10%. 250 mg and 259.2 mg both take 160 + 100 mg vials.
    p = plan(book, "72 kg", **KADCYLA_MBC, round_increment_mg="10")
    assert in_mg(p.dose) == D(250)
    r = p.rounding
    assert (r.method, in_mg(r.ordered), in_mg(r.final)) == ("increment", D("259.2"), D(250))
    assert (r.vials_before, r.vials_after) == (2, 2)
    assert r.reason == "rounded down to a multiple of 10 mg"
    assert counts(p.vials) == {D(160): 1, D(100): 1}
    assert any("260 mg would be above the label maximum" in n for n in p.notes)


def test_increment_rounding_to_the_nearest_when_not_above_the_cap(book):
    # 3.6 mg/kg x 70 kg = 252 mg, cap 252 mg: the nearest 10 mg, half-up, is 250 mg
    # (25.2 -> 25), not above the cap: taken as the nearest, not as "the multiple below".
    p = plan(book, "70 kg", **KADCYLA_MBC, round_increment_mg="10")
    assert in_mg(p.dose) == D(250)
    assert p.rounding.reason == "rounded half-up to the nearest 10 mg"


def test_increment_rounding_up_and_down_through_the_plan(book):
    # OGIVRI weekly maintenance 2 mg/kg x 74.5 kg = 149 mg: one 150 mg vial. Nearest 50 mg:
    # 149 / 50 = 2.98 -> 3 -> 150 mg, still one vial: rounded up by 1 mg.
    up = plan(book, "74.5 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_increment_mg="50")
    assert in_mg(up.dose) == D(150)
    assert up.rounding.reason == "rounded half-up to the nearest 50 mg"
    # 2 mg/kg x 75.5 kg = 151 mg needs 2 x 150 mg; nearest 50 mg is 150 mg (3.02 -> 3),
    # one vial fewer: rounded down, vials 2 -> 1.
    down = plan(book, "75.5 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_increment_mg="50")
    assert in_mg(down.dose) == D(150)
    assert (down.rounding.vials_before, down.rounding.vials_after) == (2, 1)
    assert counts(down.vials) == {D(150): 1}
    # 2 mg/kg x 74.25 kg = 148.5 mg, one vial; nearest 3 mg is 150 (49.5 -> 50 half-up),
    # still one vial: rounded up to exactly the vial.
    edge = plan(book, "74.25 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_increment_mg="3")
    assert in_mg(edge.dose) == D(150)


def test_increment_rounding_that_would_need_another_vial_uses_the_multiple_below():
    # 148 mg from 150 mg vials: 1 vial. Nearest 5 mg: 29.6 -> 30 -> 150 mg (1 vial, fine).
    # Nearest 7 mg: 148 / 7 = 21.14 -> 21 -> 147 mg. Nearest 8 mg: 18.5 -> 19 -> 152 mg,
    # 2 vials > 1, so the multiple below: 18 x 8 = 144 mg (1 vial, 2.7% change).
    out = round_to_increment(mg(148), mg(8), vials_of(150), D(10))
    assert in_mg(out.dose) == D(144)
    assert out.rounding.reason == "rounded down to a multiple of 8 mg"
    assert out.notes == (
        "152 mg would need another vial; rounded down to the multiple of 8 mg below instead",
    )


def test_a_1_mg_increment_rounds_half_up_not_half_even(book):
    # OGIVRI weekly maintenance 2 mg/kg x 70.25 kg = 140.5 mg: half-up to 1 mg is 141 mg
    # (half-even or half-down would give 140 mg). One 150 mg vial either way.
    p = plan(book, "70.25 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_increment_mg="1")
    assert in_mg(p.dose) == D(141)
    assert p.rounding.increment == mg(1)
    # MARGENZA 15 mg/kg x 70.3 kg = 1054.5 mg -> 1055 mg (half-even: 1054 mg).
    m = plan(book, "70.3 kg", drug="margenza", round_increment_mg="1")
    assert in_mg(m.dose) == D(1055)
    assert counts(m.vials) == {D(250): 5}  # 1055 / 250 = 4.22 -> 5 vials


def test_a_whole_mg_dose_is_not_changed_by_a_1_mg_increment(book):
    # 2 mg/kg x 70 kg = 140 mg is already a multiple of 1 mg: no rounding record.
    p = plan(book, "70 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_increment_mg="1")
    assert in_mg(p.dose) == D(140)
    assert p.rounding is None


def test_increment_rounding_exactly_at_rounding_max_pct_is_made(book):
    # rounding_max_pct = 10 in the shipped [policy]. 2 mg/kg x 100 kg = 200 mg (OGIVRI weekly).
    # Nearest 220 mg: 200 / 220 = 0.909 -> 1 -> 220 mg, change 20 / 200 = 10% exactly: allowed.
    # 220 mg needs 2 x 150 mg, as 200 mg does.
    at = plan(book, "100 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_increment_mg="220")
    assert in_mg(at.dose) == D(220)
    assert at.rounding.difference_pct == D(10)
    # Nearest 180 mg: 200 / 180 = 1.11 -> 1 -> 180 mg, change -10% exactly: allowed.
    below = plan(book, "100 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_increment_mg="180")
    assert in_mg(below.dose) == D(180)
    # Nearest 221 mg: 221 mg, change 21 / 200 = 10.5% > 10%: not made, the dose stays 200 mg.
    over = plan(book, "100 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_increment_mg="221")
    assert in_mg(over.dose) == D(200)
    assert over.rounding is None
    assert (
        "not rounded to the nearest 221 mg: the change (10.5%) would exceed rounding_max_pct (10%)"
        in over.notes
    )


def test_increment_rounding_rules_as_pure_functions():
    v = vials_of(150)
    # 100 mg at a 250 mg step: 0.4 -> 0 -> 0 mg: never a zero dose.
    zero = round_to_increment(mg(100), mg(250), v, D(10))
    assert zero.dose == mg(100) and zero.rounding is None
    assert zero.notes == (
        "not rounded to the nearest 250 mg: the increment 250 mg is larger than the dose",
    )
    # a zero step is "off"
    assert round_to_increment(mg(101), mg(0), v, D(10)).rounding is None
    # 141 mg, step 10: 14.1 -> 14 -> 140 mg (-0.71%), one vial either way.
    out = round_to_increment(mg(141), mg(10), v, D(10))
    assert in_mg(out.dose) == D(140)
    assert (out.rounding.vials_before, out.rounding.vials_after) == (1, 1)
    assert out.rounding.threshold_pct is None and out.rounding.increment == mg(10)
    # 145 mg, step 10: 14.5 -> 15 half-up -> 150 mg (half-even would be 140 mg)
    assert in_mg(round_to_increment(mg(145), mg(10), v, D(10)).dose) == D(150)
    # the cap at exactly the rounded dose is not "above" it: 145 -> 150 with a 150 mg cap
    assert in_mg(round_to_increment(mg(145), mg(10), v, D(10), cap=mg(150)).dose) == D(150)
    # one mg lower cap: 150 > 149, so 140 mg (14.5 floored to 14)
    assert in_mg(round_to_increment(mg(145), mg(10), v, D(10), cap=mg(149)).dose) == D(140)


def test_increment_rounding_with_an_opened_vial_counts_only_new_vials():
    # 440 mg with 300 mg already in an opened vial: 140 mg new, one 150 mg vial. Nearest
    # 20 mg: 22 -> 440 (no change). Nearest 30 mg: 14.67 -> 15 -> 450 mg: 150 mg new, still
    # one vial: rounded up. Without the opened vial 450 mg is 3 x 150 = 3 vials, as 440 mg.
    v = vials_of(150, multiple_dose=True)
    out = round_to_increment(mg(440), mg(30), v, D(10), offset=mg(300))
    assert in_mg(out.dose) == D(450)
    assert (out.rounding.vials_before, out.rounding.vials_after) == (1, 1)
    # 455 mg with 300 mg opened: 155 mg new, 2 vials; nearest 10 mg: 45.5 -> 46 -> 460 mg,
    # 160 mg new, still 2 vials: rounded up.
    assert in_mg(round_to_increment(mg(455), mg(10), v, D(10), offset=mg(300)).dose) == D(460)
    # 448 mg with 300 mg opened: 148 mg new, 1 vial; nearest 4 mg: 112 -> 448 (no change);
    # nearest 6 mg: 74.67 -> 75 -> 450 mg: 150 mg new, 1 vial: made.
    assert in_mg(round_to_increment(mg(448), mg(6), v, D(10), offset=mg(300)).dose) == D(450)
    # 449 mg, 300 mg opened, step 4: 112.25 -> 112 -> 448 mg (down, vials 1 -> 1)
    assert in_mg(round_to_increment(mg(449), mg(4), v, D(10), offset=mg(300)).dose) == D(448)
    # 296 mg, 300 mg opened, nothing new; step 10: 29.6 -> 30 -> 300 mg, still 0 new vials.
    all_opened = round_to_increment(mg(296), mg(10), v, D(10), offset=mg(300))
    assert in_mg(all_opened.dose) == D(300)
    assert (all_opened.rounding.vials_before, all_opened.rounding.vials_after) == (0, 0)
    # 302 mg with 300 mg opened: 2 mg new (1 vial); step 5: 60.4 -> 60 -> 300 mg, 0 new vials.
    saved = round_to_increment(mg(302), mg(5), v, D(10), offset=mg(300))
    assert in_mg(saved.dose) == D(300)
    assert (saved.rounding.vials_before, saved.rounding.vials_after) == (1, 0)
    # 298 mg with 300 mg opened: 0 new; step 5: 59.6 -> 60 -> 300 mg, 0 new: made.
    assert in_mg(round_to_increment(mg(298), mg(5), v, D(10), offset=mg(300)).dose) == D(300)
    # 298 mg, 290 mg opened: 8 mg new (1 vial); step 4: 74.5 -> 75 -> 300 mg: 10 mg new, 1 vial.
    assert in_mg(round_to_increment(mg(298), mg(4), v, D(10), offset=mg(290)).dose) == D(300)
    # 290 mg, 290 mg opened: 0 new; step 7: 41.43 -> 41 -> 287 mg, still 0 new: made.
    assert in_mg(round_to_increment(mg(290), mg(7), v, D(10), offset=mg(290)).dose) == D(287)


def test_increment_rounding_up_that_would_need_a_new_vial_with_an_opened_vial():
    # 290 mg with 290 mg opened: 0 new vials. Step 20: 14.5 -> 15 -> 300 mg needs 10 mg new,
    # one vial > 0: the multiple below, 280 mg (0 new, -3.45%).
    v = vials_of(150, multiple_dose=True)
    out = round_to_increment(mg(290), mg(20), v, D(10), offset=mg(290))
    assert in_mg(out.dose) == D(280)
    assert out.notes[0].startswith("300 mg would need another vial")


# -- vial rounding ------------------------------------------------------------------------


def test_ogivri_vial_rounding_picks_the_nearest_of_two_whole_vial_totals(book):
    # 8 mg/kg x 73.75 kg = 590 mg. Within 10%: 531 to 649 mg. Whole-vial totals from 150 and
    # 420 mg: 570 (420 + 150, 20 mg away) and 600 (4 x 150, 10 mg away): the nearest, 600 mg.
    # 590 mg itself needs 4 x 150 = 600 mg (10 mg left; 420 + 150 = 570 is short), so 4 vials
    # before and after.
    p = plan(book, "73.75 kg", **OGIVRI_GASTRIC_LOADING, round_to_vial_pct="10")
    assert in_mg(p.dose) == D(600)
    r = p.rounding
    assert (r.method, r.vials_before, r.vials_after) == ("vial", 4, 4)
    assert r.threshold_pct == D(10) and r.increment is None
    assert r.reason == "rounded up to a whole-vial total within 10% of the ordered dose"
    assert counts(p.vials) == {D(150): 4}


def test_a_rejected_candidate_followed_by_an_allowed_one_for_vial_count(book):
    # 8 mg/kg x 76.25 kg = 610 mg; it needs 420 + 2 x 150 = 720 mg (3 vials; 600 and 570 are
    # short). Within 10% (549 to 671 mg): 600 (10 away, 4 x 150 = 4 vials > 3: refused),
    # then 570 (40 away, 420 + 150 = 2 vials): taken, -6.56%.
    p = plan(book, "76.25 kg", **OGIVRI_GASTRIC_LOADING, round_to_vial_pct="10")
    assert in_mg(p.dose) == D(570)
    assert (p.rounding.vials_before, p.rounding.vials_after) == (3, 2)
    assert p.rounding.reason == "rounded down to a whole-vial total within 10% of the ordered dose"
    assert counts(p.vials) == {D(420): 1, D(150): 1}
    assert (
        "not rounded to 600 mg: it needs 4 new vials, more than the 3 the ordered dose needs"
        in (p.notes)
    )


def test_a_rejected_candidate_followed_by_an_allowed_one_for_the_cap(book):
    # KADCYLA 3.6 mg/kg x 127.5 kg = 459 mg, also the cap. It needs 160 + 3 x 100 = 460 mg
    # (4 vials). Within 10% (413.1 to 504.9 mg), nearest first: 460 (1 away, above the cap),
    # 480 (3 x 160, above the cap), 420 (2 x 160 + 100 = 3 vials, 39 away, -8.5%): taken.
    p = plan(book, "127.5 kg", **KADCYLA_MBC, round_to_vial_pct="10")
    assert in_mg(p.dose) == D(420)
    assert (p.rounding.vials_before, p.rounding.vials_after) == (4, 3)
    assert counts(p.vials) == {D(160): 2, D(100): 1}
    refused = [n for n in p.notes if n.startswith("not rounded to")]
    assert refused == [
        "not rounded to 460 mg: above the label maximum for this patient (459 mg)",
        "not rounded to 480 mg: above the label maximum for this patient (459 mg)",
    ]


def test_only_refused_candidates_leave_the_dose_as_ordered(book):
    # KADCYLA 72 kg: 259.2 mg = the cap; within 10% (233.28 to 285.12) only 260 mg
    # (160 + 100): above the cap, refused; nothing else in range, so 259.2 mg stays.
    p = plan(book, "72 kg", **KADCYLA_MBC, round_to_vial_pct="10")
    assert in_mg(p.dose) == D("259.2")
    assert p.rounding is None
    assert "not rounded to 260 mg: above the label maximum for this patient (259.2 mg)" in p.notes


def test_an_ordered_dose_that_is_already_a_whole_vial_total_is_not_rounded(book):
    # OGIVRI weekly maintenance 2 mg/kg x 75 kg = 150 mg = one vial exactly: nothing to round
    # and nothing to say about it.
    p = plan(book, "75 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_to_vial_pct="10")
    assert in_mg(p.dose) == D(150)
    assert p.rounding is None
    assert not any("vial rounding" in n or "not rounded" in n for n in p.notes)
    assert counts(p.vials) == {D(150): 1}
    assert in_mg(p.vials.leftover) == D(0)
    # HERCEPTIN (150 mg vials only) 6 mg/kg x 75 kg = 450 mg = 3 x 150: the same.
    h = plan(
        book,
        "75 kg",
        drug="herceptin",
        indication="gastric",
        phase="maintenance",
        round_to_vial_pct="10",
    )
    assert in_mg(h.dose) == D(450) and h.rounding is None


def test_vial_rounding_at_exactly_rounding_max_pct(book):
    # rounding_max_pct = 10. HERCEPTIN 8 mg/kg x 62.5 kg = 500 mg: 4 x 150 mg. 450 mg
    # (3 vials) is 50 / 500 = 10% below: exactly at the threshold, taken (inclusive).
    p = plan(
        book, "62.5 kg", drug="herceptin", indication="gastric", phase="loading",
        round_to_vial_pct="10",
    )  # fmt: skip
    assert in_mg(p.dose) == D(450)
    assert (p.rounding.vials_before, p.rounding.vials_after) == (4, 3)
    assert p.rounding.difference_pct == D(-10)
    # 8 x 62.6 = 500.8 mg: 450 is 10.14% below, 600 is 19.8% above: none within 10%.
    q = plan(
        book, "62.6 kg", drug="herceptin", indication="gastric", phase="loading",
        round_to_vial_pct="10",
    )  # fmt: skip
    assert in_mg(q.dose) == D("500.8") and q.rounding is None
    assert "vial rounding: no whole-vial total within 10% of 500.8 mg" in q.notes


def test_a_1_percent_vial_rounding(book):
    # OGIVRI weekly maintenance 2 mg/kg x 75.6 kg = 151.2 mg needs 2 x 150 mg; 150 mg is
    # 1.2 / 151.2 = 0.79% below: within 1%, rounded, one vial saved.
    p = plan(book, "75.6 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_to_vial_pct="1")
    assert in_mg(p.dose) == D(150)
    assert (p.rounding.vials_before, p.rounding.vials_after) == (2, 1)
    assert p.rounding.threshold_pct == D(1)
    # 2 x 76 = 152 mg: 2 / 152 = 1.32% > 1%: not rounded, still 2 vials.
    q = plan(book, "76 kg", **OGIVRI_WEEKLY_MAINTENANCE, round_to_vial_pct="1")
    assert in_mg(q.dose) == D(152) and q.rounding is None
    assert counts(q.vials) == {D(150): 2}


def test_vial_rounding_bounds_are_inclusive_on_both_sides():
    # 200 mg at 1%: 198 to 202 mg. 2 x 101 = 202 mg is exactly at the top, 2 x 99 = 198 mg
    # exactly at the bottom: both taken.
    up = round_to_vial(mg(200), vials_of(101), D(1))
    assert in_mg(up.dose) == D(202)
    assert (up.rounding.vials_before, up.rounding.vials_after) == (2, 2)
    down = round_to_vial(mg(200), vials_of(99), D(1))
    assert in_mg(down.dose) == D(198)
    assert (down.rounding.vials_before, down.rounding.vials_after) == (3, 2)
    # one mg beyond: 2 x 102 = 204 mg and 2 x 98 = 196 mg are 2% away: not taken.
    assert round_to_vial(mg(200), vials_of(102), D(1)).rounding is None
    assert round_to_vial(mg(200), vials_of(98), D(1)).rounding is None


def test_vial_rounding_tie_goes_to_the_lower_dose():
    # 150 mg from 100 mg vials at 50%: 100 and 200 mg are both 50 mg away; the lower wins.
    out = round_to_vial(mg(150), vials_of(100), D(50))
    assert in_mg(out.dose) == D(100)
    assert (out.rounding.vials_before, out.rounding.vials_after) == (2, 1)
    assert out.rounding.reason.startswith("rounded down")


def test_vial_rounding_tie_tries_the_lower_dose_first_and_says_why_not():
    # 225 mg from 100 and 250 mg vials at 20% (180-270 mg): 200 (2 x 100) and 250 (1 vial)
    # are both 25 mg away. 225 mg needs one 250 mg vial, so 200 mg (2 vials) is refused,
    # and says so, before 250 mg is taken.
    out = round_to_vial(mg(225), vials_of(100, 250), D(20))
    assert in_mg(out.dose) == D(250)
    assert out.notes == (
        "not rounded to 200 mg: it needs 2 new vials, more than the 1 the ordered dose needs",
    )


def test_vial_rounding_cap_exactly_at_a_total_is_allowed():
    # 255 mg from 100 and 160 mg vials: 260 mg (2 vials) within 10%. A 260 mg cap is not
    # exceeded by 260 mg; a 259.99 mg cap is, and then nothing else is in range (229.5-280.5).
    v = vials_of(100, 160)
    assert in_mg(round_to_vial(mg(255), v, D(10), cap=mg(260)).dose) == D(260)
    refused = round_to_vial(mg(255), v, D(10), cap=mg("259.99"))
    assert in_mg(refused.dose) == D(255) and refused.rounding is None
    assert refused.notes == (
        "not rounded to 260 mg: above the label maximum for this patient (259.99 mg)",
    )


def test_vial_rounding_zero_percent_is_off():
    out = round_to_vial(mg(151), vials_of(150), D(0))
    assert out.dose == mg(151) and out.rounding is None and out.notes == ()
    # and apply_rounding with neither rounding asked for changes nothing
    off = apply_rounding(mg(151), vials_of(150), vial_pct=D(0), increment=None, max_pct=D(10))
    assert off.dose == mg(151) and off.rounding is None and off.notes == ()


def test_apply_rounding_vial_first_then_increment():
    v = vials_of(150)
    # 151 mg at 1%: 150 mg (0.66%) by vial; the 10 mg increment is not then applied.
    both = apply_rounding(mg(151), v, vial_pct=D(1), increment=mg(10), max_pct=D(10))
    assert in_mg(both.dose) == D(150) and both.rounding.method == "vial"
    # 160 mg at 1%: no total within 1% (158.4-161.6); increment 10 mg: 160 already: None.
    none = apply_rounding(mg(160), v, vial_pct=D(1), increment=mg(10), max_pct=D(10))
    assert in_mg(none.dose) == D(160) and none.rounding is None
    assert none.notes == ("vial rounding: no whole-vial total within 1% of 160 mg",)
    # 163 mg at 1%: none in range; increment 5 mg: 32.6 -> 33 -> 165 mg, 2 vials either way.
    step = apply_rounding(mg(163), v, vial_pct=D(1), increment=mg(5), max_pct=D(10))
    assert in_mg(step.dose) == D(165) and step.rounding.method == "increment"
    assert step.notes == ("vial rounding: no whole-vial total within 1% of 163 mg",)
    # vial rounding off, increment on: 163 -> 165 with no vial note
    only = apply_rounding(mg(163), v, vial_pct=D(0), increment=mg(5), max_pct=D(10))
    assert in_mg(only.dose) == D(165) and only.notes == ()


def test_vial_rounding_with_an_opened_multiple_dose_vial(mdv_book):
    # the shipped file encodes no in-use time for a 420 mg vial; the test copy gives 28 days
    book = mdv_book
    # OGIVRI gastric loading 8 mg/kg x 73.75 kg = 590 mg; an opened 420 mg vial holds 200 mg.
    # New vials for 590 - 200 = 390 mg: one 420 mg vial (30 mg left; 3 x 150 leaves 60).
    # Within 10% (531 to 649 mg) totals are 200 + whole new vials: 200 + 420 = 620 mg
    # (30 away, 1 new vial), 200 + 300 = 500 and 200 + 150 + 420 = 770 are outside: 620 mg.
    p = plan(
        book,
        "73.75 kg",
        **OGIVRI_GASTRIC_LOADING,
        round_to_vial_pct="10",
        open_vial_mg="200",
        open_vial_date="2026-01-05 09:00",
        prepared_at="2026-01-10 10:00",
    )
    assert in_mg(p.dose) == D(620)
    assert (p.rounding.vials_before, p.rounding.vials_after) == (1, 1)
    assert in_mg(p.open_vial.drawn) == D(200)
    assert counts(p.vials) == {D(420): 1}  # 620 - 200 = 420 mg new: one 420 mg vial
    assert in_mg(p.vials.leftover) == D(0)


def test_vial_rounding_with_an_opened_vial_as_pure_function():
    v = vials_of(150, multiple_dose=True)
    # 305 mg with 160 mg opened: 145 mg new (1 vial). At 5% (289.75-320.25) totals are
    # 160 + {0, 150}: 160 (out), 310 (5 away, 1 new vial): 310 mg.
    out = round_to_vial(mg(305), v, D(5), offset=mg(160))
    assert in_mg(out.dose) == D(310)
    assert (out.rounding.vials_before, out.rounding.vials_after) == (1, 1)
    # 165 mg with 160 mg opened: 5 mg new (1 vial); at 5% (156.75-173.25) the opened vial
    # alone, 160 mg, 0 new vials: rounded down, one vial saved.
    alone = round_to_vial(mg(165), v, D(5), offset=mg(160))
    assert in_mg(alone.dose) == D(160)
    assert (alone.rounding.vials_before, alone.rounding.vials_after) == (1, 0)
    # 160 mg with 160 mg opened: the whole dose from the opened vial, nothing to round
    whole = round_to_vial(mg(160), v, D(5), offset=mg(160))
    assert whole.dose == mg(160) and whole.rounding is None
    assert whole.notes == (
        "vial rounding not applied: the whole dose comes from the opened multiple-dose vial",
    )
    # 310 mg with 160 mg opened: 150 mg new = a whole-vial total already: not rounded
    exact = round_to_vial(mg(310), v, D(5), offset=mg(160))
    assert exact.dose == mg(310) and exact.rounding is None and exact.notes == ()
    # 100 mg with 40 mg opened and 5%: 95-105 mg; totals 40 and 190: none in range
    none = round_to_vial(mg(100), v, D(5), offset=mg(40))
    assert none.rounding is None
    assert none.notes == ("vial rounding: no whole-vial total within 5% of 100 mg",)


def test_whole_vial_totals_and_new_vials():
    # 100 and 160 mg up to 330 mg: 100, 160, 200, 260, 300, 320 (2 x 160, fewest vials)
    totals = whole_vial_totals((D(100), D(160)), D(330))
    assert totals == {
        D(100): 1, D(160): 1, D(200): 2, D(260): 2, D(300): 3, D(320): 2,
    }  # fmt: skip
    # the upper bound is inclusive: 320 is in at 320, out at 319.99
    assert D(320) in whole_vial_totals((D(100), D(160)), D(320))
    assert D(320) not in whole_vial_totals((D(100), D(160)), D("319.99"))
    # 480 mg: 3 x 160 (3 vials), not 100 x 2 + ... (no such total with fewer)
    assert whole_vial_totals((D(100), D(160)), D(480))[D(480)] == 3
    # 600 mg from 150 and 300 mg vials: 2 x 300 (2 vials), not 4 x 150
    assert whole_vial_totals((D(150), D(300)), D(600))[D(600)] == 2
    v = vials_of(150)
    assert new_vials_for(D(300), v, D(0)) == 2
    assert new_vials_for(D(301), v, D(0)) == 3
    assert new_vials_for(D(300), v, D(150)) == 1
    assert new_vials_for(D(300), v, D(300)) == 0
    assert new_vials_for(D(300), v, D(301)) == 0


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
