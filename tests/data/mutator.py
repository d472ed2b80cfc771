"""Mutants of the shipped regimens file: each clinical number with its unit swapped for a
neighbouring one, or scaled by ten. A mutant that still loads could plan a wrong dose
without a word.

The file is parsed once; a mutant is one value of the parsed tables changed (found by
following the file's table headers to the line), so that a few hundred mutants cost a
few hundred checks, not a few hundred parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

# a unit -> units a slip could put in its place
SWAPS = {
    "mg/kg": ("g/kg", "mcg/kg", "mg/g"),
    "mg/mL": ("g/mL", "mg/L"),
    "mg": ("g", "mcg"),
    "mL": ("L", "µL"),
    "kg": ("g", "lb"),
    "min": ("s", "h", "day"),
    "h": ("min", "day"),
    "day": ("week", "h"),
    "week": ("day", "month"),
}
HEADER = re.compile(r"^(\[\[?)([^\]]+)\]\]?$")
QUANTITY = re.compile(r'^(?P<key>[a-z_][a-z0-9_-]*) = "(?P<number>[0-9.]+) (?P<unit>[A-Za-z/]+)"$')
# plain numbers with clinical weight ([policy] percentages and mg, course cycles, LVEF LLN)
NUMBER = re.compile(r"^(?P<key>[a-z_]+_pct|[a-z_]+_mg|cycles|lln_default) = (?P<number>[0-9.]+)$")


def mutants(text: str, data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str, Any, Any]]:
    """(description, table, key, original, mutated value): set table[key] to check it."""
    table: dict[str, Any] = data
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if header := HEADER.match(line):
            table = _table(data, header[2], header[1] == "[[", seen)
            continue
        if m := QUANTITY.match(line):
            changes = [f"{_ten_times(m['number'])} {m['unit']}"]
            changes += [f"{m['number']} {other}" for other in SWAPS.get(m["unit"], ())]
            for change in changes:
                original = f"{m['number']} {m['unit']}"
                yield f"line {number}: {line} -> {change}", table, m["key"], original, change
        elif (m := NUMBER.match(line)) and Decimal(m["number"]) != 0:
            value = table[m["key"]]
            yield f"line {number}: {line} -> x10", table, m["key"], value, value * 10


def _table(data: dict[str, Any], dotted: str, array: bool, seen: dict[str, int]):
    node: Any = data
    for part in dotted.split("."):
        node = node[part]
        if isinstance(node, list):  # inside an array of tables: the latest entry so far
            node = node[seen.get(_prefix(dotted, part), 0) - 1] if not array else node
    if array:
        seen[dotted] = seen.get(dotted, 0) + 1
        node = node[seen[dotted] - 1]
    return node


def _prefix(dotted: str, part: str) -> str:
    return dotted[: dotted.index(part) + len(part)]


def _ten_times(number: str) -> str:
    return format(Decimal(number) * 10, "f")
