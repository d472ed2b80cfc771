"""A plan's JSON object in two parts (render.combination_dict, render.patient_dict) and
what plan_patient keeps per combination (ResolvedRequest.remember): every plan is rendered
through the split, a batch reuses the first part, and neither part may carry the other's
values. Equality with `plan --format json` over random rows is in test_batch.py."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import event, given, settings
from hypothesis import strategies as st

from her2dose import render
from her2dose.batch import run as batch
from her2dose.commands.plan import compute_plan, plan_patient, resolve
from her2dose.commands.planner import Planner
from her2dose.data import loader as regimens
from her2dose.errors import Her2DoseError
from her2dose.model.plan import PlanRequest
from her2dose.model.records import replace

BOOK = regimens.load(Path(__file__).resolve().parents[2] / "regimens.toml")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")

COMBINATIONS = [
    {"drug": "enhertu", "indication": "breast"},
    {"drug": "t-dxd", "indication": "gastric", "level": "-1", "infusion": "subsequent"},
    {"drug": "kadcyla", "indication": "metastatic-breast", "level": "-1"},
    {"drug": "kadcyla", "indication": "early-breast", "round_to_vial_pct": "10"},
    {"drug": "ogivri", "indication": "adjuvant-breast", "schedule": "q3w", "phase": "loading"},
    {
        "drug": "herceptin",
        "indication": "metastatic-breast",
        "schedule": "weekly",
        "phase": "maintenance",
        "round_increment_mg": "10",
    },
    {
        "drug": "trastuzumab",
        "product": "trazimera",
        "indication": "gastric",
        "phase": "maintenance",
        "no_benzyl_alcohol": "yes",
    },
    {
        "drug": "herzuma",
        "indication": "adjuvant-breast",
        "schedule": "q3w",
        "phase": "maintenance",
        "dose_weight": "baseline_until_threshold",
    },
    {"drug": "margenza"},
]
# What may differ between two patients of one combination (PATIENT_FIELDS of plan).
patients = st.builds(
    lambda weight, options, opened: {"weight": weight, **options, **opened},
    st.decimals(36, 190, places=1).map(lambda n: f"{n} kg"),
    st.fixed_dictionaries(
        {},
        optional={
            "baseline_weight": st.sampled_from(["60 kg", "75 kg", "98 kg"]),
            "prepared_at": st.sampled_from(
                ["2026-03-29 00:30", "2026-10-25 01:30", "2026-07-01 23:59"]
            ),
        },
    ),
    st.sampled_from(
        [
            {},
            {},
            {},
            {"open_vial_mg": "50 mg", "open_vial_date": "2026-02-20 08:00"},
            {"open_vial_mg": "300", "open_vial_date": "2026-03-01"},
        ]
    ),
)


def _plan(planner, combination, patient):
    try:
        return planner.plan(PlanRequest(**combination, **patient))
    except Her2DoseError:
        return None


def _patient_keys(plan) -> set[str]:
    return set(render.patient_dict(plan))


@settings(max_examples=150)
@given(combination=st.sampled_from(COMBINATIONS), first=patients, second=patients)
def test_the_combination_part_is_the_same_for_every_patient(combination, first, second):
    """Keys outside patient_dict have one value for all the patients of a combination,
    whether the combination is resolved once (a batch) or for each plan (`plan`)."""
    planner = Planner(BOOK, now=NOW, zone=LONDON)
    one, two = _plan(planner, combination, first), _plan(planner, combination, second)
    event(f"planned: {one is not None}, {two is not None}")
    if one is None or two is None:
        return
    shared = one.resolved
    assert two.resolved is shared
    fresh = compute_plan(BOOK, two.request, now=NOW, zone=LONDON)
    assert fresh.resolved is not shared
    constant = render.combination_dict(shared)
    for plan in (one, two, fresh):
        own = _patient_keys(plan)
        data = render.plan_dict(plan)
        assert {k: v for k, v in data.items() if k not in own} == {
            k: v for k, v in constant.items() if k not in own
        }
        assert render.combination_dict(plan.resolved) == constant


@settings(max_examples=60)
@given(combination=st.sampled_from(COMBINATIONS), patient=patients)
def test_plan_dict_is_the_combination_part_with_the_patient_part_filled_in(combination, patient):
    planner = Planner(BOOK, now=NOW, zone=LONDON)
    plan = _plan(planner, combination, patient)
    event(f"planned: {plan is not None}")
    if plan is None:
        return
    combination_part = render.combination_dict(plan.resolved)
    patient_part = render.patient_dict(plan)
    assert set(patient_part) < set(combination_part)
    assert all(combination_part[k] is render.PER_PATIENT for k in patient_part)
    data = render.plan_dict(plan)
    assert list(data) == list(combination_part)  # the documented order
    assert data == {**combination_part, **patient_part}
    record = render.plan_record(plan, "/x/regimens.toml", "ab12")
    shared, own = render.plan_record_parts(plan, "/x/regimens.toml", "ab12")
    assert render.joined(shared, own) == record
    assert list(render.joined(shared, own)) == list(record)
    assert record["regimens_file"] == "/x/regimens.toml" and record["regimens_sha256"] == "ab12"
    # made once per combination: the same object for the next plan of it
    assert render.plan_record_parts(plan, "/x/regimens.toml", "ab12")[0] is shared
    assert render.plan_record_parts(plan, "/y/regimens.toml", "ab12")[0] is not shared


def test_the_patient_keys_are_those_that_depend_on_the_patient(book):
    """Every key the patient can change is in patient_dict (the Hypothesis test above
    checks that the others do not change)."""
    request = PlanRequest(
        drug="kadcyla", weight="68 kg", indication="metastatic-breast", level="-1"
    )
    plan = compute_plan(book, request, now=NOW, zone=LONDON)
    assert _patient_keys(plan) == {
        "weight_input",
        "weight_kg",
        "dose_mg",
        "vials",
        "vial_total_mg",
        "leftover_mg",
        "leftover_kept",
        "reconstitution",
        "drug_volume_ml",
        "total_volume_ml",
        "rate_ml_per_h",
        "warnings",
        "notes",
        "next_level_dose_mg",
        "prepared_at",
        "prepared_at_given",
        "policy",
        "rounding",
        "weight_change",
        "open_vial",
        "remainders",
        "use_by",
        "source",
        "sources",
    }


def test_a_remembered_preparation_time_is_never_another_runs(book):
    """plan_patient keeps the preparation time and use-by times in the combination's memo,
    keyed by what they are made from: another `now` or zone on the same ResolvedRequest
    gets its own, equal to a fresh compute_plan's."""
    request = PlanRequest(drug="enhertu", weight="70 kg", indication="breast")
    resolved = resolve(book, request)
    later = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # London: 00:30 GMT, then 02:30 BST
    for now, zone in [(NOW, UTC), (later, LONDON), (NOW, LONDON), (later, UTC), (NOW, UTC)]:
        plan = plan_patient(book, resolved, request, now=now, zone=zone)
        assert render.plan_dict(plan) == render.plan_dict(
            compute_plan(book, request, now=now, zone=zone)
        )
        assert plan.prepared_at == now and plan.prepared_at.tzinfo is zone
    given = PlanRequest(
        drug="enhertu", weight="70 kg", indication="breast", prepared_at="2026-03-29 00:30"
    )
    for zone in (UTC, LONDON, UTC):
        plan = plan_patient(book, resolved, given, now=NOW, zone=zone)
        assert plan.prepared_at.tzinfo is zone
        assert render.plan_dict(plan) == render.plan_dict(
            compute_plan(book, given, now=NOW, zone=zone)
        )


def test_remembered_use_by_times_follow_the_stages(mdv_book):
    """Use-by times are kept per preparation time and stages: a plan whose dose all comes
    from an opened vial has no reconstituted vials to time. (No shipped product has both
    use-by rules and a multiple-dose vial with an in-use time: a copy gives OGIVRI one,
    and the rules are lent from ENHERTU.)"""
    rules = resolve(
        mdv_book, PlanRequest(drug="enhertu", weight="70 kg", indication="breast")
    ).use_by_rules
    assert {rule.stage for rule in rules} == {"reconstituted", "diluted"}
    new_vials = PlanRequest(
        drug="ogivri",
        weight="70 kg",
        indication="adjuvant-breast",
        schedule="q3w",
        phase="maintenance",
        prepared_at="2026-03-02 09:30",
    )
    opened_only = replace(new_vials, open_vial_mg="420 mg", open_vial_date="2026-03-01 08:00")
    shared = replace(resolve(mdv_book, new_vials), use_by_rules=rules)
    assert shared.memo == {}  # replace() gives a new ResolvedRequest its own memo
    for request in (new_vials, opened_only, new_vials, opened_only):
        plan = plan_patient(mdv_book, shared, request, zone=UTC)
        alone = plan_patient(mdv_book, replace(shared, use_by_rules=rules), request, zone=UTC)
        assert plan.use_by == alone.use_by
        assert bool(plan.vials.counts) == (request is new_vials)
        assert {u.what for u in plan.use_by} == (
            {"reconstituted vials", "diluted bag"} if request is new_vials else {"diluted bag"}
        )


def test_the_combination_memo_is_bounded(book):
    request = PlanRequest(drug="enhertu", weight="70 kg", indication="breast")
    resolved = resolve(book, request)
    for minute in range(600):
        plan_patient(
            book,
            resolved,
            PlanRequest(
                drug="enhertu",
                weight="70 kg",
                indication="breast",
                prepared_at=f"2026-03-02 {minute // 60:02d}:{minute % 60:02d}",
            ),
            zone=UTC,
        )
        assert len(resolved.memo) <= resolved.MEMO_ENTRIES
    assert resolved == resolve(book, request)  # the memo is not part of the value


# --- the CSV writer's per-combination line pattern -------------------------------------


def _reference_line(cells: list) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_NONNUMERIC).writerow(cells)
    return out.getvalue()


def test_the_csv_line_pattern_writes_what_csv_writer_writes(book):
    """Rows written from a combination's pattern and the patient's part are what the csv
    module writes for plan_record's cells, pass-through columns (with braces, quotes and
    formula starts) before and after."""
    planner = Planner(book, now=NOW, zone=LONDON)
    columns = batch.plan_columns(planner)
    layout = batch.Layout(["order", *COMBINATIONS[0], "weight", "mrn"], columns)
    ours = io.StringIO()
    writer = batch.CsvWriter(ours, layout, columns, ",", bom=False)
    writer.check_columns = False
    expected = [_reference_line(["order", "status", "error", *columns, "mrn"])]
    passthrough = ["{0}", "=1+1", 'say "hi"', "{}}", "-7", "12"]
    number = 0
    for combination in COMBINATIONS:
        for weight in ("49", "72 kg", "158.7 lb", "120 kg"):
            plan = _plan(planner, combination, {"weight": weight})
            if plan is None:
                continue
            number += 1
            order, mrn = passthrough[number % 6], passthrough[(number + 3) % 6]
            row = batch.Row(number, [("order", order)], [("mrn", mrn)], {})
            shared, own = render.plan_record_parts(plan, book.path, book.sha256)
            writer.write(row, own, None, shared)
            record = render.joined(shared, own)
            expected.append(
                _reference_line(
                    [
                        render.neutralise(order),
                        "ok",
                        "",
                        *render.csv_cells(record),
                        render.neutralise(mrn),
                    ]
                )
            )
    assert number > 25
    assert ours.getvalue() == "".join(expected)


def test_braces_in_a_combinations_texts_are_written_as_they_are():
    layout = batch.Layout(["id", "drug", "weight"], ["a", "b", "c"])
    ours = io.StringIO()
    writer = batch.CsvWriter(ours, layout, ["a", "b", "c"], ";", bom=False)
    combination = {"a": "{x} and {{y}}", "b": None, "c": ["{0}", "}"]}
    for value in (1.5, "{b}", None):
        writer.write(batch.Row(1, [("id", "{id}")], [], {}), {"b": value}, None, combination)
    cells = ['"{x} and {{y}}"', '"{0} | }"']
    assert ours.getvalue().splitlines()[1:] == [
        ";".join(['"{id}"', '"ok"', '""', cells[0], shown, cells[1]])
        for shown in ("1.5", '"{b}"', '""')
    ]
