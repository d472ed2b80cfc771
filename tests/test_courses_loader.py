"""Loading [courses.*], [missed_doses.*] and the not_planned molecule (issue 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from her2dose.commands.plan import compute_plan
from her2dose.data import loader as regimens
from her2dose.errors import InputError, RegimenFileError
from her2dose.model.courses import AS_SOON_AS_POSSIBLE, FIXED_DOSE_TRANSITION, NOT_ENCODED, RELOAD
from her2dose.model.plan import PlanRequest

SHIPPED = Path(__file__).resolve().parents[1] / "regimens.toml"


def load_with(tmp_path, extra: str = "", replace: tuple[str, str] | None = None):
    text = SHIPPED.read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text, replace[0]
        text = text.replace(replace[0], replace[1])
    path = tmp_path / "regimens.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return regimens.load(path)


def problems(tmp_path, extra: str = "", replace: tuple[str, str] | None = None) -> list[str]:
    with pytest.raises(RegimenFileError) as info:
        load_with(tmp_path, extra, replace)
    return info.value.problems


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


def test_unknown_regimen_and_molecule_ids_are_rejected_together(tmp_path):
    found = problems(
        tmp_path,
        """
[courses.no-such-regimen]
cycles = 3
source = "x"

[missed_doses.no-such-molecule]
rule = "not-encoded"
text = "x"
source = "x"
""",
    )
    assert any(p.startswith("courses.no-such-regimen: unknown regimen") for p in found)
    assert any(p.startswith("missed_doses.no-such-molecule: unknown molecule") for p in found)


def test_source_required(tmp_path):
    found = problems(
        tmp_path,
        replace=(
            'cycles = 14\nlimit = "Early breast cancer: a total of 14 cycles unless there is disease '
            'recurrence or unmanageable toxicity."\nsource = ',
            'cycles = 14\nlimit = "x"\nnot_source = ',
        ),
    )
    assert "courses.kadcyla-early-breast.source: missing (a text value is required)" in found
    assert any("courses.kadcyla-early-breast.not_source: unknown field" in p for p in found)


def test_course_field_checks(tmp_path):
    found = problems(
        tmp_path,
        """
[courses.tdxd-nsclc]
cycles = 0
duration = "10.5 day"
schedules = ["weekly"]
source = "x"

[courses.tdxd-solid-tumors]
cycles = 4
until = "progression"
source = "x"
""",
    )
    assert any("courses.tdxd-nsclc.cycles: must be a whole number" in p for p in found)
    assert any("courses.tdxd-nsclc.duration: must be a whole number of days" in p for p in found)
    assert any("courses.tdxd-nsclc.schedules: 'weekly' is neither" in p for p in found)
    assert any(
        "courses.tdxd-solid-tumors: give only one of cycles, duration, until" in p for p in found
    )


def test_pattern_checks(tmp_path):
    found = problems(
        tmp_path,
        """
[courses.tdxd-nsclc]
until = "progression"
source = "x"

[courses.tdxd-nsclc.patterns.weekly-then-q3w]
description = "x"
first = "weekly"
then = "q3w"
switch_after = "1 mL"
source = "x"

[courses.tdxd-nsclc.patterns.weekly-then-q3w.first_for]
paclitaxel = "12 week"
""",
    )
    where = "courses.tdxd-nsclc.patterns.weekly-then-q3w"
    assert any(p.startswith(f"{where}.first: 'weekly' is not a schedule") for p in found)
    assert any(p.startswith(f"{where}.switch_after:") and "duration" in p for p in found)


def test_missed_dose_rule_checks(tmp_path):
    found = problems(
        tmp_path,
        replace=(
            'rule = "as-soon-as-possible"\nsame_dose_and_rate = false',
            'rule = "sometime"\nsame_dose_and_rate = false',
        ),
        extra="""
[missed_doses.ado-trastuzumab-emtansine-x]
rule = "reload"
""",
    )
    assert any(
        p.startswith("missed_doses.margetuximab.rule: 'sometime' is not one of") for p in found
    )
    assert any(
        p.startswith("missed_doses.ado-trastuzumab-emtansine-x: unknown molecule") for p in found
    )


def test_reload_rule_needs_a_loading_dose(tmp_path):
    found = problems(
        tmp_path,
        replace=(
            '[missed_doses.trastuzumab-deruxtecan]\nrule = "as-soon-as-possible"\n'
            "same_dose_and_rate = true",
            '[missed_doses.trastuzumab-deruxtecan]\nrule = "reload"\nreload_after = "7 day"',
        ),
    )
    assert any("rule 'reload' needs a loading dose, but regimen 'tdxd-breast'" in p for p in found)


def test_fixed_dose_transition_needs_both_doses(tmp_path):
    found = problems(
        tmp_path,
        replace=(
            "[missed_doses.pertuzumab-trastuzumab-hyaluronidase.loading]",
            "[missed_doses.pertuzumab-trastuzumab-hyaluronidase.initial]",
        ),
    )
    assert any(
        "missed_doses.pertuzumab-trastuzumab-hyaluronidase: missing table 'loading'" in p
        for p in found
    )
    assert any("pertuzumab-trastuzumab-hyaluronidase.initial: unknown field" in p for p in found)


def test_not_planned_molecule_needs_no_product_but_may_have_no_regimen(tmp_path):
    found = problems(
        tmp_path,
        """
[regimens.phesgo-breast]
molecule = "pertuzumab-trastuzumab-hyaluronidase"
indication = "breast"
description = "x"
basis = "flat"
source = "x"

[regimens.phesgo-breast.schedules.q3w]
interval = "21 day"
source = "x"

[regimens.phesgo-breast.schedules.q3w.phases.standard]
dose = "600 mg"
infusion_first = "5 min"
infusion_subsequent = "5 min"
source = "x"
""",
    )
    assert found == [
        "molecules.pertuzumab-trastuzumab-hyaluronidase.not_planned: "
        "a molecule with regimens is planned"
    ]


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
