"""Dated courses: `schedule` (every dose of a course) and `next` (what is due today)."""

from typing import Annotated

import typer

from her2dose.cli import options
from her2dose.cli.app import emit, load_book, request
from her2dose.cli.errors import user_errors
from her2dose.cli.options import FormatOption, RegimensOption, RegimensSha256Option, TableOrJson
from her2dose.errors import ExitCode

commands = typer.Typer()


def _count_option(help: str, *names: str):
    return Annotated[int | None, typer.Option(*names, help=help)]


@commands.command("schedule")
def schedule_command(
    drug: options.drug_argument("herceptin, kadcyla, enhertu, perjeta, ..."),
    start: options.start_option("Date of the first dose, YYYY-MM-DD.", required=True),
    weight: options.weight_option(
        "Body weight; adds mg, vials and infusion minutes per dose."
    ) = None,
    indication: options.IndicationOption = None,
    product: options.ProductForWeightOption = None,
    level: options.LevelOption = None,
    schedule: options.text_option(
        "q3w, weekly or adjuvant-weekly-then-q3w (when the regimen has several)."
    ) = None,
    chemotherapy: options.ChemotherapyOption = None,
    cycles: _count_option("List this many doses (required for open-ended courses).") = None,
    weeks: _count_option("List the doses of this many weeks (instead of --cycles).") = None,
    levels: Annotated[
        str | None,
        typer.Option(
            "--levels",
            help=(
                "A level per cycle range, e.g. '1-5:0,6:-1,7-10:-2' (levels only go down); "
                "instead of --level."
            ),
        ),
    ] = None,
    first_cycle: _count_option(
        "The list starts at this cycle (a course begun elsewhere, e.g. 7 of 18).", "--first-cycle"
    ) = None,
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """Dated course: every dose with its date, weekday, phase and dose.

    With --weight, each dose also shows its mg, vials and infusion minutes.
    """
    with user_errors():
        from her2dose.commands.schedule import ScheduleRequest, compute_schedule

        book = load_book(regimens, regimens_sha256)
        result = compute_schedule(book, request(ScheduleRequest))
        from her2dose import render

        emit(result, output_format, book, render.schedule_json, render.schedule_table)


@commands.command("next")
def next_command(
    drug: options.drug_argument("herceptin, kadcyla, phesgo, ..."),
    last_dose: Annotated[
        str, typer.Option("--last-dose", help="Date the last dose was given, YYYY-MM-DD.")
    ],
    on: Annotated[
        str | None,
        typer.Option("--on", help="Date the patient is here, YYYY-MM-DD (default: today)."),
    ] = None,
    weight: options.weight_option("Body weight; adds mg, vials and infusion time.") = None,
    indication: options.IndicationOption = None,
    product: options.ProductForWeightOption = None,
    level: options.text_option("Dose level the patient is on: 0, -1, -2.") = None,
    schedule: options.text_option(
        "Schedule the patient is on: q3w, weekly, or adjuvant-weekly-then-q3w (with --start)."
    ) = None,
    chemotherapy: options.ChemotherapyOption = None,
    start: options.start_option(
        "Date of the first dose of the course (checks the course end)."
    ) = None,
    previous: options.text_option(
        "PHESGO only: the last dose was iv (pertuzumab and trastuzumab) or phesgo."
    ) = None,
    infusion: options.InfusionOption = None,
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """What to give today: due date, days late, the dose (re-load or not) and the next due date.

    Exit code 0 when a dose is to be given now; 1 when not (not yet due, course complete,
    or the rule is not encoded: check the label).
    """
    with user_errors():
        import datetime

        from her2dose.commands.next import compute_next
        from her2dose.model.results import NextRequest

        book = load_book(regimens, regimens_sha256)
        result = compute_next(book, request(NextRequest), today=datetime.date.today())
        from her2dose import render

        emit(result, output_format, book, render.next_json, render.next_table)
    if not result.gives_dose:
        raise typer.Exit(int(ExitCode.FINDINGS))


options.install(commands)
