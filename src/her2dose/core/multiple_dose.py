"""Multiple-dose vials: the remainder kept, reconstitution without benzyl alcohol, and
drawing first from an already opened vial. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime

from her2dose import units
from her2dose.core.preparation_times import after
from her2dose.errors import InputError
from her2dose.model import Product, Quantity, Vial
from her2dose.model.plan import KeptRemainder, OpenVial, VialPlan
from her2dose.model.records import replace
from her2dose.model.storage import SterileWaterAlternative

OPENED = "opened vial"
NEW = "new vial"


def multiple_dose_vial(product: Product) -> Vial | None:
    return next((v for v in product.vials if v.multiple_dose), None)


def without_benzyl_alcohol(
    product: Product, alternative: SterileWaterAlternative | None
) -> tuple[Product, list[str]]:
    """The product as prepared with sterile water: its multiple-dose vials become single-dose.

    Where the label's sterile-water instruction is not encoded for a vial, that vial is
    left out of the plan rather than guessed at.
    """
    mdvs = [v for v in product.vials if v.multiple_dose]
    if not mdvs:
        return product, [
            f"--no-benzyl-alcohol changes nothing: {product.brand} has no multiple-dose vial "
            "(none is reconstituted with bacteriostatic water)"
        ]
    notes = []
    vials = []
    for vial in product.vials:
        if not vial.multiple_dose:
            vials.append(vial)
        elif alternative is not None and alternative.strength == vial.strength:
            vials.append(
                replace(
                    vial,
                    multiple_dose=False,
                    reconstitute_with=alternative.reconstitute_with,
                    reconstitution_fluid=f"{alternative.fluid} (no benzyl alcohol: single-dose, "
                    "discard the unused portion)",
                    in_use=None,
                    in_use_storage=None,
                    source=f"{vial.source}; {alternative.source}",
                )
            )
            notes.append(
                f"no benzyl alcohol: the {_mg(vial.strength)} vial is reconstituted with "
                f"{alternative.fluid} and is single-dose: {alternative.text} "
                f"({alternative.source})"
            )
        else:
            notes.append(
                f"no benzyl alcohol: reconstitution of the {product.brand} {_mg(vial.strength)} "
                "multiple-dose vial without bacteriostatic water is not encoded (not verified "
                "for this product), so the plan leaves that vial out; check the current "
                "prescribing information, section 2"
            )
    if not vials:
        raise InputError(
            "no_benzyl_alcohol",
            f"{product.brand} has no vial that can be prepared without benzyl alcohol in "
            "her2dose; check the current prescribing information",
        )
    return replace(product, vials=tuple(vials)), notes


def open_vial(
    product: Product, remainder: Quantity, opened: datetime, prepared_at: datetime, dose: Quantity
) -> OpenVial:
    """Whether the opened vial may still be used, and how much of the dose it covers."""
    vial = multiple_dose_vial(product)
    if vial is None:
        raise InputError(
            "open_vial_mg",
            f"{product.brand} has no multiple-dose vial, so there is no opened vial to draw "
            "from; leave out --open-vial-mg",
        )
    if vial.in_use is None or vial.concentration is None:
        raise InputError(
            "open_vial_mg",
            f"the in-use time of the {product.brand} {vial.strength:~P} multiple-dose vial is "
            "not encoded, so an opened vial cannot be checked: leave out --open-vial-mg",
        )
    if remainder.magnitude <= 0:
        raise InputError("open_vial_mg", "open_vial_mg must be more than zero")
    if remainder > vial.strength:
        raise InputError(
            "open_vial_mg",
            f"open_vial_mg {_mg(remainder)} is more than the {_mg(vial.strength)} the "
            f"{product.brand} multiple-dose vial holds",
        )
    if opened > prepared_at:
        raise InputError(
            "open_vial_date",
            "open_vial_date is after the preparation time; check --open-vial-date and "
            "--prepared-at",
        )
    use_by = after(opened, vial.in_use)
    usable = prepared_at < use_by
    drawn = min(dose.to("mg"), remainder.to("mg")) if usable else units.quantity(0, "mg")
    return OpenVial(vial, remainder.to("mg"), opened, use_by, usable, drawn)


def kept_remainders(
    vial_plan: VialPlan, prepared_at: datetime, opened: OpenVial | None
) -> tuple[KeptRemainder, ...]:
    """Remainders that may be kept: the opened vial's, and a new multiple-dose vial's.

    Drawing the single-dose vials empty first leaves the whole leftover in the
    multiple-dose vial (the leftover is always smaller than any vial used).
    """
    kept = []
    if opened is not None and opened.usable and opened.left.magnitude > 0:
        kept.append(_remainder(OPENED, opened.vial, opened.left, opened.opened))
    mdv = next((c.vial for c in vial_plan.counts if c.vial.multiple_dose), None)
    if (
        mdv is not None
        and mdv.in_use is not None
        and mdv.concentration is not None
        and vial_plan.leftover.magnitude > 0
    ):
        kept.append(_remainder(NEW, mdv, vial_plan.leftover, prepared_at))
    return tuple(kept)


def _remainder(origin: str, vial: Vial, amount: Quantity, opened: datetime) -> KeptRemainder:
    # magnitudes in the units their names say (units.magnitude: Pint's factors, found
    # once), as this runs for many rows of a batch
    amount_mg = units.magnitude(amount, "mg")
    assert vial.concentration is not None  # kept_remainders keeps only vials that have one
    return KeptRemainder(
        origin=origin,
        vial=vial,
        amount=units.quantity(amount_mg, "mg"),
        volume=units.quantity(amount_mg / units.magnitude(vial.concentration, "mg/mL"), "mL"),
        opened=opened,
        use_by=after(opened, vial.in_use),
    )


def _mg(q: Quantity) -> str:
    return f"{q.m_as('mg').normalize():f} mg"
