"""Hypothesis properties of a plan: unit agreement, monotone dose, volumes that add up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from her2dose import render
from her2dose.commands.plan import compute_plan
from her2dose.model.plan import PlanRequest

D = Decimal
POUND_KG = D("0.45359237")

REQUESTS = {
    "enhertu-breast": {"drug": "enhertu", "indication": "breast"},
    "enhertu-gastric-1": {"drug": "enhertu", "indication": "gastric", "level": "-1"},
    "kadcyla": {"drug": "kadcyla", "indication": "metastatic-breast"},
    "ogivri-loading": {"drug": "ogivri", "indication": "gastric", "phase": "loading"},
    "herzuma-weekly": {
        "drug": "herzuma",
        "indication": "metastatic-breast",
        "schedule": "weekly",
        "phase": "maintenance",
    },
    "margenza": {"drug": "margenza"},
}

kg_st = st.decimals(min_value=D("1"), max_value=D("650"), places=3)
lb_st = st.decimals(min_value=D("2.3"), max_value=D("1433"), places=2)
regimen_st = st.sampled_from(sorted(REQUESTS))


def plan(book, key, weight):
    return compute_plan(book, PlanRequest(weight=weight, **REQUESTS[key]))


@given(lb=lb_st, key=regimen_st)
def test_the_same_mass_in_lb_and_kg_gives_the_same_dose(book, lb, key):
    kg = lb * POUND_KG  # exact: the pound is defined as 0.45359237 kg
    in_lb = plan(book, key, f"{lb} lb")
    in_kg = plan(book, key, f"{kg} kg")
    in_g = plan(book, key, f"{kg * 1000} g")
    assert in_lb.weight.m_as("kg") == kg
    assert in_lb.dose.m_as("mg") == in_kg.dose.m_as("mg") == in_g.dose.m_as("mg")
    assert render.plan_dict(in_lb)["dose_mg"] == render.plan_dict(in_kg)["dose_mg"]
    assert render.plan_dict(in_lb)["vials"] == render.plan_dict(in_kg)["vials"]


@given(a=kg_st, b=kg_st, key=regimen_st)
def test_dose_grows_with_weight(book, a, b, key):
    assume(a != b)
    low, high = sorted((a, b))
    assert plan(book, key, f"{low} kg").dose < plan(book, key, f"{high} kg").dose
    assert plan(book, key, f"{low} kg").vials.total <= plan(book, key, f"{high} kg").vials.total


@given(kg=kg_st, key=regimen_st)
def test_dose_is_rate_times_weight_and_volumes_add_up(book, kg, key):
    p = plan(book, key, f"{kg} kg")
    dose = p.dose.m_as("mg")
    assert dose == p.dose_rate.m_as("mg/kg") * kg  # exact
    assert p.vials.total.m_as("mg") >= dose
    assert p.vials.leftover.m_as("mg") == p.vials.total.m_as("mg") - dose
    smallest = min(v.strength.m_as("mg") for v in p.product.vials)
    assert p.vials.leftover.m_as("mg") < smallest
    if p.infusion.concentration is None:  # not encoded for the product: no volume at all
        assert p.infusion.drug_volume is None and p.infusion.total_volume is None
        assert p.infusion.rate is None
        return
    volume = p.infusion.drug_volume.m_as("mL")
    concentration = p.infusion.concentration.m_as("mg/mL")
    assert abs(volume * concentration - dose) < D("1e-20")
    if p.infusion.total_volume is not None:
        bag = p.infusion.preparation.bag_volume.m_as("mL")
        assert p.infusion.total_volume.m_as("mL") == bag + volume
        rate_times_hours = p.infusion.rate.m_as("mL/h") * p.infusion.minutes.m_as("h")
        assert abs(rate_times_hours - p.infusion.total_volume.m_as("mL")) < D("1e-20")


@given(kg=kg_st, key=regimen_st)
def test_display_rounds_half_up_at_the_stated_precision(book, kg, key):
    p = plan(book, key, f"{kg} kg")
    d = render.plan_dict(p)

    def half_up(value: Decimal, places: int) -> Decimal:
        return value.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)

    assert D(str(d["dose_mg"])) == half_up(p.dose.m_as("mg"), 1)
    if d["drug_volume_ml"] is not None:  # None: the product's concentration is not encoded
        assert D(str(d["drug_volume_ml"])) == half_up(p.infusion.drug_volume.m_as("mL"), 2)
    assert D(str(d["weight_kg"])) == half_up(kg, 2)
    if d["rate_ml_per_h"] is not None:
        assert D(str(d["rate_ml_per_h"])) == half_up(p.infusion.rate.m_as("mL/h"), 1)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("0.05", 0.1), ("0.15", 0.2), ("2.25", 2.3), ("388.75", 388.8), ("388.65", 388.7)],
)
def test_half_up_not_half_even(value, shown):
    assert render.plain(D(value), 1) == shown
