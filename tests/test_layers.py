"""The folders are the architecture: each layer imports only the layers below it.

Every import in the source is checked, those inside functions (lazy imports) and under
TYPE_CHECKING included, so that a shortcut across layers fails here and not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "her2dose"

# Layer -> the layers it may import. `errors` (the exception types) and the package root
# (its version) are below every layer; `units` is the one unit registry every layer that
# holds or shows a quantity needs.
ALLOWED = {
    "cli": {"commands", "render", "batch", "data", "model"},
    "batch": {"commands", "render", "data", "model", "units"},
    "commands": {"core", "data", "model", "units"},
    "render": {"model", "units"},
    "data": {"model", "units"},
    "core": {"model", "units"},
    "model": {"units"},
    "units": set(),
}
BASE = {"errors", "__version__", ""}
TYPER_ONLY_IN = "cli"


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every her2dose module and third-party top name that path imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "her2dose":
                found += [(node.lineno, f"her2dose.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def own_layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 else ""


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_the_layers_below_it(path):
    layer = own_layer(path)
    if layer in ("", "errors") and path.name in ("__init__.py", "errors.py"):
        allowed: set[str] = set()
    elif layer == "" and path.name == "__main__.py":
        allowed = {"cli"}
    else:
        allowed = ALLOWED[layer]
    wrong = [
        f"line {line}: {module}"
        for line, module in imports(path)
        if module.startswith("her2dose.") and layer_of(module) not in allowed | BASE | {layer}
    ]
    assert wrong == [], f"{path.relative_to(PACKAGE)} ({layer or 'root'}) imports {wrong}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_cli_imports_typer_or_click(path):
    third = {module.split(".")[0] for _, module in imports(path)}
    if own_layer(path) != TYPER_ONLY_IN:
        assert not third & {"typer", "click"}


def test_every_layer_is_a_folder_and_every_folder_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(ALLOWED)


def test_the_checker_sees_an_import_across_layers(tmp_path):
    # the rule must be able to fail: a lazy import of commands from render is found
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from her2dose.commands.plan import compute_plan\n")
    assert (2, "her2dose.commands.plan") in imports(bad)
