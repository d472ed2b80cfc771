"""What every command shares: its Click classes, option types, metavars, help examples and
shell completion, and the options several commands take. The command modules (plan.py,
clinical.py, courses.py, batch.py) declare only what is theirs.

Only typer and the standard library at module level: `--help` must not load Pint or Rich.
"""

import enum
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

# Typer's own copy of Click: the classes it builds its commands from
from typer._click import core, exceptions, types
from typer._click.globals import get_current_context
from typer.core import TyperCommand, TyperGroup

from her2dose.errors import ExitCode, InputError, printable


class TableOrJson(enum.StrEnum):
    table = "table"
    json = "json"


class PlanFormat(enum.StrEnum):
    table = "table"
    json = "json"
    pdf = "pdf"
    html = "html"


RegimensOption = Annotated[
    Path | None,
    typer.Option(
        "--regimens",
        help="Regimens file to use (default: $HER2DOSE_REGIMENS, else the shipped regimens.toml).",
        dir_okay=False,
    ),
]
RegimensSha256Option = Annotated[
    str | None,
    typer.Option(
        "--regimens-sha256",
        help="Refuse a regimens file whose SHA-256 is not this one (default: "
        "$HER2DOSE_REGIMENS_SHA256); pins the file a deployment approved.",
    ),
]


def format_option(help: str, choices: Any = TableOrJson) -> Any:
    """--format / -f: one of the enum `choices` (or None where that is the type), any case."""
    return Annotated[choices, typer.Option("--format", "-f", help=help, case_sensitive=False)]


FormatOption = format_option("Output format (--json is short for --format json).")


# The options several commands take, declared here once; each command says in its help
# what the value does there (a plan's weight is required, a schedule's adds mg per dose).
def drug_argument(examples: str = "") -> Any:
    """The drug named first; `examples`: the names that suit the command's help."""
    shown = f" ({examples})" if examples else ""
    return Annotated[str, typer.Argument(help=f"Brand, generic name or abbreviation{shown}.")]


def weight_option(help: str, *, required: bool = False) -> Any:
    return Annotated[str if required else str | None, typer.Option("--weight", "-w", help=help)]


def dose_option(help: str, *, required: bool = False) -> Any:
    return Annotated[str if required else str | None, typer.Option("--dose", "-d", help=help)]


def start_option(help: str, *, required: bool = False) -> Any:
    return Annotated[str if required else str | None, typer.Option("--start", help=help)]


def text_option(help: str) -> Any:
    """An option spelled as its parameter is named (--first-cycle for first_cycle): text,
    or None when not given."""
    return Annotated[str | None, typer.Option(help=help)]


def indication_option(examples: str = "") -> Any:
    shown = f", e.g. {examples}" if examples else ""
    return text_option(f"Indication{shown} (required when the drug has several).")


IndicationOption = indication_option()
LevelOption = text_option("Dose level: 0 (starting dose), -1, -2.")
InfusionOption = text_option("first (default, the longer time) or subsequent.")
ChemotherapyOption = text_option(
    "With adjuvant-weekly-then-q3w: paclitaxel, docetaxel or docetaxel-carboplatin."
)
ProductForWeightOption = text_option("Product whose vials to use (with --weight), e.g. ogivri.")

# Closed sets show their values; open ones (names from the regimens file) say what they
# are and complete from the file. Kept beside the commands' own lists by a test
# (tests/cli/test_cli_ergonomics.py), since importing those would load Pint for --help.
METAVARS = {
    "drug": "DRUG",
    "weight": "WEIGHT",
    "baseline_weight": "WEIGHT",
    "dose": "DOSE",
    "indication": "INDICATION",
    "product": "PRODUCT",
    "level": "LEVEL",
    "phase": "PHASE",
    "schedule": "SCHEDULE",
    "chemotherapy": "CHEMOTHERAPY",
    "event": "EVENT",
    "grade": "GRADE",
    "infusion": "[first|subsequent]",
    "previous": "[iv|phesgo]",
    "dose_weight": "[current|baseline_until_threshold]",
    "start": "YYYY-MM-DD",
    "on": "YYYY-MM-DD",
    "last_dose": "YYYY-MM-DD",
    "open_vial_date": "'YYYY-MM-DD HH:MM'",
    "prepared_at": "'YYYY-MM-DD HH:MM'",
    "open_vial_mg": "MG",
    "round_increment_mg": "MG",
    "round_to_vial_pct": "PCT",
    "weight_change_pct": "PCT",
    "tolerance": "PCT",
    "lvef": "PCT",
    "lvef_drop": "POINTS",
    "lvef_baseline": "PCT",
    "lvef_lln": "PCT",
    "round_to_vial_exclude": "DRUGS",
    "resolved_days": "DAYS",
    "cycles": "N",
    "weeks": "N",
    "regimens": "FILE",
    "regimens_sha256": "HASH",
    "levels": "'1-5:0,6:-1,7-10:-2'",
    "first_cycle": "N",
    "patient": "NAME",
    "mrn": "MRN",
    "weight_date": "YYYY-MM-DD",
    "output": "FILE",
    "columns": "lean|full|NAME,NAME,...",
    "sheet": "NAME",
    "manifest": "FILE",
    "pass_through": "COLUMN,COLUMN,...",
}

# Two or three real calls per command, shown at the end of its --help.
EXAMPLES = {
    "plan": (
        "her2dose plan enhertu --indication breast --weight '72 kg'",
        "her2dose plan herceptin --indication metastatic-breast --schedule weekly "
        "--phase loading --weight '158 lb' --json",
        "her2dose plan kadcyla --indication metastatic-breast --weight 72 --level -1",
    ),
    "regimens": ("her2dose regimens", "her2dose regimens --json"),
    "levels": (
        "her2dose levels enhertu --indication breast",
        "her2dose levels kadcyla --indication metastatic-breast --weight '72 kg'",
    ),
    "adjust": (
        "her2dose adjust enhertu --indication breast --event neutropenia --grade 3 --level 0",
        "her2dose adjust enhertu --indication breast --event ild --grade 1 --resolved-days 20",
        "her2dose adjust kadcyla --indication metastatic-breast --event lvef --lvef 42 "
        "--lvef-drop 12 --level 0",
    ),
    "check": (
        "her2dose check enhertu --indication breast --weight '72 kg' --dose '389 mg'",
        "her2dose check kadcyla --indication metastatic-breast --weight 72 --dose '3.6 mg/kg'",
    ),
    "schedule": (
        "her2dose schedule enhertu --indication breast --start 2026-01-05 --cycles 6",
        "her2dose schedule kadcyla --indication early-breast --start 2026-01-05 --weight '72 kg'",
    ),
    "next": (
        "her2dose next kadcyla --indication metastatic-breast --last-dose 2026-01-05 "
        "--on 2026-02-02 --weight '72 kg'",
        "her2dose next phesgo --last-dose 2026-01-05 --previous phesgo",
    ),
    "batch": (
        "her2dose batch clinic.csv -o plans.csv",
        "her2dose batch clinic.jsonl --format csv > plans.csv",
        "her2dose batch - --format jsonl --quiet < clinic.csv",
    ),
}

# Which names a parameter completes from the regimens file (the book is loaded only when
# the shell asks: never for a run, never for --help).
COMPLETES = {
    "drug": "drug",
    "round_to_vial_exclude": "drug",
    "indication": "indication",
    "product": "product",
    "event": "event",
    "schedule": "schedule",
    "phase": "phase",
}


def _book_for(ctx: core.Context) -> Any:
    from her2dose.data import loader

    regimens = ctx.params.get("regimens")
    root = ctx.find_root()
    if regimens is None and root is not ctx:
        regimens = root.params.get("regimens")
    return loader.load(regimens)


def _molecule_of(book: Any, ctx: core.Context) -> str | None:
    from her2dose.data.loader import normalise

    drug = ctx.params.get("drug")
    if not drug and ctx.args:
        # Click stops parsing at an option still waiting for its value (the one being
        # completed), leaving the drug among the unparsed words
        drug = ctx.args[0]
    if not drug:
        return None
    hit = book.names.get(normalise(drug))
    if hit is None:
        return None
    kind, ident = hit
    return book.products[ident].molecule_id if kind == "product" else ident


def names_for(kind: str, ctx: core.Context) -> list[str]:
    """The names of `kind` a user may type here, for the drug already given when there is one."""
    book = _book_for(ctx)
    molecule = _molecule_of(book, ctx)
    regimens = [r for r in book.regimens.values() if molecule in (None, r.molecule_id)]
    if kind == "drug":
        found: Iterable[str] = book.names
    elif kind == "product":
        found = [p.id for p in book.products.values() if molecule in (None, p.molecule_id)]
    elif kind == "indication":
        found = [n for r in regimens for n in (r.indication, *r.indication_aliases)]
    elif kind == "schedule":
        found = [s for r in regimens for s in r.schedules]
    elif kind == "phase":
        found = [p for r in regimens for s in r.schedules.values() for p in s.phases]
    else:  # event
        tables = [t for m, t in book.adverse_events.items() if molecule in (None, m)]
        # and the events no table lists (nausea, ...): `adjust` answers those too
        found = [*(n for t in tables for n in t.names), *book.unlisted_events]
    return sorted(set(found))


class NameType(types.StringParamType):
    """Plain text (the commands resolve and check it) that the shell completes from the book."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def shell_complete(self, ctx: core.Context, param: core.Parameter, incomplete: str):
        from typer._click.shell_completion import CompletionItem

        try:
            names = names_for(self.kind, ctx)
        except Exception:  # a broken or missing file: no completion rather than a traceback
            return []
        return [CompletionItem(n) for n in names if n.startswith(incomplete.lower())]


class OneLineUsageError(exceptions.UsageError):
    """A usage error shown as every other error is: one `error:` line that says the fix."""

    def show(self, file: Any = None) -> None:
        typer.echo(f"error: {printable(self.message)}", err=True)


def _hint(ctx: core.Context | None) -> str:
    return f"see '{ctx.command_path} -h'" if ctx is not None else "see 'her2dose -h'"


def _is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", None) == "option"


def _param_names(param: core.Parameter | None) -> str:
    if param is None:
        return "a value"
    if _is_option(param):
        return " / ".join(param.opts)
    return (param.metavar or param.name or "argument").upper()


def _closest(typed: str, names: Iterable[str]) -> list[str]:
    """Of Click's suggestions, those close to `typed` and about as close as the closest one:
    --wieght is --weight, not --weight-date too. Compared without their dashes, which every
    option shares (Click's own score makes --bogus "close" to --dose)."""
    import difflib

    bare = typed.lstrip("-")
    score = {name: difflib.SequenceMatcher(None, bare, name.lstrip("-")).ratio() for name in names}
    best = max(score.values(), default=0.0)
    return sorted(name for name, ratio in score.items() if ratio >= max(best - 0.1, 0.6))


def one_line(error: exceptions.UsageError) -> OneLineUsageError:
    """Click's usage error in words that name the input and the fix, on one line."""
    ctx = error.ctx
    command = ctx.command_path if ctx is not None else "her2dose"
    if isinstance(error, OneLineUsageError):
        return error
    if isinstance(error, exceptions.NoSuchOption):
        message = f"unknown option {error.option_name}"
        # every option of the command, not only Click's three picks (made with the dashes)
        names = [
            name
            for param in (ctx.command.params if ctx is not None else ())
            for name in (*param.opts, *param.secondary_opts)
            if name.startswith("--")
        ]
        if ctx is not None and _takes_json(ctx.command):
            names.append("--json")
        close = _closest(error.option_name, names or error.possibilities or ())
        if close:
            message += f" (did you mean {' or '.join(close)}?)"
    elif isinstance(error, exceptions.MissingParameter):
        what = _param_names(error.param)
        kind = "option" if _is_option(error.param) else "argument"
        message = f"missing {kind} {what}"
        examples = EXAMPLES.get(ctx.command.name or "") if ctx is not None else None
        if examples:
            message += f", e.g. {examples[0]}"
    elif isinstance(error, exceptions.BadParameter):
        message = f"invalid value for {_param_names(error.param)}: {error.message}"
    else:
        message = error.format_message()
        if message[:1].isupper():
            message = message[0].lower() + message[1:]
    message = " ".join(message.rstrip(".").split())
    return OneLineUsageError(f"{command}: {message}; {_hint(ctx)}", ctx)


def _value_options(command: core.Command, ctx: core.Context) -> dict[str, Any]:
    """Option spelling -> option, for every option that takes one value (and flags)."""
    spelled = {}
    for param in command.get_params(ctx):
        if _is_option(param) and not param.multiple and not param.count:
            for name in (*param.opts, *param.secondary_opts):
                spelled[name] = param
    return spelled


def check_single_values(
    command: core.Command, ctx: core.Context, args: list[str], *, json_alias: bool = False
) -> None:
    """An option given twice is an error naming both values: last-wins would silently plan
    `--weight 72 --weight 80` on 80 kg."""
    spelled = _value_options(command, ctx)
    seen: dict[str, tuple[str, str]] = {}  # option name -> (as typed, value)
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            break
        if not token.startswith("-") or token == "-":
            continue
        name, value = token, None
        if token.startswith("--") and "=" in token:
            name, value = token.split("=", 1)
        elif not token.startswith("--") and len(token) > 2 and token[:2] in spelled:
            name, value = token[:2], token[2:]
        param = spelled.get(name)
        if name == "--json" and json_alias:
            param, value = spelled.get("--format"), "json"
        if param is None:
            continue  # Click reports unknown options with their suggestions
        if param.is_flag:
            value = name
        elif value is None:
            value = next(tokens, "")
        if param.name in seen:
            first_name, first = seen[param.name]
            if name == "--json" or first_name == "--json":
                detail = " and ".join(
                    n if n == "--json" else f"{n} {v!r}"
                    for n, v in (seen[param.name], (name, value))
                )
            elif param.is_flag:
                detail = f"{first_name} and {name}"
            else:
                detail = f"{first_name} {first!r} and {name} {value!r}"
            raise OneLineUsageError(
                printable(
                    f"{ctx.command_path}: {'/'.join(param.opts)} given twice ({detail}); "
                    "give it once"
                ),
                ctx,
            )
        seen[param.name] = (name, value)


def _takes_json(command: core.Command) -> bool:
    for param in command.params:
        if param.name == "output_format" and hasattr(param.type, "choices"):
            return "json" in param.type.choices
    return False


class Her2doseCommand(TyperCommand):
    """A command with the shared metavars, examples, completion, --json and the checks."""

    def __init__(self, name: str | None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        examples = EXAMPLES.get(name or "")
        if examples and not self.epilog:
            # \b keeps Click from re-flowing the examples into one paragraph
            self.epilog = "\b\nExamples:\n" + "\n".join(f"  {e}" for e in examples)
        for param in self.params:
            if param.name in METAVARS and not hasattr(param.type, "choices"):
                param.metavar = METAVARS[param.name]
            if param.name in COMPLETES and isinstance(param.type, types.StringParamType):
                param.type = NameType(COMPLETES[param.name])

    def parse_args(self, ctx: core.Context, args: list[str]) -> list[str]:
        json_alias = "--json" in args and _takes_json(self)
        try:
            check_single_values(self, ctx, args, json_alias=json_alias)
            if json_alias:
                cut = args.index("--") if "--" in args else len(args)
                args = [
                    *(
                        x
                        for a in args[:cut]
                        for x in (("--format", "json") if a == "--json" else (a,))
                    ),
                    *args[cut:],
                ]
            return super().parse_args(ctx, args)
        except exceptions.NoArgsIsHelpError:
            raise
        except exceptions.UsageError as error:
            raise one_line(error) from None


class Her2doseGroup(TyperGroup):
    """The top level: one-line usage errors, and a closed stdout that ends quietly."""

    def make_context(self, info_name: str | None, args: list[str], parent=None, **extra: Any):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except exceptions.NoArgsIsHelpError:
            raise
        except exceptions.UsageError as error:
            raise one_line(error) from None

    def parse_args(self, ctx: core.Context, args: list[str]) -> list[str]:
        # the group's own options end where the command's name starts
        own = []
        for arg in args:
            if arg in self.commands:
                break
            own.append(arg)
        check_single_values(self, ctx, own)
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: core.Context, args: list[str]):
        name = args[0] if args else ""
        if name and name not in self.commands and not name.startswith("-"):
            import difflib

            names = list(self.commands)
            close = difflib.get_close_matches(name, names, n=1)
            guess = f" (did you mean '{close[0]}'?)" if close else ""
            raise OneLineUsageError(
                printable(
                    f"her2dose: unknown command '{name}'{guess}; the commands are "
                    f"{', '.join(names)}; {_hint(ctx)}"
                ),
                ctx,
            )
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: core.Context) -> Any:
        try:
            try:
                return super().invoke(ctx)
            finally:
                # what is still buffered fails here, not in Python's flush at exit
                sys.stdout.flush()
        except exceptions.NoArgsIsHelpError:
            raise
        except exceptions.UsageError as error:
            raise one_line(error) from None
        except BrokenPipeError:
            closed_stdout()
            raise typer.Exit(int(ExitCode.CLOSED_STDOUT)) from None


def regimens_path(own: Path | None) -> Path | None:
    """The command's --regimens, or the one given before the command's name."""
    ctx = get_current_context(silent=True)
    before = ctx.find_root().params.get("regimens") if ctx is not None else None
    if own is not None and before is not None:
        raise InputError(
            "regimens",
            f"--regimens given twice ('{before}' before the command, '{own}' after it); give "
            "it once",
        )
    return own if own is not None else before


def closed_stdout() -> None:
    """The reader of stdout went away (`| head`): stop quietly. stdout is pointed at
    /dev/null, so that Python's own flush at exit does not fail a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's capture): nothing will flush it at exit


def install(app: typer.Typer) -> None:
    """Every command of `app` built with the shared class (set once, after they are defined)."""
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = Her2doseCommand
