"""@record: the value semantics of a frozen dataclass, built without dataclasses.

Every behaviour is checked twice: with the interpreted __init__ a class starts with, and
with the compiled one that takes over after many records.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError, field, is_dataclass
from typing import ClassVar

import pytest

from her2dose.model import records
from her2dose.model.records import fields, is_record, record, replace


@record
class Vial:
    """A module-level record, so that pickle finds it."""

    strength: int
    lots: tuple[str, ...] = ("A1",)


@pytest.fixture(params=["interpreted", "compiled"])
def init_form(request, monkeypatch):
    monkeypatch.setattr(records, "COMPILE_AFTER", 10**9 if request.param == "interpreted" else 0)
    return request.param


@pytest.fixture
def Lot(init_form):
    @record
    class Lot:
        strength: int
        unit: str = "mg"
        lots: tuple[str, ...] = field(default=())
        notes: dict[str, str] = field(default_factory=dict)
        seen: list[int] = field(default_factory=list, init=False, compare=False, repr=False)
        LIMIT: ClassVar[int] = 3

    return Lot


def test_a_record_is_built_from_its_fields_in_order_with_their_defaults(Lot):
    lot = Lot(100)
    assert (lot.strength, lot.unit, lot.lots, lot.notes, lot.seen) == (100, "mg", (), {}, [])
    assert Lot(160, "mcg", ("A1",), {"k": "v"}).notes == {"k": "v"}
    assert Lot(strength=5, unit="g").unit == "g"
    assert Lot(5, lots=("B",)).lots == ("B",)
    assert Lot.LIMIT == 3
    assert [f.name for f in fields(Lot)] == ["strength", "unit", "lots", "notes", "seen"]
    assert Lot.__match_args__ == ("strength", "unit", "lots", "notes")


def test_a_default_factory_gives_each_record_its_own_value(Lot):
    first, second = Lot(1), Lot(1)
    first.notes["x"] = "y"
    first.seen.append(1)
    assert second.notes == {} and second.seen == []


@pytest.mark.parametrize(
    "args, kwargs, words",
    [
        ((), {}, "strength"),
        ((1,), {"bogus": 2}, "bogus"),
        ((1,), {"seen": [1]}, "seen"),  # init=False
        ((1, "mg", (), {}, [1]), {}, "positional"),
        ((1,), {"strength": 2}, "strength"),
    ],
)
def test_wrong_arguments_are_refused_naming_the_argument(Lot, args, kwargs, words):
    with pytest.raises(TypeError, match=words):
        Lot(*args, **kwargs)


def test_equality_and_hash_follow_the_compared_fields_only(init_form):
    @record
    class Pair:
        strength: int
        unit: str = "mg"
        seen: list[int] = field(default_factory=list, compare=False)

    a, b = Pair(100), Pair(100, seen=[7])
    assert a == b and hash(a) == hash(b)
    assert a != Pair(160) and a != Pair(100, "mcg")
    assert len({a, b, Pair(160)}) == 2


def test_a_record_never_equals_another_class_with_the_same_fields(Lot):
    assert Vial(1) != Lot(1)
    assert (Lot(1) == 1) is False
    assert Lot(1) == Lot(1) and Lot(1) != Lot(1, notes={"k": "v"})


def test_repr_shows_the_shown_fields(Lot):
    assert repr(Lot(100)) == f"{Lot.__qualname__}(strength=100, unit='mg', lots=(), notes={{}})"
    assert repr(Vial(1)) == "Vial(strength=1, lots=('A1',))"


def test_a_record_cannot_be_changed_or_given_new_attributes(Lot):
    lot = Lot(100)
    with pytest.raises(FrozenInstanceError):
        lot.strength = 5
    with pytest.raises(FrozenInstanceError):
        del lot.unit
    with pytest.raises(AttributeError):
        lot.other = 1
    assert not hasattr(lot, "__dict__")
    assert lot.strength == 100


def test_replace_changes_only_the_named_fields(Lot):
    lot = Lot(100, lots=("A",))
    changed = replace(lot, unit="mcg")
    assert changed == Lot(100, "mcg", ("A",)) and lot.unit == "mg"
    with pytest.raises(TypeError):
        replace(lot, bogus=1)
    with pytest.raises(ValueError, match="seen"):
        replace(lot, seen=[1])


def test_copy_and_pickle_keep_the_value():
    vial = Vial(100, ("B", "C"))
    assert copy.copy(vial) == vial and copy.deepcopy(vial) == vial
    assert pickle.loads(pickle.dumps(vial)) == vial


def test_records_are_told_apart_from_other_things():
    assert is_record(Vial) and is_record(Vial(1))
    assert not is_record(object()) and not is_dataclass(Vial)
    with pytest.raises(TypeError, match="not a record"):
        fields(object())


def test_the_compiled_init_takes_over_after_many_records(monkeypatch):
    monkeypatch.setattr(records, "COMPILE_AFTER", 3)

    @record
    class Fresh:
        a: int
        b: int = 2

    interpreted = Fresh.__init__
    built = [Fresh(n) for n in range(3)]
    assert Fresh.__init__ is interpreted
    built.append(Fresh(3, b=5))  # the fourth record compiles
    compiled = Fresh.__init__
    assert compiled is not interpreted
    built.append(Fresh(4))
    assert Fresh.__init__ is compiled
    assert [(r.a, r.b) for r in built] == [(0, 2), (1, 2), (2, 2), (3, 5), (4, 2)]


@pytest.mark.parametrize(
    "source, words",
    [
        ("class C(Vial):\n    b: int = 1", "inherit"),
        ("class C:\n    a: int = 1\n    b: int", "without a default"),
        ("class C:\n    a: int\n    def __post_init__(self):\n        pass", "__post_init__"),
        ("class C:\n    a: InitVar[int]", "InitVar"),
    ],
)
def test_what_records_do_not_support_is_refused(source, words):
    scope = {"Vial": Vial}
    exec("from __future__ import annotations\n" + source, scope)
    with pytest.raises(TypeError, match=words):
        record(scope["C"])
