"""her2dose batch: a plan for every row of a CSV or JSON Lines file, streamed.

Rows are read one at a time and written as soon as they are planned, so memory does not
grow with the file. Each row becomes a `plan.PlanRequest` by column name (every field of
PlanRequest is a column, so options that later issues add are picked up by themselves),
is planned by `plan.Planner` (compute_plan's two parts, each combination worked out once)
and rendered by `render.plan_record_parts` (plan_record's two parts, each combination's
rendered once): a row's numbers are those of `plan --format json`.

Output columns (README, "her2dose batch"): the input's other columns stay where they
were; the option columns are replaced, at the place of the first of them, by `status`,
`error` and the keys of `plan --format json` in their order.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from her2dose import render
from her2dose.commands.plan import Planner
from her2dose.errors import Her2DoseError, InputError, OutputError, internal_error_message
from her2dose.model import RegimenBook
from her2dose.model.plan import PlanRequest

STATUS_COLUMNS = ("status", "error")
OPTION_FIELDS = tuple(f.name for f in fields(PlanRequest))
REQUIRED_FIELDS = tuple(
    f.name for f in fields(PlanRequest) if f.default is MISSING and f.default_factory is MISSING
)
FAILURES_SHOWN = 5  # failed rows listed on stderr


class UsageError(InputError):
    """The input as a whole cannot be read (no header, no drug column, ...): exit 2."""


def normalise_column(name: str) -> str:
    """'Baseline Weight', 'baseline-weight' and 'BASELINE_WEIGHT' name one option."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


# --- reading ----------------------------------------------------------------------------


@dataclass
class Source:
    """The decoded input, with what was learnt from its first line."""

    lines: Iterator[str]
    format: str  # "csv" or "jsonl"
    bom: bool  # the input began with a UTF-8 byte-order mark (Excel's "CSV UTF-8")
    bytes_read: Callable[[], int]  # for the progress bar
    release: Callable[[], None] = lambda: None  # let go of the input stream, not closing it


def open_source(binary: IO[bytes], input_format: str | None) -> Source:
    """Decode UTF-8 (with or without a BOM) and find the format if not given: JSON Lines
    when the first non-blank character is '{', else CSV."""
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    try:
        return _open_source(text, binary, input_format)
    except BaseException as error:
        text.detach()  # the caller closes `binary` (or leaves stdin open)
        if isinstance(error, UnicodeDecodeError):
            raise UsageError(
                "input", "the input is not UTF-8 text: save it as 'CSV UTF-8' or convert it"
            ) from None
        raise


def _open_source(text: io.TextIOWrapper, binary: IO[bytes], input_format: str | None) -> Source:
    lines = iter(text)
    first = next(lines, "")
    bom = first.startswith("\ufeff")
    first = first.removeprefix("\ufeff")
    while first and not first.strip():  # leading blank lines are not the header
        first = next(lines, "")
    if not first:
        raise UsageError("input", "the input is empty: expected a header row (CSV) or JSON Lines")
    if input_format is None:
        input_format = "jsonl" if first.lstrip().startswith("{") else "csv"

    def bytes_read() -> int:
        try:
            return binary.tell()
        except (OSError, ValueError):
            return 0

    return Source(itertools.chain([first], lines), input_format, bom, bytes_read, text.detach)


def sniff_delimiter(header_line: str) -> str:
    """Comma or semicolon (what Excel writes where the comma is the decimal sign): the one
    that splits the header into more columns; comma on a tie."""
    commas = next(csv.reader([header_line], delimiter=","), [])
    semicolons = next(csv.reader([header_line], delimiter=";"), [])
    return ";" if len(semicolons) > len(commas) else ","


def _cell_option(value: Any, name: str) -> str | None:
    """A cell or JSON value as PlanRequest text; blank means 'not given'."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise InputError(name, f"{name} must be text or a number, not {json.dumps(value)}")


def make_request(options: dict[str, Any]) -> PlanRequest:
    """PlanRequest from option values by field name; fields not given keep their default."""
    values = {}
    for name, value in options.items():
        if type(value) is not str:
            value = _cell_option(value, name)
        if value and not value.isspace():  # an empty or blank cell: the option is not given
            values[name] = value
    for name in REQUIRED_FIELDS:
        values.setdefault(name, None)  # plan reports it missing, naming the field
    return PlanRequest(**values)


# --- layout: which input column goes where ------------------------------------------------


@dataclass
class Layout:
    """Input columns (a CSV header, or one JSON object's keys) sorted into options and
    pass-through columns before and after the place of the first option."""

    columns: list[str]
    plan_columns: list[str]
    options: dict[str, int] = field(default_factory=dict)  # option field -> column index
    before: list[int] = field(default_factory=list)  # pass-through columns before the block
    after: list[int] = field(default_factory=list)  # and after it

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        taken = {c.lower() for c in (*STATUS_COLUMNS, *self.plan_columns)}
        for index, name in enumerate(self.columns):
            key = normalise_column(name)
            if key in seen:
                raise UsageError(
                    "input", f"columns '{seen[key]}' and '{name}' name the same thing; keep one"
                )
            seen[key] = name
            if key in OPTION_FIELDS:
                self.options[key] = index
            elif name.strip().lower() in taken:
                raise UsageError(
                    "input",
                    f"input column '{name}' has the name of an output column; rename it "
                    f"(output columns: {', '.join(STATUS_COLUMNS)} and the keys of "
                    "plan --format json)",
                )
            else:
                (self.after if self.options else self.before).append(index)

    def require_options(self) -> None:
        missing = [name for name in REQUIRED_FIELDS if name not in self.options]
        if missing:
            raise UsageError(
                "input",
                f"the input has no {' or '.join(repr(m) for m in missing)} column; option "
                f"columns (any case) are {', '.join(OPTION_FIELDS)}, and any other column is "
                "passed through",
            )

    def row(self, number: int, values: list[Any]) -> Row:
        return Row(
            number,
            [(self.columns[i], values[i]) for i in self.before],
            [(self.columns[i], values[i]) for i in self.after],
            {name: values[i] for name, i in self.options.items()},
        )


@dataclass(slots=True)
class Row:
    number: int  # 1 = the first row after the header (CSV) or the first line (JSON Lines)
    before: list[tuple[str, Any]]  # pass-through (column, value) pairs, in input order
    after: list[tuple[str, Any]]
    options: dict[str, Any]  # PlanRequest field -> cell or JSON value
    problem: str | None = None  # the row could not be read: it fails with this message


def plan_columns(planner: Planner) -> list[str]:
    """The keys of `plan --format json`, taken from a plan of the regimens file itself, so
    that keys later issues add to render.plan_dict become columns with no list to keep."""
    book = planner.book
    for regimen in book.regimens.values():
        for product in book.products_of(regimen.molecule_id):
            schedule_name, schedule = next(iter(regimen.schedules.items()))
            request = PlanRequest(
                drug=product.id,
                weight="70 kg",
                indication=regimen.indication,
                schedule=schedule_name,
                phase=next(iter(schedule.phases)),
            )
            try:
                return list(render.plan_record(planner.plan(request), book.path, book.sha256))
            except Her2DoseError:
                continue
    raise UsageError(
        "regimens", f"the regimens file {book.path} gives no plan to take columns from"
    )


def csv_rows(source: Source, plan_columns: list[str]) -> tuple[Layout, Iterator[Row], str]:
    """The header's layout (checked), the rows, and the delimiter."""
    first = next(source.lines)
    delimiter = sniff_delimiter(first)
    reader = csv.reader(itertools.chain([first], source.lines), delimiter=delimiter)
    layout = Layout(next(reader), plan_columns)
    layout.require_options()
    return layout, _csv_body(reader, layout), delimiter


def _csv_body(reader: Iterator[list[str]], layout: Layout) -> Iterator[Row]:
    width = len(layout.columns)
    for number, cells in enumerate(reader, start=1):
        if len(cells) == width and (cells[0].strip() or any(cell.strip() for cell in cells)):
            yield layout.row(number, cells)
        elif not any(cell.strip() for cell in cells):
            yield Row(number, [], [], {}, problem=BLANK)
        elif len(cells) < width:  # a short row: the missing cells are empty
            yield layout.row(number, cells + [""] * (width - len(cells)))
        else:
            row = layout.row(number, cells)
            row.problem = f"the row has {len(cells)} cells but the header has {width} columns"
            yield row


def jsonl_rows(source: Source, plan_columns: list[str]) -> tuple[Layout, Iterator[Row]]:
    """The first line's layout (checked: CSV output takes its columns from it), the rows."""
    lines = (line for line in source.lines if line.strip())
    first = next(lines)
    obj = _json_object(first)
    if isinstance(obj, str):
        raise UsageError(
            "input",
            f"line 1 is not a JSON object ({obj}); JSON Lines input has one object "
            "per line, CSV input a header row",
        )
    layout = Layout(list(obj), plan_columns)
    return layout, _jsonl_body(itertools.chain([first], lines), plan_columns)


def _jsonl_body(lines: Iterable[str], plan_columns: list[str]) -> Iterator[Row]:
    for number, line in enumerate(lines, start=1):
        obj = _json_object(line)
        if isinstance(obj, str):
            yield Row(number, [], [], {}, problem=f"the line is not a JSON object ({obj})")
            continue
        try:
            layout = Layout(list(obj), plan_columns)
        except UsageError as error:
            yield Row(number, [], [], {}, problem=str(error))
            continue
        yield layout.row(number, list(obj.values()))


def _json_object(line: str) -> dict[str, Any] | str:
    """The object on a line, or what is wrong with the line."""
    try:
        obj = json.loads(line)
    except ValueError as error:
        return str(error)
    return obj if isinstance(obj, dict) else f"a JSON {type(obj).__name__}, not an object"


BLANK = "blank row"  # a row with no cell filled in: skipped, not planned


# --- writing ------------------------------------------------------------------------------


class CsvWriter:
    """Header once, then one row per input row. Cells are render.csv_cell's: numbers as
    numbers, text neutralised (OWASP CSV injection guidance) and quoted.

    Writes exactly what csv.writer(quoting=QUOTE_NONNUMERIC) would write for those cells
    (text quoted with doubled quotes, numbers bare, rows ending CRLF), but quotes each
    distinct text once: a plan row repeats kilobytes of label text, and neutralising and
    quoting it afresh on every row cost more than planning the row. tests/test_batch.py
    checks the two agree."""

    TEXTS_KEPT = 8192  # distinct texts remembered; memory stays flat however many rows

    def __init__(
        self, output: IO[str], layout: Layout, plan_columns: list[str], delimiter: str, bom: bool
    ) -> None:
        self.before = [layout.columns[i] for i in layout.before]
        self.after = [layout.columns[i] for i in layout.after]
        self.known = {*self.before, *self.after}
        self.check_columns = True  # run() turns it off for CSV input
        self.output = output
        self.delimiter = delimiter
        self.texts: dict[str, str] = {}  # text -> its cell, neutralised and quoted
        self.lists: dict[tuple[str, Any], str] = {}  # _frozen(key, value) -> its cell
        # id(combination record) -> (that record, its per-patient keys, the row's format)
        self.templates: dict[int, tuple[dict[str, Any], tuple[str, ...], str]] = {}
        # (id(list or object), key) -> (it, its cell): render shares some between rows
        # (use-by times of a run); the object is kept alive so that its id stays its own
        self.objects: dict[tuple[int, str], tuple[Any, str]] = {}
        self.booleans = {True: self.text("true"), False: self.text("false")}
        self.empty = self.text("")
        self.blank_plan = [self.text("")] * len(plan_columns)
        if bom:  # the input came from Excel's "CSV UTF-8": so does the output
            output.write("\ufeff")
        self.line(
            [self.text(c) for c in (*self.before, *STATUS_COLUMNS, *plan_columns, *self.after)]
        )

    def text(self, value: str) -> str:
        cell = self.texts.get(value)
        if cell is None:
            if len(self.texts) >= self.TEXTS_KEPT:
                self.texts.clear()
            cell = self.texts[value] = '"' + render.neutralise(value).replace('"', '""') + '"'
        return cell

    def passthrough(self, value: Any) -> str:
        """A pass-through cell: an order id or MRN is new on every row, so not remembered."""
        if type(value) is str:
            return '"' + render.neutralise(value).replace('"', '""') + '"'
        return self.cell("", value)

    def cell(self, key: str, value: Any) -> str:
        """render.csv_cell(key, value), written out; the common kinds inline."""
        kind = type(value)
        if kind is str:
            return self.texts.get(value) or self.text(value)
        if kind is int or kind is float:
            return str(value)
        converted = render.csv_cell(key, value)
        return self.text(converted) if type(converted) is str else str(converted)

    def line(self, cells: list[str]) -> None:
        self.output.write(self.delimiter.join(cells) + "\r\n")

    def problem(self, row: Row) -> str | None:
        """Columns are fixed by the header (or the first JSON line): a later JSON line with
        another pass-through key cannot be written without losing it."""
        if not self.check_columns:  # CSV input: every row has the header's columns
            return None
        for name, _ in itertools.chain(row.before, row.after):
            if name not in self.known:
                return (
                    f"key '{name}' is not in the first line; CSV output takes its columns "
                    "from the first line (or write --format jsonl)"
                )
        return None

    def template(
        self, combination: dict[str, Any], patient: dict[str, Any]
    ) -> tuple[tuple[str, ...], str]:
        """For the plans of one combination: the keys whose cells change from row to row
        (those of `patient`), and a str.format pattern of the whole line with the status
        and the combination's cells written in, once, and a {} for each pass-through cell
        and each of those keys."""
        entry = self.templates.get(id(combination))
        if entry is not None and entry[0] is combination:  # the same object, kept alive here
            return entry[1], entry[2]
        keys = tuple(key for key in combination if key in patient)
        parts = ["{}"] * len(self.before) + [self.text("ok"), self.text("")]
        for key, value in combination.items():
            parts.append(
                "{}"
                if key in patient
                else self.cell(key, value).replace("{", "{{").replace("}", "}}")
            )
        parts += ["{}"] * len(self.after)
        pattern = self.delimiter.join(parts) + "\r\n"
        if len(self.templates) >= self.TEXTS_KEPT:
            self.templates.clear()
        self.templates[id(combination)] = (combination, keys, pattern)
        return keys, pattern

    def write(
        self,
        row: Row,
        record: dict[str, Any] | None,
        error: str | None,
        combination: dict[str, Any] | None = None,
    ) -> None:
        """One output row. `record` is plan_record's object, or, when `combination` is
        given, its per-patient part only (render.plan_record_parts)."""
        cell, passthrough = self.cell, self.passthrough
        if (
            not self.check_columns
            and len(row.before) == len(self.before)
            and len(row.after) == len(self.after)
        ):  # CSV input: the header's columns
            cells = [passthrough(value) for _, value in row.before]
            after = [passthrough(value) for _, value in row.after]
        elif row.before or row.after:
            values = dict(row.before)
            values.update(row.after)
            cells = [passthrough(values.get(name, "")) for name in self.before]
            after = [passthrough(values.get(name, "")) for name in self.after]
        else:
            cells = [self.text("")] * len(self.before)
            after = [self.text("")] * len(self.after)
        if record is None:
            cells += (self.text("error"), self.text(error or ""), *self.blank_plan)
        elif combination is not None:
            keys, pattern = self.template(combination, record)
            values = cells  # the pass-through cells before the plan's, then its own
            texts, empty, value_cell = self.texts, self.empty, self.value
            for key in keys:  # value(), its common kinds inlined: this runs for every cell
                value = record[key]
                kind = type(value)
                if kind is float or kind is int:
                    values.append(value)  # str.format writes str(value), as cell() does
                elif value is None:
                    values.append(empty)
                elif kind is str:
                    values.append(texts.get(value) or self.text(value))
                else:
                    values.append(value_cell(key, value))
            values += after
            self.output.write(pattern.format(*values))  # the whole line in one piece
            return
        else:
            cells += (self.text("ok"), self.text(""))
            texts, lists = self.texts, self.lists
            for key, value in record.items():  # cell(), inlined: this runs for every cell
                kind = type(value)
                if kind is str:
                    cells.append(texts.get(value) or self.text(value))
                elif kind is int or kind is float:
                    cells.append(str(value))
                elif value is None:
                    cells.append(self.empty)
                else:  # lists and objects: the same few recur, so each is written once
                    frozen = _frozen(key, value)
                    text = lists.get(frozen) if frozen is not None else None
                    if text is None:
                        text = cell(key, value)
                        if frozen is not None:
                            if len(lists) >= self.TEXTS_KEPT:
                                lists.clear()
                            lists[frozen] = text
                    cells.append(text)
        cells += after
        self.line(cells)

    def value(self, key: str, value: Any) -> str:
        """cell(key, value), with lists and objects remembered (the same few recur)."""
        kind = type(value)
        if kind is str:
            return self.texts.get(value) or self.text(value)
        if kind is int or kind is float:
            return str(value)
        if value is None:
            return self.empty
        if kind is bool:
            return self.booleans[value]
        if kind is list and not value:
            return self.empty
        if kind is list and all(type(item) is str for item in value):
            # notes, sources: a new list on every row, of few distinct values
            memo_key = (key, tuple(value))
            text = self.lists.get(memo_key)
            if text is None:
                text = self.cell(key, value)
                if len(self.lists) >= self.TEXTS_KEPT:
                    self.lists.clear()
                self.lists[memo_key] = text
            return text
        # render shares some lists and objects between rows (a combination's vials, a
        # run's use-by times): by identity first, then by value where that is exact
        entry = self.objects.get((id(value), key))
        if entry is not None and entry[0] is value:
            return entry[1]
        frozen = _frozen(key, value)
        text = self.lists.get(frozen) if frozen is not None else None
        if text is None:
            text = self.cell(key, value)
            if frozen is not None:
                if len(self.lists) >= self.TEXTS_KEPT:
                    self.lists.clear()
                self.lists[frozen] = text
        if len(self.objects) >= self.TEXTS_KEPT:
            self.objects.clear()
        self.objects[id(value), key] = (value, text)
        return text


def _frozen(key: str, value: Any) -> tuple[Any, ...] | None:
    """A memo key for a list or object cell, or None when it gets no memo. Exact: a list of
    texts; the known shapes of render.CSV_TEXT (whose numbers plan_dict writes one way
    only: a whole number is always an int). Anything else (1 and 1.0 would be one key)
    is converted afresh."""
    if type(value) is list and all(type(item) is str for item in value):
        return key, tuple(value)
    if key not in render.CSV_TEXT:
        return None
    try:
        if type(value) is dict:
            frozen = tuple(value.items())
        else:
            frozen = tuple([tuple(item.items()) if type(item) is dict else item for item in value])
        hash(frozen)
    except (TypeError, AttributeError):
        return None
    return key, frozen


class JsonLinesWriter:
    """One JSON object per line: pass-through keys where they were, then status, error and
    the keys of plan --format json (null on a failed row)."""

    def __init__(self, output: IO[str], plan_columns: list[str]) -> None:
        self.output = output
        self.blank_plan = dict.fromkeys(plan_columns)

    def problem(self, row: Row) -> str | None:
        return None

    def write(
        self,
        row: Row,
        record: dict[str, Any] | None,
        error: str | None,
        combination: dict[str, Any] | None = None,
    ) -> None:
        obj = dict(row.before)
        obj["status"] = "ok" if record is not None else "error"
        obj["error"] = error
        if combination is not None:
            obj.update(combination)
        obj.update(record if record is not None else self.blank_plan)
        obj.update(row.after)
        self.output.write(json.dumps(obj, ensure_ascii=False) + "\n")


# --- the run ------------------------------------------------------------------------------


@dataclass
class Report:
    """What the summary line says, and the exit code."""

    rows: int = 0
    ok: int = 0
    failed: int = 0
    warned: int = 0
    skipped: int = 0  # blank rows
    failures: list[str] = field(default_factory=list)  # the first few, for stderr
    elapsed: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        parts = [f"{self.rows} rows", f"{self.ok} ok", f"{self.failed} failed"]
        if self.warned:
            parts.append(f"{self.warned} with warnings")
        if self.skipped:
            parts.append(f"{self.skipped} blank rows skipped")
        rate = f" ({self.rows / self.elapsed:,.0f} rows/s)" if self.elapsed > 0 else ""
        return f"batch: {', '.join(parts)} in {self.elapsed:.2f} s{rate}"

    def fail(self, row: Row, message: str) -> None:
        self.failed += 1
        if len(self.failures) < FAILURES_SHOWN:
            self.failures.append(f"row {row.number}: {message}")


def run(
    book: RegimenBook,
    source: Source,
    output: IO[str],
    output_format: str,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Plan every row of `source` into `output`. Raises UsageError, before writing
    anything, when the input as a whole is unusable."""
    started = time.perf_counter()
    planner = Planner(book)
    columns = plan_columns(planner)
    report = Report()
    try:
        delimiter = ","
        if source.format == "csv":
            layout, rows, delimiter = csv_rows(source, columns)
        else:
            layout, rows = jsonl_rows(source, columns)
        writer: CsvWriter | JsonLinesWriter
        if output_format == "csv":
            writer = CsvWriter(output, layout, columns, delimiter, source.bom)
            writer.check_columns = source.format == "jsonl"
        else:
            writer = JsonLinesWriter(output, columns)
        # What exists before the rows (the regimens book, the unit registry, the modules)
        # outlives the run: the cycle collector need not walk it again at each of its full
        # collections (a few percent of a large batch's time). Undone afterwards.
        gc.freeze()
        try:
            _run_rows(planner, book, rows, writer, report, source, progress)
        finally:
            gc.unfreeze()
    except UnicodeDecodeError:
        raise UsageError(
            "input",
            f"the input is not UTF-8 text (after row {report.rows + report.skipped}); "
            "save it as 'CSV UTF-8' or convert it",
        ) from None
    except csv.Error as error:
        raise UsageError(
            "input", f"the CSV cannot be read after row {report.rows + report.skipped}: {error}"
        ) from None
    report.elapsed = time.perf_counter() - started
    return report


def _run_rows(
    planner: Planner,
    book: RegimenBook,
    rows: Iterator[Row],
    writer: CsvWriter | JsonLinesWriter,
    report: Report,
    source: Source,
    progress: Callable[[int], None] | None,
) -> None:
    for row in rows:
        if progress is not None and row.number % 1000 == 0:
            progress(source.bytes_read())
        if row.problem is BLANK:
            report.skipped += 1
            continue
        report.rows += 1
        combination, record, error = None, None, row.problem or writer.problem(row)
        if error is None:
            combination, record, error = _plan_row(planner, book, row)
        if record is None:
            report.fail(row, error)
        else:
            report.ok += 1
            report.warned += bool(record["warnings"])
        writer.write(row, record, error, combination)


def _plan_row(
    planner: Planner, book: RegimenBook, row: Row
) -> tuple[dict | None, dict | None, str | None]:
    """(the plan record's two parts, None), render.plan_record_parts, or (None, None, the
    message `plan` would print after 'error: ')."""
    try:
        request = make_request(row.options)
        combination, patient = render.plan_record_parts(
            planner.plan(request), book.path, book.sha256
        )
        return combination, patient, None
    except Her2DoseError as error:
        return None, None, str(error)
    except Exception as error:  # a bug: this row fails, the others go on
        if os.environ.get("HER2DOSE_DEBUG"):
            raise
        return None, None, internal_error_message(error)


# --- files: what the command does around `run` --------------------------------------------


def output_format_for(output: str, input_format: str) -> str:
    """--format when not given: from OUTPUT's extension, else the input's format."""
    suffix = os.path.splitext(output)[1].lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return input_format


def check_paths(input_path: str, output_path: str) -> None:
    """Refuse, before anything is written, to write over the input or into a folder."""
    if output_path == "-":
        return
    if os.path.isdir(output_path):
        raise UsageError("output", f"output '{output_path}' is a folder; give a file name")
    if (
        input_path != "-"
        and os.path.exists(output_path)
        and os.path.exists(input_path)
        and os.path.samefile(input_path, output_path)
    ):
        raise UsageError(
            "output",
            f"output '{output_path}' is the input file; her2dose will not write "
            "over its input: choose another output name",
        )


@contextmanager
def input_stream(path: str) -> Iterator[tuple[IO[bytes], int | None]]:
    """The input as bytes, and its size when it is a file (for the progress bar)."""
    if path == "-":
        yield sys.stdin.buffer, None
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError("input", f"cannot read '{path}': {exc.strerror or exc}") from None
    with handle:
        yield handle, os.fstat(handle.fileno()).st_size


@contextmanager
def output_stream(path: str) -> Iterator[IO[str]]:
    """stdout, or a temporary file beside OUTPUT renamed into place only when the run
    completes: an interrupted or failed run leaves nothing under the output name."""
    if path == "-":
        sys.stdout.flush()
        # UTF-8 whatever the locale says, and no newline translation (CSV ends rows CRLF)
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            try:
                yield stream
                stream.flush()
            finally:
                stream.detach()  # leave sys.stdout open
        except BrokenPipeError:  # `her2dose batch ... | head`: the reader went away
            _silence_stdout()
            raise OutputError(
                "stdout was closed before the batch finished (broken pipe): the output is "
                "incomplete"
            ) from None
        return
    with render.atomic_output(Path(path), newline="") as handle:
        yield handle


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit does not fail too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


@contextmanager
def progress_bar(total: int | None) -> Iterator[Callable[[int], None] | None]:
    """A Rich progress bar on stderr, by bytes of input read (Rich is imported only here)."""
    if total is None:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    with Progress(
        "batch",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("rows", total=total)
        yield lambda done: progress.update(task, completed=done)


def run_files(
    book: RegimenBook,
    input_path: str,
    output_path: str,
    input_format: str | None,
    output_format: str | None,
    show_progress: bool,
) -> Report:
    """`her2dose batch`: INPUT to OUTPUT ('-' for stdin/stdout)."""
    check_paths(input_path, output_path)
    with input_stream(input_path) as (binary, size):
        source = open_source(binary, input_format)
        try:
            chosen = output_format or output_format_for(output_path, source.format)
            with (
                output_stream(output_path) as output,
                progress_bar(size if show_progress else None) as progress,
            ):
                return run(book, source, output, chosen, progress)
        finally:
            source.release()
