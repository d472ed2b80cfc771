"""Which event names `adjust` knows: an event of this drug's table (its rows), an adverse
event its table has no row for (another label's event, or one of [unlisted_adverse_events]:
"no row", exit 1), or an unknown name (a typo: exit 2, with the valid names)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from her2dose.commands.adjust import compute_adjustment
from her2dose.data.loader import normalise
from her2dose.errors import InputError, UnknownNameError
from her2dose.model.results import ANSWER_NO_EVENT_ROW, AdjustRequest

DRUGS = [("enhertu", "breast"), ("kadcyla", "mbc"), ("herceptin", "gastric"), ("margenza", None)]


def adjust(book, drug, indication, event):
    level = "0" if drug in ("enhertu", "kadcyla") else None
    request = AdjustRequest(drug=drug, indication=indication, level=level, event=event, grade="3")
    return compute_adjustment(book, request)


def known_names(book):
    return set(book.unlisted_events).union(*(t.names for t in book.adverse_events.values()))


def test_the_shipped_vocabulary_names_no_event_of_a_table(book):
    assert {"nausea", "vomiting", "emesis", "diarrhea", "diarrhoea", "fatigue", "alopecia"} <= set(
        book.unlisted_events
    )
    for table in book.adverse_events.values():
        assert not set(table.names) & set(book.unlisted_events)


@pytest.mark.parametrize(("drug", "indication"), DRUGS)
def test_every_unlisted_event_is_answered_no_row(book, drug, indication):
    for name in book.unlisted_events:
        adj = adjust(book, drug, indication, name)
        assert adj.answer == ANSWER_NO_EVENT_ROW and not adj.answered, name
        assert adj.outcomes == () and adj.result is None
        assert "has no row for" in adj.message


@pytest.mark.parametrize(("drug", "indication"), DRUGS)
@pytest.mark.parametrize("word", ["xyzzy", "banana", "grade-3", "hepatotoxicity"])
def test_a_word_no_table_or_vocabulary_knows_is_an_unknown_event(book, drug, indication, word):
    with pytest.raises(UnknownNameError) as error:
        adjust(book, drug, indication, word)
    message = str(error.value)
    assert message.startswith(f"unknown event '{word}' for ")
    assert "did you mean" not in message  # not one of these is a misspelling
    assert "Events in its label's dose-modification table: " in message
    assert message.endswith("nausea, vomiting, diarrhea, fatigue, alopecia")


def test_the_listing_names_each_event_the_table_lacks_once(book):
    with pytest.raises(UnknownNameError) as error:
        adjust(book, "margenza", None, "xyzzy")
    mine, lacking = str(error.value).split("; adverse events it has no row for: ")
    assert mine.endswith(
        "lvef (ejection-fraction, lvef-decrease, ef, left-ventricular-"
        "dysfunction, lv-dysfunction, chf, heart-failure); infusion-reaction "
        "(irr, infusion-related-reaction, infusion-reactions, infusion)"
    )
    names = lacking.split(", ")
    # ILD of ENHERTU and KADCYLA and trastuzumab's interstitial pneumonitis: one event
    assert "ild" in names and "interstitial-pneumonitis" not in names
    assert "lvef" not in names and "infusion-reaction" not in names
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("drug", "indication", "typed", "suggested"),
    [
        ("kadcyla", "mbc", "nausae", "'nausea'"),
        ("enhertu", "breast", "diarhoea", "'diarrhoea' or 'diarrhea'"),  # one event
        ("enhertu", "breast", "vomitting", "'vomiting'"),
        ("kadcyla", "mbc", "neutropenai", "'neutropenia'"),  # another label's event
        ("enhertu", "breast", "neutropenai", "'neutropenia'"),
        ("kadcyla", "mbc", "neuropaty", "'neuropathy'"),
    ],
)
def test_a_typo_gets_the_names_of_the_one_nearest_event(book, drug, indication, typed, suggested):
    with pytest.raises(UnknownNameError, match="did you mean ") as error:
        adjust(book, drug, indication, typed)
    said = str(error.value).split("did you mean ")[1].split("?")[0]
    assert said == suggested  # never 'neutropenic-fever' (febrile neutropenia) for neutropenia


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz- ", min_size=1, max_size=20))
def test_a_name_is_answered_no_row_only_when_it_is_a_known_event(book, typed):
    if not normalise(typed).strip("-"):
        return
    try:
        adj = adjust(book, "kadcyla", "mbc", typed)
    except UnknownNameError:
        assert normalise(typed) not in book.adverse_events["ado-trastuzumab-emtansine"].names
        return
    except InputError:  # a name of KADCYLA's table, with a grade or input its row refuses
        assert normalise(typed) in book.adverse_events["ado-trastuzumab-emtansine"].names
        return
    if adj.answer == ANSWER_NO_EVENT_ROW:
        assert normalise(typed) in known_names(book)
