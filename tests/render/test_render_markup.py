"""Data is never Rich markup: a '[dim]' in the regimens path and a '[bold red]' in a label
sentence print as written, in every command's table."""

from __future__ import annotations

import pytest
from conftest import SHIPPED

# (what the shipped file says, what the copy says): sentences each command shows
EDITS = [
    (
        'text = "Do not substitute ENHERTU for or with trastuzumab or ado-trastuzumab emtansine."',
        'text = "Do not substitute ENHERTU [bold red]for or with[/] trastuzumab [dim]x[/dim]."',
    ),
    (
        'text = "Do not re-escalate the ENHERTU dose after a dose reduction is made."',
        'text = "Do not re-escalate [bold red]the ENHERTU dose[/] after a dose reduction."',
    ),
]
SUBSTITUTE = "Do not substitute ENHERTU [bold red]for or with[/] trastuzumab [dim]x[/dim]."
RE_ESCALATE = "Do not re-escalate [bold red]the ENHERTU dose[/] after a dose reduction."

COMMANDS = {
    "plan": (
        ["plan", "enhertu", "--indication", "breast", "--weight", "72 kg", "--level", "-1"],
        [SUBSTITUTE, RE_ESCALATE],
    ),
    "plan --details": (
        ["plan", "enhertu", "--indication", "breast", "--weight", "72 kg", "--details"],
        [SUBSTITUTE],
    ),
    "levels": (["levels", "enhertu", "--indication", "breast", "--weight", "72 kg"], [RE_ESCALATE]),
    "check": (
        ["check", "enhertu", "--indication", "breast", "--weight", "72 kg", "--dose", "320 mg"],
        [],
    ),
    "adjust": (
        ["adjust", "enhertu", "--indication", "breast", "--level", "0", "--event", "ild"]
        + ["--grade", "1", "--resolved-days", "28"],
        [RE_ESCALATE],
    ),
    "schedule": (
        ["schedule", "enhertu", "--indication", "breast", "--start", "2026-01-05", "--cycles", "3"]
        + ["--weight", "72 kg"],
        [],
    ),
    "next": (
        ["next", "enhertu", "--indication", "breast", "--last-dose", "2026-01-05"]
        + ["--on", "2026-01-26", "--weight", "72 kg"],
        [SUBSTITUTE],
    ),
    "regimens": (["regimens"], []),
}


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("markup") / "[dim]x[/]"
    folder.mkdir(parents=True)  # "[dim]x[" then "]": the path reads [dim]x[/]
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in EDITS:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / "regimens.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", list(COMMANDS))
def test_brackets_from_data_print_verbatim(cli, monkeypatch, marked, command):
    argv, sentences = COMMANDS[command]
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping inside the strings looked for
    result = cli(*argv, "--regimens", str(marked))
    assert result.exit_code == 0
    out = result.stdout
    assert str(marked) in out  # the path, '[dim]x[/]' and all
    assert "[dim]x[/]" in out
    for sentence in sentences:
        assert sentence in out


@pytest.mark.parametrize("command", ["plan", "levels", "next"])
def test_brackets_print_verbatim_at_80_columns_too(cli, monkeypatch, marked, command):
    argv, sentences = COMMANDS[command]
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*argv, "--regimens", str(marked))
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    for sentence in sentences:
        assert sentence in flat
