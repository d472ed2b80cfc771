"""Dose rounding: to a whole-vial total within a percent (HOPA 2018), or to the nearest N mg.

Rules, in the order they are applied:
- Vial rounding: a dose within `pct` percent (inclusive) of a total that whole vials make
  up, below or above, is rounded to the nearest such total (a tie goes to the lower dose).
  It never goes above a label maximum (`cap`), never beyond the threshold, and never to a
  total that needs more vials than the ordered dose.
- Increment rounding (only when vial rounding did not change the dose): to the nearest
  `increment` mg, half-up (685 mg to the nearest 10 mg is 690 mg). When that would go above
  the cap or need another vial, the multiple below is used; a change larger than
  `max_pct` percent of the dose is not made at all.
Every rounding comes back as a `Rounding` record; every rounding that was considered and
not made comes back as a note saying why. Pure: no I/O; Decimal mg inside.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache

from her2dose import units
from her2dose.core.vials import plan_vials
from her2dose.model import Quantity, Vial
from her2dose.model.plan import HUNDRED, Rounding, RoundingOutcome


def mg(value: Decimal) -> str:
    return f"{value.normalize():f} mg"


def pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


@lru_cache(maxsize=1024)
def whole_vial_totals(strengths: tuple[Decimal, ...], upper: Decimal) -> dict[Decimal, int]:
    """Every total (mg) that whole vials make up, up to `upper`, with its fewest vials."""
    totals: dict[Decimal, int] = {}

    def walk(i: int, total: Decimal, count: int) -> None:
        if i == len(strengths):
            if total > 0 and count < totals.get(total, count + 1):
                totals[total] = count
            return
        n = 0
        while total + strengths[i] * n <= upper:
            walk(i + 1, total + strengths[i] * n, count + n)
            n += 1

    walk(0, Decimal(0), 0)
    return totals


def new_vials_for(dose_mg: Decimal, vials: tuple[Vial, ...], offset_mg: Decimal) -> int:
    """How many new vials a dose needs once `offset_mg` comes from an opened vial."""
    fresh = dose_mg - offset_mg
    if fresh <= 0:
        return 0
    return plan_vials(units.quantity(fresh, "mg"), vials).vial_count


def round_to_vial(
    dose: Quantity,
    vials: tuple[Vial, ...],
    threshold_pct: Decimal,
    *,
    cap: Quantity | None = None,
    offset: Quantity | None = None,
) -> RoundingOutcome:
    """Round to the nearest whole-vial total within `threshold_pct`, if any is allowed.

    `offset` is mg available from an opened multiple-dose vial: totals are then that
    remainder plus whole new vials (or the remainder alone).
    """
    d = units.magnitude(dose, "mg")
    if threshold_pct <= 0:
        return RoundingOutcome(dose, None, ())
    off = units.magnitude(offset, "mg") if offset is not None else Decimal(0)
    if off > 0 and d <= off:
        return RoundingOutcome(
            dose,
            None,
            ("vial rounding not applied: the whole dose comes from the opened multiple-dose vial",),
        )
    before = new_vials_for(d, vials, off)
    low = d * (1 - threshold_pct / HUNDRED)
    high = d * (1 + threshold_pct / HUNDRED)
    strengths = tuple(sorted(units.magnitude(v.strength, "mg") for v in vials))
    totals = dict(whole_vial_totals(strengths, high - off)) if high > off else {}
    if off > 0:
        totals[Decimal(0)] = 0
    if (d - off) in totals:
        return RoundingOutcome(dose, None, ())  # already a whole-vial total: nothing to round
    cap_mg = units.magnitude(cap, "mg") if cap is not None else None
    in_range = sorted(
        ((off + t, n) for t, n in totals.items() if low <= off + t <= high),
        key=lambda c: (abs(c[0] - d), c[0]),
    )
    notes: list[str] = []
    chosen = None
    for total, count in in_range:
        if cap_mg is not None and total > cap_mg:
            notes.append(
                f"not rounded to {mg(total)}: above the label maximum for this patient "
                f"({mg(cap_mg.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP))})"
            )
            continue
        if count > before:
            notes.append(
                f"not rounded to {mg(total)}: it needs {count} new vials, more than the "
                f"{before} the ordered dose needs"
            )
            continue
        chosen = (total, count)
        break
    if chosen is None:
        if not in_range:
            notes.append(
                f"vial rounding: no whole-vial total within {pct(threshold_pct)} of {mg(d)}"
            )
        return RoundingOutcome(dose, None, tuple(notes))
    total, count = chosen
    direction = "up" if total > d else "down"
    reason = (
        f"rounded {direction} to a whole-vial total within {pct(threshold_pct)} of the ordered dose"
    )
    return _rounded("vial", d, total, (before, count), reason, notes, threshold_pct=threshold_pct)


def round_to_increment(
    dose: Quantity,
    increment: Quantity,
    vials: tuple[Vial, ...],
    max_pct: Decimal,
    *,
    cap: Quantity | None = None,
    offset: Quantity | None = None,
) -> RoundingOutcome:
    """Round half-up to the nearest `increment` mg, within the cap, vials and `max_pct`."""
    d = units.magnitude(dose, "mg")
    step = units.magnitude(increment, "mg")
    if step <= 0:
        return RoundingOutcome(dose, None, ())
    off = units.magnitude(offset, "mg") if offset is not None else Decimal(0)
    nearest = (d / step).to_integral_value(rounding=ROUND_HALF_UP) * step
    if nearest == d:
        return RoundingOutcome(dose, None, ())
    before = new_vials_for(d, vials, off)
    cap_mg = units.magnitude(cap, "mg") if cap is not None else None
    notes: list[str] = []
    candidate = nearest
    if cap_mg is not None and candidate > cap_mg:
        notes.append(
            f"{mg(candidate)} would be above the label maximum for this patient; "
            f"rounded down to the multiple of {mg(step)} below instead"
        )
        candidate = (d / step).to_integral_value(rounding=ROUND_FLOOR) * step
    elif candidate > d and new_vials_for(candidate, vials, off) > before:
        notes.append(
            f"{mg(candidate)} would need another vial; rounded down to the multiple "
            f"of {mg(step)} below instead"
        )
        candidate = (d / step).to_integral_value(rounding=ROUND_FLOOR) * step
    after = new_vials_for(candidate, vials, off) if candidate > 0 else before
    change = abs(candidate - d) / d * HUNDRED
    reason = None
    if candidate <= 0:
        reason = f"the increment {mg(step)} is larger than the dose"
    elif change > max_pct:
        shown = change.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        reason = f"the change ({pct(shown)}) would exceed rounding_max_pct ({pct(max_pct)})"
    elif after > before:
        reason = "it would need another vial"
    if reason is not None:
        return RoundingOutcome(
            dose,
            None,
            (
                *notes,
                f"not rounded to the nearest {mg(step)}: {reason}",
            ),
        )
    done = (
        f"rounded half-up to the nearest {mg(step)}"
        if candidate == nearest
        else f"rounded down to a multiple of {mg(step)}"
    )
    increment = units.quantity(step, "mg")
    return _rounded("increment", d, candidate, (before, after), done, notes, increment=increment)


def _rounded(
    method: str,
    ordered_mg: Decimal,
    final_mg: Decimal,
    vials: tuple[int, int],
    reason: str,
    notes: list[str],
    *,
    threshold_pct: Decimal | None = None,
    increment: Quantity | None = None,
) -> RoundingOutcome:
    """The outcome of a dose rounded from `ordered_mg` to `final_mg`; `vials` is the count
    of new vials before and after."""
    final = units.quantity(final_mg, "mg")
    rounding = Rounding(
        method=method,
        ordered=units.quantity(ordered_mg, "mg"),
        final=final,
        vials_before=vials[0],
        vials_after=vials[1],
        threshold_pct=threshold_pct,
        increment=increment,
        reason=reason,
    )
    return RoundingOutcome(final, rounding, tuple(notes))


def apply_rounding(
    dose: Quantity,
    vials: tuple[Vial, ...],
    *,
    vial_pct: Decimal,
    increment: Quantity | None,
    max_pct: Decimal,
    cap: Quantity | None = None,
    offset: Quantity | None = None,
) -> RoundingOutcome:
    """Vial rounding first; increment rounding only if vial rounding left the dose as it was."""
    if vial_pct <= 0 and increment is None:  # neither asked for (the default policy)
        return RoundingOutcome(dose, None, ())
    by_vial = round_to_vial(dose, vials, vial_pct, cap=cap, offset=offset)
    if by_vial.rounding is not None or increment is None:
        return by_vial
    by_step = round_to_increment(dose, increment, vials, max_pct, cap=cap, offset=offset)
    return RoundingOutcome(by_step.dose, by_step.rounding, by_vial.notes + by_step.notes)
