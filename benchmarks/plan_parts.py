"""Cost of the two parts of a plan: `resolve` (per distinct request) and `plan_patient`.

Prints microseconds per plan, best of 5 runs over 2,000 weights. No assertions: figures only.
Run: python benchmarks/plan_parts.py
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from her2dose.commands.plan import compute_plan, plan_patient, resolve
from her2dose.data import loader as regimens
from her2dose.model.plan import PlanRequest

BOOK = regimens.load(Path(__file__).resolve().parents[1] / "regimens.toml")
ZONE = ZoneInfo("Europe/London")
PLAIN = PlanRequest(
    drug="ogivri",
    indication="adjuvant-breast",
    schedule="q3w",
    phase="maintenance",
    weight="70 kg",
    prepared_at="2026-06-10 09:00",
)
OPTIONS = replace(PLAIN, round_to_vial_pct="10", baseline_weight="72 kg")
WEIGHTS = [f"{50 + i % 70}.{i % 10} kg" for i in range(2000)]


def per_plan_us(run) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best / len(WEIGHTS) * 1e6


def main() -> None:
    resolved = {r: resolve(BOOK, r) for r in (PLAIN, OPTIONS)}
    print(
        f"resolve only:                          "
        f"{per_plan_us(lambda: [resolve(BOOK, OPTIONS) for _ in WEIGHTS]):6.0f} us"
    )
    for label, request in (("no issue-4 options", PLAIN), ("vial rounding + baseline", OPTIONS)):
        cached = per_plan_us(
            lambda r=request: [
                plan_patient(BOOK, resolved[r], replace(r, weight=w), zone=ZONE) for w in WEIGHTS
            ]
        )
        full = per_plan_us(
            lambda r=request: [compute_plan(BOOK, replace(r, weight=w), zone=ZONE) for w in WEIGHTS]
        )
        print(f"{label:26}  plan_patient {cached:6.0f} us   compute_plan {full:6.0f} us")


if __name__ == "__main__":
    main()
