"""`schedule`: dated courses from regimens.toml (issue 5)."""

from __future__ import annotations

from datetime import date

import pytest

from her2dose.commands.plan import compute_plan
from her2dose.commands.schedule import compute_schedule, parse_date
from her2dose.errors import InputError
from her2dose.model.plan import PlanRequest
from her2dose.model.results import ScheduleRequest

START = "2026-01-05"  # a Monday


def schedule(book, drug="herceptin", **kw):
    kw.setdefault("start", START)
    return compute_schedule(book, ScheduleRequest(drug=drug, **kw))


def adjuvant(book, chemotherapy, **kw):
    return schedule(
        book,
        indication="adjuvant",
        schedule="adjuvant-weekly-then-q3w",
        chemotherapy=chemotherapy,
        **kw,
    )


def summary(cs):
    return [
        (d.number, d.week, d.schedule.name, d.phase.name, float(d.dose_rate.m_as("mg/kg")))
        for d in cs.doses
    ]


@pytest.mark.parametrize("text", ["2026-1-5", "05/01/2026", "2026-02-30", "today", "", "20260105"])
def test_parse_date_rejects_anything_but_iso(text):
    with pytest.raises(InputError) as info:
        parse_date(text, "start")
    assert info.value.field == "start" and "YYYY-MM-DD" in str(info.value)


def test_parse_date():
    assert parse_date(" 2026-01-05 ", "start") == date(2026, 1, 5)


def test_kadcyla_early_breast_is_14_cycles(book):
    cs = schedule(book, "kadcyla", indication="early-breast")
    assert len(cs.doses) == 14
    assert [d.day for d in cs.doses] == [21 * i for i in range(14)]
    assert {d.phase.name for d in cs.doses} == {"standard"}
    assert cs.doses[-1].date == date(2026, 10, 5)  # 13 x 21 = 273 days later
    assert cs.end.startswith("The course stops here: 14 cycles in total")


def test_kadcyla_more_cycles_than_the_course_stops_at_14_with_a_warning(book):
    cs = schedule(book, "kadcyla", indication="early-breast", cycles=20)
    assert len(cs.doses) == 14
    assert any("goes beyond the label course (14 cycles)" in w for w in cs.warnings)


def test_fewer_cycles_than_the_course_say_so(book):
    cs = schedule(book, "kadcyla", indication="early-breast", cycles=3)
    assert len(cs.doses) == 3 and not cs.warnings
    assert cs.end.startswith("Showing the first 3 of the 14 doses")


def test_adjuvant_q3w_stops_at_52_weeks(book):
    cs = schedule(book, indication="adjuvant", schedule="q3w")
    assert len(cs.doses) == 18  # days 0, 21, ... 357; day 378 would be beyond 52 weeks
    assert cs.doses[-1].day == 357 and cs.doses[-1].week == 52
    assert summary(cs)[0][3:] == ("loading", 8.0)
    assert {s[3:] for s in summary(cs)[1:]} == {("maintenance", 6.0)}
    assert "52 weeks in total" in cs.end and "2027-01-04" in cs.end
    assert "Extending adjuvant treatment beyond one year is not recommended." in cs.end


def test_adjuvant_weeks_beyond_one_year_are_cut_with_a_warning(book):
    cs = schedule(book, indication="adjuvant", schedule="q3w", weeks=60)
    assert len(cs.doses) == 18
    assert any("--weeks 60 goes beyond the label course (52 weeks)" in w for w in cs.warnings)


@pytest.mark.parametrize(
    ("chemotherapy", "switch_week", "doses"),
    [
        ("paclitaxel", 13, 26),
        ("docetaxel", 13, 26),
        ("docetaxel-carboplatin", 19, 30),
        ("docetaxel and carboplatin", 19, 30),
        ("Docetaxel+Carboplatin", 19, 30),
    ],
)
def test_weekly_then_q3w_switch(book, chemotherapy, switch_week, doses):
    cs = adjuvant(book, chemotherapy)
    rows = summary(cs)
    assert len(rows) == doses
    assert rows[0] == (1, 1, "weekly", "loading", 4.0)
    weekly = [r for r in rows if r[2] == "weekly"]
    assert len(weekly) == switch_week - 1  # one weekly dose in each week before the switch
    assert all(r[3:] == ("maintenance", 2.0) for r in weekly[1:])
    first_q3w = rows[switch_week - 1]
    assert first_q3w == (switch_week, switch_week, "q3w", "maintenance", 6.0)
    # one week after the last weekly dose, then every 21 days
    assert cs.doses[switch_week - 1].day - cs.doses[switch_week - 2].day == 7
    assert all(
        b.day - a.day == 21
        for a, b in zip(cs.doses[switch_week - 1 :], cs.doses[switch_week:], strict=False)
    )
    assert not any(r[3] == "loading" for r in rows[1:])  # loaded once, never again
    assert cs.doses[-1].week == 52


def test_adjuvant_has_no_weekly_course_alone(book):
    with pytest.raises(InputError) as info:
        schedule(book, indication="adjuvant", schedule="weekly")
    assert "no course of 'weekly' alone" in str(info.value)
    assert "adjuvant-weekly-then-q3w" in str(info.value)


def test_pattern_needs_a_known_chemotherapy(book):
    with pytest.raises(InputError, match="--chemotherapy is required with --schedule"):
        adjuvant(book, None)
    with pytest.raises(InputError, match="unknown chemotherapy 'cisplatin'"):
        adjuvant(book, "cisplatin")
    with pytest.raises(InputError, match="--chemotherapy applies only to"):
        schedule(book, indication="adjuvant", schedule="q3w", chemotherapy="paclitaxel")


@pytest.mark.parametrize(
    ("drug", "indication", "until"),
    [
        ("enhertu", "breast", "disease progression or unacceptable toxicity"),
        ("enhertu", "gastric", "disease progression or unacceptable toxicity"),
        ("kadcyla", "metastatic-breast", "disease progression or unmanageable toxicity"),
        ("margenza", None, "disease progression or unacceptable toxicity"),
        ("herceptin", "gastric", "disease progression"),
    ],
)
def test_open_ended_courses_need_a_length_and_say_until(book, drug, indication, until):
    with pytest.raises(InputError) as info:
        schedule(book, drug, indication=indication)
    assert info.value.field == "cycles" and f"until {until}" in str(info.value)
    cs = schedule(book, drug, indication=indication, cycles=5)
    assert len(cs.doses) == 5 and cs.end.startswith(f"Given until {until}")
    by_weeks = schedule(book, drug, indication=indication, weeks=7)
    assert [d.day for d in by_weeks.doses] == [0, 21, 42]


def test_no_course_length_encoded(book):
    with pytest.raises(InputError, match="has no course length encoded"):
        schedule(book, "enhertu", indication="nsclc")
    cs = schedule(book, "perjeta", cycles=3)
    assert "Course length not encoded" in cs.end
    assert [(d.phase.name, d.dose_rate.m_as("mg")) for d in cs.doses] == [
        ("loading", 840),
        ("maintenance", 420),
        ("maintenance", 420),
    ]


def test_bad_lengths(book):
    with pytest.raises(InputError, match="not both"):
        schedule(book, "enhertu", indication="breast", cycles=2, weeks=2)
    with pytest.raises(InputError, match="from 1 to"):
        schedule(book, "enhertu", indication="breast", cycles=0)
    with pytest.raises(InputError, match="from 1 to"):
        schedule(book, "enhertu", indication="breast", weeks=-1)


def test_phesgo_has_no_iv_schedule(book):
    with pytest.raises(InputError, match="subcutaneous"):
        schedule(book, "phesgo", cycles=3)


def test_level_sets_every_dose(book):
    cs = schedule(book, "enhertu", indication="breast", cycles=2, level="-1")
    assert {float(d.dose_rate.m_as("mg/kg")) for d in cs.doses} == {4.4}
    assert cs.level.level == -1


def test_weight_reuses_compute_plan(book):
    cs = adjuvant(book, "paclitaxel", weight="70 kg", product="ogivri", drug="trastuzumab")
    for dose in cs.doses:
        expected = compute_plan(
            book,
            PlanRequest(
                drug="trastuzumab",
                weight="70 kg",
                indication="adjuvant-breast",
                product="ogivri",
                phase=dose.phase.name,
                schedule=dose.schedule.name,
                infusion=dose.infusion,
            ),
            use_by_shown=False,  # a schedule shows no use-by times, so no note on their clock
        )
        assert dose.plan == expected
    minutes = [
        (d.number, d.plan.dose.m_as("mg"), d.plan.infusion.minutes.m_as("min"))
        for d in cs.doses[:3]
    ] + [
        (d.number, d.plan.dose.m_as("mg"), d.plan.infusion.minutes.m_as("min"))
        for d in cs.doses[11:14]
    ]
    assert minutes == [
        (1, 280, 90),
        (2, 140, 30),
        (3, 140, 30),
        (12, 140, 30),
        (13, 420, 90),
        (14, 420, 30),
    ]
    assert cs.product.id == "ogivri" and cs.weight.m_as("kg") == 70


def test_weight_needs_a_product_for_generic_trastuzumab(book):
    with pytest.raises(InputError, match="--product"):
        schedule(book, "trastuzumab", indication="gastric", cycles=2, weight="70 kg")


def test_weekday_and_week(book):
    cs = schedule(book, "kadcyla", indication="early-breast", start="2026-01-07", cycles=2)
    assert [(d.date.isoformat(), d.weekday, d.week) for d in cs.doses] == [
        ("2026-01-07", "Wednesday", 1),
        ("2026-01-28", "Wednesday", 4),
    ]
