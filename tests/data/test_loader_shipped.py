"""The shipped regimens.toml against the verified label digest (shared/reference/labels.md):
its regimens, vials, reminders, courses, missed-dose rules and storage facts.

Each expected number below is copied from labels.md, with the section it comes from; if
the file and the digest disagree, the file is wrong.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from her2dose.commands import selection
from her2dose.commands.plan import compute_plan
from her2dose.errors import InputError, UnknownNameError
from her2dose.model.courses import AS_SOON_AS_POSSIBLE, FIXED_DOSE_TRANSITION, NOT_ENCODED, RELOAD
from her2dose.model.plan import PlanRequest

D = Decimal


def mgkg(q) -> Decimal:
    return q.m_as("mg/kg")


def minutes(q) -> Decimal:
    return q.m_as("min")


# regimen id -> (molecule, indication, schedule -> (interval days, phase -> (mg/kg, first
# min, subsequent min)), levels mg/kg from level 0 down, action after the last level)
ENHERTU_54 = {"q3w": (21, {"standard": ("5.4", 90, 30)})}
KADCYLA = {"q3w": (21, {"standard": ("3.6", 90, 30)})}
# Trastuzumab IV (labels.md §3.1): q3w 8 mg/kg over 90 min then 6 mg/kg over 30-90 min
# (encoded 90 for a first, 30 for a later well-tolerated infusion); weekly 4 mg/kg over
# 90 min then 2 mg/kg over 30 min.
TRASTUZUMAB_Q3W = (21, {"loading": ("8", 90, 90), "maintenance": ("6", 90, 30)})
TRASTUZUMAB_WEEKLY = (7, {"loading": ("4", 90, 90), "maintenance": ("2", 30, 30)})

GOLDEN = {
    # labels.md §1.2, §1.3 Table 1, §1.6
    "tdxd-breast": (
        "trastuzumab-deruxtecan",
        "breast",
        ENHERTU_54,
        ["5.4", "4.4", "3.2"],
        "discontinue",
    ),
    "tdxd-nsclc": (
        "trastuzumab-deruxtecan",
        "nsclc",
        ENHERTU_54,
        ["5.4", "4.4", "3.2"],
        "discontinue",
    ),
    "tdxd-solid-tumors": (
        "trastuzumab-deruxtecan",
        "solid-tumors",
        ENHERTU_54,
        ["5.4", "4.4", "3.2"],
        "discontinue",
    ),
    # gastric is 6.4 mg/kg (Highlights, Table 1); 6.6 mg/kg is a known secondary-source error
    "tdxd-gastric": (
        "trastuzumab-deruxtecan",
        "gastric",
        {"q3w": (21, {"standard": ("6.4", 90, 30)})},
        ["6.4", "5.4", "4.4"],
        "discontinue",
    ),
    # labels.md §2.2, §2.3, §2.6
    "kadcyla-metastatic-breast": (
        "ado-trastuzumab-emtansine",
        "metastatic-breast",
        KADCYLA,
        ["3.6", "3.0", "2.4"],
        "discontinue",
    ),
    "kadcyla-early-breast": (
        "ado-trastuzumab-emtansine",
        "early-breast",
        KADCYLA,
        ["3.6", "3.0", "2.4"],
        "discontinue",
    ),
    # labels.md §3.1
    "trastuzumab-adjuvant-breast": (
        "trastuzumab",
        "adjuvant-breast",
        {"q3w": TRASTUZUMAB_Q3W, "weekly": TRASTUZUMAB_WEEKLY},
        [],
        None,
    ),
    "trastuzumab-metastatic-breast": (
        "trastuzumab",
        "metastatic-breast",
        {"q3w": TRASTUZUMAB_Q3W, "weekly": TRASTUZUMAB_WEEKLY},
        [],
        None,
    ),
    "trastuzumab-gastric": ("trastuzumab", "gastric", {"q3w": TRASTUZUMAB_Q3W}, [], None),
    # labels.md §5: 15 mg/kg q3w, 120 min first, at least 30 min after; no reductions
    "margenza-metastatic-breast": (
        "margetuximab",
        "metastatic-breast",
        {"q3w": (21, {"standard": ("15", 120, 30)})},
        ["15"],
        None,
    ),
}


def test_shipped_file_loads(book):
    assert book.path.endswith("regimens.toml")
    assert len(book.sha256) == 64


@pytest.mark.parametrize("rid", sorted(GOLDEN))
def test_regimen_numbers_match_the_label(book, rid):
    molecule, indication, schedules, levels, further = GOLDEN[rid]
    r = book.regimens[rid]
    assert r.molecule_id == molecule
    assert r.indication == indication
    assert r.basis == "per_kg"
    assert r.source
    assert set(r.schedules) == set(schedules)
    for sname, (days, phases) in schedules.items():
        s = r.schedules[sname]
        assert s.interval.m_as("day") == days
        assert set(s.phases) == set(phases)
        for pname, (dose, first, later) in phases.items():
            p = s.phases[pname]
            assert mgkg(p.dose) == D(dose), (rid, sname, pname)
            assert minutes(p.infusion_first) == first
            assert minutes(p.infusion_subsequent) == later
            assert p.source
    assert [mgkg(lv.dose) for lv in r.levels] == [D(x) for x in levels]
    assert [lv.level for lv in r.levels] == list(range(0, -len(levels), -1))
    assert all(lv.source for lv in r.levels)
    if further is None:
        assert not r.has_reductions
    else:
        assert r.further_reduction is not None
        assert r.further_reduction.text == further
        assert r.further_reduction.source


def test_enhertu_gastric_is_6_4_not_6_6(book):
    assert mgkg(book.regimens["tdxd-gastric"].schedules["q3w"].phases["standard"].dose) == D("6.4")
    for r in book.regimens.values():
        for s in r.schedules.values():
            for p in s.phases.values():
                if r.basis == "per_kg":
                    assert mgkg(p.dose) != D("6.6"), r.id
        for lv in r.levels:
            assert mgkg(lv.dose) != D("6.6"), r.id


def test_enhertu_nsclc_is_5_4_not_the_studied_6_4(book):
    assert mgkg(book.regimens["tdxd-nsclc"].levels[0].dose) == D("5.4")


def test_kadcyla_never_above_3_6_mg_per_kg(book):
    for rid in ("kadcyla-metastatic-breast", "kadcyla-early-breast"):
        r = book.regimens[rid]
        assert r.max_dose is not None
        assert mgkg(r.max_dose.dose) == D("3.6")
        assert all(mgkg(lv.dose) <= D("3.6") for lv in r.levels)


def vial_table(book, pid):
    return {v.strength.m_as("mg"): v for v in book.products[pid].vials}


def test_enhertu_vial_and_preparation(book):
    # labels.md §1.1, §1.7: 100 mg single-dose vial, 5 mL sterile water -> 20 mg/mL;
    # 100 mL 5% dextrose, sodium chloride forbidden, 0.2/0.22 micron PES or PSU filter
    vials = vial_table(book, "enhertu")
    assert set(vials) == {D(100)}
    v = vials[D(100)]
    assert not v.multiple_dose
    assert v.reconstitute_with.m_as("mL") == 5
    assert v.reconstitution_fluid == "water for injection"  # the EU wording read
    assert v.evidence == "eu-label"
    assert v.concentration.m_as("mg/mL") == 20
    prep = book.molecules["trastuzumab-deruxtecan"].preparation
    assert "Dextrose" in prep.diluent and "5%" in prep.diluent
    assert prep.bag_volume.m_as("mL") == 100
    assert any("Sodium Chloride" in f for f in prep.forbidden)
    assert "0.2" in prep.filter and "PES" in prep.filter
    # the dextrose bag and filter rest on an institutional protocol, the NaCl ban on EU text
    assert prep.evidence == "institutional"
    assert prep.evidence_of("forbidden") == "eu-label"
    assert prep.evidence_of("diluent") == "institutional"


def test_kadcyla_vials_and_preparation(book):
    # labels.md §2.1, §2.7: 100 mg (5 mL) and 160 mg (8 mL) sterile water -> 20 mg/mL;
    # 250 mL 0.9% sodium chloride, no dextrose, 0.2/0.22 micron PES filter
    vials = vial_table(book, "kadcyla")
    assert set(vials) == {D(100), D(160)}
    for strength, water in ((D(100), 5), (D(160), 8)):
        v = vials[strength]
        assert not v.multiple_dose
        assert v.reconstitute_with.m_as("mL") == water
        assert v.concentration.m_as("mg/mL") == 20
    prep = book.molecules["ado-trastuzumab-emtansine"].preparation
    assert "0.9% Sodium Chloride" in prep.diluent
    assert prep.bag_volume.m_as("mL") == 250
    assert any("Dextrose" in f for f in prep.forbidden)
    assert "0.2" in prep.filter and "PES" in prep.filter


def test_ogivri_vials(book):
    # labels.md §3.4: 150 mg single-dose, 7.4 mL SWFI, delivers 7.15 mL at 21 mg/mL;
    # 420 mg multiple-dose, 20 mL BWFI, 21 mg/mL; its in-use time is not encoded (28 days
    # is read only in the older HERCEPTIN label, not OGIVRI's)
    vials = vial_table(book, "ogivri")
    assert set(vials) == {D(150), D(420)}
    sdv, mdv = vials[D(150)], vials[D(420)]
    assert not sdv.multiple_dose
    assert sdv.reconstitute_with.m_as("mL") == D("7.4")
    assert sdv.deliverable_volume.m_as("mL") == D("7.15")
    assert sdv.concentration.m_as("mg/mL") == 21
    assert mdv.multiple_dose
    assert mdv.reconstitute_with.m_as("mL") == 20
    assert "Bacteriostatic" in mdv.reconstitution_fluid
    assert mdv.concentration.m_as("mg/mL") == 21
    assert mdv.in_use is None and mdv.in_use_storage is None


def test_trastuzumab_products_share_regimens_not_vials(book):
    products = {p.id for p in book.products_of("trastuzumab")}
    assert {
        "herceptin",
        "ogivri",
        "herzuma",
        "ontruzant",
        "trazimera",
        "kanjinti",
        "hercessi",
    } <= products
    # HERCEPTIN US: only the 150 mg single-dose vial is verified (labels.md §8)
    assert set(vial_table(book, "herceptin")) == {D(150)}
    for pid in products:
        for v in book.products[pid].vials:
            # 21 mg/mL where a label of the product states it; HERZUMA and HERCESSI: not
            # encoded (their US reconstitution is not verified)
            expected = None if pid in ("herzuma", "hercessi") else 21
            got = v.concentration.m_as("mg/mL") if v.concentration is not None else None
            assert got == expected, pid
    # no 420 mg vial has an encoded in-use time
    assert all(v.in_use is None for p in products for v in book.products[p].vials)
    prep = book.molecules["trastuzumab"].preparation
    assert "0.9% Sodium Chloride" in prep.diluent
    assert prep.bag_volume.m_as("mL") == 250
    assert any("Dextrose" in f for f in prep.forbidden)
    assert prep.filter is None  # no filter statement in any trastuzumab label seen


def test_margenza_vial_is_a_250_mg_per_10_ml_solution(book):
    vials = vial_table(book, "margenza")
    assert set(vials) == {D(250)}
    v = vials[D(250)]
    assert v.concentration.m_as("mg/mL") == 25
    assert v.deliverable_volume.m_as("mL") == 10
    assert v.reconstitute_with is None
    # diluent, bag and filter are unverified (labels.md §5): not encoded
    assert book.molecules["margetuximab"].preparation is None


@pytest.mark.parametrize(
    ("molecule", "boxed", "substitute"),
    [
        (
            "trastuzumab-deruxtecan",
            "INTERSTITIAL LUNG DISEASE and EMBRYO-FETAL TOXICITY",
            "Do not substitute ENHERTU for or with trastuzumab or ado-trastuzumab emtansine.",
        ),
        (
            "ado-trastuzumab-emtansine",
            "HEPATOTOXICITY, CARDIAC TOXICITY, EMBRYO-FETAL TOXICITY",
            "Do not substitute trastuzumab for or with KADCYLA.",
        ),
        (
            "trastuzumab",
            "CARDIOMYOPATHY, INFUSION REACTIONS, EMBRYO-FETAL TOXICITY",
            "Do not substitute trastuzumab for or with ado-trastuzumab emtansine or "
            "fam-trastuzumab deruxtecan.",
        ),
        ("margetuximab", "LEFT VENTRICULAR DYSFUNCTION", None),
    ],
)
def test_boxed_warning_and_do_not_substitute(book, molecule, boxed, substitute):
    reminders = {r.kind: r for r in book.molecules[molecule].reminders}
    assert boxed in reminders["boxed warning"].text
    assert reminders["boxed warning"].source
    if substitute is not None:
        assert substitute in reminders["do not substitute"].text


def test_no_re_escalation_for_the_adcs(book):
    for mid, brand in (
        ("trastuzumab-deruxtecan", "ENHERTU"),
        ("ado-trastuzumab-emtansine", "KADCYLA"),
    ):
        rule = book.molecules[mid].no_re_escalation
        assert rule is not None
        assert f"Do not re-escalate the {brand} dose" in rule.text


def test_every_quantity_has_a_source(book):
    for m in book.molecules.values():
        assert m.source
        for r in m.reminders:
            assert r.source
    for p in book.products.values():
        assert p.source
        assert all(v.source for v in p.vials)
    for r in book.regimens.values():
        assert r.source
        assert all(s.source for s in r.schedules.values())


# -- name resolution ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "molecule", "product"),
    [
        ("enhertu", "trastuzumab-deruxtecan", "enhertu"),
        ("ENHERTU", "trastuzumab-deruxtecan", "enhertu"),
        ("t-dxd", "trastuzumab-deruxtecan", None),
        ("T-DXd", "trastuzumab-deruxtecan", None),
        ("trastuzumab-deruxtecan", "trastuzumab-deruxtecan", None),
        ("trastuzumab deruxtecan", "trastuzumab-deruxtecan", None),
        ("kadcyla", "ado-trastuzumab-emtansine", "kadcyla"),
        ("t-dm1", "ado-trastuzumab-emtansine", None),
        ("herceptin", "trastuzumab", "herceptin"),
        ("trastuzumab", "trastuzumab", None),
        ("Ogivri", "trastuzumab", "ogivri"),
        ("trastuzumab-dkst", "trastuzumab", "ogivri"),
        ("margenza", "margetuximab", "margenza"),
    ],
)
def test_resolve_drug(book, name, molecule, product):
    m, p = selection.resolve_drug(book, name)
    assert m.id == molecule
    assert (p.id if p else None) == product


def test_unknown_drug_suggests_close_names(book):
    with pytest.raises(UnknownNameError) as info:
        selection.resolve_drug(book, "enhertoo")
    assert "did you mean 'enhertu'" in str(info.value)
    assert info.value.field == "drug"


def test_missing_choices_list_the_valid_values(book):
    with pytest.raises(InputError) as info:
        selection.select(book, "enhertu")
    for indication in ("breast", "nsclc", "solid-tumors", "gastric"):
        assert indication in str(info.value)
    with pytest.raises(InputError) as info:
        selection.select(book, "trastuzumab", indication="metastatic-breast")
    assert "ogivri" in str(info.value) and "herceptin" in str(info.value)


def test_shipped_courses(book):
    kadcyla = book.courses["kadcyla-early-breast"]
    assert kadcyla.cycles == 14 and kadcyla.duration is None and kadcyla.until is None
    adjuvant = book.courses["trastuzumab-adjuvant-breast"]
    assert adjuvant.duration.m_as("day") == 364
    assert "beyond one year" in adjuvant.limit
    pattern = adjuvant.patterns["adjuvant-weekly-then-q3w"]
    assert (pattern.first, pattern.then) == ("weekly", "q3w")
    assert {k: int(v.m_as("week")) for k, v in pattern.first_for.items()} == {
        "paclitaxel": 12,
        "docetaxel": 12,
        "docetaxel-carboplatin": 18,
    }
    assert book.courses["tdxd-breast"].until == "disease progression or unacceptable toxicity"
    assert all(c.source for c in book.courses.values())
    # not in the verified digest: no course entry, so `schedule` asks for --cycles/--weeks
    assert "tdxd-nsclc" not in book.courses and "perjeta-breast" not in book.courses


def test_shipped_missed_dose_rules(book):
    rules = book.missed_doses
    assert rules["trastuzumab"].rule == RELOAD
    assert rules["trastuzumab"].reload_after.m_as("day") == 7
    for mid in ("trastuzumab-deruxtecan", "ado-trastuzumab-emtansine", "margetuximab"):
        assert rules[mid].rule == AS_SOON_AS_POSSIBLE
    assert rules["trastuzumab-deruxtecan"].same_dose_and_rate
    assert not rules["margetuximab"].same_dose_and_rate  # the MARGENZA label does not say so
    assert rules["pertuzumab"].rule == NOT_ENCODED
    phesgo = rules["pertuzumab-trastuzumab-hyaluronidase"]
    assert phesgo.rule == FIXED_DOSE_TRANSITION
    assert phesgo.reload_at.m_as("day") == 42 and phesgo.interval.m_as("day") == 21
    assert phesgo.doses["loading"].dose.startswith("1,200 mg pertuzumab / 600 mg trastuzumab")
    assert phesgo.doses["loading"].volume.m_as("mL") == 15
    assert phesgo.doses["maintenance"].volume.m_as("mL") == 10
    assert all(r.source for r in rules.values())


def test_shipped_storage_facts(book):
    enhertu = book.storage["trastuzumab-deruxtecan"]
    assert [(r.stage, r.storage, r.hold.m_as("h"), r.counted_from) for r in enhertu.use_by] == [
        ("reconstituted", "refrigerated", 24, "reconstitution"),
        ("diluted", "room_temperature", 4, "reconstitution"),
        ("diluted", "refrigerated", 24, "reconstitution"),
    ]
    assert all(r.source for s in book.storage.values() for r in s.use_by)
    assert book.storage["ogivri"].without_benzyl_alcohol.source == "OGIVRI US PI §11"
    assert "trastuzumab" not in {k for k, s in book.storage.items() if s.use_by}


def test_plan_phesgo_is_a_clear_error_not_an_iv_bag(book):
    with pytest.raises(InputError) as info:
        compute_plan(book, PlanRequest(drug="phesgo", weight="70 kg"))
    message = str(info.value)
    assert "subcutaneous" in message and "her2dose next phesgo" in message
    assert info.value.field == "drug"


def test_plan_perjeta_is_a_flat_dose_in_a_250_ml_bag(book):
    loading = compute_plan(book, PlanRequest(drug="perjeta", weight="70 kg", phase="loading"))
    assert loading.dose.m_as("mg") == 840
    assert [(c.vial.strength.m_as("mg"), c.count) for c in loading.vials.counts] == [(420, 2)]
    assert loading.infusion.drug_volume.m_as("mL") == 28
    assert loading.infusion.total_volume.m_as("mL") == 278  # the drug is added, no saline out
    assert loading.infusion.minutes.m_as("min") == 60
    heavy = compute_plan(
        book,
        PlanRequest(drug="perjeta", weight="120 kg", phase="maintenance", infusion="subsequent"),
    )
    assert heavy.dose.m_as("mg") == 420  # flat: the weight does not change it
    assert heavy.infusion.minutes.m_as("min") == 30
