"""Rendering: each command's result as a table, a JSON object or a CSV row.

One module per command (plan, levels, check, adjust, schedule, next, catalogue) holds its
JSON object and its table; records.py the plan's JSON object in its two parts, csv.py the
batch cells, tables.py the one table writer every table uses, numbers.py display
precision. The only layer that turns Quantities into plain numbers. Display precision is
fixed and documented (README, "Output"): mg to 0.1, mL to 0.01, mL/h to 0.1, kg to 0.01,
rounded half-up. Nothing else is rounded anywhere.

Rich is imported only inside the table functions: JSON and CSV output never load it.
Each module is imported when one of its names is first used.
"""

import importlib
from typing import Any

# name -> the module that holds it. Each module is imported on first use, so that
# `plan --format json` loads the plan's record and numbers only, never the tables.
_HOMES = {
    "CSV_TEXT": "csv",
    "LIST_SEPARATOR": "csv",
    "PER_PATIENT": "records",
    "PLACES": "numbers",
    "SCHEMA_VERSION": "numbers",
    "adjustment_dict": "adjust",
    "adjustment_json": "adjust",
    "adjustment_message": "adjust",
    "adjustment_table": "adjust",
    "check_output_path": "files",
    "write_atomic": "files",
    "catalogue_dict": "catalogue",
    "catalogue_json": "catalogue",
    "catalogue_table": "catalogue",
    "combination_dict": "records",
    "combination_record": "records",
    "csv_cell": "csv",
    "csv_cells": "csv",
    "dose_check_dict": "check",
    "dose_check_json": "check",
    "dose_check_message": "check",
    "dose_check_table": "check",
    "joined": "records",
    "levels_dict": "levels",
    "levels_json": "levels",
    "levels_table": "levels",
    "neutralise": "csv",
    "next_dict": "next",
    "next_json": "next",
    "next_table": "next",
    "number": "numbers",
    "patient_dict": "records",
    "percent": "numbers",
    "plain": "numbers",
    "plan_dict": "records",
    "plan_json": "records",
    "plan_record": "records",
    "plan_record_parts": "records",
    "plan_table": "plan",
    "ratio": "numbers",
    "schedule_dict": "schedule",
    "schedule_json": "schedule",
    "schedule_table": "schedule",
    "shown_change_pct": "records",
    "signed": "numbers",
    "text_number": "numbers",
    "traced_json": "numbers",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
