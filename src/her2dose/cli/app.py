"""The command line: argv in, calls into the core, results out through render.

Only typer, the standard library, `errors` and the rest of cli/ (options.py: what every
command shares; errors.py: the one error handler) are imported at module level, so that
`her2dose --help` and `--version` never load Pint or Rich (a test checks this).
"""

# No `from __future__ import annotations` here: Typer reads every command's signature
# when it builds the app, and string annotations it must eval() again each time (four
# times per option), about 10 ms of every start; evaluated once at import they cost ~1 ms.
import copy
import enum
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from her2dose import __version__
from her2dose.cli import options
from her2dose.cli.errors import stderr as _stderr
from her2dose.cli.errors import user_errors, warn
from her2dose.cli.options import FormatOption, PlanFormat, RegimensOption, TableOrJson
from her2dose.errors import ExitCode

if TYPE_CHECKING:
    from her2dose.model import RegimenBook

app = typer.Typer(
    name="her2dose",
    help="Dose, vials, preparation and infusion plans for HER2-directed cancer drugs.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=options.Her2doseGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)


RegimensSha256Option = Annotated[
    str | None,
    typer.Option(
        "--regimens-sha256",
        help="Refuse a regimens file whose SHA-256 is not this one (default: "
        "$HER2DOSE_REGIMENS_SHA256); pins the file a deployment approved.",
    ),
]


def load_book(path: Path | None, sha256: str | None = None) -> "RegimenBook":
    from her2dose.data import loader as regimens

    expected = sha256 if sha256 is not None else os.environ.get(regimens.SHA256_ENV_VAR) or None
    return regimens.load(options.regimens_path(path), expected_sha256=expected)


def stdout_console():  # -> rich.console.Console
    from rich.console import Console

    class StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            # Rich would exit 1 here; every command ends a closed stdout the same way
            # (options.Her2doseGroup.invoke: quietly, ExitCode.CLOSED_STDOUT)
            raise BrokenPipeError

    return StdoutConsole(highlight=False, soft_wrap=False)


def collect_garbage_again() -> None:
    """Before work that grows with its input (batch rows): undo main()'s start-up setting.

    What start-up built (modules, registry, the book) is frozen, so that the collections
    during the rows skip it. A no-op when the collector is on (the app run in-process)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def emit(result, output_format: "TableOrJson", book: "RegimenBook", as_json, as_table) -> None:
    """Warnings to stderr (for scripts and JSON users), then the result to stdout as JSON
    or as a table; a table repeats the warnings right after its answer, where they are seen."""
    warn(result.warnings)
    if output_format is TableOrJson.json:
        typer.echo(as_json(result, book.path, book.sha256))
    else:
        as_table(result, stdout_console(), book.path, book.sha256)


def _version_callback(ctx: typer.Context, value: bool) -> None:
    if not value:
        return
    from her2dose.data.paths import default_path, file_sha256

    # a --regimens given before --version is the file to report (both are eager, so they
    # are read in the order typed)
    given = ctx.params.get("regimens")
    path = Path(given) if given else default_path()
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
    regimens: Annotated[
        Path | None,
        typer.Option(
            "--regimens",
            help="Regimens file for the command that follows (the same as its own --regimens).",
            dir_okay=False,
            metavar="FILE",
            is_eager=True,
        ),
    ] = None,
) -> None:
    """Dose, vials, preparation and infusion plans for HER2-directed cancer drugs.

    Every clinical number comes from regimens.toml, each with its label source.
    Check every plan against the current prescribing information and local protocol.
    """


@app.command()
def plan(
    drug: Annotated[
        str,
        typer.Argument(
            help="Brand, generic name or abbreviation (enhertu, t-dxd, kadcyla, ogivri, ...)."
        ),
    ],
    weight: Annotated[
        str,
        typer.Option(
            "--weight",
            "-w",
            help="Body weight: '72 kg', '158.7 lb', '72000 g' (a bare number is kg).",
        ),
    ],
    indication: Annotated[
        str | None,
        typer.Option(
            help="Indication, e.g. breast, gastric, nsclc (required when the drug has several)."
        ),
    ] = None,
    product: Annotated[
        str | None, typer.Option(help="Product (brand) whose vials to use, e.g. ogivri.")
    ] = None,
    level: Annotated[
        str | None, typer.Option(help="Dose level: 0 (starting dose), -1, -2.")
    ] = None,
    phase: Annotated[
        str | None, typer.Option(help="loading or maintenance (for drugs with a loading dose).")
    ] = None,
    schedule: Annotated[
        str | None, typer.Option(help="q3w or weekly (for drugs with several schedules).")
    ] = None,
    infusion: Annotated[
        str | None, typer.Option(help="first (default, the longer time) or subsequent.")
    ] = None,
    # policy overrides, weight change, multiple-dose vials, use-by
    baseline_weight: Annotated[
        str | None,
        typer.Option(
            help=(
                "Weight the course was planned on; the plan reports the change and "
                "flags 'recalculate the dose' at or beyond weight_change_pct."
            )
        ),
    ] = None,
    round_to_vial_pct: Annotated[
        str | None,
        typer.Option(
            help=(
                "Override [policy] round_to_vial_pct: round to a whole-vial total "
                "within this percent (0 = off)."
            )
        ),
    ] = None,
    round_to_vial_exclude: Annotated[
        str | None,
        typer.Option(
            help=(
                "Override [policy] round_to_vial_exclude: drugs never vial-rounded, "
                "comma-separated ('none' clears)."
            )
        ),
    ] = None,
    round_increment_mg: Annotated[
        str | None,
        typer.Option(
            help=(
                "Override [policy] round_increment_mg: round the dose half-up to the "
                "nearest N mg (0 = off)."
            )
        ),
    ] = None,
    weight_change_pct: Annotated[
        str | None,
        typer.Option(
            help="Override [policy] weight_change_pct: the change that calls for recalculation."
        ),
    ] = None,
    dose_weight: Annotated[
        str | None,
        typer.Option(help="Override [policy] dose_weight: current or baseline_until_threshold."),
    ] = None,
    no_benzyl_alcohol: Annotated[
        bool,
        typer.Option(
            "--no-benzyl-alcohol",
            help=(
                "Benzyl alcohol hypersensitivity: reconstitute multiple-dose vials with"
                " sterile water (single-dose)."
            ),
        ),
    ] = False,
    open_vial_mg: Annotated[
        str | None,
        typer.Option(
            help=(
                "mg left in an opened multiple-dose vial, drawn first if still in date "
                "(needs --open-vial-date)."
            )
        ),
    ] = None,
    open_vial_date: Annotated[
        str | None,
        typer.Option(
            help=(
                "When that vial was reconstituted: 'YYYY-MM-DD HH:MM' (a bare date is "
                "read as 00:00)."
            )
        ),
    ] = None,
    prepared_at: Annotated[
        str | None,
        typer.Option(
            help=(
                "Reconstitution time 'YYYY-MM-DD HH:MM', local time (default: now); "
                "use-by times count from it."
            )
        ),
    ] = None,
    dose: Annotated[
        str | None,
        typer.Option(
            "--dose",
            "-d",
            help=(
                "Plan this ordered dose exactly ('389 mg' or '5.4 mg/kg'), with check's "
                "verdict on it; refused above a label maximum."
            ),
        ),
    ] = None,
    details: Annotated[
        bool,
        typer.Option(
            "--details",
            help=(
                "Table: also show the regimen description, the next reduction, the policy in "
                "effect, the storage condition of each use-by time and every source in full."
            ),
        ),
    ] = False,
    output_format: Annotated[
        PlanFormat,
        typer.Option(
            "--format",
            "-f",
            help="Output format; pdf and html are the printable preparation worksheet.",
            case_sensitive=False,
        ),
    ] = PlanFormat.table,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="With --format pdf or html: the file to write (written whole or not at all).",
        ),
    ] = None,
    patient: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="Worksheet: the patient's name (else a blank to fill in)."
        ),
    ] = None,
    mrn: Annotated[
        str | None,
        typer.Option(metavar="MRN", help="Worksheet: the medical record number (else a blank)."),
    ] = None,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """Plan one dose: mg, vials, reconstitution, volume, bag, infusion time and rate."""
    with user_errors():
        from her2dose.commands.plan import PlanRequest, compute_plan

        worksheet_target(output_format, output, patient, mrn)
        book = load_book(regimens, regimens_sha256)
        result = compute_plan(
            book,
            PlanRequest(
                drug=drug,
                weight=weight,
                indication=indication,
                product=product,
                level=level,
                phase=phase,
                schedule=schedule,
                infusion=infusion,
                baseline_weight=baseline_weight,
                round_to_vial_pct=round_to_vial_pct,
                round_to_vial_exclude=round_to_vial_exclude,
                round_increment_mg=round_increment_mg,
                weight_change_pct=weight_change_pct,
                dose_weight=dose_weight,
                no_benzyl_alcohol=no_benzyl_alcohol or None,
                open_vial_mg=open_vial_mg,
                open_vial_date=open_vial_date,
                prepared_at=prepared_at,
                dose=dose,
            ),
        )
        if output_format in (PlanFormat.pdf, PlanFormat.html):
            write_worksheet(result, output_format.value, output, book, patient, mrn)
            return
        from her2dose import render

        def as_table(plan, console, path, sha256):
            render.plan_table(plan, console, path, sha256, details=details)

        emit(result, TableOrJson(output_format), book, render.plan_json, as_table)


def worksheet_target(output_format: "PlanFormat", output, patient, mrn) -> None:
    """Refuse a worksheet option without a worksheet, and a PDF sent to a terminal."""
    from her2dose.errors import InputError

    if output_format not in (PlanFormat.pdf, PlanFormat.html):
        given = [
            name
            for name, value in (("-o/--output", output), ("--patient", patient), ("--mrn", mrn))
            if value is not None
        ]
        if given:
            raise InputError(
                "output", f"{', '.join(given)}: only with --format pdf or --format html"
            )
    elif output_format is PlanFormat.pdf and output in (None, "-") and sys.stdout.isatty():
        raise InputError(
            "output",
            "--format pdf writes a binary file: give -o FILE (or redirect stdout to a file)",
        )


def write_worksheet(result, output_format: str, output, book, patient, mrn) -> None:
    """The worksheet to FILE (atomically) or to stdout; warnings to stderr as for a table."""
    from her2dose.render import files, worksheet

    warn(result.warnings)
    data = worksheet.render(
        result,
        output_format,
        regimens_path=book.path,
        sha256=book.sha256,
        version=__version__,
        patient=patient,
        mrn=mrn,
    )
    if output in (None, "-"):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        files.write_atomic(Path(output), data)


@app.command("regimens")
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


@app.command()
def levels(
    drug: Annotated[
        str,
        typer.Argument(help="Brand, generic name or abbreviation (enhertu, t-dxd, kadcyla, ...)."),
    ],
    indication: Annotated[
        str | None,
        typer.Option(help="Indication, e.g. breast, gastric (required when the drug has several)."),
    ] = None,
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight",
            "-w",
            help="Body weight, e.g. '72 kg': adds the dose in mg, vials and volume at each level.",
        ),
    ] = None,
    product: Annotated[
        str | None, typer.Option(help="Product whose vials to use with --weight (e.g. ogivri).")
    ] = None,
    output_format: FormatOption = TableOrJson.table,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """List a regimen's dose levels (0, -1, -2, ...) and what follows the last one."""
    with user_errors():
        from her2dose import render
        from her2dose.commands.levels import LevelsRequest, compute_levels

        book = load_book(regimens, regimens_sha256)
        result = compute_levels(
            book, LevelsRequest(drug=drug, indication=indication, weight=weight, product=product)
        )
        emit(result, output_format, book, render.levels_json, render.levels_table)


@app.command()
def adjust(
    drug: Annotated[str, typer.Argument(help="Brand, generic name or abbreviation.")],
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
    indication: Annotated[
        str | None, typer.Option(help="Indication (required when the drug has several).")
    ] = None,
    level: Annotated[
        str | None,
        typer.Option(
            help=(
                "The level the patient is on now: 0, -1, -2 (required for drugs with "
                "reduction levels)."
            )
        ),
    ] = None,
    grade: Annotated[
        str | None, typer.Option(help="CTCAE grade 1 to 4 (5 where the label uses it).")
    ] = None,
    resolved_days: Annotated[
        int | None,
        typer.Option(
            "--resolved-days",
            help="Days from onset to resolution (ENHERTU grade 1 ILD: 28 or less keeps the dose).",
        ),
    ] = None,
    lvef: Annotated[
        str | None,
        typer.Option("--lvef", help="LVEF events: the current LVEF in percent, e.g. 42."),
    ] = None,
    lvef_drop: Annotated[
        str | None,
        typer.Option(
            "--lvef-drop",
            help="LVEF events: absolute decrease from baseline in percentage points, e.g. 12.",
        ),
    ] = None,
    lvef_baseline: Annotated[
        str | None,
        typer.Option(
            "--lvef-baseline",
            help="LVEF events: baseline LVEF in percent (instead of --lvef-drop).",
        ),
    ] = None,
    lvef_lln: Annotated[
        str | None,
        typer.Option(
            "--lvef-lln", help="LVEF events: your institution's lower limit of normal, percent."
        ),
    ] = None,
    symptomatic_chf: Annotated[
        bool,
        typer.Option(
            "--symptomatic-chf",
            help="LVEF events: the patient has symptomatic congestive heart failure.",
        ),
    ] = False,
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight", "-w", help="Body weight: adds the dose in mg at the resulting level."
        ),
    ] = None,
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
        result = compute_adjustment(
            book,
            AdjustRequest(
                drug=drug,
                event=event,
                indication=indication,
                level=level,
                grade=grade,
                resolved_days=resolved_days,
                lvef=lvef,
                lvef_drop=lvef_drop,
                lvef_baseline=lvef_baseline,
                lvef_lln=lvef_lln,
                symptomatic_chf=symptomatic_chf,
                weight=weight,
            ),
        )
        emit(result, output_format, book, render.adjustment_json, render.adjustment_table)
        if not result.answered:
            _stderr(f"warning: {render.adjustment_message(result)}")
            raise typer.Exit(int(ExitCode.FINDINGS))


@app.command()
def check(
    drug: Annotated[str, typer.Argument(help="Brand, generic name or abbreviation.")],
    weight: Annotated[
        str,
        typer.Option(
            "--weight", "-w", help="Body weight: '72 kg', '158.7 lb' (a bare number is kg)."
        ),
    ],
    dose: Annotated[
        str,
        typer.Option("--dose", "-d", help="The ordered or prepared dose: '389 mg' or '5.4 mg/kg'."),
    ],
    indication: Annotated[
        str | None, typer.Option(help="Indication (required when the drug has several).")
    ] = None,
    level: Annotated[
        str | None, typer.Option(help="Check against this level only: 0, -1, -2.")
    ] = None,
    schedule: Annotated[str | None, typer.Option(help="q3w or weekly (trastuzumab).")] = None,
    phase: Annotated[str | None, typer.Option(help="loading or maintenance (trastuzumab).")] = None,
    tolerance: Annotated[
        str | None,
        typer.Option(
            help=(
                "Percent a dose may differ from a level and still match it (default: "
                "[policy] dose_tolerance_pct)."
            )
        ),
    ] = None,
    product: Annotated[
        str | None,
        typer.Option(help="Product whose vials a rounding policy rounds to (trastuzumab)."),
    ] = None,
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
        result = compute_check(
            book,
            CheckRequest(
                drug=drug,
                weight=weight,
                dose=dose,
                indication=indication,
                level=level,
                schedule=schedule,
                phase=phase,
                tolerance=tolerance,
                product=product,
            ),
        )
        emit(result, output_format, book, render.dose_check_json, render.dose_check_table)
        if not result.matched:
            raise typer.Exit(int(ExitCode.FINDINGS))


@app.command("schedule")
def schedule_command(
    drug: Annotated[
        str,
        typer.Argument(
            help="Brand, generic name or abbreviation (herceptin, kadcyla, enhertu, perjeta, ...)."
        ),
    ],
    start: Annotated[str, typer.Option("--start", help="Date of the first dose, YYYY-MM-DD.")],
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight", "-w", help="Body weight; adds mg, vials and infusion minutes per dose."
        ),
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help="Indication (required when the drug has several).")
    ] = None,
    product: Annotated[
        str | None, typer.Option(help="Product whose vials to use (with --weight), e.g. ogivri.")
    ] = None,
    level: Annotated[
        str | None, typer.Option(help="Dose level: 0 (starting dose), -1, -2.")
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            help="q3w, weekly or adjuvant-weekly-then-q3w (when the regimen has several)."
        ),
    ] = None,
    chemotherapy: Annotated[
        str | None,
        typer.Option(
            help="With adjuvant-weekly-then-q3w: paclitaxel, docetaxel or docetaxel-carboplatin."
        ),
    ] = None,
    cycles: Annotated[
        int | None, typer.Option(help="List this many doses (required for open-ended courses).")
    ] = None,
    weeks: Annotated[
        int | None, typer.Option(help="List the doses of this many weeks (instead of --cycles).")
    ] = None,
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
    first_cycle: Annotated[
        int | None,
        typer.Option(
            "--first-cycle",
            help="The list starts at this cycle (a course begun elsewhere, e.g. 7 of 18).",
        ),
    ] = None,
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
        result = compute_schedule(
            book,
            ScheduleRequest(
                drug=drug,
                start=start,
                weight=weight,
                indication=indication,
                product=product,
                level=level,
                schedule=schedule,
                chemotherapy=chemotherapy,
                cycles=cycles,
                weeks=weeks,
                levels=levels,
                first_cycle=first_cycle,
            ),
        )
        from her2dose import render

        emit(result, output_format, book, render.schedule_json, render.schedule_table)


@app.command("next")
def next_command(
    drug: Annotated[
        str,
        typer.Argument(
            help="Brand, generic name or abbreviation (herceptin, kadcyla, phesgo, ...)."
        ),
    ],
    last_dose: Annotated[
        str, typer.Option("--last-dose", help="Date the last dose was given, YYYY-MM-DD.")
    ],
    on: Annotated[
        str | None,
        typer.Option("--on", help="Date the patient is here, YYYY-MM-DD (default: today)."),
    ] = None,
    weight: Annotated[
        str | None,
        typer.Option("--weight", "-w", help="Body weight; adds mg, vials and infusion time."),
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help="Indication (required when the drug has several).")
    ] = None,
    product: Annotated[
        str | None, typer.Option(help="Product whose vials to use (with --weight), e.g. ogivri.")
    ] = None,
    level: Annotated[
        str | None, typer.Option(help="Dose level the patient is on: 0, -1, -2.")
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            help=(
                "Schedule the patient is on: q3w, weekly, or adjuvant-weekly-then-q3w "
                "(with --start)."
            )
        ),
    ] = None,
    chemotherapy: Annotated[
        str | None,
        typer.Option(
            help="With adjuvant-weekly-then-q3w: paclitaxel, docetaxel or docetaxel-carboplatin."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start", help="Date of the first dose of the course (checks the course end)."
        ),
    ] = None,
    previous: Annotated[
        str | None,
        typer.Option(
            help="PHESGO only: the last dose was iv (pertuzumab and trastuzumab) or phesgo."
        ),
    ] = None,
    infusion: Annotated[
        str | None, typer.Option(help="first (default, the longer time) or subsequent.")
    ] = None,
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
        from her2dose.model.results import (
            NextRequest,
        )

        book = load_book(regimens, regimens_sha256)
        result = compute_next(
            book,
            NextRequest(
                drug=drug,
                last_dose=last_dose,
                on=on,
                weight=weight,
                indication=indication,
                product=product,
                level=level,
                schedule=schedule,
                chemotherapy=chemotherapy,
                start=start,
                previous=previous,
                infusion=infusion,
            ),
            today=datetime.date.today(),
        )
        from her2dose import render

        emit(result, output_format, book, render.next_json, render.next_table)
    if not result.gives_dose:
        raise typer.Exit(int(ExitCode.FINDINGS))


class BatchFormat(enum.StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


class BatchCommand(enum.StrEnum):
    plan = "plan"
    check = "check"
    next = "next"


@app.command()
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
    output_format: Annotated[
        BatchFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: from OUTPUT's extension, else the input's format).",
            case_sensitive=False,
        ),
    ] = None,
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
            options = batch_run.Options(
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
                    options=options,
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


options.install(app)


def app_for(args: list[str]) -> typer.Typer:
    """The app to run for `args`: `app`, or a copy holding only the command `args` names.

    Typer builds every command's Click options before it parses anything (about 3 ms for
    all of them, 1 ms for plan's alone). When the first argument names a command, only
    that command's are ever used: the group's own options (--help, --version) would have
    to come before the name, and its list of commands is shown only when none is named,
    so the run, its output and its errors are the same (tests/test_startup_costs.py).
    """
    if args:
        for info in app.registered_commands:
            name = info.name or typer.main.get_command_name(info.callback.__name__)
            if name == args[0]:
                lean = copy.copy(app)
                lean.registered_commands = [info]
                return lean
    return app


def main() -> None:
    """Console-script entry point."""
    # Start-up speed: a command creates some 50,000 objects as it imports Pint and
    # loads the regimens file, and only ~550 of them are ever garbage, whatever was asked
    # (gc.collect() after a plan, a table, a 520-dose schedule or an error). The cyclic
    # collector would walk them again and again while they appear (~10 ms) and once more
    # at exit (~15-25 ms), so it is off for the run and what is left is frozen before exit.
    # Memory stays bounded because every command but batch does a bounded amount of work;
    # batch, whose garbage grows with its rows, turns it back on (collect_garbage_again).
    gc.disable()
    try:
        app_for(sys.argv[1:])()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        _stderr("interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    finally:
        gc.freeze()
