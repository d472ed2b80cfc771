"""The printable preparation worksheet of one plan: `plan --format pdf` or `--format html`.

One page a pharmacy prints, fills in (lots, expiry, times) and signs, with a bag label to
cut out. Its figures are the plan's JSON figures (plan_dict), so the worksheet, the table
and the JSON never disagree. The document is built once as plain sections and written
either as PDF (worksheet_pdf.py, the one module importing fpdf2) or as HTML (stdlib).

The PDF uses a core font (Helvetica: no font file ships with the package), which holds
Latin-1 only; `latin1` spells every other character out safely ("µg" -> "mcg",
"≤" -> "<=") and marks one it cannot spell as [U+XXXX] rather than dropping it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from her2dose.model.records import record
from her2dose.render.evidence import reminder_text, tagged, words

if TYPE_CHECKING:
    from her2dose.model.plan import Plan

BLANK = "_" * 22
SHORT_BLANK = "_" * 12
NDC_PATTERN = re.compile(r"\bNDC\s+(\d{4,5}-\d{3,4}-\d{1,2})\b")
BOXED = "boxed warning"


@record
class Row:
    label: str
    value: str
    strong: bool = False  # the figures a checker reads first: dose, withdraw, rate


@record
class Section:
    title: str
    rows: tuple[Row, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()  # header row first (the vials)
    alert: bool = False  # drawn boxed: warnings, the boxed warning


@record
class Worksheet:
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    label_title: str
    label: tuple[Row, ...]
    footer: str
    notes: tuple[str, ...] = field(default=())
    made_at: datetime | None = None  # the plan's time: the PDF's date, so a rerun is identical


# --- the content -------------------------------------------------------------------------


def _n(value: Any, unit: str = "") -> str:
    from her2dose.render.numbers import text_number

    return text_number(value, unit)


def _clock(iso: str | None) -> str:
    from her2dose.render.numbers import clock

    return clock(iso)


def ndcs_of(*sources: str) -> list[str]:
    """The NDCs a record's source cites, in order, each once."""
    found: list[str] = []
    for source in sources:
        for ndc in NDC_PATTERN.findall(source or ""):
            if ndc not in found:
                found.append(ndc)
    return found


def _dose_basis(plan: Plan, d: dict[str, Any]) -> str:
    if d["dose_mg_per_kg"] is not None:
        weight = _n(d["weight_change"]["weight_used_kg"] if d["weight_change"] else d["weight_kg"])
        basis = f"{d['dose_mg_per_kg']} mg/kg x {weight} kg"
        ordered = d["rounding"]["ordered_dose_mg"] if d["rounding"] else d["dose_mg"]
        basis += f" = {_n(ordered, 'mg')}"
    else:
        ordered = d["rounding"]["ordered_dose_mg"] if d["rounding"] else d["dose_mg"]
        basis = f"fixed dose {_n(ordered, 'mg')}"
    level = f"level {plan.level.level} ({plan.level.name})" if plan.level is not None else ""
    source = f"; {d['source']}" if d["source"] else ""
    return f"{basis}{f', {level}' if level else ''}{source}"


def _weight_text(plan: Plan, d: dict[str, Any]) -> str:
    change = d["weight_change"]
    used = change["weight_used_kg"] if change else d["weight_kg"]
    text = f"{_n(used, 'kg')}"
    given = plan.request.weight.strip()
    if change is not None and change["weight_used"] == "baseline":
        text += f" (baseline weight; today {_n(change['current_kg'], 'kg')}, entered '{given}')"
    elif given.replace(" ", "") != text.replace(" ", ""):
        text += f" (entered '{given}')"
    return text


# Up to this many vials, one lot / expiry line each; beyond it a few per strength, as the
# vials of one dose come from one or two lots and the page must stay one page.
VIAL_LINES = 8
LOT_LINES = 3


def _vial_table(plan: Plan, d: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    rows: list[tuple[str, ...]] = [("Vial", "Strength", "NDC", "Lot", "Expiry")]
    each = plan.vials.vial_count <= VIAL_LINES
    first = 1
    for count in plan.vials.counts:
        vial = count.vial
        ndc = ", ".join(ndcs_of(vial.source, plan.product.source)) or "NDC: " + SHORT_BLANK
        kind = "multiple-dose" if vial.multiple_dose else "single-dose"
        strength = f"{_n(_mg(vial.strength))} mg {kind}"
        last = first + count.count - 1
        if each:
            rows += [
                (str(n), strength, ndc, SHORT_BLANK, SHORT_BLANK) for n in range(first, last + 1)
            ]
        else:
            rows.append((f"{first}-{last}", strength, ndc, SHORT_BLANK, SHORT_BLANK))
            rows += [("", "(another lot)", "", SHORT_BLANK, SHORT_BLANK)] * (LOT_LINES - 1)
        first = last + 1
    return tuple(rows)


def _mg(q: Any) -> Any:
    from her2dose.render.numbers import number

    return number(q, "mg")


def _use_by_rows(d: dict[str, Any], given: bool, plan: Plan) -> list[Row]:
    kept = {"refrigerated": "refrigerated", "room_temperature": "at room temperature"}
    rows = []
    if not given:
        rows.append(Row("Reconstituted at", f"date {SHORT_BLANK} time {SHORT_BLANK}"))
    for u, rule in zip(d["use_by"], plan.use_by, strict=True):
        hold_said = tagged("", rule.evidence)
        what = f"{u['what'].capitalize()}, {kept[u['storage']]}"
        hold = f"{_n(u['hold_hours'], 'h')} from {u['counted_from']} ({u['condition']})"
        if given:
            when = u["use_by"] if u["counted_from"] == "reconstitution" else None
            shown = _clock(when) if when else f"{SHORT_BLANK} (from the dilution time)"
            rows.append(Row("Use by", f"{what}: {shown}; {hold}{hold_said}"))
        else:
            rows.append(Row("Use by", f"{what}: {SHORT_BLANK}; {hold}{hold_said}"))
    if d["use_by_not_encoded"]:
        rows.append(Row("Not encoded", d["use_by_not_encoded"]))
    return rows


def _dose_levels(plan: Plan) -> tuple[str, ...]:
    level = plan.level.evidence if plan.level is not None else plan.phase.evidence
    return (level, plan.regimen.evidence)


def _is_do_not(reminder: Any) -> bool:
    return reminder.kind.startswith("do not") or reminder.text.startswith("Do not")


def build(
    plan: Plan,
    *,
    regimens_path: str,
    sha256: str,
    version: str,
    patient: str | None = None,
    mrn: str | None = None,
    weighed_on: date | None = None,
) -> Worksheet:
    """The worksheet's content, from the plan and what the command line adds to it."""
    from her2dose.render.numbers import vial_text
    from her2dose.render.records import plan_dict

    d = plan_dict(plan)
    given = bool(d["prepared_at_given"])
    drug = f"{plan.product.brand} ({plan.molecule.name})"
    dose = _n(d["dose_mg"], "mg")
    who = patient or BLANK
    mrn_text = mrn or BLANK

    patient_rows = [
        Row("Patient", who),
        Row("MRN", mrn_text),
        Row("Weight used", _weight_text(plan, d)),
        Row("Weighed on", weighed_on.isoformat() if weighed_on else f"date {SHORT_BLANK}"),
    ]
    if d["weight_change"]:
        w = d["weight_change"]
        flag = "RECALCULATE THE DOSE" if w["recalculate"] else "below the threshold"
        patient_rows.append(
            Row(
                "Weight change",
                f"baseline {_n(w['baseline_kg'], 'kg')} -> {_n(w['current_kg'], 'kg')} "
                f"({w['change_pct']}%, threshold {w['threshold_pct']}%): {flag}",
            )
        )

    dose_rows = [
        Row("Drug", drug),
        Row("Indication", plan.regimen.description),
        Row(
            "Schedule",
            f"{plan.schedule.name}, every {d['interval_days']} days"
            + (f"; {plan.phase.name} dose" if plan.phase.name != "standard" else ""),
        ),
        Row("Dose", dose, strong=True),
        Row("Basis", _dose_basis(plan, d)),
        # the evidence of the dose figure, when it is not the current US label
        *([Row("Evidence", said)] if (said := words(*_dose_levels(plan))) else []),
    ]
    if d["rounding"]:
        r = d["rounding"]
        dose_rows.append(
            Row(
                "Rounding",
                f"ordered {_n(r['ordered_dose_mg'], 'mg')} -> {_n(r['final_dose_mg'], 'mg')} "
                f"({r['difference_pct']}%, {r['method']} rounding): {r['reason']}",
            )
        )

    vial_rows: list[Row] = []
    if plan.vials.counts:
        vial_rows.append(
            Row(
                "Vials",
                tagged(
                    f"{vial_text(plan)} = {_n(d['vial_total_mg'], 'mg')}; leftover "
                    f"{_n(d['leftover_mg'], 'mg')}",
                    plan.product.evidence,
                ),
            )
        )
    else:
        vial_rows.append(Row("Vials", "no new vial: the whole dose comes from the opened vial"))
    if d["open_vial"]:
        o = d["open_vial"]
        vial_rows.append(
            Row(
                "Opened vial",
                f"draw {_n(o['drawn_mg'], 'mg')} ({_n(o['drawn_ml'], 'mL')}) first, use by "
                f"{_clock(o['use_by'])}"
                if o["used"]
                else f"EXPIRED at {_clock(o['use_by'])}: not used, discard it",
            )
        )

    prep = plan.infusion.preparation
    prep_rows: list[Row] = []
    for r in d["reconstitution"]:
        if r["volume_ml"] is not None:
            text = tagged(
                f"each {r['strength_mg']} mg vial with {r['volume_ml']} mL {r['fluid']}",
                *(c.vial.evidence for c in plan.vials.counts),
            )
        elif r["fluid"] is None and plan.product.form.startswith("solution"):
            text = "not needed (solution)"
        else:
            text = f"{r['strength_mg']} mg vial: volume not encoded, see the product label"
        prep_rows.append(Row("Reconstitute", text))
    prep_rows += [
        Row("Concentration", f"{d['concentration_mg_per_ml']} mg/mL"),
        Row("Withdraw", f"{_n(d['drug_volume_ml'], 'mL')} (= {dose})", strong=True),
        Row(
            "Bag and diluent",
            tagged(
                f"{_n(d['bag_volume_ml'], 'mL')} {d['diluent']}",
                *((prep.evidence_of("diluent"), prep.evidence_of("bag_volume")) if prep else ()),
            )
            if d["diluent"]
            else "not encoded: check the current prescribing information",
        ),
        Row("Total volume", _n(d["total_volume_ml"], "mL"), strong=True),
        Row(
            "Infusion",
            f"{d['infusion_minutes']} min ({d['infusion']} infusion) at "
            f"{_n(d['rate_ml_per_h'], 'mL/h')}",
            strong=True,
        ),
        Row(
            "Filter",
            (tagged(d["filter"], prep.evidence_of("filter")) if d["filter"] and prep else "")
            or (
                "no in-line filter requirement in the label"
                if prep is not None
                else "not encoded: check the current prescribing information"
            ),
        ),
    ]
    for k in d["remainders"]:
        prep_rows.append(
            Row(
                "Remainder kept",
                f"{_n(k['remainder_mg'], 'mg')} ({_n(k['remainder_ml'], 'mL')}) in the "
                f"{k['strength_mg']} mg multiple-dose vial: keep {k['storage']}, use by "
                f"{_clock(k['use_by'])}; label the vial",
            )
        )
    if given:
        prep_rows.append(Row("Prepared at", _clock(d["prepared_at"])))

    # The sheet is for the preparation: of the reminders it carries the boxed warning, the
    # do-not lines and the preparation ones; those about the order and its administration
    # (antiemetics, later infusion times, no dose reduction) stay in the plan's table.
    forbidden = prep.evidence_of("forbidden") if prep else ""
    do_not = [Row("Do not use", tagged(bad, forbidden)) for bad in d["forbidden_diluents"]]
    do_not += [
        Row("Do not", reminder_text(m.text, m.evidence)) for m in plan.reminders if _is_do_not(m)
    ]
    boxed = [
        Row("Boxed warning", f"{m.text} ({m.source})") for m in plan.reminders if m.kind == BOXED
    ]
    prep_rows += [
        Row("Note", reminder_text(m.text, m.evidence))
        for m in plan.reminders
        if m.kind == "preparation"
    ]

    sections = [Section("Patient", tuple(patient_rows))]
    if plan.warnings:
        sections.append(
            Section("Warnings", tuple(Row("WARNING", w) for w in plan.warnings), alert=True)
        )
    sections += [
        Section("Drug and dose", tuple(dose_rows)),
        Section("Vials", tuple(vial_rows), table=_vial_table(plan, d)),
        Section("Preparation and infusion", tuple(prep_rows)),
        Section("Use-by times", tuple(_use_by_rows(d, given, plan))),
    ]
    if boxed or do_not:
        sections.append(Section("Boxed warning and do-not", tuple(boxed + do_not), alert=True))
    sections.append(
        Section(
            "Sign-off",
            (
                Row("Prepared by", f"{BLANK}  date/time {BLANK}"),
                Row("Checked by", f"{BLANK}  date/time {BLANK}"),
                Row("Given by", f"{BLANK}  start time {SHORT_BLANK}"),
            ),
        )
    )

    diluted = [u for u in d["use_by"] if u["what"].startswith("diluted")]
    if given and diluted:
        kept = {"refrigerated": "2-8 °C", "room_temperature": "room temp."}
        use_by = "; ".join(f"{_clock(u['use_by'])} ({kept[u['storage']]})" for u in diluted)
    else:
        use_by = f"date {SHORT_BLANK} time {SHORT_BLANK}"
    bag = f"{_n(d['total_volume_ml'], 'mL')} total"
    if d["diluent"]:
        bag += f" in {d['diluent']}"
    label = (
        Row("Patient", f"{who}   MRN {mrn_text}"),
        Row("Drug", drug),
        Row("Dose", dose, strong=True),
        Row("Volume", bag),
        Row(
            "Rate",
            f"{_n(d['rate_ml_per_h'], 'mL/h')} over {d['infusion_minutes']} min, IV",
            strong=True,
        ),
        *([Row("Filter", d["filter"])] if d["filter"] else []),
        Row("Use by", use_by),
        Row("Prepared / checked", f"{SHORT_BLANK} / {SHORT_BLANK}"),
    )
    return Worksheet(
        title=f"Preparation worksheet: {plan.product.brand} {dose}",
        subtitle=f"{drug}. Check every figure against the order, the current prescribing "
        "information and local protocol.",
        sections=tuple(sections),
        label_title="Bag label (cut out and attach)",
        label=label,
        footer=f"her2dose {version}; regimens file {regimens_path}; SHA-256 {sha256}",
        notes=tuple(plan.notes),
        made_at=plan.prepared_at,
    )


# --- text for a core font ----------------------------------------------------------------

_SPELLED = {
    "µg": "mcg",
    "μg": "mcg",
    "µm": "micron",
    "μm": "micron",
    "µ": "micro",
    "μ": "micro",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "→": "->",
    "←": "<-",
    "—": " - ",
    "–": "-",
    "−": "-",
    "‑": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "•": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
}
_SPELLED_PATTERN = re.compile(
    "|".join(re.escape(k) for k in sorted(_SPELLED, key=len, reverse=True))
)


def latin1(text: str) -> str:
    """`text` in Latin-1 for a core PDF font, every other character spelled out or marked."""
    text = _SPELLED_PATTERN.sub(lambda m: _SPELLED[m.group(0)], text)
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256)
        out.append(
            plain if plain and not unicodedata.combining(plain[0]) else f"[U+{ord(char):04X}]"
        )
    return "".join(out)


# --- PDF ---------------------------------------------------------------------------------


def pdf_bytes(sheet: Worksheet, paper: str = "a4") -> bytes:
    """The worksheet as PDF (worksheet_pdf: the only module that imports fpdf2)."""
    from her2dose.render.worksheet_pdf import pdf_bytes as draw

    return draw(sheet, paper)


# --- HTML --------------------------------------------------------------------------------

_CSS = """@page { size: A4; margin: 12mm }
body { font: 10pt/1.3 Helvetica, Arial, sans-serif; max-width: 186mm; margin: auto }
h1 { font-size: 15pt; margin: 0 0 2pt } h2 { font-size: 10.5pt; background: #e1e1e1;
margin: 6pt 0 2pt; padding: 1pt 3pt } table { border-collapse: collapse; width: 100% }
th, td { text-align: left; vertical-align: top; padding: 1pt 4pt; overflow-wrap: anywhere }
th { width: 32mm } .strong { font-weight: bold; font-size: 12pt }
.alert { border: 2px solid #000; padding: 0 2pt 2pt }
.label { border: 1.5px dashed #000; max-width: 130mm; padding: 3pt; margin-top: 8pt }
.foot { font-size: 8pt; overflow-wrap: anywhere }"""


def html_text(sheet: Worksheet) -> str:
    e = html.escape

    def rows(items: tuple[Row, ...]) -> str:
        return "".join(
            f"<tr><th>{e(r.label)}</th>"
            f"<td{' class=strong' if r.strong else ''}>{e(r.value)}</td></tr>"
            for r in items
        )

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(sheet.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(sheet.title)}</h1><p>{e(sheet.subtitle)}</p>",
    ]
    for section in sheet.sections:
        parts.append(
            f"<section{' class=alert' if section.alert else ''}><h2>{e(section.title)}</h2>"
        )
        parts.append(f"<table>{rows(section.rows)}</table>")
        if section.table:
            head, *body = section.table
            parts.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in body]
            parts.append("</table>")
        parts.append("</section>")
    parts += [f"<p>Note: {e(n)}</p>" for n in sheet.notes]
    parts.append(
        f'<div class="label"><b>{e(sheet.label_title)}</b><table>{rows(sheet.label)}</table></div>'
    )
    parts.append(f'<p class="foot">{e(sheet.footer)}</p></body></html>')
    return "\n".join(parts) + "\n"


def render(plan: Plan, output_format: str, **details: Any) -> bytes:
    """The worksheet `build(plan, **details)` makes, as `pdf` or `html` (UTF-8) bytes."""
    sheet = build(plan, **details)
    if output_format == "pdf":
        return pdf_bytes(sheet)
    return html_text(sheet).encode("utf-8")
