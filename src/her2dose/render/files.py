"""Atomic file writes for every output file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from her2dose.errors import OutputError


@contextmanager
def atomic_output(
    path: Path, *, newline: str | None = None, binary: bool = False
) -> Iterator[IO[Any]]:
    """Write to a temporary file beside `path` (text, or bytes when `binary`), renamed into
    place only on success."""
    import tempfile  # only when writing a file: `plan` does not pay for it

    directory = path.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write '{path}': {exc.strerror or exc}") from None
    try:
        opened = (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline=newline)
        )
        with opened as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
