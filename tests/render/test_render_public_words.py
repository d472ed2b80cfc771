"""What a user reads cites public documents only: no research-note file, no "not read" or
"cut off" remark, no issue number, and in tables no internal regimen id.

Two checks. What render (and the commands) add is tested on a copy of regimens.toml whose
texts have those words taken out: any that remain in an output came from the code. The
shipped regimens.toml itself is tested too.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pytest
from cases import ANSWERED, table_argv

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "regimens.toml"
BATCH_INPUT = ROOT / "tests" / "golden" / "batch_input.csv"
FORBIDDEN = ("labels.md", "not read", "cut off", "issue #")
OK_CASES = ANSWERED


def regimen_ids(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return set(re.findall(r'^\[regimens\."?([a-z0-9-]+)"?\]', text, re.M)) | set(
        re.findall(r'^\[\[regimens\]\]\s*\nid = "([a-z0-9-]+)"', text, re.M)
    )


def scrubbed(folder: Path) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    for word in FORBIDDEN:
        text = re.sub(re.escape(word), "-", text, flags=re.I)
    path = folder / "regimens.toml"
    path.write_text(text, encoding="utf-8")
    return path


def strings(data, key: str = ""):
    """Every text value of a JSON object, but the `regimen` id fields."""
    if isinstance(data, str):
        if key != "regimen":
            yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from strings(v, k)
    elif isinstance(data, list):
        for v in data:
            yield from strings(v, key)


def outputs(cli, regimens: Path, folder: Path | None = None):
    """(what, text) of every golden case as table, --details table and JSON, of `regimens`
    as a table, and with a `folder` each plan's worksheet as PDF text and as HTML text."""
    yield "regimens table", cli("regimens", "--regimens", str(regimens)).stdout
    for name, argv in OK_CASES:
        argv = [*argv, "--regimens", str(regimens)]
        as_json = cli(*argv)
        yield f"{name} json", "\n".join(strings(json.loads(as_json.stdout)))
        yield f"{name} table", cli(*table_argv(argv)).stdout
        if argv[0] == "plan":
            yield f"{name} --details", cli(*table_argv(argv), "--details").stdout
            if folder is not None:
                yield f"{name} pdf", worksheet_text(cli, table_argv(argv), folder, "pdf")
                yield f"{name} html", worksheet_text(cli, table_argv(argv), folder, "html")


def worksheet_text(cli, argv: list[str], folder: Path, kind: str) -> str:
    """The worksheet's text as a reader sees it: the PDF's extracted text, or the HTML's."""
    out = folder / f"worksheet.{kind}"
    done = cli(*argv, "--format", kind, "-o", str(out))
    assert done.exit_code == 0, done.stderr
    if kind == "html":
        page = out.read_text(encoding="utf-8")
        body = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    else:
        pypdf = pytest.importorskip("pypdf")
        reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
        text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert "Preparation worksheet" in text  # the reader read the sheet, not an empty page
    return text


def batch_output(cli, regimens: Path, tmp_path: Path) -> str:
    out = tmp_path / "out.csv"
    result = cli("batch", str(BATCH_INPUT), "-o", str(out), "-q", "--regimens", str(regimens))
    assert out.exists(), result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    header = rows[0]
    return "\n".join(
        cell for row in rows[1:] for key, cell in zip(header, row, strict=False) if key != "regimen"
    )


def offending(text: str, ids: set[str], table: bool) -> list[str]:
    found = [w for w in FORBIDDEN if w.lower() in text.lower()]
    if table:
        found += [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]
    return found


@pytest.fixture
def wide(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # a word is never split across lines
    monkeypatch.setenv("TZ", "UTC")
    return cli


def test_render_adds_no_internal_words(wide, tmp_path):
    path = scrubbed(tmp_path)
    ids = regimen_ids(SHIPPED)
    assert "tdxd-breast" in ids
    bad = {
        what: words
        for what, text in outputs(wide, path, tmp_path)
        if (words := offending(text, ids, table=not what.endswith("json")))
    }
    bad_csv = offending(batch_output(wide, path, tmp_path), ids, table=False)
    assert not bad and not bad_csv, (bad, bad_csv)


def test_shipped_outputs_cite_public_documents_only(wide, tmp_path):
    ids = regimen_ids(SHIPPED)
    bad = {
        what: words
        for what, text in outputs(wide, SHIPPED, tmp_path)
        if (words := offending(text, ids, table=not what.endswith("json")))
    }
    bad_csv = offending(batch_output(wide, SHIPPED, tmp_path), ids, table=False)
    assert not bad and not bad_csv, (bad, bad_csv)


def test_research_phrasing_is_found_and_the_evidence_words_are_not():
    assert offending("ENHERTU EU SmPC (EU label, not the US label)", set(), table=True) == []
    assert offending("EU label; US text not read", set(), table=True) == ["not read"]
    assert offending("US verbatim wording not read", set(), table=True) == ["not read"]
    assert offending("see tdxd-breast", {"tdxd-breast"}, table=True) == ["tdxd-breast"]
