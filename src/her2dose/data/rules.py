"""Rules that no field's type can say: they relate fields, entries or whole sections.

Each function reports to a Reader and returns nothing; the section readers call them
once the records they relate are built.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from her2dose import units
from her2dose.data.lookup import normalise
from her2dose.data.reader import Reader
from her2dose.data.schema import CONCENTRATION_TOLERANCE, RECONSTITUTION_TOLERANCE
from her2dose.model import DrugStop, Level, Molecule, Phase, Product, Quantity, Regimen, Vial
from her2dose.model.adverse_events import CTCAE_GRADES, NotEncoded


def level_below(
    report: Reader, where: str, number: int, dose: Quantity, levels: list[Level]
) -> bool:
    """Dose levels go strictly down: level -n is below level -(n-1)."""
    if levels and dose >= levels[-1].dose:
        report.problem(
            f"{where}.dose",
            f"level -{number} ({dose:~}) must be strictly below level {levels[-1].level} "
            f"({levels[-1].dose:~})",
        )
        return False
    return True


def within_maximum(report: Reader, where: str, phases: list[Phase], maximum: Quantity) -> None:
    for phase in phases:
        if phase.dose > maximum:
            report.problem(
                where, f"the {phase.name} dose {phase.dose:~} is above the maximum {maximum:~}"
            )


def loading_above_maintenance(report: Reader, where: str, phases: dict[str, Phase]) -> None:
    """A loading dose is the larger one: a slip of a digit in either dose breaks this."""
    loading, maintenance = phases.get("loading"), phases.get("maintenance")
    if loading is not None and maintenance is not None and not loading.dose > maintenance.dose:
        report.problem(
            f"{where}.phases",
            f"the loading dose {loading.dose:~P} must be above the maintenance dose "
            f"{maintenance.dose:~P}",
        )


def vial_concentration(
    report: Reader,
    where: str,
    strength: Quantity,
    concentration: Quantity,
    deliverable: Quantity | None,
    reconstitute_with: Quantity | None,
) -> None:
    """The stated concentration against strength / deliverable volume and against
    strength / the volume it is reconstituted with, whichever the file gives."""
    stated = units.magnitude(concentration, "mg/mL")
    mg = units.magnitude(strength, "mg")
    checks = (
        (deliverable, "deliverable volume", CONCENTRATION_TOLERANCE),
        (reconstitute_with, "reconstitution volume", RECONSTITUTION_TOLERANCE),
    )
    for volume, words, tolerance in checks:
        if volume is None:
            continue
        implied = mg / units.magnitude(volume, "mL")
        if abs(implied - stated) / stated > tolerance:
            report.problem(
                f"{where}.concentration",
                f"stated {stated} mg/mL disagrees with strength / {words} "
                f"= {implied:.2f} mg/mL by more than {tolerance * 100}%",
            )


def product_vials(report: Reader, where: str, vials: tuple[Vial, ...]) -> None:
    strengths = [units.magnitude(v.strength, "mg") for v in vials]
    if len(set(strengths)) != len(strengths):
        report.problem(f"{where}.vials", "two vials have the same strength")
    stated = [v.concentration for v in vials if v.concentration is not None]
    if len({units.magnitude(c, "mg/mL") for c in stated}) > 1:
        report.problem(f"{where}.vials", "all vials of one product must share a concentration")
    elif stated and len(stated) < len(vials):
        report.problem(
            f"{where}.vials",
            "state the concentration on every vial of the product or on none (none: not encoded)",
        )


def shared_concentration(report: Reader, products: dict[str, Product]) -> None:
    """The products of one molecule (a reference product and its biosimilars) are made up
    to one concentration; a vial with no volume to check against is checked against them."""
    by_molecule: dict[str, dict[Decimal, list[str]]] = {}
    for p in products.values():
        for v in p.vials[:1]:
            if v.concentration is None:
                continue
            c = units.magnitude(v.concentration, "mg/mL")
            by_molecule.setdefault(p.molecule_id, {}).setdefault(c, []).append(p.id)
    for mid, groups in by_molecule.items():
        if len(groups) < 2:
            continue
        usual = max(groups, key=lambda c: len(groups[c]))
        for c, ids in groups.items():
            if c == usual or len(ids) >= len(groups[usual]):
                continue
            for pid in ids:
                report.problem(
                    f"products.{pid}.vials[0].concentration",
                    f"{c} mg/mL differs from the {usual} mg/mL of the other products of "
                    f"molecule '{mid}' ({', '.join(groups[usual])})",
                )


def policy_exclusions(report: Reader, exclude: tuple[str, ...], names: dict[str, Any]) -> None:
    for name in exclude:
        if normalise(name) not in names:
            report.problem("policy.round_to_vial_exclude", f"unknown drug '{name}'")


def whole_day_intervals(report: Reader, regimens: dict[str, Regimen]) -> None:
    """`schedule` and `next` date every regimen's doses."""
    for regimen in regimens.values():
        for sched in regimen.schedules.values():
            report.require_whole_days(
                sched.interval, f"regimens.{regimen.id}.schedules.{sched.name}.interval"
            )


def name_index(
    report: Reader, molecules: dict[str, Molecule], products: dict[str, Product]
) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    entries = [("molecule", m.id, (m.id, *m.aliases)) for m in molecules.values()]
    entries += [("product", p.id, (p.id, p.brand, *p.aliases)) for p in products.values()]
    for kind, ident, spellings in entries:
        for spelling in spellings:
            key = normalise(spelling)
            if key in names and names[key] != (kind, ident):
                other_kind, other = names[key]
                report.problem(
                    f"{kind}s.{ident}",
                    f"name '{spelling}' is also used by {other_kind} '{other}'",
                )
            names[key] = (kind, ident)
    return names


def molecule_checks(
    report: Reader,
    molecules: dict[str, Molecule],
    products: dict[str, Product],
    regimens: dict[str, Regimen],
) -> None:
    for mid, molecule in molecules.items():
        mine = [r for r in regimens.values() if r.molecule_id == mid]
        if molecule.not_planned is not None:  # e.g. a subcutaneous fixed-dose product
            if mine:
                report.problem(
                    f"molecules.{mid}.not_planned", "a molecule with regimens is planned"
                )
        elif not any(p.molecule_id == mid for p in products.values()):
            report.problem(f"molecules.{mid}", "has no product")
        seen: dict[str, str] = {}
        for r in mine:
            for spelling in (r.indication, *r.indication_aliases):
                key = normalise(spelling)
                if key in seen and seen[key] != r.id:
                    report.problem(
                        f"regimens.{r.id}",
                        f"indication '{spelling}' is also used by regimen '{seen[key]}'",
                    )
                seen[key] = r.id


def event_coverage(
    report: Reader,
    where: str,
    kind: str,
    rules: list[tuple[str, Any]],
    not_encoded: list[tuple[str, Any]],
    mine: list[Regimen],
) -> None:
    """Every regimen gets exactly one answer for any grade or reading an entry covers."""
    for regimen in mine:
        scoped = [(n, e) for n, e in (*rules, *not_encoded) if e.applies_to(regimen.id)]
        if not scoped:
            report.problem(
                where,
                f"no rule or not_encoded entry applies to regimen '{regimen.id}'; add one so "
                "that every regimen of the molecule gets an answer",
            )
            continue
        if kind == "grade":
            for grade in CTCAE_GRADES:
                hits = [n for n, e in scoped if not e.grades or grade in e.grades]
                if len(hits) > 1:
                    report.problem(
                        where,
                        f"grade {grade} is covered by {' and '.join(hits)} for "
                        f"regimen '{regimen.id}'",
                    )
        elif kind == "any":
            if len(scoped) > 1:
                report.problem(
                    where,
                    f"input 'any' allows one entry per regimen; regimen "
                    f"'{regimen.id}' has {', '.join(n for n, _ in scoped)}",
                )
        else:
            lvef_overlap(report, where, regimen, scoped)


def lvef_overlap(
    report: Reader, where: str, regimen: Regimen, scoped: list[tuple[str, Any]]
) -> None:
    blanket = [n for n, e in scoped if isinstance(e, NotEncoded)]
    if blanket:
        if len(scoped) > 1:
            report.problem(
                where,
                f"{blanket[0]} covers every LVEF reading for regimen '{regimen.id}', "
                f"so no other entry may apply to it ({', '.join(n for n, _ in scoped)})",
            )
        return
    chf = [n for n, e in scoped if e.symptomatic_chf]
    if len(chf) > 1:
        report.problem(
            where, f"two symptomatic-CHF rows for regimen '{regimen.id}': {' and '.join(chf)}"
        )
    valued = [(n, e) for n, e in scoped if not e.symptomatic_chf]
    # Rows are boxes of ranges, so testing every boundary and a point between each pair
    # of neighbouring boundaries finds any overlap exactly.
    probes = {}
    for axis in ("lvef", "drop"):
        edges = sorted(
            {
                b
                for _, e in valued
                for c in e.when
                if (rng := getattr(c, axis)) is not None
                for b in rng.bounds()
            }
        )
        points = set(edges) | {Decimal(-1), Decimal(101)}
        points |= {(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)}
        probes[axis] = sorted(points)
    for lvef in probes["lvef"]:
        for drop in probes["drop"]:
            for below in (True, False):
                hits = [n for n, e in valued if any(c.matches(lvef, drop, below) for c in e.when)]
                if len(hits) > 1:
                    report.problem(
                        where,
                        f"LVEF rows overlap for regimen '{regimen.id}': "
                        f"{' and '.join(hits)} both match LVEF {lvef}% with a decrease of "
                        f"{drop} points",
                    )
                    return


def reminder_scopes(
    report: Reader,
    molecules: dict[str, Molecule],
    products: dict[str, Product],
    regimens: dict[str, Regimen],
    declared: set[str],
) -> None:
    """A reminder kept to some regimens names regimens of its own molecule (a declared one
    with problems of its own is not reported again)."""
    owners = [(f"molecules.{m.id}", m.id, m.reminders) for m in molecules.values()]
    owners += [(f"products.{p.id}", p.molecule_id, p.reminders) for p in products.values()]
    for where, mid, reminders in owners:
        mine = sorted(r.id for r in regimens.values() if r.molecule_id == mid)
        for i, reminder in enumerate(reminders):
            for rid in reminder.regimens:
                if rid in declared and rid not in regimens:
                    continue  # declared with problems of its own, already reported
                if rid not in mine:
                    report.problem(
                        f"{where}.reminders[{i}].regimens",
                        f"'{rid}' is not a regimen of molecule '{mid}'; known: {', '.join(mine)}",
                    )


def indication_stops(
    report: Reader, molecules: dict[str, Molecule], regimens: dict[str, Regimen]
) -> None:
    """A stop's names reach no regimen of the molecule, nor another stop."""
    for mid, molecule in molecules.items():
        seen: dict[str, str] = {}
        for r in regimens.values():
            if r.molecule_id == mid:
                for spelling in (r.indication, *r.indication_aliases):
                    seen[normalise(spelling)] = f"regimen '{r.id}'"
        for i, stop in enumerate(molecule.not_encoded_indications):
            where = f"molecules.{mid}.not_encoded_indications[{i}]"
            for spelling in (stop.indication, *stop.aliases):
                key = normalise(spelling)
                if key in seen:
                    report.problem(where, f"name '{spelling}' is also used by {seen[key]}")
                seen[key] = f"the not-encoded indication '{stop.indication}'"


def drug_stops(report: Reader, stops: dict[str, DrugStop], names: dict[str, Any]) -> None:
    """A drug stop's names are no molecule's or product's names."""
    for ident, stop in stops.items():
        for spelling in stop.aliases:
            hit = names.get(normalise(spelling))
            if hit is not None:
                report.problem(
                    f"not_encoded_drugs.{ident}.aliases",
                    f"name '{spelling}' is also used by {hit[0]} '{hit[1]}'",
                )
