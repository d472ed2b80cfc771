"""`next`: on time, late (re-load or not), not yet due, and bad dates (issue 5)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from her2dose.commands.next import compute_next
from her2dose.commands.plan import compute_plan
from her2dose.errors import InputError
from her2dose.model.plan import PlanRequest
from her2dose.model.results import (
    COURSE_COMPLETE,
    DUE,
    LATE,
    NOT_ENCODED_STATUS,
    NOT_YET_DUE,
    NextRequest,
)

TODAY = date(2026, 11, 21)
LAST = date(2026, 1, 5)  # a Monday


def ask(book, drug, *, on_day: int | None = None, last=LAST, today=TODAY, **kw):
    """`next` with --on given as days after the last dose."""
    on = None if on_day is None else (last + timedelta(on_day)).isoformat()
    return compute_next(
        book, NextRequest(drug=drug, last_dose=last.isoformat(), on=on, **kw), today
    )


def mgkg(answer):
    return float(answer.dose_rate.m_as("mg/kg"))


@pytest.mark.parametrize(
    ("schedule", "interval", "maintenance", "loading"),
    [
        ("q3w", 21, 6.0, 8.0),
        ("weekly", 7, 2.0, 4.0),
    ],
)
def test_trastuzumab_seven_days_late_is_maintenance_eight_is_reload(
    book, schedule, interval, maintenance, loading
):
    kw = {"indication": "metastatic-breast", "schedule": schedule}
    on_time = ask(book, "herceptin", on_day=interval, **kw)
    assert (on_time.status, on_time.action, mgkg(on_time)) == (DUE, "maintenance", maintenance)
    assert on_time.days_late == 0
    assert on_time.next_due_date == LAST + timedelta(2 * interval)

    seven = ask(book, "herceptin", on_day=interval + 7, **kw)
    assert (seven.status, seven.action, mgkg(seven)) == (LATE, "maintenance", maintenance)
    assert seven.days_late == 7
    assert "re-time" in seven.message
    # re-timed from this dose
    assert seven.next_due_date == LAST + timedelta(interval + 7 + interval)

    eight = ask(book, "herceptin", on_day=interval + 8, **kw)
    assert (eight.status, eight.action, mgkg(eight)) == (LATE, "re-load", loading)
    assert eight.days_late == 8 and eight.phase.name == "loading"
    assert eight.next_due_date == LAST + timedelta(interval + 8 + interval)
    assert "re-load" in eight.message and eight.rule_source.startswith("HERZUMA US PI §2.4")


def test_reload_is_over_90_minutes_with_the_loading_plan(book):
    answer = ask(book, "ogivri", on_day=30, indication="gastric", weight="70 kg")
    assert answer.action == "re-load"
    expected = compute_plan(
        book,
        PlanRequest(
            drug="ogivri", weight="70 kg", indication="gastric", phase="loading", schedule="q3w"
        ),
        use_by_shown=False,  # `next` shows no use-by times, so no note on their clock
    )
    assert answer.plan == expected
    assert answer.plan.dose.m_as("mg") == 560
    assert answer.plan.infusion.minutes.m_as("min") == 90


def test_not_yet_due_gives_the_earliest_date_and_interval(book):
    answer = ask(book, "kadcyla", on_day=15, indication="early-breast")
    assert answer.status == NOT_YET_DUE and not answer.gives_dose
    assert answer.due_date == date(2026, 1, 26)
    assert answer.days_until_due == 6 and answer.minimum_interval_days == 21
    assert "2026-01-26" in answer.message and "minimum interval 21 days" in answer.message
    assert answer.phase is None and answer.plan is None
    same_day = ask(book, "kadcyla", on_day=0, indication="early-breast")
    assert same_day.status == NOT_YET_DUE


@pytest.mark.parametrize(
    ("drug", "indication", "dose", "rate"),
    [
        ("enhertu", "breast", 5.4, True),
        ("kadcyla", "metastatic-breast", 3.6, True),
        ("margenza", None, 15.0, False),
    ],
)
def test_as_soon_as_possible_keeps_three_weeks_and_never_reloads(
    book, drug, indication, dose, rate
):
    for late in (1, 8, 30):
        answer = ask(book, drug, on_day=21 + late, indication=indication)
        assert (answer.status, answer.action, mgkg(answer)) == (LATE, "standard", dose)
        assert answer.days_late == late
        assert answer.next_due_date == LAST + timedelta(21 + late + 21)
        assert "there is no re-loading dose" in answer.message
        assert ("dose and rate tolerated" in answer.message) is rate


def test_as_soon_as_possible_keeps_the_level(book):
    answer = ask(book, "enhertu", on_day=25, indication="breast", level="-2", weight="60 kg")
    assert mgkg(answer) == 3.2 and answer.level.level == -2
    assert answer.plan.dose.m_as("mg") == 192


def test_perjeta_late_says_check_the_label(book):
    on_time = ask(book, "perjeta", on_day=21)
    assert (on_time.status, on_time.action) == (DUE, "maintenance")
    assert on_time.dose_rate.m_as("mg") == 420
    late = ask(book, "perjeta", on_day=22)
    assert late.status == NOT_ENCODED_STATUS and not late.gives_dose
    assert "check the current PERJETA prescribing information" in late.message
    assert late.plan is None and late.phase is None


@pytest.mark.parametrize(
    ("days", "phase", "ml", "minutes"),
    [
        (21, "maintenance", 10, 5),
        (41, "maintenance", 10, 5),
        (42, "loading", 15, 8),
        (60, "loading", 15, 8),
    ],
)
def test_phesgo_six_week_transition(book, days, phase, ml, minutes):
    answer = ask(book, "phesgo", on_day=days, previous="iv")
    assert answer.gives_dose and answer.action == phase
    assert answer.fixed_dose.volume.m_as("mL") == ml
    assert answer.fixed_dose.injection_time.m_as("min") == minutes
    assert answer.next_due_date == LAST + timedelta(days + 21)
    assert answer.rule_source.startswith("PHESGO US PI §2.3")


def test_phesgo_not_yet_due_and_on_time_need_no_previous(book):
    assert ask(book, "phesgo", on_day=20).status == NOT_YET_DUE
    on_time = ask(book, "phesgo", on_day=21)
    assert (on_time.status, on_time.action) == (DUE, "maintenance")
    assert on_time.fixed_dose.dose.startswith("600 mg pertuzumab / 600 mg trastuzumab")


def test_phesgo_late_needs_previous_and_own_rule_is_not_encoded(book):
    with pytest.raises(InputError) as info:
        ask(book, "phesgo", on_day=25)
    assert info.value.field == "previous"
    own = ask(book, "phesgo", on_day=50, previous="phesgo")
    assert own.status == NOT_ENCODED_STATUS and "check the current PHESGO" in own.message
    with pytest.raises(InputError, match="must be iv"):
        ask(book, "phesgo", on_day=25, previous="sc")


@pytest.mark.parametrize("option", ["weight", "level", "schedule", "start"])
def test_phesgo_refuses_iv_options(book, option):
    with pytest.raises(InputError, match=f"leave out --{option}"):
        ask(book, "phesgo", on_day=21, **{option: "70 kg" if option == "weight" else "x"})


def test_previous_is_phesgo_only(book):
    with pytest.raises(InputError, match="only to PHESGO"):
        ask(book, "kadcyla", on_day=21, indication="ebc", previous="iv")


def test_bad_dates(book):
    with pytest.raises(InputError) as info:
        compute_next(
            book, NextRequest(drug="kadcyla", last_dose="2026-13-01", indication="ebc"), TODAY
        )
    assert info.value.field == "last-dose"
    with pytest.raises(InputError) as info:
        compute_next(
            book,
            NextRequest(drug="kadcyla", last_dose="2026-01-05", on="tomorrow", indication="ebc"),
            TODAY,
        )
    assert info.value.field == "on"
    with pytest.raises(InputError) as info:
        ask(book, "kadcyla", on_day=-1, indication="ebc")
    assert info.value.field == "on" and "before the last dose" in str(info.value)
    with pytest.raises(InputError) as info:
        ask(book, "kadcyla", last=TODAY + timedelta(1), indication="ebc")
    assert info.value.field == "last-dose" and "in the future" in str(info.value)


def test_on_defaults_to_today(book):
    answer = ask(book, "kadcyla", last=TODAY - timedelta(21), indication="ebc")
    assert answer.on == TODAY and answer.status == DUE
    # a last dose given today is allowed, and not yet due
    assert ask(book, "kadcyla", last=TODAY, indication="ebc").status == NOT_YET_DUE


def test_weekly_then_q3w_next(book):
    kw = {
        "indication": "adjuvant",
        "schedule": "adjuvant-weekly-then-q3w",
        "chemotherapy": "paclitaxel",
        "start": "2026-01-05",
    }
    last_weekly = date(2026, 3, 23)  # week 12
    switch = ask(book, "herceptin", last=last_weekly, on_day=7, **kw)
    assert (switch.status, switch.action, mgkg(switch)) == (DUE, "maintenance", 6.0)
    assert switch.schedule.name == "q3w" and switch.minimum_interval_days == 7
    assert switch.next_due_date == date(2026, 4, 20)
    weekly = ask(book, "herceptin", last=date(2026, 3, 16), on_day=7, **kw)
    assert (weekly.schedule.name, mgkg(weekly)) == ("weekly", 2.0)
    late_switch = ask(book, "herceptin", last=last_weekly, on_day=15, **kw)
    assert (late_switch.action, mgkg(late_switch)) == ("re-load", 8.0)  # the q3w loading dose
    with pytest.raises(InputError, match="needs --start"):
        ask(book, "herceptin", on_day=7, **{**kw, "start": None})
    with pytest.raises(InputError, match="after the last dose"):
        ask(book, "herceptin", on_day=7, **{**kw, "start": "2026-02-01"})


def test_adjuvant_course_complete_after_52_weeks(book):
    kw = {"indication": "adjuvant", "schedule": "q3w", "start": "2025-01-06"}
    last = date(2025, 12, 29)  # day 357, the 18th dose
    done = ask(book, "herceptin", last=last, on_day=21, **kw)
    assert done.status == COURSE_COMPLETE and not done.gives_dose
    assert "52 weeks" in done.message and "beyond one year is not recommended" in done.message
    # the last dose of the course: no next due date
    final = ask(book, "herceptin", last=date(2025, 12, 8), on_day=21, **kw)
    assert final.status == DUE and final.next_due_date is None
    assert any("the course ends on 2026-01-05" in n for n in final.notes)


def test_weekly_schedule_in_adjuvant_is_accepted_with_a_note(book):
    answer = ask(book, "herceptin", on_day=7, indication="adjuvant", schedule="weekly")
    assert answer.action == "maintenance"
    assert any("adjuvant-weekly-then-q3w" in n for n in answer.notes)


def test_a_last_dose_after_the_weekly_period_is_taken_as_q3w_and_says_so(book):
    kw = {
        "indication": "adjuvant",
        "schedule": "adjuvant-weekly-then-q3w",
        "chemotherapy": "paclitaxel",
        "start": "2026-01-05",
    }
    answer = ask(book, "herceptin", last=date(2026, 3, 31), on_day=21, **kw)  # week 13
    assert answer.due_date == date(2026, 4, 21) and answer.schedule.name == "q3w"
    assert any(
        "if it was instead the last weekly dose given late, the q3w doses start on 2026-04-07" in n
        for n in answer.notes
    )
    inside = ask(book, "herceptin", last=date(2026, 3, 23), on_day=7, **kw)  # week 12
    assert not any("taken as" in n for n in inside.notes)


def test_regimens_listing_still_works_with_perjeta_and_phesgo(cli):
    table = cli("regimens")
    assert table.exit_code == 0 and "perjeta" in table.stdout
    data = json.loads(cli("regimens", "--format", "json").stdout)
    phesgo = [d for d in data["drugs"] if d["drug"] == "pertuzumab-trastuzumab-hyaluronidase"]
    assert phesgo and phesgo[0]["products"] == [] and phesgo[0]["regimens"] == []
