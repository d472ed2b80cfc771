"""Every mg of every command comes from the one plan computation, under every policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from her2dose import units
from her2dose.commands.adjust import compute_adjustment
from her2dose.commands.check import compute_check
from her2dose.commands.levels import compute_levels
from her2dose.commands.next import compute_next
from her2dose.commands.plan import compute_plan
from her2dose.commands.schedule import compute_schedule
from her2dose.model.plan import PlanRequest
from her2dose.model.records import replace
from her2dose.model.results import (
    AMBIGUOUS,
    MATCH,
    AdjustRequest,
    CheckRequest,
    LevelsRequest,
    NextRequest,
    ScheduleRequest,
)


@pytest.fixture
def rounding_book(book):
    """The shipped book with [policy] round_increment_mg = 10."""
    return replace(book, policy=replace(book.policy, round_increment_mg=Decimal(10)))


def mg(q):
    return units.magnitude(q, "mg")


def test_adjust_gives_the_plan_mg_under_increment_rounding(rounding_book):
    # 73 kg x 5.4 mg/kg = 394.2 mg, planned as 390 mg with a 10 mg increment
    planned = compute_plan(
        rounding_book, PlanRequest(drug="enhertu", weight="73 kg", indication="breast")
    )
    assert mg(planned.dose) == 390
    adj = compute_adjustment(
        rounding_book,
        AdjustRequest(
            drug="enhertu",
            event="neutropenia",
            indication="breast",
            level="0",
            grade="3",
            resolved_days=5,
            weight="73 kg",
        ),
    )
    assert mg(adj.level_dose) == 390  # 394.2 before: its own arithmetic, not the plan's
    for outcome in adj.outcomes:
        if outcome.level is not None:
            at_level = compute_plan(
                rounding_book,
                PlanRequest(
                    drug="enhertu", weight="73 kg", indication="breast", level=outcome.level.level
                ),
            )
            assert outcome.dose == at_level.dose


@pytest.mark.parametrize("level", [0, -1, -2])
def test_levels_schedule_next_agree_with_plan(rounding_book, level):
    planned = compute_plan(
        rounding_book,
        PlanRequest(drug="enhertu", weight="73 kg", indication="breast", level=level),
    )
    table = compute_levels(
        rounding_book, LevelsRequest(drug="enhertu", indication="breast", weight="73 kg")
    )
    row = next(r for r in table.rows if r.level.level == level)
    assert row.plan.dose == planned.dose
    course = compute_schedule(
        rounding_book,
        ScheduleRequest(
            drug="enhertu",
            start="2026-01-05",
            indication="breast",
            weight="73 kg",
            level=level,
            cycles=3,
        ),
    )
    assert {d.plan.dose for d in course.doses} == {planned.dose}
    due = compute_next(
        rounding_book,
        NextRequest(
            drug="enhertu",
            last_dose="2026-01-05",
            on="2026-01-26",
            indication="breast",
            weight="73 kg",
            level=level,
        ),
        today=date(2026, 1, 26),
    )
    assert due.plan.dose == planned.dose


def test_every_command_agrees_with_plan_under_every_policy_hypothesis(book):
    @settings(max_examples=25)
    @given(
        weight=st.decimals(min_value=40, max_value=150, places=1),
        increment=st.sampled_from([0, 5, 10, 25]),
        vial_pct=st.sampled_from([0, 5, 10]),
    )
    # KADCYLA 45.9 kg, 25 mg steps: levels 0 and -1 both plan 150 mg
    @example(weight=Decimal("45.9"), increment=25, vial_pct=0)
    def run(weight, increment, vial_pct):
        agree(book, weight, increment, vial_pct)

    run()


def agree(book, weight, increment, vial_pct):
    policy_book = replace(
        book,
        policy=replace(
            book.policy,
            round_increment_mg=Decimal(increment),
            round_to_vial_pct=Decimal(vial_pct),
        ),
    )
    w = f"{weight} kg"
    table = compute_levels(policy_book, LevelsRequest(drug="kadcyla", indication="mbc", weight=w))
    for row in table.rows:
        level = row.level.level
        planned = compute_plan(
            policy_book, PlanRequest(drug="kadcyla", weight=w, indication="mbc", level=level)
        )
        assert row.plan.dose == planned.dose
        adj = compute_adjustment(
            policy_book,
            AdjustRequest(
                drug="kadcyla", event="ast", indication="mbc", level=level, grade="2", weight=w
            ),
        )
        assert adj.level_dose == planned.dose
        shown = units.magnitude(planned.dose, "mg").normalize()
        checked = compute_check(
            policy_book,
            CheckRequest(drug="kadcyla", weight=w, dose=f"{shown:f} mg", indication="mbc"),
        )
        others = [r for r in table.rows if r is not row and r.plan.dose == planned.dose]
        if others:  # the policy rounds two levels to one dose: the dose cannot say which
            assert checked.verdict == AMBIGUOUS, (level, shown, checked.notes)
        else:
            assert checked.verdict == MATCH, (level, shown, checked.notes)
            assert checked.nearest.level.level == level
