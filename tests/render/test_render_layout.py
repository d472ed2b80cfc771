"""The answer first: each command's table leads with its answer, warnings follow it on
stdout (and go to stderr too), colours only on a terminal without NO_COLOR."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from her2dose.render import tables
from her2dose.render.tables import Sheet

PREPARED = ("--prepared-at", "2026-03-02 09:00")
ENHERTU = ("plan", "enhertu", "--indication", "breast", "--weight", "72 kg", *PREPARED)


@pytest.fixture
def at80(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TZ", "UTC")
    return cli


def test_plan_leads_with_the_answer_and_fits_one_screen(at80):
    lines = at80(*ENHERTU).stdout.splitlines()
    assert lines[0].startswith("ENHERTU (fam-trastuzumab deruxtecan-nxki) for breast")
    block = "\n".join(lines[:14])
    order = ["Weight used", "Dose ", "Vials", "Reconstitute", "Withdraw", "Diluent"]
    order += ["Total volume", "Infusion", "Filter"]
    places = [block.index(label) for label in order]
    assert places == sorted(places)
    assert "388.8 mg" in lines[3] and "19.44 mL" in block and "79.6 mL/h" in block
    assert len(lines) <= 50  # one 80x50 screen
    details = at80(*ENHERTU, "--details").stdout
    assert len(details.splitlines()) > len(lines)
    assert "316.8 mg" in details and "316.8 mg" not in "\n".join(lines)


def test_plan_warning_follows_the_answer_on_stdout_and_goes_to_stderr(at80):
    result = at80("plan", "enhertu", "--indication", "breast", "--weight", "30 kg", *PREPARED)
    lines = result.stdout.splitlines()
    warning = next(i for i, line in enumerate(lines) if line.startswith("warning: "))
    filter_row = next(i for i, line in enumerate(lines) if line.startswith("Filter"))
    assert filter_row < warning < 18
    assert "outside the usual adult range" in result.stderr


@pytest.mark.parametrize(
    ("argv", "answer"),
    [
        (["levels", "enhertu", "--indication", "breast", "--weight", "72 kg"], "388.8 mg"),
        (
            ["check", "kadcyla", "--indication", "mbc", "--weight", "60kg", "--dose", "3.7mg/kg"],
            "ABOVE",
        ),
        (
            ["adjust", "enhertu", "--indication", "breast", "--level", "0", "--event", "ild"]
            + ["--grade", "1", "--resolved-days", "28"],
            "Action",
        ),
        (
            ["next", "enhertu", "--indication", "breast", "--last-dose", "2026-01-05", "--on"]
            + ["2026-01-26", "--weight", "72 kg"],
            "DUE: give the standard dose",
        ),
        (
            ["schedule", "kadcyla", "--indication", "early-breast", "--start", "2026-01-05"],
            "Doses",
        ),
        (["regimens"], "ENHERTU"),
    ],
)
def test_every_command_answers_in_its_first_lines(at80, argv, answer):
    result = at80(*argv)
    assert result.stdout  # check exits 1 above the label, with its table
    assert answer in "\n".join(result.stdout.splitlines()[:5])
    # the regimens listing indexes every drug in the file: its length grows with the file
    assert len(result.stdout.splitlines()) <= (66 if argv == ["regimens"] else 60)


def render(sheet: Sheet, width: int = 80, **console) -> str:
    out = io.StringIO()
    sheet.print(Console(file=out, width=width, **console))
    return out.getvalue()


def test_warnings_are_coloured_on_a_terminal_only(monkeypatch):
    sheet = Sheet()
    sheet.warning("weight outside the usual range")
    sheet.warning("475 mg is above the label", severe=True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = render(sheet, force_terminal=True, color_system="standard")
    assert "\x1b[1;33mwarning: weight" in coloured
    assert "\x1b[1;31mWARNING: 475 mg" in coloured
    assert "\x1b[" not in render(sheet)  # not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    no_colour = render(sheet, force_terminal=True, color_system="standard")
    assert "\x1b[1;33m" not in no_colour and "\x1b[1;31m" not in no_colour


def test_cli_table_is_plain_text_when_not_a_terminal(at80, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = at80("plan", "enhertu", "--indication", "breast", "--weight", "30 kg", *PREPARED)
    assert "\x1b[" not in result.stdout and "\x1b[" not in result.stderr


def test_a_narrow_screen_stacks_rows_and_never_splits_a_word():
    sheet = Sheet()
    sheet.row("Total volume", "119.44 mL in a 5% Dextrose Injection bag")
    sheet.grid(
        ["level", "name", "dose"], [["0", "starting dose", "388.8 mg"]], right=(0, 2), keys=2
    )
    wide = render(sheet, 80).splitlines()
    assert wide[0] == "Total volume  119.44 mL in a 5% Dextrose Injection bag"
    assert wide[1:] == ["level  name               dose", "    0  starting dose  388.8 mg"]
    narrow = render(sheet, 24).splitlines()
    assert narrow[:3] == ["Total volume", "  119.44 mL in a 5%", "  Dextrose Injection bag"]
    assert all(len(line) <= 24 for line in narrow)
    assert "level 0  starting dose" in narrow
    assert "  dose  388.8 mg" in narrow


def test_a_grid_wraps_its_text_columns_before_it_stacks():
    sheet = Sheet()
    rows = [["-1", "first dose reduction", "4x100mg = 400 mg (11.2 mg left)", "316.8 mg"]]
    sheet.grid(["level", "name", "vials", "dose"], rows, right=(0, 3), wrap=(1, 2))
    lines = render(sheet, 44).splitlines()
    assert len(lines) > 2 and all(len(line) <= 44 for line in lines)
    assert "316.8 mg" in lines[1] and "level" in lines[0]


def test_short_sources_keep_documents_sections_and_short_remarks():
    sources = [
        "ENHERTU US PI §2.2",
        "ENHERTU US PI §3; NDC 65597-406-01",
        "KADCYLA US PI (2013 label)",
        "ENHERTU EU SmPC §6.6 (5 mL water for injection gives 20 mg/mL (per vial))",
    ]
    assert tables.sources_text(sources) == (
        "ENHERTU US PI §2.2, §3; NDC 65597-406-01; KADCYLA US PI (2013 label); ENHERTU EU SmPC §6.6"
    )
    assert tables.sources_text(sources, details=True) == "; ".join(sources)


def test_a_long_sheet_says_its_warnings_again_at_the_end():
    sheet = Sheet()
    sheet.row("Dose", "388.8 mg")
    sheet.warning("weight outside the usual range")
    short = render(sheet).splitlines()
    assert short.count("warning: weight outside the usual range") == 1
    for n in range(tables.LONG):
        sheet.line(f"reminder {n}")
    lines = render(sheet).splitlines()
    assert lines.count("warning: weight outside the usual range") == 2
    assert lines[-1] == "warning: weight outside the usual range"
