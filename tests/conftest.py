"""Shared fixtures: the shipped regimens book, a CLI runner that shows output on failure,
edited copies of the shipped file, and one load per distinct regimens file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from her2dose.cli.app import app
from her2dose.data import loader as regimens

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "regimens.toml"
END = None  # an edit (END, text) adds text at the end of the file

_load_file = regimens.load
_books: dict[tuple[str, str, str | None], object] = {}
LOADS = {"real": 0, "cached": 0}


def load_shipped(path=None, **options):
    """regimens.load, once per distinct file: keyed by path (the book names it) and
    SHA-256 (an edited file is a new file). A file that fails is loaded again each time,
    so that every test sees its error raised."""
    target = Path(path) if path is not None else regimens.default_path()
    try:
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
    except OSError:
        return _load_file(path, **options)
    key = (str(target), digest, repr(sorted(options.items())))
    if key in _books:
        LOADS["cached"] += 1
    else:
        LOADS["real"] += 1
        _books[key] = _load_file(path, **options)
    return _books[key]


# Every caller (the CLI in-process, commands, tests) goes through the loader module, so one
# replacement here serves them all; the loader's own tests load broken copies, never cached.
regimens.load = load_shipped


def broken_copy(tmp_path, edits, name="regimens.toml", *, unique=False):
    """The shipped file with each (old, new) replaced once, or (END, text) added."""
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in edits:
        if old is END:
            text += "\n" + new
            continue
        if unique:
            assert text.count(old) == 1, f"edit anchor not unique or missing: {old[:60]!r}"
        assert old in text, f"anchor not found in the shipped file: {old!r}"
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def book():
    return regimens.load(SHIPPED)


@pytest.fixture
def cli(monkeypatch):
    """Run the CLI in-process; stdout and stderr kept apart; output printed on failure."""
    monkeypatch.delenv("HER2DOSE_REGIMENS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
        print("exit:", result.exit_code)
        print("stdout:", result.stdout)
        print("stderr:", result.stderr)
        return result

    return invoke


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("HER2DOSE_LOAD_STATS"):
        terminalreporter.write_line(f"regimens files loaded: {LOADS}")


# No multiple-dose vial of the shipped file has an encoded in-use time (the labels read do
# not give one per product), so the tests of keeping and reusing a remainder run on a
# copy that gives OGIVRI's 420 mg vial one. A test fixture, never a clinical fact.
MDV_ANCHOR = 'deliverable_volume = "20 mL"\nsource = "OGIVRI US PI §11'
MDV_IN_USE = 'in_use = "28 day"\nin_use_storage = "refrigerated at 2 to 8 °C"\n'


@pytest.fixture(scope="session")
def mdv_regimens(tmp_path_factory):
    """Path of the shipped file with an in-use time on the OGIVRI 420 mg vial."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.count(MDV_ANCHOR) == 1
    path = tmp_path_factory.mktemp("mdv") / "regimens.toml"
    path.write_text(
        text.replace(MDV_ANCHOR, 'deliverable_volume = "20 mL"\n' + MDV_IN_USE + MDV_ANCHOR[29:]),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def mdv_book(mdv_regimens):
    return regimens.load(mdv_regimens)
