"""The three batch commands: what each reads from a row, how it answers, what it writes.

`plan` plans a dose (the numbers of `plan --format json`), `check` double-checks an
ordered dose (those of `check --format json`), `next` says what is due when the patient is
here (those of `next --format json`). Each row is answered by the same function as the
single command, so that a batch and the command agree row by row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import MISSING, dataclass
from datetime import date
from typing import Any

from her2dose import __version__, render
from her2dose.errors import Her2DoseError, InputError
from her2dose.model import RegimenBook
from her2dose.model.plan import PlanRequest
from her2dose.model.records import fields
from her2dose.model.results import CheckRequest, NextRequest

STATUS_COLUMNS = ("status", "error")
VERSION_COLUMN = "her2dose_version"
# Every row of `--columns full` says which tool and which regimens file answered it; the
# file's path is left out (it differs between machines and says nothing about content).
DROPPED_FROM_FULL = ("regimens_file",)

# The default columns (README, "her2dose batch"): what a person reads in a spreadsheet.
# Stable: tests/batch/test_batch_columns.py pins them.
LEAN = {
    "plan": (
        "drug",
        "product",
        "indication",
        "phase",
        "level",
        "weight_kg",
        "dose_mg",
        "vials",
        "drug_volume_ml",
        "diluent",
        "bag_volume_ml",
        "total_volume_ml",
        "infusion_minutes",
        "rate_ml_per_h",
        "warnings",
    ),
    "check": (
        "drug",
        "indication",
        "phase",
        "weight_kg",
        "dose_input",
        "dose_mg",
        "verdict",
        "level",
        "level_name",
        "label_dose_mg",
        "difference_mg",
        "difference_pct",
        "tolerance_pct",
        "warnings",
    ),
    "next": (
        "drug",
        "product",
        "indication",
        "last_dose",
        "on",
        "due_status",
        "due_date",
        "days_late",
        "give_now",
        "action",
        "phase",
        "level",
        "dose",
        "dose_mg",
        "next_due_date",
        "warnings",
    ),
}

# Columns read as one number and one unit: where a decimal comma can hide.
QUANTITIES = {
    "plan": frozenset(
        {"weight", "baseline_weight", "round_to_vial_pct", "round_increment_mg"}
        | {"weight_change_pct", "open_vial_mg"}
    ),
    "check": frozenset({"weight", "dose", "tolerance"}),
    "next": frozenset({"weight"}),
}

# An input column whose name is not its request field's.
ALIASES = {"check": {"ordered_dose": "dose"}, "plan": {}, "next": {}}


@dataclass(frozen=True)
class Kind:
    """One batch command's input and output."""

    name: str
    request: type
    columns: dict[str, str]  # input column (normalised) -> request field
    required: tuple[str, ...]  # input columns that must be present
    quantities: frozenset[str]  # request fields read as quantities

    def column_of(self, field_name: str) -> str:
        for column, name in self.columns.items():
            if name == field_name:
                return column
        return field_name


def kind(name: str) -> Kind:
    request = {"plan": PlanRequest, "check": CheckRequest, "next": NextRequest}[name]
    aliases = ALIASES[name]
    by_field = {alias_field: column for column, alias_field in aliases.items()}
    columns = {by_field.get(f.name, f.name): f.name for f in fields(request)}
    required = tuple(
        by_field.get(f.name, f.name)
        for f in fields(request)
        if f.default is MISSING and f.default_factory is MISSING
    )
    return Kind(name, request, columns, required, QUANTITIES[name])


# --- errors in the words of a batch: columns, not flags ------------------------------------

_FLAG = re.compile(r"--([a-z][a-z0-9-]*)")


def column_words(message: str, batch_kind: Kind) -> str:
    """'choose one with --indication' -> "choose one with column 'indication'": a batch
    row has columns, not options."""

    def word(match: re.Match[str]) -> str:
        name = match.group(1).replace("-", "_")
        if name in batch_kind.columns.values():
            return f"column '{batch_kind.column_of(name)}'"
        return match.group(0)

    return _FLAG.sub(word, message)


# --- answers --------------------------------------------------------------------------------

# (the part shared by a combination's rows or None, the row's own part)
Answer = tuple[dict[str, Any] | None, dict[str, Any]]


def constants(book: RegimenBook) -> dict[str, Any]:
    """Values the same on every row: written in `full` rows, once in the summary else."""
    return {VERSION_COLUMN: __version__, "regimens_sha256": book.sha256}


def answerer(
    batch_kind: Kind, book: RegimenBook, today: date, columns: Collection[str] | None = None
) -> Callable[[Any], Answer]:
    """request -> Answer, for batch_kind. `columns`: the columns written (None: all); an
    answer may leave out of its own part the keys of no column but `warnings`."""
    if batch_kind.name == "plan":
        from her2dose.commands.planner import Planner

        planner = Planner(book)

        def plan(request: PlanRequest) -> Answer:
            return render.plan_record_parts(planner.plan(request), book.path, book.sha256)

        return plan
    if batch_kind.name == "check":
        return _check_answerer(book, columns)
    return _next_answerer(book, today, columns)


def _traced(record: dict[str, Any], book: RegimenBook) -> dict[str, Any]:
    """The regimens file's SHA-256 filled in, as the single command's JSON has it."""
    record["regimens_sha256"] = book.sha256
    return record


class _Shared:
    """The parts of records that many rows share, each made once: found by the identity
    of the objects it is made of (kept alive here, so that an id is never another
    object's) and by plain values. Bounded, so that memory stays flat."""

    KEPT = 4096

    def __init__(self) -> None:
        self.entries: dict[tuple[Any, ...], tuple[tuple[Any, ...], dict[str, Any]]] = {}

    def get(
        self, objects: tuple[Any, ...], values: tuple[Any, ...], make: Callable[[], dict]
    ) -> dict[str, Any]:
        key = (*map(id, objects), *values)
        entry = self.entries.get(key)
        if entry is None or any(a is not b for a, b in zip(entry[0], objects, strict=True)):
            if len(self.entries) >= self.KEPT:
                self.entries.clear()
            entry = self.entries[key] = (objects, make())
        return entry[1]


# Beside a check's verdict in a batch, from its `nearest` object (a spreadsheet cannot open
# an object): the nearest level's dose and the difference from it.
NEAREST_COLUMNS = {
    "label_dose_mg": "dose_mg",
    "difference_mg": "difference_mg",
    "difference_pct": "difference_pct",
}


def _check_answerer(
    book: RegimenBook, columns: Collection[str] | None
) -> Callable[[CheckRequest], Answer]:
    """Each row checked by a Checker (commands/check.py); the part of its record shared by
    a combination's rows made once per setup and tolerance, and of the rest only what is
    written (the nearest level's columns come from `nearest`)."""
    from her2dose.commands.check import Checker
    from her2dose.render.check import check_combination_dict, check_order_dict

    checker = Checker(book)
    shared = _Shared()
    keys = None if columns is None else {*columns, "nearest", "warnings"}

    def check(request: CheckRequest) -> Answer:
        setup, result = checker.check(request)
        combination = shared.get(
            (setup,),
            (result.tolerance_pct, result.tolerance_from),
            lambda: _with_nearest_columns(_traced(check_combination_dict(result), book)),
        )
        order = check_order_dict(result, keys)
        nearest = order["nearest"]
        for column, name in NEAREST_COLUMNS.items():
            order[column] = nearest[name]
        return combination, order

    return check


def _with_nearest_columns(combination: dict[str, Any]) -> dict[str, Any]:
    """check_combination_dict with the NEAREST_COLUMNS after level_name, per order."""
    out: dict[str, Any] = {}
    for key, value in combination.items():
        out[key] = value
        if key == "level_name":
            out.update(dict.fromkeys(NEAREST_COLUMNS))
    return out


def _next_answerer(
    book: RegimenBook, today: date, columns: Collection[str] | None
) -> Callable[[NextRequest], Answer]:
    """Each row answered by a NextPlanner (commands/next.py); the part of its record that
    next_shared_dict gives made once for each setup and kind of answer, the part the dates
    give once for each combination on its dates, and of the rest only what is written."""
    from her2dose.commands.next import NextPlanner
    from her2dose.render.next import (
        DOSE_KEYS,
        PREPARED_KEYS,
        next_dates_dict,
        next_dose_dict,
        next_patient_dict,
        next_shared_dict,
    )

    keys = tuple(k for k in DOSE_KEYS if columns is None or k in columns or k == "warnings")
    planner = NextPlanner(book, today, preparation=any(k in PREPARED_KEYS for k in keys))
    shared = _Shared()

    def answer(request: NextRequest) -> Answer:
        setup, dated, nd = planner.dated_next(request)
        common = shared.get(
            # what next_shared_dict reads besides the setup's choices
            (setup, nd.schedule, nd.phase, nd.dose_rate, nd.fixed_dose, nd.product, nd.reminders),
            (nd.status, nd.action, nd.rule_text, nd.rule_source),
            lambda: next_record(_traced(next_shared_dict(nd), book)),
        )
        if dated is None:  # a fixed dose: made whole for each row
            return common, next_patient_dict(nd)
        # the row's dates are those of every row of `dated`
        record = dated.remember("dates", lambda: next_dates_dict(nd)).copy()
        record.update(next_dose_dict(nd, keys))
        return common, record

    return answer


def next_record(record: dict[str, Any]) -> dict[str, Any]:
    """A next_dict (or next_shared_dict), its `status` (due, late, ...) named due_status:
    a batch row has a status of its own (ok or error)."""
    return {("due_status" if key == "status" else key): value for key, value in record.items()}


def full_columns(batch_kind: Kind, book: RegimenBook, today: date) -> list[str]:
    """Every key of the command's JSON, in its order, taken from an answer for the
    regimens file itself (keys added later become columns with no list to keep)."""
    answer = answerer(batch_kind, book, today)
    for request in _samples(batch_kind, book, today):
        try:
            combination, record = answer(request)
        except Her2DoseError:
            continue
        keys = list(combination if combination is not None else record)
        keys = [key for key in keys if key not in DROPPED_FROM_FULL]
        if VERSION_COLUMN not in keys:
            keys.insert(keys.index("regimens_sha256"), VERSION_COLUMN)
        return keys
    raise InputError(
        "regimens", f"the regimens file {book.path} gives no {batch_kind.name} to take columns from"
    )


def _samples(batch_kind: Kind, book: RegimenBook, today: date):
    for regimen in book.regimens.values():
        for product in book.products_of(regimen.molecule_id):
            schedule_name, schedule = next(iter(regimen.schedules.items()))
            phase = next(iter(schedule.phases))
            common = {"drug": product.id, "weight": "70 kg", "indication": regimen.indication}
            if batch_kind.name == "plan":
                yield PlanRequest(**common, schedule=schedule_name, phase=phase)
            elif batch_kind.name == "check":
                yield CheckRequest(**common, dose="100 mg", schedule=schedule_name, phase=phase)
            else:
                yield NextRequest(**common, last_dose=today.isoformat(), on=today.isoformat())


def chosen_columns(spec: str, batch_kind: Kind, full: list[str]) -> tuple[list[str], bool]:
    """--columns: 'lean' (the default), 'full', or a comma-separated list of full's
    columns. Returns the columns after status and error, and whether this is `full` (whose
    layout keeps pass-through columns where they were)."""
    text = spec.strip()
    if text.lower() == "lean":
        return list(LEAN[batch_kind.name]), False
    if text.lower() == "full":
        return full, True
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    known = set(full) | set(STATUS_COLUMNS)
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        raise InputError(
            "columns",
            f"--columns: unknown column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(u) for u in unknown) or '(none given)'}; give lean, full, or a "
            f"comma-separated list of: {', '.join(full)}",
        )
    seen: list[str] = []
    for name in wanted:
        if name not in seen and name not in STATUS_COLUMNS:
            seen.append(name)
    return seen, False
