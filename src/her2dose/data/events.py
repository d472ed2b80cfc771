"""Reader of [adverse_events.*]: the label's dose-modification tables.

Which rows may sit together (overlapping grades or LVEF readings, coverage of every
regimen) is a rule of its own, in rules.py.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from her2dose.data import rules as checks
from her2dose.data import schema as s
from her2dose.data.lookup import normalise
from her2dose.data.sections import CoreSections
from her2dose.model import Molecule, Regimen
from her2dose.model.adverse_events import (
    ACTIONS,
    CTCAE_GRADES,
    EVENT_INPUTS,
    OUTCOMES,
    AdverseEvents,
    Event,
    LvefCondition,
    NotEncoded,
    Range,
    Rule,
)


class EventSections(CoreSections):
    def adverse_events(
        self,
        section: dict[str, Any],
        molecules: dict[str, Molecule],
        regimens: dict[str, Regimen],
    ) -> dict[str, Any]:
        """[adverse_events.MOLECULE]: dose-modification rules."""
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
                tables[mid] = AdverseEvents(
                    mid, grading, events, names, source, self.evidence(table)
                )
        return tables

    def _ae_event(
        self, eid: str, table: Any, where: str, mid: str, regimens: dict[str, Regimen]
    ) -> Any:
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
        kind = self.choice(table, "input", where, EVENT_INPUTS)
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
        checks.event_coverage(self, where, kind, rules, not_encoded, mine)
        return Event(
            id=eid,
            name=name,
            synonyms=synonyms,
            input=kind,
            lln_default=lln,
            rules=tuple(r for _, r in rules),
            not_encoded=tuple(n for _, n in not_encoded),
            source=source,
            evidence=self.evidence(table),
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
                "interpretation",
                "not_encoded_part",
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
        action = self.choice(item, "action", where, ACTIONS)
        until = self.text(item, "until", where, required=False)
        condition = self.text(item, "condition", where, required=False)
        follow_up = self.text(item, "follow_up", where, required=False)
        resolved_within = self.quantity(item, "resolved_within", s.RESOLVED, where, required=False)
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
                [regimens[r] for r in scope if r in regimens]
                if scope
                else [r for r in regimens.values() if r.molecule_id == mid]
            )
            for r in targets:
                if not r.has_reductions:
                    self.problem(
                        f"{where}.action",
                        f"'reduce' but regimen '{r.id}' has no dose reduction levels",
                    )
        part = None
        part_table = self.table(item, "not_encoded_part", where, required=False)
        if part_table is not None:
            part = self._ae_not_encoded(part_table, f"{where}.not_encoded_part", kind, mid, {})
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
            evidence=self.evidence(item),
            interpretation=self.text(item, "interpretation", where, required=False),
            not_encoded_part=part,
        )

    def _ae_not_encoded(
        self,
        item: dict[str, Any],
        where: str,
        kind: str | None,
        mid: str,
        regimens: dict[str, Regimen],
    ) -> Any:
        # a rule's not_encoded_part names a situation, not grades or regimens of its own
        part = where.endswith(".not_encoded_part")
        keys = {"criterion", "reason", "see", "source"} | (
            set() if part else {"grades", "regimens"}
        )
        self.allowed(item, keys, where)
        grades = () if part else self._ae_grades(item, where, kind, required=False)
        criterion = self.text(item, "criterion", where, required=False)
        reason = self.text(item, "reason", where)
        see = self.text(item, "see", where)
        source = self.text(item, "source", where)
        scope = () if part else self._ae_scope(item, where, mid, regimens)
        if None in (reason, see, source):
            return None
        return NotEncoded(grades, criterion, reason, see, scope, source, self.evidence(item))

    def _ae_grades(
        self, item: dict[str, Any], where: str, kind: str | None, *, required: bool
    ) -> tuple[int, ...]:
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
            if rid not in regimens and rid in self.declared.get("regimens", ()):
                continue  # declared with problems of its own, already reported
            if rid not in regimens or regimens[rid].molecule_id != mid:
                self.problem(
                    f"{where}.regimens",
                    f"'{rid}' is not a regimen of molecule '{mid}'; known: {', '.join(mine)}",
                )
        return tuple(ids)

    def unlisted_adverse_events(
        self, section: dict[str, Any], tables: dict[str, AdverseEvents]
    ) -> dict[str, str]:
        """[unlisted_adverse_events]: `EVENT = [synonyms]`, adverse events that no table
        lists; normalised name or synonym -> the event's name."""
        listed = {
            key: f"event '{eid}' of adverse_events.{mid}"
            for mid, table in tables.items()
            for key, eid in table.names.items()
        }
        names: dict[str, str] = {}
        for name, synonyms in section.items():
            where = f"unlisted_adverse_events.{name}"
            if not isinstance(synonyms, list) or not all(
                isinstance(s, str) and s.strip() for s in synonyms
            ):
                self.problem(where, 'must be a list of synonyms (texts), e.g. ["emesis"] or []')
                continue
            for spelling in (name, *synonyms):
                key = normalise(spelling)
                if key in listed:
                    self.problem(
                        where,
                        f"'{spelling}' is a name of {listed[key]}: a table's event needs no "
                        "entry here",
                    )
                elif key in names and names[key] != name:
                    self.problem(where, f"'{spelling}' is also a name of '{names[key]}'")
                names[key] = name
        return names
