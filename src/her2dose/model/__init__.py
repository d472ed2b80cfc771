"""Frozen records shared by the pure calculation modules.

Quantities are Pint quantities with Decimal magnitudes; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import field
from decimal import Decimal
from typing import Any

from her2dose.model.records import record

Quantity = Any  # pint.Quantity; kept as Any so importing this module does not import pint

PHASE_NAMES = ("loading", "maintenance", "standard")
BASES = ("per_kg", "flat")
INFUSION_CHOICES = ("first", "subsequent")

# How strong the document behind a fact is, strongest first, and the words a user reads.
EVIDENCE_WORDS: dict[str, str] = {
    "us-label": "US label",
    "us-label-older": "older US label (confirm against the current label)",
    "fda-listing": "FDA product listing",
    "eu-label": "EU label, not the US label",
    "manufacturer": "manufacturer information (not the label)",
    "institutional": "institutional protocol (not a label)",
    "secondary": "published source, not a label",
    "policy": "local policy (configurable)",
}
EVIDENCE_LEVELS = tuple(EVIDENCE_WORDS)
# [policy] alone rests on local policy; every other fact on a document
LABEL_EVIDENCE = tuple(e for e in EVIDENCE_LEVELS if e != "policy")


def weakest(*levels: str) -> str:
    """The weakest of some evidence levels ('' when none is given)."""
    known = [e for e in levels if e in EVIDENCE_WORDS]
    return max(known, key=EVIDENCE_LEVELS.index) if known else ""


def evidence_word(level: str) -> str:
    return EVIDENCE_WORDS.get(level, "")


@record
class Sourced:
    """A label sentence or rule with where it comes from."""

    text: str
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class Reminder:
    kind: str
    text: str
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites
    regimens: tuple[str, ...] = ()  # shown only for these regimens; empty: for every one

    def applies_to(self, regimen_id: str | None) -> bool:
        return not self.regimens or regimen_id in self.regimens


@record
class Preparation:
    diluent: str | None
    bag_volume: Quantity | None
    forbidden: tuple[str, ...]
    filter: str | None
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites
    # a field resting on another document than the table (diluent, bag_volume, ...)
    field_evidence: dict[str, str] = field(default_factory=dict)

    def evidence_of(self, name: str) -> str:
        return self.field_evidence.get(name, self.evidence)


@record
class Vial:
    strength: Quantity  # mass
    multiple_dose: bool
    concentration: Quantity | None  # mass / volume, after reconstitution; None: not encoded
    reconstitute_with: Quantity | None
    reconstitution_fluid: str | None
    deliverable_volume: Quantity | None
    in_use: Quantity | None  # how long an opened multiple-dose vial may be kept
    in_use_storage: str | None
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class IndicationStop:
    """An indication of the label that is not encoded: its names stop every command."""

    indication: str
    aliases: tuple[str, ...]
    description: str
    message: str
    hint: str | None
    source: str
    evidence: str


@record
class DrugStop:
    """A drug users may name that is not encoded at all ([not_encoded_drugs.ID])."""

    id: str
    aliases: tuple[str, ...]
    message: str
    source: str
    evidence: str


@record
class Molecule:
    id: str
    name: str
    abbreviation: str
    aliases: tuple[str, ...]
    source: str
    no_re_escalation: Sourced | None
    preparation: Preparation | None
    reminders: tuple[Reminder, ...]
    # why `plan`/`schedule` do not apply (a subcutaneous fixed dose); such a molecule
    # needs no product and has no regimen
    not_planned: Sourced | None = None
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites
    # indications the label has but her2dose does not encode: a name of one stops
    not_encoded_indications: tuple[IndicationStop, ...] = ()


@record
class Product:
    id: str
    brand: str
    molecule_id: str
    aliases: tuple[str, ...]
    form: str
    vials: tuple[Vial, ...]
    preparation: Preparation | None  # overrides the molecule's when given
    reminders: tuple[Reminder, ...]
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class Phase:
    name: str
    dose: Quantity  # mass/mass for per_kg regimens, mass for flat ones
    infusion_first: Quantity
    infusion_subsequent: Quantity
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites
    interpretation: str | None = None  # how her2dose reads the label's words (a range)


@record
class Schedule:
    name: str
    interval: Quantity
    phases: dict[str, Phase]
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class Level:
    level: int  # 0 = starting dose, -1 = first reduction, ...
    name: str
    dose: Quantity
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class MaxDose:
    dose: Quantity
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class Regimen:
    id: str
    molecule_id: str
    indication: str
    indication_aliases: tuple[str, ...]
    description: str
    basis: str  # one of BASES
    schedules: dict[str, Schedule]
    levels: tuple[Level, ...]  # level 0 first; empty when the regimen has loading/maintenance
    further_reduction: Sourced | None  # what follows the last level ("discontinue")
    max_dose: MaxDose | None
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites

    @property
    def has_reductions(self) -> bool:
        return len(self.levels) > 1


DOSE_WEIGHT_CHOICES = ("current", "baseline_until_threshold")


@record
class Policy:
    """Institutional settings ([policy] in regimens.toml); CLI flags may override them."""

    weight_warn_below: Quantity
    weight_warn_above: Quantity
    weight_reject_above: Quantity
    bare_weight_unit: str
    source: str
    # `check`: how far (percent) a dose may be from a level and still match it
    dose_tolerance_pct: Decimal
    weight_change_pct: Decimal  # at or beyond: "recalculate the dose"
    # ceiling on any rounding (percent of the ordered dose); the file alone sets it
    rounding_max_pct: Decimal
    # below this a weight is refused (a unit slip such as '72 mcg' would plan a 0 mg dose)
    weight_reject_below: Quantity
    # vial rounding: 0 = off; a dose within this percent of a whole-vial total is rounded to it
    round_to_vial_pct: Decimal = Decimal(0)
    round_to_vial_exclude: tuple[str, ...] = ()  # molecule ids never vial-rounded
    round_increment_mg: Decimal = Decimal(0)  # 0 = off; else round the dose to this many mg
    dose_weight: str = "current"  # one of DOSE_WEIGHT_CHOICES
    # `check`: how finely an order is written (1 = to the whole mg). A dose within half of
    # this of a label figure is that figure. Without the key: 0.1 mg, the printed precision.
    order_precision_mg: Decimal = Decimal("0.1")
    evidence: str = "policy"


@record
class RegimenBook:
    path: str
    sha256: str
    policy: Policy
    molecules: dict[str, Molecule]
    products: dict[str, Product]
    regimens: dict[str, Regimen]
    # normalised name -> ("product" | "molecule", id)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The optional sections, each read by its own section reader in data/:
    adverse_events: dict[str, Any] = field(default_factory=dict)  # by molecule id
    # adverse events no table lists: normalised name or synonym -> the event's name
    unlisted_events: dict[str, str] = field(default_factory=dict)
    storage: dict[str, Any] = field(default_factory=dict)  # by product or molecule id
    courses: dict[str, Any] = field(default_factory=dict)  # by regimen id
    missed_doses: dict[str, Any] = field(default_factory=dict)  # by molecule id
    not_encoded_drugs: dict[str, DrugStop] = field(default_factory=dict)  # by id

    def products_of(self, molecule_id: str) -> list[Product]:
        return [p for p in self.products.values() if p.molecule_id == molecule_id]

    def regimens_of(self, molecule_id: str) -> list[Regimen]:
        return [r for r in self.regimens.values() if r.molecule_id == molecule_id]


def range_problems(policy: Policy) -> list[tuple[str, str]]:
    """(setting, message) for every value out of its range; shared by the loader and overrides."""
    problems = []
    ceiling = policy.rounding_max_pct
    if not Decimal(0) < ceiling < Decimal(100):
        problems.append(
            ("rounding_max_pct", f"must be more than 0 and less than 100, got {ceiling}")
        )
    if policy.round_to_vial_pct > ceiling:
        problems.append(
            (
                "round_to_vial_pct",
                f"{policy.round_to_vial_pct}% is above rounding_max_pct ({ceiling}%), the most any "
                "rounding may change a dose (HOPA 2018 accepts up to 10%)",
            )
        )
    if policy.round_to_vial_pct < 0:
        problems.append(
            ("round_to_vial_pct", f"must be 0 (off) or more, got {policy.round_to_vial_pct}")
        )
    if policy.order_precision_mg <= 0:
        problems.append(
            ("order_precision_mg", f"must be more than 0, got {policy.order_precision_mg}")
        )
    if policy.round_increment_mg < 0:
        problems.append(
            ("round_increment_mg", f"must be 0 (off) or more, got {policy.round_increment_mg}")
        )
    if not Decimal(0) < policy.weight_change_pct < Decimal(100):
        problems.append(
            (
                "weight_change_pct",
                f"must be more than 0 and less than 100, got {policy.weight_change_pct}",
            )
        )
    if policy.dose_weight not in DOSE_WEIGHT_CHOICES:
        problems.append(
            (
                "dose_weight",
                f"'{policy.dose_weight}' is not one of {', '.join(DOSE_WEIGHT_CHOICES)}",
            )
        )
    return problems
