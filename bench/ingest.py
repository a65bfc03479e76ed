"""Ingest speed and memory on the business register: rows/s and peak RSS, against the targets.

    .venv/bin/python bench/ingest.py            # 1M rows, 3 runs
    .venv/bin/python bench/ingest.py --full     # and 6M rows (the national register)

Targets (issue 5): at least 1,000,000 register rows/s with vectorized readers, and a peak RSS
of at most 3 GB at 6M rows. The file is written on the fly by a small vectorized writer of
its own (seeded, in the InfoCamere dialect), so the figures do not depend on the synthetic
sources' generator. Each run is a separate process, so its peak RSS is its own: interpreter,
imports and ingest. Nothing here asserts a time; it prints figures and ratios to judge.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

TARGET_ROWS_PER_S = 1_000_000
RSS_LIMIT_MB_AT_6M = 3 * 1024
HEADER = "id_impresa,provincia,ateco,forma_giuridica,data_iscrizione,data_cessazione,addetti\n"
LEGAL_FORMS = (
    "ditta individuale",
    "società di persone",
    "società di capitali",
    "cooperativa",
    "altra forma",
)
FORM_WEIGHTS = (0.55, 0.14, 0.27, 0.02, 0.02)
CHUNK_ROWS = 1_000_000


def write_imprese(path: Path, rows: int, seed: int = 1) -> None:
    """A well-formed ``imprese.csv`` of ``rows`` firms, written in chunks (bounded memory)."""
    from odata.reference import read_codes

    provinces = [r for r in read_codes("territori") if r["level"] == "province"]
    codes = np.array([r["code"] for r in provinces])
    sigle = np.array([r["sigla"] for r in provinces])
    rng = np.random.default_rng(seed)
    ateco = _ateco_codes(rng)
    with path.open("wb") as sink:
        sink.write(HEADER.encode())
        for start in range(0, rows, CHUNK_ROWS):
            table = _chunk(rng, start, min(rows, start + CHUNK_ROWS), codes, sigle, ateco)
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            pa_csv.write_csv(table, sink, write_options=options)


def _ateco_codes(rng: np.random.Generator) -> np.ndarray:
    """About 1,300 dotted codes (the real register uses about as many subcategories)."""
    from odata.reference import read_codes

    divisions = [r["code"] for r in read_codes("ateco") if r["level"] == "division"]
    classes = rng.integers(0, 100, (len(divisions), 15))
    return np.array(
        [f"{d}.{c:02d}.{c % 7:02d}" for d, row in zip(divisions, classes, strict=True) for c in row]
    )


def _chunk(
    rng: np.random.Generator,
    start: int,
    stop: int,
    codes: np.ndarray,
    sigle: np.ndarray,
    ateco: np.ndarray,
) -> pa.Table:
    n = stop - start
    where = rng.integers(0, len(codes), n)
    number = pc.utf8_lpad(pa.array(np.arange(start, stop)).cast(pa.string()), 7, "0")
    firm_id = pc.binary_join_element_wise(pa.array(sigle[where]), number, "-")
    registered = rng.integers(5_500, 20_000, n)  # days since 1970: 1985 to 2024
    closed = registered + rng.integers(30, 4_000, n)
    closed_text = pa.array(closed, pa.int32()).cast(pa.date32()).cast(pa.string())
    forms = np.array(LEGAL_FORMS)[rng.choice(len(LEGAL_FORMS), n, p=FORM_WEIGHTS)]
    return pa.table(
        {
            "id_impresa": firm_id,
            "provincia": pa.array(codes[where]),
            "ateco": pa.array(ateco[rng.integers(0, len(ateco), n)]),
            "forma_giuridica": pa.array(forms),
            "data_iscrizione": pa.array(registered, pa.int32()).cast(pa.date32()).cast(pa.string()),
            "data_cessazione": pc.if_else(pa.array(rng.random(n) < 0.12), closed_text, ""),
            "addetti": pa.array(rng.geometric(0.35, n) - 1).cast(pa.string()),
        }
    )


def child(path: Path) -> None:
    """Ingest ``path`` in this process and print the figures as JSON (run by :func:`measure`).

    A tiny file is ingested first, so that the one-off costs (imports that pyarrow makes on
    first use, reading the code lists) are timed apart from the rows."""
    from odata.ingest import read_source
    from odata.sources.manifest import spec_for

    warm = time.perf_counter()
    tiny = path.with_name("tiny.csv")
    tiny.write_text(HEADER + "NA-0000001,063,47.11.10,ditta individuale,2015-03-02,,0\n")
    read_source(spec_for(tiny, kind="imprese"))
    start_up = time.perf_counter() - warm
    spec = spec_for(path, kind="imprese")
    start_rss = _rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    result = read_source(spec)
    figures = {
        "rows": result.table.num_rows,
        "problems": len(result.problems),
        "start_up_seconds": start_up,
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "start_rss_mb": start_rss,
        "peak_rss_mb": _rss_mb(),
    }
    print(json.dumps(figures))


def _rss_mb() -> float:
    """This process's peak resident set size. /proc's VmHWM is reset by exec, unlike
    getrusage's ru_maxrss, which a child inherits from the parent that forked it."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure(path: Path) -> dict[str, float]:
    """One ingest of ``path`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def report(rows: int, runs: list[dict[str, float]]) -> None:
    seconds = [r["seconds"] for r in runs]
    median = statistics.median(seconds)
    rate = rows / median
    peak = max(r["peak_rss_mb"] for r in runs)
    growth = max(r["peak_rss_mb"] - r["start_rss_mb"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    print(
        f"ingest imprese {rows:,} rows: {median:.2f} s median (min {min(seconds):.2f},"
        f" max {max(seconds):.2f}, {len(runs)} run(s), cpu {cpu:.2f} s) = {rate:,.0f} rows/s;"
        f" ratio to the {TARGET_ROWS_PER_S:,} rows/s target: {rate / TARGET_ROWS_PER_S:.2f}x"
    )
    start_up = statistics.median(r["start_up_seconds"] for r in runs)
    line = (
        f"  peak RSS {peak:,.0f} MB ({growth:,.0f} MB above start-up and imports);"
        f" one-off start-up (imports, code lists) {start_up:.2f} s, not in the rate"
    )
    if rows >= 6_000_000:
        line += f"; ratio to the {RSS_LIMIT_MB_AT_6M:,} MB limit: {peak / RSS_LIMIT_MB_AT_6M:.2f}"
    print(line)
    problems = {int(r["problems"]) for r in runs}
    if problems != {0}:
        print(f"  WARNING: the generated file gave {problems} problems: the figures are suspect")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 6M rows (the national register)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the first file")
    parser.add_argument("--runs", type=int, default=3, help="runs per size")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return
    sizes = [(args.rows, args.runs)] + ([(6_000_000, args.runs)] if args.full else [])
    with tempfile.TemporaryDirectory(prefix="odata-bench-") as folder:
        for rows, runs in sizes:
            path = Path(folder) / f"imprese-{rows}.csv"
            started = time.perf_counter()
            write_imprese(path, rows)
            size_mb = path.stat().st_size / 1024**2
            print(
                f"wrote {rows:,} rows ({size_mb:,.0f} MB) in {time.perf_counter() - started:.1f} s"
            )
            report(rows, [measure(path) for _ in range(runs)])
            path.unlink()


if __name__ == "__main__":
    main()
