"""README.md shows the real, unabridged `plan` table at 80 columns (NO_COLOR).

After an intended change of the table or of regimens.toml, rewrite the README's block with

    HER2DOSE_README=1 pytest tests/render/test_render_readme.py

and review the diff.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
COMMAND = (
    'her2dose plan enhertu --indication breast --weight "72 kg" '
    '--prepared-at "2026-03-02 09:00" --regimens regimens.toml'
)
BLOCK = re.compile(r"(<!-- plan-output -->\n```text\n)(.*?)(```\n<!-- /plan-output -->)", re.S)


def test_readme_shows_the_real_plan_output(cli, monkeypatch):
    monkeypatch.chdir(ROOT)  # the regimens path as the command line gives it
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TZ", "UTC")
    result = cli(*shlex.split(COMMAND)[1:])
    assert result.exit_code == 0
    readme = README.read_text(encoding="utf-8")
    assert f"$ {COMMAND}\n" in readme
    match = BLOCK.search(readme)
    assert match, "README.md has no <!-- plan-output --> block"
    if os.environ.get("HER2DOSE_README") == "1":
        README.write_text(
            readme[: match.start(2)] + result.stdout + readme[match.end(2) :], encoding="utf-8"
        )
        return
    assert match.group(2) == result.stdout
