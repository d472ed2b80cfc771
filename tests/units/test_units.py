"""units.py: the one small registry, and text -> checked Quantity at the boundary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from her2dose import units
from her2dose.errors import InputError


def test_the_pound_is_exactly_0_45359237_kg():
    q = units.parse_quantity("1 lb", "mass", "weight")
    assert q.to("kg").magnitude == Decimal("0.45359237")


@pytest.mark.parametrize(
    ("text", "kg"),
    [
        ("72 kg", "72"),
        ("72kg", "72"),
        ("  72 kg  ", "72"),
        ("72000 g", "72"),
        # 158.7 x 0.45359237 = 71.985109119, exactly (Decimal, no float error)
        ("158.7 lb", "71.985109119"),
        ("158.7 lbs", "71.985109119"),
        ("72.5 kilograms", "72.5"),
        ("72000000 mg", "72"),
        ("72000000000 mcg", "72"),
    ],
)
def test_mass_spellings_convert_exactly(text, kg):
    q = units.parse_quantity(text, "mass", "weight")
    assert q.to("kg").magnitude == Decimal(kg)


def test_magnitudes_are_decimal_so_5_4_mg_per_kg_times_72_kg_is_exactly_388_8_mg():
    rate = units.parse_quantity("5.4 mg/kg", "dose_per_mass", "dose")
    weight = units.parse_quantity("72 kg", "mass", "weight")
    dose = (rate * weight).to("mg")
    assert isinstance(dose.magnitude, Decimal)
    assert dose.magnitude == Decimal("388.8")


@pytest.mark.parametrize(
    ("text", "kind", "expected_unit", "value"),
    [
        ("250 mL", "volume", "mL", "250"),
        ("0.25 L", "volume", "mL", "250"),
        ("90 min", "time", "min", "90"),
        ("1.5 h", "time", "min", "90"),
        ("21 day", "time", "day", "21"),
        ("3 weeks", "time", "day", "21"),
        ("20 mg/mL", "concentration", "mg/mL", "20"),
        ("20 g/L", "concentration", "mg/mL", "20"),
        ("5.4 mg/kg", "dose_per_mass", "mg/kg", "5.4"),
        ("5400 mcg/kg", "dose_per_mass", "mg/kg", "5.4"),
    ],
)
def test_each_kind_accepts_its_dimension(text, kind, expected_unit, value):
    q = units.parse_quantity(text, kind, "field")
    assert q.to(expected_unit).magnitude == Decimal(value)


@pytest.mark.parametrize(
    ("text", "kind", "says"),
    [
        ("72 mL", "mass", "is a volume, expected a mass"),
        ("72 min", "mass", "is a duration, expected a mass"),
        ("72 mg/kg", "mass", "is a dose per body weight, expected a mass"),
        ("5.4 mg", "dose_per_mass", "is a mass, expected a dose per body weight"),
        ("100 mL", "mass", "is a volume"),
        ("20 mg", "concentration", "is a mass, expected a concentration"),
        ("90 mL", "time", "is a volume, expected a duration"),
        # Pint calls mg/kg and mL/L both dimensionless: a ratio of volumes is no dose
        ("5.4 mL/L", "dose_per_mass", "expected a dose per body weight"),
        ("5.4 mg/mL", "dose_per_mass", "is a concentration"),
    ],
)
def test_wrong_dimension_is_named(text, kind, says):
    with pytest.raises(InputError) as info:
        units.parse_quantity(text, kind, "weight")
    assert says in str(info.value)
    assert info.value.field == "weight"


@pytest.mark.parametrize(
    "text",
    [
        "72 units",  # the default Pint registry reads this as micro-nits
        "72 U",  # enzyme units in the default registry
        "72 cc",  # cubic centimetres: a volume, never a weight
        "72 stone",
        "72 %",
        "72 ppm",
    ],
)
def test_dangerous_or_unknown_spellings_are_unknown_units(text):
    with pytest.raises(InputError) as info:
        units.parse_quantity(text, "mass", "weight")
    assert "unknown unit" in str(info.value)
    assert "expected a mass" in str(info.value)


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "NaN kg", "inf kg", "-inf kg", "kg 72"])
def test_not_a_number_is_refused(text):
    with pytest.raises(InputError) as info:
        units.parse_quantity(text, "mass", "weight")
    assert f"'{text}'" in str(info.value)


def test_bare_number_needs_a_default_unit():
    with pytest.raises(InputError, match="has no unit"):
        units.parse_quantity("72", "mass", "weight")
    q = units.parse_quantity("72", "mass", "weight", default_unit="kg")
    assert q.to("kg").magnitude == 72


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("72", True),
        (" 72.5 ", True),
        ("72 kg", False),
        ("72kg", False),
        ("abc", False),
        ("", False),
    ],
)
def test_is_bare_number(text, bare):
    assert units.is_bare_number(text) is bare


def test_registry_is_the_small_shipped_one():
    reg = units.registry()
    assert reg is units.registry()  # built once
    for name in ("kg", "g", "mg", "mcg", "lb", "L", "mL", "min", "h", "day", "week"):
        reg.parse_units(name)
    # far fewer names than Pint's default registry (over a thousand units)
    assert len(list(reg._units)) < 80


@pytest.mark.parametrize(
    "text", ["72 kg**99999999", "72 lb**999999", "72 kg**99999999*g**-99999998"]
)
def test_a_unit_whose_conversion_overflows_is_an_input_error(text):
    # these parse, but converting them overflows Decimal; they must be refused at the
    # boundary, not surface later as an internal error
    with pytest.raises(InputError) as info:
        units.parse_quantity(text, "mass", "weight")
    assert f"'{text}'" in str(info.value)
