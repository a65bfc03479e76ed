"""Gauss suppression (after Langsrud): exact elimination over a sparse basis of published cells.

**The model.** The cells of a population are sums of its inner cells (the finest level of all
its dimensions): cell ``c`` is the 0/1 column ``x_c`` over the inner cells. A suppressed
primary cell ``p`` is *exactly disclosed* when ``x_p`` lies in the span of the published
columns. Gauss suppression visits the candidate cells one at a time in a fixed priority order
and publishes a candidate unless that would bring some primary into the span of what is
published (then the candidate becomes a secondary suppression). It protects every table of
a population at once, so linked tables cannot be differenced against each other.

**The basis.** The matrix ``x`` is never built. Its column space has a basis made of
published cells (:func:`dimension_basis`, :func:`basis_expansion`): along an additive
dimension every node of the hierarchy is in the basis except one child of each parent (the
"last" child, the one with the smallest total, which is the parent minus its siblings); the
basis cells of a table are those whose every coordinate is a basis node, and the union over
the tables of a population is a basis of the joint column space (each table's basis is a
subset of the tensor basis of the full grid, so the union stays independent). Every other cell
is a short signed sum of basis cells (``ρ``: a line relation, or a product of a few of them).
Cells along a non-additive dimension are separate quantities: all of its nodes are basis
nodes.

**The elimination** works in the quotient of that column space by the published cells. Each
unpublished cell has a canonical representative over the remaining free basis cells: it is
zero at every basis cell that is published or used as a pivot. A primary is disclosed exactly
when its representative is zero, and publishing candidate ``c`` discloses primary ``p`` exactly
when their representatives are proportional. Publishing a free basis cell only deletes it
from the representatives of the primaries (no fill-in); publishing a dependent cell whose
representative is not zero makes one of its free cells a pivot (the algebra then only ever
mixes cells that are suppressed or not yet visited, which is why this stays sparse).

Arithmetic is modulo the Mersenne prime 2**61 - 1: exact integer arithmetic with no float
tolerance and no growth of coefficients. A dependence over the integers is always one modulo
the prime; the converse could fail only if the prime divided a coefficient of a reduced
vector, which needs coefficients of about 2**61 (the disclosure audit, an LP over the
published files, double-checks the pattern anyway).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "MODULUS",
    "DimensionBasis",
    "Elimination",
    "Relations",
    "basis_expansion",
    "combine",
    "dimension_basis",
]

MODULUS = (1 << 61) - 1

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class DimensionBasis:
    """One dimension's nodes split into basis nodes and dependent nodes.

    ``in_basis[n]`` says whether node ``n`` is a basis node; ``indptr``/``nodes``/``coefs``
    (CSR, one row per node) give every node as a signed sum of basis nodes.
    """

    in_basis: BoolArray
    indptr: IntArray
    nodes: IntArray
    coefs: IntArray


def dimension_basis(parent: IntArray, weight: FloatArray, additive: bool) -> DimensionBasis:
    """The basis of one dimension (node 0 is the root ``_T``, ``parent[0] == -1``).

    Along an additive dimension each parent's child with the smallest ``weight`` (its total;
    ties: the last node) is dependent: parent minus its other children. A non-additive
    dimension keeps every node.
    """
    n = len(parent)
    in_basis = np.ones(n, dtype=np.bool_)
    children: list[list[int]] = [[] for _ in range(n)]
    for node in range(1, n):
        children[int(parent[node])].append(node)
    if additive:
        for kids in children:
            if kids:
                last = min(kids, key=lambda k: (float(weight[k]), -k))
                in_basis[last] = False
    # Rows in an order where a parent comes before its children.
    depth = np.zeros(n, dtype=np.int64)
    for node in range(1, n):
        up, d = node, 0
        while up > 0:
            up, d = int(parent[up]), d + 1
        depth[node] = d
    rows: list[dict[int, int]] = [{} for _ in range(n)]
    for node in np.argsort(depth, kind="stable").tolist():
        if in_basis[node]:
            rows[node] = {node: 1}
            continue
        up = int(parent[node])
        row = dict(rows[up])
        for sibling in children[up]:
            if sibling != node:
                row[sibling] = row.get(sibling, 0) - 1
        rows[node] = {k: v for k, v in row.items() if v}
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    nodes = np.array([k for r in rows for k in sorted(r)], dtype=np.int64)
    coefs = np.array([r[k] for r in rows for k in sorted(r)], dtype=np.int64)
    return DimensionBasis(in_basis, indptr, nodes, coefs)


def basis_expansion(
    keys: IntArray,
    strides: Sequence[int],
    sizes: Sequence[int],
    bases: Sequence[DimensionBasis],
    cells: IntArray,
) -> dict[int, dict[int, int]]:
    """Some ``cells`` (ids) as signed sums of basis cells: ``{cell: {basis cell: coef}}``.

    ``keys`` (sorted, unique) encode each cell's node per dimension in mixed radix
    (``key = Σ node_d · strides[d]``). The expansion of a cell is the tensor product of its
    coordinates' expansions; its terms are cells of the same table, so they exist in ``keys``.
    Raises :class:`ValueError` if they do not (the cells are not closed under the margins).
    """
    n = len(keys)
    rows = np.asarray(cells, dtype=np.int64)
    term = keys[rows].astype(np.int64, copy=True)
    coef = np.ones(len(rows), dtype=np.int64)
    for d, basis in enumerate(bases):
        if basis.in_basis.all():
            continue
        node = (term // strides[d]) % sizes[d]
        dependent = ~basis.in_basis[node]
        if not dependent.any():
            continue
        keep = ~dependent
        dep_node = node[dependent]
        counts = basis.indptr[dep_node + 1] - basis.indptr[dep_node]
        starts = np.repeat(basis.indptr[dep_node], counts)
        offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        picked = starts + offsets
        new_node = basis.nodes[picked]
        new_term = (
            np.repeat(term[dependent] - dep_node * strides[d], counts) + new_node * strides[d]
        )
        rows = np.concatenate([rows[keep], np.repeat(rows[dependent], counts)])
        term = np.concatenate([term[keep], new_term])
        coef = np.concatenate(
            [coef[keep], np.repeat(coef[dependent], counts) * basis.coefs[picked]]
        )
    ids = np.searchsorted(keys, term)
    ids = np.minimum(ids, n - 1)
    if len(ids) and not np.array_equal(keys[ids], term):
        raise ValueError("a cell's margins are missing: tables must publish every margin")
    out: dict[int, dict[int, int]] = {int(c): {} for c in cells}
    for row, cell, a in zip(rows.tolist(), ids.tolist(), coef.tolist(), strict=True):
        out[row][cell] = out[row].get(cell, 0) + a
    return out


@dataclass(frozen=True)
class Relations:
    """Line relations that express each dependent cell through its neighbours.

    A line is a parent cell and its children along one dimension (``parent = Σ children``).
    ``dependent_lines`` (CSR by cell) lists the lines in which a cell is the dependent
    ("last") child, so that ``cell = parent - Σ other children``; a basis cell has none.
    Plain lists, built once per population and shared by every run of the elimination.
    """

    line_parent: list[int]
    line_indptr: list[int]
    line_children: list[int]
    dependent_indptr: list[int]
    dependent_lines: list[int]

    @staticmethod
    def of(
        line_parent: IntArray,
        line_indptr: IntArray,
        line_children: IntArray,
        dependent_indptr: IntArray,
        dependent_lines: IntArray,
    ) -> Relations:
        return Relations(
            line_parent.tolist(),
            line_indptr.tolist(),
            line_children.tolist(),
            dependent_indptr.tolist(),
            dependent_lines.tolist(),
        )


def combine(expansion: dict[int, dict[int, int]], combination: dict[int, int]) -> dict[int, int]:
    """``Σ coef · cell`` over basis cells (modulo :data:`MODULUS`), from cell expansions."""
    total: dict[int, int] = {}
    for cell, coef in sorted(combination.items()):
        for t, a in expansion[cell].items():
            total[t] = (total.get(t, 0) + coef * a) % MODULUS
    return {t: a for t, a in total.items() if a}


class Elimination:
    """The greedy Gauss suppression over one population's cells (see the module docstring).

    ``free`` marks the basis cells; ``expansion`` gives the primaries as sums of basis cells
    (rows of :func:`basis_expansion`, by cell id); ``relations`` give every dependent cell
    through a line. ``virtual`` adds protected combinations of cells, each already expanded
    over the basis cells (see :func:`combine`). :meth:`run`
    visits the candidates and returns the secondary suppressions; :meth:`disclosed_by` then
    answers "which primaries could a person who knows cell ``s`` compute?".
    """

    def __init__(
        self,
        free: Sequence[bool],
        primary: Sequence[bool],
        expansion: dict[int, dict[int, int]],
        relations: Relations,
        virtual: Sequence[dict[int, int]] = (),
    ) -> None:
        n = len(primary)
        self._n = n
        self._free = free
        self._line_parent = relations.line_parent
        self._line_indptr = relations.line_indptr
        self._line_children = relations.line_children
        self._dep_indptr = relations.dependent_indptr
        self._dep_lines = relations.dependent_lines
        self._primary = primary
        self._published = bytearray(n)
        self._suppressed = bytearray(n)
        self._rank = [n] * n
        self._pivot_of: dict[int, int] = {}  # basis cell -> index of its pivot vector
        self._pivots: list[dict[int, int]] = []  # normalized: 1 at the pivot cell
        self._rep: dict[int, dict[int, int]] = {}  # primary -> canonical representative
        self._index: dict[int, set[int]] = {}  # basis cell -> primaries whose rep uses it
        self._secondary_rep: dict[int, dict[int, int]] = {}  # a representative, maybe stale
        for p in sorted(expansion):
            self._suppressed[p] = 1
            rep = {t: a % MODULUS for t, a in expansion[p].items() if a % MODULUS}
            if not rep:
                raise ValueError("a primary cell has an empty expansion")
            self._rep[p] = rep
            for t in rep:
                self._index.setdefault(t, set()).add(p)
        for k, combination in enumerate(virtual):
            rep = {t: a for t, a in combination.items() if a}
            if rep:  # an empty combination is already known: nothing left to protect
                self._rep[n + k] = rep
                for t in rep:
                    self._index.setdefault(t, set()).add(n + k)

    # -- algebra --------------------------------------------------------------------------

    def _class_of(self, c: int) -> dict[int, int]:
        """A representative of cell ``c`` in the quotient (not yet reduced)."""
        if self._published[c]:
            return {}
        if self._suppressed[c]:
            if c in self._rep:
                return dict(self._rep[c])
            rep = self._reduce(dict(self._secondary_rep.get(c, {})))
            self._secondary_rep[c] = rep
            return dict(rep)
        if self._free[c]:
            return {c: 1}
        return self._through_line(c)

    def _through_line(self, c: int) -> dict[int, int]:
        """``c = parent - Σ siblings`` on its line with the fewest members still unvisited."""
        best: list[int] | None = None
        best_open = -1
        published, suppressed = self._published, self._suppressed
        for k in range(self._dep_indptr[c], self._dep_indptr[c + 1]):
            line = self._dep_lines[k]
            members = [self._line_parent[line]]
            members += self._line_children[self._line_indptr[line] : self._line_indptr[line + 1]]
            still_open = sum(1 for m in members if not (published[m] or suppressed[m])) - 1
            if best is None or still_open < best_open:
                best, best_open = members, still_open
                if still_open == 0:
                    break
        if best is None:  # pragma: no cover - a dependent cell always has a line
            raise AssertionError("a dependent cell without a line relation")
        v: dict[int, int] = {}
        for position, m in enumerate(best):
            if m == c:
                continue
            sign = 1 if position == 0 else -1
            for t, a in self._class_of(m).items():
                nv = (v.get(t, 0) + sign * a) % MODULUS
                if nv:
                    v[t] = nv
                else:
                    v.pop(t, None)
        return v

    def _reduce(self, v: dict[int, int]) -> dict[int, int]:
        """The canonical representative of ``v``: zero at every pivot and published cell."""
        pivot_of = self._pivot_of
        heap = [pivot_of[t] for t in v if t in pivot_of]
        if heap:
            heapq.heapify(heap)
            seen = set(heap)
            while heap:
                k = heapq.heappop(heap)
                q = self._pivots[k]
                j = next(iter(q))
                a = v.get(j)
                if not a:
                    continue
                for t, b in q.items():
                    nv = (v.get(t, 0) - a * b) % MODULUS
                    if nv:
                        if t not in v and t in pivot_of and pivot_of[t] not in seen:
                            seen.add(pivot_of[t])
                            heapq.heappush(heap, pivot_of[t])
                        v[t] = nv
                    else:
                        v.pop(t, None)
        published = self._published
        return {t: a for t, a in v.items() if not published[t]}

    def _disclosing(self, v: dict[int, int]) -> int | None:
        """A primary whose representative is proportional to ``v`` (non-empty), if any."""
        index = self._index
        best: set[int] | None = None
        anchor = -1
        for t in v:
            users = index.get(t)
            if not users:
                return None
            if best is None or len(users) < len(best) or (len(users) == len(best) and t < anchor):
                best, anchor = users, t
        if best is None:
            return None
        scale = pow(v[anchor], -1, MODULUS)
        size = len(v)
        for p in sorted(best):
            rep = self._rep[p]
            if len(rep) != size:
                continue
            a = rep[anchor] * scale % MODULUS
            if all(rep.get(t) == a * b % MODULUS for t, b in v.items()):
                return p
        return None

    def _publish_free(self, c: int) -> None:
        self._published[c] = 1
        users = self._index.pop(c, None)
        if users:
            for p in users:
                del self._rep[p][c]

    def _add_pivot(self, v: dict[int, int]) -> None:
        primary, index, suppressed, rank = self._primary, self._index, self._suppressed, self._rank
        j = min(
            v,
            key=lambda t: (
                primary[t],
                len(index.get(t, ())),
                not suppressed[t],
                -rank[t],
                t,
            ),
        )
        scale = pow(v[j], -1, MODULUS)
        q = {j: 1}
        for t, a in v.items():
            if t != j:
                q[t] = a * scale % MODULUS
        self._pivot_of[j] = len(self._pivots)
        self._pivots.append(q)
        for p in sorted(index.pop(j, ())):
            rep = self._rep[p]
            a = rep.pop(j)
            for t, b in q.items():
                if t == j:
                    continue
                nv = (rep.get(t, 0) - a * b) % MODULUS
                if nv:
                    if t not in rep:
                        index.setdefault(t, set()).add(p)
                    rep[t] = nv
                elif t in rep:
                    del rep[t]
                    users = index.get(t)
                    if users is not None:
                        users.discard(p)
                        if not users:
                            del index[t]
            if not rep:  # pragma: no cover - excluded by the check before publishing
                raise AssertionError("Gauss elimination disclosed a primary cell")

    # -- the greedy ---------------------------------------------------------------------------

    def run(self, order: Sequence[int]) -> list[int]:
        """Visit ``order`` (candidate cell ids, best first); return the secondary suppressions.

        A candidate is published unless that would make a primary exactly computable.
        """
        for position, c in enumerate(order):
            self._rank[c] = position
        secondary: list[int] = []
        free, pivot_of, index, rep = self._free, self._pivot_of, self._index, self._rep
        for c in order:
            if self._published[c] or self._suppressed[c]:
                continue
            if free[c] and c not in pivot_of:
                users = index.get(c)
                if users and any(len(rep[p]) == 1 for p in users):
                    self._suppressed[c] = 1
                    self._secondary_rep[c] = {c: 1}
                    secondary.append(c)
                else:
                    self._publish_free(c)
                continue
            v = self._reduce(self._class_of(c))
            if not v:
                self._published[c] = 1
                continue
            if self._disclosing(v) is not None:
                self._suppressed[c] = 1
                self._secondary_rep[c] = v
                secondary.append(c)
                continue
            self._add_pivot(v)
            self._published[c] = 1
        return secondary

    def disclosed_by(self, s: int) -> list[tuple[int, int]]:
        """Primary cells (other than ``s``) computable by someone who knows cell ``s``.

        Each comes as ``(p, a)``: ``p - a·s`` (coefficients modulo :data:`MODULUS`) is then a
        combination of published cells; protecting it as a virtual primary blocks that path.
        """
        v = self._reduce(self._class_of(s) if s not in self._rep else dict(self._rep[s]))
        if not v:
            return []
        found: list[tuple[int, int]] = []
        scale_anchor = min(v)
        scale = pow(v[scale_anchor], -1, MODULUS)
        size = len(v)
        for p in sorted(self._index.get(scale_anchor, ())):
            if p == s or p >= self._n:
                continue
            r = self._rep[p]
            if len(r) != size:
                continue
            a = r[scale_anchor] * scale % MODULUS
            if all(r.get(t) == a * b % MODULUS for t, b in v.items()):
                found.append((p, a))
        return found
