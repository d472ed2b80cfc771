"""The input grammar: a weight or dose is one number and one unit, nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from her2dose import units
from her2dose.errors import InputError

REFUSED_AS_NOT_ONE_UNIT = [
    "72 kg*week/day",  # Pint: 504 kg
    "72 g*L/mL",  # Pint: 72 kg
    "72 kg 1",
    "72 kg # lb",  # Pint: a comment
    "72 kg\U0001f600",
    "72 kg\x1b]0;title\x07",
    "72 \u202ekg",  # right-to-left override
    "72 k\u200bg",  # zero-width space
    "72 kg/kg/kg",
    "72 kg**2",
    "7.2e1 kg",
    "72 (kg)",
    "72 kg\n80 kg",
]


@pytest.mark.parametrize("text", REFUSED_AS_NOT_ONE_UNIT)
def test_more_than_one_number_and_one_unit_is_refused(text):
    with pytest.raises(InputError) as info:
        units.parse_quantity(text, "mass", "weight")
    message = str(info.value)
    assert "is not one number and one unit" in message
    assert "'72 kg' or '158 lb'" in message  # the accepted forms


@pytest.mark.parametrize("text", ["72 kg!", "72 %", "72 kg.", "72 kg?"])
def test_one_word_that_is_no_unit_is_an_unknown_unit(text):
    with pytest.raises(InputError) as info:
        units.parse_quantity(text, "mass", "weight")
    assert f"unknown unit '{text[3:]}'" in str(info.value)
    assert "'72 kg' or '158 lb'" in str(info.value)


@pytest.mark.parametrize("text", ["72 kg\x1b]0;title\x07", "72 \u202ekg", "72 kg\n80 kg"])
def test_an_error_shows_control_characters_escaped(text):
    with pytest.raises(InputError) as info:
        units.parse_quantity(text, "mass", "weight")
    message = str(info.value)
    assert message.isprintable()
    assert ascii(text[-1])[1:-1] in message or "\\u202e" in message


@pytest.mark.parametrize("text", ["\u0667\u0662 kg", "\uff17\uff12 kg", "7\u0662 kg", "\u0967 kg"])
def test_non_ascii_digits_are_refused(text):
    with pytest.raises(InputError, match="digit other than 0-9"):
        units.parse_quantity(text, "mass", "weight")


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("72 kg", "mass", "72 kilogram"),
        ("72kg", "mass", "72 kilogram"),
        ("  158.7 lb ", "mass", "158.7 pound"),
        ("+72 kg", "mass", "72 kilogram"),
        (".5 kg", "mass", "0.5 kilogram"),
        ("5.4 mg/kg", "dose_per_mass", "5.4 milligram / kilogram"),
        ("5.4 mg / kg", "dose_per_mass", "5.4 milligram / kilogram"),
        ("389 mg", "mass", "389 milligram"),
        ("20 mg/mL", "concentration", "20 milligram / milliliter"),
        ("5 \u00b5g", "mass", "5 microgram"),
        ("90 min", "time", "90 minute"),
    ],
)
def test_one_number_and_one_unit_is_accepted(text, kind, expected):
    assert str(units.parse_quantity(text, kind, "x")) == expected


@pytest.mark.parametrize(
    "text", ["1234567890123 kg", "123456789012345678901234567 mg", "72.1234567890123 kg"]
)
def test_too_many_digits_are_refused(text):
    with pytest.raises(InputError, match="too many digits"):
        units.parse_quantity(text, "mass", "dose")


def test_the_most_digits_allowed_still_parse():
    q = units.parse_quantity("123456789012.123456789012 mg", "mass", "dose")
    assert q.magnitude == Decimal("123456789012.123456789012")


def test_a_bare_number_is_ascii_digits_only():
    assert units.is_bare_number("72")
    assert not units.is_bare_number("\u0667\u0662")
    assert not units.is_bare_number("72 kg")


@given(st.text(max_size=12))
def test_any_text_parses_or_is_refused_with_a_printable_input_error(text):
    try:
        q = units.parse_quantity(text, "mass", "weight", default_unit="kg")
    except InputError as error:
        assert str(error).isprintable()
    else:
        # what parses is a number (ASCII digits) and at most one unit word
        assert all(c.isascii() or c in "\u00b5\u03bc" or c.isspace() for c in text)
        assert q.dimensionality == units.registry().get_dimensionality("[mass]")
