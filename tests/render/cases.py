"""The golden cases (every command with every option), for the render tests: each as its
table argv and its JSON argv."""

from __future__ import annotations

import importlib.util
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


CASES = [(name, argv) for name, argv in _golden_cases() if "--format" in argv]
