"""`@record`: how every frozen record of her2dose is declared.

`@record` is `@dataclass(frozen=True, slots=True)` with the same value semantics (equal when
of the same class with equal fields, hashed on those fields, shown as `Name(field=value,
...)`), but with one shared `__eq__`, `__hash__` and `__repr__` instead of three methods
compiled for each class: a command creates some 50 record classes at start-up, and compiling
their methods was about a seventh of a JSON plan's time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__record_compared__)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return _compared(self) == _compared(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, name) for name in type(self).__record_hashed__))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record_shown__)
    return f"{type(self).__qualname__}({shown})"


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """A frozen, slotted dataclass whose equality, hash and repr are the shared ones above."""
    made: Any = dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)
    declared = fields(made)
    made.__record_compared__ = tuple(f.name for f in declared if f.compare)
    made.__record_hashed__ = tuple(
        f.name for f in declared if (f.compare if f.hash is None else f.hash)
    )
    made.__record_shown__ = tuple(f.name for f in declared if f.repr)
    made.__eq__, made.__hash__, made.__repr__ = _eq, _hash, _repr
    return made
