"""compute_plan: hand-worked plans, the arithmetic in the comments, exact then displayed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from her2dose import render
from her2dose.commands.plan import compute_plan
from her2dose.errors import InputError
from her2dose.model.plan import PlanRequest

D = Decimal


def plan_of(book, drug, weight, **options):
    return compute_plan(book, PlanRequest(drug=drug, weight=weight, **options))


def test_enhertu_breast_72_kg(book):
    # 5.4 mg/kg x 72 kg = 388.8 mg; 4 x 100 mg vials = 400 mg, leftover 11.2 mg;
    # 388.8 mg / 20 mg/mL = 19.44 mL; + 100 mL D5W = 119.44 mL;
    # 119.44 mL / 90 min x 60 = 79.626... -> 79.6 mL/h
    p = plan_of(book, "enhertu", "72 kg", indication="breast")
    assert p.dose.m_as("mg") == D("388.8")
    assert p.vials.total.m_as("mg") == 400
    assert p.vials.leftover.m_as("mg") == D("11.2")
    assert p.infusion.drug_volume.m_as("mL") == D("19.44")
    assert p.infusion.total_volume.m_as("mL") == D("119.44")
    assert p.infusion.minutes.m_as("min") == 90
    d = render.plan_dict(p)
    assert d["dose_mg"] == 388.8
    assert d["vials"] == [{"strength_mg": 100, "count": 4, "multiple_dose": False}]
    assert d["vial_total_mg"] == 400
    assert d["leftover_mg"] == 11.2
    assert d["concentration_mg_per_ml"] == 20
    assert d["drug_volume_ml"] == 19.44
    assert d["bag_volume_ml"] == 100
    assert d["total_volume_ml"] == 119.44
    assert d["infusion_minutes"] == 90
    assert d["rate_ml_per_h"] == 79.6
    assert d["dose_mg_per_kg"] == 5.4
    assert d["level"] == 0
    # next level 4.4 mg/kg x 72 kg = 316.8 mg
    assert d["next_level"] == -1
    assert d["next_level_mg_per_kg"] == 4.4
    assert d["next_level_dose_mg"] == 316.8
    assert "Dextrose" in d["diluent"]
    assert any("Sodium Chloride" in f for f in d["forbidden_diluents"])
    assert "PES" in d["filter"]


def test_enhertu_breast_subsequent_infusion_is_30_minutes(book):
    # 119.44 mL over 30 min = 238.88 mL/h -> 238.9
    p = plan_of(book, "enhertu", "72 kg", indication="breast", infusion="subsequent")
    d = render.plan_dict(p)
    assert d["infusion"] == "subsequent"
    assert d["infusion_minutes"] == 30
    assert d["rate_ml_per_h"] == 238.9
    assert not any("first infusion" in n for n in p.notes)


def test_enhertu_gastric_72_kg_is_6_4_mg_per_kg(book):
    # 6.4 x 72 = 460.8 mg (6.6 would give 475.2); 5 x 100 = 500, leftover 39.2;
    # 460.8 / 20 = 23.04 mL; 123.04 mL; 123.04 / 90 x 60 = 82.026... -> 82.0 mL/h
    d = render.plan_dict(plan_of(book, "t-dxd", "72 kg", indication="gastric"))
    assert d["dose_mg_per_kg"] == 6.4
    assert d["dose_mg"] == 460.8
    assert d["vials"] == [{"strength_mg": 100, "count": 5, "multiple_dose": False}]
    assert d["leftover_mg"] == 39.2
    assert d["drug_volume_ml"] == 23.04
    assert d["total_volume_ml"] == 123.04
    assert d["rate_ml_per_h"] == 82
    # next level 5.4 x 72 = 388.8
    assert d["next_level_mg_per_kg"] == 5.4
    assert d["next_level_dose_mg"] == 388.8


def test_enhertu_gastric_in_pounds_at_level_minus_1(book):
    # 158.7 lb x 0.45359237 = 71.985109119 kg (display 71.99)
    # 5.4 mg/kg x 71.985109119 kg = 388.7195892426 mg -> 388.7; 4 x 100 mg, leftover
    # 11.2804107574 -> 11.3; 388.7195892426 / 20 = 19.43597946213 mL -> 19.44;
    # 119.43597946213 mL / 90 min x 60 = 79.623986... -> 79.6 mL/h
    p = plan_of(book, "enhertu", "158.7 lb", indication="gastric", level="-1")
    assert p.weight.m_as("kg") == D("71.985109119")
    assert p.dose.m_as("mg") == D("388.7195892426")
    d = render.plan_dict(p)
    assert d["weight_input"] == "158.7 lb"
    assert d["weight_kg"] == 71.99
    assert d["level"] == -1
    assert d["dose_mg_per_kg"] == 5.4
    assert d["dose_mg"] == 388.7
    assert d["leftover_mg"] == 11.3
    assert d["drug_volume_ml"] == 19.44
    assert d["rate_ml_per_h"] == 79.6
    # next level 4.4 x 71.985109119 = 316.7344801236 -> 316.7
    assert d["next_level_dose_mg"] == 316.7
    # after a reduction the plan carries the no-re-escalation rule
    assert any(r.kind == "no re-escalation" for r in p.reminders)


def test_last_level_is_followed_by_discontinue(book):
    # gastric level -2: 4.4 mg/kg x 72 kg = 316.8 mg
    p = plan_of(book, "enhertu", "72 kg", indication="gastric", level=-2)
    d = render.plan_dict(p)
    assert d["dose_mg"] == 316.8
    assert d["next_level"] is None
    assert d["next_level_mg_per_kg"] is None
    assert d["next_level_dose_mg"] is None
    assert d["next_step"] == "discontinue"


def test_kadcyla_72_kg(book):
    # 3.6 x 72 = 259.2 mg; 160 + 100 = 260 mg, leftover 0.8; 259.2 / 20 = 12.96 mL;
    # + 250 mL NaCl = 262.96 mL; / 90 min x 60 = 175.306... -> 175.3 mL/h
    d = render.plan_dict(plan_of(book, "kadcyla", "72 kg", indication="metastatic-breast"))
    assert d["dose_mg"] == 259.2
    assert d["vials"] == [
        {"strength_mg": 160, "count": 1, "multiple_dose": False},
        {"strength_mg": 100, "count": 1, "multiple_dose": False},
    ]
    assert d["leftover_mg"] == 0.8
    assert d["drug_volume_ml"] == 12.96
    assert d["bag_volume_ml"] == 250
    assert d["total_volume_ml"] == 262.96
    assert d["rate_ml_per_h"] == 175.3
    assert [r["volume_ml"] for r in d["reconstitution"]] == [8, 5]


def test_kadcyla_168_mg_uses_two_100_mg_vials(book):
    # level -1: 3.0 mg/kg x 56 kg = 168 mg -> 2 x 100 mg (32 left), not 160 + 100 (92 left)
    d = render.plan_dict(plan_of(book, "t-dm1", "56 kg", indication="mbc", level="-1"))
    assert d["dose_mg_per_kg"] == 3
    assert d["dose_mg"] == 168
    assert d["vials"] == [{"strength_mg": 100, "count": 2, "multiple_dose": False}]
    assert d["leftover_mg"] == 32
    assert d["drug_volume_ml"] == 8.4


def test_ogivri_loading_100_kg_uses_the_multiple_dose_vial(book):
    # 8 mg/kg x 100 kg = 800 mg; 2 x 420 = 840 (40 left; how long it may be kept is not
    # encoded for OGIVRI, so it is not offered as kept);
    # 800 / 21 = 38.0952... mL -> 38.1; + 250 = 288.0952... -> 288.1;
    # 288.0952... / 90 x 60 = 192.063... -> 192.1 mL/h
    d = render.plan_dict(plan_of(book, "ogivri", "100 kg", indication="gastric", phase="loading"))
    assert d["phase"] == "loading"
    assert d["level"] is None
    assert d["dose_mg_per_kg"] == 8
    assert d["dose_mg"] == 800
    assert d["vials"] == [{"strength_mg": 420, "count": 2, "multiple_dose": True}]
    assert d["leftover_mg"] == 40
    assert d["leftover_kept"] is None and d["remainders"] == []
    assert d["concentration_mg_per_ml"] == 21
    assert d["drug_volume_ml"] == 38.1
    assert d["total_volume_ml"] == 288.1
    assert d["rate_ml_per_h"] == 192.1
    assert d["filter"] is None
    assert d["next_level_mg_per_kg"] is None
    assert d["next_step"].startswith("no dose reductions")


def test_ogivri_weekly_maintenance_60_kg(book):
    # 2 mg/kg x 60 kg = 120 mg; 1 x 150 mg (30 left); 120 / 21 = 5.714... -> 5.71 mL;
    # 255.714... mL over 30 min = 511.428... -> 511.4 mL/h
    d = render.plan_dict(
        plan_of(
            book,
            "ogivri",
            "60 kg",
            indication="adjuvant-breast",
            schedule="weekly",
            phase="maintenance",
        )
    )
    assert d["schedule"] == "weekly"
    assert d["dose_mg"] == 120
    assert d["vials"] == [{"strength_mg": 150, "count": 1, "multiple_dose": False}]
    assert d["drug_volume_ml"] == 5.71
    assert d["total_volume_ml"] == 255.71
    assert d["infusion_minutes"] == 30
    assert d["rate_ml_per_h"] == 511.4
    assert d["reconstitution"][0]["volume_ml"] == 7.4


def test_herceptin_q3w_loading_72_kg(book):
    # 8 mg/kg x 72 kg = 576 mg; 4 x 150 = 600 (24 left); 576 / 21 = 27.428... -> 27.43 mL;
    # 277.428... mL over 90 min = 184.952... -> 185.0 mL/h
    d = render.plan_dict(
        plan_of(
            book,
            "herceptin",
            "72 kg",
            indication="metastatic-breast",
            schedule="q3w",
            phase="loading",
        )
    )
    assert d["dose_mg"] == 576
    assert d["vials"] == [{"strength_mg": 150, "count": 4, "multiple_dose": False}]
    assert d["leftover_mg"] == 24
    assert d["drug_volume_ml"] == 27.43
    assert d["rate_ml_per_h"] == 185
    # HERCEPTIN's US 150 mg reconstitution volume is not verified: not encoded
    assert d["reconstitution"][0]["volume_ml"] is None


def test_margenza_70_kg_bare_number(book):
    # 15 mg/kg x 70 kg = 1050 mg; 5 x 250 mg = 1250 (200 left); 1050 / 25 = 42 mL;
    # diluent and bag not encoded, so no total volume and no rate
    p = plan_of(book, "margenza", "70")
    d = render.plan_dict(p)
    assert d["dose_mg"] == 1050
    assert d["vials"] == [{"strength_mg": 250, "count": 5, "multiple_dose": False}]
    assert d["leftover_mg"] == 200
    assert d["drug_volume_ml"] == 42
    assert d["infusion_minutes"] == 120
    assert d["diluent"] is None and d["bag_volume_ml"] is None
    assert d["total_volume_ml"] is None and d["rate_ml_per_h"] is None
    assert any("not encoded" in w for w in d["warnings"])
    assert any("read as kg" in n for n in d["notes"])
    assert any("first infusion" in n for n in d["notes"])


def test_max_dose_never_exceeded_for_kadcyla(book):
    for level in (0, -1, -2):
        p = plan_of(book, "kadcyla", "72 kg", indication="early-breast", level=level)
        assert p.dose_rate.m_as("mg/kg") <= D("3.6")


@pytest.mark.parametrize(
    ("options", "field", "lists"),
    [
        ({"drug": "enhertu"}, "indication", ["breast", "nsclc", "solid-tumors", "gastric"]),
        ({"drug": "ogivri", "indication": "adjuvant-breast"}, "schedule", ["q3w", "weekly"]),
        ({"drug": "ogivri", "indication": "gastric"}, "phase", ["loading", "maintenance"]),
        (
            {"drug": "trastuzumab", "indication": "gastric", "phase": "loading"},
            "product",
            ["herceptin", "ogivri", "herzuma", "kanjinti"],
        ),
    ],
)
def test_choices_that_change_the_dose_are_never_defaulted(book, options, field, lists):
    with pytest.raises(InputError) as info:
        compute_plan(book, PlanRequest(weight="72 kg", **options))
    assert info.value.field == field
    for value in lists:
        assert value in str(info.value)


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("0", "more than zero"),
        ("0 kg", "more than zero"),
        ("-72 kg", "more than zero"),
        ("651 kg", "above 650 kg"),
        ("1500 lb", "above 650 kg"),
        ("72 mL", "is a volume, expected a mass"),
        ("", "weight is required"),
        ("   ", "weight is required"),
    ],
)
def test_weights_refused(book, weight, message):
    with pytest.raises(InputError) as info:
        plan_of(book, "margenza", weight)
    assert info.value.field == "weight"
    assert message in str(info.value)


@pytest.mark.parametrize("weight", ["34.9 kg", "30 kg", "201 kg", "650 kg", "450 lb"])
def test_implausible_weights_warn(book, weight):
    p = plan_of(book, "margenza", weight)
    assert any("outside the usual adult range 35 to 200 kg" in w for w in p.warnings)


@pytest.mark.parametrize("weight", ["35 kg", "200 kg", "72 kg", "77.2 lb"])
def test_plausible_weights_do_not_warn(book, weight):
    p = plan_of(book, "enhertu", weight, indication="breast")
    assert p.warnings == ()


@pytest.mark.parametrize(
    ("weight", "shown"),
    [
        ("34.99 kg", "weight 34.99 kg is outside"),  # not "35.0 kg is outside 35 to 200 kg"
        ("200.04 kg", "weight 200.04 kg is outside"),  # not "200.0 kg"
        ("60 lb", "weight 27.2155422 kg is outside"),  # 60 x 0.45359237, exactly
    ],
)
def test_weight_warning_shows_the_weight_without_rounding_it_across_the_bound(book, weight, shown):
    p = plan_of(book, "margenza", weight)
    assert any(shown in w for w in p.warnings), p.warnings


def test_weight_refusal_shows_the_weight_without_rounding_it_onto_the_limit(book):
    with pytest.raises(InputError) as info:
        plan_of(book, "margenza", "650.01 kg")
    assert "(650.01 kg) is above 650 kg" in str(info.value)


def test_the_smallest_accepted_weight_is_the_policy_floor(book):
    assert plan_of(book, "margenza", "1 kg").dose.m_as("mg") == 15  # 15 mg/kg x 1 kg
    with pytest.raises(InputError) as info:
        plan_of(book, "margenza", "999 g")
    assert "(0.999 kg) is below 1 kg" in str(info.value)
