"""Adverse-event dose modifications (`her2dose adjust`): resolve the event and the inputs,
apply the label's table (the rules are in core.modifications), and answer.

The loader (data/events.py) builds the records (model/adverse_events.py; Rule, ACTIONS
and OUTCOMES are re-exported here) from `[adverse_events.MOLECULE]` in regimens.toml;
nothing here reads a file or prints. A Rule is one row of a label's table.
A NotEncoded entry stands where the digest could not verify the row: the answer is then
"not encoded: check the current prescribing information, ...", never a guess.

No path here raises a dose: every outcome keeps the current level, moves one level down,
or discontinues (the labels forbid re-escalation after a reduction).
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from her2dose import units
from her2dose.commands import selection
from her2dose.commands.plan import parse_weight, plan_beside
from her2dose.core.modifications import (
    MgAt,
    entry_for_grade,
    entry_for_lvef,
    outcomes_for,
    valid_grades,
)
from her2dose.data.loader import normalise
from her2dose.errors import InputError, UnknownNameError
from her2dose.model import Level, Molecule, Quantity, Regimen, RegimenBook
from her2dose.model.adverse_events import (  # noqa: F401 - ACTIONS, OUTCOMES re-exported
    ACTIONS,
    CTCAE_GRADES,
    OUTCOMES,
    AdverseEvents,
    Event,
    NotEncoded,
    Rule,
)
from her2dose.model.results import (
    ANSWER_NO_EVENT_ROW,
    ANSWER_NO_ROW,
    ANSWER_NOT_ENCODED,
    ANSWER_RULE,
    Adjustment,
    AdjustRequest,
    LvefReading,
    Outcome,
)

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


def lvef_words(reading: LvefReading) -> str:
    parts = []
    if reading.lvef is not None:
        parts.append(f"LVEF {reading.lvef.normalize():f}%")
    if reading.drop is not None:
        parts.append(f"absolute decrease {reading.drop.normalize():f} points from baseline")
    if reading.symptomatic_chf:
        parts.append("symptomatic heart failure")
    return ", ".join(parts)


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


def _event_names(event: Event) -> set[str]:
    return {normalise(n) for n in (event.id, *event.synonyms)}


def resolve_event(
    table: AdverseEvents, name: str, molecule: Molecule, book: RegimenBook | None = None
) -> Event | None:
    """The event of this drug's table that `name` names; None when the table has no row
    for an adverse event her2dose knows (an event of another label's table, or one of
    [unlisted_adverse_events]). Any other name is an unknown event.

    A suggestion is made only within one clinical meaning: this table's name for the same
    event when `name` is another label's spelling of it; for an unknown name, the names of
    the one event nearest to it (never an event's name for another event's).
    """
    key = normalise(name)
    event_id = table.names.get(key)
    if event_id is not None:
        return table.events[event_id]
    others = [t for t in (book.adverse_events.values() if book else ()) if t is not table]
    unlisted = book.unlisted_events if book else {}
    listing = "; ".join(
        f"{e.id}" + (f" ({', '.join(e.synonyms)})" if e.synonyms else "")
        for e in table.events.values()
    )

    def unknown(close: list[str], why: str = "") -> UnknownNameError:
        guess = f"; did you mean {' or '.join(repr(c) for c in close)}?{why}" if close else "."
        return UnknownNameError(
            "event",
            f"unknown event '{name}' for {molecule.name}{guess} Events in its label's "
            f"dose-modification table: {listing}" + _without_rows(table, others, unlisted),
        )

    elsewhere = [t.events[t.names[key]] for t in others if key in t.names]
    if elsewhere:
        same = [
            e.id
            for e in table.events.values()
            if any(_event_names(e) & _event_names(other) for other in elsewhere)
        ]
        if same:
            raise unknown(sorted(set(same)), f" ('{name}' is another label's name for it)")
        return None
    if key in unlisted:
        return None
    # each known name, with the event it names: a suggestion keeps to the nearest event.
    # 0.8 keeps slips of a letter or two (neutropenai 0.91, nausae 0.83) and leaves out
    # words that only look alike (hepatotoxicity and pulmonary-toxicity: 0.63).
    meaning = {k: (t.molecule_id, e) for t in others for k, e in t.names.items()}
    meaning |= {k: ("", v) for k, v in unlisted.items()}
    meaning |= {k: (table.molecule_id, e) for k, e in table.names.items()}
    close = difflib.get_close_matches(key, sorted(meaning), n=3, cutoff=0.8)
    raise unknown([c for c in close if meaning[c] == meaning[close[0]]])


def _without_rows(
    table: AdverseEvents, others: list[AdverseEvents], unlisted: dict[str, str]
) -> str:
    """'; adverse events it has no row for: ...': other labels' events (one name each),
    then the unlisted ones."""
    seen = [_event_names(e) for e in table.events.values()]
    foreign = []
    for other in (e for t in others for e in t.events.values()):
        if not any(_event_names(other) & names for names in seen):  # one event, one name
            foreign.append(other.id)
            seen.append(_event_names(other))
    names = list(dict.fromkeys((*foreign, *unlisted.values())))
    if not names:
        return ""
    return f"; adverse events it has no row for: {', '.join(names)}"


def no_row_message(table_events: list[Event], name: str, brand: str) -> str:
    events = ", ".join(e.id for e in table_events)
    return (
        f"the label's dose-modification table has no row for {name}; no label-directed "
        f"modification. Events in the {brand} table: {events}"
    )


# -- the command -------------------------------------------------------------------------


def compute_adjustment(book: RegimenBook, request: AdjustRequest) -> Adjustment:
    chosen = selection.select_for(
        book,
        request,
        product_mode=selection.SKIP,
        schedule_mode=selection.SKIP,
        phase_mode=selection.SKIP,
        level_mode=selection.LEVEL_CURRENT,
    )
    molecule, regimen, level, brand = chosen.molecule, chosen.regimen, chosen.level, chosen.brand
    table = table_for(book, molecule)
    grade = parse_grade(request.grade) if request.grade is not None else None
    if request.resolved_days is not None and request.resolved_days < 0:
        raise InputError("resolved-days", "--resolved-days must be 0 or more")
    warnings: list[str] = []
    notes: list[str] = []
    weight = None
    if request.weight is not None:
        weight, weight_warnings, weight_notes = parse_weight(request.weight, book)
        warnings += weight_warnings
        notes += weight_notes
    mg_at = _planned_mg(book, request, regimen, notes) if weight is not None else None
    level_dose = mg_at(level) if level is not None and mg_at is not None else None

    def answer(**parts: Any) -> Adjustment:
        return Adjustment(
            request=request,
            molecule=molecule,
            regimen=regimen,
            grade=grade,
            level=level,
            level_dose=level_dose,
            no_re_escalation=molecule.no_re_escalation if regimen.has_reductions else None,
            weight=weight,
            warnings=tuple(warnings),
            notes=tuple(notes),
            **parts,
        )

    event = resolve_event(table, request.event, molecule, book)
    if event is None:
        return answer(
            event=Event(
                id=normalise(request.event),
                name=request.event.strip(),
                synonyms=(),
                input="any",
                lln_default=None,
                rules=(),
                not_encoded=(),
                source=table.source,
            ),
            lvef=None,
            answer=ANSWER_NO_EVENT_ROW,
            rule=None,
            not_encoded=None,
            outcomes=(),
            result=None,
            sources=(table.source,),
            message=no_row_message(list(table.events.values()), request.event.strip(), brand),
        )

    if event.input != "lvef" and _has_lvef_input(request):
        notes.append(
            f"--lvef, --lvef-drop, --lvef-baseline, --lvef-lln and --symptomatic-chf were not "
            f"used: {event.name} is not an LVEF event"
        )

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
            notes.append(
                f"--grade was not used: {event.name} rows are LVEF categories, not CTCAE grades"
            )
        reading = lvef_reading(request, event)
        entry, lvef_notes = entry_for_lvef(event, regimen, reading, brand)
        notes += lvef_notes
    else:
        entry = event.entries_for(regimen.id)[0]  # the loader guarantees exactly one
        if grade is not None:
            notes.append(f"the label's action for {event.name} is the same at any grade")

    rule = entry if isinstance(entry, Rule) else None
    not_encoded = entry if isinstance(entry, NotEncoded) else None
    if request.resolved_days is not None:
        if rule is not None and rule.resolved_within is None:
            notes.append(
                f"--resolved-days was not needed: it does not change the answer for "
                f"{event.name} ({rule.criterion})"
            )
        if rule is None:
            notes.append("--resolved-days was not used: the label's row is not encoded")

    outcomes: tuple[Outcome, ...] = ()
    result = None
    if rule is not None:
        outcomes, result = outcomes_for(rule, regimen, level, mg_at, request.resolved_days)
        if result is None and rule.resolved_within is not None:
            notes.append(
                "give --resolved-days N (days from onset to resolution) to choose between the "
                "two outcomes"
            )
    kind = (
        ANSWER_RULE
        if rule is not None
        else ANSWER_NOT_ENCODED
        if not_encoded is not None
        else ANSWER_NO_ROW
    )
    message = None
    if kind == ANSWER_NO_ROW:
        assert reading is not None
        rows = "; ".join(e.criterion for e in event.entries_for(regimen.id) if isinstance(e, Rule))
        message = (
            f"no modification in the label's table at this reading ({lvef_words(reading)}); "
            f"the {brand} table's {event.name} rows are: {rows}"
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
    return answer(
        event=event,
        lvef=reading,
        answer=kind,
        rule=rule,
        not_encoded=not_encoded,
        outcomes=outcomes,
        result=result,
        sources=sources,
        message=message,
    )


def _planned_mg(
    book: RegimenBook, request: AdjustRequest, regimen: Regimen, notes: list[str]
) -> MgAt:
    """mg at a level as `plan` computes them (the same policy, rounding and cap): one plan
    per level asked for."""
    planned: dict[int, Quantity] = {}

    def mg_at(level: Level) -> Quantity:
        if level.level not in planned:
            plan = plan_beside(
                book, request, regimen.indication, level=level.level, infusion="first"
            )
            planned[level.level] = plan.dose
            if plan.rounding is not None:
                notes.append(
                    f"level {level.level} as planned: {plan.rounding.reason} "
                    f"({units.magnitude(plan.rounding.ordered, 'mg').normalize():f} mg -> "
                    f"{units.magnitude(plan.rounding.final, 'mg').normalize():f} mg)"
                )
        return planned[level.level]

    return mg_at
