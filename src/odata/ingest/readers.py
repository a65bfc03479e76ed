"""Readers: a raw CSV or XLSX file → batches of text cells, or a SourceError.

Everything is read as text first ("NA" is Napoli, "001" keeps its zeros); the checks convert
afterwards. The dialect is the one declared in the manifest and is never sniffed: a sniffer
that guesses wrong reads garbage silently. What the readers *do* look at is whether the
declaration is wrong, so they can say so ("the file seems to use ','").

CSV files are streamed in blocks by pyarrow (parsing the next block while the caller converts
this one), so memory stays bounded on the national business register. Row numbers are
physical: the header is row 1 (for an XLSX, its sheet row).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pa_csv

from odata.errors import Problem
from odata.ingest.encodings import choose_encoding, encoding_verdict, scan
from odata.ingest.schemas import Schema
from odata.ingest.structure import (
    check_size,
    empty_file,
    fold_label,
    header_only,
    header_problems,
    ragged_problem,
    show_delimiter,
    unreadable,
)
from odata.ingest.workbooks import read_xlsx
from odata.sources.manifest import DELIMITERS, SourceSpec

__all__ = ["DEFAULT_MAX_BYTES", "RawSource", "header_only", "read_raw"]

#: Larger files are refused before reading (the national register is ~350 MB as CSV).
DEFAULT_MAX_BYTES = 2 * 1024**3
_HEAD_BYTES = 64 * 1024
_BLOCK_BYTES = 8 * 1024**2  # pyarrow parses blocks of this size; ~150k register rows each


@dataclass(frozen=True)
class RawSource:
    """A source's cells as text, in batches with one column per schema column; "" is empty.

    ``first_row`` is the physical row of the first data row: data row ``i`` (0-based, over
    all batches) is row ``first_row + i``. Iterating ``batches`` can still raise
    :class:`SourceError` (a bad byte or a ragged row deep in the file).
    """

    batches: Iterator[pa.RecordBatch]
    first_row: int


def read_raw(spec: SourceSpec, schema: Schema, *, max_bytes: int, max_problems: int) -> RawSource:
    """Check ``spec``'s file's structure and start reading it as text cells.

    Raises:
        SourceError: the file is missing, too large, empty, not in its declared encoding,
            delimiter or format, has missing, renamed, extra or duplicated columns, ragged
            rows, or (XLSX) title rows above the header or a totals row. ``problems`` lists
            every structural problem found (up to ``max_problems``).
    """
    check_size(spec, max_bytes)
    if spec.format == "xlsx":
        batch, first_row = read_xlsx(spec, schema, max_problems)
        return RawSource(iter([batch]), first_row)
    return _read_csv(spec, schema, max_problems)


# --- CSV --------------------------------------------------------------------------------


def _read_csv(spec: SourceSpec, schema: Schema, max_problems: int) -> RawSource:
    with spec.path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head.replace(codecs.BOM_UTF8, b"").strip():
        raise empty_file(spec)
    encoding = choose_encoding(spec, head)
    line = _first_line(head, encoding)
    labels = _split(line, spec.delimiter)
    problems = _delimiter_problems(labels, line, schema, spec)
    problems = problems or header_problems(labels, schema, spec, row=1)
    if problems:
        raise unreadable(spec, problems, max_problems)
    columns = [[fold_label(x) for x in labels].index(name) for name in schema.names]
    batches = _csv_batches(spec, len(labels), columns, list(schema.names), encoding, max_problems)
    return RawSource(batches, first_row=2)


def _first_line(head: bytes, encoding: str) -> str:
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    return line.decode(codec, errors="replace")


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(line), delimiter=delimiter), [])


def _delimiter_problems(
    labels: list[str], line: str, schema: Schema, spec: SourceSpec
) -> list[Problem]:
    """A "wrong delimiter" problem when another delimiter splits the header into the schema's
    names better than the declared one does."""
    expected = set(schema.names)
    declared = len({fold_label(x) for x in labels} & expected)
    for other in DELIMITERS:
        if other == spec.delimiter:
            continue
        split = _split(line, other)
        matched = len({fold_label(x) for x in split} & expected)
        if len(split) > 1 and matched > declared and (len(labels) == 1 or declared == 0):
            return [
                Problem(
                    code="wrong-delimiter",
                    reason="the header is one column when split at"
                    f" {show_delimiter(spec.delimiter)} but {len(split)} columns when split at"
                    f" {show_delimiter(other)}",
                    file=spec.label,
                    row=1,
                    hint=f"set delimiter = {show_delimiter(other)} for this file in sources.toml,"
                    " or export it again with the declared delimiter",
                )
            ]
    return []


def _csv_batches(
    spec: SourceSpec,
    width: int,
    columns: list[int],
    names: list[str],
    encoding: str,
    max_problems: int,
) -> Iterator[pa.RecordBatch]:
    """Stream the file's cells as text (pyarrow parses the next block while the caller
    converts this one), keeping the schema's columns in the schema's order.

    An undeclared file found to be Windows-1252 past the first block goes on as cp1252: the
    verdict means the blocks already read were plain ASCII, identical in both encodings.
    """
    done = 0
    while True:
        ragged: list[int | None] = []
        try:
            for batch in _open_csv(spec, width, encoding, skip=done, ragged=ragged):
                if batch.num_rows:
                    done += batch.num_rows
                    yield pa.RecordBatch.from_arrays(
                        [batch.column(i) for i in columns], names=names
                    )
            break
        except pa.ArrowInvalid as exc:  # never show its message: it may quote a row
            encoding = _after_invalid(spec, encoding, exc)
    if ragged:
        rows = _ragged_rows(spec, width, encoding, max_problems)
        problems = [ragged_problem(spec, row, width) for row in rows]
        raise unreadable(spec, problems, max_problems)


def _after_invalid(spec: SourceSpec, encoding: str, exc: pa.ArrowInvalid) -> str:
    """The encoding to go on with after pyarrow refused the bytes, or the SourceError."""
    if encoding != "utf-8" or "utf8" not in str(exc).lower():
        problem = Problem(
            code="unreadable-source",
            reason="the file cannot be parsed as CSV with the declared dialect",
            file=spec.label,
            hint="check delimiter and quotes; open it in a spreadsheet and export again",
        )
        raise unreadable(spec, [problem], 1) from None
    verdict = encoding_verdict(spec, scan(spec.path))
    if verdict == encoding:  # pyarrow and the scan disagree: do not loop
        problem = Problem(code="bad-encoding", reason="the file is not UTF-8", file=spec.label)
        raise unreadable(spec, [problem], 1) from None
    return verdict


def _open_csv(
    spec: SourceSpec,
    width: int,
    encoding: str,
    *,
    skip: int = 0,
    ragged: list[int | None] | None = None,
    threads: bool = True,
) -> pa_csv.CSVStreamingReader:
    """A streaming reader of every cell as text: "NA" stays Napoli, "001" keeps its zeros."""

    def on_invalid_row(row: pa_csv.InvalidRow) -> str:
        if ragged is not None:
            ragged.append(row.number)
        return "skip"

    names = [f"c{i}" for i in range(width)]
    return pa_csv.open_csv(
        spec.path,
        read_options=pa_csv.ReadOptions(
            column_names=names,
            skip_rows=1,
            skip_rows_after_names=skip,
            encoding=encoding,
            use_threads=threads,
            block_size=_BLOCK_BYTES,
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=spec.delimiter,
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid_row,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _ragged_rows(spec: SourceSpec, width: int, encoding: str, limit: int) -> list[int]:
    """Physical rows with the wrong number of cells (read again on one thread: pyarrow
    numbers rows only then)."""
    rows: list[int | None] = []
    for _ in _open_csv(spec, width, encoding, ragged=rows, threads=False):
        pass
    return [row for row in rows if row is not None][:limit]
