"""The command line: argv in, calls into the core, results out through render.

This module holds the app (its callback: --version, --regimens before the command), what
every command uses (load_book, request, emit) and the entry point. The commands live in
plan.py, clinical.py (regimens, levels, adjust, check), courses.py (schedule, next) and
batch.py; a run imports only the module of the command it names.

Only typer, the standard library, `errors` and the rest of cli/ (options.py: what every
command shares; errors.py: the one error handler) are imported at module level, so that
`her2dose --help` and `--version` never load Pint or Rich (a test checks this).
"""

# No `from __future__ import annotations` here or in the command modules: Typer reads every
# command's signature when it builds the app, and string annotations it must eval() again
# each time (four times per option), about 10 ms of every start; evaluated once at import
# they cost ~1 ms.
import copy
import gc
import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from her2dose import __version__
from her2dose.cli import options
from her2dose.cli.errors import stderr as _stderr
from her2dose.cli.errors import warn
from her2dose.cli.options import TableOrJson
from her2dose.errors import ExitCode

if TYPE_CHECKING:
    from her2dose.model import RegimenBook

# Each command's module (its `commands`), in the order `her2dose --help` lists them.
COMMAND_MODULES = {
    "plan": "her2dose.cli.plan",
    "regimens": "her2dose.cli.clinical",
    "levels": "her2dose.cli.clinical",
    "adjust": "her2dose.cli.clinical",
    "check": "her2dose.cli.clinical",
    "schedule": "her2dose.cli.courses",
    "next": "her2dose.cli.courses",
    "batch": "her2dose.cli.batch",
}


def commands_of(module_name: str) -> list:  # -> list[typer.models.CommandInfo]
    """The commands a module defines on its own `commands = typer.Typer()`."""
    return importlib.import_module(module_name).commands.registered_commands


def command_name(info) -> str:
    return info.name or typer.main.get_command_name(info.callback.__name__)


class Her2doseApp(typer.Typer):
    """The app, whose commands are imported from their modules when they are first asked for:
    importing this module, and running one command through app_for, load no other."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._modules = tuple(dict.fromkeys(COMMAND_MODULES.values()))

    @property
    def registered_commands(self) -> list:
        if self._modules:
            modules, self._modules = self._modules, ()
            found = {command_name(info): info for m in modules for info in commands_of(m)}
            self._commands[:0] = [found[name] for name in COMMAND_MODULES]
        return self._commands

    @registered_commands.setter
    def registered_commands(self, commands: list) -> None:
        # Typer's own __init__ sets the empty list; app_for sets a lean copy's one command
        self._commands = commands
        self._modules = ()


app = Her2doseApp(
    name="her2dose",
    help="Dose, vials, preparation and infusion plans for HER2-directed cancer drugs.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=options.Her2doseGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def load_book(path: Path | None, sha256: str | None = None) -> "RegimenBook":
    from her2dose.data import loader as regimens

    expected = sha256 if sha256 is not None else os.environ.get(regimens.SHA256_ENV_VAR) or None
    return regimens.load(options.regimens_path(path), expected_sha256=expected)


def request(cls: type, **values: Any) -> Any:
    """The command's request record: each field is the value of the command's option (or
    argument) of the same name, or of `values` where the command passes it otherwise."""
    from typer._click.globals import get_current_context

    from her2dose.model.records import fields

    given = {**get_current_context().params, **values}
    return cls(**{field.name: given[field.name] for field in fields(cls)})


def stdout_console():  # -> rich.console.Console
    from rich.console import Console

    class StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            # Rich would exit 1 here; every command ends a closed stdout the same way
            # (options.Her2doseGroup.invoke: quietly, ExitCode.CLOSED_STDOUT)
            raise BrokenPipeError

    return StdoutConsole(highlight=False, soft_wrap=False)


def collect_garbage_again() -> None:
    """Before work that grows with its input (batch rows): undo main()'s start-up setting.

    What start-up built (modules, registry, the book) is frozen, so that the collections
    during the rows skip it. A no-op when the collector is on (the app run in-process)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def emit(result, output_format: "TableOrJson", book: "RegimenBook", as_json, as_table) -> None:
    """Warnings to stderr (for scripts and JSON users), then the result to stdout as JSON
    or as a table; a table repeats the warnings right after its answer, where they are seen."""
    warn(result.warnings)
    if output_format is TableOrJson.json:
        typer.echo(as_json(result, book.path, book.sha256))
    else:
        as_table(result, stdout_console(), book.path, book.sha256)


def _version_callback(ctx: typer.Context, value: bool) -> None:
    if not value:
        return
    from her2dose.data.paths import default_path, file_sha256

    # a --regimens given before --version is the file to report (both are eager, so they
    # are read in the order typed)
    given = ctx.params.get("regimens")
    path = Path(given) if given else default_path()
    try:
        digest = file_sha256(path)
    except OSError as exc:
        _stderr(f"error: cannot read regimens file {path}: {exc.strerror or exc}")
        raise typer.Exit(int(ExitCode.REGIMENS)) from None
    typer.echo(f"her2dose {__version__}")
    typer.echo(f"regimens: {path}")
    typer.echo(f"sha256: {digest}")
    raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and the regimens file in use (path and SHA-256), then exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
    regimens: Annotated[
        Path | None,
        typer.Option(
            "--regimens",
            help="Regimens file for the command that follows (the same as its own --regimens).",
            dir_okay=False,
            metavar="FILE",
            is_eager=True,
        ),
    ] = None,
) -> None:
    """Dose, vials, preparation and infusion plans for HER2-directed cancer drugs.

    Every clinical number comes from regimens.toml, each with its label source.
    Check every plan against the current prescribing information and local protocol.
    """


def app_for(args: list[str]) -> typer.Typer:
    """The app to run for `args`: `app`, or a copy holding only the command `args` names.

    Typer builds every command's Click options before it parses anything (about 3 ms for
    all of them, 1 ms for plan's alone), and `app` imports every command's module. When the
    first argument names a command, only that command is ever used: the group's own options
    (--help, --version) would have to come before the name, and its list of commands is
    shown only when none is named, so the run, its output and its errors are the same
    (tests/cli/test_startup_costs.py).
    """
    if args and args[0] in COMMAND_MODULES:
        name = args[0]
        lean = copy.copy(app)
        lean.registered_commands = [
            info for info in commands_of(COMMAND_MODULES[name]) if command_name(info) == name
        ]
        return lean
    return app


def main() -> None:
    """Console-script entry point."""
    # Start-up speed: a command creates some 50,000 objects as it imports Pint and
    # loads the regimens file, and only ~550 of them are ever garbage, whatever was asked
    # (gc.collect() after a plan, a table, a 520-dose schedule or an error). The cyclic
    # collector would walk them again and again while they appear (~10 ms) and once more
    # at exit (~15-25 ms), so it is off for the run and what is left is frozen before exit.
    # Memory stays bounded because every command but batch does a bounded amount of work;
    # batch, whose garbage grows with its rows, turns it back on (collect_garbage_again).
    gc.disable()
    try:
        app_for(sys.argv[1:])()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        _stderr("interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    finally:
        gc.freeze()
