"""Frozen records for the adverse-event dose-modification tables.

Built by the loader (data/events.py) from [adverse_events.MOLECULE] in
regimens.toml; read by the pure rules in `modifications` (`her2dose adjust`), which
re-exports them. Kept apart from those rules so that loading the regimens file, which every
command does, does not also create the classes of `adjust`'s requests and answers.
"""

from __future__ import annotations

from decimal import Decimal

from her2dose.model import Quantity
from her2dose.model.records import record

# What the label says to do now (a rule's `action`), in the words her2dose prints.
ACTIONS: dict[str, str] = {
    "continue": "continue treatment",
    "interrupt": "interrupt treatment",
    "maintain": "treat at the same dose level",
    "reduce": "reduce the dose one level",
    "discontinue": "permanently discontinue",
    "slow-or-interrupt-infusion": "slow or interrupt the infusion",
    # the running infusion only: the dose and level stay; nothing is implied about the rate
    "interrupt-infusion": "interrupt the infusion",
}
# What follows an interruption (a rule's `then` and `otherwise`).
OUTCOMES = ("maintain", "reduce", "discontinue")
# How an occurrence of an event is described: a CTCAE grade, an LVEF reading, or nothing
# more than that it happened (the label's action does not depend on severity).
EVENT_INPUTS = ("grade", "lvef", "any")
CTCAE_GRADES = (1, 2, 3, 4, 5)


@record
class Range:
    """A span of percent values as the label writes it: '<40', '>=16', '40-45' (inclusive)."""

    low: Decimal | None
    low_inclusive: bool
    high: Decimal | None
    high_inclusive: bool
    text: str

    def contains(self, value: Decimal) -> bool:
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (value == self.high and not self.high_inclusive))
        )

    def bounds(self) -> tuple[Decimal, ...]:
        return tuple(b for b in (self.low, self.high) if b is not None)


@record
class LvefCondition:
    """One way an LVEF row can apply; every part given must hold."""

    lvef: Range | None = None  # LVEF in percent
    drop: Range | None = None  # absolute decrease from baseline, percentage points
    below_lln: bool | None = None  # LVEF below the lower limit of normal
    symptomatic_chf: bool = False

    @property
    def uses_values(self) -> bool:
        return not self.symptomatic_chf

    def matches(self, lvef: Decimal, drop: Decimal, below_lln: bool | None) -> bool:
        if self.symptomatic_chf:
            return False  # matched separately: a symptomatic-CHF row needs the CHF report
        if self.lvef is not None and not self.lvef.contains(lvef):
            return False
        if self.drop is not None and not self.drop.contains(drop):
            return False
        return self.below_lln is None or below_lln is self.below_lln


@record
class Rule:
    """One row of a label's dose-modification table."""

    grades: tuple[int, ...]  # CTCAE grades (input "grade"); empty otherwise
    when: tuple[LvefCondition, ...]  # LVEF rows (input "lvef"): any one applies
    criterion: str
    action: str  # a key of ACTIONS
    until: str | None  # interrupt: the recovery to wait for
    then: str | None  # interrupt: one of OUTCOMES
    condition: str | None  # `then` applies when this holds ...
    otherwise: str | None  # ... else this (None: the label does not say)
    resolved_within: Quantity | None  # makes `condition` decidable from days to resolution
    follow_up: str | None
    label: str
    regimens: tuple[str, ...]  # empty: every regimen of the molecule
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites
    interpretation: str | None = None  # how her2dose reads the label's words
    # the part of the row's situation this rule does not answer (not in coverage)
    not_encoded_part: NotEncoded | None = None

    @property
    def symptomatic_chf(self) -> bool:
        return any(c.symptomatic_chf for c in self.when)

    def applies_to(self, regimen_id: str) -> bool:
        return not self.regimens or regimen_id in self.regimens


@record
class NotEncoded:
    """A row of the label's table that the digest could not verify."""

    grades: tuple[int, ...]  # empty: every grade (or every reading)
    criterion: str | None
    reason: str
    see: str  # where in the current prescribing information to look
    regimens: tuple[str, ...]
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites

    def applies_to(self, regimen_id: str) -> bool:
        return not self.regimens or regimen_id in self.regimens


@record
class Event:
    id: str
    name: str
    synonyms: tuple[str, ...]
    input: str  # one of EVENT_INPUTS
    lln_default: Decimal | None  # LVEF lower limit of normal the label names, if any
    rules: tuple[Rule, ...]
    not_encoded: tuple[NotEncoded, ...]
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites

    def entries_for(self, regimen_id: str) -> list[Rule | NotEncoded]:
        entries: tuple[Rule | NotEncoded, ...] = (*self.rules, *self.not_encoded)
        return [e for e in entries if e.applies_to(regimen_id)]


@record
class AdverseEvents:
    """One molecule's dose-modification table."""

    molecule_id: str
    grading: str | None
    events: dict[str, Event]
    names: dict[str, str]  # normalised event id or synonym -> event id
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites
