"""A Frictionless v1/v2 descriptor read into what the fast engine needs, without frictionless.

Only the parts the checks use are normalised (fields, keys, dialect, bytes, hash, the odata
``x-odata`` block); whether the descriptor as a whole follows the standard is left to
frictionless's own metadata check (see :func:`descriptor_problems`), unless it is plainly
valid (see :mod:`.standard`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from odata.errors import Problem

__all__ = [
    "FieldSpec",
    "ForeignKey",
    "ResourceSpec",
    "descriptor_problems",
    "load_descriptor",
    "resources_of",
]

#: types and date formats the fast engine checks itself; anything else goes to frictionless.
FAST_TYPES = frozenset({"string", "integer", "number", "boolean", "date", "year", "any"})
_DATE_DIRECTIVES = re.compile(r"%[^Ymd]")
_TRUE = ("true", "True", "TRUE", "1")
_FALSE = ("false", "False", "FALSE", "0")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str = "any"
    format: str = "default"
    constraints: dict[str, Any] = field(default_factory=dict)
    true_values: tuple[str, ...] = _TRUE
    false_values: tuple[str, ...] = _FALSE
    pattern_by: dict[str, Any] | None = None
    number_options: bool = False  # decimalChar, groupChar or bareNumber declared

    @property
    def fast(self) -> bool:
        """True when the fast engine reads this field exactly as declared."""
        if self.type not in FAST_TYPES or self.number_options:
            return False
        if self.type == "date":
            return self.format == "default" or not _DATE_DIRECTIVES.search(self.format)
        return self.format in ("default", "") or self.type in ("string", "any")


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "" for the table itself
    reference: tuple[str, ...]


@dataclass
class ResourceSpec:
    name: str
    path: Path | None
    tabular: bool
    fields: list[FieldSpec] | None
    missing_values: tuple[str, ...] = ("",)
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    delimiter: str = ","
    quote_char: str = '"'
    encoding: str = "utf-8"
    bytes: int | None = None
    hash: str | None = None
    x_odata: dict[str, Any] | None = None
    unsupported: str | None = None  # why frictionless must check this resource instead

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields or [] if f.name == name), None)


def load_descriptor(path: Path) -> dict[str, Any]:
    """The descriptor as a mapping (JSON, or YAML for ``.yaml``/``.yml``).

    Raises OSError when unreadable and ValueError when it is not a mapping.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml  # only here: a JSON descriptor (a release) spares its import

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("a data package descriptor must be a mapping")
    return data


def resources_of(descriptor: dict[str, Any], base: Path) -> list[ResourceSpec]:
    """Every resource of ``descriptor`` (a package folder ``base``), normalised."""
    return [_resource(r, base) for r in descriptor.get("resources", []) if isinstance(r, dict)]


def descriptor_problems(path: Path, label: str) -> list[Problem]:
    """Frictionless's verdict on the descriptor itself (no data is read)."""
    from frictionless import FrictionlessException, Package

    try:
        Package(str(path))
    except FrictionlessException as exc:
        return [Problem(code=e.type, reason=e.message, file=label) for e in exc.to_errors()]
    return []


def _external(value: Any, base: Path) -> Any:
    """A schema or dialect given as a path (v1) is read from that file."""
    if isinstance(value, str):
        return load_descriptor(base / value)
    return value


def _resource(raw: dict[str, Any], base: Path) -> ResourceSpec:
    name = str(raw.get("name", ""))
    path_value = raw.get("path")
    path = base / path_value if isinstance(path_value, str) else None
    schema = _external(raw.get("schema"), base)
    fmt = str(raw.get("format") or (path.suffix.lstrip(".") if path else "")).lower()
    tabular = bool(schema) or raw.get("type") == "table" or fmt in ("csv", "tsv")
    spec = ResourceSpec(
        name=name,
        path=path,
        tabular=tabular,
        fields=None,
        encoding=str(raw.get("encoding") or "utf-8").lower(),
        bytes=raw.get("bytes"),
        hash=raw.get("hash"),
        x_odata=raw.get("x-odata"),
    )
    if not tabular:
        return spec
    if path is None:
        spec.unsupported = "inline or multipart data"
    elif fmt not in ("csv", "tsv", ""):
        spec.unsupported = f"format {fmt}"
    elif spec.encoding.replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        spec.unsupported = f"encoding {spec.encoding}"
    dialect = _external(raw.get("dialect"), base) or {}
    dialect = dialect.get("csv", dialect) if isinstance(dialect, dict) else {}
    spec.delimiter = str(dialect.get("delimiter", "\t" if fmt == "tsv" else ","))
    spec.quote_char = str(dialect.get("quoteChar", '"'))
    if dialect.get("header") is False or dialect.get("headerRows", [1]) != [1]:
        spec.unsupported = "a dialect without a one-line header"
    if isinstance(schema, dict):
        _read_schema(spec, schema)
    return spec


def _read_schema(spec: ResourceSpec, schema: dict[str, Any]) -> None:
    spec.missing_values = tuple(str(v) for v in schema.get("missingValues", [""]))
    spec.fields = [_field(f) for f in schema.get("fields", []) if isinstance(f, dict)]
    key = schema.get("primaryKey") or []
    spec.primary_key = (key,) if isinstance(key, str) else tuple(key)
    for fk in schema.get("foreignKeys") or []:
        fields = fk.get("fields", [])
        reference = fk.get("reference", {})
        ref_fields = reference.get("fields", [])
        spec.foreign_keys.append(
            ForeignKey(
                fields=(fields,) if isinstance(fields, str) else tuple(fields),
                resource=str(reference.get("resource") or ""),
                reference=(ref_fields,) if isinstance(ref_fields, str) else tuple(ref_fields),
            )
        )
    slow = [f.name for f in spec.fields if not f.fast]
    if slow and spec.unsupported is None:
        spec.unsupported = f"the type or format of {', '.join(slow)}"


def _field(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=str(raw.get("name", "")),
        type=str(raw.get("type", "any")),
        format=str(raw.get("format", "default")),
        constraints=dict(raw.get("constraints") or {}),
        true_values=tuple(raw.get("trueValues", _TRUE)),
        false_values=tuple(raw.get("falseValues", _FALSE)),
        pattern_by=raw.get("patternBy"),
        number_options=any(k in raw for k in ("decimalChar", "groupChar", "bareNumber")),
    )
