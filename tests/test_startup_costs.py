"""Start-up costs that would come back unnoticed (issue 6): checked deterministically, never
timed (benchmarks/startup.py has the figures)."""

from __future__ import annotations

import gc
import inspect
import json
import subprocess
import sys

import pytest

from conftest import SHIPPED
from her2dose.cli import app


def _callbacks():
    yield "(the app callback)", app.registered_callback.callback
    for info in app.registered_commands:
        yield info.name or info.callback.__name__, info.callback


@pytest.mark.parametrize(("name", "callback"), list(_callbacks()))
def test_command_annotations_are_objects_not_strings(name, callback):
    # Typer evaluates string annotations (from `from __future__ import annotations`) again
    # each time it reads a signature, four times per option: ~10 ms of every start.
    strings = [p.name for p in inspect.signature(callback).parameters.values()
               if isinstance(p.annotation, str)]
    assert strings == [], f"{name}: string annotations on {strings}"


# main() (the console script) runs with the cyclic garbage collector off and freezes what is
# left before exit; batch turns it back on for its rows, whose garbage grows with the file.
GC_PROBE = """
import gc, json, sys
import her2dose.batch
seen = []
real_run = her2dose.batch.run
def spy(*args, **kwargs):
    seen.append(gc.isenabled())
    return real_run(*args, **kwargs)
her2dose.batch.run = spy
from her2dose.cli import main
sys.argv = ["her2dose", *json.loads(sys.argv[1])]
code = None
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "enabled_at_end": gc.isenabled(),
                  "frozen": gc.get_freeze_count(), "enabled_for_rows": seen}), file=sys.stderr)
"""


def gc_after_main(args: list[str], stdin: str = "") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, json.dumps(args)], input=stdin, capture_output=True,
        text=True, check=True, env={"PATH": "", "NO_COLOR": "1"},
    )
    return json.loads(done.stderr.splitlines()[-1])


def test_plan_through_main_runs_without_the_collector_and_freezes_at_exit():
    state = gc_after_main(["plan", "enhertu", "--indication", "breast", "--weight", "72 kg",
                           "--format", "json", "--regimens", str(SHIPPED)])
    assert state["code"] == 0
    assert state["enabled_at_end"] is False
    assert state["frozen"] > 10_000
    assert state["enabled_for_rows"] == []


def test_batch_through_main_collects_garbage_while_it_reads_rows():
    state = gc_after_main(["batch", "-", "--quiet", "--regimens", str(SHIPPED)],
                          stdin="drug,weight\nmargenza,70 kg\nenhertu,oops\n")
    assert state["code"] == 1  # one bad row
    assert state["enabled_for_rows"] == [True]


def test_batch_in_process_leaves_the_collector_alone(cli, tmp_path):
    # the app run by CliRunner (tests, library use) never touches the collector's settings
    frozen = gc.get_freeze_count()
    source = tmp_path / "in.csv"
    source.write_text("drug,weight\nmargenza,70 kg\n", encoding="utf-8")
    result = cli("batch", str(source), "--quiet", "--regimens", str(SHIPPED))
    assert result.exit_code == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
