"""The one resolver: every missing choice in one message, suggestions within one kind."""

from __future__ import annotations

import pytest

from her2dose.commands import selection
from her2dose.commands.selection import MissingChoicesError, select
from her2dose.errors import InputError, UnknownNameError


def test_trastuzumab_learns_its_four_choices_in_one_message(book):
    with pytest.raises(MissingChoicesError) as info:
        select(book, "trastuzumab")
    message = str(info.value)
    assert info.value.fields == ("indication", "schedule", "phase", "product")
    for option, values in (
        ("--indication", ("adjuvant-breast", "metastatic-breast", "gastric")),
        ("--schedule", ("q3w", "weekly")),
        ("--phase", ("loading", "maintenance")),
        ("--product", ("herceptin", "ogivri", "herzuma", "ontruzant", "trazimera")),
    ):
        assert option in message
        for value in values:
            assert value in message
    # the schedule is only needed for the indications with two
    assert "--schedule (for adjuvant-breast, metastatic-breast)" in message


def test_a_complete_selection_resolves_everything(book):
    chosen = select(
        book,
        "ogivri",
        indication="adjuvant-breast",
        schedule="weekly",
        phase="maintenance",
    )
    assert chosen.regimen.id == "trastuzumab-adjuvant-breast"
    assert chosen.schedule.name == "weekly"
    assert chosen.phase.name == "maintenance"
    assert chosen.product.id == "ogivri"
    assert chosen.level is None


def test_cli_plan_reports_every_missing_choice_in_one_line(cli):
    result = cli("plan", "trastuzumab", "--weight", "70 kg")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.count("choose one with") == 4


def test_adjust_asks_for_indication_and_current_level_together(book):
    with pytest.raises(MissingChoicesError) as info:
        select(book, "enhertu", level_mode=selection.LEVEL_CURRENT, product_mode=selection.SKIP)
    assert info.value.fields == ("indication", "level")
    assert "the level the patient is on now" in str(info.value)


def test_course_shape_and_chemotherapy_are_choices(book):
    with pytest.raises(MissingChoicesError) as info:
        select(
            book,
            "herceptin",
            indication="adjuvant-breast",
            schedule="adjuvant-weekly-then-q3w",
            shape_mode=selection.COURSE,
        )
    assert info.value.fields == ("chemotherapy",)
    assert "paclitaxel" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "kind", "says"),
    [
        ({"indication": "brest"}, "indication", "did you mean 'breast'"),
        ({"indication": "breast", "product": "kadcila"}, "product", "unknown product"),
        ({"indication": "breast", "schedule": "weekley"}, "schedule", "unknown schedule"),
    ],
)
def test_unknown_names_suggest_only_their_own_kind(book, kwargs, kind, says):
    with pytest.raises(UnknownNameError) as info:
        select(book, "enhertu", **kwargs)
    assert info.value.field == kind
    assert says in str(info.value)
    # a product name is never offered for an indication, nor the reverse
    if kind == "indication":
        assert "enhertu" not in str(info.value).split("Known:")[0].split("did you mean")[1]


def test_empty_drug_is_required(book):
    with pytest.raises(InputError, match="drug is required"):
        select(book, " ")
