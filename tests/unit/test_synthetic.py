"""The synthetic sources: reproducible, consistent, and calibrated on the published figures.

Files are read back with plain pandas and openpyxl (not with odata's ingest), following the
dialect each one declares in sources.toml.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from odata.config import Settings
from odata.reference import read_codes
from odata.sources import codice_fiscale as cf
from odata.sources.synthetic import calibration as cal
from odata.sources.synthetic import generate
from odata.sources.synthetic.business_register import REA_MULTIPLIER

PROGRAMME = Settings().programme


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sources at the default scale, generated once for the module."""
    folder = tmp_path_factory.mktemp("sources")
    generate(folder, seed=1, scale=1.0, settings=Settings())
    return folder


@pytest.fixture(scope="module")
def registers(sources: Path) -> pd.DataFrame:
    """Every register row, normalised (codes, ISO countries, dates) as an ingest would."""
    frames = []
    for entry in _entries(sources, "registro"):
        frame = _read(sources, entry)
        frame["camera"] = entry["chamber"]
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    actions = {r["code"]: r["code"] for r in read_codes("azioni")}
    actions |= {r["name_it"].casefold(): r["code"] for r in read_codes("azioni")}
    countries = {r["code"]: r["code"] for r in read_codes("paesi")}
    countries |= {r["name_it"].casefold(): r["code"] for r in read_codes("paesi")}
    rows["azione"] = rows["azione"].str.strip().str.casefold().map(actions)
    for column in ("paese_nascita", "cittadinanza"):
        text = rows[column].str.strip()
        rows[column] = text.map(countries).fillna(text.str.casefold().map(countries))
    for column in ("business_plan", "impresa_costituita"):
        rows[column] = rows[column].str.strip().str.casefold()
    return rows


@pytest.fixture(scope="module")
def extract(sources: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The business-register extract as read: every firm, and every owner with shares."""
    folder = sources / "registro-imprese"
    imprese = pd.read_csv(folder / "imprese.csv", dtype=str, keep_default_na=False)
    owners = pd.read_csv(folder / "titolari.csv", dtype=str, keep_default_na=False)
    owners["share"] = owners["quota"].astype(float)
    owners["foreign"] = owners["share"].where(owners["paese_nascita"] != "IT", 0.0)
    owners["female"] = owners["share"].where(owners["sesso"] == "F", 0.0)
    return imprese, owners


@pytest.fixture(scope="module")
def firms(extract: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Firms registered on the calibration date, with ownership from their owners' shares
    (Unioncamere's rule) and, for sole proprietorships, the owner's country of birth."""
    imprese, owners = extract
    totals = owners.groupby("id_impresa")[["share", "foreign", "female"]].sum()
    firms = imprese.join(totals, on="id_impresa")
    firms["ownership"] = "native"
    firms.loc[firms["foreign"] > 0, "ownership"] = "mixed"
    firms.loc[firms["foreign"] > 50, "ownership"] = "migrant"
    first = owners.drop_duplicates("id_impresa").set_index("id_impresa")["paese_nascita"]
    sole = firms["forma_giuridica"] == "ditta individuale"
    firms["country"] = firms["id_impresa"].map(first).where(sole, "")
    day = cal.CALIBRATION_DATE.isoformat()
    open_then = (firms["data_cessazione"] == "") | (firms["data_cessazione"] > day)
    return firms[(firms["data_iscrizione"] <= day) & open_then].copy()


def _entries(folder: Path, kind: str | None = None) -> list[dict[str, str]]:
    with (folder / "sources.toml").open("rb") as handle:
        entries: list[dict[str, str]] = tomllib.load(handle)["source"]
    return [e for e in entries if kind is None or e["kind"] == kind]


def _read(folder: Path, entry: dict[str, str]) -> pd.DataFrame:
    """A source as text columns; dates become ``datetime.date`` (cells or parsed text)."""
    path = folder / entry["path"]
    if entry["format"] == "xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            values = list(workbook.active.iter_rows(values_only=True))
        finally:
            workbook.close()
        frame = pd.DataFrame(values[1:], columns=values[0])
    else:
        frame = pd.read_csv(path, sep=entry["delimiter"], encoding=entry["encoding"],
                            dtype=str, keep_default_na=False)  # fmt: skip
    for column in ("data_nascita", "data_azione", "data"):
        if column in frame:
            frame[column] = [_date(v, entry["date_format"]) for v in frame[column]]
    return frame.fillna("")


def _date(value: Any, pattern: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.datetime.strptime(str(value).strip(), pattern).date()


def _manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.private.json").read_text("utf-8"))
    return data


# --- reproducibility and layout ---------------------------------------------------------------


def test_the_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    counts = generate(first, seed=1, scale=0.2, settings=Settings())
    assert generate(second, seed=1, scale=0.2, settings=Settings()) == counts
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert any(p.suffix == ".xlsx" for p in files)
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert counts["registro-imprese/imprese.csv"] == 2_000


def test_another_seed_differs_and_regenerating_leaves_no_stale_file(
    tmp_path: Path, sources: Path
) -> None:
    reused, fresh = tmp_path / "reused", tmp_path / "fresh"
    generate(reused, seed=2, scale=0.05, settings=Settings())
    assert (reused / "budget.csv").read_bytes() != (sources / "budget.csv").read_bytes()
    generate(reused, seed=1, scale=0.05, settings=Settings())
    generate(fresh, seed=1, scale=0.05, settings=Settings())
    files = sorted(str(p.relative_to(fresh)) for p in fresh.rglob("*") if p.is_file())
    assert sorted(str(p.relative_to(reused)) for p in reused.rglob("*") if p.is_file()) == files
    for name in files:
        assert (reused / name).read_bytes() == (fresh / name).read_bytes(), name


def test_every_file_is_declared_in_the_sources_manifest(sources: Path) -> None:
    declared = {e["path"] for e in _entries(sources)}
    written = {str(p.relative_to(sources)) for p in sources.rglob("*") if p.is_file()}
    assert written - declared == {"sources.toml", "manifest.private.json"}
    chambers = [r["code"] for r in read_codes("camere_commercio") if r["in_programme"] == "true"]
    assert sorted(e["chamber"] for e in _entries(sources, "registro")) == sorted(chambers)
    assert {e["format"] for e in _entries(sources, "registro")} == {"csv", "xlsx"}
    assert {e["encoding"] for e in _entries(sources, "registro") if e["format"] == "csv"} == {
        "utf-8", "utf-8-sig", "cp1252"}  # fmt: skip


def test_each_csv_is_in_its_declared_encoding(sources: Path) -> None:
    for entry in _entries(sources):
        if entry["format"] != "csv":
            continue
        data = (sources / entry["path"]).read_bytes()
        data.decode(entry["encoding"])
        assert data.startswith(b"\xef\xbb\xbf") == (entry["encoding"] == "utf-8-sig")
    cp1252 = [(sources / e["path"]).read_bytes() for e in _entries(sources, "registro")
              if e.get("encoding") == "cp1252"]  # fmt: skip
    with pytest.raises(UnicodeDecodeError):  # accented names: the encoding matters
        b"".join(cp1252).decode("utf-8")


# --- participant registers ------------------------------------------------------------------


def test_codici_fiscali_are_valid_and_match_the_person(registers: pd.DataFrame) -> None:
    foreign = {r["belfiore"]: r["iso2"] for r in read_codes("esteri")}
    italian = {r["belfiore"] for r in read_codes("comuni")}
    people = registers.drop_duplicates("codice_fiscale")
    for row in people.itertuples():
        code = row.codice_fiscale
        assert cf.is_valid(code)
        place = code[11:15]
        if row.paese_nascita == "IT":
            assert place in italian
        else:
            assert foreign[place] == row.paese_nascita
        rebuilt = cf.build(
            row.cognome.strip(), row.nome.strip(), row.sesso, row.data_nascita, place
        )
        assert rebuilt == code


def test_a_person_shows_the_same_data_on_every_row(registers: pd.DataFrame) -> None:
    columns = ["codice_fiscale", "sesso", "data_nascita", "paese_nascita", "business_plan"]
    assert registers[columns].drop_duplicates()["codice_fiscale"].is_unique
    chambers = registers.groupby("codice_fiscale")["camera"].nunique()
    assert 0 < (chambers > 1).sum() < 0.02 * len(chambers)


def test_no_register_repeats_an_attendance(registers: pd.DataFrame) -> None:
    assert not registers.duplicated(["camera", "codice_fiscale", "azione", "data_azione"]).any()


def test_actions_fall_within_the_programme(registers: pd.DataFrame, sources: Path) -> None:
    assert registers["azione"].notna().all()
    assert registers["data_azione"].min() >= PROGRAMME.start
    assert registers["data_azione"].max() <= PROGRAMME.end
    events = pd.concat([_read(sources, e) for e in _entries(sources, "eventi")])
    assert events["data"].between(PROGRAMME.start, PROGRAMME.end).all()


def test_events_count_at_least_their_registered_attendees(
    registers: pd.DataFrame, sources: Path
) -> None:
    for entry in _entries(sources, "eventi"):
        events = _read(sources, entry)
        events["azione"] = events["azione"].str.strip().str.casefold()
        declared = events.groupby(["data", "azione"])["partecipanti"].apply(
            lambda s: s.astype(int).sum()
        )
        mine = registers[registers["camera"] == entry["chamber"]]
        group = mine[mine["azione"].isin(["informazione", "formazione"])]
        attended = group.groupby(["data_azione", "azione"]).size()
        for (day, action), count in attended.items():
            label = next(r["name_it"] for r in read_codes("azioni") if r["code"] == action)
            seen = declared.get((day, action), declared.get((day, label.casefold()), 0))
            assert seen >= count, (entry["chamber"], day, action)


def test_programme_totals_match_the_first_editions_results(registers: pd.DataFrame) -> None:
    def persons(mask: pd.Series) -> int:
        return int(registers.loc[mask, "codice_fiscale"].nunique())

    measured = {
        "oriented": persons(registers["azione"] == "orientamento"),
        "trained": persons(registers["azione"] == "formazione"),
        "business_plans": persons(registers["business_plan"] == "sì"),
        "firms": persons(registers["impresa_costituita"] == "sì"),
    }
    for key, published in cal.PUBLISHED_RESULTS.items():
        assert abs(measured[key] - published) <= 0.10 * published, key
    assert measured["trained"] < PROGRAMME.targets.trained  # training fell short
    assert 2_000 <= persons(registers["azione"] == "informazione") <= 2_400


def test_planted_lags_show_in_the_registers(registers: pd.DataFrame, sources: Path) -> None:
    lags = _manifest(sources)["programme"]["lags"]
    assert len(lags) >= 4
    for lag in lags:
        rows = registers[
            (registers["camera"] == lag["chamber"]) & (registers["azione"] == lag["action"])
        ]
        assert rows["codice_fiscale"].nunique() <= 0.7 * lag["expected"], lag


# --- budget ---------------------------------------------------------------------------------------


def test_the_budget_sums_exactly_to_the_programme_budget(sources: Path) -> None:
    (entry,) = _entries(sources, "budget")
    budget = _read(sources, entry)
    cents = {c: budget[c].map(lambda v: round(float(v.replace(",", ".")) * 100))
             for c in ("previsto", "impegnato", "speso")}  # fmt: skip
    assert cents["previsto"].sum() == round(PROGRAMME.budget_eur * 100)
    assert (cents["impegnato"] <= cents["previsto"]).all()
    over = budget.loc[cents["speso"] > cents["impegnato"], "camera"]
    anomalies = _manifest(sources)["programme"]["budget_anomalies"]
    planted = {a["chamber"] for a in anomalies if a["kind"] == "spent-above-committed"}
    assert set(over) == planted and len(over) <= 2


# --- business register ------------------------------------------------------------------------


def test_owners_shares_add_up_and_ids_are_unique(
    extract: tuple[pd.DataFrame, pd.DataFrame], firms: pd.DataFrame
) -> None:
    assert extract[0]["id_impresa"].is_unique
    assert math.gcd(REA_MULTIPLIER, 9_000_000) == math.gcd(REA_MULTIPLIER, 90_000_000) == 1
    assert (firms["share"].round(2) == 100).all()
    mixed = firms[firms["ownership"] == "mixed"]
    assert len(mixed) > 0 and (mixed["foreign"] <= 50).all()


def test_the_migrant_share_matches_the_calibration_year(firms: pd.DataFrame) -> None:
    share = (firms["ownership"] == "migrant").mean()
    assert abs(share - cal.FOREIGN_SHARE[cal.CALIBRATION_DATE.year]) <= 0.01


def test_the_womens_share_of_migrant_firms(firms: pd.DataFrame) -> None:
    migrant = firms[firms["ownership"] == "migrant"]
    assert abs((migrant["female"] > 50).mean() - cal.FEMALE_SHARE["migrant"]) <= 0.02


def test_sector_and_legal_form_shares_of_migrant_firms(firms: pd.DataFrame) -> None:
    section = {r["code"]: r["parent"] for r in read_codes("ateco") if r["level"] == "division"}
    migrant = firms[firms["ownership"] == "migrant"]
    shares = migrant["ateco"].str[:2].map(section).value_counts(normalize=True)
    for letter in ("G", "F", "C", "A", "I"):
        assert abs(shares[letter] * 100 - cal.SECTION_SHARES["migrant"][letter]) <= 3, letter
    sole = (migrant["forma_giuridica"] == "ditta individuale").mean()
    assert abs(sole - cal.LEGAL_FORM_SHARES["migrant"][0]) <= 0.02


def test_the_top_countries_of_birth_are_in_the_published_order(firms: pd.DataFrame) -> None:
    migrant = firms[(firms["ownership"] == "migrant") & (firms["country"] != "")]
    ranking = migrant["country"].value_counts()
    assert tuple(ranking.index[:3]) == cal.PUBLISHED_ORDER


def test_returning_emigrants_are_a_small_southern_tail(firms: pd.DataFrame) -> None:
    south = {r["code"] for r in read_codes("territori") if r["parent"] in cal.SOUTH_REGIONS}
    emigrants = firms[firms["country"].isin(list(cal.RETURNING_EMIGRANTS))]
    assert 0 < len(emigrants) < 0.02 * len(firms)
    in_south = emigrants["provincia"].isin(south).mean()
    assert in_south > firms["provincia"].isin(south).mean()
