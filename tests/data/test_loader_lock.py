"""Pinning the approved regimens file: HER2DOSE_REGIMENS_SHA256 or --regimens-sha256 makes
every command refuse a file with another SHA-256 (exit 3, both hashes named)."""

from __future__ import annotations

import hashlib

import pytest
from conftest import SHIPPED

from her2dose.data import loader as regimens
from her2dose.errors import RegimenFileError

APPROVED = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
COMMANDS = [
    ["plan", "enhertu", "--indication", "breast", "--weight", "72 kg"],
    ["regimens"],
    ["levels", "enhertu", "--indication", "breast"],
    ["check", "enhertu", "--indication", "breast", "--weight", "72 kg", "--dose", "389 mg"],
    ["schedule", "kadcyla", "--indication", "early-breast", "--start", "2026-01-05"],
]


def truncated(tmp_path):
    """The shipped file cut between two entries: it still loads, without PERJETA."""
    text = SHIPPED.read_text(encoding="utf-8")
    path = tmp_path / "regimens.toml"
    path.write_text(text[: text.index("[missed_doses.pertuzumab]\n")], encoding="utf-8")
    return path


def test_the_approved_file_loads(book):
    assert regimens.load(SHIPPED, expected_sha256=APPROVED.upper()).sha256 == book.sha256


def test_a_truncated_file_loads_unpinned_and_is_refused_pinned(tmp_path):
    path = truncated(tmp_path)
    assert "pertuzumab" not in regimens.load(path).molecules  # why a deployment pins
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path, expected_sha256=APPROVED)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (problem,) = info.value.problems
    assert f"its SHA-256 is {digest}, not the approved {APPROVED}" in problem


def test_a_malformed_hash_is_refused(tmp_path):
    with pytest.raises(RegimenFileError) as info:
        regimens.load(SHIPPED, expected_sha256="abc")
    assert "must be 64 hexadecimal digits, got 'abc'" in info.value.problems[0]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_refuses_another_file_by_environment(cli, tmp_path, monkeypatch, command):
    path = truncated(tmp_path)
    monkeypatch.setenv("HER2DOSE_REGIMENS_SHA256", APPROVED)
    result = cli(*command, "--regimens", str(path))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert APPROVED in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_the_option_pins_too_and_the_approved_file_runs(cli, tmp_path, command):
    refused = cli(*command, "--regimens", str(truncated(tmp_path)), "--regimens-sha256", APPROVED)
    assert refused.exit_code == 3
    assert "not the approved" in refused.stderr
    approved = cli(*command, "--regimens", str(SHIPPED), "--regimens-sha256", APPROVED)
    assert approved.exit_code in (0, 1), approved.stderr
    assert approved.stdout


def test_the_option_wins_over_the_environment(cli, monkeypatch):
    monkeypatch.setenv("HER2DOSE_REGIMENS_SHA256", "0" * 64)
    result = cli("regimens", "--regimens", str(SHIPPED), "--regimens-sha256", APPROVED)
    assert result.exit_code == 0
