"""CLI: `her2dose schedule` and `her2dose next` (issue 5): output, JSON keys, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
from conftest import SHIPPED

SCHEDULE_KEYS = [
    "schema_version",
    "drug",
    "drug_name",
    "product",
    "brand",
    "regimen",
    "indication",
    "schedule",
    "chemotherapy",
    "start",
    "level",
    "cycle_levels",
    "first_cycle",
    "course",
    "requested_cycles",
    "requested_weeks",
    "weight_input",
    "weight_kg",
    "doses",
    "end",
    "warnings",
    "notes",
    "sources",
    "regimens_file",
    "regimens_sha256",
]
DOSE_KEYS = [
    "number",
    "date",
    "weekday",
    "week",
    "day",
    "schedule",
    "interval_days",
    "phase",
    "level",
    "dose",
    "dose_mg_per_kg",
    "dose_mg",
    "vials",
    "infusion",
    "infusion_minutes",
]
NEXT_KEYS = [
    "schema_version",
    "drug",
    "drug_name",
    "product",
    "brand",
    "regimen",
    "indication",
    "schedule",
    "chemotherapy",
    "start",
    "previous",
    "last_dose",
    "on",
    "due_date",
    "due_weekday",
    "days_since_last_dose",
    "days_late",
    "days_until_due",
    "minimum_interval_days",
    "earliest_date",
    "status",
    "give_now",
    "action",
    "message",
    "dose_schedule",
    "phase",
    "level",
    "dose",
    "dose_mg_per_kg",
    "weight_input",
    "weight_kg",
    "dose_mg",
    "vials",
    "infusion",
    "infusion_minutes",
    "rate_ml_per_h",
    "route",
    "volume_ml",
    "injection_minutes",
    "injection_minutes_range",
    "next_due_date",
    "rule",
    "rule_source",
    "reminders",
    "warnings",
    "notes",
    "sources",
    "regimens_file",
    "regimens_sha256",
]


def test_schedule_table(cli):
    result = cli("schedule", "kadcyla", "--indication", "early-breast", "--start", "2026-01-05")
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    assert "every row: weekday Monday" in out and "14 2026-10-05 40" in out
    assert "The course stops here: 14 cycles in total" in out
    assert result.stderr == ""


def test_schedule_json_with_weight(cli):
    result = cli(
        "schedule",
        "trastuzumab",
        "--indication",
        "adjuvant",
        "--schedule",
        "adjuvant-weekly-then-q3w",
        "--chemotherapy",
        "docetaxel-carboplatin",
        "--start",
        "2026-01-05",
        "--weight",
        "70 kg",
        "--product",
        "trazimera",
        "--format",
        "json",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == SCHEDULE_KEYS
    assert list(data["doses"][0]) == DOSE_KEYS
    assert len(data["doses"]) == 30
    switch = data["doses"][18]
    assert (
        switch["week"],
        switch["schedule"],
        switch["phase"],
        switch["dose_mg_per_kg"],
        switch["dose_mg"],
        switch["infusion_minutes"],
    ) == (19, "q3w", "maintenance", 6, 420, 90)
    assert data["doses"][0]["dose_mg"] == 280 and data["doses"][0]["infusion_minutes"] == 90
    assert data["course"]["weeks"] == 52 and "beyond one year" in data["course"]["limit"]
    assert data["brand"] == "TRAZIMERA" and data["weight_kg"] == 70
    assert data["regimens_sha256"] and data["regimens_file"]


def test_schedule_open_ended_needs_a_length(cli):
    result = cli("schedule", "enhertu", "--indication", "breast", "--start", "2026-01-05")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: ENHERTU (breast) is given until disease progression or unacceptable toxicity"
    )
    ok = cli(
        "schedule",
        "enhertu",
        "--indication",
        "breast",
        "--start",
        "2026-01-05",
        "--cycles",
        "4",
        "--format",
        "json",
    )
    data = json.loads(ok.stdout)
    assert ok.exit_code == 0 and len(data["doses"]) == 4
    assert data["end"].startswith("Given until disease progression or unacceptable toxicity")


def test_schedule_beyond_the_course_warns_on_stderr(cli):
    result = cli(
        "schedule",
        "herceptin",
        "--indication",
        "adjuvant",
        "--schedule",
        "q3w",
        "--start",
        "2026-01-05",
        "--weeks",
        "60",
    )
    assert result.exit_code == 0
    assert "warning: --weeks 60 goes beyond the label course (52 weeks)" in result.stderr
    assert "Extending adjuvant treatment beyond one year is not recommended." in " ".join(
        result.stdout.split()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "5 Jan 2026"], "--start '5 Jan 2026' is not a date"),
        (["--start", "2026-01-05", "--cycles", "2", "--weeks", "2"], "not both"),
        (["--start", "2026-01-05", "--schedule", "monthly"], "unknown schedule 'monthly'"),
    ],
)
def test_schedule_bad_input_exits_2(cli, args, message):
    result = cli("schedule", "kadcyla", "--indication", "mbc", *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_schedule_and_plan_refuse_phesgo(cli):
    for args in (
        ["plan", "phesgo", "--weight", "70"],
        ["schedule", "phesgo", "--start", "2026-01-05", "--cycles", "3"],
    ):
        result = cli(*args)
        assert result.exit_code == 2
        assert "subcutaneous" in result.stderr and "her2dose next phesgo" in result.stderr
        assert "mL/h" not in result.stdout


def test_next_due_exits_0(cli):
    result = cli(
        "next",
        "herceptin",
        "--indication",
        "gastric",
        "--last-dose",
        "2026-01-05",
        "--on",
        "2026-02-02",
        "--weight",
        "80 kg",
    )
    assert result.exit_code == 0
    assert "LATE" in result.stdout and "6 mg/kg (maintenance)" in result.stdout
    assert "480 mg" in result.stdout and "2026-02-23" in result.stdout


def test_next_reload_json(cli):
    result = cli(
        "next",
        "herceptin",
        "--indication",
        "gastric",
        "--last-dose",
        "2026-01-05",
        "--on",
        "2026-02-03",
        "--weight",
        "80 kg",
        "--format",
        "json",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == NEXT_KEYS
    assert (
        data["status"],
        data["action"],
        data["phase"],
        data["dose_mg_per_kg"],
        data["dose_mg"],
        data["infusion_minutes"],
        data["days_late"],
        data["next_due_date"],
        data["give_now"],
    ) == ("late", "re-load", "loading", 8, 640, 90, 8, "2026-02-24", True)
    assert data["rule_source"].startswith("HERZUMA US PI §2.4")


def test_next_not_yet_due_exits_1(cli):
    result = cli(
        "next",
        "kadcyla",
        "--indication",
        "ebc",
        "--last-dose",
        "2026-01-05",
        "--on",
        "2026-01-20",
        "--format",
        "json",
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (
        data["status"],
        data["earliest_date"],
        data["minimum_interval_days"],
        data["days_until_due"],
        data["give_now"],
        data["dose"],
    ) == ("not-yet-due", "2026-01-26", 21, 6, False, None)


def test_next_perjeta_late_says_check_the_label_exits_1(cli):
    result = cli("next", "perjeta", "--last-dose", "2026-01-05", "--on", "2026-02-20")
    assert result.exit_code == 1
    assert "NOT ENCODED" in result.stdout
    data = json.loads(
        cli(
            "next", "perjeta", "--last-dose", "2026-01-05", "--on", "2026-02-20", "--format", "json"
        ).stdout
    )
    assert data["status"] == "not-encoded" and data["dose"] is None
    assert "check the current PERJETA prescribing information" in data["message"]


def test_next_phesgo_transition(cli):
    result = cli(
        "next",
        "phesgo",
        "--last-dose",
        "2026-01-05",
        "--on",
        "2026-02-16",
        "--previous",
        "iv",
        "--format",
        "json",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["action"], data["volume_ml"], data["injection_minutes"], data["route"]) == (
        "loading",
        15,
        8,
        "subcutaneous",
    )
    assert data["dose"].startswith("1,200 mg pertuzumab")
    missing = cli("next", "phesgo", "--last-dose", "2026-01-05", "--on", "2026-02-16")
    assert missing.exit_code == 2 and "--previous iv" in missing.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--last-dose", "2026-02-30"], "--last-dose '2026-02-30' is not a date"),
        (["--last-dose", "2026-01-05", "--on", "2026-01-04"], "is before the last dose"),
        (["--last-dose", "2999-01-01"], "is in the future"),
    ],
)
def test_next_bad_dates_exit_2(cli, args, message):
    result = cli("next", "kadcyla", "--indication", "ebc", *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_next_on_defaults_to_today(cli):
    last = (date.today() - timedelta(21)).isoformat()
    result = cli("next", "kadcyla", "--indication", "ebc", "--last-dose", last, "--format", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0
    assert (data["on"], data["status"]) == (date.today().isoformat(), "due")


def test_broken_courses_exit_3(cli, tmp_path):
    path = tmp_path / "regimens.toml"
    path.write_text(
        SHIPPED.read_text(encoding="utf-8") + '\n[courses.no-such]\ncycles = 2\nsource = "x"\n',
        encoding="utf-8",
    )
    for command in (
        ["schedule", "kadcyla", "--indication", "ebc", "--start", "2026-01-05"],
        ["next", "kadcyla", "--indication", "ebc", "--last-dose", "2026-01-05"],
    ):
        result = cli(*command, "--regimens", str(path))
        assert result.exit_code == 3
        assert "courses.no-such: unknown regimen 'no-such'" in result.stderr


@pytest.mark.parametrize("command", ["schedule", "next"])
def test_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and "--format" in result.stdout


def test_help_does_not_load_pint_or_rich():
    code = (
        "import sys; from typer.testing import CliRunner; from her2dose.cli.app import app; "
        "r = CliRunner().invoke(app, ['next', '--help']); assert r.exit_code == 0; "
        "print('pint' in sys.modules, 'her2dose.commands.schedule' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "args",
    [
        ["schedule", "kadcyla", "--indication", "mbc", "--start", "2026-01-05", "--cycles", "2"],
        ["next", "enhertu", "--indication", "breast", "--last-dose", "2026-01-05"],
        ["levels", "enhertu", "--indication", "gastric"],
        ["adjust", "enhertu", "--indication", "breast", "--level", "0", "--event", "anc"],
    ],
    ids=["schedule", "next", "levels", "adjust"],
)
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_only_plan_notes_the_time_use_by_times_count_from(cli, args, fmt):
    """Use-by times are shown by `plan` alone: no other command mentions --prepared-at."""
    extra = ["--grade", "3"] if args[0] == "adjust" else []
    if args[0] == "next":
        extra = ["--on", "2026-01-26"]
    result = cli(*args, *extra, "--weight", "72 kg", "--format", fmt)
    assert result.exit_code in (0, 1)
    assert "mg" in result.stdout  # the command planned a dose
    for said in ("prepared_at", "prepared-at", "use-by times count from now"):
        assert said not in result.stdout + result.stderr
    plan = cli("plan", "enhertu", "--indication", "breast", "--weight", "72 kg", "--format", fmt)
    said = "prepared_at not given: use-by" if fmt == "json" else "(now: no --prepared-at given)"
    assert said in plan.stdout
