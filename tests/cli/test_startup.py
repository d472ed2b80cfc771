"""What each command loads: `--help` and `--version` never load Pint or Rich, and JSON or
CSV output never loads Rich (start-up time; benchmarks/startup.py has the figures).

Deterministic: each case runs in a fresh interpreter and reports sys.modules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import SHIPPED

PLAN_JSON = [  # a plan as JSON, on the shipped file
    "plan",
    "enhertu",
    "--indication",
    "breast",
    "--weight",
    "72 kg",
    "--format",
    "json",
    "--regimens",
    str(SHIPPED),
]

PROBE = """
import json, sys
from her2dose.cli.app import app, app_for
args, lean = json.loads(sys.argv[1]), sys.argv[2] == "lean"
if args is not None:
    try:
        (app_for(args) if lean else app)(args, prog_name="her2dose")
    except SystemExit:
        pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pint", "rich", "her2dose"))
print(json.dumps(loaded), file=sys.stderr)
"""


def modules_after(args: list[str] | None, stdin: str = "", *, lean: bool = False) -> set[str]:
    """The modules loaded by running `args` through the whole app, or (`lean`) through the
    app main() runs: app_for(args)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), "lean" if lean else "whole"],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "NO_COLOR": "1"},
    )
    return set(json.loads(done.stderr.splitlines()[-1]))


def heavy(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules} & {"pint", "rich"}


def test_importing_the_cli_loads_neither_pint_nor_rich():
    loaded = modules_after(None)
    assert heavy(loaded) == set()
    assert loaded == {
        "her2dose",
        "her2dose.cli",
        "her2dose.cli.app",
        "her2dose.cli.errors",
        "her2dose.cli.options",
        "her2dose.errors",
    }


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["batch", "--help"], ["plan", "--help"]]
)
def test_version_and_help_load_neither_pint_nor_rich(args):
    loaded = modules_after(args)
    assert heavy(loaded) == set()
    assert "her2dose.data.loader" not in loaded and "her2dose.model" not in loaded


def test_plan_as_json_loads_pint_but_not_rich():
    loaded = modules_after(PLAN_JSON)
    assert heavy(loaded) == {"pint"}


def test_plan_as_a_table_loads_rich():
    loaded = modules_after(
        [
            "plan",
            "enhertu",
            "--indication",
            "breast",
            "--weight",
            "72 kg",
            "--regimens",
            str(SHIPPED),
        ]
    )
    assert heavy(loaded) == {"pint", "rich"}


def test_batch_without_a_terminal_loads_no_rich():
    loaded = modules_after(
        ["batch", "-", "--regimens", str(SHIPPED)], stdin="drug,weight\nmargenza,70 kg\n"
    )
    assert "her2dose.batch.run" in loaded
    assert heavy(loaded) == {"pint"}


CLI_COMMAND_MODULES = {
    "her2dose.cli.plan",
    "her2dose.cli.clinical",
    "her2dose.cli.courses",
    "her2dose.cli.batch",
}


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (PLAN_JSON, "her2dose.cli.plan"),
        (["plan", "--help"], "her2dose.cli.plan"),
        (["levels", "enhertu", "--indication", "breast", "--json"], "her2dose.cli.clinical"),
        (["next", "--help"], "her2dose.cli.courses"),
        (["batch", "--help"], "her2dose.cli.batch"),
    ],
)
def test_a_command_run_as_main_runs_it_imports_only_its_own_cli_module(args, module):
    loaded = modules_after(args, lean=True)
    assert loaded & CLI_COMMAND_MODULES == {module}


def test_a_plan_as_json_never_loads_the_worksheet():
    loaded = modules_after(PLAN_JSON, lean=True)
    assert "her2dose.render.worksheet" not in loaded
    assert "her2dose.render.worksheet_pdf" not in loaded


def test_the_whole_app_s_help_imports_every_command_module():
    assert modules_after(["--help"], lean=True) & CLI_COMMAND_MODULES == CLI_COMMAND_MODULES
