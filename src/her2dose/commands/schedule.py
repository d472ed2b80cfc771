"""Treatment courses: the dated doses of a regimen from its first dose (`her2dose schedule`).

Pure: dates in, dated doses out; no I/O and no clock (callers pass dates). Course lengths,
intervals and the weekly-then-every-3-weeks pattern come from regimens.toml
([courses.REGIMEN] and the regimen's schedules); mg, vials and infusion minutes come from
`plan.compute_plan`, called once per distinct dose, never re-derived here.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from her2dose.commands import selection
from her2dose.commands.plan import compute_plan
from her2dose.errors import InputError
from her2dose.model import Phase, RegimenBook, Schedule
from her2dose.model.courses import Course
from her2dose.model.plan import Plan, PlanRequest
from her2dose.model.results import CourseSchedule, ScheduledDose, ScheduleRequest, Shape, days

# A bound on how long a printed list may get (--cycles / --weeks); a program limit, not a
# clinical one: ten years of weekly doses.
MAX_DOSES = 520
MAX_WEEKS = 520

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str, field: str) -> date:
    """'2026-01-05' -> date; anything else is an InputError naming the option."""
    raw = str(text).strip()
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(
            field,
            f"--{field} '{text}' is not a date; use ISO 8601 YYYY-MM-DD, for example 2026-01-05",
        ) from None


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


def _check_length(cycles: int | None, weeks: int | None) -> None:
    if cycles is not None and weeks is not None:
        raise InputError("cycles", "give --cycles or --weeks, not both")
    if cycles is not None and not 1 <= cycles <= MAX_DOSES:
        raise InputError("cycles", f"--cycles {cycles} must be from 1 to {MAX_DOSES}")
    if weeks is not None and not 1 <= weeks <= MAX_WEEKS:
        raise InputError("weeks", f"--weeks {weeks} must be from 1 to {MAX_WEEKS}")


def course_length_text(course: Course) -> str:
    if course.cycles is not None:
        return f"{course.cycles} cycles"
    if course.duration is not None:
        return (
            f"{days(course.duration) // 7} weeks"
            if days(course.duration) % 7 == 0
            else (f"{days(course.duration)} days")
        )
    return f"until {course.until}"


def compute_schedule(book: RegimenBook, request: ScheduleRequest) -> CourseSchedule:
    chosen = selection.select(
        book,
        request.drug,
        indication=request.indication,
        product=request.product,
        schedule=request.schedule,
        chemotherapy=request.chemotherapy,
        level=request.level,
        product_mode=selection.REQUIRED if request.weight is not None else selection.IF_GIVEN,
        shape_mode=selection.COURSE,
    )
    molecule, regimen, level, shape = chosen.molecule, chosen.regimen, chosen.level, chosen.shape
    assert shape is not None
    named_product = chosen.product
    course = book.courses.get(regimen.id)
    start = parse_date(request.start, "start")
    _check_length(request.cycles, request.weeks)

    fixed = course is not None and course.until is None
    user_stop = request.weeks * 7 if request.weeks is not None else None
    user_count = request.cycles
    if not fixed and user_stop is None and user_count is None:
        why = f"is given until {course.until}" if course else "has no course length encoded"
        raise InputError(
            "cycles",
            f"regimen '{regimen.id}' {why}: give --cycles N or --weeks N for how many "
            "doses to list",
        )
    course_stop = days(course.duration) if fixed and course.duration is not None else None
    course_count = course.cycles if fixed and course.cycles is not None else MAX_DOSES

    def smallest(*values: int | None) -> int | None:
        present = [v for v in values if v is not None]
        return min(present) if present else None

    rows = dated_doses(
        shape,
        start,
        stop_day=smallest(course_stop, user_stop),
        count=smallest(course_count, user_count, MAX_DOSES),
    )
    warnings: list[str] = []
    notes: list[str] = []
    if fixed:
        assert course is not None
        full = dated_doses(shape, start, stop_day=course_stop, count=course_count)
        length = course_length_text(course)
        limit = f" {course.limit}" if course.limit else ""
        if len(rows) < len(full):
            end = (
                f"Showing the first {len(rows)} of the {len(full)} doses of the course "
                f"({length}).{limit}"
            )
        else:
            after = (
                f" (no dose on or after {(start + timedelta(course_stop)).isoformat()})"
                if course_stop is not None
                else ""
            )
            end = f"The course stops here: {length} in total{after}.{limit}"
            unlimited = dated_doses(
                shape, start, stop_day=user_stop, count=smallest(user_count, MAX_DOSES)
            )
            if (user_stop is not None or user_count is not None) and len(unlimited) > len(full):
                asked = (
                    f"--cycles {user_count}"
                    if user_count is not None
                    else (f"--weeks {request.weeks}")
                )
                warnings.append(
                    f"{asked} goes beyond the label course ({length}); the schedule stops at "
                    "the end of the course"
                )
    elif course is not None:
        end = f"Given until {course.until}: this list shows {len(rows)} doses."
    else:
        end = (
            f"Course length not encoded for regimen '{regimen.id}': check the current "
            f"prescribing information; this list shows {len(rows)} doses."
        )

    seen: set[tuple[str, str]] = set()
    plans: dict[tuple[str, str, str], Plan] = {}
    doses: list[ScheduledDose] = []
    weight = None
    product = named_product
    for number, (when, schedule, phase) in enumerate(rows, start=1):
        which = "subsequent" if (schedule.name, phase.name) in seen else "first"
        seen.add((schedule.name, phase.name))
        plan = None
        if request.weight is not None:
            key = (schedule.name, phase.name, which)
            if key not in plans:
                plans[key] = compute_plan(
                    book,
                    PlanRequest(
                        drug=request.drug,
                        weight=request.weight,
                        indication=regimen.indication,
                        product=request.product,
                        level=request.level,
                        phase=phase.name,
                        schedule=schedule.name,
                        infusion=which,
                    ),
                )
            plan = plans[key]
            weight, product = plan.weight, plan.product
        doses.append(
            ScheduledDose(
                number=number,
                date=when,
                day=(when - start).days,
                schedule=schedule,
                phase=phase,
                infusion=which,
                dose_rate=level.dose if level is not None else phase.dose,
                plan=plan,
            )
        )
    if any(d.infusion == "subsequent" for d in doses):
        notes.append(
            "the first dose of each phase uses the first-infusion time; later doses use the "
            "shorter time, which the labels allow only if earlier infusions were well tolerated"
        )
    for plan in plans.values():
        warnings += [w for w in plan.warnings if w not in warnings]
        notes += [n for n in plan.notes if n not in notes]

    sources = [regimen.source]
    if course is not None:
        sources.append(course.source)
    if shape.pattern is not None:
        sources.append(shape.pattern.source)
    for d in doses:
        sources += [d.schedule.source, d.phase.source]
    if level is not None:
        sources.append(level.source)
    for plan in plans.values():
        sources += plan.sources
    return CourseSchedule(
        request=request,
        molecule=molecule,
        product=product,
        regimen=regimen,
        course=course,
        shape=shape,
        level=level,
        start=start,
        doses=tuple(doses),
        end=end,
        weight=weight,
        warnings=tuple(warnings),
        notes=tuple(notes),
        sources=tuple(dict.fromkeys(sources)),
    )
