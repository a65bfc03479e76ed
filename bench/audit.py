"""Disclosure-audit speed on a synthetic release with ~50k-cell tables: seconds and cells/s.

    .venv/bin/python bench/audit.py             # both scenarios, audited once
    .venv/bin/python bench/audit.py --runs 3    # median of three audits

The release is written on the fly by a small generator of its own in the published format
(long tables with ``_T`` margins and a region → province hierarchy, ``C`` cells): a firm
table of territory × sector × ownership × size class (56k cells), a person table of
territory × action × sex × age band (16k cells) and a territory × sex table linked to it
(same population). Protection: primary suppression plus a deliberately naive secondary
suppression of its own (each line with one ``C`` cell gets a second one), so the audit also
meets patterns worse than the real engine's. Two scenarios: "light" (larger counts, ~18% of
the cells suppressed) and "heavy" (many small counts, ~29%). Target (issue 6): the whole
release in ≤ 60 s on 2 cores. Nothing here asserts a time; it prints figures to judge. On a
shared machine the wall time depends on the load; the CPU seconds (all processes) do not.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

from odata.anonymize.audit import audit_release
from odata.anonymize.model import TOTAL, Dimension, TableSpec, write_specs

TARGET_SECONDS = 60
REGIONS = 20
PROVINCES = 107


def territory(rng: np.random.Generator) -> Dimension:
    """20 regions and 107 provinces (each region gets at least one)."""
    region_of = np.concatenate([np.arange(REGIONS), rng.integers(0, REGIONS, PROVINCES - REGIONS)])
    hierarchy = {f"{p + 1:03d}": f"R{r + 1:02d}" for p, r in enumerate(region_of.tolist())}
    return Dimension("territory", hierarchy=hierarchy)


def cube(
    dims: tuple[Dimension, ...], codes: dict[str, list[str]], mean: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Random inner counts and every margin (``_T``, and each hierarchy level)."""
    names = [d.name for d in dims]
    inner = pd.DataFrame(list(product(*(codes[n] for n in names))), columns=names)
    scale = rng.gamma(1.5, 1.0, size=len(inner))
    inner["value"] = rng.negative_binomial(2, 2 / (2 + mean * scale)).astype(np.int64)
    frame = inner
    for dim in dims:
        levels = [frame]
        current = frame
        while True:
            parent = current[dim.name].map(lambda c, d=dim: d.parent(c))
            keep = parent.notna()
            if not keep.any():
                break
            current = current[keep].assign(**{dim.name: parent[keep]})
            current = current.groupby(names, as_index=False, sort=False)["value"].sum()
            levels.append(current)
        frame = pd.concat(levels, ignore_index=True)
    return frame.sort_values(names, kind="stable").reset_index(drop=True)


def suppress(frame: pd.DataFrame, dims: tuple[Dimension, ...], threshold: int) -> pd.Series:
    """Primary (1..T-1) plus naive secondary: every line with one C cell gets a second one,
    preferring small cells whose other lines already hold a C cell."""
    hidden = frame["value"].between(1, threshold - 1).to_numpy().copy()
    value = frame["value"].to_numpy()
    digits, parents, radix = [], [], []
    for dim in dims:
        codes, universe = pd.factorize(frame[dim.name])
        index = {c: i for i, c in enumerate(universe)}
        digits.append(codes.astype(np.int64))
        ups = [dim.parent(c) for c in universe]
        parents.append(np.array([index.get(u, -1) if u else -1 for u in ups], dtype=np.int64))
        radix.append(len(universe))
    mult = np.concatenate([[1], np.cumprod(radix)[:-1]]).astype(np.int64)
    packed = sum(d * m for d, m in zip(digits, mult, strict=True))
    members = []  # (line id, cell) pairs: a line is a parent cell and its children along a dim
    for i in range(len(dims)):
        up = parents[i][digits[i]]
        child = np.nonzero(up >= 0)[0]
        line_of_child = packed[child] + (up[child] - digits[i][child]) * mult[i]
        is_parent = np.isin(packed, line_of_child)
        cells = np.concatenate([child, np.nonzero(is_parent)[0]])
        lines = np.concatenate([line_of_child, packed[is_parent]]) * len(dims) + i
        members.append((lines, cells))
    lines = np.concatenate([m[0] for m in members])
    cells = np.concatenate([m[1] for m in members])
    line_id = pd.factorize(lines)[0]
    for _ in range(200):
        count = np.bincount(line_id, hidden[cells], minlength=line_id.max() + 1)
        lonely = count[line_id] == 1
        pick = lonely & ~hidden[cells] & (value[cells] > 0)
        if not pick.any():
            break
        # prefer cells whose other lines already hold a C cell: fewer new lonely lines
        opens = np.bincount(cells, count[line_id] == 0, minlength=len(value))
        candidates = pd.DataFrame({"line": line_id[pick], "cell": cells[pick]})
        candidates["opens"] = opens[candidates["cell"].to_numpy()]
        candidates["value"] = value[candidates["cell"].to_numpy()]
        order = candidates.sort_values(["opens", "value", "cell"])
        chosen = order.drop_duplicates("line")["cell"].iloc[: max(1, pick.sum() // 8)]
        hidden[chosen.to_numpy()] = True
    return pd.Series(hidden, index=frame.index)


def write_table(root: Path, spec: TableSpec, frame: pd.DataFrame, hidden: pd.Series) -> None:
    out = frame[list(spec.dimension_names)].copy()
    out["value"] = frame["value"].astype(str).where(~hidden, "")
    out["obs_status"] = np.where(hidden, "C", "")
    path = root / spec.package / "data" / f"{spec.name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)


def build_release(root: Path, seed: int = 1, mean: float = 1.0) -> tuple[Path, int, int]:
    """Write the synthetic release; returns its path, its cells and its suppressed cells.

    ``mean`` scales the average inner count: 1 gives many small counts (a third of the cells
    suppressed, huge connected components), 4 a lighter pattern.
    """
    rng = np.random.default_rng(seed)
    terr = territory(rng)
    provinces = sorted(terr.hierarchy)
    codes = {
        "territory": provinces,
        "sector": [chr(ord("A") + i) for i in range(21)],
        "ownership": ["migrant", "mixed", "native"],
        "size": ["0-1", "2-9", "10-49", "50+"],
        "action": [f"A{i}" for i in range(6)],
        "sex": ["F", "M"],
        "age": ["18-24", "25-34", "35-44", "45-54", "55+"],
    }
    tables = [
        (
            TableSpec("firms_sector", "imprese", "firms", "firms", (terr, Dimension("sector"),
                      Dimension("ownership"), Dimension("size"))),
            6.0,
            3,
        ),
        (
            TableSpec("participants_age", "progetto", "persons", "participants",
                      (terr, Dimension("action"), Dimension("sex"), Dimension("age"))),
            4.0,
            5,
        ),
    ]  # fmt: skip
    cells = suppressed = 0
    specs: dict[str, list[TableSpec]] = {}
    for spec, average, threshold in tables:
        frame = cube(spec.dimensions, codes, average * mean, rng)
        hidden = suppress(frame, spec.dimensions, threshold)
        write_table(root, spec, frame, hidden)
        specs.setdefault(spec.package, []).append(spec)
        cells += len(frame)
        suppressed += int(hidden.sum())
        if spec.name == "participants_age":  # a linked table: territory × sex, same population
            dims = (terr, Dimension("sex"))
            linked = frame[(frame["action"] == TOTAL) & (frame["age"] == TOTAL)]
            linked = linked[["territory", "sex", "value"]].reset_index(drop=True)
            small = TableSpec("participants_sex", "progetto", "persons", "participants", dims)
            hide = suppress(linked, dims, threshold)
            write_table(root, small, linked, hide)
            specs["progetto"].append(small)
            cells += len(linked)
            suppressed += int(hide.sum())
    for package, items in specs.items():
        write_specs(root / package, package, items)
    return root, cells, suppressed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    for label, mean in (("light", 4.0), ("heavy", 1.0)):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            release, cells, hidden = build_release(Path(tmp) / "bench", args.seed, mean)
            print(
                f"{label} release: {cells:,} cells, {hidden:,} suppressed ({hidden / cells:.1%}),"
                f" written in {time.perf_counter() - start:.1f} s"
            )
            walls, cpus = [], []
            for _ in range(args.runs):
                start, cpu = time.perf_counter(), time.process_time()
                result = audit_release(release, workers=args.workers)
                walls.append(time.perf_counter() - start)
                pooled = result.stats["workers"] > 1  # worker CPU is not this process's
                cpus.append(
                    time.process_time() - cpu + (result.stats["solver_cpu"] if pooled else 0)
                )
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            stats = result.stats
            print(
                f"  audit: {wall:.1f} s wall, {cpu:.1f} s CPU in all processes"
                f" ({result.stats['workers']:.0f} worker(s), median of {args.runs})"
                f" = {cells / wall:,.0f} cells/s; target ≤ {TARGET_SECONDS} s:"
                f" ratio {wall / TARGET_SECONDS:.2f}"
            )
            print(
                f"  {stats['components']:.0f} components (largest {stats['largest']:,.0f}"
                f" unknowns), {stats['lps']:,.0f} LPs; exact {result.exact}, narrow"
                f" {result.narrow}, unproven {result.unproven}, below threshold"
                f" {result.below_threshold}, passed {result.passed}"
                " (naive secondary suppression: failures are expected)"
            )


if __name__ == "__main__":
    main()
