"""The one unit registry, and turning user or file text into checked Quantities.

Every string with a unit is parsed here, once, and its dimension is checked where it
enters. Magnitudes are Decimal so that 5.4 mg/kg x 72 kg is exactly 388.8 mg.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from her2dose.errors import InputError

if TYPE_CHECKING:  # pint is imported lazily: `her2dose --help` must not pay for it
    import pint

# Kinds of quantity her2dose accepts, as (description, Pint dimensionality, examples).
KINDS: dict[str, tuple[str, str, str]] = {
    "mass": ("a mass", "[mass]", "'72 kg' or '158 lb'"),
    "volume": ("a volume", "[volume]", "'250 mL'"),
    "time": ("a duration", "[time]", "'90 min' or '24 h'"),
    "concentration": ("a concentration", "[mass] / [volume]", "'20 mg/mL'"),
    "dose_per_mass": ("a dose per body weight", "", "'5.4 mg/kg'"),
}

# The input grammar: one number (ASCII digits, an optional sign and decimal point) and at
# most one unit, a word or a word/word ratio. Pint alone would read '72 kg*week/day' as
# 504 kg, '72 kg 1' as a product and '72 kg # lb' as a comment.
_NUMBER_AND_UNIT = re.compile(
    r"^\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*(.*?)\s*$", re.ASCII | re.DOTALL
)
_ONE_UNIT = re.compile(r"^[A-Za-z\u00b5\u03bc]+(?:\s*/\s*[A-Za-z\u00b5\u03bc]+)?$")
# One printable ASCII word that is no unit name ('%', 'kg!'): said to be an unknown unit
_UNKNOWN_WORD = re.compile(r"^(?:(?![*/#^()+\-0-9])[!-~])+$")
# A digit count no dose or weight needs, and well inside Decimal's 28-digit arithmetic.
MAX_DIGITS = (12, 6)  # before and after the decimal point


@cache
def registry() -> pint.UnitRegistry:
    import pint

    # Beside this file (what importlib.resources finds for an installed wheel), without
    # importing the resource readers on every start.
    definitions = Path(__file__).with_name("units.txt")
    return pint.UnitRegistry(str(definitions), non_int_type=Decimal, cache_folder=None)


@cache
def unit(text: str) -> pint.Unit:
    """Parse a unit string once; a batch of a million rows parses 'kg' one time."""
    parsed = registry().parse_units(text)
    # 'kg**99999999' parses, then overflows Decimal on any conversion (an internal error
    # far from the input): convert once here so it is refused as an unusable unit
    registry().Quantity(Decimal(1), parsed).to_root_units()
    return parsed


def quantity(magnitude: Decimal | int | str, unit_text: str) -> pint.Quantity:
    """A Quantity of a known unit name, made the way Pint's constructor makes one (a
    magnitude and a units container) without its argument parsing, which costs more than
    all of a plan's arithmetic: a batch builds a dozen of these per row.
    tests/test_units_fast.py checks it against `registry().Quantity(...)`."""
    try:
        kind, container = _MAKERS[unit_text]
    except KeyError:
        kind, container = _MAKERS[unit_text] = (registry().Quantity, unit(unit_text)._units)
    q = object.__new__(kind)
    q._magnitude = magnitude if type(magnitude) is Decimal else Decimal(magnitude)
    q._units = container
    return q


# unit text -> (the registry's Quantity class, the unit's container), found once per unit
_MAKERS: dict[str, tuple[type, Any]] = {}


# (source units, target unit text) -> Pint's conversion factor, found once per pair.
_FACTORS: dict[tuple[Any, str], Decimal] = {}


def _factor(source: Any, target_text: str) -> Decimal:
    try:
        return _FACTORS[source, target_text]
    except KeyError:
        pass
    # Pint's own conversion of 1 source unit: the factor Pint multiplies by in `m_as`.
    one = registry().Quantity(Decimal(1), source)
    factor = _FACTORS[source, target_text] = Decimal(one.m_as(unit(target_text)))
    return factor


def magnitude(q: pint.Quantity, unit_text: str) -> Decimal:
    """`q.m_as(unit_text)`, several times faster: each (unit, target) factor is found once.

    The per-patient arithmetic of a plan runs once per batch row, so it works on
    magnitudes: converted here, from a checked Quantity, with Pint's exact factor (every
    unit in units.txt is multiplicative). Raises pint.DimensionalityError like `m_as`.
    The key is the quantity's units container (`_units`, hashed once by Pint) because
    building `q.units` costs more than the whole lookup; tests/test_units_fast.py checks
    the answer against `m_as`.
    """
    try:
        return q._magnitude * _FACTORS[q._units, unit_text]
    except KeyError:
        return q._magnitude * _factor(q._units, unit_text)


def convert(value: Decimal, source_text: str, target_text: str) -> Decimal:
    """A magnitude in `source_text` units expressed in `target_text` units."""
    return value * _factor(unit(source_text)._units, target_text)


def describe_dimension(q: Any) -> str:
    """Words for what a quantity is, for error messages ('a volume')."""
    if _is_mass_per_mass(q.units):
        return KINDS["dose_per_mass"][0]
    for description, dims, _ in KINDS.values():
        if dims and q.dimensionality == registry().get_dimensionality(dims):
            return description
    if q.dimensionless:
        return "a ratio or plain number"
    return f"in {q.units:~}"


def _is_mass_per_mass(u: pint.Unit) -> bool:
    # Pint treats mg/kg as dimensionless, so check numerator and denominator apart:
    # 'mL/L' or '%' must not pass for a dose per body weight.
    reg = registry()
    up = [(name, exp) for name, exp in u._units.items() if exp > 0]
    down = [(name, -exp) for name, exp in u._units.items() if exp < 0]
    mass = reg.get_dimensionality("[mass]")

    def dims(parts: list[tuple[str, Any]]) -> Any:
        result = reg.get_dimensionality("")
        for name, exp in parts:
            result = result * reg.get_dimensionality(name) ** exp
        return result

    return bool(up) and bool(down) and dims(up) == mass and dims(down) == mass


@cache
def _is_kind(parsed_unit: pint.Unit, kind: str) -> bool:
    """Whether a unit has the dimension of `kind`: worked out once per unit and kind."""
    if kind == "dose_per_mass":
        return _is_mass_per_mass(parsed_unit)
    reg = registry()
    return bool(reg.get_dimensionality(parsed_unit) == reg.get_dimensionality(KINDS[kind][1]))


def is_bare_number(text: str) -> bool:
    """True for '72' (no unit), which callers may read in a default unit and say so."""
    match = _NUMBER_AND_UNIT.match(str(text))
    return bool(match) and not match.group(2)


def parse_quantity(
    text: str,
    kind: str,
    field: str,
    *,
    default_unit: str | None = None,
) -> pint.Quantity:
    """Turn '72 kg' into a Quantity of the given kind, or raise InputError naming `field`.

    A bare number takes `default_unit` if one is given; otherwise a unit is required.
    """
    description, dims, examples = KINDS[kind]
    raw = str(text)
    match = _NUMBER_AND_UNIT.match(raw)
    if any(c.isdigit() and not c.isascii() for c in raw):
        raise InputError(
            field,
            f"{field} '{raw}' has a digit other than 0-9; write the number with the digits "
            f"0-9, as {description} such as {examples}",
        )
    if not match:
        raise InputError(
            field,
            f"{field} '{raw}' is not a number with a unit; expected {description} such as "
            f"{examples}",
        )
    if (
        match.group(2)
        and not _ONE_UNIT.match(match.group(2))
        and _UNKNOWN_WORD.match(match.group(2))
    ):
        raise InputError(
            field,
            f"{field} '{raw}': unknown unit '{match.group(2)}'; expected {description} such "
            f"as {examples}",
        )
    if match.group(2) and not _ONE_UNIT.match(match.group(2)):
        raise InputError(
            field,
            f"{field} '{raw}' is not one number and one unit (and nothing else); expected "
            f"{description} such as {examples}",
        )
    number_text, unit_text = match.groups()
    whole, _, fraction = number_text.lstrip("+-").partition(".")
    if len(whole.lstrip("0")) > MAX_DIGITS[0] or len(fraction) > MAX_DIGITS[1]:
        raise InputError(
            field,
            f"{field} '{raw}' has too many digits (at most {MAX_DIGITS[0]} before the decimal "
            f"point and {MAX_DIGITS[1]} after); expected {description} such as {examples}",
        )
    try:
        magnitude = Decimal(number_text)
    except InvalidOperation:  # pragma: no cover - the regex only admits valid numbers
        raise InputError(field, f"{field} '{raw}' is not a number") from None
    if not unit_text:
        if default_unit is None:
            raise InputError(
                field, f"{field} '{raw}' has no unit; expected {description} such as {examples}"
            )
        unit_text = default_unit
    try:
        parsed_unit = unit(unit_text)
    except Exception:  # pint raises several types for unknown or malformed units
        raise InputError(
            field,
            f"{field} '{raw}': unknown unit '{unit_text}'; expected {description} such as "
            f"{examples}",
        ) from None
    # made as `quantity()` makes one (Pint's constructor re-checks what is known here)
    q = object.__new__(registry().Quantity)
    q._magnitude = magnitude
    q._units = parsed_unit._units
    if not _is_kind(parsed_unit, kind):
        raise InputError(
            field,
            f"{field} '{raw}' is {describe_dimension(q)}, expected {description} such as "
            f"{examples}",
        )
    return q
