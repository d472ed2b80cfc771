"""Readers of the core sections: [policy], [molecules.*], [products.*], [regimens.*].

Each method reads one table against its declaration in schema.py, reports what is wrong
and returns its record, or None when a required part is missing or bad.
"""

from __future__ import annotations

from typing import Any

from her2dose import units
from her2dose.data import rules
from her2dose.data import schema as s
from her2dose.data.reader import Reader
from her2dose.errors import InputError
from her2dose.model import (
    BASES,
    DOSE_WEIGHT_CHOICES,
    LABEL_EVIDENCE,
    PHASE_NAMES,
    IndicationStop,
    Level,
    MaxDose,
    Molecule,
    Phase,
    Policy,
    Preparation,
    Product,
    Regimen,
    Reminder,
    Schedule,
    Sourced,
    Vial,
    range_problems,
    weakest,
)

LEVEL_NAMES = {0: "starting dose"}
# Thresholds with clinical weight have no default in code: the file must state them.
REQUIRED_PERCENTS = ("dose_tolerance_pct", "weight_change_pct", "rounding_max_pct")
REQUIRED_NUMBERS = (*REQUIRED_PERCENTS, "order_precision_mg")


class CoreSections(Reader):
    def policy(self, table: dict[str, Any]) -> Policy | None:
        where = "policy"
        v = self.read(table, s.POLICY, where)
        settings = {
            key: v[key]
            for key in (
                "dose_tolerance_pct",
                "round_to_vial_pct",
                "round_increment_mg",
                "order_precision_mg",
                "weight_change_pct",
                "rounding_max_pct",
            )
            if v[key] is not None
        }
        for key in REQUIRED_NUMBERS:
            if key not in table:
                what = "of mg" if key.endswith("_mg") else "of percent"
                self.problem(f"{where}.{key}", f"missing (a number {what} is required)")
        dose_weight = table.get("dose_weight", "current")
        if dose_weight not in DOSE_WEIGHT_CHOICES:
            self.problem(
                f"{where}.dose_weight",
                f"'{dose_weight}' is not one of {', '.join(DOSE_WEIGHT_CHOICES)}",
            )
            dose_weight = "current"
        below, above = v["weight_warn_below"], v["weight_warn_above"]
        reject, floor = v["weight_reject_above"], v["weight_reject_below"]
        bare, source = v["bare_weight_unit"], v["source"]
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
        if (
            None in (below, above, reject, floor, bare, source)
            or not set(REQUIRED_PERCENTS) <= settings.keys()
        ):
            return None
        policy = Policy(
            below,
            above,
            reject,
            bare,
            source,
            round_to_vial_exclude=v["round_to_vial_exclude"],
            dose_weight=dose_weight,
            weight_reject_below=floor,
            evidence=self.evidence(table) or "policy",
            **settings,
        )
        for key, message in range_problems(policy):  # the same limits as a CLI override
            self.problem(f"{where}.{key}", message)
        return policy

    def sourced(self, table: dict[str, Any] | None, where: str, text_key: str) -> Sourced | None:
        if table is None:
            return None
        v = self.read(table, {text_key: s.REQ_TEXT, **s.SOURCE}, where)
        text, source = v[text_key], v["source"]
        return Sourced(text, source, self.evidence(table)) if text and source else None

    def sourced_table(self, parent: dict[str, Any], key: str, where: str, text_key: str):
        return self.sourced(
            self.table(parent, key, where, required=False), f"{where}.{key}", text_key
        )

    def preparation(self, table: dict[str, Any] | None, where: str) -> Preparation | None:
        if table is None:
            return None
        v = self.read(table, s.PREPARATION, where)
        return Preparation(
            diluent=v["diluent"],
            bag_volume=v["bag_volume"],
            forbidden=v["forbidden"],
            filter=v["filter"],
            source=v["source"] or "",
            evidence=self.evidence(table),
            field_evidence=self.field_evidence(table, where),
        )

    def field_evidence(self, table: dict[str, Any], where: str) -> dict[str, str]:
        """Levels of single fields resting on other documents than the table's source."""
        value = table.get("field_evidence")
        if value is None:
            return {}
        w = f"{where}.field_evidence"
        if not isinstance(value, dict):
            self.problem(w, 'must be a table such as { diluent = "eu-label" }')
            return {}
        out = {}
        for key, level in value.items():
            if key not in s.PREPARATION_FIELDS or key not in table:
                present = [f for f in s.PREPARATION_FIELDS if f in table]
                self.problem(f"{w}.{key}", f"not a field of this table ({', '.join(present)})")
            elif level not in LABEL_EVIDENCE:
                self.problem(f"{w}.{key}", f"{level!r} is not one of {', '.join(LABEL_EVIDENCE)}")
            else:
                out[key] = level
        own = self.evidence(table)
        fields = [out.get(f, own) for f in s.PREPARATION_FIELDS if f in table]
        if own and out and weakest(*fields) != own:
            self.problem(
                f"{where}.evidence",
                f"'{own}' must be the weakest of its fields' levels ({weakest(*fields)})",
            )
        return out

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
            v = self.read(item, s.REMINDER, w)
            if v["kind"] and v["text"] and v["source"]:
                out.append(
                    Reminder(v["kind"], v["text"], v["source"], self.evidence(item), v["regimens"])
                )
        return tuple(out)

    def molecule(self, mid: str, table: Any) -> Molecule | None:
        where = f"molecules.{mid}"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        v = self.read(table, s.MOLECULE, where)
        return Molecule(
            id=mid,
            name=v["name"] or mid,
            abbreviation=v["abbreviation"] or "",
            aliases=v["aliases"],
            source=v["source"] or "",
            no_re_escalation=self.sourced_table(table, "no_re_escalation", where, "text"),
            preparation=self.preparation(
                self.table(table, "preparation", where, required=False), f"{where}.preparation"
            ),
            reminders=self.reminders(table.get("reminders"), f"{where}.reminders"),
            not_planned=self.sourced_table(table, "not_planned", where, "text"),
            evidence=self.evidence(table),
            not_encoded_indications=self.indication_stops(table, where),
        )

    def indication_stops(self, table: dict[str, Any], where: str) -> tuple[IndicationStop, ...]:
        items = table.get("not_encoded_indications", [])
        w = f"{where}.not_encoded_indications"
        if not isinstance(items, list):
            self.problem(w, "must be an array of tables ([[...not_encoded_indications]])")
            return ()
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                self.problem(f"{w}[{i}]", "must be a table")
                continue
            v = self.read(item, s.INDICATION_STOP, f"{w}[{i}]")
            required = (v["indication"], v["description"], v["message"], v["source"])
            if None not in required:
                out.append(
                    IndicationStop(
                        v["indication"],
                        v["aliases"],
                        v["description"],
                        v["message"],
                        v["hint"],
                        v["source"],
                        self.evidence(item),
                    )
                )
        return tuple(out)

    def vial(self, item: Any, where: str) -> Vial | None:
        if not isinstance(item, dict):
            self.problem(where, "must be a table")
            return None
        v = self.read(item, s.VIAL, where)
        strength, concentration = v["strength"], v["concentration"]
        multiple, in_use = v["multiple_dose"], v["in_use"]
        # a multiple-dose vial without an in-use time keeps no remainder: it is not encoded
        if in_use is not None and not multiple:
            self.problem(f"{where}.in_use", "only a multiple-dose vial has an in-use time")
        if "in_use_storage" in item and "in_use" not in item:
            self.problem(f"{where}.in_use_storage", "only with an in-use time (in_use)")
        if strength is not None and concentration is not None:
            rules.vial_concentration(
                self,
                where,
                strength,
                concentration,
                v["deliverable_volume"],
                v["reconstitute_with"],
            )
        if strength is None or v["source"] is None:
            return None
        if concentration is None and "concentration" in item:
            return None  # stated but unusable: already a problem
        return Vial(
            strength=strength,
            multiple_dose=multiple,
            concentration=concentration,
            reconstitute_with=v["reconstitute_with"],
            reconstitution_fluid=v["reconstitution_fluid"],
            deliverable_volume=v["deliverable_volume"],
            in_use=in_use,
            in_use_storage=v["in_use_storage"],
            source=v["source"],
            evidence=self.evidence(item),
        )

    def molecule_ref(self, table: dict[str, Any], where: str, molecules: dict[str, Molecule]):
        molecule_id = self.text(table, "molecule", where)
        if molecule_id is not None and molecule_id not in molecules:
            self.problem(
                f"{where}.molecule",
                f"unknown molecule '{molecule_id}'; known: {', '.join(sorted(molecules))}",
            )
        return molecule_id

    def _molecule_entry(
        self,
        section: str,
        name: str,
        table: Any,
        spec: dict[str, s.Field],
        molecules: dict[str, Molecule],
    ) -> tuple[str, dict[str, Any], str | None] | None:
        """An entry that names its molecule (a product, a regimen): where it is, its declared
        fields, and its molecule id; None when the entry is not a table."""
        where = f"{section}.{name}"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        return where, self.read(table, spec, where), self.molecule_ref(table, where, molecules)

    def product(self, pid: str, table: Any, molecules: dict[str, Molecule]) -> Product | None:
        entry = self._molecule_entry("products", pid, table, s.PRODUCT, molecules)
        if entry is None:
            return None
        where, v, molecule_id = entry
        raw_vials = table.get("vials")
        if not isinstance(raw_vials, list) or not raw_vials:
            self.problem(f"{where}.vials", "at least one [[vials]] entry is required")
            raw_vials = []
        vials = tuple(
            vial
            for i, item in enumerate(raw_vials)
            if (vial := self.vial(item, f"{where}.vials[{i}]")) is not None
        )
        rules.product_vials(self, where, vials)
        if molecule_id is None:
            return None
        # a missing brand or source is already a problem; keep the product so that its
        # molecule is not also reported as having no product
        return Product(
            id=pid,
            brand=v["brand"] or pid,
            molecule_id=molecule_id,
            aliases=v["aliases"],
            form=v["form"] or "",
            vials=vials,
            preparation=self.preparation(
                self.table(table, "preparation", where, required=False), f"{where}.preparation"
            ),
            reminders=self.reminders(table.get("reminders"), f"{where}.reminders"),
            source=v["source"] or "",
            evidence=self.evidence(table),
        )

    def regimen(self, rid: str, table: Any, molecules: dict[str, Molecule]) -> Regimen | None:
        entry = self._molecule_entry("regimens", rid, table, s.REGIMEN, molecules)
        if entry is None:
            return None
        where, v, molecule_id = entry
        basis = self.choice(table, "basis", where, BASES)
        dose = s.dose_measure(basis)

        schedules: dict[str, Schedule] = {}
        for sname, stable in (self.table(table, "schedules", where) or {}).items():
            sched = self.schedule(sname, stable, f"{where}.schedules.{sname}", dose)
            if sched is not None:
                schedules[sname] = sched
        phases = [p for sc in schedules.values() for p in sc.phases.values()]
        raw_reductions = table.get("reductions", [])
        if not isinstance(raw_reductions, list):
            self.problem(f"{where}.reductions", "must be an array of tables ([[reductions]])")
            raw_reductions = []
        levels = self.levels(table, where, phases, raw_reductions, dose)
        further = self.sourced_table(table, "further_reduction", where, "action")
        if raw_reductions and further is None:
            self.problem(f"{where}.further_reduction", "required when reductions are given")
        max_dose = None
        max_table = self.table(table, "max_dose", where, required=False)
        if max_table is not None:
            w = f"{where}.max_dose"
            m = self.read(max_table, s.MAX_DOSE, w)
            maximum = self.quantity(max_table, "dose", dose, w)
            if maximum is not None and m["source"]:
                max_dose = MaxDose(maximum, m["source"], self.evidence(max_table))
                rules.within_maximum(self, w, phases, maximum)
        indication, description, source = v["indication"], v["description"], v["source"]
        if None in (molecule_id, indication, description, source, basis) or not schedules:
            return None
        return Regimen(
            id=rid,
            molecule_id=molecule_id,
            indication=indication,
            indication_aliases=v["indication_aliases"],
            description=description,
            basis=basis,
            schedules=schedules,
            levels=tuple(levels) if (raw_reductions or len(phases) == 1) else (),
            further_reduction=further,
            max_dose=max_dose,
            source=source,
            evidence=self.evidence(table),
        )

    def levels(
        self,
        table: dict[str, Any],
        where: str,
        phases: list[Phase],
        raw_reductions: list[Any],
        dose: s.Measure,
    ) -> list[Level]:
        """Level 0 (the one dose of the regimen) and the [[reductions]] below it."""
        levels: list[Level] = []
        # doses the file declares, parsed or not: a bad starting dose is its own problem,
        # not a sign that the reductions belong to a regimen with several doses
        raw_schedules = table.get("schedules")
        declared = (
            sum(
                len(sc["phases"])
                for sc in raw_schedules.values()
                if isinstance(sc, dict) and isinstance(sc.get("phases"), dict)
            )
            if isinstance(raw_schedules, dict)
            else 0
        )
        if len(phases) == 1:
            only = phases[0]
            levels.append(Level(0, LEVEL_NAMES[0], only.dose, only.source, only.evidence))
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
            v = self.read(item, s.REDUCTION, w)
            q = self.quantity(item, "dose", dose, w)
            if q is not None:
                rules.level_below(self, w, i, q, levels)
            if q is not None and v["name"] and v["source"] and levels:
                levels.append(Level(-i, v["name"], q, v["source"], self.evidence(item)))
        return levels

    def schedule(self, name: str, table: Any, where: str, dose: s.Measure) -> Schedule | None:
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        v = self.read(table, s.SCHEDULE, where)
        phases: dict[str, Phase] = {}
        for pname, ptable in (self.table(table, "phases", where) or {}).items():
            w = f"{where}.phases.{pname}"
            if pname not in PHASE_NAMES:
                self.problem(w, f"phase must be one of {', '.join(PHASE_NAMES)}")
                continue
            if not isinstance(ptable, dict):
                self.problem(w, "must be a table")
                continue
            p = self.read(ptable, s.PHASE, w)
            q = self.quantity(ptable, "dose", dose, w)
            first, later, source = p["infusion_first"], p["infusion_subsequent"], p["source"]
            if None not in (q, first, later, source):
                phases[pname] = Phase(
                    pname, q, first, later, source, self.evidence(ptable), p["interpretation"]
                )
        if "standard" in phases and len(phases) > 1:
            self.problem(f"{where}.phases", "'standard' is for a schedule with no loading dose")
        if "loading" in phases and "maintenance" not in phases:
            self.problem(f"{where}.phases", "a loading phase needs a maintenance phase")
        rules.loading_above_maintenance(self, where, phases)
        if v["interval"] is None or v["source"] is None or not phases:
            return None
        return Schedule(name, v["interval"], phases, v["source"], self.evidence(table))
