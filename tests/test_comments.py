"""Comments say why, not which ticket asked: no issue numbers in the source."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "her2dose"
TICKET = re.compile(r"\bissues?[ -]?#?\d+", re.IGNORECASE)


def test_no_source_line_names_an_issue_number():
    found = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TICKET.search(line)
    ]
    assert found == []


def test_the_pattern_finds_issue_numbers():
    assert TICKET.search("# --- issue 4: policy overrides")
    assert TICKET.search("(issue-6)") and not TICKET.search("later issues add columns")
