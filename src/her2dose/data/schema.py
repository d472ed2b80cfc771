"""What each table of regimens.toml may hold: its fields, their types, units and ranges.

The reader (reader.py) walks a table against one of these declarations, so the unit a
label writes a quantity in, and the range a clinical number must lie in, are stated once
here and nowhere else. A value outside its range is a typing slip until shown otherwise:
'5.4 g/kg' or a '90 day' infusion must never load and plan.
"""

from __future__ import annotations

from decimal import Decimal

from her2dose.model.records import record

SUPPORTED_SCHEMA = 1
# A stated concentration may differ from strength / deliverable volume by at most this
# fraction (vials are overfilled, so the two never agree to the last digit).
CONCENTRATION_TOLERANCE = Decimal("0.05")
# The powder adds volume when reconstituted, so strength / diluent volume runs a little
# above or below the stated concentration; a slip of a digit is far outside this.
RECONSTITUTION_TOLERANCE = Decimal("0.10")
# Deeper than any table the schema describes: a deeper file is refused before it is walked.
MAX_DEPTH = 12


@record
class Measure:
    """A quantity written in one of the label's units and inside a plausible range."""

    kind: str  # a units.KINDS key: the dimension
    units: tuple[str, ...]  # the unit spellings a label uses for it; the first is canonical
    low: Decimal
    high: Decimal
    what: str  # words for the range in a message ("a per-kg dose")

    def range_text(self) -> str:
        return f"{self.low}-{self.high} {self.units[0]}"


def _m(kind: str, units: str, low: str, high: str, what: str) -> Measure:
    return Measure(kind, tuple(units.split()), Decimal(low), Decimal(high), what)


# Each kind of number once. The ranges hold every encoded label value with room to spare
# and refuse the slips of a unit or a digit (x10) that would still parse.
PER_KG_DOSE = _m("dose_per_mass", "mg/kg", "0.5", "30", "a per-kg dose")
FLAT_DOSE = _m("mass", "mg", "50", "2500", "a flat dose")
VIAL_STRENGTH = _m("mass", "mg", "10", "1000", "a vial strength")
CONCENTRATION = _m("concentration", "mg/mL", "5", "100", "a concentration")
VIAL_VOLUME = _m("volume", "mL", "1", "50", "a vial volume")
BAG_VOLUME = _m("volume", "mL", "50", "500", "an infusion bag")
INFUSION = _m("time", "min", "5", "240", "an infusion time")
INJECTION = _m("time", "min", "1", "15", "an injection time")
INJECTION_VOLUME = _m("volume", "mL", "1", "30", "an injection volume")
INTERVAL = _m("time", "day", "7", "42", "a dosing interval")
HOLD_ROOM = _m("time", "h day", "0.5", "24", "a hold at room temperature")
HOLD_COLD = _m("time", "h day", "1", "48", "a refrigerated hold")
IN_USE = _m("time", "day", "1", "30", "an opened vial's in-use time")
RELOAD_AFTER = _m("time", "day", "1", "42", "a missed-dose delay")
RELOAD_AT = _m("time", "week", "1", "12", "a gap between doses")
SWITCH = _m("time", "week", "0", "4", "a switch-over")
CHEMO_PERIOD = _m("time", "week", "1", "26", "a chemotherapy period")
COURSE = _m("time", "week", "1", "104", "a course length")
RESOLVED = _m("time", "day", "1", "90", "a time to resolve")
WEIGHT_REJECT_BELOW = _m("mass", "kg", "0.5", "5", "a weight floor")
WEIGHT_WARN_BELOW = _m("mass", "kg", "20", "60", "a low-weight warning")
WEIGHT_WARN_ABOVE = _m("mass", "kg", "100", "300", "a high-weight warning")
WEIGHT_REJECT_ABOVE = _m("mass", "kg", "300", "1000", "a weight ceiling")

# Plain numbers: (low, high) inclusive.
PERCENT_POLICY = (Decimal(0), Decimal(20))
INCREMENT_MG = (Decimal(0), Decimal(50))
# An order written to the whole mg is the usual precision; ten times it is a slip.
ORDER_PRECISION_MG = (Decimal(0), Decimal(5))
LLN_PERCENT = (Decimal(40), Decimal(60))
CYCLES = (1, 52)

# Field types that are not quantities
TEXT = "text"
OPTIONAL_TEXT = "optional text"
FLAG = "flag"
TEXTS = "texts"
NUMBER = "number"
TABLE = "table"
ARRAY = "array"
OTHER = "other"  # read by the section's own code (a choice, an id, a range)


@record
class Field:
    type: str | Measure
    required: bool = True
    bounds: tuple[Decimal, Decimal] | None = None  # for NUMBER


def q(measure: Measure, required: bool = True) -> Field:
    return Field(measure, required)


REQ_TEXT = Field(TEXT)
OPT_TEXT = Field(TEXT, required=False)
SOURCE = {"source": REQ_TEXT}

POLICY = {
    "weight_reject_below": q(WEIGHT_REJECT_BELOW),
    "weight_warn_below": q(WEIGHT_WARN_BELOW),
    "weight_warn_above": q(WEIGHT_WARN_ABOVE),
    "weight_reject_above": q(WEIGHT_REJECT_ABOVE),
    "bare_weight_unit": REQ_TEXT,
    "dose_tolerance_pct": Field(NUMBER, True, PERCENT_POLICY),
    "round_to_vial_pct": Field(NUMBER, False, PERCENT_POLICY),
    "round_to_vial_exclude": Field(TEXTS, False),
    "round_increment_mg": Field(NUMBER, False, INCREMENT_MG),
    "order_precision_mg": Field(NUMBER, True, ORDER_PRECISION_MG),
    "weight_change_pct": Field(NUMBER, True, PERCENT_POLICY),
    "dose_weight": Field(OTHER, False),
    "rounding_max_pct": Field(NUMBER, True, PERCENT_POLICY),
    **SOURCE,
}
PREPARATION = {
    "diluent": OPT_TEXT,
    "bag_volume": q(BAG_VOLUME, False),
    "forbidden": Field(TEXTS, False),
    "filter": OPT_TEXT,
    "field_evidence": Field(OTHER, False),
    **SOURCE,
}
PREPARATION_FIELDS = ("diluent", "bag_volume", "forbidden", "filter")
REMINDER = {"kind": REQ_TEXT, "text": REQ_TEXT, "regimens": Field(TEXTS, False), **SOURCE}
INDICATION_STOP = {
    "indication": REQ_TEXT,
    "aliases": Field(TEXTS, False),
    "description": REQ_TEXT,
    "message": REQ_TEXT,
    "hint": OPT_TEXT,
    **SOURCE,
}
DRUG_STOP = {"aliases": Field(TEXTS), "message": REQ_TEXT, **SOURCE}
MOLECULE = {
    "name": REQ_TEXT,
    "abbreviation": OPT_TEXT,
    "aliases": Field(TEXTS, False),
    "no_re_escalation": Field(TABLE, False),
    "preparation": Field(TABLE, False),
    "reminders": Field(ARRAY, False),
    "not_planned": Field(TABLE, False),
    "not_encoded_indications": Field(ARRAY, False),
    **SOURCE,
}
VIAL = {
    "strength": q(VIAL_STRENGTH),
    "multiple_dose": Field(FLAG, False),
    "reconstitute_with": q(VIAL_VOLUME, False),
    "reconstitution_fluid": OPT_TEXT,
    "concentration": q(CONCENTRATION, False),
    "deliverable_volume": q(VIAL_VOLUME, False),
    "in_use": q(IN_USE, False),
    "in_use_storage": OPT_TEXT,
    **SOURCE,
}
PRODUCT = {
    "brand": REQ_TEXT,
    "molecule": Field(OTHER),
    "aliases": Field(TEXTS, False),
    "form": OPT_TEXT,
    "vials": Field(ARRAY),
    "preparation": Field(TABLE, False),
    "reminders": Field(ARRAY, False),
    **SOURCE,
}
REGIMEN = {
    "molecule": Field(OTHER),
    "indication": REQ_TEXT,
    "indication_aliases": Field(TEXTS, False),
    "description": REQ_TEXT,
    "basis": Field(OTHER),
    "schedules": Field(TABLE),
    "reductions": Field(ARRAY, False),
    "further_reduction": Field(TABLE, False),
    "max_dose": Field(TABLE, False),
    **SOURCE,
}
SCHEDULE = {"interval": q(INTERVAL), "phases": Field(TABLE), **SOURCE}
# the dose field's measure depends on the regimen's basis: see dose_measure()
PHASE = {
    "dose": Field(OTHER),
    "infusion_first": q(INFUSION),
    "infusion_subsequent": q(INFUSION),
    "interpretation": OPT_TEXT,
    **SOURCE,
}
REDUCTION = {"name": REQ_TEXT, "dose": Field(OTHER), **SOURCE}
MAX_DOSE = {"dose": Field(OTHER), **SOURCE}
USE_BY = {
    "stage": Field(OTHER),
    "storage": Field(OTHER),
    "condition": REQ_TEXT,
    "hold": Field(OTHER),  # its range depends on the storage
    "counted_from": Field(OTHER),
    **SOURCE,
}
WITHOUT_BENZYL_ALCOHOL = {
    "strength": q(VIAL_STRENGTH),
    "reconstitute_with": q(VIAL_VOLUME),
    "fluid": REQ_TEXT,
    "text": REQ_TEXT,
    **SOURCE,
}
FIXED_DOSE = {
    "dose": REQ_TEXT,
    "volume": q(INJECTION_VOLUME),
    "injection_time": q(INJECTION, False),  # or a range: exactly one of the two
    "injection_time_range": Field(OTHER, False),
    **SOURCE,
}


def dose_measure(basis: str | None) -> Measure:
    return FLAT_DOSE if basis == "flat" else PER_KG_DOSE


def hold_measure(storage: str | None) -> Measure:
    return HOLD_ROOM if storage == "room_temperature" else HOLD_COLD
