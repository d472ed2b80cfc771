"""The command line: argv in, calls into the core, results out through render.

Only typer, the standard library and `errors` are imported at module level, so that
`her2dose --help` and `--version` never load Pint or Rich (a test checks this).
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, Optional

import typer

from her2dose import __version__
from her2dose.errors import ExitCode, Her2DoseError, internal_error_message

if TYPE_CHECKING:
    from her2dose.model import RegimenBook

app = typer.Typer(
    name="her2dose",
    help="Dose, vials, preparation and infusion plans for HER2-directed cancer drugs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class TableOrJson(str, enum.Enum):
    table = "table"
    json = "json"


RegimensOption = Annotated[
    Optional[Path],  # noqa: UP007 - typer needs Optional on 3.9-style annotations
    typer.Option(
        "--regimens",
        help="Regimens file to use (default: $HER2DOSE_REGIMENS, else the shipped regimens.toml).",
        dir_okay=False,
    ),
]
FormatOption = Annotated[
    TableOrJson, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


def _stderr(message: str) -> None:
    typer.echo(message, err=True)


def _fail(error: Her2DoseError) -> NoReturn:
    _stderr(f"error: {error}")
    raise typer.Exit(int(error.exit_code))


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn domain errors into one line on stderr and the documented exit code."""
    try:
        yield
    except Her2DoseError as error:
        _fail(error)
    except KeyboardInterrupt:
        _stderr("interrupted")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("HER2DOSE_DEBUG"):
            raise
        _stderr(f"error: {internal_error_message(error)}")
        raise typer.Exit(int(ExitCode.USAGE)) from None


def load_book(path: Path | None) -> RegimenBook:
    from her2dose import regimens

    return regimens.load(path)


def stdout_console():  # -> rich.console.Console
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def warn(messages: list[str] | tuple[str, ...]) -> None:
    for message in messages:
        _stderr(f"warning: {message}")


def _version_callback(value: bool) -> None:
    if not value:
        return
    from her2dose.paths import default_path, file_sha256

    path = default_path()
    try:
        digest = file_sha256(path)
    except OSError as exc:
        _stderr(f"error: cannot read regimens file {path}: {exc.strerror or exc}")
        raise typer.Exit(int(ExitCode.REGIMENS)) from None
    typer.echo(f"her2dose {__version__}")
    typer.echo(f"regimens: {path}")
    typer.echo(f"sha256: {digest}")
    raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and the regimens file in use (path and SHA-256), then exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Dose, vials, preparation and infusion plans for HER2-directed cancer drugs.

    Every clinical number comes from regimens.toml, each with its label source.
    Check every plan against the current prescribing information and local protocol.
    """


@app.command()
def plan(
    drug: Annotated[str, typer.Argument(help="Brand, generic name or abbreviation (enhertu, t-dxd, kadcyla, ogivri, ...).")],
    weight: Annotated[str, typer.Option("--weight", "-w", help="Body weight: '72 kg', '158.7 lb', '72000 g' (a bare number is kg).")],
    indication: Annotated[Optional[str], typer.Option(help="Indication, e.g. breast, gastric, nsclc (required when the drug has several).")] = None,  # noqa: UP007
    product: Annotated[Optional[str], typer.Option(help="Product (brand) whose vials to use, e.g. ogivri.")] = None,  # noqa: UP007
    level: Annotated[Optional[str], typer.Option(help="Dose level: 0 (starting dose), -1, -2.")] = None,  # noqa: UP007
    phase: Annotated[Optional[str], typer.Option(help="loading or maintenance (for drugs with a loading dose).")] = None,  # noqa: UP007
    schedule: Annotated[Optional[str], typer.Option(help="q3w or weekly (for drugs with several schedules).")] = None,  # noqa: UP007
    infusion: Annotated[Optional[str], typer.Option(help="first (default, the longer time) or subsequent.")] = None,  # noqa: UP007
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
) -> None:
    """Plan one dose: mg, vials, reconstitution, volume, bag, infusion time and rate."""
    with user_errors():
        from her2dose.plan import PlanRequest, compute_plan

        book = load_book(regimens)
        result = compute_plan(
            book,
            PlanRequest(drug=drug, weight=weight, indication=indication, product=product,
                        level=level, phase=phase, schedule=schedule, infusion=infusion),
        )
        warn(result.warnings)
        from her2dose import render

        if output_format is TableOrJson.json:
            typer.echo(render.plan_json(result, book.path, book.sha256))
        else:
            render.plan_table(result, stdout_console(), book.path, book.sha256)


@app.command("regimens")
def list_regimens(
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
) -> None:
    """List the drugs, products, indications, doses and sources in the regimens file."""
    with user_errors():
        from her2dose import render

        book = load_book(regimens)
        if output_format is TableOrJson.json:
            typer.echo(render.catalogue_json(book))
        else:
            render.catalogue_table(book, stdout_console())


# --- issue 3: levels, adjust, check ------------------------------------------------------


# --- issue 5: schedule, next -------------------------------------------------------------


# --- issue 6: batch ----------------------------------------------------------------------


class BatchFormat(str, enum.Enum):
    csv = "csv"
    jsonl = "jsonl"


@app.command()
def batch(
    input_path: Annotated[str, typer.Argument(metavar="INPUT", help="CSV (header row; comma or semicolon) or JSON Lines file; - for stdin.")],
    output_path: Annotated[str, typer.Option("--output", "-o", metavar="OUTPUT", help="Output file, written whole or not at all; - for stdout (the default).")] = "-",
    input_format: Annotated[Optional[BatchFormat], typer.Option("--input-format", help="Input format (default: JSON Lines if the input starts with '{', else CSV).", case_sensitive=False)] = None,  # noqa: UP007
    output_format: Annotated[Optional[BatchFormat], typer.Option("--format", "-f", help="Output format (default: from OUTPUT's extension, else the input's format).", case_sensitive=False)] = None,  # noqa: UP007
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary on stderr.")] = False,
    regimens: RegimensOption = None,
) -> None:
    """Plan every row of a clinic list: one output row per input row, same numbers as plan.

    Columns are plan's options (drug, weight, indication, product, level, phase, schedule,
    infusion; any case); an empty cell is an option not given; other columns pass through.
    Exit 0 when every row is ok, 1 when any row failed (see the status and error columns).
    """
    with user_errors():
        from her2dose import batch as batch_run

        book = load_book(regimens)
        report = batch_run.run_files(
            book, input_path, output_path,
            input_format.value if input_format else None,
            output_format.value if output_format else None,
            show_progress=not quiet and input_path != "-" and sys.stderr.isatty(),
        )
        if not quiet:
            for failure in report.failures:
                _stderr(f"error: {failure}")
            if report.failed > len(report.failures):
                _stderr(f"... and {report.failed - len(report.failures)} more failed rows "
                        "(see the status and error columns)")
            _stderr(report.summary())
    raise typer.Exit(report.exit_code)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        _stderr("interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
