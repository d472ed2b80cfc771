"""Use-by arithmetic: elapsed time, across midnight and across daylight-saving changes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from her2dose import units
from her2dose.core.preparation_times import after, parse_local_time, use_by_times
from her2dose.errors import InputError
from her2dose.model.storage import UseByRule

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def hours(n) -> object:
    return units.quantity(n, "h")


def local(text, zone=LONDON):
    return parse_local_time(text, "prepared_at", zone)[0]


def test_across_midnight():
    start = local("2026-06-10 22:00")
    assert after(start, hours(4)).isoformat() == "2026-06-11T02:00:00+01:00"


def test_24_hours_across_the_spring_change_in_london():
    # Clocks go forward at 01:00 GMT on 29 March 2026: 24 elapsed hours end at 11:00 BST.
    start = local("2026-03-28 10:00")
    assert after(start, hours(24)).isoformat() == "2026-03-29T11:00:00+01:00"


def test_4_hours_across_the_autumn_change_in_new_york():
    # Clocks go back at 02:00 EDT on 1 November 2026: 4 elapsed hours from 23:00 EDT end
    # at 02:00 EST (wall clock 3 h later).
    start = local("2026-10-31 23:00", NEW_YORK)
    end = after(start, hours(4))
    assert end.isoformat() == "2026-11-01T02:00:00-05:00"
    # (Python subtracts two times of the same zone by wall clock, so compare instants.)
    assert end.timestamp() - start.timestamp() == 4 * 3600


def test_28_days_is_elapsed_time_too():
    start = local("2026-03-20 10:00")
    assert after(start, units.quantity(28, "day")).isoformat() == "2026-04-17T11:00:00+01:00"


def test_a_skipped_local_time_is_refused():
    with pytest.raises(InputError, match="does not exist"):
        local("2026-03-29 01:30")


def test_a_repeated_local_time_is_read_as_the_earlier():
    start, notes = parse_local_time("2026-10-25 01:30", "prepared_at", LONDON)
    assert start.utcoffset().total_seconds() == 3600  # BST, the first 01:30
    assert "occurs twice" in notes[0]


def test_explicit_offset_is_honoured():
    start = local("2026-06-10T09:00+00:00")
    assert start.isoformat() == "2026-06-10T10:00:00+01:00"


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01 10:00", "10:00", ""])
def test_bad_times_name_the_field(bad):
    with pytest.raises(InputError) as caught:
        local(bad)
    assert caught.value.field == "prepared_at"


def test_date_only_needs_permission_and_reads_as_midnight():
    with pytest.raises(InputError, match="no time of day"):
        local("2026-06-10")
    opened, notes = parse_local_time("2026-06-10", "open_vial_date", LONDON, date_only_ok=True)
    assert opened == datetime(2026, 6, 10, 0, 0, tzinfo=LONDON)
    assert "00:00" in notes[0]


def test_use_by_times_per_rule_and_stage_filter():
    rules = (
        UseByRule("reconstituted", "refrigerated", "2 to 8 °C", hours(24), "reconstitution", "s1"),
        UseByRule(
            "diluted", "room_temperature", "room temperature", hours(4), "reconstitution", "s2"
        ),
    )
    start = local("2026-06-10 22:00")
    times = use_by_times(rules, start)
    assert [t.use_by.isoformat() for t in times] == [
        "2026-06-11T22:00:00+01:00",
        "2026-06-11T02:00:00+01:00",
    ]
    only_bag = use_by_times(rules, start, stages=("diluted",))
    assert [t.what for t in only_bag] == ["diluted bag"]


def test_local_zone_follows_tz_with_its_rules(monkeypatch):
    from her2dose.data import clock

    monkeypatch.setenv("TZ", ":America/New_York")
    zone = clock.local_zone()
    assert clock.zone_name(zone) == "America/New_York"
    summer, winter = datetime(2026, 7, 1, 12, tzinfo=zone), datetime(2026, 1, 1, 12, tzinfo=zone)
    assert summer.utcoffset() != winter.utcoffset()  # rules, not a fixed offset
