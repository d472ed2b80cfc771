"""Every encoded dose-modification rule against the row of the label digest it comes from.

Each row below is one row of shared/reference/labels.md (section given), with the action
the digest states and a phrase quoted from it. The test looks the row up through the same
path `her2dose adjust` uses and checks the rule's action, what follows, and that the
rule's label text carries the quoted phrase. A last test checks that no encoded rule goes
untested, so a rule added to regimens.toml without a digest row here fails the suite.
"""

from __future__ import annotations

import re

import pytest

from her2dose.commands.adjust import compute_adjustment
from her2dose.model.results import ANSWER_NO_ROW, ANSWER_NOT_ENCODED, ANSWER_RULE, AdjustRequest

# (labels.md section, drug, indication, event as typed, inputs,
#  action, then, otherwise, phrase quoted from the digest)
DIGEST_ROWS = [
    # ENHERTU, labels.md §1.5 (US PI §2.3 Table 2)
    (
        "1.5",
        "enhertu",
        "breast",
        "ild",
        {"grade": 1},
        "interrupt",
        "maintain",
        "reduce",
        "if resolved in 28 days or less from date of onset, maintain dose; if resolved in greater "
        "than 28 days from date of onset, reduce dose one level",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "pneumonitis",
        {"grade": 2},
        "discontinue",
        None,
        None,
        "Permanently discontinue ENHERTU in all patients with Grade 2 or higher ILD/pneumonitis.",
    ),
    (
        "1.5",
        "enhertu",
        "gastric",
        "ild",
        {"grade": 4},
        "discontinue",
        None,
        None,
        "Grade 2 or higher ILD/pneumonitis",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "neutropenia",
        {"grade": 3},
        "interrupt",
        "maintain",
        None,
        "Interrupt ENHERTU until resolved to Grade 2 or less, then maintain dose",
    ),
    (
        "1.5",
        "enhertu",
        "nsclc",
        "thrombocytopenia",
        {"grade": 3},
        "interrupt",
        "maintain",
        None,
        "Interrupt ENHERTU until resolved to Grade 1 or less, then maintain dose",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "lvef",
        {"lvef": "50", "lvef_drop": "15"},
        "continue",
        None,
        None,
        "Continue treatment with ENHERTU",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "lvef",
        {"lvef": "42", "lvef_drop": "5"},
        "continue",
        None,
        None,
        "repeat LVEF within 3 weeks",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "lvef",
        {"lvef": "42", "lvef_drop": "15"},
        "interrupt",
        "maintain",
        "discontinue",
        "If LVEF recovers to within 10% of baseline, resume treatment with ENHERTU at the same dose",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "lvef",
        {"lvef": "38", "lvef_drop": "5"},
        "interrupt",
        "discontinue",
        None,
        "If LVEF of less than 40% or absolute decrease from baseline of greater than 20% is "
        "confirmed, permanently discontinue ENHERTU",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "ejection-fraction",
        {"lvef": "55", "lvef_drop": "21"},
        "interrupt",
        "discontinue",
        None,
        "Repeat LVEF assessment within 3 weeks",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "lvef",
        {"symptomatic_chf": True},
        "discontinue",
        None,
        None,
        "Permanently discontinue ENHERTU",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "infusion-reaction",
        {"grade": 2},
        "slow-or-interrupt-infusion",
        None,
        None,
        "Slow or interrupt the infusion rate if the patient develops infusion-related symptoms.",
    ),
    (
        "1.5",
        "enhertu",
        "breast",
        "irr",
        {"grade": 3},
        "discontinue",
        None,
        None,
        "Permanently discontinue ENHERTU in case of severe infusion reactions.",
    ),
    # KADCYLA metastatic breast cancer, labels.md §2.5 (2013 US label)
    (
        "2.5",
        "kadcyla",
        "mbc",
        "ast",
        {"grade": 2},
        "maintain",
        None,
        None,
        "Treat at same dose level.",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "alt",
        {"grade": 3},
        "interrupt",
        "reduce",
        None,
        "Do not administer KADCYLA until AST/ALT recovers to Grade ≤ 2, and then reduce one dose "
        "level.",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "transaminases",
        {"grade": 4},
        "discontinue",
        None,
        None,
        "Permanently discontinue KADCYLA.",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "bilirubin",
        {"grade": 2},
        "interrupt",
        "maintain",
        None,
        "Do not administer KADCYLA until total bilirubin recovers to Grade ≤ 1, and then treat at "
        "same dose level.",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "tbili",
        {"grade": 3},
        "interrupt",
        "reduce",
        None,
        "recovers to Grade ≤ 1, and then reduce one dose level.",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "bilirubin",
        {"grade": 4},
        "discontinue",
        None,
        None,
        "Permanently discontinue KADCYLA.",
    ),
    ("2.5", "kadcyla", "mbc", "hys-law", {}, "discontinue", None, None, "Permanently discontinue"),
    ("2.5", "kadcyla", "mbc", "nrh", {}, "discontinue", None, None, "Permanently discontinue"),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "lvef",
        {"symptomatic_chf": True},
        "discontinue",
        None,
        None,
        "Discontinue KADCYLA",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "lvef",
        {"lvef": "38", "lvef_drop": "0"},
        "interrupt",
        "discontinue",
        None,
        "Do not administer KADCYLA. Repeat LVEF assessment within 3 weeks. If LVEF < 40% is "
        "confirmed, discontinue",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "lvef",
        {"lvef": "42", "lvef_drop": "12"},
        "interrupt",
        "discontinue",
        None,
        "If the LVEF has not recovered to within 10% points from baseline, discontinue",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "lvef",
        {"lvef": "42", "lvef_drop": "5"},
        "continue",
        None,
        None,
        "Continue treatment … Repeat LVEF assessment within 3 weeks.",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "lvef",
        {"lvef": "50", "lvef_drop": "15"},
        "continue",
        None,
        None,
        "Continue treatment",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "platelets",
        {"grade": 3},
        "interrupt",
        "maintain",
        None,
        "Do not administer KADCYLA until platelet count recovers to ≤ Grade 1 (≥ 75,000/mm3), and "
        "then treat at same dose level.",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "plt",
        {"grade": 4},
        "interrupt",
        "reduce",
        None,
        "recovers to ≤ Grade 1 (≥ 75,000/mm3), and then reduce one dose level.",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "pneumonitis",
        {},
        "discontinue",
        None,
        None,
        "KADCYLA should be permanently discontinued",
    ),
    (
        "2.5",
        "kadcyla",
        "mbc",
        "infusion-reaction",
        {"grade": 3},
        "slow-or-interrupt-infusion",
        None,
        None,
        "The infusion rate of KADCYLA should be slowed or interrupted if the patient "
        "develops an infusion-related reaction.",
    ),
    (
        "2.5",
        "kadcyla",
        "ebc",
        "irr",
        {"grade": 4},
        "discontinue",
        None,
        None,
        "Permanently discontinue KADCYLA for life-threatening infusion-related reactions",
    ),
    # trastuzumab, labels.md §3.3 and §3.6 (boxed warning)
    (
        "3.3",
        "herceptin",
        "gastric",
        "lvef",
        {"lvef": "55", "lvef_drop": "16"},
        "interrupt",
        "maintain",
        "discontinue",
        "Withhold Herceptin dosing for at least 4 weeks",
    ),
    (
        "3.3",
        "ogivri",
        "adjuvant-breast",
        "lvef",
        {"lvef": "45", "lvef_drop": "10", "lvef_lln": "50"},
        "interrupt",
        "maintain",
        "discontinue",
        "LVEF below institutional limits of normal and ≥ 10% absolute decrease",
    ),
    (
        "3.3",
        "herceptin",
        "mbc",
        "infusion-reaction",
        {"grade": 4},
        "discontinue",
        None,
        None,
        "Discontinue Herceptin for severe or life‑threatening infusion reactions.",
    ),
    (
        "3.3",
        "herceptin",
        "gastric",
        "anaphylaxis",
        {},
        "discontinue",
        None,
        None,
        "anaphylaxis, angioedema, interstitial pneumonitis, or acute respiratory distress syndrome",
    ),
    (
        "3.3",
        "herceptin",
        "gastric",
        "ild",
        {},
        "discontinue",
        None,
        None,
        "anaphylaxis, angioedema, interstitial pneumonitis, or acute respiratory distress syndrome",
    ),
    (
        "3.3",
        "herceptin",
        "gastric",
        "ards",
        {},
        "discontinue",
        None,
        None,
        "anaphylaxis, angioedema, interstitial pneumonitis, or acute respiratory distress syndrome",
    ),
    # MARGENZA, labels.md §5
    (
        "5",
        "margenza",
        None,
        "lvef",
        {"lvef": "60", "lvef_drop": "16"},
        "interrupt",
        "maintain",
        "discontinue",
        "Withhold MARGENZA dosing for at least 4 weeks",
    ),
    (
        "5",
        "margenza",
        None,
        "lvef",
        {"lvef": "48", "lvef_drop": "10"},
        "interrupt",
        "maintain",
        "discontinue",
        "LVEF below institutional limits of normal (or 50% if no limits are "
        "available) and ≥ 10% absolute decrease",
    ),
    (
        "5",
        "margenza",
        None,
        "irr",
        {"grade": 1},
        "slow-or-interrupt-infusion",
        None,
        None,
        "Decrease the rate of infusion for mild or moderate infusion-related reactions (IRRs).",
    ),
    (
        "5",
        "margenza",
        None,
        "infusion-reaction",
        {"grade": 4},
        "discontinue",
        None,
        None,
        "Permanently discontinue MARGENZA dosing in patients with severe or life-threatening IRRs.",
    ),
    (
        "3.6",
        "herceptin",
        "gastric",
        "infusion-reaction",
        {"grade": 1},
        "interrupt-infusion",
        None,
        None,
        "Interrupt Herceptin infusion for dyspnea or clinically significant hypotension.",
    ),
]

# Rows the digest marks unverified (labels.md §1.5, §2.5, §3.3, §8): answered "not encoded".
# (drug, indication, event, inputs, where to look)
NOT_ENCODED_ROWS = [
    ("enhertu", "breast", "neutropenia", {"grade": 4}, "section 2.3"),
    ("enhertu", "gastric", "febrile-neutropenia", {}, "section 2.3"),
    ("enhertu", "breast", "thrombocytopenia", {"grade": 4}, "section 2.3"),
    ("kadcyla", "ebc", "ast", {"grade": 3}, "early breast cancer"),
    ("kadcyla", "ebc", "bilirubin", {"grade": 2}, "early breast cancer"),
    ("kadcyla", "ebc", "hys-law", {}, "early breast cancer"),
    ("kadcyla", "ebc", "nrh", {}, "early breast cancer"),
    ("kadcyla", "ebc", "lvef", {"lvef": "38", "lvef_drop": "12"}, "early breast cancer"),
    ("kadcyla", "ebc", "platelets", {"grade": 4}, "early breast cancer"),
    ("kadcyla", "ebc", "ild", {}, "early breast cancer"),
    ("kadcyla", "mbc", "neuropathy", {"grade": 3}, "section 2"),
    ("kadcyla", "ebc", "peripheral-neuropathy", {"grade": 4}, "section 2"),
]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def adjust(book, drug, indication, event, inputs, level=None):
    regimen_levels = {"enhertu": 0, "kadcyla": 0}
    return compute_adjustment(
        book,
        AdjustRequest(
            drug=drug,
            indication=indication,
            event=event,
            level=level if level is not None else regimen_levels.get(drug),
            **inputs,
        ),
    )


@pytest.mark.parametrize(
    ("section", "drug", "indication", "event", "inputs", "action", "then", "otherwise", "quote"),
    DIGEST_ROWS,
    ids=[f"{r[1]}-{r[2]}-{r[3]}-{'-'.join(str(v) for v in r[4].values())}" for r in DIGEST_ROWS],
)
def test_rule_matches_the_digest_row(
    book, section, drug, indication, event, inputs, action, then, otherwise, quote
):
    adj = adjust(book, drug, indication, event, inputs)
    assert adj.answer == ANSWER_RULE, f"labels.md §{section}"
    assert adj.rule.action == action
    assert adj.rule.then == then
    assert adj.rule.otherwise == otherwise
    assert flat(quote) in flat(adj.rule.label), f"labels.md §{section}"
    assert adj.rule.source  # every rule names its label and section


def test_every_encoded_rule_has_a_digest_row(book):
    tested = set()
    for _, drug, indication, event, inputs, *_ in DIGEST_ROWS:
        adj = adjust(book, drug, indication, event, inputs)
        tested.add(id(adj.rule))
    encoded = {
        id(rule): f"{mid}/{event.id}/{rule.criterion}"
        for mid, table in book.adverse_events.items()
        for event in table.events.values()
        for rule in event.rules
    }
    untested = [name for key, name in encoded.items() if key not in tested]
    assert untested == []


@pytest.mark.parametrize(
    ("drug", "indication", "event", "inputs", "see"),
    NOT_ENCODED_ROWS,
    ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in NOT_ENCODED_ROWS],
)
def test_unverified_row_is_not_encoded(book, drug, indication, event, inputs, see):
    adj = adjust(book, drug, indication, event, inputs)
    assert adj.answer == ANSWER_NOT_ENCODED
    assert adj.rule is None and adj.outcomes == () and adj.result is None
    assert see in adj.not_encoded.see
    from her2dose.render import adjustment_message

    assert adjustment_message(adj).startswith(
        "not encoded: check the current prescribing information, "
    )


def test_enhertu_unverified_rows_point_to_section_2_3(book):
    for inputs, event in (
        ({"grade": 4}, "neutropenia"),
        ({}, "febrile-neutropenia"),
        ({"grade": 4}, "thrombocytopenia"),
    ):
        adj = adjust(book, "enhertu", "breast", event, inputs)
        from her2dose.render import adjustment_message

        assert adjustment_message(adj) == (
            "not encoded: check the current prescribing information, section 2.3 (Table 2)"
        )


def test_every_not_encoded_entry_is_tested(book):
    reached = set()
    for drug, indication, event, inputs, _ in NOT_ENCODED_ROWS:
        reached.add(id(adjust(book, drug, indication, event, inputs).not_encoded))
    entries = {
        id(entry): f"{mid}/{event.id}"
        for mid, table in book.adverse_events.items()
        for event in table.events.values()
        for entry in event.not_encoded
    }
    assert [name for key, name in entries.items() if key not in reached] == []


@pytest.mark.parametrize(
    ("drug", "indication", "inputs"),
    [
        # ENHERTU's table has no row for LVEF above 45% with a decrease under 10 points
        ("enhertu", "breast", {"lvef": "60", "lvef_drop": "5"}),
        # trastuzumab withholds only for >= 16 points, or below normal with >= 10 points
        ("herceptin", "gastric", {"lvef": "55", "lvef_drop": "12", "lvef_lln": "50"}),
        ("herceptin", "gastric", {"lvef": "48", "lvef_drop": "9", "lvef_lln": "50"}),
    ],
)
def test_lvef_values_outside_every_row_get_no_invented_answer(book, drug, indication, inputs):
    adj = adjust(book, drug, indication, "lvef", inputs)
    assert adj.answer == ANSWER_NO_ROW
    # no modification at this reading, which is the table's answer: exit 0, rows shown
    assert adj.rule is None and adj.result is None and adj.answered
    assert adj.message.startswith("no modification in the label's table at this reading")
    for entry in adj.event.entries_for(adj.regimen.id):
        assert entry.criterion in adj.message


@pytest.mark.parametrize(
    ("drug", "indication", "grade"), [("herceptin", "gastric", 1), ("ogivri", "mbc", 2)]
)
def test_mild_trastuzumab_reaction_answers_the_boxed_sentence_and_names_what_is_not_encoded(
    book, drug, indication, grade
):
    # grades 1-2: only "interrupt for dyspnea or clinically significant hypotension" is
    # encoded; whether to decrease the rate otherwise is named as not encoded
    adj = adjust(book, drug, indication, "infusion-reaction", {"grade": grade})
    assert adj.answer == ANSWER_RULE
    assert adj.rule.action == "interrupt-infusion"
    assert adj.rule.evidence == "us-label"
    part = adj.rule.not_encoded_part
    assert part is not None and "section 2.5" in part.see
    assert "decrease the infusion rate" in part.criterion
