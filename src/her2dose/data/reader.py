"""The generic part of reading regimens.toml: one table against its declared fields.

A Reader collects every problem (entry.field: message) instead of stopping at the
first, so that the loader can report a broken file whole. The section readers build the
records; what a field may hold is declared in schema.py.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from her2dose import units
from her2dose.data import schema as s
from her2dose.errors import InputError
from her2dose.model import EVIDENCE_LEVELS, LABEL_EVIDENCE, Quantity


class Reader:
    """Primitives that read one value and report what is wrong with it."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.declared: dict[str, set[str]] = {}

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    # -- one table against its schema ---------------------------------------------------

    def read(self, table: dict[str, Any], spec: dict[str, s.Field], where: str) -> dict[str, Any]:
        """Every declared scalar field of `table`, parsed (None when missing or bad).

        Unknown fields are reported; tables, arrays and OTHER fields are left to the
        section's own code, which knows what they mean."""
        self.allowed(table, set(spec), where)
        out: dict[str, Any] = {}
        for key, f in spec.items():
            if isinstance(f.type, s.Measure):
                out[key] = self.quantity(table, key, f.type, where, required=f.required)
            elif f.type == s.TEXT:
                out[key] = self.text(table, key, where, required=f.required)
            elif f.type == s.FLAG:
                out[key] = self.flag(table, key, where)
            elif f.type == s.TEXTS:
                out[key] = self.texts(table, key, where)
            elif f.type == s.NUMBER:
                out[key] = self.number(table, key, where, f.bounds)
        return out

    def allowed(self, table: dict[str, Any], keys: set[str], where: str) -> None:
        """Report unknown fields. A table with a `source` also has its `evidence`."""
        if "source" in keys:
            keys = keys | {"evidence"}
            self.check_evidence(table, where)
        for key in table:
            if key not in keys:
                self.problem(
                    f"{where}.{key}",
                    f"unknown field; allowed fields are {', '.join(sorted(keys))}",
                )

    def check_evidence(self, table: dict[str, Any], where: str) -> None:
        value = table.get("evidence")
        # [policy] alone is local policy; every other fact rests on a document
        allowed = ("policy",) if where == "policy" else LABEL_EVIDENCE
        if value is None:
            self.problem(f"{where}.evidence", f"missing (one of {', '.join(allowed)})")
        elif value not in allowed:
            what = "is not one of" if value not in EVIDENCE_LEVELS else "is not allowed here; use"
            self.problem(f"{where}.evidence", f"{value!r} {what} {', '.join(allowed)}")

    @staticmethod
    def evidence(table: dict[str, Any]) -> str:
        """The table's evidence level for its record (checked by allowed())."""
        value = table.get("evidence")
        return value if isinstance(value, str) and value in EVIDENCE_LEVELS else ""

    # -- values -------------------------------------------------------------------------

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

    def choice(self, table: dict[str, Any], key: str, where: str, choices: Collection[str]) -> Any:
        """A required text that must be one of `choices`; None (reported) when it is not."""
        value = self.text(table, key, where)
        if value is not None and value not in choices:
            self.problem(f"{where}.{key}", f"'{value}' is not one of {', '.join(choices)}")
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

    def number(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        bounds: tuple[Decimal, Decimal] | None = None,
    ) -> Decimal | None:
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
        number = Decimal(str(value))
        if bounds is not None and not bounds[0] <= number <= bounds[1]:
            self.problem(
                f"{where}.{key}",
                f"{value!r} is outside the plausible range {bounds[0]}-{bounds[1]}",
            )
        return number

    def quantity(
        self,
        table: dict[str, Any],
        key: str,
        measure: s.Measure,
        where: str,
        *,
        required: bool = True,
    ) -> Quantity | None:
        kind = measure.kind
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
        self.plausible(q, value, measure, f"{where}.{key}")
        return q

    def plausible(self, q: Quantity, value: str, measure: s.Measure, where: str) -> None:
        """In the label's unit and inside the schema's range; reported, and still returned
        so that the rules between fields can run on it too."""
        if not any(q.units == units.unit(u) for u in measure.units):
            written = " or ".join(measure.units)
            self.problem(
                where,
                f"'{value}': {measure.what} is written in {written}, as the label writes it "
                f"(allowed range {measure.range_text()})",
            )
            return
        amount = units.magnitude(q, measure.units[0])
        if not measure.low <= amount <= measure.high:
            self.problem(
                where,
                f"'{value}' is outside the plausible range for {measure.what} "
                f"({measure.range_text()})",
            )

    def whole_days(
        self, table: dict[str, Any], key: str, measure: s.Measure, where: str, *, required=False
    ) -> Quantity | None:
        """A duration that dates can use: a whole number of days ('21 day', '52 week')."""
        q = self.quantity(table, key, measure, where, required=required)
        if q is not None and not self.require_whole_days(q, f"{where}.{key}"):
            return None
        return q

    def require_whole_days(self, q: Quantity, where: str) -> bool:
        days = q.m_as("day")
        if days != days.to_integral_value():
            self.problem(where, f"must be a whole number of days for dating doses, got {q:~}")
            return False
        return True
