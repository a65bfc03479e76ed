"""Data Package → CKAN dataset, as DESIGN.md fixes it.

Each package of a release gives two datasets: ``<package>`` (the latest edition, stable name,
resource ids and URLs kept across updates) and ``<package>-<release>`` (the citable edition).
Each file of the package is a resource identified by its name (the Data Package resource
name: ``<table>``, ``<table>-parquet``, ``codici-…``, …) plus ``datapackage`` (the descriptor
itself); tables in CSV also go to the DataStore with a data dictionary from their Table
Schema. The bilingual metadata and the DCAT-AP_IT fields come from the descriptor and the
``[publisher]`` settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odata.config import Settings

__all__ = ["DatasetSpec", "ResourceSpec", "datasets_of_release", "edition_name"]

EU = "http://publications.europa.eu/resource/authority/"
LICENCES = {"CC-BY-4.0": "cc-by-4.0"}
LANGUAGES = {"it": "ITA", "en": "ENG", "fr": "FRA", "ar": "ARA", "zh": "ZHO"}
DATASTORE_TYPES = {"integer": "int", "number": "numeric", "string": "text", "date": "date"}


@dataclass(frozen=True)
class ResourceSpec:
    """One file of a package as a portal resource."""

    name: str
    path: Path
    format: str
    sha256: str
    size: int
    title: dict[str, str]
    description: dict[str, str]
    schema: dict[str, Any] | None
    datastore: bool

    def fields(self) -> dict[str, Any]:
        """The resource's metadata as sent to the portal (no URL, no upload)."""
        data: dict[str, Any] = {
            "name": self.name,
            "name_translated": self.title,
            "description_translated": self.description,
            "format": self.format.upper(),
            "hash": f"sha256:{self.sha256}",
            "size": self.size,
        }
        if self.schema is not None:
            data["schema"] = json.dumps(self.schema, ensure_ascii=False, sort_keys=True)
        return data


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: its metadata (without resources) and its resources in order."""

    name: str
    package: str
    metadata: dict[str, Any]
    resources: tuple[ResourceSpec, ...]


def edition_name(package: str, release: str) -> str:
    return f"{package}-{release}".lower()


def datasets_of_release(release: Path, settings: Settings) -> list[DatasetSpec]:
    """The latest and the edition dataset of every package of ``release``."""
    out = []
    for descriptor_path in sorted(release.glob("*/datapackage.json")):
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
        resources = _resources(descriptor_path.parent, descriptor)
        package = descriptor["name"]
        for name in (package, edition_name(package, release.name)):
            metadata = _metadata(descriptor, name, release.name, settings)
            out.append(DatasetSpec(name, package, metadata, resources))
    return out


def _metadata(
    descriptor: dict[str, Any], name: str, release: str, settings: Settings
) -> dict[str, Any]:
    p = settings.publisher
    dcat = descriptor.get("dcat", {})
    created = str(descriptor.get("created", ""))[:10]
    temporal = descriptor.get("temporal") or {}
    title = dict(descriptor["title_translated"])
    if name != descriptor["name"]:
        title = {
            "it": f"{title['it']} (edizione {release})",
            "en": f"{title['en']} ({release} edition)",
        }
    spatial = dcat.get("spatial", {})
    return {
        "name": name,
        "owner_org": settings.portal.organization,
        "title_translated": title,
        "notes_translated": dict(descriptor["description_translated"]),
        "tags_translated": {k: list(v) for k, v in descriptor["keywords_translated"].items()},
        "license_id": LICENCES.get(descriptor["licenses"][0]["name"], "other-open"),
        "identifier": f"{p.holder_ipa}:{name}",
        "theme": [f"{EU}data-theme/{t}" for t in dcat.get("themes", ["ECON"])],
        "frequency": f"{EU}frequency/{dcat.get('frequency', 'IRREG')}",
        "issued": created,
        "modified": created,
        "version": release,
        "language": [f"{EU}language/{LANGUAGES[c]}" for c in descriptor.get("languages", ["it"])],
        "temporal_coverage": [temporal] if temporal else [],
        "spatial_coverage": [
            {"uri": spatial.get("uri", f"{EU}country/ITA"), "text": spatial.get("text", "Italia")}
        ],
        "publisher": [{"name": p.name, "identifier": p.ipa}],
        "holder": [{"name": p.holder_name, "identifier": p.holder_ipa}],
        "contact": [{"name": settings.portal.organization_title, "email": p.email}],
        "withdrawal_translated": "",  # a new edition clears a withdrawal notice
    }


def _resources(folder: Path, descriptor: dict[str, Any]) -> tuple[ResourceSpec, ...]:
    out = []
    for resource in descriptor["resources"]:
        path = folder / resource["path"]
        title = resource.get("title_translated") or {
            "it": resource.get("title", resource["name"]),
            "en": resource.get("title", resource["name"]),
        }
        description = resource.get("description_translated") or {
            "it": resource.get("description", ""),
            "en": resource.get("description", ""),
        }
        tabular = resource.get("type") == "table" and resource.get("format") == "csv"
        out.append(
            ResourceSpec(
                name=resource["name"],
                path=path,
                format=str(resource.get("format", path.suffix.lstrip("."))),
                sha256=str(resource["hash"]).removeprefix("sha256:"),
                size=int(resource["bytes"]),
                title=title,
                description=description,
                schema=resource.get("schema"),
                datastore=tabular,
            )
        )
    path = folder / "datapackage.json"
    data = path.read_bytes()
    out.append(
        ResourceSpec(
            name="datapackage",
            path=path,
            format="json",
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            title={"it": "Descrittore del pacchetto di dati", "en": "Data package descriptor"},
            description={
                "it": "datapackage.json (Frictionless Data Package v2) di questa edizione.",
                "en": "datapackage.json (Frictionless Data Package v2) of this edition.",
            },
            schema=None,
            datastore=False,
        )
    )
    out += _report_resources(folder)
    return tuple(out)


def _report_resources(folder: Path) -> list[ResourceSpec]:
    """The Observatory report (`odata report`), published with the programme's edition so that
    the report and its data are cited from the same place; stable names across editions."""
    specs = []
    for path in sorted((folder / "rapporto").glob("rapporto-*.*")):
        kind = path.suffix.lstrip(".")
        if kind not in ("html", "pdf"):
            continue
        data = path.read_bytes()
        specs.append(
            ResourceSpec(
                name=f"rapporto-{kind}",
                path=path,
                format=kind,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                title={
                    "it": f"Rapporto dell'Osservatorio ({kind.upper()})",
                    "en": f"Observatory report ({kind.upper()})",
                },
                description={
                    "it": "Il rapporto di questa edizione, calcolato dalle sue tabelle pubblicate.",
                    "en": "This edition's report, computed from its published tables.",
                },
                schema=None,
                datastore=False,
            )
        )
    return specs


def datastore_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The DataStore data dictionary of a Table Schema (type, label and notes in IT/EN)."""
    fields = []
    for field in schema["fields"]:
        titles = field.get("title_translated") or {"it": field.get("title", field["name"])}
        notes = field.get("description_translated") or {"it": field.get("description", "")}
        label = " / ".join(dict.fromkeys(v for v in (titles.get("it"), titles.get("en")) if v))
        text = "\n\n".join(f"{k.upper()}: {v}" for k, v in notes.items() if v)
        fields.append(
            {
                "id": field["name"],
                "type": DATASTORE_TYPES.get(field["type"], "text"),
                "info": {"label": label, "notes": text},
            }
        )
    return fields
