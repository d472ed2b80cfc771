"""Start-up costs that would come back unnoticed (issue 6): checked deterministically, never
timed (benchmarks/startup.py has the figures)."""

from __future__ import annotations

import inspect

import pytest

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
