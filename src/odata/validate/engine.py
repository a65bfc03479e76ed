"""Run frictionless over a package and turn its errors into odata Problems without values.

Frictionless errors carry the offending cell and the whole row (``cell``, ``cells``, and
values inside some notes); odata never repeats them, because a cell may be personal data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from frictionless import Checklist, FrictionlessException, Package, Resource

from odata.errors import Problem, display_path
from odata.validate import reasons
from odata.validate.checks import lint_resource, row_checks

__all__ = ["validate_package"]

log = logging.getLogger(__name__)


def validate_package(
    descriptor: Path, *, resources: Collection[str] | None = None, lint: bool = True
) -> list[Problem]:
    """Validate the data package described by ``descriptor``; an empty list means valid.

    Every table is checked against its Table Schema (types, constraints, primary and foreign
    keys), every file against its declared bytes and hash, and the descriptor against the
    standard and the odata conventions. ``resources`` limits the data checks to those names
    and ``lint=False`` skips the odata descriptor rules (the fast engine hands over the
    resources it cannot read itself, after checking the descriptor).
    """
    label = display_path(descriptor)
    try:
        package = Package(str(descriptor))
    except FrictionlessException as exc:
        return [_metadata_problem(error, label) for error in exc.to_errors()]
    problems: list[Problem] = []
    for resource in package.resources:
        if resources is not None and resource.name not in resources:
            continue
        if lint:
            problems.extend(lint_resource(resource, label))
        checklist = Checklist(checks=row_checks(resource))
        report = package.validate(checklist, name=resource.name)
        if report.errors:  # the descriptor itself is invalid: same for every resource
            return problems + [_metadata_problem(e, label) for e in report.errors]
        file = _resource_file(resource, descriptor)
        key = ", ".join(resource.schema.primary_key) if resource.schema else ""
        for task in report.tasks:
            problems.extend(_problem(error, file, key, resource) for error in task.errors)
        log.info("%s · validate · %s: %d problems", package.name, resource.name, len(problems))
    return problems


def _problem(error: Any, file: str, primary_key: str, resource: Resource) -> Problem:
    """A frictionless error as a Problem, keeping location and rule, dropping values.

    Reasons come from :mod:`odata.validate.reasons`, as in the fast engine.
    """
    row = getattr(error, "row_number", None)
    column = getattr(error, "field_name", None) or None
    note = str(getattr(error, "note", ""))
    previous = re.search(r"at position (\d+)", note)
    reason = _REASONS.get(error.type, f"{error.title}: {note}")
    if error.type == "type-error":
        kind, _, fmt = note.partition('"')[2].rstrip('"').partition("/")
        reason = reasons.type_reason(kind, fmt)
    elif error.type == "constraint-error":
        reason = _constraint_reason(note, column, resource)
    elif error.type == "unique-error":
        reason = reasons.unique_reason(int(previous.group(1)) if previous else None)
    elif error.type == "foreign-key":
        column = ", ".join(error.field_names)
        reason = reasons.foreign_key_reason(error.reference_name, list(error.reference_field_names))
    elif error.type == "primary-key":
        column = primary_key
        reason = reasons.primary_key_reason(int(previous.group(1)) if previous else None)
    elif error.type in _LABEL_ERRORS:
        row = 1
        number = int(getattr(error, "field_number", 0) or 0)
        if error.type == "extra-label":
            reason = reasons.extra_label_reason(number)
        elif error.type == "duplicate-label":
            positions = re.findall(r"\d+", note)
            reason = reasons.duplicate_label_reason([int(p) for p in positions])
        elif error.type == "incorrect-label":
            reason = reasons.incorrect_label_reason(column or "")
        elif error.type == "missing-label":
            reason = reasons.missing_label_reason(column or "")
    elif error.type == "hash-count":
        algorithm = str((resource.hash or "md5:").rpartition(":")[0] or "md5")
        reason = reasons.hash_reason(algorithm)
    if error.type == "extra-cell":
        column = None
    return Problem(code=error.type, reason=reason, file=file, row=row, column=column)


def _constraint_reason(note: str, column: str | None, resource: Resource) -> str:
    """The shared wording for ``constraint "pattern" is "..."`` (or odata's patternBy note)."""
    if note.startswith("when "):  # odata's patternBy, already in the shared wording
        return note
    found = re.match(r'constraint "(\w+)" is', note)
    if not found or not column or not resource.schema or not resource.schema.has_field(column):
        return f"breaks a constraint: {note}"
    name = found.group(1)
    return reasons.constraint_reason(name, resource.schema.get_field(column).constraints[name])


_LABEL_ERRORS = frozenset(
    {"blank-label", "duplicate-label", "incorrect-label", "missing-label", "extra-label"}
)
_REASONS = {
    "missing-cell": reasons.MISSING_CELL,
    "extra-cell": reasons.EXTRA_CELL,
    "blank-row": reasons.BLANK_ROW,
    "blank-label": reasons.BLANK_LABEL,
    "byte-count": reasons.BYTE_COUNT,
}


def _metadata_problem(error: Any, label: str) -> Problem:
    return Problem(code=error.type, reason=error.message, file=label)


def _resource_file(resource: Resource, descriptor: Path) -> str:
    path = resource.path if isinstance(resource.path, str) else resource.name
    return display_path(descriptor.parent / path)
