"""What every command shares: repeated options refused, one-line usage errors, -h, --json,
metavars that show the choices, examples in --help, shell completion from the regimens file."""

from __future__ import annotations

import json

import pytest
import typer
from conftest import SHIPPED
from typer.testing import CliRunner

from her2dose.cli import options
from her2dose.cli.app import app

# One valid call per command, and an option of it to give a second time
CALLS = {
    "plan": (["plan", "enhertu", "--indication", "breast", "--weight", "72"], ["--weight", "80"]),
    "regimens": (["regimens", "--format", "json"], ["--format", "table"]),
    "levels": (["levels", "enhertu", "--indication", "breast"], ["--indication", "nsclc"]),
    "adjust": (
        [
            "adjust",
            "enhertu",
            "--indication",
            "breast",
            "--event",
            "ild",
            "--grade",
            "1",
            "--level",
            "0",
        ],
        ["--grade", "2"],
    ),
    "check": (
        ["check", "enhertu", "--indication", "breast", "--weight", "72", "--dose", "388.8 mg"],
        ["-d", "400 mg"],
    ),
    "schedule": (
        ["schedule", "enhertu", "--indication", "breast", "--start", "2026-01-05", "--cycles", "3"],
        ["--cycles=4"],
    ),
    "next": (
        [
            "next",
            "kadcyla",
            "--indication",
            "metastatic-breast",
            "--last-dose",
            "2026-01-05",
            "--on",
            "2026-01-26",
        ],
        ["--on", "2026-01-27"],
    ),
    "batch": (["batch", "clinic.csv", "-o", "a.csv"], ["-o", "b.csv"]),
}


def commands():
    return typer.main.get_command(app).commands


def error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Usage:" not in result.stderr and "Try '" not in result.stderr
    return lines[0]


def test_every_command_has_a_call_here():
    assert set(CALLS) == set(commands())


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_option_given_twice_is_an_error_naming_both_values(cli, name):
    args, again = CALLS[name]
    result = cli(*args, *again)
    assert result.exit_code == 2
    line = error_line(result)
    assert "given twice" in line
    first = {"check": "388.8 mg", "schedule": "3"}.get(name) or args[args.index(again[0]) + 1]
    second = again[-1].split("=")[-1]
    assert repr(first) in line and repr(second) in line
    assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_calls_here_run_when_given_once(cli, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clinic.csv").write_text("drug,indication,weight\nenhertu,breast,72 kg\n")
    args, _ = CALLS[name]
    assert cli(*args).exit_code == 0


def _single_value_options():
    for name, command in sorted(commands().items()):
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option" and not param.multiple:
                yield name, param


@pytest.mark.parametrize(
    ("name", "param"),
    list(_single_value_options()),
    ids=lambda x: x if isinstance(x, str) else x.opts[0],
)
def test_every_single_value_option_of_every_command_is_refused_twice(cli, name, param):
    spelling = param.opts[-1]
    twice = [spelling, spelling] if param.is_flag else [spelling, "A", spelling, "B"]
    result = cli(name, "enhertu", *twice)
    assert result.exit_code == 2
    line = error_line(result)
    assert f"{param.opts[0]}" in line and "given twice" in line
    if not param.is_flag:
        assert "'A'" in line and "'B'" in line


def test_a_repeated_option_in_its_short_and_glued_forms(cli):
    result = cli("plan", "enhertu", "--indication", "breast", "-w72", "--weight=80")
    assert "--weight/-w given twice (-w '72' and --weight '80')" in error_line(result)


def test_json_and_format_together_are_given_twice(cli):
    result = cli("plan", "enhertu", "--indication", "breast", "-w", "72", "--json", "-f", "table")
    assert result.exit_code == 2
    assert "(--json and -f 'table')" in error_line(result)


def test_a_value_after_double_dash_is_not_an_option(cli):
    # `--` ends the options: what follows is an argument, never a second --weight
    result = cli("plan", "--weight", "72", "--indication", "breast", "--", "enhertu")
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["plan", "enhertu", "--wieght", "72"], "unknown option --wieght (did you mean --weight?)"),
        # only the closest suggestions: not --phase for --patent, nor --weight for --weight-dat
        (["plan", "enhertu", "--patent", "J"], "unknown option --patent (did you mean --patient?)"),
        (
            ["plan", "enhertu", "--weight-dat", "2026-03-01"],
            "unknown option --weight-dat (did you mean --weight-date?)",
        ),
        (
            ["plan", "enhertu", "--open-vial", "1"],
            "(did you mean --open-vial-date or --open-vial-mg?)",
        ),
        (["plan", "enhertu", "-w", "72", "-f", "xml"], "'xml' is not one of 'table', 'json'"),
        (["schedule", "enhertu", "--start", "2026-01-05", "--cycles", "x"], "--cycles: 'x'"),
        (["plan", "enhertu"], "missing option --weight / -w, e.g. her2dose plan enhertu"),
        (["plan"], "missing argument DRUG, e.g. her2dose plan enhertu"),
        (["check", "enhertu", "-w", "72"], "missing option --dose / -d"),
        (["plna", "enhertu"], "unknown command 'plna' (did you mean 'plan'?)"),
        (["--bogus"], "unknown option --bogus"),
        # no suggestion that only shares the dashes and a letter or two
        (["plan", "enhertu", "--bogus", "1"], "unknown option --bogus; see"),
        (["plan", "enhertu", "--jsn"], "unknown option --jsn (did you mean --json?)"),
        (["adjust", "kadcyla", "--lvl", "1"], "unknown option --lvl (did you mean --level?)"),
        (["batch", "a.csv", "--format", "xml"], "'xml' is not one of 'csv', 'jsonl', 'xlsx'"),
    ],
)
def test_usage_errors_are_one_error_line_with_the_fix(cli, args, expected):
    result = cli(*args)
    assert result.exit_code == 2
    line = error_line(result)
    assert expected in line
    assert line.endswith("-h'")  # where the options are listed


def test_regimens_before_the_command(cli):
    base = ["plan", "enhertu", "--indication", "breast", "--weight", "72", "--json"]
    before = cli("--regimens", str(SHIPPED), *base)
    after = cli(*base, "--regimens", str(SHIPPED))
    assert before.exit_code == after.exit_code == 0
    assert json.loads(before.stdout)["dose_mg"] == json.loads(after.stdout)["dose_mg"] == 388.8


def test_regimens_before_the_command_is_the_one_used(cli, tmp_path):
    missing = tmp_path / "none.toml"
    result = cli("--regimens", str(missing), "levels", "enhertu", "--indication", "breast")
    assert result.exit_code == 3
    assert str(missing) in result.stderr


def test_regimens_before_and_after_the_command_is_given_twice(cli):
    result = cli("--regimens", "a.toml", "levels", "enhertu", "--regimens", "b.toml")
    assert result.exit_code == 2
    assert "'a.toml'" in error_line(result) and "'b.toml'" in result.stderr


@pytest.mark.parametrize("name", sorted(CALLS))
def test_dash_h_is_help_with_examples_and_the_choices(cli, name):
    short, long = cli(name, "-h"), cli(name, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout
    text = long.stdout
    assert "<str>" not in text and " TEXT" not in text
    examples = text.split("Examples:")[1].split("\n")
    calls = [e.strip() for e in examples if e.strip()]
    assert 2 <= len(calls) <= 3
    assert all(f"her2dose {name}" in call for call in calls)
    if any(p.name == "output_format" for p in commands()[name].params):
        assert any(f in text for f in ("<table|json>", "<csv|jsonl|xlsx>", "<table|json|pdf|html>"))


def test_top_level_dash_h_and_completion_options(cli):
    result = cli("-h")
    assert result.exit_code == 0
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout
    assert "--regimens" in result.stdout


def test_closed_set_metavars_are_the_commands_own_lists():
    from her2dose.commands.next import PREVIOUS_CHOICES
    from her2dose.model import DOSE_WEIGHT_CHOICES, INFUSION_CHOICES

    assert options.METAVARS["infusion"] == f"[{'|'.join(INFUSION_CHOICES)}]"
    assert options.METAVARS["previous"] == f"[{'|'.join(PREVIOUS_CHOICES)}]"
    assert options.METAVARS["dose_weight"] == f"[{'|'.join(DOSE_WEIGHT_CHOICES)}]"


def test_help_shows_closed_choices(cli):
    text = cli("plan", "--help").stdout
    assert "--infusion [first|subsequent]" in text
    assert "--dose-weight [current|baseline_until_threshold]" in text


@pytest.mark.parametrize("name", sorted(CALLS))
def test_json_is_format_json(cli, name, tmp_path, monkeypatch):
    command = commands()[name]
    fmt = next((p for p in command.params if p.name == "output_format"), None)
    if fmt is None or "json" not in fmt.type.choices:
        pytest.skip(f"{name} has no JSON output")
    args, _ = CALLS[name]
    args = [a for a in args if a not in ("--format", "json")]
    short, long = cli(*args, "--json"), cli(*args, "--format", "json")
    assert short.exit_code == long.exit_code
    assert json.loads(short.stdout) == json.loads(long.stdout)


def complete(words: str) -> list[str]:
    """What bash completion offers for the last word of `words`."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    result = CliRunner().invoke(
        app,
        [],
        prog_name="her2dose",
        env={
            "_HER2DOSE_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(cword),
            "HER2DOSE_REGIMENS": str(SHIPPED),
        },
    )
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_completion_of_drug_names():
    offered = complete("her2dose plan enh")
    assert offered == ["enhertu"]
    assert {"kadcyla", "ogivri", "t-dxd"} <= set(complete("her2dose check "))


def test_completion_of_indications_for_the_drug_given():
    offered = complete("her2dose plan enhertu --indication ")
    assert {"breast", "nsclc", "gastric"} <= set(offered)
    assert "adjuvant-breast" not in offered  # trastuzumab's, not ENHERTU's


def test_completion_of_products_and_events():
    products = complete("her2dose plan ogivri --product ")
    assert "ogivri" in products and "kanjinti" in products and "enhertu" not in products
    assert "neutropenia" in complete("her2dose adjust enhertu --event neu")
    # an event no table lists is offered too: adjust answers it ("no row"), not "unknown"
    assert "nausea" in complete("her2dose adjust kadcyla --event nau")


def test_completion_with_a_broken_regimens_file_offers_nothing(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[policy\n")
    words = f"her2dose plan --regimens {broken} enh"
    assert complete(words) == []


PIPED = {name: list(args) for name, (args, _) in CALLS.items()}
PIPED["batch"] = ["batch", "-"]


@pytest.mark.parametrize("name", sorted(PIPED))
def test_a_closed_stdout_ends_quietly_with_its_exit_code(name, tmp_path):
    """`her2dose ... | head`: the reader goes away before the command writes."""
    import subprocess
    import sys

    env = {"PATH": "", "NO_COLOR": "1", "HER2DOSE_REGIMENS": str(SHIPPED)}
    child = subprocess.Popen(
        [sys.executable, "-c", "from her2dose.cli import main; main()", *PIPED[name]],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    child.stdout.close()  # before the child has started: its first write finds no reader
    _, err = child.communicate(b"drug,indication,weight\nenhertu,breast,72 kg\n", timeout=120)
    text = err.decode()
    assert "Traceback" not in text and "Exception ignored" not in text
    if name == "batch":
        # batch says so: what it wrote is incomplete (a list of patients, not one answer)
        assert child.returncode == 2
        assert text.splitlines() == [
            "error: stdout was closed before the batch finished (broken pipe): the output is "
            "incomplete"
        ]
    else:
        assert child.returncode == 141
        assert "error" not in text


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["schedule", "enhertu", "--indication", "breast", "--start", "9999-12-01"], "--start"),
        (
            ["next", "kadcyla", "--indication", "metastatic-breast", "--last-dose", "2026-01-05"]
            + ["--on", "9999-12-31"],
            "--on",
        ),
        (
            ["plan", "enhertu", "--indication", "breast", "-w", "72"]
            + ["--prepared-at", "9999-12-31 23:00"],
            "--prepared-at",
        ),
    ],
)
def test_a_date_at_the_end_of_the_calendar_is_one_clear_line(cli, args, named):
    if args[0] == "schedule":
        args = [*args, "--cycles", "3"]
    result = cli(*args)
    assert result.exit_code == 2
    line = error_line(result)
    assert "out of range" in line and named in line and "internal error" not in line


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "enh\x1b]0;owned\x07ertu", "-w", "72"],
        ["plan", "enhertu", "--indication", "breast", "-w", "72 kg\x1b[2J"],
        ["plan", "enhertu", "--indication", "\u202ebreast", "-w", "72"],
        ["plan", "enhertu", "--wei\x1bght", "72"],
    ],
)
def test_raw_control_characters_never_reach_the_terminal(cli, args):
    result = cli(*args)
    assert result.exit_code == 2
    line = error_line(result)
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "\\x1b" in line or "\\u202e" in line


def test_a_dose_of_27_digits_is_one_clear_line(cli):
    result = cli("check", "enhertu", "--indication", "breast", "-w", "72", "-d", "1" * 27 + " mg")
    assert result.exit_code == 2
    assert "internal error" not in error_line(result)


def test_version_reports_the_regimens_file_given_before_it(cli, tmp_path):
    other = tmp_path / "approved.toml"
    other.write_bytes(SHIPPED.read_bytes() + b"\n# approved copy\n")
    result = cli("--regimens", str(other), "--version")
    assert result.exit_code == 0
    assert f"regimens: {other}" in result.stdout
    import hashlib

    assert hashlib.sha256(other.read_bytes()).hexdigest() in result.stdout
