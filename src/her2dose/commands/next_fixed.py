"""`her2dose next` for the fixed-dose products (PHESGO, HERCEPTIN HYLECTA): ready-to-use
subcutaneous doses with rules of their own, and the words every `next` answer uses.

Pure, as commands/next.py: the dates come in, the answer goes out.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from her2dose.data.loader import normalise
from her2dose.errors import InputError
from her2dose.model import Molecule
from her2dose.model.courses import MissedDoseRule
from her2dose.model.results import (
    DUE,
    LATE,
    NOT_ENCODED_STATUS,
    NOT_YET_DUE,
    NextDose,
    NextRequest,
    days,
    weekday,
)

PREVIOUS_CHOICES = ("iv", "phesgo")


def refuse_options(request: NextRequest, name: str) -> None:
    for option, value in (
        ("weight", request.weight),
        ("level", request.level),
        ("indication", request.indication),
        ("product", request.product),
        ("schedule", request.schedule),
        ("chemotherapy", request.chemotherapy),
        ("start", request.start),
        ("infusion", request.infusion),
    ):
        if value is not None:
            raise InputError(
                option, f"{name} is a fixed dose given every 3 weeks; leave out --{option}"
            )


def one_fixed_dose_next(
    request: NextRequest, molecule: Molecule, rule: MissedDoseRule, last: date, on: date
) -> NextDose:
    """HERCEPTIN HYLECTA: one fixed dose; a missed dose is given as soon as possible, and
    the next no sooner than the interval after it. No loading dose."""
    name = molecule.abbreviation or molecule.name
    refuse_options(request, name)
    if request.previous is not None:
        raise InputError("previous", "--previous applies only to PHESGO; leave it out")
    assert rule.interval is not None and rule.dose is not None
    interval = days(rule.interval)
    due, base, early = fixed_dose_due(request, molecule, rule, last, on, interval)
    if early is not None:
        return early
    late = (on - due).days
    dose = rule.dose
    volume = f"{dose.volume.m_as('mL'):f}".rstrip("0").rstrip(".")
    if late == 0:
        message = (
            f"give the {name} dose, {dose.dose} ({volume} mL) subcutaneously, today; the next "
            f"dose no sooner than {interval} days later."
        )
    else:
        message = (
            f"{days_words(late)} late: give the missed dose now, {dose.dose} ({volume} mL); the "
            f"next dose no sooner than {interval} days after it; there is no loading dose."
        )
    return NextDose(
        **base,
        status=DUE if late == 0 else LATE,
        action="standard",
        message=message,
        rule_text=rule.text,
        rule_source=rule.source,
        fixed_dose=dose,
        next_due_date=on + timedelta(interval),
        sources=tuple(dict.fromkeys((rule.source, dose.source))),
    )


def fixed_dose_next(
    request: NextRequest, molecule: Molecule, rule: MissedDoseRule, last: date, on: date
) -> NextDose:
    """PHESGO: a ready-to-use fixed dose; loading or maintenance by time since the last
    intravenous pertuzumab and trastuzumab dose."""
    name = molecule.abbreviation or molecule.name
    refuse_options(request, name)
    previous = None
    if request.previous is not None:
        previous = normalise(request.previous)
        if previous not in PREVIOUS_CHOICES:
            raise InputError(
                "previous",
                f"--previous '{request.previous}' must be iv (the last dose was intravenous "
                f"pertuzumab and trastuzumab) or phesgo",
            )
    assert rule.interval is not None and rule.reload_at is not None
    interval = days(rule.interval)
    threshold = days(rule.reload_at)
    since = (on - last).days
    due, base, early = fixed_dose_due(request, molecule, rule, last, on, interval)
    if early is not None:
        return early
    late = (on - due).days
    threshold_text = weeks_text(threshold)
    if late > 0 and previous is None:
        raise InputError(
            "previous",
            f"the {name} dose is {days_words(late)} late: say what the last dose was with "
            f"--previous iv (intravenous pertuzumab and trastuzumab: the label's transition rule, "
            f"loading dose after {threshold_text} or more) or --previous phesgo",
        )
    if late > 0 and previous == "phesgo":
        assert rule.own_missed_dose is not None
        return NextDose(
            **base,
            status=NOT_ENCODED_STATUS,
            action=None,
            message=f"{days_words(late)} late: {rule.own_missed_dose.text}",
            rule_text=rule.own_missed_dose.text,
            rule_source=rule.own_missed_dose.source,
            sources=(rule.own_missed_dose.source, rule.source),
        )
    status = DUE if late == 0 else LATE
    then = f"then the maintenance dose every {interval} days"
    if previous != "iv":
        dose = rule.doses["maintenance"]
        message = f"give the {name} maintenance dose today; {then}"
    elif since >= threshold:
        dose = rule.doses["loading"]
        message = (
            f"{since} days since the last intravenous pertuzumab and trastuzumab dose "
            f"({threshold_text} or more): give the {name} loading (initial) dose; {then}"
        )
    else:
        dose = rule.doses["maintenance"]
        message = (
            f"{since} days since the last intravenous pertuzumab and trastuzumab dose "
            f"(less than {threshold_text}): give the {name} maintenance dose; {then}"
        )
    return NextDose(
        **base,
        status=status,
        action=dose.name,
        message=f"{message}.",
        rule_text=rule.text if previous == "iv" else None,
        rule_source=rule.source if previous == "iv" else None,
        fixed_dose=dose,
        next_due_date=on + timedelta(interval),
        sources=tuple(dict.fromkeys((rule.source, dose.source))),
    )


def not_yet_due(due: date, interval: int) -> str:
    return (
        f"the next dose is due on {due.isoformat()} ({weekday(due)}), "
        f"{interval} days after the last dose; do not give it before then "
        f"(minimum interval {interval} days)."
    )


def fixed_dose_due(
    request: NextRequest,
    molecule: Molecule,
    rule: MissedDoseRule,
    last: date,
    on: date,
    interval: int,
) -> tuple[date, dict[str, Any], NextDose | None]:
    """A fixed dose's due date, the fields every answer for it shares, and the answer
    when it is not yet due (None when it is due or late)."""
    due = last + timedelta(interval)
    base: dict[str, Any] = {
        "request": request,
        "molecule": molecule,
        "regimen": None,
        "shape": None,
        "rule": rule,
        "last_dose": last,
        "on": on,
        "start": None,
        "due_date": due,
        "minimum_interval_days": interval,
        "reminders": molecule.reminders,
    }
    if on >= due:
        return due, base, None
    early = NextDose(
        **base,
        status=NOT_YET_DUE,
        action=None,
        message=not_yet_due(due, interval),
        sources=(rule.source,),
    )
    return due, base, early


def days_words(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def weeks_text(n: int) -> str:
    return f"{n // 7} weeks" if n % 7 == 0 else f"{n} days"
