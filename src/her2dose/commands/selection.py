"""The one resolver of what a user chose: drug, indication (regimen), product, schedule or
course shape, phase and level. Every command asks `select` for the choices it needs.

A name that is unknown is an error at once, with suggestions only among names of the same
kind (an indication is never suggested for a product). Every required choice that is
missing is reported together in one message, each with its valid values, so that a drug
with four choices (trastuzumab: indication, schedule, phase, product) needs one run to learn
them, not four.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

from her2dose.core import dosing
from her2dose.data.loader import normalise
from her2dose.errors import InputError, NotEncodedError, UnknownNameError
from her2dose.model import Level, Molecule, Phase, Product, Regimen, RegimenBook, Schedule
from her2dose.model.courses import Course
from her2dose.model.records import record

if TYPE_CHECKING:
    from her2dose.model.results import Shape

# How a command needs a choice.
REQUIRED = "required"  # resolved; missing and ambiguous is an error
IF_GIVEN = "if-given"  # resolved only when the user gave it
SKIP = "skip"  # not used by the command

# Level modes
LEVEL_DEFAULT = "default"  # missing means level 0 (the starting dose)
LEVEL_OPTIONAL = "optional"  # missing means "no level chosen" (check: every level)
LEVEL_CURRENT = "current"  # required where the regimen has reductions (adjust)

# Shape modes (schedule and next): a schedule or a weekly-then-q3w pattern
COURSE = "course"  # only the course shapes the label gives (`schedule`)
ANY_SHAPE = "any"  # any schedule the patient may be on now (`next`)


class MissingChoicesError(InputError):
    """One or more required choices were not given; `fields` names every one."""

    def __init__(self, fields: tuple[str, ...], message: str) -> None:
        super().__init__(fields[0], message)
        self.fields = fields


@record
class Selection:
    molecule: Molecule
    named_product: Product | None  # the product DRUG named (a brand), if it did
    regimen: Regimen
    product: Product | None  # None when not resolved (SKIP, or IF_GIVEN and not given)
    schedule: Schedule | None
    phase: Phase | None
    shape: Shape | None
    level: Level | None
    level_given: int | None  # the level as typed (None when not given)

    @property
    def brand(self) -> str:
        chosen = self.product or self.named_product
        return chosen.brand if chosen is not None else self.molecule.name


@record
class _Missing:
    option: str
    values: tuple[str, ...]
    scope: str = ""  # "(for adjuvant-breast, metastatic-breast)" when only some need it
    words: str = ""  # what the choice means, when "choose one" would not say it

    def text(self) -> str:
        scope = f" {self.scope}" if self.scope else ""
        if self.words:
            return f"--{self.option} is required{scope} ({self.words}): {', '.join(self.values)}"
        return f"choose one with --{self.option}{scope}: {', '.join(self.values)}"


def unknown(
    kind: str, given: str, known: list[str], hint: str = "", stops: tuple[str, ...] = ()
) -> UnknownNameError:
    """'unknown KIND ...; did you mean ...?' with suggestions among `known` only, which are
    names of that one kind. `stops` are names of that kind that are not encoded: they are
    suggested too, marked so, because a near name of another meaning (breast for
    early-breast) must not be the only suggestion."""
    import difflib  # only when a name is unknown: not on every start

    marked = {f"{stop} (not encoded)": stop for stop in stops}
    names = known + list(stops)
    close = difflib.get_close_matches(normalise(given), names, n=3, cutoff=0.5)
    shown = [f"{c!r} (not encoded)" if c in stops else repr(c) for c in close]
    suggestion = f"; did you mean {' or '.join(shown)}?" if close else "."
    listing = ", ".join(sorted(known) + sorted(marked))
    return UnknownNameError(kind, f"unknown {kind} '{given}'{suggestion} Known: {listing}{hint}")


def _not_encoded_drug(book: RegimenBook, name: str) -> None:
    key = normalise(name)
    for stop in book.not_encoded_drugs.values():
        if key in {normalise(a) for a in (stop.id, *stop.aliases)}:
            raise NotEncodedError(
                "drug", stop.message, source=stop.source, evidence=stop.evidence, name=stop.id
            )


def _not_encoded_indication(molecule: Molecule, key: str) -> None:
    for stop in molecule.not_encoded_indications:
        if key in {normalise(s) for s in (stop.indication, *stop.aliases)}:
            raise NotEncodedError(
                "indication",
                stop.message,
                hint=stop.hint,
                source=stop.source,
                evidence=stop.evidence,
                name=stop.indication,
            )


def _given(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def resolve_drug(book: RegimenBook, name: str | None) -> tuple[Molecule, Product | None]:
    """A brand, generic name or abbreviation -> its molecule, and its product if named."""
    if not _given(name):  # an empty batch cell
        raise InputError(
            "drug",
            "drug is required: a brand, generic name or abbreviation such as "
            "enhertu, t-dxd, kadcyla or ogivri",
        )
    assert name is not None
    hit = book.names.get(normalise(name))
    if hit is None:
        _not_encoded_drug(book, name)
        raise unknown("drug", name, list(book.names))
    kind, ident = hit
    if kind == "product":
        product = book.products[ident]
        return book.molecules[product.molecule_id], product
    return book.molecules[ident], None


def _regimen(
    book: RegimenBook, molecule: Molecule, indication: str | None, missing: list[_Missing]
) -> tuple[Regimen | None, list[Regimen]]:
    mine = book.regimens_of(molecule.id)
    if not mine:
        reason = molecule.not_planned.text if molecule.not_planned else "no regimen is encoded"
        raise InputError("drug", f"{molecule.name}: {reason}")
    stops = tuple(stop.indication for stop in molecule.not_encoded_indications)
    if not _given(indication):
        # with a stop (ENHERTU early breast) even one encoded regimen is not assumed: the
        # patient may be the one whose course is not encoded
        if len(mine) == 1 and not stops:
            return mine[0], mine
        choices = tuple(r.indication for r in mine) + tuple(f"{s} (not encoded)" for s in stops)
        missing.append(_Missing("indication", choices))
        return None, mine
    assert indication is not None
    key = normalise(indication)
    for r in mine:
        if key in {normalise(s) for s in (r.indication, *r.indication_aliases)}:
            return r, [r]
    # before any suggestion: a near regimen must never answer for a stop's name
    _not_encoded_indication(molecule, key)
    raise unknown(
        "indication",
        indication,
        [r.indication for r in mine],
        f" (indications of {molecule.name})",
        stops,
    )


def _product(
    book: RegimenBook,
    molecule: Molecule,
    named: Product | None,
    product: str | None,
    mode: str,
    missing: list[_Missing],
) -> Product | None:
    """The product to prepare: named by DRUG or --product; never guessed among several."""
    if mode == SKIP:
        return None
    candidates = book.products_of(molecule.id)
    if _given(product):
        assert product is not None
        hit = book.names.get(normalise(product))
        if hit is None or hit[0] != "product" or book.products[hit[1]].molecule_id != molecule.id:
            raise unknown(
                "product", product, [p.id for p in candidates], f" (products of {molecule.name})"
            )
        chosen = book.products[hit[1]]
        if named is not None and named.id != chosen.id:
            raise InputError(
                "product", f"drug '{named.brand}' and --product '{product}' name different products"
            )
        return chosen
    if named is not None:
        return named
    if mode == IF_GIVEN:
        return None
    if len(candidates) == 1:
        return candidates[0]
    missing.append(_Missing("product", tuple(sorted(p.id for p in candidates))))
    return None


def _scope(needing: list[Regimen], of: list[Regimen]) -> str:
    if len(of) == 1 or len(needing) == len(of):
        return ""
    return f"(for {', '.join(r.indication for r in needing)})"


def _union(groups: list[list[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for group in groups for name in group))


def _schedule(
    regimen: Regimen | None,
    candidates: list[Regimen],
    schedule: str | None,
    missing: list[_Missing],
) -> Schedule | None:
    if _given(schedule):
        assert schedule is not None
        if regimen is None:
            return None  # checked once the indication is known
        chosen = regimen.schedules.get(normalise(schedule))
        if chosen is None:
            raise unknown(
                "schedule",
                schedule,
                list(regimen.schedules),
                f" (schedules of {regimen.indication})",
            )
        return chosen
    if regimen is not None and len(regimen.schedules) == 1:
        return next(iter(regimen.schedules.values()))
    needing = [r for r in candidates if len(r.schedules) > 1]
    if needing:
        values = _union([list(r.schedules) for r in needing])
        missing.append(_Missing("schedule", values, _scope(needing, candidates)))
    return None


def _phase(
    regimen: Regimen | None,
    schedule: Schedule | None,
    candidates: list[Regimen],
    schedule_name: str | None,
    phase: str | None,
    missing: list[_Missing],
) -> Phase | None:
    if schedule is not None:
        pool = [schedule]
    else:
        wanted = normalise(schedule_name) if _given(schedule_name) else None
        pool = [
            s
            for r in ([regimen] if regimen is not None else candidates)
            for s in r.schedules.values()
            if wanted is None or s.name == wanted
        ]
    if _given(phase):
        assert phase is not None
        if schedule is None or regimen is None:
            return None  # checked once the schedule is known
        chosen = schedule.phases.get(normalise(phase))
        if chosen is None:
            if len(schedule.phases) == 1 and normalise(phase) in {"loading", "maintenance"}:
                raise InputError(
                    "phase",
                    f"{regimen.indication} has no loading dose: every dose is the same "
                    f"({next(iter(schedule.phases))}); leave out --phase",
                )
            raise unknown(
                "phase", phase, list(schedule.phases), f" (phases of {regimen.indication})"
            )
        return chosen
    if schedule is not None and len(schedule.phases) == 1:
        return next(iter(schedule.phases.values()))
    if any(len(s.phases) > 1 for s in pool):
        values = _union([list(s.phases) for s in pool if len(s.phases) > 1])
        missing.append(_Missing("phase", values))
    return None


def shape_names(regimen: Regimen, course: Course | None) -> list[str]:
    patterns = list(course.patterns) if course else []
    return [*regimen.schedules, *patterns]


def _allowed_shapes(regimen: Regimen, course: Course | None, mode: str) -> list[str]:
    if mode == COURSE and course and course.schedules:
        return list(course.schedules)
    return shape_names(regimen, course)


def chemotherapy_key(text: str) -> str:
    key = re.sub(r"[+/&]|\band\b", "-", normalise(text))
    return re.sub(r"-+", "-", key).strip("-")


def _shape(
    book: RegimenBook,
    regimen: Regimen | None,
    candidates: list[Regimen],
    schedule: str | None,
    chemotherapy: str | None,
    mode: str,
    missing: list[_Missing],
) -> Shape | None:
    """The schedule or pattern asked for. In COURSE mode only the course shapes the label
    gives are allowed (adjuvant trastuzumab is never weekly for a whole year); ANY_SHAPE
    accepts any schedule the patient may be on now."""
    from her2dose.model.results import Shape, days  # only for schedule and next

    if regimen is None:
        if not _given(schedule):
            needing = [
                r for r in candidates if len(_allowed_shapes(r, book.courses.get(r.id), mode)) != 1
            ]
            if needing:
                values = _union([_allowed_shapes(r, book.courses.get(r.id), mode) for r in needing])
                missing.append(_Missing("schedule", values, _scope(needing, candidates)))
        return None
    course = book.courses.get(regimen.id)
    patterns = course.patterns if course else {}
    allowed = _allowed_shapes(regimen, course, mode)
    if not _given(schedule):
        if len(allowed) != 1:
            missing.append(_Missing("schedule", tuple(allowed)))
            return None
        name = allowed[0]
    else:
        assert schedule is not None
        name = normalise(schedule)
        if name not in regimen.schedules and name not in patterns:
            raise UnknownNameError(
                "schedule",
                f"unknown schedule '{schedule}' for {regimen.indication}; choose one of: "
                f"{', '.join(allowed)}",
            )
        if name not in allowed:
            described = "; ".join(f"{p.name}: {p.description}" for p in patterns.values())
            raise InputError(
                "schedule",
                f"{regimen.indication} has no course of '{name}' alone in the label; choose "
                f"one of: {', '.join(allowed)}" + (f" ({described})" if described else ""),
            )
    pattern = patterns.get(name)
    if pattern is None:
        if _given(chemotherapy):
            raise InputError(
                "chemotherapy",
                "--chemotherapy applies only to "
                + (" or ".join(f"--schedule {p}" for p in patterns) or "a weekly-then-q3w pattern")
                + f"; schedule '{name}' of {regimen.indication} does not use it",
            )
        return Shape(name=name, first=regimen.schedules[name])
    if not _given(chemotherapy):
        missing.append(
            _Missing(
                "chemotherapy",
                tuple(pattern.first_for),
                f"with --schedule {name}",
                words="how long the weekly doses last depends on it",
            )
        )
        return None
    assert chemotherapy is not None
    key = chemotherapy_key(chemotherapy)
    duration = pattern.first_for.get(key)
    if duration is None:
        raise UnknownNameError(
            "chemotherapy",
            f"unknown chemotherapy '{chemotherapy}' for {name}; choose one of: "
            f"{', '.join(pattern.first_for)}",
        )
    return Shape(
        name=name,
        first=regimen.schedules[pattern.first],
        then=regimen.schedules[pattern.then],
        first_days=days(duration),
        switch_after_days=days(pattern.switch_after),
        pattern=pattern,
        chemotherapy=key,
    )


def _level(
    regimen: Regimen | None,
    candidates: list[Regimen],
    wanted: int | None,
    mode: str,
    missing: list[_Missing],
) -> Level | None:
    if regimen is None:
        needing = [r for r in candidates if r.has_reductions]
        if mode == LEVEL_CURRENT and wanted is None and needing:
            values = _union([[str(lv.level) for lv in r.levels] for r in needing])
            scope = _scope(needing, candidates)
            missing.append(_Missing("level", values, scope, "the level the patient is on now"))
        return None
    if mode == LEVEL_CURRENT and wanted is None and regimen.has_reductions:
        missing.append(
            _Missing(
                "level",
                tuple(str(lv.level) for lv in regimen.levels),
                words="the level the patient is on now",
            )
        )
        return None
    if mode == LEVEL_OPTIONAL and wanted is None:
        return None
    return dosing.select_level(regimen, wanted)


def select(
    book: RegimenBook,
    drug: str | None,
    *,
    indication: str | None = None,
    product: str | None = None,
    schedule: str | None = None,
    phase: str | None = None,
    level: str | int | None = None,
    chemotherapy: str | None = None,
    product_mode: str = REQUIRED,
    schedule_mode: str = REQUIRED,
    phase_mode: str = REQUIRED,
    level_mode: str = LEVEL_DEFAULT,
    shape_mode: str | None = None,
) -> Selection:
    """Resolve every choice a command needs; raise once with every missing one.

    With `shape_mode` (COURSE or ANY_SHAPE) the schedule is resolved as a course shape
    (a schedule or a weekly-then-q3w pattern, with --chemotherapy), and no phase is chosen.
    """
    missing: list[_Missing] = []
    molecule, named = resolve_drug(book, drug)
    wanted = dosing.parse_level(level)
    regimen, candidates = _regimen(book, molecule, indication, missing)
    chosen_schedule = chosen_phase = shape = None
    if shape_mode is not None:
        shape = _shape(book, regimen, candidates, schedule, chemotherapy, shape_mode, missing)
    else:
        if schedule_mode == REQUIRED or (schedule_mode == IF_GIVEN and _given(schedule)):
            chosen_schedule = _schedule(regimen, candidates, schedule, missing)
        if phase_mode == REQUIRED or (phase_mode == IF_GIVEN and _given(phase)):
            chosen_phase = _phase(regimen, chosen_schedule, candidates, schedule, phase, missing)
    chosen_level = _level(regimen, candidates, wanted, level_mode, missing)
    chosen_product = _product(book, molecule, named, product, product_mode, missing)
    if missing:
        raise MissingChoicesError(
            tuple(m.option for m in missing),
            f"{named.brand if named else molecule.name} needs "
            + ("a choice" if len(missing) == 1 else f"{len(missing)} choices")
            + ": "
            + "; ".join(m.text() for m in missing),
        )
    assert regimen is not None
    return Selection(
        molecule=molecule,
        named_product=named,
        regimen=regimen,
        product=chosen_product,
        schedule=chosen_schedule,
        phase=chosen_phase,
        shape=shape,
        level=chosen_level,
        level_given=wanted,
    )


# The choices a command's request may carry, each named like `select`'s keyword for it.
REQUEST_CHOICES = ("indication", "product", "schedule", "phase", "level", "chemotherapy")


class Request(Protocol):
    @property
    def drug(self) -> str | None: ...


def select_for(book: RegimenBook, request: Request, **modes: str | None) -> Selection:
    """`select` on a command's request: every choice in REQUEST_CHOICES that the request
    has a field for, with the command's modes. A choice the request has no field for is
    not given."""
    given: dict[str, Any] = {
        name: getattr(request, name) for name in REQUEST_CHOICES if hasattr(request, name)
    }
    return select(book, request.drug, **given, **modes)  # type: ignore[arg-type]


def product_mode_for(weight: object) -> str:
    """Commands that plan vials only with a weight: the product is then required like any
    other choice; without one, a product that was named is still checked."""
    return REQUIRED if weight is not None else IF_GIVEN
