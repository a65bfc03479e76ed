"""What only odata knows about a statistical table: obs_status/value coherence and margins.

A table whose resource has an ``x-odata`` block (a :class:`~odata.anonymize.model.TableSpec`)
is long: dimension columns, ``value``, ``obs_status``. ``obs_status`` is empty or ``C``; a
``C`` cell has an empty value and a shown cell a number. Along every additive dimension, a
row whose code has parts in the table (``_T``, or a region of provinces) equals the sum of
those parts, the other coordinates fixed, unless one of the cells involved is ``C`` (its
value is hidden) or not a number (reported already). Along a non-additive dimension (unique
persons over actions) each part is at most its total and the total at most the sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from odata.anonymize.model import CONFIDENTIAL, TOTAL, spec_from_dict
from odata.errors import Problem

__all__ = ["table_problems"]

_INDEX = "__index"
_STATUS_REASONS = {
    "bad": 'obs_status must be empty or "C"',
    "hidden": "a confidential (C) cell must have an empty value",
    "shown": "a cell that is not confidential needs a number",
}


def table_problems(
    x_odata: dict[str, Any], labels: list[str], frame: pl.DataFrame, file: str
) -> list[tuple[int, str, Problem]]:
    """(frame index, column, problem) for each status/value and margin problem."""
    try:
        spec = spec_from_dict(x_odata)
    except (KeyError, TypeError, ValueError):
        reason = "the x-odata block of this table cannot be read as a table specification"
        return [(-1, "", Problem("bad-descriptor", reason, file))]
    columns = {label: f"c{i}" for i, label in reversed(list(enumerate(labels)))}
    needed = [*spec.dimension_names, "value", "obs_status"]
    if any(name not in columns for name in needed):
        return []  # the header check already names the missing column
    status = pl.col(columns["obs_status"]).fill_null("")
    text = pl.col(columns["value"]).fill_null("")
    number = text.cast(pl.Float64, strict=False)
    hidden = status == CONFIDENTIAL
    cells = frame.select(
        *[pl.col(columns[d]).fill_null("").alias(d) for d in spec.dimension_names],
        pl.when(hidden).then(None).otherwise(number).alias("value"),
        hidden.alias("hidden"),
        (~status.is_in(["", CONFIDENTIAL])).alias("bad"),
        (hidden & (text != "")).alias("hidden_with_value"),
        (~hidden & number.is_null()).alias("shown_without_number"),
    ).with_row_index(_INDEX)
    found: list[tuple[int, str, Problem]] = []
    for mask, column, kind in (
        ("bad", "obs_status", "bad"),
        ("hidden_with_value", "value", "hidden"),
        ("shown_without_number", "value", "shown"),
    ):
        for index in np.flatnonzero(cells[mask].to_numpy()):
            problem = Problem("status-value", _STATUS_REASONS[kind], file, 0, column)
            found.append((int(index), column, problem))
    usable = cells.filter(~pl.col("bad"))
    for dim in spec.dimensions:
        found.extend(_margins(usable, spec.dimension_names, dim, file))
    return found


def _margins(
    cells: pl.DataFrame, dims: tuple[str, ...], dim: Any, file: str
) -> list[tuple[int, str, Problem]]:
    others = [d for d in dims if d != dim.name]
    codes = cells[dim.name].unique().to_list()
    parents = {c: dim.parent(c) for c in codes if c != TOTAL}
    parts = (
        cells.filter(pl.col(dim.name).is_in(list(parents)))
        .with_columns(pl.col(dim.name).replace_strict(parents, default=None).alias("__parent"))
        .group_by([*others, "__parent"])
        .agg(
            pl.col("value").sum().alias("parts_sum"),
            pl.col("value").max().alias("parts_max"),
            pl.col("value").count().alias("parts_known"),
            pl.len().alias("parts"),
            pl.col("hidden").any().alias("parts_hidden"),
        )
        .rename({"__parent": dim.name})
    )
    joined = cells.join(parts, on=[*others, dim.name], how="inner")
    complete = ~pl.col("hidden") & ~pl.col("parts_hidden") & pl.col("value").is_not_null()
    complete = complete & (pl.col("parts_known") == pl.col("parts"))
    tolerance = 1e-6 + 1e-9 * pl.col("value").abs()
    if dim.additive:
        wrong = complete & ((pl.col("value") - pl.col("parts_sum")).abs() > tolerance)
        reason = f"the total along {dim.name} differs from the sum of its parts"
    else:
        wrong = complete & (
            (pl.col("value") > pl.col("parts_sum") + tolerance)
            | (pl.col("parts_max") > pl.col("value") + tolerance)
        )
        reason = (
            f"the total along {dim.name} (not additive) is below one of its parts or above"
            " their sum"
        )
    hits = joined.filter(wrong)[_INDEX].to_numpy()
    return [(int(i), "value", Problem("margin-mismatch", reason, file, 0, "value")) for i in hits]
