"""One error handler for every command: a typed error becomes one line on stderr and its
documented exit code; nothing else (a bug, a date past year 9999) shows a traceback."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from typer._click.globals import get_current_context

from her2dose.errors import ExitCode, Her2DoseError, RegimenFileError, printable
from her2dose.errors import internal_error_message as _internal_error_message

# Options that take a date: the only inputs whose arithmetic can leave the calendar
# (datetime stops at 9999-12-31).
DATE_OPTIONS = ("start", "on", "last_dose", "open_vial_date", "prepared_at")


def stderr(message: str) -> None:
    typer.echo(printable(message, keep_newlines=True), err=True)


def _color() -> bool | None:
    # None lets click colour only a terminal; NO_COLOR turns it off there too
    return False if os.environ.get("NO_COLOR") else None


def fail(error: Her2DoseError) -> NoReturn:
    text = str(error)
    # only the regimens file's report is several lines (one per problem); a newline in
    # anything else came from the input and is shown escaped
    shown = printable(text, keep_newlines=isinstance(error, RegimenFileError))
    typer.secho(f"error: {shown}", err=True, fg="red", color=_color())
    raise typer.Exit(int(error.exit_code))


def warn(messages: list[str] | tuple[str, ...]) -> None:
    for message in messages:
        typer.secho(f"warning: {printable(message)}", err=True, fg="yellow", color=_color())


def _out_of_range_message() -> str:
    ctx = get_current_context(silent=True)
    given = {}
    if ctx is not None:
        for name in DATE_OPTIONS:
            value = ctx.params.get(name)
            if value is not None:
                given[f"--{name.replace('_', '-')} {printable(str(value))!r}"] = str(value)
    # name the dates near the calendar's end when there are such, else every date given
    late = [option for option, value in given.items() if value[:4].isdigit() and value >= "9"]
    named = late or list(given)
    where = f" ({', '.join(named)})" if named else ""
    return (
        f"a date is out of range{where}: a date it leads to (a next dose, a course end, a "
        "use-by time) falls after 9999-12-31, the last date this tool can count to; give "
        "the real date"
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn domain errors into one line on stderr and the documented exit code."""
    try:
        yield
    except Her2DoseError as error:
        fail(error)
    except KeyboardInterrupt:
        stderr("interrupted")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except (typer.Exit, typer.Abort, BrokenPipeError):
        raise  # a closed stdout is ended quietly by the group (options.Her2doseGroup)
    except OverflowError:
        # Python's dates end at 9999-12-31: a start or visit date near it overflows in the
        # course arithmetic, an input problem rather than a bug
        stderr(f"error: {_out_of_range_message()}")
        raise typer.Exit(int(ExitCode.USAGE)) from None
    except Exception as error:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("HER2DOSE_DEBUG"):
            raise
        stderr(f"error: {_internal_error_message(error)}")
        raise typer.Exit(int(ExitCode.USAGE)) from None
