"""Dose rules: which level, how many mg for a patient, and what comes after a level."""

from __future__ import annotations

from decimal import Decimal

from her2dose import units
from her2dose.errors import InputError
from her2dose.model import Level, Molecule, Quantity, Regimen, Reminder

NO_REDUCTIONS = "no dose reductions; hold or discontinue only"


def parse_level(text: str | int | None) -> int | None:
    """'0', '-1', '-2' (or ints) -> int; None stays None (the starting dose)."""
    if text is None or text == "":
        return None
    if isinstance(text, int):
        return text
    try:
        return int(str(text).strip())
    except ValueError:
        raise InputError(
            "level", f"level '{text}' is not a whole number; use 0 (starting dose), -1, -2, ..."
        ) from None


def select_level(regimen: Regimen, level: int | None) -> Level | None:
    """The dose level to give. None for regimens dosed by phase (loading/maintenance)."""
    if not regimen.levels:
        if level not in (None, 0):
            raise InputError(
                "level", f"regimen '{regimen.id}' has {NO_REDUCTIONS}; leave out --level"
            )
        return None
    wanted = 0 if level is None else level
    for lv in regimen.levels:
        if lv.level == wanted:
            return lv
    if not regimen.has_reductions:
        raise InputError("level", f"regimen '{regimen.id}' has {NO_REDUCTIONS}; leave out --level")
    valid = ", ".join(str(lv.level) for lv in regimen.levels)
    raise InputError(
        "level", f"regimen '{regimen.id}' has no level {wanted}; valid levels are {valid}"
    )


def level_after(regimen: Regimen, level: Level | None) -> Level | None:
    """The next lower level, or None when the next step is not a lower dose."""
    if level is None:
        return None
    for lv in regimen.levels:
        if lv.level == level.level - 1:
            return lv
    return None


def next_step(regimen: Regimen, level: Level | None) -> str:
    """What a further reduction would mean, in words."""
    if not regimen.has_reductions:
        return NO_REDUCTIONS
    lower = level_after(regimen, level)
    if lower is not None:
        return (
            f"reduce to level {lower.level} ({lower.name}, {dose_text(lower.dose, regimen.basis)})"
        )
    if regimen.further_reduction is not None:
        return regimen.further_reduction.text
    return NO_REDUCTIONS  # pragma: no cover - the loader requires further_reduction


def dose_for(dose_rate: Quantity, basis: str, weight: Quantity) -> Quantity:
    """The dose in mg: rate x weight for per-kg regimens, the rate itself for flat ones."""
    if basis == "flat":
        return units.quantity(units.magnitude(dose_rate, "mg"), "mg")
    return _per_kg_dose(dose_rate, weight)


# in magnitudes (Pint's factors, found once): this runs once per batch row
@units.computes(returns="mg", rate="mg/kg", weight="kg")
def _per_kg_dose(rate: Decimal, weight: Decimal) -> Decimal:
    return rate * weight


def dose_text(dose_rate: Quantity, basis: str) -> str:
    """'5.4 mg/kg' or '840 mg', exactly as the label writes it."""
    unit = "mg" if basis == "flat" else "mg/kg"
    return f"{dose_rate.to(unit).magnitude.normalize():f} {unit}"


def with_no_re_escalation(
    reminders: tuple[Reminder, ...], molecule: Molecule, level: Level | None
) -> tuple[Reminder, ...]:
    """A dose at a reduced level carries the label's no-re-escalation sentence, once."""
    rule = molecule.no_re_escalation
    if rule is None or level is None or level.level >= 0:
        return reminders
    if any(m.kind == "no re-escalation" for m in reminders):
        return reminders
    return (*reminders, Reminder("no re-escalation", rule.text, rule.source, rule.evidence))
