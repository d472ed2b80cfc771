"""Broken optional sections ([adverse_events], [storage], [courses], [missed_doses]):
every problem is reported with its entry and field, and the CLI exits 3 without an answer.

One table per section. Each case is the shipped regimens.toml with edits: a string replace
anchored on a table header (so it hits exactly the entry the test names), or text added at
the end (END). Rows: (id, edits, entry.field named, what the message says); a problem
matches when it starts with "entry.field:" and contains the words.
"""

from __future__ import annotations

import pytest
from conftest import END, broken_copy

from her2dose.data import loader as regimens
from her2dose.errors import RegimenFileError

ILD = "[[adverse_events.trastuzumab-deruxtecan.events.ild.rules]]\n"
ILD_EVENT = "[adverse_events.trastuzumab-deruxtecan.events.ild]\n"
T_DM1_AST = "[[adverse_events.ado-trastuzumab-emtansine.events.transaminases.rules]]\n"
T_LVEF = "[[adverse_events.trastuzumab.events.lvef.rules]]\n"
E_LVEF = "[[adverse_events.trastuzumab-deruxtecan.events.lvef.rules]]\n"
IRR_T = "[[adverse_events.trastuzumab.events.infusion-reaction.rules]]\n"
AE = "adverse_events.trastuzumab-deruxtecan.events"

# [adverse_events.*]: the label's dose-modification tables
ADVERSE_EVENTS = [
    (
        "action-not-in-list",
        [
            (
                ILD + 'grades = [1]\ncriterion = "Grade 1 (asymptomatic ILD/pneumonitis)"\n'
                'action = "interrupt"',
                ILD + 'grades = [1]\ncriterion = "Grade 1 (asymptomatic ILD/pneumonitis)"\n'
                'action = "pause"',
            )
        ],
        f"{AE}.ild.rules[0].action",
        "'pause' is not one of continue, interrupt, maintain, reduce, discontinue, "
        "slow-or-interrupt-infusion",
    ),
    (
        "unknown-field",
        [(ILD + "grades = [1]", ILD + 'grades = [1]\ncolour = "red"')],
        f"{AE}.ild.rules[0].colour",
        "unknown field",
    ),
    (
        "rule-without-source",
        [
            (
                'label = "Permanently discontinue ENHERTU in all patients with Grade 2 or higher '
                'ILD/pneumonitis."\nsource = "ENHERTU US PI, Boxed Warning and §2.3 Table 2"\n',
                'label = "Permanently discontinue ENHERTU in all patients with Grade 2 or higher '
                'ILD/pneumonitis."\n',
            )
        ],
        f"{AE}.ild.rules[1].source",
        "missing",
    ),
    (
        "event-without-source",
        [
            (
                ILD_EVENT + 'name = "interstitial lung disease (ILD) / pneumonitis"\n'
                'synonyms = ["pneumonitis", "ild-pneumonitis", "interstitial-lung-disease"]\n'
                'input = "grade"\nsource = "ENHERTU US PI §2.3 Table 2; Boxed Warning"\n',
                ILD_EVENT + 'name = "interstitial lung disease (ILD) / pneumonitis"\n'
                'synonyms = ["pneumonitis", "ild-pneumonitis", "interstitial-lung-disease"]\n'
                'input = "grade"\n',
            )
        ],
        f"{AE}.ild.source",
        "missing",
    ),
    (
        "not-encoded-without-source",
        [
            (
                'source = "ENHERTU US PI §2.3 Table 2"\nevidence = "us-label"\n\n'
                "[adverse_events.trastuzumab-deruxtecan.events.febrile-neutropenia]",
                'source = ""\nevidence = "us-label"\n\n'
                "[adverse_events.trastuzumab-deruxtecan.events.febrile-neutropenia]",
            )
        ],
        f"{AE}.neutropenia.not_encoded[0].source",
        "must be non-empty text",
    ),
    (
        "unknown-molecule",
        [
            (
                "[adverse_events.margetuximab]\n",
                '[adverse_events.rituximab]\nsource = "x"\n[adverse_events.margetuximab]\n',
            )
        ],
        "adverse_events.rituximab",
        "unknown molecule 'rituximab'",
    ),
    (
        "regimen-of-another-molecule",
        [
            (
                'label = "Treat at same dose level."\nregimens = ["kadcyla-metastatic-breast"]',
                'label = "Treat at same dose level."\nregimens = ["tdxd-breast"]',
            )
        ],
        "adverse_events.ado-trastuzumab-emtansine.events.transaminases.rules[0].regimens",
        "'tdxd-breast' is not a regimen of molecule 'ado-trastuzumab-emtansine'",
    ),
    (
        "unknown-regimen",
        [
            (
                'regimens = ["kadcyla-early-breast"]\nsource = "KADCYLA US PI §2.3 (dose modifications for '
                'early breast cancer)"\nevidence = "us-label"\n\n'
                "[adverse_events.ado-trastuzumab-emtansine.events.bilirubin]",
                'regimens = ["kadcyla-adjuvant"]\nsource = "KADCYLA US PI §2.3 (dose modifications for '
                'early breast cancer)"\nevidence = "us-label"\n\n'
                "[adverse_events.ado-trastuzumab-emtansine.events.bilirubin]",
            )
        ],
        "adverse_events.ado-trastuzumab-emtansine.events.transaminases.not_encoded[0].regimens",
        "'kadcyla-adjuvant' is not a regimen",
    ),
    (
        "interrupt-without-then",
        [('then = "maintain"\notherwise = "reduce"', '# no then\notherwise = "reduce"')],
        f"{AE}.ild.rules[0].then",
        "required when action is 'interrupt'",
    ),
    (
        "interrupt-without-until",
        [('until = "resolved to Grade 0"\n', "")],
        f"{AE}.ild.rules[0].until",
        "required when action is 'interrupt'",
    ),
    (
        "then-not-an-outcome",
        [('then = "maintain"\notherwise = "reduce"', 'then = "maintain"\notherwise = "halve"')],
        f"{AE}.ild.rules[0].otherwise",
        "'halve' is not one of maintain, reduce, discontinue",
    ),
    (
        "until-on-a-discontinue-row",
        [(ILD + "grades = [2, 3, 4]", ILD + 'grades = [2, 3, 4]\nuntil = "never"')],
        f"{AE}.ild.rules[1].until",
        "only for action 'interrupt', not 'discontinue'",
    ),
    (
        "resolved-within-not-a-duration",
        [('resolved_within = "28 day"', 'resolved_within = "28 mg"')],
        f"{AE}.ild.rules[0].resolved_within",
        "expected a duration",
    ),
    (
        "grade-out-of-range",
        [(ILD + "grades = [1]", ILD + "grades = [7]")],
        f"{AE}.ild.rules[0].grades",
        "[7] not CTCAE grades (1 to 5)",
    ),
    (
        "graded-rule-without-grades",
        [(ILD + "grades = [1]\n", ILD)],
        f"{AE}.ild.rules[0].grades",
        "missing (CTCAE grades of this row",
    ),
    (
        "two-rules-for-one-grade",
        [(ILD + "grades = [2, 3, 4]", ILD + "grades = [1, 2, 3, 4]")],
        f"{AE}.ild",
        "grade 1 is covered by rules[0] and rules[1] for regimen",
    ),
    (
        "input-not-in-list",
        [
            (
                ILD_EVENT + 'name = "interstitial lung disease (ILD) / pneumonitis"\n'
                'synonyms = ["pneumonitis", "ild-pneumonitis", "interstitial-lung-disease"]\n'
                'input = "grade"',
                ILD_EVENT + 'name = "interstitial lung disease (ILD) / pneumonitis"\n'
                'synonyms = ["pneumonitis", "ild-pneumonitis", "interstitial-lung-disease"]\n'
                'input = "severity"',
            )
        ],
        f"{AE}.ild.input",
        "'severity' is not one of grade, lvef, any",
    ),
    (
        "bad-lvef-range",
        [
            (
                'when = [{ lvef = ">45", drop = "10-20" }]',
                'when = [{ lvef = "above 45", drop = "10-20" }]',
            )
        ],
        f"{AE}.lvef.rules[0].when[0].lvef",
        "is not a percent range",
    ),
    (
        "reversed-lvef-range",
        [
            (
                'when = [{ lvef = ">45", drop = "10-20" }]',
                'when = [{ lvef = ">45", drop = "20-10" }]',
            )
        ],
        f"{AE}.lvef.rules[0].when[0].drop",
        "the low end is above the high end",
    ),
    (
        "unknown-lvef-condition",
        [
            (
                'when = [{ lvef = ">45", drop = "10-20" }]',
                'when = [{ lvef = ">45", fall = "10-20" }]',
            )
        ],
        f"{AE}.lvef.rules[0].when[0].fall",
        "unknown field",
    ),
    (
        "overlapping-lvef-rows",
        [
            (
                'when = [{ lvef = ">45", drop = "10-20" }]',
                'when = [{ lvef = ">=45", drop = "10-20" }]',
            )
        ],
        f"{AE}.lvef",
        "LVEF rows overlap for regimen",
    ),
    (
        "grades-on-an-lvef-row",
        [
            (
                E_LVEF + 'when = [{ lvef = ">45", drop = "10-20" }]',
                E_LVEF + 'grades = [2]\nwhen = [{ lvef = ">45", drop = "10-20" }]',
            )
        ],
        f"{AE}.lvef.rules[0].grades",
        "only for events with input = 'grade'",
    ),
    (
        "reduce-for-a-drug-without-levels",
        [
            (
                T_LVEF + 'when = [{ drop = ">=16" }, { below_lln = true, drop = ">=10" }]',
                T_LVEF + 'when = [{ drop = ">=16" }, { below_lln = true, drop = ">=10" }]\n#',
            ),
            (
                'then = "maintain"\notherwise = "discontinue"\nfollow_up = "Permanently discontinue for',
                'then = "reduce"\notherwise = "discontinue"\nfollow_up = "Permanently discontinue for',
            ),
        ],
        "adverse_events.trastuzumab.events.lvef.rules[0].action",
        "'reduce' but regimen 'trastuzumab-adjuvant-breast' has no dose reduction levels",
    ),
    (
        "regimen-left-without-an-answer",
        [
            (
                'regimens = ["kadcyla-early-breast"]\nsource = "KADCYLA US PI §2.3 (dose modifications for '
                'early breast cancer)"\nevidence = "us-label"\n\n'
                "[adverse_events.ado-trastuzumab-emtansine.events.bilirubin]",
                'regimens = ["kadcyla-metastatic-breast"]\nsource = "KADCYLA US PI §2.3 (dose modifications for '
                'early breast cancer)"\nevidence = "us-label"\n\n'
                "[adverse_events.ado-trastuzumab-emtansine.events.bilirubin]",
            )
        ],
        "adverse_events.ado-trastuzumab-emtansine.events.transaminases",
        "no rule or not_encoded entry applies to regimen 'kadcyla-early-breast'",
    ),
    (
        "synonym-used-twice",
        [
            (
                'synonyms = ["anc", "neutrophils", "neutrophil-count", "low-anc"]',
                'synonyms = ["anc", "neutrophils", "neutrophil-count", "low-anc", "plt"]',
            )
        ],
        f"{AE}.thrombocytopenia.synonyms",
        "name 'plt' is also used by event 'neutropenia'",
    ),
]

STORAGE_ERRORS = """
[[storage.aspirin.use_by]]
stage = "reconstituted"
[[storage.kadcyla.use_by]]
stage = "frozen"
storage = "refrigerated"
condition = "2 to 8 °C"
hold = "24 mL"
counted_from = "reconstitution"
source = "test"
evidence = "us-label"
[[storage.enhertu.use_by]]
stage = "reconstituted"
storage = "refrigerated"
condition = "2 to 8 °C"
hold = "24 h"
counted_from = "dilution"
source = "test"
colour = "blue"
[storage.trastuzumab-deruxtecan.without_benzyl_alcohol]
strength = "100 mg"
reconstitute_with = "5 mL"
fluid = "Sterile Water for Injection"
text = "x"
source = "test"
[storage.herzuma.without_benzyl_alcohol]
strength = "150 mg"
reconstitute_with = "7 mL"
fluid = "Sterile Water for Injection"
text = "x"
source = "test"
"""
KADCYLA_DILUTED = """
[[storage.kadcyla.use_by]]
stage = "diluted"
storage = "refrigerated"
condition = "2 to 8 °C"
hold = "24 h"
counted_from = "dilution"
source = "test"
evidence = "us-label"
"""
S = [(END, STORAGE_ERRORS)]

# [storage.*]: use-by times after reconstitution and dilution
STORAGE = [
    ("unknown-id", S, "storage.aspirin", "'aspirin' is neither a product nor a molecule id"),
    ("stage-not-in-list", S, "storage.kadcyla.use_by[0].stage", "'frozen' is not one of"),
    ("hold-not-a-duration", S, "storage.kadcyla.use_by[0].hold", "expected a duration"),
    (
        "reconstituted-counted-from-dilution",
        S,
        "storage.enhertu.use_by[0].counted_from",
        "a reconstituted vial's clock",
    ),
    ("unknown-field", S, "storage.enhertu.use_by[0].colour", "unknown field"),
    (
        "alternative-on-a-molecule",
        S,
        "storage.trastuzumab-deruxtecan.without_benzyl_alcohol",
        "belongs to a product",
    ),
    (
        "alternative-names-no-vial",
        S,
        "storage.herzuma.without_benzyl_alcohol.strength",
        "HERZUMA has no multiple-dose vial",
    ),
    (
        "duplicate-entry",
        [(END, KADCYLA_DILUTED * 2)],
        "storage.kadcyla.use_by[1]",
        "a second diluted / refrigerated entry",
    ),
]

UNKNOWN_IDS = """
[courses.no-such-regimen]
cycles = 3
source = "x"

[missed_doses.no-such-molecule]
rule = "not-encoded"
text = "x"
source = "x"
"""
COURSE_FIELDS = """
[courses.tdxd-nsclc]
cycles = 0
duration = "10.5 day"
schedules = ["weekly"]
source = "x"

[courses.tdxd-solid-tumors]
cycles = 4
until = "progression"
source = "x"
"""
PATTERN = """
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
"""
KADCYLA_COURSE = (
    'cycles = 14\nlimit = "Early breast cancer: a total of 14 cycles unless there is disease '
    'recurrence or unmanageable toxicity."\nsource = '
)
C = [(END, COURSE_FIELDS)]
PAT = "courses.tdxd-nsclc.patterns.weekly-then-q3w"

# [courses.*]: course length and patterns
COURSES = [
    ("unknown-regimen", [(END, UNKNOWN_IDS)], "courses.no-such-regimen", "unknown regimen"),
    (
        "source-required",
        [(KADCYLA_COURSE, 'cycles = 14\nlimit = "x"\nnot_source = ')],
        "courses.kadcyla-early-breast.source",
        "missing (a text value is required)",
    ),
    (
        "source-misspelt",
        [(KADCYLA_COURSE, 'cycles = 14\nlimit = "x"\nnot_source = ')],
        "courses.kadcyla-early-breast.not_source",
        "unknown field",
    ),
    ("zero-cycles", C, "courses.tdxd-nsclc.cycles", "must be a whole number"),
    ("part-days", C, "courses.tdxd-nsclc.duration", "must be a whole number of days"),
    ("unknown-schedule", C, "courses.tdxd-nsclc.schedules", "'weekly' is neither"),
    (
        "two-lengths",
        C,
        "courses.tdxd-solid-tumors",
        "give only one of cycles, duration, until",
    ),
    ("pattern-unknown-schedule", [(END, PATTERN)], f"{PAT}.first", "'weekly' is not a schedule"),
    ("pattern-switch-not-a-duration", [(END, PATTERN)], f"{PAT}.switch_after", "duration"),
]

RULE_EDIT = (
    'rule = "as-soon-as-possible"\nsame_dose_and_rate = false',
    'rule = "sometime"\nsame_dose_and_rate = false',
)
PHESGO = "missed_doses.pertuzumab-trastuzumab-hyaluronidase"

# [missed_doses.*]: what follows a missed or late dose
MISSED_DOSES = [
    ("unknown-molecule", [(END, UNKNOWN_IDS)], "missed_doses.no-such-molecule", "unknown molecule"),
    ("rule-not-in-list", [RULE_EDIT], "missed_doses.margetuximab.rule", "'sometime' is not one of"),
    (
        "unknown-molecule-with-a-rule",
        [(END, '[missed_doses.ado-trastuzumab-emtansine-x]\nrule = "reload"\n')],
        "missed_doses.ado-trastuzumab-emtansine-x",
        "unknown molecule",
    ),
    (
        "reload-needs-a-loading-dose",
        [
            (
                '[missed_doses.trastuzumab-deruxtecan]\nrule = "as-soon-as-possible"\n'
                "same_dose_and_rate = true",
                '[missed_doses.trastuzumab-deruxtecan]\nrule = "reload"\nreload_after = "7 day"',
            )
        ],
        "missed_doses.trastuzumab-deruxtecan",
        "rule 'reload' needs a loading dose, but regimen 'tdxd-breast'",
    ),
    (
        "transition-needs-both-doses",
        [(f"[{PHESGO}.loading]", f"[{PHESGO}.initial]")],
        PHESGO,
        "missing table 'loading'",
    ),
    (
        "transition-unknown-dose",
        [(f"[{PHESGO}.loading]", f"[{PHESGO}.initial]")],
        f"{PHESGO}.initial",
        "unknown field",
    ),
]

CASES = ADVERSE_EVENTS + STORAGE + COURSES + MISSED_DOSES


@pytest.mark.parametrize(("case", "edits", "where", "what"), CASES, ids=[c[0] for c in CASES])
def test_broken_section_names_entry_and_field(tmp_path, case, edits, where, what):
    path = broken_copy(tmp_path, edits, unique=True)
    with pytest.raises(RegimenFileError) as err:
        regimens.load(path)
    matching = [p for p in err.value.problems if p.startswith(f"{where}:") and what in p]
    assert matching, err.value.problems


def test_event_left_with_no_entries_is_refused(tmp_path):
    """Removing the only rule and the only not_encoded entry of an event leaves it empty."""
    path = broken_copy(
        tmp_path,
        unique=True,
        edits=[
            (
                "[[adverse_events.ado-trastuzumab-emtansine.events.peripheral-neuropathy.not_encoded]]\n"
                'criterion = "any grade"\n',
                "[adverse_events.ado-trastuzumab-emtansine.events.peripheral-neuropathy.unused]\n"
                'criterion = "any grade"\n',
            ),
        ],
    )
    with pytest.raises(RegimenFileError) as err:
        regimens.load(path)
    where = "adverse_events.ado-trastuzumab-emtansine.events.peripheral-neuropathy"
    assert any(
        p.startswith(f"{where}:") and "needs at least one [[rules]] or [[not_encoded]]" in p
        for p in err.value.problems
    ), err.value.problems


def test_every_problem_is_reported_at_once(tmp_path):
    edits = ADVERSE_EVENTS[0][1] + ADVERSE_EVENTS[5][1] + ADVERSE_EVENTS[13][1]
    path = broken_copy(tmp_path, unique=True, edits=edits)
    with pytest.raises(RegimenFileError) as err:
        regimens.load(path)
    problems = "\n".join(err.value.problems)
    assert "rules[0].action" in problems
    assert "adverse_events.rituximab" in problems
    assert "ild.rules[0].grades" in problems


@pytest.mark.parametrize(
    "command",
    [
        ["levels", "enhertu", "--indication", "breast"],
        [
            "adjust",
            "enhertu",
            "--indication",
            "breast",
            "--level",
            "0",
            "--event",
            "ild",
            "--grade",
            "1",
        ],
        ["check", "enhertu", "--indication", "breast", "--weight", "72 kg", "--dose", "388.8 mg"],
    ],
)
def test_cli_exits_3_on_a_broken_section_and_gives_no_answer(cli, tmp_path, command):
    path = broken_copy(tmp_path, unique=True, edits=ADVERSE_EVENTS[0][1])
    result = cli(*command, "--regimens", str(path))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "invalid regimens file" in result.stderr
    assert f"{AE}.ild.rules[0].action: 'pause' is not one of" in result.stderr


def test_not_planned_molecule_needs_no_product_but_may_have_no_regimen(tmp_path):
    path = broken_copy(
        tmp_path,
        [
            (
                END,
                """
[regimens.phesgo-breast]
molecule = "pertuzumab-trastuzumab-hyaluronidase"
indication = "breast"
description = "x"
basis = "flat"
source = "x"
evidence = "us-label"

[regimens.phesgo-breast.schedules.q3w]
interval = "21 day"
source = "x"
evidence = "us-label"

[regimens.phesgo-breast.schedules.q3w.phases.standard]
dose = "600 mg"
infusion_first = "5 min"
infusion_subsequent = "5 min"
source = "x"
evidence = "us-label"
""",
            )
        ],
    )
    with pytest.raises(RegimenFileError) as info:
        regimens.load(path)
    assert info.value.problems == [
        "molecules.pertuzumab-trastuzumab-hyaluronidase.not_planned: "
        "a molecule with regimens is planned"
    ]


def test_product_storage_overrides_molecule_storage(tmp_path):
    path = broken_copy(tmp_path, [(END, KADCYLA_DILUTED.replace('"24 h"', '"12 h"'))])
    book = regimens.load(path)
    from her2dose.core.preparation_times import storage_for

    facts = storage_for(book.storage, "kadcyla", "ado-trastuzumab-emtansine")
    assert [r.hold.m_as("h") for r in facts.use_by] == [12]
    assert facts.not_encoded is not None  # still the molecule's
