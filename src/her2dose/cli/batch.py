"""`her2dose batch`: plan, check or next for every row of a clinic list (CSV, JSON Lines,
.xlsx), with the same numbers as the single command."""

import enum
import sys
from typing import Annotated

import typer

from her2dose.cli import options
from her2dose.cli.app import collect_garbage_again, load_book
from her2dose.cli.errors import stderr as _stderr
from her2dose.cli.errors import user_errors
from her2dose.cli.options import RegimensOption, RegimensSha256Option

commands = typer.Typer()


class BatchFormat(enum.StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


class BatchCommand(enum.StrEnum):
    plan = "plan"
    check = "check"
    next = "next"


@commands.command()
def batch(
    input_path: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="CSV (header row; comma or semicolon), JSON Lines or .xlsx file; - for stdin.",
        ),
    ],
    output_path: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="OUTPUT",
            help="Output file (.csv, .jsonl, .ndjson, .xlsx), written whole or not at all; "
            "- for stdout (the default).",
        ),
    ] = "-",
    command: Annotated[
        BatchCommand,
        typer.Option(
            "--command",
            help="plan a dose per row; check an ordered_dose column; next: what is due "
            "after a last_dose column.",
            case_sensitive=False,
        ),
    ] = BatchCommand.plan,
    columns: Annotated[
        str,
        typer.Option(
            "--columns",
            help="lean (the default: a short readable set), full (every key of the "
            "command's JSON), or a comma-separated list of columns.",
        ),
    ] = "lean",
    pass_through: Annotated[
        list[str] | None,
        typer.Option(
            "--pass-through",
            metavar="COLUMN",
            help="An input column of your own whose name is close to an option's "
            "(repeat, or separate with commas).",
        ),
    ] = None,
    decimal_comma: Annotated[
        bool,
        typer.Option("--decimal-comma", help="Read 72,5 kg as 72.5 kg in quantity columns."),
    ] = False,
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet", metavar="NAME", help=".xlsx input: the sheet (default: the first)."
        ),
    ] = None,
    manifest: Annotated[
        str | None,
        typer.Option(
            "--manifest",
            metavar="FILE",
            help="Write a JSON manifest: tool version, regimens SHA-256, files, row counts, "
            "columns.",
        ),
    ] = None,
    input_format: Annotated[
        BatchFormat | None,
        typer.Option(
            "--input-format",
            help="Input format (default: .xlsx by name; JSON Lines if the input starts "
            "with '{', else CSV).",
            case_sensitive=False,
        ),
    ] = None,
    output_format: options.format_option(
        "Output format (default: from OUTPUT's extension, else the input's format).",
        BatchFormat | None,
    ) = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary on stderr.")
    ] = False,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """Plan, check or schedule every row of a clinic list: one output row per input row,
    the same numbers as the single command.

    Columns are the command's options (plan: drug, weight, indication, product, level,
    phase, schedule, infusion, ...; check: also ordered_dose; next: last_dose, on, ...;
    any case); an empty cell is an option not given; other columns pass through.
    Exit 0 when every row is ok, 1 when any row failed (see the status and error columns).
    """
    import datetime

    try:
        with user_errors():
            from her2dose.batch import run as batch_run

            book = load_book(regimens, regimens_sha256)
            collect_garbage_again()
            run_options = batch_run.Options(
                command=command.value,
                columns=columns,
                pass_through=tuple(
                    name.strip()
                    for value in pass_through or ()
                    for name in value.split(",")
                    if name.strip()
                ),
                decimal_comma=decimal_comma,
                sheet=sheet,
                today=datetime.date.today(),
            )
            try:
                report = batch_run.run_files(
                    book,
                    input_path,
                    output_path,
                    input_format.value if input_format else None,
                    output_format.value if output_format else None,
                    show_progress=not quiet and input_path != "-" and sys.stderr.isatty(),
                    options=run_options,
                    manifest_path=manifest,
                )
            except batch_run.Stopped as stopped:
                kept = "" if output_path == "-" else f"; nothing was written to {output_path}"
                _stderr(f"error: {stopped}{kept}")
                raise typer.Exit(stopped.exit_code) from None
            for removed in report.removed:
                _stderr(f"note: removed {removed}, left by an earlier batch that was killed")
            if not quiet:
                for failure in report.failures:
                    _stderr(f"error: {failure}")
                if report.failed > len(report.failures):
                    _stderr(
                        f"... and {report.failed - len(report.failures)} more failed rows "
                        "(see the status and error columns)"
                    )
                _stderr(report.summary())
    except typer.Exit:
        raise
    raise typer.Exit(report.exit_code)


options.install(commands)
