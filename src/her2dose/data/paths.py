"""Which regimens file is in use, and its SHA-256: all `her2dose --version` needs.

Kept apart from regimens.py (which re-exports both) so that `--version` loads neither the
loader, nor Pint, nor the records (a test checks sys.modules).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENV_VAR = "HER2DOSE_REGIMENS"
# the SHA-256 a deployment approved: any other file is refused (the cli reads it)
SHA256_ENV_VAR = "HER2DOSE_REGIMENS_SHA256"


def default_path() -> Path:
    """HER2DOSE_REGIMENS, else the copy shipped in the wheel, else the repo's root file."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    # Beside this file, not through importlib.resources: the same path for an installed
    # wheel, without importing the resource readers on every start.
    shipped = Path(__file__).with_name("regimens.toml")
    if shipped.is_file():
        return shipped
    return Path(__file__).resolve().parents[3] / "regimens.toml"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
