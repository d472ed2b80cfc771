"""Hypothesis properties of `schedule` and `next` (issue 5)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from her2dose.commands.next import compute_next
from her2dose.commands.schedule import compute_schedule
from her2dose.data import loader as regimens
from her2dose.model.results import DUE, LATE, NextRequest, ScheduleRequest, days

BOOK = regimens.load(Path(__file__).resolve().parents[2] / "regimens.toml")


def shapes(book):
    """Every (regimen, schedule or pattern, chemotherapy) the `schedule` command accepts."""
    out = []
    for regimen in book.regimens.values():
        course = book.courses.get(regimen.id)
        names = (
            list(course.schedules)
            if course and course.schedules
            else [*regimen.schedules, *(course.patterns if course else {})]
        )
        for name in names:
            pattern = course.patterns.get(name) if course else None
            chemos = list(pattern.first_for) if pattern else [None]
            out.extend((regimen, name, chemo) for chemo in chemos)
    return out


SHAPES = shapes(BOOK)
TRASTUZUMAB = [s for s in SHAPES if s[0].molecule_id == "trastuzumab"]
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


def course_of(shape, start, cycles):
    regimen, name, chemo = shape
    course = BOOK.courses.get(regimen.id)
    open_ended = course is None or course.until is not None
    return compute_schedule(
        BOOK,
        ScheduleRequest(
            drug=regimen.molecule_id,
            start=start.isoformat(),
            indication=regimen.indication,
            schedule=name,
            chemotherapy=chemo,
            cycles=cycles if open_ended else None,
        ),
    )


def test_every_shape_is_covered():
    names = {(r.id, n, c) for r, n, c in SHAPES}
    assert (
        "trastuzumab-adjuvant-breast",
        "adjuvant-weekly-then-q3w",
        "docetaxel-carboplatin",
    ) in names
    assert ("trastuzumab-adjuvant-breast", "weekly", None) not in names
    assert len(TRASTUZUMAB) >= 7


@given(st.sampled_from(SHAPES), starts, st.integers(min_value=1, max_value=60))
def test_doses_are_in_date_order_with_the_regimen_interval(shape, start, cycles):
    cs = course_of(shape, start, cycles)
    regimen = shape[0]
    assert cs.doses and cs.doses[0].date == start and cs.doses[0].number == 1
    first = cs.doses[0].schedule
    assert cs.doses[0].phase.name == (
        "loading" if "loading" in first.phases else next(iter(first.phases))
    )
    for before, after in zip(cs.doses, cs.doses[1:], strict=False):
        assert after.number == before.number + 1
        gap = (after.date - before.date).days
        if after.schedule.name == before.schedule.name:
            assert gap == days(regimen.schedules[after.schedule.name].interval)
        else:  # the pattern's switch: `switch_after` the last dose of the first schedule
            assert gap == days(cs.shape.pattern.switch_after)
        assert after.phase.name != "loading"  # loaded once, at the start
        assert after.day == (after.date - start).days
    course = cs.course
    if course is not None and course.duration is not None:
        assert cs.doses[-1].day < days(course.duration)
        last = cs.doses[-1]  # nothing left out at the end
        assert last.day + days(last.schedule.interval) >= days(course.duration)
    if course is not None and course.cycles is not None:
        assert len(cs.doses) == course.cycles


@given(st.sampled_from(SHAPES), starts, st.integers(min_value=2, max_value=40), st.data())
def test_next_on_a_schedules_own_due_dates_is_on_time(shape, start, cycles, data):
    cs = course_of(shape, start, cycles)
    if len(cs.doses) < 2:
        return
    i = data.draw(st.integers(min_value=0, max_value=len(cs.doses) - 2))
    last, due = cs.doses[i], cs.doses[i + 1]
    regimen, name, chemo = shape
    answer = compute_next(
        BOOK,
        NextRequest(
            drug=regimen.molecule_id,
            last_dose=last.date.isoformat(),
            on=due.date.isoformat(),
            indication=regimen.indication,
            schedule=name,
            chemotherapy=chemo,
            start=start.isoformat(),
        ),
        today=due.date,
    )
    assert answer.status == DUE and answer.days_late == 0
    assert answer.due_date == due.date
    assert answer.phase == due.phase and answer.schedule.name == due.schedule.name
    if regimen.molecule_id == "trastuzumab":
        assert answer.action == "maintenance"
    if i + 2 < len(cs.doses):
        assert answer.next_due_date == cs.doses[i + 2].date


@given(st.sampled_from(TRASTUZUMAB), starts, st.integers(min_value=1, max_value=70))
def test_trastuzumab_reloads_exactly_when_more_than_seven_days_late(shape, start, late):
    regimen, name, chemo = shape
    common = {
        "drug": "trastuzumab",
        "indication": regimen.indication,
        "schedule": name,
        "chemotherapy": chemo,
        "start": start.isoformat(),
    }
    # the second dose of the course, so that a late third dose is still inside 52 weeks
    second = compute_next(
        BOOK, NextRequest(last_dose=start.isoformat(), on=start.isoformat(), **common), today=start
    ).due_date
    due = compute_next(
        BOOK,
        NextRequest(last_dose=second.isoformat(), on=second.isoformat(), **common),
        today=second,
    ).due_date
    on = due + timedelta(late)
    answer = compute_next(
        BOOK, NextRequest(last_dose=second.isoformat(), on=on.isoformat(), **common), today=on
    )
    assert answer.status == LATE and answer.days_late == late
    assert answer.action == ("maintenance" if late <= 7 else "re-load")
    assert answer.phase.name == ("maintenance" if late <= 7 else "loading")
    pattern = answer.shape.pattern
    if (
        pattern is not None
        and answer.schedule.name == pattern.first
        and ((on - start).days + days(answer.schedule.interval) >= answer.shape.first_days)
    ):  # the last weekly dose, however late: every 3 weeks from one week after it
        assert answer.next_due_date == on + timedelta(days(pattern.switch_after))
    else:
        assert answer.next_due_date == on + timedelta(days(answer.schedule.interval))
