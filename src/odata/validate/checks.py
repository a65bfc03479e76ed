"""odata conventions that a Table Schema cannot state on its own.

* ``missingValues`` must be exactly ``[""]``: "NA" is Napoli (and Namibia), so treating it as
  missing silently erases real codes.
* ``patternBy`` on a field: the pattern depends on another column, e.g. a territory code is
  ``[0-9]{2}`` for a region and ``[0-9]{3}`` for a province, so a lost leading zero ("63" for
  "063") is caught even though "63" would be a valid region code::

      - name: code
        patternBy: {field: level, patterns: {region: "[0-9]{2}", province: "[0-9]{3}"}}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import attrs
from frictionless import Check, Resource, errors

from odata.errors import Problem

__all__ = ["PatternBy", "lint_resource", "row_checks"]

ONLY_EMPTY_IS_MISSING = [""]


@attrs.define(kw_only=True, repr=False)
class PatternBy(Check):
    """A field's value must fully match the pattern chosen by another field's value."""

    type = "pattern-by"
    Errors: ClassVar[list[Any]] = [errors.ConstraintError]

    field_name: str
    by: str
    patterns: dict[str, str]

    def validate_row(self, row: Any) -> Iterator[Any]:
        key, value = row[self.by], row[self.field_name]
        pattern = self.patterns.get(str(key))
        if value is None or pattern is None:
            return
        if not re.fullmatch(pattern, str(value)):
            yield errors.ConstraintError.from_row(
                row,
                note=f'when {self.by} is "{key}" the value must match "{pattern}"',
                field_name=self.field_name,
            )


def row_checks(resource: Resource) -> list[Check]:
    """The odata row checks declared on ``resource``'s fields."""
    checks: list[Check] = []
    if not resource.schema:
        return checks
    for field in resource.schema.fields:
        rule = field.custom.get("patternBy")
        if rule:
            checks.append(
                PatternBy(field_name=field.name, by=rule["field"], patterns=rule["patterns"])
            )
    return checks


def lint_resource(resource: Resource, descriptor: str) -> Iterable[Problem]:
    """Problems with how ``resource`` is declared (not with its data)."""
    if resource.tabular and resource.schema:
        if list(resource.schema.missing_values) != ONLY_EMPTY_IS_MISSING:
            yield Problem(
                code="missing-values",
                reason='missingValues must be [""]: other markers erase real codes such as'
                ' "NA" (Napoli, Namibia)',
                file=descriptor,
                column=f"{resource.name}.schema.missingValues",
            )
        for field in resource.schema.fields:
            if (
                "patternBy" in field.custom
                and field.custom["patternBy"].get("field") not in resource.schema.field_names
            ):
                yield Problem(
                    code="bad-descriptor",
                    reason="patternBy names a field the table does not have",
                    file=descriptor,
                    column=f"{resource.name}.{field.name}",
                )
