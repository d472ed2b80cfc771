"""A regimens file that cannot plan an absurd dose: every clinical number is written in the
label's unit and lies inside the range schema.py states for its kind.

Rows: (id, [(old, new)], entry.field named, what the message says); the CLI must exit 3
naming the file, and load() must name entry, field, value and range.
"""

from __future__ import annotations

import tomllib

import pytest
from conftest import SHIPPED, broken_copy
from mutator import mutants

from her2dose.data import loader as regimens
from her2dose.data import schema
from her2dose.errors import RegimenFileError

ENHERTU = "[regimens.tdxd-breast.schedules.q3w.phases.standard]\n"
KADCYLA = "[regimens.kadcyla-metastatic-breast.schedules.q3w.phases.standard]\n"
MARGENZA = "[regimens.margenza-metastatic-breast.schedules.q3w]\n"
PERJETA = "[regimens.perjeta-breast.schedules.q3w.phases.loading]\n"
P = "regimens.tdxd-breast.schedules.q3w.phases.standard"
LABEL_UNIT = "as the label writes it"

# each slip the file let through: a unit a label does not use, or a number out of range
SLIPS = [
    (
        "grams-per-kg",
        [(ENHERTU + 'dose = "5.4 mg/kg"', ENHERTU + 'dose = "5.4 g/kg"')],
        f"{P}.dose",
        "'5.4 g/kg': a per-kg dose is written in mg/kg, as the label writes it (allowed range "
        "0.5-30 mg/kg)",
    ),
    (
        "mg-per-gram",
        [(ENHERTU + 'dose = "5.4 mg/kg"', ENHERTU + 'dose = "6 mg/g"')],
        f"{P}.dose",
        LABEL_UNIT,
    ),
    (
        "micrograms-per-kg",
        [(ENHERTU + 'dose = "5.4 mg/kg"', ENHERTU + 'dose = "8 mcg/kg"')],
        f"{P}.dose",
        LABEL_UNIT,
    ),
    (
        "per-kg-dose-ten-times",
        [(ENHERTU + 'dose = "5.4 mg/kg"', ENHERTU + 'dose = "54 mg/kg"')],
        f"{P}.dose",
        "'54 mg/kg' is outside the plausible range for a per-kg dose (0.5-30 mg/kg)",
    ),
    (
        "flat-dose-in-grams",
        [(PERJETA + 'dose = "840 mg"', PERJETA + 'dose = "840 g"')],
        "regimens.perjeta-breast.schedules.q3w.phases.loading.dose",
        "'840 g': a flat dose is written in mg",
    ),
    (
        "flat-dose-ten-times",
        [(PERJETA + 'dose = "840 mg"', PERJETA + 'dose = "8400 mg"')],
        "regimens.perjeta-breast.schedules.q3w.phases.loading.dose",
        "outside the plausible range for a flat dose (50-2500 mg)",
    ),
    (
        "vial-in-grams",
        [('strength = "150 mg"', 'strength = "150 g"')],
        "products.herceptin.vials[0].strength",
        "a vial strength is written in mg",
    ),
    (
        "infusion-in-seconds",
        [
            (
                KADCYLA + 'dose = "3.6 mg/kg"\ninfusion_first = "90 min"',
                KADCYLA + 'dose = "3.6 mg/kg"\ninfusion_first = "90 s"',
            )
        ],
        "regimens.kadcyla-metastatic-breast.schedules.q3w.phases.standard.infusion_first",
        "an infusion time is written in min",
    ),
    (
        "infusion-in-days",
        [
            (
                KADCYLA + 'dose = "3.6 mg/kg"\ninfusion_first = "90 min"',
                KADCYLA + 'dose = "3.6 mg/kg"\ninfusion_first = "90 day"',
            )
        ],
        "regimens.kadcyla-metastatic-breast.schedules.q3w.phases.standard.infusion_first",
        "an infusion time is written in min",
    ),
    (
        "infusion-ten-times",
        [
            (
                KADCYLA + 'dose = "3.6 mg/kg"\ninfusion_first = "90 min"',
                KADCYLA + 'dose = "3.6 mg/kg"\ninfusion_first = "900 min"',
            )
        ],
        "regimens.kadcyla-metastatic-breast.schedules.q3w.phases.standard.infusion_first",
        "(5-240 min)",
    ),
    (
        "bag-in-litres",
        [('bag_volume = "100 mL"', 'bag_volume = "100 L"')],
        "molecules.trastuzumab-deruxtecan.preparation.bag_volume",
        "an infusion bag is written in mL",
    ),
    (
        "interval-in-weeks",
        [(MARGENZA + 'interval = "21 day"', MARGENZA + 'interval = "21 week"')],
        "regimens.margenza-metastatic-breast.schedules.q3w.interval",
        "a dosing interval is written in day",
    ),
    (
        "tolerance-fifty-percent",
        [("dose_tolerance_pct = 5", "dose_tolerance_pct = 50")],
        "policy.dose_tolerance_pct",
        "50 is outside the plausible range 0-20",
    ),
    (
        "order-precision-ten-times",
        [("order_precision_mg = 1", "order_precision_mg = 10")],
        "policy.order_precision_mg",
        "10 is outside the plausible range 0-5",
    ),
    (
        "weight-ceiling-absurd",
        [('weight_reject_above = "650 kg"', 'weight_reject_above = "100000 kg"')],
        "policy.weight_reject_above",
        "'100000 kg' is outside the plausible range for a weight ceiling (300-1000 kg)",
    ),
    (
        "concentration-without-a-deliverable-volume",
        # KANJINTI states no volume: its concentration is checked against its siblings
        [
            (
                '[[products.kanjinti.vials]]\nstrength = "150 mg"\nmultiple_dose = false\n'
                'concentration = "21 mg/mL"',
                '[[products.kanjinti.vials]]\nstrength = "150 mg"\nmultiple_dose = false\n'
                'concentration = "25.2 mg/mL"',
            )
        ],
        "products.kanjinti.vials[0].concentration",
        "25.2 mg/mL differs from the 21 mg/mL of the other products of molecule 'trastuzumab'",
    ),
    (
        "reconstitution-volume-ten-times",
        [
            (
                '[[products.ogivri.vials]]\nstrength = "420 mg"\nmultiple_dose = true\n'
                'reconstitute_with = "20 mL"',
                '[[products.ogivri.vials]]\nstrength = "420 mg"\nmultiple_dose = true\n'
                'reconstitute_with = "200 mL"',
            )
        ],
        "products.ogivri.vials[1].concentration",
        "stated 21 mg/mL disagrees with strength / reconstitution volume = 2.10 mg/mL",
    ),
    (
        "maintenance-above-loading",
        [('dose = "2 mg/kg"', 'dose = "20 mg/kg"')],
        "regimens.trastuzumab-adjuvant-breast.schedules.weekly.phases",
        "the loading dose 4 mg/kg must be above the maintenance dose 20 mg/kg",
    ),
    (
        "zero-dose",
        [(KADCYLA + 'dose = "3.6 mg/kg"', KADCYLA + 'dose = "0 mg/kg"')],
        "regimens.kadcyla-metastatic-breast.schedules.q3w.phases.standard.dose",
        "must be a positive number, got '0 mg/kg'",
    ),
    (
        "zero-minutes",
        [
            (
                KADCYLA + 'dose = "3.6 mg/kg"\ninfusion_first = "90 min"',
                KADCYLA + 'dose = "3.6 mg/kg"\ninfusion_first = "0 min"',
            )
        ],
        "regimens.kadcyla-metastatic-breast.schedules.q3w.phases.standard.infusion_first",
        "must be a positive number, got '0 min'",
    ),
    (
        "cycles-ten-times",
        [("cycles = 14", "cycles = 140")],
        "courses.kadcyla-early-breast.cycles",
        "140 is outside the plausible range 1-52 cycles",
    ),
]


@pytest.mark.parametrize(
    ("edits", "where", "says"), [c[1:] for c in SLIPS], ids=[c[0] for c in SLIPS]
)
def test_a_slip_is_refused_naming_entry_field_value_and_range(tmp_path, edits, where, says):
    path = broken_copy(tmp_path, edits)
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path)
    assert any(p.startswith(where) and says in p for p in info.value.problems), info.value.problems


@pytest.mark.parametrize("command", [["plan", "kadcyla", "--weight", "70 kg"], ["regimens"]])
@pytest.mark.parametrize("case", ["zero-dose", "zero-minutes", "grams-per-kg"])
def test_cli_exits_3_with_the_problem_named_never_an_internal_error(cli, tmp_path, command, case):
    _, edits, where, _ = next(c for c in SLIPS if c[0] == case)
    path = broken_copy(tmp_path, edits)
    result = cli(*command, "--regimens", str(path))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: invalid regimens file {path}")
    assert where in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize(
    ("nested", "says"),
    [
        ("{a = " * 1000 + "1" + "}" * 1000, "nested too deeply"),
        ("[" * 5000 + "1" + "]" * 5000, "nested too deeply"),
        ("{a = " * 20 + "1" + "}" * 20, "nested deeper than 12 levels"),
    ],
    ids=["inline-tables-1000-deep", "arrays-5000-deep", "inline-tables-20-deep"],
)
def test_deeply_nested_tables_are_a_named_problem(cli, tmp_path, nested, says):
    path = tmp_path / "regimens.toml"
    path.write_text(f"deep = {nested}\n" + SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    result = cli("plan", "kadcyla", "--weight", "70 kg", "--regimens", str(path))
    assert result.exit_code == 3
    assert says in result.stderr
    assert "internal error" not in result.stderr


def test_every_range_holds_the_shipped_file(book):
    assert book.policy.order_precision_mg == 1
    for measure in vars(schema).values():
        if isinstance(measure, schema.Measure):
            assert measure.low <= measure.high, measure


def test_no_mutant_of_a_clinical_number_loads_silently():
    """Every unit swap and every x10 of every clinical number of the shipped file."""
    text = SHIPPED.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    tried, silent = 0, []
    for description, table, key, original, value in mutants(text, data):
        assert str(table[key]) == str(original), description  # the mutant hits its line
        table[key] = value
        checker = regimens.Checker()
        checker.book(data, "mutant.toml", "")
        table[key] = original
        tried += 1
        if not checker.problems:
            silent.append(description)
    assert tried > 500
    assert silent == []


def test_the_loader_parser_reads_the_shipped_file_as_the_standard_library_does():
    # The loader parses with tomli (a compiled build, for start-up); the standard library's
    # tomllib is the same parser, and must see the same file.
    import tomli

    text = SHIPPED.read_text(encoding="utf-8")
    assert tomli.loads(text) == tomllib.loads(text)
