"""The full Data Package of a statistical package in a release: files and ``datapackage.json``.

``odata build`` has written each protected table as ``data/<table>.csv`` and the disclosure
note and audit summary beside the descriptor; :func:`complete_package` adds, for every table,
a Parquet twin and, for every dimension, a code list (with its ``_T`` row: the standard
validator does not follow foreign keys across packages), then writes the descriptor: the
package metadata of ``datapackage/<name>/package.yaml``, one resource per file with ``bytes``
and a sha256 ``hash``, Table Schemas with bilingual titles and descriptions, foreign keys to the
code lists, primary keys, ``missingValues: [""]`` ("NA" is Napoli), and each table's
``x-odata`` spec (the audit reads it). Nothing in the files depends on the clock: the same
inputs give the same bytes; ``created`` comes from the release configuration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from odata.anonymize.model import CONFIDENTIAL, X_ODATA, TableSpec
from odata.config import Settings
from odata.errors import ConfigError
from odata.packages.codelists import code_list, resource_name

__all__ = ["DESCRIPTOR", "METADATA", "bytes_and_hash", "complete_package"]

DESCRIPTOR = "datapackage.json"
METADATA = "package.yaml"
_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
_NOT_IN_DESCRIPTOR = {"$schema", "fields"}


def complete_package(
    folder: Path,
    specs: Sequence[TableSpec],
    decimals: Mapping[str, int],
    settings: Settings,
    extra: Sequence[tuple[str, str, str]] = (),
    alerts: tuple[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write the Parquet twins, the code lists and the descriptor of the package in ``folder``.

    ``decimals`` gives each table's decimals (0: an integer value); ``extra`` lists other
    files of the package as (path, title_it, title_en), e.g. the disclosure note; ``alerts``
    is the monitoring alerts' (path, Table Schema), for the programme's package.

    Raises:
        ConfigError: the package metadata is missing, or a column has no definition.
    """
    name = folder.name
    meta = _metadata(settings, name)
    definitions = meta.get("fields", {})
    tables: list[dict[str, Any]] = []
    codes: dict[str, tuple[Any, dict[str, None]]] = {}  # codes in the order the tables show
    for spec in specs:
        csv_path = folder / "data" / f"{spec.name}.csv"
        frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_filter=False)
        integral = decimals.get(spec.name, 0) == 0
        schema = _schema(spec, definitions, integral, name)
        _write_parquet(frame, spec, integral, folder / "data" / f"{spec.name}.parquet")
        for dim in spec.dimensions:
            seen = codes.setdefault(dim.name, (dim, {}))[1]
            seen.update(dict.fromkeys(frame[dim.name]))
        tables.append(_table_resource(folder, spec, schema, "csv"))
        tables.append(_table_resource(folder, spec, schema, "parquet"))
    lists = []
    for dim_name, (dim, seen) in sorted(codes.items()):
        frame = code_list(dim, list(seen))
        path = folder / "data" / f"{resource_name(dim_name)}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        lists.append(_code_list_resource(folder, dim_name, definitions, name))
    files = [_file_resource(folder, path, it, en) for path, it, en in extra]
    if alerts is not None:
        alert_path, alert_schema = alerts
        alert_resource = _file_resource(
            folder,
            alert_path,
            "Allerte per la Cabina di Regia",
            "Alerts for the steering committee",
        )
        alert_resource.update({"type": "table", "format": "csv", "mediatype": "text/csv"})
        alert_resource["description"] = (
            "Dove il programma richiede un intervento, calcolato solo da celle pubblicate."
        )
        alert_resource["schema"] = dict(alert_schema)
        tables.append(alert_resource)
    descriptor = {
        "$schema": _PROFILE,
        **{k: v for k, v in meta.items() if k not in _NOT_IN_DESCRIPTOR},
        "version": settings.release.id,
        "created": f"{settings.release.created.isoformat()}T00:00:00Z",
        "temporal": _temporal(codes),
        "resources": [*tables, *lists, *files],
    }
    path = folder / DESCRIPTOR
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _metadata(settings: Settings, name: str) -> dict[str, Any]:
    path = settings.path("datapackages") / name / METADATA
    if not path.is_file():
        raise ConfigError(f"no package metadata for {name}", file=str(path))
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _definition(
    definitions: Mapping[str, Any], column: str, package: str
) -> tuple[str, str, str, str]:
    entry = definitions.get(column)
    if not entry:
        raise ConfigError(
            f"column {column} has no definition in the metadata of {package}",
            column=column,
            hint=f"add it under fields: in datapackage/{package}/{METADATA}",
        )
    (title_it, text_it), (title_en, text_en) = entry["it"], entry["en"]
    return title_it, text_it, title_en, text_en


def _field(name: str, kind: str, definitions: Mapping[str, Any], package: str) -> dict[str, Any]:
    title_it, text_it, title_en, text_en = _definition(definitions, name, package)
    return {
        "name": name,
        "type": kind,
        "title": title_it,
        "title_translated": {"it": title_it, "en": title_en},
        "description": text_it,
        "description_translated": {"it": text_it, "en": text_en},
    }


def _schema(
    spec: TableSpec, definitions: Mapping[str, Any], integral: bool, package: str
) -> dict[str, Any]:
    fields = []
    for dim in spec.dimensions:
        field = _field(dim.name, "string", definitions, package)
        field["constraints"] = {"required": True}
        fields.append(field)
    value = _field("value", "integer" if integral else "number", definitions, package)
    value["constraints"] = {"minimum": 0}
    status = _field("obs_status", "string", definitions, package)
    status["constraints"] = {"enum": [CONFIDENTIAL]}
    fields += [value, status]
    return {
        "missingValues": [""],
        "primaryKey": list(spec.dimension_names),
        "foreignKeys": [
            {
                "fields": [dim.name],
                "reference": {"resource": resource_name(dim.name), "fields": ["code"]},
            }
            for dim in spec.dimensions
        ],
        "fields": fields,
    }


def _table_resource(
    folder: Path, spec: TableSpec, schema: Mapping[str, Any], fmt: str
) -> dict[str, Any]:
    path = f"data/{spec.name}.{fmt}"
    suffix = "" if fmt == "csv" else " (Parquet)"
    resource: dict[str, Any] = {
        "name": spec.name if fmt == "csv" else f"{spec.name}-parquet",
        "path": path,
        # Parquet as a plain file: frictionless 5 cannot count a Parquet table's bytes, so
        # with a schema the standard validator fails on it; its types are in the file.
        "type": "table" if fmt == "csv" else "file",
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
        "title": spec.title_it + suffix,
        "title_translated": {"it": spec.title_it + suffix, "en": spec.title_en + suffix},
        "description": spec.question_it,
        "description_translated": {"it": spec.question_it, "en": spec.question_en},
    }
    if fmt == "csv":
        resource["encoding"] = "utf-8"
    resource.update(bytes_and_hash(folder / path))
    if fmt == "csv":
        resource["schema"] = schema
        resource[X_ODATA] = spec.to_dict()  # the audit reads the CSV resources only
    else:
        resource["description"] += " Stesse righe e colonne della tabella CSV, con tipi."
        resource["description_translated"]["en"] += " Same rows and columns as the CSV, typed."
        resource["description_translated"]["it"] = resource["description"]
    return resource


def _code_list_resource(
    folder: Path, dimension: str, definitions: Mapping[str, Any], package: str
) -> dict[str, Any]:
    name = resource_name(dimension)
    title_it, _, title_en, _ = _definition(definitions, dimension, package)
    path = f"data/{name}.csv"
    text = ("Codice", "Code"), ("Codice superiore (_T per il primo livello)", "Parent code")
    labels = ("Etichetta italiana", "Italian label"), ("Etichetta inglese", "English label")
    columns = zip(("code", "parent", "label_it", "label_en"), (*text, *labels), strict=True)
    fields = [
        {
            "name": column,
            "type": "string",
            "title": it,
            "title_translated": {"it": it, "en": en},
            **({"constraints": {"required": True}} if column in ("code", "label_it") else {}),
        }
        for column, (it, en) in columns
    ]
    return {
        "name": name,
        "path": path,
        "type": "table",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": f"Codici: {title_it}",
        "title_translated": {"it": f"Codici: {title_it}", "en": f"Codes: {title_en}"},
        "description": f"Codici ed etichette della dimensione {dimension} (_T: totale).",
        "description_translated": {
            "it": f"Codici ed etichette della dimensione {dimension} (_T: totale).",
            "en": f"Codes and labels of the dimension {dimension} (_T: total).",
        },
        **bytes_and_hash(folder / path),
        "schema": {
            "missingValues": [""],
            "primaryKey": ["code"],
            "foreignKeys": [
                {"fields": ["parent"], "reference": {"resource": "", "fields": ["code"]}}
            ],
            "fields": fields,
        },
    }


def _file_resource(folder: Path, path: str, title_it: str, title_en: str) -> dict[str, Any]:
    suffix = Path(path).suffix
    mediatype = {".md": "text/markdown", ".json": "application/json"}.get(suffix, "text/plain")
    return {
        "name": Path(path).stem,
        "path": path,
        "format": suffix.lstrip("."),
        "mediatype": mediatype,
        "encoding": "utf-8",
        "title": title_it,
        "title_translated": {"it": title_it, "en": title_en},
        **bytes_and_hash(folder / path),
    }


def bytes_and_hash(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"bytes": len(data), "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"}


def _write_parquet(frame: pd.DataFrame, spec: TableSpec, integral: bool, path: Path) -> None:
    """The CSV's rows with typed columns (codes as text, value as integer or float, null when
    confidential), zstd-compressed; no pandas index, no clock in the metadata."""
    columns: dict[str, pa.Array] = {
        name: pa.array(frame[name].tolist(), pa.string()) for name in spec.dimension_names
    }
    values = [None if v == "" else v for v in frame["value"].tolist()]
    if integral:
        columns["value"] = pa.array([None if v is None else int(v) for v in values], pa.int64())
    else:
        columns["value"] = pa.array([None if v is None else float(v) for v in values], pa.float64())
    columns["obs_status"] = pa.array(
        [None if s == "" else s for s in frame["obs_status"].tolist()], pa.string()
    )
    pq.write_table(pa.table(columns), path, compression="zstd")


def _temporal(codes: Mapping[str, tuple[Any, Mapping[str, None]]]) -> dict[str, str]:
    """Coverage from the years or quarters the tables show (empty when they show neither)."""
    years = sorted(c for c in codes.get("anno", (None, {}))[1] if c.isdigit())
    quarters = sorted(c for c in codes.get("trimestre", (None, {}))[1] if "-Q" in c)
    if years:
        return {"start": f"{years[0]}-01-01", "end": f"{years[-1]}-12-31"}
    if quarters:
        first_year, first_q = quarters[0].split("-Q")
        last_year, last_q = quarters[-1].split("-Q")
        end_month, end_day = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}[int(last_q)]
        start = f"{first_year}-{3 * int(first_q) - 2:02d}-01"
        return {"start": start, "end": f"{last_year}-{end_month:02d}-{end_day}"}
    return {}
