"""Frozen records for treatment courses and missed-dose rules.

Built by the loader (data/courses.py) from the
[courses.REGIMEN] and [missed_doses.MOLECULE] tables of regimens.toml; read by the pure
modules `courses` and `missed_doses`. Kept apart from `model` so that `courses` can call
`plan.compute_plan` without an import cycle through the loader.
"""

from __future__ import annotations

from dataclasses import field

from her2dose.model import Quantity, Sourced
from her2dose.model.records import record

# [missed_doses.MOLECULE].rule
RELOAD = "reload"  # late by more than `reload_after`: give the loading dose again
AS_SOON_AS_POSSIBLE = "as-soon-as-possible"  # give now, keep the interval from this dose
FIXED_DOSE_TRANSITION = "fixed-dose-transition"  # PHESGO: loading or maintenance by time since
NOT_ENCODED = "not-encoded"  # the label wording was not verified: "check the label"
# HERCEPTIN HYLECTA: one fixed dose, given as soon as possible, then the interval again
FIXED_DOSE_AS_SOON_AS_POSSIBLE = "fixed-dose-as-soon-as-possible"
MISSED_DOSE_RULES = (
    RELOAD,
    AS_SOON_AS_POSSIBLE,
    FIXED_DOSE_TRANSITION,
    FIXED_DOSE_AS_SOON_AS_POSSIBLE,
    NOT_ENCODED,
)


@record
class Pattern:
    """A course made of two schedules: `first` (with its loading dose) for as long as the
    chosen chemotherapy lasts, then `then` (maintenance only), `switch_after` the last
    dose of `first`. The US adjuvant trastuzumab weekly-then-every-3-weeks course."""

    name: str
    description: str
    first: str  # schedule name in the regimen
    then: str  # schedule name in the regimen
    switch_after: Quantity  # time from the last `first` dose to the first `then` dose
    first_for: dict[str, Quantity]  # chemotherapy -> how long `first` lasts
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class Course:
    """How long a regimen is given: a fixed number of cycles, a total duration, or
    open-ended (`until` progression ...). At most one of the three is set."""

    regimen_id: str
    cycles: int | None
    duration: Quantity | None
    until: str | None
    limit: str | None  # the label's stopping sentence ("not beyond one year")
    schedules: tuple[str, ...]  # course shapes the label gives; empty = every schedule
    patterns: dict[str, Pattern]
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class FixedDose:
    """A ready-to-use fixed dose (PHESGO): the dose in words, its volume and time."""

    name: str  # "loading" or "maintenance"
    dose: str
    volume: Quantity
    injection_time: Quantity | None  # None when the label gives a range
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites
    injection_time_range: tuple[Quantity, Quantity] | None = None  # "2 to 5 minutes"


@record
class MissedDoseRule:
    molecule_id: str
    rule: str  # one of MISSED_DOSE_RULES
    text: str  # the label's wording, shown with every answer
    source: str
    reload_after: Quantity | None = None  # RELOAD: late by more than this -> re-load
    same_dose_and_rate: bool = False  # AS_SOON_AS_POSSIBLE: "dose and rate last tolerated"
    interval: Quantity | None = None  # FIXED_DOSE_TRANSITION: between maintenance doses
    reload_at: Quantity | None = None  # FIXED_DOSE_TRANSITION: this long or more -> loading
    doses: dict[str, FixedDose] = field(default_factory=dict)  # FIXED_DOSE_TRANSITION
    own_missed_dose: Sourced | None = None  # FIXED_DOSE_TRANSITION: after its own dose
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites
    dose: FixedDose | None = None  # FIXED_DOSE_AS_SOON_AS_POSSIBLE: the one fixed dose
