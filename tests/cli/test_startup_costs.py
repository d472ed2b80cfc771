"""Start-up costs that would come back unnoticed (issue 6): checked deterministically, never
timed (benchmarks/startup.py has the figures)."""

from __future__ import annotations

import gc
import inspect
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from conftest import SHIPPED
from hypothesis import given
from hypothesis import strategies as st
from test_startup import PLAN_JSON, modules_after
from typer.testing import CliRunner

from her2dose import units
from her2dose.cli.app import app, app_for
from her2dose.data import loader as regimens
from her2dose.errors import RegimenFileError


def _callbacks():
    yield "(the app callback)", app.registered_callback.callback
    for info in app.registered_commands:
        yield info.name or info.callback.__name__, info.callback


@pytest.mark.parametrize(("name", "callback"), list(_callbacks()))
def test_command_annotations_are_objects_not_strings(name, callback):
    # Typer evaluates string annotations (from `from __future__ import annotations`) again
    # each time it reads a signature, four times per option: ~10 ms of every start.
    strings = [
        p.name
        for p in inspect.signature(callback).parameters.values()
        if isinstance(p.annotation, str)
    ]
    assert strings == [], f"{name}: string annotations on {strings}"


# main() (the console script) runs with the cyclic garbage collector off and freezes what is
# left before exit; batch turns it back on for its rows, whose garbage grows with the file.
GC_PROBE = """
import gc, json, sys
from her2dose.batch import run as batch_module
seen = []
real_run = batch_module.run
def spy(*args, **kwargs):
    seen.append(gc.isenabled())
    return real_run(*args, **kwargs)
batch_module.run = spy
from her2dose.cli.app import main
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
        [sys.executable, "-c", GC_PROBE, json.dumps(args)],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "NO_COLOR": "1"},
    )
    return json.loads(done.stderr.splitlines()[-1])


def test_plan_through_main_runs_without_the_collector_and_freezes_at_exit():
    state = gc_after_main(PLAN_JSON)
    assert state["code"] == 0
    assert state["enabled_at_end"] is False
    assert state["frozen"] > 10_000
    assert state["enabled_for_rows"] == []


def test_batch_through_main_collects_garbage_while_it_reads_rows():
    state = gc_after_main(
        ["batch", "-", "--quiet", "--regimens", str(SHIPPED)],
        stdin="drug,weight\nmargenza,70 kg\nenhertu,oops\n",
    )
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


# main() runs app_for(argv): an app holding only the command named, so that Typer builds
# the options of that command alone. Everything a user sees must be the same as with `app`.
SAME_RUN = [
    *(
        [name, "--help"]
        for name in ("plan", "regimens", "levels", "adjust", "check", "schedule", "next", "batch")
    ),
    ["plan"],
    ["plan", "--bogus"],
    [
        "plan",
        "enhertu",
        "--weight",
        "72 kg",
        "--indication",
        "breast",
        "--format",
        "json",
        "--prepared-at",
        "2025-03-01 10:00",
        "--regimens",
        str(SHIPPED),
    ],
    ["plan", "enhertu", "--weight", "72 mL", "--indication", "breast", "--regimens", str(SHIPPED)],
    ["plan", "enhertu", "--weight", "72 kg", "--format", "yaml"],
    ["levels", "enhertu", "--indication", "breast", "--regimens", str(SHIPPED)],
    ["regimens", "--format", "json", "--regimens", str(SHIPPED)],
    ["plan", "--version"],
]


@pytest.mark.parametrize("args", SAME_RUN, ids=" ".join)
def test_the_lean_app_runs_a_command_as_the_whole_app_does(args, monkeypatch):
    monkeypatch.delenv("HER2DOSE_REGIMENS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    lean = app_for(args)
    assert lean is not app
    assert len(lean.registered_commands) == 1
    runner = CliRunner()
    whole = runner.invoke(app, args, prog_name="her2dose")
    alone = runner.invoke(lean, args, prog_name="her2dose")
    assert (alone.exit_code, alone.stdout, alone.stderr) == (
        whole.exit_code,
        whole.stdout,
        whole.stderr,
    )


@pytest.mark.parametrize(
    "args", [[], ["--help"], ["--version"], ["plam"], ["--version", "plan"], ["PLAN", "enhertu"]]
)
def test_without_a_command_name_first_the_whole_app_runs(args):
    assert app_for(args) is app


def test_the_whole_app_keeps_every_command():
    app_for(["plan", "--help"])
    assert len(app.registered_commands) == 8


BUILT_PROBE = """
import json, sys
import typer.main
built = []
real = typer.main.get_command_from_info
def spy(command_info, **kwargs):
    built.append(command_info.callback.__name__)
    return real(command_info, **kwargs)
typer.main.get_command_from_info = spy
from her2dose.cli.app import main
sys.argv = ["her2dose", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(built), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "built"),
    [
        (["plan", "--help"], ["plan"]),
        (["batch", "--help"], ["batch"]),
        (
            ["--help"],
            [
                "plan",
                "list_regimens",
                "levels",
                "adjust",
                "check",
                "schedule_command",
                "next_command",
                "batch",
            ],
        ),
    ],
)
def test_main_builds_only_the_command_it_runs(args, built):
    done = subprocess.run(
        [sys.executable, "-c", BUILT_PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "NO_COLOR": "1"},
    )
    assert json.loads(done.stderr.splitlines()[-1]) == built


# Each command imports only the modules it uses: the rules of other commands (adjust's
# modifications, schedule's courses, next's missed_doses, levels, check, batch) cost
# class creations and regexes that a plan never needs.
OTHER_COMMANDS = {
    "her2dose.commands.adjust",
    "her2dose.commands.schedule",
    "her2dose.commands.next",
    "her2dose.commands.levels",
    "her2dose.commands.check",
    "her2dose.batch.run",
}


@pytest.mark.parametrize("output", ["json", "table"])
def test_plan_loads_no_other_command_s_modules(output):
    loaded = modules_after(
        [
            "plan",
            "enhertu",
            "--indication",
            "breast",
            "--weight",
            "72 kg",
            "--format",
            output,
            "--regimens",
            str(SHIPPED),
        ]
    )
    assert "her2dose.commands.plan" in loaded and "her2dose.model.adverse_events" in loaded
    assert loaded & OTHER_COMMANDS == set()
    assert ("rich" in {m.split(".")[0] for m in loaded}) is (output == "table")


def test_adjust_still_finds_the_records_through_modifications():
    from her2dose.commands import adjust as modifications
    from her2dose.model import adverse_events as adverse_event_records

    assert modifications.Rule is adverse_event_records.Rule
    assert modifications.ACTIONS is adverse_event_records.ACTIONS


# Cheaper validation, same answers: parse_quantity builds its Quantity without Pint's
# constructor, and the loader compares vial strengths and concentrations as magnitudes.
@given(
    number=st.decimals(
        min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3, allow_nan=False
    ),
    spelling=st.sampled_from(
        [
            ("kg", "mass"),
            ("lb", "mass"),
            ("mg", "mass"),
            ("mL", "volume"),
            ("L", "volume"),
            ("min", "time"),
            ("h", "time"),
            ("mg/mL", "concentration"),
            ("mg/kg", "dose_per_mass"),
        ]
    ),
)
def test_parse_quantity_is_what_pint_builds(number, spelling):
    unit_text, kind = spelling
    parsed = units.parse_quantity(f"{number} {unit_text}", kind, "field")
    built = units.registry().Quantity(number, units.unit(unit_text))
    assert type(parsed) is type(built)
    assert type(parsed.magnitude) is Decimal and parsed.magnitude == built.magnitude
    assert parsed.units == built.units and str(parsed) == str(built)
    assert parsed == built and parsed.to_root_units() == built.to_root_units()


KADCYLA_160 = '[[products.kadcyla.vials]]\nstrength = "160 mg"'


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            KADCYLA_160,
            '[[products.kadcyla.vials]]\nstrength = "0.1 g"',
            "products.kadcyla.vials: two vials have the same strength",
        ),
        (
            'concentration = "20 mg/mL"\ndeliverable_volume = "8 mL"',
            'concentration = "20.5 mg/mL"\ndeliverable_volume = "8 mL"',
            "products.kadcyla.vials: all vials of one product must share a concentration",
        ),
    ],
)
def test_vials_compared_across_units(tmp_path, old, new, says):
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.count(old) == 1
    broken = tmp_path / "regimens.toml"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RegimenFileError) as caught:
        regimens.load(broken)
    assert says in str(caught.value)


def test_same_concentration_in_other_units_is_refused_as_not_the_labels_unit(tmp_path):
    # equal in value, so not "two concentrations"; but a label writes mg/mL, and a unit
    # the label does not use is how a 1000x slip ('20 g/mL') gets in
    text = SHIPPED.read_text(encoding="utf-8")
    old = 'concentration = "20 mg/mL"\ndeliverable_volume = "8 mL"'
    broken = tmp_path / "regimens.toml"
    broken.write_text(
        text.replace(old, 'concentration = "20 g/L"\ndeliverable_volume = "8 mL"'), encoding="utf-8"
    )
    with pytest.raises(RegimenFileError) as caught:
        regimens.load(broken)
    assert caught.value.problems == [
        "products.kadcyla.vials[1].concentration: '20 g/L': a concentration is written in "
        "mg/mL, as the label writes it (allowed range 5-100 mg/mL)"
    ]
