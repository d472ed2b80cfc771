"""Throughput and memory of `her2dose batch` against the I/O floor of the same file.

Run from the repository root with the venv that has her2dose installed:

    python benchmarks/batch.py [--rows 100000] [--repeat 3] [--memory-factor 10] [--xlsx]
                               [--profile]

It generates N realistic rows (mixed drugs, indications, products, levels, phases,
schedules; weights in kg, lb and bare numbers; about 1% bad rows; an order id and an MRN
that pass through), then, interleaved, `--repeat` times, each as a fresh process:

  (a) the I/O floor: the stdlib csv module reads the same file and writes, for each row,
      a row of the same number of output columns, with no computation. Two floors:
      - "input cells": the row's own cells repeated to the width of the lean output (the
        floor the lean default is held to);
      - "same bytes": each row's cells are the `--columns full` cells her2dose gives that
        row's combination (found once, before timing), so the floor writes what a full
        batch writes.
  (b) `her2dose batch INPUT -o OUTPUT --quiet` (lean), and with `--columns full`;
  (c) `--command check` (an ordered_dose column added) and `--command next` (last_dose
      and on columns added) over the same patients, lean.

It prints rows per second, the ratios b/a, and the peak memory (max RSS, from wait4) of
lean `her2dose batch` at N and at memory-factor x N rows (written to /dev/null); with
--xlsx also of xlsx output at N / memory-factor and N rows. With --profile it also runs
batch in this process under cProfile and prints where time goes.
Not a test: nothing here asserts. Figures vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine  # benchmarks/machine.py: scripts run from this folder

OPTIONS = ["drug", "weight", "indication", "product", "level", "phase", "schedule", "infusion"]
HEADER = ["order_id", "mrn", *OPTIONS]
# As installed: byte-code cached (PYTHONDONTWRITEBYTECODE would recompile on every run).
CHILD_ENV = {
    k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "HER2DOSE_REGIMENS")
}

# (drug as typed, indication, products to name, levels?, trastuzumab-style phases?, weight)
ENHERTU = [
    ("enhertu", "breast", 0.45),
    ("ENHERTU", "breast", 0.1),
    ("t-dxd", "gastric", 0.15),
    ("enhertu", "nsclc", 0.15),
    ("Enhertu", "solid-tumors", 0.15),
]
KADCYLA = [("kadcyla", "metastatic-breast", 0.6), ("T-DM1", "early-breast", 0.4)]
TRASTUZUMAB_PRODUCTS = [
    "herceptin",
    "ogivri",
    "herzuma",
    "ontruzant",
    "trazimera",
    "kanjinti",
    "hercessi",
]
TRASTUZUMAB_INDICATIONS = [
    ("adjuvant-breast", ["q3w", "weekly"]),
    ("metastatic-breast", ["q3w", "weekly"]),
    ("gastric", ["q3w"]),
]
BAD = [
    {"drug": "enhertoo", "indication": "breast"},  # unknown drug
    {"drug": "kadcyla"},  # indication missing
    {"drug": "enhertu", "indication": "breast", "weight": "72 mL"},  # not a mass
    {"drug": "enhertu", "indication": "breast", "weight": "-70 kg"},
    {"drug": "ogivri", "indication": "gastric", "phase": "maintenance", "level": "-1"},
]


def weight(rng: random.Random) -> str:
    roll = rng.random()
    kg = min(max(rng.gauss(75, 17), 38), 165)
    if roll < 0.70:
        return f"{kg:.1f} kg"
    if roll < 0.85:
        return f"{kg / 0.45359237:.1f} lb"
    if roll < 0.95:
        return f"{round(kg / 0.45359237)} lb"
    return f"{kg:.1f}"  # bare number: read as kg, with a note


def row(rng: random.Random, number: int) -> list[str]:
    cells = dict.fromkeys(OPTIONS, "")
    cells["weight"] = weight(rng)
    roll = rng.random()
    if roll < 0.01:
        cells.update(rng.choice(BAD))
    elif roll < 0.45:
        drug, indication = _pick(rng, ENHERTU)
        cells.update(
            drug=drug,
            indication=indication,
            level=rng.choices(["", "0", "-1", "-2"], [70, 10, 15, 5])[0],
        )
    elif roll < 0.65:
        drug, indication = _pick(rng, KADCYLA)
        cells.update(
            drug=drug, indication=indication, level=rng.choices(["", "-1", "-2"], [80, 15, 5])[0]
        )
    elif roll < 0.95:
        indication, schedules = rng.choice(TRASTUZUMAB_INDICATIONS)
        product = rng.choice(TRASTUZUMAB_PRODUCTS)
        named = rng.random() < 0.5
        cells.update(
            drug="trastuzumab" if named else product,
            product=product if named else "",
            indication=indication,
            schedule=rng.choice(schedules),
            phase=rng.choices(["loading", "maintenance"], [15, 85])[0],
        )
    else:
        cells.update(drug="margenza")
    cells["infusion"] = rng.choices(["", "first", "subsequent"], [30, 10, 60])[0]
    return [f"ORD{number:08d}", f"MRN{rng.randrange(10**7):07d}", *cells.values()]


def _pick(rng: random.Random, table: list[tuple[str, str, float]]) -> tuple[str, str]:
    drug, indication, _ = rng.choices(table, [w for *_, w in table])[0]
    return drug, indication


def generate(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(1, rows + 1):
            writer.writerow(row(rng, number))


# --- the floor: a child process; `python benchmarks/batch.py _floor MODE ...` -------------


def floor(mode: str, input_path: str, output_path: str, templates_path: str) -> None:
    """Read with csv, write the same number of output columns, compute nothing."""
    with open(templates_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    header, templates = spec["header"], {tuple(k): v for k, v in spec["templates"]}
    if mode != "same-bytes":
        header = spec["lean_header"]
    width = len(header)
    with (
        open(input_path, newline="", encoding="utf-8-sig") as source,
        open(output_path, "w", newline="", encoding="utf-8") as sink,
    ):
        reader = csv.reader(source)
        writer = csv.writer(sink, quoting=csv.QUOTE_NONNUMERIC)
        next(reader)
        writer.writerow(header)
        if mode == "same-bytes":
            blank = templates[("",)]
            for cells in reader:
                writer.writerow(cells[:2] + templates.get(tuple(cells[2:3] + cells[4:]), blank))
        else:
            for cells in reader:
                writer.writerow((cells * (width // len(cells) + 1))[:width])


def templates(her2dose: list[str], input_path: Path, work: Path) -> Path:
    """For each combination (every option but the weight), the output cells her2dose
    writes for it, so that the 'same bytes' floor writes rows like batch's."""
    combos: dict[tuple[str, ...], list[str]] = {}
    with input_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for cells in reader:
            combos.setdefault(tuple(cells[2:3] + cells[4:]), cells)
    sample = work / "combos.csv"
    with sample.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *combos.values()])
    out = subprocess.run(
        [*her2dose, "batch", str(sample), "--quiet", "--columns", "full"],
        capture_output=True,
        text=True,
        check=False,
        env=CHILD_ENV,
    )
    rows = list(csv.reader(out.stdout.splitlines(), quoting=csv.QUOTE_NONNUMERIC))
    header, body = rows[0], rows[1:]
    table = [[list(key), cells[2:]] for key, cells in zip(combos, body, strict=True)]
    table.append([[""], [""] * (len(header) - 2)])
    lean = subprocess.run(
        [*her2dose, "batch", str(sample), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        env=CHILD_ENV,
    )
    lean_header = next(csv.reader(lean.stdout.splitlines()))
    path = work / "templates.json"
    path.write_text(
        json.dumps({"header": header, "lean_header": lean_header, "templates": table}),
        encoding="utf-8",
    )
    return path


CHECK_HEADER = ["order_id", "mrn", "drug", "weight", "indication", "level", "phase"]
CHECK_HEADER += ["schedule", "ordered_dose"]
NEXT_HEADER = [*(h for h in HEADER if h != "phase"), "last_dose", "on"]  # next has no phase


def derived(input_path: Path, work: Path, seed: int) -> tuple[Path, Path]:
    """The same patients as a list of ordered doses (check) and of last doses (next)."""
    rng = random.Random(seed)
    check, following = work / "check.csv", work / "next.csv"
    with (
        input_path.open(newline="", encoding="utf-8") as handle,
        check.open("w", newline="", encoding="utf-8") as c,
        following.open("w", newline="", encoding="utf-8") as n,
    ):
        reader = csv.reader(handle)
        next(reader)
        checks, nexts = csv.writer(c), csv.writer(n)
        checks.writerow(CHECK_HEADER)
        nexts.writerow(NEXT_HEADER)
        for cells in reader:
            row = dict(zip(HEADER, cells, strict=True))
            dose = f"{rng.uniform(50, 1200):.1f} mg" if rng.random() < 0.7 else "5.4 mg/kg"
            checks.writerow([row[k] for k in CHECK_HEADER[:-1]] + [dose])
            day = rng.randrange(1, 28)
            late = rng.choice([0, 0, 3, 7, 8, 14, 21, 30])
            kept = [row[k] for k in NEXT_HEADER[:-2]]
            nexts.writerow([*kept, f"2026-01-{day:02d}", f"2026-02-{min(day + late, 28):02d}"])
    return check, following


# --- measuring ------------------------------------------------------------------------------


def measure(argv: list[str], stdout: int | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and max RSS (bytes) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=CHILD_ENV)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode() if child.stderr else ""
    if child.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}: {errors}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def her2dose_command() -> list[str]:
    script = Path(sys.executable).with_name("her2dose")
    if script.exists():
        return [str(script)]
    found = shutil.which("her2dose")
    return [found] if found else [sys.executable, "-m", "her2dose"]


def profile(input_path: Path, rows: int) -> None:
    import cProfile
    import io
    import pstats

    from her2dose.batch import run as batch
    from her2dose.data import loader as regimens

    book = regimens.load()
    with input_path.open("rb") as binary:
        source = batch.open_source(binary, None)
        profiler = cProfile.Profile()
        profiler.enable()
        batch.run(book, source, io.StringIO(), "csv")
        profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    print(
        f"\ncProfile of batch.run in-process over {rows:,} rows (times inflated by the profiler):"
    )
    stats.sort_stats("tottime").print_stats(18)
    print("\n".join(line for line in stream.getvalue().splitlines()[4:] if line.strip()))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_floor":
        floor(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="N (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument(
        "--memory-factor",
        type=int,
        default=10,
        help="also measure peak memory at this many times N (default 10; 0: skip)",
    )
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--xlsx", action="store_true", help="also xlsx output's memory")
    parser.add_argument("--profile", action="store_true", help="cProfile batch in-process")
    args = parser.parse_args()

    her2dose = her2dose_command()
    n = args.rows
    work = Path(tempfile.mkdtemp(prefix="her2dose-bench-"))
    try:
        data = work / "orders.csv"
        generate(data, n, args.seed)
        spec = templates(her2dose, data, work)
        check_data, next_data = derived(data, work, args.seed)
        out = work / "out.csv"
        runs = {
            "floor (input cells)": [
                sys.executable,
                __file__,
                "_floor",
                "input-cells",
                str(data),
                str(out),
                str(spec),
            ],
            "batch (lean)": [*her2dose, "batch", str(data), "-o", str(out), "--quiet"],
            "floor (same bytes)": [
                sys.executable,
                __file__,
                "_floor",
                "same-bytes",
                str(data),
                str(out),
                str(spec),
            ],
            "batch --columns full": [
                *her2dose,
                "batch",
                str(data),
                "-o",
                str(out),
                "--quiet",
                "--columns",
                "full",
            ],
            "batch --command check": [
                *her2dose,
                "batch",
                str(check_data),
                "-o",
                str(out),
                "--quiet",
                "--command",
                "check",
            ],
            "batch --command next": [
                *her2dose,
                "batch",
                str(next_data),
                "-o",
                str(out),
                "--quiet",
                "--command",
                "next",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        rss: dict[str, list[int]] = {name: [] for name in runs}
        sizes: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, argv in runs.items():
                elapsed, seconds, peak = measure(argv)
                times[name].append(elapsed)
                cpu[name].append(seconds)
                rss[name].append(peak)
                sizes[name] = out.stat().st_size

        print(f"machine: {machine()}")
        print(
            f"rows: {n:,} ({data.stat().st_size / 1e6:.1f} MB of CSV in); "
            f"{args.repeat} interleaved rounds, median wall time per process\n"
        )
        print(f"{'':22} {'seconds':>8} {'rows/s':>10} {'CPU s':>7} {'MB out':>8} {'max RSS':>9}")
        for name in runs:
            t = statistics.median(times[name])
            print(
                f"{name:22} {t:8.2f} {n / t:10,.0f} {statistics.median(cpu[name]):7.2f} "
                f"{sizes[name] / 1e6:8.1f} {max(rss[name]) / 2**20:7.1f}MB"
            )
        median = {name: statistics.median(times[name]) for name in runs}
        cpu_median = {name: statistics.median(cpu[name]) for name in runs}
        for b, a in (
            ("batch (lean)", "floor (input cells)"),
            ("batch --columns full", "floor (same bytes)"),
        ):
            print(
                f"ratio {b} / {a}: {median[b] / median[a]:.2f} "
                f"(CPU time: {cpu_median[b] / cpu_median[a]:.2f})"
            )
        for name in ("batch --command check", "batch --command next"):
            print(f"{name}: {median['batch (lean)'] / median[name]:.2f}x the rows/s of plan")

        if args.memory_factor:
            big = work / "orders-big.csv"
            generate(big, n * args.memory_factor, args.seed + 1)
            peaks = {}
            for label, path, rows in (
                ("N", data, n),
                (f"{args.memory_factor}N", big, n * args.memory_factor),
            ):
                elapsed, _, peak = measure(
                    [*her2dose, "batch", str(path), "--quiet"], stdout=subprocess.DEVNULL
                )
                peaks[label] = peak
                print(
                    f"peak memory at {label} = {rows:,} rows (to /dev/null): "
                    f"{peak / 2**20:.1f} MB, {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s"
                )
            labels = list(peaks)
            ratio = peaks[labels[1]] / peaks[labels[0]]
            print(f"memory ratio {labels[1]}/{labels[0]}: {ratio:.2f}")
            if args.xlsx:
                small = work / "orders-small.csv"
                generate(small, max(n // args.memory_factor, 1), args.seed + 2)
                xlsx_peaks = []
                for path, rows in ((small, n // args.memory_factor), (data, n)):
                    book = work / "plans.xlsx"
                    elapsed, _, peak = measure(
                        [*her2dose, "batch", str(path), "-o", str(book), "--quiet"]
                    )
                    xlsx_peaks.append(peak)
                    print(
                        f"xlsx output, peak memory at {rows:,} rows: {peak / 2**20:.1f} MB, "
                        f"{elapsed:.1f} s, {rows / elapsed:,.0f} rows/s"
                    )
                print(f"xlsx memory ratio: {xlsx_peaks[1] / xlsx_peaks[0]:.2f}")
        if args.profile:
            profile(data, n)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
