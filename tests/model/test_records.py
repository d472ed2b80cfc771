"""@record: the value semantics of a frozen dataclass, built without dataclasses."""

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
    """A test record (module level, so that pickle finds it)."""

    strength: int
    unit: str = "mg"
    lots: tuple[str, ...] = field(default=())
    notes: dict[str, str] = field(default_factory=dict)
    seen: list[int] = field(default_factory=list, init=False, compare=False, repr=False)
    LIMIT: ClassVar[int] = 3


def test_a_record_is_built_from_its_fields_in_order_with_their_defaults():
    vial = Vial(100)
    assert (vial.strength, vial.unit, vial.lots, vial.notes, vial.seen) == (100, "mg", (), {}, [])
    assert Vial(160, "mcg", ("A1",), {"k": "v"}).lots == ("A1",)
    assert Vial(strength=5, unit="g").unit == "g"
    assert Vial.LIMIT == 3
    assert [f.name for f in fields(Vial)] == ["strength", "unit", "lots", "notes", "seen"]
    assert Vial.__match_args__ == ("strength", "unit", "lots", "notes")


def test_a_default_factory_gives_each_record_its_own_value():
    first, second = Vial(1), Vial(1)
    first.notes["x"] = "y"
    first.seen.append(1)
    assert second.notes == {} and second.seen == []


def test_wrong_arguments_are_refused_as_by_any_function():
    with pytest.raises(TypeError):
        Vial()
    with pytest.raises(TypeError):
        Vial(1, bogus=2)
    with pytest.raises(TypeError):
        Vial(1, seen=[1])  # init=False


def test_equality_and_hash_follow_the_compared_fields_only():
    @record
    class Lot:
        strength: int
        unit: str = "mg"
        seen: list[int] = field(default_factory=list, compare=False)

    a, b = Lot(100), Lot(100, seen=[7])
    assert a == b and hash(a) == hash(b)
    assert a != Lot(160) and a != Lot(100, "mcg")
    assert len({a, b, Lot(160)}) == 2
    assert Vial(100) == Vial(100) and Vial(100) != Vial(100, notes={"k": "v"})


def test_a_record_never_equals_another_class_with_the_same_fields():
    @record
    class Other:
        strength: int
        unit: str = "mg"
        lots: tuple[str, ...] = ()
        notes: dict[str, str] = field(default_factory=dict)

    assert Vial(1) != Other(1)
    assert (Vial(1) == 1) is False


def test_repr_shows_the_shown_fields():
    assert repr(Vial(100)) == "Vial(strength=100, unit='mg', lots=(), notes={})"


def test_a_record_cannot_be_changed_or_given_new_attributes():
    vial = Vial(100)
    with pytest.raises(FrozenInstanceError):
        vial.strength = 5
    with pytest.raises(FrozenInstanceError):
        del vial.unit
    with pytest.raises((FrozenInstanceError, AttributeError)):
        vial.other = 1
    assert not hasattr(vial, "__dict__")
    assert vial.strength == 100


def test_replace_changes_only_the_named_fields():
    vial = Vial(100, lots=("A",))
    changed = replace(vial, unit="mcg")
    assert changed == Vial(100, "mcg", ("A",)) and vial.unit == "mg"
    with pytest.raises(TypeError):
        replace(vial, bogus=1)
    with pytest.raises(ValueError, match="seen"):
        replace(vial, seen=[1])


def test_copy_and_pickle_keep_the_value():
    vial = Vial(100, "mg", ("A",), {"k": "v"})
    assert copy.copy(vial) == vial and copy.deepcopy(vial) == vial
    assert pickle.loads(pickle.dumps(vial)) == vial


def test_records_are_told_apart_from_other_things():
    assert is_record(Vial) and is_record(Vial(1))
    assert not is_record(object()) and not is_dataclass(Vial)
    with pytest.raises(TypeError, match="not a record"):
        fields(object())


def test_the_init_is_compiled_once_on_first_use():
    @record
    class Fresh:
        a: int

    stub = Fresh.__init__
    assert Fresh(1).a == 1
    assert Fresh.__init__ is not stub
    compiled = Fresh.__init__
    assert Fresh(2).a == 2 and Fresh.__init__ is compiled


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


def test_every_model_record_is_a_record():
    from her2dose.model import plan

    assert is_record(plan.PlanRequest) and records.fields(plan.PlanRequest)
