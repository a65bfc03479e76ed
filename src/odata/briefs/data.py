"""Published tables for the briefs: from the portal's DataStore (cached) or the built release.

The briefs read nothing else: no raw source, no unprotected table, no private report. Both
sources answer the same questions, so a brief cannot tell (and need not know) which it has.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from odata.briefs.settings import BriefSettings

__all__ = [
    "DataUnavailable",
    "PortalTables",
    "ReleaseTables",
    "Tables",
    "open_tables",
]

_TIMEOUT = 10
_MAX_ROWS = 50_000  # no published table is larger (limits.max_table_rows)


class DataUnavailable(RuntimeError):
    """The published tables cannot be read; the brief says so instead of failing."""


class Tables(Protocol):
    """What a brief may read: protected tables and code lists of the published packages."""

    def table(self, package: str, name: str) -> pd.DataFrame: ...

    def descriptor(self, package: str) -> dict[str, Any]: ...

    def dataset_url(self, package: str) -> str: ...

    def resource_url(self, package: str, resource: str) -> str: ...

    def guide_url(self, package: str, resource: str) -> str: ...


def open_tables(settings: BriefSettings) -> Tables:
    """The source the settings name."""
    if settings.source == "portal":
        return PortalTables(settings.portal_url, settings.cache_dir)
    if settings.release_dir is None:
        raise DataUnavailable("no release folder configured (ODATA_BRIEFS_RELEASE_DIR)")
    return ReleaseTables(settings.release_dir, settings.portal_url)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes as text, ``value`` as a number (NaN when confidential), ``obs_status`` as text."""
    frame = frame.copy()
    for column in frame.columns:
        if column == "value":
            frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
        else:
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def edition_of(descriptor: dict[str, Any]) -> str:
    return str(descriptor.get("version", ""))


def _edition_dataset(portal_url: str, package: str, edition: str) -> str:
    return f"{portal_url}/dataset/{package}-{edition}".lower() if portal_url else ""


@dataclass
class ReleaseTables:
    """Tables read from a built release folder (offline mode)."""

    folder: Path
    portal_url: str = ""
    _descriptors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def descriptor(self, package: str) -> dict[str, Any]:
        if package not in self._descriptors:
            path = self.folder / package / "datapackage.json"
            try:
                self._descriptors[package] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise DataUnavailable(f"{package}: no readable datapackage.json") from error
        return self._descriptors[package]

    def table(self, package: str, name: str) -> pd.DataFrame:
        resource = _resource(self.descriptor(package), name)
        path = self.folder / package / resource["path"]
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError) as error:
            raise DataUnavailable(f"{package}/{name}: cannot be read") from error
        return typed(frame)

    def dataset_url(self, package: str) -> str:
        return _edition_dataset(self.portal_url, package, edition_of(self.descriptor(package)))

    def resource_url(self, package: str, resource: str) -> str:
        base = self.dataset_url(package)
        return f"{base}#{resource}" if base else ""

    def guide_url(self, package: str, resource: str) -> str:
        """Guides of an offline release are served by ``odata briefs serve`` itself (a guide's
        PDF is the resource ``<guide>-pdf``, the file ``<guide>.pdf``)."""
        stem, pdf = resource.removesuffix("-pdf"), resource.endswith("-pdf")
        return f"/cassetto/guide/{urllib.parse.quote(stem)}.{'pdf' if pdf else 'html'}"


@dataclass
class PortalTables:
    """Tables read through the portal's API, kept in a local cache per edition.

    The cache is keyed by the edition (the dataset's ``version``) so a new release is read
    fresh, and it serves the last edition seen when the portal cannot be reached.
    """

    portal_url: str
    cache_dir: Path | None = None
    _packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    _descriptors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _action(self, action: str, **params: Any) -> Any:
        query = urllib.parse.urlencode(params)
        url = f"{self.portal_url}/api/3/action/{action}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=_TIMEOUT) as answer:
                body = json.loads(answer.read())
        except (OSError, ValueError) as error:
            raise DataUnavailable(f"portal {action} failed: {error}") from error
        if not body.get("success"):
            raise DataUnavailable(f"portal {action} refused: {body.get('error')}")
        return body["result"]

    def _package(self, package: str) -> dict[str, Any]:
        if package not in self._packages:
            try:
                self._packages[package] = self._action("package_show", id=package)
            except DataUnavailable:
                cached = self._cached(package, "package")
                if cached is None:
                    raise
                self._packages[package] = cached
            self._store(package, "package", self._packages[package])
        return self._packages[package]

    def _edition(self, package: str) -> str:
        return str(self._package(package).get("version", ""))

    def _resource(self, package: str, name: str) -> dict[str, Any]:
        for resource in self._package(package).get("resources", []):
            if resource.get("name") == name:
                return dict(resource)
        raise DataUnavailable(f"{package}: no resource named {name}")

    def descriptor(self, package: str) -> dict[str, Any]:
        if package not in self._descriptors:
            cached = self._cached(package, "datapackage")
            if cached is None:
                url = self._resource(package, "datapackage")["url"]
                cached = json.loads(_download(url))
                self._store(package, "datapackage", cached)
            self._descriptors[package] = cached
        return self._descriptors[package]

    def table(self, package: str, name: str) -> pd.DataFrame:
        cached = self._cached(package, name)
        if cached is None:
            resource_id = self._resource(package, name)["id"]
            result = self._action("datastore_search", resource_id=resource_id, limit=_MAX_ROWS)
            fields = [f["id"] for f in result["fields"] if f["id"] != "_id"]
            cached = {"fields": fields, "records": result["records"]}
            self._store(package, name, cached)
        rows = [[_text(record.get(f)) for f in cached["fields"]] for record in cached["records"]]
        return typed(pd.DataFrame(rows, columns=cached["fields"]))

    def dataset_url(self, package: str) -> str:
        return _edition_dataset(self.portal_url, package, self._edition(package))

    def resource_url(self, package: str, resource: str) -> str:
        resource_id = self._resource(package, resource)["id"]
        return f"{self.portal_url}/dataset/{package}/resource/{resource_id}"

    def guide_url(self, package: str, resource: str) -> str:
        return str(self._resource(package, resource).get("url", ""))

    def _cache_file(self, package: str, name: str) -> Path | None:
        if self.cache_dir is None:
            return None
        edition = "" if name == "package" else self._edition(package)
        return self.cache_dir / package / (edition or "latest") / f"{name}.json"

    def _cached(self, package: str, name: str) -> Any:
        path = self._cache_file(package, name)
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _store(self, package: str, name: str, value: Any) -> None:
        path = self._cache_file(package, name)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)


def _resource(descriptor: dict[str, Any], name: str) -> dict[str, Any]:
    for resource in descriptor.get("resources", []):
        if resource.get("name") == name:
            return dict(resource)
    raise DataUnavailable(f"{descriptor.get('name')}: no resource named {name}")


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as answer:
            return bytes(answer.read())
    except OSError as error:
        raise DataUnavailable(f"download failed: {error}") from error


def _text(value: Any) -> str:
    """DataStore values back to the CSV's text (numbers keep their published digits)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_text(frame: pd.DataFrame) -> str:
    """A view as CSV text (UTF-8, comma, header), the way the release writes tables."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buffer.getvalue()
