"""Evidence levels, stops for what is not encoded, and facts left out per product.

Rows: (id, edits, entry.field named, what the message says), as in the other loader tables.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from conftest import END, SHIPPED, broken_copy

from her2dose.commands import selection
from her2dose.commands.plan import compute_plan
from her2dose.data import loader as regimens
from her2dose.errors import InputError, NotEncodedError, RegimenFileError
from her2dose.model import EVIDENCE_LEVELS, LABEL_EVIDENCE, evidence_word, weakest
from her2dose.model import records as model_records
from her2dose.model.plan import PlanRequest

TDXD_PHASE = "[regimens.tdxd-breast.schedules.q3w.phases.standard]\n"
STOP = "molecules.trastuzumab-deruxtecan.not_encoded_indications[0]"

EVIDENCE = [
    (
        "evidence-missing",
        [
            (
                'source = "MARGENZA US PI §3"\nevidence = "us-label"\n',
                'source = "MARGENZA US PI §3"\n',
            )
        ],
        "products.margenza.evidence",
        "missing (one of us-label, us-label-older, fda-listing, eu-label",
    ),
    (
        "evidence-unknown",
        [
            (
                'source = "MARGENZA US PI §3"\nevidence = "us-label"\n',
                'source = "MARGENZA US PI §3"\nevidence = "label"\n',
            )
        ],
        "products.margenza.evidence",
        "'label' is not one of us-label",
    ),
    (
        "policy-evidence-outside-policy",
        [
            (
                'source = "MARGENZA US PI §3"\nevidence = "us-label"\n',
                'source = "MARGENZA US PI §3"\nevidence = "policy"\n',
            )
        ],
        "products.margenza.evidence",
        "'policy' is not allowed here",
    ),
    (
        "policy-needs-policy",
        [('evidence = "policy"', 'evidence = "us-label"')],
        "policy.evidence",
        "'us-label' is not allowed here; use policy",
    ),
    (
        "field-evidence-of-an-absent-field",
        [
            (
                'field_evidence = { diluent = "institutional", bag_volume',
                'field_evidence = { colour = "institutional", diluent = "institutional", bag_volume',
            )
        ],
        "molecules.trastuzumab-deruxtecan.preparation.field_evidence.colour",
        "not a field of this table",
    ),
    (
        "table-evidence-not-the-weakest",
        [
            (
                'filter = "institutional", forbidden = "eu-label" }',
                'filter = "institutional", forbidden = "secondary" }',
            )
        ],
        "molecules.trastuzumab-deruxtecan.preparation.evidence",
        "'institutional' must be the weakest of its fields' levels (secondary)",
    ),
]

STOPS = [
    (
        "reminder-for-another-molecules-regimen",
        [
            (
                'kind = "indication"\nregimens = ["tdxd-breast"]',
                'kind = "indication"\nregimens = ["kadcyla-early-breast"]',
            )
        ],
        "molecules.trastuzumab-deruxtecan.reminders[4].regimens",
        "'kadcyla-early-breast' is not a regimen of molecule 'trastuzumab-deruxtecan'",
    ),
    (
        "stop-name-reaches-a-regimen",
        [
            (
                'aliases = ["early-breast-cancer", "ebc",',
                'aliases = ["mbc", "early-breast-cancer", "ebc",',
            )
        ],
        STOP,
        "name 'mbc' is also used by regimen 'tdxd-breast'",
    ),
    (
        "drug-stop-is-a-product-name",
        [('aliases = ["poherdy", "pertuzumab-dpzb"]', 'aliases = ["poherdy", "perjeta"]')],
        "not_encoded_drugs.poherdy.aliases",
        "name 'perjeta' is also used by product 'perjeta'",
    ),
    (
        "concentration-on-some-vials-only",
        [
            (
                '[[products.herzuma.vials]]\nstrength = "150 mg"\n',
                '[[products.herzuma.vials]]\nstrength = "150 mg"\nconcentration = "21 mg/mL"\n',
            )
        ],
        "products.herzuma.vials",
        "state the concentration on every vial of the product or on none",
    ),
    (
        "in-use-storage-without-in-use",
        [
            (
                '[[products.ogivri.vials]]\nstrength = "420 mg"\n',
                '[[products.ogivri.vials]]\nstrength = "420 mg"\nin_use_storage = "cold"\n',
            )
        ],
        "products.ogivri.vials[1].in_use_storage",
        "only with an in-use time",
    ),
    (
        "injection-time-and-range",
        [
            (
                'injection_time_range = ["2 min", "5 min"]',
                'injection_time_range = ["2 min", "5 min"]\ninjection_time = "5 min"',
            )
        ],
        "missed_doses.trastuzumab-hyaluronidase.dose",
        "give exactly one of injection_time and injection_time_range",
    ),
    (
        "injection-range-reversed",
        [
            (
                'injection_time_range = ["2 min", "5 min"]',
                'injection_time_range = ["5 min", "2 min"]',
            )
        ],
        "missed_doses.trastuzumab-hyaluronidase.dose.injection_time_range",
        "the first time must be below the second",
    ),
    (
        "interpretation-is-text",
        [
            (
                TDXD_PHASE + 'dose = "5.4 mg/kg"',
                TDXD_PHASE + 'interpretation = 3\ndose = "5.4 mg/kg"',
            )
        ],
        "regimens.tdxd-breast.schedules.q3w.phases.standard.interpretation",
        "must be non-empty text",
    ),
    (
        "unknown-top-level-stop-field",
        [
            (
                END,
                '[not_encoded_drugs.x]\naliases = ["x"]\nmessage = "m"\nsource = "s"\nevidence = "secondary"\nwhy = 1\n',
            )
        ],
        "not_encoded_drugs.x.why",
        "unknown field",
    ),
]


@pytest.mark.parametrize(
    ("edits", "where", "says"),
    [c[1:] for c in EVIDENCE + STOPS],
    ids=[c[0] for c in EVIDENCE + STOPS],
)
def test_a_broken_entry_is_named(tmp_path, edits, where, says):
    path = broken_copy(tmp_path, edits, unique=True)
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path)
    assert any(p.startswith(f"{where}:") and says in p for p in info.value.problems), (
        info.value.problems
    )


def records(value, seen=None):
    """Every record reachable from the book."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if model_records.is_record(value):
        yield value
        for f in model_records.fields(value):
            yield from records(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for v in value.values():
            yield from records(v, seen)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from records(v, seen)


def test_every_sourced_record_carries_an_allowed_evidence_level(book):
    sourced = [r for r in records(book) if hasattr(r, "source") and hasattr(r, "evidence")]
    assert len(sourced) > 200
    for r in sourced:
        allowed = ("policy",) if r is book.policy else LABEL_EVIDENCE
        assert r.evidence in allowed, r
        assert evidence_word(r.evidence)
    assert weakest("us-label", "eu-label", "fda-listing") == "eu-label"
    assert EVIDENCE_LEVELS[0] == "us-label" and weakest() == ""


def early_breast_spellings(book):
    stop = book.molecules["trastuzumab-deruxtecan"].not_encoded_indications[0]
    return [stop.indication, *stop.aliases]


def test_no_early_breast_spelling_reaches_a_metastatic_regimen(book):
    for spelling in early_breast_spellings(book):
        for typed in (
            spelling,
            spelling.upper(),
            spelling.replace("-", " "),
            spelling.replace("-", "_"),
        ):
            with pytest.raises(NotEncodedError) as info:
                selection.select(book, "enhertu", indication=typed)
            assert info.value.exit_code == 1
            assert "early-breast-cancer dose and course of ENHERTU are not encoded" in str(
                info.value
            )


def test_a_near_spelling_suggests_the_stop_first(book):
    with pytest.raises(InputError) as info:
        selection.select(book, "enhertu", indication="early-brest")
    assert "did you mean 'early-breast' (not encoded)" in str(info.value)


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "enhertu", "--indication", "early-breast", "--weight", "70 kg"],
        ["levels", "enhertu", "--indication", "ebc"],
        ["plan", "enhertu", "--indication", "her2-positive-breast", "--weight", "70 kg"],
        ["plan", "poherdy", "--weight", "70 kg"],
        ["plan", "pertuzumab-dpzb", "--weight", "70 kg"],
    ],
)
def test_cli_answers_not_encoded_with_exit_1(cli, args):
    result = cli(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "not encoded: " in result.stderr


def test_hylecta_is_refused_by_plan_with_the_reason(cli):
    result = cli("plan", "herceptin-hylecta", "--weight", "70 kg")
    assert result.exit_code == 2
    assert "fixed-dose subcutaneous injection" in result.stderr


def test_hylecta_missed_dose_rule(book):
    rule = book.missed_doses["trastuzumab-hyaluronidase"]
    assert rule.rule == "fixed-dose-as-soon-as-possible" and rule.interval.m_as("day") == 21
    low, high = rule.dose.injection_time_range
    assert (low.m_as("min"), high.m_as("min")) == (2, 5) and rule.dose.injection_time is None
    assert rule.dose.volume.m_as("mL") == 5


def test_enhertu_reminders_for_the_metastatic_course_only(book):
    def kinds(indication):
        request = PlanRequest(drug="enhertu", indication=indication, weight="70 kg")
        return {m.kind for m in compute_plan(book, request).reminders}

    assert {"indication", "with pertuzumab"} <= kinds("breast")
    assert not {"indication", "with pertuzumab"} & kinds("gastric")


def test_a_multiple_dose_vial_without_an_in_use_time_keeps_no_remainder(book):
    request = PlanRequest(
        drug="ogivri", indication="adjuvant-breast", schedule="q3w", phase="loading", weight="70 kg"
    )
    plan = compute_plan(book, request)
    assert plan.vials.leftover.m_as("mg") == 10
    assert plan.remainders == ()
    assert any(
        "in-use time of the opened OGIVRI 420 mg multiple-dose vial is not encoded" in n
        for n in plan.notes
    )
    opened = model_records.replace(request, open_vial_mg="100 mg", open_vial_date="2026-01-01")
    with pytest.raises(
        InputError, match="in-use time of the OGIVRI 420 mg multiple-dose vial is not encoded"
    ):
        compute_plan(book, opened)


def test_a_product_without_a_concentration_plans_mg_and_vials_but_no_volumes(book):
    request = PlanRequest(
        drug="herzuma",
        indication="metastatic-breast",
        schedule="weekly",
        phase="loading",
        weight="70 kg",
    )
    plan = compute_plan(book, request)
    assert plan.dose.m_as("mg") == 280 and plan.vials.total.m_as("mg") == 300
    assert plan.infusion.concentration is None and plan.infusion.drug_volume is None
    assert plan.infusion.total_volume is None and plan.infusion.rate is None
    assert any(
        "concentration of HERZUMA after reconstitution is not encoded" in w for w in plan.warnings
    )


@pytest.mark.parametrize(
    ("on", "exit_code", "status", "next_due"),
    [
        ("2026-11-15", 1, "not-yet-due", None),
        ("2026-11-22", 0, "due", "2026-12-13"),
        ("2026-11-30", 0, "late", "2026-12-21"),
    ],
)
def test_next_answers_hylecta_from_its_missed_dose_rule(cli, on, exit_code, status, next_due):
    import json

    result = cli(
        "next", "herceptin-hylecta", "--last-dose", "2026-11-01", "--on", on, "--format", "json"
    )
    assert result.exit_code == exit_code
    data = json.loads(result.stdout)
    assert data["status"] == status and data["next_due_date"] == next_due
    if status != "not-yet-due":
        assert data["route"] == "subcutaneous" and data["volume_ml"] == 5
        assert data["injection_minutes_range"] == [2, 5]
        assert "no loading dose" in data["message"] or status == "due"


def test_next_hylecta_refuses_a_weight(cli):
    result = cli("next", "hylecta", "--last-dose", "2026-11-01", "--weight", "70 kg")
    assert result.exit_code == 2
    assert "fixed dose given every 3 weeks; leave out --weight" in result.stderr


# the kind of document a source names -> its evidence level; an entry's level is the
# weakest of the documents its source cites
DOCUMENTS = [
    (r" US PI|FDA notice|FDA approves|Boxed Warning", "us-label"),
    (r"\(2013 version\)|older version", "us-label-older"),
    (r"NDC", "fda-listing"),
    (r"EU SmPC|Swiss product information", "eu-label"),
    (r"HCP website|[Mm]edical [Ii]nformation", "manufacturer"),
    (r"Regionala cancercentrum", "institutional"),
    (r"Skyscape|MIMS|press release|HOPA", "secondary"),
    (r"her2dose local policy", "policy"),
]
# what a user reads cites public documents only: no research notes or internal references
BANNED = re.compile(
    r"labels\.md|digest|verbatim|not read|cut off|pass 2|issue|unverified|not verified"
    r"|could not|openfda|via ",
    re.IGNORECASE,
)


def tables_with_sources(value, where="file"):
    if isinstance(value, dict):
        if "source" in value:
            yield where, value
        for key, item in value.items():
            yield from tables_with_sources(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from tables_with_sources(item, f"{where}[{i}]")


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_each_evidence_level_is_the_weakest_document_its_source_cites():
    data = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    found = list(tables_with_sources(data))
    assert len(found) > 240
    for where, table in found:
        cited = [level for pattern, level in DOCUMENTS if re.search(pattern, table["source"])]
        assert cited, (where, table["source"])
        assert table["evidence"] == weakest(*cited), (where, table["source"])


def test_no_text_of_the_file_names_research_notes():
    text = SHIPPED.read_text(encoding="utf-8")
    assert BANNED.findall(text) == []
    assert all(not BANNED.search(s) for s in strings(tomllib.loads(text)))
