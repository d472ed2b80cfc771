"""Load and validate regimens.toml, and resolve names against it.

This is the one place the regimens file is read. Loading checks the whole file and
reports every problem at once, each with the file, the entry and the field; a file with
any problem yields no book, so a broken file can never produce a dose.

What each table may hold is declared in schema.py and read by reader.py; the section
readers are sections.py, events.py and courses.py; rules between fields are rules.py;
name resolution is lookup.py (re-exported here).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import tomli

from her2dose import units
from her2dose.data import rules
from her2dose.data import schema as s
from her2dose.data.courses import CourseSections
from her2dose.data.events import EventSections
from her2dose.data.lookup import (  # noqa: F401 - re-exported: commands resolve names here
    normalise,
)
from her2dose.data.paths import (  # noqa: F401 - ENV_VAR and file_sha256 re-exported
    ENV_VAR,
    SHA256_ENV_VAR,
    default_path,
    file_sha256,
)
from her2dose.data.schema import (  # noqa: F401 - CONCENTRATION_TOLERANCE re-exported
    CONCENTRATION_TOLERANCE,
    MAX_DEPTH,
    SUPPORTED_SCHEMA,
)
from her2dose.errors import RegimenFileError
from her2dose.model import DrugStop, RegimenBook

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
SECTIONS = {
    "schema_version",
    "policy",
    "molecules",
    "products",
    "regimens",
    "adverse_events",
    "unlisted_adverse_events",
    "storage",
    "courses",
    "missed_doses",
    "not_encoded_drugs",
}


def load(path: Path | str | None = None, *, expected_sha256: str | None = None) -> RegimenBook:
    """The book of a regimens file; with `expected_sha256`, only of the file of that hash
    (a deployment pins the file it approved, so an edited or truncated copy is refused)."""
    path = Path(path) if path is not None else default_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegimenFileError(
            str(path), [f"cannot read the file: {exc.strerror or exc}"]
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    if expected_sha256 is not None:
        check_sha256(str(path), digest, expected_sha256)
    try:
        data = tomli.loads(raw.decode("utf-8"))
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegimenFileError(str(path), [f"not valid TOML: {exc}"]) from None
    except RecursionError:
        raise RegimenFileError(
            str(path), [f"tables nested too deeply (no entry is deeper than {MAX_DEPTH} levels)"]
        ) from None
    too_deep = deepest(data, MAX_DEPTH)
    if too_deep is not None:
        raise RegimenFileError(
            str(path), [f"{too_deep}: nested deeper than {MAX_DEPTH} levels, which no entry is"]
        )
    checker = Checker()
    with units.keeping():
        book = checker.book(data, str(path), digest)
    if checker.problems:
        raise RegimenFileError(str(path), checker.problems)
    assert book is not None
    return book


def check_sha256(path: str, digest: str, expected: str) -> None:
    wanted = expected.strip().lower()
    if not SHA256_HEX.fullmatch(wanted):
        raise RegimenFileError(
            path,
            [
                f"the approved SHA-256 ({SHA256_ENV_VAR} or --regimens-sha256) must be 64 "
                f"hexadecimal digits, got {expected!r}"
            ],
        )
    if digest != wanted:
        raise RegimenFileError(
            path,
            [
                f"its SHA-256 is {digest}, not the approved {wanted} ({SHA256_ENV_VAR} or "
                "--regimens-sha256): the file has changed since it was approved; restore the "
                "approved file or approve this one"
            ],
        )


def deepest(value: Any, limit: int, where: str = "file") -> str | None:
    """The first entry nested deeper than `limit`, walked without recursion."""
    stack = [(value, where, 0)]
    while stack:
        item, at, depth = stack.pop()
        if depth > limit:
            return at
        if isinstance(item, dict):
            stack.extend(
                (v, f"{at}.{k}" if at != "file" else str(k), depth + 1) for k, v in item.items()
            )
        elif isinstance(item, list):
            stack.extend((v, f"{at}[{i}]", depth + 1) for i, v in enumerate(item))
    return None


class Checker(EventSections, CourseSections):
    """Walks the parsed TOML, building records and collecting every problem."""

    def book(self, data: dict[str, Any], path: str, sha256: str) -> RegimenBook | None:
        self.allowed(data, SECTIONS, "file")
        version = data.get("schema_version")
        if version != SUPPORTED_SCHEMA:
            self.problem("schema_version", f"must be {SUPPORTED_SCHEMA}, got {version!r}")
        policy = self.policy(self.table(data, "policy", "file") or {})
        # Ids the file declares, built or not: a section that refers to an entry with its
        # own problems must not report it again as "unknown".
        self.declared = {
            section: set(data[section]) if isinstance(data.get(section), dict) else set()
            for section in ("molecules", "products", "regimens")
        }
        molecules = {
            mid: m
            for mid, table in (self.table(data, "molecules", "file") or {}).items()
            if (m := self.molecule(mid, table)) is not None
        }
        products = {
            pid: p
            for pid, table in (self.table(data, "products", "file") or {}).items()
            if (p := self.product(pid, table, molecules)) is not None
        }
        regimens = {
            rid: r
            for rid, table in (self.table(data, "regimens", "file") or {}).items()
            if (r := self.regimen(rid, table, molecules)) is not None
        }
        rules.shared_concentration(self, products)
        names = rules.name_index(self, molecules, products)
        if policy is not None:
            rules.policy_exclusions(self, policy.round_to_vial_exclude, names)
        rules.molecule_checks(self, molecules, products, regimens)
        rules.reminder_scopes(self, molecules, products, regimens, self.declared["regimens"])
        rules.indication_stops(self, molecules, regimens)

        def optional(name: str) -> dict[str, Any]:
            return self.table(data, name, "file", required=False) or {}

        adverse_events = self.adverse_events(optional("adverse_events"), molecules, regimens)
        unlisted_events = self.unlisted_adverse_events(
            optional("unlisted_adverse_events"), adverse_events
        )
        storage = self.storage(optional("storage"), molecules, products)
        courses = self.courses(optional("courses"), regimens)
        missed_doses = self.missed_doses(optional("missed_doses"), molecules, regimens)
        drug_stops = self.drug_stops(optional("not_encoded_drugs"))
        rules.drug_stops(self, drug_stops, names)
        if self.problems or policy is None:
            return None
        return RegimenBook(
            path,
            sha256,
            policy,
            molecules,
            products,
            regimens,
            names,
            adverse_events=adverse_events,
            unlisted_events=unlisted_events,
            storage=storage,
            courses=courses,
            missed_doses=missed_doses,
            not_encoded_drugs=drug_stops,
        )

    def drug_stops(self, section: dict[str, Any]) -> dict[str, DrugStop]:
        """[not_encoded_drugs.ID]: names users type for a drug that is not encoded."""
        out = {}
        for ident, table in section.items():
            where = f"not_encoded_drugs.{ident}"
            if not isinstance(table, dict):
                self.problem(where, "must be a table")
                continue
            v = self.read(table, s.DRUG_STOP, where)
            if not v["aliases"] and "aliases" in table:
                self.problem(f"{where}.aliases", "must list at least one name")
            elif "aliases" not in table:
                self.problem(f"{where}.aliases", "missing (the names users type)")
            if v["aliases"] and v["message"] and v["source"]:
                out[ident] = DrugStop(
                    ident, v["aliases"], v["message"], v["source"], self.evidence(table)
                )
        return out


_Checker = Checker  # the name a benchmark uses
