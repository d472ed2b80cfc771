"""Readers of [storage.*], [courses.*] and [missed_doses.*]: use-by times and dating."""

from __future__ import annotations

from typing import Any

from her2dose.data import rules
from her2dose.data import schema as s
from her2dose.data.lookup import normalise
from her2dose.data.sections import CoreSections
from her2dose.model import Molecule, Product, Quantity, Regimen
from her2dose.model import courses as cr
from her2dose.model.storage import (
    CLOCK_STARTS,
    STAGES,
    STORAGE_KINDS,
    SterileWaterAlternative,
    StorageFacts,
    UseByRule,
)


class CourseSections(CoreSections):
    def storage(
        self,
        section: dict[str, Any],
        molecules: dict[str, Molecule],
        products: dict[str, Product],
    ) -> dict[str, Any]:
        """[storage.ID]: use-by times after reconstitution and dilution."""
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
                    picked[key] = self.choice(item, key, w, allowed)
                if picked["stage"] == "reconstituted" and picked["counted_from"] == "dilution":
                    self.problem(
                        f"{w}.counted_from", "a reconstituted vial's clock cannot start at dilution"
                    )
                hold = self.quantity(item, "hold", s.hold_measure(picked["storage"]), w)
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
                        self.evidence(item),
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
                strength = self.quantity(alt, "strength", s.VIAL_STRENGTH, w)
                volume = self.quantity(alt, "reconstitute_with", s.VIAL_VOLUME, w)
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
                    alternative = SterileWaterAlternative(
                        strength, volume, fluid, text, source, self.evidence(alt)
                    )
            out[ident] = StorageFacts(ident, tuple(rules), not_encoded, alternative)
        return out

    def courses(self, section: dict[str, Any], regimens: dict[str, Regimen]) -> dict[str, Any]:
        """[courses.REGIMEN]: course length, fixed cycles or weeks."""
        rules.whole_day_intervals(self, regimens)
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
            elif cycles is not None and not s.CYCLES[0] <= cycles <= s.CYCLES[1]:
                self.problem(
                    f"{where}.cycles",
                    f"{cycles} is outside the plausible range {s.CYCLES[0]}-{s.CYCLES[1]} cycles",
                )
            duration = self.whole_days(table, "duration", s.COURSE, where)
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
                evidence=self.evidence(table),
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
        switch_after = self.whole_days(table, "switch_after", s.SWITCH, where, required=True)
        first_for: dict[str, Quantity] = {}
        options = self.table(table, "first_for", where)
        for option in options or {}:
            if (
                q := self.whole_days(options, option, s.CHEMO_PERIOD, f"{where}.first_for")
            ) is not None:
                first_for[normalise(option)] = q
        if options is not None and not options:
            self.problem(f"{where}.first_for", "needs at least one chemotherapy and its duration")
        description = self.text(table, "description", where)
        source = self.text(table, "source", where)
        if None in (first, then, switch_after, description, source) or not first_for:
            return None
        return cr.Pattern(
            normalise(name),
            description,
            first,
            then,
            switch_after,
            first_for,
            source,
            self.evidence(table),
        )

    def missed_doses(
        self,
        section: dict[str, Any],
        molecules: dict[str, Molecule],
        regimens: dict[str, Regimen],
    ) -> dict[str, Any]:
        """[missed_doses.MOLECULE]: what to give after a missed or late dose."""
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
            cr.FIXED_DOSE_AS_SOON_AS_POSSIBLE: {"interval", "dose"},
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
            rule = self.choice(table, "rule", where, fields)
            self.allowed(table, {"rule", "text", "source"} | fields.get(rule, set()), where)
            text = self.text(table, "text", where)
            source = self.text(table, "source", where)
            extra: dict[str, Any] = {}
            if rule == cr.RELOAD:
                extra["reload_after"] = self.whole_days(
                    table, "reload_after", s.RELOAD_AFTER, where, required=True
                )
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
                extra["interval"] = self.whole_days(
                    table, "interval", s.INTERVAL, where, required=True
                )
                extra["reload_at"] = self.whole_days(
                    table, "reload_at", s.RELOAD_AT, where, required=True
                )
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
            elif rule == cr.FIXED_DOSE_AS_SOON_AS_POSSIBLE:
                extra["interval"] = self.whole_days(
                    table, "interval", s.INTERVAL, where, required=True
                )
                extra["dose"] = self.fixed_dose(
                    "standard", self.table(table, "dose", where), f"{where}.dose"
                )
            if None in (rule, text, source) or mid not in molecules or None in extra.values():
                continue
            if rule == cr.FIXED_DOSE_TRANSITION and len(extra["doses"]) < 2:
                continue
            rules[mid] = cr.MissedDoseRule(
                mid, rule, text, source, evidence=self.evidence(table), **extra
            )
        return rules

    def fixed_dose(
        self, name: str, table: dict[str, Any] | None, where: str
    ) -> cr.FixedDose | None:
        if table is None:
            return None
        v = self.read(table, s.FIXED_DOSE, where)
        minutes, span = v["injection_time"], self.time_range(table, where)
        if ("injection_time" in table) == ("injection_time_range" in table):
            self.problem(where, "give exactly one of injection_time and injection_time_range")
        dose, volume, source = v["dose"], v["volume"], v["source"]
        if None in (dose, volume, source) or (minutes is None and span is None):
            return None
        return cr.FixedDose(
            name, dose, volume, minutes, source, self.evidence(table), injection_time_range=span
        )

    def time_range(self, table: dict[str, Any], where: str) -> tuple[Quantity, Quantity] | None:
        """injection_time_range = ["2 min", "5 min"]: two times, the first below the second."""
        value = table.get("injection_time_range")
        if value is None:
            return None
        w = f"{where}.injection_time_range"
        if not isinstance(value, list) or len(value) != 2:
            self.problem(w, 'must be two times such as ["2 min", "5 min"]')
            return None
        low, high = (
            self.quantity({k: v}, k, s.INJECTION, w)
            for k, v in zip(("low", "high"), value, strict=True)
        )
        if low is None or high is None:
            return None
        if not low < high:
            self.problem(w, f"the first time must be below the second, got {value!r}")
            return None
        return (low, high)
