"""What to give when the patient is here (`her2dose next`): on time, late, or not yet due.

Pure: the dates come in (the caller supplies today), the answer goes out. The rules are
data ([missed_doses.MOLECULE] in regimens.toml): trastuzumab re-loads when more than a
week late; ENHERTU, KADCYLA and MARGENZA give the dose as soon as possible and keep the
3-week interval from it; PHESGO follows the 6-week transition rule from intravenous
pertuzumab and trastuzumab; unverified rules (PERJETA) answer "check the label".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from her2dose.commands import schedule as courses
from her2dose.commands import selection
from her2dose.commands.next_fixed import (  # noqa: F401 - PREVIOUS_CHOICES re-exported
    PREVIOUS_CHOICES,
    days_words,
    fixed_dose_next,
    not_yet_due,
    one_fixed_dose_next,
)
from her2dose.commands.plan import beside_request, compute_plan
from her2dose.commands.planner import Memo, Planner
from her2dose.core import courses as core_courses
from her2dose.core import dosing
from her2dose.errors import InputError
from her2dose.model import (
    Molecule,
    Phase,
    RegimenBook,
)
from her2dose.model.courses import (
    AS_SOON_AS_POSSIBLE,
    FIXED_DOSE_AS_SOON_AS_POSSIBLE,
    FIXED_DOSE_TRANSITION,
    NOT_ENCODED,
    RELOAD,
    Course,
    MissedDoseRule,
)
from her2dose.model.plan import Plan, PlanRequest
from her2dose.model.records import record
from her2dose.model.results import (
    COURSE_COMPLETE,
    DUE,
    LATE,
    NOT_ENCODED_STATUS,
    NOT_YET_DUE,
    NextDose,
    NextRequest,
    days,
)


def _dates(
    request: NextRequest, today: date, parse: Callable[[str, str], date] = courses.parse_date
) -> tuple[date, date]:
    """The last dose and the day the patient is here. `parse` is courses.parse_date, or a
    caller's memo of it (a batch's dates repeat)."""
    last = parse(request.last_dose, "last-dose")
    on = parse(request.on, "on") if request.on is not None else today
    if last > today:
        raise InputError(
            "last-dose",
            f"--last-dose {last.isoformat()} is in the future (today is {today.isoformat()}); "
            "give the date the last dose was actually given",
        )
    if on < last:
        raise InputError(
            "on",
            f"--on {on.isoformat()} is before the last dose {last.isoformat()}; --on is the day "
            "the patient is here (default today), on or after the last dose",
        )
    return last, on


# NextRequest fields that `setup_next` reads: everything but the patient's dates (last
# dose, on, start), weight and infusion. Whether a weight is given is part of the key too
# (setup_key): with one, the product is a required choice.
SETUP_FIELDS = ("drug", "indication", "product", "level", "schedule", "chemotherapy", "previous")
_setup_fields = attrgetter(*SETUP_FIELDS)


def setup_key(request: NextRequest) -> tuple[Any, ...]:
    return (*_setup_fields(request), request.weight is None)


@dataclass(frozen=True, slots=True, eq=False)
class NextSetup:
    """The part of `next` that depends only on the combination: the drug and its missed-dose
    rule; for a regimen (not a fixed-dose product) the regimen, course shape and level
    chosen, the course, the notes that do not depend on the dates, and each dose in words."""

    molecule: Molecule
    rule: MissedDoseRule | None
    chosen: selection.Selection | None = None  # None: a fixed-dose product
    course: Course | None = None
    course_note: str | None = None  # said when no --start is given
    schedule_note: str | None = None
    words: dict[tuple[str, str], str] | None = None  # (schedule, phase) -> the dose in words
    intervals: dict[str, int] | None = None  # schedule -> its interval in days


def compute_next(book: RegimenBook, request: NextRequest, today: date) -> NextDose:
    last, on = _dates(request, today)
    return next_patient(book, setup_next(book, request), request, last, on)


def setup_next(book: RegimenBook, request: NextRequest) -> NextSetup:
    molecule, _ = selection.resolve_drug(book, request.drug)
    rule = book.missed_doses.get(molecule.id)
    if rule is not None and rule.rule in (FIXED_DOSE_TRANSITION, FIXED_DOSE_AS_SOON_AS_POSSIBLE):
        return NextSetup(molecule, rule)
    if request.previous is not None:
        raise InputError("previous", "--previous applies only to PHESGO; leave it out")

    chosen = selection.select_for(
        book,
        request,
        product_mode=selection.product_mode_for(request.weight),
        shape_mode=selection.ANY_SHAPE,
    )
    regimen, level, shape = chosen.regimen, chosen.level, chosen.shape
    assert shape is not None
    course = book.courses.get(regimen.id)
    course_note = schedule_note = None
    if course is not None and course.until is None:
        how = (
            "give --start to check where it ends"
            if course.duration is not None
            else "count the doses given"
        )
        course_note = f"the course is {courses.course_length_text(course)} in total ({how})." + (
            f" {course.limit}" if course.limit else ""
        )
    if (
        course is not None
        and shape.pattern is None
        and course.schedules
        and (shape.name not in course.schedules)
    ):
        patterns = ", ".join(course.patterns)
        schedule_note = (
            f"in {regimen.id} the {shape.name} schedule is part of {patterns}; use "
            f"--schedule {patterns} --start DATE --chemotherapy ... to have the switch dated"
        )
    schedules = [s for s in (shape.first, shape.then) if s is not None]
    words = {
        (schedule.name, phase.name): dosing.dose_text(
            level.dose if level is not None else phase.dose, regimen.basis
        )
        for schedule in schedules
        for phase in schedule.phases.values()
    }
    intervals = {schedule.name: days(schedule.interval) for schedule in schedules}
    return NextSetup(molecule, rule, chosen, course, course_note, schedule_note, words, intervals)


@record
class NextDated:
    """A regimen's answer on its dates (last dose, on, start), before the plan of the dose
    given: what the rows of a combination that differ only in weight and infusion share.
    `fields` are NextDose's but `request`: the whole answer when there is no plan to make
    (`sources` None); else with_plan adds the plan, its warnings and notes, and its sources
    between `sources` and `after` (the dose given and its level)."""

    fields: dict[str, Any]
    sources: tuple[str, ...] | None = None
    after: tuple[str, ...] = ()
    # What render works out from this answer alone, kept here so that a batch works it out
    # once for the rows on these dates: see `remember`. Not part of the value.
    memo: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        """compute(), worked out once per key for these dates. `key` must name every input
        of `compute` that is not part of `fields` but the request, the plan and what it
        adds."""
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = compute()
            return value


def next_patient(
    book: RegimenBook,
    setup: NextSetup,
    request: NextRequest,
    last: date,
    on: date,
    *,
    plan: Callable[[PlanRequest], Plan] | None = None,
) -> NextDose:
    """The per-patient part: the dates, what is due, and the plan of the dose given. `plan`
    plans a request (compute_plan on `book` when None)."""
    if setup.chosen is None:
        return fixed_next(setup, request, last, on)
    return with_plan(book, next_dated(setup, request, last, on), request, plan)


def fixed_next(setup: NextSetup, request: NextRequest, last: date, on: date) -> NextDose:
    """next_patient for a fixed-dose product (next_fixed.py)."""
    rule = setup.rule
    assert rule is not None
    if rule.rule == FIXED_DOSE_TRANSITION:
        return fixed_dose_next(request, setup.molecule, rule, last, on)
    return one_fixed_dose_next(request, setup.molecule, rule, last, on)


def next_dated(setup: NextSetup, request: NextRequest, last: date, on: date) -> NextDated:
    """next_patient for a regimen, up to the plan: reads of `request` only the start and
    what setup_key holds."""
    molecule, rule, chosen = setup.molecule, setup.rule, setup.chosen
    assert chosen is not None
    regimen, level, shape = chosen.regimen, chosen.level, chosen.shape
    assert shape is not None and setup.words is not None and setup.intervals is not None
    intervals = setup.intervals
    named_product = chosen.product
    course = setup.course
    start = courses.parse_date(request.start, "start") if request.start is not None else None
    if start is not None and start > last:
        raise InputError(
            "start",
            f"--start {start.isoformat()} is after the last dose {last.isoformat()}; --start is "
            "the date of the first dose of the course",
        )
    if shape.pattern is not None and start is None:
        raise InputError(
            "start",
            f"--schedule {shape.name} needs --start DATE (the first dose of the course) to "
            "know when the weekly doses end",
        )
    notes: list[str] = []
    if setup.course_note is not None and start is None:
        notes.append(setup.course_note)
    if setup.schedule_note is not None:
        notes.append(setup.schedule_note)

    last_schedule = shape.schedule_of(last, start)
    due, due_schedule = shape.due_after(last, last_schedule, start)
    if shape.pattern is not None and shape.then is not None and start is not None:
        assert shape.first_days is not None and shape.switch_after_days is not None
        since_start = (last - start).days
        if shape.first_days <= since_start < shape.first_days + intervals[shape.then.name]:
            switch = last + timedelta(shape.switch_after_days)
            notes.append(
                f"the last dose ({last.isoformat()}, week {since_start // 7 + 1}) is taken as "
                f"the first {shape.then.name} dose; if it was instead the last {shape.first.name} "
                f"dose given late, the {shape.then.name} doses start on {switch.isoformat()}"
            )
    interval = (due - last).days
    sources = [regimen.source, due_schedule.source]
    if course is not None:
        sources.append(course.source)
    if shape.pattern is not None:
        sources.append(shape.pattern.source)
    base = {
        "molecule": molecule,
        "regimen": regimen,
        "shape": shape,
        "rule": rule,
        "last_dose": last,
        "on": on,
        "start": start,
        "due_date": due,
        "minimum_interval_days": interval,
        "level": level,
        "product": named_product,
    }

    end = core_courses.course_end(course, start)
    if core_courses.is_past_course_end(end, due, on):
        assert course is not None and end is not None
        return NextDated(
            dict(
                **base,
                status=COURSE_COMPLETE,
                action=None,
                message=(
                    f"the course is complete: {courses.course_length_text(course)} in total "
                    f"from {start}, no dose on or after {end.isoformat()}; give no further dose."
                    + (f" {course.limit}" if course.limit else "")
                ),
                notes=tuple(notes),
                sources=tuple(dict.fromkeys(sources)),
            )
        )

    late = (on - due).days
    if late < 0:
        return NextDated(
            dict(
                **base,
                status=NOT_YET_DUE,
                action=None,
                message=not_yet_due(due, interval),
                notes=tuple(notes),
                sources=tuple(dict.fromkeys(sources)),
            )
        )

    next_due, next_schedule = shape.due_after(on, due_schedule, start)
    then = f"the next dose {intervals[next_schedule.name]} days later"
    if next_due != on + timedelta(intervals[next_schedule.name]):
        then = f"the next dose on {next_due.isoformat()}"
    give = core_courses.continuing_phase(due_schedule)
    warnings: list[str] = []
    if late > 0 and shape.pattern is not None and shape.then is not None:
        assert shape.first_days is not None
        notes.append(
            f"the label does not say whether a delayed {shape.first.name} dose extends the "
            f"{shape.first.name} period; this answer does not extend it: the "
            f"{shape.first.name} doses end {shape.first_days // 7} weeks after the first dose "
            f"of the course ({start}), whatever the delay"
        )
    interval_days = intervals[due_schedule.name]
    if (
        late > 0
        and core_courses.long_gap(last, on, interval_days)
        and (rule is None or rule.rule != RELOAD)
    ):
        warnings.append(
            f"{(on - last).days} days since the last dose, more than "
            f"{core_courses.GAP_INTERVALS} intervals ({core_courses.GAP_INTERVALS * interval_days}"
            f" days): the label gives no rule for such a gap; review the restart with the "
            "prescriber"
        )
    dose_rate = level.dose if level is not None else give.dose

    def words(phase: Phase) -> str:
        return setup.words[due_schedule.name, phase.name]

    if late == 0:
        status, action = DUE, give.name
        message = f"give the {give.name} dose, {words(give)}, today; {then}"
    elif rule is None or rule.rule == NOT_ENCODED:
        text = (
            rule.text
            if rule is not None
            else (
                f"what to give after a late dose of {molecule.name} is not encoded: check the "
                "current prescribing information"
            )
        )
        if rule is not None:
            sources.append(rule.source)
        return NextDated(
            dict(
                **base,
                status=NOT_ENCODED_STATUS,
                action=None,
                message=f"{days_words(late)} late: {text}",
                rule_text=text,
                rule_source=rule.source if rule is not None else None,
                warnings=tuple(warnings),
                notes=tuple(notes),
                sources=tuple(dict.fromkeys(sources)),
            )
        )
    elif rule.rule == RELOAD:
        assert rule.reload_after is not None
        limit = days(rule.reload_after)
        sources.append(rule.source)
        status = LATE
        if late <= limit:
            action = give.name
            message = (
                f"{days_words(late)} late ({limit} or fewer): give the {give.name} dose, "
                f"{words(give)}, now and re-time the schedule from it; {then}"
            )
        else:
            maintenance = give
            give = due_schedule.phases["loading"]
            dose_rate = give.dose
            action = "re-load"
            message = (
                f"{days_words(late)} late (more than {limit}): re-load now with "
                f"{words(give)} (the loading dose), then {words(maintenance)} "
                f"maintenance: {then}"
            )
    elif rule.rule == AS_SOON_AS_POSSIBLE:
        sources.append(rule.source)
        status, action = LATE, give.name
        how = (
            f"at the dose and rate tolerated in the most recent infusion ({words(give)} at "
            "this level)"
            if rule.same_dose_and_rate
            else f"the scheduled dose, {words(give)}"
        )
        message = (
            f"{days_words(late)} late: give the dose now, {how}; keep the "
            f"{interval_days}-day interval from this dose, "
            f"{then}; there is no re-loading dose"
        )
    else:  # pragma: no cover - the loader allows only the rules above
        raise AssertionError(rule.rule)

    if end is not None and next_due >= end:
        notes.append(f"no further dose after this one: the course ends on {end.isoformat()}")
        next_due = None
    after = [give.source] + ([level.source] if level is not None else [])
    answer = dict(
        **base,
        status=status,
        action=action,
        message=f"{message}.",
        rule_text=rule.text if status == LATE else None,
        rule_source=rule.source if status == LATE else None,
        schedule=due_schedule,
        phase=give,
        dose_rate=dose_rate,
        next_due_date=next_due,
        reminders=molecule.reminders,
        warnings=tuple(warnings),
        notes=tuple(notes),
        sources=tuple(dict.fromkeys(sources + after)),
    )
    if request.weight is None:
        return NextDated(answer)
    return NextDated(answer, tuple(dict.fromkeys(sources)), tuple(after))


def with_plan(
    book: RegimenBook,
    dated: NextDated,
    request: NextRequest,
    plan: Callable[[PlanRequest], Plan] | None = None,
) -> NextDose:
    """The answer for this patient: `dated`'s, with the plan of the dose given on the
    request's weight and infusion. `plan` as for next_patient."""
    answer = dated.fields
    if dated.sources is None:
        return NextDose(request=request, **answer)
    regimen, phase, schedule = answer["regimen"], answer["phase"], answer["schedule"]
    dose_plan = (plan or (lambda r: compute_plan(book, r, use_by_shown=False)))(
        beside_request(
            request,
            regimen.indication,
            level=request.level,
            phase=phase.name,
            schedule=schedule.name,
            infusion=request.infusion,
        )
    )
    return NextDose(
        request=request,
        **{
            **answer,
            "product": dose_plan.product,
            "plan": dose_plan,
            "reminders": dose_plan.reminders,
            "warnings": (*answer["warnings"], *dose_plan.warnings),
            "notes": (*answer["notes"], *dose_plan.notes),
            "sources": tuple(dict.fromkeys((*dated.sources, *dose_plan.sources, *dated.after))),
        },
    )


class NextPlanner:
    """compute_next for many patients on one book: each distinct setup_next (on setup_key)
    worked out once, each regimen's answer on each distinct dates (next_dated) once, and
    the plan of each dose given made by one Planner. Answers are exactly compute_next's, as
    they are made by the same functions."""

    def __init__(
        self, book: RegimenBook, today: date, max_entries: int = 4096, preparation: bool = True
    ) -> None:
        """`preparation` as for plan_patient: False when no vials, infusion, notes or
        sources of the answers are shown."""
        self.book = book
        self.today = today
        self.planner = Planner(book, max_entries, use_by_shown=False, preparation=preparation)
        self._setups = Memo(max_entries)
        self._same_setups = Memo(max_entries)
        self._dates = Memo(max_entries)
        self._dated = Memo(max_entries)

    def parse_date(self, text: str, field: str) -> date:
        return self._dates.get((text, field), lambda: courses.parse_date(text, field))

    def next(self, request: NextRequest) -> tuple[NextSetup, NextDose]:
        """The answer, and the setup it was made on (shared by the combination's rows)."""
        setup, _, answer = self.dated_next(request)
        return setup, answer

    def dated_next(self, request: NextRequest) -> tuple[NextSetup, NextDated | None, NextDose]:
        """next(), and the NextDated the answer was made from (shared by the combination's
        rows on the same dates; None for a fixed-dose product, whose answer is made whole)."""
        last, on = _dates(request, self.today, self.parse_date)
        setup = self._setups.get(
            setup_key(request), lambda: self._same(setup_next(self.book, request))
        )
        if setup.chosen is None:
            return setup, None, fixed_next(setup, request, last, on)
        # a setup is its own key (compared by identity), kept alive by the entry
        dated = self._dated.get(
            (setup, last, on, request.start, request.weight is None),
            lambda: next_dated(setup, request, last, on),
        )
        return setup, dated, with_plan(self.book, dated, request, self.planner.plan)

    def _same(self, setup: NextSetup) -> NextSetup:
        """The setup already made for the same choices written another way (the drug's
        case, a brand or the molecule with --product, the default level or none), else
        `setup`: such rows then share their answers on the same dates. next_dated reads of
        a setup only what these choices make."""
        chosen = setup.chosen
        if chosen is None:
            return setup
        shape = chosen.shape
        assert shape is not None
        # ids of the book's objects: the setup kept here holds each of them
        choices = (setup.molecule, setup.rule, chosen.regimen, chosen.product, chosen.level)
        key = (*map(id, choices), id(setup.course), shape.name, shape.chemotherapy)
        return self._same_setups.get(key, lambda: setup)
