"""`her2dose plan`: one dose as a table, JSON, or the printable worksheet (PDF or HTML)."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from her2dose import __version__
from her2dose.cli import options
from her2dose.cli.app import emit, load_book, request
from her2dose.cli.errors import user_errors, warn
from her2dose.cli.options import PlanFormat, RegimensOption, RegimensSha256Option, TableOrJson

commands = typer.Typer()


@commands.command()
def plan(
    drug: options.drug_argument("enhertu, t-dxd, kadcyla, ogivri, ..."),
    weight: options.weight_option(
        "Body weight: '72 kg', '158.7 lb', '72000 g' (a bare number is kg).", required=True
    ),
    indication: options.indication_option("breast, gastric, nsclc") = None,
    product: options.text_option("Product (brand) whose vials to use, e.g. ogivri.") = None,
    level: options.LevelOption = None,
    phase: options.text_option("loading or maintenance (for drugs with a loading dose).") = None,
    schedule: options.text_option("q3w or weekly (for drugs with several schedules).") = None,
    infusion: options.InfusionOption = None,
    # policy overrides, weight change, multiple-dose vials, use-by
    baseline_weight: options.text_option(
        "Weight the course was planned on; the plan reports the change and "
        "flags 'recalculate the dose' at or beyond weight_change_pct."
    ) = None,
    round_to_vial_pct: options.text_option(
        "Override [policy] round_to_vial_pct: round to a whole-vial total "
        "within this percent (0 = off)."
    ) = None,
    round_to_vial_exclude: options.text_option(
        "Override [policy] round_to_vial_exclude: drugs never vial-rounded, "
        "comma-separated ('none' clears)."
    ) = None,
    round_increment_mg: options.text_option(
        "Override [policy] round_increment_mg: round the dose half-up to the "
        "nearest N mg (0 = off)."
    ) = None,
    weight_change_pct: options.text_option(
        "Override [policy] weight_change_pct: the change that calls for recalculation."
    ) = None,
    dose_weight: options.text_option(
        "Override [policy] dose_weight: current or baseline_until_threshold."
    ) = None,
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
    open_vial_mg: options.text_option(
        "mg left in an opened multiple-dose vial, drawn first if still in date "
        "(needs --open-vial-date)."
    ) = None,
    open_vial_date: options.text_option(
        "When that vial was reconstituted: 'YYYY-MM-DD HH:MM' (a bare date is read as 00:00)."
    ) = None,
    prepared_at: options.text_option(
        "Reconstitution time 'YYYY-MM-DD HH:MM', local time (default: now); "
        "use-by times count from it."
    ) = None,
    dose: options.dose_option(
        "Plan this ordered dose exactly ('389 mg' or '5.4 mg/kg'), with check's "
        "verdict on it; refused above a label maximum."
    ) = None,
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
    output_format: options.format_option(
        "Output format; pdf and html are the printable preparation worksheet.", PlanFormat
    ) = PlanFormat.table,
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
    weight_date: options.text_option(
        "Worksheet: the day the weight was measured, YYYY-MM-DD (else a blank to fill in)."
    ) = None,
    regimens: RegimensOption = None,
    regimens_sha256: RegimensSha256Option = None,
) -> None:
    """Plan one dose: mg, vials, reconstitution, volume, bag, infusion time and rate."""
    with user_errors():
        from her2dose.commands.plan import PlanRequest, compute_plan

        worksheet_target(output_format, output, patient, mrn, weight_date)
        weighed_on = None
        if weight_date is not None:
            import datetime

            from her2dose.commands.dates import past_date

            weighed_on = past_date(
                weight_date,
                "weight-date",
                datetime.date.today(),
                "give the day the weight was measured",
            )
        book = load_book(regimens, regimens_sha256)
        result = compute_plan(
            book, request(PlanRequest, no_benzyl_alcohol=no_benzyl_alcohol or None)
        )
        if output_format in (PlanFormat.pdf, PlanFormat.html):
            sheet = {"patient": patient, "mrn": mrn, "weighed_on": weighed_on}
            write_worksheet(result, output_format.value, output, book, **sheet)
            return
        from her2dose import render

        def as_table(plan, console, path, sha256):
            render.plan_table(plan, console, path, sha256, details=details)

        emit(result, TableOrJson(output_format), book, render.plan_json, as_table)


def worksheet_target(output_format: "PlanFormat", output, patient, mrn, weight_date=None) -> None:
    """Refuse a worksheet option without a worksheet, and a PDF sent to a terminal."""
    from her2dose.errors import InputError

    if output_format not in (PlanFormat.pdf, PlanFormat.html):
        sheet_options = (
            ("-o/--output", output),
            ("--patient", patient),
            ("--mrn", mrn),
            ("--weight-date", weight_date),
        )
        given = [name for name, value in sheet_options if value is not None]
        if given:
            raise InputError(
                "output", f"{', '.join(given)}: only with --format pdf or --format html"
            )
    elif output_format is PlanFormat.pdf and output in (None, "-") and sys.stdout.isatty():
        raise InputError(
            "output",
            "--format pdf writes a binary file: give -o FILE (or redirect stdout to a file)",
        )


def write_worksheet(
    result, output_format: str, output, book, patient, mrn, weighed_on=None
) -> None:
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
        weighed_on=weighed_on,
    )
    if output in (None, "-"):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        files.write_atomic(Path(output), data)


options.install(commands)
