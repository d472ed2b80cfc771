"""A broken regimens file per validation rule: exit 3, every problem named, never a dose.

One table per section of the file. Each broken file is the shipped regimens.toml with one
edit (string replace), anchored on a table header so the edit hits exactly the entry
named in the test. Rows: (id, [(old, new)], where (entry.field), what the message says).
"""

from __future__ import annotations

import pytest
from conftest import broken_copy

from her2dose.data import loader as regimens
from her2dose.errors import RegimenFileError

PHASE_54 = "[regimens.tdxd-breast.schedules.q3w.phases.standard]\n"
MARGENZA_PHASE = "[regimens.margenza-metastatic-breast.schedules.q3w.phases.standard]\n"
MARGENZA_VIAL = "[[products.margenza.vials]]\n"
ENHERTU_VIAL = "[[products.enhertu.vials]]\n"

# [policy]
POLICY = [
    (
        "nan-policy-number",
        [("dose_tolerance_pct = 5", "dose_tolerance_pct = nan")],
        "policy.dose_tolerance_pct",
        "must be zero or more",
    ),
    (
        "inf-policy-number",
        [("dose_tolerance_pct = 5", "dose_tolerance_pct = inf")],
        "policy.dose_tolerance_pct",
        "must be zero or more",
    ),
    (
        "weight-floor-above-warning",
        [('weight_reject_below = "1 kg"', 'weight_reject_below = "40 kg"')],
        "policy",
        "need weight_reject_below <= weight_warn_below",
    ),
    (
        "weight-floor-not-a-mass",
        [('weight_reject_below = "1 kg"', 'weight_reject_below = "1 mL"')],
        "policy.weight_reject_below",
        "is a volume",
    ),
    (
        "missing-policy-threshold",
        [("weight_change_pct = 10\n", "")],
        "policy.weight_change_pct",
        "missing",
    ),
    (
        "vial-rounding-above-the-ceiling",
        [("round_to_vial_pct = 0", "round_to_vial_pct = 15")],
        "policy.round_to_vial_pct",
        "15% is above rounding_max_pct (10%)",
    ),
    (
        "rounding-ceiling-out-of-range",
        [("rounding_max_pct = 10", "rounding_max_pct = 100")],
        "policy.rounding_max_pct",
        "must be more than 0 and less than 100",
    ),
    (
        "weight-change-zero",
        [("weight_change_pct = 10", "weight_change_pct = 0")],
        "policy.weight_change_pct",
        "must be more than 0 and less than 100",
    ),
    (
        "exclusion-unknown-drug",
        [("round_to_vial_exclude = []", 'round_to_vial_exclude = ["aspirin"]')],
        "policy.round_to_vial_exclude",
        "unknown drug 'aspirin'",
    ),
]

# [molecules.*]
MOLECULES = [
    (
        "bag-is-a-mass",
        [('bag_volume = "100 mL"', 'bag_volume = "100 mg"')],
        "molecules.trastuzumab-deruxtecan.preparation.bag_volume",
        "expected a volume",
    ),
]

# [products.*] and their [[vials]]; names shared across entries
PRODUCTS = [
    (
        "strength-is-a-volume",
        [(ENHERTU_VIAL + 'strength = "100 mg"', ENHERTU_VIAL + 'strength = "100 mL"')],
        "products.enhertu.vials[0].strength",
        "is a volume, expected a mass",
    ),
    (
        "concentration-is-a-mass",
        [('concentration = "25 mg/mL"', 'concentration = "25 mg"')],
        "products.margenza.vials[0].concentration",
        "is a mass, expected a concentration",
    ),
    (
        "zero-strength",
        [(ENHERTU_VIAL + 'strength = "100 mg"', ENHERTU_VIAL + 'strength = "0 mg"')],
        "products.enhertu.vials[0].strength",
        "must be a positive number",
    ),
    (
        "product-unknown-molecule",
        [
            (
                '[products.margenza]\nbrand = "MARGENZA"\nmolecule = "margetuximab"',
                '[products.margenza]\nbrand = "MARGENZA"\nmolecule = "margetuximib"',
            )
        ],
        "products.margenza.molecule",
        "unknown molecule 'margetuximib'",
    ),
    (
        "alias-used-by-two-products",
        [('aliases = ["ogivri", "trastuzumab-dkst"]', 'aliases = ["ogivri", "herzuma"]')],
        "products.",
        "name 'herzuma' is also used by product",
    ),
    (
        "molecule-alias-is-a-brand",
        [
            (
                'aliases = ["margetuximab", "margetuximab-cmkb"]',
                'aliases = ["margetuximab", "margetuximab-cmkb", "kadcyla"]',
            )
        ],
        "kadcyla",
        "is also used by",
    ),
    (
        "concentration-disagrees-by-more-than-5-percent",
        [
            (
                MARGENZA_VIAL + 'strength = "250 mg"\nmultiple_dose = false\n'
                'concentration = "25 mg/mL"\ndeliverable_volume = "10 mL"',
                MARGENZA_VIAL + 'strength = "250 mg"\nmultiple_dose = false\n'
                'concentration = "25 mg/mL"\ndeliverable_volume = "11 mL"',
            )
        ],
        "products.margenza.vials[0].concentration",
        "disagrees with strength / deliverable volume",
    ),
    (
        "unknown-product-field",
        [
            (
                '[products.margenza]\nbrand = "MARGENZA"',
                '[products.margenza]\nbrand = "MARGENZA"\ncolour = "red"',
            )
        ],
        "products.margenza.colour",
        "unknown field",
    ),
    (
        "missing-product-source",
        [
            (
                'form = "solution, single-dose vial (no reconstitution)"\nsource = "MARGENZA US PI §3"\n',
                'form = "solution, single-dose vial (no reconstitution)"\n',
            )
        ],
        "products.margenza.source",
        "missing",
    ),
    (
        "missing-vial-source",
        [
            (
                'deliverable_volume = "10 mL"\nsource = "MARGENZA US PI §3',
                'deliverable_volume = "10 mL"\n# source = "MARGENZA US PI §3',
            )
        ],
        "products.margenza.vials[0].source",
        "missing",
    ),
]

# [regimens.*]: schedules, phases, reductions
REGIMENS = [
    (
        "dose-is-a-mass",
        [(PHASE_54 + 'dose = "5.4 mg/kg"', PHASE_54 + 'dose = "5.4 mg"')],
        "regimens.tdxd-breast.schedules.q3w.phases.standard.dose",
        "is a mass, expected a dose per body weight",
    ),
    (
        "dose-is-a-concentration",
        [(MARGENZA_PHASE + 'dose = "15 mg/kg"', MARGENZA_PHASE + 'dose = "15 mg/mL"')],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.dose",
        "is a concentration, expected a dose per body weight",
    ),
    (
        "duration-is-a-volume",
        [
            (
                MARGENZA_PHASE + 'dose = "15 mg/kg"\ninfusion_first = "120 min"',
                MARGENZA_PHASE + 'dose = "15 mg/kg"\ninfusion_first = "120 mL"',
            )
        ],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.infusion_first",
        "is a volume, expected a duration",
    ),
    (
        "interval-is-a-mass",
        [
            (
                '[regimens.margenza-metastatic-breast.schedules.q3w]\ninterval = "21 day"',
                '[regimens.margenza-metastatic-breast.schedules.q3w]\ninterval = "21 kg"',
            )
        ],
        "regimens.margenza-metastatic-breast.schedules.q3w.interval",
        "expected a duration",
    ),
    (
        "dose-without-unit",
        [(MARGENZA_PHASE + 'dose = "15 mg/kg"', MARGENZA_PHASE + "dose = 15")],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.dose",
        "must be a text with a unit",
    ),
    (
        "zero-dose",
        [(MARGENZA_PHASE + 'dose = "15 mg/kg"', MARGENZA_PHASE + 'dose = "0 mg/kg"')],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.dose",
        "must be a positive number",
    ),
    (
        "negative-dose",
        [(MARGENZA_PHASE + 'dose = "15 mg/kg"', MARGENZA_PHASE + 'dose = "-15 mg/kg"')],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.dose",
        "must be a positive number",
    ),
    (
        "nan-dose",
        [(MARGENZA_PHASE + 'dose = "15 mg/kg"', MARGENZA_PHASE + 'dose = "nan mg/kg"')],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.dose",
        "nan mg/kg",
    ),
    (
        "inf-dose",
        [(MARGENZA_PHASE + 'dose = "15 mg/kg"', MARGENZA_PHASE + 'dose = "inf mg/kg"')],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.dose",
        "inf mg/kg",
    ),
    (
        "level-equal-to-the-one-before",
        [
            (
                'name = "second dose reduction"\ndose = "3.2 mg/kg"',
                'name = "second dose reduction"\ndose = "4.4 mg/kg"',
            )
        ],
        "regimens.tdxd-breast.reductions[1].dose",
        "must be strictly below level -1",
    ),
    (
        "level-above-the-starting-dose",
        [
            (
                '[[regimens.tdxd-gastric.reductions]]\nname = "first dose reduction"\n'
                'dose = "5.4 mg/kg"',
                '[[regimens.tdxd-gastric.reductions]]\nname = "first dose reduction"\n'
                'dose = "6.6 mg/kg"',
            )
        ],
        "regimens.tdxd-gastric.reductions[0].dose",
        "must be strictly below level 0",
    ),
    (
        "regimen-unknown-molecule",
        [
            (
                '[regimens.margenza-metastatic-breast]\nmolecule = "margetuximab"',
                '[regimens.margenza-metastatic-breast]\nmolecule = "margetuximabb"',
            )
        ],
        "regimens.margenza-metastatic-breast.molecule",
        "unknown molecule 'margetuximabb'",
    ),
    (
        "indication-used-twice",
        [('indication = "nsclc"', 'indication = "breast"')],
        "regimens.tdxd-",
        "indication 'breast' is also used by regimen",
    ),
    (
        "unknown-phase-field (a typo'd dose)",
        [(MARGENZA_PHASE + 'dose = "15 mg/kg"', MARGENZA_PHASE + 'dose = "15 mg/kg"\ndoze = "1"')],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.doze",
        "unknown field",
    ),
    (
        "missing-phase-source",
        [
            (
                'infusion_subsequent = "30 min"\nsource = "MARGENZA US PI §2.1 (15 mg/kg',
                'infusion_subsequent = "30 min"\nsauce = "MARGENZA US PI §2.1 (15 mg/kg',
            )
        ],
        "regimens.margenza-metastatic-breast.schedules.q3w.phases.standard.source",
        "missing",
    ),
]

CASES = POLICY + MOLECULES + PRODUCTS + REGIMENS


@pytest.mark.parametrize(
    ("edits", "where", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_file_exits_3_naming_file_entry_and_field(cli, tmp_path, edits, where, says):
    path = broken_copy(tmp_path, edits)
    result = cli(
        "plan",
        "enhertu",
        "--indication",
        "breast",
        "--weight",
        "72 kg",
        "--format",
        "json",
        "--regimens",
        str(path),
    )
    assert result.exit_code == 3
    assert result.stdout == ""  # a broken file never yields a dose
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: invalid regimens file {path}")
    lines = [line for line in result.stderr.splitlines() if where in line]
    assert lines, f"no problem names {where!r}"
    assert any(says in line for line in lines), lines


@pytest.mark.parametrize(
    ("edits", "where", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_file_raises_from_load(tmp_path, edits, where, says):
    path = broken_copy(tmp_path, edits)
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path)
    assert info.value.path == str(path)
    assert any(where in p and says in p for p in info.value.problems), info.value.problems


def test_invalid_toml(cli, tmp_path):
    path = broken_copy(tmp_path, [('brand = "MARGENZA"', 'brand = "MARGENZA')])
    result = cli("regimens", "--regimens", str(path))
    assert result.exit_code == 3
    assert f"invalid regimens file {path}" in result.stderr
    assert "not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_exits_3(cli, tmp_path):
    path = tmp_path / "nowhere.toml"
    result = cli("plan", "margenza", "--weight", "70 kg", "--regimens", str(path))
    assert result.exit_code == 3
    assert str(path) in result.stderr
    assert "cannot read" in result.stderr


def test_several_problems_are_reported_at_once(cli, tmp_path):
    edits = [
        (PHASE_54 + 'dose = "5.4 mg/kg"', PHASE_54 + 'dose = "5.4 mL"'),
        ('concentration = "25 mg/mL"', 'concentration = "25 mg"'),
        (
            '[products.margenza]\nbrand = "MARGENZA"',
            '[products.margenza]\nbrand = "MARGENZA"\ncolour = "red"',
        ),
        (
            '[[regimens.tdxd-nsclc.reductions]]\nname = "first dose reduction"\ndose = "4.4 mg/kg"',
            '[[regimens.tdxd-nsclc.reductions]]\nname = "first dose reduction"\ndose = "5.4 mg/kg"',
        ),
    ]
    path = broken_copy(tmp_path, edits)
    result = cli("regimens", "--format", "json", "--regimens", str(path))
    assert result.exit_code == 3
    assert result.stdout == ""
    for where in (
        "regimens.tdxd-breast.schedules.q3w.phases.standard.dose",
        "products.margenza.vials[0].concentration",
        "products.margenza.colour",
        "regimens.tdxd-nsclc.reductions[0].dose",
    ):
        assert where in result.stderr
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path)
    assert len(info.value.problems) >= 4
    assert f"{len(info.value.problems)} problems" in result.stderr


def test_concentration_within_5_percent_is_accepted(tmp_path):
    # vials are overfilled: 250 mg / 10.4 mL = 24.04 mg/mL is 3.8% from the stated 25
    path = broken_copy(
        tmp_path, [('deliverable_volume = "10 mL"', 'deliverable_volume = "10.4 mL"')]
    )
    assert regimens.load(path).products["margenza"].vials[0].concentration.m_as("mg/mL") == 25


def test_environment_variable_selects_a_broken_file(cli, tmp_path, monkeypatch):
    path = broken_copy(tmp_path, [('concentration = "25 mg/mL"', 'concentration = "25 mg"')])
    monkeypatch.setenv("HER2DOSE_REGIMENS", str(path))
    result = cli("plan", "margenza", "--weight", "70 kg")
    assert result.exit_code == 3
    assert str(path) in result.stderr


def test_a_bad_starting_dose_is_one_problem_not_two(tmp_path):
    # the reductions are fine; only the starting dose is wrong, and only that is reported
    path = broken_copy(tmp_path, [(PHASE_54 + 'dose = "5.4 mg/kg"', PHASE_54 + 'dose = "5.4 mg"')])
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path)
    assert len(info.value.problems) == 1, info.value.problems
    assert "phases.standard.dose" in info.value.problems[0]


def test_reductions_on_a_regimen_with_several_doses_are_refused(tmp_path):
    # trastuzumab has loading and maintenance doses: dose levels would be ambiguous
    path = broken_copy(
        tmp_path,
        [
            (
                "[regimens.trastuzumab-gastric.schedules.q3w]\n",
                '[[regimens.trastuzumab-gastric.reductions]]\nname = "first dose reduction"\n'
                'dose = "4 mg/kg"\nsource = "made up"\n\n'
                "[regimens.trastuzumab-gastric.schedules.q3w]\n",
            )
        ],
    )
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path)
    assert any(
        "regimens.trastuzumab-gastric.reductions" in p and "exactly one dose" in p
        for p in info.value.problems
    ), info.value.problems


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            'form = "solution, single-dose vial (no reconstitution)"\nsource = "MARGENZA US PI §3"\n',
            'form = "solution, single-dose vial (no reconstitution)"\n',
            "products.margenza.source",
        ),
        (
            '[products.margenza]\nbrand = "MARGENZA"\n',
            "[products.margenza]\n",
            "products.margenza.brand",
        ),
    ],
)
def test_a_product_missing_a_field_is_one_problem_not_a_missing_product(tmp_path, old, new, where):
    path = broken_copy(tmp_path, [(old, new)])
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path)
    assert len(info.value.problems) == 1, info.value.problems
    assert info.value.problems[0].startswith(f"{where}: missing")


def test_policy_exclusion_by_any_drug_name(tmp_path):
    path = broken_copy(
        tmp_path,
        [("round_to_vial_exclude = []", 'round_to_vial_exclude = ["KADCYLA", "t-dxd"]')],
    )
    assert regimens.load(path).policy.round_to_vial_exclude == ("KADCYLA", "t-dxd")
