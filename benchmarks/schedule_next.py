"""Wall time of `schedule` and `next` against `plan`, as subprocesses (prints figures only).

Run: python benchmarks/schedule_next.py [ROUNDS]   (round-robin, median of ROUNDS runs)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

HER2DOSE = [sys.executable, "-m", "her2dose"]
COMMANDS = {
    "plan (baseline)": ["plan", "kadcyla", "--indication", "ebc", "--weight", "70 kg"],
    "schedule, 26 doses, --weight": [
        "schedule",
        "trastuzumab",
        "--indication",
        "adjuvant",
        "--schedule",
        "adjuvant-weekly-then-q3w",
        "--chemotherapy",
        "paclitaxel",
        "--start",
        "2026-01-05",
        "--weight",
        "70 kg",
        "--product",
        "ogivri",
    ],
    "schedule, 520 doses, --weight": [
        "schedule",
        "trastuzumab",
        "--indication",
        "metastatic-breast",
        "--schedule",
        "weekly",
        "--start",
        "2026-01-05",
        "--weight",
        "70 kg",
        "--product",
        "ogivri",
        "--cycles",
        "520",
    ],
    "next, --weight": [
        "next",
        "herceptin",
        "--indication",
        "gastric",
        "--last-dose",
        "2026-01-05",
        "--on",
        "2026-02-03",
        "--weight",
        "70 kg",
    ],
}


def main(rounds: int) -> None:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, args in COMMANDS.items():
            began = time.perf_counter()
            subprocess.run([*HER2DOSE, *args, "--format", "json"], capture_output=True, check=True)
            times[name].append(time.perf_counter() - began)
    for name, values in times.items():
        values.sort()
        print(
            f"{name:32s} median {statistics.median(values) * 1000:5.0f} ms "
            f"[p25 {values[len(values) // 4] * 1000:.0f}, "
            f"p75 {values[3 * len(values) // 4] * 1000:.0f}] N={rounds}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
