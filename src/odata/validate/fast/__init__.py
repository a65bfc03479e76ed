"""The fast validation engine: frictionless's checks, vectorized, plus odata's table rules.

pyarrow streams each CSV as text (ragged rows reported, not fatal), polars evaluates every
rule as a column expression (on a column's distinct values when it has few), and the
problems come out with the same codes, rows, columns and reasons as the frictionless
engine's (see docs/validation.md for where the fast engine is deliberately stricter). A
resource the fast engine cannot read exactly as declared (another format, encoding or type)
is handed to the frictionless engine, so nothing is skipped; frictionless also judges any
descriptor that is not plainly valid (:mod:`.standard`).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from odata.errors import Problem, display_path
from odata.validate import reasons
from odata.validate.fast.cells import CellResult, check_cells, expected_fields, header_problems
from odata.validate.fast.descriptor import (
    FieldSpec,
    ResourceSpec,
    descriptor_problems,
    load_descriptor,
    resources_of,
)
from odata.validate.fast.keys import IntArray, all_empty, missing_references, repeats
from odata.validate.fast.reader import (
    NotPlain,
    Ragged,
    TableText,
    hash_problems,
    open_table,
    read_table,
)
from odata.validate.fast.standard import plainly_valid
from odata.validate.fast.tables import table_problems

__all__ = ["validate_package_fast"]

log = logging.getLogger(__name__)

_ONLY_EMPTY_IS_MISSING = ("",)
_SLICE = 1 << 16  # rows of a table read whole handed to a worker at a time


@dataclass
class _Checked:
    typed: pl.DataFrame  # what other tables' foreign keys look up (the text is let go)


def validate_package_fast(descriptor: Path) -> list[Problem]:
    """Validate the data package described by ``descriptor``; an empty list means valid.

    Same contract as the frictionless engine: never raises for bad data or a bad descriptor,
    returns located Problems without cell values, ordered by resource, row and column.
    """
    label = display_path(descriptor)
    try:
        raw = load_descriptor(descriptor)
    except (OSError, ValueError) as exc:
        log.debug("descriptor unreadable: %s", type(exc).__name__)
        return descriptor_problems(descriptor, label) or [
            Problem("package-error", "the descriptor cannot be read", label)
        ]
    if plainly_valid(raw, descriptor):
        return _Run(descriptor, resources_of(raw, descriptor.parent)).all()
    # frictionless judges the descriptor (half a second of imports) while the data is read
    with ThreadPoolExecutor(max_workers=1) as pool:
        metadata: Future[list[Problem]] = pool.submit(descriptor_problems, descriptor, label)
        found = _Run(descriptor, resources_of(raw, descriptor.parent)).all()
        invalid = metadata.result()
    return invalid or found


class _Run:
    """One validation of one package: resources checked in order, parents read on demand."""

    def __init__(self, descriptor: Path, specs: list[ResourceSpec]) -> None:
        self.descriptor = descriptor
        self.label = display_path(descriptor)
        self.specs = {spec.name: spec for spec in specs}
        self.order = specs
        self.cache: dict[str, _Checked | None] = {}
        self.problems: dict[str, list[Problem]] = {}
        self.referenced: dict[str, set[str]] = {}
        for spec in specs:
            for fk in spec.foreign_keys:
                self.referenced.setdefault(fk.resource or spec.name, set()).update(fk.reference)

    def all(self) -> list[Problem]:
        found: list[Problem] = []
        slow = [spec.name for spec in self.order if spec.tabular and spec.unsupported]
        for spec in self.order:
            found.extend(self._lint(spec))
            if spec.tabular and spec.unsupported:
                continue
            found.extend(hash_problems(spec, self._file(spec)))
            if spec.tabular:
                self._checked(spec)
                found.extend(self.problems.get(spec.name, []))
            log.info("%s · validate · %s", self.label, spec.name)
        if slow:
            from odata.validate.engine import validate_package

            log.info("%s · validate · frictionless engine for %s", self.label, ", ".join(slow))
            found.extend(validate_package(self.descriptor, resources=slow, lint=False))
        return found

    def _file(self, spec: ResourceSpec) -> str:
        return display_path(spec.path) if spec.path else spec.name

    def _lint(self, spec: ResourceSpec) -> list[Problem]:
        if not spec.tabular or spec.fields is None:
            return []
        found: list[Problem] = []
        if spec.missing_values != _ONLY_EMPTY_IS_MISSING:
            found.append(
                Problem(
                    code="missing-values",
                    reason='missingValues must be [""]: other markers erase real codes such as'
                    ' "NA" (Napoli, Namibia)',
                    file=self.label,
                    column=f"{spec.name}.schema.missingValues",
                )
            )
        names = {f.name for f in spec.fields}
        for field in spec.fields:
            if field.pattern_by is not None and field.pattern_by.get("field") not in names:
                found.append(
                    Problem(
                        code="bad-descriptor",
                        reason="patternBy names a field the table does not have",
                        file=self.label,
                        column=f"{spec.name}.{field.name}",
                    )
                )
        return found

    def _checked(self, spec: ResourceSpec) -> _Checked | None:
        """Read and check ``spec`` once; its problems go to ``self.problems``."""
        if spec.name in self.cache:
            return self.cache[spec.name]
        self.cache[spec.name] = None  # a self-reference while checking finds it in `typed`
        file = self._file(spec)
        table = self._read(spec, file)
        if isinstance(table, Problem):
            self.problems[spec.name] = [table]
            return None
        checked = _Checked(table.cells.typed)
        self.cache[spec.name] = checked
        header = header_problems(table.labels, spec.fields, file) if spec.fields else []
        found = [
            *table.cells.problems,
            *_ragged(table, file),
            *_key_problems(spec, table, file),
            *self._foreign_key_problems(spec, table, checked, file),
        ]
        if spec.x_odata is not None and table.text is not None:
            header.extend(_table_problems(spec.x_odata, table, found, file))
        found.sort(key=lambda item: (int(table.rows[item[0]]), item[1]))
        self.problems[spec.name] = header + [
            replace(problem, row=int(table.rows[k])) for k, _, problem in found
        ]
        return checked

    def _read(self, spec: ResourceSpec, file: str) -> _Table | Problem:
        """The checked cells: streamed in batches when every row has the header's number of
        cells, else read whole and exactly. A statistical table is read whole (it is small,
        and its margins need every row) and so is a one-column table (a record split by a
        quoted line break would not show as a ragged row)."""
        source = open_table(spec, file)
        if isinstance(source, Problem):
            return source
        fields = expected_fields(spec, source.labels)
        names = {f.name for f in fields}
        keys = {f.name for f in fields if f.constraints.get("unique")}
        keys |= set(spec.primary_key) | self.referenced.get(spec.name, set())
        keys |= {name for fk in spec.foreign_keys for name in fk.fields}
        if len(source.labels) > 1 and spec.x_odata is None:
            try:
                cells = check_cells(spec, source.batches(), fields, file, keys & names)
            except NotPlain:
                log.debug("%s · validate · %s read exactly", self.label, spec.name)
            else:
                rows = np.arange(2, cells.height + 2, dtype=np.int64)
                return _Table(source.labels, fields, cells, rows, [], None)
        text = read_table(source)
        if isinstance(text, Problem):
            return text
        cells = check_cells(spec, _slices(text.table), fields, file, keys & names)
        return _Table(source.labels, fields, cells, text.rows, text.ragged, text)

    def _foreign_key_problems(
        self, spec: ResourceSpec, table: _Table, checked: _Checked, file: str
    ) -> list[tuple[int, int, Problem]]:
        found: list[tuple[int, int, Problem]] = []
        names = {f.name for f in table.fields}
        for fk in spec.foreign_keys:
            if not set(fk.fields) <= names:
                continue
            parent = checked if not fk.resource else self._parent(fk.resource)
            if parent is None or not set(fk.reference) <= set(parent.typed.columns):
                continue
            lost = missing_references(
                table.cells.typed, list(fk.fields), parent.typed, list(fk.reference)
            )
            reason = reasons.foreign_key_reason(fk.resource, fk.reference)
            column = ", ".join(fk.fields)
            found.extend(
                (int(k), len(table.fields) + 1, Problem("foreign-key", reason, file, 0, column))
                for k in lost
            )
        return found

    def _parent(self, name: str) -> _Checked | None:
        spec = self.specs.get(name)
        if spec is None or not spec.tabular or spec.unsupported:
            return None
        return self._checked(spec)


@dataclass
class _Table:
    """One table read and cell-checked; ``rows`` maps its row index to the file's row."""

    labels: list[str]
    fields: list[FieldSpec]  # one per column: the schema's, or ``any`` beyond it
    cells: CellResult
    rows: IntArray
    ragged: list[Ragged]
    text: TableText | None  # the whole table, when it was read at once


def _key_problems(spec: ResourceSpec, table: _Table, file: str) -> list[tuple[int, int, Problem]]:
    """Unique fields from their second occurrence on, then the primary key (all empty,
    then repeated), each naming the row of the previous occurrence."""
    found: list[tuple[int, int, Problem]] = []
    typed, fields = table.cells.typed, table.fields
    memo: dict[tuple[str, ...], tuple[IntArray, IntArray]] = {}

    def repeated(names: list[str]) -> tuple[IntArray, IntArray]:
        if tuple(names) not in memo:
            memo[tuple(names)] = repeats(typed, names, skip_empty=True)
        return memo[tuple(names)]

    for position, field in enumerate(fields):
        if field.constraints.get("unique") and field.name in typed.columns:
            rows, previous = repeated([field.name])
            for k, p in zip(rows, previous, strict=True):
                reason = reasons.unique_reason(int(table.rows[p]))
                found.append(
                    (int(k), position, Problem("unique-error", reason, file, 0, field.name))
                )
    key = list(spec.primary_key)
    if not key or not set(key) <= {f.name for f in fields}:
        return found
    column = ", ".join(key)
    for k in all_empty(typed, key):
        problem = Problem("primary-key", reasons.primary_key_reason(None), file, 0, column)
        found.append((int(k), len(fields), problem))
    rows, previous = repeated(key)
    for k, p in zip(rows, previous, strict=True):
        reason = reasons.primary_key_reason(int(table.rows[p]))
        found.append((int(k), len(fields), Problem("primary-key", reason, file, 0, column)))
    return found


def _ragged(table: _Table, file: str) -> list[tuple[int, int, Problem]]:
    """missing-cell for each absent cell of a short row, extra-cell for each cell too many."""
    if not table.ragged:
        return []
    index = {int(row): k for k, row in enumerate(table.rows)}
    fields = table.fields
    found: list[tuple[int, int, Problem]] = []
    for bad in table.ragged:
        k = index[bad.row]
        if table.cells.blank[k]:
            continue
        for position in range(bad.cells, len(fields)):
            problem = Problem("missing-cell", reasons.MISSING_CELL, file, 0, fields[position].name)
            found.append((k, position, problem))
        for position in range(len(fields), bad.cells):
            found.append((k, position, Problem("extra-cell", reasons.EXTRA_CELL, file, 0)))
    return found


def _table_problems(
    x_odata: dict[str, Any], table: _Table, found: list[tuple[int, int, Problem]], file: str
) -> list[Problem]:
    """odata's statistical-table rules: row problems go to ``found`` (not on blank rows);
    the returned ones concern the table as a whole."""
    assert table.text is not None
    whole: list[Problem] = []
    position = {f.name: i for i, f in enumerate(table.fields)}
    for k, column, problem in table_problems(x_odata, table.labels, table.text.frame(), file):
        if k < 0:
            whole.append(problem)
        elif not table.cells.blank[k]:
            found.append((k, position.get(column, len(table.fields)), problem))
    return whole


def _slices(table: pa.Table) -> list[pa.Table]:
    """A table read whole, in slices for the workers of :func:`check_cells`."""
    return [table.slice(start, _SLICE) for start in range(0, table.num_rows, _SLICE)]
