"""`@record`: how every frozen record of her2dose is declared.

A record is what `@dataclass(frozen=True, slots=True)` makes, built more cheaply: fields are
declared the same way (annotations, defaults, `dataclasses.field(default=...,
default_factory=..., init=..., compare=..., repr=..., hash=...)`), instances are equal when of
the same class with equal compared fields, hashed on those fields, shown as `Name(field=value,
...)`, and cannot be assigned to (`dataclasses.FrozenInstanceError`). `fields`, `replace` and
`is_record` below take the place of their `dataclasses` namesakes.

Why not `dataclasses` itself: a command creates some 50 record classes at start-up, and
`dataclass` compiles three methods for each frozen class and builds each slotted class twice,
about 0.4 ms a class: a tenth of a JSON plan's time. Here the methods other than `__init__`
are shared by every record, and a class's `__init__` is at first an interpreted one that
binds the arguments itself; only a class with many records (a batch's) gets a compiled
`__init__`, which builds records faster but costs 0.1-0.2 ms to compile.

Not supported, because no record needs them: inheritance between records, `InitVar`,
`KW_ONLY`, `__post_init__`. The decorator refuses a class that tries them.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, FrozenInstanceError, field
from typing import Any, ClassVar, TypeVar, dataclass_transform, get_origin

T = TypeVar("T")


class RecordField:
    """One declared field of a record: its name and what `dataclasses.field` said of it."""

    __slots__ = ("name", "default", "default_factory", "init", "repr", "compare", "hash")

    def __init__(self, name: str, declared: Any) -> None:
        self.name = name
        if isinstance(declared, Field):
            self.default: Any = declared.default
            self.default_factory: Any = declared.default_factory
            self.init: bool = declared.init
            self.repr: bool = declared.repr
            self.compare: bool = declared.compare
            self.hash: bool | None = declared.hash
        else:
            self.default, self.default_factory = declared, MISSING
            self.init = self.repr = self.compare = True
            self.hash = None

    def __repr__(self) -> str:
        return f"RecordField({self.name!r})"


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):  # `from __future__ import annotations`
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or get_origin(annotation) is ClassVar


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


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> tuple[Any, ...]:
    # copy and pickle: a slotted class has no __dict__, and our __setattr__ refuses
    return tuple(getattr(self, f.name) for f in type(self).__record_fields__)


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    for f, value in zip(type(self).__record_fields__, state, strict=True):
        object.__setattr__(self, f.name, value)


def _compiled_init(cls: type) -> Any:
    """The class's __init__, as dataclasses would write it: parameters in field order, each
    stored with object.__setattr__ (the class's own __setattr__ refuses)."""
    scope: dict[str, Any] = {"__record_set": object.__setattr__, "__record_missing": MISSING}
    parameters, body = ["__record_self"], []
    for f in cls.__record_fields__:  # type: ignore[attr-defined]
        value = f.name
        if f.default_factory is not MISSING:
            scope[f"__record_factory_{f.name}"] = f.default_factory
            if f.init:
                parameters.append(f"{f.name}=__record_missing")
                value = f"__record_factory_{f.name}() if {f.name} is __record_missing else {f.name}"
            else:
                value = f"__record_factory_{f.name}()"
        elif f.default is not MISSING:
            scope[f"__record_default_{f.name}"] = f.default
            if f.init:
                parameters.append(f"{f.name}=__record_default_{f.name}")
            else:
                value = f"__record_default_{f.name}"
        elif f.init:
            parameters.append(f.name)
        else:
            continue  # init=False without a default: left unset, as dataclasses does
        body.append(f"    __record_set(__record_self, {f.name!r}, {value})")
    source = f"def __init__({', '.join(parameters)}):\n" + "\n".join(body or ["    pass"])
    exec(source, scope)  # the source is made of the class's own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


# How many records of a class are built by the interpreted __init__ before its compiled one
# takes over: compiling costs about as much as building 50-100 records the slower way.
COMPILE_AFTER = 64


def _interpreted_init(cls: Any) -> Any:
    """An __init__ that binds its arguments as the compiled one would, without compiling
    anything; after COMPILE_AFTER records it puts the compiled __init__ in its place."""
    fields = cls.__record_fields__
    in_init = tuple(f.name for f in fields if f.init)
    names = frozenset(in_init)
    built = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal built
        built += 1
        if built > COMPILE_AFTER:
            compiled = _compiled_init(cls)
            type.__setattr__(cls, "__init__", compiled)
            compiled(self, *args, **kwargs)
            return
        if len(args) > len(in_init):
            raise TypeError(
                f"{cls.__qualname__}.__init__() takes {len(in_init) + 1} positional arguments"
                f" but {len(args) + 1} were given"
            )
        given = dict(zip(in_init[: len(args)], args, strict=True))
        for name, value in kwargs.items():
            if name not in names:
                raise TypeError(
                    f"{cls.__qualname__}.__init__() got an unexpected keyword argument {name!r}"
                )
            if name in given:
                raise TypeError(
                    f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}"
                )
            given[name] = value
        for f in fields:
            if f.name in given:
                value = given[f.name]
            elif f.default_factory is not MISSING:
                value = f.default_factory()
            elif f.default is not MISSING:
                value = f.default
            elif f.init:
                raise TypeError(
                    f"{cls.__qualname__}.__init__() missing required argument: {f.name!r}"
                )
            else:
                continue  # init=False without a default: left unset, as dataclasses does
            object.__setattr__(self, f.name, value)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """A frozen, slotted record class with the fields `cls` declares (see the module text)."""
    if cls.__bases__ != (object,) or type(cls) is not type:
        raise TypeError(f"record {cls.__qualname__}: records do not inherit from other classes")
    if "__post_init__" in cls.__dict__:
        raise TypeError(f"record {cls.__qualname__}: __post_init__ is not supported")
    namespace = dict(cls.__dict__)
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    declared = []
    for name, annotation in namespace.get("__annotations__", {}).items():
        if _is_class_var(annotation):
            continue
        if isinstance(annotation, str) and annotation.startswith(("InitVar", "KW_ONLY")):
            raise TypeError(f"record {cls.__qualname__}: {annotation} is not supported")
        declared.append(RecordField(name, namespace.pop(name, MISSING)))
    with_default = False
    for f in declared:
        if not f.init:
            continue
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if with_default and not has_default:
            raise TypeError(
                f"record {cls.__qualname__}: field {f.name!r} without a default follows one with"
            )
        with_default = with_default or has_default
    namespace["__qualname__"] = cls.__qualname__
    namespace["__slots__"] = tuple(f.name for f in declared)
    namespace["__record_fields__"] = tuple(declared)
    namespace["__record_compared__"] = tuple(f.name for f in declared if f.compare)
    namespace["__record_hashed__"] = tuple(
        f.name for f in declared if (f.compare if f.hash is None else f.hash)
    )
    namespace["__record_shown__"] = tuple(f.name for f in declared if f.repr)
    namespace["__match_args__"] = tuple(f.name for f in declared if f.init)
    namespace.update(
        __eq__=_eq,
        __hash__=_hash,
        __repr__=_repr,
        __setattr__=_setattr,
        __delattr__=_delattr,
        __getstate__=_getstate,
        __setstate__=_setstate,
    )
    made: Any = type(cls.__name__, cls.__bases__, namespace)

    made.__init__ = _interpreted_init(made)
    return made


def is_record(value: Any) -> bool:
    """Whether `value` is a record class or a record."""
    return hasattr(value, "__record_fields__")


def fields(value: Any) -> tuple[RecordField, ...]:
    """The fields of a record class or record, in declaration order."""
    try:
        return value.__record_fields__
    except AttributeError:
        raise TypeError(f"not a record: {value!r}") from None


def replace(value: T, /, **changes: Any) -> T:
    """A copy of the record `value` with the fields named in `changes` changed."""
    for f in fields(value):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name!r} is not set through __init__: cannot replace")
        elif f.name not in changes:
            changes[f.name] = getattr(value, f.name)
    return type(value)(**changes)
