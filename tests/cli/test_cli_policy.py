"""`her2dose plan` with the issue-4 flags, through the Typer app."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def london(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/London")


def plan_json(cli, *args):
    result = cli("plan", *args, "--format", "json")
    assert result.exit_code == 0
    return json.loads(result.stdout), result


def test_round_to_vial_pct_flag(cli, london):
    data, result = plan_json(
        cli,
        "herceptin",
        "--indication",
        "adjuvant-breast",
        "--schedule",
        "q3w",
        "--phase",
        "loading",
        "--weight",
        "62.5 kg",
        "--round-to-vial-pct",
        "10",
        "--prepared-at",
        "2026-06-10 09:00",
    )
    assert data["dose_mg"] == 450
    assert data["rounding"]["vials_saved"] == 1 and data["rounding"]["ordered_dose_mg"] == 500
    assert data["policy"][0]["setting"] == "round_to_vial_pct"
    assert data["policy"][0]["origin"] == "request"


def test_weight_change_warning_on_stderr(cli, london):
    data, result = plan_json(
        cli,
        "enhertu",
        "--indication",
        "breast",
        "--weight",
        "63 kg",
        "--baseline-weight",
        "70 kg",
        "--prepared-at",
        "2026-06-10 09:00",
    )
    assert "warning: weight changed by -10%" in result.stderr
    assert "recalculate the dose" in result.stderr
    assert any("recalculate the dose" in w for w in data["warnings"])
    assert data["weight_change"]["recalculate"] is True
    assert "recalculate" not in result.stdout.split('"warnings"')[0]  # stdout is only the JSON


def test_prepared_at_across_the_autumn_clock_change(cli, london):
    data, _ = plan_json(
        cli,
        "enhertu",
        "--indication",
        "breast",
        "--weight",
        "72 kg",
        "--prepared-at",
        "2026-10-24 23:30",
    )
    times = {(u["what"], u["storage"]): u["use_by"] for u in data["use_by"]}
    # 23:30 BST is 22:30 UTC; 4 h later is 02:30 UTC, which after the change is 02:30 GMT
    assert times[("diluted bag", "room_temperature")] == "2026-10-25T02:30+00:00"
    assert times[("diluted bag", "refrigerated")] == "2026-10-25T22:30+00:00"


def test_default_prepared_at_is_now_and_noted(cli, london):
    data, _ = plan_json(cli, "enhertu", "--indication", "breast", "--weight", "72 kg")
    assert data["prepared_at_given"] is False
    assert any("prepared_at not given" in n for n in data["notes"])


def test_table_shows_rounding_use_by_and_policy(cli, london, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line
    result = cli(
        "plan",
        "enhertu",
        "--indication",
        "breast",
        "--weight",
        "72 kg",
        "--round-to-vial-pct",
        "10",
        "--prepared-at",
        "2026-03-28 22:00",
    )
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    assert "Rounding" in out and "ordered 388.8 mg -> 400 mg (+11.2 mg, +2.88%)" in out
    # the clocks change overnight: the use-by time says its own offset
    assert "Prepared at 2026-03-28 22:00 (UTC+00:00)" in out
    assert "diluted bag: 2026-03-29 03:00 (UTC+01:00) if at room temperature" in out
    assert "round_to_vial_pct = 10% (request)" in out


def test_no_benzyl_alcohol_flag(cli, london):
    data, _ = plan_json(
        cli,
        "ogivri",
        "--indication",
        "adjuvant-breast",
        "--schedule",
        "q3w",
        "--phase",
        "loading",
        "--weight",
        "80 kg",
        "--no-benzyl-alcohol",
        "--prepared-at",
        "2026-06-10 09:00",
    )
    assert data["no_benzyl_alcohol"] is True and data["remainders"] == []


def test_expired_open_vial_warns_and_is_not_used(cli, london, mdv_regimens):
    data, result = plan_json(
        cli,
        "ogivri",
        "--regimens",
        str(mdv_regimens),
        "--indication",
        "adjuvant-breast",
        "--schedule",
        "q3w",
        "--phase",
        "loading",
        "--weight",
        "80 kg",
        "--open-vial-mg",
        "100",
        "--open-vial-date",
        "2026-05-01",
        "--prepared-at",
        "2026-06-10 09:00",
    )
    assert data["open_vial"]["status"] == "expired"
    assert "warning: the opened 420 mg vial" in result.stderr
    assert data["vial_total_mg"] == 720


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prepared-at", "soon"], "error: prepared_at 'soon' is not a date and time"),
        (["--open-vial-mg", "100"], "needs both --open-vial-mg"),
        (["--round-to-vial-pct", "50"], "error: round_to_vial_pct: 50% is above rounding_max_pct"),
        (["--dose-weight", "lean"], "error: dose_weight:"),
        (["--baseline-weight", "70 mL"], "error: baseline weight '70 mL' is a volume"),
    ],
)
def test_bad_flags_exit_2_with_one_line(cli, london, args, message):
    result = cli(
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
        *args,
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_help_lists_the_new_flags(cli):
    result = cli("plan", "--help")
    for flag in (
        "--baseline-weight",
        "--round-to-vial-pct",
        "--round-to-vial-exclude",
        "--round-increment-mg",
        "--weight-change-pct",
        "--dose-weight",
        "--no-benzyl-alcohol",
        "--open-vial-mg",
        "--open-vial-date",
        "--prepared-at",
    ):
        assert flag in result.stdout


def test_table_shows_the_remainder_kept_and_the_weight_change(
    cli, london, monkeypatch, mdv_regimens
):
    monkeypatch.setenv("COLUMNS", "400")
    result = cli(
        "plan",
        "ogivri",
        "--regimens",
        str(mdv_regimens),
        "--indication",
        "adjuvant-breast",
        "--schedule",
        "q3w",
        "--phase",
        "loading",
        "--weight",
        "80 kg",
        "--baseline-weight",
        "76 kg",
        "--dose-weight",
        "baseline_until_threshold",
        "--prepared-at",
        "2026-06-10 09:00",
    )
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    # 8 mg/kg x 76 kg = 608 mg: 420 + 2 x 150 = 720 mg, 112 mg (5.33 mL) kept in the 420 mg vial
    assert "Remainder kept 112 mg (5.33 mL) in the new 420 mg multiple-dose vial" in out
    assert "use by 2026-07-08 09:00 (UTC+01:00) (28 days from reconstitution)" in out
    assert "Weight change baseline 76 kg -> 80 kg: +4 kg (+5.26%), threshold 10%: below" in out
    assert "dose_weight = baseline_until_threshold (request)" in out
