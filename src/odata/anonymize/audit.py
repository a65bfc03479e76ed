"""Independent disclosure audit of a release: how well is every suppressed cell hidden?

The audit reads only the published files of a release (and, optionally, of the previous one),
never the suppression step's internals: it sees what an attacker sees. For each confidential
(``C``) cell it computes the smallest and largest value the cell can take given everything
published, and the release fails when an interval is narrower than ``min_width`` (2: a width
of 0 means the value is exactly recomputable, 1 leaves two possible values).

**The attacker's system** (built by :mod:`odata.anonymize.audit_model`): one unknown per
distinct suppressed quantity (the linking rule: same population and same non-``_T``
coordinates = same quantity, across tables and across the two releases); published cells are
constants; every margin equals the sum of its parts along each additive dimension (hierarchies
level by level); along a non-additive dimension each part ≤ its total ≤ the sum of its parts;
every value ≥ 0 (unless a population publishes negative values); counts are integers, so the
LP bounds of a count are rounded inwards (``ceil(min)``, ``floor(max)``, tolerance 1e-6).

**Lower bound of a suppressed count.** ``odata build`` never suppresses a zero, so its
releases are audited with ``count_floor=1`` (the attacker knows a ``C`` count is ≥ 1). The
function's default is the bound ≥ 0 that holds for any release: a release made by another tool
may suppress zeros, and assuming ≥ 1 there would make the system contradictory. (With ≥ 0, a
line with a total of 2 and two ``C`` cells is [0, 2] each and passes; with ≥ 1 both are
exactly 1.) Where ``count_floor=1`` contradicts the published cells (a zero was suppressed
there), the audit falls back to ≥ 0 for that part of the system, as the attacker would.

**Solving** (deterministic: fixed seed, fixed orders, HiGHS through scipy): the system is
split into connected components; each cell gets an *outer* interval from bound propagation
(every row bounds each of its unknowns by the extreme activities of the others) and an
*inner* interval from feasible points (the solutions of every LP solved: a few LPs pushing
random open cells up or down, then per-cell min/max LPs). A side is settled when inner and
outer agree after rounding; cells already proven ``max(min_width, T)`` wide are left as they
are (``tight`` False: an inner bound, the true interval contains it). The others get their own
LPs, the cells whose pass/fail is undecided first. A component of more than ``_LARGE_VARS``
unknowns (one LP there can take seconds) uses interior-point LPs and a budget of per-cell LPs
unless ``exact_intervals``; a cell left undecided there counts as ``unproven``, which fails
the release (fail closed), and a cell not proven ≥ T counts as below threshold.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

from odata.anonymize.audit_model import (
    COUNT_KINDS,
    BoolArray,
    FloatArray,
    IntArray,
    LinearSystem,
    build_system,
    load_release,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "AuditResult",
    "CellInterval",
    "audit_release",
    "private_report",
    "summary",
]

log = logging.getLogger(__name__)

DEFAULT_THRESHOLDS: Mapping[str, int] = MappingProxyType({"persons": 5, "firms": 3})
_TOL = 1e-6
_SEED = 20181221
_SMALL = 3  # components with at most this many audited cells skip the probes
_PROBES = 6  # LPs pushing random open sides, before per-cell LPs
_LARGE_VARS = 2_000  # past this many unknowns a component is "large": interior point, budget
_LARGE_PROBES = 8
_LARGE_LPS = 12  # per-cell LPs a large component may always spend (unless exact_intervals) ...
_LARGE_WORK = 200_000  # ... or up to this many unknowns × LPs for its undecided cells
_PROPAGATION_ROUNDS = 200
_POOL_VARS = 3_000  # unknowns outside the biggest component worth a second process


@dataclass(frozen=True)
class CellInterval:
    """What an attacker can learn about one suppressed cell. Private: never published."""

    table: str
    codes: dict[str, str]
    low: float
    high: float
    tight: bool = True  # False: an inner bound, the true interval contains [low, high]

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass
class AuditResult:
    """The audit of one release; :func:`summary` is the part that may be published."""

    intervals: list[CellInterval]
    exact: int
    narrow: int
    below_threshold: int
    small_published: int
    per_table: dict[str, dict[str, int]]
    inconsistent: int = 0  # published cells that contradict the declared additivity
    unproven: int = 0  # neither proven ≥ min_width nor narrow (huge component, LP budget spent)
    min_width: float = 2
    release: str = ""
    previous: str | None = None
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """No cell narrower than ``min_width`` (or not proven wider), no small count shown,
        and published cells consistent with the declared additivity."""
        return (
            self.narrow == 0
            and self.unproven == 0
            and self.small_published == 0
            and self.inconsistent == 0
        )


def audit_release(
    release: Path,
    *,
    previous: Path | None = None,
    min_width: float = 2,
    thresholds: Mapping[str, int] = DEFAULT_THRESHOLDS,
    count_floor: float = 0,
    exact_intervals: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> AuditResult:
    """Audit the release folder ``release`` (optionally joined with ``previous``).

    Returns an :class:`AuditResult` with one interval per suppressed cell of ``release``.
    A cell narrower than ``min_width`` fails the release; one narrower than the threshold of
    its table's kind (``thresholds``) is a warning. ``count_floor`` is the lower bound the
    attacker assumes for a suppressed count (0, or 1: see the module docstring).
    ``exact_intervals`` solves both LPs of every cell that feasible points and bound
    propagation leave open, whatever the size of its component (slow on huge components).
    ``workers`` processes share the components of a big release (default: up to 2; the
    result does not depend on it). ``progress`` is called with the number of suppressed
    quantities settled so far.
    Raises :class:`~odata.errors.SourceError` or :class:`~odata.errors.DataError` when a
    release cannot be read as published tables.
    """
    start = time.perf_counter()
    current = load_release(release)
    earlier = load_release(previous) if previous is not None else []
    system = build_system(current, earlier)

    cell_table, cell_row, cell_q = _audited_cells(system)
    need = np.zeros(system.n)
    for t, table in enumerate(system.tables[: system.n_current_tables]):
        required = float(max(min_width, thresholds.get(table.spec.kind, 0)))
        np.maximum.at(need, cell_q[cell_table == t], required)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    solver = _Solver(system, need, min_width, count_floor, exact_intervals, workers, progress)
    bounds = solver.solve(np.unique(cell_q))
    low, high, tight, w_in, w_out = _classify_bounds(bounds, system.integral)

    intervals: list[CellInterval] = []
    per_table: dict[str, dict[str, int]] = {}
    for t, table in enumerate(system.tables[: system.n_current_tables]):
        mask = cell_table == t
        rows, qs = cell_row[mask], cell_q[mask]
        threshold = thresholds.get(table.spec.kind)
        narrow = w_out[qs] < min_width - _TOL
        per_table[table.label] = {
            "cells": table.n_cells,
            "suppressed": int(mask.sum()),
            "exact": int(np.sum(w_out[qs] <= _TOL)),
            "narrow": int(narrow.sum()),
            "unproven": int(np.sum(~narrow & (w_in[qs] < min_width - _TOL))),
            "below_threshold": int(np.sum(w_in[qs] < threshold - _TOL)) if threshold else 0,
            "small_published": _small_published(table.value, table.spec.kind, threshold),
            "inconsistent": system.conflicts[t] + solver.inconsistent_by_table.get(t, 0),
        }
        records = table.codes.iloc[rows].to_dict(orient="records")
        intervals += [
            CellInterval(
                table.label,
                {str(k): str(v) for k, v in codes.items()},
                float(low[q]),
                float(high[q]),
                bool(tight[q]),
            )
            for codes, q in zip(records, qs, strict=True)
        ]
    totals = {
        key: sum(c[key] for c in per_table.values())
        for key in ("exact", "narrow", "unproven", "below_threshold", "small_published")
    }
    stats = {
        **solver.stats,
        "seconds": round(time.perf_counter() - start, 3),
        "cells": float(sum(t.n_cells for t in current)),
    }
    result = AuditResult(
        intervals,
        totals["exact"],
        totals["narrow"],
        totals["below_threshold"],
        totals["small_published"],
        per_table,
        sum(c["inconsistent"] for c in per_table.values()),
        totals["unproven"],
        min_width,
        release.name,
        previous.name if previous is not None else None,
        stats,
    )
    log.info(
        "audit · %s · %d suppressed cells · %d exact, %d narrow, %d below threshold · %s",
        release.name,
        len(intervals),
        result.exact,
        result.narrow,
        result.below_threshold,
        "passed" if result.passed else "FAILED",
    )
    return result


def _audited_cells(system: LinearSystem) -> tuple[IntArray, IntArray, IntArray]:
    """Table index, row and quantity of every suppressed cell of the release under audit."""
    tabs, rows, qs = [], [], []
    for t, table in enumerate(system.tables[: system.n_current_tables]):
        row = np.nonzero(table.suppressed)[0].astype(np.int64)
        tabs.append(np.full(row.size, t, dtype=np.int64))
        rows.append(row)
        qs.append(system.quantity[t][row])
    return np.concatenate(tabs), np.concatenate(rows), np.concatenate(qs)


def _small_published(value: FloatArray, kind: str, threshold: int | None) -> int:
    if kind not in COUNT_KINDS or not threshold:
        return 0
    shown = value[~np.isnan(value)]
    return int(np.sum((shown >= 1) & (shown < threshold)))


def _rounded(lo: FloatArray, hi: FloatArray, integral: BoolArray) -> tuple[FloatArray, FloatArray]:
    """Counts: the integers inside [lo, hi] (tolerance 1e-6); magnitudes unchanged."""
    with np.errstate(invalid="ignore"):
        a = np.where(integral, np.ceil(lo - _TOL), lo) + 0.0  # no -0.0
        b = np.where(integral, np.floor(hi + _TOL), hi)
    return a, b


def _seen(lo: FloatArray, hi: FloatArray) -> BoolArray:
    """Whether [lo, hi] comes from feasible points (False before any, and for NaN)."""
    with np.errstate(invalid="ignore"):
        return np.asarray((lo <= hi) & (lo < np.inf) & (hi > -np.inf))


def _classify_bounds(
    bounds: tuple[FloatArray, FloatArray, FloatArray, FloatArray], integral: BoolArray
) -> tuple[FloatArray, FloatArray, BoolArray, FloatArray, FloatArray]:
    """Reported interval, tightness, and the widths proven (inner) and possible (outer)."""
    lo_in, hi_in, lo_out, hi_out = bounds
    a_in, b_in = _rounded(lo_in, hi_in, integral)
    a_out, b_out = _rounded(lo_out, hi_out, integral)
    with np.errstate(invalid="ignore"):
        b_in = np.maximum(b_in, a_in)  # inner points inside one gap between integers
        scale = _TOL * np.maximum(1.0, np.abs(np.nan_to_num(b_out, posinf=0.0)))
        same_lo = (a_in == a_out) | (np.abs(a_in - a_out) <= scale)
        same_hi = (b_in == b_out) | (np.abs(b_in - b_out) <= scale)
        seen = _seen(lo_in, hi_in)
        w_in = np.where(seen, b_in - a_in, -np.inf)
        w_out = b_out - a_out
        closed = ~integral & (w_out <= scale)  # magnitudes: tiny widths are zero
    low = np.where(closed, a_out, np.where(seen, a_in, a_out))
    high = np.where(closed, a_out, np.where(seen, b_in, b_out))
    w_out = np.where(closed, 0.0, w_out)
    return low, high, (same_lo & same_hi) | closed, w_in, w_out


class _Solver:
    """Reduces the system to its unknowns, splits it into components and bounds each cell."""

    def __init__(
        self,
        system: LinearSystem,
        need: FloatArray,
        min_width: float,
        count_floor: float,
        exact: bool,
        workers: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.workers = workers
        self.system = system
        self.need = need
        self.min_width = min_width
        self.count_floor = count_floor
        self.exact = exact
        self.progress = progress
        self.inconsistent_by_table: dict[int, int] = {}
        self.stats: dict[str, float] = dict.fromkeys(
            ("lps", "components", "variables", "largest", "solver_cpu"), 0.0
        )
        self.stats["workers"] = 1.0

    def solve(self, audited: IntArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Inner and outer bounds (lo_in, hi_in, lo_out, hi_out) of every quantity."""
        s = self.system
        out = tuple(np.full(s.n, np.nan) for _ in range(4))
        lo_in, hi_in, lo_out, hi_out = out
        shown = audited[s.known[audited]]  # suppressed here, published elsewhere
        for array in out:
            array[shown] = s.value[shown]

        unknown = np.nonzero(~s.known)[0]
        column = np.full(s.n, -1, dtype=np.int64)
        column[unknown] = np.arange(unknown.size)
        values = np.where(s.known, s.value, 0.0)
        eq, eq_b, eq_keep = self._reduce(s.eq, values, unknown, s.eq_current, s.eq_table, True)
        ub, ub_b, ub_keep = self._reduce(s.ub, values, unknown, s.ub_current, s.ub_table, False)
        eq_cur, ub_cur = s.eq_current[eq_keep], s.ub_current[ub_keep]
        eq_tab, ub_tab = s.eq_table[eq_keep], s.ub_table[ub_keep]
        lower = s.lower[unknown]
        floor = s.suppressed[unknown] & s.integral[unknown] & (lower == 0)
        integral = s.integral[unknown]
        targets = column[audited[~s.known[audited]]]
        if targets.size == 0:
            return lo_in, hi_in, lo_out, hi_out

        var_label, eq_label, ub_label = _components(unknown.size, eq, ub)
        wanted = np.unique(var_label[targets])
        groups = _group(var_label, wanted)
        eq_groups, ub_groups = _group(eq_label, wanted), _group(ub_label, wanted)
        is_target = np.zeros(unknown.size, dtype=np.bool_)
        is_target[targets] = True
        self.stats["components"] = float(wanted.size)
        self.stats["variables"] = float(unknown.size)
        done = 0
        comps: list[_Component] = []
        for label in wanted.tolist():
            cols, er, ur = groups[label], eq_groups[label], ub_groups[label]
            comps.append(
                _Component(
                    (eq[er][:, cols], eq_b[er], eq_cur[er]),
                    (ub[ur][:, cols], ub_b[ur], ub_cur[ur]),
                    lower[cols],
                    np.where(floor[cols], self.count_floor, lower[cols]),
                    integral[cols],
                    np.nonzero(is_target[cols])[0],
                    self.need[unknown[cols]],
                    self.min_width,
                    self.exact,
                )
            )
        self.stats["largest"] = float(max(c.n for c in comps))
        for label, (result, lps, cpu) in zip(wanted.tolist(), self._run(comps), strict=True):
            cols, er, ur = groups[label], eq_groups[label], ub_groups[label]
            self.stats["lps"] += lps
            self.stats["solver_cpu"] += cpu
            q = unknown[cols[is_target[cols]]]
            if result is None:
                log.error("audit · the published cells contradict their declared additivity")
                for t in np.unique(np.concatenate([eq_tab[er], ub_tab[ur]])).tolist():
                    if t < s.n_current_tables:
                        self.inconsistent_by_table[t] = self.inconsistent_by_table.get(t, 0) + 1
                continue
            lo_in[q], hi_in[q], lo_out[q], hi_out[q] = result
            done += q.size
            if self.progress is not None:
                self.progress(done)
        return lo_in, hi_in, lo_out, hi_out

    def _run(self, comps: list[_Component]) -> Iterator[tuple[Bounds | None, int, float]]:
        """Each component's bounds, in order; big releases use a pool of processes."""
        sizes = sorted((c.n for c in comps), reverse=True)
        if self.workers < 2 or len(comps) < 2 or sum(sizes[1:]) < _POOL_VARS:
            yield from map(_bounds_of, comps)
            return
        self.stats["workers"] = float(self.workers)
        order = sorted(range(len(comps)), key=lambda i: -comps[i].n)  # biggest first
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            futures = {i: pool.submit(_bounds_of, comps[i]) for i in order}
            for i in range(len(comps)):
                yield futures[i].result()

    def _reduce(
        self,
        matrix: Any,
        values: FloatArray,
        unknown: IntArray,
        current: BoolArray,
        table: IntArray,
        equality: bool,
    ) -> tuple[Any, FloatArray, BoolArray]:
        """Move the published constants to the right-hand side; check rows left with none."""
        rhs = -(matrix @ values)
        scale = np.maximum(1.0, abs(matrix) @ np.abs(values))
        reduced = matrix[:, unknown].tocsr()
        empty = np.diff(reduced.indptr) == 0
        broken = np.abs(rhs) > _TOL * scale if equality else rhs < -_TOL * scale
        for t in table[empty & broken & current].tolist():
            self.inconsistent_by_table[t] = self.inconsistent_by_table.get(t, 0) + 1
        if np.any(empty & broken & ~current):
            log.warning("audit · the previous release's published cells do not add up")
        keep = ~empty
        return reduced[keep], rhs[keep], keep


def _components(n: int, eq: Any, ub: Any) -> tuple[IntArray, IntArray, IntArray]:
    """Connected-component label of every variable and of every (eq, ub) row."""
    rows = sparse.vstack([eq, ub]).tocsr()
    m = rows.shape[0]
    if m == 0:
        return np.arange(n, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    pattern = rows.copy()
    pattern.data = np.ones_like(pattern.data)
    graph = sparse.bmat([[None, pattern.T], [pattern, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    return labels[:n], labels[n : n + eq.shape[0]], labels[n + eq.shape[0] :]


def _group(labels: IntArray, wanted: IntArray) -> dict[int, IntArray]:
    """Indices carrying each wanted label, in increasing order."""
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    start = np.searchsorted(ordered, wanted, side="left")
    stop = np.searchsorted(ordered, wanted, side="right")
    return {
        int(w): order[a:b].astype(np.int64)
        for w, a, b in zip(wanted.tolist(), start.tolist(), stop.tolist(), strict=True)
    }


Rows = tuple[Any, FloatArray, BoolArray]  # matrix, right-hand side, row from the current release
Bounds = tuple[FloatArray, FloatArray, FloatArray, FloatArray]


def _bounds_of(comp: _Component) -> tuple[Bounds | None, int, float]:
    """Run one component (also in a worker process): bounds, LPs taken, CPU seconds."""
    began, cpu = time.perf_counter(), time.process_time()
    result = comp.bounds()
    log.debug(
        "audit · component of %d unknowns, %d audited: %d LPs, %.2f s",
        comp.n,
        comp.audited.size,
        comp.lps,
        time.perf_counter() - began,
    )
    return result, comp.lps, time.process_time() - cpu


class _Component:
    """One connected block of the system: inner and outer bounds of its audited variables.

    Outer bounds come from bound propagation and from LPs; inner bounds from feasible
    points (the solutions of every LP solved). A side is settled when both agree (after
    rounding counts). Sides still open are solved by LPs, first for the cells whose pass or
    fail is undecided; past ``_LARGE_VARS`` variables a budget of LPs (unless ``exact``)
    that shrinks as the component grows, and a cell left open there is reported as unproven.
    """

    def __init__(
        self,
        eq: Rows,
        ub: Rows,
        lower: FloatArray,
        floored: FloatArray,
        integral: BoolArray,
        audited: IntArray,
        need: FloatArray,
        min_width: float,
        exact: bool,
    ) -> None:
        self.eq, self.ub = eq, ub
        self.lower, self.floored, self.integral = lower, floored, integral
        self.audited, self.need, self.min_width = audited, need, min_width
        self.exact = exact
        self.n = len(lower)
        self.lps = 0

    def bounds(self) -> Bounds | None:
        """(lo_in, hi_in, lo_out, hi_out) per audited variable, or None if contradictory."""
        every_eq = np.ones(len(self.eq[1]), dtype=np.bool_)
        every_ub = np.ones(len(self.ub[1]), dtype=np.bool_)
        attempts = [(self.floored, every_eq, every_ub)]
        if np.any(self.floored != self.lower):
            attempts.append((self.lower, every_eq, every_ub))
        if not (self.eq[2].all() and self.ub[2].all()):
            attempts.append((self.lower, self.eq[2], self.ub[2]))
        for number, (lower, eq_rows, ub_rows) in enumerate(attempts):
            found = self._attempt(lower, eq_rows, ub_rows)
            if found is not None:
                if number:
                    log.warning(
                        "audit · a component contradicts the ≥1 floor or the previous "
                        "release; audited without it"
                    )
                return found
        return None

    def _attempt(self, lower: FloatArray, eq_rows: BoolArray, ub_rows: BoolArray) -> Bounds | None:
        a_eq, b_eq = self.eq[0][eq_rows], self.eq[1][eq_rows]
        a_ub, b_ub = self.ub[0][ub_rows], self.ub[1][ub_rows]
        lo_out, hi_out = _propagate(a_eq, b_eq, a_ub, b_ub, lower)
        if np.any(lo_out > hi_out + _TOL * np.maximum(1.0, np.abs(lo_out))):
            return None
        lo_in, hi_in = np.full(self.n, np.inf), np.full(self.n, -np.inf)
        large = self.n > _LARGE_VARS
        box = np.column_stack([lower, np.full(self.n, np.inf)])
        method = "highs-ipm" if large else "highs"
        feasible = False

        def lp(objective: FloatArray) -> Any:
            self.lps += 1
            return linprog(
                objective,
                A_ub=a_ub if a_ub.shape[0] else None,
                b_ub=b_ub if a_ub.shape[0] else None,
                A_eq=a_eq if a_eq.shape[0] else None,
                b_eq=b_eq if a_eq.shape[0] else None,
                bounds=box,
                method=method,
            )

        def absorb(res: Any) -> None:
            np.minimum(lo_in, res.x, out=lo_in)
            np.maximum(hi_in, res.x, out=hi_in)

        def open_sides() -> tuple[BoolArray, BoolArray, BoolArray]:
            v = self.audited
            integral = self.integral[v]
            a_in, b_in = _rounded(lo_in[v], hi_in[v], integral)
            a_out, b_out = _rounded(lo_out[v], hi_out[v], integral)
            with np.errstate(invalid="ignore"):
                scale = _TOL * np.maximum(1.0, np.abs(np.nan_to_num(b_out, posinf=0.0)))
                width = np.where(_seen(lo_in[v], hi_in[v]), b_in - a_in, -np.inf)
                care = self.exact | (width < self.need[v] - _TOL)
                hi_open = care & ~((b_in == b_out) | (b_out - b_in <= scale))
                lo_open = care & ~((a_in == a_out) | (a_in - a_out <= scale))
            undecided = width < self.min_width - _TOL
            return hi_open, lo_open, undecided

        if self.audited.size > _SMALL:  # probes: random pushes on the open sides
            rng = np.random.default_rng(_SEED)
            for _ in range(_LARGE_PROBES if large else _PROBES):
                hi_open, lo_open, _undecided = open_sides()
                if feasible and not (hi_open.any() or lo_open.any()):
                    break
                objective = np.zeros(self.n)
                push = rng.random(self.audited.size)
                objective[self.audited] = np.where(hi_open & (push < 0.6), -1.0, 0.0) + np.where(
                    lo_open & (push > 0.4), 1.0, 0.0
                )
                res = lp(objective)
                if res.status == 2:
                    return None
                if res.status == 0:
                    feasible = True
                    absorb(res)
        hi_open, lo_open, undecided = open_sides()
        budget = -1  # unlimited
        if large and not self.exact:
            budget = max(_LARGE_LPS, min(2 * int(undecided.sum()), _LARGE_WORK // self.n))
        order = np.argsort(~undecided, kind="stable")  # undecided pass/fail first
        for i in order.tolist():
            v = int(self.audited[i])
            for sign in (-1.0, 1.0):  # max, then min
                hi_open, lo_open, _undecided = open_sides()
                if not (hi_open[i] if sign < 0 else lo_open[i]) or budget == 0:
                    continue
                budget -= 1
                res = lp(_unit(self.n, v, sign))
                if res.status == 2:
                    return None
                if res.status == 3:
                    if sign < 0:
                        hi_in[v] = hi_out[v] = np.inf
                    else:
                        lo_in[v] = lo_out[v] = -np.inf
                elif res.status == 0:
                    feasible = True
                    absorb(res)
                    if sign < 0:
                        hi_in[v] = hi_out[v] = -float(res.fun)
                    else:
                        lo_in[v] = lo_out[v] = float(res.fun)
                else:
                    log.error("audit · the LP solver failed on a cell (status %d)", res.status)
        if not feasible:  # no LP ran: check that the component has a solution at all
            res = lp(np.zeros(self.n))
            if res.status == 2:
                return None
            if res.status == 0:
                absorb(res)
        picked = self.audited
        return lo_in[picked], hi_in[picked], lo_out[picked], hi_out[picked]


def _unit(n: int, index: int, sign: float) -> FloatArray:
    vector = np.zeros(n)
    vector[index] = sign
    return vector


def _propagate(
    a_eq: Any, b_eq: FloatArray, a_ub: Any, b_ub: FloatArray, lower: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Outer bounds by bound propagation: each row bounds each of its variables by the
    extreme activities of the others, repeated until nothing moves (vectorized)."""
    matrix = sparse.vstack([a_eq, a_ub]).tocoo()
    row_lo = np.concatenate([b_eq, np.full(len(b_ub), -np.inf)])
    row_hi = np.concatenate([b_eq, b_ub])
    r, c, a = matrix.row.astype(np.int64), matrix.col.astype(np.int64), matrix.data
    m = matrix.shape[0]
    lo, hi = lower.astype(float).copy(), np.full(len(lower), np.inf)
    positive = a > 0
    for _ in range(_PROPAGATION_ROUNDS):
        least = np.where(positive, a * lo[c], a * hi[c])  # smallest contribution
        most = np.where(positive, a * hi[c], a * lo[c])
        others_least = _others(least, r, m)
        others_most = _others(most, r, m)
        with np.errstate(invalid="ignore"):
            top = (row_hi[r] - others_least) / a  # a·x ≤ row_hi - least(others)
            bottom = (row_lo[r] - others_most) / a  # a·x ≥ row_lo - most(others)
        new_hi = np.where(positive, top, bottom)
        new_lo = np.where(positive, bottom, top)
        hi2, lo2 = hi.copy(), lo.copy()
        np.minimum.at(hi2, c, np.nan_to_num(new_hi, nan=np.inf))
        np.maximum.at(lo2, c, np.nan_to_num(new_lo, nan=-np.inf))
        gain = np.concatenate([hi - hi2, lo2 - lo])
        finite = np.isfinite(gain)
        moved = np.any(~finite & (gain > 0)) or np.any(
            gain[finite] > 1e-9 * np.maximum(1.0, np.abs(np.concatenate([hi2, lo2])[finite]))
        )
        lo, hi = lo2, hi2
        if not moved:
            break
    return lo, hi


def _others(part: FloatArray, row: IntArray, m: int) -> FloatArray:
    """Per nonzero: the sum of the row's other contributions (±inf when one is infinite)."""
    infinite = ~np.isfinite(part)
    finite_sum = np.bincount(row, np.where(infinite, 0.0, part), minlength=m)
    plus = np.bincount(row, infinite & (part > 0), minlength=m)
    minus = np.bincount(row, infinite & (part < 0), minlength=m)
    own_plus = (infinite & (part > 0)).astype(np.int64)
    own_minus = (infinite & (part < 0)).astype(np.int64)
    rest_plus = plus[row] - own_plus
    rest_minus = minus[row] - own_minus
    value = finite_sum[row] - np.where(infinite, 0.0, part)
    value = np.where(rest_plus > 0, np.inf, value)
    value = np.where(rest_minus > 0, -np.inf, value)
    return np.where((rest_plus > 0) & (rest_minus > 0), np.nan, value)


def summary(result: AuditResult) -> dict[str, Any]:
    """The public audit summary: pass/fail and counts of cells and suppressed cells per table.

    No interval, no width and no hidden total appears here: each would be one more equation
    for an attacker.
    """
    return {
        "passed": result.passed,
        "release": result.release,
        "previous_release": result.previous,
        "min_width": result.min_width,
        "cells": sum(c["cells"] for c in result.per_table.values()),
        "suppressed": sum(c["suppressed"] for c in result.per_table.values()),
        "exactly_recomputable": result.exact,
        "narrower_than_min_width": result.narrow,
        "small_counts_published": result.small_published,
        "not_proven_safe": result.unproven,
        "inconsistent": result.inconsistent,
        "tables": {
            name: {"cells": c["cells"], "suppressed": c["suppressed"]}
            for name, c in result.per_table.items()
        },
    }


def private_report(result: AuditResult) -> dict[str, Any]:
    """Everything, for the private build report: per-table counts, every interval, timings."""
    return {
        **summary(result),
        "below_threshold": result.below_threshold,
        "per_table": result.per_table,
        "stats": result.stats,
        "intervals": [
            {
                "table": i.table,
                "codes": i.codes,
                "low": _json_number(i.low),
                "high": _json_number(i.high),
                "width": _json_number(i.width),
                "tight": i.tight,
            }
            for i in result.intervals
        ],
    }


def _json_number(x: float) -> float | None:
    return x if math.isfinite(x) else None
