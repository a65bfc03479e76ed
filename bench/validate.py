"""Validation speed and memory: the fast engine against frictionless on a register-sized table.

    .venv/bin/python bench/validate.py              # demo release, 100k and 1M rows
    .venv/bin/python bench/validate.py --full       # and 6M rows (fast engine only)
    .venv/bin/python bench/validate.py --repeat 3   # each run three times: best and median

Targets (issue 7): the fast engine at least 50x faster than frictionless on 1M rows with the
same findings, and 6M rows in at most 8 s with a peak RSS of at most 2 GB. The table is
written on the fly (seeded, vectorized) with a schema shaped like the business register:
a unique id with a pattern, a province sigla with a foreign key to a province list that
holds "NA" (Napoli), an ISTAT code, enums, dates, an integer with a minimum and a boolean.
One row in 20,000 carries a planted error, so both engines have findings to agree on.

Every (engine, size) run is a separate process, so its peak RSS is its own (interpreter,
imports and validation), and it imports only what the engine needs (the generator's numpy and
pyarrow are imported by the parent). frictionless runs at 100k and 1M only: at ~20k rows/s, 6M
would take about five minutes. On a shared machine a single run can be twice as slow as the
next: ``--repeat`` runs each one several times (the engines taking turns) and prints the best
and the median. Nothing here asserts a time; it prints figures and ratios to judge.
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

REPO = Path(__file__).resolve().parents[1]
RELEASES = REPO / "build" / "releases"
TARGET_RATIO_AT_1M = 50
TARGET_SECONDS_AT_6M = 8.0
TARGET_RSS_MB_AT_6M = 2048
ERROR_EVERY = 20_000

SECTIONS = [chr(c) for c in range(ord("A"), ord("V"))]
LEGAL_FORMS = ["DI", "SRL", "SRLS", "SNC", "SAS", "SPA"]
COUNTRIES = ["ITA", "MAR", "ROU", "ALB", "CHN", "BGD", "EGY", "PAK", "NGA", "SEN", "TUN", "UKR"]
PROVINCES = [
    "AG", "AL", "AN", "AO", "AP", "AQ", "AR", "AT", "AV", "BA", "BG", "BI", "BL", "BN", "BO",
    "BR", "BS", "BT", "BZ", "CA", "CB", "CE", "CH", "CL", "CN", "CO", "CR", "CS", "CT", "CZ",
    "EN", "FC", "FE", "FG", "FI", "FM", "FR", "GE", "GO", "GR", "IM", "IS", "KR", "LC", "LE",
    "LI", "LO", "LT", "LU", "MB", "MC", "ME", "MI", "MN", "MO", "MS", "MT", "NA", "NO", "NU",
    "OR", "PA", "PC", "PD", "PE", "PG", "PI", "PN", "PO", "PR", "PT", "PU", "PV", "PZ", "RA",
    "RC", "RE", "RG", "RI", "RM", "RN", "RO", "SA", "SI", "SO", "SP", "SR", "SS", "SU", "SV",
    "TA", "TE", "TN", "TO", "TP", "TR", "TS", "TV", "UD", "VA", "VB", "VC", "VE", "VI", "VR",
    "VT", "VV",
]  # fmt: skip
#: (column, bad value, what frictionless and the fast engine both report)
PLANTED = [
    ("addetti", "dodici", "type-error"),
    ("addetti", "12.5", "type-error"),
    ("data_iscrizione", "2020-02-30", "type-error"),
    ("data_iscrizione", "31/12/2019", "type-error"),
    ("provincia", "ZZ", "foreign-key"),
    ("sesso", "X", "constraint-error"),
    ("addetti", "-3", "constraint-error"),
    ("sezione_ateco", "", "constraint-error"),
    ("migrante", "si", "type-error"),
]


def schema() -> dict[str, object]:
    def text(name: str, **constraints: object) -> dict[str, object]:
        return {"name": name, "type": "string", "constraints": constraints}

    return {
        "missingValues": [""],
        "primaryKey": ["id_impresa"],
        "foreignKeys": [
            {"fields": ["provincia"], "reference": {"resource": "province", "fields": ["code"]}}
        ],
        "fields": [
            text("id_impresa", required=True, unique=True, pattern="IT[0-9]{10}"),
            text("provincia", required=True, pattern="[A-Z]{2}"),
            text("istat_provincia", required=True, pattern="[0-9]{3}"),
            text("sezione_ateco", required=True, enum=SECTIONS),
            text("divisione_ateco", required=True, pattern="[0-9]{2}"),
            text("forma_giuridica", required=True, enum=LEGAL_FORMS),
            text("paese_nascita", required=True, pattern="[A-Z]{3}"),
            text("sesso", enum=["M", "F"]),
            {"name": "data_iscrizione", "type": "date", "constraints": {"required": True}},
            {"name": "data_cessazione", "type": "date"},
            {"name": "addetti", "type": "integer", "constraints": {"minimum": 0}},
            {"name": "migrante", "type": "boolean", "constraints": {"required": True}},
        ],
    }


def generate(rows: int, folder: Path, seed: int = 7) -> Path:
    """Write the register package (``datapackage.json`` + two CSVs) and return its descriptor."""
    import numpy as np  # here, not at the top: a measured run imports only what it uses
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    rng = np.random.default_rng(seed)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    weights = np.ones(len(PROVINCES))
    for heavy in ("RM", "MI", "NA"):
        weights[PROVINCES.index(heavy)] = 12
    province = rng.choice(len(PROVINCES), rows, p=weights / weights.sum())
    start = np.datetime64("1985-01-01")
    registered = start + rng.integers(0, 40 * 365, rows).astype("timedelta64[D]")
    closed = registered + rng.integers(30, 3000, rows).astype("timedelta64[D]")
    closed_text = np.where(rng.random(rows) < 0.08, closed.astype(str), "")
    columns: dict[str, object] = {
        "id_impresa": np.char.add("IT", np.char.zfill(np.arange(rows).astype(str), 10)),
        "provincia": np.array(PROVINCES)[province],
        "istat_provincia": np.char.zfill((province + 1).astype(str), 3),
        "sezione_ateco": np.array(SECTIONS)[rng.integers(0, len(SECTIONS), rows)],
        "divisione_ateco": np.char.zfill(rng.integers(1, 100, rows).astype(str), 2),
        "forma_giuridica": np.array(LEGAL_FORMS)[rng.integers(0, len(LEGAL_FORMS), rows)],
        "paese_nascita": np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), rows)],
        "sesso": np.array(["M", "F", ""])[rng.integers(0, 3, rows)],
        "data_iscrizione": registered.astype(str),
        "data_cessazione": closed_text,
        "addetti": rng.geometric(0.3, rows).astype(str),
        "migrante": np.array(["true", "false"])[rng.integers(0, 2, rows)],
    }
    planted = np.arange(ERROR_EVERY // 2, rows, ERROR_EVERY)
    for k, (column, bad, _) in enumerate(PLANTED):
        values = np.asarray(columns[column]).astype(object)
        values[planted[k :: len(PLANTED)]] = bad
        columns[column] = values
    table = pa.table({name: pa.array(v, pa.string()) for name, v in columns.items()})
    options = pa_csv.WriteOptions(quoting_style="none")
    pa_csv.write_csv(table, data / "imprese.csv", options)
    (data / "province.csv").write_text("code\n" + "\n".join(PROVINCES) + "\n", encoding="utf-8")
    descriptor = {
        "name": "registro-bench",
        "resources": [
            {"name": "imprese", "path": "data/imprese.csv", "schema": schema()},
            {
                "name": "province",
                "path": "data/province.csv",
                "schema": {
                    "missingValues": [""],
                    "primaryKey": ["code"],
                    "fields": [{"name": "code", "type": "string"}],
                },
            },
        ],
    }
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=1), encoding="utf-8")
    return path


def child(engine: str, descriptors: list[str], out: str) -> None:
    """One measured run (in its own process): validate, then report time, RSS and findings."""
    start = time.perf_counter()
    from odata.validate import validate_package

    found: list[list[object]] = []
    for descriptor in descriptors:
        problems = validate_package(Path(descriptor), engine)  # type: ignore[arg-type]
        found.extend([p.file, p.row, p.column, p.code] for p in problems)
    seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()
    Path(out).write_text(json.dumps({"seconds": seconds, "rss_mb": peak_mb, "found": found}))


def peak_rss_mb() -> float:
    """This process's peak RSS. ``VmHWM`` is its own; ``ru_maxrss`` would also count the
    parent's memory at fork time (Linux carries it over exec), here the generator's."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Result = dict[str, object]


def measure(engine: str, descriptors: list[Path], work: Path) -> Result:
    """Run one engine in a separate process; wall time includes start-up and imports."""
    out = work / f"result-{engine}.json"
    command = [sys.executable, __file__, "--child", engine, str(out), *map(str, descriptors)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    result: Result = json.loads(out.read_text())
    result["wall"] = time.perf_counter() - start
    return result


def measure_all(
    engines: tuple[str, ...], descriptors: list[Path], work: Path, repeat: int
) -> dict[str, list[Result]]:
    """``repeat`` runs of each engine, taking turns so that a busy spell hits both."""
    runs: dict[str, list[Result]] = {engine: [] for engine in engines}
    for _ in range(repeat):
        for engine in engines:
            runs[engine].append(measure(engine, descriptors, work))
    return runs


def _figure(runs: list[Result], key: str) -> tuple[float, float]:
    """(best, median) of ``key`` over the runs."""
    values = [float(run[key]) for run in runs]  # type: ignore[arg-type]
    return min(values), statistics.median(values)


def _findings(run: Result) -> set[tuple[object, ...]]:
    return {tuple(x) for x in run["found"]}  # type: ignore[attr-defined]


def report(label: str, rows: int, results: dict[str, list[Result]]) -> None:
    for engine, runs in results.items():
        (wall, wall_median), (inproc, inproc_median) = (
            _figure(runs, "wall"),
            _figure(runs, "seconds"),
        )
        rss = max(float(run["rss_mb"]) for run in runs)  # type: ignore[arg-type]
        print(
            f"{label:>14} {engine:>12}: {wall:6.2f} s wall (median {wall_median:6.2f};"
            f" {inproc:6.2f} s in validate, median {inproc_median:6.2f}),"
            f" {rows / wall:>11,.0f} rows/s, peak RSS {rss:6.0f} MB,"
            f" {len(runs[0]['found']):>4} problems"  # type: ignore[arg-type]
            + ("" if all(_findings(r) == _findings(runs[0]) for r in runs) else " (RUNS DIFFER)")
        )
    if len(results) == 2:
        fast, slow = results["fast"], results["frictionless"]
        best = _figure(slow, "wall")[0] / _figure(fast, "wall")[0]
        median = _figure(slow, "wall")[1] / _figure(fast, "wall")[1]
        median_in = _figure(slow, "seconds")[1] / _figure(fast, "seconds")[1]
        same = _findings(fast[0]) == _findings(slow[0])
        print(
            f"{'':>14} ratio frictionless/fast: {median:.1f}x wall (best/best {best:.1f}x),"
            f" {median_in:.1f}x in validate; same findings: {'yes' if same else 'NO'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--full", action="store_true", help="also 6M rows (fast engine only)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (best and median)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, out, *descriptors = args.child
        child(engine, descriptors, out)
        return
    both = ("fast", "frictionless")
    with tempfile.TemporaryDirectory(prefix="odata-bench-validate-") as tmp:
        work = Path(tmp)
        releases = sorted(p for p in RELEASES.glob("*") if p.is_dir())
        if releases:
            packages = sorted(releases[-1].glob("*/datapackage.json"))
            rows = sum(
                len(csv.read_text(encoding="utf-8").splitlines()) - 1
                for p in packages
                for csv in (p.parent / "data").glob("*.csv")
            )
            report(
                f"demo {releases[-1].name}", rows, measure_all(both, packages, work, args.repeat)
            )
        else:
            print("demo release: none under build/releases (run `odata build` first)")
        sizes = [100_000, 1_000_000] + ([6_000_000] if args.full else [])
        for rows in sizes:
            descriptor = generate(rows, work / str(rows))
            engines = both if rows <= 1_000_000 else ("fast",)
            results = measure_all(engines, [descriptor], work, args.repeat)
            report(f"register {rows // 1000:,}k", rows, results)
            targets(rows, results)
            for path in (work / str(rows)).rglob("*.csv"):
                path.unlink()


def targets(rows: int, results: dict[str, list[Result]]) -> None:
    """Issue 7's targets, on the medians."""
    if rows == 1_000_000:
        ratio = _figure(results["frictionless"], "wall")[1] / _figure(results["fast"], "wall")[1]
        print(f"{'':>14} target at 1M: >= {TARGET_RATIO_AT_1M}x -> {ratio:.1f}x")
    if rows == 6_000_000:
        seconds = _figure(results["fast"], "wall")[1]
        rss = max(float(run["rss_mb"]) for run in results["fast"])  # type: ignore[arg-type]
        print(
            f"{'':>14} target at 6M: <= {TARGET_SECONDS_AT_6M:.0f} s and"
            f" <= {TARGET_RSS_MB_AT_6M} MB -> {seconds:.1f} s, {rss:.0f} MB"
        )


if __name__ == "__main__":
    main()
