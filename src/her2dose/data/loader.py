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
from her2dose.data.paths import ENV_VAR, default_path, file_sha256  # noqa: F401 - re-exported
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
    range_problems,
)
from her2dose.model import courses as cr
from her2dose.model.storage import (
    CLOCK_STARTS,
    STAGES,
    STORAGE_KINDS,
    SterileWaterAlternative,
    StorageFacts,
    UseByRule,
)

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
        raise RegimenFileError(
            str(path), [f"cannot read the file: {exc.strerror or exc}"]
        ) from None
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
        self.declared: dict[str, set[str]] = {}

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
                self.problem(
                    f"{where}.{key}", f"missing ({units.KINDS[kind][0]} such as {example})"
                )
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
            {
                "schema_version",
                "policy",
                "molecules",
                "products",
                "regimens",
                "adverse_events",
                "storage",
                "courses",
                "missed_doses",
            },
            "file",
        )
        version = data.get("schema_version")
        if version != SUPPORTED_SCHEMA:
            self.problem("schema_version", f"must be {SUPPORTED_SCHEMA}, got {version!r}")
        policy = self.policy(self.table(data, "policy", "file") or {})
        # Ids the file declares, built or not: a section that refers to an entry with its
        # own problems must not report it again as "unknown".
        self.declared = {
            section: set(data[section]) if isinstance(data.get(section), dict) else set()
            for section in ("molecules", "products", "regimens")
        }
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
        for name in policy.round_to_vial_exclude if policy is not None else ():
            if normalise(name) not in names:
                self.problem("policy.round_to_vial_exclude", f"unknown drug '{name}'")
        self.cross_checks(molecules, products, regimens)
        adverse_events = self.adverse_events(
            self.table(data, "adverse_events", "file", required=False) or {}, molecules, regimens
        )
        storage = self.storage(
            self.table(data, "storage", "file", required=False) or {}, molecules, products
        )
        courses = self.courses(self.table(data, "courses", "file", required=False) or {}, regimens)
        missed_doses = self.missed_doses(
            self.table(data, "missed_doses", "file", required=False) or {}, molecules, regimens
        )
        if self.problems or policy is None:
            return None
        return RegimenBook(
            path,
            sha256,
            policy,
            molecules,
            products,
            regimens,
            names,
            adverse_events=adverse_events,
            storage=storage,
            courses=courses,
            missed_doses=missed_doses,
        )

    def policy(self, table: dict[str, Any]) -> Policy | None:
        where = "policy"
        self.allowed(
            table,
            {
                "weight_warn_below",
                "weight_warn_above",
                "weight_reject_above",
                "bare_weight_unit",
                "weight_reject_below",
                "source",
                "dose_tolerance_pct",
                "round_to_vial_pct",
                "round_to_vial_exclude",
                "round_increment_mg",
                "weight_change_pct",
                "dose_weight",
                "rounding_max_pct",
                "order_precision_mg",
            },
            where,
        )
        settings = {
            key: value
            for key in (
                "dose_tolerance_pct",
                "round_to_vial_pct",
                "round_increment_mg",
                "weight_change_pct",
                "rounding_max_pct",
                "order_precision_mg",
            )
            if (value := self.number(table, key, where)) is not None
        }
        # Thresholds with clinical weight have no default in code: the file must state them.
        for key in ("dose_tolerance_pct", "weight_change_pct", "rounding_max_pct"):
            if key not in table:
                self.problem(f"{where}.{key}", "missing (a number of percent is required)")
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
        floor = self.quantity(table, "weight_reject_below", "mass", where)
        bare = self.text(table, "bare_weight_unit", where)
        source = self.text(table, "source", where)
        if bare is not None:
            try:
                units.parse_quantity(f"1 {bare}", "mass", "bare_weight_unit")
            except InputError:
                self.problem(f"{where}.bare_weight_unit", f"'{bare}' is not a unit of mass")
        if None not in (floor, below, above, reject) and not floor <= below < above <= reject:
            self.problem(
                where,
                "need weight_reject_below <= weight_warn_below < weight_warn_above "
                "<= weight_reject_above",
            )
        required = {"dose_tolerance_pct", "weight_change_pct", "rounding_max_pct"}
        if None in (below, above, reject, floor, bare, source) or not required <= settings.keys():
            return None
        policy = Policy(
            below,
            above,
            reject,
            bare,
            source,
            round_to_vial_exclude=exclude,
            dose_weight=dose_weight,
            weight_reject_below=floor,
            **settings,
        )
        for key, message in range_problems(policy):  # the same limits as a CLI override
            self.problem(f"{where}.{key}", message)
        return policy

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
            {
                "name",
                "abbreviation",
                "aliases",
                "source",
                "no_re_escalation",
                "preparation",
                "reminders",
                "not_planned",
            },
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
                f"{where}.no_re_escalation",
                "text",
            ),
            preparation=self.preparation(
                self.table(table, "preparation", where, required=False), f"{where}.preparation"
            ),
            reminders=self.reminders(table.get("reminders"), f"{where}.reminders"),
            not_planned=self.sourced(
                self.table(table, "not_planned", where, required=False),
                f"{where}.not_planned",
                "text",
            ),
        )

    def vial(self, item: Any, where: str) -> Vial | None:
        if not isinstance(item, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(
            item,
            {
                "strength",
                "multiple_dose",
                "reconstitute_with",
                "reconstitution_fluid",
                "concentration",
                "deliverable_volume",
                "in_use",
                "in_use_storage",
                "source",
            },
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
            {"brand", "molecule", "aliases", "form", "vials", "preparation", "reminders", "source"},
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
            v
            for i, item in enumerate(raw_vials)
            if (v := self.vial(item, f"{where}.vials[{i}]")) is not None
        )
        strengths = [units.magnitude(v.strength, "mg") for v in vials]
        if len(set(strengths)) != len(strengths):
            self.problem(f"{where}.vials", "two vials have the same strength")
        if len({units.magnitude(v.concentration, "mg/mL") for v in vials}) > 1:
            self.problem(f"{where}.vials", "all vials of one product must share a concentration")
        brand = self.text(table, "brand", where)
        source = self.text(table, "source", where)
        if molecule_id is None:
            return None
        # a missing brand or source is already a problem; keep the product so that its
        # molecule is not also reported as having no product
        return Product(
            id=pid,
            brand=brand or pid,
            molecule_id=molecule_id,
            aliases=self.texts(table, "aliases", where),
            form=self.text(table, "form", where, required=False) or "",
            vials=vials,
            preparation=self.preparation(
                self.table(table, "preparation", where, required=False), f"{where}.preparation"
            ),
            reminders=self.reminders(table.get("reminders"), f"{where}.reminders"),
            source=source or "",
        )

    def regimen(self, rid: str, table: Any, molecules: dict[str, Molecule]) -> Regimen | None:
        where = f"regimens.{rid}"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(
            table,
            {
                "molecule",
                "indication",
                "indication_aliases",
                "description",
                "basis",
                "source",
                "schedules",
                "reductions",
                "further_reduction",
                "max_dose",
            },
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
        # doses the file declares, parsed or not: a bad starting dose is its own problem,
        # not a sign that the reductions belong to a regimen with several doses
        raw_schedules = table.get("schedules")
        declared = (
            sum(
                len(s["phases"])
                for s in raw_schedules.values()
                if isinstance(s, dict) and isinstance(s.get("phases"), dict)
            )
            if isinstance(raw_schedules, dict)
            else 0
        )
        if len(phases) == 1:
            only = phases[0]
            levels.append(Level(0, LEVEL_NAMES[0], only.dose, only.source))
        elif raw_reductions and declared != 1:
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
            f"{where}.further_reduction",
            "action",
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
        self,
        section: dict[str, Any],
        molecules: dict[str, Molecule],
        regimens: dict[str, Regimen],
    ) -> dict[str, Any]:
        """[adverse_events.MOLECULE]: dose-modification rules (issue 3)."""
        from her2dose.model.adverse_events import AdverseEvents

        tables: dict[str, AdverseEvents] = {}
        for mid, table in section.items():
            where = f"adverse_events.{mid}"
            if mid not in molecules:
                self.problem(
                    where, f"unknown molecule '{mid}'; known: {', '.join(sorted(molecules))}"
                )
                continue
            if not isinstance(table, dict):
                self.problem(where, "must be a table")
                continue
            self.allowed(table, {"grading", "source", "events"}, where)
            grading = self.text(table, "grading", where, required=False)
            source = self.text(table, "source", where)
            events = {}
            names: dict[str, str] = {}
            for eid, etable in (self.table(table, "events", where) or {}).items():
                event = self._ae_event(eid, etable, f"{where}.events.{eid}", mid, regimens)
                if event is None:
                    continue
                for spelling in (eid, *event.synonyms):
                    key = normalise(spelling)
                    if key in names and names[key] != eid:
                        self.problem(
                            f"{where}.events.{eid}.synonyms",
                            f"name '{spelling}' is also used by event '{names[key]}'",
                        )
                    names[key] = eid
                events[eid] = event
            if source is not None:
                tables[mid] = AdverseEvents(mid, grading, events, names, source)
        return tables

    def _ae_event(
        self, eid: str, table: Any, where: str, mid: str, regimens: dict[str, Regimen]
    ) -> Any:
        from her2dose.model.adverse_events import EVENT_INPUTS, Event

        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(
            table,
            {"name", "synonyms", "input", "lln_default", "rules", "not_encoded", "source"},
            where,
        )
        name = self.text(table, "name", where)
        source = self.text(table, "source", where)
        synonyms = self.texts(table, "synonyms", where)
        kind = self.text(table, "input", where)
        if kind is not None and kind not in EVENT_INPUTS:
            self.problem(f"{where}.input", f"'{kind}' is not one of {', '.join(EVENT_INPUTS)}")
            kind = None
        lln = self.number(table, "lln_default", where)
        if lln is not None and not (0 < lln < 100):
            self.problem(f"{where}.lln_default", f"must be a percent between 0 and 100, got {lln}")
        if lln is not None and kind not in (None, "lvef"):
            self.problem(f"{where}.lln_default", "only for events with input = 'lvef'")
        rules = self._ae_entries(table, "rules", where, kind, mid, regimens)
        not_encoded = self._ae_entries(table, "not_encoded", where, kind, mid, regimens)
        if "rules" not in table and "not_encoded" not in table:
            self.problem(where, "needs at least one [[rules]] or [[not_encoded]] entry")
        if name is None or source is None or kind is None:
            return None
        mine = [r for r in regimens.values() if r.molecule_id == mid]
        self._ae_coverage(where, kind, rules, not_encoded, mine)
        return Event(
            id=eid,
            name=name,
            synonyms=synonyms,
            input=kind,
            lln_default=lln,
            rules=tuple(r for _, r in rules),
            not_encoded=tuple(n for _, n in not_encoded),
            source=source,
        )

    def _ae_entries(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        kind: str | None,
        mid: str,
        regimens: dict[str, Regimen],
    ) -> list[tuple[str, Any]]:
        """[[rules]] or [[not_encoded]] as (name for messages, record) pairs."""
        items = table.get(key, [])
        if not isinstance(items, list):
            self.problem(f"{where}.{key}", f"must be an array of tables ([[{key}]])")
            return []
        out = []
        for i, item in enumerate(items):
            w = f"{where}.{key}[{i}]"
            if not isinstance(item, dict):
                self.problem(w, "must be a table")
                continue
            build = self._ae_rule if key == "rules" else self._ae_not_encoded
            record = build(item, w, kind, mid, regimens)
            if record is not None:
                out.append((f"{key}[{i}]", record))
        return out

    def _ae_rule(
        self,
        item: dict[str, Any],
        where: str,
        kind: str | None,
        mid: str,
        regimens: dict[str, Regimen],
    ) -> Any:
        from her2dose.model.adverse_events import ACTIONS, OUTCOMES, Rule

        self.allowed(
            item,
            {
                "grades",
                "when",
                "criterion",
                "action",
                "until",
                "condition",
                "resolved_within",
                "then",
                "otherwise",
                "follow_up",
                "label",
                "regimens",
                "source",
            },
            where,
        )
        grades = self._ae_grades(item, where, kind, required=kind == "grade")
        when = self._ae_when(item, where, kind)
        if kind == "lvef" and "when" not in item:
            self.problem(
                f"{where}.when",
                'missing (LVEF rows need conditions, e.g. [{ lvef = "40-45", drop = "10-20" }])',
            )
        criterion = self.text(item, "criterion", where)
        label = self.text(item, "label", where)
        source = self.text(item, "source", where)
        action = self.text(item, "action", where)
        if action is not None and action not in ACTIONS:
            self.problem(f"{where}.action", f"'{action}' is not one of {', '.join(ACTIONS)}")
            action = None
        until = self.text(item, "until", where, required=False)
        condition = self.text(item, "condition", where, required=False)
        follow_up = self.text(item, "follow_up", where, required=False)
        resolved_within = self.quantity(item, "resolved_within", "time", where, required=False)
        then, otherwise = (self.text(item, k, where, required=False) for k in ("then", "otherwise"))
        for k, value in (("then", then), ("otherwise", otherwise)):
            if value is not None and value not in OUTCOMES:
                self.problem(f"{where}.{k}", f"'{value}' is not one of {', '.join(OUTCOMES)}")
        if action == "interrupt":
            if until is None:
                self.problem(
                    f"{where}.until",
                    "required when action is 'interrupt' (the recovery to wait for)",
                )
            if then is None:
                self.problem(
                    f"{where}.then",
                    f"required when action is 'interrupt' (what follows: {', '.join(OUTCOMES)})",
                )
        elif action is not None:
            for k in ("until", "then", "condition", "otherwise", "resolved_within"):
                if k in item:
                    self.problem(f"{where}.{k}", f"only for action 'interrupt', not '{action}'")
        if otherwise is not None and condition is None:
            self.problem(f"{where}.otherwise", "needs a 'condition' (when 'then' applies)")
        if resolved_within is not None and (condition is None or otherwise is None):
            self.problem(f"{where}.resolved_within", "needs a 'condition' and an 'otherwise'")
        scope = self._ae_scope(item, where, mid, regimens)
        if "reduce" in (action, then, otherwise):
            targets = (
                [regimens[r] for r in scope]
                if scope
                else [r for r in regimens.values() if r.molecule_id == mid]
            )
            for r in targets:
                if not r.has_reductions:
                    self.problem(
                        f"{where}.action",
                        f"'reduce' but regimen '{r.id}' has no dose reduction levels",
                    )
        if None in (criterion, label, source, action):
            return None
        return Rule(
            grades=grades,
            when=when,
            criterion=criterion,
            action=action,
            until=until,
            then=then,
            condition=condition,
            otherwise=otherwise,
            resolved_within=resolved_within,
            follow_up=follow_up,
            label=label,
            regimens=scope,
            source=source,
        )

    def _ae_not_encoded(
        self,
        item: dict[str, Any],
        where: str,
        kind: str | None,
        mid: str,
        regimens: dict[str, Regimen],
    ) -> Any:
        from her2dose.model.adverse_events import NotEncoded

        self.allowed(item, {"grades", "criterion", "reason", "see", "regimens", "source"}, where)
        grades = self._ae_grades(item, where, kind, required=False)
        criterion = self.text(item, "criterion", where, required=False)
        reason = self.text(item, "reason", where)
        see = self.text(item, "see", where)
        source = self.text(item, "source", where)
        scope = self._ae_scope(item, where, mid, regimens)
        if None in (reason, see, source):
            return None
        return NotEncoded(grades, criterion, reason, see, scope, source)

    def _ae_grades(
        self, item: dict[str, Any], where: str, kind: str | None, *, required: bool
    ) -> tuple[int, ...]:
        from her2dose.model.adverse_events import CTCAE_GRADES

        value = item.get("grades")
        if value is None:
            if required:
                self.problem(f"{where}.grades", "missing (CTCAE grades of this row, e.g. [3])")
            return ()
        if kind not in (None, "grade"):
            self.problem(f"{where}.grades", "only for events with input = 'grade'")
            return ()
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(g, int) and not isinstance(g, bool) for g in value)
        ):
            self.problem(f"{where}.grades", f"must be a list of CTCAE grades, got {value!r}")
            return ()
        bad = [g for g in value if g not in CTCAE_GRADES]
        if bad:
            self.problem(f"{where}.grades", f"{bad} not CTCAE grades (1 to 5)")
        if len(set(value)) != len(value):
            self.problem(f"{where}.grades", "a grade is listed twice")
        return tuple(sorted(g for g in set(value) if g in CTCAE_GRADES))

    def _ae_when(self, item: dict[str, Any], where: str, kind: str | None) -> tuple[Any, ...]:
        from her2dose.model.adverse_events import LvefCondition

        value = item.get("when")
        if value is None:
            return ()
        w = f"{where}.when"
        if kind not in (None, "lvef"):
            self.problem(w, "only for events with input = 'lvef'")
            return ()
        if not isinstance(value, list) or not value:
            self.problem(w, 'must be a list of conditions, e.g. [{ lvef = "<40" }]')
            return ()
        out = []
        for i, cond in enumerate(value):
            wi = f"{w}[{i}]"
            if not isinstance(cond, dict) or not cond:
                self.problem(wi, 'must be a non-empty table such as { lvef = "<40" }')
                continue
            self.allowed(cond, {"lvef", "drop", "below_lln", "symptomatic_chf"}, wi)
            lvef = self._ae_range(cond, "lvef", wi)
            drop = self._ae_range(cond, "drop", wi)
            below = cond.get("below_lln")
            if below is not None and not isinstance(below, bool):
                self.problem(f"{wi}.below_lln", f"must be true or false, got {below!r}")
                below = None
            chf = self.flag(cond, "symptomatic_chf", wi)
            if chf and len(cond) > 1:
                self.problem(
                    wi, "symptomatic_chf = true stands alone (the label's row has no values)"
                )
            if "symptomatic_chf" in cond and not chf:
                self.problem(f"{wi}.symptomatic_chf", "leave it out rather than set it to false")
            out.append(LvefCondition(lvef, drop, below, chf))
        return tuple(out)

    # '<40', '>=16', '≥16', '40-45' (both ends included), optionally with '%'
    _RANGE = re.compile(
        r"^\s*(?:(<=|>=|<|>|≤|≥)\s*(\d+(?:\.\d+)?)"
        r"|(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?))\s*%?\s*$"
    )

    def _ae_range(self, cond: dict[str, Any], key: str, where: str) -> Any:
        from her2dose.model.adverse_events import Range

        text = cond.get(key)
        if text is None:
            return None
        match = self._RANGE.match(text) if isinstance(text, str) else None
        if match is None:
            self.problem(
                f"{where}.{key}",
                f"{text!r} is not a percent range such as '<40', '>=16', '>45' or '40-45'",
            )
            return None
        op, single, low, high = match.groups()
        if op is not None:
            value = Decimal(single)
            op = {"≤": "<=", "≥": ">="}.get(op, op)
            rng = (
                Range(None, False, value, op == "<=", text)
                if op.startswith("<")
                else Range(value, op == ">=", None, False, text)
            )
        else:
            rng = Range(Decimal(low), True, Decimal(high), True, text)
            if rng.low > rng.high:
                self.problem(f"{where}.{key}", f"{text!r}: the low end is above the high end")
                return None
        if any(b > 100 for b in rng.bounds()):
            self.problem(f"{where}.{key}", f"{text!r}: percent above 100")
            return None
        return rng

    def _ae_scope(
        self, item: dict[str, Any], where: str, mid: str, regimens: dict[str, Regimen]
    ) -> tuple[str, ...]:
        if "regimens" not in item:
            return ()
        ids = self.texts(item, "regimens", where)
        if not ids:
            self.problem(f"{where}.regimens", "must list at least one regimen (or be left out)")
        mine = sorted(r.id for r in regimens.values() if r.molecule_id == mid)
        for rid in ids:
            if rid not in regimens or regimens[rid].molecule_id != mid:
                self.problem(
                    f"{where}.regimens",
                    f"'{rid}' is not a regimen of molecule '{mid}'; known: {', '.join(mine)}",
                )
        return tuple(ids)

    def _ae_coverage(
        self,
        where: str,
        kind: str,
        rules: list[tuple[str, Any]],
        not_encoded: list[tuple[str, Any]],
        mine: list[Regimen],
    ) -> None:
        """Every regimen gets exactly one answer for any grade or reading an entry covers."""
        from her2dose.model.adverse_events import CTCAE_GRADES

        for regimen in mine:
            scoped = [(n, e) for n, e in (*rules, *not_encoded) if e.applies_to(regimen.id)]
            if not scoped:
                self.problem(
                    where,
                    f"no rule or not_encoded entry applies to regimen '{regimen.id}'; add one so "
                    "that every regimen of the molecule gets an answer",
                )
                continue
            if kind == "grade":
                for grade in CTCAE_GRADES:
                    hits = [n for n, e in scoped if not e.grades or grade in e.grades]
                    if len(hits) > 1:
                        self.problem(
                            where,
                            f"grade {grade} is covered by {' and '.join(hits)} for "
                            f"regimen '{regimen.id}'",
                        )
            elif kind == "any":
                if len(scoped) > 1:
                    self.problem(
                        where,
                        f"input 'any' allows one entry per regimen; regimen "
                        f"'{regimen.id}' has {', '.join(n for n, _ in scoped)}",
                    )
            else:
                self._ae_lvef_overlap(where, regimen, scoped)

    def _ae_lvef_overlap(self, where: str, regimen: Regimen, scoped: list[tuple[str, Any]]) -> None:
        from her2dose.model.adverse_events import NotEncoded

        blanket = [n for n, e in scoped if isinstance(e, NotEncoded)]
        if blanket:
            if len(scoped) > 1:
                self.problem(
                    where,
                    f"{blanket[0]} covers every LVEF reading for regimen '{regimen.id}', "
                    f"so no other entry may apply to it ({', '.join(n for n, _ in scoped)})",
                )
            return
        chf = [n for n, e in scoped if e.symptomatic_chf]
        if len(chf) > 1:
            self.problem(
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
                    hits = [
                        n for n, e in valued if any(c.matches(lvef, drop, below) for c in e.when)
                    ]
                    if len(hits) > 1:
                        self.problem(
                            where,
                            f"LVEF rows overlap for regimen '{regimen.id}': "
                            f"{' and '.join(hits)} both match LVEF {lvef}% with a decrease of "
                            f"{drop} points",
                        )
                        return

    def storage(
        self,
        section: dict[str, Any],
        molecules: dict[str, Molecule],
        products: dict[str, Product],
    ) -> dict[str, Any]:
        """[storage.ID]: use-by times after reconstitution and dilution (issue 4)."""

        out: dict[str, StorageFacts] = {}
        for ident, table in section.items():
            where = f"storage.{ident}"
            if ident not in products and ident not in molecules:
                self.problem(where, f"'{ident}' is neither a product nor a molecule id")
                continue
            if not isinstance(table, dict):
                self.problem(where, "must be a table")
                continue
            self.allowed(table, {"use_by", "not_encoded", "without_benzyl_alcohol"}, where)
            rules: list[UseByRule] = []
            items = table.get("use_by", [])
            if not isinstance(items, list):
                self.problem(f"{where}.use_by", "must be an array of tables ([[...use_by]])")
                items = []
            for i, item in enumerate(items):
                w = f"{where}.use_by[{i}]"
                if not isinstance(item, dict):
                    self.problem(w, "must be a table")
                    continue
                self.allowed(
                    item, {"stage", "storage", "condition", "hold", "counted_from", "source"}, w
                )
                choices = {
                    "stage": STAGES,
                    "storage": STORAGE_KINDS,
                    "counted_from": CLOCK_STARTS,
                }
                picked = {}
                for key, allowed in choices.items():
                    value = self.text(item, key, w)
                    if value is not None and value not in allowed:
                        self.problem(f"{w}.{key}", f"'{value}' is not one of {', '.join(allowed)}")
                        value = None
                    picked[key] = value
                if picked["stage"] == "reconstituted" and picked["counted_from"] == "dilution":
                    self.problem(
                        f"{w}.counted_from", "a reconstituted vial's clock cannot start at dilution"
                    )
                hold = self.quantity(item, "hold", "time", w)
                condition = self.text(item, "condition", w)
                source = self.text(item, "source", w)
                if None in (*picked.values(), hold, condition, source):
                    continue
                if any((r.stage, r.storage) == (picked["stage"], picked["storage"]) for r in rules):
                    self.problem(w, f"a second {picked['stage']} / {picked['storage']} entry")
                    continue
                rules.append(
                    UseByRule(
                        picked["stage"],
                        picked["storage"],
                        condition,
                        hold,
                        picked["counted_from"],
                        source,
                    )
                )
            not_encoded = self.sourced(
                self.table(table, "not_encoded", where, required=False),
                f"{where}.not_encoded",
                "text",
            )
            alternative = None
            alt = self.table(table, "without_benzyl_alcohol", where, required=False)
            if alt is not None:
                w = f"{where}.without_benzyl_alcohol"
                self.allowed(alt, {"strength", "reconstitute_with", "fluid", "text", "source"}, w)
                strength = self.quantity(alt, "strength", "mass", w)
                volume = self.quantity(alt, "reconstitute_with", "volume", w)
                fluid, text, source = (self.text(alt, k, w) for k in ("fluid", "text", "source"))
                product = products.get(ident)
                if product is None:
                    self.problem(w, "belongs to a product (it names one of its vials)")
                elif strength is not None and not any(
                    v.multiple_dose and v.strength == strength for v in product.vials
                ):
                    self.problem(
                        f"{w}.strength",
                        f"{product.brand} has no multiple-dose vial of {strength:~}",
                    )
                elif None not in (strength, volume, fluid, text, source):
                    alternative = SterileWaterAlternative(strength, volume, fluid, text, source)
            out[ident] = StorageFacts(ident, tuple(rules), not_encoded, alternative)
        return out

    def courses(self, section: dict[str, Any], regimens: dict[str, Regimen]) -> dict[str, Any]:
        """[courses.REGIMEN]: course length, fixed cycles or weeks (issue 5)."""
        for regimen in regimens.values():  # `schedule` and `next` date every regimen's doses
            for sched in regimen.schedules.values():
                self.require_whole_days(
                    sched.interval, f"regimens.{regimen.id}.schedules.{sched.name}.interval"
                )
        courses: dict[str, cr.Course] = {}
        for rid, table in section.items():
            where = f"courses.{rid}"
            if not isinstance(table, dict):
                self.problem(where, "must be a table")
                continue
            self.allowed(
                table,
                {"cycles", "duration", "until", "limit", "schedules", "patterns", "source"},
                where,
            )
            regimen = regimens.get(rid)
            if regimen is None and rid not in self.declared["regimens"]:
                known = ", ".join(sorted(regimens))
                self.problem(where, f"unknown regimen '{rid}'; known: {known}")
            cycles = table.get("cycles")
            if cycles is not None and (
                isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 1
            ):
                self.problem(
                    f"{where}.cycles", f"must be a whole number of at least 1, got {cycles!r}"
                )
                cycles = None
            duration = self.whole_days(table, "duration", where)
            until = self.text(table, "until", where, required=False)
            lengths = [k for k in ("cycles", "duration", "until") if table.get(k) is not None]
            if len(lengths) > 1:
                self.problem(
                    where, f"give only one of cycles, duration, until (got {', '.join(lengths)})"
                )
            patterns = {}
            pattern_tables = self.table(table, "patterns", where, required=False) or {}
            for name, ptable in pattern_tables.items():
                pattern = self.pattern(name, ptable, f"{where}.patterns.{name}", regimen)
                if pattern is not None:
                    patterns[pattern.name] = pattern
            shapes = tuple(normalise(s) for s in self.texts(table, "schedules", where))
            if regimen is not None:
                for shape in shapes:
                    if shape not in regimen.schedules and shape not in patterns:
                        self.problem(
                            f"{where}.schedules",
                            f"'{shape}' is neither a schedule of regimen '{rid}' "
                            f"({', '.join(regimen.schedules)}) nor one of its patterns",
                        )
            source = self.text(table, "source", where)
            if regimen is None or source is None:
                continue
            courses[rid] = cr.Course(
                regimen_id=rid,
                cycles=cycles,
                duration=duration,
                until=until,
                limit=self.text(table, "limit", where, required=False),
                schedules=shapes,
                patterns=patterns,
                source=source,
            )
        return courses

    def pattern(
        self, name: str, table: Any, where: str, regimen: Regimen | None
    ) -> cr.Pattern | None:
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        self.allowed(
            table, {"description", "first", "then", "switch_after", "first_for", "source"}, where
        )
        first = self.text(table, "first", where)
        then = self.text(table, "then", where)
        if regimen is not None:
            if name in regimen.schedules:
                self.problem(where, f"pattern name '{name}' is also a schedule of '{regimen.id}'")
            for key, sname in (("first", first), ("then", then)):
                sched = regimen.schedules.get(sname) if sname else None
                if sname and sched is None:
                    self.problem(
                        f"{where}.{key}",
                        f"'{sname}' is not a schedule of regimen '{regimen.id}' "
                        f"({', '.join(regimen.schedules)})",
                    )
                elif sched is not None and key == "then" and "maintenance" not in sched.phases:
                    self.problem(f"{where}.then", f"schedule '{sname}' has no maintenance phase")
        switch_after = self.whole_days(table, "switch_after", where, required=True)
        first_for: dict[str, Quantity] = {}
        options = self.table(table, "first_for", where)
        for option in options or {}:
            if (q := self.whole_days(options, option, f"{where}.first_for")) is not None:
                first_for[normalise(option)] = q
        if options is not None and not options:
            self.problem(f"{where}.first_for", "needs at least one chemotherapy and its duration")
        description = self.text(table, "description", where)
        source = self.text(table, "source", where)
        if None in (first, then, switch_after, description, source) or not first_for:
            return None
        return cr.Pattern(
            normalise(name), description, first, then, switch_after, first_for, source
        )

    def whole_days(
        self, table: dict[str, Any], key: str, where: str, *, required: bool = False
    ) -> Quantity | None:
        """A duration that dates can use: a whole number of days ('21 day', '52 week')."""
        q = self.quantity(table, key, "time", where, required=required)
        if q is not None and not self.require_whole_days(q, f"{where}.{key}"):
            return None
        return q

    def require_whole_days(self, q: Quantity, where: str) -> bool:
        days = q.m_as("day")
        if days != days.to_integral_value():
            self.problem(where, f"must be a whole number of days for dating doses, got {q:~}")
            return False
        return True

    def missed_doses(
        self,
        section: dict[str, Any],
        molecules: dict[str, Molecule],
        regimens: dict[str, Regimen],
    ) -> dict[str, Any]:
        """[missed_doses.MOLECULE]: what to give after a missed or late dose (issue 5)."""
        fields = {
            cr.RELOAD: {"reload_after"},
            cr.AS_SOON_AS_POSSIBLE: {"same_dose_and_rate"},
            cr.FIXED_DOSE_TRANSITION: {
                "interval",
                "reload_at",
                "loading",
                "maintenance",
                "own_missed_dose",
            },
            cr.NOT_ENCODED: set(),
        }
        rules: dict[str, cr.MissedDoseRule] = {}
        for mid, table in section.items():
            where = f"missed_doses.{mid}"
            if not isinstance(table, dict):
                self.problem(where, "must be a table")
                continue
            if mid not in molecules and mid not in self.declared["molecules"]:
                known = ", ".join(sorted(molecules))
                self.problem(where, f"unknown molecule '{mid}'; known: {known}")
            rule = self.text(table, "rule", where)
            if rule is not None and rule not in fields:
                self.problem(f"{where}.rule", f"'{rule}' is not one of {', '.join(fields)}")
                rule = None
            self.allowed(table, {"rule", "text", "source"} | fields.get(rule, set()), where)
            text = self.text(table, "text", where)
            source = self.text(table, "source", where)
            extra: dict[str, Any] = {}
            if rule == cr.RELOAD:
                extra["reload_after"] = self.whole_days(table, "reload_after", where, required=True)
                for r in regimens.values():
                    for sched in r.schedules.values() if r.molecule_id == mid else ():
                        if "loading" not in sched.phases:
                            self.problem(
                                where,
                                f"rule 'reload' needs a loading dose, but regimen '{r.id}' "
                                f"schedule '{sched.name}' has none",
                            )
            elif rule == cr.AS_SOON_AS_POSSIBLE:
                extra["same_dose_and_rate"] = self.flag(table, "same_dose_and_rate", where)
            elif rule == cr.FIXED_DOSE_TRANSITION:
                extra["interval"] = self.whole_days(table, "interval", where, required=True)
                extra["reload_at"] = self.whole_days(table, "reload_at", where, required=True)
                extra["doses"] = {
                    name: dose
                    for name in ("loading", "maintenance")
                    if (
                        dose := self.fixed_dose(
                            name, self.table(table, name, where), f"{where}.{name}"
                        )
                    )
                    is not None
                }
                extra["own_missed_dose"] = self.sourced(
                    self.table(table, "own_missed_dose", where), f"{where}.own_missed_dose", "text"
                )
            if None in (rule, text, source) or mid not in molecules or None in extra.values():
                continue
            if rule == cr.FIXED_DOSE_TRANSITION and len(extra["doses"]) < 2:
                continue
            rules[mid] = cr.MissedDoseRule(mid, rule, text, source, **extra)
        return rules

    def fixed_dose(
        self, name: str, table: dict[str, Any] | None, where: str
    ) -> cr.FixedDose | None:
        if table is None:
            return None
        self.allowed(table, {"dose", "volume", "injection_time", "source"}, where)
        dose = self.text(table, "dose", where)
        volume = self.quantity(table, "volume", "volume", where)
        minutes = self.quantity(table, "injection_time", "time", where)
        source = self.text(table, "source", where)
        if None in (dose, volume, minutes, source):
            return None
        return cr.FixedDose(name, dose, volume, minutes, source)

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
        for mid, molecule in molecules.items():
            mine = [r for r in regimens.values() if r.molecule_id == mid]
            if molecule.not_planned is not None:  # e.g. a subcutaneous fixed-dose product
                if mine:
                    self.problem(
                        f"molecules.{mid}.not_planned", "a molecule with regimens is planned"
                    )
            elif not any(p.molecule_id == mid for p in products.values()):
                self.problem(f"molecules.{mid}", "has no product")
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
    suggestion = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
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
    raise _unknown(
        "indication", indication, [r.indication for r in mine], f" (indications of {molecule.name})"
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
