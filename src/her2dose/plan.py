"""compute_plan: the one place a dose plan is computed, for `plan`, `batch` and the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

from her2dose import dosing, regimens, safety, units
from her2dose.errors import InputError
from her2dose.infusion import InfusionPlan, plan_infusion
from her2dose.model import (
    INFUSION_CHOICES,
    Level,
    Molecule,
    Phase,
    Product,
    Quantity,
    Regimen,
    RegimenBook,
    Reminder,
    Schedule,
)
from her2dose.vials import VialPlan, plan_vials


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What a user asked for, as text, exactly as typed (CLI option or batch cell)."""

    drug: str
    weight: str
    indication: str | None = None
    product: str | None = None
    level: str | int | None = None
    phase: str | None = None
    schedule: str | None = None
    infusion: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    request: PlanRequest
    molecule: Molecule
    product: Product
    regimen: Regimen
    schedule: Schedule
    phase: Phase
    level: Level | None  # None for regimens dosed by loading/maintenance phase
    dose_rate: Quantity  # mg/kg (per_kg) or mg (flat)
    weight: Quantity  # in kg, exact
    dose: Quantity  # mg, exact
    vials: VialPlan
    infusion: InfusionPlan
    next_level: Level | None
    next_step: str
    reminders: tuple[Reminder, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    sources: tuple[str, ...] = field(default=())


def parse_weight(text: str, book: RegimenBook) -> tuple[Quantity, list[str], list[str]]:
    """Weight text -> (kg quantity, warnings, notes). A bare number is read in kg."""
    if text is None or not str(text).strip():
        raise InputError("weight", "weight is required, for example '72 kg' or '158 lb'")
    notes = []
    bare_unit = book.policy.bare_weight_unit
    weight = units.parse_quantity(str(text), "mass", "weight", default_unit=bare_unit)
    if units.is_bare_number(text):
        notes.append(f"weight '{text}' has no unit and was read as {bare_unit}")
    warnings = safety.check_weight(weight, str(text), book.policy)
    return weight.to("kg"), warnings, notes


def compute_plan(book: RegimenBook, request: PlanRequest) -> Plan:
    molecule, named_product = regimens.resolve_drug(book, request.drug)
    regimen = regimens.resolve_regimen(book, molecule, request.indication)
    schedule = regimens.resolve_schedule(regimen, request.schedule)
    phase = regimens.resolve_phase(regimen, schedule, request.phase)
    product = regimens.resolve_product(book, molecule, named_product, request.product)
    level = dosing.select_level(regimen, dosing.parse_level(request.level))

    which = (request.infusion or "first").strip().lower()
    if which not in INFUSION_CHOICES:
        raise InputError(
            "infusion", f"infusion '{request.infusion}' must be one of {', '.join(INFUSION_CHOICES)}"
        )
    weight, warnings, notes = parse_weight(request.weight, book)
    if request.infusion is None:
        notes.append(
            "infusion time is for a first infusion (the longer, safer duration); "
            "use --infusion subsequent for later, well-tolerated infusions"
        )

    dose_rate = level.dose if level is not None else phase.dose
    dose = dosing.dose_for(dose_rate, regimen.basis, weight)
    vial_plan = plan_vials(dose, product.vials)
    preparation = product.preparation or molecule.preparation
    infusion = plan_infusion(dose, vial_plan, preparation, phase, which)
    if preparation is None or preparation.bag_volume is None:
        warnings.append(
            f"diluent, bag and in-line filter for {product.brand} are not encoded "
            "(not verified): check the current prescribing information before preparing"
        )

    reminders = molecule.reminders + product.reminders
    if molecule.no_re_escalation is not None and level is not None and level.level < 0:
        reminders += (Reminder("no re-escalation", molecule.no_re_escalation.text,
                               molecule.no_re_escalation.source),)
    lower = dosing.level_after(regimen, level)
    sources = tuple(dict.fromkeys(
        s for s in (
            regimen.source, schedule.source,
            level.source if level is not None else phase.source,
            product.source, *(c.vial.source for c in vial_plan.counts),
            preparation.source if preparation is not None else None,
        ) if s
    ))
    return Plan(
        request=request,
        molecule=molecule,
        product=product,
        regimen=regimen,
        schedule=schedule,
        phase=phase,
        level=level,
        dose_rate=dose_rate,
        weight=weight,
        dose=dose,
        vials=vial_plan,
        infusion=infusion,
        next_level=lower,
        next_step=dosing.next_step(regimen, level),
        reminders=reminders,
        warnings=tuple(warnings),
        notes=tuple(notes),
        sources=sources,
    )
