"""A business register of a million rows ingests in bounded memory (columnar, streamed).

The file is generated on the fly by the benchmark's own writer; the ingest runs in a fresh
process, whose peak resident memory is read from /proc (the parent's would hide it). No time
is asserted: speed is `make bench`'s business.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ingest.py"
ROWS = 1_000_000
MAX_GROWTH_MB = 1_500


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_ingest", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_million_row_register_ingests_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "imprese.csv"
    bench().write_imprese(path, ROWS)
    done = subprocess.run(
        [sys.executable, str(BENCH), "--child", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rows"] == ROWS
    assert figures["problems"] == 0
    growth = figures["peak_rss_mb"] - figures["start_rss_mb"]
    assert growth < MAX_GROWTH_MB, f"peak RSS grew by {growth:.0f} MB"
