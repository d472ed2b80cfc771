"""Start-up latency of her2dose: median wall time per command, interleaved, with ratios.

Run from the repository root with the venv that has her2dose installed:

    python benchmarks/startup.py [--runs 31]

Each round runs every command once, in turn (interleaved, so that a noisy moment of the
machine hits every command alike), as a fresh process with stdout and stderr discarded.
Prints, per command, the median and the 25th-75th percentiles of the wall time, and the
median's ratio to `python -c "import pint"` and to `python -c "pass"`. The targets from
issue 6 are printed beside the ratios. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine  # benchmarks/machine.py: scripts run from this folder

PLAN = ["plan", "enhertu", "--indication", "breast", "--weight", "72 kg"]
WORKSHEET = os.path.join(tempfile.gettempdir(), "her2dose-benchmark-worksheet.pdf")

# name -> (ratio target against `import pint`, or None)
TARGETS = {
    "her2dose --version": 0.6,
    "her2dose --help": 0.6,
    "her2dose plan ... (table)": 1.8,
    "her2dose plan ... --format json": 1.5,
}


def her2dose_command() -> list[str]:
    """The installed console script beside this interpreter (what a user runs)."""
    script = Path(sys.executable).with_name("her2dose")
    if script.exists():
        return [str(script)]
    found = shutil.which("her2dose")
    if found:
        return [found]
    return [sys.executable, "-m", "her2dose"]


def commands() -> dict[str, list[str]]:
    her2dose = her2dose_command()
    return {
        'python -c "pass"': [sys.executable, "-c", "pass"],
        'python -c "import pint"': [sys.executable, "-c", "import pint"],
        "her2dose --version": [*her2dose, "--version"],
        "her2dose --help": [*her2dose, "--help"],
        "her2dose plan ... (table)": [*her2dose, *PLAN],
        "her2dose plan ... --format json": [*her2dose, *PLAN, "--format", "json"],
        # the printable worksheet (fpdf2 is imported for it alone); no target
        "her2dose plan ... --format pdf": [*her2dose, *PLAN, "--format", "pdf", "-o", WORKSHEET],
    }


def run_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31, help="rounds (default 31)")
    args = parser.parse_args()

    env = dict(os.environ, NO_COLOR="1")
    env.pop("HER2DOSE_REGIMENS", None)
    # An installed package has its byte-code compiled (pip does it at install time); with
    # PYTHONDONTWRITEBYTECODE set, an editable install would recompile every module on
    # every run and the figures would measure the compiler, not her2dose.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    todo = commands()
    for argv in todo.values():  # warm the OS file cache and byte-code caches
        run_once(argv, env)
    times: dict[str, list[float]] = {name: [] for name in todo}
    for _ in range(args.runs):
        for name, argv in todo.items():
            times[name].append(run_once(argv, env))

    def median(name: str) -> float:
        return statistics.median(times[name])

    pint = median('python -c "import pint"')
    bare = median('python -c "pass"')
    print(f"machine: {machine()}")
    print(f"runs: {args.runs}, interleaved; wall time per process, median [p25-p75]\n")
    print(f"{'command':34} {'median':>9} {'p25-p75':>17} {'/pint':>6} {'/pass':>6}  target")
    for name in todo:
        q = statistics.quantiles(times[name], n=4)
        m = median(name)
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            verdict = f"<= {target} x pint: {'met' if m / pint <= target else 'NOT met'}"
        print(
            f"{name:34} {m * 1e3:7.1f}ms {q[0] * 1e3:7.1f}-{q[2] * 1e3:6.1f}ms "
            f"{m / pint:6.2f} {m / bare:6.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
