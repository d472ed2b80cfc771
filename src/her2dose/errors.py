"""Typed errors and exit codes. Every error a user can cause is a Her2DoseError whose
message names the bad input and how to fix it; the CLI prints it on one line."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # completed, but the answer is "no" (check mismatch, failed batch rows)
    USAGE = 2  # bad input or usage
    REGIMENS = 3  # the regimens file is invalid
    INTERRUPTED = 130
    CLOSED_STDOUT = 141  # the reader of stdout went away (`| head`): 128 + SIGPIPE, quietly


class Her2DoseError(Exception):
    exit_code: ExitCode = ExitCode.USAGE


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every character that is not plainly printable escaped as Python would
    (`\\x1b`, `\\u202e`): escape sequences, cursor moves, bidirectional overrides and
    invisible or unassigned characters, so that an error quoting a clinic list's cell can
    neither set the terminal title nor hide or reorder what is shown."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or (char == "\n" and keep_newlines) else ascii(char)[1:-1]
        for char in text
    )


class InputError(Her2DoseError, ValueError):
    """A value given on the command line or in a batch row is unusable."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(printable(message))


class UnknownNameError(InputError, LookupError):
    """A drug, product, indication or other name that the regimens file does not know."""


class NotEncodedError(Her2DoseError):
    """A drug or indication the label has but her2dose does not encode: a finding, not a
    mistake of the user (exit 1), so that no near name is ever planned in its place."""

    exit_code = ExitCode.FINDINGS

    def __init__(
        self,
        field: str,
        message: str,
        *,
        hint: str | None = None,
        source: str = "",
        evidence: str = "",
        name: str = "",
    ) -> None:
        self.field = field
        self.message = message
        self.hint = hint
        self.source = source
        self.evidence = evidence
        self.name = name  # the drug or indication (main name) that is not encoded
        super().__init__(f"not encoded: {message}" + (f" ({hint})" if hint else ""))


class OutputError(Her2DoseError, OSError):
    """The output cannot be written."""


class RegimenFileError(Her2DoseError):
    """The regimens file is invalid. Carries every problem found, not just the first."""

    exit_code = ExitCode.REGIMENS

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {printable(p)}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"invalid regimens file {path}: {len(problems)} {noun}\n{listing}")


def internal_error_message(error: BaseException) -> str:
    """What the user sees for a bug (an unexpected exception): said plainly, no traceback."""
    return (
        f"internal error ({type(error).__name__}: {error}); "
        "rerun with HER2DOSE_DEBUG=1 for details and please report it"
    )
