"""Writing a batch: CSV (numbers as numbers, text neutralised and quoted) or JSON Lines,
to stdout or atomically to a file."""

from __future__ import annotations

import io
import itertools
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from her2dose import render
from her2dose.batch.read import STATUS_COLUMNS, Layout, Row, UsageError
from her2dose.errors import OutputError
from her2dose.render.files import check_output_path, write_error


class CsvWriter:
    """Header once, then one row per input row. Cells are render.csv_cell's: numbers as
    numbers, text neutralised (OWASP CSV injection guidance) and quoted.

    Writes exactly what csv.writer(quoting=QUOTE_NONNUMERIC) would write for those cells
    (text quoted with doubled quotes, numbers bare, rows ending CRLF), but quotes each
    distinct text once: a plan row repeats kilobytes of label text, and neutralising and
    quoting it afresh on every row cost more than planning the row. tests/batch/test_batch.py
    checks the two agree."""

    TEXTS_KEPT = 8192  # distinct texts remembered; memory stays flat however many rows

    def __init__(
        self,
        output: IO[str],
        layout: Layout,
        columns: list[str],
        delimiter: str,
        bom: bool,
        constants: dict[str, Any] | None = None,
        merged: bool = False,
    ) -> None:
        """`columns`: the output's columns after status and error; `constants`: values of
        columns no record has (the tool's version); `merged`: every pass-through column
        first (else they stay where they were, before and after the block)."""
        self.before = [layout.columns[i] for i in layout.before]
        self.after = [layout.columns[i] for i in layout.after]
        if merged:
            self.before, self.after = self.before + self.after, []
        self.merged = merged
        self.columns = columns
        self.constants = constants or {}
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
        self.blank_plan = [self.text("")] * len(columns)
        if bom:  # the input came from Excel's "CSV UTF-8": so does the output
            output.write("\ufeff")
        self.line([self.text(c) for c in (*self.before, *STATUS_COLUMNS, *columns, *self.after)])

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
        keys = tuple(key for key in self.columns if key in patient)
        parts = ["{}"] * len(self.before) + [self.text("ok"), self.text("")]
        constants = self.constants
        for key in self.columns:
            if key in patient:
                parts.append("{}")
                continue
            value = combination[key] if key in combination else constants.get(key)
            parts.append(self.value(key, value).replace("{", "{{").replace("}", "}}"))
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
        if not self.check_columns and self.merged:  # CSV input, pass-through first
            cells = [passthrough(value) for _, value in row.before]
            cells += [passthrough(value) for _, value in row.after]
            after = []
        elif (
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
            texts, lists, constants = self.texts, self.lists, self.constants
            for key in self.columns:  # cell(), inlined: this runs for every cell
                value = record[key] if key in record else constants.get(key)
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
    """One JSON object per line: pass-through keys (first, or where they were with `full`),
    then status, error and the chosen keys (null on a failed row)."""

    def __init__(
        self,
        output: IO[str],
        columns: list[str],
        constants: dict[str, Any] | None = None,
        merged: bool = False,
    ) -> None:
        self.output = output
        self.columns = columns
        self.constants = constants or {}
        self.merged = merged

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
        if self.merged:
            obj.update(row.after)
        obj["status"] = "ok" if record is not None else "error"
        obj["error"] = error
        if record is None:
            obj.update(dict.fromkeys(self.columns))
        else:
            constants = self.constants
            for key in self.columns:
                if key in record:
                    obj[key] = record[key]
                elif combination is not None and key in combination:
                    obj[key] = combination[key]
                else:
                    obj[key] = constants.get(key)
        if not self.merged:
            obj.update(row.after)
        self.output.write(json.dumps(obj, ensure_ascii=False) + "\n")


# --- files: where the output goes ----------------------------------------------------------

EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
TEMP_MARK = ".her2dose-batch-"  # .plans.csv.her2dose-batch-<pid>.tmp beside plans.csv


def output_format_for(output: str, input_format: str, chosen: str | None = None) -> str:
    """The output format: --format, else OUTPUT's extension, else the input's format. An
    extension that names no format, or another format than --format, is an error."""
    suffix = os.path.splitext(output)[1].lower() if output != "-" else ""
    by_suffix = EXTENSIONS.get(suffix)
    if suffix and by_suffix is None:
        raise UsageError(
            "output",
            f"output '{output}': her2dose batch writes .csv, .jsonl, .ndjson or .xlsx, not "
            f"'{suffix}'; give one of those extensions",
        )
    if chosen is not None and by_suffix is not None and chosen != by_suffix:
        raise UsageError(
            "output", f"output '{output}' is a {suffix} name but --format is {chosen}; use one"
        )
    result = chosen or by_suffix or ("csv" if input_format == "xlsx" else input_format)
    if result == "xlsx" and output == "-":
        raise UsageError("output", "an xlsx workbook is written to a file: give -o NAME.xlsx")
    return result


def check_paths(input_path: str, output_path: str) -> None:
    """Refuse, before anything is written, to write over the input, or anywhere but a
    regular file or a new name (a device, FIFO, socket or folder is never replaced)."""
    if output_path == "-":
        return
    check_output_path(output_path)
    if (
        input_path != "-"
        and os.path.exists(input_path)
        and os.path.exists(output_path)
        and os.path.samefile(input_path, output_path)
    ):
        raise UsageError(
            "output",
            f"output '{output_path}' is the input file; her2dose will not write "
            "over its input: choose another output name",
        )


def remove_stale_temps(path: str) -> list[str]:
    """Remove temporary files an earlier run left beside OUTPUT when it was killed (a
    SIGKILL runs no clean-up): those whose process is gone. Returns their names."""
    if path == "-":
        return []
    target = Path(path)
    directory = target.parent
    prefix = f".{target.name}{TEMP_MARK}"
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix) : -len(".tmp")]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        with suppress(OSError):
            os.unlink(directory / name)
            removed.append(str(directory / name))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


@contextmanager
def output_stream(path: str, binary: bool = False) -> Iterator[IO[Any]]:
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
                with suppress(OSError, ValueError):
                    stream.detach()  # leave sys.stdout open
        except BrokenPipeError:  # `her2dose batch ... | head`: the reader went away
            _silence_stdout()
            raise OutputError(
                "stdout was closed before the batch finished (broken pipe): the output is "
                "incomplete"
            ) from None
        except OSError as exc:
            _silence_stdout()
            raise write_error(exc, "-", False) from None
        return
    target = Path(path)
    existed = target.exists()
    tmp = target.parent / f".{target.name}{TEMP_MARK}{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OutputError(f"cannot write '{path}': {exc.strerror or exc}") from None
    try:
        try:
            if binary:
                with os.fdopen(fd, "wb") as handle:
                    yield handle
            else:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    yield handle
            os.replace(tmp, target)
        except OSError as exc:
            if isinstance(exc, OutputError):
                raise
            raise write_error(exc, path, existed) from None
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit does not fail too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
