"""Reading a batch: the input decoded, its format found, its header sorted into plan
options and pass-through columns, and its rows yielded one at a time."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, field, fields
from typing import IO, Any

from her2dose.errors import InputError
from her2dose.model.plan import PlanRequest

STATUS_COLUMNS = ("status", "error")
OPTION_FIELDS = tuple(f.name for f in fields(PlanRequest))
REQUIRED_FIELDS = tuple(
    f.name for f in fields(PlanRequest) if f.default is MISSING and f.default_factory is MISSING
)


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
