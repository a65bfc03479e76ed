"""The fast validation engine: frictionless's checks, vectorized, plus odata's table rules.

pyarrow reads each CSV as text (ragged rows reported, not fatal), polars evaluates every rule
as a column expression, and the problems come out with the same codes, rows, columns and
reasons as the frictionless engine's (see docs/validation.md for where the fast engine is
deliberately stricter). A resource the fast engine cannot read exactly as declared (another
format, encoding or type) is handed to the frictionless engine, so nothing is skipped.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from odata.errors import Problem, display_path
from odata.validate import reasons
from odata.validate.fast.cells import check_cells, expected_fields, header_problems
from odata.validate.fast.descriptor import (
    FieldSpec,
    ResourceSpec,
    descriptor_problems,
    load_descriptor,
    resources_of,
)
from odata.validate.fast.keys import IntArray, all_empty, missing_references, repeats
from odata.validate.fast.reader import TableText, hash_problems, read_table
from odata.validate.fast.tables import table_problems

__all__ = ["validate_package_fast"]

log = logging.getLogger(__name__)

_ONLY_EMPTY_IS_MISSING = ("",)


@dataclass
class _Checked:
    text: TableText
    typed: pl.DataFrame


def validate_package_fast(descriptor: Path) -> list[Problem]:
    """Validate the data package described by ``descriptor``; an empty list means valid.

    Same contract as the frictionless engine: never raises for bad data or a bad descriptor,
    returns located Problems without cell values, ordered by resource, row and column.
    """
    label = display_path(descriptor)
    with ThreadPoolExecutor(max_workers=1) as pool:
        metadata: Future[list[Problem]] = pool.submit(descriptor_problems, descriptor, label)
        try:
            raw = load_descriptor(descriptor)
        except (OSError, ValueError) as exc:
            log.debug("descriptor unreadable: %s", type(exc).__name__)
            return metadata.result() or [
                Problem("package-error", "the descriptor cannot be read", label)
            ]
        specs = resources_of(raw, descriptor.parent)
        run = _Run(descriptor, specs)
        found = run.all()
        invalid = metadata.result()
    if invalid:
        return invalid
    return found


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
        text = read_table(spec, file)
        if isinstance(text, Problem):
            self.problems[spec.name] = [text]
            return None
        found: list[tuple[int, int, Problem]] = []
        header: list[Problem] = []
        if spec.fields is not None:
            header = header_problems(text.labels, spec.fields, file)
        fields = expected_fields(spec, text.labels)
        names = {f.name for f in fields}
        keys = {f.name for f in fields if f.constraints.get("unique")}
        keys |= set(spec.primary_key) | self.referenced.get(spec.name, set())
        keys |= {name for fk in spec.foreign_keys for name in fk.fields}
        cells = check_cells(spec, text, fields, file, keys & names)
        found.extend(cells.problems)
        position = {f.name: i for i, f in enumerate(fields)}
        found.extend(self._ragged(text, fields, cells.blank, file))
        memo: dict[tuple[str, ...], tuple[IntArray, IntArray]] = {}

        def repeated(names: list[str]) -> tuple[IntArray, IntArray]:
            if tuple(names) not in memo:
                memo[tuple(names)] = repeats(cells.typed, names, skip_empty=True)
            return memo[tuple(names)]

        for field in fields:
            if field.constraints.get("unique") and field.name in cells.typed.columns:
                rows, previous = repeated([field.name])
                for k, p in zip(rows, previous, strict=True):
                    reason = reasons.unique_reason(int(text.rows[p]))
                    problem = Problem("unique-error", reason, file, 0, field.name)
                    found.append((int(k), position[field.name], problem))
        key = list(spec.primary_key)
        if key and set(key) <= names:
            for k in all_empty(cells.typed, key):
                reason = reasons.primary_key_reason(None)
                problem = Problem("primary-key", reason, file, 0, ", ".join(key))
                found.append((int(k), len(fields), problem))
            rows, previous = repeated(key)
            for k, p in zip(rows, previous, strict=True):
                reason = reasons.primary_key_reason(int(text.rows[p]))
                problem = Problem("primary-key", reason, file, 0, ", ".join(key))
                found.append((int(k), len(fields), problem))
        checked = _Checked(text, cells.typed)
        self.cache[spec.name] = checked
        for fk in spec.foreign_keys:
            if not set(fk.fields) <= names:
                continue
            parent = checked if not fk.resource else self._parent(fk.resource)
            if parent is None or not set(fk.reference) <= set(parent.typed.columns):
                continue
            lost = missing_references(
                cells.typed, list(fk.fields), parent.typed, list(fk.reference)
            )
            reason = reasons.foreign_key_reason(fk.resource, fk.reference)
            column = ", ".join(fk.fields)
            found.extend(
                (int(k), len(fields) + 1, Problem("foreign-key", reason, file, 0, column))
                for k in lost
            )
        if spec.x_odata is not None:
            for k, column, problem in table_problems(spec.x_odata, text.labels, text.frame, file):
                if k < 0:
                    header.append(problem)
                elif not cells.blank[k]:
                    found.append((k, position.get(column, len(fields)), problem))
        found.sort(key=lambda item: (int(text.rows[item[0]]), item[1]))
        self.problems[spec.name] = header + [
            replace(problem, row=int(text.rows[k])) for k, _, problem in found
        ]
        return checked

    def _parent(self, name: str) -> _Checked | None:
        spec = self.specs.get(name)
        if spec is None or not spec.tabular or spec.unsupported:
            return None
        return self._checked(spec)

    @staticmethod
    def _ragged(
        text: TableText,
        fields: list[FieldSpec],
        blank: npt.NDArray[np.bool_],
        file: str,
    ) -> list[tuple[int, int, Problem]]:
        if not text.ragged:
            return []
        index = {int(row): k for k, row in enumerate(text.rows)}
        found: list[tuple[int, int, Problem]] = []
        for bad in text.ragged:
            k = index[bad.row]
            if blank[k]:
                continue
            for position in range(bad.cells, len(fields)):
                problem = Problem(
                    "missing-cell", reasons.MISSING_CELL, file, 0, fields[position].name
                )
                found.append((k, position, problem))
            for position in range(len(fields), bad.cells):
                found.append((k, position, Problem("extra-cell", reasons.EXTRA_CELL, file, 0)))
        return found
