"""`make bench`: speed figures of what exists so far, with ratios to measured anchors.

Anchors come from ../shared/notes/perf.md (same machine kind, frictionless 5.21): the
frictionless Python API validates about 20,000 rows/s on a 10-column table with keys.
Nothing here asserts a time; it prints figures for a person (or a later issue) to judge.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RIFERIMENTI = REPO / "datapackage" / "riferimenti" / "datapackage.yaml"
ANCHOR_FRICTIONLESS_ROWS_PER_S = 20_000
RUNS = 5


def median_seconds(work: Callable[[], object], runs: int = RUNS) -> tuple[float, float, float]:
    """Median, min and max wall time of ``runs`` calls of ``work``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def count_rows() -> int:
    data = RIFERIMENTI.parent / "data"
    return sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in data.glob("*.csv"))


def main() -> None:
    from odata.validate import validate_package

    rows = count_rows()
    median, low, high = median_seconds(lambda: validate_package(RIFERIMENTI))
    rate = rows / median
    print(
        f"validate riferimenti: {rows} rows in {median:.2f} s (min {low:.2f}, max {high:.2f},"
        f" {RUNS} runs) = {rate:,.0f} rows/s;"
        f" ratio to the frictionless anchor ({ANCHOR_FRICTIONLESS_ROWS_PER_S:,} rows/s):"
        f" {rate / ANCHOR_FRICTIONLESS_ROWS_PER_S:.2f}x"
    )
    print(
        "  (small tables: start-up of each resource dominates, so rows/s is well below the"
        " anchor measured on 100k rows)"
    )
    command = [sys.executable, "-m", "odata", "--help"]
    median, low, high = median_seconds(
        lambda: subprocess.run(command, check=True, capture_output=True)
    )
    print(
        f"odata --help start-up: {median * 1000:.0f} ms (min {low * 1000:.0f},"
        f" max {high * 1000:.0f}, {RUNS} runs)"
    )


if __name__ == "__main__":
    main()
