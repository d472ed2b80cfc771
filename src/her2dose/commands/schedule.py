"""Treatment courses: the dated doses of a regimen from its first dose (`her2dose schedule`).

The course rules (dated doses, the level of each cycle) are core.courses'. Course lengths,
intervals and the weekly-then-every-3-weeks pattern come from regimens.toml
([courses.REGIMEN] and the regimen's schedules); mg, vials and infusion minutes come from
`plan.compute_plan`, called once per distinct dose, never re-derived here.
"""

from __future__ import annotations

from datetime import date, timedelta

from her2dose.commands import selection
from her2dose.commands.dates import parse_date
from her2dose.commands.plan import plan_beside
from her2dose.core import courses as core_courses
from her2dose.core.courses import continuing_phase, dated_doses, opening_phase  # noqa: F401
from her2dose.errors import InputError
from her2dose.model import Phase, RegimenBook, Schedule
from her2dose.model.courses import Course
from her2dose.model.plan import Plan
from her2dose.model.results import CourseSchedule, ScheduledDose, ScheduleRequest, Shape, days

# A bound on how long a printed list may get (--cycles / --weeks); a program limit, not a
# clinical one: ten years of weekly doses.
MAX_DOSES = 520
MAX_WEEKS = 520


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


def _first_cycle(request: ScheduleRequest, shape: Shape) -> int:
    n = request.first_cycle
    if n is None:
        return 1
    if not 1 <= n <= MAX_DOSES:
        raise InputError("first-cycle", f"--first-cycle {n} must be from 1 to {MAX_DOSES}")
    if n > 1 and shape.then is not None:
        raise InputError(
            "first-cycle",
            f"--first-cycle does not apply to --schedule {shape.name} (its switch is dated from "
            "the first dose of the course): give --start as the date of that first dose",
        )
    return n


def compute_schedule(book: RegimenBook, request: ScheduleRequest) -> CourseSchedule:
    if request.levels is not None and request.level is not None:
        raise InputError(
            "levels", "give --level (one level for every dose) or --levels (per cycle), not both"
        )
    chosen = selection.select_for(
        book,
        request,
        product_mode=selection.product_mode_for(request.weight),
        shape_mode=selection.COURSE,
    )
    molecule, regimen, level, shape = chosen.molecule, chosen.regimen, chosen.level, chosen.shape
    assert shape is not None
    named_product = chosen.product
    course = book.courses.get(regimen.id)
    start = parse_date(request.start, "start")
    _check_length(request.cycles, request.weeks)
    first_cycle = _first_cycle(request, shape)
    per_cycle = per_level = None
    if request.levels is not None:
        per_cycle = core_courses.parse_cycle_levels(request.levels)
        per_level = core_courses.check_cycle_levels(regimen, per_cycle)
        if per_cycle.first > first_cycle:
            raise InputError(
                "levels",
                f"--levels starts at cycle {per_cycle.first}, but the list starts at cycle "
                f"{first_cycle}: give the level of every cycle listed",
            )
        level = None

    fixed = course is not None and course.until is None
    user_stop = request.weeks * 7 if request.weeks is not None else None
    user_count = request.cycles
    if user_count is None and user_stop is None and per_cycle is not None:
        user_count = per_cycle.last - first_cycle + 1  # the cycles --levels gives
    if not fixed and user_stop is None and user_count is None:
        why = f"is given until {course.until}" if course else "has no course length encoded"
        raise InputError(
            "cycles",
            f"{chosen.brand} ({regimen.indication}) {why}: give --cycles N or --weeks N for "
            "how many doses to list",
        )
    course_stop = days(course.duration) if fixed and course.duration is not None else None
    course_count = course.cycles if fixed and course.cycles is not None else MAX_DOSES
    if first_cycle > course_count:
        assert course is not None
        raise InputError(
            "first-cycle",
            f"--first-cycle {first_cycle} is past the end of the course "
            f"({course_length_text(course)})",
        )
    # Cycles before the first listed one were given elsewhere: the course is dated as if
    # cycle 1 was (first_cycle - 1) intervals before --start.
    skipped = first_cycle - 1
    offset = skipped * days(shape.first.interval)
    origin = start - timedelta(offset)

    def smallest(*values: int | None) -> int | None:
        present = [v for v in values if v is not None]
        return min(present) if present else None

    def listed(stop_day: int | None, count: int | None) -> list[tuple[date, Schedule, Phase]]:
        rows = core_courses.dated_doses(
            shape, origin, stop_day=stop_day, count=(count or MAX_DOSES) + skipped
        )
        return rows[skipped:]

    rows = listed(
        smallest(course_stop, user_stop + offset if user_stop is not None else None),
        smallest(course_count - skipped, user_count, MAX_DOSES),
    )
    if per_cycle is not None and rows and first_cycle + len(rows) - 1 > per_cycle.last:
        raise InputError(
            "levels",
            f"--levels gives cycles up to {per_cycle.last}, but the list goes to cycle "
            f"{first_cycle + len(rows) - 1}: give the level of every cycle listed",
        )
    warnings: list[str] = []
    notes: list[str] = []
    if skipped:
        notes.append(
            f"the list starts at cycle {first_cycle} on {start.isoformat()}; the course is "
            f"dated as if cycle 1 was on {origin.isoformat()} ({skipped} intervals earlier)"
            + (
                "; every listed dose is a maintenance dose (the loading dose was cycle 1)"
                if "loading" in shape.first.phases
                else ""
            )
        )
    if fixed:
        assert course is not None
        full = listed(course_stop, course_count - skipped)
        length = course_length_text(course)
        limit = f" {course.limit}" if course.limit else ""
        if len(rows) < len(full):
            end = (
                f"Showing the first {len(rows)} of the {len(full)} "
                + ("remaining " if skipped else "")
                + f"doses of the course ({length})"
                + (f", from cycle {first_cycle}" if skipped else "")
                + f".{limit}"
            )
        else:
            after = (
                f" (no dose on or after {(origin + timedelta(course_stop)).isoformat()})"
                if course_stop is not None
                else ""
            )
            end = f"The course stops here: {length} in total{after}.{limit}"
            unlimited = listed(
                user_stop + offset if user_stop is not None else None,
                smallest(user_count, MAX_DOSES),
            )
            if (user_stop is not None or user_count is not None) and len(unlimited) > len(full):
                asked = (
                    f"--cycles {user_count}"
                    if request.cycles is not None
                    else (f"--weeks {request.weeks}" if request.weeks is not None else "--levels")
                )
                warnings.append(
                    f"{asked} goes beyond the label course ({length}); the schedule stops at "
                    "the end of the course"
                )
    elif course is not None:
        end = f"Given until {course.until}: this list shows {len(rows)} doses."
    else:
        end = (
            f"Course length not encoded for {chosen.brand} ({regimen.indication}): check the "
            f"current prescribing information; this list shows {len(rows)} doses."
        )

    seen: set[tuple[str, str]] = set()
    plans: dict[tuple[str, str, str, int | None], Plan] = {}
    doses: list[ScheduledDose] = []
    weight = None
    product = named_product
    for number, (when, schedule, phase) in enumerate(rows, start=first_cycle):
        if skipped:
            phase = core_courses.continuing_phase(schedule)
        which = "subsequent" if (schedule.name, phase.name) in seen else "first"
        seen.add((schedule.name, phase.name))
        at = per_level[per_cycle.level_of(number)] if per_cycle and per_level else level
        plan = None
        if request.weight is not None:
            key = (schedule.name, phase.name, which, at.level if at is not None else None)
            if key not in plans:
                plans[key] = plan_beside(
                    book,
                    request,
                    regimen.indication,
                    level=at.level if at is not None else request.level,
                    phase=phase.name,
                    schedule=schedule.name,
                    infusion=which,
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
                dose_rate=at.dose if at is not None else phase.dose,
                plan=plan,
                level=at,
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
        if d.level is not None:
            sources.append(d.level.source)
    if per_cycle is not None and molecule.no_re_escalation is not None:
        sources.append(molecule.no_re_escalation.source)
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
        first_cycle=first_cycle,
        cycle_levels=per_cycle.text if per_cycle is not None else None,
    )
