"""Check datasets against the portal's own dataset schema (ckanext-scheming) before writing.

The portal is the authority on what a dataset needs: a field it requires that the release does
not fill would fail half-way through a publish. Reading the schema first turns that into one
report, for every dataset and resource, before any write.
"""

from __future__ import annotations

import logging
from typing import Any

import ckanapi

from odata.errors import Problem
from odata.publish.client import Portal
from odata.publish.mapping import DatasetSpec

__all__ = ["missing_required"]

log = logging.getLogger(__name__)

REQUIRED_VALIDATORS = {"not_empty", "scheming_required"}
IN_GROUP = "odata_required_in_group"
TRANSLATED = "odata_translated"
FILLED_BY_PORTAL = {"url"}  # a resource's URL comes from its upload


def missing_required(portal: Portal, specs: list[DatasetSpec]) -> list[Problem]:
    """A problem for each field the portal requires that a dataset or resource leaves empty
    (``file`` names the dataset, or ``dataset/resource``; ``column`` the field).

    An empty list when the portal has no scheming schema to read (nothing to check against).
    """
    try:
        schema = portal.read("scheming_dataset_schema_show", type="dataset")
    except (ckanapi.NotFound, ckanapi.CKANAPIError):
        log.warning("the portal does not publish a dataset schema: required fields unchecked")
        return []
    languages = list(schema.get("form_languages") or [])
    out = []
    for spec in specs:
        out += [
            _problem(spec.name, name)
            for name in _missing(schema["dataset_fields"], spec.metadata, languages)
        ]
        fields = [f for f in schema["resource_fields"] if f["field_name"] not in FILLED_BY_PORTAL]
        for resource in spec.resources:
            out += [
                _problem(f"{spec.name}/{resource.name}", name)
                for name in _missing(fields, resource.fields(), languages)
            ]
    return out


def _problem(where: str, field: str) -> Problem:
    return Problem(
        code="missing-required",
        reason="the portal's dataset schema requires this field and the release leaves it empty",
        file=where,
        column=field,
    )


def _missing(
    fields: list[dict[str, Any]], values: dict[str, Any], languages: list[str]
) -> list[str]:
    out = []
    for field in fields:
        name = field["field_name"]
        value = values.get(name)
        if _required(field) and not _filled(field, value, languages):
            out.append(name)
        entries = value if field.get("repeating_subfields") and isinstance(value, list) else []
        for i, entry in enumerate(entries):
            for sub in field["repeating_subfields"]:
                if IN_GROUP in _validators(sub) and not entry.get(sub["field_name"]):
                    out.append(f"{name}[{i}].{sub['field_name']}")
    return out


def _validators(field: dict[str, Any]) -> set[str]:
    return {v.partition("(")[0] for v in str(field.get("validators", "")).split()}


def _required(field: dict[str, Any]) -> bool:
    return bool(field.get("required")) or bool(REQUIRED_VALIDATORS & _validators(field))


def _filled(field: dict[str, Any], value: Any, languages: list[str]) -> bool:
    if str(field.get("preset", "")).startswith(TRANSLATED):
        return isinstance(value, dict) and all(value.get(lang) for lang in languages)
    return value not in (None, "", [], {})
