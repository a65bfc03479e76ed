"""Descriptors plainly valid under the Data Package standard, judged without frictionless.

Importing frictionless and its JSON Schema validator costs about half a second of start-up
(jsonschema builds dozens of grammars on import), more than checking a million rows. Yet
the descriptors odata meets (its own releases, the hand-written code lists, a register
extract) use a small, well-understood part of the standard. :func:`plainly_valid` accepts a
descriptor only when every property, at every level, is one it knows and holds a value of
a shape frictionless accepts (checked against frictionless 5.21 by
``tests/unit/test_validate_standard.py``). Anything else, however harmless, answers False
and the caller asks frictionless, so a descriptor error is always reported in frictionless's
own words: this is a shortcut for the plainly valid, never a second judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["plainly_valid"]

V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
_NAME = re.compile(r"^[-a-z0-9._/]+$")  # v1's pattern for package and resource names
_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
_HASH = re.compile(r"^((md5|sha256):)?[0-9a-f]+$")
_CREATED = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$"
)
_TYPES = {
    "string": ("required", "unique", "minLength", "maxLength", "pattern", "enum"),
    "any": ("required", "unique", "enum"),
    "boolean": ("required", "unique", "enum"),
    "integer": ("required", "unique", "minimum", "maximum", "enum"),
    "number": ("required", "unique", "minimum", "maximum", "enum"),
    "year": ("required", "unique", "minimum", "maximum", "enum"),
    "date": ("required", "unique", "minimum", "maximum", "enum"),
}
_EXCLUSIVE = ("exclusiveMinimum", "exclusiveMaximum")  # data package v2 only, not on these:
_UNORDERED = ("string", "any", "boolean")
_UNTYPED = ("required", "unique", "enum")  # a field without a type: string or any, by version
#: odata's own properties, which frictionless keeps without looking at them
_PACKAGE_EXTRA = ("title_translated", "description_translated", "keywords_translated",
                  "languages", "dcat", "temporal")  # fmt: skip
_RESOURCE_EXTRA = ("title_translated", "description_translated", "languages", "x-odata",
                   "x-odata-guide")  # fmt: skip
_FIELD_EXTRA = ("title_translated", "description_translated", "patternBy")

Check = Callable[[Any], bool]


def plainly_valid(descriptor: Mapping[str, Any], path: Path) -> bool:
    """True when frictionless is known to find nothing wrong with ``descriptor`` (read from
    ``path``); False means "ask frictionless", not "invalid"."""
    if path.suffix not in (".json", ".yaml"):  # parsed as frictionless parses them
        return False
    v2 = descriptor.get("$schema") == V2
    if "$schema" in descriptor and not v2:
        return False
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        return False
    names = [r.get("name") for r in resources if isinstance(r, dict)]
    if len(names) != len(resources) or not _unique_texts(names):
        return False
    checks: dict[str, Check] = {
        "$schema": _text,
        "name": _name,
        "title": _text,
        "description": _text,
        "version": _text,
        "homepage": _text,
        "keywords": _texts,
        "created": _created,
        "licenses": _items(("name", "path", "title"), need=("name", "path")),
        "contributors": _contributors,
        "sources": _items(("title", "path")),
        "resources": lambda value: all(_resource(r, v2) for r in value),
        **dict.fromkeys(_PACKAGE_EXTRA, _anything),
    }
    return _follows(descriptor, checks)


def _resource(resource: Mapping[str, Any], v2: bool) -> bool:
    checks: dict[str, Check] = {
        "name": _name,
        "path": lambda value: isinstance(value, str) and _safe_path(value),
        "type": lambda value: value in ("table", "file"),
        "format": _text,
        "mediatype": _text,
        "encoding": _text,
        "bytes": _integer,
        "hash": lambda value: isinstance(value, str) and bool(_HASH.match(value)),
        "title": _text,
        "description": _text,
        "schema": lambda value: isinstance(value, dict) and _schema(value, v2),
        **dict.fromkeys(_RESOURCE_EXTRA, _anything),
    }
    return "name" in resource and "path" in resource and _follows(resource, checks)


def _schema(schema: Mapping[str, Any], v2: bool) -> bool:
    fields = schema.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        return False
    names = [f.get("name") for f in fields]
    if not _unique_texts(names):
        return False
    checks: dict[str, Check] = {
        "fields": lambda value: all(_field(f, v2) for f in value),
        "missingValues": _texts,
        "primaryKey": lambda value: _texts(value) and set(value) <= set(names),
        "foreignKeys": lambda value: (
            isinstance(value, list) and all(_foreign_key(fk, names) for fk in value)
        ),
    }
    return _follows(schema, checks)


def _foreign_key(fk: Any, names: list[Any]) -> bool:
    if not isinstance(fk, dict) or set(fk) != {"fields", "reference"}:
        return False
    reference = fk["reference"]
    if not isinstance(reference, dict) or set(reference) != {"resource", "fields"}:
        return False
    fields, referenced = fk["fields"], reference["fields"]
    return (
        _texts(fields)
        and _texts(referenced)
        and isinstance(reference["resource"], str)
        and set(fields) <= set(names)
        and len(fields) == len(referenced)
    )


def _field(field: Mapping[str, Any], v2: bool) -> bool:
    kind = field.get("type", "any")
    if not isinstance(kind, str) or kind not in _TYPES:
        return False
    allowed = _TYPES[kind] if "type" in field else _UNTYPED
    allowed += _EXCLUSIVE if v2 and kind not in _UNORDERED else ()
    checks: dict[str, Check] = {
        "name": _text,
        "type": _text,
        "format": lambda value: value == "default" or (kind == "date" and _text(value)),
        "title": _text,
        "description": _text,
        "constraints": lambda value: (
            isinstance(value, dict)
            and all(name in allowed and _constraint(name, v) for name, v in value.items())
        ),
        **dict.fromkeys(_FIELD_EXTRA, _anything),
    }
    if kind == "boolean":
        checks.update(trueValues=_texts, falseValues=_texts)
    return "name" in field and _follows(field, checks)


def _constraint(name: str, value: Any) -> bool:
    if name in ("required", "unique"):
        return isinstance(value, bool)
    if name in ("minLength", "maxLength"):
        return _integer(value)
    if name == "pattern":
        return isinstance(value, str) and _compiles(value)
    if name == "enum":
        return isinstance(value, list)
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _follows(mapping: Mapping[str, Any], checks: Mapping[str, Check]) -> bool:
    """Every property is known and passes its check."""
    return all(key in checks and checks[key](value) for key, value in mapping.items())


def _items(keys: tuple[str, ...], need: tuple[str, ...] = ()) -> Check:
    """A list of mappings of text, with only ``keys``, each with one of ``need``."""

    def check(value: Any) -> bool:
        return isinstance(value, list) and all(
            isinstance(item, dict)
            and all(k in keys and _text(v) for k, v in item.items())
            and (not need or any(item.get(k) for k in need))
            for item in value
        )

    return check


def _contributors(value: Any) -> bool:
    checks: dict[str, Check] = dict.fromkeys(("title", "path", "organisation", "role"), _text)
    checks["roles"] = _texts
    return isinstance(value, list) and all(
        isinstance(item, dict) and _follows(item, checks) for item in value
    )


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _unique_texts(values: list[Any]) -> bool:
    return _texts(values) and len(set(values)) == len(values)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _anything(value: Any) -> bool:
    return True


def _name(value: Any) -> bool:
    return isinstance(value, str) and bool(_NAME.match(value))


def _created(value: Any) -> bool:
    return isinstance(value, str) and bool(_CREATED.match(value)) and _calendar(value)


def _calendar(value: str) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _safe_path(value: str) -> bool:
    """Relative, inside the package, no variables or schemes (stricter than frictionless)."""
    return bool(_PATH.match(value)) and ".." not in value.split("/")


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
