"""Adverse-event dose modifications (`her2dose adjust`): the label's tables as records, and
the pure rules that apply them.

regimens._Checker.adverse_events builds these records (kept in adverse_event_records, and
re-exported here) from `[adverse_events.MOLECULE]` in regimens.toml; nothing here reads a
file or prints. A Rule is one row of a label's table.
A NotEncoded entry stands where the digest could not verify the row: the answer is then
"not encoded: check the current prescribing information, ...", never a guess.

No path here raises a dose: every outcome keeps the current level, moves one level down,
or discontinues (the labels forbid re-escalation after a reduction).
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal, InvalidOperation

from her2dose import units
from her2dose.commands.plan import parse_weight
from her2dose.core import dosing
from her2dose.data import loader as regimens
from her2dose.errors import InputError, UnknownNameError
from her2dose.model import Level, Molecule, Quantity, Regimen, RegimenBook
from her2dose.model.adverse_events import (  # noqa: F401 - records re-exported
    ACTIONS,
    CTCAE_GRADES,
    EVENT_INPUTS,
    OUTCOMES,
    AdverseEvents,
    Event,
    LvefCondition,
    NotEncoded,
    Range,
    Rule,
)
from her2dose.model.results import (
    ANSWER_NO_ROW,
    ANSWER_NOT_ENCODED,
    ANSWER_RULE,
    Adjustment,
    AdjustRequest,
    LvefReading,
    Outcome,
)

# Grades an entry without `grades` covers when listing valid values (5 only if a label names it).
DEFAULT_GRADES = (1, 2, 3, 4)


# -- request and answer ------------------------------------------------------------------


# -- input parsing -----------------------------------------------------------------------

_GRADE = re.compile(r"^\s*(?:g|gr|grade)?\s*(\d+)\s*$", re.IGNORECASE)


def parse_grade(text: str | int) -> int:
    """'3', 'G3', 'grade 3' -> 3; a CTCAE grade 1 to 5."""
    match = _GRADE.match(str(text))
    grade = int(match.group(1)) if match else None
    if grade not in CTCAE_GRADES:
        raise InputError(
            "grade",
            f"grade '{text}' is not a CTCAE grade; use 1, 2, 3 or 4 (5 where the label uses it)",
        )
    return grade


def parse_percent(text: str, field: str, *, positive: bool = True) -> Decimal:
    """'42' or '42%' -> Decimal('42'), between 0 and 100."""
    raw = str(text).strip()
    try:
        value = Decimal(raw.removesuffix("%").strip())
    except InvalidOperation:
        raise InputError(
            field, f"--{field} '{text}' is not a number of percent, e.g. '42'"
        ) from None
    if not value.is_finite() or value > 100 or value < 0 or (positive and value == 0):
        low = "more than 0" if positive else "0"
        raise InputError(field, f"--{field} '{text}' must be from {low} to 100 (percent)")
    return value


def lvef_reading(request: AdjustRequest, event: Event) -> LvefReading:
    lvef = parse_percent(request.lvef, "lvef") if request.lvef is not None else None
    baseline = (
        parse_percent(request.lvef_baseline, "lvef-baseline")
        if request.lvef_baseline is not None
        else None
    )
    drop = (
        parse_percent(request.lvef_drop, "lvef-drop", positive=False)
        if request.lvef_drop is not None
        else None
    )
    if baseline is not None:
        if drop is not None:
            raise InputError("lvef-drop", "give either --lvef-drop or --lvef-baseline, not both")
        if lvef is None:
            raise InputError("lvef", "--lvef-baseline needs the current value, --lvef")
        drop = baseline - lvef  # a rise gives a negative decrease, which no 'decrease' row matches
    lln, lln_from = None, None
    if request.lvef_lln is not None:
        lln, lln_from = parse_percent(request.lvef_lln, "lvef-lln"), "--lvef-lln"
    elif event.lln_default is not None:
        lln, lln_from = event.lln_default, "label"
    return LvefReading(lvef, drop, lln, lln_from, request.symptomatic_chf)


def _has_lvef_input(request: AdjustRequest) -> bool:
    return (
        any(
            v is not None
            for v in (request.lvef, request.lvef_drop, request.lvef_baseline, request.lvef_lln)
        )
        or request.symptomatic_chf
    )


# -- lookups ---------------------------------------------------------------------------


def table_for(book: RegimenBook, molecule: Molecule) -> AdverseEvents:
    table = book.adverse_events.get(molecule.id)
    if table is None:
        known = ", ".join(sorted(book.adverse_events)) or "none"
        raise InputError(
            "drug",
            f"no adverse-event dose-modification table is encoded for {molecule.name}; "
            f"drugs with one: {known}",
        )
    return table


def resolve_event(table: AdverseEvents, name: str, molecule: Molecule) -> Event:
    key = regimens.normalise(name)
    event_id = table.names.get(key)
    if event_id is not None:
        return table.events[event_id]
    close = difflib.get_close_matches(key, list(table.names), n=3, cutoff=0.6)
    suggestion = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
    listing = "; ".join(
        f"{e.id}" + (f" ({', '.join(e.synonyms)})" if e.synonyms else "")
        for e in table.events.values()
    )
    raise UnknownNameError(
        "event",
        f"unknown event '{name}' for {molecule.name}{suggestion} Events in its label's "
        f"dose-modification table: {listing}",
    )


def current_level(regimen: Regimen, level: str | int | None) -> Level | None:
    """The level the patient is on. Required where the regimen has reductions: the result of
    'reduce one level' depends on it, and it is never assumed."""
    parsed = dosing.parse_level(level)
    if parsed is None and regimen.has_reductions:
        valid = ", ".join(str(lv.level) for lv in regimen.levels)
        raise InputError(
            "level",
            f"--level is required for regimen '{regimen.id}' (the level the patient is on now); "
            f"valid levels are {valid}",
        )
    return dosing.select_level(regimen, parsed)


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

    def matching(below: bool | None) -> list[Rule]:
        return [
            r for r in rules if any(c.matches(reading.lvef, reading.drop, below) for c in r.when)
        ]

    if not uses_lln(rules):
        return matching(None), False
    below, not_below = matching(True), matching(False)
    decides = below != not_below
    if reading.lln is None:
        return ([] if decides else not_below), decides
    return (below if reading.lvef < reading.lln else not_below), decides


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


# -- outcomes --------------------------------------------------------------------------


def level_words(level: Level, basis: str) -> str:
    return f"level {level.level} ({level.name}, {dosing.dose_text(level.dose, basis)})"


def outcome(
    step: str,
    condition: str | None,
    regimen: Regimen,
    level: Level | None,
    weight: Quantity | None,
) -> Outcome:
    """One branch. Never returns a level above `level`."""

    def made(lv: Level | None, discontinue: bool, text: str) -> Outcome:
        dose = (
            dosing.dose_for(lv.dose, regimen.basis, weight)
            if lv is not None and weight is not None
            else None
        )
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
    weight: Quantity | None,
    resolved_days: int | None,
) -> tuple[tuple[Outcome, ...], Outcome | None]:
    """Every branch of a rule, and the one that applies when it can be decided."""
    if rule.action != "interrupt":
        only = outcome(rule.action, None, regimen, level, weight)
        return (only,), only
    assert rule.then is not None  # the loader requires `then` for interrupt
    if rule.condition is None:
        only = outcome(rule.then, None, regimen, level, weight)
        return (only,), only
    first = outcome(rule.then, rule.condition, regimen, level, weight)
    second = outcome(rule.otherwise or "not-stated", "otherwise", regimen, level, weight)
    decided = None
    if rule.resolved_within is not None and resolved_days is not None:
        within = units.quantity(resolved_days, "day") <= rule.resolved_within
        decided = first if within else second
    return (first, second), decided


# -- the command -------------------------------------------------------------------------


def compute_adjustment(book: RegimenBook, request: AdjustRequest) -> Adjustment:
    molecule, product = regimens.resolve_drug(book, request.drug)
    regimen = regimens.resolve_regimen(book, molecule, request.indication)
    table = table_for(book, molecule)
    event = resolve_event(table, request.event, molecule)
    level = current_level(regimen, request.level)
    brand = product.brand if product is not None else molecule.name
    grade = parse_grade(request.grade) if request.grade is not None else None
    warnings: list[str] = []
    notes: list[str] = []

    if event.input != "lvef" and _has_lvef_input(request):
        raise InputError(
            "lvef",
            f"--lvef, --lvef-drop, --lvef-baseline, --lvef-lln and --symptomatic-chf "
            f"are for LVEF events; {event.name} is graded differently",
        )
    if request.resolved_days is not None and request.resolved_days < 0:
        raise InputError("resolved-days", "--resolved-days must be 0 or more")

    reading = None
    entry: Rule | NotEncoded | None
    if event.input == "grade":
        if grade is None:
            valid = ", ".join(str(g) for g in valid_grades(event.entries_for(regimen.id)))
            raise InputError(
                "grade",
                f"--grade is required for {event.name} (CTCAE grade; in the table: {valid})",
            )
        entry = entry_for_grade(event, regimen, grade, brand)
    elif event.input == "lvef":
        if grade is not None:
            raise InputError(
                "grade",
                f"{event.name} rows are LVEF categories, not CTCAE grades: leave out --grade and "
                "give --lvef and --lvef-drop (or --lvef-baseline), or --symptomatic-chf",
            )
        reading = lvef_reading(request, event)
        entry, lvef_notes = entry_for_lvef(event, regimen, reading, brand)
        notes += lvef_notes
    else:
        entry = event.entries_for(regimen.id)[0]  # the loader guarantees exactly one
        if grade is not None:
            notes.append(f"the label's action for {event.name} is the same at any grade")

    weight = None
    if request.weight is not None:
        weight, weight_warnings, weight_notes = parse_weight(request.weight, book)
        warnings += weight_warnings
        notes += weight_notes

    rule = entry if isinstance(entry, Rule) else None
    not_encoded = entry if isinstance(entry, NotEncoded) else None
    if request.resolved_days is not None:
        if rule is not None and rule.resolved_within is None:
            raise InputError(
                "resolved-days",
                f"--resolved-days does not decide anything for {event.name} "
                f"({rule.criterion}); leave it out",
            )
        if rule is None:
            notes.append("--resolved-days was not used: the label's row is not encoded")

    outcomes: tuple[Outcome, ...] = ()
    result = None
    if rule is not None:
        outcomes, result = outcomes_for(rule, regimen, level, weight, request.resolved_days)
        if result is None and rule.resolved_within is not None:
            notes.append(
                "give --resolved-days N (days from onset to resolution) to choose between the "
                "two outcomes"
            )
    answer = (
        ANSWER_RULE
        if rule is not None
        else ANSWER_NOT_ENCODED
        if not_encoded is not None
        else ANSWER_NO_ROW
    )
    level_dose = (
        dosing.dose_for(level.dose, regimen.basis, weight)
        if level is not None and weight is not None
        else None
    )
    sources = tuple(
        dict.fromkeys(
            s
            for s in (
                rule.source if rule else None,
                not_encoded.source if not_encoded else None,
                event.source if rule is None else None,
                level.source if level is not None else None,
                *(o.level.source for o in outcomes if o.level is not None),
                regimen.further_reduction.source
                if regimen.further_reduction
                and any(o.step == "reduce" and o.discontinue for o in outcomes)
                else None,
            )
            if s
        )
    )
    return Adjustment(
        request=request,
        molecule=molecule,
        regimen=regimen,
        event=event,
        grade=grade,
        lvef=reading,
        level=level,
        level_dose=level_dose,
        answer=answer,
        rule=rule,
        not_encoded=not_encoded,
        outcomes=outcomes,
        result=result,
        no_re_escalation=molecule.no_re_escalation if regimen.has_reductions else None,
        weight=weight,
        warnings=tuple(warnings),
        notes=tuple(notes),
        sources=sources,
    )
