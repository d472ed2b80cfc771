"""units.magnitude and units.quantity: the fast paths of the per-row arithmetic give
exactly what Pint's own m_as and constructor give."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from her2dose import units

PAIRS = [
    ("kg", "kg"),
    ("lb", "kg"),
    ("g", "kg"),
    ("mg", "mg"),
    ("g", "mg"),
    ("mcg", "mg"),
    ("mL", "mL"),
    ("L", "mL"),
    ("min", "min"),
    ("h", "min"),
    ("day", "day"),
    ("week", "day"),
    ("mg/mL", "mg/mL"),
    ("g/L", "mg/mL"),
    ("mg/kg", "mg/kg"),
    ("mL/min", "mL/h"),
    ("mg*kg/kg", "mg"),
]
magnitudes = st.decimals(
    min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=4, allow_nan=False
)


@given(value=magnitudes, pair=st.sampled_from(PAIRS))
def test_magnitude_is_m_as(value, pair):
    source, target = pair
    q = units.registry().Quantity(value, units.unit(source))
    assert units.magnitude(q, target) == q.m_as(target)
    assert units.convert(value, source, target) == q.m_as(target)


def test_magnitude_refuses_another_dimension():
    with pytest.raises(pint.DimensionalityError):
        units.magnitude(units.quantity(1, "mL"), "mg")


@given(value=magnitudes, unit_text=st.sampled_from([p[0] for p in PAIRS]))
def test_quantity_is_what_pint_builds(value, unit_text):
    fast = units.quantity(value, unit_text)
    slow = units.registry().Quantity(value, units.unit(unit_text))
    assert type(fast) is type(slow)
    assert fast == slow and fast.units == slow.units
    assert type(fast.magnitude) is Decimal and fast.magnitude == value
    assert (fast * 2).to(unit_text) == (slow * 2).to(unit_text)
    assert str(fast) == str(slow)


# -- Pint's public API only ---------------------------------------------------------------

SRC = Path(__file__).resolve().parents[2] / "src"
PRIVATE = re.compile(
    r"(?<![A-Za-z0-9])_magnitude\b|\._units\b|(?<![A-Za-z0-9])_units\b|object\.__new__"
)


def test_no_private_pint_attribute_or_bare_object_new_anywhere_in_src():
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert found == []


def test_no_quantity_is_converted_in_place():
    # quantity() hands out one object for equal values: an in-place conversion (`ito`)
    # would change every holder's value
    found = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if re.search(r"\.ito(_\w+)?\(", path.read_text())
    ]
    assert found == []


@given(value=magnitudes, unit_text=st.sampled_from([p[0] for p in PAIRS]))
def test_a_shared_quantity_keeps_the_exponent_and_sign_it_was_made_with(value, unit_text):
    for variant in (
        value,
        value.quantize(Decimal("0.1")) if value.adjusted() < 20 else value,
        -value,
    ):
        q = units.quantity(variant, unit_text)
        assert str(q.magnitude) == str(variant)
        assert q == units.registry().Quantity(variant, units.unit(unit_text))


def test_equal_values_share_one_quantity_but_not_their_spelling():
    assert units.quantity(Decimal("400"), "mg") is units.quantity(Decimal("400"), "mg")
    assert str(units.quantity(Decimal("400.0"), "mg").magnitude) == "400.0"
    assert str(units.quantity(Decimal("-0"), "mg").magnitude) == "-0"
    assert str(units.quantity(Decimal("0"), "mg").magnitude) == "0"


def test_magnitude_answers_again_for_the_same_object_only():
    a = units.quantity(Decimal("72.5"), "kg")
    b = units.registry().Quantity(Decimal("72.5"), units.unit("lb"))
    assert units.magnitude(a, "kg") == Decimal("72.5")
    assert units.magnitude(b, "kg") == b.m_as("kg")
    assert units.magnitude(b, "kg") == b.m_as("kg")  # asked again: the same answer


def test_the_caches_are_bounded(monkeypatch):
    monkeypatch.setattr(units, "_SHARED_MAX", 50)
    for n in range(200):
        q = units.quantity(Decimal(n), "mg")
        assert units.magnitude(q, "g") == Decimal(n) / 1000
    assert len(units._QUANTITIES) <= 50


def test_what_is_made_while_keeping_outlives_a_fresh_start(monkeypatch):
    monkeypatch.setattr(units, "_SHARED_MAX", 50)
    monkeypatch.setattr(units, "_KEPT", {})
    with units.keeping():
        vial = units.quantity(Decimal("150"), "mg")
    for n in range(200):  # four fresh starts of the shared quantities
        units.quantity(Decimal(n) + Decimal("0.5"), "mL")
    assert id(vial) in units._MADE  # still converted by its unit text, not by Pint
    assert units.magnitude(vial, "g") == Decimal("0.150")
    assert len(units._MADE) <= 50 + len(units._KEPT)


# -- units.computes: a function declares the units it computes in, once --------------------


@units.computes(returns="mg", rate="mg/kg", weight="kg")
def per_kg(rate, weight):
    return rate * weight


@given(
    rate=st.decimals(min_value=Decimal("0.5"), max_value=30, places=2),
    kg=st.decimals(min_value=1, max_value=650, places=2),
)
def test_computes_converts_in_and_out_as_pint_does(rate, kg):
    r = units.registry()
    weight_lb = r.Quantity(kg * 1000, units.unit("g"))  # another unit, converted exactly
    got = per_kg(r.Quantity(rate, units.unit("mg/kg")), weight_lb)
    assert str(got.units) == "milligram"
    assert got.magnitude == (r.Quantity(rate, units.unit("mg/kg")) * weight_lb).m_as("mg")


def test_computes_takes_keywords_and_passes_none_through():
    @units.computes(returns="mL", dose="mg", concentration="mg/mL")
    def volume(dose, concentration=None):
        return None if concentration is None else dose / concentration

    dose = units.quantity(Decimal("388.8"), "mg")
    assert volume(dose) is None
    assert volume(dose, concentration=units.quantity(20, "mg/mL")).magnitude == Decimal("19.44")
    assert volume.declared_units == ({"dose": "mg", "concentration": "mg/mL"}, "mL")


def test_computes_refuses_a_wrong_dimension_and_an_unknown_argument():
    with pytest.raises(pint.DimensionalityError):
        per_kg(units.quantity(5, "mg/kg"), units.quantity(72, "mL"))
    with pytest.raises(TypeError, match="has no argument weigth"):
        units.computes(weigth="kg")(lambda weight: weight)


def test_the_per_kg_dose_declares_its_units():
    from her2dose.core import dosing

    assert dosing._per_kg_dose.declared_units == ({"rate": "mg/kg", "weight": "kg"}, "mg")
