"""Read a CSV as text cells with pyarrow, reporting ragged rows instead of aborting on them.

Every cell is read as text (never cast by the reader: pyarrow would turn 2020-02-30 into
2020-03-01); empty lines are kept as rows, so row numbers stay those of the file (header = 1)
and blank rows can be reported. A row with fewer or more cells than the header goes to an
``invalid_row_handler`` that records it; it is parsed again with Python's csv module, padded
with missing (null) cells, and put back at its place.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from odata.errors import Problem
from odata.validate import reasons
from odata.validate.fast.descriptor import ResourceSpec

__all__ = ["Ragged", "TableText", "column_name", "file_digest", "read_table"]

IntArray = npt.NDArray[np.int64]
_BLOCK = 1 << 24


def column_name(position: int) -> str:
    """Columns are named by position: labels may be blank or repeated."""
    return f"c{position}"


@dataclass
class Ragged:
    row: int
    cells: int  # how many cells the row has


@dataclass
class TableText:
    labels: list[str]
    frame: pl.DataFrame  # one text column per label, null where a ragged row lacks the cell
    rows: IntArray  # the file's row number of each frame row
    ragged: list[Ragged] = field(default_factory=list)


def read_table(spec: ResourceSpec, file: str) -> TableText | Problem:
    """The table's text cells, or the Problem that stops reading it at all."""
    assert spec.path is not None
    if not spec.path.is_file():
        return Problem(code="scheme-error", reason="the file does not exist", file=file)
    try:
        labels = _labels(spec)
    except UnicodeDecodeError:
        return Problem(code="encoding-error", reason="the file is not valid UTF-8", file=file)
    if not labels:
        return Problem(code="source-error", reason="the file is empty", file=file)
    try:
        # Without quoted line breaks the reader is twice as fast. A record broken by one
        # gives a piece with too few cells (unless the table has one column), so any
        # invalid row sends the file to the exact, single-threaded reading.
        table, bad = _read(spec, len(labels), exact=len(labels) == 1)
        if bad:
            table, bad = _read(spec, len(labels), exact=True)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError):
            return Problem(code="encoding-error", reason="the file is not valid UTF-8", file=file)
        return Problem(code="source-error", reason="the file cannot be read as CSV", file=file)
    frame = _to_polars(table)
    total = frame.height + len(bad)
    numbers = np.arange(2, total + 2, dtype=np.int64)
    if not bad:
        return TableText(labels, frame, numbers)
    skipped = np.array([number for number, _ in bad], dtype=np.int64)
    rows = numbers[~np.isin(numbers, skipped)]
    width = len(labels)
    repaired: list[list[str | None]] = []
    ragged: list[Ragged] = []
    for number, text in bad:
        cells = next(csv.reader(io.StringIO(text), delimiter=spec.delimiter), [])
        ragged.append(Ragged(int(number or 0), len(cells)))
        repaired.append([*cells[:width], *([None] * (width - len(cells)))])
    extra = pl.DataFrame(
        [list(c) for c in zip(*repaired, strict=True)],
        schema={column_name(i): pl.String for i in range(width)},
        orient="col",
    )
    frame = pl.concat([frame, extra])
    rows = np.concatenate([rows, skipped])
    order = np.argsort(rows, kind="stable")
    return TableText(labels, frame[order], rows[order], ragged)


def _to_polars(table: pa.Table) -> pl.DataFrame:
    """Column by column, freeing each pyarrow column once polars has its own copy, so the
    table is never held twice (peak RSS)."""
    columns: list[pl.Series] = []
    for name in table.column_names:
        series = pl.from_arrow(table.column(name))
        assert isinstance(series, pl.Series)
        columns.append(series.alias(name))
        table = table.drop_columns([name])
    return pl.DataFrame(columns)


def _labels(spec: ResourceSpec) -> list[str]:
    assert spec.path is not None
    with spec.path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=spec.delimiter, quotechar=spec.quote_char)
        return next(reader, [])


def _read(
    spec: ResourceSpec, width: int, *, exact: bool
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    """The text table and the rows that do not have ``width`` cells (row number, text).

    ``exact``: line breaks inside quoted cells, and row numbers for the invalid rows (which
    pyarrow knows only when reading on one thread).
    """
    bad: list[tuple[int | None, str]] = []

    def handler(row: Any) -> str:
        bad.append((row.number, row.text))
        return "skip"

    names = [column_name(i) for i in range(width)]
    table = pa_csv.read_csv(
        spec.path,
        read_options=pa_csv.ReadOptions(
            use_threads=not exact, column_names=names, skip_rows=1, block_size=_BLOCK
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=spec.delimiter,
            quote_char=spec.quote_char,
            newlines_in_values=exact,
            ignore_empty_lines=False,
            invalid_row_handler=handler,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, bad


def file_digest(path: Path, algorithm: str) -> tuple[int, str]:
    """Size in bytes and hex digest of ``path``."""
    digest = hashlib.new(algorithm)
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            size += len(block)
            digest.update(block)
    return size, digest.hexdigest()


def hash_problems(spec: ResourceSpec, file: str) -> list[Problem]:
    """byte-count and hash-count, as frictionless checks them, when the descriptor has them."""
    if spec.path is None or not spec.path.is_file() or (spec.bytes is None and not spec.hash):
        return []
    algorithm, _, expected = (spec.hash or "").rpartition(":")
    algorithm = algorithm or "md5"
    size, digest = file_digest(spec.path, algorithm if spec.hash else "md5")
    problems: list[Problem] = []
    if spec.hash and digest != expected.lower():
        problems.append(
            Problem(code="hash-count", reason=reasons.hash_reason(algorithm), file=file)
        )
    if spec.bytes is not None and size != int(spec.bytes):
        problems.append(Problem(code="byte-count", reason=reasons.BYTE_COUNT, file=file))
    return problems
