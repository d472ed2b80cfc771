"""The golden cases (every command with every option), for the render tests: each as its
table argv and its JSON argv."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _golden_cases() -> list[tuple[str, list[str]]]:
    spec = importlib.util.spec_from_file_location("golden_cases", TESTS / "test_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.CASES)


def table_argv(argv: list[str]) -> list[str]:
    """A golden case's argv without its --format json."""
    out = list(argv)
    for i in range(len(out) - 1):
        if out[i] == "--format" and out[i + 1] == "json":
            return out[:i] + out[i + 2 :]
    return out


def _answers(name: str) -> bool:
    """The golden case has a result on stdout (an error case has none)."""
    golden = json.loads((TESTS / "golden" / f"{name}.json").read_text(encoding="utf-8"))
    return bool(golden["stdout"])


CASES = [(name, argv) for name, argv in _golden_cases() if "--format" in argv]
# the cases with a result (a check above the label has one, with exit code 1)
ANSWERED = [(name, argv) for name, argv in CASES if _answers(name)]
