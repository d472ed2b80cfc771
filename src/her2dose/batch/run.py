"""her2dose batch: an answer for every row of a CSV, JSON Lines or Excel file, streamed.

Rows are read one at a time and written as soon as they are answered, so memory does not
grow with the file. Each row becomes the command's request by column name (every field of
the request is a column, so options added later are picked up by themselves)
and is answered by the function the single command uses (batch/kinds.py): a row's
numbers are those of `plan`, `check` or `next --format json`.

Output columns (README, "her2dose batch"): the input's other columns first, then `status`,
`error` and the chosen columns (the lean default, `--columns full` or a list). With
`full`, every key of the command's JSON, the input's other columns staying where they were.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from her2dose import __version__, render
from her2dose.batch import kinds
from her2dose.batch.read import (  # noqa: F401 - re-exported: the batch's public names
    BLANK,
    Layout,
    Reading,
    Row,
    Source,
    UsageError,
    csv_rows,
    input_stream,
    jsonl_rows,
    make_request,
    normalise_column,
    open_source,
    sniff_delimiter,
    table_rows,
    wide_cells,
)
from her2dose.batch.write import (  # noqa: F401 - re-exported
    CsvWriter,
    JsonLinesWriter,
    check_paths,
    output_format_for,
    output_stream,
    remove_stale_temps,
)
from her2dose.errors import Her2DoseError, internal_error_message
from her2dose.model import RegimenBook
from her2dose.model.plan import PlanRequest

if TYPE_CHECKING:
    from her2dose.commands.planner import Planner

STATUS_COLUMNS = kinds.STATUS_COLUMNS
OPTION_FIELDS = tuple(kinds.kind("plan").columns.values())
REQUIRED_FIELDS = kinds.kind("plan").required


def plan_columns(planner: Planner) -> list[str]:
    """The keys of `plan --format json`, taken from a plan of the regimens file itself, so
    that keys added to render.plan_dict later become columns with no list to keep."""
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


FAILURES_SHOWN = 5  # failed rows listed on stderr


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
    command: str = "plan"
    sha256: str = ""
    columns: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # temporary files of killed runs
    input: str = "-"
    output: str = "-"
    output_format: str = "csv"

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
        return (
            f"batch: {', '.join(parts)} in {self.elapsed:.2f} s{rate}; "
            f"her2dose {__version__}, regimens sha256 {self.sha256}"
        )

    def manifest(self) -> dict[str, Any]:
        """--manifest FILE: what produced the output, once for the whole file."""
        return {
            "her2dose_version": __version__,
            "regimens_sha256": self.sha256,
            "command": self.command,
            "input": self.input,
            "output": self.output,
            "output_format": self.output_format,
            "rows": self.rows,
            "ok": self.ok,
            "failed": self.failed,
            "with_warnings": self.warned,
            "blank_rows_skipped": self.skipped,
            "columns": self.columns,
        }

    def fail(self, row: Row, message: str) -> None:
        self.failed += 1
        if len(self.failures) < FAILURES_SHOWN:
            self.failures.append(f"row {row.number}: {message}")


@dataclass(frozen=True)
class Options:
    """What the user chose, besides the files."""

    command: str = "plan"  # plan, check or next
    columns: str = "lean"  # lean, full, or a comma-separated list
    pass_through: tuple[str, ...] = ()
    decimal_comma: bool = False
    sheet: str | None = None  # xlsx input: the sheet to read (default the first)
    today: date | None = None  # next: the day when a row has no `on` (the CLI's clock)


def run(
    book: RegimenBook,
    source: Source,
    output: IO[Any],
    output_format: str,
    progress: Callable[[int], None] | None = None,
    options: Options | None = None,
) -> Report:
    """Answer every row of `source` into `output`. Raises UsageError, before writing
    anything, when the input as a whole is unusable."""
    started = time.perf_counter()
    options = options or Options()
    today = options.today or date.today()
    kind = kinds.kind(options.command)
    full = kinds.full_columns(kind, book, today)
    columns, is_full = kinds.chosen_columns(options.columns, kind, full)
    reading = Reading(
        kind,
        tuple(full),
        frozenset(normalise_column(name) for name in options.pass_through),
        options.decimal_comma,
    )
    constants = kinds.constants(book)
    report = Report(command=kind.name, sha256=book.sha256)
    try:
        with wide_cells():
            delimiter = ","
            if source.format == "csv":
                layout, rows, delimiter = csv_rows(source, reading)
            elif source.format == "xlsx":
                layout, rows = table_rows(source.cells, reading)
            else:
                layout, rows = jsonl_rows(source, reading)
            writer: Any
            merged = not is_full
            if output_format == "csv":
                writer = CsvWriter(
                    output, layout, columns, delimiter, source.bom, constants, merged
                )
                writer.check_columns = source.format == "jsonl"
            elif output_format == "xlsx":
                from her2dose.batch.xlsx import XlsxWriter

                writer = XlsxWriter(output, layout, columns, constants, merged, kind.name)
            else:
                writer = JsonLinesWriter(output, columns, constants, merged)
            before = [layout.columns[i] for i in layout.before]
            after = [layout.columns[i] for i in layout.after]
            if merged:
                before, after = before + after, []
            report.columns = [*before, *STATUS_COLUMNS, *columns, *after]
            answer = kinds.answerer(kind, book, today, columns)
            # What exists before the rows (the regimens book, the unit registry, the
            # modules) outlives the run: the cycle collector need not walk it again at
            # each of its full collections (a few percent of a large batch's time).
            gc.freeze()
            try:
                _run_rows(answer, reading, rows, writer, report, source, progress)
            finally:
                gc.unfreeze()
            close = getattr(writer, "close", None)
            if close is not None:
                close()
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
    answer: Callable[[Any], kinds.Answer],
    reading: Reading,
    rows: Iterator[Row],
    writer: Any,
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
            combination, record, error = _answer_row(answer, reading, row)
        if record is None:
            report.fail(row, error)
        else:
            report.ok += 1
            report.warned += bool(record["warnings"])
        writer.write(row, record, error, combination)


def _answer_row(
    answer: Callable[[Any], kinds.Answer], reading: Reading, row: Row
) -> tuple[dict | None, dict | None, str | None]:
    """(the shared part or None, the row's record, None), or (None, None, the message the
    single command would print after 'error: ', in the words of columns)."""
    try:
        combination, record = answer(make_request(reading, row.options))
        return combination, record, None
    except Her2DoseError as error:
        return None, None, kinds.column_words(str(error), reading.kind)
    except Exception as error:  # a bug: this row fails, the others go on
        if os.environ.get("HER2DOSE_DEBUG"):
            raise
        return None, None, internal_error_message(error)


# --- files: what the command does around `run` --------------------------------------------


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


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: the run stops as on Ctrl-C (the temporary file removed,
    an older output left as it was), exit 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped while the run lasts (main thread only)."""
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {}

    def stop(signum: int, frame: Any) -> None:
        raise Stopped(signum)

    try:
        for signum in wanted:
            previous[signum] = signal.signal(signum, stop)
    except ValueError:  # not the main thread: the default handling stays
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_files(
    book: RegimenBook,
    input_path: str,
    output_path: str,
    input_format: str | None,
    output_format: str | None,
    show_progress: bool,
    options: Options | None = None,
    manifest_path: str | None = None,
) -> Report:
    """`her2dose batch`: INPUT to OUTPUT ('-' for stdin/stdout)."""
    options = options or Options()
    check_paths(input_path, output_path)
    if manifest_path is not None:
        check_paths(input_path, manifest_path)
    with stop_on_signals():
        removed = remove_stale_temps(output_path)
        if input_format is None and input_path.lower().endswith(".xlsx"):
            input_format = "xlsx"
        if options.sheet is not None and input_format != "xlsx":
            raise UsageError("sheet", "--sheet names a sheet of .xlsx input; this input is not")
        chosen = (
            output_format_for(output_path, input_format or "csv", output_format)
            if input_format
            else None
        )
        with input_stream(input_path) as (binary, size):
            book_handle = None
            if input_format == "xlsx":
                from her2dose.batch.xlsx import sheet_rows

                cells, book_handle = sheet_rows(binary, options.sheet)
                source = Source(iter(()), "xlsx", False, lambda: 0, cells=cells)
            else:
                source = open_source(binary, input_format)
            try:
                chosen = chosen or output_format_for(output_path, source.format, output_format)
                with (
                    output_stream(output_path, binary=chosen == "xlsx") as output,
                    progress_bar(size if show_progress else None) as progress,
                ):
                    report = run(book, source, output, chosen, progress, options)
            finally:
                source.release()
                if book_handle is not None:
                    book_handle.close()
        report.removed = removed
        report.input, report.output, report.output_format = input_path, output_path, chosen
        if manifest_path is not None:
            with output_stream(manifest_path) as handle:
                handle.write(json.dumps(report.manifest(), indent=1) + "\n")
    return report
