"""Names typed by a user -> records of the book: drug, product, regimen, schedule, phase.

Case-, space- and underscore-insensitive; an unknown name lists the known ones and may
suggest a close one of the same kind (never across kinds).
"""

from __future__ import annotations

import re

from her2dose.errors import InputError, NotEncodedError, UnknownNameError
from her2dose.model import Molecule, Phase, Product, Regimen, RegimenBook, Schedule


def normalise(name: str) -> str:
    """Case-, space- and underscore-insensitive form of a user-typed name."""
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def _unknown(
    field: str, given: str, known: list[str], hint: str = "", notes: dict[str, str] | None = None
) -> UnknownNameError:
    """`notes` marks names that answer differently ('early-breast' -> ' (not encoded)')."""
    import difflib  # only when a name is unknown: not on every start

    notes = notes or {}
    names = known + list(notes)
    close = difflib.get_close_matches(normalise(given), names, n=3, cutoff=0.5)
    shown = [f"{c!r}{notes.get(c, '')}" for c in close]
    suggestion = f"; did you mean {' or '.join(shown)}?" if close else "."
    listing = ", ".join(sorted(known) + [f"{n}{notes[n]}" for n in sorted(notes)])
    return UnknownNameError(field, f"unknown {field} '{given}'{suggestion} Known: {listing}{hint}")


def resolve_drug(book: RegimenBook, name: str) -> tuple[Molecule, Product | None]:
    """A brand, generic name or abbreviation -> its molecule, and its product if named."""
    hit = book.names.get(normalise(name))
    if hit is None:
        for stop in book.not_encoded_drugs.values():
            if normalise(name) in {normalise(a) for a in stop.aliases}:
                raise NotEncodedError(
                    "drug",
                    stop.message,
                    source=stop.source,
                    evidence=stop.evidence,
                    name=stop.id,
                )
        raise _unknown("drug", name, list(book.names))
    kind, ident = hit
    if kind == "product":
        product = book.products[ident]
        return book.molecules[product.molecule_id], product
    return book.molecules[ident], None


def resolve_product(
    book: RegimenBook, molecule: Molecule, named: Product | None, product: str | None
) -> Product:
    """The product to prepare: named by DRUG or --product; never guessed among several."""
    candidates = book.products_of(molecule.id)
    if product is not None:
        hit = book.names.get(normalise(product))
        if hit is None or hit[0] != "product" or book.products[hit[1]].molecule_id != molecule.id:
            raise _unknown(
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
    if len(candidates) == 1:
        return candidates[0]
    listing = ", ".join(sorted(p.id for p in candidates))
    raise InputError(
        "product",
        f"{molecule.name} has several products with different vials; choose one with "
        f"--product: {listing}",
    )


def resolve_regimen(book: RegimenBook, molecule: Molecule, indication: str | None) -> Regimen:
    """The regimen for an indication; required whenever the molecule has more than one."""
    mine = book.regimens_of(molecule.id)
    if not mine:
        reason = molecule.not_planned.text if molecule.not_planned else "no regimen is encoded"
        raise InputError("drug", f"{molecule.name}: {reason}")
    stops = molecule.not_encoded_indications
    if indication is None:
        if len(mine) == 1 and not stops:
            return mine[0]
        listing = ", ".join(r.indication for r in mine)
        if stops:
            listing += f" ({', '.join(f'{s.indication}: not encoded' for s in stops)})"
        raise InputError(
            "indication",
            f"{molecule.name} has several indications; choose one with --indication: {listing}",
        )
    key = normalise(indication)
    for r in mine:
        if key in {normalise(s) for s in (r.indication, *r.indication_aliases)}:
            return r
    # before the unknown-name path: a near regimen must never answer for a stop's name
    for stop in stops:
        if key in {normalise(s) for s in (stop.indication, *stop.aliases)}:
            raise NotEncodedError(
                "indication",
                stop.message,
                hint=stop.hint,
                source=stop.source,
                evidence=stop.evidence,
                name=stop.indication,
            )
    raise _unknown(
        "indication",
        indication,
        [r.indication for r in mine],
        f" (indications of {molecule.name})",
        {s.indication: " (not encoded)" for s in stops},
    )


def resolve_schedule(regimen: Regimen, schedule: str | None) -> Schedule:
    if schedule is None:
        if len(regimen.schedules) == 1:
            return next(iter(regimen.schedules.values()))
        raise InputError(
            "schedule",
            f"regimen '{regimen.id}' has several schedules; choose one with --schedule: "
            f"{', '.join(regimen.schedules)}",
        )
    chosen = regimen.schedules.get(normalise(schedule))
    if chosen is None:
        raise _unknown(
            "schedule", schedule, list(regimen.schedules), f" (schedules of {regimen.id})"
        )
    return chosen


def resolve_phase(regimen: Regimen, schedule: Schedule, phase: str | None) -> Phase:
    if phase is None:
        if len(schedule.phases) == 1:
            return next(iter(schedule.phases.values()))
        raise InputError(
            "phase",
            f"regimen '{regimen.id}' ({schedule.name}) has a loading and a maintenance dose; "
            f"choose one with --phase: {', '.join(schedule.phases)}",
        )
    chosen = schedule.phases.get(normalise(phase))
    if chosen is None:
        if len(schedule.phases) == 1 and normalise(phase) in {"loading", "maintenance"}:
            raise InputError(
                "phase",
                f"regimen '{regimen.id}' has no loading dose: every dose is the same "
                f"({next(iter(schedule.phases))}); leave out --phase",
            )
        raise _unknown("phase", phase, list(schedule.phases), f" (phases of {regimen.id})")
    return chosen
