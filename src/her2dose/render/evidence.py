"""Evidence levels as the words a user reads beside a fact, and a sources line grouped by them.

A fact resting on the current US label needs no word; every other level is said where the
fact is shown, so that an EU-only or institutional value is never mistaken for the label.
"""

from __future__ import annotations

from her2dose.model import weakest

# shown in brackets after a fact: "(institutional protocol, not a label)"
ROW_WORDS: dict[str, str] = {
    "us-label": "",
    "us-label-older": "older US label: confirm against the current label",
    "fda-listing": "FDA product listing",
    "eu-label": "EU label, not the US label",
    "manufacturer": "manufacturer information, not the label",
    "institutional": "institutional protocol",
    "secondary": "published source, not a label",
    "policy": "local policy (configurable)",
}

# the word after a document on the sources line: "ENHERTU EU SmPC §6.6 (EU label, ...)"
SOURCE_WORDS: dict[str, str] = {
    "us-label": "US label",
    "us-label-older": "older US label",
    "fda-listing": "FDA product listing",
    "eu-label": "EU label, not the US label",
    "manufacturer": "manufacturer information",
    "institutional": "institutional",
    "secondary": "published source, not a label",
    "policy": "local policy (configurable)",
}


def words(*levels: str) -> str:
    """The weakest level's words, '' for the US label or no level."""
    return ROW_WORDS.get(weakest(*levels), "")


def tagged(text: str, *levels: str) -> str:
    """text with its evidence in brackets when it is not the US label."""
    said = words(*levels)
    return f"{text} ({said})" if said else text


def document_level(document: str, record_level: str) -> str:
    """The level of one document a source names: the document says what it is (an EU SmPC,
    an NDC record, a manufacturer page); anything else has its record's level."""
    name = document.lower()
    if "eu smpc" in name or "swiss product information" in name:
        return "eu-label"
    if name.startswith("ndc") or " ndc " in f" {name} ":
        return "fda-listing"
    if "hcp website" in name or "medical information" in name:
        return "manufacturer"
    if "us pi" in name or "prescribing information" in name:
        older = record_level == "us-label-older" or "older" in name or "2013" in name
        return "us-label-older" if older else "us-label"
    return record_level


CONFIRM = "Confirm against the current label."


def reminder_text(text: str, level: str) -> str:
    """A reminder with its evidence said once: a closing 'Confirm against the current
    label.' moves into the bracket after the text, with the evidence word."""
    said = words(level)
    asks = text.rstrip().endswith(CONFIRM)
    if asks:
        text = text.rstrip()[: -len(CONFIRM)].rstrip()
    if asks and not said:
        said = CONFIRM[:-1].lower()  # a word other than the US label already says it
    return f"{text} ({said})" if said else text


def grouped(items: list[tuple[str, str]]) -> list[str]:
    """One line per evidence level other than the US label, naming what rests on it:
    [('level 0', 'us-label-older'), ('level -1', 'us-label-older')] ->
    ['level 0, level -1 (older US label: confirm against the current label)']."""
    by_level: dict[str, list[str]] = {}
    for what, level in items:
        if words(level):
            by_level.setdefault(weakest(level), []).append(what)
    return [f"{_names(list(dict.fromkeys(whats)))} ({words(lv)})" for lv, whats in by_level.items()]


def _names(whats: list[str]) -> str:
    """'level -1', 'level -2' -> 'levels -1, -2'; other names as they are."""
    if len(whats) > 1 and all(w.startswith("level ") for w in whats):
        return "levels " + ", ".join(w.removeprefix("level ") for w in whats)
    return ", ".join(whats)
