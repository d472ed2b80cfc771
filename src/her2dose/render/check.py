"""`her2dose check`: an ordered dose compared with the label's doses."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from her2dose.render.evidence import grouped, tagged
from her2dose.render.numbers import (
    SCHEMA_VERSION,
    dose_words,
    indication_words,
    json_of,
    number,
    percent,
    plain,
    ratio,
    signed,
    table_of,
    text_number,
)
from her2dose.render.records import PER_PATIENT, joined
from her2dose.render.tables import SEVERE, Sheet, footer, warnings_block


def _comparison_dict(c: Any, basis: str) -> dict[str, Any]:
    return {
        "level": c.level.level if c.level is not None else None,
        "name": c.name,
        "dose_mg_per_kg": ratio(c.label_rate) if basis == "per_kg" else None,
        "dose_mg": number(c.label_dose, "mg"),
        "difference_mg": number(c.difference, "mg"),
        "difference_pct": plain(c.difference_pct, c.pct_places),
        "within_tolerance": c.within_tolerance,
        "source": c.source,
    }


def _ordered_words(check: Any, shown: dict[str, Any] | None = None) -> str:
    d = shown if shown is not None else _order_figures(check)
    mg = text_number(d["dose_mg"], "mg")
    if check.per_kg_input:
        return f"{text_number(d['dose_mg_per_kg'])} mg/kg ({mg})"
    return f"{mg} ({text_number(d['dose_mg_per_kg'])} mg/kg)"


def dose_check_message(check: Any, shown: dict[str, Any] | None = None) -> str:
    """The answer in one sentence, with the figures of the check's object: `shown` is
    check_order_dict's when the caller has made it."""
    if check.message is not None:
        return check.message
    d = shown if shown is not None else _order_figures(check)
    basis = check.regimen.basis
    over = check.over_label
    if over is not None:
        o = d["over_label"]
        limit = _rate_words(o["limit_mg_per_kg"], over.limit_rate, basis)
        return (
            f"ABOVE THE LABEL: {_ordered_words(check, d)} is {o['difference_pct']}% "
            f"({text_number(o['difference_mg'], 'mg')}) above {over.what}, "
            f"{limit} = {text_number(o['limit_mg'], 'mg')} ({over.source})"
        )
    n, shown_n = check.nearest, d["nearest"]
    what = f"level {n.level.level} ({n.name})" if n.level is not None else f"the {n.name}"
    where = (
        f"{_rate_words(shown_n['dose_mg_per_kg'], n.label_rate, basis)} = "
        f"{text_number(shown_n['dose_mg'], 'mg')}: "
        f"{signed(shown_n['difference_mg'], ' mg')}, {signed(shown_n['difference_pct'], '%')}"
    )
    tolerance = f"{plain(check.tolerance_pct, 2):g}%"
    if check.matched:
        return f"matches {what} within {tolerance}: {where}"
    if check.scope == "all-levels":
        return f"matches no level within {tolerance}; nearest is {what}, {where}"
    return f"does not match {what} within {tolerance}: {where}"


def _rate_words(per_kg: Any, rate: Any, basis: str) -> str:
    """dose_words(rate, basis), from the mg/kg already shown when the dose is per kg."""
    return f"{text_number(per_kg)} mg/kg" if basis == "per_kg" else dose_words(rate, basis)


def dose_check_dict(check: Any) -> dict[str, Any]:
    """The documented JSON object for `her2dose check`. Keys and their order are stable:
    those of check_combination_dict, with the per-order ones filled in by check_order_dict."""
    return joined(check_combination_dict(check), check_order_dict(check))


def check_combination_dict(check: Any) -> dict[str, Any]:
    """Every key of a check's object, in the documented order; those that depend on the
    patient or the order are PER_PATIENT here (check_order_dict gives them). The same for
    every check of one drug, regimen, schedule, phase, scope and tolerance."""
    per_kg = check.regimen.basis == "per_kg"
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": check.molecule.id,
        "drug_name": check.molecule.name,
        "regimen": check.regimen.id,
        "indication": check.regimen.indication,
        "schedule": check.schedule.name,
        "phase": check.phase.name,
        "weight_input": PER_PATIENT,
        "weight_kg": PER_PATIENT,
        "dose_input": PER_PATIENT,
        "dose_mg": PER_PATIENT,
        "dose_mg_per_kg": PER_PATIENT,
        "tolerance_pct": plain(check.tolerance_pct, 2),
        "tolerance_from": check.tolerance_from,
        "checked_against": check.scope,
        "verdict": PER_PATIENT,
        "match": PER_PATIENT,
        "level": PER_PATIENT,
        "level_name": PER_PATIENT,
        "nearest": PER_PATIENT,
        "comparisons": PER_PATIENT,
        "over_label": PER_PATIENT,
        "max_dose_mg_per_kg": (
            ratio(check.maximum.dose) if check.maximum is not None and per_kg else None
        ),
        "max_dose_source": check.maximum.source if check.maximum is not None else None,
        "message": PER_PATIENT,
        "warnings": PER_PATIENT,
        "notes": PER_PATIENT,
        "regimens_file": None,
        "regimens_sha256": None,
    }


# The keys of check_order_dict that need a dict of every comparison made (the rest need
# only the nearest one's): a batch that writes none of them makes only the nearest.
ALL_COMPARISONS_KEYS = frozenset({"comparisons", "message"})


def check_order_dict(check: Any, keys: Collection[str] | None = None) -> dict[str, Any]:
    """The PER_PATIENT keys of check_combination_dict, for this check; with `keys`, only
    those (a batch's columns), and only what they need is made."""
    every = keys is None or not ALL_COMPARISONS_KEYS.isdisjoint(keys)
    d = _order_figures(check, every)
    matched = check.matched_level
    made: dict[str, Callable[[], Any]] = {
        "weight_input": lambda: check.request.weight,
        "weight_kg": lambda: number(check.weight, "kg"),
        "dose_input": lambda: check.request.dose,
        "dose_mg": lambda: d["dose_mg"],
        "dose_mg_per_kg": lambda: d["dose_mg_per_kg"],
        "verdict": lambda: check.verdict,
        "match": lambda: check.matched,
        "level": lambda: matched.level.level if matched and matched.level is not None else None,
        "level_name": lambda: matched.name if matched else None,
        "nearest": lambda: d["nearest"],
        "comparisons": lambda: d["comparisons"],
        "over_label": lambda: d["over_label"],
        "message": lambda: dose_check_message(check, d),
        "warnings": lambda: list(check.warnings),
        "notes": lambda: list(check.notes),
    }
    return {key: make() for key, make in made.items() if keys is None or key in keys}


def _order_figures(check: Any, every: bool = True) -> dict[str, Any]:
    """The figures of a check's object that its message shows too, each made once; with
    `every` False, of the comparisons only the nearest (comparisons None)."""
    basis = check.regimen.basis
    over = check.over_label
    comparisons = [_comparison_dict(c, basis) for c in check.comparisons] if every else None
    # the nearest is one of the comparisons: its dict is made once
    nearest = next(
        (
            d
            for c, d in zip(check.comparisons, comparisons or (), strict=False)
            if c is check.nearest
        ),
        None,
    ) or _comparison_dict(check.nearest, basis)
    return {
        "dose_mg": number(check.ordered_mg, "mg"),
        "dose_mg_per_kg": (
            ratio(check.ordered) if check.per_kg_input else number(check.ordered_rate, "mg/kg", 3)
        ),
        "nearest": nearest,
        "comparisons": comparisons,
        "over_label": (
            {
                "kind": over.kind,
                "what": over.what,
                "limit_mg_per_kg": ratio(over.limit_rate) if basis == "per_kg" else None,
                "limit_mg": number(over.limit_dose, "mg"),
                "difference_mg": number(over.difference, "mg"),
                "difference_pct": percent(over.difference_pct),
                "source": over.source,
            }
            if over is not None
            else None
        ),
    }


def dose_check_sheet(check: Any, book_path: str, sha256: str) -> Sheet:
    d = dose_check_dict(check)
    out = Sheet()
    out.title(f"{check.molecule.name} for {indication_words(check.regimen)}: dose check")
    verdict = d["verdict"].upper().replace("-", " ")
    over = check.over_label is not None
    out.row("Verdict", verdict, SEVERE if over else "bold")
    out.row("", d["message"], SEVERE if over else "")
    out.row("Dose checked", _ordered_words(check))
    out.row("Weight", text_number(d["weight_kg"], "kg"))
    against = {
        "all-levels": "every dose level",
        "level": f"level {check.comparisons[0].level.level}" if check.scope == "level" else "",
        "phase": f"the {check.phase.name} dose ({check.schedule.name})",
    }[check.scope]
    out.row("Compared with", f"{against} of {indication_words(check.regimen)}")
    out.row("Tolerance", f"{d['tolerance_pct']}% ({d['tolerance_from']})")
    warnings_block(out, check.warnings)
    out.gap()
    unit = "mg/kg" if check.regimen.basis == "per_kg" else "mg"
    rows = [
        [
            str(c["level"]) if c["level"] is not None else "—",
            c["name"],
            text_number(c["dose_mg_per_kg"] if c["dose_mg_per_kg"] is not None else c["dose_mg"]),
            text_number(c["dose_mg"], "mg"),
            signed(c["difference_mg"], " mg"),
            signed(c["difference_pct"], "%"),
            "yes" if c["within_tolerance"] else "no",
        ]
        for c in d["comparisons"]
    ]
    columns = ["level", "name", unit, "dose", "difference", "%", "within"]
    out.grid(columns, rows, right=(0, 2, 3, 4, 5), keys=2)
    said = [
        (f"level {c.level.level}", c.level.evidence)
        if c.level is not None
        else (c.name, check.phase.evidence)
        for c in check.comparisons
    ]
    for line in grouped(said):
        out.line(("evidence: ", "bold"), line)
    if d["max_dose_mg_per_kg"] is not None:
        out.line(tagged(f"maximum: {d['max_dose_mg_per_kg']} mg/kg", check.maximum.evidence))
    for note in check.notes:
        out.line(f"note: {note}")
    sources = [c["source"] for c in d["comparisons"]]
    sources += [d["max_dose_source"], d["over_label"]["source"] if d["over_label"] else None]
    footer(out, sources, book_path, sha256)
    return out


dose_check_json = json_of(dose_check_dict)
dose_check_table = table_of(dose_check_sheet)
