"""Output files: where her2dose may write, and an atomic write of a whole file."""

from __future__ import annotations

import errno
import os
import stat
from contextlib import suppress
from pathlib import Path

from her2dose.errors import InputError, OutputError

NO_SPACE = {errno.ENOSPC: "no space left on the device", errno.EFBIG: "the file is too large"}
if hasattr(errno, "EDQUOT"):
    NO_SPACE[errno.EDQUOT] = "the disk quota is used up"


def check_output_path(path: str) -> None:
    """Refuse, before anything is written, any output but a regular file or a new name: a
    device (as root, `-o /dev/null` would otherwise be replaced by patient data), a FIFO,
    a socket or a folder is never replaced."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError("output", f"cannot write '{path}': {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("output", f"output '{path}' is a folder; give a file name")
    if not stat.S_ISREG(info.st_mode):
        what = (
            "a FIFO"
            if stat.S_ISFIFO(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "a device"
        )
        raise InputError(
            "output",
            f"output '{path}' is {what}, not a regular file; her2dose writes only a regular "
            "file or a new name",
        )


def write_error(exc: OSError, where: str, existed: bool) -> OutputError:
    """What a failed write says: the reason in words and what is left on disk."""
    reason = NO_SPACE.get(exc.errno or 0) or f"cannot write: {exc.strerror or exc}"
    if where == "-":
        return OutputError(f"{reason}: stdout is incomplete")
    older = "the older file is intact" if existed else "no file was made"
    return OutputError(f"{reason}: nothing was written to {where}; {older}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, renamed into place only when whole."""
    import tempfile  # only when writing a file: `plan` does not pay for it

    check_output_path(str(path))
    existed = path.exists()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write '{path}': {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise write_error(exc, str(path), existed) from None
        raise
