"""Load and validate regimens.toml, and resolve names against it.

This is the one place the regimens file is read. Loading checks the whole file and
reports every problem at once, each with the file, the entry and the field; a file with
any problem yields no book, so a broken file can never produce a dose.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from her2dose import units
from her2dose.errors import InputError, RegimenFileError, UnknownNameError
from her2dose.model import (
    BASES,
    DOSE_WEIGHT_CHOICES,
    PHASE_NAMES,
    Level,
    MaxDose,
    Molecule,
    Phase,
    Policy,
    Preparation,
    Product,
    Quantity,
    Regimen,
    RegimenBook,
    Reminder,
    Schedule,
    Sourced,
    Vial,
)
from her2dose.paths import ENV_VAR, default_path, file_sha256  # noqa: F401 - re-exported

SUPPORTED_SCHEMA = 1
# A stated concentration may differ from strength / deliverable volume by at most this
# fraction (vials are overfilled, so the two never agree to the last digit).
CONCENTRATION_TOLERANCE = Decimal("0.05")
LEVEL_NAMES = {0: "starting dose"}


def normalise(name: str) -> str:
    """Case-, space- and underscore-insensitive form of a user-typed name."""
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def load(path: Path | str | None = None) -> RegimenBook:
    path = Path(path) if path is not None else default_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegimenFileError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegimenFileError(str(path), [f"not valid TOML: {exc}"]) from None
    checker = _Checker()
    book = checker.book(data, str(path), hashlib.sha256(raw).hexdigest())
    if checker.problems:
        raise RegimenFileError(str(path), checker.problems)
    assert book is not None
    return book


class _Checker:
    """Walks the parsed TOML, building records and collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    # -- primitives -------------------------------------------------------------------

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def table(self, parent: dict[str, Any], key: str, where: str, *, required: bool = True):
        value = parent.get(key)
        if value is None:
            if required:
                self.problem(where, f"missing table '{key}'")
            return None
        if not isinstance(value, dict):
            self.problem(f"{where}.{key}", "must be a table")
            return None
        return value

    def allowed(self, table: dict[str, Any], keys: set[str], where: str) -> None:
        for key in table:
            if key not in keys:
                self.problem(
                    f"{where}.{key}",
                    f"unknown field; allowed fields are {', '.join(sorted(keys))}",
                )

    def text(self, table: dict[str, Any], key: str, where: str, *, required: bool = True):
        value = table.get(key)
        if value is None:
            if required:
                self.problem(f"{where}.{key}", "missing (a text value is required)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{where}.{key}", f"must be non-empty text, got {value!r}")
            return None
        return value

    def flag(self, table: dict[str, Any], key: str, where: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.problem(f"{where}.{key}", f"must be true or false, got {value!r}")
            return False
        return value

    def texts(self, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(f"{where}.{key}", "must be a list of non-empty texts")
            return ()
        return tuple(value)

    def number(self, table: dict[str, Any], key: str, where: str) -> Decimal | None:
        """An optional plain number (a percent, a count): finite and not negative."""
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(f"{where}.{key}", f"must be a number, got {value!r}")
            return None
        if not math.isfinite(value) or value < 0:
            self.problem(f"{where}.{key}", f"must be zero or more, got {value!r}")
            return None
        return Decimal(str(value))

    def quantity(
        self, table: dict[str, Any], key: str, kind: str, where: str, *, required: bool = True
    ) -> Quantity | None:
        value = table.get(key)
        if value is None:
            if required:
                example = units.KINDS[kind][2]
                self.problem(f"{where}.{key}", f"missing ({units.KINDS[kind][0]} such as {example})")
            return None
        if not isinstance(value, str):
            self.problem(
                f"{where}.{key}",
                f"must be a text with a unit such as {units.KINDS[kind][2]}, got {value!r}",
            )
            return None
        try:
            q = units.parse_quantity(value, kind, key)
        except InputError as exc:
            self.problem(f"{where}.{key}", str(exc))
            return None
        magnitude = q.magnitude
        if not math.isfinite(magnitude) or magnitude <= 0:
            self.problem(f"{where}.{key}", f"must be a positive number, got '{value}'")
            return None
        return q

    # -- sections -----------------------------------------------------------------------

    def book(self, data: dict[str, Any], path: str, sha256: str) -> RegimenBook | None:
        self.allowed(
            data,
            {"schema_version", "policy", "molecules", "products", "regimens", "adverse_events",
             "storage", "courses", "missed_doses"},
            "file",
        )
        version = data.get("schema_version")
        if version != SUPPORTED_SCHEMA:
            self.problem("schema_version", f"must be {SUPPORTED_SCHEMA}, got {version!r}")
        policy = self.policy(self.table(data, "policy", "file") or {})
        molecules = {
            mid: m
            for mid, table in (self.table(data, "molecules", "file") or {}).items()
            if (m := self.molecule(mid, table)) is not None
        }
        products = {
            pid: p
            for pid, table in (self.table(data, "products", "file") or {}).items()
            if (p := self.product(pid, table, molecules)) is not None
        }
        regimens = {
            rid: r
            for rid, table in (self.table(data, "regimens", "file") or {}).items()
            if (r := self.regimen(rid, table, molecules)) is not None
        }
        names = self.name_index(molecules, products)
        self.cross_checks(molecules, products, regimens)
        adverse_events = self.adverse_events(
            self.table(data, "adverse_events", "file", required=False) or {}, molecules, regimens
        )
        storage = self.storage(
            self.table(data, "storage", "file", required=False) or {}, molecules, products
        )
        courses = self.courses(
            self.table(data, "courses", "file", required=False) or {}, regimens
        )
        missed_doses = self.missed_doses(
            self.table(data, "missed_doses", "file", required=False) or {}, molecules
        )
        if self.problems or policy is None:
            return None
        return RegimenBook(
            path, sha256, policy, molecules, products, regimens, names,
            adverse_events=adverse_events, storage=storage, courses=courses,
            missed_doses=missed_doses,
        )

    def policy(self, table: dict[str, Any]) -> Policy | None:
        where = "policy"
        self.allowed(
            table,
            {"weight_warn_below", "weight_warn_above", "weight_reject_above", "bare_weight_unit",
             "source", "dose_tolerance_pct", "round_to_vial_pct", "round_to_vial_exclude",
             "round_increment_mg", "weight_change_pct", "dose_weight"},
            where,
        )
        settings = {
            key: value
            for key in ("dose_tolerance_pct", "round_to_vial_pct", "round_increment_mg",
                        "weight_change_pct")
            if (value := self.number(table, key, where)) is not None
        }
        dose_weight = table.get("dose_weight", "current")
        if dose_weight not in DOSE_WEIGHT_CHOICES:
            self.problem(
                f"{where}.dose_weight",
                f"'{dose_weight}' is not one of {', '.join(DOSE_WEIGHT_CHOICES)}",
            )
            dose_weight = "current"
        exclude = self.texts(table, "round_to_vial_exclude", where)
        below = self.quantity(table, "weight_warn_below", "mass", where)
        above = self.quantity(table, "weight_warn_above", "mass", where)
        reject = self.quantity(table, "weight_reject_above", "mass", where)
        bare = self.text(table, "bare_weight_unit", where)
        source = self.text(table, "source", where)
        if bare is not None:
            try:
                units.parse_quantity(f"1 {bare}", "mass", "bare_weight_unit")
            except InputError:
                self.problem(f"{where}.bare_weight_unit", f"'{bare}' is not a unit of mass")
        if below is not None and above is not None and reject is not None and not (
            below < above <= reject
        ):
            self.problem(where, "need weight_warn_below < weight_warn_above <= weight_reject_above")
        if None in (below, above, reject, bare, source):
            return None
        return Policy(below, above, reject, bare, source, round_to_vial_exclude=exclude,
                      dose_weight=dose_weight, **settings)

    def sourced(self, table: dict[str, Any] | None, where: str, text_key: str) -> Sourced | None:
        if table is None:
            return None
        self.allowed(table, {text_key, "source"}, where)
        text = self.text(table, text_key, where)
        source = self.text(table, "source", where)
        return Sourced(text, source) if text and source else None

    def preparation(self, table: dict[str, Any] | None, where: str) -> Preparation | None:
        if table is None:
            return None
        self.allowed(table, {"diluent", "bag_volume", "forbidden", "filter", "source"}, where)
        return Preparation(
            diluent=self.text(table, "diluent", where, required=False),
            bag_volume=self.quantity(table, "bag_volume", "volume", where, required=False),
            forbidden=self.texts(table, "forbidden", where),
            filter=self.text(table, "filter", where, required=False),
            source=self.text(table, "source", where) or "",
        )

    def reminders(self, items: Any, where: str) -> tuple[Reminder, ...]:
        if items is None:
            return ()
        if not isinstance(items, list):
            self.problem(where, "must be an array of tables ([[...reminders]])")
            return ()
        out = []
        for i, item in enumerate(items):
            w = f"{where}[{i}]"
            if not isinstance(item, dict):
                self.problem(w, "must be a table")
                continue
            self.allowed(item, {"kind", "text", "source"}, w)
            kind, text, source = (self.text(item, k, w) for k in ("kind", "text", "source"))
            if kind and text and source:
                out.append(Reminder(kind, text, source))
        return tuple(out)

    def molecule(self, mid: str, table: Any) -> Molecule | None:
        where = f"molecules.{mid}"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(
            table,
            {"name", "abbreviation", "aliases", "source", "no_re_escalation", "preparation",
             "reminders"},
            where,
        )
        name = self.text(table, "name", where)
        source = self.text(table, "source", where)
        return Molecule(
            id=mid,
            name=name or mid,
            abbreviation=self.text(table, "abbreviation", where, required=False) or "",
            aliases=self.texts(table, "aliases", where),
            source=source or "",
            no_re_escalation=self.sourced(
                self.table(table, "no_re_escalation", where, required=False),
                f"{where}.no_re_escalation", "text",
            ),
            preparation=self.preparation(
                self.table(table, "preparation", where, required=False), f"{where}.preparation"
            ),
            reminders=self.reminders(table.get("reminders"), f"{where}.reminders"),
        )

    def vial(self, item: Any, where: str) -> Vial | None:
        if not isinstance(item, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(
            item,
            {"strength", "multiple_dose", "reconstitute_with", "reconstitution_fluid",
             "concentration", "deliverable_volume", "in_use", "in_use_storage", "source"},
            where,
        )
        strength = self.quantity(item, "strength", "mass", where)
        concentration = self.quantity(item, "concentration", "concentration", where)
        deliverable = self.quantity(item, "deliverable_volume", "volume", where, required=False)
        multiple = self.flag(item, "multiple_dose", where)
        in_use = self.quantity(item, "in_use", "time", where, required=False)
        if multiple and in_use is None:
            self.problem(f"{where}.in_use", "a multiple-dose vial needs its in-use time")
        if in_use is not None and not multiple:
            self.problem(f"{where}.in_use", "only a multiple-dose vial has an in-use time")
        if strength is not None and concentration is not None and deliverable is not None:
            implied = (strength / deliverable).to("mg/mL")
            stated = concentration.to("mg/mL")
            if abs(implied - stated) / stated > CONCENTRATION_TOLERANCE:
                self.problem(
                    f"{where}.concentration",
                    f"stated {stated.magnitude} mg/mL disagrees with strength / deliverable "
                    f"volume = {implied.magnitude:.2f} mg/mL by more than "
                    f"{CONCENTRATION_TOLERANCE * 100}%",
                )
        source = self.text(item, "source", where)
        if strength is None or concentration is None or source is None:
            return None
        return Vial(
            strength=strength,
            multiple_dose=multiple,
            concentration=concentration,
            reconstitute_with=self.quantity(
                item, "reconstitute_with", "volume", where, required=False
            ),
            reconstitution_fluid=self.text(item, "reconstitution_fluid", where, required=False),
            deliverable_volume=deliverable,
            in_use=in_use,
            in_use_storage=self.text(item, "in_use_storage", where, required=False),
            source=source,
        )

    def product(self, pid: str, table: Any, molecules: dict[str, Molecule]) -> Product | None:
        where = f"products.{pid}"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(
            table,
            {"brand", "molecule", "aliases", "form", "vials", "preparation", "reminders",
             "source"},
            where,
        )
        molecule_id = self.text(table, "molecule", where)
        if molecule_id is not None and molecule_id not in molecules:
            self.problem(
                f"{where}.molecule",
                f"unknown molecule '{molecule_id}'; known: {', '.join(sorted(molecules))}",
            )
        raw_vials = table.get("vials")
        if not isinstance(raw_vials, list) or not raw_vials:
            self.problem(f"{where}.vials", "at least one [[vials]] entry is required")
            raw_vials = []
        vials = tuple(
            v for i, item in enumerate(raw_vials)
            if (v := self.vial(item, f"{where}.vials[{i}]")) is not None
        )
        strengths = [v.strength.to("mg").magnitude for v in vials]
        if len(set(strengths)) != len(strengths):
            self.problem(f"{where}.vials", "two vials have the same strength")
        if len({v.concentration.to("mg/mL").magnitude for v in vials}) > 1:
            self.problem(f"{where}.vials", "all vials of one product must share a concentration")
        brand = self.text(table, "brand", where)
        source = self.text(table, "source", where)
        if brand is None or molecule_id is None or source is None:
            return None
        return Product(
            id=pid,
            brand=brand,
            molecule_id=molecule_id,
            aliases=self.texts(table, "aliases", where),
            form=self.text(table, "form", where, required=False) or "",
            vials=vials,
            preparation=self.preparation(
                self.table(table, "preparation", where, required=False), f"{where}.preparation"
            ),
            reminders=self.reminders(table.get("reminders"), f"{where}.reminders"),
            source=source,
        )

    def regimen(self, rid: str, table: Any, molecules: dict[str, Molecule]) -> Regimen | None:
        where = f"regimens.{rid}"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(
            table,
            {"molecule", "indication", "indication_aliases", "description", "basis", "source",
             "schedules", "reductions", "further_reduction", "max_dose"},
            where,
        )
        molecule_id = self.text(table, "molecule", where)
        if molecule_id is not None and molecule_id not in molecules:
            self.problem(
                f"{where}.molecule",
                f"unknown molecule '{molecule_id}'; known: {', '.join(sorted(molecules))}",
            )
        basis = self.text(table, "basis", where)
        if basis is not None and basis not in BASES:
            self.problem(f"{where}.basis", f"'{basis}' is not one of {', '.join(BASES)}")
            basis = None
        dose_kind = "mass" if basis == "flat" else "dose_per_mass"

        schedules: dict[str, Schedule] = {}
        for sname, stable in (self.table(table, "schedules", where) or {}).items():
            sched = self.schedule(sname, stable, f"{where}.schedules.{sname}", dose_kind)
            if sched is not None:
                schedules[sname] = sched
        phases = [p for s in schedules.values() for p in s.phases.values()]

        levels: list[Level] = []
        raw_reductions = table.get("reductions", [])
        if not isinstance(raw_reductions, list):
            self.problem(f"{where}.reductions", "must be an array of tables ([[reductions]])")
            raw_reductions = []
        if len(phases) == 1:
            only = phases[0]
            levels.append(Level(0, LEVEL_NAMES[0], only.dose, only.source))
        elif raw_reductions:
            self.problem(
                f"{where}.reductions",
                "dose reductions need a regimen with exactly one dose (one schedule, one phase)",
            )
        for i, item in enumerate(raw_reductions, start=1):
            w = f"{where}.reductions[{i - 1}]"
            if not isinstance(item, dict):
                self.problem(w, "must be a table")
                continue
            self.allowed(item, {"name", "dose", "source"}, w)
            dose = self.quantity(item, "dose", dose_kind, w)
            name = self.text(item, "name", w)
            source = self.text(item, "source", w)
            if dose is not None and levels and dose >= levels[-1].dose:
                self.problem(
                    f"{w}.dose",
                    f"level -{i} ({dose:~}) must be strictly below level {levels[-1].level} "
                    f"({levels[-1].dose:~})",
                )
            if dose is not None and name and source and levels:
                levels.append(Level(-i, name, dose, source))

        further = self.sourced(
            self.table(table, "further_reduction", where, required=False),
            f"{where}.further_reduction", "action",
        )
        if raw_reductions and further is None:
            self.problem(f"{where}.further_reduction", "required when reductions are given")

        max_dose = None
        max_table = self.table(table, "max_dose", where, required=False)
        if max_table is not None:
            w = f"{where}.max_dose"
            self.allowed(max_table, {"dose", "source"}, w)
            dose = self.quantity(max_table, "dose", dose_kind, w)
            source = self.text(max_table, "source", w)
            if dose is not None and source:
                max_dose = MaxDose(dose, source)
                for phase in phases:
                    if phase.dose > dose:
                        self.problem(
                            w, f"the {phase.name} dose {phase.dose:~} is above the maximum {dose:~}"
                        )

        indication = self.text(table, "indication", where)
        description = self.text(table, "description", where)
        source = self.text(table, "source", where)
        if None in (molecule_id, indication, description, source, basis) or not schedules:
            return None
        return Regimen(
            id=rid,
            molecule_id=molecule_id,
            indication=indication,
            indication_aliases=self.texts(table, "indication_aliases", where),
            description=description,
            basis=basis,
            schedules=schedules,
            levels=tuple(levels) if (raw_reductions or len(phases) == 1) else (),
            further_reduction=further,
            max_dose=max_dose,
            source=source,
        )

    def schedule(self, name: str, table: Any, where: str, dose_kind: str) -> Schedule | None:
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(table, {"interval", "phases", "source"}, where)
        interval = self.quantity(table, "interval", "time", where)
        phases: dict[str, Phase] = {}
        for pname, ptable in (self.table(table, "phases", where) or {}).items():
            w = f"{where}.phases.{pname}"
            if pname not in PHASE_NAMES:
                self.problem(w, f"phase must be one of {', '.join(PHASE_NAMES)}")
                continue
            if not isinstance(ptable, dict):
                self.problem(w, "must be a table")
                continue
            self.allowed(ptable, {"dose", "infusion_first", "infusion_subsequent", "source"}, w)
            dose = self.quantity(ptable, "dose", dose_kind, w)
            first = self.quantity(ptable, "infusion_first", "time", w)
            later = self.quantity(ptable, "infusion_subsequent", "time", w)
            source = self.text(ptable, "source", w)
            if None not in (dose, first, later, source):
                phases[pname] = Phase(pname, dose, first, later, source)
        if "standard" in phases and len(phases) > 1:
            self.problem(f"{where}.phases", "'standard' is for a schedule with no loading dose")
        if "loading" in phases and "maintenance" not in phases:
            self.problem(f"{where}.phases", "a loading phase needs a maintenance phase")
        source = self.text(table, "source", where)
        if interval is None or source is None or not phases:
            return None
        return Schedule(name, interval, phases, source)

    # -- sections added by later features (each one method, each with its own tests) ----

    def adverse_events(
        self, section: dict[str, Any], molecules: dict[str, Molecule],
        regimens: dict[str, Regimen],
    ) -> dict[str, Any]:
        """[adverse_events.MOLECULE]: dose-modification rules (issue 3)."""
        return {}

    def storage(
        self, section: dict[str, Any], molecules: dict[str, Molecule],
        products: dict[str, Product],
    ) -> dict[str, Any]:
        """[storage.ID]: use-by times after reconstitution and dilution (issue 4)."""
        return {}

    def courses(self, section: dict[str, Any], regimens: dict[str, Regimen]) -> dict[str, Any]:
        """[courses.REGIMEN]: course length, fixed cycles or weeks (issue 5)."""
        return {}

    def missed_doses(
        self, section: dict[str, Any], molecules: dict[str, Molecule]
    ) -> dict[str, Any]:
        """[missed_doses.MOLECULE]: what to give after a missed or late dose (issue 5)."""
        return {}

    # -- whole-file checks --------------------------------------------------------------

    def name_index(
        self, molecules: dict[str, Molecule], products: dict[str, Product]
    ) -> dict[str, tuple[str, str]]:
        names: dict[str, tuple[str, str]] = {}
        entries = [("molecule", m.id, (m.id, *m.aliases)) for m in molecules.values()]
        entries += [("product", p.id, (p.id, p.brand, *p.aliases)) for p in products.values()]
        for kind, ident, spellings in entries:
            for spelling in spellings:
                key = normalise(spelling)
                if key in names and names[key] != (kind, ident):
                    other_kind, other = names[key]
                    self.problem(
                        f"{kind}s.{ident}",
                        f"name '{spelling}' is also used by {other_kind} '{other}'",
                    )
                names[key] = (kind, ident)
        return names

    def cross_checks(
        self,
        molecules: dict[str, Molecule],
        products: dict[str, Product],
        regimens: dict[str, Regimen],
    ) -> None:
        for mid in molecules:
            if not any(p.molecule_id == mid for p in products.values()):
                self.problem(f"molecules.{mid}", "has no product")
            mine = [r for r in regimens.values() if r.molecule_id == mid]
            seen: dict[str, str] = {}
            for r in mine:
                for spelling in (r.indication, *r.indication_aliases):
                    key = normalise(spelling)
                    if key in seen and seen[key] != r.id:
                        self.problem(
                            f"regimens.{r.id}",
                            f"indication '{spelling}' is also used by regimen '{seen[key]}'",
                        )
                    seen[key] = r.id


# -- name resolution -------------------------------------------------------------------


def _unknown(field: str, given: str, known: list[str], hint: str = "") -> UnknownNameError:
    import difflib  # only when a name is unknown: not on every start

    close = difflib.get_close_matches(normalise(given), known, n=3, cutoff=0.5)
    suggestion = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return UnknownNameError(
        field, f"unknown {field} '{given}'{suggestion} Known: {', '.join(sorted(known))}{hint}"
    )


def resolve_drug(book: RegimenBook, name: str) -> tuple[Molecule, Product | None]:
    """A brand, generic name or abbreviation -> its molecule, and its product if named."""
    hit = book.names.get(normalise(name))
    if hit is None:
        raise _unknown("drug", name, list(book.names))
    kind, ident = hit
    if kind == "product":
        product = book.products[ident]
        return book.molecules[product.molecule_id], product
    return book.molecules[ident], None


def resolve_product(book: RegimenBook, molecule: Molecule, named: Product | None,
                    product: str | None) -> Product:
    """The product to prepare: named by DRUG or --product; never guessed among several."""
    candidates = book.products_of(molecule.id)
    if product is not None:
        hit = book.names.get(normalise(product))
        if hit is None or hit[0] != "product" or book.products[hit[1]].molecule_id != molecule.id:
            raise _unknown("product", product, [p.id for p in candidates],
                           f" (products of {molecule.name})")
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
    if indication is None:
        if len(mine) == 1:
            return mine[0]
        listing = ", ".join(r.indication for r in mine)
        raise InputError(
            "indication",
            f"{molecule.name} has several indications; choose one with --indication: {listing}",
        )
    key = normalise(indication)
    for r in mine:
        if key in {normalise(s) for s in (r.indication, *r.indication_aliases)}:
            return r
    raise _unknown("indication", indication, [r.indication for r in mine],
                   f" (indications of {molecule.name})")


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
        raise _unknown("schedule", schedule, list(regimen.schedules),
                       f" (schedules of {regimen.id})")
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
