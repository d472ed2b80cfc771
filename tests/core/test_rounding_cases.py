"""Rounding: the figures a small slip in the core would change.

Each case pins a number a plausible one-token mistake (a flipped comparison, a constant off by
one, min for max, another rounding mode) would get wrong. The tests go through public entry
points only (compute_plan, compute_check, plan_vials, the rounding functions, plan_infusion and
the CLI's JSON), so they hold however the internals are arranged. Every expected figure is
worked out by hand from the shipped regimens.toml; the arithmetic is in the comment beside it.
benchmarks/mutants.py runs these tests against generated mutants of the core.
"""

from __future__ import annotations

from core_cases import (
    KADCYLA_MBC,
    OGIVRI_GASTRIC_LOADING,
    OGIVRI_WEEKLY_MAINTENANCE,
    D,
    counts,
    in_mg,
    mg,
    plan,
    vials_of,
)

from her2dose.core.rounding import (
    apply_rounding,
    new_vials_for,
    round_to_increment,
    round_to_vial,
    whole_vial_totals,
)

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
