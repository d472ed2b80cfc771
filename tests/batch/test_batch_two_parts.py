"""A batch's check and next are made in two parts (one per combination, cached; one per
patient), by the functions the single commands use: rows that share a combination give
what the single command gives each of them, errors included and in the same order."""

from __future__ import annotations

import datetime
import json

import pytest
from conftest import SHIPPED

from her2dose import render
from her2dose.commands.check import Checker, compute_check
from her2dose.commands.next import NextPlanner, compute_next
from her2dose.data import loader as regimens
from her2dose.errors import Her2DoseError
from her2dose.model.records import replace
from her2dose.model.results import CheckRequest, NextRequest

BOOK = regimens.load(SHIPPED)
ROUNDING = replace(
    BOOK, policy=replace(BOOK.policy, round_to_vial_pct=BOOK.policy.rounding_max_pct)
)
TODAY = datetime.date(2026, 6, 1)


def _answer(compute):
    """The answer's object, or (the field named, the message) of its error."""
    try:
        return compute()
    except Her2DoseError as error:
        return (getattr(error, "field", None), str(error))


# One combination (ENHERTU for breast), then others, then the first again: the cached
# setup is used again, and a row's error never reaches the next row.
CHECK_ROWS = [
    {"weight": "72 kg", "dose": "388.8 mg"},
    {"weight": "abc", "dose": "388.8 mg", "tolerance": "x"},  # the weight's error first
    {"weight": "72 kg", "dose": "", "tolerance": "x"},  # then the dose's
    {"weight": "72 kg", "dose": "389 mg", "tolerance": "x"},  # then the tolerance's
    {"weight": "72 kg", "dose": "5.4 mg/kg", "tolerance": "10%"},
    {"weight": "158 lb", "dose": "0.3168 g"},
    {"weight": "49", "dose": "600 mg", "level": "-1"},
    {"drug": "kadcyla", "indication": "metastatic-breast", "weight": "72 kg", "dose": "400 mg"},
    {"drug": "enhertoo", "weight": "72 kg", "dose": "389 mg"},
    {"drug": "ogivri", "indication": "gastric", "weight": "70 kg", "dose": "420 mg"},
    {"drug": "ogivri", "indication": "gastric", "phase": "maintenance", "weight": "70 kg"},
    {"weight": "72 kg", "dose": "316.8 mg"},
]


@pytest.mark.parametrize("book", [BOOK, ROUNDING], ids=["shipped", "vial-rounding"])
def test_checker_rows_are_compute_check_row_by_row(book):
    checker = Checker(book)
    answers = []
    for row in CHECK_ROWS:
        request = CheckRequest(
            **{"drug": "enhertu", "indication": "breast", "dose": None, **row}  # type: ignore[arg-type]
        )
        single = _answer(lambda r=request: render.dose_check_dict(compute_check(book, r)))
        batch = _answer(lambda r=request: render.dose_check_dict(checker.check(r)[1]))
        assert batch == single
        answers.append(single)
    errors = [a for a in answers if isinstance(a, tuple)]
    assert [field for field, _ in errors] == [
        "weight",
        "dose",
        "tolerance",
        "drug",
        "phase",
        "dose",
    ]
    assert any(isinstance(a, dict) and a["verdict"] == "match" for a in answers)


def test_rows_of_one_combination_share_one_setup():
    checker = Checker(BOOK)
    request = CheckRequest(drug="enhertu", weight="72 kg", dose="388.8 mg", indication="breast")
    first, _ = checker.check(request)
    again, result = checker.check(replace(request, weight="80 kg", dose="432 mg"))
    assert again is first and result.verdict == "match"


# One ENHERTU combination on several days (due, late, not yet due), PHESGO (a fixed dose),
# a trastuzumab pattern with its start, and errors in the dates and the choices.
NEXT_ROWS = [
    {"last_dose": "2026-05-01", "on": "2026-05-22"},
    {"last_dose": "2026-05-01", "on": "2026-05-30"},
    {"last_dose": "2026-05-20", "on": "2026-05-25"},
    {"last_dose": "2026-07-01", "on": "2026-07-05"},  # in the future
    {"last_dose": "2026-05-01", "on": "2026-04-30"},  # before the last dose
    {"last_dose": "2026-13-01"},
    {"last_dose": "2026-05-01", "on": "2026-05-22", "weight": "158 lb", "previous": "iv"},
    {
        "drug": "phesgo",
        "indication": None,
        "weight": None,
        "last_dose": "2026-04-01",
        "on": "2026-05-20",
        "previous": "iv",
    },
    {
        "drug": "phesgo",
        "indication": None,
        "weight": None,
        "last_dose": "2026-04-01",
        "on": "2026-05-20",
    },
    {
        "drug": "herceptin",
        "indication": "adjuvant",
        "schedule": "adjuvant-weekly-then-q3w",
        "chemotherapy": "paclitaxel",
        "start": "2026-01-05",
        "last_dose": "2026-03-23",
        "on": "2026-04-07",
    },
    {
        "drug": "herceptin",
        "indication": "adjuvant",
        "schedule": "q3w",
        "start": "2025-06-02",
        "last_dose": "2026-05-11",
        "on": "2026-06-01",
        "weight": None,
    },
    {"last_dose": "2026-05-01", "on": "2026-06-20"},
]


@pytest.mark.parametrize("book", [BOOK, ROUNDING], ids=["shipped", "vial-rounding"])
def test_next_planner_rows_are_compute_next_row_by_row(book):
    planner = NextPlanner(book, TODAY)
    statuses = []
    for row in NEXT_ROWS:
        request = NextRequest(
            **{"drug": "enhertu", "indication": "breast", "weight": "72 kg", **row}  # type: ignore[arg-type]
        )
        single = _answer(lambda r=request: render.next_dict(compute_next(book, r, TODAY)))
        batch = _answer(lambda r=request: render.next_dict(planner.next(r)[1]))
        if isinstance(single, dict):  # the plan's "from now" differs by the clock
            single["notes"] = [n.split(", ")[0] for n in single["notes"]]
            batch["notes"] = [n.split(", ")[0] for n in batch["notes"]]
        assert batch == single
        statuses.append(single["status"] if isinstance(single, dict) else single[0])
    assert {"due", "late", "not-yet-due", "course-complete"} <= set(statuses)
    assert {"last-dose", "on", "previous"} <= set(statuses)


# Rows that share a combination and its dates share one NextDated; what differs between
# them (the weight, the infusion, a weight or none, other dates) still gives each row its
# own answer, compute_next's.
SAME_DATES = {"last_dose": "2026-05-01", "on": "2026-05-22"}
SHARED_ROWS = [
    {"weight": "72 kg"},
    {"weight": "158 lb", "infusion": "subsequent"},
    {"weight": None},
    {"weight": "49"},
    {"weight": "abc"},  # the plan's error, for this row only
    {"weight": "72 kg", "on": "2026-05-30"},  # late: other dates, another answer
    {"weight": "72 kg", "last_dose": "2026-05-20", "on": "2026-05-25"},  # not yet due
    {"weight": "72 kg"},
]


@pytest.mark.parametrize("book", [BOOK, ROUNDING], ids=["shipped", "vial-rounding"])
def test_rows_on_the_same_dates_share_the_dated_answer_not_the_patient(book):
    planner = NextPlanner(book, TODAY)
    answers, dated = [], []
    for row in SHARED_ROWS:
        request = NextRequest(
            **{"drug": "enhertu", "indication": "breast", **SAME_DATES, **row}  # type: ignore[arg-type]
        )
        single = _answer(lambda r=request: render.next_dict(compute_next(book, r, TODAY)))
        try:
            _, shared, answer = planner.dated_next(request)
        except Her2DoseError as error:
            assert single == (getattr(error, "field", None), str(error))
            continue
        batch = render.next_dict(answer)
        single["notes"] = [n.split(", ")[0] for n in single["notes"]]  # "from now" differs
        batch["notes"] = [n.split(", ")[0] for n in batch["notes"]]
        assert batch == single
        answers.append(single)
        dated.append(shared)
    first, pounds, no_weight, bare, later, early, again = answers
    assert dated[1] is dated[0] is dated[3] is dated[6]  # the same combination and dates
    assert dated[2] is not dated[0]  # no weight: no plan to make
    assert dated[4] is not dated[0] and dated[5] is not dated[0]  # other dates
    assert first["dose_mg"] == again["dose_mg"]
    assert pounds["weight_kg"] != first["weight_kg"] and pounds["infusion"] == "subsequent"
    assert bare["weight_kg"] == 49 and first["infusion"] == "first"
    if book is BOOK:  # unrounded: each weight its own dose
        assert [first["dose_mg"], bare["dose_mg"]] == [388.8, 264.6]
        assert pounds["dose_mg"] not in (first["dose_mg"], bare["dose_mg"], None)
    assert no_weight["dose_mg"] is None and no_weight["weight_input"] is None
    assert [a["status"] for a in (first, later, early)] == ["due", "late", "not-yet-due"]
    assert later["days_late"] == 8 and later["due_date"] == first["due_date"]
    assert len({a["message"] for a in (first, later, early)}) == 3


# The same choices written another way share one setup, and so their answers on the same
# dates: each still says what compute_next says for its own request.
SPELLINGS = [
    {"drug": "enhertu", "indication": "breast"},
    {"drug": "ENHERTU", "indication": "Breast"},
    {"drug": "t-dxd", "indication": "breast", "level": "0"},
    {"drug": "enhertu", "indication": "breast", "level": "-1"},  # other choices
    {"drug": "trastuzumab", "product": "ogivri", "indication": "gastric"},
    {"drug": "ogivri", "indication": "gastric"},
]


def test_spellings_of_one_combination_share_a_setup():
    planner = NextPlanner(BOOK, TODAY)
    setups, dated = [], []
    for row in SPELLINGS:
        request = NextRequest(**{**SAME_DATES, "weight": "72 kg", **row})  # type: ignore[arg-type]
        setup, shared, answer = planner.dated_next(request)
        single = render.next_dict(compute_next(BOOK, request, TODAY))
        batch = render.next_dict(answer)
        single["notes"] = [n.split(", ")[0] for n in single["notes"]]
        batch["notes"] = [n.split(", ")[0] for n in batch["notes"]]
        assert batch == single
        setups.append(setup)
        dated.append(shared)
    assert setups[0] is setups[1] is setups[2] and dated[0] is dated[1] is dated[2]
    assert setups[3] is not setups[0]
    assert setups[4] is setups[5] and setups[4] is not setups[0]


def _every_combination_csv() -> str:
    """A next row for each drug, indication, schedule and level of the shipped book, due
    today, 8 days late and 30 days late, with a weight and without."""
    lines = ["id,drug,weight,indication,schedule,level,last_dose,on,infusion"]
    for regimen in BOOK.regimens.values():
        for product in BOOK.products_of(regimen.molecule_id):
            for schedule in regimen.schedules:
                for level in ["", *(str(lv.level) for lv in regimen.levels)]:
                    for on, weight, infusion in [
                        ("2026-05-22", "72 kg", ""),
                        ("2026-05-30", "158 lb", "subsequent"),
                        ("2026-05-31", "", ""),
                        ("2026-06-20", "49", "first"),
                    ]:
                        lines.append(
                            f"{len(lines)},{product.id},{weight},{regimen.indication},"
                            f"{schedule},{level},2026-05-01,{on},{infusion}"
                        )
    return "\n".join(lines) + "\n"


def test_a_batch_makes_only_the_columns_it_writes_and_makes_them_alike(cli):
    """Lean columns are made without the plan's vials and infusion: each is what the full
    row (and so `her2dose next`) says; a list of columns gets each of its own."""
    text = _every_combination_csv()
    base = ("batch", "-", "--command", "next", "--format", "jsonl", "--regimens", str(SHIPPED))
    full = [
        json.loads(line) for line in cli(*base, "--columns", "full", input=text).stdout.splitlines()
    ]
    lean = [json.loads(line) for line in cli(*base, input=text).stdout.splitlines()]
    some = cli(*base, "--columns", "weight_kg,vials,dose_mg,sources", input=text).stdout
    assert len(full) == len(lean) == len(text.splitlines()) - 1
    for whole, part in zip(full, lean, strict=True):
        assert part == {key: whole[key] for key in part}
    for whole, line in zip(full, map(json.loads, some.splitlines()), strict=True):
        assert line == {key: whole[key] for key in line}
    ok = [line for line in lean if line["status"] == "ok"]
    assert len(ok) > len(lean) / 2 and any(line["dose_mg"] for line in ok)
    # a product whose concentration is not encoded: the plan's warning without its vials
    assert any("concentration of HERZUMA" in " ".join(line["warnings"]) for line in ok)


def test_a_check_batch_makes_only_the_columns_it_writes_and_makes_them_alike(cli):
    """Lean check columns are made without every comparison's figures and the message;
    each is what the full row (and so `her2dose check`) says."""
    text = (
        "id,drug,weight,indication,level,phase,schedule,ordered_dose\n"
        "1,enhertu,72 kg,breast,,,,389 mg\n"
        "2,enhertu,72 kg,breast,,,,316.8 mg\n"
        "3,enhertu,72 kg,breast,,,,5.4 mg/kg\n"
        "4,enhertu,72 kg,gastric,,,,6.6 mg/kg\n"
        "5,kadcyla,72 kg,metastatic-breast,,,,260 mg\n"
        "6,kadcyla,45.9 kg,metastatic-breast,-1,,,137.7 mg\n"
        "7,trastuzumab,72 kg,metastatic-breast,,maintenance,q3w,432 mg\n"
        "8,trastuzumab,72 kg,metastatic-breast,,loading,weekly,250 mg\n"
        "9,margenza,80 kg,,,,,1200 mg\n"
        "10,enhertu,72 kg,breast,,,,banana\n"
    )
    base = ("batch", "-", "--command", "check", "--format", "jsonl", "--regimens", str(SHIPPED))
    full = [
        json.loads(line) for line in cli(*base, "--columns", "full", input=text).stdout.splitlines()
    ]
    lean = [json.loads(line) for line in cli(*base, input=text).stdout.splitlines()]
    some = cli(*base, "--columns", "message,difference_pct,comparisons", input=text).stdout
    assert len(full) == len(lean) == 10
    for whole, part in zip(full, lean, strict=True):
        assert part == {key: whole[key] for key in part}
    for whole, line in zip(full, map(json.loads, some.splitlines()), strict=True):
        assert line == {key: whole[key] for key in line}
    verdicts = [line.get("verdict") for line in lean]
    assert "match" in verdicts and "above-label" in " ".join(map(str, verdicts))
    assert lean[0]["difference_mg"] == 0.2 and lean[-1]["status"] == "error"
