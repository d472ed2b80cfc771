"""Rules of `her2dose adjust`: the ILD 28-day boundary, reducing from the last level,
no re-escalation on any path, synonyms, LVEF inputs and the errors that list valid values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from her2dose.commands.adjust import (
    OUTCOMES,
    Rule,
    compute_adjustment,
    outcomes_for,
    parse_grade,
    parse_percent,
)
from her2dose.errors import InputError, UnknownNameError
from her2dose.model.results import ANSWER_NO_EVENT_ROW, ANSWER_NO_ROW, ANSWER_RULE, AdjustRequest


def adjust(book, **kw):
    return compute_adjustment(book, AdjustRequest(**kw))


# -- ENHERTU grade 1 ILD: the 28-day boundary ------------------------------------------


@pytest.mark.parametrize(
    ("days", "result", "level_after"),
    [
        (0, "maintain", 0),
        (27, "maintain", 0),
        (28, "maintain", 0),
        (29, "reduce", -1),
        (60, "reduce", -1),
    ],
)
def test_ild_grade_1_keeps_the_dose_up_to_28_days_and_reduces_from_29(
    book, days, result, level_after
):
    adj = adjust(
        book,
        drug="enhertu",
        indication="breast",
        level="0",
        event="ild",
        grade="1",
        resolved_days=days,
    )
    assert adj.result.result == result
    assert adj.result.level.level == level_after


def test_ild_grade_1_at_29_days_on_gastric_gives_the_gastric_next_level(book):
    adj = adjust(
        book,
        drug="enhertu",
        indication="gastric",
        level="0",
        event="ild",
        grade="1",
        resolved_days=29,
        weight="72 kg",
    )
    assert adj.result.level.dose.m_as("mg/kg") == Decimal("5.4")
    assert adj.result.dose.m_as("mg") == Decimal("388.8")  # 5.4 mg/kg x 72 kg


def test_ild_grade_1_without_days_gives_both_branches_and_no_decision(book):
    adj = adjust(book, drug="enhertu", indication="breast", level="-1", event="ild", grade="1")
    assert adj.result is None
    assert [o.result for o in adj.outcomes] == ["maintain", "reduce"]
    assert [o.level.level for o in adj.outcomes] == [-1, -2]
    assert any("--resolved-days" in n for n in adj.notes)


def test_resolved_days_where_it_decides_nothing_answers_with_a_note(book):
    adj = adjust(
        book,
        drug="enhertu",
        indication="breast",
        level="0",
        event="ild",
        grade="2",
        resolved_days=10,
    )
    assert adj.answered and adj.result is not None and adj.result.discontinue
    assert any("--resolved-days was not needed" in n for n in adj.notes)


# -- reducing from the last level --------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "indication", "event", "grade", "days"),
    [
        ("enhertu", "breast", "ild", "1", 29),
        ("enhertu", "gastric", "ild", "1", 40),
        ("kadcyla", "mbc", "ast", "3", None),
        ("kadcyla", "mbc", "bilirubin", "3", None),
        ("kadcyla", "mbc", "thrombocytopenia", "4", None),
    ],
)
def test_reducing_from_the_last_level_gives_permanently_discontinue(
    book, drug, indication, event, grade, days
):
    adj = adjust(
        book,
        drug=drug,
        indication=indication,
        level="-2",
        event=event,
        grade=grade,
        resolved_days=days,
        weight="70 kg",
    )
    assert adj.result.step == "reduce"
    assert adj.result.discontinue and adj.result.result == "discontinue"
    assert adj.result.level is None and adj.result.dose is None
    assert adj.result.text.startswith("permanently discontinue: level -2 is the last level")
    assert "discontinue" in adj.result.text


def test_reducing_from_level_minus_1_gives_level_minus_2_with_its_dose(book):
    adj = adjust(
        book, drug="kadcyla", indication="mbc", level="-1", event="ast", grade="3", weight="60 kg"
    )
    assert adj.result.level.level == -2 and not adj.result.discontinue
    assert adj.result.dose.m_as("mg") == Decimal("144")  # 2.4 mg/kg x 60 kg


# -- no re-escalation, on every path --------------------------------------------------


def all_paths(book):
    """Every (regimen, current level, rule) the shipped tables can produce."""
    for mid, table in book.adverse_events.items():
        for regimen in book.regimens_of(mid):
            levels = regimen.levels or (None,)
            for event in table.events.values():
                for rule in event.rules:
                    if rule.applies_to(regimen.id):
                        for level in levels:
                            yield regimen, level, rule


def test_there_are_paths_to_check(book):
    assert len(list(all_paths(book))) > 100


@pytest.mark.parametrize("days", [None, 0, 28, 29, 365])
def test_no_path_re_escalates(book, days):
    for regimen, level, rule in all_paths(book):
        outcomes, decided = outcomes_for(rule, regimen, level, None, days)
        assert outcomes
        for o in (*outcomes, *([decided] if decided else [])):
            if level is None:  # dosed by phase: no level to go to, up or down
                assert o.level is None
            elif o.level is None:  # no level at all: only by stopping or by the label's silence
                assert o.discontinue or o.step == "not-stated"
            else:
                assert o.level.level <= level.level, (regimen.id, rule.criterion, o)
                assert o.level.dose <= level.dose
                assert o.level.level >= level.level - 1  # at most one level per event


def test_outcome_steps_are_known(book):
    for regimen, level, rule in all_paths(book):
        for o in outcomes_for(rule, regimen, level, None, None)[0]:
            assert o.step in (
                *OUTCOMES,
                "continue",
                "slow-or-interrupt-infusion",
                "interrupt-infusion",
                "not-stated",
            )


def test_adjust_output_levels_never_above_the_current_level_hypothesis(book):
    @given(
        level=st.sampled_from(["0", "-1", "-2"]),
        event=st.sampled_from(["ild", "neutropenia", "thrombocytopenia", "irr"]),
        grade=st.integers(min_value=1, max_value=4),
        days=st.one_of(st.none(), st.integers(min_value=0, max_value=120)),
    )
    def run(level, event, grade, days):
        try:
            adj = adjust(
                book,
                drug="enhertu",
                indication="breast",
                level=level,
                event=event,
                grade=str(grade),
                resolved_days=days,
            )
        except InputError:
            return  # grades outside the table, days where they decide nothing
        for o in adj.outcomes:
            assert o.level is None or o.level.level <= int(level)

    run()


# -- synonyms and names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "event_id"),
    [
        ("ild", "ild"),
        ("pneumonitis", "ild"),
        ("ILD", "ild"),
        ("interstitial lung disease", "ild"),
        ("anc", "neutropenia"),
        ("neutropenia", "neutropenia"),
        ("plt", "thrombocytopenia"),
        ("platelets", "thrombocytopenia"),
        ("thrombocytopenia", "thrombocytopenia"),
        ("lvef", "lvef"),
        ("ejection-fraction", "lvef"),
        ("Ejection Fraction", "lvef"),
        ("irr", "infusion-reaction"),
        ("infusion_reaction", "infusion-reaction"),
    ],
)
def test_event_synonyms(book, typed, event_id):
    from her2dose.commands.adjust import resolve_event

    molecule = book.molecules["trastuzumab-deruxtecan"]
    assert resolve_event(book.adverse_events[molecule.id], typed, molecule).id == event_id


def test_an_event_without_a_row_lists_the_events_of_that_drug(book):
    adj = adjust(book, drug="kadcyla", indication="mbc", level="0", event="neutropenia", grade="3")
    assert adj.answer == ANSWER_NO_EVENT_ROW and not adj.answered
    assert adj.message.startswith(
        "the label's dose-modification table has no row for neutropenia; no label-directed "
        "modification"
    )
    assert "neuropathy" not in adj.message.split("Events in")[0]  # never "did you mean"
    for event in ("transaminases", "bilirubin", "lvef", "thrombocytopenia", "ild"):
        assert event in adj.message


@pytest.mark.parametrize("event", ["nausea", "fatigue", "alopecia"])
def test_events_no_table_lists_get_no_label_directed_modification(book, event):
    for drug, indication in (("enhertu", "breast"), ("kadcyla", "mbc")):
        adj = adjust(book, drug=drug, indication=indication, level="0", event=event, grade="3")
        assert adj.answer == ANSWER_NO_EVENT_ROW
        assert f"has no row for {event}; no label-directed modification" in adj.message
        assert adj.outcomes == () and adj.result is None


def test_no_event_is_suggested_for_another_events_name(book):
    """Over the whole event vocabulary: a name of event E in one table, typed for a drug
    whose table lacks that name, is either answered "no row" or gets a suggestion of this
    table's name for the same event (a shared synonym), never a different event."""
    from her2dose.commands.adjust import resolve_event

    def names(e):
        return {e.id, *e.synonyms}

    for mid, table in book.adverse_events.items():
        molecule = book.molecules[mid]
        for other_id, other in book.adverse_events.items():
            if other_id == mid:
                continue
            for foreign in other.events.values():
                for name in names(foreign) - set(table.names):
                    try:
                        assert resolve_event(table, name, molecule, book) is None
                    except UnknownNameError as error:
                        suggested = str(error).split("did you mean ")[1].split("?")[0]
                        for s in suggested.replace("'", "").split(" or "):
                            assert names(table.events[s]) & names(foreign), (mid, name, s)


def test_close_misspelling_is_suggested(book):
    with pytest.raises(UnknownNameError, match="did you mean 'thrombocytopenia'"):
        adjust(
            book,
            drug="enhertu",
            indication="breast",
            level="0",
            event="thrombocytopenai",
            grade="3",
        )


# -- grades and levels --------------------------------------------------------------------


def test_grade_outside_the_table_lists_the_valid_grades(book):
    with pytest.raises(InputError, match="no row for grade 1 .*grades in the table: 2, 3, 4"):
        adjust(book, drug="kadcyla", indication="mbc", level="0", event="ast", grade="1")
    with pytest.raises(InputError, match="grades in the table: 3, 4"):
        adjust(book, drug="enhertu", indication="breast", level="0", event="anc", grade="2")


def test_missing_grade_for_a_graded_event_lists_the_valid_grades(book):
    with pytest.raises(InputError, match=r"--grade is required .*1, 2, 3, 4"):
        adjust(book, drug="enhertu", indication="breast", level="0", event="ild")


def test_level_the_regimen_lacks_lists_the_valid_levels(book):
    with pytest.raises(InputError, match="no level -3; valid levels are 0, -1, -2"):
        adjust(book, drug="enhertu", indication="breast", level="-3", event="ild", grade="1")


def test_level_is_required_where_the_regimen_has_reductions(book):
    with pytest.raises(InputError, match="--level is required .*0, -1, -2"):
        adjust(book, drug="kadcyla", indication="mbc", event="ast", grade="3")


def test_level_is_refused_for_drugs_without_reductions(book):
    with pytest.raises(InputError, match="no dose reductions; hold or discontinue only"):
        adjust(book, drug="margenza", level="-1", event="irr", grade="1")


def test_drug_without_reductions_resumes_at_the_same_dose(book):
    adj = adjust(
        book, drug="herceptin", indication="gastric", event="lvef", lvef="50", lvef_drop="17"
    )
    assert adj.level is None and adj.no_re_escalation is None
    assert adj.outcomes[0].text == "resume at the same dose"


@pytest.mark.parametrize("text", ["3", "G3", "grade 3", " Grade3 "])
def test_grade_spellings(text):
    assert parse_grade(text) == 3


@pytest.mark.parametrize("text", ["0", "6", "three", "3.5", ""])
def test_bad_grades_are_refused(text):
    with pytest.raises(InputError, match="not a CTCAE grade"):
        parse_grade(text)


# -- LVEF inputs --------------------------------------------------------------------------


def test_lvef_baseline_gives_the_decrease(book):
    adj = adjust(
        book,
        drug="enhertu",
        indication="breast",
        level="0",
        event="lvef",
        lvef="42",
        lvef_baseline="57",
    )  # decrease 15 points: the 40-45% / 10-20 row
    assert adj.lvef.drop == Decimal(15)
    assert adj.rule.action == "interrupt" and adj.rule.otherwise == "discontinue"


@pytest.mark.parametrize(
    ("lvef", "drop", "criterion_start"),
    [
        ("45", "10", "LVEF 40% to 45% and absolute decrease from baseline 10% to 20%"),
        ("45.5", "10", "LVEF greater than 45%"),
        ("40", "9.9", "LVEF 40% to 45% and absolute decrease from baseline less than 10%"),
        ("39.9", "9.9", "LVEF less than 40%"),
        ("46", "20", "LVEF greater than 45% and absolute decrease from baseline 10% to 20%"),
        ("46", "20.1", "LVEF less than 40% or absolute decrease"),
    ],
)
def test_enhertu_lvef_boundaries(book, lvef, drop, criterion_start):
    adj = adjust(
        book,
        drug="enhertu",
        indication="breast",
        level="0",
        event="lvef",
        lvef=lvef,
        lvef_drop=drop,
    )
    assert adj.rule.criterion.startswith(criterion_start)


def test_lvef_event_refuses_a_grade(book):
    with pytest.raises(InputError, match="not CTCAE grades"):
        adjust(book, drug="enhertu", indication="breast", level="0", event="lvef", grade="2")


def test_lvef_event_needs_values(book):
    with pytest.raises(InputError, match="--lvef 42.*--lvef-drop 12.*--symptomatic-chf"):
        adjust(book, drug="enhertu", indication="breast", level="0", event="lvef", lvef="42")


def test_lvef_options_for_graded_events_answer_with_a_note(book):
    adj = adjust(
        book, drug="enhertu", indication="breast", level="0", event="ild", grade="1", lvef="40"
    )
    assert adj.answered
    assert any("were not used" in n and "not an LVEF event" in n for n in adj.notes)


def test_drop_and_baseline_together_are_refused(book):
    with pytest.raises(InputError, match="not both"):
        adjust(
            book,
            drug="enhertu",
            indication="breast",
            level="0",
            event="lvef",
            lvef="42",
            lvef_drop="12",
            lvef_baseline="54",
        )


def test_trastuzumab_asks_for_the_lower_limit_of_normal_only_when_it_decides(book):
    with pytest.raises(InputError, match="--lvef-lln"):
        adjust(
            book, drug="herceptin", indication="gastric", event="lvef", lvef="48", lvef_drop="12"
        )
    # a 16-point fall withholds whatever the limit
    adj = adjust(
        book, drug="herceptin", indication="gastric", event="lvef", lvef="48", lvef_drop="16"
    )
    assert adj.answer == ANSWER_RULE


def test_margenza_uses_the_labels_50_percent_when_no_limit_is_given(book):
    adj = adjust(book, drug="margenza", event="lvef", lvef="49", lvef_drop="10")
    assert adj.answer == ANSWER_RULE and adj.lvef.lln == 50 and adj.lvef.lln_from == "label"
    assert any("50%" in n for n in adj.notes)
    above = adjust(book, drug="margenza", event="lvef", lvef="49", lvef_drop="10", lvef_lln="45")
    assert above.answer == ANSWER_NO_ROW  # 49% is not below the institution's 45%


def test_lower_limit_note_only_when_it_decides(book):
    adj = adjust(book, drug="margenza", event="lvef", lvef="60", lvef_drop="17")
    assert adj.answer == ANSWER_RULE and not any("lower limit" in n for n in adj.notes)
    enhertu = adjust(
        book,
        drug="enhertu",
        indication="breast",
        level="0",
        event="lvef",
        lvef="42",
        lvef_drop="12",
        lvef_lln="50",
    )
    assert any("--lvef-lln was not used" in n for n in enhertu.notes)


def test_symptomatic_chf_without_a_chf_row_uses_the_values_and_says_so(book):
    adj = adjust(
        book,
        drug="herceptin",
        indication="gastric",
        event="chf",
        lvef="40",
        lvef_drop="20",
        symptomatic_chf=True,
    )
    assert adj.answer == ANSWER_RULE
    assert any("no separate row for symptomatic heart failure" in n for n in adj.notes)


@pytest.mark.parametrize(
    ("text", "field"), [("101", "lvef"), ("0", "lvef"), ("abc", "lvef"), ("-3", "lvef-drop")]
)
def test_bad_percents(text, field):
    with pytest.raises(InputError, match=f"--{field}"):
        parse_percent(text, field, positive=field != "lvef-drop")


@given(
    lvef=st.decimals(min_value=1, max_value=100, places=1),
    drop=st.decimals(min_value=0, max_value=60, places=1),
)
def test_lvef_readings_match_at_most_one_row(book, lvef, drop):
    for drug, indication in (("enhertu", "breast"), ("kadcyla", "mbc")):
        adj = adjust(
            book,
            drug=drug,
            indication=indication,
            level="0",
            event="lvef",
            lvef=str(lvef),
            lvef_drop=str(drop),
        )
        assert adj.answer in (ANSWER_RULE, ANSWER_NO_ROW)
        if drug == "kadcyla":
            assert adj.answer == ANSWER_RULE  # KADCYLA's MBC rows cover every reading
        if adj.rule is not None:
            assert isinstance(adj.rule, Rule)
            assert any(c.matches(lvef, drop, None) for c in adj.rule.when)
