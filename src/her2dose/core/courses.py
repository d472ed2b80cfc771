"""Course rules: dated doses from a first dose, the course end, how late a dose is, and the
dose level of each cycle. Pure: dates in, dates out; no clock (callers pass dates)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from her2dose.errors import InputError
from her2dose.model import Level, Phase, Regimen, Schedule
from her2dose.model.courses import Course
from her2dose.model.records import record
from her2dose.model.results import Shape, days

# More than this many intervals since the last dose is a gap no label rule covers.
GAP_INTERVALS = 2


def opening_phase(schedule: Schedule) -> Phase:
    """The first dose of a course on this schedule: its loading dose if it has one."""
    return schedule.phases.get("loading") or continuing_phase(schedule)


def continuing_phase(schedule: Schedule) -> Phase:
    """Every later dose: maintenance, or the one dose of a schedule without loading."""
    if "maintenance" in schedule.phases:
        return schedule.phases["maintenance"]
    return next(iter(schedule.phases.values()))


def dated_doses(
    shape: Shape, start: date, *, stop_day: int | None, count: int
) -> list[tuple[date, Schedule, Phase]]:
    """Doses from `start`: at most `count`, none on or after day `stop_day`."""
    out: list[tuple[date, Schedule, Phase]] = []
    when, schedule, phase = start, shape.first, opening_phase(shape.first)
    while len(out) < count:
        if stop_day is not None and (when - start).days >= stop_day:
            break
        out.append((when, schedule, phase))
        when, schedule = shape.due_after(when, schedule, start)
        phase = continuing_phase(schedule)
    return out


def course_end(course: Course | None, start: date | None) -> date | None:
    """The first day on which no dose of a fixed-duration course may be given."""
    if course is None or start is None or course.duration is None:
        return None
    return start + timedelta(days(course.duration))


def is_past_course_end(end: date | None, due: date, on: date) -> bool:
    """A dose whose administration date (the due date, or the day the patient is here if
    later) is on or after the course end is not given: the course is complete."""
    return end is not None and max(due, on) >= end


def long_gap(last: date, on: date, interval_days: int) -> bool:
    """More than GAP_INTERVALS intervals since the last dose."""
    return (on - last).days > GAP_INTERVALS * interval_days


# -- a level per cycle range ----------------------------------------------------------------

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?:\s*([+-]?\d+)\s*$")


@record
class CycleLevels:
    """The dose level of each numbered cycle, from '1-5:0,6:-1,7-10:-2'."""

    first: int
    last: int
    levels: dict[int, int]  # cycle number -> level number
    text: str

    def level_of(self, cycle: int) -> int:
        return self.levels[cycle]


def parse_cycle_levels(text: str) -> CycleLevels:
    """'1-5:0,6:-1,7-10:-2' -> cycle -> level. Ranges must be contiguous, in order, without
    overlap; a level may only go down along the course (the labels forbid re-escalation)."""
    raw = str(text).strip()
    if not raw:
        raise InputError("levels", "--levels is empty; write it as '1-5:0,6:-1,7-10:-2'")
    levels: dict[int, int] = {}
    previous: tuple[int, int, int] | None = None  # (first, last, level) of the range before
    for part in raw.split(","):
        match = _RANGE.match(part)
        if match is None:
            raise InputError(
                "levels",
                f"--levels part '{part.strip()}' is not CYCLES:LEVEL; write cycle ranges and "
                "levels as '1-5:0,6:-1,7-10:-2'",
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        level = int(match.group(3))
        if low < 1 or high < low:
            raise InputError(
                "levels", f"--levels range '{part.strip()}' must be cycles N-M with 1 <= N <= M"
            )
        expected = previous[1] + 1 if previous is not None else low
        if low != expected:
            what = "overlaps" if low < expected else "leaves a gap after"
            raise InputError(
                "levels",
                f"--levels range '{part.strip()}' {what} cycle {expected - 1}: give every cycle "
                "once, in order",
            )
        if previous is not None and level > previous[2]:
            raise InputError(
                "levels",
                f"--levels goes up from level {previous[2]} ({_span(previous)}) to "
                f"level {level} ({_span((low, high, level))}): a dose level may only go "
                "down along a course; do not re-escalate after a dose reduction",
            )
        for cycle in range(low, high + 1):
            levels[cycle] = level
        previous = (low, high, level)
    assert previous is not None
    return CycleLevels(min(levels), max(levels), levels, raw)


def _span(r: tuple[int, int, int]) -> str:
    return f"cycle {r[0]}" if r[0] == r[1] else f"cycles {r[0]}-{r[1]}"


def check_cycle_levels(regimen: Regimen, plan: CycleLevels) -> dict[int, Level]:
    """Each level number of the plan -> the regimen's level; an unknown level is an error
    that lists the valid ones."""
    if not regimen.has_reductions:
        raise InputError(
            "levels",
            f"{regimen.indication} has no dose reductions (hold or discontinue only); "
            "leave out --levels",
        )
    known = {lv.level: lv for lv in regimen.levels}
    out = {}
    for number in dict.fromkeys(plan.levels.values()):
        if number not in known:
            valid = ", ".join(str(n) for n in known)
            raise InputError("levels", f"--levels names level {number}; valid levels are {valid}")
        out[number] = known[number]
    return out
