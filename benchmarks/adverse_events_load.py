"""What the [adverse_events] section costs at load time (every command loads the file).

Prints the median time of regimens.load() on the shipped regimens.toml with and without
the section, and the time of _Checker.adverse_events alone. Run from the repository root:

    python benchmarks/adverse_events_load.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
import tomllib
from pathlib import Path

from her2dose.data import loader as regimens

N = 51


def median_ms(func) -> tuple[float, float, float]:
    times = []
    for _ in range(N):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    q1, _, q3 = statistics.quantiles(times, n=4)
    return statistics.median(times) * 1000, q1 * 1000, q3 * 1000


def main() -> None:
    shipped = Path("regimens.toml")
    text = shipped.read_text(encoding="utf-8")
    start = text.index("[adverse_events.")
    end = text.index("# Storage and use-by times (issue 4)")
    without = Path(tempfile.mkdtemp()) / "regimens.toml"
    without.write_text(text[:start] + "\n# ===\n" + text[end:], encoding="utf-8")
    book = regimens.load(shipped)  # builds the unit registry once, as a command would
    section = tomllib.loads(text)["adverse_events"]
    rows = [
        ("load, with [adverse_events]", lambda: regimens.load(shipped)),
        ("load, without it", lambda: regimens.load(without)),
        (
            "_Checker.adverse_events alone",
            lambda: regimens._Checker().adverse_events(section, book.molecules, book.regimens),
        ),
    ]
    print(f"median of {N} runs (p25-p75)")
    for name, func in rows:
        median, q1, q3 = median_ms(func)
        print(f"{name:32s} {median:6.2f} ms ({q1:.2f}-{q3:.2f})")


if __name__ == "__main__":
    main()
