"""units.magnitude and units.quantity: the fast paths of the per-row arithmetic give
exactly what Pint's own m_as and constructor give."""

from __future__ import annotations

from decimal import Decimal

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
