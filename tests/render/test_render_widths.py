"""Never a cut number: every command, at every width, shows every number of its JSON.

Each golden case (every command with every option) is rendered as a table at 40, 60, 80,
120 and 200 columns (COLUMNS, as a pipe or a terminal of that width gives). Every number
of the same call's JSON, written as the table writes it (display precision, e.g. 388.8,
19.44), must be found whole on one line of the table text, and no line may hold "…" or be
wider than the screen. `plan` is rendered with --details, which shows everything; its
default view is checked for the numbers of its answer block.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cases import ANSWERED, table_argv

WIDTHS = (40, 60, 80, 120, 200)

# Numbers that are about the JSON, not the dose: never shown in a table
NOT_SHOWN = {"schema_version"}
# Numbers of a plan's answer block: in its default view too
ANSWER = (
    "weight_kg",
    "dose_mg",
    "vial_total_mg",
    "leftover_mg",
    "drug_volume_ml",
    "bag_volume_ml",
    "total_volume_ml",
    "infusion_minutes",
    "rate_ml_per_h",
    "concentration_mg_per_ml",
    "dose_mg_per_kg",
)


def shown(value: int | float) -> str:
    return f"{value:g}" if isinstance(value, int) else str(value)


def numbers(data: Any, key: str = "") -> set[tuple[str, str]]:
    """(key, number as shown) of every number in a JSON value."""
    if isinstance(data, bool) or key in NOT_SHOWN:
        return set()
    if isinstance(data, int | float):
        return {(key, shown(data))}
    if isinstance(data, dict):
        return set().union(*(numbers(v, k) for k, v in data.items()))
    if isinstance(data, list):
        return set().union(*(numbers(v, key) for v in data))
    return set()


def found(number: str, text: str) -> bool:
    """number whole in text: not part of a longer number (1 in 19.44 does not count)."""
    start = text.find(number)
    while start >= 0:
        before = text[start - 1] if start else " "
        end = start + len(number)
        after = text[end] if end < len(text) else " "
        if not (before.isdigit() or before == ".") and not (
            after.isdigit() or (after == "." and text[end + 1 : end + 2].isdigit())
        ):
            return True
        start = text.find(number, start + 1)
    return False


@pytest.fixture
def at_width(cli, monkeypatch):
    def render(width: int, *argv: str):
        monkeypatch.setenv("COLUMNS", str(width))
        monkeypatch.setenv("TZ", "UTC")
        return cli(*argv)

    return render


OK_CASES = ANSWERED


@pytest.mark.parametrize(("name", "argv"), OK_CASES, ids=[n for n, _ in OK_CASES])
def test_every_number_of_the_json_is_in_the_table_at_every_width(at_width, name, argv):
    data = at_width(80, *argv)
    wanted = numbers(json.loads(data.stdout))
    table_args = table_argv(argv) + (["--details"] if argv[0] == "plan" else [])
    for width in WIDTHS:
        result = at_width(width, *table_args)
        assert result.exit_code == data.exit_code
        out = result.stdout
        assert "…" not in out or "…" in data.stdout  # only where the label text has one
        assert all(len(line) <= width for line in out.splitlines()), width
        missing = sorted(
            n for n in wanted if not any(found(n[1], line) for line in out.splitlines())
        )
        assert not missing, (width, missing)


PLANS = [(name, argv) for name, argv in OK_CASES if argv[0] == "plan"]


@pytest.mark.parametrize(("name", "argv"), PLANS, ids=[n for n, _ in PLANS])
def test_plan_answer_block_numbers_at_every_width(at_width, name, argv):
    data = at_width(80, *argv)
    record = json.loads(data.stdout)
    wanted = {shown(record[k]) for k in ANSWER if isinstance(record[k], int | float)}
    for width in WIDTHS:
        lines = at_width(width, *table_argv(argv)).stdout.splitlines()
        missing = sorted(n for n in wanted if not any(found(n, line) for line in lines))
        assert not missing, (width, missing)
