"""The portal's bilingual schema and its DCAT-AP_IT catalogue, against the real CKAN.

Mandatory properties are those of AgID's DCAT-AP_IT guidelines (notes/metadata.md §1), plus
the contact point, which dati.gov.it's harvester treats as required.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD
from rdflib.term import Node

from .conftest import Portal
from .datasets import TABLE_SCHEMA, bilingual_dataset, bilingual_resource

pytestmark = pytest.mark.integration

DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
CC_BY_AGID = URIRef("https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40")


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return int(response.status), response.read().decode("utf-8")


def turtle(url: str) -> Graph:
    status, text = get(url)
    assert status == 200, url
    return Graph().parse(data=text, format="turtle")


def catalogue(portal_url: str) -> Graph:
    """Every page of /catalog.ttl in one graph (pages follow hydra:next)."""
    graph = Graph()
    url: str | None = f"{portal_url}/catalog.ttl"
    while url:
        page = turtle(url)
        graph += page
        url = next((str(o) for o in page.objects(None, HYDRA.next)), None)
    return graph


@pytest.fixture(scope="module")
def org(portal: Portal) -> str:
    return portal.settings.portal.organization


@pytest.fixture(scope="module")
def dataset(ckan: ckanapi.RemoteCKAN, org: str) -> Iterator[dict[str, Any]]:
    """A public bilingual dataset with a CSV, a Parquet and a JSON resource; purged after."""
    name = f"odata-test-{uuid.uuid4().hex[:12]}"
    resources = [
        bilingual_resource("imprese_per_anno", size=1234, hash="sha256:" + "ab" * 32),
        bilingual_resource("imprese_per_anno-parquet", fmt="Parquet"),
        bilingual_resource("datapackage", fmt="JSON"),
    ]
    created = ckan.action.package_create(**bilingual_dataset(name, org, resources=resources))
    try:
        yield created
    finally:
        ckan.action.dataset_purge(id=created["id"])


# ---------------------------------------------------------------------------------------------
# the API


def test_package_show_returns_translated_dicts(ckan: ckanapi.RemoteCKAN, dataset: dict) -> None:
    shown = ckan.action.package_show(id=dataset["name"])
    assert shown["title_translated"] == {
        "it": f"Imprese migranti di prova {dataset['name']}",
        "en": f"Test migrant-owned firms {dataset['name']}",
    }
    assert shown["title"] == shown["title_translated"]["it"]
    assert shown["notes"] == shown["notes_translated"]["it"]
    assert shown["tags_translated"] == {"it": ["imprese", "migranti"], "en": ["firms", "migrants"]}
    assert {t["name"] for t in shown["tags"]} == {"imprese", "migranti", "firms", "migrants"}
    assert shown["holder"] == [
        {"name": "Ministero del Lavoro e delle Politiche Sociali", "identifier": "m_lps"}
    ]
    csv = shown["resources"][0]
    assert csv["name"] == "imprese_per_anno"
    assert csv["name_translated"] == {
        "it": "Tabella imprese_per_anno",
        "en": "Table imprese_per_anno",
    }
    assert csv["description"] == csv["description_translated"]["it"]
    assert csv["schema"] == json.dumps(TABLE_SCHEMA)  # stored as sent, byte for byte


def test_translated_keywords_are_core_tags(ckan: ckanapi.RemoteCKAN, dataset: dict) -> None:
    for tag in ("migranti", "migrants"):
        found = ckan.action.package_search(fq=f'tags:"{tag}"', rows=1000)["results"]
        assert dataset["name"] in {d["name"] for d in found}


def test_missing_english_title_is_a_409_naming_field_and_language(
    portal: Portal, ckan: ckanapi.RemoteCKAN, org: str
) -> None:
    name = f"odata-test-{uuid.uuid4().hex[:12]}"
    body = bilingual_dataset(name, org, title_translated={"it": "Solo in italiano"})
    request = urllib.request.Request(
        f"{portal.url}/api/3/action/package_create",
        data=json.dumps(body).encode(),
        headers={"Authorization": portal.token, "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=60)
    with raised.value as response:
        assert response.code == 409
        error = json.load(response)["error"]
    assert error["__type"] == "Validation Error"
    assert any('"en"' in message for message in error["title_translated"])
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=name)


def test_bad_resource_title_names_the_resource_field(ckan: ckanapi.RemoteCKAN, org: str) -> None:
    resource = bilingual_resource("tabella", name_translated={"en": "Table only"})
    body = bilingual_dataset(f"odata-test-{uuid.uuid4().hex[:12]}", org, resources=[resource])
    with pytest.raises(ckanapi.ValidationError) as raised:
        ckan.action.package_create(**body)
    messages = raised.value.error_dict["resources"][0]["name_translated"]
    assert any('"it"' in message for message in messages)


# ---------------------------------------------------------------------------------------------
# DCAT-AP_IT


def dataset_problems(g: Graph, ref: Node) -> list[str]:
    """What ``ref`` lacks of DCAT-AP_IT's mandatory dataset and distribution properties."""
    problems: list[str] = []

    def need(ok: bool, what: str) -> None:
        if not ok:
            problems.append(f"{ref}: {what}")

    need((ref, RDF.type, DCATAPIT.Dataset) in g, "not a dcatapit:Dataset")
    need(
        any(isinstance(o, Literal) and str(o) for o in g.objects(ref, DCTERMS.identifier)),
        "no dct:identifier literal",
    )
    titles = {o.language for o in g.objects(ref, DCTERMS.title) if isinstance(o, Literal)}
    need({"it", "en"} <= titles, f"dct:title languages {titles}, want it and en")
    need(any(True for _ in g.objects(ref, DCTERMS.description)), "no dct:description")
    need(
        any(
            isinstance(o, Literal) and o.datatype == XSD.date
            for o in g.objects(ref, DCTERMS.modified)
        ),
        "no dct:modified xsd:date",
    )
    need(
        any(str(o).startswith(EU + "data-theme/") for o in g.objects(ref, DCAT.theme)),
        "no dcat:theme",
    )
    need(
        any(
            str(o).startswith(EU + "frequency/") for o in g.objects(ref, DCTERMS.accrualPeriodicity)
        ),
        "no dct:accrualPeriodicity",
    )
    holders = list(g.objects(ref, DCTERMS.rightsHolder))
    need(len(holders) == 1, f"{len(holders)} dct:rightsHolder, want 1")
    for agent in holders:
        need((agent, RDF.type, DCATAPIT.Agent) in g, "rights holder not a dcatapit:Agent")
        need((agent, DCTERMS.identifier, None) in g, "rights holder without dct:identifier")
        need((agent, FOAF.name, None) in g, "rights holder without foaf:name")
    contacts = list(g.objects(ref, DCAT.contactPoint))
    need(bool(contacts), "no dcat:contactPoint")
    for contact in contacts:
        need((contact, RDF.type, DCATAPIT.Organization) in g, "contact not dcatapit:Organization")
        need((contact, VCARD.fn, None) in g, "contact without vcard:fn")
        need(
            any(str(o).startswith("mailto:") for o in g.objects(contact, VCARD.hasEmail)),
            "contact without vcard:hasEmail mailto:",
        )
    distributions = list(g.objects(ref, DCAT.distribution))
    need(bool(distributions), "no dcat:distribution")
    for dist in distributions:
        need((dist, RDF.type, DCATAPIT.Distribution) in g, f"{dist} not a dcatapit:Distribution")
        need(
            any(str(o).startswith(EU + "file-type/") for o in g.objects(dist, DCTERMS["format"])),
            f"{dist} dct:format is not an EU file type",
        )
        need((dist, DCAT.accessURL, None) in g, f"{dist} without dcat:accessURL")
        licences = list(g.objects(dist, DCTERMS.license))
        need(bool(licences), f"{dist} without dct:license")
        for licence in licences:
            need(
                (licence, RDF.type, DCATAPIT.LicenseDocument) in g,
                f"{dist} licence {licence} not a dcatapit:LicenseDocument",
            )
    return problems


def dataset_ref(g: Graph, identifier: str) -> Node:
    refs = list(g.subjects(DCTERMS.identifier, Literal(identifier)))
    assert len(refs) == 1, f"{len(refs)} datasets with dct:identifier {identifier}"
    return refs[0]


def test_dataset_rdf_is_dcatapit(portal: Portal, dataset: dict) -> None:
    g = turtle(f"{portal.url}/dataset/{dataset['name']}.ttl")
    ref = dataset_ref(g, f"m_lps:{dataset['name']}")
    assert dataset_problems(g, ref) == []

    assert {(str(o), o.language) for o in g.objects(ref, DCTERMS.title)} == {
        (dataset["title_translated"]["it"], "it"),
        (dataset["title_translated"]["en"], "en"),
    }
    assert {(str(o), o.language) for o in g.objects(ref, DCAT.keyword)} == {
        ("imprese", "it"),
        ("migranti", "it"),
        ("firms", "en"),
        ("migrants", "en"),
    }
    assert set(g.objects(ref, DCAT.theme)) == {
        URIRef(EU + "data-theme/ECON"),
        URIRef(EU + "data-theme/SOCI"),
    }
    assert set(g.objects(ref, DCTERMS.accrualPeriodicity)) == {URIRef(EU + "frequency/ANNUAL")}
    assert set(g.objects(ref, DCTERMS.language)) == {
        URIRef(EU + "language/ITA"),
        URIRef(EU + "language/ENG"),
    }
    assert list(g.objects(ref, DCTERMS.modified)) == [Literal("2026-11-30", datatype=XSD.date)]
    (holder,) = g.objects(ref, DCTERMS.rightsHolder)
    assert str(g.value(holder, DCTERMS.identifier)) == "m_lps"
    (publisher,) = g.objects(ref, DCTERMS.publisher)
    assert (publisher, RDF.type, DCATAPIT.Agent) in g
    assert str(g.value(publisher, DCTERMS.identifier)) == "unioncamere"
    (contact,) = g.objects(ref, DCAT.contactPoint)
    assert (contact, VCARD.hasEmail, URIRef("mailto:osservatorio@example.org")) in g


def test_distributions_carry_licence_format_and_urls(portal: Portal, dataset: dict) -> None:
    g = turtle(f"{portal.url}/dataset/{dataset['name']}.ttl")
    ref = dataset_ref(g, f"m_lps:{dataset['name']}")
    formats = {}
    for dist in g.objects(ref, DCAT.distribution):
        (fmt,) = g.objects(dist, DCTERMS["format"])
        formats[str(fmt).rsplit("/", 1)[1]] = dist
        assert set(g.objects(dist, DCTERMS.license)) == {CC_BY_AGID}
        (url,) = g.objects(dist, DCAT.downloadURL)
        assert str(url).startswith("https://example.org/odata-test/")
        assert {o.language for o in g.objects(dist, DCTERMS.title)} == {"it", "en"}
    assert set(formats) == {"CSV", "PARQUET", "JSON"}
    assert (CC_BY_AGID, DCTERMS.type, URIRef("http://purl.org/adms/licencetype/Attribution")) in g
    assert (CC_BY_AGID, RDF.type, DCATAPIT.LicenseDocument) in g


def test_catalogue_is_dcatapit(portal: Portal, dataset: dict) -> None:
    g = catalogue(portal.url)
    (cat,) = g.subjects(RDF.type, DCATAPIT.Catalog)
    assert (cat, RDF.type, DCAT.Catalog) in g
    assert {o.language for o in g.objects(cat, DCTERMS.title)} >= {"it", "en"}
    assert any(True for _ in g.objects(cat, DCTERMS.description))
    (publisher,) = g.objects(cat, DCTERMS.publisher)
    assert (publisher, RDF.type, DCATAPIT.Agent) in g
    assert str(g.value(publisher, DCTERMS.identifier) or "")
    assert str(g.value(publisher, FOAF.name) or "")
    (modified,) = g.objects(cat, DCTERMS.modified)
    assert isinstance(modified, Literal) and modified.datatype == XSD.date
    assert set(g.objects(cat, DCTERMS.language)) >= {URIRef(EU + "language/ITA")}
    ours = dataset_ref(g, f"m_lps:{dataset['name']}")
    assert (cat, DCAT.dataset, ours) in g


def test_every_public_dataset_in_the_catalogue_is_dcatapit(
    portal: Portal, ckan: ckanapi.RemoteCKAN, dataset: dict
) -> None:
    g = catalogue(portal.url)
    (cat,) = g.subjects(RDF.type, DCATAPIT.Catalog)
    refs = list(g.objects(cat, DCAT.dataset))
    public = ckan.action.package_search(rows=0, include_private=False)["count"]
    assert len(refs) == public >= 1
    problems = [problem for ref in refs for problem in dataset_problems(g, ref)]
    assert problems == []


# ---------------------------------------------------------------------------------------------
# the dataset page


def test_dataset_page_speaks_the_visitors_language(portal: Portal, dataset: dict) -> None:
    it_title = dataset["title_translated"]["it"]
    en_title = dataset["title_translated"]["en"]
    status, italian = get(f"{portal.url}/dataset/{dataset['name']}")
    assert status == 200
    assert it_title in italian and en_title not in italian
    status, english = get(f"{portal.url}/en/dataset/{dataset['name']}")
    assert status == 200
    assert en_title in english
