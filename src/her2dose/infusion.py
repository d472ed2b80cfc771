"""Preparation and administration: reconstitution, volume to draw, bag, time and rate."""

from __future__ import annotations

from dataclasses import dataclass

from her2dose.model import Phase, Preparation, Quantity
from her2dose.vials import VialPlan


@dataclass(frozen=True, slots=True)
class Reconstitution:
    strength: Quantity
    count: int
    fluid: str | None
    volume: Quantity | None  # None: the product is a solution, or the volume is not encoded


@dataclass(frozen=True, slots=True)
class InfusionPlan:
    concentration: Quantity
    drug_volume: Quantity  # volume of drug solution to withdraw from the vials
    reconstitution: tuple[Reconstitution, ...]
    preparation: Preparation | None
    total_volume: Quantity | None  # bag + drug volume (the labels add the drug to the bag)
    which: str  # "first" or "subsequent"
    minutes: Quantity
    rate: Quantity | None  # mL/h over `minutes`


def plan_infusion(
    dose: Quantity,
    vial_plan: VialPlan,
    preparation: Preparation | None,
    phase: Phase,
    which: str,
    concentration: Quantity | None = None,  # needed when no new vial is opened (issue 4)
) -> InfusionPlan:
    if concentration is None:
        concentration = vial_plan.counts[0].vial.concentration
    drug_volume = (dose / concentration).to("mL")
    bag = preparation.bag_volume if preparation is not None else None
    total = (bag + drug_volume).to("mL") if bag is not None else None
    minutes = (phase.infusion_first if which == "first" else phase.infusion_subsequent).to("min")
    rate = (total / minutes).to("mL/h") if total is not None else None
    return InfusionPlan(
        concentration=concentration.to("mg/mL"),
        drug_volume=drug_volume,
        reconstitution=tuple(
            Reconstitution(c.vial.strength, c.count, c.vial.reconstitution_fluid,
                           c.vial.reconstitute_with)
            for c in vial_plan.counts
        ),
        preparation=preparation,
        total_volume=total,
        which=which,
        minutes=minutes,
        rate=rate,
    )
