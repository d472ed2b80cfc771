"""`her2dose regimens`: what the regimens file offers, as JSON or a table."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from her2dose.render.evidence import tagged
from her2dose.render.numbers import SCHEMA_VERSION, dose_value, number, text_number
from her2dose.render.tables import Sheet

if TYPE_CHECKING:
    from rich.console import Console


def catalogue_dict(book: Any) -> dict[str, Any]:
    """What the regimens file offers, for `her2dose regimens --format json`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "regimens_file": book.path,
        "regimens_sha256": book.sha256,
        "drugs": [
            {
                "drug": m.id,
                "name": m.name,
                "abbreviation": m.abbreviation,
                "aliases": list(m.aliases),
                "products": [
                    {
                        "product": p.id,
                        "brand": p.brand,
                        "vials": [
                            {
                                "strength_mg": number(v.strength, "mg"),
                                "multiple_dose": v.multiple_dose,
                                "concentration_mg_per_ml": number(v.concentration, "mg/mL"),
                                "source": v.source,
                                "evidence": v.evidence,
                            }
                            for v in p.vials
                        ],
                        "source": p.source,
                        "evidence": p.evidence,
                    }
                    for p in book.products_of(m.id)
                ],
                "regimens": [
                    {
                        "regimen": r.id,
                        "indication": r.indication,
                        "indication_aliases": list(r.indication_aliases),
                        "description": r.description,
                        "basis": r.basis,
                        "schedules": [
                            {
                                "schedule": s.name,
                                "interval_days": int(s.interval.m_as("day")),
                                "phases": [
                                    {
                                        "phase": ph.name,
                                        "dose": dose_value(ph.dose, r.basis),
                                        "dose_unit": "mg/kg" if r.basis == "per_kg" else "mg",
                                        "infusion_first_minutes": number(ph.infusion_first, "min"),
                                        "infusion_subsequent_minutes": number(
                                            ph.infusion_subsequent, "min"
                                        ),
                                        "source": ph.source,
                                        "evidence": ph.evidence,
                                    }
                                    for ph in s.phases.values()
                                ],
                            }
                            for s in r.schedules.values()
                        ],
                        "levels": [
                            {
                                "level": lv.level,
                                "name": lv.name,
                                "dose": dose_value(lv.dose, r.basis),
                                "source": lv.source,
                                "evidence": lv.evidence,
                            }
                            for lv in r.levels
                        ],
                        "source": r.source,
                        "evidence": r.evidence,
                    }
                    for r in book.regimens_of(m.id)
                ],
                "not_encoded_indications": [
                    {
                        "indication": stop.indication,
                        "indication_aliases": list(stop.aliases),
                        "description": stop.description,
                        "message": f"not encoded: {stop.message}",
                        "hint": stop.hint,
                        "source": stop.source,
                        "evidence": stop.evidence,
                    }
                    for stop in m.not_encoded_indications
                ],
                "not_planned": (
                    {
                        "text": m.not_planned.text,
                        "source": m.not_planned.source,
                        "evidence": m.not_planned.evidence,
                    }
                    if m.not_planned is not None
                    else None
                ),
            }
            for m in book.molecules.values()
        ],
    }


def catalogue_json(book: Any) -> str:
    return json.dumps(catalogue_dict(book), ensure_ascii=False, indent=2)


def catalogue_table(book: Any, console: Console) -> None:
    catalogue_sheet(book).print(console)


def catalogue_sheet(book: Any) -> Sheet:
    """One block per drug: its products and vials, then one row per indication with the
    words to type (--indication) and its doses. Names, never internal ids."""
    out = Sheet()
    out.title(f"Regimens in {book.path}")
    for m in book.molecules.values():
        out.gap()
        name = m.name + (f" ({m.abbreviation})" if m.abbreviation else "")
        out.line((name, "bold"))
        for p in book.products_of(m.id):
            vials = ", ".join(
                f"{text_number(number(v.strength, 'mg'))} mg"
                + (
                    f" (withdrawn at {text_number(number(v.concentration, 'mg/mL'))} mg/mL)"
                    if v.concentration is not None
                    else ""
                )
                for v in p.vials
            )
            # the index names vials; their preparation facts and evidence are in `plan`
            out.row(p.brand, f"vials {vials}; type '{p.id}'")
        for r in book.regimens_of(m.id):
            unit = "mg/kg" if r.basis == "per_kg" else "mg"
            doses = "; ".join(
                f"{s.name} (every {int(s.interval.m_as('day'))} days): "
                + ", ".join(
                    f"{ph.name} {text_number(dose_value(ph.dose, r.basis))} {unit}" + _minutes(ph)
                    for ph in s.phases.values()
                )
                for s in r.schedules.values()
            )
            levels = " > ".join(
                f"{text_number(dose_value(lv.dose, r.basis))} ({lv.level})" for lv in r.levels
            )
            text = f"--indication {r.indication}: {doses}"
            if levels:
                text += f"; levels {levels} {unit}"
            levels_of = [
                r.evidence,
                *(s.evidence for s in r.schedules.values()),
                *(ph.evidence for s in r.schedules.values() for ph in s.phases.values()),
                *(lv.evidence for lv in r.levels),
            ]
            out.row("", tagged(text, *levels_of))
        # what plan refuses, beside what it plans; two lines at 80 columns keep the listing
        # on one screen: the refusal's own words and its document are in JSON and in `plan`
        for stop in m.not_encoded_indications:
            said = (
                f"--indication {stop.indication}: not encoded: check the current prescribing "
                "information"
            )
            out.row("", tagged(said, stop.evidence))
        if m.not_planned is not None:  # a subcutaneous fixed dose: `next` gives its dose
            out.row(
                m.abbreviation or m.name,
                tagged(
                    f"subcutaneous fixed dose, not planned; its dose: her2dose next {m.aliases[0]}",
                    m.not_planned.evidence,
                ),
            )
    return out


def _minutes(phase: Any) -> str:
    """' over 90/30 min': the first and later infusion times, as encoded."""
    first = number(phase.infusion_first, "min")
    later = number(phase.infusion_subsequent, "min")
    if first is None and later is None:
        return ""
    if later is None or later == first:
        return f" over {text_number(first)} min"
    return f" over {text_number(first)}/{text_number(later)} min"
