"""Speed and peak memory of `odata sources generate` at the size of the national register.

Generation runs in a child process so that its peak resident memory can be read on its own
(``getrusage(RUSAGE_CHILDREN)``); the files go to a temporary folder that is removed after.
Nothing is asserted: the figures are printed for a person (or ``make bench``) to judge
against the issue's targets (bounded memory, ~6 million firms on a 2-core machine).

    .venv/bin/python bench/sources_generate.py            # scale 600: ~6 million firms
    .venv/bin/python bench/sources_generate.py --scale 60
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

_CHILD = """
import json, sys, time
from pathlib import Path
from odata.config import Settings
from odata.sources.synthetic import generate
marks = {}
def progress(path, rows):
    marks[path] = time.perf_counter()
start = time.perf_counter()
counts = generate(Path(sys.argv[1]), seed=int(sys.argv[2]), scale=float(sys.argv[3]),
                  settings=Settings(), progress=progress)
end = time.perf_counter()
print(json.dumps({"counts": counts, "total": end - start, "register": end - marks["budget.csv"]}))
"""


def measure(scale: float, seed: int = 1) -> dict[str, float]:
    """Generate once in a child process; return rows, seconds, peak RSS (MiB) and disk MiB."""
    with tempfile.TemporaryDirectory(prefix="odata-bench-sources-") as folder:
        command = [sys.executable, "-c", _CHILD, folder, str(seed), str(scale)]
        start = time.perf_counter()
        result = subprocess.run(command, check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        report = json.loads(result.stdout.strip().splitlines()[-1])
        counts: dict[str, int] = report["counts"]
        disk = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return {
        "firms": counts["registro-imprese/imprese.csv"],
        "owners": counts["registro-imprese/titolari.csv"],
        "rows": sum(counts.values()),
        "seconds": seconds,  # wall time of the child, start-up and imports included
        "generate_seconds": report["total"],
        "register_seconds": report["register"],  # imprese + titolari only
        "peak_rss_mib": peak_kib / 1024,
        "disk_mib": disk / 2**20,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Print generation speed and peak memory at ``--scale`` (default 600 ≈ 6M firms)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    figures = measure(args.scale, args.seed)
    register_rows = figures["firms"] + figures["owners"]
    print(
        f"sources generate --scale {args.scale:g}: {figures['firms']:,.0f} firms"
        f" + {figures['owners']:,.0f} owners, {figures['rows']:,.0f} rows in all files;"
        f" {figures['seconds']:.1f} s wall (generate() {figures['generate_seconds']:.1f} s);"
        f" peak RSS {figures['peak_rss_mib']:,.0f} MiB; {figures['disk_mib']:,.0f} MiB on disk"
    )
    print(
        f"  business register alone: {figures['register_seconds']:.1f} s ="
        f" {figures['firms'] / figures['register_seconds']:,.0f} firms/s,"
        f" {register_rows / figures['register_seconds']:,.0f} rows/s (imprese + titolari)"
    )


if __name__ == "__main__":
    main()
