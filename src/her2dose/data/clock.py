"""The local time zone and the current time: the only place her2dose reads the clock.

The zone has to carry its daylight-saving rules (a fixed UTC offset would put a use-by an
hour out after a clock change), so it comes from $TZ or /etc/localtime via zoneinfo.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_zone() -> tzinfo:
    return _zone(os.environ.get("TZ", ""))


@cache
def _zone(tz_variable: str) -> tzinfo:
    key = tz_variable.lstrip(":")
    if key:
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key=_localtime_key())
    except (OSError, ValueError):
        # No rules available: the current offset, without daylight-saving changes.
        return datetime.now().astimezone().tzinfo  # type: ignore[return-value]


def _localtime_key() -> str:
    """'Europe/London' when /etc/localtime links into the zone database, else 'localtime'."""
    target = os.path.realpath("/etc/localtime")
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "localtime"


def zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def now(zone: tzinfo) -> datetime:
    """The current time in `zone`, to the minute (truncated: the earlier, safer start)."""
    return datetime.now(zone).replace(second=0, microsecond=0)
