"""Frozen records shared by the pure calculation modules.

Quantities are Pint quantities with Decimal magnitudes; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Quantity = Any  # pint.Quantity; kept as Any so importing this module does not import pint

PHASE_NAMES = ("loading", "maintenance", "standard")
BASES = ("per_kg", "flat")
INFUSION_CHOICES = ("first", "subsequent")


@dataclass(frozen=True, slots=True)
class Sourced:
    """A label sentence or rule with where it comes from."""

    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: str
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Preparation:
    diluent: str | None
    bag_volume: Quantity | None
    forbidden: tuple[str, ...]
    filter: str | None
    source: str


@dataclass(frozen=True, slots=True)
class Vial:
    strength: Quantity  # mass
    multiple_dose: bool
    concentration: Quantity  # mass / volume, after reconstitution for powders
    reconstitute_with: Quantity | None
    reconstitution_fluid: str | None
    deliverable_volume: Quantity | None
    in_use: Quantity | None  # how long an opened multiple-dose vial may be kept
    in_use_storage: str | None
    source: str


@dataclass(frozen=True, slots=True)
class Molecule:
    id: str
    name: str
    abbreviation: str
    aliases: tuple[str, ...]
    source: str
    no_re_escalation: Sourced | None
    preparation: Preparation | None
    reminders: tuple[Reminder, ...]


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    dose: Quantity  # mass/mass for per_kg regimens, mass for flat ones
    infusion_first: Quantity
    infusion_subsequent: Quantity
    source: str


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    interval: Quantity
    phases: dict[str, Phase]
    source: str


@dataclass(frozen=True, slots=True)
class Level:
    level: int  # 0 = starting dose, -1 = first reduction, ...
    name: str
    dose: Quantity
    source: str


@dataclass(frozen=True, slots=True)
class MaxDose:
    dose: Quantity
    source: str


@dataclass(frozen=True, slots=True)
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

    @property
    def has_reductions(self) -> bool:
        return len(self.levels) > 1


@dataclass(frozen=True, slots=True)
class Policy:
    weight_warn_below: Quantity
    weight_warn_above: Quantity
    weight_reject_above: Quantity
    bare_weight_unit: str
    source: str


@dataclass(frozen=True, slots=True)
class RegimenBook:
    path: str
    sha256: str
    policy: Policy
    molecules: dict[str, Molecule]
    products: dict[str, Product]
    regimens: dict[str, Regimen]
    # normalised name -> ("product" | "molecule", id)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def products_of(self, molecule_id: str) -> list[Product]:
        return [p for p in self.products.values() if p.molecule_id == molecule_id]

    def regimens_of(self, molecule_id: str) -> list[Regimen]:
        return [r for r in self.regimens.values() if r.molecule_id == molecule_id]
