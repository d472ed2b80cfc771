"""Mutation testing of the clinical core (not run in CI: minutes, not seconds).

    python benchmarks/mutants.py                      # every module, the default tests
    python benchmarks/mutants.py rounding check       # some modules
    python benchmarks/mutants.py --list rounding      # print the mutants, run nothing
    python benchmarks/mutants.py --tests tests/core/test_rounding_cases.py --timeout 20

Each mutant is one small change a person could make by mistake: a comparison's boundary
(< and <=) or sense (== and !=, in and not in), + and -, * and /, an integer constant +1 or
-1, the last digit of a Decimal("...") literal, min and max, and and or, a `not` or a unary
minus removed, one rounding mode for another (half-up and half-even, ceiling and floor),
True and False, break and continue. Messages (f-strings), docstrings, annotations and
decorators are left alone.

The package and the tests are copied to a temporary folder once; each mutant is written
there in turn (the tree is mutated and unparsed, so formatting and comments differ) and the
tests run in a forked child of this process, which has already imported pytest, Pint and
Hypothesis: a mutant costs the test run, not the start-up. `-x` stops at the first failure;
a run longer than --timeout (an endless loop) counts as killed. Nothing in src/ is changed.

Why not mutmut: mutmut 3 skips decorated functions, and the vial search
(`vials._best_counts`) and the whole-vial totals (`rounding.whole_vial_totals`) are
@lru_cache functions, the heart of what is tested here.

The score is killed / (mutants - equivalent). EQUIVALENT below lists the mutants judged by
hand to change no result (each with the reason); survivors not in it are printed with their
line so a person can judge them, and then either add a test or add them to EQUIVALENT.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import difflib
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = {
    "vials": "src/her2dose/core/vials.py",
    "dosing": "src/her2dose/core/dosing.py",
    "rounding": "src/her2dose/core/rounding.py",
    "infusion": "src/her2dose/core/infusion.py",
    "check": "src/her2dose/core/dose_check.py",
}
# Fast first: a killed mutant usually fails in the first file, under a second.
DEFAULT_TESTS = (
    "tests/core/test_rounding_cases.py",
    "tests/core/test_dose_cases.py",
    "tests/core/test_rounding.py",
    "tests/core/test_vials.py",
    "tests/commands/test_dose_check.py",
    "tests/commands/test_dose_check_precision.py",
    "tests/commands/test_plan_dose.py",
    "tests/commands/test_levels.py",
)

COMPARE_SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
NAME_SWAPS = {
    "min": "max",
    "max": "min",
    "ROUND_HALF_UP": "ROUND_HALF_EVEN",
    "ROUND_HALF_EVEN": "ROUND_HALF_UP",
    "ROUND_HALF_DOWN": "ROUND_HALF_UP",
    "ROUND_CEILING": "ROUND_FLOOR",
    "ROUND_FLOOR": "ROUND_CEILING",
    "ROUND_UP": "ROUND_DOWN",
    "ROUND_DOWN": "ROUND_UP",
}
SYMBOL = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.And: "and",
    ast.Or: "or",
}

# Mutants judged by hand to change no result, each with why: (module, column, mutation,
# the source line stripped, reason). Keyed on the line's text and column, not its number,
# so that edits elsewhere in the file keep the judgement; a changed line is judged again.
_SHIFT = "adds the same amount to every candidate's leftover: the same one is least"
_TIE = (
    "changes only which of two combinations with the same total and vial count is kept; "
    "with at most two strengths (every shipped product) no two combinations tie"
)
_ZERO_VIALS = "0 mg or less needs 0 vials either way (ceil of a negative fraction is 0)"
_NO_OPENED = "with no opened vial (0 mg) the branch adds or tests only a 0 mg total, never in range"
_VIALS_LOOP = "for n in range(_vials_to_cover(remaining, size) + 1):"
_TOTALS_IF = "if total > 0 and count < totals.get(total, count + 1):"
_OPENED_IF = "if off > 0 and d <= off:"
_AFTER = "after = new_vials_for(candidate, vials, off) if candidate > 0 else before"
_POSITIVE = "with no opened vial, d <= 0 never holds: doses are > 0"
_UNUSED = "a candidate of 0 mg is refused just below; `after` is then unused"
_SHORTCUT = "if vial_pct <= 0 and increment is None:  # neither asked for (the default policy)"
# a match at level 0 more than half the ordering precision above it is "above label", never
# a match: the note's level test can include level 0 without changing any answer
_LEVEL0_ABOVE = "a level-0 match is never above level 0 by more than half the precision"
_STEP = "return value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)"
_EXPONENT = (
    "quantize reads only its argument's exponent, and Decimal(n).scaleb(-places) has the "
    "exponent -places for n = 0, 1 or 2 alike"
)
_ONE = "holds exactly one here (two or more were taken by the ambiguous branch before): [0] is [-1]"
_EQUIVALENT = [
    ("vials", 88, "0 -> 1",
     "total = sum((s * c for s, c in zip(strengths, combo, strict=True)), Decimal(0))", _SHIFT),
    ("vials", 88, "0 -> -1",
     "total = sum((s * c for s, c in zip(strengths, combo, strict=True)), Decimal(0))", _SHIFT),
    ("vials", 19, "- -> +", "key = (total - dose_mg, sum(combo), combo)", _SHIFT),
    ("vials", 36, "2 -> 3", "if best is None or key[:2] < best[:2]:",
     "key[:3] < best[:2] is False when the first two are equal, as key[:2] < best[:2] is"),
    ("vials", 47, "2 -> 3", "if best is None or key[:2] < best[:2]:", _TIE),
    ("vials", 31, "< -> <=", "if best is None or key[:2] < best[:2]:", _TIE),
    ("vials", 58, "1 -> 2", _VIALS_LOOP,
     "one vial of a size more than covers the rest alone only adds leftover: never chosen"),
    ("vials", 17, "0 -> -1", "if amount <= 0:", _ZERO_VIALS),
    ("vials", 7, "<= -> <", "if amount <= 0:", _ZERO_VIALS),
    ("rounding", 63, "1 -> 2", _TOTALS_IF, "any default above `count` keeps the fewest vials"),
    ("rounding", 29, "< -> <=", _TOTALS_IF, "an equal count is stored again, unchanged"),
    ("rounding", 9, "0 -> -1", "walk(0, Decimal(0), 0)",
     "starting at strengths[-1] walks the last strength twice: the same totals, same counts"),
    ("rounding", 16, "0 -> -1", "if fresh <= 0:", _ZERO_VIALS),
    ("rounding", 7, "<= -> <", "if fresh <= 0:", _ZERO_VIALS),
    ("rounding", 13, "0 -> -1", _OPENED_IF, _POSITIVE),
    ("rounding", 7, "> -> >=", _OPENED_IF, _POSITIVE),
    ("rounding", 63, "> -> >=",
     "totals = dict(whole_vial_totals(strengths, high - off)) if high > off else {}",
     "whole-vial totals up to 0 mg are none, as {}"),
    ("rounding", 47, "- -> +",
     "totals = dict(whole_vial_totals(strengths, high - off)) if high > off else {}",
     "a higher bound only adds totals above `high`, which the range check drops"),
    ("rounding", 13, "0 -> -1", "if off > 0:", _NO_OPENED + " (low > 0 as the percent is < 100)"),
    ("rounding", 7, "> -> >=", "if off > 0:", _NO_OPENED + " (low > 0 as the percent is < 100)"),
    ("rounding", 24, "> -> >=", 'direction = "up" if total > d else "down"',
     "total == d is an ordered dose that is already a whole-vial total: returned earlier"),
    ("rounding", 9, "> -> >=",
     "elif candidate > d and new_vials_for(candidate, vials, off) > before:",
     "candidate == d is a dose already on the increment: returned earlier"),
    ("rounding", 64, "0 -> -1", _AFTER, _UNUSED),
    ("rounding", 52, "> -> >=", _AFTER, _UNUSED),
    ("rounding", 19, "0 -> -1", _SHORTCUT,
     "a shortcut: with 0% round_to_vial returns the dose unchanged, and no increment follows"),
    ("rounding", 7, "<= -> <", _SHORTCUT,
     "a shortcut: with 0% round_to_vial returns the dose unchanged, and no increment follows"),
    ("infusion", 41, "0 -> -1", "concentration = vial_plan.counts[0].vial.concentration",
     "the loader makes all vials of a product agree on concentration"),
    ("check", 34, "0 -> 1", "and nearest.level.level < 0", _LEVEL0_ABOVE),
    ("check", 12, "< -> <=", "and nearest.level.level < 0", _LEVEL0_ABOVE),
    ("check", 34, "1 -> 2", _STEP, _EXPONENT),
    ("check", 34, "1 -> 0", _STEP, _EXPONENT),
    ("check", 42, "0 -> -1", "verdict, nearest = MATCH, planned[0][1]",
     f"planned {_ONE}"),
    ("check", 42, "0 -> -1", "verdict, nearest = MATCH, covered[0]",
     f"covered {_ONE}"),
    ("check", 42, "0 -> -1", "verdict, nearest = MATCH, precise[0]",
     f"precise {_ONE}"),
]  # fmt: skip
EQUIVALENT: dict[tuple[str, str, int, str], str] = {
    (module, text, col, what): why for module, col, what, text, why in _EQUIVALENT
}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # the index-th mutation site of the module, in walk order
    line: int
    col: int  # where on the line, to tell apart the same mutation twice on one line
    text: str  # the original source line, stripped
    what: str


class _Sites(ast.NodeTransformer):
    """Walks a module in a fixed order; numbers every mutation; applies the `target`-th."""

    def __init__(self, target: int | None = None) -> None:
        self.target = target
        self.count = 0
        self.found: list[tuple[int, int, str]] = []  # (line, column, description)
        self.applied = False

    def _site(self, node: ast.AST, what: str) -> bool:
        """Record a site; True when it is the one to apply."""
        index = self.count
        self.count += 1
        self.found.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), what))
        hit = index == self.target
        self.applied = self.applied or hit
        return hit

    # -- what is never mutated --------------------------------------------------------
    def visit_JoinedStr(self, node):  # messages
        return node

    def visit_Import(self, node):
        return node

    def visit_ImportFrom(self, node):
        return node

    def visit_Assert(self, node):  # an assert only guards; mutating it just raises
        return node

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node  # a docstring
        return self.generic_visit(node)

    def visit_AnnAssign(self, node):  # the annotation is not code that runs
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def _visit_function(self, node):
        # the body only: not the decorators (lru_cache's maxsize changes no result), the
        # annotations or the defaults
        node.body = [self.visit(s) for s in node.body]
        return node

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_keyword(self, node):
        if node.arg == "strict":  # zip(..., strict=True) only guards against a bug
            return node
        return self.generic_visit(node)

    def visit_ClassDef(self, node):
        node.body = [self.visit(s) for s in node.body]
        return node

    # -- mutations --------------------------------------------------------------------
    def visit_Compare(self, node):
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            swap = COMPARE_SWAPS.get(type(op))
            if swap and self._site(node, f"{SYMBOL[type(op)]} -> {SYMBOL[swap]}"):
                node.ops[i] = swap()
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._site(node, f"{SYMBOL[type(node.op)]} -> {SYMBOL[swap]}"):
            node.op = swap()
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        swap = ast.Or if isinstance(node.op, ast.And) else ast.And
        if self._site(node, f"{SYMBOL[type(node.op)]} -> {SYMBOL[swap]}"):
            node.op = swap()
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._site(node, "not removed"):
            return node.operand
        if isinstance(node.op, ast.USub) and self._site(node, "unary - removed"):
            return node.operand
        return node

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, bool):
            if self._site(node, f"{value} -> {not value}"):
                return ast.copy_location(ast.Constant(not value), node)
        elif isinstance(value, int):
            for delta in (1, -1):
                if self._site(node, f"{value} -> {value + delta}"):
                    return ast.copy_location(ast.Constant(value + delta), node)
        return node

    def visit_Call(self, node):
        literal = _decimal_literal(node)
        if literal is not None:
            text, value = literal
            # Decimal("0.01") -> "0.02": one more in the last place
            bumped = value + Decimal(1).scaleb(value.as_tuple().exponent)
            if self._site(node, f'Decimal("{text}") -> Decimal("{bumped}")'):
                node.args[0] = ast.Constant(str(bumped))
            return node
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "quantize"
            and node.args
            and (literal := _decimal_literal(node.args[0])) is not None
        ):
            # x.quantize(Decimal("0.01")) reads only the literal's exponent, so the place
            # moves instead: "0.01" -> "0.1" (to a tenth, not a hundredth)
            text, value = literal
            coarser = Decimal(1).scaleb(value.as_tuple().exponent + 1)
            if self._site(node.args[0], f'quantize("{text}") -> quantize("{coarser}")'):
                node.args[0].args[0] = ast.Constant(str(coarser))
            node.func = self.visit(node.func)
            node.args[1:] = [self.visit(a) for a in node.args[1:]]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        return self.generic_visit(node)

    def visit_Name(self, node):
        swap = NAME_SWAPS.get(node.id)
        if swap and isinstance(node.ctx, ast.Load) and self._site(node, f"{node.id} -> {swap}"):
            return ast.copy_location(ast.Name(swap, ast.Load()), node)
        return node

    def visit_Break(self, node):
        if self._site(node, "break -> continue"):
            return ast.copy_location(ast.Continue(), node)
        return node

    def visit_Continue(self, node):
        if self._site(node, "continue -> break"):
            return ast.copy_location(ast.Break(), node)
        return node


def _decimal_literal(node: ast.AST) -> tuple[str, Decimal] | None:
    """('0.01', Decimal('0.01')) for the call Decimal("0.01"); None for anything else."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Decimal"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return None
    try:
        value = Decimal(node.args[0].value)
    except InvalidOperation:
        return None
    return (node.args[0].value, value) if value.is_finite() else None


def mutants_of(module: str) -> list[Mutant]:
    source = (ROOT / MODULES[module]).read_text(encoding="utf-8")
    lines = source.splitlines()
    sites = _Sites()
    sites.visit(ast.parse(source))
    return [
        Mutant(module, i, line, col, lines[line - 1].strip() if line else "", what)
        for i, (line, col, what) in enumerate(sites.found)
    ]


def mutated_source(module: str, index: int) -> str:
    source = (ROOT / MODULES[module]).read_text(encoding="utf-8")
    tree = ast.parse(source)
    sites = _Sites(target=index)
    tree = sites.visit(copy.deepcopy(tree))
    if not sites.applied:
        raise LookupError(f"{module}: no mutation site {index}")
    return ast.unparse(ast.fix_missing_locations(tree))


# -- running ----------------------------------------------------------------------------


def prepare(workdir: Path) -> None:
    """The package, the tests, the regimens file and the pytest settings, once."""
    shutil.copytree(ROOT / "src", workdir / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", workdir / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("regimens.toml", "pyproject.toml"):
        shutil.copy2(ROOT / name, workdir / name)


def preload() -> None:
    """Import what every test run needs but no mutant changes, before the first fork."""
    import hypothesis  # noqa: F401
    import pint  # noqa: F401
    import pytest  # noqa: F401
    import typer  # noqa: F401
    import typer.testing  # noqa: F401


def run_tests(
    workdir: Path, tests: tuple[str, ...], timeout: float, extra: tuple[str, ...] = ()
) -> str:
    """'passed', 'failed' or 'timeout', for the tests against what is in workdir now."""
    shutil.rmtree(workdir / ".hypothesis", ignore_errors=True)  # no replay between mutants
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            os.setpgid(0, 0)  # its own group, so that a timeout ends what it started too
            os.chdir(workdir)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.path.insert(0, str(workdir / "src"))
            os.environ["PYTHONPATH"] = str(workdir / "src")  # for tests that start python
            os.environ["HYPOTHESIS_PROFILE"] = "ci"  # derandomized: the same examples each run
            os.environ.pop("HER2DOSE_REGIMENS", None)
            import pytest

            # hypothesis is imported before pytest could rewrite its asserts: say nothing of it
            code = pytest.main(
                [
                    "-x",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-W",
                    "ignore::pytest.PytestAssertRewriteWarning",
                    *extra,
                    *tests,
                ]
            )
            os._exit(int(code))
        except BaseException:
            os._exit(99)
    with contextlib.suppress(OSError):  # the child may have done it already
        os.setpgid(pid, pid)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "passed" if os.waitstatus_to_exitcode(status) == 0 else "failed"
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"some of: {', '.join(MODULES)} (default: all)")
    parser.add_argument("--tests", nargs="+", default=list(DEFAULT_TESTS))
    parser.add_argument("--timeout", type=float, default=60, help="seconds per mutant")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument(
        "--show", metavar="MODULE:INDEX", help="print one mutant as a diff (its #INDEX) and stop"
    )
    parser.add_argument(
        "--index", type=int, nargs="+", help="run only these mutants (#INDEX from --list)"
    )
    parser.add_argument(
        "--hypothesis",
        action="store_true",
        help="also run the Hypothesis properties (derandomized; several times slower)",
    )
    args = parser.parse_args(argv)
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    tests = tuple(args.tests)
    # The example tests by default: each mutant then costs about a second, not several.
    extra = () if args.hypothesis else ("-m", "not hypothesis")

    if args.list:
        for module in modules:
            for m in mutants_of(module):
                print(f"{module}:{m.line}:{m.col} #{m.index}  {m.what:28}  {m.text}")
        return 0
    if args.show:
        module, _, index = args.show.partition(":")
        if module not in MODULES or not index.isdigit():
            parser.error(f"--show {args.show}: write MODULE:INDEX, e.g. rounding:12")
        plain = ast.unparse(ast.parse((ROOT / MODULES[module]).read_text(encoding="utf-8")))
        diff = difflib.unified_diff(
            plain.splitlines(), mutated_source(module, int(index)).splitlines(), lineterm="", n=2
        )
        print("\n".join(diff))
        return 0

    preload()
    totals: dict[str, dict[str, int]] = {}
    survivors: list[Mutant] = []
    equivalent_seen: list[tuple[Mutant, str]] = []
    with tempfile.TemporaryDirectory(prefix="her2dose-mutants-") as tmp:
        workdir = Path(tmp)
        prepare(workdir)
        started = time.monotonic()
        if run_tests(workdir, tests, args.timeout * 5, extra) != "passed":
            print("the tests fail on the unmutated code: fix them first", file=sys.stderr)
            return 2
        print(f"unmutated: tests pass ({time.monotonic() - started:.1f} s)", flush=True)
        for module in modules:
            target = workdir / MODULES[module]
            original = target.read_text(encoding="utf-8")
            plain = ast.unparse(ast.parse(original))
            counts = dict.fromkeys(("mutants", "killed", "survived", "equivalent", "same"), 0)
            started = time.monotonic()
            for m in mutants_of(module):
                if args.index and m.index not in args.index:
                    continue
                code = mutated_source(module, m.index)
                if code == plain:  # the mutation made no difference to the code
                    counts["same"] += 1
                    continue
                counts["mutants"] += 1
                target.write_text(code, encoding="utf-8")
                try:
                    outcome = run_tests(workdir, tests, args.timeout, extra)
                finally:
                    target.write_text(original, encoding="utf-8")
                reason = EQUIVALENT.get((module, m.text, m.col, m.what))
                if outcome != "passed":
                    counts["killed"] += 1
                    if reason is not None:
                        print(f"  note: {module}:{m.line} {m.what} is listed as equivalent "
                              "but was killed", flush=True)  # fmt: skip
                elif reason is not None:
                    counts["equivalent"] += 1
                    equivalent_seen.append((m, reason))
                else:
                    counts["survived"] += 1
                    survivors.append(m)
                    print(
                        f"  survived {module}:{m.line}:{m.col} #{m.index}  {m.what}  | {m.text}",
                        flush=True,
                    )
            counts["seconds"] = round(time.monotonic() - started)
            totals[module] = counts
            print(f"{module}: {_score_line(counts)}", flush=True)

    print()
    print(f"{'module':10} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'survived':>9} {'score':>7}")
    for module, c in totals.items():
        print(
            f"{module:10} {c['mutants']:>8} {c['killed']:>7} {c['equivalent']:>7} "
            f"{c['survived']:>9} {_score(c):>7}"
        )
    if equivalent_seen:
        print("\nequivalent (judged by hand, not counted):")
        for m, reason in equivalent_seen:
            print(f"  {m.module}:{m.line}:{m.col}  {m.what}  | {m.text}\n      {reason}")
    if survivors:
        print("\nsurvivors (judge each: a missing test, or an equivalent mutant):")
        for m in survivors:
            print(f"  {m.module}:{m.line}:{m.col} #{m.index}  {m.what}  | {m.text}")
    return 1 if survivors else 0


def _score(c: dict[str, int]) -> str:
    counted = c["mutants"] - c["equivalent"]
    return f"{100 * c['killed'] / counted:.1f}%" if counted else "-"


def _score_line(c: dict[str, int]) -> str:
    return (
        f"{c['mutants']} mutants, {c['killed']} killed, {c['equivalent']} equivalent, "
        f"{c['survived']} survived, score {_score(c)} ({c['seconds']} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
