"""The attacker's linear system, rebuilt from the published files of a release (for audit.py).

Reads only what a visitor can download: each package's ``datapackage.json`` (the ``x-odata``
specs) and the long CSV tables. Every distinct quantity (a cell key under the linking rule of
:mod:`odata.anonymize.model`) is one column of the system; a published value makes it a
constant, a ``C`` makes it an unknown.

How tables become rows of the system:

* **Closure.** A table's rows are closed under "parent code" in every dimension: when a
  table publishes provinces but not their region, the region cell is added as an *implied*
  quantity (unknown, never audited) so that ``region = Σ provinces`` and ``_T = Σ regions``
  both hold. An absent row with no published descendant is not added: it counts as zero,
  which is what an attacker assumes of a table that leaves empty combinations out. (If that
  is false the equations contradict the published values and the audit reports the release
  as inconsistent rather than passing it.)
* **Additive dimension**: for every parent cell of the closure, ``parent = Σ children`` along
  that dimension, the other coordinates fixed (``_T`` = Σ top-level codes; a region = Σ its
  provinces).
* **Non-additive dimension** (unique persons over actions): ``child ≤ parent`` for each child
  and ``parent ≤ Σ children``.

The previous release, when given, contributes its rows too. A quantity published in both
releases with different values (a revision) is split in two, so that the revision does not
make the system contradictory; otherwise a key means the same quantity in both releases.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse  # type: ignore[import-untyped]

from odata.anonymize.model import CONFIDENTIAL, TOTAL, TableSpec, read_specs
from odata.errors import DataError, Problem, SourceError, display_path

__all__ = ["COUNT_KINDS", "LinearSystem", "PublishedTable", "build_system", "load_release"]

log = logging.getLogger(__name__)

COUNT_KINDS = frozenset({"persons", "firms"})
_MAX_PROBLEMS = 20
# Separators that cannot occur in a code read from a CSV cell by accident.
_POP_SEP, _DIM_SEP, _CODE_END, _REVISED = "\x1d", "\x1f", "\x1e", "\x1c"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]


@dataclass
class PublishedTable:
    """One table as published: its present rows first, then the implied rows of its closure."""

    spec: TableSpec
    label: str
    path: Path
    codes: pd.DataFrame  # present rows: one text column per dimension
    value: FloatArray  # present rows; NaN where suppressed
    suppressed: BoolArray  # present rows
    keys: ObjArray  # closure rows (present rows first): linking-rule key of each
    eq: tuple[IntArray, IntArray, FloatArray, int]  # (row, closure row, coef, n_rows)
    ub: tuple[IntArray, IntArray, FloatArray, int]  # rows of "≤ 0"

    @property
    def n_cells(self) -> int:
        return len(self.value)


@dataclass
class LinearSystem:
    """Equations ``eq @ q = 0`` and inequalities ``ub @ q ≤ 0`` over every quantity ``q``."""

    n: int
    known: BoolArray  # published somewhere (current or previous release)
    value: FloatArray  # the published value (0 where unknown)
    lower: FloatArray  # 0, or -inf for a population that publishes negative values
    suppressed: BoolArray  # shown as C somewhere (as opposed to implied by the closure)
    integral: BoolArray  # a count of persons or firms
    eq: Any  # scipy csr matrix, rows × n
    eq_current: BoolArray  # row comes from the release under audit
    eq_table: IntArray  # index into ``tables`` of the row's table
    ub: Any
    ub_current: BoolArray
    ub_table: IntArray
    tables: list[PublishedTable]  # current release tables, then previous release tables
    n_current_tables: int
    quantity: list[IntArray]  # per table: quantity id of each closure row
    conflicts: list[int]  # current tables publishing a value another current table contradicts


def load_release(release: Path) -> list[PublishedTable]:
    """Every statistical table of a release folder, checked and closed.

    Raises :class:`SourceError` when the folder, a table file or a column is missing, and
    :class:`DataError` when a table holds values the published format does not allow.
    """
    if not release.is_dir():
        raise SourceError("release folder not found", file=display_path(release))
    found = read_specs(release)
    if not found:
        raise SourceError(
            "no statistical table in this release (no datapackage.json with x-odata specs)",
            file=display_path(release),
            hint="run `odata build` first, or pass the folder of one release",
        )
    names = [spec.name for spec, _ in found]
    tables: list[PublishedTable] = []
    for spec, path in found:
        label = spec.name if names.count(spec.name) == 1 else f"{spec.package}/{spec.name}"
        codes, value, suppressed = _read_table(spec, path)
        keys, eq, ub = _equations(spec, codes, path)
        tables.append(PublishedTable(spec, label, path, codes, value, suppressed, keys, eq, ub))
    return tables


def _read_table(spec: TableSpec, path: Path) -> tuple[pd.DataFrame, FloatArray, BoolArray]:
    where = display_path(path)
    if not path.is_file():
        raise SourceError(f"table {spec.name} is listed but its file is missing", file=where)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"cannot read table {spec.name} as CSV", file=where) from exc
    for column in (*spec.dimension_names, "value", "obs_status"):
        if column not in frame.columns:
            raise SourceError(f"column {column} is missing", file=where, column=column)
    status = frame["obs_status"].str.strip().to_numpy(dtype=object)
    text = frame["value"].str.strip()
    number = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype=float)
    suppressed = status == CONFIDENTIAL
    problems: list[Problem] = []

    def flag(mask: BoolArray, column: str, code: str, reason: str) -> None:
        for row in np.nonzero(mask)[0][:_MAX_PROBLEMS]:
            problems.append(Problem(code, reason, file=where, row=int(row) + 2, column=column))

    flag(
        ~np.isin(status, ["", CONFIDENTIAL]),
        "obs_status",
        "bad-status",
        "obs_status must be empty or C",
    )
    flag(
        suppressed & (text != "").to_numpy(),
        "value",
        "value-in-confidential-cell",
        "a confidential (C) cell must have an empty value",
    )
    flag(
        ~suppressed & np.isnan(number),
        "value",
        "bad-value",
        "a cell that is not confidential needs a number",
    )
    if spec.kind in COUNT_KINDS:
        flag(
            ~np.isnan(number) & ((number < 0) | (number != np.round(number))),
            "value",
            "bad-count",
            "a count must be a whole number ≥ 0",
        )
    duplicated = frame.duplicated(list(spec.dimension_names), keep="first").to_numpy()
    flag(duplicated, spec.dimension_names[0], "duplicate-cell", "this cell appears twice")
    if problems:
        raise DataError(
            f"table {spec.name} is not a valid published table", file=where, problems=problems
        )
    codes = frame[list(spec.dimension_names)].apply(lambda col: col.str.strip())
    value = np.where(suppressed, np.nan, number).astype(np.float64)
    return codes, value, np.asarray(suppressed, dtype=np.bool_)


def _equations(
    spec: TableSpec, codes: pd.DataFrame, path: Path
) -> tuple[
    ObjArray, tuple[IntArray, IntArray, FloatArray, int], tuple[IntArray, IntArray, FloatArray, int]
]:
    """Keys of the closure rows, and the table's equations and inequalities over them."""
    k = len(spec.dimensions)
    universes: list[ObjArray] = []
    parents: list[IntArray] = []
    digits = np.zeros((len(codes), k), dtype=np.int64)
    for i, dim in enumerate(spec.dimensions):
        present = codes[dim.name].to_numpy(dtype=object)
        universe = _ancestors(dim.name, set(present.tolist()), dim.parent, path)
        index = {code: j for j, code in enumerate(universe)}
        universes.append(np.array(universe, dtype=object))
        parents.append(
            np.array(
                [index[p] if (p := dim.parent(c)) is not None else -1 for c in universe],
                dtype=np.int64,
            )
        )
        digits[:, i] = pd.Series(present).map(index).to_numpy(dtype=np.int64)
    radix = np.array([len(u) for u in universes], dtype=np.int64)
    if float(np.prod(radix.astype(float))) >= 2.0**62:
        raise DataError(f"table {spec.name} has too many codes to audit", file=display_path(path))
    mult = np.concatenate([[1], np.cumprod(radix)[:-1]]).astype(np.int64)
    ids = digits @ mult
    ids = _close(ids, mult, radix, parents)
    rows = (ids[:, None] // mult[None, :]) % radix[None, :]
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]

    eq_r: list[IntArray] = []
    eq_c: list[IntArray] = []
    eq_v: list[FloatArray] = []
    ub_r: list[IntArray] = []
    ub_c: list[IntArray] = []
    ub_v: list[FloatArray] = []
    n_eq = n_ub = 0
    for i, dim in enumerate(spec.dimensions):
        up = parents[i][rows[:, i]]
        child = np.nonzero(up >= 0)[0].astype(np.int64)
        if child.size == 0:
            continue
        parent_ids = ids[child] + (up[child] - rows[child, i]) * mult[i]
        parent = order[np.searchsorted(sorted_ids, parent_ids)].astype(np.int64)
        groups, group_of = np.unique(parent, return_inverse=True)
        groups = groups.astype(np.int64)
        group_of = group_of.astype(np.int64)
        n_groups = len(groups)
        if dim.additive:  # parent - Σ children = 0
            eq_r += [n_eq + group_of, n_eq + np.arange(n_groups, dtype=np.int64)]
            eq_c += [child, groups]
            eq_v += [np.ones(child.size), -np.ones(n_groups)]
            n_eq += n_groups
        else:  # child - parent ≤ 0 for each child; parent - Σ children ≤ 0
            each = n_ub + np.arange(child.size, dtype=np.int64)
            ub_r += [each, each]
            ub_c += [child, parent]
            ub_v += [np.ones(child.size), -np.ones(child.size)]
            n_ub += child.size
            ub_r += [n_ub + group_of, n_ub + np.arange(n_groups, dtype=np.int64)]
            ub_c += [child, groups]
            ub_v += [-np.ones(child.size), np.ones(n_groups)]
            n_ub += n_groups

    keys = np.full(len(ids), spec.population + _POP_SEP, dtype=object)
    for i in sorted(range(k), key=lambda j: spec.dimensions[j].name):
        name = spec.dimensions[i].name
        labels = np.array(
            ["" if c == TOTAL else f"{name}{_DIM_SEP}{c}{_CODE_END}" for c in universes[i]],
            dtype=object,
        )
        keys = keys + labels[rows[:, i]]
    return keys, _cat(eq_r, eq_c, eq_v, n_eq), _cat(ub_r, ub_c, ub_v, n_ub)


def _ancestors(name: str, present: set[str], parent: Any, path: Path) -> list[str]:
    """The present codes and all their ancestors, sorted (deterministic)."""
    seen = set(present)
    for code in present:
        chain: set[str] = set()
        while (up := parent(code)) is not None:
            if up in chain:
                raise DataError(
                    f"the hierarchy of dimension {name} has a cycle", file=display_path(path)
                )
            chain.add(up)
            seen.add(up)
            code = up
    return sorted(seen)


def _close(ids: IntArray, mult: IntArray, radix: IntArray, parents: Sequence[IntArray]) -> IntArray:
    """Add every row reached by replacing codes with their ancestors (present rows first)."""
    all_ids = ids
    for i in range(len(mult)):
        frontier = all_ids
        while frontier.size:
            digit = (frontier // mult[i]) % radix[i]
            up = parents[i][digit]
            keep = up >= 0
            frontier = np.unique(frontier[keep] + (up[keep] - digit[keep]) * mult[i])
            new = frontier[~np.isin(frontier, all_ids)]
            if new.size:
                all_ids = np.concatenate([all_ids, new])
    return all_ids


def _cat(
    r: list[IntArray], c: list[IntArray], v: list[FloatArray], n: int
) -> tuple[IntArray, IntArray, FloatArray, int]:
    if not r:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0), 0
    return np.concatenate(r), np.concatenate(c), np.concatenate(v), n


def build_system(current: list[PublishedTable], previous: list[PublishedTable]) -> LinearSystem:
    """Join the tables of both releases into one system by the linking rule."""
    shown = _published(current)
    spread = shown.groupby("key", sort=False)["value"].agg(["min", "max", "first"])
    contradicted = spread.index[~_near(spread["min"], spread["max"])]
    conflicts = (
        shown[shown["key"].isin(contradicted)]
        .groupby("table")["key"]
        .size()
        .reindex(range(len(current)), fill_value=0)
        .astype(int)
        .tolist()
    )
    if previous:
        before = _published(previous)
        now = spread["first"].reindex(before["key"]).to_numpy()
        changed = ~np.isnan(now) & ~_near(now, before["value"].to_numpy())
        revised = set(before["key"].to_numpy()[changed].tolist())
        if revised:
            log.warning("audit · %d cells were revised since the previous release", len(revised))
            for table in previous:
                mask = np.isin(table.keys, list(revised))
                table.keys = table.keys.copy()
                table.keys[mask] = table.keys[mask] + _REVISED

    tables = [*current, *previous]
    all_keys = np.concatenate([t.keys for t in tables])
    ids, _ = pd.factorize(all_keys)
    ids = ids.astype(np.int64)
    n = int(ids.max()) + 1 if ids.size else 0
    bounds = np.cumsum([0] + [len(t.keys) for t in tables])
    quantity = [ids[bounds[j] : bounds[j + 1]] for j in range(len(tables))]

    known = np.zeros(n, dtype=np.bool_)
    value = np.zeros(n)
    suppressed = np.zeros(n, dtype=np.bool_)
    integral = np.zeros(n, dtype=np.bool_)
    lower = np.zeros(n)
    negative_pops = {t.spec.population for t in tables if np.nanmin(np.append(t.value, 0.0)) < 0}
    # Later writes win: write the previous release first so the current values prevail.
    for j in [*range(len(current), len(tables)), *range(len(current))]:
        table, q = tables[j], quantity[j]
        cells = q[: table.n_cells]
        shown = ~table.suppressed
        value[cells[shown]] = table.value[shown]
        known[cells[shown]] = True
        suppressed[cells[table.suppressed]] = True
        if table.spec.kind in COUNT_KINDS:
            integral[q] = True
        if table.spec.population in negative_pops:
            lower[q] = -np.inf
    eq, eq_cur, eq_tab = _stack(tables, quantity, n, len(current), "eq")
    ub, ub_cur, ub_tab = _stack(tables, quantity, n, len(current), "ub")
    return LinearSystem(
        n,
        known,
        value,
        lower,
        suppressed,
        integral,
        eq,
        eq_cur,
        eq_tab,
        ub,
        ub_cur,
        ub_tab,
        tables,
        len(current),
        quantity,
        conflicts,
    )


def _stack(
    tables: list[PublishedTable], quantity: list[IntArray], n: int, n_current: int, which: str
) -> tuple[Any, BoolArray, IntArray]:
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    owner: list[IntArray] = []
    offset = 0
    for j, table in enumerate(tables):
        r, c, v, m = table.eq if which == "eq" else table.ub
        rows.append(r + offset)
        cols.append(quantity[j][c])
        vals.append(v)
        owner.append(np.full(m, j, dtype=np.int64))
        offset += m
    matrix = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(offset, n)
    )
    matrix.sum_duplicates()
    table_of = np.concatenate(owner) if owner else np.zeros(0, dtype=np.int64)
    return matrix, table_of < n_current, table_of


def _published(tables: list[PublishedTable]) -> pd.DataFrame:
    """Key, value and table index of every published (not confidential) cell."""
    parts = [
        pd.DataFrame(
            {
                "key": t.keys[: t.n_cells][~t.suppressed],
                "value": t.value[~t.suppressed],
                "table": j,
            }
        )
        for j, t in enumerate(tables)
    ]
    return pd.concat(parts, ignore_index=True)


def _near(a: Any, b: Any) -> BoolArray:
    """Elementwise equality with the audit's tolerance (1e-6, relative above 1)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.asarray(np.abs(x - y) <= 1e-6 * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y))))
