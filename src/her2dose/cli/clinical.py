"""The regimens file and its clinical rules: `regimens`, `levels`, `adjust` and `check`."""

from typing import Annotated

import typer

from her2dose.cli import options
from her2dose.cli.app import emit, load_book, request, stdout_console
from her2dose.cli.errors import stderr as _stderr
from her2dose.cli.errors import user_errors
from her2dose.cli.options import FormatOption, RegimensOption, RegimensSha256Option, TableOrJson
from her2dose.errors import ExitCode

commands = typer.Typer()


@commands.command("regimens")
def list_regimens(
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """List the drugs, products, indications, doses and sources in the regimens file."""
    with user_errors():
        from her2dose import render

        book = load_book(regimens, regimens_sha256)
        if output_format is TableOrJson.json:
            typer.echo(render.catalogue_json(book))
        else:
            render.catalogue_table(book, stdout_console())


@commands.command()
def levels(
    drug: options.drug_argument("enhertu, t-dxd, kadcyla, ..."),
    indication: options.indication_option("breast, gastric") = None,
    weight: options.weight_option(
        "Body weight, e.g. '72 kg': adds the dose in mg, vials and volume at each level."
    ) = None,
    product: options.text_option("Product whose vials to use with --weight (e.g. ogivri).") = None,
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """List a regimen's dose levels (0, -1, -2, ...) and what follows the last one."""
    with user_errors():
        from her2dose import render
        from her2dose.commands.levels import LevelsRequest, compute_levels

        book = load_book(regimens, regimens_sha256)
        result = compute_levels(book, request(LevelsRequest))
        emit(result, output_format, book, render.levels_json, render.levels_table)


def _lvef_option(name: str, help: str):
    return Annotated[str | None, typer.Option(name, help=f"LVEF events: {help}")]


@commands.command()
def adjust(
    drug: options.drug_argument(),
    event: Annotated[
        str,
        typer.Option(
            "--event",
            "-e",
            help=(
                "Adverse event: ild, neutropenia, thrombocytopenia, lvef, "
                "infusion-reaction, ast, bilirubin, ... (synonyms accepted)."
            ),
        ),
    ],
    indication: options.IndicationOption = None,
    level: options.text_option(
        "The level the patient is on now: 0, -1, -2 (required for drugs with reduction levels)."
    ) = None,
    grade: options.text_option("CTCAE grade 1 to 4 (5 where the label uses it).") = None,
    resolved_days: Annotated[
        int | None,
        typer.Option(
            "--resolved-days",
            help="Days from onset to resolution (ENHERTU grade 1 ILD: 28 or less keeps the dose).",
        ),
    ] = None,
    lvef: _lvef_option("--lvef", "the current LVEF in percent, e.g. 42.") = None,
    lvef_drop: _lvef_option(
        "--lvef-drop", "absolute decrease from baseline in percentage points, e.g. 12."
    ) = None,
    lvef_baseline: _lvef_option(
        "--lvef-baseline", "baseline LVEF in percent (instead of --lvef-drop)."
    ) = None,
    lvef_lln: _lvef_option(
        "--lvef-lln", "your institution's lower limit of normal, percent."
    ) = None,
    symptomatic_chf: Annotated[
        bool,
        typer.Option(
            "--symptomatic-chf",
            help="LVEF events: the patient has symptomatic congestive heart failure.",
        ),
    ] = False,
    weight: options.weight_option(
        "Body weight: adds the dose in mg at the resulting level."
    ) = None,
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """Apply the label's dose-modification table to an adverse event.

    Exit 0 with the label's answer; 1 when the label's row is not encoded (unverified) or no
    row matches the LVEF values given.
    """
    with user_errors():
        from her2dose import render
        from her2dose.commands.adjust import AdjustRequest, compute_adjustment

        book = load_book(regimens, regimens_sha256)
        result = compute_adjustment(book, request(AdjustRequest))
        emit(result, output_format, book, render.adjustment_json, render.adjustment_table)
        if not result.answered:
            _stderr(f"warning: {render.adjustment_message(result)}")
            raise typer.Exit(int(ExitCode.FINDINGS))


@commands.command()
def check(
    drug: options.drug_argument(),
    weight: options.weight_option(
        "Body weight: '72 kg', '158.7 lb' (a bare number is kg).", required=True
    ),
    dose: options.dose_option(
        "The ordered or prepared dose: '389 mg' or '5.4 mg/kg'.", required=True
    ),
    indication: options.IndicationOption = None,
    level: options.text_option("Check against this level only: 0, -1, -2.") = None,
    schedule: options.text_option("q3w or weekly (trastuzumab).") = None,
    phase: options.text_option("loading or maintenance (trastuzumab).") = None,
    tolerance: options.text_option(
        "Percent a dose may differ from a level and still match it (default: "
        "[policy] dose_tolerance_pct)."
    ) = None,
    product: options.text_option(
        "Product whose vials a rounding policy rounds to (trastuzumab)."
    ) = None,
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """Double-check a dose: which level it matches, the difference, and a verdict.

    Exit 0 when the dose matches a level; 1 when it matches none or is above the label.
    """
    with user_errors():
        from her2dose import render
        from her2dose.commands.check import CheckRequest, compute_check

        book = load_book(regimens, regimens_sha256)
        result = compute_check(book, request(CheckRequest))
        emit(result, output_format, book, render.dose_check_json, render.dose_check_table)
        if not result.matched:
            raise typer.Exit(int(ExitCode.FINDINGS))


options.install(commands)
