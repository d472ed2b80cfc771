"""Shared fixtures: the shipped regimens book, a CLI runner that shows output on failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from her2dose.cli.app import app
from her2dose.data import loader as regimens

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "regimens.toml"

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
