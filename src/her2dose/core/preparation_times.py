"""Use-by times for reconstituted vials, diluted bags and opened multiple-dose vials.

Hold times are elapsed time ("24 hours"), so they are added on the UTC time line and shown
in the local zone: 24 h from 10:00 on the day clocks go forward ends at 11:00 local time.
A local time that does not exist (skipped by a clock change) is refused; one that occurs
twice is read as the earlier, which gives the earlier (safer) use-by. Pure: no I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from her2dose import units
from her2dose.errors import InputError
from her2dose.model import Quantity
from her2dose.model.storage import STAGE_WORDS, STAGES, StorageFacts, UseBy, UseByRule

_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def storage_for(
    storage: dict[str, StorageFacts], product_id: str, molecule_id: str
) -> StorageFacts | None:
    """The product's facts, each field falling back to the molecule's."""
    own, shared = storage.get(product_id), storage.get(molecule_id)
    if own is None or shared is None:
        return own or shared
    return StorageFacts(
        id=own.id,
        use_by=own.use_by or shared.use_by,
        not_encoded=own.not_encoded or shared.not_encoded,
        without_benzyl_alcohol=own.without_benzyl_alcohol,
    )


def parse_local_time(
    text: str, field: str, zone: tzinfo, *, date_only_ok: bool = False
) -> tuple[datetime, list[str]]:
    """'YYYY-MM-DD HH:MM' in `zone` -> an aware datetime, and notes on how it was read.

    An explicit offset ('2026-03-29T10:00+01:00') is honoured and shown in `zone`.
    """
    raw = str(text).strip()
    example = "'2026-03-29 14:30'"
    if not raw:
        raise InputError(field, f"{field} is empty; use a local date and time such as {example}")
    notes = []
    date_only = bool(_DATE_ONLY.match(raw))
    if date_only and not date_only_ok:
        raise InputError(field, f"{field} '{raw}' has no time of day; use e.g. {example}")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            field, f"{field} '{raw}' is not a date and time; use YYYY-MM-DD HH:MM, e.g. {example}"
        ) from None
    if date_only:
        notes.append(
            f"{field} '{raw}' has no time: read as 00:00 that day, the earliest it "
            "could have been, so its use-by is never later than the label allows"
        )
    if parsed.tzinfo is not None:
        return parsed.astimezone(zone), notes
    local = parsed.replace(tzinfo=zone, fold=0)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != parsed:
        raise InputError(
            field,
            f"{field} '{raw}' does not exist in the local time zone (the clocks skip it); "
            "check the time",
        )
    if local.replace(fold=1).utcoffset() != local.utcoffset():
        notes.append(
            f"{field} '{raw}' occurs twice (the clocks go back): read as the earlier "
            "one, so use-by times are never later than the label allows"
        )
    return local, notes


def after(start: datetime, hold: Quantity) -> datetime:
    """`start` plus an elapsed time, in the zone of `start` (DST-safe)."""
    elapsed = timedelta(seconds=float(units.magnitude(hold, "s")))
    return (start.astimezone(UTC) + elapsed).astimezone(start.tzinfo)


def use_by_times(
    rules: tuple[UseByRule, ...], prepared_at: datetime, *, stages: tuple[str, ...] = STAGES
) -> tuple[UseBy, ...]:
    """Use-by times for each rule, counting every clock from `prepared_at`.

    `prepared_at` is taken as the time of reconstitution and of dilution alike: a bag
    diluted later than that has a later true use-by, never an earlier one.
    """
    return tuple(
        UseBy(
            what=STAGE_WORDS[rule.stage],
            storage=rule.storage,
            condition=rule.condition,
            hold=rule.hold,
            counted_from=rule.counted_from,
            starts=prepared_at,
            use_by=after(prepared_at, rule.hold),
            source=rule.source,
            evidence=rule.evidence,
        )
        for rule in rules
        if rule.stage in stages
    )
