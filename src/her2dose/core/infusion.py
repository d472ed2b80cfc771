"""Preparation and administration: reconstitution, volume to draw, bag, time and rate."""

from __future__ import annotations

from her2dose import units
from her2dose.model import Phase, Preparation, Quantity
from her2dose.model.plan import InfusionPlan, Reconstitution, VialPlan


def plan_infusion(
    dose: Quantity,
    vial_plan: VialPlan,
    preparation: Preparation | None,
    phase: Phase,
    which: str,
    concentration: Quantity | None = None,  # needed when no new vial is opened
) -> InfusionPlan:
    if concentration is None and vial_plan.counts:
        concentration = vial_plan.counts[0].vial.concentration
    # Magnitudes in the units their names say (units.magnitude: Pint's factors, found
    # once), wrapped as Quantities again below: this runs once per batch row.
    # No encoded concentration: no volume, total or rate is computed (never guessed).
    concentration_mg_per_ml = (
        units.magnitude(concentration, "mg/mL") if concentration is not None else None
    )
    drug_ml = (
        units.magnitude(dose, "mg") / concentration_mg_per_ml
        if concentration_mg_per_ml is not None
        else None
    )
    bag = preparation.bag_volume if preparation is not None else None
    total_ml = units.magnitude(bag, "mL") + drug_ml if bag is not None and drug_ml else None
    duration = phase.infusion_first if which == "first" else phase.infusion_subsequent
    duration_min = units.magnitude(duration, "min")
    rate_ml_per_h = (
        units.convert(total_ml / duration_min, "mL/min", "mL/h") if total_ml is not None else None
    )
    return InfusionPlan(
        concentration=(
            units.quantity(concentration_mg_per_ml, "mg/mL")
            if concentration_mg_per_ml is not None
            else None
        ),
        drug_volume=units.quantity(drug_ml, "mL") if drug_ml is not None else None,
        reconstitution=tuple(
            Reconstitution(
                c.vial.strength, c.count, c.vial.reconstitution_fluid, c.vial.reconstitute_with
            )
            for c in vial_plan.counts
        ),
        preparation=preparation,
        total_volume=units.quantity(total_ml, "mL") if total_ml is not None else None,
        which=which,
        minutes=units.quantity(duration_min, "min"),
        rate=units.quantity(rate_ml_per_h, "mL/h") if rate_ml_per_h is not None else None,
    )
