"""The rules of the labels' dose-modification tables (`her2dose adjust`): which row of a
table applies to a grade or an LVEF reading, and what each of its branches leaves the
patient on. Pure: records in, records out; mg come from the caller (`mg_at`), which takes
them from the one plan computation.

No path here raises a dose: every outcome keeps the current level, moves one level down,
or discontinues (the labels forbid re-escalation after a reduction).
"""

from __future__ import annotations

from collections.abc import Callable

from her2dose import units
from her2dose.core import dosing
from her2dose.errors import InputError
from her2dose.model import Level, Quantity, Regimen
from her2dose.model.adverse_events import Event, NotEncoded, Rule
from her2dose.model.results import LvefReading, Outcome

# Grades an entry without `grades` covers when listing valid values (5 only if a label names it).
DEFAULT_GRADES = (1, 2, 3, 4)

# The mg at a level for this patient, or None without a weight.
MgAt = Callable[[Level], Quantity | None] | None


def valid_grades(entries: list[Rule | NotEncoded]) -> tuple[int, ...]:
    grades: set[int] = set()
    for entry in entries:
        grades.update(entry.grades or DEFAULT_GRADES)
    return tuple(sorted(grades))


def entry_for_grade(event: Event, regimen: Regimen, grade: int, brand: str) -> Rule | NotEncoded:
    entries = event.entries_for(regimen.id)
    for entry in entries:
        if not entry.grades or grade in entry.grades:
            return entry
    valid = ", ".join(str(g) for g in valid_grades(entries))
    raise InputError(
        "grade",
        f"{brand}'s dose-modification table has no row for grade {grade} {event.name}; "
        f"grades in the table: {valid}",
    )


def uses_lln(rules: list[Rule]) -> bool:
    return any(c.below_lln is not None for r in rules for c in r.when)


def lvef_matches(rules: list[Rule], reading: LvefReading) -> tuple[list[Rule], bool]:
    """Rules whose values match, and whether the lower limit of normal decides which.

    When it decides and no limit is known, no rule is returned: the caller asks for one.
    """
    lvef, drop = reading.lvef, reading.drop
    assert lvef is not None and drop is not None  # entry_for_lvef asks for both first

    def matching(below: bool | None) -> list[Rule]:
        return [r for r in rules if any(c.matches(lvef, drop, below) for c in r.when)]

    if not uses_lln(rules):
        return matching(None), False
    below, not_below = matching(True), matching(False)
    decides = below != not_below
    if reading.lln is None:
        return ([] if decides else not_below), decides
    return (below if lvef < reading.lln else not_below), decides


def entry_for_lvef(
    event: Event, regimen: Regimen, reading: LvefReading, brand: str
) -> tuple[Rule | NotEncoded | None, list[str]]:
    """The row for an LVEF reading, or None when no row of the label's table matches."""
    notes: list[str] = []
    entries = event.entries_for(regimen.id)
    for entry in entries:
        if isinstance(entry, NotEncoded):
            return entry, notes
    rules = [e for e in entries if isinstance(e, Rule)]
    chf_rules = [r for r in rules if r.symptomatic_chf]
    if reading.symptomatic_chf:
        if chf_rules:
            return chf_rules[0], notes
        notes.append(
            f"{brand}'s LVEF rules have no separate row for symptomatic heart failure; "
            "the row was chosen from the LVEF value and decrease"
        )
    value_rules = [r for r in rules if not r.symptomatic_chf]
    if reading.lvef is None or reading.drop is None:
        chf_hint = " (or --symptomatic-chf)" if chf_rules else ""
        raise InputError(
            "lvef",
            f"{event.name} rows are LVEF categories, not CTCAE grades: give the current LVEF "
            f"(--lvef 42) and its absolute decrease from baseline (--lvef-drop 12, or "
            f"--lvef-baseline 54){chf_hint}",
        )
    matched, decides = lvef_matches(value_rules, reading)
    if decides and reading.lln is None:
        raise InputError(
            "lvef-lln",
            f"whether LVEF {reading.lvef}% is below the lower limit of normal decides the "
            f"{brand} row: give your institution's limit with --lvef-lln (e.g. --lvef-lln 50)",
        )
    if decides and reading.lln_from == "label":
        notes.append(
            f"lower limit of normal taken as {reading.lln}% (the label's figure where no "
            "institutional limit is available); give --lvef-lln for your institution's"
        )
    if reading.lln_from == "--lvef-lln" and not uses_lln(value_rules):
        notes.append(f"--lvef-lln was not used: {brand}'s LVEF rows do not depend on it")
    if len(matched) > 1:  # the loader rejects overlapping rows; this is a bug if reached
        raise AssertionError(f"several LVEF rows match: {[r.criterion for r in matched]}")
    return (matched[0] if matched else None), notes


def level_words(level: Level, basis: str) -> str:
    return f"level {level.level} ({level.name}, {dosing.dose_text(level.dose, basis)})"


def outcome(
    step: str,
    condition: str | None,
    regimen: Regimen,
    level: Level | None,
    mg_at: MgAt,
) -> Outcome:
    """One branch. Never returns a level above `level`."""

    def made(lv: Level | None, discontinue: bool, text: str) -> Outcome:
        dose = mg_at(lv) if lv is not None and mg_at is not None else None
        return Outcome(condition, step, lv, dose, discontinue, text)

    same = (
        f"at the same dose: {level_words(level, regimen.basis)}"
        if level is not None
        else "at the same dose"
    )
    if step == "continue":
        return made(level, False, f"continue treatment {same}")
    if step == "maintain":
        return made(level, False, f"resume {same}")
    if step == "slow-or-interrupt-infusion":
        return made(level, False, f"slow or interrupt the infusion; the dose is unchanged ({same})")
    if step == "interrupt-infusion":
        return made(level, False, f"interrupt the infusion; the dose is unchanged ({same})")
    if step == "discontinue":
        return made(None, True, "permanently discontinue")
    if step == "reduce":
        lower = dosing.level_after(regimen, level)
        if lower is not None:
            return made(lower, False, f"reduce one level to {level_words(lower, regimen.basis)}")
        after = regimen.further_reduction
        said = (
            f" (label: further reduction required: {after.text}; {after.source})" if after else ""
        )
        last = f"level {level.level} is the last level" if level is not None else "no lower level"
        return made(None, True, f"permanently discontinue: {last}{said}")
    if step == "not-stated":
        return made(
            None,
            False,
            "not stated in the label: check the current prescribing information",
        )
    raise AssertionError(f"unknown step {step!r}")  # the loader allows only known steps


def outcomes_for(
    rule: Rule,
    regimen: Regimen,
    level: Level | None,
    mg_at: MgAt,
    resolved_days: int | None,
) -> tuple[tuple[Outcome, ...], Outcome | None]:
    """Every branch of a rule, and the one that applies when it can be decided."""
    if rule.action != "interrupt":
        only = outcome(rule.action, None, regimen, level, mg_at)
        return (only,), only
    assert rule.then is not None  # the loader requires `then` for interrupt
    if rule.condition is None:
        only = outcome(rule.then, None, regimen, level, mg_at)
        return (only,), only
    first = outcome(rule.then, rule.condition, regimen, level, mg_at)
    second = outcome(rule.otherwise or "not-stated", "otherwise", regimen, level, mg_at)
    decided = None
    if rule.resolved_within is not None and resolved_days is not None:
        within = units.quantity(resolved_days, "day") <= rule.resolved_within
        decided = first if within else second
    return (first, second), decided
