"""The one spelling rule for names in the regimens file and typed by a user.

Resolving a typed name to a record is the commands' Selection resolver
(commands/selection.py); the loader uses this rule to index the names it reads.
"""

from __future__ import annotations

import re


def normalise(name: str) -> str:
    """Case-, space- and underscore-insensitive form of a user-typed name."""
    return re.sub(r"[\s_]+", "-", name.strip().lower())
