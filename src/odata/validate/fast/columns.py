"""One text column checked against its per-cell rules: on its distinct values when it has few.

A register repeats a few values in most of its columns (107 provinces, 21 sectors, some
15,000 dates over millions of rows), and every per-cell rule looks at the cell alone. So such a
column is checked on its distinct values (pyarrow's ``dictionary_encode``: each cell becomes
the number of its value), each value is judged once per batch, and a rule's verdicts on the
values are spread back to the rows through those numbers. A column with many distinct values
(an id) is checked row by row in polars. Both ways find the same rows: a rule's verdict on a
cell depends on nothing but the cell's text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from odata.validate.fast.reader import POOL, to_numpy, to_series

__all__ = ["CELL", "CELL_NAME", "CellRule", "ColumnChecker", "ColumnVerdict"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Column: TypeAlias = "pa.Array | pa.ChunkedArray"  # a batch's column or a table's

CELL_NAME = "cell"
CELL = pl.col(CELL_NAME)  # the rules are written over this one column
#: a batch is checked by value when its distinct values are at most this share of its rows
_BY_VALUE = 0.5
_MISSING = "__missing"
_TYPED = "__typed"


@dataclass(frozen=True)
class CellRule:
    code: str
    reason: str
    mask: pl.Expr  # over CELL: true where the cell breaks the rule


@dataclass
class ColumnVerdict:
    """One batch of one column."""

    hits: list[tuple[CellRule, IntArray]]  # each broken rule and its rows, in rule order
    missing_any: bool
    missing_rows: Callable[[], IntArray]
    missing_at: Callable[[IntArray], BoolArray]  # are these rows' cells missing
    typed: pl.Series | None  # the cast values, when asked for


class ColumnChecker:
    """The rules of one column, applied batch after batch.

    ``missing`` (over CELL) tells a missing cell; ``typed``, when given, is the value the
    keys see (null where missing or mistyped), computed for every row.
    """

    def __init__(self, missing: pl.Expr, rules: list[CellRule], typed: pl.Expr | None) -> None:
        self.missing = missing
        self.rules = rules
        self.typed = typed
        self.by_value: bool | None = None  # once False (many values), row by row for good

    def check(self, column: Column) -> ColumnVerdict:
        """The problems of this batch's ``column``."""
        if isinstance(column, pa.ChunkedArray):  # a table read whole: one dictionary
            column = column.combine_chunks(memory_pool=POOL)
        if self.by_value is not False:
            # every cell as the position of its value among the batch's distinct values
            encoded = pc.dictionary_encode(column, null_encoding="encode", memory_pool=POOL)
            self.by_value = len(encoded.dictionary) <= _BY_VALUE * max(len(column), 1)
            if self.by_value:
                return self._by_value(column, encoded)
        return self._by_row(to_series(column))

    def _by_value(self, column: pa.Array, encoded: pa.DictionaryArray) -> ColumnVerdict:
        codes = to_numpy(encoded.indices)
        verdicts = self._judge(encoded.dictionary)  # one row per distinct value
        hits = [
            (rule, np.flatnonzero(verdicts[:, 1 + j][codes]).astype(np.int64))
            for j, rule in enumerate(self.rules)
            if verdicts[:, 1 + j].any()
        ]
        missing = verdicts[:, 0]
        return ColumnVerdict(
            hits=hits,
            missing_any=bool(missing.any()),
            missing_rows=lambda: np.flatnonzero(missing[codes]).astype(np.int64),
            missing_at=lambda rows: np.asarray(missing[codes[rows]], dtype=np.bool_),
            typed=self._typed(to_series(column)) if self.typed is not None else None,
        )

    def _judge(self, values: pa.Array) -> npt.NDArray[np.bool_]:
        """Each value's verdicts: missing, then each rule (one row per value).

        Judged anew in every batch: looking the values up among those of earlier batches
        costs more than running the rules again on a few thousand values.
        """
        cells = to_series(values).to_frame(CELL_NAME)
        return cells.select(_masks(self.missing, self.rules)).to_numpy().astype(np.bool_)

    def _by_row(self, series: pl.Series) -> ColumnVerdict:
        cells = series.to_frame(CELL_NAME)
        extra = [self.typed.alias(_TYPED)] if self.typed is not None else []
        frame = cells.select(*_masks(self.missing, self.rules), *extra)
        flags = frame.select(pl.exclude(_TYPED)).to_numpy().astype(np.bool_)  # a row per row
        hits = [
            (rule, np.flatnonzero(flags[:, 1 + j]).astype(np.int64))
            for j, rule in enumerate(self.rules)
            if flags[:, 1 + j].any()
        ]
        missing = flags[:, 0]
        return ColumnVerdict(
            hits=hits,
            missing_any=bool(missing.any()),
            missing_rows=lambda: np.flatnonzero(missing).astype(np.int64),
            missing_at=lambda rows: np.asarray(missing[rows], dtype=np.bool_),
            typed=frame[_TYPED] if self.typed is not None else None,
        )

    def _typed(self, series: pl.Series) -> pl.Series:
        assert self.typed is not None
        return series.to_frame(CELL_NAME).select(self.typed.alias(_TYPED)).to_series()


def _masks(missing: pl.Expr, rules: list[CellRule]) -> list[pl.Expr]:
    """Missing cells and each rule's broken cells, as boolean columns (null is false)."""
    return [
        missing.fill_null(False).alias(_MISSING),
        *(rule.mask.fill_null(False).alias(f"r{j}") for j, rule in enumerate(rules)),
    ]
