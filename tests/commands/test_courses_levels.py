"""Courses as they happen: a level per cycle range, a course begun elsewhere, and the next
dose after a long gap or after the course has ended."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from her2dose import units
from her2dose.commands.next import compute_next
from her2dose.commands.schedule import compute_schedule
from her2dose.core.courses import parse_cycle_levels
from her2dose.errors import InputError
from her2dose.model.results import COURSE_COMPLETE, LATE, NextRequest, ScheduleRequest

SEED = "1-5:0,6:-1,7-10:-2"


def seed_course(book, **kw):
    return compute_schedule(
        book,
        ScheduleRequest(
            drug="enhertu",
            start="2026-01-05",
            indication="breast",
            weight="72 kg",
            levels=SEED,
            **kw,
        ),
    )


def test_the_seed_case_course_in_one_call(book):
    course = seed_course(book)
    assert [d.number for d in course.doses] == list(range(1, 11))
    assert [d.level.level for d in course.doses] == [0] * 5 + [-1] + [-2] * 4
    mg = [units.magnitude(d.plan.dose, "mg") for d in course.doses]
    assert mg == [Decimal("388.8")] * 5 + [Decimal("316.8")] + [Decimal("230.4")] * 4
    assert [d.date for d in course.doses][:3] == [
        date(2026, 1, 5),
        date(2026, 1, 26),
        date(2026, 2, 16),
    ]
    assert course.doses[-1].date == date(2026, 7, 13)  # 9 x 21 days after the first
    assert all(d.plan.vials.counts and d.plan.infusion.minutes for d in course.doses)
    assert course.cycle_levels == SEED


def test_the_seed_course_on_the_cli(cli):
    result = cli(
        "schedule", "enhertu", "--indication", "breast", "--start", "2026-01-05",
        "--weight", "72 kg", "--levels", SEED, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0
    import json

    doses = json.loads(result.stdout)["doses"]
    assert [(d["number"], d["level"], d["dose_mg"]) for d in doses] == [
        (1, 0, 388.8), (2, 0, 388.8), (3, 0, 388.8), (4, 0, 388.8), (5, 0, 388.8),
        (6, -1, 316.8), (7, -2, 230.4), (8, -2, 230.4), (9, -2, 230.4), (10, -2, 230.4),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1-5:-1,6-10:0", "goes up from level -1 (cycles 1-5) to level 0 (cycles 6-10)"),
        ("1-5:0,6:-2,7-10:-1", "goes up from level -2 (cycle 6) to level -1 (cycles 7-10)"),
        ("1-5:0,5-10:-1", "overlaps"),
        ("1-5:0,7-10:-1", "leaves a gap"),
        ("1-5", "not CYCLES:LEVEL"),
        ("5-1:0", "1 <= N <= M"),
    ],
)
def test_re_escalation_and_bad_ranges_are_refused(text, says):
    with pytest.raises(InputError) as info:
        parse_cycle_levels(text)
    assert says in str(info.value)
    assert info.value.field == "levels"


def test_re_escalation_is_refused_on_the_cli(cli):
    result = cli(
        "schedule", "enhertu", "--indication", "breast", "--start", "2026-01-05",
        "--levels", "1-5:-1,6:0",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "cycles 1-5" in result.stderr and "cycle 6" in result.stderr
    assert "re-escalate" in result.stderr


def test_levels_must_cover_every_listed_cycle_and_exist(book):
    with pytest.raises(InputError, match="give the level of every cycle"):
        seed_course(book, cycles=11)
    with pytest.raises(InputError, match="valid levels are 0, -1, -2"):
        compute_schedule(
            book,
            ScheduleRequest(
                drug="enhertu", start="2026-01-05", indication="breast", levels="1-2:0,3:-3"
            ),
        )
    with pytest.raises(InputError, match="not both"):
        seed_course(book, level="-1")
    with pytest.raises(InputError, match="no dose reductions"):
        compute_schedule(
            book,
            ScheduleRequest(
                drug="herceptin",
                start="2026-01-05",
                indication="gastric",
                levels="1-3:0",
            ),
        )


def test_a_course_begun_elsewhere_starts_at_its_cycle(book):
    # adjuvant trastuzumab q3w: 18 doses in 52 weeks; the patient arrives for cycle 7
    course = compute_schedule(
        book,
        ScheduleRequest(
            drug="herceptin",
            start="2026-01-05",
            indication="adjuvant-breast",
            schedule="q3w",
            first_cycle=7,
            weight="70 kg",
        ),
    )
    assert [d.number for d in course.doses] == list(range(7, 19))
    assert {d.phase.name for d in course.doses} == {"maintenance"}  # loading was cycle 1
    assert course.doses[0].date == date(2026, 1, 5)
    assert units.magnitude(course.doses[0].plan.dose, "mg") == 420  # 6 mg/kg x 70 kg
    assert any("cycle 1 was on 2025-09-01" in n for n in course.notes)


def test_first_cycle_with_levels(book):
    course = seed_course(book, first_cycle=6)
    assert [(d.number, d.level.level) for d in course.doses] == [
        (6, -1), (7, -2), (8, -2), (9, -2), (10, -2),
    ]  # fmt: skip


def test_first_cycle_past_the_course_is_refused(book):
    with pytest.raises(InputError, match="past the end of the course"):
        compute_schedule(
            book,
            ScheduleRequest(
                drug="kadcyla", start="2026-01-05", indication="early-breast", first_cycle=15
            ),
        )


# -- next --------------------------------------------------------------------------------


def nxt(book, **kw):
    on = kw.get("on")
    return compute_next(book, NextRequest(**kw), today=date.fromisoformat(on))


@pytest.mark.parametrize("on", ["2026-03-03", "2026-05-01"])  # day 365 and day 424
def test_no_reload_after_the_adjuvant_course_has_ended(book, on):
    answer = nxt(
        book,
        drug="herceptin",
        indication="adjuvant-breast",
        schedule="q3w",
        start="2025-03-03",
        last_dose="2026-02-02",
        on=on,
        weight="70 kg",
    )
    assert answer.status == COURSE_COMPLETE and not answer.gives_dose
    assert answer.days_late == 0 and answer.action is None and answer.plan is None


def test_cli_course_complete_exits_1_with_days_late_0(cli):
    result = cli(
        "next", "herceptin", "--indication", "adjuvant-breast", "--schedule", "q3w",
        "--start", "2025-03-03", "--last-dose", "2026-02-02", "--on", "2026-03-03",
        "--weight", "70 kg", "--product", "herceptin", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 1
    import json

    data = json.loads(result.stdout)
    assert data["status"] == "course-complete" and data["days_late"] == 0
    assert "re-load" not in data["message"]


def test_a_gap_of_more_than_two_intervals_warns(book):
    answer = nxt(
        book, drug="enhertu", indication="breast", last_dose="2026-01-05", on="2026-02-17"
    )  # 43 days: more than two 21-day intervals
    assert answer.status == LATE
    assert any("the label gives no rule for such a gap" in w for w in answer.warnings)
    on_the_edge = nxt(
        book, drug="enhertu", indication="breast", last_dose="2026-01-05", on="2026-02-16"
    )  # 42 days: exactly two intervals
    assert not any("gap" in w for w in on_the_edge.warnings)


def test_trastuzumab_keeps_its_reload_rule_after_a_long_gap(book):
    answer = nxt(
        book,
        drug="herceptin",
        indication="metastatic-breast",
        schedule="q3w",
        last_dose="2026-01-05",
        on="2026-03-16",
    )
    assert answer.action == "re-load"
    assert not any("gap" in w for w in answer.warnings)


def test_weekly_then_q3w_late_dose_states_its_reading(book):
    answer = nxt(
        book,
        drug="herceptin",
        indication="adjuvant-breast",
        schedule="adjuvant-weekly-then-q3w",
        chemotherapy="paclitaxel",
        start="2026-01-05",
        last_dose="2026-02-02",
        on="2026-02-12",
    )
    assert answer.status == LATE
    assert any(
        "does not say whether a delayed weekly dose extends the weekly period" in n
        and "does not extend it" in n
        for n in answer.notes
    )
