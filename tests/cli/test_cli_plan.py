"""The `plan` and `regimens` commands, --version and --help, through Typer's CliRunner."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from conftest import SHIPPED

from her2dose import __version__

ENHERTU_72 = ("plan", "enhertu", "--indication", "breast", "--weight", "72 kg")

# The keys issue 2 requires in `plan --format json`.
REQUIRED_KEYS = {
    "drug",
    "product",
    "regimen",
    "indication",
    "phase",
    "schedule",
    "level",
    "dose_mg_per_kg",
    "weight_input",
    "weight_kg",
    "dose_mg",
    "vials",
    "vial_total_mg",
    "leftover_mg",
    "concentration_mg_per_ml",
    "drug_volume_ml",
    "diluent",
    "bag_volume_ml",
    "total_volume_ml",
    "infusion_minutes",
    "rate_ml_per_h",
    "filter",
    "reminders",
    "warnings",
    "next_level_mg_per_kg",
    "source",
    "regimens_sha256",
}


@pytest.fixture
def run(cli):
    """The `cli` fixture, also checking that no traceback ever reaches the user."""

    def invoke(*args: str):
        result = cli(*args)
        assert "Traceback" not in result.stdout
        assert "Traceback" not in result.stderr
        return result

    return invoke


def plan_json(run, *args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0
    return json.loads(result.stdout)


# -- plan: output ---------------------------------------------------------------------


def test_plan_json_has_every_documented_key(run):
    data = plan_json(run, *ENHERTU_72)
    assert set(data) >= REQUIRED_KEYS
    assert data["drug"] == "trastuzumab-deruxtecan"
    assert data["product"] == "enhertu"
    assert data["regimen"] == "tdxd-breast"
    assert data["weight_input"] == "72 kg"
    assert data["vials"] == [{"strength_mg": 100, "count": 4, "multiple_dose": False}]
    assert data["dose_mg"] == 388.8
    assert data["rate_ml_per_h"] == 79.6
    assert data["next_level_mg_per_kg"] == 4.4
    assert data["regimens_sha256"] == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert data["source"] == "ENHERTU US PI §2.2"
    for reminder in data["reminders"]:
        assert set(reminder) == {"kind", "text", "source", "evidence"}
    assert {r["kind"] for r in data["reminders"]} >= {"boxed warning", "do not substitute"}


def test_plan_json_numbers_are_json_numbers(run):
    data = plan_json(run, *ENHERTU_72)
    for key in (
        "dose_mg_per_kg",
        "weight_kg",
        "dose_mg",
        "vial_total_mg",
        "leftover_mg",
        "concentration_mg_per_ml",
        "drug_volume_ml",
        "bag_volume_ml",
        "total_volume_ml",
        "infusion_minutes",
        "rate_ml_per_h",
    ):
        assert isinstance(data[key], int | float) and not isinstance(data[key], bool), key


def test_plan_json_next_level_is_null_after_the_last_level(run):
    data = plan_json(run, *ENHERTU_72, "--level", "-2")
    assert data["level"] == -2
    assert data["dose_mg_per_kg"] == 3.2
    assert data["next_level_mg_per_kg"] is None
    assert data["next_step"] == "discontinue"


def test_plan_table_shows_the_worksheet(run):
    result = run(*ENHERTU_72, "--details")
    assert result.exit_code == 0
    out = result.stdout
    for text in (
        "388.8 mg",
        "4x100mg = 400 mg",
        "11.2 mg",
        "19.44 mL",
        "119.44 mL",
        "90 min",
        "79.6 mL/h",
        "5% Dextrose Injection",
        "Sodium Chloride",
        "polyethersulfone",
        "4.4 mg/kg",
        "316.8 mg",
        "boxed warning",
        "Do not substitute ENHERTU",
        "ENHERTU US PI §2.2",
    ):
        assert text in out, text
    assert hashlib.sha256(SHIPPED.read_bytes()).hexdigest() in out.replace("\n", "")
    # the default infusion is said, not silently assumed
    assert "first infusion" in out
    assert result.stderr == ""


def test_plan_table_is_the_default_and_json_is_not_coloured(run):
    result = run(*ENHERTU_72, "--format", "JSON")
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout


def test_weight_in_pounds_and_kilograms_give_the_same_plan(run):
    by_kg = plan_json(run, *ENHERTU_72)
    # 72 kg / 0.45359237 = 158.732829... lb; 158.7 lb = 71.985109119 kg
    by_lb = plan_json(run, "plan", "enhertu", "--indication", "breast", "--weight", "158.7 lb")
    assert by_lb["weight_input"] == "158.7 lb"
    assert by_lb["weight_kg"] == 71.99
    assert by_lb["dose_mg"] == 388.7
    grams = plan_json(run, "plan", "enhertu", "--indication", "breast", "--weight", "72000 g")
    assert grams["dose_mg"] == by_kg["dose_mg"]
    packed = plan_json(run, "plan", "enhertu", "--indication", "breast", "--weight", "72kg")
    assert packed["dose_mg"] == by_kg["dose_mg"]


def test_bare_number_is_read_as_kg_and_said_so(run):
    data = plan_json(run, "plan", "enhertu", "--indication", "breast", "--weight", "72")
    assert data["weight_kg"] == 72
    assert data["dose_mg"] == 388.8
    assert any("no unit" in n and "kg" in n for n in data["notes"])
    table = run("plan", "enhertu", "--indication", "breast", "--weight", "72")
    assert "read as kg" in table.stdout


@pytest.mark.parametrize("weight", ["30 kg", "34.99 kg", "201 kg", "600 kg", "60 lb"])
def test_weight_outside_35_to_200_kg_warns_on_stderr_and_in_json(run, weight):
    result = run(
        "plan", "enhertu", "--indication", "breast", "--weight", weight, "--format", "json"
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["warnings"], "expected a weight warning"
    assert "outside the usual adult range 35 to 200 kg" in data["warnings"][0]
    assert result.stderr.startswith("warning: ")
    assert data["warnings"][0] in result.stderr
    table = run("plan", "enhertu", "--indication", "breast", "--weight", weight)
    assert table.exit_code == 0
    assert "outside the usual adult range" in table.stderr
    # and on stdout right after the answer block, before the reminders
    flat = " ".join(table.stdout.split())
    assert data["warnings"][0] in flat
    assert flat.index("warning: ") < flat.index("boxed warning:")


def test_drug_names_are_case_insensitive_aliases(run):
    for name in ("ENHERTU", "t-dxd", "T-DXd", "trastuzumab-deruxtecan", "Trastuzumab_Deruxtecan"):
        data = plan_json(run, "plan", name, "--indication", "breast", "--weight", "72 kg")
        assert data["dose_mg"] == 388.8


# -- plan: rejected input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "says"),
    [
        ("72 mL", "is a volume, expected a mass"),
        ("72 units", "unknown unit 'units'"),
        ("72 U", "unknown unit 'U'"),
        ("72 cc", "unknown unit 'cc'"),
        ("U", "not a number"),
        ("cc", "not a number"),
        ("abc", "not a number"),
        ("", "weight is required"),
        ("0", "must be more than zero"),
        ("0 kg", "must be more than zero"),
        ("-72 kg", "must be more than zero"),
        ("-72", "must be more than zero"),
        ("651 kg", "above 650 kg"),
        ("72 mcg", "below 1 kg"),  # a unit slip must not plan a 0 mg dose
        ("0.99 kg", "below 1 kg"),
        ("1000 kg", "above 650 kg"),
        ("nan", "not a number"),
        ("NaN kg", "not a number"),
        ("inf", "not a number"),
        ("inf kg", "not a number"),
        ("72 mg/kg", "is a dose per body weight, expected a mass"),
        ("72 min", "is a duration, expected a mass"),
    ],
)
def test_rejected_weight(run, weight, says):
    result = run(*ENHERTU_72[:4], "--weight", weight)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "weight" in result.stderr
    assert says in result.stderr


def test_unknown_drug_suggests_close_names(run):
    result = run("plan", "enhertoo", "--weight", "72 kg")
    assert result.exit_code == 2
    assert "unknown drug 'enhertoo'" in result.stderr
    assert "did you mean 'enhertu'" in result.stderr
    result = run("plan", "kadcila", "--weight", "72 kg")
    assert "did you mean 'kadcyla'" in result.stderr


@pytest.mark.parametrize(
    ("args", "option", "values"),
    [
        (("plan", "enhertu"), "--indication", ["breast", "nsclc", "solid-tumors", "gastric"]),
        (("plan", "kadcyla"), "--indication", ["metastatic-breast", "early-breast"]),
        (("plan", "ogivri", "--indication", "adjuvant-breast"), "--schedule", ["q3w", "weekly"]),
        (("plan", "ogivri", "--indication", "gastric"), "--phase", ["loading", "maintenance"]),
        (
            ("plan", "trastuzumab", "--indication", "gastric", "--phase", "loading"),
            "--product",
            ["herceptin", "ogivri", "herzuma", "ontruzant", "trazimera", "kanjinti", "hercessi"],
        ),
    ],
)
def test_missing_choice_lists_the_valid_values(run, args, option, values):
    result = run(*args, "--weight", "72 kg")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert option in result.stderr
    for value in values:
        assert value in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--indication", "brest"), "did you mean 'breast'"),
        (("--indication", "breast", "--level", "-3"), "valid levels are 0, -1, -2"),
        (("--indication", "breast", "--level", "1"), "valid levels are 0, -1, -2"),
        (("--indication", "breast", "--level", "x"), "not a whole number"),
        (("--indication", "breast", "--level", "-0.5"), "not a whole number"),
        (("--indication", "breast", "--infusion", "third"), "first, subsequent"),
        (("--indication", "breast", "--product", "kadcyla"), "unknown product 'kadcyla'"),
        (("--indication", "breast", "--schedule", "weekly"), "unknown schedule 'weekly'"),
        (("--indication", "breast", "--phase", "loading"), "no loading dose"),
        (("--indication", "breast", "--format", "csv"), "csv"),
    ],
)
def test_bad_options_exit_2(run, args, says):
    result = run("plan", "enhertu", "--weight", "72 kg", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert says in result.stderr


def test_level_on_a_drug_without_reductions(run):
    result = run("plan", "margenza", "--weight", "70 kg", "--level", "-1")
    assert result.exit_code == 2
    assert "no dose reductions" in result.stderr
    result = run(
        "plan",
        "ogivri",
        "--indication",
        "gastric",
        "--phase",
        "maintenance",
        "--weight",
        "70 kg",
        "--level",
        "-1",
    )
    assert result.exit_code == 2
    assert "no dose reductions" in result.stderr


def test_drug_and_product_that_disagree(run):
    result = run(
        "plan",
        "ogivri",
        "--indication",
        "gastric",
        "--phase",
        "loading",
        "--product",
        "herceptin",
        "--weight",
        "72 kg",
    )
    assert result.exit_code == 2
    assert "name different products" in result.stderr


def test_usage_errors_exit_2(run):
    assert run("plan", "enhertu", "--indication", "breast").exit_code == 2  # no --weight
    assert run("plan").exit_code == 2
    assert run("no-such-command").exit_code == 2
    assert run().exit_code == 2  # no command: help, exit 2


# -- the regimens file in use -----------------------------------------------------------


def test_regimens_option_and_environment_variable_override(run, tmp_path, monkeypatch):
    # a copy with ENHERTU breast at 5.0 mg/kg: 5.0 x 72 = 360 mg
    text = SHIPPED.read_text(encoding="utf-8").replace(
        '[regimens.tdxd-breast.schedules.q3w.phases.standard]\ndose = "5.4 mg/kg"',
        '[regimens.tdxd-breast.schedules.q3w.phases.standard]\ndose = "5.0 mg/kg"',
        1,
    )
    other = tmp_path / "other.toml"
    other.write_text(text, encoding="utf-8")
    sha = hashlib.sha256(other.read_bytes()).hexdigest()

    data = plan_json(run, *ENHERTU_72, "--regimens", str(other))
    assert data["dose_mg"] == 360
    assert data["regimens_sha256"] == sha

    monkeypatch.setenv("HER2DOSE_REGIMENS", str(other))
    data = plan_json(run, *ENHERTU_72)
    assert data["dose_mg"] == 360
    assert data["regimens_file"] == str(other)

    # --regimens wins over the environment variable
    shipped_copy = tmp_path / "shipped.toml"
    shutil.copy(SHIPPED, shipped_copy)
    data = plan_json(run, *ENHERTU_72, "--regimens", str(shipped_copy))
    assert data["dose_mg"] == 388.8


def test_version_prints_version_path_and_sha256(run):
    result = run("--version")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"her2dose {__version__}"
    path = lines[1].removeprefix("regimens: ")
    assert lines[1].startswith("regimens: ")
    sha = lines[2].removeprefix("sha256: ")
    from pathlib import Path

    assert sha == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert Path(path).read_bytes() == SHIPPED.read_bytes()


def test_version_follows_the_environment_variable(run, tmp_path, monkeypatch):
    other = tmp_path / "r.toml"
    other.write_bytes(SHIPPED.read_bytes() + b"\n# local copy\n")
    monkeypatch.setenv("HER2DOSE_REGIMENS", str(other))
    result = run("--version")
    assert result.exit_code == 0
    assert f"regimens: {other}" in result.stdout
    assert hashlib.sha256(other.read_bytes()).hexdigest() in result.stdout


def test_version_with_an_unreadable_file_exits_3(run, tmp_path, monkeypatch):
    monkeypatch.setenv("HER2DOSE_REGIMENS", str(tmp_path / "missing.toml"))
    result = run("--version")
    assert result.exit_code == 3
    assert "cannot read" in result.stderr


# -- regimens ---------------------------------------------------------------------------


def test_regimens_table(run):
    result = run("regimens")
    assert result.exit_code == 0
    out = result.stdout
    for text in ("enhertu", "kadcyla", "ogivri", "margenza", "gastric", "6.4", "breast"):
        assert text in out, text


def test_regimens_json(run):
    result = run("regimens", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["regimens_sha256"] == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    drugs = {d["drug"]: d for d in data["drugs"]}
    assert {
        "trastuzumab-deruxtecan",
        "ado-trastuzumab-emtansine",
        "trastuzumab",
        "margetuximab",
    } <= set(drugs)
    tdxd = {r["regimen"]: r for r in drugs["trastuzumab-deruxtecan"]["regimens"]}
    assert [lv["dose"] for lv in tdxd["tdxd-gastric"]["levels"]] == [6.4, 5.4, 4.4]
    assert [lv["dose"] for lv in tdxd["tdxd-breast"]["levels"]] == [5.4, 4.4, 3.2]
    assert all(r["source"] for r in tdxd.values())
    kadcyla_vials = drugs["ado-trastuzumab-emtansine"]["products"][0]["vials"]
    assert sorted(v["strength_mg"] for v in kadcyla_vials) == [100, 160]
    trastuzumab = {p["product"] for p in drugs["trastuzumab"]["products"]}
    assert {"herceptin", "ogivri"} <= trastuzumab


def test_regimens_lists_enhertu_early_breast_as_not_encoded(run):
    """Where ENHERTU's indications are listed, as not encoded; JSON has plan's refusal
    and its public document."""
    out = " ".join(run("regimens").stdout.split())
    enhertu = out[out.index("ENHERTU") : out.index("ado-trastuzumab emtansine")]
    assert (
        "--indication early-breast: not encoded: check the current prescribing information"
    ) in enhertu
    refused = run("plan", "enhertu", "--indication", "early-breast", "--weight", "70 kg")
    assert refused.exit_code == 1 and "not encoded: the early-breast-cancer dose" in refused.stderr
    data = json.loads(run("regimens", "--format", "json").stdout)
    stops = {d["drug"]: d["not_encoded_indications"] for d in data["drugs"]}
    (stop,) = stops["trastuzumab-deruxtecan"]
    assert stop["indication"] == "early-breast" and "ebc" in stop["indication_aliases"]
    assert stop["message"].startswith("not encoded: the early-breast-cancer dose")
    assert stop["source"].startswith("FDA notice") and stop["evidence"] == "us-label"
    assert (
        stop["hint"]
        == "for unresectable or metastatic breast cancer, use --indication metastatic-breast"
    )
    assert stops["ado-trastuzumab-emtansine"] == []  # its early-breast regimen is encoded


# -- help -------------------------------------------------------------------------------


def command_names() -> list[str]:
    from her2dose.cli.app import app

    names = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    names += [g.name for g in app.registered_groups if g.name]
    return names


def test_plan_and_regimens_are_registered():
    assert {"plan", "regimens"} <= set(command_names())


def test_top_level_help(run):
    result = run("--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    for name in command_names():
        assert name in result.stdout


@pytest.mark.parametrize("command", command_names())
def test_every_command_has_help_and_takes_regimens(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert "--regimens" in result.stdout


def test_unencoded_preparation_never_claims_no_filter_is_needed(run):
    # MARGENZA's diluent, bag and filter are unverified (labels.md §5, §8): the worksheet
    # must say "not encoded", not "no in-line filter requirement"
    result = run("plan", "margenza", "--weight", "70 kg")
    assert result.exit_code == 0
    assert "no in-line filter requirement" not in result.stdout
    filter_line = next(line for line in result.stdout.splitlines() if "Filter" in line)
    assert "not encoded" in filter_line
    assert "filter" in result.stderr and "not encoded" in result.stderr
    data = plan_json(run, "plan", "margenza", "--weight", "70 kg")
    assert data["filter"] is None
    assert any("filter" in w and "not encoded" in w for w in data["warnings"])
    # trastuzumab's preparation is encoded and its labels require no filter
    result = run(
        "plan", "ogivri", "--indication", "gastric", "--phase", "loading", "--weight", "70 kg"
    )
    assert "no in-line filter requirement in the label" in result.stdout


def test_overflowing_unit_is_bad_input_not_an_internal_error(run):
    result = run(*ENHERTU_72[:4], "--weight", "72 kg**99999999")
    assert result.exit_code == 2
    assert "internal error" not in result.stderr
    assert "weight '72 kg**99999999'" in result.stderr


def test_brackets_in_data_and_paths_print_as_written(run, tmp_path, monkeypatch):
    # text from the regimens file and its path are data, not Rich markup: '[b]' must not
    # vanish (or embolden) and '[/x]' must not crash the worksheet
    folder = tmp_path / "x[/y]" / "[old]"
    folder.mkdir(parents=True)
    path = folder / "regimens.toml"
    text = SHIPPED.read_text(encoding="utf-8").replace(
        'text = "Do not substitute ENHERTU for or with trastuzumab or ado-trastuzumab emtansine."',
        'text = "Do not substitute ENHERTU [b]for or with[/b] trastuzumab [/x]."',
        1,
    )
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "500")  # no wrapping inside the strings looked for
    result = run(*ENHERTU_72, "--regimens", str(path))
    assert result.exit_code == 0
    assert "Do not substitute ENHERTU [b]for or with[/b] trastuzumab [/x]." in result.stdout
    assert f"Regimens file: {path} (sha256" in result.stdout
    result = run("regimens", "--regimens", str(path))
    assert result.exit_code == 0
    assert f"Regimens in {path}" in result.stdout
