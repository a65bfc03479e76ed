"""The words of every validation problem, shared by both engines so their reports read alike.

A reason names the rule that failed and, where it helps, the descriptor's own text (a
pattern, a bound, a field name, a row number); it never repeats a cell value.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BLANK_LABEL",
    "BLANK_ROW",
    "BYTE_COUNT",
    "EXTRA_CELL",
    "MISSING_CELL",
    "constraint_reason",
    "duplicate_label_reason",
    "extra_label_reason",
    "foreign_key_reason",
    "hash_reason",
    "incorrect_label_reason",
    "missing_label_reason",
    "pattern_by_reason",
    "primary_key_reason",
    "type_reason",
    "unique_reason",
]

MISSING_CELL = "the row has fewer cells than the header"
EXTRA_CELL = "the row has more cells than the header"
BLANK_ROW = "the row is empty"
BLANK_LABEL = "the header label of this column is empty"
BYTE_COUNT = "the file's size differs from the bytes recorded in the descriptor"


def type_reason(type_: str, format_: str = "default") -> str:
    """``not a valid date`` (``... in the format %d/%m/%Y`` for a declared format)."""
    if format_ in ("", "default"):
        return f"not a valid {type_}"
    return f"not a valid {type_} in the format {format_}"


def constraint_reason(name: str, value: object) -> str:
    """The sentence for a broken Table Schema constraint ``name`` declared as ``value``."""
    if name == "required":
        return "a value is required"
    if name == "pattern":
        return f'does not match the pattern "{value}"'
    if name == "enum":
        count = len(value) if isinstance(value, Sequence) else 0
        return f"is not one of the {count} allowed values of the schema"
    bounds = {
        "minimum": "is below the minimum",
        "maximum": "is above the maximum",
        "exclusiveMinimum": "is not above the exclusive minimum",
        "exclusiveMaximum": "is not below the exclusive maximum",
        "minLength": "has fewer characters than the minimum length",
        "maxLength": "has more characters than the maximum length",
    }
    return f"{bounds.get(name, f'breaks the constraint {name}:')} {value}"


def pattern_by_reason(by: str, key: str, pattern: str) -> str:
    """odata's ``patternBy``: ``key`` is one of the descriptor's keys, not free text."""
    return f'when {by} is "{key}" the value must match "{pattern}"'


def unique_reason(previous_row: int | None) -> str:
    where = f" of row {previous_row}" if previous_row else " of an earlier row"
    return f"repeats the value{where}: the field must be unique"


def primary_key_reason(previous_row: int | None) -> str:
    """``previous_row`` None: every cell of the key is empty."""
    if previous_row is None:
        return "duplicate key: every cell of the primary key is empty"
    return f"duplicate key: the same as in row {previous_row}"


def foreign_key_reason(resource: str, fields: Sequence[str]) -> str:
    return f"value not found in {resource or 'this table'}.{', '.join(fields)}"


def duplicate_label_reason(positions: Sequence[int]) -> str:
    return f"the header label repeats the one of column {', '.join(map(str, positions))}"


def incorrect_label_reason(field: str) -> str:
    return f'the header label is not the schema\'s field name "{field}"'


def missing_label_reason(field: str) -> str:
    return f'the header has no column for the schema\'s field "{field}"'


def extra_label_reason(position: int) -> str:
    return f"the header has a column (number {position}) that the schema does not define"


def hash_reason(algorithm: str) -> str:
    return f"the file's {algorithm} hash differs from the one recorded in the descriptor"
