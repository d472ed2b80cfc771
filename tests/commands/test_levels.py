"""`her2dose levels`: the level table, planned by plan.compute_plan at each level."""

from __future__ import annotations

from decimal import Decimal

import pytest

from her2dose import render
from her2dose.commands.levels import compute_levels
from her2dose.commands.plan import compute_plan
from her2dose.core import dosing
from her2dose.errors import InputError
from her2dose.model.plan import PlanRequest
from her2dose.model.results import LevelsRequest


def levels(book, drug, **kw):
    return compute_levels(book, LevelsRequest(drug=drug, **kw))


def test_enhertu_breast_levels_in_order_then_discontinue(book):
    table = levels(book, "enhertu", indication="breast")
    d = render.levels_dict(table)
    assert [(r["level"], r["name"], r["dose_mg_per_kg"]) for r in d["levels"]] == [
        (0, "starting dose", 5.4),
        (-1, "first dose reduction", 4.4),
        (-2, "second dose reduction", 3.2),
    ]
    assert d["further_reduction"] == "discontinue"
    assert d["no_re_escalation"]["text"] == (
        "Do not re-escalate the ENHERTU dose after a dose reduction is made."
    )
    assert d["no_reductions"] is None
    assert all(r["dose_mg"] is None and r["vials"] is None for r in d["levels"])


def test_gastric_levels_are_the_gastric_column(book):
    d = render.levels_dict(levels(book, "t-dxd", indication="gastric"))
    assert [r["dose_mg_per_kg"] for r in d["levels"]] == [6.4, 5.4, 4.4]


def test_with_weight_each_level_is_what_plan_computes(book):
    table = levels(book, "kadcyla", indication="mbc", weight="68 kg")
    assert len(table.rows) == 3
    for row in table.rows:
        plan = compute_plan(
            book,
            PlanRequest(
                drug="kadcyla",
                weight="68 kg",
                indication="mbc",
                level=row.level.level,
                infusion="first",
            ),
        )
        assert row.plan.dose == plan.dose
        assert row.plan.vials == plan.vials
        assert row.plan.infusion.drug_volume == plan.infusion.drug_volume
    first = render.levels_dict(table)["levels"][1]
    assert first["dose_mg"] == 204  # 3.0 mg/kg x 68 kg
    # 204 mg: 160 + 100 mg leaves 56 mg, less than 3 x 100 mg (96 mg)
    assert first["vials"] == [
        {"strength_mg": 160, "count": 1, "multiple_dose": False},
        {"strength_mg": 100, "count": 1, "multiple_dose": False},
    ]
    assert first["drug_volume_ml"] == 10.2  # 204 mg / 20 mg/mL


def test_kadcyla_states_its_maximum(book):
    d = render.levels_dict(levels(book, "kadcyla", indication="ebc"))
    assert d["max_dose_mg_per_kg"] == 3.6 and "3.6 mg/kg" in d["max_dose_source"]


@pytest.mark.parametrize(
    ("drug", "kw"),
    [
        ("herceptin", {"indication": "gastric"}),
        ("margenza", {}),
    ],
)
def test_drugs_without_levels_say_hold_or_discontinue_only(book, drug, kw):
    d = render.levels_dict(levels(book, drug, **kw))
    assert d["no_reductions"] == dosing.NO_REDUCTIONS
    assert d["no_reductions"] == "no dose reductions; hold or discontinue only"
    assert d["no_re_escalation"] is None and d["further_reduction"] is None


def test_trastuzumab_rows_are_its_schedules_and_phases(book):
    table = levels(book, "ogivri", indication="adjuvant-breast", weight="80 kg")
    d = render.levels_dict(table)
    assert [
        (r["level"], r["schedule"], r["phase"], r["dose_mg_per_kg"], r["dose_mg"])
        for r in d["levels"]
    ] == [
        (None, "q3w", "loading", 8, 640),
        (None, "q3w", "maintenance", 6, 480),
        (None, "weekly", "loading", 4, 320),
        (None, "weekly", "maintenance", 2, 160),
    ]
    assert d["product"] == "ogivri"


def test_generic_trastuzumab_with_weight_needs_a_product(book):
    with pytest.raises(InputError, match="--product"):
        levels(book, "trastuzumab", indication="gastric", weight="70 kg")
    assert levels(book, "trastuzumab", indication="gastric").rows  # no weight: no vials needed


def test_named_product_is_checked_even_without_weight(book):
    table = levels(book, "trastuzumab", indication="gastric", product="ogivri")
    assert table.product.id == "ogivri"
    with pytest.raises(InputError, match="unknown product 'enhertu'"):
        levels(book, "trastuzumab", indication="gastric", product="enhertu")


def test_several_indications_need_one(book):
    with pytest.raises(InputError, match="choose one with --indication"):
        levels(book, "enhertu")


def test_weight_warnings_are_passed_on_once(book):
    table = levels(book, "enhertu", indication="breast", weight="30 kg")
    assert len(table.warnings) == 1 and "outside the usual adult range" in table.warnings[0]
    assert table.weight.m_as("kg") == Decimal(30)
