"""`her2dose adjust`: the label's dose modification for an adverse event."""

from __future__ import annotations

from typing import Any

from her2dose.render.evidence import reminder_text, words
from her2dose.render.numbers import (
    SCHEMA_VERSION,
    indication_words,
    json_of,
    number,
    plain,
    ratio,
    table_of,
    text_number,
    trailer,
)
from her2dose.render.tables import Sheet, footer, warnings_block


def _lvef_words(reading: Any) -> str | None:
    if reading is None:
        return None
    parts = []
    if reading.symptomatic_chf:
        parts.append("symptomatic congestive heart failure")
    if reading.lvef is not None:
        text = f"LVEF {reading.lvef.normalize():f}%"
        if reading.drop is not None:
            text += f", absolute decrease {reading.drop.normalize():f} points from baseline"
        if reading.lln is not None:
            text += f" (lower limit of normal {reading.lln.normalize():f}%)"
        parts.append(text)
    return "; ".join(parts) or None


def _outcome_dict(o: Any, basis: str) -> dict[str, Any]:
    per_kg = basis == "per_kg"
    return {
        "condition": o.condition,
        "result": o.result,
        "level": o.level.level if o.level is not None else None,
        "level_name": o.level.name if o.level is not None else None,
        "dose_mg_per_kg": ratio(o.level.dose) if o.level is not None and per_kg else None,
        "dose_mg": number(o.dose, "mg"),
        "text": o.text,
    }


def adjustment_message(adj: Any) -> str:
    """The answer in one line."""
    if adj.message is not None:
        return adj.message
    if adj.not_encoded is not None:
        return f"not encoded: check the current prescribing information, {adj.not_encoded.see}"
    if adj.rule is None:
        return (
            f"no row of the label's table for {adj.event.name} matches "
            f"{_lvef_words(adj.lvef)}: her2dose does not infer an action; check the current "
            f"prescribing information ({adj.event.source})"
        )
    rule = adj.rule
    if rule.action == "interrupt":
        head = f"interrupt treatment until {rule.until}"
        if adj.result is not None:
            return f"{head}, then {adj.result.text}"
        branches = "; ".join(
            f"{'if ' + o.condition if o.condition != 'otherwise' else 'otherwise'}: {o.text}"
            for o in adj.outcomes
        )
        return f"{head}; then {branches}"
    assert adj.result is not None  # a rule without an interruption has exactly one outcome
    return adj.result.text


def adjustment_dict(adj: Any) -> dict[str, Any]:
    """The documented JSON object for `her2dose adjust`. Keys and their order are stable."""
    from her2dose.model.adverse_events import ACTIONS

    basis = adj.regimen.basis
    per_kg = basis == "per_kg"
    rule, missing, result, lvef = adj.rule, adj.not_encoded, adj.result, adj.lvef
    no_re = adj.no_re_escalation
    return {
        "schema_version": SCHEMA_VERSION,
        "drug": adj.molecule.id,
        "drug_name": adj.molecule.name,
        "regimen": adj.regimen.id,
        "indication": adj.regimen.indication,
        "event": adj.event.id,
        "event_name": adj.event.name,
        "event_input": adj.request.event,
        "grade": adj.grade,
        "lvef_pct": plain(lvef.lvef, 1) if lvef and lvef.lvef is not None else None,
        "lvef_drop_pct": plain(lvef.drop, 1) if lvef and lvef.drop is not None else None,
        "lvef_lln_pct": plain(lvef.lln, 1) if lvef and lvef.lln is not None else None,
        "lvef_lln_from": lvef.lln_from if lvef else None,
        "symptomatic_chf": bool(lvef and lvef.symptomatic_chf),
        "resolved_days": adj.request.resolved_days,
        "level": adj.level.level if adj.level is not None else None,
        "level_name": adj.level.name if adj.level is not None else None,
        "level_mg_per_kg": ratio(adj.level.dose) if adj.level is not None and per_kg else None,
        "level_dose_mg": number(adj.level_dose, "mg"),
        "weight_input": adj.request.weight,
        "weight_kg": number(adj.weight, "kg"),
        "answer": adj.answer,
        "criterion": rule.criterion if rule else (missing.criterion if missing else None),
        "action": adj.action,
        "action_text": ACTIONS.get(adj.action),
        "until": rule.until if rule else None,
        "condition": rule.condition if rule else None,
        "outcomes": [_outcome_dict(o, basis) for o in adj.outcomes],
        "decided": result is not None,
        "result": result.result if result is not None else None,
        "result_level": result.level.level if result and result.level is not None else None,
        "result_level_name": result.level.name if result and result.level is not None else None,
        "result_mg_per_kg": (
            ratio(result.level.dose) if result and result.level is not None and per_kg else None
        ),
        "result_mg": number(result.dose, "mg") if result is not None else None,
        "result_text": result.text if result is not None else None,
        "follow_up": rule.follow_up if rule else None,
        "label": rule.label if rule else None,
        "source": rule.source if rule else (missing.source if missing else adj.event.source),
        "evidence": (rule or missing or adj.event).evidence,
        "not_encoded": (
            {"criterion": missing.criterion, "reason": missing.reason, "see": missing.see}
            if missing
            else None
        ),
        "message": adjustment_message(adj),
        "no_re_escalation": {"text": no_re.text, "source": no_re.source} if no_re else None,
        **trailer(adj),
    }


def adjustment_sheet(adj: Any, book_path: str, sha256: str) -> Sheet:
    d = adjustment_dict(adj)
    out = Sheet()
    out.title(f"{adj.molecule.name} for {indication_words(adj.regimen)}: {adj.event.name}")
    if adj.rule is not None:
        result = d["result_text"] and _outcome_line(
            {"text": d["result_text"], "dose_mg": d["result_mg"]}
        )
        action = d["action_text"] + (f" until {d['until']}" if d["until"] else "")
        out.row("Action", action, "bold")
        out.row("Result", result or "depends on the condition below", "bold")
        if len(adj.outcomes) > 1:
            for o in d["outcomes"]:
                head = "otherwise" if o["condition"] == "otherwise" else f"if {o['condition']}"
                out.row("Then", f"{head}: {_outcome_line(o)}")
        if d["follow_up"]:
            out.row("Also", d["follow_up"])
    else:
        out.row("Result", d["message"], "bold")
        if adj.not_encoded is not None:
            out.row("Why", adj.not_encoded.reason)
    typed = adj.request.event
    out.row("Event", adj.event.name + (f" (typed '{typed}')" if typed != adj.event.id else ""))
    if d["grade"] is not None:
        out.row("Grade", str(d["grade"]))
    lvef = _lvef_words(adj.lvef)
    if lvef:
        out.row("LVEF", lvef)
    if d["weight_kg"] is not None:
        out.row("Weight", text_number(d["weight_kg"], "kg"))
    if d["resolved_days"] is not None:
        out.row("Resolved after", f"{d['resolved_days']} days from onset")
    if adj.level is not None:
        level = f"{d['level']} ({d['level_name']}"
        level += f", {d['level_mg_per_kg']} mg/kg" if d["level_mg_per_kg"] is not None else ""
        level += f" = {text_number(d['level_dose_mg'], 'mg')}" if d["level_dose_mg"] else ""
        out.row("Current level", level + ")")
    if d["criterion"]:
        out.row("Label row", d["criterion"])
    if adj.rule is not None and d["label"]:
        out.row("Label", d["label"])
    if said := words(d["evidence"]):
        out.row("Evidence", said)
    warnings_block(out, adj.warnings)
    out.gap()
    if d["no_re_escalation"]:
        out.line(
            ("no re-escalation: ", "bold"),
            reminder_text(d["no_re_escalation"]["text"], adj.no_re_escalation.evidence),
        )
    for note in adj.notes:
        out.line(f"note: {note}")
    no_re = d["no_re_escalation"]["source"] if d["no_re_escalation"] else None
    footer(out, (d["source"], no_re), book_path, sha256)
    return out


def _outcome_line(o: dict[str, Any]) -> str:
    return o["text"] + (f" = {text_number(o['dose_mg'], 'mg')}" if o.get("dose_mg") else "")


adjustment_json = json_of(adjustment_dict)
adjustment_table = table_of(adjustment_sheet)
