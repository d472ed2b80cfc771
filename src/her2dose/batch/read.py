"""Reading a batch: the input decoded, its format found, its header sorted into plan
options and pass-through columns, and its rows yielded one at a time."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from her2dose.batch import kinds
from her2dose.batch.kinds import STATUS_COLUMNS, Kind
from her2dose.errors import InputError

FIELD_LIMIT = 131_072  # the csv module's default cell limit: a longer cell fails its row
DUPLICATE = "\0duplicate"  # marks a JSON object with a key given twice


class UsageError(InputError):
    """The input as a whole cannot be read (no header, no drug column, ...): exit 2."""


def normalise_column(name: str) -> str:
    """'Baseline Weight', 'baseline-weight' and 'BASELINE_WEIGHT' name one option."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


@dataclass(frozen=True)
class Reading:
    """How to read the input's columns: the command's, and the user's choices."""

    kind: Kind
    output_columns: tuple[str, ...]  # names an input column may not have
    pass_through: frozenset[str] = frozenset()  # normalised names kept though near an option
    decimal_comma: bool = False


# --- reading ----------------------------------------------------------------------------


@dataclass
class Source:
    """The decoded input, with what was learnt from its first line."""

    lines: Iterator[str]
    format: str  # "csv" or "jsonl"
    bom: bool  # the input began with a UTF-8 byte-order mark (Excel's "CSV UTF-8")
    bytes_read: Callable[[], int]  # for the progress bar
    release: Callable[[], None] = lambda: None  # let go of the input stream, not closing it
    cells: Iterator[list[Any]] | None = None  # a worksheet's rows (format "xlsx")


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
    """A cell or JSON value as request text; blank means 'not given'."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        raise InputError(name, f"{name} must be text or a number, not {json.dumps(value)}")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):  # an Excel date cell
        if isinstance(value, datetime.datetime) and value.time() == datetime.time():
            return value.date().isoformat()
        return (
            value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
        )
    raise InputError(name, f"{name} must be text or a number, not {json.dumps(value)}")


# 72,5 | 0,5 | 1,234 | 1.234,5: a comma inside a number
_COMMA_NUMBER = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)+)(?![\d.,])")
_GROUPED = re.compile(r"\d{1,3}[.,]\d{3}")  # 1,234 or 1.234: thousands or a decimal?


def decimal_point(text: str, column: str, decimal_comma: bool) -> str:
    """A quantity cell with its decimal comma read, or an error: '72,5 kg' is refused
    unless --decimal-comma, and a cell that could be read two ways is always refused."""
    if "," not in text and not (decimal_comma and "." in text):
        return text

    def fix(match: re.Match[str]) -> str:
        number = match.group(1)
        if "," not in number and not decimal_comma:
            return number
        if number.count(",") + number.count(".") > 1 or (
            _GROUPED.fullmatch(number) and (decimal_comma or "," in number)
        ):
            raise InputError(
                column,
                f"column '{column}': '{text.strip()}' could be read two ways (a thousands "
                "separator or a decimal sign): write the number with no thousands separator "
                "and a decimal point, e.g. 1234 or 1.234",
            )
        if not decimal_comma:
            raise InputError(
                column,
                f"column '{column}': '{text.strip()}' has a decimal comma: use a decimal point "
                f"({text.strip().replace(',', '.')}), or --decimal-comma",
            )
        return number.replace(",", ".")

    return _COMMA_NUMBER.sub(fix, text)


def make_request(reading: Reading, options: dict[str, Any]) -> Any:
    """The command's request from option values by field name; fields not given keep
    their default."""
    values = {}
    quantities = reading.kind.quantities
    for name, value in options.items():
        if type(value) is not str:
            value = _cell_option(value, reading.kind.column_of(name))
        if value and not value.isspace():  # an empty or blank cell: the option is not given
            if name in quantities:
                value = decimal_point(value, reading.kind.column_of(name), reading.decimal_comma)
            values[name] = value
    for column in reading.kind.required:
        values.setdefault(reading.kind.columns[column], None)  # reported missing, by name
    return reading.kind.request(**values)


# --- layout: which input column goes where ------------------------------------------------


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 once it is known to be more than limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def near_option(key: str, options: Iterable[str]) -> str | None:
    """The option column `key` is probably a misspelling of: one or two edits away (one
    for short names, where two would reach unrelated words)."""
    best, best_distance = None, 3
    for option in options:
        limit = 1 if min(len(option), len(key)) <= 5 else 2
        distance = edit_distance(key, option, limit)
        if distance <= limit and distance < best_distance:
            best, best_distance = option, distance
    return best


@dataclass
class Layout:
    """Input columns (a CSV header, or one JSON object's keys) sorted into options and
    pass-through columns before and after the place of the first option."""

    columns: list[str]
    reading: Reading
    options: dict[str, int] = field(default_factory=dict)  # request field -> column index
    before: list[int] = field(default_factory=list)  # pass-through columns before the block
    after: list[int] = field(default_factory=list)  # and after it

    def __post_init__(self) -> None:
        if not isinstance(self.reading, Reading):  # output columns alone: a plan batch's
            self.reading = Reading(kinds.kind("plan"), tuple(self.reading))
        seen: dict[str, str] = {}
        kind = self.reading.kind
        taken = {c.lower() for c in (*STATUS_COLUMNS, *self.reading.output_columns)}
        for index, name in enumerate(self.columns):
            key = normalise_column(name)
            if key in seen:
                raise UsageError(
                    "input", f"columns '{seen[key]}' and '{name}' name the same thing; keep one"
                )
            seen[key] = name
            if key in kind.columns:
                self.options[kind.columns[key]] = index
                continue
            if name.strip().lower() in taken:
                raise UsageError(
                    "input",
                    f"input column '{name}' has the name of an output column; rename it "
                    f"(output columns: {', '.join(STATUS_COLUMNS)} and the keys of "
                    f"{kind.name} --format json)",
                )
            near = near_option(key, kind.columns)
            if near is not None and key not in self.reading.pass_through:
                raise UsageError(
                    "input",
                    f"column '{name}' is not a column of batch {kind.name}; did you mean "
                    f"'{near}'? Rename it, or give --pass-through '{name}' to keep it as a "
                    "column of your own",
                )
            (self.after if self.options else self.before).append(index)

    def require_options(self) -> None:
        kind = self.reading.kind
        missing = [c for c in kind.required if kind.columns[c] not in self.options]
        if missing:
            raise UsageError(
                "input",
                f"the input has no {' or '.join(repr(m) for m in missing)} column; input "
                f"columns of batch {kind.name} (any case) are {', '.join(kind.columns)}, and "
                "any other column is passed through",
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
    options: dict[str, Any]  # request field -> cell or JSON value
    problem: str | None = None  # the row could not be read: it fails with this message


@contextmanager
def wide_cells() -> Iterator[None]:
    """Let the csv module read any cell: one over FIELD_LIMIT fails its own row (the
    module's own error would end the whole batch)."""
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def csv_rows(source: Source, reading: Reading) -> tuple[Layout, Iterator[Row], str]:
    """The header's layout (checked), the rows, and the delimiter. Read inside
    wide_cells()."""
    first = next(source.lines)
    delimiter = sniff_delimiter(first)
    reader = csv.reader(itertools.chain([first], source.lines), delimiter=delimiter)
    layout = Layout(next(reader), reading)
    layout.require_options()
    return layout, _csv_body(reader, layout), delimiter


def table_rows(cells: Iterator[list[Any]], reading: Reading) -> tuple[Layout, Iterator[Row]]:
    """Rows of cells (a worksheet's) whose first non-blank row is the header."""
    for header in cells:
        if any(cell not in (None, "") for cell in header):
            break
    else:
        raise UsageError("input", "the sheet is empty: expected a header row")
    names = ["" if cell is None else str(cell) for cell in header]
    while names and not names[-1]:
        names.pop()
    layout = Layout(names, reading)
    layout.require_options()
    return layout, _csv_body(cells, layout, text=False)


def _filled(cell: Any) -> bool:
    return bool(cell.strip()) if type(cell) is str else cell is not None


def _csv_body(reader: Iterator[list[Any]], layout: Layout, text: bool = True) -> Iterator[Row]:
    """Rows of cells: CSV's (all text) or a worksheet's (text, numbers, dates, None)."""
    width = len(layout.columns)
    for number, cells in enumerate(reader, start=1):
        if text and max(map(len, cells), default=0) > FIELD_LIMIT:
            yield _too_long(number, cells, layout)
        elif len(cells) == width and (
            (cells[0].strip() if text else _filled(cells[0])) or any(map(_filled, cells))
        ):
            yield layout.row(number, cells)
        elif not any(map(_filled, cells)):
            yield Row(number, [], [], {}, problem=BLANK)
        elif len(cells) < width:  # a short row: the missing cells are empty
            yield layout.row(number, list(cells) + [""] * (width - len(cells)))
        else:
            row = layout.row(number, cells)
            row.problem = f"the row has {len(cells)} cells but the header has {width} columns"
            yield row


def _too_long(number: int, cells: list[str], layout: Layout) -> Row:
    width = len(layout.columns)
    row = layout.row(number, (cells + [""] * width)[:width])
    index = next(i for i, cell in enumerate(cells) if len(cell) > FIELD_LIMIT)
    column = layout.columns[index] if index < width else f"cell {index + 1}"
    row.problem = (
        f"column '{column}' has a cell of {len(cells[index]):,} characters, over the "
        f"limit of {FIELD_LIMIT:,}"
    )
    return row


def jsonl_rows(source: Source, reading: Reading) -> tuple[Layout, Iterator[Row]]:
    """The layout of the first line that is a JSON object (checked: CSV output takes its
    columns from it), and the rows. Lines before it that are not objects fail their own
    rows; a file with no object at all has no pass-through columns."""
    lines = (line for line in source.lines if line.strip())
    bad: list[Row] = []
    layout = Layout([], reading)
    rest: Iterable[str] = ()
    for number, line in enumerate(lines, start=1):
        obj = _json_object(line)
        if isinstance(obj, str):
            bad.append(Row(number, [], [], {}, problem=f"the line is not a JSON object ({obj})"))
            continue
        layout = Layout(list(obj), reading)
        rest = itertools.chain([line], lines)
        break
    return layout, itertools.chain(bad, _jsonl_body(rest, reading, len(bad) + 1))


def _jsonl_body(lines: Iterable[str], reading: Reading, start: int) -> Iterator[Row]:
    layouts: dict[tuple[str, ...], Layout | str] = {}
    for number, line in enumerate(lines, start=start):
        obj = _json_object(line)
        if isinstance(obj, str):
            yield Row(number, [], [], {}, problem=f"the line is not a JSON object ({obj})")
            continue
        keys = tuple(obj)
        layout = layouts.get(keys)
        if layout is None:  # lines of one shape share a layout, checked once
            try:
                layout = Layout(list(keys), reading)
            except UsageError as error:
                layout = str(error)
            if len(layouts) >= 256:
                layouts.clear()
            layouts[keys] = layout
        if isinstance(layout, str):
            yield Row(number, [], [], {}, problem=layout)
            continue
        yield layout.row(number, list(obj.values()))


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        return {DUPLICATE: twice}
    return obj


def _json_object(line: str) -> dict[str, Any] | str:
    """The object on a line, or what is wrong with the line."""
    if len(line) > FIELD_LIMIT * 8:
        return f"the line is over {FIELD_LIMIT * 8:,} characters"
    try:
        obj = json.loads(line, object_pairs_hook=_pairs)
    except (ValueError, RecursionError) as error:
        return str(error) if isinstance(error, ValueError) else "nested too deeply"
    if not isinstance(obj, dict):
        return f"a JSON {type(obj).__name__}, not an object"
    if DUPLICATE in obj:
        return f"key '{obj[DUPLICATE]}' appears twice; give each key once"
    return obj


BLANK = "blank row"  # a row with no cell filled in: skipped, not planned


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
