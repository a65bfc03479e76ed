"""Primary and secondary cell suppression of every table of a release, population by population.

**What the build hands over** (:class:`Population`): the population's dimensions (names,
codes, hierarchies, additivity: the same for all its tables, see the linking rule in
:mod:`odata.anonymize.model`), its ``inner`` frame and its published tables. The ``inner``
frame holds the population at the finest level of *all* its dimensions:

* one text column per dimension. Along an **additive** dimension the codes are leaves of the
  hierarchy (provinces, not regions, never ``_T``): parents are sums of their children.
  Along a **non-additive** dimension (unique persons over actions) the frame carries rows for
  *every* code the tables publish along it, the intermediate nodes and ``_T`` included: each is
  its own count (a person in two actions is one person in ``_T``). A table that does not use
  such a dimension shows its ``_T`` rows.
* ``value``: an integer count (persons, firms) or a magnitude; magnitude populations also
  carry ``contributors`` (units with a contribution), ``largest`` and ``second`` (the two
  largest contributions, firms under one owner already combined).
* Combinations left out count as zero. A code that appears in no row does not exist.

Every table publishes the full crossing of the codes of its dimensions (every level of each
hierarchy, and ``_T``), zeros included.

**Primary suppression** (:mod:`odata.anonymize.primary`): persons 1..4, firms 1..2,
magnitudes with too few contributors or failing the p%-rule. A cell of the previous release
that was suppressed stays suppressed (it becomes primary).

**Secondary suppression**: Gauss elimination (:mod:`odata.anonymize.gauss`) over all tables
of a population at once, candidates visited in this order (best first, i.e. most wanted
published): forced cells, then published zeros, then larger aggregation level (the sum over
dimensions of a coordinate's height in its hierarchy: ``_T`` highest, leaves 0), then larger
value, then the cell id (cells sorted by their codes). **Forced cells** are the grand total,
the *national margins* (cells where every dimension but one is ``_T`` and that one is at its
top level: a region, a sector, a sex, but not a province), the ``forced`` argument and the
cells the previous release published with the value they have now. A forced cell that is
itself primary (a national total of 3 persons) stays suppressed. The grand total and the
national margins of flat dimensions (Italy by sector, by sex…) are suppressed as secondaries
only beside a primary national margin (its partner in that line can only be another national
margin) or, with a warning, when nothing else can protect a tiny table; the other forced
cells (region totals, shared and previously published cells) only when nothing else
protects a primary (reported in the warnings: a one-province region is the same quantity
as its province).

**Singletons** (a count of 1, a magnitude with one contributor): their unit knows the cell
and can subtract itself. After each elimination every additive line whose suppressed cells
are exactly a singleton and one other cell gets a third suppression (the cheapest published
cell of the line: not forced, non-zero, finest level, smallest value), which is then
protected like a primary in the next elimination round (at most three rounds). Afterwards
every singleton is tried as if it were published and the primaries its unit could then
compute through several lines are counted in the report (``singleton_exposed``, with a
warning): that case, and several singletons colluding, are not covered.

**Intervals** (the same test the release audit makes): min and max of *every* suppressed
cell, primaries and secondaries, given every published cell, additivity (``parent = Σ
children``; along a non-additive dimension ``child ≤ parent ≤ Σ children``) and
non-negativity, counts rounded inwards; LPs with scipy's HiGHS, one system per connected
part of the suppressed cells. Feasible points from random-objective LPs prove most cells; in
a big part each remaining cell is first tried on its neighbourhood (other suppressed cells
fixed at their true values: a restriction of the attacker's system, so a width found there
is a lower bound), then on the whole part. A cell narrower than 2 gets the cheapest published
cell of one of its lines suppressed (breadth first through neighbouring lines when all are
suppressed) until every cell is at least 2 wide; the report counts the cells not proven as
wide as ``T`` (``below_target``: an upper bound of the cells narrower than ``T``).

Deterministic: the same input gives the same pattern (sorted ids everywhere, exact modular
arithmetic, decisions taken on LP optima only). Nothing here logs a cell value.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse  # type: ignore[import-untyped]
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

from odata.anonymize.gauss import (
    DimensionBasis,
    Elimination,
    Relations,
    basis_expansion,
    dimension_basis,
)
from odata.anonymize.model import CONFIDENTIAL, TOTAL, Dimension, TableKind, TableSpec
from odata.anonymize.primary import Thresholds, primary_mask, singleton_mask
from odata.errors import DataError

__all__ = ["CellKey", "Population", "Protected", "SuppressionReport", "protect"]

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: A cell under the linking rule (:func:`odata.anonymize.model.cell_key`).
CellKey = tuple[str, tuple[tuple[str, str], ...]]

REQUIRED_WIDTH = 2.0
_TOL = 1e-6
_MAX_ROUNDS = 50
_SINGLETON_ROUNDS = 6  # rounds of Gauss elimination with singleton and thin-line cells
_LOCAL_ABOVE = 150  # parts with more suppressed cells are first checked cell by cell, locally
_PROBES = 4  # pairs of opposite random objectives per component
_SEED = 20190516
_NEVER = 2  # rank of the cells never picked to widen: grand total, flat national margins
_WIDENING = 3.0  # a suppressed count ≥ 1 leaves the attacker value - 1 of slack: 3 gives 2


@dataclass(frozen=True)
class Population:
    """One kind of unit counted one way, with the published tables made from it.

    See the module docstring for the contract of ``inner``.
    """

    id: str
    kind: TableKind
    dimensions: tuple[Dimension, ...]
    inner: pd.DataFrame
    tables: tuple[TableSpec, ...]


@dataclass(frozen=True)
class Protected:
    """A protected table: dimension codes, ``value`` (empty when suppressed), ``obs_status``."""

    spec: TableSpec
    cells: pd.DataFrame


@dataclass
class SuppressionReport:
    """Private figures for the build report (never published: they help an attacker).

    ``per_table[name]``: ``cells``, ``primary``, ``secondary``, ``share_cells`` (suppressed
    share of the rows), ``share_units_hidden`` (units in suppressed cells of the table's finest
    level, as a share of its grand total), ``share_units_hidden_secondary`` (the same for
    secondary cells only), ``suppressed_margins`` (suppressed rows above the finest level),
    ``below_target`` (suppressed cells at least 2 wide but not proven as wide as T).
    ``per_population[id]``: counts of the run (``primary``, ``secondary``, ``singletons``,
    ``singleton_third``, ``singleton_exposed``, ``widened``, ``narrow``, ``lp_solved``,
    ``forced_suppressed``, ``gauss_rounds``, ``seconds``...). ``warnings``: sentences for the
    build log (no cell values).
    """

    per_table: dict[str, dict[str, float]] = field(default_factory=dict)
    per_population: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def protect(
    populations: Sequence[Population],
    *,
    person_threshold: int = 5,
    firm_threshold: int = 3,
    min_contributors: int = 3,
    p_percent: float = 10.0,
    forced: Iterable[CellKey] | None = None,
    previous: Sequence[Protected] = (),
    hidden: Iterable[CellKey] | None = None,
) -> tuple[list[Protected], SuppressionReport]:
    """Suppress the confidential cells of every table, and enough others to protect them.

    Returns the protected tables (in the order of the populations and their tables) and the
    private report. ``forced`` cells (linking-rule keys) are published unless that would make
    a primary computable; ``hidden`` cells are suppressed like primaries (a cell another
    population shares and had to hide); ``previous`` is the previous release's protected tables: its
    suppressions are kept, and its published cells stay published when their value is
    unchanged. Raises :class:`DataError` when a population's frame or tables break the
    contract of the module docstring.
    """
    thresholds = Thresholds(person_threshold, firm_threshold, min_contributors, p_percent)
    forced_keys = set(forced or ())
    hidden_keys = set(hidden or ())
    out: list[Protected] = []
    report = SuppressionReport()
    for population in populations:
        start = time.perf_counter()
        grid = _Grid.build(population)
        result = _protect_grid(
            grid, population, thresholds, forced_keys, hidden_keys, previous, report
        )
        out.extend(result)
        report.per_population[population.id]["seconds"] = time.perf_counter() - start
    return out, report


# ---------------------------------------------------------------------------------------------
# The grid: every published cell of a population, as node indices per dimension.


@dataclass
class _Dim:
    name: str
    additive: bool
    codes: list[str]  # node 0 is _T; a parent comes before its children
    parent: IntArray  # parent node (-1 for _T)
    level: IntArray  # height above the deepest level (leaves of the deepest branch: 0)
    leaf: BoolArray  # node has no children (for a non-additive dimension: and is not _T)
    total: bool = True  # False: _T is never published, so no line runs along the dimension

    @staticmethod
    def build(dim: Dimension, present: list[str], population: str) -> _Dim:
        where = f"population {population}, dimension {dim.name}"
        codes = set(present)
        if dim.additive:
            if TOTAL in codes:
                raise DataError(f"{where}: the inner frame holds {TOTAL} along an additive one")
            nodes = set(codes)
            for code in sorted(codes):
                up, steps = dim.parent(code), 0
                while up is not None:
                    if up in codes:
                        raise DataError(f"{where}: code {up} is both a leaf and a parent")
                    nodes.add(up)
                    up, steps = dim.parent(up), steps + 1
                    if steps > 100:
                        raise DataError(f"{where}: the hierarchy has a cycle")
        else:
            if TOTAL not in codes:
                raise DataError(
                    f"{where}: a non-additive dimension needs {TOTAL} rows in the inner frame"
                )
            nodes = codes
            for code in sorted(codes):
                up = dim.parent(code)
                if up is not None and up not in codes:
                    raise DataError(f"{where}: parent {up} of {code} has no inner rows")
        children: dict[str, list[str]] = {}
        for code in nodes:
            up = dim.parent(code)
            if up is not None:
                children.setdefault(up, []).append(code)
        ordered: list[str] = []
        stack = [TOTAL]
        while stack:
            code = stack.pop()
            ordered.append(code)
            stack.extend(sorted(children.get(code, []), reverse=True))
        index = {code: i for i, code in enumerate(ordered)}
        parent = np.array([index.get(dim.parent(c) or "", -1) for c in ordered], dtype=np.int64)
        depth = np.zeros(len(ordered), dtype=np.int64)
        for i in range(1, len(ordered)):
            depth[i] = depth[parent[i]] + 1
        level = depth.max() - depth
        leaf = np.array([not children.get(c) and c != TOTAL for c in ordered], dtype=np.bool_)
        return _Dim(dim.name, dim.additive, ordered, parent, level, leaf, dim.total)


@dataclass
class _Grid:
    population: str
    kind: TableKind
    dims: list[_Dim]
    sizes: list[int]
    strides: list[int]
    keys: IntArray  # sorted cell keys (mixed radix of the node indices)
    coords: IntArray  # cells × dimensions
    tables: list[tuple[TableSpec, list[int], IntArray]]  # spec, its dimensions, its cell ids
    measures: FloatArray  # cells × (value, contributors, largest, second)

    @property
    def n(self) -> int:
        return len(self.keys)

    @property
    def value(self) -> FloatArray:
        return self.measures[:, 0]

    @staticmethod
    def build(population: Population) -> _Grid:
        inner = population.inner
        names = [d.name for d in population.dimensions]
        for column in [*names, "value"]:
            if column not in inner.columns:
                raise DataError(f"population {population.id}: inner frame lacks column {column}")
        magnitude = population.kind == "magnitude"
        if magnitude:
            for column in ("contributors", "largest", "second"):
                if column not in inner.columns:
                    raise DataError(
                        f"population {population.id}: a magnitude needs column {column}"
                    )
        text = {n: inner[n].astype(str).to_numpy(dtype=object) for n in names}
        dims = [
            _Dim.build(d, sorted(set(text[d.name].tolist())), population.id)
            for d in population.dimensions
        ]
        sizes = [len(d.codes) for d in dims]
        if math.prod(sizes) >= 2**62:
            raise DataError(f"population {population.id}: too many code combinations")
        strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
        inner_coords = np.column_stack(
            [
                pd.Series(text[d.name]).map({c: i for i, c in enumerate(d.codes)}).to_numpy()
                for d in dims
            ]
        ).astype(np.int64)
        measures = np.zeros((len(inner), 4), dtype=np.float64)
        measures[:, 0] = inner["value"].to_numpy(dtype=np.float64)
        if magnitude:
            measures[:, 1] = inner["contributors"].to_numpy(dtype=np.float64)
            measures[:, 2] = inner["largest"].to_numpy(dtype=np.float64)
            measures[:, 3] = inner["second"].to_numpy(dtype=np.float64)
        else:
            measures[:, 1] = measures[:, 0]

        position = {n: i for i, n in enumerate(names)}
        table_keys: list[IntArray] = []
        table_dims: list[list[int]] = []
        for spec in population.tables:
            where = f"table {spec.name}"
            if spec.population != population.id or spec.kind != population.kind:
                raise DataError(f"{where}: population or kind differs from {population.id}")
            used: list[int] = []
            for d in spec.dimensions:
                if d.name not in position:
                    raise DataError(f"{where}: dimension {d.name} is not in {population.id}")
                if d.additive != dims[position[d.name]].additive:
                    raise DataError(f"{where}: additivity of {d.name} differs from the population")
                used.append(position[d.name])
            start = [0 if dims[i].total else 1 for i in used]  # no _T along untotalled time
            grids = np.meshgrid(
                *[
                    np.arange(s0, sizes[i], dtype=np.int64)
                    for s0, i in zip(start, used, strict=True)
                ],
                indexing="ij",
            )
            key = np.zeros(grids[0].size if grids else 1, dtype=np.int64)
            for i, g in zip(used, grids, strict=True):
                key += g.ravel() * strides[i]
            table_keys.append(key)
            table_dims.append(used)
        keys = np.unique(np.concatenate(table_keys)) if table_keys else np.zeros(0, np.int64)
        coords = np.column_stack([(keys // s) % z for s, z in zip(strides, sizes, strict=True)])
        cell_measures = np.zeros((len(keys), 4), dtype=np.float64)
        for used in table_dims:
            agg_keys, agg = _rollup(inner_coords, measures, used, dims, strides, sizes)
            ids = np.minimum(np.searchsorted(keys, agg_keys), len(keys) - 1)
            present = keys[ids] == agg_keys
            cell_measures[ids[present]] = agg[present]
        tables = [
            (spec, used, np.searchsorted(keys, key))
            for spec, used, key in zip(population.tables, table_dims, table_keys, strict=True)
        ]
        return _Grid(
            population.id,
            population.kind,
            dims,
            sizes,
            strides,
            keys,
            coords.astype(np.int64).reshape(len(keys), len(dims)),
            tables,
            cell_measures,
        )

    def cell_key(self, c: int) -> CellKey:
        coords = self.coords[c]
        return self.population, tuple(
            sorted(
                (d.name, d.codes[int(coords[i])]) for i, d in enumerate(self.dims) if coords[i] != 0
            )
        )

    def agg_level(self) -> IntArray:
        level = np.zeros(self.n, dtype=np.int64)
        for i, d in enumerate(self.dims):
            level += d.level[self.coords[:, i]]
        return level


def _group(keys: IntArray, measures: FloatArray) -> tuple[IntArray, FloatArray]:
    """Sum rows with the same key; the two largest contributions are merged, not summed."""
    order = np.lexsort((-measures[:, 2], keys))
    keys, measures = keys[order], measures[order]
    unique, start = np.unique(keys, return_index=True)
    out = np.zeros((len(unique), 4), dtype=np.float64)
    if not len(unique):
        return unique, out
    out[:, 0] = np.add.reduceat(measures[:, 0], start)
    out[:, 1] = np.add.reduceat(measures[:, 1], start)
    out[:, 2] = measures[start, 2]
    end = np.append(start[1:], len(keys))
    has_next = start + 1 < end
    runner_up = np.where(has_next, measures[np.minimum(start + 1, len(keys) - 1), 2], 0.0)
    out[:, 3] = np.maximum(measures[start, 3], runner_up)
    return unique, out


def _rollup(
    inner_coords: IntArray,
    measures: FloatArray,
    used: list[int],
    dims: list[_Dim],
    strides: list[int],
    sizes: list[int],
) -> tuple[IntArray, FloatArray]:
    """Every cell of a table (all levels of its dimensions) aggregated from the inner frame."""
    keep = np.ones(len(inner_coords), dtype=np.bool_)
    for i, d in enumerate(dims):
        if i not in used and not d.additive:
            keep &= inner_coords[:, i] == 0
    coords = inner_coords[keep]
    key = np.zeros(len(coords), dtype=np.int64)
    for i in used:
        key += coords[:, i] * strides[i]
    keys, agg = _group(key, measures[keep])
    for i in used:
        d = dims[i]
        if not d.additive:
            continue
        parts_k, parts_m = [keys], [agg]
        cur_k, cur_m = keys, agg
        while True:
            node = (cur_k // strides[i]) % sizes[i]
            up = node != 0
            if not up.any():
                break
            cur_k = cur_k[up] - (node[up] - d.parent[node[up]]) * strides[i]
            cur_m = cur_m[up]
            parts_k.append(cur_k)
            parts_m.append(cur_m)
        keys, agg = _group(np.concatenate(parts_k), np.concatenate(parts_m))
    return keys, agg


# ---------------------------------------------------------------------------------------------
# Lines: a parent cell and its children along one dimension (the other coordinates fixed).


@dataclass
class _Lines:
    parent: IntArray  # per line: the parent cell
    dim: IntArray  # per line: the dimension it runs along
    additive: BoolArray  # per line
    indptr: IntArray  # CSR: line -> its children
    children: IntArray
    cell_indptr: IntArray  # CSR: cell -> the lines it belongs to (as parent or child)
    cell_lines: IntArray

    def members(self, line: int) -> list[int]:
        start, stop = int(self.indptr[line]), int(self.indptr[line + 1])
        return [int(self.parent[line]), *self.children[start:stop].tolist()]

    def of(self, cell: int) -> list[int]:
        start, stop = int(self.cell_indptr[cell]), int(self.cell_indptr[cell + 1])
        return [int(x) for x in self.cell_lines[start:stop].tolist()]


def _lines(grid: _Grid) -> _Lines:
    ndim = len(grid.dims)
    child_parts, key_parts = [], []
    ids = np.arange(grid.n, dtype=np.int64)
    for i, d in enumerate(grid.dims):
        node = grid.coords[:, i]
        mask = (node != 0) if d.total else np.zeros(len(node), dtype=np.bool_)
        parent_key = grid.keys[mask] - (node[mask] - d.parent[node[mask]]) * grid.strides[i]
        parent_id = np.searchsorted(grid.keys, parent_key)
        child_parts.append(ids[mask])
        key_parts.append(parent_id * ndim + i)
    child = np.concatenate(child_parts) if child_parts else np.zeros(0, np.int64)
    line_key = np.concatenate(key_parts) if key_parts else np.zeros(0, np.int64)
    order = np.lexsort((child, line_key))
    child, line_key = child[order], line_key[order]
    unique, start, counts = np.unique(line_key, return_index=True, return_counts=True)
    parent = unique // max(ndim, 1)
    additive = np.array([grid.dims[int(k % ndim)].additive for k in unique], dtype=np.bool_)
    indptr = np.append(start, len(child)).astype(np.int64)
    line_of_child = np.repeat(np.arange(len(unique), dtype=np.int64), counts)
    cells = np.concatenate([parent, child])
    lines = np.concatenate([np.arange(len(unique), dtype=np.int64), line_of_child])
    order = np.lexsort((lines, cells))
    cells, lines = cells[order], lines[order]
    cell_indptr = np.zeros(grid.n + 1, dtype=np.int64)
    np.add.at(cell_indptr, cells + 1, 1)
    dim = (unique % max(ndim, 1)).astype(np.int64)
    return _Lines(parent, dim, additive, indptr, child, np.cumsum(cell_indptr), lines)


def _relations(grid: _Grid, lines: _Lines, bases: Sequence[DimensionBasis]) -> Relations:
    """For every cell, the lines in which it is the dependent child of an additive dimension."""
    counts = np.diff(lines.indptr)
    line_of_child = np.repeat(np.arange(len(lines.parent), dtype=np.int64), counts)
    dim = lines.dim[line_of_child]
    dependent = np.zeros(len(lines.children), dtype=np.bool_)
    for i, basis in enumerate(bases):
        here = dim == i
        dependent[here] = ~basis.in_basis[grid.coords[lines.children[here], i]]
    cells = lines.children[dependent]
    which = line_of_child[dependent]
    order = np.lexsort((which, cells))
    cells, which = cells[order], which[order]
    indptr = np.zeros(grid.n + 1, dtype=np.int64)
    np.add.at(indptr, cells + 1, 1)
    return Relations.of(lines.parent, lines.indptr, lines.children, np.cumsum(indptr), which)


# ---------------------------------------------------------------------------------------------
# Protection of one population.


def _protect_grid(
    grid: _Grid,
    population: Population,
    thresholds: Thresholds,
    forced_keys: set[CellKey],
    hidden_keys: set[CellKey],
    previous: Sequence[Protected],
    report: SuppressionReport,
) -> list[Protected]:
    kind = grid.kind
    value = grid.value
    m = grid.measures
    primary = primary_mask(
        kind, value, thresholds, contributors=m[:, 1], largest=m[:, 2], second=m[:, 3]
    )
    singleton = singleton_mask(kind, value, m[:, 1]) & primary
    if kind != "persons":
        singleton[:] = False  # see _SINGLETON_KINDS
    forced = _national(grid)
    # Never picked to widen: the grand total and the national margins of flat dimensions.
    # Regions (the top of the territory hierarchy) are forced like other shared cells: picked
    # only as a last resort (a one-province region and its province are one quantity).
    national = forced.copy()
    for i, d in enumerate(grid.dims):
        if int(d.level.max()) > 1:
            national &= grid.coords[:, i] == 0
    if forced_keys or hidden_keys or previous:
        index = {grid.cell_key(c): c for c in range(grid.n)}
        for key in sorted(forced_keys):
            if key[0] == grid.population and key in index:
                forced[index[key]] = True
        for key in sorted(hidden_keys):
            if key[0] == grid.population and key in index and grid.value[index[key]] != 0:
                primary[index[key]] = True
        kept, shown = _previous_cells(grid, index, previous)
        primary[kept] = True
        forced[shown] = True
    rank = forced.astype(np.int64) + national.astype(np.int64)  # 0 free, 1 forced, 2 never
    counts = {
        "cells": float(grid.n),
        "primary": float(primary.sum()),
        "singletons": float(singleton.sum()),
    }

    level = grid.agg_level()
    bases = []
    for i, d in enumerate(grid.dims):
        weight = np.zeros(len(d.codes), dtype=np.float64)
        margin = np.searchsorted(grid.keys, np.arange(len(d.codes)) * grid.strides[i])
        margin = np.minimum(margin, grid.n - 1)
        found = grid.keys[margin] == np.arange(len(d.codes)) * grid.strides[i]
        weight[found] = value[margin[found]]
        bases.append(dimension_basis(d.parent, weight, d.additive))
    lines = _lines(grid)
    free = np.ones(grid.n, dtype=np.bool_)
    for i, basis in enumerate(bases):
        free &= basis.in_basis[grid.coords[:, i]]
    relations = _relations(grid, lines, bases)
    free_list: list[bool] = free.tolist()

    # Gauss elimination; then every additive line whose suppressed cells are exactly a
    # singleton and one other cell gets a third suppression (the singleton's unit would
    # otherwise subtract itself), protected like a primary in the next round.
    protected = primary.copy()
    expansion: dict[int, dict[int, int]] = {}
    rounds = 0
    while True:
        rounds += 1
        todo = np.flatnonzero(protected).astype(np.int64)
        todo = todo[[int(c) not in expansion for c in todo.tolist()]]
        if len(todo):
            expansion.update(basis_expansion(grid.keys, grid.strides, grid.sizes, bases, todo))
        candidates = np.flatnonzero(~protected)
        keys = (
            candidates,
            -value[candidates],
            -level[candidates],
            ~forced[candidates],
            value[candidates] != 0,
        )
        order = candidates[np.lexsort(keys)].tolist()
        elimination = Elimination(
            free_list,
            protected.tolist(),
            {c: expansion[c] for c in np.flatnonzero(protected).tolist()},
            relations,
        )
        secondary = elimination.run(order)
        suppressed = protected.copy()
        suppressed[secondary] = True
        third = _singleton_lines(grid, lines, suppressed, singleton, rank, level)
        if kind != "magnitude":
            third = sorted({*third, *_thin_lines(grid, lines, suppressed, rank, level)})
        if not third or rounds >= _SINGLETON_ROUNDS:
            break
        protected[third] = True
    exposed = sum(
        1 for s in np.flatnonzero(singleton).tolist() for _ in elimination.disclosed_by(s)
    )
    if third:
        suppressed[third] = True
    counts["gauss_rounds"] = float(rounds)
    counts["singleton_third"] = float(protected.sum() - primary.sum() + len(third))
    counts["singleton_exposed"] = float(exposed)
    counts["gauss_secondary"] = float(suppressed.sum() - primary.sum())
    if exposed:
        report.warnings.append(
            f"{grid.population}: {exposed} primaries computable by the unit of a singleton"
            " through several lines (not covered)"
        )

    target = float(max(thresholds.count_threshold(kind), REQUIRED_WIDTH))
    checker = _IntervalCheck(grid, lines, primary, kind != "magnitude", target)
    widened = 0
    for _ in range(_MAX_ROUNDS):
        failing = checker.failing(suppressed)
        if not failing:
            break
        added = False
        for p in failing:
            cell = _cheapest_on_lines(grid, lines, suppressed, rank, level, p)
            if cell is not None and not suppressed[cell]:
                suppressed[cell] = True
                widened += 1
                added = True
        if not added:
            break
    failing = checker.failing(suppressed)
    if failing:
        report.warnings.append(
            f"{grid.population}: {len(failing)} suppressed cells stay narrower than "
            f"{REQUIRED_WIDTH:g} (the audit will fail)"
        )
    forced_hidden = int((forced & suppressed & ~primary).sum())
    # A national total hidden as a secondary is expected only beside a primary national
    # total (Italy by area of birth with 3 owners from Oceania: its partner is another area).
    totals_hidden = sum(
        1
        for c in np.flatnonzero(national & suppressed & ~primary).tolist()
        if not any(national[m] and primary[m] for line in lines.of(c) for m in lines.members(line))
    )
    if totals_hidden:
        report.warnings.append(
            f"{grid.population}: {totals_hidden} grand or national totals had to be suppressed"
            " (nothing else could protect the small cells of a tiny table)"
        )
    if forced_hidden:
        report.warnings.append(
            f"{grid.population}: {forced_hidden} forced cells (region totals, shared or"
            " previously published cells) had to be suppressed to protect primaries"
        )
    counts.update(
        {
            "secondary": float(suppressed.sum() - primary.sum()),
            "widened": float(widened),
            "narrow": float(len(failing)),
            "below_target": float(len(checker.below_target)),
            "lp_solved": float(checker.solved),
            "forced_suppressed": float(forced_hidden),
            "totals_suppressed": float(totals_hidden),
        }
    )
    report.per_population[grid.population] = counts
    log.info(
        "%s · suppress · %d cells, %d primary, %d secondary",
        grid.population,
        grid.n,
        int(primary.sum()),
        int(suppressed.sum() - primary.sum()),
    )
    return _tables(grid, primary, suppressed, checker.below_target, report)


def _singleton_lines(
    grid: _Grid,
    lines: _Lines,
    suppressed: BoolArray,
    singleton: BoolArray,
    rank: IntArray,
    level: IntArray,
) -> list[int]:
    """A third cell for each additive line whose suppressed cells are a singleton + one."""
    chosen: set[int] = set()
    for s in np.flatnonzero(singleton & suppressed).tolist():
        for line in lines.of(s):
            if not lines.additive[line]:
                continue
            members = lines.members(line)
            hidden = [m for m in members if suppressed[m]]
            if len(hidden) == 2:
                cell = _pick(grid, members, suppressed, rank, level)
                if cell is not None:
                    chosen.add(cell)
    return sorted(chosen)


def _thin_lines(
    grid: _Grid,
    lines: _Lines,
    suppressed: BoolArray,
    rank: IntArray,
    level: IntArray,
) -> list[int]:
    """A widening cell for each additive line with a published total whose suppressed cells
    leave the attacker less than 2 of slack (a suppressed count is at least 1, so their
    values minus 1, summed, bound how far any of them can move): Gauss elimination sees
    only exact disclosure, this catches the commonest narrow interval before any LP."""
    value = grid.value
    chosen: set[int] = set()
    for line in np.flatnonzero(lines.additive).tolist():
        members = lines.members(line)
        if suppressed[members[0]]:
            continue
        hidden = [m for m in members[1:] if suppressed[m]]
        if not hidden or sum(float(value[m]) - 1.0 for m in hidden) >= REQUIRED_WIDTH:
            continue
        cell = _pick(grid, members[1:], suppressed, rank, level)
        if cell is not None:
            chosen.add(cell)
    return sorted(chosen)


def _national(grid: _Grid) -> BoolArray:
    """Grand total and national margins: every coordinate ``_T`` but at most one, top level
    (a dimension without a published total, such as the year, does not count)."""
    untotalled = np.array([not d.total for d in grid.dims], dtype=np.bool_)
    nonroot = (grid.coords != 0) & ~untotalled[None, :]
    count = nonroot.sum(axis=1)
    forced: BoolArray = count == 0
    for i, d in enumerate(grid.dims):
        top = d.parent[grid.coords[:, i]] == 0
        forced |= (count == 1) & nonroot[:, i] & top
    for i, d in enumerate(grid.dims):
        if not d.total:
            forced &= grid.coords[:, i] != 0  # never published
    return forced


def _previous_cells(
    grid: _Grid, index: dict[CellKey, int], previous: Sequence[Protected]
) -> tuple[list[int], list[int]]:
    """Cells the previous release suppressed, and cells it published with today's value."""
    kept: list[int] = []
    shown: list[int] = []
    for old in previous:
        if old.spec.population != grid.population:
            continue
        names = list(old.spec.dimension_names)
        frame = old.cells
        status = frame["obs_status"].astype(str).to_numpy()
        values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=np.float64)
        codes = frame[names].astype(str).to_numpy()
        for row in range(len(frame)):
            key: CellKey = (
                grid.population,
                tuple(
                    sorted(
                        (n, str(c)) for n, c in zip(names, codes[row], strict=True) if c != TOTAL
                    )
                ),
            )
            c = index.get(key)
            if c is None:
                continue
            if status[row] == CONFIDENTIAL:
                kept.append(c)
            elif abs(values[row] - grid.value[c]) < 1e-9:
                shown.append(c)
    return sorted(set(kept)), sorted(set(shown) - set(kept))


def _pick(
    grid: _Grid,
    cells: Iterable[int],
    suppressed: BoolArray,
    rank: IntArray,
    level: IntArray,
    last_resort: bool = False,
) -> int | None:
    """The cheapest published cell that adds width: never the grand total or a national
    margin (``rank`` 2, unless ``last_resort``) nor a zero (zeros stay published); other
    forced cells (``rank`` 1:
    shared or previously published) only when nothing else is left; then a value of at least
    :data:`_WIDENING` if there is one, finest level, smallest value. None when every candidate
    is excluded (the caller looks further out)."""
    best: tuple[Any, ...] | None = None
    chosen = None
    for c in cells:
        v = float(grid.value[c])
        if suppressed[c] or (rank[c] >= _NEVER and not last_resort) or v == 0:
            continue
        key = (int(rank[c]), v < _WIDENING, int(level[c]), v, c)
        if best is None or key < best:
            best, chosen = key, c
    return chosen


def _cheapest_on_lines(
    grid: _Grid,
    lines: _Lines,
    suppressed: BoolArray,
    rank: IntArray,
    level: IntArray,
    p: int,
) -> int | None:
    """The cheapest published cell on a line of ``p``; if every one is suppressed, on a line
    of those cells, and so on outwards (breadth first). When nothing else is left (a tiny
    table whose every cell but its totals is small), a total on the lines of ``p``: hiding it
    is safer than failing the release (the build report warns)."""
    seen_cells = {p}
    frontier = [p]
    nearest = [c for line in lines.of(p) for c in lines.members(line)]
    for _ in range(6):
        seen_lines = sorted({line for c in frontier for line in lines.of(c)})
        pool = [c for line in seen_lines for c in lines.members(line)]
        chosen = _pick(grid, pool, suppressed, rank, level)
        if chosen is not None:
            return chosen
        frontier = sorted(set(pool) - seen_cells)
        seen_cells.update(frontier)
        if not frontier:
            break
    return _pick(grid, nearest, suppressed, rank, level, last_resort=True)


# ---------------------------------------------------------------------------------------------
# Interval check: LPs over the suppressed cells of each connected part.


class _IntervalCheck:
    """Min and max of every suppressed primary given the published cells (HiGHS LPs)."""

    def __init__(
        self, grid: _Grid, lines: _Lines, primary: BoolArray, integral: bool, target: float
    ) -> None:
        self.grid, self.lines, self.primary = grid, lines, primary
        self.integral, self.target = integral, target
        self.cache: dict[tuple[int, ...], tuple[list[int], list[int]]] = {}
        self.below_target: set[int] = set()
        self.solved = 0

    def failing(self, suppressed: BoolArray) -> list[int]:
        """Suppressed cells (primary or secondary) narrower than the required width, sorted.

        Also refreshes :attr:`below_target`. Parts whose suppressed cells did not change since
        the last call are not solved again.
        """
        lines = self.lines
        members = np.diff(lines.indptr) + 1
        child_supp = np.zeros(len(lines.parent), dtype=np.int64)
        np.add.at(
            child_supp,
            np.repeat(np.arange(len(lines.parent)), members - 1),
            suppressed[lines.children].astype(np.int64),
        )
        touched = np.flatnonzero((child_supp + suppressed[lines.parent]) > 0)
        n_cells = self.grid.n
        rows: list[IntArray] = [touched]
        cols: list[IntArray] = [lines.parent[touched]]
        starts, stops = lines.indptr[touched], lines.indptr[touched + 1]
        counts = stops - starts
        rows.append(np.repeat(touched, counts))
        flat = np.repeat(starts, counts) + (
            np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        cols.append(lines.children[flat])
        r = np.concatenate(rows)
        c = np.concatenate(cols)
        keep = suppressed[c]
        r, c = r[keep], c[keep]
        n_lines = len(lines.parent)
        graph = sparse.coo_matrix(
            (np.ones(len(r)), (c, n_cells + r)), shape=(n_cells + n_lines, n_cells + n_lines)
        )
        _, label = connected_components(graph, directed=False)
        cell_label = label[:n_cells]
        fails: list[int] = []
        below: set[int] = set()
        sup_ids = np.flatnonzero(suppressed)
        order = np.argsort(cell_label[sup_ids], kind="stable")
        sup_sorted = sup_ids[order]
        labels_sorted = cell_label[sup_sorted]
        bounds = np.flatnonzero(np.diff(labels_sorted)) + 1
        line_label = label[n_cells + touched]
        line_order = np.argsort(line_label, kind="stable")
        touched_sorted = touched[line_order]
        line_label_sorted = line_label[line_order]
        for group in np.split(sup_sorted, bounds):
            if not len(group):
                continue
            signature = tuple(int(x) for x in group)
            if signature not in self.cache:
                lab = cell_label[group[0]]
                lo = np.searchsorted(line_label_sorted, lab, side="left")
                hi = np.searchsorted(line_label_sorted, lab, side="right")
                self.cache[signature] = self._component(group, touched_sorted[lo:hi], suppressed)
            narrow, low = self.cache[signature]
            fails.extend(narrow)
            below.update(low)
        self.below_target = below
        return sorted(fails)

    def _component(
        self, cells: IntArray, comp_lines: IntArray, suppressed: BoolArray
    ) -> tuple[list[int], list[int]]:
        """(cells narrower than 2, cells not proven as wide as the target) of one part.

        A small part is solved whole. In a big one each cell is first tried on its
        neighbourhood (the suppressed cells within a few lines of it free, every other one
        fixed at its true value): that system is a restriction of the attacker's, so a width
        found there is a lower bound of the real one. Only cells not proven that way get LPs
        over the whole part.
        """
        n = len(cells)
        seen_lo = self.grid.value[cells].astype(np.float64)
        seen_hi = seen_lo.copy()
        unbounded = np.zeros(n, dtype=np.bool_)
        position = {int(c): i for i, c in enumerate(cells)}

        def current(i: int) -> float:
            if unbounded[i]:
                return math.inf
            lo, hi = float(seen_lo[i]), float(seen_hi[i])
            if self.integral:
                return math.floor(hi + _TOL) - math.ceil(lo - _TOL)
            return hi - lo

        def record(free: list[int], x: FloatArray | None, i: int | None = None) -> None:
            if x is None:
                if i is not None:
                    unbounded[i] = True
                return
            idx = np.array([position[c] for c in free], dtype=np.int64)
            np.minimum.at(seen_lo, idx, x)
            np.maximum.at(seen_hi, idx, x)

        def settle(
            free: list[int], targets: list[int], last: bool, probes_only: bool = False
        ) -> None:
            """Probe, then min/max LPs for the targets still open (``last``: all of them)."""
            solve = self._system(free, suppressed)
            where = {c: k for k, c in enumerate(free)}
            rng = np.random.default_rng(_SEED + len(free))
            for _ in range(_PROBES if len(targets) > 3 else 0):
                open_ = [where[c] for c in targets if current(position[c]) < REQUIRED_WIDTH]
                if len(open_) <= 3:
                    break
                weights = np.zeros(len(free))
                weights[open_] = rng.choice([-1.0, 1.0], size=len(open_))
                record(free, solve(weights))
                record(free, solve(-weights))
            if probes_only:
                return
            for c in targets:
                i = position[c]
                for sign in (-1.0, 1.0):
                    if current(i) >= REQUIRED_WIDTH - _TOL:
                        break
                    objective = np.zeros(len(free))
                    objective[where[c]] = sign
                    x = solve(objective)
                    record(free, x, i if sign < 0 else None)
                if not last and current(i) < REQUIRED_WIDTH - _TOL:
                    return

        everything = [int(c) for c in cells]
        if n <= _LOCAL_ABOVE:
            settle(everything, everything, True)
        else:
            settle(everything, everything, False, probes_only=True)
            for c in everything:
                if current(position[c]) >= REQUIRED_WIDTH - _TOL:
                    continue
                for radius in (2, 4):
                    free = self._neighbourhood(c, radius, suppressed)
                    settle(free, [c], False)
                    if current(position[c]) >= REQUIRED_WIDTH - _TOL:
                        break
            still = [c for c in everything if current(position[c]) < REQUIRED_WIDTH - _TOL]
            if still:
                settle(everything, still, True)
        narrow = [c for c in everything if current(position[c]) < REQUIRED_WIDTH - _TOL]
        low = [
            c
            for c in everything
            if REQUIRED_WIDTH - _TOL <= current(position[c]) < self.target - _TOL
        ]
        return narrow, low

    def _neighbourhood(self, cell: int, radius: int, suppressed: BoolArray) -> list[int]:
        """Suppressed cells reachable from ``cell`` through at most ``radius`` lines."""
        reached = {cell}
        frontier = [cell]
        for _ in range(radius):
            nxt: list[int] = []
            for c in frontier:
                for line in self.lines.of(c):
                    for m in self.lines.members(line):
                        if suppressed[m] and m not in reached:
                            reached.add(m)
                            nxt.append(m)
            frontier = nxt
            if len(reached) > _LOCAL_ABOVE:
                break
        return sorted(reached)

    def _system(
        self, free: list[int], suppressed: BoolArray
    ) -> Callable[[FloatArray], FloatArray | None]:
        """LP over the cells ``free``: published cells at their value, other suppressed cells
        at their true value, additivity along every line touching ``free``, values ≥ 0."""
        lines, value = self.lines, self.grid.value
        var = {c: k for k, c in enumerate(free)}
        eq: tuple[list[int], list[int], list[float], list[float]] = ([], [], [], [])
        ub: tuple[list[int], list[int], list[float], list[float]] = ([], [], [], [])

        def add(
            rows: tuple[list[int], list[int], list[float], list[float]],
            terms: list[tuple[int, float]],
        ) -> None:
            r, c, v, b = rows
            rhs, used = 0.0, False
            for cell, coef in terms:
                k = var.get(cell)
                if k is None:
                    rhs -= coef * float(value[cell])
                else:
                    r.append(len(b))
                    c.append(k)
                    v.append(coef)
                    used = True
            if used:
                b.append(rhs)

        touched = sorted({line for c in free for line in lines.of(c)})
        for line in touched:
            members = lines.members(line)
            parent, children = members[0], members[1:]
            if lines.additive[line]:
                add(eq, [(parent, 1.0)] + [(ch, -1.0) for ch in children])
            else:
                for ch in children:
                    add(ub, [(ch, 1.0), (parent, -1.0)])
                add(ub, [(parent, 1.0)] + [(ch, -1.0) for ch in children])
        n = len(free)

        def matrix(rows: tuple[list[int], list[int], list[float], list[float]]) -> tuple[Any, Any]:
            r, c, v, b = rows
            if not b:
                return None, None
            return sparse.csr_matrix((v, (r, c)), shape=(len(b), n)), np.array(b)

        a_eq, b_eq = matrix(eq)
        a_ub, b_ub = matrix(ub)
        # the audit's attacker: zeros are never suppressed, so a suppressed count is >= 1
        floor = (value[free] >= 1) if self.integral else np.zeros(n, dtype=np.bool_)
        bounds = np.column_stack([np.where(floor, 1.0, 0.0), np.full(n, np.inf)])

        def solve(objective: FloatArray) -> FloatArray | None:
            self.solved += 1
            res = linprog(
                objective,
                A_ub=a_ub,
                b_ub=b_ub,
                A_eq=a_eq,
                b_eq=b_eq,
                bounds=bounds,
                method="highs",
            )
            if res.status == 3:
                return None
            if res.status != 0:
                raise RuntimeError(f"interval LP failed: {res.message}")
            return np.asarray(res.x, dtype=np.float64)

        return solve


# ---------------------------------------------------------------------------------------------
# Output tables and the report.


def _tables(
    grid: _Grid,
    primary: BoolArray,
    suppressed: BoolArray,
    below_target: set[int],
    report: SuppressionReport,
) -> list[Protected]:
    out: list[Protected] = []
    value = grid.value
    count = grid.kind != "magnitude"
    for spec, used, ids in grid.tables:
        data: dict[str, Any] = {}
        for name, i in zip(spec.dimension_names, used, strict=True):
            codes = np.array(grid.dims[i].codes, dtype=object)
            data[name] = codes[grid.coords[ids, i]]
        hidden = suppressed[ids]
        if count:
            column = pd.array(np.rint(value[ids]).astype(np.int64), dtype="Int64")
            column[hidden] = pd.NA
            data["value"] = column
        else:
            data["value"] = np.where(hidden, np.nan, value[ids])
        data["obs_status"] = np.where(hidden, CONFIDENTIAL, "")
        frame = pd.DataFrame(data)
        for name in spec.dimension_names:
            frame[name] = frame[name].astype(str)
        out.append(Protected(spec, frame))

        finest = np.ones(len(ids), dtype=np.bool_)
        for i in used:
            finest &= grid.dims[i].leaf[grid.coords[ids, i]]
        total_at = np.searchsorted(grid.keys, 0)
        total = float(value[total_at]) if grid.n and grid.keys[total_at] == 0 else 0.0
        sec = hidden & ~primary[ids]
        n_cells = len(ids)
        report.per_table[spec.name] = {
            "cells": float(n_cells),
            "primary": float((primary[ids]).sum()),
            "secondary": float(sec.sum()),
            "share_cells": float(hidden.sum() / n_cells) if n_cells else 0.0,
            "share_units_hidden": float(value[ids][finest & hidden].sum() / total)
            if total
            else 0.0,
            "share_units_hidden_secondary": float(value[ids][finest & sec].sum() / total)
            if total
            else 0.0,
            "suppressed_margins": float((hidden & ~finest).sum()),
            "below_target": float(sum(1 for c in ids.tolist() if c in below_target)),
        }
    return out
