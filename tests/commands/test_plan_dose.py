"""`plan --dose`: an order written in mg or mg/kg, planned exactly, with check's verdict."""

from __future__ import annotations

from decimal import Decimal

import pytest

from her2dose import render, units
from her2dose.commands.check import compute_check
from her2dose.commands.plan import compute_plan
from her2dose.errors import InputError
from her2dose.model.plan import PlanRequest
from her2dose.model.records import replace
from her2dose.model.results import ABOVE_LABEL_DOSE, MATCH, NO_MATCH, CheckRequest

PREPARED = "2026-03-02 09:00"


@pytest.fixture
def whole_mg(book):
    return replace(book, policy=replace(book.policy, order_precision_mg=Decimal(1)))


def plan(book, **kw):
    kw.setdefault("prepared_at", PREPARED)
    return compute_plan(book, PlanRequest(**kw))


def comparable(p):
    """The plan's JSON without the lines that say how it was asked for."""
    d = render.plan_dict(p)
    return {k: v for k, v in d.items() if k not in ("notes", "warnings", "request")}


def test_an_order_in_mg_per_kg_equals_the_plan_at_that_level(book):
    for rate, level in (("5.4 mg/kg", 0), ("4.4 mg/kg", -1), ("3.2 mg/kg", -2)):
        ordered = plan(book, drug="enhertu", weight="72 kg", indication="breast", dose=rate)
        at_level = plan(book, drug="enhertu", weight="72 kg", indication="breast", level=level)
        assert ordered.order.verdict == MATCH and ordered.order.level.level == level
        assert comparable(ordered) == comparable(at_level)
        assert ordered.dose == at_level.dose


def test_an_order_in_mg_is_planned_exactly_and_matches_its_level(whole_mg):
    ordered = plan(whole_mg, drug="enhertu", weight="72 kg", indication="breast", dose="389 mg")
    at_level = plan(whole_mg, drug="enhertu", weight="72 kg", indication="breast", level=0)
    assert units.magnitude(ordered.dose, "mg") == 389  # not 388.8
    assert ordered.order.verdict == MATCH and ordered.level.level == 0
    assert ordered.vials.counts == at_level.vials.counts
    assert ordered.infusion.minutes == at_level.infusion.minutes
    assert any("ordered dose 389 mg: matches level 0" in n for n in ordered.notes)
    checked = compute_check(
        whole_mg, CheckRequest(drug="enhertu", weight="72 kg", dose="389 mg", indication="breast")
    )
    assert checked.verdict == ordered.order.verdict


@pytest.mark.parametrize(
    ("dose", "verdict"),
    [("6 mg/kg", ABOVE_LABEL_DOSE), ("350 mg", NO_MATCH), ("320 mg", MATCH)],
)
def test_the_plan_gives_checks_verdict(whole_mg, dose, verdict):
    p = plan(whole_mg, drug="enhertu", weight="72 kg", indication="breast", dose=dose)
    c = compute_check(
        whole_mg, CheckRequest(drug="enhertu", weight="72 kg", dose=dose, indication="breast")
    )
    assert p.order.verdict == c.verdict == verdict
    said = p.notes if verdict == MATCH else p.warnings
    assert any(s.startswith(f"ordered dose {dose}: ") for s in said)


def test_an_order_above_the_starting_dose_says_by_how_much_to_one_decimal(book):
    # gastric, 72 kg: 6.6 mg/kg = 475.2 mg, 14.4 mg above 6.4 mg/kg = 460.8 mg: +3.125%
    p = plan(book, drug="enhertu", weight="72 kg", indication="gastric", dose="6.6 mg/kg")
    assert p.order.verdict == ABOVE_LABEL_DOSE
    assert p.order.message.startswith(
        "ordered dose 6.6 mg/kg: ABOVE THE LABEL: 475.2 mg is 14.4 mg (+3.1%) above the "
        "starting dose, 6.4 mg/kg = 460.8 mg (ENHERTU US PI"
    )
    assert p.order.message in p.warnings


def test_above_the_label_maximum_is_refused_with_the_figure(book):
    with pytest.raises(InputError) as info:
        plan(book, drug="kadcyla", weight="72 kg", indication="mbc", dose="270 mg")
    assert "above the label's maximum, 3.6 mg/kg = 259.2 mg" in str(info.value)
    assert info.value.field == "dose"


def test_no_rounding_policy_changes_an_order(book):
    rounding = replace(book, policy=replace(book.policy, round_to_vial_pct=Decimal(10)))
    p = plan(rounding, drug="enhertu", weight="72 kg", indication="breast", dose="5.4 mg/kg")
    assert units.magnitude(p.dose, "mg") == Decimal("388.8") and p.rounding is None
    assert any("planned as written" in n for n in p.notes)


def test_cli_plan_dose(cli):
    result = cli(
        "plan", "kadcyla", "--indication", "mbc", "--weight", "72 kg", "--dose", "260 mg",
        "--prepared-at", PREPARED,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "259.2 mg" in result.stderr
    result = cli(
        "plan", "enhertu", "--indication", "breast", "--weight", "72 kg", "--dose", "4.4 mg/kg",
        "--prepared-at", PREPARED, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0
    assert '"dose_mg": 316.8' in result.stdout and '"level": -1' in result.stdout


def test_an_order_the_rounding_policy_produced_gets_checks_verdict(book):
    # 72 kg, vial rounding 10%: the plan at level 0 is 400 mg; ordering 400 mg is that dose
    kw = {"drug": "enhertu", "weight": "72 kg", "indication": "breast"}
    p = plan(book, **kw, dose="400 mg", round_to_vial_pct="10")
    assert p.order.verdict == MATCH and p.level.level == 0
    assert units.magnitude(p.dose, "mg") == 400
    assert any("active rounding policy" in n for n in p.notes)
    rounding = replace(book, policy=replace(book.policy, round_to_vial_pct=Decimal(10)))
    c = compute_check(
        rounding, CheckRequest(drug="enhertu", weight="72 kg", dose="400 mg", indication="breast")
    )
    assert c.verdict == p.order.verdict


def test_an_order_in_mg_shows_its_rate_to_the_thousandth(book):
    p = plan(book, drug="enhertu", weight="72 kg", indication="breast", dose="350 mg")
    assert units.magnitude(p.dose_rate, "mg/kg") == Decimal("4.861")
    assert units.magnitude(p.dose, "mg") == 350


def test_an_order_at_a_reduced_level_carries_the_no_re_escalation_sentence_once(book):
    kw = {"drug": "enhertu", "weight": "72 kg", "indication": "breast"}
    for asked in (
        {"dose": "4.4 mg/kg"},
        {"dose": "4.4 mg/kg", "level": "-1"},
        {"dose": "3.2 mg/kg"},
    ):
        p = plan(book, **kw, **asked)
        rules = [r for r in p.reminders if r.kind == "no re-escalation"]
        assert len(rules) == 1, asked  # the level's and the order's: one sentence
        assert (
            rules[0].text == "Do not re-escalate the ENHERTU dose after a dose reduction is made."
        )
        assert (rules[0].source, rules[0].evidence) == ("ENHERTU US PI §2.3", "us-label")
        assert len(p.reminders) > 1  # the other reminders are kept beside it
    at_start = plan(book, **kw, dose="5.4 mg/kg")
    assert at_start.level.level == 0 and at_start.reminders
    assert all(r.kind != "no re-escalation" for r in at_start.reminders)
