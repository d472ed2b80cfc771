"""The one unit registry, and turning user or file text into checked Quantities.

Every string with a unit is parsed here, once, and its dimension is checked where it
enters. Magnitudes are Decimal so that 5.4 mg/kg x 72 kg is exactly 388.8 mg.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from her2dose.errors import InputError

if TYPE_CHECKING:  # pint is imported lazily: `her2dose --help` must not pay for it
    import pint

F = TypeVar("F", bound=Callable[..., Any])

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
MAX_DIGITS = (12, 12)  # before and after the decimal point


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


# Shared Quantities. Pint's constructor is the costly part of the per-row arithmetic (a
# batch row builds about nine), and with Decimal magnitudes a Quantity is never changed in
# place (Pint returns a new one from every operation; `ito`, the one exception, is not used
# anywhere, and tests/units/test_units_fast.py checks so), so one object can stand for every
# equal value. A hit must also have the same exponent and sign, so that 400 mg and
# 400.0 mg stay what they were made as.
_QUANTITIES: dict[tuple[str, Decimal], tuple[pint.Quantity, Decimal]] = {}
# What quantity() and parse_quantity() made: id -> (the quantity, its unit text, its
# magnitude), so that magnitude() converts it with a factor found by unit text, without
# asking Pint for its units. The entry holds the quantity: its id cannot be reused while
# the entry exists.
_MADE: dict[int, tuple[pint.Quantity, str, Decimal]] = {}
# A bound on both: the values of a realistic batch that repeat (vial totals, volumes,
# minutes, zero) and every constant of the regimens file, a few MB; reaching it
# starts both afresh.
_SHARED_MAX = 20_000


# What is made inside `keeping()`: entries of _MADE that survive its fresh starts (the
# regimens file's quantities, used by every row of a batch however long it is).
_KEPT: dict[int, tuple[pint.Quantity, str, Decimal]] = {}
_keeping = False


def _remember(q: pint.Quantity, unit_text: str, value: Decimal) -> None:
    if len(_MADE) >= _SHARED_MAX + len(_KEPT):
        _MADE.clear()
        _MADE.update(_KEPT)
        _QUANTITIES.clear()
    _MADE[id(q)] = entry = (q, unit_text, value)
    if _keeping:
        _KEPT[id(q)] = entry


@contextmanager
def keeping() -> Iterator[None]:
    """Keep what is made inside on magnitude()'s fast path for good (the loader makes a
    book inside it): a long batch starts its shared quantities afresh every few thousand
    rows, and would otherwise convert the book's vials, volumes and times the slow way
    in every row after the first fresh start."""
    global _keeping
    before, _keeping = _keeping, True
    try:
        yield
    finally:
        _keeping = before


def quantity(magnitude: Decimal | int | str, unit_text: str) -> pint.Quantity:
    """`registry().Quantity(magnitude, unit_text)` with a Decimal magnitude; an equal value
    in the same unit, already made, is returned again (Pint's constructor costs more than
    all of a plan's arithmetic)."""
    value = magnitude if type(magnitude) is Decimal else Decimal(magnitude)
    key = (unit_text, value)
    try:
        hit = _QUANTITIES.get(key)
    except TypeError:  # a NaN cannot be a key (it never equals itself): made afresh
        return registry().Quantity(value, unit(unit_text))
    if hit is not None:
        q, made = hit
        if made.same_quantum(value) and made.is_signed() == value.is_signed():
            return q
    try:
        container = _CONTAINERS[unit_text]
    except KeyError:
        container = _CONTAINERS[unit_text] = _container(unit(unit_text))
    q = registry().Quantity(value, container)
    _remember(q, unit_text, value)
    _QUANTITIES[key] = (q, value)
    return q


# unit text -> the unit's pint.util.UnitsContainer: Pint's constructor takes it as it is
# (given a Unit it checks and unwraps it first, a third of its time)
_CONTAINERS: dict[str, Any] = {}


def _container(u: pint.Unit) -> Any:
    reg = registry()
    return reg.UnitsContainer(dict(reg.Quantity(Decimal(1), u).unit_items()))


def _factor(source: Any, target_text: str) -> Decimal:  # a Unit (Pint types q.units PlainUnit)
    # Pint's own conversion of 1 source unit: the factor Pint multiplies by in `m_as`.
    return Decimal(registry().Quantity(Decimal(1), source).m_as(unit(target_text)))


# (source unit text, target unit text) -> factor, found once per pair
_TEXT_FACTORS: dict[tuple[str, str], Decimal] = {}
# ((name, exponent) pairs of the source unit, target unit text) -> factor, for quantities
# that Pint's arithmetic made
_FACTORS: dict[tuple[tuple[tuple[str, Any], ...], str], Decimal] = {}


def magnitude(q: pint.Quantity, unit_text: str) -> Decimal:
    """`q.m_as(unit_text)`, several times faster: each (unit, target) factor is found once.

    The per-patient arithmetic of a plan runs once per batch row, so it works on
    magnitudes: converted here, from a checked Quantity, with Pint's exact factor (every
    unit in units.txt is multiplicative). Raises pint.DimensionalityError like `m_as`;
    tests/units/test_units_fast.py checks the answer against `m_as`. A quantity made here
    (quantity(), parse_quantity()) is converted from its unit text; any other from its
    unit's (name, exponent) pairs, compared as plain tuples (building `q.units` and
    comparing Unit objects costs more than the whole conversion).
    """
    made = _MADE.get(id(q))
    if made is not None and made[0] is q:
        if made[1] == unit_text:
            return made[2]
        try:
            return made[2] * _TEXT_FACTORS[made[1], unit_text]
        except KeyError:
            return made[2] * convert_factor(made[1], unit_text)
    source = tuple(q.unit_items())
    try:
        return q.magnitude * _FACTORS[source, unit_text]
    except KeyError:
        factor = _FACTORS[source, unit_text] = _factor(q.units, unit_text)
        return q.magnitude * factor


def convert_factor(source_text: str, target_text: str) -> Decimal:
    """What a magnitude in `source_text` units is multiplied by to be in `target_text`."""
    try:
        return _TEXT_FACTORS[source_text, target_text]
    except KeyError:
        factor = _TEXT_FACTORS[source_text, target_text] = _factor(unit(source_text), target_text)
        return factor


def convert(value: Decimal, source_text: str, target_text: str) -> Decimal:
    """A magnitude in `source_text` units expressed in `target_text` units."""
    return value * convert_factor(source_text, target_text)


def computes(returns: str | None = None, **declared: str) -> Callable[[F], F]:
    """Declare, once and where a reader sees them, the units a function computes in.

    Each named argument arrives as a Decimal magnitude in its declared unit (None stays
    None), and a Decimal result leaves as a Quantity in `returns`:

        @units.computes(returns="mg", rate="mg/kg", weight="kg")
        def per_kg_dose(rate: Decimal, weight: Decimal) -> Decimal:
            return rate * weight

    Pint's `ureg.wraps` does the same through `m_as` on every call; this converts with
    the factors `magnitude()` finds once, as the batch runs it once per row.
    """

    def decorate(function: F) -> F:
        import inspect

        names = list(inspect.signature(function).parameters)
        unknown = set(declared) - set(names)
        if unknown:
            raise TypeError(f"{function.__name__} has no argument {', '.join(sorted(unknown))}")
        where = tuple((names.index(name), name, u) for name, u in declared.items())
        for u in (*declared.values(), *([returns] if returns else [])):
            unit(u)  # a misspelt unit fails at import, not on the first patient

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = list(args)
            for index, name, u in where:
                if index < len(given):
                    if given[index] is not None:
                        given[index] = magnitude(given[index], u)
                elif kwargs.get(name) is not None:
                    kwargs[name] = magnitude(kwargs[name], u)
            result = function(*given, **kwargs)
            return result if returns is None or result is None else quantity(result, returns)

        wrapper.declared_units = (dict(declared), returns)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


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
    # exponents are whole numbers or Decimals here (a unit text never gives a complex)
    items: list[tuple[str, Any]] = list(reg.Quantity(Decimal(1), u).unit_items())
    up = [(name, exp) for name, exp in items if exp > 0]
    down = [(name, -exp) for name, exp in items if exp < 0]
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
    return match is not None and not match.group(2)


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
    if not raw.isascii() and any(c.isdigit() and not c.isascii() for c in raw):
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
    try:
        container = _CONTAINERS[unit_text]
    except KeyError:
        container = _CONTAINERS[unit_text] = _container(parsed_unit)
    q = registry().Quantity(magnitude, container)
    _remember(q, unit_text, magnitude)
    if not _is_kind(parsed_unit, kind):
        raise InputError(
            field,
            f"{field} '{raw}' is {describe_dimension(q)}, expected {description} such as "
            f"{examples}",
        )
    return q
