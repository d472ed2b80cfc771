"""`her2dose levels`: every dose level of a regimen, each one planned by plan.compute_plan.

Doses, vials and volumes come from compute_plan (one call per level), never from a copy of
its arithmetic. Regimens dosed by phase (trastuzumab: loading and maintenance) have no
levels; their rows are the label's doses per schedule and phase.
"""

from __future__ import annotations

from her2dose.commands import selection
from her2dose.commands.plan import plan_beside
from her2dose.core import dosing
from her2dose.model import (
    RegimenBook,
)
from her2dose.model.plan import Plan
from her2dose.model.results import LevelRow, LevelsRequest, LevelTable


def compute_levels(book: RegimenBook, request: LevelsRequest) -> LevelTable:
    # A product only matters for vials (with a weight), but one that was named is checked
    # and shown either way rather than silently ignored. With a weight, the product is
    # required like any other choice (the vials depend on it).
    chosen = selection.select_for(
        book,
        request,
        product_mode=selection.product_mode_for(request.weight),
        schedule_mode=selection.SKIP,
        phase_mode=selection.SKIP,
        level_mode=selection.LEVEL_OPTIONAL,
    )
    molecule, regimen = chosen.molecule, chosen.regimen
    product = chosen.product if request.product is not None else None

    def planned(**choice: object) -> Plan | None:
        if request.weight is None:
            return None
        # infusion is fixed so compute_plan adds no infusion-time note: levels shows no times
        return plan_beside(book, request, request.indication, infusion="first", **choice)

    if regimen.levels:
        schedule = next(iter(regimen.schedules.values()))  # a regimen with levels has one
        phase = next(iter(schedule.phases.values()))
        rows = [
            LevelRow(lv, schedule, phase, lv.dose, lv.source, planned(level=lv.level))
            for lv in regimen.levels
        ]
    else:
        rows = [
            LevelRow(None, s, p, p.dose, p.source, planned(schedule=s.name, phase=p.name))
            for s in regimen.schedules.values()
            for p in s.phases.values()
        ]
    plans = [r.plan for r in rows if r.plan is not None]
    return LevelTable(
        request=request,
        molecule=molecule,
        regimen=regimen,
        product=plans[0].product if plans else product,
        rows=tuple(rows),
        further_reduction=regimen.further_reduction if regimen.has_reductions else None,
        no_reductions=None if regimen.has_reductions else dosing.NO_REDUCTIONS,
        no_re_escalation=molecule.no_re_escalation if regimen.has_reductions else None,
        max_dose=regimen.max_dose,
        weight=plans[0].weight if plans else None,
        warnings=tuple(dict.fromkeys(w for p in plans for w in p.warnings)),
        notes=tuple(dict.fromkeys(n for p in plans for n in p.notes)),
    )
