"""Aggregation: ingested sources → the populations and published tables of a release.

A **population** is one kind of unit counted one way (unique participants of the programme,
active firms at the end of a year, employees of active firms…). Its ``inner`` frame holds the
counts at the finest level of *all* its dimensions, every combination present (zeros
included), so disclosure control and the audit see the same grid release after release. Its
tables are margins of that grid: every table of a population uses the same dimension names
and codes (the linking rule of :mod:`odata.anonymize.model`), and every ``_T`` row of a table
is the total over that dimension.

Conventions of the inner frame:

* one text column per dimension, holding leaf codes; a hierarchical dimension (territory)
  holds its lowest level only (provinces): regions and ``_T`` are sums;
* a **non-additive** dimension (unique persons over actions) also holds ``_T`` rows, because
  its total is not the sum of its parts: a person in two actions is one person;
* ``value`` (an integer); for magnitude populations also ``contributors`` (units with a
  positive contribution), ``largest`` and ``second`` (the two largest contributions);
* ``decimals``: published values are ``value / 10**decimals`` (budget amounts are kept in
  cents, so that margins add up exactly).

Populations with ``controlled=False`` (budget lines, numbers of events: public activity of
the programme, about no person or firm) are published as computed: :func:`margins` makes
their tables and disclosure control skips them. :class:`Link` records cells of *different*
populations that are the same quantity (an attacker knows they are equal): the build checks
that each such pair is published, or suppressed, together.

The tables of each package are defined in :mod:`odata.anonymize.tables_progetto` and
:mod:`odata.anonymize.tables_imprese`; :func:`build_tables` runs both.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from odata.anonymize.model import TOTAL, Dimension, TableKind, TableSpec
from odata.config import Settings
from odata.errors import DataError, Problem
from odata.reference import read_codes

__all__ = [
    "AGE_BANDS",
    "Aggregate",
    "Link",
    "TableSet",
    "age_band",
    "build_tables",
    "categorical",
    "count_grid",
    "encode",
    "margins",
    "quarter",
    "slug",
    "sorted_table",
]

log = logging.getLogger(__name__)

#: Age bands (SDMX-style codes) used by every table with an age dimension.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Y_LT25", 0, 24),
    ("Y25T34", 25, 34),
    ("Y35T44", 35, 44),
    ("Y45T54", 45, 54),
    ("Y55T64", 55, 64),
    ("Y_GE65", 65, 200),
)


@dataclass(frozen=True)
class Aggregate:
    """One population: its counts at the inner level and the tables published from them.

    ``codes`` lists, per dimension, every code a published table may show (``_T`` first, then
    the code list's order, parents before their children), which also fixes the row order of
    the published files.
    """

    id: str
    package: str
    kind: TableKind
    dimensions: tuple[Dimension, ...]
    inner: pd.DataFrame
    tables: tuple[TableSpec, ...]
    codes: Mapping[str, tuple[str, ...]]
    controlled: bool = True
    decimals: int = 0

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)


@dataclass(frozen=True)
class Link:
    """Two cells of different populations that are one quantity (given by non-``_T`` codes)."""

    left: str
    left_cell: tuple[tuple[str, str], ...]
    right: str
    right_cell: tuple[tuple[str, str], ...]
    reason: str = ""


@dataclass(frozen=True)
class TableSet:
    """Every population of a release, and the cells that populations share."""

    aggregates: tuple[Aggregate, ...]
    links: tuple[Link, ...] = field(default_factory=tuple)

    @property
    def controlled(self) -> tuple[Aggregate, ...]:
        return tuple(a for a in self.aggregates if a.controlled)

    @property
    def public(self) -> tuple[Aggregate, ...]:
        return tuple(a for a in self.aggregates if not a.controlled)

    @property
    def specs(self) -> tuple[TableSpec, ...]:
        return tuple(spec for a in self.aggregates for spec in a.tables)


def build_tables(sources: Mapping[str, pa.Table], *, key: bytes, settings: Settings) -> TableSet:
    """Every population of both statistical packages, from the tables :func:`ingest` returned.

    ``key`` is the pseudonym key: participants are counted once each by the HMAC of their
    codice fiscale, which exists only in memory here.

    Raises:
        DataError: a source holds a code outside the code lists of the tables (for example a
            register of a chamber that is not in the programme), or no business-register year.
    """
    from odata.anonymize.tables_imprese import imprese_tables
    from odata.anonymize.tables_progetto import progetto_tables

    progetto = progetto_tables(sources, key=key, settings=settings)
    imprese = imprese_tables(sources, settings=settings)
    result = TableSet(
        aggregates=progetto.aggregates + imprese.aggregates,
        links=progetto.links + imprese.links,
    )
    for spec in result.specs:
        log.info("%s · tables · %s (%s)", spec.package, spec.name, spec.population)
    return result


# --- helpers shared by the two packages ---------------------------------------------------


def quarter(dates: pd.Series) -> pd.Series:
    """``YYYY-Qn`` of each date (a datetime-like or ``date`` series)."""
    stamp = pd.to_datetime(dates)
    return stamp.dt.year.astype(str) + "-Q" + stamp.dt.quarter.astype(str)


def quarters_between(start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, ...]:
    """Every quarter from the one holding ``start`` to the one holding ``end``."""
    periods = pd.period_range(start=start, end=end, freq="Q")
    return tuple(f"{p.year}-Q{p.quarter}" for p in periods)


def age_band(ages: pd.Series) -> pd.Series:
    """The :data:`AGE_BANDS` code of each age in whole years."""
    bins = [band[1] for band in AGE_BANDS] + [AGE_BANDS[-1][2] + 1]
    labels = [band[0] for band in AGE_BANDS]
    return pd.cut(ages, bins=bins, labels=labels, right=False).astype(str)


def slug(text: str) -> str:
    """A code made from a label: lower case ASCII words joined by ``-``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def area_of_countries() -> dict[str, str]:
    """ISO alpha-2 country → UN M49 area code (the ``continent`` of ``paesi``)."""
    return {row["code"]: row["continent"] for row in read_codes("paesi")}


def area_codes() -> tuple[str, ...]:
    return tuple(row["code"] for row in read_codes("aree"))


def section_of_divisions() -> dict[str, str]:
    """ATECO 2007 division (2 digits) → its section letter."""
    return {row["code"]: row["parent"] for row in read_codes("ateco") if row["level"] == "division"}


def section_codes() -> tuple[str, ...]:
    return tuple(row["code"] for row in read_codes("ateco") if row["level"] == "section")


def programme_chambers() -> tuple[str, ...]:
    """The chambers of commerce taking part in the programme, in the code list's order."""
    return tuple(
        row["code"] for row in read_codes("camere_commercio") if row["in_programme"] == "true"
    )


def action_codes() -> tuple[str, ...]:
    rows = sorted(read_codes("azioni"), key=lambda row: int(row["position"]))
    return tuple(row["code"] for row in rows)


def territory() -> tuple[Dimension, tuple[str, ...], tuple[str, ...]]:
    """The territory dimension (province → region → ``_T``), the province codes and every code
    in hierarchical order (``_T``, a region, its provinces, the next region…)."""
    rows = read_codes("territori")
    regions = [r["code"] for r in rows if r["level"] == "region"]
    provinces = [r for r in rows if r["level"] == "province"]
    hierarchy = {r["code"]: r["parent"] for r in provinces}
    hierarchy.update({code: TOTAL for code in regions})
    ordered: list[str] = [TOTAL]
    for region in regions:
        ordered.append(region)
        ordered.extend(sorted(r["code"] for r in provinces if r["parent"] == region))
    full = Dimension("territorio", hierarchy=hierarchy)
    return full, tuple(r["code"] for r in provinces), tuple(ordered)


def categorical(
    values: pd.Series, codes: Sequence[str], column: str, source: str
) -> pd.Categorical:
    """``values`` as a categorical over ``codes``; :class:`DataError` when a value is outside
    them (never silently dropped: a row outside the grid would vanish from every total)."""
    if isinstance(values.dtype, pd.CategoricalDtype) and list(values.cat.categories) == list(codes):
        result = pd.Categorical(values)
    else:
        result = pd.Categorical(values, categories=list(codes))
    outside = result.codes < 0
    if outside.any():
        unknown = sorted({str(v) for v in pd.Series(values)[outside].unique()})
        problems = [
            Problem(
                "code-outside-tables",
                f"{column} {code!r} is not among the codes the published tables use",
                file=source or None,
                column=column,
            )
            for code in unknown[:10]
        ]
        raise DataError(
            f"{len(unknown)} codes of {column} in {source} fall outside the published tables",
            problems=problems,
            hint="check the code lists in datapackage/riferimenti (e.g. in_programme)",
        )
    return result


def encode(
    column: pa.Array | pa.ChunkedArray,
    codes: Sequence[str],
    name: str,
    source: str,
    convert: Callable[[str], str | None] | None = None,
) -> pd.Categorical:
    """An Arrow column as a categorical over ``codes``, each distinct value ``convert``-ed once
    (millions of rows, a few distinct labels). Raises :class:`DataError` like
    :func:`categorical` when a value (or an empty cell) falls outside ``codes``."""
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    uniques = [str(v) for v in encoded.dictionary.to_pylist()]
    position = {code: i for i, code in enumerate(codes)}
    converted = [convert(u) if convert else u for u in uniques]
    lookup = np.array([position.get(c, -1) if c else -1 for c in converted] + [-1], np.int64)
    indices = encoded.indices.fill_null(len(uniques)).to_numpy(zero_copy_only=False)
    result = lookup[indices]
    if (result < 0).any():
        present = np.unique(indices[result < 0])
        bad = sorted({uniques[i] if i < len(uniques) else "" for i in present.tolist()})
        problems = [
            Problem(
                "code-outside-tables",
                f"{name} {value!r} is not among the codes the published tables use",
                file=source or None,
                column=name,
            )
            for value in bad[:10]
        ]
        raise DataError(
            f"{len(bad)} values of {name} in {source} fall outside the published tables",
            problems=problems,
            hint="check the code lists in datapackage/riferimenti",
        )
    return pd.Categorical.from_codes(result, categories=list(codes))


def count_grid(
    frame: pd.DataFrame,
    codes: Mapping[str, Sequence[str]],
    *,
    values: Mapping[str, str] | None = None,
    source: str = "",
) -> pd.DataFrame:
    """Counts (or sums) of ``frame`` over every combination of ``codes``, zeros included.

    ``codes`` maps each dimension column to its inner codes, in order. ``values`` maps an
    output column to the ``frame`` column summed into it (default: a row count in ``value``).

    Raises:
        DataError: a dimension column holds a value outside its codes.
    """
    names = list(codes)
    sizes = [len(codes[n]) for n in names]
    flat = np.zeros(len(frame), dtype=np.int64)
    for name, size in zip(names, sizes, strict=True):
        flat = flat * size + categorical(frame[name], codes[name], name, source).codes
    cells = math.prod(sizes)
    grid = pd.MultiIndex.from_product([list(codes[n]) for n in names], names=names)
    result = grid.to_frame(index=False)
    if values:
        for out, column in values.items():
            weights = frame[column].to_numpy(dtype=np.float64)
            result[out] = np.rint(np.bincount(flat, weights=weights, minlength=cells))
            result[out] = result[out].astype("int64")
    else:
        result["value"] = np.bincount(flat, minlength=cells).astype("int64")
    for name in names:
        result[name] = result[name].astype(str)
    return result


def margins(aggregate: Aggregate, spec: TableSpec) -> pd.DataFrame:
    """The cells of one table of a population, with ``_T`` margins, as long rows
    (dimension columns then ``value``), before any disclosure control."""
    frame = aggregate.inner[[d.name for d in aggregate.dimensions] + ["value"]]
    wanted = set(spec.dimension_names)
    for dim in aggregate.dimensions:
        if dim.name in wanted:
            continue
        if dim.additive:
            rest = [
                d.name
                for d in aggregate.dimensions
                if d.name in frame.columns and d.name != dim.name
            ]
            frame = frame.groupby(rest, sort=False, as_index=False)["value"].sum()
        else:
            frame = frame[frame[dim.name] == TOTAL].drop(columns=dim.name)
    names = list(spec.dimension_names)
    for dim in spec.dimensions:
        if not dim.additive:
            continue
        inner_dim = aggregate.dimension(dim.name)
        parts = [frame]
        current = frame
        while len(current):
            up = {code: inner_dim.parent(code) for code in current[dim.name].unique()}
            parent = current[dim.name].map(up)
            current = current[parent.notna()].assign(**{dim.name: parent[parent.notna()]})
            current = current.groupby(names, sort=False, as_index=False)["value"].sum()
            parts.append(current)
        frame = pd.concat(parts, ignore_index=True)
        if len(parts) > 2:  # leaves at several depths reach a node by several levels
            frame = frame.groupby(names, sort=False, as_index=False)["value"].sum()
        if inner_dim.hierarchy:
            shown = {*dim.hierarchy, TOTAL}
            frame = frame[frame[dim.name].isin(shown)]
    return sorted_table(frame[[*names, "value"]], aggregate.codes, names)


def sorted_table(
    frame: pd.DataFrame, codes: Mapping[str, Sequence[str]], names: Iterable[str]
) -> pd.DataFrame:
    """Rows in the code lists' order (``_T`` first), so the files are stable and readable."""
    names = list(names)
    order = pd.DataFrame(
        {n: pd.Categorical(frame[n], categories=list(codes[n])).codes for n in names},
        index=frame.index,
    )
    if (order < 0).to_numpy().any():
        bad = next(n for n in names if (order[n] < 0).any())
        raise ValueError(f"dimension {bad} holds a code outside its code list")
    ranked = order.sort_values(names, kind="stable").index
    return frame.loc[ranked].reset_index(drop=True)


def with_total(codes: Iterable[str]) -> tuple[str, ...]:
    """``_T`` followed by ``codes``."""
    return (TOTAL, *codes)


def spec(
    aggregate_id: str,
    package: str,
    kind: TableKind,
    name: str,
    dimensions: Sequence[Dimension],
    *,
    title: tuple[str, str],
    question: tuple[str, str],
) -> TableSpec:
    """A :class:`TableSpec` with its Italian and English title and question."""
    return TableSpec(
        name=name,
        package=package,
        kind=kind,
        population=aggregate_id,
        dimensions=tuple(dimensions),
        title_it=title[0],
        title_en=title[1],
        question_it=question[0],
        question_en=question[1],
    )


def aggregate(
    pop: str,
    package: str,
    kind: TableKind,
    dims: tuple[Dimension, ...],
    inner: pd.DataFrame,
    tables: tuple[TableSpec, ...],
    codes: Mapping[str, Sequence[str]],
    *,
    controlled: bool = True,
    decimals: int = 0,
) -> Aggregate:
    """An :class:`Aggregate` whose published codes are ``_T`` then ``codes`` of each dimension."""
    full = {d.name: with_total(c for c in codes[d.name] if c != TOTAL) for d in dims}
    return Aggregate(
        id=pop,
        package=package,
        kind=kind,
        dimensions=dims,
        inner=inner,
        tables=tables,
        codes=full,
        controlled=controlled,
        decimals=decimals,
    )


def cell(**codes: str) -> tuple[tuple[str, str], ...]:
    """A cell under the linking rule: its non-``_T`` coordinates, sorted by dimension."""
    return tuple(sorted((k, v) for k, v in codes.items() if v != TOTAL))
