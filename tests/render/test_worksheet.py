"""The printable preparation worksheet: `plan --format pdf` (and html), read back as text.

pypdf reads the PDF's text (fpdf2 writes PDFs but does not read them); the figures checked
are those of `plan --format json` for the same arguments.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import stat
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from her2dose import __version__
from her2dose.errors import InputError, OutputError
from her2dose.render import files, worksheet

pypdf = pytest.importorskip("pypdf")

ENHERTU_72 = ("plan", "enhertu", "--indication", "breast", "--weight", "72 kg")
AT = ("--prepared-at", "2026-03-02 09:30")

PLANS = {
    "enhertu": [*ENHERTU_72, *AT],
    "kadcyla": ["plan", "kadcyla", "--indication", "metastatic-breast", "--weight", "68"],
    "ogivri loading": [
        "plan",
        "ogivri",
        "--indication",
        "adjuvant-breast",
        "--schedule",
        "q3w",
        "--phase",
        "loading",
        "--weight",
        "80 kg",
    ],
    "margenza (preparation not encoded)": ["plan", "margenza", "--weight", "70 kg"],
    "enhertu weight change, lb": [
        "plan",
        "enhertu",
        "--indication",
        "gastric",
        "--weight",
        "158.7 lb",
        "--level",
        "-1",
        "--baseline-weight",
        "60 kg",
    ],
    "enhertu 640 kg (most vials, warnings)": [
        "plan",
        "enhertu",
        "--indication",
        "breast",
        "--weight",
        "640 kg",
        *AT,
    ],
}


def pdf_text(data: bytes) -> tuple[str, int]:
    """The PDF's text with runs of white space made one space, and its page count."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


def worksheet_of(cli, tmp_path, *args: str, sheet: tuple[str, ...] = ()) -> tuple[str, int, dict]:
    """The worksheet's text and pages for `args` (+ worksheet-only `sheet`), and the JSON."""
    out = tmp_path / "worksheet.pdf"
    done = cli(*args, *sheet, "--format", "pdf", "-o", str(out))
    assert done.exit_code == 0
    assert done.stdout == ""
    as_json = cli(*args, "--format", "json")
    text, pages = pdf_text(out.read_bytes())
    return text, pages, json.loads(as_json.stdout)


def test_enhertu_worksheet_carries_every_figure_and_field(cli, tmp_path, book):
    patient = ("--patient", "Jane Q. Example", "--mrn", "MRN-0012345")
    text, pages, _ = worksheet_of(cli, tmp_path, *ENHERTU_72, *AT, sheet=patient)
    assert pages == 1
    for expected in (
        "Patient Jane Q. Example",
        "MRN MRN-0012345",
        "Weight used 72 kg",
        "Weighed on date ____",
        "ENHERTU (fam-trastuzumab deruxtecan-nxki)",
        "Dose 388.8 mg",
        "5.4 mg/kg x 72 kg = 388.8 mg",
        "ENHERTU US PI §2.2",
        "4x100mg = 400 mg; leftover 11.2 mg",
        "each 100 mg vial with 5 mL water for injection",
        "Withdraw 19.44 mL (= 388.8 mg)",
        "100 mL 5% Dextrose Injection",
        "Total volume 119.44 mL",
        "90 min (first infusion) at 79.6 mL/h",
        "0.20 or 0.22 micron in-line polyethersulfone",
        "Diluted bag, at room temperature: 2026-03-02 13:30 (UTC+00:00); 4 h from reconstitution",
        "WARNING: INTERSTITIAL LUNG DISEASE",
        "Do not use Sodium Chloride Injection",
        "Do not substitute ENHERTU",
        "Prepared by ____",
        "Checked by ____",
        "Bag label",
        f"SHA-256 {book.sha256}",
        f"her2dose {__version__}",
    ):
        assert expected in text, expected
    # one lot / expiry line per vial, each with the vial's NDC
    assert len(re.findall(r"\d 100 mg single-dose 65597-406-01 _+ _+", text)) == 4
    label = text[text.index("Bag label") :]
    for expected in (
        "Jane Q. Example MRN MRN-0012345",
        "Dose 388.8 mg",
        "119.44 mL total in 5% Dextrose Injection",
        "79.6 mL/h over 90 min",
        "2026-03-02 13:30 (UTC+00:00) (room temp.)",
    ):
        assert expected in label, expected


@pytest.mark.parametrize("name", list(PLANS))
def test_every_figure_of_the_json_is_on_the_one_page(cli, tmp_path, name):
    text, pages, d = worksheet_of(cli, tmp_path, *PLANS[name])
    assert pages == 1
    assert "…" not in text
    figures = {
        "dose_mg": "mg",
        "vial_total_mg": "mg",
        "leftover_mg": "mg",
        "drug_volume_ml": "mL",
        "total_volume_ml": "mL",
        "rate_ml_per_h": "mL/h",
        "bag_volume_ml": "mL",
    }
    for key, unit in figures.items():
        if d[key] is not None:
            assert f"{d[key]:g} {unit}" in text, key
    assert f"{d['infusion_minutes']} min" in text
    for count in d["vials"]:
        assert f"{count['count']}x{count['strength_mg']}mg" in text
    for warning in d["warnings"]:
        assert worksheet.latin1(warning) in text
    assert d["regimens_sha256"] in text


def test_a_product_without_an_ndc_gets_a_blank_to_fill_in(cli, tmp_path):
    herceptin = ["plan", "herceptin", "--indication", "metastatic-breast", "--schedule", "q3w"]
    herceptin += ["--phase", "loading", "--weight", "70", *AT]
    text, _, d = worksheet_of(cli, tmp_path, *herceptin)
    assert not any("NDC" in s for s in d["sources"])
    assert "NDC: ____" in text


def test_without_a_preparation_time_the_use_by_times_are_left_to_fill_in(cli, tmp_path):
    # a worksheet printed before reconstitution must not carry times counted from "now"
    text, _, _ = worksheet_of(cli, tmp_path, *ENHERTU_72)
    assert "Reconstituted at date ____" in text
    assert "Diluted bag, at room temperature: ____" in text
    assert "Prepared at" not in text


def test_no_patient_given_leaves_blanks(cli, tmp_path):
    text, _, _ = worksheet_of(cli, tmp_path, *ENHERTU_72)
    assert "Patient ______" in text and "MRN ______" in text


def test_the_weight_date_given_is_on_the_weight_line(cli, tmp_path):
    sheet = ("--weight-date", "2026-03-01")
    text, pages, _ = worksheet_of(cli, tmp_path, *ENHERTU_72, *AT, sheet=sheet)
    assert pages == 1
    assert "Weight used 72 kg Weighed on 2026-03-01" in text
    assert "Weighed on date" not in text
    out = tmp_path / "w.html"
    assert cli(*ENHERTU_72, *sheet, "--format", "html", "-o", str(out)).exit_code == 0
    assert "<th>Weighed on</th><td>2026-03-01</td>" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("weight_date", "message"),
    [
        ("2026-02-30", "--weight-date '2026-02-30' is not a date; use ISO 8601 YYYY-MM-DD"),
        ("01/03/2026", "--weight-date '01/03/2026' is not a date"),
        ("9999-12-31", "--weight-date 9999-12-31 is in the future (today is "),
    ],
)
def test_a_weight_date_that_is_no_day_or_is_to_come_is_refused(cli, tmp_path, weight_date, message):
    out = tmp_path / "w.pdf"
    done = cli(*ENHERTU_72, "--format", "pdf", "-o", str(out), "--weight-date", weight_date)
    assert done.exit_code == 2
    assert done.stderr.startswith(f"error: {message}") and done.stderr.count("\n") == 1
    assert not out.exists()


def test_a_weight_date_may_be_today_but_not_tomorrow():
    from datetime import date

    from her2dose.commands.dates import past_date

    today = date(2026, 3, 2)
    assert past_date("2026-03-02", "weight-date", today, "x") == today
    with pytest.raises(InputError, match=r"2026-03-03 is in the future \(today is 2026-03-02\)"):
        past_date("2026-03-03", "weight-date", today, "give the day the weight was measured")


def test_a_long_name_wraps_and_is_never_cut(cli, tmp_path):
    name = " ".join(["Maximiliana-Alexandrina"] * 12) + " Z" * 3
    text, pages, _ = worksheet_of(cli, tmp_path, *ENHERTU_72, sheet=("--patient", name))
    assert pages == 1
    assert text.count(name) == 2  # the worksheet and the bag label


def test_pdf_to_a_pipe_and_html_to_a_file(cli, tmp_path):
    piped = cli(*ENHERTU_72, "--format", "pdf")  # CliRunner's stdout is not a terminal
    assert piped.exit_code == 0
    assert piped.stdout_bytes.startswith(b"%PDF-")
    assert "388.8 mg" in pdf_text(piped.stdout_bytes)[0]
    out = tmp_path / "w.html"
    done = cli(*ENHERTU_72, "--format", "html", "-o", str(out), "--patient", "<b>O'Neil & Co</b>")
    assert done.exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "&lt;b&gt;O&#x27;Neil &amp; Co&lt;/b&gt;" in page and "<b>O'Neil" not in page
    assert "388.8 mg" in page and "19.44 mL" in page and "79.6 mL/h" in page


def test_html_keeps_unicode_the_pdf_spells_out(cli, tmp_path):
    out = tmp_path / "w.html"
    cli(*ENHERTU_72, *AT, "--format", "html", "-o", str(out))
    assert "2 to 8 °C" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--patient", "J"), "--patient: only with --format pdf or --format html"),
        (("-o", "x.pdf"), "-o/--output: only with --format pdf or --format html"),
        (("--format", "json", "--mrn", "1"), "--mrn: only with"),
        (("--weight-date", "2026-03-01"), "--weight-date: only with --format pdf or --format html"),
    ],
)
def test_worksheet_options_without_a_worksheet_are_errors(cli, args, message):
    done = cli(*ENHERTU_72, *args)
    assert done.exit_code == 2
    assert message in done.stderr
    assert done.stdout == ""


def test_pdf_to_a_terminal_is_refused(monkeypatch):
    cli_plan = importlib.import_module("her2dose.cli.plan")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(InputError, match="give -o FILE"):
        cli_plan.worksheet_target(cli_plan.PlanFormat.pdf, None, None, None)
    with pytest.raises(InputError, match="give -o FILE"):
        cli_plan.worksheet_target(cli_plan.PlanFormat.pdf, "-", None, None)
    cli_plan.worksheet_target(cli_plan.PlanFormat.html, None, None, None)  # text: fine
    cli_plan.worksheet_target(cli_plan.PlanFormat.pdf, "w.pdf", None, None)


def test_an_unwritable_output_names_the_path_and_leaves_nothing(cli, tmp_path):
    target = tmp_path / "missing" / "w.pdf"
    done = cli(*ENHERTU_72, "--format", "pdf", "-o", str(target))
    assert done.exit_code == 2
    assert f"cannot write '{target}'" in done.stderr
    assert not target.parent.exists()


def test_a_failed_write_keeps_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "w.pdf"
    target.write_bytes(b"old")

    def refuse(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OutputError) as raised:
        files.write_atomic(target, b"new")
    assert str(raised.value) == (
        f"no space left on the device: nothing was written to {target}; the older file is intact"
    )
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["w.pdf"]


def test_a_fifo_a_device_or_a_folder_is_never_replaced_by_a_worksheet(cli, tmp_path):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    for target, what in ((fifo, "is a FIFO"), (os.devnull, "is a device"), (tmp_path, "folder")):
        done = cli(*ENHERTU_72, "--format", "pdf", "-o", str(target))
        assert done.exit_code == 2 and what in done.stderr, done.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.pdf"]


def test_ndcs_are_read_from_the_sources():
    assert worksheet.ndcs_of("ONTRUZANT US PI §3; NDC 78206-147-01, NDC 78206-148-01") == [
        "78206-147-01",
        "78206-148-01",
    ]
    assert worksheet.ndcs_of("NDC 1-2-3", "no code") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.2 µm filter", "0.2 micron filter"),
        ("5 µg/mL", "5 mcg/mL"),
        ("LVEF ≤ 45% — hold", "LVEF <= 45%  -  hold"),
        ("2 to 8 °C", "2 to 8 °C"),
        ("‘x’ → “y”", "'x' -> \"y\""),
        ("漢", "[U+6F22]"),
    ],
)
def test_latin1_spells_characters_out(text, expected):
    assert worksheet.latin1(text) == expected


@given(st.text())
def test_latin1_is_encodable_and_keeps_every_ascii_character_in_order(text):
    out = worksheet.latin1(text)
    out.encode("latin-1")
    rest = iter(out)
    assert all(c in rest for c in text if c.isascii())  # a subsequence: no digit lost


PROBE = """
import sys
from her2dose.cli.app import app
try:
    app(sys.argv[1:], prog_name="her2dose")
except SystemExit:
    pass
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & {"fpdf", "rich", "pint"})),
      file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--format", "json"], "pint"),
        ([], "pint rich"),
        (["--format", "pdf", "-o", "{out}"], "fpdf pint"),
        (["--format", "html", "-o", "{out}"], "pint"),
    ],
)
def test_only_the_pdf_path_imports_fpdf(tmp_path, extra, expected):
    extra = [a.replace("{out}", str(tmp_path / "w")) for a in extra]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *ENHERTU_72, *extra],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "NO_COLOR": "1"},
    )
    assert done.stderr.splitlines()[-1] == expected


def _sheet(book, **plan):
    from her2dose.commands.plan import PlanRequest, compute_plan

    result = compute_plan(book, PlanRequest(**plan))
    return worksheet.build(result, regimens_path=book.path, sha256=book.sha256, version="9.9")


def test_letter_paper_is_one_page_too(book):
    sheet = _sheet(book, drug="enhertu", indication="breast", weight="72 kg")
    reader = pypdf.PdfReader(io.BytesIO(worksheet.pdf_bytes(sheet, paper="letter")))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_a_sheet_too_long_for_one_page_runs_on_and_loses_nothing(book):
    from her2dose.model.records import replace

    sheet = _sheet(book, drug="enhertu", indication="breast", weight="72 kg")
    many = tuple(
        worksheet.Row("WARNING", f"warning number {n}: " + "confirm this line " * 12)
        for n in range(40)
    )
    long = replace(
        sheet, sections=(worksheet.Section("Warnings", many, alert=True), *sheet.sections)
    )
    data = worksheet.pdf_bytes(long)
    text, pages = pdf_text(data)
    assert pages > 1
    last = pypdf.PdfReader(io.BytesIO(data)).pages[-1].extract_text()
    assert "Bag label" in last and "Prepared / checked" in last  # the label is not split
    assert book.sha256 in last  # nor parted from the footer
    for n in range(40):
        assert f"warning number {n}:" in text
    assert "388.8 mg" in text and book.sha256 in text and "Prepared by" in text


def test_the_same_plan_gives_the_same_bytes(cli, tmp_path):
    # the PDF's date is the plan's preparation time, not the clock: a rerun is identical
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    cli(*ENHERTU_72, *AT, "--format", "pdf", "-o", str(first))
    cli(*ENHERTU_72, *AT, "--format", "pdf", "-o", str(second))
    assert first.read_bytes() == second.read_bytes()
    info = pypdf.PdfReader(first).metadata
    assert info.creation_date.isoformat().startswith("2026-03-02T09:30")


def test_without_fpdf2_pdf_says_how_to_get_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "fpdf", None)  # import fpdf now raises ImportError
    out = tmp_path / "w.pdf"
    done = cli(*ENHERTU_72, "--format", "pdf", "-o", str(out))
    assert done.exit_code == 2
    assert "pip install 'her2dose[pdf]'" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
