"""Storage and use-by records: the regimens file's hold times and a plan's use-by times."""

from __future__ import annotations

from datetime import datetime

from her2dose.model import Quantity, Sourced
from her2dose.model.records import record

STAGES = ("reconstituted", "diluted")
STORAGE_KINDS = ("refrigerated", "room_temperature")
CLOCK_STARTS = ("reconstitution", "dilution")
STAGE_WORDS = {"reconstituted": "reconstituted vials", "diluted": "diluted bag"}
STORAGE_WORDS = {"refrigerated": "refrigerated", "room_temperature": "room temperature"}


@record
class UseByRule:
    """One label hold time: how long a stage may be kept, how, and from when."""

    stage: str  # one of STAGES
    storage: str  # one of STORAGE_KINDS
    condition: str  # the label's words: "2 to 8 °C, protected from light; do not freeze"
    hold: Quantity  # time
    counted_from: str  # one of CLOCK_STARTS
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class SterileWaterAlternative:
    """A multiple-dose vial reconstituted with sterile water (no benzyl alcohol): single-dose."""

    strength: Quantity  # which vial of the product
    reconstitute_with: Quantity
    fluid: str
    text: str  # the label sentence
    source: str
    evidence: str = ""  # one of EVIDENCE_LEVELS: the weakest document `source` cites


@record
class StorageFacts:
    """[storage.ID] of regimens.toml, for a product or a molecule."""

    id: str
    use_by: tuple[UseByRule, ...] = ()
    not_encoded: Sourced | None = None  # what is deliberately left out, and where to look
    without_benzyl_alcohol: SterileWaterAlternative | None = None


@record
class UseBy:
    what: str  # "reconstituted vials", "diluted bag", "opened multiple-dose vial (420 mg)"
    storage: str  # one of STORAGE_KINDS
    condition: str
    hold: Quantity
    counted_from: str  # one of CLOCK_STARTS
    starts: datetime
    use_by: datetime
    source: str
    evidence: str = ""  # the rule's evidence level, shown beside the time
