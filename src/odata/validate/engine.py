"""Run frictionless over a package and turn its errors into odata Problems without values.

Frictionless errors carry the offending cell and the whole row (``cell``, ``cells``, and
values inside some notes); odata never repeats them, because a cell may be personal data.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from frictionless import Checklist, FrictionlessException, Package, Resource

from odata.errors import Problem, display_path
from odata.validate.checks import lint_resource, row_checks

__all__ = ["validate_package"]

log = logging.getLogger(__name__)


def validate_package(descriptor: Path) -> list[Problem]:
    """Validate the data package described by ``descriptor``; an empty list means valid.

    Every table is checked against its Table Schema (types, constraints, primary and foreign
    keys), every file against its declared bytes and hash, and the descriptor against the
    standard and the odata conventions.
    """
    label = display_path(descriptor)
    try:
        package = Package(str(descriptor))
    except FrictionlessException as exc:
        return [_metadata_problem(error, label) for error in exc.to_errors()]
    problems: list[Problem] = []
    for resource in package.resources:
        problems.extend(lint_resource(resource, label))
        checklist = Checklist(checks=row_checks(resource))
        report = package.validate(checklist, name=resource.name)
        if report.errors:  # the descriptor itself is invalid: same for every resource
            return problems + [_metadata_problem(e, label) for e in report.errors]
        file = _resource_file(resource, descriptor)
        key = ", ".join(resource.schema.primary_key) if resource.schema else ""
        for task in report.tasks:
            problems.extend(_problem(error, file, key) for error in task.errors)
        log.info("%s · validate · %s: %d problems", package.name, resource.name, len(problems))
    return problems


def _problem(error: Any, file: str, primary_key: str) -> Problem:
    """A frictionless error as a Problem, keeping location and rule, dropping values."""
    row = getattr(error, "row_number", None)
    column = getattr(error, "field_name", None)
    reason = _REASONS.get(error.type, "{title}: {note}").format(
        title=error.title, note=error.note, description=error.description
    )
    if error.type == "type-error":
        kind = error.note.partition('"')[2].rstrip('"').replace("/default", "")
        reason = f"not a valid {kind.replace('/', ' in the format ')}"
    elif error.type == "foreign-key":
        column = ", ".join(error.field_names)
        target = f"{error.reference_name or 'this table'}.{', '.join(error.reference_field_names)}"
        reason = f"value not found in {target}"
    elif error.type == "primary-key":
        column = primary_key
        reason = f"duplicate key: {error.note}"
    return Problem(code=error.type, reason=reason, file=file, row=row, column=column or None)


_REASONS = {
    "constraint-error": "breaks a constraint: {note}",
    "missing-cell": "the row has fewer cells than the header",
    "extra-cell": "the row has more cells than the header",
    "blank-row": "the row is empty",
}


def _metadata_problem(error: Any, label: str) -> Problem:
    return Problem(code=error.type, reason=error.message, file=label)


def _resource_file(resource: Resource, descriptor: Path) -> str:
    path = resource.path if isinstance(resource.path, str) else resource.name
    return display_path(descriptor.parent / path)
