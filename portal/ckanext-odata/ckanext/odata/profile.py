"""DCAT-AP_IT on top of ckanext-dcat's ``euro_dcat_ap_3`` profile.

Chained after the stock profile (``ckanext.dcat.rdf.profiles = euro_dcat_ap_3 odata_dcatapit``)
this profile only adds or corrects what the Italian profile needs and the European one does
not give (AgID, *Linee guida per i cataloghi dati*, DCAT-AP_IT; see notes/metadata.md §1):

* the ``dcatapit:`` classes on catalogue, datasets and distributions: dati.gov.it's harvester
  ignores any dataset that is not a ``dcatapit:Dataset``;
* ``@it`` / ``@en`` literals for titles, descriptions and keywords from our translated fields;
* agents (publisher, rights holder, creator) as ``dcatapit:Agent`` with their IPA code in
  ``dct:identifier``: the stock profile has no ``dct:rightsHolder`` at all;
* contact points as ``dcatapit:Organization`` (a ``vcard:Organization``);
* licences as AgID vocabulary URIs typed ``dcatapit:LicenseDocument`` on every distribution,
  formats as EU file-type URIs, dates as ``xsd:date``;
* fallbacks for the mandatory properties, so that no public dataset is left without them:
  identifier ``<IPA>:<id>``, theme ``OP_DATPRO``, frequency ``UNKNOWN``, rights holder and
  contact point from the portal's configuration.

Portal-wide values come from ckan.ini (``ckanext.odata.*``, see ``config_value``), because
the IPA codes could not be verified offline and belong to the deployment, not to the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import ckan.plugins.toolkit as tk
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.term import Node

from ckanext.dcat.profiles import RDFProfile
from ckanext.dcat.profiles.base import (
    ADMS,
    DCAT,
    DCT,
    FOAF,
    OWL,
    RDF,
    SCHEMA,
    SKOS,
    SPDX,
    VCARD,
    XSD,
    CleanedURIRef,
    URIRefOrLiteral,
)
from ckanext.dcat.utils import resource_uri

DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
#: adms:status of a withdrawn edition (EU dataset-status authority table)
WITHDRAWN = "http://publications.europa.eu/resource/authority/dataset-status/WITHDRAWN"
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
AGID_LICENCES = "https://w3id.org/italia/controlled-vocabulary/licences/"
ADMS_LICENCE_TYPE = "http://purl.org/adms/licencetype/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
SPDX_ALGORITHM = "http://spdx.org/rdf/terms#checksumAlgorithm_"

DEFAULT_THEME = "OP_DATPRO"  # "provisional data": what dcatapit itself uses when none is given
DEFAULT_FREQUENCY = "UNKNOWN"
DEFAULT_FORMAT = "OP_DATPRO"

# CKAN locale → EU language authority code (catalogue dct:language)
LANGUAGE_CODES = {"it": "ITA", "en": "ENG", "de": "DEU", "fr": "FRA", "es": "SPA", "sl": "SLV"}

# CKAN resource format (upper case) → EU file-type code
FILE_TYPES = {
    "CSV": "CSV",
    "TSV": "TSV",
    "JSON": "JSON",
    "GEOJSON": "GEOJSON",
    "JSON-LD": "JSON_LD",
    "JSONLD": "JSON_LD",
    "PARQUET": "PARQUET",
    "XLSX": "XLSX",
    "XLS": "XLS",
    "ODS": "ODS",
    "ZIP": "ZIP",
    "PDF": "PDF",
    "HTML": "HTML",
    "XML": "XML",
    "TXT": "TXT",
    "DOCX": "DOCX",
    "ODT": "ODT",
    "RDF": "RDF_XML",
    "TTL": "RDF_TURTLE",
    "TURTLE": "RDF_TURTLE",
}
MEDIA_TYPE_FILE_TYPES = {
    "text/csv": "CSV",
    "application/json": "JSON",
    "application/vnd.apache.parquet": "PARQUET",
    "application/pdf": "PDF",
    "application/zip": "ZIP",
}


@dataclass(frozen=True)
class Licence:
    """An entry of AgID's licence vocabulary, with what identifies it elsewhere."""

    code: str  # AgID vocabulary code, e.g. A21_CCBY40
    kind: str  # ADMS licence type (dct:type), e.g. Attribution
    version: str
    name_it: str
    name_en: str
    ckan_ids: tuple[str, ...]  # ids of schemas/licenses.json (and CKAN's defaults) that map here
    urls: tuple[str, ...]  # the licence's own pages and the EU authority URI

    @property
    def uri(self) -> str:
        return AGID_LICENCES + self.code


# The AgID controlled vocabulary (https://w3id.org/italia/controlled-vocabulary/licences) is
# the one dati.gov.it and its DCAT-AP_IT validator use, and it types its entries as
# dcatapit:LicenseDocument: we emit its URI rather than the EU one (kept in `urls`).
LICENCES = (
    Licence(
        "A21_CCBY40",
        "Attribution",
        "4.0",
        "Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)",
        "Creative Commons Attribution 4.0 International (CC BY 4.0)",
        ("cc-by-4.0", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by/4.0/", EU_AUTHORITY + "licence/CC_BY_4_0"),
    ),
    Licence(
        "A31_CCBYSA40",
        "ViralEffect-ShareAlike",
        "4.0",
        "Creative Commons Attribuzione-Condividi allo stesso modo 4.0 Internazionale"
        " (CC BY-SA 4.0)",
        "Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)",
        ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
        ("https://creativecommons.org/licenses/by-sa/4.0/", EU_AUTHORITY + "licence/CC_BYSA_4_0"),
    ),
    Licence(
        "A11_CCO10",
        "PublicDomain",
        "1.0",
        "Creative Commons CC0 1.0 Universale - Public Domain Dedication (CC0 1.0)",
        "Creative Commons CC0 1.0 Universal - Public Domain Dedication (CC0 1.0)",
        ("cc-zero", "cc0-1.0", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", EU_AUTHORITY + "licence/CC0"),
    ),
    Licence(
        "A29_IODL20",
        "Attribution",
        "2.0",
        "Italian Open Data License 2.0 (IODL 2.0)",
        "Italian Open Data License 2.0 (IODL 2.0)",
        ("iodl-2.0", "IODL-2.0"),
        ("https://www.dati.gov.it/content/italian-open-data-license-v20",),
    ),
    Licence(
        "A210_ODCBY",
        "Attribution",
        "1.0",
        "Open Data Commons Attribution License (ODC-By)",
        "Open Data Commons Attribution License (ODC-By)",
        ("odc-by", "ODC-BY-1.0"),
        ("https://opendatacommons.org/licenses/by/",),
    ),
    Licence(
        "A310_ODBL",
        "ViralEffect-ShareAlike",
        "1.0",
        "Open Data Commons Open Database License (ODbL)",
        "Open Data Commons Open Database License (ODbL)",
        ("odc-odbl", "ODbL-1.0"),
        ("https://opendatacommons.org/licenses/odbl/",),
    ),
    Licence(
        "A12_PDDL",
        "PublicDomain",
        "1.0",
        "ODC Public Domain Dedication and License (PDDL)",
        "ODC Public Domain Dedication and License (PDDL)",
        ("odc-pddl", "PDDL-1.0"),
        ("https://opendatacommons.org/licenses/pddl/",),
    ),
)
UNKNOWN_LICENCE = Licence(
    "C1_Unknown", "UnknownIPR", "", "Licenza sconosciuta", "Unknown licence", ("notspecified",), ()
)


def config_value(name: str, default: str = "") -> str:
    """``ckanext.odata.<name>`` from ckan.ini, stripped.

    Keys: catalog_title_<lang>, catalog_description_<lang>, catalog_issued, publisher_name,
    publisher_identifier (IPA), publisher_email, publisher_url, holder_name,
    holder_identifier (IPA), contact_name, contact_email.
    """
    return str(tk.config.get(f"ckanext.odata.{name}") or default).strip()


class DcatApItProfile(RDFProfile):
    """DCAT-AP_IT additions to ``euro_dcat_ap_3`` (which must run first).

    Serialisation only: parsing RDF into datasets (harvesting) is left to the stock profile.
    """

    # -----------------------------------------------------------------------------------------
    # entry points called by ckanext-dcat

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        """Complete the stock dataset graph into a DCAT-AP_IT one."""
        self._bind()
        self.g.add((dataset_ref, RDF.type, DCATAPIT.Dataset))
        self._multilingual(
            dataset_ref, dataset_dict, [("title", DCT.title), ("notes", DCT.description)]
        )
        self._keywords(dataset_ref, dataset_dict)
        self._identifier(dataset_ref, dataset_dict)
        self._dates(
            dataset_ref,
            dataset_dict.get("modified"),
            dataset_dict.get("metadata_modified"),
            DCT.modified,
        )
        self._dates(
            dataset_ref,
            dataset_dict.get("issued"),
            dataset_dict.get("metadata_created"),
            DCT.issued,
        )
        self._themes(dataset_ref, dataset_dict)
        self._frequency(dataset_ref, dataset_dict)
        self._languages(dataset_ref, _as_list(dataset_dict.get("language")))
        self._version(dataset_ref, dataset_dict)
        self._agents(dataset_ref, dataset_dict)
        self._contact_points(dataset_ref, dataset_dict)
        self._temporal(dataset_ref)
        self._spatial(dataset_ref, dataset_dict)
        self._standards(dataset_ref)
        for resource in dataset_dict.get("resources") or []:
            self._distribution(dataset_dict, resource)

    def graph_from_catalog(self, catalog_dict: dict[str, Any] | None, catalog_ref: Node) -> None:
        """Complete the stock catalogue graph: multilingual texts, publisher, languages, dates."""
        self._bind()
        self.g.add((catalog_ref, RDF.type, DCATAPIT.Catalog))
        self._catalog_texts(catalog_ref)
        publisher = _config_agent("publisher")
        if publisher:
            self._replace_agents(catalog_ref, DCT.publisher, [publisher])
        languages = [lang.split("_")[0] for lang in _offered_locales()]
        self._languages(catalog_ref, languages)
        self._dates(
            catalog_ref,
            None,
            _literal_values(self.g.objects(catalog_ref, DCT.modified)),
            DCT.modified,
        )
        issued = config_value("catalog_issued")
        if issued:
            self._dates(catalog_ref, issued, None, DCT.issued)
        taxonomy = URIRef(EU_AUTHORITY + "data-theme")
        self.g.add((catalog_ref, DCAT.themeTaxonomy, taxonomy))
        self.g.add((taxonomy, RDF.type, SKOS.ConceptScheme))

    # -----------------------------------------------------------------------------------------
    # texts

    def _bind(self) -> None:
        self.g.bind("dcatapit", DCATAPIT)
        self.g.bind("schema", SCHEMA, replace=True)  # rdflib binds "schema" to https://

    def _multilingual(
        self, subject: Node, data: dict[str, Any], fields: list[tuple[str, Node]]
    ) -> None:
        """One literal per language from ``<field>_translated``; the stock profile's literals
        are replaced. Without a translated value the stock (core field) literal is kept."""
        for field, predicate in fields:
            texts = _translated(data, field)
            if not texts:
                continue
            self.g.remove((subject, predicate, None))
            for lang, text in texts.items():
                self.g.add((subject, predicate, Literal(text, lang=lang)))

    def _keywords(self, dataset_ref: Node, data: dict[str, Any]) -> None:
        """dcat:keyword per language from ``tags_translated`` (core tags mix the languages)."""
        tags = _translated(data, "tags")
        if not tags:
            return
        self.g.remove((dataset_ref, DCAT.keyword, None))
        for lang, words in tags.items():
            for word in _as_list(words):
                self.g.add((dataset_ref, DCAT.keyword, Literal(word, lang=lang)))

    def _catalog_texts(self, catalog_ref: Node) -> None:
        """Catalogue title and description per language from ``ckanext.odata.catalog_*``;
        both are mandatory, so the site title stands in for what is not configured."""
        primary = _primary_lang()
        site_title = str(tk.config.get("ckan.site_title") or "")
        site_description = str(tk.config.get("ckan.site_description") or "")
        titles = _per_language("catalog_title") or {primary: site_title}
        descriptions = _per_language("catalog_description") or {
            primary: site_description or site_title
        }
        for predicate, texts in ((DCT.title, titles), (DCT.description, descriptions)):
            if any(texts.values()):
                self.g.remove((catalog_ref, predicate, None))
                for lang, text in texts.items():
                    if text:
                        self.g.add((catalog_ref, predicate, Literal(text, lang=lang)))

    # -----------------------------------------------------------------------------------------
    # simple dataset properties

    def _identifier(self, dataset_ref: Node, data: dict[str, Any]) -> None:
        """dct:identifier as a literal (the stock profile makes URL-like ones URIs); without
        one, ``<publisher IPA>:<CKAN id>`` as AgID's guidelines suggest."""
        identifier = str(data.get("identifier") or "").strip()
        if not identifier:
            ckan_id = str(data.get("id") or "")
            ipa = config_value("publisher_identifier")
            identifier = f"{ipa}:{ckan_id}" if ipa and ckan_id else ckan_id
        if identifier:
            self.g.remove((dataset_ref, DCT.identifier, None))
            self.g.add((dataset_ref, DCT.identifier, Literal(identifier)))

    def _dates(self, subject: Node, value: Any, fallback: Any, predicate: Node) -> None:
        """Replace ``predicate`` with an ``xsd:date`` (DCAT-AP_IT wants yyyy-mm-dd, the stock
        profile writes date-times); a year or month alone falls back to ``fallback``."""
        day = _day(value) or _day(fallback)
        if day:
            self.g.remove((subject, predicate, None))
            self.g.add((subject, predicate, Literal(day, datatype=XSD.date)))

    def _themes(self, dataset_ref: Node, data: dict[str, Any]) -> None:
        """dcat:theme as data-theme URIs (codes are expanded); OP_DATPRO when none."""
        themes = [_authority(value, "data-theme") for value in _as_list(data.get("theme"))]
        themes = [uri for uri in themes if uri] or [EU_AUTHORITY + "data-theme/" + DEFAULT_THEME]
        self.g.remove((dataset_ref, DCAT.theme, None))
        for uri in themes:
            self.g.add((dataset_ref, DCAT.theme, URIRef(uri)))
            self.g.add((URIRef(uri), RDF.type, SKOS.Concept))

    def _frequency(self, dataset_ref: Node, data: dict[str, Any]) -> None:
        """dct:accrualPeriodicity as a frequency URI; UNKNOWN when none (it is mandatory)."""
        uri = _authority(data.get("frequency"), "frequency") or (
            EU_AUTHORITY + "frequency/" + DEFAULT_FREQUENCY
        )
        self.g.remove((dataset_ref, DCT.accrualPeriodicity, None))
        self.g.add((dataset_ref, DCT.accrualPeriodicity, URIRef(uri)))
        self.g.add((URIRef(uri), RDF.type, DCT.Frequency))

    def _languages(self, subject: Node, values: Iterable[Any]) -> None:
        """dct:language as EU language URIs (``it``, ``ITA`` or the URI itself)."""
        uris = [_language_uri(value) for value in values]
        uris = [uri for uri in uris if uri]
        if not uris:
            return
        self.g.remove((subject, DCT.language, None))
        for uri in uris:
            self.g.add((subject, DCT.language, URIRef(uri)))
            self.g.add((URIRef(uri), RDF.type, DCT.LinguisticSystem))

    def _version(self, dataset_ref: Node, data: dict[str, Any]) -> None:
        """owl:versionInfo is DCAT-AP_IT's version property (DCAT-AP 3 moved to dcat:version)."""
        if data.get("version"):
            self.g.add((dataset_ref, OWL.versionInfo, Literal(str(data["version"]))))
        notice = _translated(data, "withdrawal")
        if notice:
            self.g.add((dataset_ref, ADMS.status, URIRef(WITHDRAWN)))
            for lang, text in notice.items():
                self.g.add((dataset_ref, ADMS.versionNotes, Literal(text, lang=lang)))

    # -----------------------------------------------------------------------------------------
    # agents and contact points

    def _agents(self, dataset_ref: Node, data: dict[str, Any]) -> None:
        """Publisher (0..1), rights holder (1) and creators as dcatapit:Agent.

        Without a dataset value the publisher is the catalogue's and the rights holder the
        one configured for the portal (else the catalogue publisher), so both always carry an
        IPA code.
        """
        publisher = _config_agent("publisher")
        holder = _config_agent("holder") or publisher
        for key, predicate, fallback, first_only in (
            ("publisher", DCT.publisher, publisher, True),
            ("holder", DCT.rightsHolder, holder, True),
            ("creator", DCT.creator, None, False),
        ):
            agents = _agents_of(data.get(key)) or ([fallback] if fallback else [])
            if first_only:
                agents = agents[:1]
            if agents:
                self._replace_agents(dataset_ref, predicate, agents)
            else:
                self._type_existing(dataset_ref, predicate, (DCATAPIT.Agent, FOAF.Agent))

    def _replace_agents(self, subject: Node, predicate: Node, agents: list[dict[str, Any]]) -> None:
        """Drop what the stock profile wrote for ``predicate`` and write DCAT-AP_IT agents."""
        self._unlink(subject, predicate)
        for agent in agents:
            uri = str(agent.get("uri") or "").strip()
            node: Node = CleanedURIRef(uri) if uri else BNode()
            self.g.add((subject, predicate, node))
            self.g.add((node, RDF.type, DCATAPIT.Agent))
            self.g.add((node, RDF.type, FOAF.Agent))
            if agent.get("name"):
                self.g.add((node, FOAF.name, Literal(str(agent["name"]).strip())))
            if agent.get("identifier"):
                self.g.add((node, DCT.identifier, Literal(str(agent["identifier"]).strip())))
            if agent.get("email"):
                self.g.add((node, FOAF.mbox, URIRef(self._add_mailto(str(agent["email"]).strip()))))
            if agent.get("url"):
                self.g.add((node, FOAF.homepage, CleanedURIRef(str(agent["url"]))))
            if agent.get("type"):
                self.g.add((node, DCT.type, URIRefOrLiteral(str(agent["type"]))))

    def _contact_points(self, dataset_ref: Node, data: dict[str, Any]) -> None:
        """Contact points typed dcatapit:Organization / vcard:Organization; without one in the
        dataset, the configured contact (else the catalogue publisher's name and email)."""
        if not any(True for _ in self.g.objects(dataset_ref, DCAT.contactPoint)):
            name = config_value("contact_name") or config_value("publisher_name")
            email = config_value("contact_email") or config_value("publisher_email")
            if name and email:
                self._add_contact_to_graph(
                    dataset_ref, DCAT.contactPoint, {"name": name, "email": email}
                )
        self._type_existing(
            dataset_ref, DCAT.contactPoint, (DCATAPIT.Organization, VCARD.Organization)
        )

    def _type_existing(self, subject: Node, predicate: Node, types: Iterable[Node]) -> None:
        types = tuple(types)
        for node in list(self.g.objects(subject, predicate)):
            for rdf_type in types:
                self.g.add((node, RDF.type, rdf_type))

    def _unlink(self, subject: Node, predicate: Node) -> None:
        """Remove ``subject predicate ?o`` and what is said about each ``?o`` that nothing
        else refers to any more (a URI node may be shared, e.g. by catalogue and dataset)."""
        for node in list(self.g.objects(subject, predicate)):
            self.g.remove((subject, predicate, node))
            if (None, None, node) not in self.g:
                self.g.remove((node, None, None))

    # -----------------------------------------------------------------------------------------
    # coverage and standards

    def _temporal(self, dataset_ref: Node) -> None:
        """Repeat each period's dcat:startDate/endDate (DCAT-AP 3) as dcatapit:startDate/endDate
        (AgID's guidelines and validator) and schema:startDate/endDate (what the dcatapit
        harvester of dati.gov.it reads)."""
        for period in list(self.g.objects(dataset_ref, DCT.temporal)):
            for source, targets in (
                (DCAT.startDate, (DCATAPIT.startDate, SCHEMA.startDate)),
                (DCAT.endDate, (DCATAPIT.endDate, SCHEMA.endDate)),
            ):
                for value in list(self.g.objects(period, source)):
                    day = _day(str(value))
                    literal = Literal(day, datatype=XSD.date) if day else value
                    for target in targets:
                        self.g.add((period, target, literal))

    def _spatial(self, dataset_ref: Node, data: dict[str, Any]) -> None:
        """Each place with a URI also gets dcatapit:geographicalIdentifier (a literal)."""
        for place in _agents_of(data.get("spatial_coverage")):
            uri = str(place.get("uri") or "").strip()
            if uri:
                self.g.add((CleanedURIRef(uri), DCATAPIT.geographicalIdentifier, Literal(uri)))

    def _standards(self, dataset_ref: Node) -> None:
        """conformsTo targets as dcatapit:Standard with their mandatory dct:identifier."""
        for standard in list(self.g.objects(dataset_ref, DCT.conformsTo)):
            if isinstance(standard, URIRef):
                self.g.add((standard, RDF.type, DCATAPIT.Standard))
                if (standard, DCT.identifier, None) not in self.g:
                    self.g.add((standard, DCT.identifier, Literal(str(standard))))

    # -----------------------------------------------------------------------------------------
    # distributions

    def _distribution(self, dataset_dict: dict[str, Any], resource: dict[str, Any]) -> None:
        """A dcatapit:Distribution with EU format, AgID licence, access and download URLs."""
        ref = CleanedURIRef(resource_uri(resource))
        self.g.add((ref, RDF.type, DCATAPIT.Distribution))
        self._multilingual(ref, resource, [("name", DCT.title), ("description", DCT.description)])
        self._format(ref, resource)
        self._licence(ref, resource, dataset_dict)
        self._urls(ref, resource)
        self._dates(
            ref,
            resource.get("modified"),
            resource.get("metadata_modified")
            or resource.get("last_modified")
            or resource.get("created"),
            DCT.modified,
        )
        self._dates(ref, resource.get("issued"), resource.get("created"), DCT.issued)
        self._checksum(ref, resource)

    def _format(self, ref: Node, resource: dict[str, Any]) -> None:
        """dct:format as an EU file-type URI (the stock profile writes the bare "CSV"), and
        dcat:mediaType as an IANA URI."""
        code = _file_type(resource)
        self.g.remove((ref, DCT["format"], None))
        fmt = URIRef(EU_AUTHORITY + "file-type/" + code)
        self.g.add((ref, DCT["format"], fmt))
        self.g.add((fmt, RDF.type, DCT.MediaTypeOrExtent))
        for media_type in list(self.g.objects(ref, DCAT.mediaType)):
            if isinstance(media_type, Literal) and re.fullmatch(
                r"[\w.+-]+/[\w.+-]+", str(media_type)
            ):
                iana = URIRef(IANA_MEDIA_TYPES + str(media_type).lower())
                self.g.remove((ref, DCAT.mediaType, media_type))
                self.g.add((ref, DCAT.mediaType, iana))
                self.g.add((iana, RDF.type, DCT.MediaType))

    def _licence(self, ref: Node, resource: dict[str, Any], dataset_dict: dict[str, Any]) -> None:
        """dct:license = the AgID licence of the resource (else of the dataset), typed
        dcatapit:LicenseDocument with its ADMS type, version and names; C1_Unknown when the
        licence cannot be mapped. The stock "UnknownIPR" type is removed."""
        for old in list(self.g.objects(ref, DCT.license)):
            self.g.remove((old, DCT.type, URIRef(ADMS_LICENCE_TYPE + "UnknownIPR")))
        self._unlink(ref, DCT.license)
        wanted = (
            resource.get("license")
            or dataset_dict.get("license_id")
            or dataset_dict.get("license_url")
        )
        licence = find_licence(str(wanted or ""))
        if licence is None:  # a URI we do not know: keep it, typed
            node = CleanedURIRef(str(wanted).strip())
            self.g.add((ref, DCT.license, node))
            self.g.add((node, RDF.type, DCATAPIT.LicenseDocument))
            self.g.add((node, RDF.type, DCT.LicenseDocument))
            return
        node = URIRef(licence.uri)
        self.g.add((ref, DCT.license, node))
        self.g.add((node, RDF.type, DCATAPIT.LicenseDocument))
        self.g.add((node, RDF.type, DCT.LicenseDocument))
        self.g.add((node, DCT.type, URIRef(ADMS_LICENCE_TYPE + licence.kind)))
        if licence.version:
            self.g.add((node, OWL.versionInfo, Literal(licence.version)))
        self.g.add((node, FOAF.name, Literal(licence.name_it, lang="it")))
        self.g.add((node, FOAF.name, Literal(licence.name_en, lang="en")))

    def _urls(self, ref: Node, resource: dict[str, Any]) -> None:
        """dcat:accessURL (mandatory) and dcat:downloadURL: the download URL, else the
        resource URL (the stock profile leaves downloadURL out when it is not set)."""
        url = str(resource.get("url") or "").strip()
        download = str(resource.get("download_url") or "").strip() or url
        if url and (ref, DCAT.accessURL, None) not in self.g:
            self.g.add((ref, DCAT.accessURL, CleanedURIRef(url)))
        if download and (ref, DCAT.downloadURL, None) not in self.g:
            self.g.add((ref, DCAT.downloadURL, CleanedURIRef(download)))

    def _checksum(self, ref: Node, resource: dict[str, Any]) -> None:
        """spdx:checksum from ``hash``: a "sha256:<hex>" value is split into its algorithm and
        hex digits (the stock profile would put the prefix inside an xsd:hexBinary)."""
        value = str(resource.get("hash") or "").strip()
        if not value:
            return
        algorithm, _, digits = value.rpartition(":")
        algorithm = (resource.get("hash_algorithm") or algorithm or "").lower().replace("-", "")
        self._unlink(ref, SPDX.checksum)
        checksum = BNode()
        self.g.add((ref, SPDX.checksum, checksum))
        self.g.add((checksum, RDF.type, SPDX.Checksum))
        self.g.add((checksum, SPDX.checksumValue, Literal(digits.lower(), datatype=XSD.hexBinary)))
        if algorithm:
            self.g.add((checksum, SPDX.algorithm, URIRef(SPDX_ALGORITHM + algorithm)))


# ---------------------------------------------------------------------------------------------
# pure helpers (no graph)


def find_licence(value: str) -> Licence | None:
    """The licence for a CKAN licence id or a licence URL/URI; UNKNOWN_LICENCE for an empty or
    unknown id, None for an unknown URI (kept as it is)."""
    value = value.strip()
    if not value:
        return UNKNOWN_LICENCE
    if value.startswith(("http://", "https://")):
        wanted = _url_key(value)
        for licence in LICENCES:
            if wanted in {_url_key(u) for u in (licence.uri, *licence.urls)}:
                return licence
        return None
    for licence in LICENCES:
        if value.lower() in {i.lower() for i in licence.ckan_ids}:
            return licence
    return UNKNOWN_LICENCE


def _url_key(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url.strip().lower()).rstrip("/")


def _file_type(resource: dict[str, Any]) -> str:
    """EU file-type code of a resource from its format, else its media type."""
    fmt = str(resource.get("format") or "").strip()
    if fmt.startswith(EU_AUTHORITY + "file-type/"):
        return fmt.rsplit("/", 1)[1]
    code = FILE_TYPES.get(fmt.upper().lstrip("."))
    if code:
        return code
    media_type = str(resource.get("mimetype") or "").lower()
    return MEDIA_TYPE_FILE_TYPES.get(media_type, DEFAULT_FORMAT)


def _authority(value: Any, vocabulary: str) -> str | None:
    """A code or URI of an EU authority table → its URI; None for empty or foreign values."""
    if not isinstance(value, str) or not value.strip():
        return None
    base = EU_AUTHORITY + vocabulary + "/"
    text = value.strip()
    if text.startswith(base):
        return text
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text):
        return base + text.upper()
    return None


def _language_uri(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    code = LANGUAGE_CODES.get(value.strip().lower(), value.strip())
    return _authority(code, "language")


def _translated(data: dict[str, Any], field: str) -> dict[str, Any]:
    """``data[field + "_translated"]`` as {lang: value} without empty entries (the catalogue
    may hand us the stored JSON string instead of the dict)."""
    value = data.get(f"{field}_translated")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {str(lang): text for lang, text in value.items() if text}


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            try:
                decoded = json.loads(value)
            except ValueError:
                return [value]
            return decoded if isinstance(decoded, list) else [value]
        return [value]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _agents_of(value: Any) -> list[dict[str, Any]]:
    """The non-empty entries of a repeating field (list of dicts, or its JSON string)."""
    return [item for item in _as_list(value) if isinstance(item, dict) and any(item.values())]


def _config_agent(prefix: str) -> dict[str, str]:
    """The agent configured as ``ckanext.odata.<prefix>_name`` / ``_identifier`` / ...;
    {} when neither a name nor an IPA code is configured."""
    agent = {
        "name": config_value(f"{prefix}_name"),
        "identifier": config_value(f"{prefix}_identifier"),
        "email": config_value(f"{prefix}_email"),
        "url": config_value(f"{prefix}_url"),
    }
    return {k: v for k, v in agent.items() if v} if agent["name"] or agent["identifier"] else {}


def _per_language(name: str) -> dict[str, str]:
    """``ckanext.odata.<name>_<lang>`` for each offered locale, in order, when set."""
    out: dict[str, str] = {}
    for locale in _offered_locales():
        lang = locale.split("_")[0]
        text = config_value(f"{name}_{lang}")
        if text:
            out[lang] = text
    return out


def _offered_locales() -> list[str]:
    primary = str(tk.config.get("ckan.locale_default") or "en")
    offered = tk.config.get("ckan.locales_offered") or []
    if isinstance(offered, str):
        offered = offered.split()
    locales = [primary, *(str(loc) for loc in offered)]
    return list(dict.fromkeys(locales))


def _primary_lang() -> str:
    return _offered_locales()[0].split("_")[0]


def _day(value: Any) -> str | None:
    """yyyy-mm-dd of a date or date-time (string or object); None for a year, a month or junk."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:$|[T ])", value.strip())
    return match.group(1) if match else None


def _literal_values(nodes: Iterator[Node]) -> list[str]:
    return [str(node) for node in nodes if isinstance(node, Literal)]
