"""The results of levels, check, adjust, schedule and next: what render shows."""

from __future__ import annotations

from dataclasses import field
from datetime import date, timedelta
from decimal import Decimal

from her2dose import units
from her2dose.errors import InputError
from her2dose.model import (
    Level,
    MaxDose,
    Molecule,
    Phase,
    Product,
    Quantity,
    Regimen,
    Reminder,
    Schedule,
    Sourced,
)
from her2dose.model.adverse_events import Event, NotEncoded, Rule
from her2dose.model.courses import Course, FixedDose, MissedDoseRule, Pattern
from her2dose.model.plan import (  # noqa: F401 - the verdicts, re-exported
    ABOVE_LABEL_DOSE,
    ABOVE_MAXIMUM,
    AMBIGUOUS,
    MATCH,
    NO_MATCH,
    VERDICTS,
    Plan,
)
from her2dose.model.records import record

# Kinds of answer `adjust` gives.
ANSWER_RULE = "rule"
ANSWER_NOT_ENCODED = "not-encoded"
ANSWER_NO_ROW = "no-matching-row"  # an LVEF reading that meets no row: no modification
ANSWER_NO_EVENT_ROW = "no-table-row"  # the table has no row for the event at all
NOT_YET_DUE = "not-yet-due"
DUE = "due"
LATE = "late"
NOT_ENCODED_STATUS = "not-encoded"
COURSE_COMPLETE = "course-complete"
GIVE_NOW = (DUE, LATE)  # the statuses that say "give a dose today" (exit code 0)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday(d: date) -> str:
    return WEEKDAYS[d.weekday()]


@record
class NextDose:
    request: NextRequest
    molecule: Molecule
    regimen: Regimen | None  # None for a fixed-dose product (PHESGO)
    shape: Shape | None
    rule: MissedDoseRule | None
    last_dose: date
    on: date
    start: date | None
    due_date: date
    minimum_interval_days: int  # from the last dose to the due date
    status: str  # NOT_YET_DUE, DUE, LATE, NOT_ENCODED_STATUS, COURSE_COMPLETE
    action: str | None  # maintenance, standard, re-load, loading; None when nothing is given
    message: str
    product: Product | None = None  # when named (DRUG or --product with --weight)
    schedule: Schedule | None = None  # the schedule of the dose given
    phase: Phase | None = None
    level: Level | None = None
    dose_rate: Quantity | None = None  # mg/kg or flat mg
    fixed_dose: FixedDose | None = None
    next_due_date: date | None = None  # after the dose given on `on`
    rule_text: str | None = None  # the label rule the answer applied, in its words
    rule_source: str | None = None
    plan: Plan | None = None
    reminders: tuple[Reminder, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=())

    @property
    def days_since_last_dose(self) -> int:
        return (self.on - self.last_dose).days

    @property
    def days_late(self) -> int:
        """0 when the course is complete: no dose is late after the course has ended."""
        if self.status == COURSE_COMPLETE:
            return 0
        return max(0, (self.on - self.due_date).days)

    @property
    def days_until_due(self) -> int:
        return max(0, (self.due_date - self.on).days)

    @property
    def due_weekday(self) -> str:
        return weekday(self.due_date)

    @property
    def gives_dose(self) -> bool:
        return self.status in GIVE_NOW


@record
class ScheduledDose:
    number: int  # 1-based
    date: date
    day: int  # days since the first dose
    schedule: Schedule
    phase: Phase
    infusion: str  # "first" for the first dose of its phase and schedule, else "subsequent"
    dose_rate: Quantity  # mg/kg (per_kg) or mg (flat), at the chosen level
    plan: Plan | None = None  # with --weight: the plan for this dose
    level: Level | None = None  # the dose level of this cycle (None: dosed by phase)

    @property
    def week(self) -> int:
        return self.day // 7 + 1

    @property
    def weekday(self) -> str:
        return weekday(self.date)


@record
class CourseSchedule:
    request: ScheduleRequest
    molecule: Molecule
    product: Product | None  # known when named or when --weight made plans
    regimen: Regimen
    course: Course | None
    shape: Shape
    level: Level | None
    start: date
    doses: tuple[ScheduledDose, ...]
    end: str  # why the list stops, in words
    weight: Quantity | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=())
    first_cycle: int = 1  # the number of the first dose listed
    cycle_levels: str | None = None  # --levels as given, when the level changes by cycle


@record
class LvefReading:
    lvef: Decimal | None  # percent
    drop: Decimal | None  # absolute decrease from baseline, percentage points
    lln: Decimal | None  # lower limit of normal used, percent
    lln_from: str | None  # "--lvef-lln" or "label"
    symptomatic_chf: bool


@record
class Outcome:
    """What happens next: one branch of a rule, with the level it leaves the patient on."""

    condition: str | None  # None: unconditional; "otherwise" for the second branch
    step: str  # continue, maintain, reduce, discontinue, slow-or-interrupt-infusion, not-stated
    level: Level | None  # level to give next; None when discontinued or dosed by phase
    dose: Quantity | None  # mg at `level` for the given weight
    discontinue: bool  # true for "discontinue" and for a reduction below the last level
    text: str

    @property
    def result(self) -> str:
        return "discontinue" if self.discontinue else self.step


@record
class Adjustment:
    request: AdjustRequest
    molecule: Molecule
    regimen: Regimen
    event: Event
    grade: int | None
    lvef: LvefReading | None
    level: Level | None  # the current level; None for regimens dosed by phase
    level_dose: Quantity | None  # mg at the current level, with a weight
    answer: str  # ANSWER_RULE, ANSWER_NOT_ENCODED, ANSWER_NO_ROW or ANSWER_NO_EVENT_ROW
    rule: Rule | None
    not_encoded: NotEncoded | None
    outcomes: tuple[Outcome, ...]
    result: Outcome | None  # the outcome that applies; None until its condition is known
    no_re_escalation: Sourced | None
    weight: Quantity | None
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    sources: tuple[str, ...]
    message: str | None = None  # the answer in words where no rule applies (else render's)

    @property
    def answered(self) -> bool:
        """The label's table gives the answer (a rule, or no modification at an LVEF
        reading that meets no row); exit 0. Not encoded, or no row for the event: exit 1."""
        return self.answer in (ANSWER_RULE, ANSWER_NO_ROW)

    @property
    def action(self) -> str:
        return self.rule.action if self.rule is not None else self.answer


@record
class Comparison:
    level: Level | None  # None for regimens dosed by phase
    name: str  # "starting dose", "first dose reduction", "maintenance dose (q3w)"
    label_rate: Quantity  # mg/kg (per_kg) or mg (flat)
    label_dose: Quantity  # mg for this weight
    difference: Quantity  # ordered - label, mg
    difference_pct: Decimal  # of the label dose
    within_tolerance: bool
    source: str
    within_precision: bool = False  # within half the ordering precision: this very dose
    pct_places: int = 1  # decimal places that show difference_pct on its side of tolerance


@record
class OverLabel:
    kind: str  # "maximum" or "label-dose"
    what: str  # "the label's maximum", "the starting dose", "the labelled maintenance dose"
    limit_rate: Quantity
    limit_dose: Quantity  # mg for this weight
    difference: Quantity  # mg above
    difference_pct: Decimal
    source: str


@record
class DoseCheck:
    request: CheckRequest
    molecule: Molecule
    regimen: Regimen
    schedule: Schedule
    phase: Phase
    weight: Quantity  # kg
    per_kg_input: bool  # the dose was typed in mg/kg
    ordered: Quantity  # as typed: mg or mg/kg
    ordered_mg: Quantity
    ordered_rate: Quantity  # mg/kg
    tolerance_pct: Decimal
    tolerance_from: str  # "--tolerance" or "policy"
    scope: str  # "all-levels", "level" or "phase"
    comparisons: tuple[Comparison, ...]
    nearest: Comparison
    over_label: OverLabel | None
    maximum: MaxDose | None
    verdict: str  # one of VERDICTS
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    precision_mg: Decimal = Decimal("0.1")  # [policy] order_precision_mg
    covered: tuple[Comparison, ...] = ()  # every comparison within tolerance
    message: str | None = None  # the answer in words where render's usual one would not do

    @property
    def matched(self) -> bool:
        return self.verdict == MATCH

    @property
    def matched_level(self) -> Comparison | None:
        return self.nearest if self.matched else None


@record
class LevelRow:
    level: Level | None  # None for regimens dosed by phase
    schedule: Schedule
    phase: Phase
    dose_rate: Quantity  # mg/kg (per_kg) or mg (flat)
    source: str
    plan: Plan | None  # with a weight: mg, vials and volumes at this level


@record
class LevelTable:
    request: LevelsRequest
    molecule: Molecule
    regimen: Regimen
    product: Product | None  # the product planned, with a weight
    rows: tuple[LevelRow, ...]
    further_reduction: Sourced | None  # what follows the last level ("discontinue")
    no_reductions: str | None  # dosing.NO_REDUCTIONS for drugs without reduction levels
    no_re_escalation: Sourced | None
    max_dose: MaxDose | None
    weight: Quantity | None
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


@record
class NextRequest:
    """What a user asked for, as typed; `on` None means today."""

    drug: str
    last_dose: str
    on: str | None = None
    weight: str | None = None
    indication: str | None = None
    product: str | None = None
    level: str | int | None = None
    schedule: str | None = None
    chemotherapy: str | None = None
    start: str | None = None
    previous: str | None = None  # PHESGO: what the last dose was (iv or phesgo)
    infusion: str | None = None


@record
class Shape:
    """The shape of a course: one schedule, or a pattern of two (weekly, then q3w)."""

    name: str
    first: Schedule
    then: Schedule | None = None
    first_days: int | None = None  # how long `first` lasts, from the course start
    switch_after_days: int | None = None
    pattern: Pattern | None = None
    chemotherapy: str | None = None

    def schedule_of(self, given: date, start: date | None) -> Schedule:
        """The schedule a dose given on `given` belongs to, judged by its date: in a pattern,
        a dose before the end of the `first` period is a `first` dose, any later one a
        `then` dose (a weekly dose given after the weekly period is taken as q3w)."""
        if self.then is None:
            return self.first
        if start is None:  # pragma: no cover - callers check that a pattern has a start
            raise InputError("start", f"--schedule {self.name} needs --start")
        assert self.first_days is not None
        return self.first if (given - start).days < self.first_days else self.then

    def due_after(
        self, given: date, schedule: Schedule, start: date | None
    ) -> tuple[date, Schedule]:
        """When the dose after one given on `given` on `schedule` is due, and its schedule.

        In a pattern, a `first` dose is followed one `first` interval later if that still
        falls within the `first` period; otherwise the `then` schedule starts
        `switch_after` this last `first` dose.
        """
        if self.then is None or schedule.name != self.first.name:
            return given + timedelta(days(schedule.interval)), schedule
        assert start is not None
        assert self.first_days is not None and self.switch_after_days is not None
        candidate = given + timedelta(days(self.first.interval))
        if (candidate - start).days < self.first_days:
            return candidate, self.first
        return given + timedelta(self.switch_after_days), self.then


@record
class ScheduleRequest:
    """What a user asked for, as typed."""

    drug: str
    start: str
    weight: str | None = None
    indication: str | None = None
    product: str | None = None
    level: str | int | None = None
    schedule: str | None = None
    chemotherapy: str | None = None
    cycles: int | None = None
    weeks: int | None = None
    levels: str | None = None  # a level per cycle range: '1-5:0,6:-1,7-10:-2'
    first_cycle: int | None = None  # the list starts at this cycle (a course begun elsewhere)


@record
class AdjustRequest:
    """What a user asked `adjust`, as typed."""

    drug: str
    event: str
    indication: str | None = None
    level: str | int | None = None
    grade: str | int | None = None
    resolved_days: int | None = None
    lvef: str | None = None
    lvef_drop: str | None = None
    lvef_baseline: str | None = None
    lvef_lln: str | None = None
    symptomatic_chf: bool = False
    weight: str | None = None


@record
class CheckRequest:
    drug: str
    weight: str
    dose: str
    indication: str | None = None
    level: str | int | None = None
    schedule: str | None = None
    phase: str | None = None
    tolerance: str | None = None  # percent; None: [policy] dose_tolerance_pct
    product: str | None = None  # whose vials the active rounding policy rounds to


@record
class LevelsRequest:
    drug: str
    indication: str | None = None
    weight: str | None = None
    product: str | None = None


def days(q: Quantity) -> int:
    """A whole-day duration as an int (the loader rejects fractional days). units.magnitude
    is `m_as` with the factor found once: `next` asks for several intervals per batch row."""
    return int(units.magnitude(q, "day"))
