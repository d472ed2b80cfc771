"""CLI tests for `levels`, `adjust` and `check`: exit codes, stable JSON keys, errors on
stderr, help, and that --help loads neither Pint nor Rich."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

LEVELS_KEYS = [
    "schema_version",
    "drug",
    "drug_name",
    "product",
    "brand",
    "regimen",
    "indication",
    "basis",
    "weight_input",
    "weight_kg",
    "levels",
    "further_reduction",
    "further_reduction_source",
    "no_reductions",
    "no_re_escalation",
    "max_dose_mg_per_kg",
    "max_dose_source",
    "warnings",
    "notes",
    "regimens_file",
    "regimens_sha256",
]
LEVEL_ROW_KEYS = [
    "level",
    "name",
    "schedule",
    "phase",
    "dose_mg_per_kg",
    "dose_mg",
    "vials",
    "vial_total_mg",
    "leftover_mg",
    "drug_volume_ml",
    "total_volume_ml",
    "source",
]
ADJUST_KEYS = [
    "schema_version",
    "drug",
    "drug_name",
    "regimen",
    "indication",
    "event",
    "event_name",
    "event_input",
    "grade",
    "lvef_pct",
    "lvef_drop_pct",
    "lvef_lln_pct",
    "lvef_lln_from",
    "symptomatic_chf",
    "resolved_days",
    "level",
    "level_name",
    "level_mg_per_kg",
    "level_dose_mg",
    "weight_input",
    "weight_kg",
    "answer",
    "criterion",
    "action",
    "action_text",
    "until",
    "condition",
    "outcomes",
    "decided",
    "result",
    "result_level",
    "result_level_name",
    "result_mg_per_kg",
    "result_mg",
    "result_text",
    "follow_up",
    "label",
    "source",
    "evidence",
    "not_encoded",
    "message",
    "no_re_escalation",
    "warnings",
    "notes",
    "sources",
    "regimens_file",
    "regimens_sha256",
]
OUTCOME_KEYS = ["condition", "result", "level", "level_name", "dose_mg_per_kg", "dose_mg", "text"]
CHECK_KEYS = [
    "schema_version",
    "drug",
    "drug_name",
    "regimen",
    "indication",
    "schedule",
    "phase",
    "weight_input",
    "weight_kg",
    "dose_input",
    "dose_mg",
    "dose_mg_per_kg",
    "tolerance_pct",
    "tolerance_from",
    "checked_against",
    "verdict",
    "match",
    "level",
    "level_name",
    "nearest",
    "comparisons",
    "over_label",
    "max_dose_mg_per_kg",
    "max_dose_source",
    "message",
    "warnings",
    "notes",
    "regimens_file",
    "regimens_sha256",
]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Rich wraps table cells at 80 columns; a wide terminal keeps phrases on one line."""
    monkeypatch.setenv("COLUMNS", "250")


COMPARISON_KEYS = [
    "level",
    "name",
    "dose_mg_per_kg",
    "dose_mg",
    "difference_mg",
    "difference_pct",
    "within_tolerance",
    "source",
]


# -- levels -------------------------------------------------------------------------------


def test_levels_table(cli):
    result = cli("levels", "enhertu", "--indication", "gastric", "--weight", "72 kg")
    assert result.exit_code == 0
    out = result.stdout
    for text in (
        "starting dose",
        "6.4",
        "460.8 mg",
        "5x100mg = 500 mg",
        "23.04 mL",
        "first dose reduction",
        "388.8 mg",
        "second dose reduction",
        "316.8 mg",
        "further reduction required: discontinue",
        "Do not re-escalate the ENHERTU dose after a dose reduction is made.",
    ):
        assert text in out, text
    assert result.stderr == ""


def test_levels_json_keys(cli):
    result = cli("levels", "kadcyla", "--indication", "mbc", "--weight", "68 kg", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == LEVELS_KEYS
    assert list(data["levels"][0]) == LEVEL_ROW_KEYS
    assert [r["dose_mg"] for r in data["levels"]] == [244.8, 204, 163.2]
    assert data["regimens_sha256"] and data["further_reduction"] == "discontinue"


def test_levels_for_trastuzumab_says_hold_or_discontinue_only(cli):
    result = cli("levels", "herceptin", "--indication", "gastric")
    assert result.exit_code == 0
    assert "no dose reductions; hold or discontinue only" in result.stdout


# -- adjust -------------------------------------------------------------------------------


def test_adjust_ild_29_days_reduces_one_level(cli):
    result = cli(
        "adjust",
        "enhertu",
        "--indication",
        "breast",
        "--level",
        "0",
        "--event",
        "ild",
        "--grade",
        "1",
        "--resolved-days",
        "29",
        "--weight",
        "72 kg",
        "-f",
        "json",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == ADJUST_KEYS
    assert list(data["outcomes"][0]) == OUTCOME_KEYS
    assert (data["answer"], data["action"], data["result"]) == ("rule", "interrupt", "reduce")
    assert (data["result_level"], data["result_mg_per_kg"], data["result_mg"]) == (-1, 4.4, 316.8)
    assert data["source"] == "ENHERTU US PI §2.3 Table 2"


def test_adjust_ild_28_days_keeps_the_dose(cli):
    result = cli(
        "adjust",
        "enhertu",
        "--indication",
        "breast",
        "--level",
        "-1",
        "--event",
        "pneumonitis",
        "--grade",
        "1",
        "--resolved-days",
        "28",
        "-f",
        "json",
    )
    data = json.loads(result.stdout)
    assert (data["result"], data["result_level"]) == ("maintain", -1)


def test_adjust_from_the_last_level_discontinues(cli):
    result = cli(
        "adjust",
        "kadcyla",
        "--indication",
        "mbc",
        "--level",
        "-2",
        "--event",
        "ast",
        "--grade",
        "3",
    )
    assert result.exit_code == 0
    assert "permanently discontinue: level -2 is the last level" in " ".join(result.stdout.split())


def test_adjust_table_shows_label_and_source(cli):
    result = cli(
        "adjust",
        "kadcyla",
        "--indication",
        "mbc",
        "--level",
        "0",
        "--event",
        "plt",
        "--grade",
        "3",
        "--weight",
        "60 kg",
    )
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert "resume at the same dose: level 0 (starting dose, 3.6 mg/kg) = 216 mg" in flat
    assert "KADCYLA US PI (2013 version)" in flat


def test_adjust_lvef_by_category(cli):
    result = cli(
        "adjust",
        "enhertu",
        "--indication",
        "breast",
        "--level",
        "0",
        "--event",
        "ejection-fraction",
        "--lvef",
        "42",
        "--lvef-drop",
        "12",
        "-f",
        "json",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["lvef_pct"], data["lvef_drop_pct"], data["action"]) == (42, 12, "interrupt")
    assert [o["result"] for o in data["outcomes"]] == ["maintain", "discontinue"]
    assert data["decided"] is False and data["result"] is None


def test_adjust_not_encoded_exits_1_and_says_where_to_look(cli):
    result = cli(
        "adjust",
        "enhertu",
        "--indication",
        "breast",
        "--level",
        "0",
        "--event",
        "anc",
        "--grade",
        "4",
        "-f",
        "json",
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["answer"] == "not-encoded" and data["result"] is None
    assert data["message"] == (
        "not encoded: check the current prescribing information, section 2.3 (Table 2)"
    )
    assert "warning: not encoded" in result.stderr


def test_adjust_lvef_outside_every_row_exits_0_with_no_modification(cli):
    result = cli(
        "adjust",
        "enhertu",
        "--indication",
        "breast",
        "--level",
        "0",
        "--event",
        "lvef",
        "--lvef",
        "60",
        "--lvef-drop",
        "5",
    )
    assert result.exit_code == 0
    assert "no modification in the label's table at this reading" in result.stdout
    assert "LVEF greater than 45%" in result.stdout  # the rows' boundaries


def test_adjust_event_without_a_row_exits_1(cli):
    result = cli("adjust", "kadcyla", "--indication", "mbc", "--level", "0", "--event", "nausea")
    assert result.exit_code == 1
    assert "has no row for nausea; no label-directed modification" in result.stderr
    assert "did you mean" not in result.stderr


@pytest.mark.parametrize("event", ["xyzzy", "nausae"])
def test_adjust_unknown_event_exits_2_with_the_valid_names(cli, event):
    """A word no label's table and no unlisted event knows is a typo, not "no row"."""
    result = cli("adjust", "kadcyla", "--indication", "mbc", "--level", "0", "--event", event)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: unknown event '{event}' for ado-trastuzumab")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Events in its label's dose-modification table: transaminases (ast, alt" in (
        result.stderr
    )
    assert "adverse events it has no row for: neutropenia, " in result.stderr
    assert ("did you mean 'nausea'?" in result.stderr) == (event == "nausae")
    assert "has no row for nausea" not in result.stderr


@pytest.mark.parametrize("event", ["diarrhoea", "vomiting", "emesis", "neutropenia"])
def test_adjust_known_event_without_a_row_still_exits_1(cli, event):
    result = cli("adjust", "kadcyla", "--indication", "mbc", "--level", "0", "--event", event)
    assert result.exit_code == 1
    assert f"has no row for {event}; no label-directed modification" in result.stderr
    assert "unknown event" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--level", "0", "--event", "neutropenai", "--grade", "2"], "did you mean 'neutropenia'"),
        (["--level", "0", "--event", "anc", "--grade", "1"], "grades in the table: 3, 4"),
        (["--level", "-3", "--event", "anc", "--grade", "3"], "valid levels are 0, -1, -2"),
        (["--event", "anc", "--grade", "3"], "--level is required"),
        (["--level", "0", "--event", "anc", "--grade", "9"], "not a CTCAE grade"),
        (["--level", "0", "--event", "lvef", "--grade", "2"], "not CTCAE grades"),
    ],
)
def test_adjust_errors_exit_2_with_valid_values(cli, args, message):
    result = cli("adjust", "enhertu", "--indication", "breast", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_adjust_without_event_is_a_usage_error(cli):
    result = cli("adjust", "enhertu", "--indication", "breast", "--level", "0")
    assert result.exit_code == 2


# -- check --------------------------------------------------------------------------------


def test_check_match_exits_0(cli):
    result = cli(
        "check", "enhertu", "--indication", "breast", "--weight", "72 kg", "--dose", "320 mg"
    )
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert "MATCH" in flat and "matches level -1 (first dose reduction) within 5%" in flat


def test_check_over_label_exits_1_with_the_label_figure(cli):
    result = cli(
        "check",
        "enhertu",
        "--indication",
        "gastric",
        "--weight",
        "72 kg",
        "--dose",
        "6.6 mg/kg",
        "-f",
        "json",
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert list(data) == CHECK_KEYS
    assert list(data["nearest"]) == COMPARISON_KEYS
    assert data["verdict"] == "above-label-dose" and data["match"] is False
    assert data["over_label"]["limit_mg_per_kg"] == 6.4
    assert data["over_label"]["difference_pct"] == 3.1
    assert "3.1% (14.4 mg) above the starting dose, 6.4 mg/kg" in data["message"]


def test_check_kadcyla_above_maximum_exits_1(cli):
    result = cli(
        "check",
        "kadcyla",
        "--indication",
        "mbc",
        "--weight",
        "60 kg",
        "--dose",
        "3.7 mg/kg",
        "-f",
        "json",
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["verdict"] == "above-maximum"


def test_check_no_match_exits_1(cli):
    result = cli(
        "check",
        "enhertu",
        "--indication",
        "breast",
        "--weight",
        "72 kg",
        "--dose",
        "350 mg",
        "-f",
        "json",
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["verdict"] == "no-match" and data["level"] is None
    assert data["nearest"]["level"] == 0 and data["nearest"]["difference_pct"] == -10


def test_check_tolerance_flag(cli):
    result = cli(
        "check",
        "enhertu",
        "--indication",
        "breast",
        "--weight",
        "72 kg",
        "--dose",
        "350 mg",
        "--tolerance",
        "10",
        "-f",
        "json",
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["tolerance_from"] == "--tolerance"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--weight", "72 kg", "--dose", "389"], "has no unit"),
        (["--weight", "72 mL", "--dose", "389 mg"], "weight"),
        (["--weight", "72 kg", "--dose", "389 mg", "--tolerance", "x"], "--tolerance"),
        (["--weight", "72 kg", "--dose", "389 mg", "--level", "-5"], "valid levels are 0, -1, -2"),
    ],
)
def test_check_bad_input_exits_2(cli, args, message):
    result = cli("check", "enhertu", "--indication", "breast", *args)
    assert result.exit_code == 2
    assert result.stdout == "" and message in result.stderr


def test_check_trastuzumab_needs_phase(cli):
    result = cli(
        "check", "ogivri", "--indication", "gastric", "--weight", "60 kg", "--dose", "360 mg"
    )
    assert result.exit_code == 2 and "--phase" in result.stderr
    ok = cli(
        "check",
        "ogivri",
        "--indication",
        "gastric",
        "--weight",
        "60 kg",
        "--dose",
        "360 mg",
        "--phase",
        "maintenance",
    )
    assert ok.exit_code == 0


# -- help, docs, import hygiene -----------------------------------------------------------


@pytest.mark.parametrize("command", ["levels", "adjust", "check"])
def test_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "--format" in result.stdout and "--regimens" in result.stdout


@pytest.mark.parametrize("command", ["levels", "adjust", "check"])
def test_readme_documents_the_command(command):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"### `her2dose {command}`" in readme


def test_help_of_new_commands_loads_neither_pint_nor_rich():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from her2dose.cli.app import app\n"
        "for c in ('levels', 'adjust', 'check'):\n"
        "    assert CliRunner().invoke(app, [c, '--help']).exit_code == 0\n"
        "print(sorted(m for m in ('pint', 'rich.table', 'her2dose.commands.adjust') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
