"""batch's columns (lean default, full, a chosen list), the manifest, header typos and
decimal commas."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import SHIPPED

from her2dose import __version__
from her2dose.batch import kinds

ORDERS = "order_id,drug,weight,indication,mrn\nA-1,enhertu,72 kg,breast,M-1\n"


def rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


# --- the lean default, pinned: README "her2dose batch" documents these ---------------------

LEAN_PLAN = [
    "status",
    "error",
    "drug",
    "product",
    "indication",
    "phase",
    "level",
    "weight_kg",
    "dose_mg",
    "vials",
    "drug_volume_ml",
    "diluent",
    "bag_volume_ml",
    "total_volume_ml",
    "infusion_minutes",
    "rate_ml_per_h",
    "warnings",
]
LEAN_CHECK = [
    "status",
    "error",
    "drug",
    "indication",
    "phase",
    "weight_kg",
    "dose_input",
    "dose_mg",
    "verdict",
    "level",
    "level_name",
    "label_dose_mg",
    "difference_mg",
    "difference_pct",
    "tolerance_pct",
    "warnings",
]
LEAN_NEXT = [
    "status",
    "error",
    "drug",
    "product",
    "indication",
    "last_dose",
    "on",
    "due_status",
    "due_date",
    "days_late",
    "give_now",
    "action",
    "phase",
    "level",
    "dose",
    "dose_mg",
    "next_due_date",
    "warnings",
]


def test_the_lean_columns_are_pinned():
    assert ["status", "error", *kinds.LEAN["plan"]] == LEAN_PLAN
    assert ["status", "error", *kinds.LEAN["check"]] == LEAN_CHECK
    assert ["status", "error", *kinds.LEAN["next"]] == LEAN_NEXT
    assert all(15 <= len(names) <= 20 for names in (LEAN_PLAN, LEAN_CHECK, LEAN_NEXT))


def test_lean_is_the_default_pass_through_first_short_text_no_json(cli):
    result = cli("batch", "-", input=ORDERS)
    assert result.exit_code == 0
    header, row = rows(result.stdout)
    assert header == ["order_id", "mrn", *LEAN_PLAN]
    values = dict(zip(header, row, strict=True))
    assert values["dose_mg"] == "388.8" and values["vials"] == "4x100mg"
    assert not any(cell.startswith(("{", "[")) for cell in row)
    assert max(len(cell) for cell in row) < 80
    # the version and the regimens SHA-256 are said once, on stderr
    assert f"her2dose {__version__}, regimens sha256 " in result.stderr


def test_every_lean_column_is_a_full_column(book):
    import datetime

    for name in ("plan", "check", "next"):
        full = kinds.full_columns(kinds.kind(name), book, datetime.date(2026, 3, 2))
        assert set(kinds.LEAN[name]) <= set(full), name


def test_full_rows_carry_version_and_sha256_not_the_path(cli, book):
    result = cli("batch", "-", "--columns", "full", input=ORDERS)
    header, row = rows(result.stdout)
    values = dict(zip(header, row, strict=True))
    assert values["her2dose_version"] == __version__
    assert values["regimens_sha256"] == book.sha256
    assert "regimens_file" not in header
    assert str(SHIPPED) not in result.stdout
    # full keeps pass-through columns where they were
    assert header[0] == "order_id" and header[-1] == "mrn"


def test_a_chosen_list_of_columns(cli):
    result = cli("batch", "-", "--columns", "dose_mg, vials,regimen", input=ORDERS)
    header, row = rows(result.stdout)
    assert header == ["order_id", "mrn", "status", "error", "dose_mg", "vials", "regimen"]
    assert row[4:6] == ["388.8", "4x100mg"] and row[6]  # the regimen id, as in plan


def test_unknown_columns_are_an_error_listing_the_valid_ones(cli):
    result = cli("batch", "-", "--columns", "dose_mg,dose_ml", input=ORDERS)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown column 'dose_ml'" in result.stderr
    assert "rate_ml_per_h" in result.stderr  # the valid ones are listed


def test_jsonl_output_follows_the_columns(cli):
    result = cli("batch", "-", "--format", "jsonl", input=ORDERS)
    obj = json.loads(result.stdout)
    assert list(obj) == ["order_id", "mrn", *LEAN_PLAN]


def test_the_manifest(cli, tmp_path, book):
    source = tmp_path / "orders.csv"
    source.write_text(ORDERS + "A-2,enhertoo,72 kg,breast,M-2\n", encoding="utf-8")
    out, manifest = tmp_path / "plans.csv", tmp_path / "plans.manifest.json"
    result = cli("batch", str(source), "-o", str(out), "--manifest", str(manifest))
    assert result.exit_code == 1
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data == {
        "her2dose_version": __version__,
        "regimens_sha256": book.sha256,
        "command": "plan",
        "input": str(source),
        "output": str(out),
        "output_format": "csv",
        "rows": 2,
        "ok": 1,
        "failed": 1,
        "with_warnings": 0,
        "blank_rows_skipped": 0,
        "columns": ["order_id", "mrn", *LEAN_PLAN],
    }
    assert rows(out.read_text(encoding="utf-8"))[0] == data["columns"]


# --- header typos -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("indicaton", "indication"), ("wieght", "weight"), ("basline_weight", "baseline_weight")],
)
def test_a_header_typo_is_refused_with_its_suggestion(cli, typo, meant):
    text = f"drug,{typo}\nenhertu,72 kg\n" if typo == "wieght" else f"drug,weight,{typo}\ne,1,x\n"
    result = cli("batch", "-", input=text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"column '{typo}'" in result.stderr and f"did you mean '{meant}'" in result.stderr
    assert "--pass-through" in result.stderr


def test_pass_through_keeps_a_column_of_your_own(cli):
    text = "drug,weight,indication,height\nenhertu,72 kg,breast,180 cm\n"
    assert cli("batch", "-", input=text).exit_code == 2  # height is one edit from weight
    result = cli("batch", "-", "--pass-through", "height", input=text)
    assert result.exit_code == 0
    header, row = rows(result.stdout)
    assert header[0] == "height" and row[0] == "180 cm"


def test_a_genuine_extra_column_passes_through(cli):
    text = "ward,drug,weight,indication,consultant\n4B,enhertu,72 kg,breast,Dr Who\n"
    result = cli("batch", "-", input=text)
    assert result.exit_code == 0
    header, row = rows(result.stdout)
    assert header[:2] == ["ward", "consultant"] and row[:2] == ["4B", "Dr Who"]


def test_row_errors_name_the_column_not_the_flag(cli):
    result = cli("batch", "-", input="drug,weight\nenhertu,72 kg\n")
    header, row = rows(result.stdout)
    error = dict(zip(header, row, strict=True))["error"]
    assert "column 'indication'" in error and "--indication" not in error


# --- decimal commas -----------------------------------------------------------------------

EUROPEAN = "order;drug;weight;indication\nA;kadcyla;72,5 kg;metastatic-breast\n"


def test_a_decimal_comma_is_an_error_that_says_what_to_do(cli):
    result = cli("batch", "-", input=EUROPEAN)
    assert result.exit_code == 1
    header, row = rows(result.stdout, ";")
    error = dict(zip(header, row, strict=True))["error"]
    assert "use a decimal point (72.5 kg), or --decimal-comma" in error
    assert "column 'weight'" in error


def test_decimal_comma_reads_72_5_as_72_5(cli):
    result = cli("batch", "-", "--decimal-comma", input=EUROPEAN)
    assert result.exit_code == 0
    header, row = rows(result.stdout, ";")
    values = dict(zip(header, row, strict=True))
    assert values["weight_kg"] == "72.5" and values["dose_mg"] == "261"  # 3.6 mg/kg


@pytest.mark.parametrize("cell", ["1,234 kg", "1.234,5 kg", "1,2,3 kg"])
@pytest.mark.parametrize("flag", [[], ["--decimal-comma"]])
def test_an_ambiguous_cell_is_refused_either_way(cli, cell, flag):
    text = f"drug;weight;indication\nkadcyla;{cell};metastatic-breast\n"
    result = cli("batch", "-", *flag, input=text)
    assert result.exit_code == 1
    header, row = rows(result.stdout, ";")
    error = dict(zip(header, row, strict=True))["error"]
    assert "could be read two ways" in error


def test_decimal_comma_applies_to_every_quantity_column(cli):
    text = (
        "drug;weight;indication;baseline_weight;round_to_vial_pct\n"
        "kadcyla;72,5 kg;metastatic-breast;80,5 kg;7,5\n"
    )
    result = cli("batch", "-", "--decimal-comma", "--columns", "full", input=text)
    assert result.exit_code == 0
    header, row = rows(result.stdout, ";")
    values = dict(zip(header, row, strict=True))
    assert json.loads(values["weight_change"])["baseline_kg"] == 80.5
    assert "7.5" in values["policy"]


def test_a_decimal_point_is_still_read_with_decimal_comma(cli):
    text = "drug;weight;indication\nkadcyla;72.5 kg;metastatic-breast\n"
    result = cli("batch", "-", "--decimal-comma", input=text)
    assert result.exit_code == 0
