"""The committed code lists are complete, real and consistent with one another."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from ..conftest import RIFERIMENTI

DATA = RIFERIMENTI / "data"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_current_province_is_there_and_napoli_is_na() -> None:
    territories = rows("territori.csv")
    levels = Counter(t["level"] for t in territories)
    assert levels == {"country": 1, "region": 20, "province": 107}  # ISTAT vintage 2024
    by_code = {t["code"]: t for t in territories}
    assert by_code["063"]["sigla"] == "NA" and by_code["063"]["name"] == "Napoli"
    assert by_code["063"]["uts_code"] == "263" and by_code["063"]["nuts3"] == "ITF33"
    assert by_code["111"]["sigla"] == "SU"  # Sud Sardegna, the newest province
    provinces = [t for t in territories if t["level"] == "province"]
    assert all(len(t["code"]) == 3 and t["parent"] in by_code for t in provinces)


def test_countries_have_italian_names_for_every_iso_country() -> None:
    import pycountry

    countries = {c["code"]: c for c in rows("paesi.csv")}
    iso = {c.alpha_2 for c in pycountry.countries}
    assert iso <= set(countries)
    assert all(countries[code]["name_it"].strip() for code in iso)
    assert countries["NA"]["name_en"] == "Namibia"
    assert countries["MA"]["name_it"] == "Marocco"
    assert countries["AF"]["isonum"] == "004"
    assert sum(c["eu"] == "true" for c in countries.values()) == 27


def test_boundaries_join_every_province_with_no_orphan() -> None:
    topology = json.loads((DATA / "province.topojson").read_text(encoding="utf-8"))
    shapes = [g["properties"]["code"] for g in topology["objects"]["province"]["geometries"]]
    provinces = {t["code"] for t in rows("territori.csv") if t["level"] == "province"}
    assert len(shapes) == len(set(shapes)) == 107
    assert set(shapes) == provinces
    regions = [g["properties"]["code"] for g in topology["objects"]["regioni"]["geometries"]]
    assert set(regions) == {t["code"] for t in rows("territori.csv") if t["level"] == "region"}


def test_boundaries_are_small_enough_for_a_web_map() -> None:
    assert (DATA / "province.topojson").stat().st_size < 2_000_000


def test_programme_has_18_chambers_in_25_provinces() -> None:
    chambers = {c["code"]: c for c in rows("camere_commercio.csv")}
    links = rows("camere_province.csv")
    in_programme = {code for code, c in chambers.items() if c["in_programme"] == "true"}
    assert len(in_programme) == 18
    assert len({link["province"] for link in links if link["chamber"] in in_programme}) == 25


def test_every_province_has_exactly_one_active_chamber() -> None:
    chambers = {c["code"]: c for c in rows("camere_commercio.csv")}
    active = Counter(
        link["province"]
        for link in rows("camere_province.csv")
        if chambers[link["chamber"]]["status"] == "active"
    )
    provinces = {t["code"] for t in rows("territori.csv") if t["level"] == "province"}
    assert set(active) == provinces
    assert set(active.values()) == {1}


def test_chambers_sit_in_the_region_of_their_provinces() -> None:
    region_of = {t["code"]: t["parent"] for t in rows("territori.csv") if t["level"] == "province"}
    chambers = {c["code"]: c for c in rows("camere_commercio.csv")}
    for link in rows("camere_province.csv"):
        assert region_of[link["province"]] == chambers[link["chamber"]]["region"], link


def test_merged_chambers_name_an_active_successor_covering_their_provinces() -> None:
    chambers = {c["code"]: c for c in rows("camere_commercio.csv")}
    served: dict[str, set[str]] = {}
    for link in rows("camere_province.csv"):
        served.setdefault(link["chamber"], set()).add(link["province"])
    for code, chamber in chambers.items():
        if chamber["status"] == "merged":
            successor = chambers[chamber["successor"]]
            assert successor["status"] == "active"
            assert served[code] <= served[successor["code"]]


@pytest.mark.parametrize(
    ("sigla", "chamber"),
    [
        ("NA", "napoli"),
        ("BT", "bari"),
        ("MB", "milano-monza-brianza-lodi"),
        ("SU", "cagliari-oristano"),
    ],
)
def test_chamber_links_use_the_right_province_codes(sigla: str, chamber: str) -> None:
    code = next(t["code"] for t in rows("territori.csv") if t["sigla"] == sigla)
    assert {"chamber": chamber, "province": code} in rows("camere_province.csv")


def test_ateco_has_21_sections_and_88_divisions_in_both_languages() -> None:
    ateco = rows("ateco.csv")
    assert Counter(a["level"] for a in ateco) == {"section": 21, "division": 88}
    assert all(a["name_it"] and a["name_en"] for a in ateco)


def test_actions_follow_the_programme_pathway() -> None:
    actions = [a["code"] for a in sorted(rows("azioni.csv"), key=lambda a: int(a["position"]))]
    assert actions[:3] == ["informazione", "orientamento", "formazione"]
    assert len(actions) == 7


def test_internal_lists_cover_municipalities_and_foreign_states() -> None:
    internal = Path(__file__).resolve().parents[2] / "src" / "odata" / "reference" / "data"
    with (internal / "comuni.csv").open(encoding="utf-8") as handle:
        comuni = list(csv.DictReader(handle))
    napoli = next(c for c in comuni if c["name"] == "Napoli")
    assert napoli["belfiore"] == "F839" and napoli["province"] == "063"
    with (internal / "esteri.csv").open(encoding="utf-8") as handle:
        esteri = {e["belfiore"]: e for e in csv.DictReader(handle)}
    countries = {c["code"] for c in rows("paesi.csv")}
    active = [e for e in esteri.values() if e["active"] == "true"]
    assert all(e["iso2"] in countries for e in active)
    assert esteri["Z330"]["iso2"] == "MA"  # Marocco


def test_read_codes_keeps_codes_as_text() -> None:
    from odata.errors import ConfigError
    from odata.reference import read_codes

    napoli = next(t for t in read_codes("territori") if t["code"] == "063")
    assert napoli["sigla"] == "NA"
    assert any(c["belfiore"] == "F839" for c in read_codes("comuni"))
    with pytest.raises(ConfigError):
        read_codes("nothing")
