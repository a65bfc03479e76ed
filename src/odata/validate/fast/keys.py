"""Unique fields, primary keys and foreign keys over typed columns, as frictionless reads them.

A repeat is reported from its second occurrence on, naming the occurrence just before it; a
cell with a type error counts as empty; a primary key whose cells are all empty is itself a
problem; a foreign key whose cells are all empty is not checked, one with only some empty is.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["missing_references", "repeats"]

IntArray = npt.NDArray[np.int64]
_INDEX = "__index"


def repeats(
    typed: pl.DataFrame, names: list[str], *, skip_empty: bool
) -> tuple[IntArray, IntArray]:
    """Frame indices of rows repeating an earlier row's ``names`` values, and that row's index.

    ``skip_empty``: rows whose values are all null take no part (unique fields); otherwise
    they are compared like any other value (primary keys, where they are reported apart).
    """
    key = pl.struct(names) if len(names) > 1 else pl.col(names[0])
    present = ~pl.all_horizontal(pl.col(names).is_null())
    if _all_distinct(typed, key, present if skip_empty else None):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    frame = typed.select(names).with_row_index(_INDEX)
    if skip_empty:
        frame = frame.filter(present)
    previous = pl.col(_INDEX).shift(1).over(names)
    found = frame.select(pl.col(_INDEX), previous.alias("previous")).drop_nulls("previous")
    return (
        found[_INDEX].to_numpy().astype(np.int64),
        found["previous"].to_numpy().astype(np.int64),
    )


def _all_distinct(typed: pl.DataFrame, key: pl.Expr, present: pl.Expr | None) -> bool:
    """True when no two (``present``) rows share a key, proved on 64-bit hashes of the keys.

    Equal keys have equal hashes, so as many distinct hashes as rows means as many distinct
    keys; a collision only sends the caller to the exact comparison. Hashing first is about
    four times quicker than comparing the texts (the usual case: no repeats at all).
    """
    hashes, rows = key.hash(), pl.len()
    if present is not None:
        hashes, rows = hashes.filter(present), present.sum()
    distinct, counted = typed.select(hashes.n_unique().alias("d"), rows.alias("n")).row(0)
    return bool(distinct == counted)


def all_empty(typed: pl.DataFrame, names: list[str]) -> IntArray:
    """Frame indices of rows whose ``names`` cells are all empty (or mistyped)."""
    mask = typed.select(pl.all_horizontal(pl.col(names).is_null())).to_series()
    return np.flatnonzero(mask.to_numpy()).astype(np.int64)


def missing_references(
    child: pl.DataFrame, fields: list[str], parent: pl.DataFrame, reference: list[str]
) -> IntArray:
    """Frame indices of child rows whose ``fields`` tuple is not among the parent's tuples."""
    if len(fields) == 1:
        return _missing_values(child[fields[0]], parent[reference[0]])
    keys = [f"k{i}" for i in range(len(fields))]
    left = (
        child.select(
            [pl.col(f).cast(pl.String).alias(k) for f, k in zip(fields, keys, strict=True)]
        )
        .with_row_index(_INDEX)
        .filter(~pl.all_horizontal(pl.col(keys).is_null()))
    )
    right = (
        parent.select(
            [pl.col(f).cast(pl.String).alias(k) for f, k in zip(reference, keys, strict=True)]
        )
        .filter(~pl.all_horizontal(pl.col(keys).is_null()))
        .unique()
    )
    lost = left.join(right, on=keys, how="anti", nulls_equal=True)
    return np.sort(lost[_INDEX].to_numpy().astype(np.int64))


def _missing_values(child: pl.Series, parent: pl.Series) -> IntArray:
    """One-field keys: a lookup in the parent's (few) values, not a join of every row."""
    known = parent.cast(pl.String).drop_nulls().unique()
    cells = child.cast(pl.String)
    lost = (cells.is_not_null() & ~cells.is_in(known.implode())).fill_null(False)
    return np.flatnonzero(lost.to_numpy()).astype(np.int64)
