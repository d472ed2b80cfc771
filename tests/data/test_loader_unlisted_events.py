"""[unlisted_adverse_events]: names of adverse events no table lists. A name of a table's
event, a name given twice, or a value that is not a list of synonyms is refused at load."""

from __future__ import annotations

import pytest
from conftest import broken_copy

from her2dose.data import loader as regimens
from her2dose.errors import RegimenFileError

SECTION = (
    "[unlisted_adverse_events]\n"
    'nausea = []\nvomiting = ["emesis"]\ndiarrhea = ["diarrhoea"]\nfatigue = ["tiredness"]\n'
    'alopecia = ["hair-loss"]\n'
)


@pytest.mark.parametrize(
    ("added", "where", "what"),
    [
        (
            'neutropenia = ["low-neutrophils"]\n',
            "unlisted_adverse_events.neutropenia",
            "'neutropenia' is a name of event 'neutropenia' of "
            "adverse_events.trastuzumab-deruxtecan: a table's event needs no entry here",
        ),
        (
            'mucositis = ["Hair loss"]\n',
            "unlisted_adverse_events.mucositis",
            "'Hair loss' is also a name of 'alopecia'",
        ),
        (
            'headache = "cephalgia"\n',
            "unlisted_adverse_events.headache",
            'must be a list of synonyms (texts), e.g. ["emesis"] or []',
        ),
        ('rash = [""]\n', "unlisted_adverse_events.rash", "must be a list of synonyms"),
    ],
)
def test_a_bad_unlisted_event_is_refused_with_its_entry(tmp_path, added, where, what):
    path = broken_copy(tmp_path, [(SECTION, SECTION + added)], unique=True)
    with pytest.raises(RegimenFileError) as err:
        regimens.load(path)
    assert [p for p in err.value.problems if p.startswith(f"{where}: {what}")], err.value.problems


def test_a_file_without_the_section_loads_with_no_unlisted_events(tmp_path):
    book = regimens.load(broken_copy(tmp_path, [(SECTION, "")], unique=True))
    assert book.unlisted_events == {}
    assert book.adverse_events  # the tables themselves are untouched
