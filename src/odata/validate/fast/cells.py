"""Header, row shape, types and per-cell constraints, as polars expressions over text columns.

Each cell's shape is checked with an explicit regular expression *before* any cast, because
the fast readers accept what they should not (polars reads " 2020-01-05" and "2020-1-5" as
dates, pyarrow turns 2020-02-30 into 2020-03-01). The rules follow frictionless: a cell with a
type error is not checked against constraints and counts as empty for keys; a row whose cells
are all empty is one ``blank-row`` and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from odata.errors import Problem
from odata.validate import reasons
from odata.validate.fast.descriptor import FieldSpec, ResourceSpec
from odata.validate.fast.reader import TableText, column_name

__all__ = ["CellResult", "check_cells", "header_problems"]

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


@dataclass
class CellResult:
    problems: list[tuple[int, int, Problem]]  # (frame index, position, problem)
    typed: pl.DataFrame  # cast value of each field by name, null where empty or mistyped
    blank: np.ndarray[Any, np.dtype[np.bool_]]


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
    spec: ResourceSpec, text: TableText, fields: list[FieldSpec], file: str, key_fields: set[str]
) -> CellResult:
    """Type, constraint and row-shape problems, and the typed values of ``key_fields``."""
    missing_values = list(spec.missing_values)
    exprs: list[pl.Expr] = []
    checks: list[tuple[str, int, str]] = []  # (mask name, position, code)
    reasons_of: dict[str, str] = {}
    typed: list[pl.Expr] = []
    missing_names = []
    for i, field in enumerate(fields):
        col = pl.col(column_name(i))
        missing = col.is_null() | col.is_in(missing_values)
        missing_names.append(f"m{i}")
        exprs.append(missing.alias(f"m{i}"))
        valid, value = _typed(field, col)
        ok = ~missing & valid
        if field.type not in ("string", "any"):
            exprs.append((~missing & ~valid).alias(f"t{i}"))
            checks.append((f"t{i}", i, "type-error"))
            reasons_of[f"t{i}"] = reasons.type_reason(field.type, field.format)
        for name in _constraints(field):
            bound = field.constraints[name]
            mask = _constraint_mask(field, name, bound, col, value, missing, ok)
            if mask is None:
                continue
            exprs.append(mask.alias(f"{name}{i}"))
            checks.append((f"{name}{i}", i, "constraint-error"))
            reasons_of[f"{name}{i}"] = reasons.constraint_reason(name, bound)
        if field.name in key_fields:
            typed.append(pl.when(ok).then(value).alias(field.name))
        for j, (key, pattern) in enumerate(_pattern_by(field, fields)):
            by_col, by_ok = pl.col(column_name(key[0])), key[1]
            mask = ok & by_ok & (by_col == key[2]) & ~col.str.contains(f"^(?:{pattern})$")
            exprs.append(mask.alias(f"pb{i}_{j}"))
            checks.append((f"pb{i}_{j}", i, "constraint-error"))
            by_name = fields[key[0]].name
            reasons_of[f"pb{i}_{j}"] = reasons.pattern_by_reason(by_name, key[2], pattern)
    blank = pl.all_horizontal(pl.col(missing_names)).alias("blank")
    masks = text.frame.select([*exprs]).with_columns(blank)
    blank_rows = masks["blank"].to_numpy()
    problems: list[tuple[int, int, Problem]] = []
    for index in np.flatnonzero(blank_rows):
        problems.append((int(index), -1, Problem("blank-row", reasons.BLANK_ROW, file, 0)))
    for mask_name, position, code in checks:
        series = masks[mask_name]
        if not series.any():
            continue
        hits = np.flatnonzero(series.to_numpy() & ~blank_rows)
        column, reason = fields[position].name, reasons_of[mask_name]
        problems.extend((int(k), position, Problem(code, reason, file, 0, column)) for k in hits)
    typed_frame = text.frame.select(typed) if typed else pl.DataFrame()
    return CellResult(problems, typed_frame, blank_rows)


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


def _pattern_by(
    field: FieldSpec, fields: list[FieldSpec]
) -> list[tuple[tuple[int, pl.Expr, str], str]]:
    """(by column position, its "present" mask, key) and the pattern, per patternBy key."""
    rule = field.pattern_by
    if not rule:
        return []
    names = [f.name for f in fields]
    by = rule.get("field")
    if by not in names:
        return []
    position = names.index(by)
    by_col = pl.col(column_name(position))
    present = by_col.is_not_null() & (by_col != "")
    patterns: dict[str, str] = rule.get("patterns", {})
    return [((position, present, str(k)), str(p)) for k, p in patterns.items()]
