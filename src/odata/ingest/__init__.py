"""Ingest: raw source files → typed, normalised, checked Arrow tables.

Three entry points, from the most lenient to the strictest:

* :func:`read_source` reads one file. A file it cannot read (encoding, delimiter, columns,
  empty…) raises :class:`~odata.errors.SourceError` (exit 3); bad *values* come back as
  ``problems`` beside the table, so ``odata sources check`` can list them all.
* :func:`check_sources` reads every file of the manifest and never stops at the first bad
  one: each file's result, readable or not, is in the returned mapping.
* :func:`ingest` is what ``odata build`` calls: every table, or an exception listing every
  problem of every file. It never returns half a set of sources.

Problems give file, physical row and column, and a value only for non-personal columns.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odata.config import Settings
from odata.errors import DataError, Problem, SourceError
from odata.ingest.checks import (
    Context,
    Finding,
    duplicate_keys,
    table_checks,
    to_problems,
    unknown_firms,
)
from odata.ingest.keys import KeyPartitions, Pieces, partition_keys
from odata.ingest.normalise import Cells, arrow_type, convert
from odata.ingest.readers import DEFAULT_MAX_BYTES, RawSource, header_only, read_raw
from odata.ingest.schemas import SCHEMAS, Schema, schema_for
from odata.sources.manifest import CHAMBER_KINDS, SourceSpec

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PROBLEMS",
    "SCHEMAS",
    "Ingested",
    "check_sources",
    "ingest",
    "read_source",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_PROBLEMS = 100
_WORKERS = min(os.cpu_count() or 1, 8)  # columns are converted in parallel threads


@dataclass(frozen=True)
class Ingested:
    """One source read: its typed table and the problems of its values.

    ``readable`` is False when the file's structure could not be read (then ``table`` is
    empty and ``problems`` are the structural ones). Registers and events lists get a leading
    ``camera`` column with the manifest's chamber, so several chambers' tables can be stacked.
    Table row ``i`` is row ``first_row + i`` of the file: an empty row inside the file stays,
    as a row of nulls (it is reported); empty rows at the end are dropped.
    """

    spec: SourceSpec
    table: pa.Table
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True
    first_row: int = 2

    @property
    def ok(self) -> bool:
        return self.readable and not self.problems


def read_source(
    spec: SourceSpec,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    settings: Settings | None = None,
    today: dt.date | None = None,
) -> Ingested:
    """Read, normalise and check one source file (opened read-only, never changed).

    ``settings`` gives the programme's dates and budget (default: built-in settings);
    ``today`` is the date after which a birth date is in the future.

    Raises:
        SourceError: the file cannot be read as declared; ``problems`` says where and why.
    """
    schema = schema_for(spec.kind)
    raw = read_raw(spec, schema, max_bytes=max_bytes, max_problems=max_problems)
    converted = _convert_all(schema, raw, spec)
    if not len(converted.blank):
        raise header_only(spec, row=raw.first_row - 1)
    context = _context(raw, settings or Settings(), today or dt.date.today(), converted.empty)
    findings = converted.findings
    findings += _key_checks(schema, converted)
    findings += table_checks(spec.kind, converted.columns, converted.blank, context)
    problems = to_problems(findings, schema, spec.label, raw.first_row, max_problems)
    table = _table(spec, converted.columns)
    log.info("%s · ingest · %d rows, %d problems", spec.name, table.num_rows, len(problems))
    return Ingested(spec=spec, table=table, problems=problems, first_row=raw.first_row)


def check_sources(
    specs: Sequence[SourceSpec],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    settings: Settings | None = None,
    today: dt.date | None = None,
) -> dict[str, Ingested]:
    """Read every source, keyed by :attr:`SourceSpec.name` (``registro/torino``, ``imprese``;
    a second file of the same name is keyed ``name (file)``).

    A file that cannot be read does not stop the others: its entry has ``readable=False``
    and the structural problems. Owners (titolari) are also checked against the firms.
    """
    results: dict[str, Ingested] = {}
    for spec in specs:
        key = spec.name if spec.name not in results else f"{spec.name} ({spec.label})"
        try:
            results[key] = read_source(
                spec, max_bytes=max_bytes, max_problems=max_problems, settings=settings, today=today
            )
        except SourceError as exc:
            problems = list(exc.problems) or [_as_problem(exc, spec)]
            results[key] = Ingested(spec, _empty_table(spec), problems, readable=False)
    _check_owners(results, max_problems)
    return results


def ingest(
    specs: Sequence[SourceSpec],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    settings: Settings | None = None,
    today: dt.date | None = None,
) -> dict[str, pa.Table]:
    """Every source's table, or an exception: never some tables without the others.

    Raises:
        SourceError: at least one file cannot be read; ``problems`` lists the structural
            problems of every such file.
        DataError: every file was read but some values are bad; ``problems`` lists them all.
    """
    results = check_sources(
        specs, max_bytes=max_bytes, max_problems=max_problems, settings=settings, today=today
    )
    unreadable = [r for r in results.values() if not r.readable]
    if unreadable:
        raise SourceError(
            f"{len(unreadable)} of {len(results)} source files cannot be read",
            problems=[p for r in unreadable for p in r.problems],
            hint="fix the files listed (or their entries in sources.toml), then run again",
        )
    bad = [r for r in results.values() if r.problems]
    if bad:
        problems = [p for r in bad for p in r.problems]
        raise DataError(
            f"{len(bad)} of {len(results)} source files have bad values",
            problems=problems,
            hint="fix the rows listed; `odata sources check FILE` checks one file",
        )
    return {name: result.table for name, result in results.items()}


def _context(
    raw: RawSource, settings: Settings, today: dt.date, empty: dict[str, np.ndarray]
) -> Context:
    programme = settings.programme
    return Context(
        first_row=raw.first_row,
        today=today,
        programme_start=programme.start,
        programme_end=programme.end,
        budget_eur=programme.budget_eur,
        empty=empty,
    )


@dataclass
class _Converted:
    """Typed columns of the whole file, their empty cells, the blank rows, the findings."""

    columns: dict[str, pa.ChunkedArray]
    empty: dict[str, np.ndarray]
    blank: np.ndarray
    findings: list[Finding]
    keys: dict[str, KeyPartitions]


def _convert_all(schema: Schema, raw: RawSource, spec: SourceSpec) -> _Converted:
    """Convert batch by batch (while pyarrow parses the next), then join the batches and
    drop the empty lines at the end of the file, which carry nothing."""
    chunks: dict[str, list[pa.Array]] = {name: [] for name in schema.names}
    empties: dict[str, list[np.ndarray]] = {name: [] for name in schema.names}
    blanks: list[np.ndarray] = []
    findings: list[Finding] = []
    pieces: dict[str, list[Future[Pieces]]] = {c.name: [] for c in schema.columns if c.unique}
    rows = 0
    with ThreadPoolExecutor(_WORKERS) as pool:  # Arrow kernels release the GIL
        for batch in raw.batches:
            blank = _blank_rows(batch)
            blanks.append(blank)
            jobs = [
                pool.submit(convert, c, Cells(batch.column(c.name)), blank, spec)
                for c in schema.columns
            ]
            for column, job in zip(schema.columns, jobs, strict=True):
                result = job.result()
                chunks[column.name].append(result.values)
                empties[column.name].append(result.empty)
                findings.extend(replace(f, offset=f.offset + rows) for f in result.findings)
                if column.unique:  # runs while the next batch is parsed and converted
                    pieces[column.name].append(pool.submit(partition_keys, result.values, rows))
            rows += batch.num_rows
        keys = {
            name: KeyPartitions([job.result() for job in jobs]) for name, jobs in pieces.items()
        }
    blank = np.concatenate(blanks) if blanks else np.zeros(0, dtype=bool)
    filled = np.flatnonzero(~blank)
    kept = int(filled[-1]) + 1 if filled.size else 0
    columns = {
        c.name: pa.chunked_array(chunks[c.name], type=arrow_type(c)).slice(0, kept)
        for c in schema.columns
    }
    empty_masks = {name: np.concatenate(parts)[:kept] for name, parts in empties.items() if parts}
    return _Converted(columns, empty_masks, blank[:kept], findings, keys)


def _blank_rows(batch: pa.RecordBatch) -> np.ndarray:
    """Rows whose cells are all empty (blank lines, or ``;;;`` rows from a spreadsheet)."""
    blank = np.ones(batch.num_rows, dtype=bool)
    for cells in batch.columns:
        blank &= pc.binary_length(cells).to_numpy(zero_copy_only=False) == 0
    return blank


def _key_checks(schema: Schema, converted: _Converted) -> list[Finding]:
    """Key columns are unique over the whole file, so they are checked after the batches."""
    findings: list[Finding] = []
    for column in schema.columns:
        if column.unique:
            rows = converted.keys[column.name].repeated_rows()
            rows = rows[rows < len(converted.blank)]
            findings.extend(duplicate_keys(rows, converted.columns[column.name], column.name))
    return findings


def _table(spec: SourceSpec, columns: dict[str, pa.ChunkedArray]) -> pa.Table:
    table = pa.table(columns)
    if spec.kind in CHAMBER_KINDS:
        chamber = pa.array([spec.chamber] * table.num_rows, pa.string())
        table = table.add_column(0, "camera", chamber)
    return table


def _empty_table(spec: SourceSpec) -> pa.Table:
    schema = schema_for(spec.kind)
    fields = [pa.field(c.name, arrow_type(c)) for c in schema.columns]
    if spec.kind in CHAMBER_KINDS:
        fields.insert(0, pa.field("camera", pa.string()))
    return pa.schema(fields).empty_table()


def _as_problem(exc: SourceError, spec: SourceSpec) -> Problem:
    return Problem(
        code=exc.code, reason=exc.reason, file=exc.file or spec.label, row=exc.row, hint=exc.hint
    )


def _check_owners(results: dict[str, Ingested], max_problems: int) -> None:
    """Owners must belong to a firm of the same extract (when both files were read)."""
    firms, owners = results.get("imprese"), results.get("titolari")
    if not (firms and owners and firms.readable and owners.readable):
        return
    findings = unknown_firms(
        owners.table["id_impresa"].combine_chunks(), firms.table["id_impresa"].combine_chunks()
    )
    if not findings:
        return
    room = max(max_problems - len(owners.problems), 0)
    extra = to_problems(findings, SCHEMAS["titolari"], owners.spec.label, owners.first_row, room)
    owners.problems.extend(extra)
