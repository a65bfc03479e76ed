"""Header, row shape, types and per-cell constraints, as polars expressions over text columns.

Each cell's shape is checked with an explicit regular expression *before* any cast, because
the fast readers accept what they should not (polars reads " 2020-01-05" and "2020-1-5" as
dates, pyarrow turns 2020-02-30 into 2020-03-01). The rules follow frictionless: a cell with a
type error is not checked against constraints and counts as empty for keys; a row whose cells
are all empty is one ``blank-row`` and nothing else.

Every rule but ``patternBy`` looks at one cell alone, so a column with few distinct values (a
province, a date, a sector: most columns of a register) is checked on those values once each
and only the failing values are looked up in the rows again (see :mod:`.columns`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from odata.errors import Problem
from odata.validate import reasons
from odata.validate.fast.columns import CELL, CELL_NAME, CellRule, ColumnChecker, ColumnVerdict
from odata.validate.fast.descriptor import FieldSpec, ResourceSpec
from odata.validate.fast.reader import column_name, to_series

__all__ = ["CellResult", "check_cells", "expected_fields", "header_problems"]

BoolArray = npt.NDArray[np.bool_]
Batch: TypeAlias = "pa.RecordBatch | pa.Table"  # both have .column(i) and .num_rows

_INTEGER = r"^[+-]?[0-9]+$"
_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NUMBER_WORDS = ("NaN", "INF", "-INF")
_YEAR = r"^[0-9]{4}$"
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_SUPPORTED = {
    "string": ("required", "minLength", "maxLength", "pattern", "enum"),
    "any": ("required", "enum"),
    "boolean": ("required", "enum"),
}
_ORDERED = ("required", *_BOUNDS, "enum")
_BY = "by"  # the other column a patternBy rule looks at
_WORKERS = 2  # the cores of the machine the targets were set on
_AHEAD = 2  # batches checked or waiting while the next one is read


@dataclass
class CellResult:
    problems: list[tuple[int, int, Problem]]  # (row index, position, problem)
    typed: pl.DataFrame  # cast value of each key field by name, null where empty or mistyped
    blank: BoolArray
    height: int


def header_problems(labels: list[str], fields: list[FieldSpec], file: str) -> list[Problem]:
    """Labels against the schema's field names, by position (frictionless's ``exact``)."""
    problems: list[Problem] = []
    for i, label in enumerate(labels):
        if i >= len(fields):
            problems.append(
                Problem("extra-label", reasons.extra_label_reason(i + 1), file=file, row=1)
            )
            continue
        name = fields[i].name
        earlier = [j + 1 for j, seen in enumerate(labels[:i]) if seen == label]
        if not label:
            problems.append(Problem("blank-label", reasons.BLANK_LABEL, file, 1, name))
        elif earlier:
            reason = reasons.duplicate_label_reason(earlier)
            problems.append(Problem("duplicate-label", reason, file, 1, name))
        elif label != name:
            reason = reasons.incorrect_label_reason(name)
            problems.append(Problem("incorrect-label", reason, file, 1, name))
    for field in fields[len(labels) :]:
        reason = reasons.missing_label_reason(field.name)
        problems.append(Problem("missing-label", reason, file, 1, field.name))
    return problems


def expected_fields(spec: ResourceSpec, labels: list[str]) -> list[FieldSpec]:
    """The field each column is read as: the schema's by position, ``any`` beyond it."""
    fields = spec.fields or []
    return [
        fields[i] if i < len(fields) else FieldSpec(name=label or f"field{i + 1}")
        for i, label in enumerate(labels)
    ]


def check_cells(
    spec: ResourceSpec,
    batches: Iterable[Batch],
    fields: list[FieldSpec],
    file: str,
    key_fields: set[str],
) -> CellResult:
    """Type, constraint and row-shape problems, and the typed values of ``key_fields``.

    Batch by batch (every rule here looks at one row alone): each batch is checked on a
    worker thread while the next ones are read (pyarrow and polars let go of the GIL), and
    the findings are put in row order after.
    """
    missing_values = list(spec.missing_values)
    checkers = [
        ColumnChecker(*_cell_rules(field, missing_values, typed=field.name in key_fields))
        for field in fields
    ]

    def check(batch: Batch) -> _Batch:
        return _check_batch(batch, checkers, fields, file, missing_values)

    checked: list[_Batch] = []
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        pending: deque[Future[_Batch]] = deque()
        for batch in batches:
            pending.append(pool.submit(check, batch))
            if len(pending) > _AHEAD:  # a few batches in hand: memory stays bounded
                checked.append(pending.popleft().result())
        checked.extend(future.result() for future in pending)
    if not checked:  # no rows: the typed key columns exist all the same
        checked = [check(_empty(len(fields)))]
    return _in_row_order(checked)


@dataclass
class _Batch:
    problems: list[tuple[int, int, Problem]]  # row index within the batch
    typed: pl.DataFrame
    blank: BoolArray


def _check_batch(
    batch: Batch,
    checkers: list[ColumnChecker],
    fields: list[FieldSpec],
    file: str,
    missing_values: list[str],
) -> _Batch:
    verdicts = [checker.check(batch.column(i)) for i, checker in enumerate(checkers)]
    blank = _blank_rows(verdicts, batch.num_rows)
    typed = [
        verdict.typed.alias(field.name)
        for field, verdict in zip(fields, verdicts, strict=True)
        if verdict.typed is not None
    ]
    found = _problems(batch, verdicts, blank, fields, file, missing_values)
    return _Batch(found, pl.DataFrame(typed), blank)


def _in_row_order(batches: list[_Batch]) -> CellResult:
    problems: list[tuple[int, int, Problem]] = []
    height = 0
    for batch in batches:
        problems.extend((height + k, i, problem) for k, i, problem in batch.problems)
        height += len(batch.blank)
    typed = pl.concat([batch.typed for batch in batches])
    blank = np.concatenate([batch.blank for batch in batches])
    return CellResult(problems, typed, blank, height)


def _problems(
    batch: Batch,
    verdicts: list[ColumnVerdict],
    blank: BoolArray,
    fields: list[FieldSpec],
    file: str,
    missing_values: list[str],
) -> list[tuple[int, int, Problem]]:
    """(row index in the batch, position, problem), blank rows first, then column by column
    in rule order (the order problems on one cell are reported in)."""
    found = [
        (int(k), -1, Problem("blank-row", reasons.BLANK_ROW, file, 0))
        for k in np.flatnonzero(blank)
    ]
    for i, (field, verdict) in enumerate(zip(fields, verdicts, strict=True)):
        hits = [(rule.code, rule.reason, rows) for rule, rows in verdict.hits]
        hits += [
            ("constraint-error", reason, rows)
            for reason, rows in _pattern_by_hits(batch, field, fields, i, missing_values)
        ]
        for code, reason, rows in hits:
            kept = rows[~blank[rows]] if blank.any() else rows
            found.extend((int(k), i, Problem(code, reason, file, 0, field.name)) for k in kept)
    return found


def _empty(width: int) -> pa.Table:
    return pa.table({column_name(i): pa.nulls(0, pa.string()) for i in range(width)})


def _cell_rules(
    field: FieldSpec, missing_values: list[str], *, typed: bool
) -> tuple[pl.Expr, list[CellRule], pl.Expr | None]:
    """(is the cell missing, the field's per-cell rules in report order, and if ``typed``
    its cast value: null where the cell is missing or mistyped, as the keys see it)."""
    missing = CELL.is_null() | CELL.is_in(missing_values)
    valid, value = _typed(field, CELL)
    ok = ~missing & valid
    rules: list[CellRule] = []
    if field.type not in ("string", "any"):
        reason = reasons.type_reason(field.type, field.format)
        rules.append(CellRule("type-error", reason, ~missing & ~valid))
    for name in _constraints(field):
        bound = field.constraints[name]
        mask = _constraint_mask(field, name, bound, CELL, value, missing, ok)
        if mask is not None:
            rules.append(CellRule("constraint-error", reasons.constraint_reason(name, bound), mask))
    return missing, rules, pl.when(ok).then(value) if typed else None


def _blank_rows(verdicts: list[ColumnVerdict], height: int) -> BoolArray:
    """Rows whose every cell is missing: none unless every column misses some cell (a
    required column never does), else looked for among the rows missing the first column."""
    blank = np.zeros(height, dtype=np.bool_)
    if not verdicts or not all(v.missing_any for v in verdicts):
        return blank
    rows = verdicts[0].missing_rows()
    for verdict in verdicts[1:]:
        if rows.size:
            rows = rows[verdict.missing_at(rows)]
    blank[rows] = True
    return blank


def _pattern_by_hits(
    batch: Batch, field: FieldSpec, fields: list[FieldSpec], position: int, missing: list[str]
) -> list[tuple[str, npt.NDArray[np.int64]]]:
    """(reason, rows) for each patternBy key: the only rule that looks at two cells."""
    rules = _pattern_by(field, fields)
    if not rules:
        return []
    by = rules[0][0]
    frame = pl.DataFrame(
        {CELL_NAME: to_series(batch.column(position)), _BY: to_series(batch.column(by))}
    )
    by_col = pl.col(_BY)
    present = by_col.is_not_null() & (by_col != "")
    ok = ~(CELL.is_null() | CELL.is_in(missing)) & _typed(field, CELL)[0]
    found: list[tuple[str, npt.NDArray[np.int64]]] = []
    masks = frame.select(
        (ok & present & (by_col == key) & ~CELL.str.contains(f"^(?:{pattern})$"))
        .fill_null(False)
        .alias(f"k{j}")
        for j, (_, key, pattern) in enumerate(rules)
    )
    for j, (_, key, pattern) in enumerate(rules):
        rows = np.flatnonzero(masks[f"k{j}"].to_numpy()).astype(np.int64)
        if rows.size:
            found.append((reasons.pattern_by_reason(fields[by].name, key, pattern), rows))
    return found


def _typed(field: FieldSpec, col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(is the text a valid value of the field's type, its cast value)."""
    kind = field.type
    if kind == "integer":
        value = col.str.strip_prefix("+").cast(pl.Int64, strict=False)
        return col.str.contains(_INTEGER) & value.is_not_null(), value
    if kind == "number":
        words = col.is_in(list(_NUMBER_WORDS))
        return col.str.contains(_NUMBER) | words, col.cast(pl.Float64, strict=False)
    if kind == "boolean":
        allowed = [*field.true_values, *field.false_values]
        return col.is_in(allowed), col.is_in(list(field.true_values))
    if kind == "year":
        return col.str.contains(_YEAR), col.cast(pl.Int64, strict=False)
    if kind == "date":
        pattern = "%Y-%m-%d" if field.format == "default" else field.format
        # The shape first: polars reads "2020-1-5" and " 2020-01-05"; its calendar check
        # then refuses 2020-02-30 (pyarrow would make it 2020-03-01).
        value = col.str.strptime(pl.Date, pattern, strict=False)
        return col.str.contains(_date_shape(pattern)) & value.is_not_null(), value
    return pl.lit(True), col


def _date_shape(pattern: str) -> str:
    parts = {"%Y": "[0-9]{4}", "%m": "[0-9]{2}", "%d": "[0-9]{2}"}
    pieces = re.split(r"(%[Ymd])", pattern)
    return "^" + "".join(parts.get(p, re.escape(p)) for p in pieces) + "$"


def _constraints(field: FieldSpec) -> list[str]:
    supported = _SUPPORTED.get(field.type, _ORDERED)
    order = ("required", "minLength", "maxLength", *_BOUNDS, "pattern", "enum")
    return [n for n in order if n in supported and field.constraints.get(n) is not None]


def _constraint_mask(
    field: FieldSpec,
    name: str,
    bound: Any,
    col: pl.Expr,
    value: pl.Expr,
    missing: pl.Expr,
    ok: pl.Expr,
) -> pl.Expr | None:
    if name == "required":
        return missing if bound is True else None
    if name == "pattern":
        return ok & ~col.str.contains(f"^(?:{bound})$")
    if name in ("minLength", "maxLength"):
        length = col.str.len_chars()
        return ok & ~(length >= int(bound) if name == "minLength" else length <= int(bound))
    if name == "enum":
        allowed = [_cast(field, v) for v in bound]
        return ok & ~value.is_in([v for v in allowed if v is not None])
    limit = _cast(field, bound)
    if limit is None:
        return None
    compare: dict[str, pl.Expr] = {
        "minimum": value >= limit,
        "maximum": value <= limit,
        "exclusiveMinimum": value > limit,
        "exclusiveMaximum": value < limit,
    }
    return ok & ~compare[name].fill_null(False)


def _cast(field: FieldSpec, raw: Any) -> Any:
    """A constraint value read as the field's type (as frictionless reads it), or None."""
    try:
        if field.type in ("integer", "year"):
            return int(str(raw).strip())
        if field.type == "number":
            return float(raw)
        if field.type == "boolean":
            text = str(raw) if not isinstance(raw, bool) else ("true" if raw else "false")
            return raw if isinstance(raw, bool) else text in field.true_values
        if field.type == "date":
            return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        return None
    return raw


def _pattern_by(field: FieldSpec, fields: list[FieldSpec]) -> list[tuple[int, str, str]]:
    """(position of the column it looks at, key, pattern) for each patternBy key."""
    rule = field.pattern_by
    if not rule:
        return []
    names = [f.name for f in fields]
    by = rule.get("field")
    if by not in names:
        return []
    position = names.index(by)
    patterns: dict[str, str] = rule.get("patterns", {})
    return [(position, str(k), str(p)) for k, p in patterns.items()]
