"""What the tests that kill the core's mutants share: the orders they plan and small
helpers. Every expected figure in them is worked out by hand from the shipped regimens.toml."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from her2dose import units
from her2dose.commands.check import compute_check
from her2dose.commands.plan import compute_plan
from her2dose.model import Vial
from her2dose.model.plan import PlanRequest
from her2dose.model.results import (
    CheckRequest,
)

D = Decimal
NOW = datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
KADCYLA_MBC = {"drug": "kadcyla", "indication": "metastatic-breast"}
OGIVRI_GASTRIC_LOADING = {"drug": "ogivri", "indication": "gastric", "phase": "loading"}
OGIVRI_WEEKLY_MAINTENANCE = {
    "drug": "ogivri",
    "indication": "metastatic-breast",
    "schedule": "weekly",
    "phase": "maintenance",
}
ENHERTU_BREAST = {"drug": "enhertu", "indication": "breast"}


def mg(value) -> object:
    return units.quantity(D(str(value)), "mg")


def in_mg(q) -> Decimal:
    return units.magnitude(q, "mg")


def vials_of(*strengths, multiple_dose: bool = False) -> tuple[Vial, ...]:
    return tuple(
        Vial(
            strength=mg(s),
            multiple_dose=multiple_dose,
            concentration=units.quantity(20, "mg/mL"),
            reconstitute_with=units.quantity(5, "mL"),
            reconstitution_fluid="Sterile Water for Injection",
            deliverable_volume=None,
            in_use=None,
            in_use_storage=None,
            source="test vial",
        )
        for s in strengths
    )


def plan(book, weight: str, **fields):
    return compute_plan(book, PlanRequest(weight=weight, **fields), now=NOW, zone=UTC)


def counts(vial_plan) -> dict[Decimal, int]:
    return {in_mg(c.vial.strength): c.count for c in vial_plan.counts}


def check(book, weight: str, dose: str, **fields):
    return compute_check(book, CheckRequest(weight=weight, dose=dose, **fields))
