"""Golden outputs of every command, captured before the package restructure.

Each case in CASES runs `her2dose` in-process (Typer's CliRunner on `her2dose.cli.app`) with
`--format json` and compares the exit code, the parsed JSON on stdout and stderr with
`tests/golden/<name>.json`. `batch` is compared with `tests/golden/batch_output.csv` (its
input is `tests/golden/batch_input.csv`) and its exit code with `tests/golden/batch.json`.

Deterministic by construction: TZ=UTC, every `plan` (and every batch row) has
`--prepared-at`, every `next` has `--on`, HER2DOSE_REGIMENS is unset and NO_COLOR is set.
Normalised in both capture and comparison: any absolute path of a regimens file
(`.../regimens.toml`) becomes "<regimens>" and any SHA-256 (64 hex digits) becomes
"<sha256>", so that moving the package or editing regimens.toml does not fail every case.
No output may carry the current time: `levels`, `schedule` and `next` show no use-by
times, so their plans carry no "use-by times count from now" note.

To rewrite the golden files after an intended change of output:

    HER2DOSE_REGOLDEN=1 pytest tests/test_golden.py

then review the diff (`git diff tests/golden`) before committing it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from her2dose.cli import app

GOLDEN = Path(__file__).resolve().parent / "golden"
REGOLDEN = os.environ.get("HER2DOSE_REGOLDEN") == "1"

PREPARED = ("--prepared-at", "2026-03-02 09:00")
JSON = ("--format", "json")


def plan(line: str) -> list[str]:
    """`plan` with the words of `line` (split as a shell would), --prepared-at and JSON."""
    return ["plan", *shlex.split(line), *PREPARED, *JSON]


def cmd(line: str) -> list[str]:
    """A command with the words of `line` (split as a shell would) and JSON."""
    return [*shlex.split(line), *JSON]


CASES: list[tuple[str, list[str]]] = [
    # --- plan -----------------------------------------------------------------------------
    ("plan_enhertu_breast_72kg", plan("enhertu --indication breast --weight '72 kg'")),
    (
        "plan_enhertu_gastric_level_minus1",
        plan("enhertu --indication gastric --weight '72 kg' --level -1"),
    ),
    ("plan_tdxd_nsclc_level_minus2", plan("t-dxd --indication nsclc --weight '65 kg' --level -2")),
    (
        "plan_kadcyla_round_increment_10mg",
        plan("kadcyla --indication metastatic-breast --weight '72 kg' --round-increment-mg 10"),
    ),
    (
        "plan_kadcyla_level_minus1_round_to_vial_10pct",
        plan("kadcyla --indication mbc --weight '86 kg' --level -1 --round-to-vial-pct 10"),
    ),
    (
        "plan_kadcyla_round_to_vial_at_maximum",
        plan("kadcyla --indication mbc --weight '86 kg' --round-to-vial-pct 10"),
    ),
    (
        "plan_kadcyla_round_to_vial_excluded",
        plan(
            "kadcyla --indication mbc --weight '86 kg' --level -1 --round-to-vial-pct 10 "
            "--round-to-vial-exclude t-dm1,enhertu"
        ),
    ),
    (
        "plan_herceptin_round_to_vial_exclude_none",
        plan(
            "herceptin --indication adjuvant-breast --schedule q3w --phase loading "
            "--weight '62.5 kg' --round-to-vial-pct 10 --round-to-vial-exclude none"
        ),
    ),
    (
        "plan_herceptin_adjuvant_q3w_loading",
        plan(
            "herceptin --indication adjuvant-breast --schedule q3w --phase loading --weight '70 kg'"
        ),
    ),
    (
        "plan_herceptin_adjuvant_q3w_maintenance_subsequent",
        plan(
            "herceptin --indication adjuvant-breast --schedule q3w --phase maintenance "
            "--weight '70 kg' --infusion subsequent"
        ),
    ),
    (
        "plan_herceptin_metastatic_weekly_loading",
        plan(
            "herceptin --indication metastatic-breast --schedule weekly --phase loading "
            "--weight '80 kg'"
        ),
    ),
    (
        "plan_herceptin_metastatic_weekly_maintenance",
        plan(
            "herceptin --indication metastatic-breast --schedule weekly --phase maintenance "
            "--weight '80 kg'"
        ),
    ),
    (
        "plan_ogivri_adjuvant_q3w_loading",
        plan("ogivri --indication adjuvant-breast --schedule q3w --phase loading --weight '80 kg'"),
    ),
    (
        "plan_trastuzumab_trazimera_gastric_maintenance",
        plan(
            "trastuzumab --product trazimera --indication gastric --phase maintenance "
            "--weight '70 kg'"
        ),
    ),
    (
        "plan_ogivri_open_vial_used",
        plan(
            "ogivri --indication adjuvant-breast --schedule q3w --phase maintenance "
            "--weight '70 kg' --open-vial-mg 150 --open-vial-date '2026-02-20 10:00'"
        ),
    ),
    (
        "plan_ogivri_open_vial_expired",
        plan(
            "ogivri --indication adjuvant-breast --schedule q3w --phase maintenance "
            "--weight '70 kg' --open-vial-mg 150 --open-vial-date 2026-01-20"
        ),
    ),
    (
        "plan_ogivri_no_benzyl_alcohol",
        plan(
            "ogivri --indication adjuvant-breast --schedule q3w --phase maintenance "
            "--weight '70 kg' --no-benzyl-alcohol"
        ),
    ),
    (
        "plan_herzuma_no_benzyl_alcohol",
        plan(
            "herzuma --indication metastatic-breast --schedule q3w --phase maintenance "
            "--weight '70 kg' --no-benzyl-alcohol"
        ),
    ),
    (
        "plan_enhertu_baseline_weight_below_threshold",
        plan(
            "enhertu --indication breast --weight '74 kg' --baseline-weight '70 kg' "
            "--dose-weight baseline_until_threshold"
        ),
    ),
    (
        "plan_enhertu_baseline_weight_beyond_threshold",
        plan(
            "enhertu --indication breast --weight '77 kg' --baseline-weight '70 kg' "
            "--dose-weight baseline_until_threshold --weight-change-pct 10"
        ),
    ),
    (
        "plan_enhertu_baseline_weight_change_pct_5",
        plan(
            "enhertu --indication breast --weight '74 kg' --baseline-weight '70 kg' "
            "--weight-change-pct 5"
        ),
    ),
    (
        "plan_kadcyla_baseline_weight_above_maximum",
        plan(
            "kadcyla --indication mbc --weight '70 kg' --baseline-weight '75 kg' "
            "--dose-weight baseline_until_threshold"
        ),
    ),
    (
        "plan_enhertu_gastric_weight_lb",
        plan("enhertu --indication gastric --weight '158.7 lb' --level -1"),
    ),
    ("plan_enhertu_bare_weight", plan("enhertu --indication breast --weight 72")),
    ("plan_enhertu_low_weight_warning", plan("enhertu --indication breast --weight '30 kg'")),
    (
        "plan_enhertu_infusion_subsequent",
        plan("enhertu --indication breast --weight '72 kg' --infusion subsequent"),
    ),
    ("plan_perjeta_loading", plan("perjeta --indication breast --phase loading --weight '70 kg'")),
    (
        "plan_perjeta_maintenance_subsequent",
        plan(
            "perjeta --indication breast --phase maintenance --weight '70 kg' --infusion subsequent"
        ),
    ),
    ("plan_margenza_first", plan("margenza --weight '70 kg'")),
    ("plan_margenza_subsequent", plan("margenza --weight '70 kg' --infusion subsequent")),
    ("plan_unknown_drug", plan("enhertoo --indication breast --weight '72 kg'")),
    # --- levels ---------------------------------------------------------------------------
    ("levels_enhertu_breast", cmd("levels enhertu --indication breast")),
    ("levels_enhertu_gastric_weight", cmd("levels enhertu --indication gastric --weight '72 kg'")),
    ("levels_kadcyla_mbc_weight", cmd("levels kadcyla --indication mbc --weight 60")),
    (
        "levels_trastuzumab_ogivri_adjuvant_weight",
        cmd("levels trastuzumab --indication adjuvant --product ogivri --weight '70 kg'"),
    ),
    ("levels_margenza", cmd("levels margenza")),
    # --- check ----------------------------------------------------------------------------
    (
        "check_enhertu_match_level_minus1",
        cmd("check enhertu --indication breast --weight '72 kg' --dose '320 mg'"),
    ),
    (
        "check_enhertu_no_match",
        cmd("check enhertu --indication breast --weight '72 kg' --dose '350 mg'"),
    ),
    (
        "check_enhertu_gastric_above_label",
        cmd("check enhertu --indication gastric --weight '72 kg' --dose '6.6 mg/kg'"),
    ),
    (
        "check_kadcyla_above_maximum",
        cmd("check kadcyla --indication mbc --weight '60 kg' --dose '3.7 mg/kg'"),
    ),
    (
        "check_enhertu_tolerance_1pct_level",
        cmd(
            "check enhertu --indication breast --weight '72 kg' --dose '320 mg' --tolerance 1 "
            "--level -1"
        ),
    ),
    (
        "check_herceptin_weekly_loading_match",
        cmd(
            "check herceptin --indication metastatic-breast --schedule weekly --phase loading "
            "--weight '80 kg' --dose '320 mg'"
        ),
    ),
    (
        "check_herceptin_q3w_loading_as_maintenance",
        cmd(
            "check herceptin --indication adjuvant-breast --schedule q3w --phase maintenance "
            "--weight '70 kg' --dose '8 mg/kg'"
        ),
    ),
    # --- adjust ---------------------------------------------------------------------------
    (
        "adjust_enhertu_ild_g1_resolved_29_weight",
        cmd(
            "adjust enhertu --indication breast --level -1 --event ild --grade 1 "
            "--resolved-days 29 --weight '72 kg'"
        ),
    ),
    (
        "adjust_enhertu_ild_g1_resolved_28",
        cmd(
            "adjust enhertu --indication breast --level 0 --event ild --grade 1 --resolved-days 28"
        ),
    ),
    (
        "adjust_enhertu_ild_g1_undecided",
        cmd("adjust enhertu --indication breast --level 0 --event pneumonitis --grade G1"),
    ),
    (
        "adjust_enhertu_neutropenia_g3_weight",
        cmd(
            "adjust enhertu --indication gastric --level 0 --event neutropenia --grade 3 "
            "--weight '72 kg'"
        ),
    ),
    (
        "adjust_enhertu_neutropenia_g4_not_encoded",
        cmd("adjust enhertu --indication breast --level 0 --event anc --grade 4"),
    ),
    (
        "adjust_enhertu_lvef_drop",
        cmd("adjust enhertu --indication breast --level 0 --event lvef --lvef 42 --lvef-drop 12"),
    ),
    (
        "adjust_enhertu_lvef_no_matching_row",
        cmd("adjust enhertu --indication breast --level 0 --event lvef --lvef 50 --lvef-drop 5"),
    ),
    (
        "adjust_kadcyla_ast_g3_last_level",
        cmd("adjust kadcyla --indication mbc --level -2 --event ast --grade 3"),
    ),
    (
        "adjust_herceptin_lvef_lln",
        cmd(
            "adjust herceptin --indication gastric --event lvef --lvef 48 --lvef-drop 12 "
            "--lvef-lln 50"
        ),
    ),
    (
        "adjust_margenza_infusion_reaction_g4",
        cmd("adjust margenza --event infusion-reaction --grade 4"),
    ),
    # --- schedule -------------------------------------------------------------------------
    (
        "schedule_enhertu_cycles_weight",
        cmd("schedule enhertu --indication breast --start 2026-01-05 --cycles 6 --weight '72 kg'"),
    ),
    (
        "schedule_herceptin_adjuvant_weekly_then_q3w",
        cmd(
            "schedule herceptin --indication adjuvant --schedule adjuvant-weekly-then-q3w "
            "--chemotherapy paclitaxel --start 2026-01-05 --weight '70 kg'"
        ),
    ),
    (
        "schedule_kadcyla_early_breast",
        cmd("schedule kadcyla --indication early-breast --start 2026-01-05"),
    ),
    (
        "schedule_perjeta_cycles_weight",
        cmd("schedule perjeta --start 2026-01-05 --cycles 4 --weight 70"),
    ),
    # --- next -----------------------------------------------------------------------------
    (
        "next_enhertu_due",
        cmd(
            "next enhertu --indication breast --level -1 --last-dose 2026-01-05 --on 2026-01-26 "
            "--weight 60"
        ),
    ),
    (
        "next_herceptin_late_reload",
        cmd(
            "next herceptin --indication adjuvant-breast --schedule q3w --last-dose 2026-01-05 "
            "--on 2026-02-03 --weight '70 kg'"
        ),
    ),
    (
        "next_herceptin_weekly_late_maintenance",
        cmd(
            "next herceptin --indication metastatic-breast --schedule weekly "
            "--last-dose 2026-01-05 --on 2026-01-19 --weight '70 kg'"
        ),
    ),
    (
        "next_kadcyla_not_yet_due",
        cmd("next kadcyla --indication early-breast --last-dose 2026-01-05 --on 2026-01-20"),
    ),
    (
        "next_herceptin_course_complete",
        cmd(
            "next herceptin --indication adjuvant-breast --schedule q3w --start 2025-01-06 "
            "--last-dose 2025-12-22 --on 2026-01-12"
        ),
    ),
    (
        "next_phesgo_from_iv_loading",
        cmd("next phesgo --last-dose 2026-01-05 --on 2026-02-16 --previous iv"),
    ),
    # --- regimens -------------------------------------------------------------------------
    ("regimens", cmd("regimens")),
    ("version", ["--version"]),
]

BATCH_INPUT = GOLDEN / "batch_input.csv"
BATCH_OUTPUT = GOLDEN / "batch_output.csv"
BATCH_RESULT = GOLDEN / "batch.json"

# An absolute path of a regimens file, alone or inside a message; and a SHA-256.
_REGIMENS_PATH = re.compile(r"(?<![\w.~-])/[^\s\"'|,;()<>]*regimens\.toml")
_SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def normalise_text(text: str) -> str:
    text = _REGIMENS_PATH.sub("<regimens>", text)
    return _SHA256.sub("<sha256>", text)


def normalise(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    return value


@pytest.fixture
def runner(monkeypatch) -> CliRunner:
    monkeypatch.delenv("HER2DOSE_REGIMENS", raising=False)
    monkeypatch.delenv("HER2DOSE_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TZ", "UTC")
    return CliRunner()


def _stdout(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # --version, or an error with nothing on stdout


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("name", "argv"), CASES, ids=[name for name, _ in CASES])
def test_golden(runner: CliRunner, name: str, argv: list[str]) -> None:
    result = runner.invoke(app, argv, catch_exceptions=False)
    actual = normalise(
        {
            "argv": argv,
            "exit_code": result.exit_code,
            "stdout": _stdout(result.stdout),
            "stderr": result.stderr,
        }
    )
    path = GOLDEN / f"{name}.json"
    if REGOLDEN:
        GOLDEN.mkdir(exist_ok=True)
        write_json(path, actual)
        return
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected


def test_case_names_are_unique_and_no_golden_file_is_stale() -> None:
    names = [name for name, _ in CASES]
    assert len(names) == len(set(names))
    if not REGOLDEN:
        batch_files = {BATCH_INPUT.name, BATCH_OUTPUT.name, BATCH_RESULT.name}
        expected = {f"{name}.json" for name in names} | batch_files
        assert {path.name for path in GOLDEN.iterdir()} == expected


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_golden_batch(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "plans.csv"
    argv = ["batch", str(BATCH_INPUT), "-o", str(out), "--quiet", "--columns", "full"]
    result = runner.invoke(app, argv, catch_exceptions=False)
    summary = {"exit_code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}
    text = normalise_text(out.read_bytes().decode("utf-8"))
    if REGOLDEN:
        BATCH_OUTPUT.write_bytes(text.encode("utf-8"))
        write_json(BATCH_RESULT, summary)
        return
    assert summary == json.loads(BATCH_RESULT.read_text(encoding="utf-8"))
    expected = BATCH_OUTPUT.read_bytes().decode("utf-8")
    # Parsed cells, so that line ends changed by a checkout do not matter.
    assert _csv_rows(text) == _csv_rows(expected)
