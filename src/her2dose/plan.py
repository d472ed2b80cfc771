"""compute_plan: the one place a dose plan is computed, for `plan`, `batch` and the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

from her2dose import dosing, regimens, safety, units
from her2dose.errors import Her2DoseError, InputError
from her2dose.infusion import InfusionPlan, plan_infusion
from her2dose.model import (
    INFUSION_CHOICES,
    Level,
    Molecule,
    Phase,
    Preparation,
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
    next_level_dose: Quantity | None = None  # the dose at next_level for this weight


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
    return units.quantity(units.magnitude(weight, "kg"), "kg"), warnings, notes


def compute_plan(book: RegimenBook, request: PlanRequest) -> Plan:
    """The plan for one request: its combination's basis, then the patient's numbers."""
    return plan_for_patient(book, plan_basis(book, request), request)


# --- the plan in two parts, so that batch computes each combination once ---------------
# plan_basis: everything that does not depend on the patient (names resolved, level,
# preparation, reminders, next step). plan_for_patient: weight, dose, vials, volumes.
# compute_plan is the two in a row; `Planner` keeps the bases for a batch.

# PlanRequest fields that vary per patient. Every other field selects the basis, so a
# field added to PlanRequest is part of the basis key unless it is listed here.
PATIENT_FIELDS = frozenset({"weight"})


@dataclass(frozen=True, slots=True)
class PlanBasis:
    """What one combination of drug, indication, product, level, phase, schedule and
    infusion gives every patient."""

    molecule: Molecule
    product: Product
    regimen: Regimen
    schedule: Schedule
    phase: Phase
    level: Level | None
    which: str  # "first" or "subsequent"
    dose_rate: Quantity
    preparation: Preparation | None
    reminders: tuple[Reminder, ...]
    next_level: Level | None
    next_step: str
    warnings: tuple[str, ...]  # shown after the patient's own warnings
    notes: tuple[str, ...]  # shown after the patient's own notes


def plan_basis(book: RegimenBook, request: PlanRequest) -> PlanBasis:
    if request.drug is None or not str(request.drug).strip():  # an empty batch cell
        raise InputError(
            "drug", "drug is required: a brand, generic name or abbreviation such as "
            "enhertu, t-dxd, kadcyla or ogivri"
        )
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
    notes = []
    if request.infusion is None:
        notes.append(
            "infusion time is for a first infusion (the longer, safer duration); "
            "use --infusion subsequent for later, well-tolerated infusions"
        )
    warnings = []
    preparation = product.preparation or molecule.preparation
    if preparation is None or preparation.bag_volume is None:
        warnings.append(
            f"diluent and bag for {product.brand} are not encoded (not verified): "
            "check the current prescribing information before preparing"
        )

    reminders = molecule.reminders + product.reminders
    if molecule.no_re_escalation is not None and level is not None and level.level < 0:
        reminders += (Reminder("no re-escalation", molecule.no_re_escalation.text,
                               molecule.no_re_escalation.source),)
    return PlanBasis(
        molecule=molecule,
        product=product,
        regimen=regimen,
        schedule=schedule,
        phase=phase,
        level=level,
        which=which,
        dose_rate=level.dose if level is not None else phase.dose,
        preparation=preparation,
        reminders=reminders,
        next_level=dosing.level_after(regimen, level),
        next_step=dosing.next_step(regimen, level),
        warnings=tuple(warnings),
        notes=tuple(notes),
    )


def plan_for_patient(
    book: RegimenBook,
    basis: PlanBasis,
    request: PlanRequest,
    weighed: tuple[Quantity, list[str], list[str]] | None = None,
) -> Plan:
    """The patient's part of a plan. `weighed` is parse_weight's answer when the caller
    already has it (batch keeps one per distinct weight text)."""
    weight, weight_warnings, weight_notes = weighed or parse_weight(request.weight, book)
    regimen, level, preparation = basis.regimen, basis.level, basis.preparation
    dose = dosing.dose_for(basis.dose_rate, regimen.basis, weight)
    vial_plan = plan_vials(dose, basis.product.vials)
    infusion = plan_infusion(dose, vial_plan, preparation, basis.phase, basis.which)
    lower = basis.next_level
    sources = tuple(dict.fromkeys(
        s for s in (
            regimen.source, basis.schedule.source,
            level.source if level is not None else basis.phase.source,
            basis.product.source, *(c.vial.source for c in vial_plan.counts),
            preparation.source if preparation is not None else None,
        ) if s
    ))
    return Plan(
        request=request,
        molecule=basis.molecule,
        product=basis.product,
        regimen=regimen,
        schedule=basis.schedule,
        phase=basis.phase,
        level=level,
        dose_rate=basis.dose_rate,
        weight=weight,
        dose=dose,
        vials=vial_plan,
        infusion=infusion,
        next_level=lower,
        next_step=basis.next_step,
        reminders=basis.reminders,
        warnings=(*weight_warnings, *basis.warnings),
        notes=(*weight_notes, *basis.notes),
        sources=sources,
        next_level_dose=(
            dosing.dose_for(lower.dose, regimen.basis, weight) if lower is not None else None
        ),
    )


class Planner:
    """compute_plan for many requests on one book, each combination's basis and each
    distinct weight text worked out once (batch). Plans are the same as compute_plan's,
    because they are made by the same two functions."""

    def __init__(self, book: RegimenBook, max_entries: int = 4096) -> None:
        self.book = book
        self._basis_key = attrgetter(
            *(f.name for f in fields(PlanRequest) if f.name not in PATIENT_FIELDS)
        )
        self._bases: _Memo = _Memo(max_entries)
        self._weights: _Memo = _Memo(max_entries)

    def plan(self, request: PlanRequest) -> Plan:
        basis = self._bases.get(self._basis_key(request), lambda: plan_basis(self.book, request))
        weighed = self._weights.get(
            request.weight, lambda: parse_weight(request.weight, self.book)
        )
        return plan_for_patient(self.book, basis, request, weighed)


class _Memo:
    """A bounded memo that also remembers errors (a bad drug name in 10,000 rows is
    resolved once); the oldest entries go first, so memory stays flat in a long batch."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.entries: dict[Any, Any] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        try:
            hit = self.entries[key]
        except KeyError:
            try:
                hit = compute()
            except Her2DoseError as error:
                hit = error
            if len(self.entries) >= self.max_entries:
                del self.entries[next(iter(self.entries))]
            self.entries[key] = hit
        if isinstance(hit, Her2DoseError):
            raise hit.with_traceback(None)
        return hit
