"""Valid dataset dicts under the portal's bilingual DCAT-AP_IT schema, for the integration tests.

The schema is ``portal/ckanext-odata/ckanext/odata/schemas/dataset.yaml``: translated fields
are ``{"it": ..., "en": ...}`` objects, both languages required for titles, descriptions and
resource names; themes, frequency and languages are EU authority URIs (codes are accepted).
"""

from __future__ import annotations

import json
from typing import Any

EU = "http://publications.europa.eu/resource/authority/"

TABLE_SCHEMA = {
    "fields": [
        {"name": "anno", "type": "integer", "title": "Anno", "description": "Anno di riferimento"},
        {"name": "value", "type": "integer", "title": "Valore"},
        {"name": "obs_status", "type": "string", "title": "Stato dell'osservazione"},
    ],
    "primaryKey": ["anno"],
}


def bilingual_resource(name: str, fmt: str = "CSV", **extra: Any) -> dict[str, Any]:
    """A resource with an external URL (no upload), a bilingual name and a Table Schema."""
    url = f"https://example.org/odata-test/{name}.{fmt.lower()}"
    resource: dict[str, Any] = {
        "name": name,
        "url": url,
        "name_translated": {"it": f"Tabella {name}", "en": f"Table {name}"},
        "description_translated": {
            "it": f"Dati della tabella {name}.",
            "en": f"Data of the table {name}.",
        },
        "format": fmt,
        "schema": json.dumps(TABLE_SCHEMA),
    }
    resource.update(extra)
    return resource


def bilingual_dataset(name: str, org: str, **extra: Any) -> dict[str, Any]:
    """A public dataset that satisfies the schema and every DCAT-AP_IT mandatory property.

    ``extra`` overrides or adds fields (e.g. ``private=True``, ``resources=[]``,
    ``title_translated={...}``).
    """
    dataset: dict[str, Any] = {
        "name": name,
        "owner_org": org,
        "private": False,
        "title_translated": {
            "it": f"Imprese migranti di prova {name}",
            "en": f"Test migrant-owned firms {name}",
        },
        "notes_translated": {
            "it": "Dataset di prova dell'Osservatorio sull'imprenditoria migrante.",
            "en": "Test dataset of the Observatory on migrant entrepreneurship.",
        },
        "tags_translated": {"it": ["imprese", "migranti"], "en": ["firms", "migrants"]},
        "license_id": "cc-by-4.0",
        "identifier": f"m_lps:{name}",
        "theme": [EU + "data-theme/ECON", EU + "data-theme/SOCI"],
        "frequency": EU + "frequency/ANNUAL",
        "issued": "2026-11-30",
        "modified": "2026-11-30",
        "version": "2026-q3",
        "language": [EU + "language/ITA", EU + "language/ENG"],
        "temporal_coverage": [{"start": "2019-05-16", "end": "2022-11-30"}],
        "spatial_coverage": [{"uri": EU + "country/ITA", "text": "Italia"}],
        "publisher": [{"name": "Unioncamere", "identifier": "unioncamere"}],
        "holder": [
            {"name": "Ministero del Lavoro e delle Politiche Sociali", "identifier": "m_lps"}
        ],
        "contact": [{"name": "Osservatorio imprese migranti", "email": "osservatorio@example.org"}],
        "resources": [bilingual_resource("imprese")],
    }
    dataset.update(extra)
    return dataset
