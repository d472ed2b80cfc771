"""Loading [storage.*] and the issue-4 [policy] checks from regimens.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from her2dose.data import loader as regimens
from her2dose.errors import RegimenFileError

SHIPPED = Path(__file__).resolve().parents[1] / "regimens.toml"


def load_with(tmp_path, text: str = "", replace: tuple[str, str] | None = None):
    body = SHIPPED.read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in body
        body = body.replace(*replace)
    path = tmp_path / "regimens.toml"
    path.write_text(body + "\n" + text, encoding="utf-8")
    return regimens.load(path)


def problems(tmp_path, text: str = "", replace: tuple[str, str] | None = None) -> list[str]:
    with pytest.raises(RegimenFileError) as caught:
        load_with(tmp_path, text, replace)
    return caught.value.problems


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


def test_storage_problems_are_all_reported(tmp_path):
    found = problems(
        tmp_path,
        """
[[storage.aspirin.use_by]]
stage = "reconstituted"
[[storage.kadcyla.use_by]]
stage = "frozen"
storage = "refrigerated"
condition = "2 to 8 °C"
hold = "24 mL"
counted_from = "reconstitution"
source = "test"
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
""",
    )
    text = "\n".join(found)
    assert "storage.aspirin: 'aspirin' is neither a product nor a molecule id" in text
    assert "storage.kadcyla.use_by[0].stage: 'frozen' is not one of" in text
    assert "storage.kadcyla.use_by[0].hold" in text
    assert "storage.enhertu.use_by[0].counted_from: a reconstituted vial's clock" in text
    assert "storage.enhertu.use_by[0].colour: unknown field" in text
    assert "storage.trastuzumab-deruxtecan.without_benzyl_alcohol: belongs to a product" in text
    assert (
        "storage.herzuma.without_benzyl_alcohol.strength: HERZUMA has no multiple-dose vial" in text
    )


def test_duplicate_use_by_entry_is_a_problem(tmp_path):
    entry = """
[[storage.kadcyla.use_by]]
stage = "diluted"
storage = "refrigerated"
condition = "2 to 8 °C"
hold = "24 h"
counted_from = "dilution"
source = "test"
"""
    assert any("a second diluted / refrigerated entry" in p for p in problems(tmp_path, entry * 2))


def test_product_storage_overrides_molecule_storage(tmp_path):
    book = load_with(
        tmp_path,
        """
[[storage.kadcyla.use_by]]
stage = "diluted"
storage = "refrigerated"
condition = "2 to 8 °C"
hold = "12 h"
counted_from = "dilution"
source = "test"
""",
    )
    from her2dose.core.preparation_times import storage_for

    facts = storage_for(book.storage, "kadcyla", "ado-trastuzumab-emtansine")
    assert [r.hold.m_as("h") for r in facts.use_by] == [12]
    assert facts.not_encoded is not None  # still the molecule's


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "round_to_vial_pct = 0",
            "round_to_vial_pct = 15",
            "policy.round_to_vial_pct: 15% is above rounding_max_pct (10%)",
        ),
        (
            "rounding_max_pct = 10",
            "rounding_max_pct = 100",
            "policy.rounding_max_pct: must be more than 0 and less than 100",
        ),
        (
            "weight_change_pct = 10",
            "weight_change_pct = 0",
            "policy.weight_change_pct: must be more than 0 and less than 100",
        ),
        (
            "round_to_vial_exclude = []",
            'round_to_vial_exclude = ["aspirin"]',
            "policy.round_to_vial_exclude: unknown drug 'aspirin'",
        ),
    ],
)
def test_policy_range_checks(tmp_path, old, new, expected):
    assert any(p.startswith(expected) for p in problems(tmp_path, replace=(old, new)))


def test_policy_exclusion_by_any_drug_name(tmp_path):
    book = load_with(
        tmp_path,
        replace=("round_to_vial_exclude = []", 'round_to_vial_exclude = ["KADCYLA", "t-dxd"]'),
    )
    assert book.policy.round_to_vial_exclude == ("KADCYLA", "t-dxd")
