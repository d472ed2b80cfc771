"""Rendering: each command's result as a table, a JSON object or a CSV row.

One module per command (plan, levels, check, adjust, schedule, next, catalogue) holds its
JSON object and its table; records.py the plan's JSON object in its two parts, csv.py the
batch cells, tables.py the one table writer every table uses, numbers.py display
precision. The only layer that turns Quantities into plain numbers. Display precision is
fixed and documented (README, "Output"): mg to 0.1, mL to 0.01, mL/h to 0.1, kg to 0.01,
rounded half-up. Nothing else is rounded anywhere.

Rich is imported only inside the table functions: JSON and CSV output never load it.
"""

from her2dose.render.adjust import (
    adjustment_dict,
    adjustment_json,
    adjustment_message,
    adjustment_table,
)
from her2dose.render.catalogue import catalogue_dict, catalogue_json, catalogue_table
from her2dose.render.check import (
    dose_check_dict,
    dose_check_json,
    dose_check_message,
    dose_check_table,
)
from her2dose.render.csv import CSV_TEXT, LIST_SEPARATOR, csv_cell, csv_cells, neutralise
from her2dose.render.files import atomic_output
from her2dose.render.levels import levels_dict, levels_json, levels_table
from her2dose.render.next import next_dict, next_json, next_table
from her2dose.render.numbers import (
    PLACES,
    SCHEMA_VERSION,
    number,
    percent,
    plain,
    ratio,
    signed,
    text_number,
    traced_json,
)
from her2dose.render.plan import plan_table
from her2dose.render.records import (
    PER_PATIENT,
    combination_dict,
    combination_record,
    joined,
    patient_dict,
    plan_dict,
    plan_json,
    plan_record,
    plan_record_parts,
    shown_change_pct,
)
from her2dose.render.schedule import schedule_dict, schedule_json, schedule_table

__all__ = [
    "CSV_TEXT",
    "LIST_SEPARATOR",
    "PER_PATIENT",
    "PLACES",
    "SCHEMA_VERSION",
    "adjustment_dict",
    "adjustment_json",
    "adjustment_message",
    "adjustment_table",
    "atomic_output",
    "catalogue_dict",
    "catalogue_json",
    "catalogue_table",
    "combination_dict",
    "combination_record",
    "csv_cell",
    "csv_cells",
    "dose_check_dict",
    "dose_check_json",
    "dose_check_message",
    "dose_check_table",
    "joined",
    "levels_dict",
    "levels_json",
    "levels_table",
    "neutralise",
    "next_dict",
    "next_json",
    "next_table",
    "number",
    "patient_dict",
    "percent",
    "plain",
    "plan_dict",
    "plan_json",
    "plan_record",
    "plan_record_parts",
    "plan_table",
    "ratio",
    "schedule_dict",
    "schedule_json",
    "schedule_table",
    "shown_change_pct",
    "signed",
    "text_number",
    "traced_json",
]
