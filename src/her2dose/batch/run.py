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
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from her2dose import render
from her2dose.batch.read import (  # noqa: F401 - re-exported: the batch's public names
    BLANK,
    OPTION_FIELDS,
    REQUIRED_FIELDS,
    STATUS_COLUMNS,
    Layout,
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
)
from her2dose.batch.write import (  # noqa: F401 - re-exported
    CsvWriter,
    JsonLinesWriter,
    check_paths,
    output_format_for,
    output_stream,
)
from her2dose.commands.plan import Planner
from her2dose.errors import Her2DoseError, internal_error_message
from her2dose.model import RegimenBook
from her2dose.model.plan import PlanRequest

FAILURES_SHOWN = 5  # failed rows listed on stderr


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
