"""compute_plan with issue-4 features: rounding, weight change, multiple-dose vials, use-by."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from her2dose import render, units
from her2dose.commands.plan import RESOLVE_FIELDS, compute_plan, plan_patient, resolve
from her2dose.errors import InputError
from her2dose.model.plan import PlanRequest
from her2dose.model.records import replace

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=LONDON)
HERCEPTIN_Q3W_LOADING = {
    "drug": "herceptin",
    "indication": "adjuvant-breast",
    "schedule": "q3w",
    "phase": "loading",
}
OGIVRI_Q3W_LOADING = dict(HERCEPTIN_Q3W_LOADING, drug="ogivri")


def plan(book, **fields):
    fields.setdefault("prepared_at", "2026-06-10 09:00")
    return compute_plan(book, PlanRequest(**fields), zone=LONDON, now=NOW)


def as_json(p):
    return render.plan_dict(p)


def mg(value):
    return units.quantity(Decimal(str(value)), "mg")


# -- vial rounding through the plan ----------------------------------------------------------


def test_hopa_rounding_down_at_exactly_ten_percent(book):
    # HERCEPTIN 8 mg/kg x 62.5 kg = 500 mg; 3 x 150 = 450 mg is exactly 10% below.
    p = plan(book, **HERCEPTIN_Q3W_LOADING, weight="62.5 kg", round_to_vial_pct="10")
    assert p.dose == mg(450) and p.vials.vial_count == 3
    r = as_json(p)["rounding"]
    assert r == {
        "method": "vial",
        "ordered_dose_mg": 500,
        "final_dose_mg": 450,
        "difference_mg": -50,
        "difference_pct": -10,
        "direction": "down",
        "threshold_pct": 10,
        "increment_mg": None,
        "vials_before": 4,
        "vials_after": 3,
        "vials_saved": 1,
        "reason": "rounded down to a whole-vial total within 10% of the ordered dose",
    }
    assert as_json(p)["dose_mg"] == 450
    assert [e.setting for e in p.policy_effects] == ["round_to_vial_pct"]
    assert p.policy_effects[0].origin == "request"


def test_no_rounding_just_beyond_ten_percent(book):
    p = plan(book, **HERCEPTIN_Q3W_LOADING, weight="62.51 kg", round_to_vial_pct="10")
    assert p.dose == mg("500.08") and p.rounding is None
    assert as_json(p)["rounding"] is None and p.policy_effects == ()


def test_rounding_off_by_default(book):
    p = plan(book, **HERCEPTIN_Q3W_LOADING, weight="62.5 kg")
    assert p.dose == mg(500) and p.rounding is None


def test_kadcyla_maximum_beats_rounding(book):
    # 3.6 mg/kg x 72 kg = 259.2 mg is the maximum; 260 mg (160 + 100) would exceed it.
    p = plan(
        book, drug="kadcyla", indication="metastatic-breast", weight="72 kg", round_to_vial_pct="10"
    )
    assert p.dose == mg("259.2") and p.rounding is None
    assert any("above the label maximum" in n for n in p.notes)
    assert p.dose.m_as("mg") / p.weight.m_as("kg") <= Decimal("3.6")


def test_kadcyla_reduced_level_may_round_up_below_the_maximum(book):
    # 3.0 mg/kg x 85 kg = 255 mg -> 260 mg (3.06 mg/kg, below 3.6 mg/kg).
    p = plan(
        book,
        drug="kadcyla",
        indication="metastatic-breast",
        weight="85 kg",
        level="-1",
        round_to_vial_pct="10",
    )
    assert p.dose == mg(260) and p.rounding.direction == "up"
    assert any("KADCYLA US PI" in s and "3.6" in s for s in p.sources)


def test_excluded_drug_is_not_vial_rounded(book):
    p = plan(
        book,
        drug="kadcyla",
        indication="metastatic-breast",
        weight="85 kg",
        level="-1",
        round_to_vial_pct="10",
        round_to_vial_exclude="t-dm1",
    )
    assert p.dose == mg(255) and p.rounding is None
    assert [(e.setting, e.value) for e in p.policy_effects] == [("round_to_vial_exclude", "t-dm1")]


def test_increment_rounding_half_up_in_a_plan(book):
    # 8 mg/kg x 85.625 kg = 685 mg -> 690 mg to the nearest 10 mg.
    p = plan(book, **HERCEPTIN_Q3W_LOADING, weight="85.625 kg", round_increment_mg="10")
    assert p.dose == mg(690)
    assert as_json(p)["rounding"]["increment_mg"] == 10
    assert as_json(p)["drug_volume_ml"] == pytest.approx(32.86)  # 690 / 21


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("round_to_vial_pct", "15", "rounding_max_pct"),
        ("round_to_vial_pct", "ten", "not a percentage"),
        ("weight_change_pct", "0", "more than 0"),
        ("dose_weight", "ideal", "not one of"),
        ("round_increment_mg", "-5", "0 (off) or more"),
        ("round_to_vial_exclude", "aspirin", "unknown drug"),
    ],
)
def test_bad_overrides_name_the_setting(book, field, value, words):
    with pytest.raises(InputError, match=re.escape(words)) as caught:
        plan(book, drug="enhertu", indication="breast", weight="72 kg", **{field: value})
    assert caught.value.field == field


# -- weight change --------------------------------------------------------------------------


def test_weight_change_at_exactly_the_threshold_warns(book):
    p = plan(book, drug="enhertu", indication="breast", weight="77 kg", baseline_weight="70 kg")
    assert any("recalculate the dose" in w for w in p.warnings)
    wc = as_json(p)["weight_change"]
    assert (wc["change_kg"], wc["change_pct"], wc["recalculate"]) == (7, 10, True)
    assert wc["weight_used"] == "current" and p.dose == mg("415.8")  # 5.4 x 77


def test_weight_change_below_the_threshold_is_quiet(book):
    p = plan(book, drug="enhertu", indication="breast", weight="76.9 kg", baseline_weight="70")
    assert not any("recalculate" in w for w in p.warnings)
    assert as_json(p)["weight_change"]["recalculate"] is False


def test_baseline_until_threshold_doses_on_the_baseline(book):
    p = plan(
        book,
        drug="enhertu",
        indication="breast",
        weight="75 kg",
        baseline_weight="70 kg",
        dose_weight="baseline_until_threshold",
    )
    assert p.dose == mg(378)  # 5.4 x 70
    assert as_json(p)["weight_kg"] == 75
    assert as_json(p)["weight_change"]["weight_used_kg"] == 70
    assert as_json(p)["next_level_dose_mg"] == 308  # 4.4 x 70, the weight dosed on
    assert [e.setting for e in p.policy_effects] == ["dose_weight"]


def test_baseline_never_lifts_kadcyla_above_its_maximum_for_todays_weight(book):
    # baseline 75 kg, today 70 kg (-6.7%): 3.6 x 75 = 270 mg would be 3.86 mg/kg today.
    p = plan(
        book,
        drug="kadcyla",
        indication="metastatic-breast",
        weight="70 kg",
        baseline_weight="75 kg",
        dose_weight="baseline_until_threshold",
    )
    assert p.dose == mg(252)
    assert "label maximum" in p.weight_change.reason and p.weight_change.used == "current"


def test_bad_baseline_weight_names_its_field(book):
    with pytest.raises(InputError) as caught:
        plan(book, drug="enhertu", indication="breast", weight="72 kg", baseline_weight="70 mL")
    assert caught.value.field == "baseline_weight"
    assert str(caught.value).startswith("baseline weight")


# -- multiple-dose vials --------------------------------------------------------------------


def test_remainder_of_a_new_multiple_dose_vial_is_kept(mdv_book):
    # 8 mg/kg x 80 kg = 640 mg: 420 + 2 x 150 = 720 mg, 80 mg (3.81 mL) left in the 420 mg vial.
    p = plan(mdv_book, **OGIVRI_Q3W_LOADING, weight="80 kg")
    (kept,) = as_json(p)["remainders"]
    assert (kept["vial"], kept["remainder_mg"], kept["remainder_ml"]) == ("new vial", 80, 3.81)
    assert kept["in_use_days"] == 28 and kept["use_by"] == "2026-07-08T09:00+01:00"
    assert any("single-dose vials empty first" in n for n in p.notes)


def test_no_benzyl_alcohol_makes_the_420_mg_vial_single_dose(book):
    p = plan(book, **OGIVRI_Q3W_LOADING, weight="80 kg", no_benzyl_alcohol="yes")
    d = as_json(p)
    assert d["no_benzyl_alcohol"] is True
    assert d["leftover_kept"] is None and d["remainders"] == []
    assert all(not v["multiple_dose"] for v in d["vials"])
    fluids = {r["strength_mg"]: (r["fluid"], r["volume_ml"]) for r in d["reconstitution"]}
    assert fluids[420][0].startswith("Sterile Water for Injection (no benzyl alcohol")
    assert fluids[420][1] == 20
    assert any("OGIVRI US PI §11" in s for s in d["sources"])


def test_no_benzyl_alcohol_leaves_out_an_unverified_multiple_dose_vial(book):
    p = plan(
        book, **dict(OGIVRI_Q3W_LOADING, drug="herzuma"), weight="80 kg", no_benzyl_alcohol=True
    )
    assert {c.vial.strength.m_as("mg") for c in p.vials.counts} == {150}
    assert any("not encoded" in n and "HERZUMA" in n for n in p.notes)


def test_no_benzyl_alcohol_without_a_multiple_dose_vial_changes_nothing(book):
    p = plan(book, drug="enhertu", indication="breast", weight="72 kg", no_benzyl_alcohol="true")
    assert p.vials.vial_count == 4
    assert any("changes nothing" in n for n in p.notes)


def test_opened_vial_within_its_in_use_time_is_drawn_first(mdv_book):
    p = plan(
        mdv_book,
        **OGIVRI_Q3W_LOADING,
        weight="80 kg",
        open_vial_mg="100",
        open_vial_date="2026-05-20 09:00",
    )
    o = as_json(p)["open_vial"]
    assert (o["status"], o["drawn_mg"], o["left_mg"]) == ("used", 100, 0)
    assert p.vials.total == mg(570)  # 540 mg more: 420 + 150
    assert p.dose == mg(640)


def test_opened_vial_covering_the_whole_dose_opens_no_new_vial(mdv_book):
    p = plan(
        mdv_book,
        **dict(OGIVRI_Q3W_LOADING, phase="maintenance", schedule="weekly"),
        weight="60 kg",
        open_vial_mg="300 mg",
        open_vial_date="2026-06-01",
    )
    assert p.vials.counts == () and p.open_vial.drawn == mg(120)  # 2 mg/kg x 60
    (kept,) = p.remainders
    assert kept.origin == "opened vial" and kept.amount == mg(180)
    assert as_json(p)["drug_volume_ml"] == pytest.approx(5.71)


def test_expired_opened_vial_is_not_used(mdv_book):
    # Opened 2026-05-13 09:00 + 28 days = 2026-06-10 09:00: expired when preparing at 09:00.
    p = plan(
        mdv_book,
        **OGIVRI_Q3W_LOADING,
        weight="80 kg",
        open_vial_mg="100",
        open_vial_date="2026-05-13 09:00",
    )
    o = as_json(p)["open_vial"]
    assert (o["status"], o["used"], o["drawn_mg"]) == ("expired", False, 0)
    assert p.vials.total == mg(720)  # planned as if there were no opened vial
    assert any("expired" in w and "discard it" in w for w in p.warnings)


def test_opened_vial_one_minute_before_expiry_is_used(mdv_book):
    p = plan(
        mdv_book,
        **OGIVRI_Q3W_LOADING,
        weight="80 kg",
        open_vial_mg="100",
        open_vial_date="2026-05-13 09:01",
    )
    assert p.open_vial.usable and p.vials.total == mg(570)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"open_vial_mg": "100"}, "open_vial_date", "needs both"),
        ({"open_vial_date": "2026-06-01"}, "open_vial_mg", "needs both"),
        ({"open_vial_mg": "500", "open_vial_date": "2026-06-01"}, "open_vial_mg", "holds"),
        ({"open_vial_mg": "100", "open_vial_date": "2026-06-11"}, "open_vial_date", "after"),
        (
            {"open_vial_mg": "100", "open_vial_date": "2026-06-01", "no_benzyl_alcohol": "yes"},
            "open_vial_mg",
            "benzyl alcohol",
        ),
        ({"no_benzyl_alcohol": "maybe"}, "no_benzyl_alcohol", "yes or no"),
    ],
)
def test_opened_vial_input_errors(mdv_book, fields, field, words):
    with pytest.raises(InputError, match=words) as caught:
        plan(mdv_book, **OGIVRI_Q3W_LOADING, weight="80 kg", **fields)
    assert caught.value.field == field


def test_opened_vial_needs_a_multiple_dose_product(book):
    with pytest.raises(InputError, match="no multiple-dose vial"):
        plan(
            book,
            drug="enhertu",
            indication="breast",
            weight="72 kg",
            open_vial_mg="50",
            open_vial_date="2026-06-09",
        )


# -- use-by times ---------------------------------------------------------------------------


def test_enhertu_use_by_across_the_spring_clock_change(book):
    p = plan(
        book, drug="enhertu", indication="breast", weight="72 kg", prepared_at="2026-03-28 22:00"
    )
    entries = {(u["what"], u["storage"]): u for u in as_json(p)["use_by"]}
    assert entries[("reconstituted vials", "refrigerated")]["use_by"] == "2026-03-29T23:00+01:00"
    bag_room = entries[("diluted bag", "room_temperature")]
    assert bag_room["use_by"] == "2026-03-29T03:00+01:00"  # 4 h, past midnight and the change
    assert bag_room["counted_from"] == "reconstitution" and bag_room["hold_hours"] == 4
    assert entries[("diluted bag", "refrigerated")]["use_by"] == "2026-03-29T23:00+01:00"
    assert as_json(p)["prepared_at"] == "2026-03-28T22:00+00:00"


def test_kadcyla_bag_clock_starts_at_dilution(book):
    p = plan(book, drug="kadcyla", indication="metastatic-breast", weight="72 kg")
    bag = [u for u in as_json(p)["use_by"] if u["what"] == "diluted bag"]
    assert [(u["storage"], u["counted_from"], u["hold_hours"]) for u in bag] == [
        ("refrigerated", "dilution", 24)
    ]
    assert "room-temperature" in as_json(p)["use_by_not_encoded"]


@pytest.mark.parametrize("drug", ["ogivri", "margenza"])
def test_unverified_hold_times_say_not_encoded(book, drug):
    fields = OGIVRI_Q3W_LOADING if drug == "ogivri" else {"drug": "margenza"}
    p = plan(book, **fields, weight="70 kg")
    assert p.use_by == ()
    assert "not encoded" in as_json(p)["use_by_not_encoded"]


def test_prepared_at_defaults_to_now_and_says_so(book):
    p = compute_plan(
        book, PlanRequest(drug="enhertu", indication="breast", weight="72"), zone=LONDON, now=NOW
    )
    assert p.prepared_at == NOW and not p.prepared_at_given
    assert any("prepared_at not given" in n and "Europe/London" in n for n in p.notes)


# -- structure: keys, the patient-independent part -------------------------------------------

FOUNDATION_KEYS = [
    "schema_version",
    "drug",
    "drug_name",
    "product",
    "brand",
    "regimen",
    "indication",
    "schedule",
    "interval_days",
    "phase",
    "level",
    "level_name",
    "dose_mg_per_kg",
    "weight_input",
    "weight_kg",
    "dose_mg",
    "vials",
    "vial_total_mg",
    "leftover_mg",
    "leftover_kept",
    "reconstitution",
    "concentration_mg_per_ml",
    "drug_volume_ml",
    "diluent",
    "forbidden_diluents",
    "bag_volume_ml",
    "total_volume_ml",
    "infusion",
    "infusion_minutes",
    "rate_ml_per_h",
    "filter",
    "reminders",
    "warnings",
    "notes",
    "next_level",
    "next_level_mg_per_kg",
    "next_level_dose_mg",
    "next_step",
]
ISSUE4_KEYS = [
    "prepared_at",
    "prepared_at_given",
    "policy",
    "rounding",
    "weight_change",
    "no_benzyl_alcohol",
    "open_vial",
    "remainders",
    "use_by",
    "use_by_not_encoded",
]


def test_json_keys_keep_their_order_and_new_ones_come_before_source(book):
    keys = list(as_json(plan(book, drug="enhertu", indication="breast", weight="72 kg")))
    assert keys == FOUNDATION_KEYS + ISSUE4_KEYS + [
        "source",
        "sources",
        "regimens_file",
        "regimens_sha256",
    ]


def test_resolve_is_reusable_across_patients(book):
    request = PlanRequest(
        drug="enhertu",
        indication="breast",
        weight="72 kg",
        round_to_vial_pct="10",
        prepared_at="2026-06-10 09:00",
    )
    resolved = resolve(book, request)
    for weight, dose in (("72 kg", 400), ("90 kg", 500), ("65 kg", 351)):
        patient = replace(request, weight=weight)
        one = plan_patient(book, resolved, patient, zone=LONDON)
        assert one.dose == mg(dose)
        assert one == compute_plan(book, patient, zone=LONDON)
    assert set(RESOLVE_FIELDS).isdisjoint(
        {"weight", "baseline_weight", "prepared_at", "open_vial_mg", "open_vial_date"}
    )
