"""compute_plan in two parts (resolve, plan_patient), and the Planner that keeps the
first part for a batch: the same plans as compute_plan's, by construction and by test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from her2dose import render, units
from her2dose.commands.plan import RESOLVE_FIELDS, compute_plan, plan_patient, resolve
from her2dose.commands.planner import Planner
from her2dose.errors import InputError, UnknownNameError
from her2dose.model.plan import PlanRequest
from her2dose.model.records import fields, replace

# Fields resolve() does not read: they vary per patient (any new field must be classified).
PATIENT_FIELDS = frozenset(
    {"weight", "baseline_weight", "open_vial_mg", "open_vial_date", "prepared_at", "dose"}
)

COMBINATIONS = [
    {"drug": "enhertu", "indication": "breast"},
    {"drug": "t-dxd", "indication": "gastric", "level": "-1"},
    {"drug": "enhertu", "indication": "nsclc", "level": "-2", "infusion": "subsequent"},
    {"drug": "kadcyla", "indication": "metastatic-breast", "level": "-1"},
    {"drug": "kadcyla", "indication": "early-breast"},
    {"drug": "ogivri", "indication": "adjuvant-breast", "schedule": "q3w", "phase": "loading"},
    {
        "drug": "trastuzumab",
        "product": "trazimera",
        "indication": "metastatic-breast",
        "schedule": "weekly",
        "phase": "maintenance",
    },
    {"drug": "herceptin", "indication": "gastric", "phase": "maintenance"},
    {"drug": "margenza"},
    {"drug": "enhertoo"},  # unknown: an error, remembered by the Planner
    {"drug": "kadcyla"},  # indication missing
]
weights = st.one_of(
    st.builds(
        lambda n, u: f"{n}{u}",
        st.decimals(35, 200, places=2),
        st.sampled_from([" kg", " lb", "", " g"]),
    ),
    st.sampled_from(["0 kg", "700 kg", "72 mL", "abc", "30 kg"]),
)


NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def outcome(make):
    try:
        return render.plan_dict(make())
    except InputError as error:
        return f"{type(error).__name__}: {error}"


@settings(max_examples=300)
@given(combination=st.sampled_from(COMBINATIONS), weight=weights)
def test_the_planner_gives_compute_plans_answer(book, combination, weight):
    request = PlanRequest(weight=weight, **combination)
    planner = Planner(book, now=NOW, zone=UTC)
    first = outcome(lambda: planner.plan(request))
    assert first == outcome(lambda: compute_plan(book, request, now=NOW, zone=UTC))
    assert outcome(lambda: planner.plan(request)) == first  # from its memo


@settings(max_examples=200)
@given(
    combination=st.sampled_from(COMBINATIONS[:9]),
    weight=st.decimals(35, 200, places=2).map(lambda n: f"{n} kg"),
)
def test_the_per_patient_numbers_are_pints_arithmetic(book, combination, weight):
    """The patient's part works on magnitudes; Pint on the same quantities agrees exactly."""
    plan = compute_plan(book, PlanRequest(weight=weight, **combination))
    if plan.regimen.basis == "per_kg":
        assert plan.dose == (plan.dose_rate * plan.weight).to("mg")
    inf = plan.infusion
    assert inf.drug_volume == (plan.dose / plan.vials.counts[0].vial.concentration).to("mL")
    if inf.total_volume is not None:
        assert inf.total_volume == (inf.preparation.bag_volume + inf.drug_volume).to("mL")
        assert inf.rate == (inf.total_volume / inf.minutes).to("mL/h")
    assert plan.vials.leftover == (plan.vials.total - plan.dose).to("mg")


def test_compute_plan_is_resolve_then_patient(book):
    request = PlanRequest(
        drug="kadcyla", weight="68 kg", indication="metastatic-breast", level="-1"
    )
    resolved = resolve(book, request)
    assert render.plan_dict(plan_patient(book, resolved, request, now=NOW)) == render.plan_dict(
        compute_plan(book, request, now=NOW)
    )
    assert resolved.level.level == -1 and resolved.next_level.level == -2


def test_one_basis_serves_every_weight(book):
    planner = Planner(book)
    plans = [
        planner.plan(PlanRequest(drug="enhertu", weight=f"{w} kg", indication="breast"))
        for w in (50, 60, 70)
    ]
    assert len(planner._resolved.entries) == 1
    assert [units.magnitude(p.dose, "mg") for p in plans] == [270, 324, 378]  # 5.4 mg/kg
    assert plans[0].reminders is plans[2].reminders


def test_every_request_field_is_resolved_or_per_patient():
    """A new PlanRequest field must be put in RESOLVE_FIELDS or PATIENT_FIELDS: else the
    Planner would reuse a resolve() made for another value of it."""
    names = {f.name for f in fields(PlanRequest)}
    assert set(RESOLVE_FIELDS) | PATIENT_FIELDS == names
    assert not set(RESOLVE_FIELDS) & PATIENT_FIELDS


def test_the_resolve_key_is_the_resolve_fields(book):
    planner = Planner(book)
    request = PlanRequest(drug="enhertu", weight="70 kg", indication="breast", level="-1")
    assert planner._resolve_key(request) == tuple(getattr(request, n) for n in RESOLVE_FIELDS)
    assert planner._resolve_key(replace(request, level="-2")) != planner._resolve_key(request)
    assert planner._resolve_key(replace(request, weight="80 kg")) == planner._resolve_key(request)


def test_the_planner_remembers_errors_and_raises_them_afresh(book):
    planner = Planner(book)
    request = PlanRequest(drug="enhertoo", weight="70 kg")
    errors = []
    for _ in range(3):
        with pytest.raises(UnknownNameError) as caught:
            planner.plan(request)
        errors.append(caught.value)
    assert str(errors[0]).startswith("unknown drug 'enhertoo'; did you mean 'enhertu'?")
    # the traceback does not grow with each row that repeats the error
    depth = [len(list(_frames(e.__traceback__))) for e in errors]
    assert depth[0] == depth[2]


def _frames(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def test_the_planner_memory_is_bounded(book):
    planner = Planner(book, max_entries=8)
    for grams in range(40_000, 40_100):
        planner.plan(PlanRequest(drug="margenza", weight=f"{grams} g"))
    assert len(planner._weights.entries) <= 8


def test_an_empty_drug_is_an_error_naming_the_field(book):
    with pytest.raises(InputError) as caught:
        compute_plan(book, PlanRequest(drug="  ", weight="70 kg"))
    assert caught.value.field == "drug"
    assert str(caught.value).startswith("drug is required")


@settings(max_examples=200)
@given(
    combination=st.sampled_from([*COMBINATIONS, {"drug": "herzuma", "indication": "gastric"}]),
    weight=weights,
)
def test_a_plan_without_its_preparation_has_the_dose_and_warnings_of_the_whole(
    book, combination, weight
):
    """preparation=False (a batch that writes neither vials nor times): the same weight,
    dose, product and warnings (HERZUMA's unencoded concentration among them), or the same
    error; no vials or infusion."""
    request = PlanRequest(weight=weight, **combination)
    whole = Planner(book, now=NOW, zone=UTC)
    lean = Planner(book, now=NOW, zone=UTC, preparation=False)

    def parts(planner):
        try:
            plan = planner.plan(request)
        except InputError as error:
            return f"{type(error).__name__}: {error}"
        return plan.weight, plan.dose, plan.product, plan.reminders, plan.warnings, plan.vials

    got, expected = parts(lean), parts(whole)
    if isinstance(expected, str):
        assert got == expected
    else:
        assert got[:5] == expected[:5] and got[5] is None and expected[5] is not None
