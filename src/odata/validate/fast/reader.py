"""Read a CSV as text cells with pyarrow, reporting ragged rows instead of aborting on them.

Every cell is read as text (never cast by the reader: pyarrow would turn 2020-02-30 into
2020-03-01); empty lines are kept as rows, so row numbers stay those of the file (header = 1)
and blank rows can be reported.

A table is streamed in batches of a few megabytes (:meth:`TableSource.batches`) and never
held whole: at 6M rows that keeps the peak memory in the hundreds of megabytes, and the same
memory is reused batch after batch (fresh memory costs the kernel more than the checks cost
us).

A row with fewer or more cells than the header stops the stream; the table is then read
exactly, at once, by :func:`read_table`: the row goes to an ``invalid_row_handler`` that
records it, is parsed again with Python's csv module, padded with missing (null) cells and
put back at its place.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
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

__all__ = [
    "POOL",
    "NotPlain",
    "Ragged",
    "TableSource",
    "TableText",
    "column_name",
    "file_digest",
    "open_table",
    "read_table",
    "to_arrow",
    "to_numpy",
    "to_series",
]

IntArray = npt.NDArray[np.int64]
_BLOCK = 1 << 24
_BATCH = 1 << 22  # bytes of CSV per streamed batch: small enough to reuse the same memory


def _pool() -> pa.MemoryPool:
    """Where pyarrow's memory comes from here: jemalloc when pyarrow has it.

    With mimalloc (pyarrow's default) a fifth of the CPU time at 1M rows went to the kernel,
    zeroing fresh huge pages for it batch after batch; jemalloc reuses the memory it freed.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it
        return pa.default_memory_pool()


POOL = _pool()


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
    table: pa.Table  # one text column per label, null where a ragged row lacks the cell
    rows: IntArray  # the file's row number of each table row
    ragged: list[Ragged] = field(default_factory=list)

    @property
    def height(self) -> int:
        return int(self.table.num_rows)

    def frame(self) -> pl.DataFrame:
        """The whole table in polars (for the rules that look at whole rows)."""
        frame = pl.from_arrow(self.table)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def series(self, position: int) -> pl.Series:
        """One column in polars."""
        return to_series(self.table.column(position))


def to_series(column: pa.ChunkedArray | pa.Array) -> pl.Series:
    """A pyarrow column as a polars Series.

    polars is also the bridge between pyarrow and numpy here (:func:`to_numpy`,
    :func:`to_arrow`): pyarrow's own conversions import pandas, a third of a second.
    """
    series = pl.from_arrow(column)
    assert isinstance(series, pl.Series)
    return series


def to_numpy(column: pa.Array) -> npt.NDArray[Any]:
    """A pyarrow array of numbers without nulls as numpy (no copy)."""
    return to_series(column).to_numpy()


def to_arrow(values: npt.NDArray[Any] | list[str | None]) -> pa.Array:
    """numpy values, or texts, as a pyarrow array (texts as ``string``, as read)."""
    if isinstance(values, list):
        return pl.Series(values, dtype=pl.String).to_arrow().cast(pa.string())
    return pl.Series(values).to_arrow()


class NotPlain(Exception):
    """The stream met a row with another number of cells than the header (or a record split
    by a quoted line break, or anything else it could not parse): the table must be read
    again, exactly, by :func:`read_table`, which also tells what is wrong with the file."""


@dataclass
class TableSource:
    """A CSV whose header has been read: its cells come by :meth:`batches` or, for a table
    that needs it, all at once by :func:`read_table`."""

    spec: ResourceSpec
    file: str
    labels: list[str]

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The text cells, a few megabytes at a time, so that memory stays bounded whatever
        the file's size (the checks take each batch on another core).

        Raises NotPlain at a row with another number of cells than the header (the fast
        reader cannot put it back at its place) or at an error (a file that is not UTF-8 CSV).
        """
        bad: list[object] = []

        def handler(row: Any) -> str:
            bad.append(row)
            return "skip"

        options = _options(self.spec, len(self.labels), exact=False, handler=handler)
        try:
            # mapped, not read: the file's pages are the page cache's, where reading would
            # fill fresh memory of our own, which this machine's kernel makes costly
            with pa.memory_map(str(self.spec.path)) as mapped:
                whole = pa.BufferReader(mapped.read_buffer())
                for batch in pa_csv.open_csv(whole, **options, memory_pool=POOL):
                    if bad:
                        raise NotPlain
                    yield batch
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise NotPlain from exc
        if bad:
            raise NotPlain


def open_table(spec: ResourceSpec, file: str) -> TableSource | Problem:
    """The table with its header read, or the Problem that stops reading it at all."""
    assert spec.path is not None
    if not spec.path.is_file():
        return Problem(code="scheme-error", reason="the file does not exist", file=file)
    try:
        labels = _labels(spec)
    except UnicodeDecodeError:
        return Problem(code="encoding-error", reason="the file is not valid UTF-8", file=file)
    if not labels:
        return Problem(code="source-error", reason="the file is empty", file=file)
    return TableSource(spec, file, labels)


def read_table(source: TableSource) -> TableText | Problem:
    """All the table's text cells, read exactly: line breaks inside quoted cells, and rows
    with too few or too many cells put back at their place (one thread, whole table)."""
    spec, labels = source.spec, source.labels
    bad: list[tuple[int | None, str]] = []

    def handler(row: Any) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        options = _options(spec, len(labels), exact=True, handler=handler)
        table = pa_csv.read_csv(spec.path, **options, memory_pool=POOL)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        return _unreadable(exc, source.file)
    total = table.num_rows + len(bad)
    numbers = np.arange(2, total + 2, dtype=np.int64)
    if not bad:
        return TableText(labels, table, numbers)
    skipped = np.array([number for number, _ in bad], dtype=np.int64)
    rows = numbers[~np.isin(numbers, skipped)]
    width = len(labels)
    repaired: list[list[str | None]] = []
    ragged: list[Ragged] = []
    for number, text in bad:
        cells = next(csv.reader(io.StringIO(text), delimiter=spec.delimiter), [])
        ragged.append(Ragged(int(number or 0), len(cells)))
        repaired.append([*cells[:width], *([None] * (width - len(cells)))])
    extra = pa.table(
        {
            column_name(i): to_arrow(list(cells))
            for i, cells in enumerate(zip(*repaired, strict=True))
        },
        schema=table.schema,
    )
    rows = np.concatenate([rows, skipped])
    order = np.argsort(rows, kind="stable")
    whole = pa.concat_tables([table, extra]).take(to_arrow(order))
    return TableText(labels, whole, rows[order], ragged)


def _unreadable(exc: Exception, file: str) -> Problem:
    if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError):
        return Problem(code="encoding-error", reason="the file is not valid UTF-8", file=file)
    return Problem(code="source-error", reason="the file cannot be read as CSV", file=file)


def _labels(spec: ResourceSpec) -> list[str]:
    assert spec.path is not None
    with spec.path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=spec.delimiter, quotechar=spec.quote_char)
        return next(reader, [])


def _options(
    spec: ResourceSpec, width: int, *, exact: bool, handler: Callable[[Any], str]
) -> dict[str, Any]:
    """pyarrow's options to read every cell as text, empty lines kept as (blank) rows.

    ``exact``: line breaks inside quoted cells, and row numbers for the invalid rows. Always
    on one thread: pyarrow's threaded reading took twice the CPU time, and the checks keep
    the other cores busy.
    """
    names = [column_name(i) for i in range(width)]
    return {
        "read_options": pa_csv.ReadOptions(
            use_threads=False,
            column_names=names,
            skip_rows=1,
            block_size=_BLOCK if exact else _BATCH,
        ),
        "parse_options": pa_csv.ParseOptions(
            delimiter=spec.delimiter,
            quote_char=spec.quote_char,
            newlines_in_values=exact,
            ignore_empty_lines=False,
            invalid_row_handler=handler,
        ),
        "convert_options": pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


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
