"""batch's files: Excel in and out, unknown extensions, where output may go, oversized
cells, broken JSON Lines, signals, killed runs and full disks."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from her2dose.batch import run as batch
from her2dose.batch import write

ORDERS = (
    "order_id,drug,weight,indication\nA-1,enhertu,72 kg,breast\nA-2,kadcyla,70,metastatic-breast\n"
)


# --- xlsx ---------------------------------------------------------------------------------


def _workbook(path: Path, rows: list[list], sheet: str = "orders") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # formula-like text, as typed by a user
    book.create_sheet("other").append(["nothing", "here"])
    book.save(path)
    return path


def test_xlsx_round_trip(cli, tmp_path):
    source = _workbook(
        tmp_path / "orders.xlsx",
        [
            ["order_id", "drug", "weight", "indication", "note"],
            [101, "enhertu", "72 kg", "breast", '=HYPERLINK("http://x")'],
            [102, "kadcyla", 70, "metastatic-breast", "+1+1"],
            [103, "enhertoo", "72 kg", "breast", None],
        ],
    )
    out = tmp_path / "plans.xlsx"
    result = cli("batch", str(source), "-o", str(out))
    assert result.exit_code == 1
    book = openpyxl.load_workbook(out)
    ws = book.active
    assert ws.freeze_panes == "A2"
    rows = [[cell.value for cell in row] for row in ws.iter_rows()]
    header = rows[0]
    got = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [r["order_id"] for r in got] == [101, 102, 103]  # numbers stay numbers
    assert got[0]["dose_mg"] == 388.8 and isinstance(got[0]["dose_mg"], float)
    assert got[1]["dose_mg"] == 252 and got[1]["weight_kg"] == 70  # a number cell is kg
    assert got[2]["status"] == "error" and "enhertoo" in got[2]["error"]
    # formula text is neutralised and stored as text, never as a formula
    assert got[0]["note"] == '\'=HYPERLINK("http://x")' and got[1]["note"] == "'+1+1"
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)
    # written whole: no temporary file left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx", "plans.xlsx"]


def test_xlsx_output_reads_back_as_the_csv_numbers(cli, tmp_path):
    source = tmp_path / "orders.csv"
    source.write_text(ORDERS, encoding="utf-8")
    out = tmp_path / "plans.xlsx"
    assert cli("batch", str(source), "-o", str(out)).exit_code == 0
    csv_out = cli("batch", str(source), "--format", "jsonl").stdout
    expected = [json.loads(line) for line in csv_out.splitlines()]
    ws = openpyxl.load_workbook(out).active
    rows = [[cell.value for cell in row] for row in ws.iter_rows()]
    for line, row in zip(expected, rows[1:], strict=True):
        got = dict(zip(rows[0], row, strict=True))
        for key in ("dose_mg", "weight_kg", "total_volume_ml", "rate_ml_per_h"):
            assert got[key] == line[key]


def test_a_sheet_by_name(cli, tmp_path):
    source = _workbook(tmp_path / "o.xlsx", [["drug", "weight"], ["margenza", "70 kg"]])
    result = cli("batch", str(source), "--sheet", "orders", "--format", "jsonl")
    assert json.loads(result.stdout)["dose_mg"] == 1050
    missing = cli("batch", str(source), "--sheet", "Sheet9")
    assert missing.exit_code == 2 and "its sheets are orders, other" in missing.stderr


def test_sheet_without_xlsx_input_is_refused(cli):
    result = cli("batch", "-", "--sheet", "orders", input=ORDERS)
    assert result.exit_code == 2 and "--sheet names a sheet of .xlsx input" in result.stderr


@pytest.mark.parametrize("name", ["plans.txt", "plans.xls", "plans.json"])
def test_an_unknown_output_extension_is_refused(cli, tmp_path, name):
    result = cli("batch", "-", "-o", str(tmp_path / name), input=ORDERS)
    assert result.exit_code == 2
    assert "writes .csv, .jsonl, .ndjson or .xlsx" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_extension_that_contradicts_format_is_refused(cli, tmp_path):
    result = cli("batch", "-", "-o", str(tmp_path / "p.xlsx"), "--format", "csv", input=ORDERS)
    assert result.exit_code == 2 and list(tmp_path.iterdir()) == []


def test_xlsx_is_imported_only_for_xlsx():
    code = (
        "import sys; from her2dose.cli.app import main; sys.argv=['her2dose','batch','-'];"
        "import io\ntry: main()\nexcept SystemExit: pass\n"
        "print('openpyxl' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input="drug,weight\nmargenza,70 kg\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip().endswith("False")


# --- where output may go ------------------------------------------------------------------


def test_a_fifo_is_refused(cli, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = cli("batch", "-", "-o", str(fifo), input=ORDERS)
    assert result.exit_code == 2 and "is a FIFO, not a regular file" in result.stderr


def test_a_socket_is_refused(cli, tmp_path):
    path = tmp_path / "s.csv"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        result = cli("batch", "-", "-o", str(path), input=ORDERS)
    finally:
        server.close()
    assert result.exit_code == 2 and "is a socket" in result.stderr


def test_a_device_is_refused(cli):
    result = cli("batch", "-", "-o", os.devnull, input=ORDERS)
    assert result.exit_code == 2 and "is a device, not a regular file" in result.stderr


# --- rows that fail alone -------------------------------------------------------------------


def test_a_cell_over_the_csv_limit_fails_its_own_row(cli):
    huge = "x" * 200_000
    text = f"drug,weight,note\nmargenza,70 kg,a\nmargenza,70 kg,{huge}\nmargenza,71 kg,b\n"
    result = cli("batch", "-", "--format", "jsonl", input=text)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["ok", "error", "ok"]
    assert "column 'note' has a cell of 200,000 characters" in lines[1]["error"]


def test_a_broken_first_json_line_fails_its_own_row(cli):
    text = '{"drug": "margenza", "weight": \n{"drug": "margenza", "weight": "70 kg"}\n'
    result = cli("batch", "-", input=text)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["error", "ok"]
    assert "not a JSON object" in lines[0]["error"]


def test_a_duplicate_json_key_is_an_error_on_its_row(cli):
    text = (
        '{"drug": "margenza", "weight": "70 kg"}\n'
        '{"drug": "margenza", "weight": "70 kg", "weight": "700 kg"}\n'
    )
    result = cli("batch", "-", input=text)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["ok", "error"]
    assert "key 'weight' appears twice" in lines[1]["error"]


# --- signals, killed runs, full disks -----------------------------------------------------


def _slow_batch(tmp_path: Path, out: Path) -> subprocess.Popen:
    source = tmp_path / "orders.csv"
    rows = "".join(f"margenza,{50 + i % 50} kg\n" for i in range(200_000))
    source.write_text("drug,weight\n" + rows, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "her2dose", "batch", str(source), "-o", str(out), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_temp(tmp_path: Path) -> Path:
    for _ in range(600):
        temps = [p for p in tmp_path.iterdir() if write.TEMP_MARK in p.name]
        if temps and temps[0].stat().st_size > 0:
            return temps[0]
        time.sleep(0.05)
    raise AssertionError("the batch never started writing")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_remove_the_temp_file_and_keep_the_older_output(tmp_path, signum, code):
    out = tmp_path / "plans.csv"
    out.write_text("older\n", encoding="utf-8")
    process = _slow_batch(tmp_path, out)
    _wait_for_temp(tmp_path)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    assert signal.Signals(signum).name in stderr
    assert out.read_text(encoding="utf-8") == "older\n"
    assert not [p for p in tmp_path.iterdir() if write.TEMP_MARK in p.name]


def test_a_temp_file_left_by_sigkill_is_removed_by_the_next_run(cli, tmp_path):
    out = tmp_path / "plans.csv"
    process = _slow_batch(tmp_path, out)
    temp = _wait_for_temp(tmp_path)
    process.kill()
    process.communicate(timeout=60)
    assert temp.exists() and not out.exists()
    result = cli("batch", "-", "-o", str(out), input=ORDERS)
    assert result.exit_code == 0
    assert f"removed {temp}" in result.stderr and "killed" in result.stderr
    assert not temp.exists() and out.exists()


def test_a_temp_file_of_a_running_batch_is_left_alone(tmp_path):
    out = tmp_path / "plans.csv"
    alive = tmp_path / f".plans.csv{write.TEMP_MARK}{os.getppid()}.tmp"
    alive.write_text("", encoding="utf-8")
    assert write.remove_stale_temps(str(out)) == []
    assert alive.exists()


def test_no_space_left_is_one_clear_line_and_the_older_file_is_intact(cli, tmp_path, monkeypatch):
    out = tmp_path / "plans.csv"
    out.write_text("older\n", encoding="utf-8")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(batch.CsvWriter, "write", full)
    result = cli("batch", "-", "-o", str(out), input=ORDERS)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: no space left on the device: nothing was written to {out}; "
        "the older file is intact"
    )
    assert out.read_text(encoding="utf-8") == "older\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plans.csv"]


def test_a_file_too_large_is_one_clear_line(cli, tmp_path, monkeypatch):
    out = tmp_path / "plans.csv"

    def big(self, *args, **kwargs):
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(batch.CsvWriter, "write", big)
    result = cli("batch", "-", "-o", str(out), input=ORDERS)
    assert result.exit_code == 2
    assert "the file is too large: nothing was written to" in result.stderr
    assert "no file was made" in result.stderr and not out.exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_is_one_clear_line(tmp_path):
    source = tmp_path / "orders.csv"
    source.write_text(ORDERS, encoding="utf-8")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "her2dose", "batch", str(source), "-q"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no space left on the device: stdout is incomplete"
