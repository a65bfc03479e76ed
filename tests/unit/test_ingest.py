"""Ingest: every corpus file gives the right problems, exit code and no personal value."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from odata.errors import DataError, ExitCode, OdataError, SourceError
from odata.ingest import Ingested, check_sources, ingest, read_source, readers
from odata.sources.manifest import SourceSpec, spec_for

CORPUS = Path(__file__).resolve().parents[1] / "data" / "sources"
TODAY = dt.date(2026, 11, 30)
BASE_LINES = (CORPUS / "registro-ok.csv").read_text(encoding="utf-8").splitlines()


def personal_values() -> set[str]:
    """Every personal cell of the corpus (codes, names, contacts, birth dates)."""
    values = set()
    for line in BASE_LINES[1:]:
        cells = line.split(";")
        values |= {cells[0], cells[1], cells[2], cells[4], cells[11], cells[12]}
        day, month, year = cells[4].split("/")
        values.add(f"{year}-{month}-{day}")
    return {v for v in values if v}


PERSONAL = personal_values()


def spec(name: str | Path, kind: str = "registro", **dialect: str) -> SourceSpec:
    path = name if isinstance(name, Path) else CORPUS / name
    chamber = "torino" if kind in ("registro", "eventi") else None
    return spec_for(path, kind=kind, chamber=chamber, **dialect)


def locations(problems: list) -> list[tuple[str | None, int | None, str | None, str]]:
    return [(Path(p.file).name if p.file else None, p.row, p.column, p.code) for p in problems]


def assert_private(problems: list, error: Exception | None = None) -> None:
    texts = [str(p) for p in problems] + [p.hint or "" for p in problems]
    if error is not None:
        texts.append(str(error))
    for text in texts:
        leaked = [value for value in PERSONAL if value in text]
        assert not leaked, text


def read(source: SourceSpec, **options: object) -> Ingested:
    return read_source(source, today=TODAY, **options)  # type: ignore[arg-type]


STRUCTURE = [
    ("wrong-delimiter.csv", [("wrong-delimiter.csv", 1, None, "wrong-delimiter")]),
    ("mixed-encodings.csv", [("mixed-encodings.csv", 5, None, "mixed-encoding")]),
    ("missing-column.csv", [("missing-column.csv", 1, "titolo_studio", "missing-column")]),
    ("extra-column.csv", [("extra-column.csv", 1, None, "extra-column")]),
    ("renamed-header.csv", [("renamed-header.csv", 1, "data_nascita", "renamed-column")]),
    (
        "title-and-totals.xlsx",
        [
            ("title-and-totals.xlsx", 1, None, "title-rows"),
            ("title-and-totals.xlsx", 8, None, "totals-row"),
        ],
    ),
    ("empty.csv", [("empty.csv", None, None, "empty-file")]),
    ("header-only.csv", [("header-only.csv", 1, None, "header-only")]),
]

VALUES = [
    ("bad-date.csv", [("bad-date.csv", 3, "data_azione", "bad-date")]),
    (
        "impossible-birth-date.csv",
        [
            ("impossible-birth-date.csv", 4, "data_nascita", "impossible-birth-date"),
            ("impossible-birth-date.csv", 5, "data_nascita", "impossible-birth-date"),
        ],
    ),
    (
        "invalid-codice-fiscale.csv",
        [("invalid-codice-fiscale.csv", 4, "codice_fiscale", "invalid-codice-fiscale")],
    ),
    ("unknown-country.csv", [("unknown-country.csv", 4, "cittadinanza", "unknown-country")]),
    ("province-lost.csv", [("province-lost.csv", 4, "provincia_residenza", "missing-value")]),
    ("duplicate-row.csv", [("duplicate-row.csv", 4, None, "duplicate-row")]),
]


@pytest.fixture
def untouched():
    """Asserts that the corpus files have the same bytes and times after the test."""
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in CORPUS.iterdir()}
    yield
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in CORPUS.iterdir()}
    assert after == before


@pytest.mark.parametrize(("name", "expected"), STRUCTURE, ids=[c[0] for c in STRUCTURE])
def test_unreadable_structure_is_a_source_error(name: str, expected: list, untouched) -> None:
    with pytest.raises(SourceError) as caught:
        read(spec(name))
    assert caught.value.exit_code == ExitCode.CONFIG == 3
    assert locations(list(caught.value.problems)) == expected
    assert_private(list(caught.value.problems), caught.value)
    with pytest.raises(SourceError) as again:
        ingest([spec(name)], today=TODAY)
    assert locations(list(again.value.problems)) == expected


@pytest.mark.parametrize(("name", "expected"), VALUES, ids=[c[0] for c in VALUES])
def test_bad_values_are_a_data_error(name: str, expected: list, untouched) -> None:
    result = read(spec(name))
    assert locations(result.problems) == expected
    assert_private(result.problems)
    with pytest.raises(DataError) as caught:
        ingest([spec(name)], today=TODAY)
    assert caught.value.exit_code == ExitCode.DATA == 4
    assert locations(list(caught.value.problems)) == expected
    assert_private(list(caught.value.problems), caught.value)


def test_the_offending_value_is_shown_only_for_non_personal_columns() -> None:
    (country,) = read(spec("unknown-country.csv")).problems
    assert country.reason.endswith('"Atlantide"')
    (code,) = read(spec("invalid-codice-fiscale.csv")).problems
    assert '"' not in code.reason


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "too-large.csv"
    big.write_text("\n".join(BASE_LINES * 50) + "\n", encoding="utf-8")
    before = (big.read_bytes(), big.stat().st_mtime_ns)
    with pytest.raises(SourceError) as caught:
        read(spec(big), max_bytes=10_000)
    assert locations(list(caught.value.problems)) == [
        ("too-large.csv", None, None, "file-too-large")
    ]
    assert caught.value.exit_code == 3
    assert isinstance(caught.value, OdataError)
    assert (big.read_bytes(), big.stat().st_mtime_ns) == before


def test_well_formed_files_of_every_dialect_read_into_the_same_table(untouched) -> None:
    tables = [
        read(spec(name)).table
        for name in ("registro-ok.csv", "bom.csv", "cp1252.csv", "registro-ok.xlsx")
    ]
    for table in tables[1:]:
        assert table.equals(tables[0]), table.to_pylist()
    rows = tables[0].to_pylist()
    assert rows[2]["provincia_residenza"] == "063"  # "NA" stays Napoli
    assert rows[3]["ateco_impresa"] == "01"  # leading zeros kept
    assert rows[3]["comune_residenza"] == "Forlì"
    assert rows[3]["forma_giuridica_impresa"] == "società di persone"
    assert rows[1]["azione"] == "formazione"
    assert rows[3]["azione"] == "assistenza"
    assert [r["paese_nascita"] for r in rows] == ["MA", "MA", "IT", "CN"]
    assert [r["ore"] for r in rows] == [2.5, 12.0, 1.5, 3.75]
    assert rows[0]["data_azione"] == dt.date(2021, 2, 10)
    assert rows[3]["business_plan"] is True
    assert tables[0].schema.field("data_nascita").type == pa.date32()
    assert tables[0].column_names[0] == "camera"


def test_the_other_sources_read_without_problems(untouched) -> None:
    specs = [
        spec("eventi-ok.csv", "eventi"),
        spec("budget-ok.csv", "budget"),
        spec("imprese-ok.csv", "imprese"),
        spec("titolari-ok.csv", "titolari"),
    ]
    tables = ingest(specs, today=TODAY)
    assert sorted(tables) == ["budget", "eventi/torino", "imprese", "titolari"]
    assert tables["imprese"]["provincia"].to_pylist() == ["063", "001", "058"]
    assert tables["imprese"]["data_cessazione"].to_pylist()[:2] == [None, dt.date(2019, 6, 30)]
    assert tables["eventi/torino"]["modalita"].to_pylist() == ["in presenza", "online"]
    assert tables["eventi/torino"]["lingua"].to_pylist() == ["it+ar", "it"]
    assert tables["budget"]["trimestre"].to_pylist()[1] == "2020-Q1"
    assert tables["titolari"]["quota"].to_pylist()[3] == 33.34


# --- more problem codes, on copies of the well-formed register ---------------------------


def edited(tmp_path: Path, row: int, column: str, value: str, name: str = "case.csv") -> Path:
    """A copy of registro-ok.csv with one cell changed (row: physical, header = 1)."""
    lines = list(BASE_LINES)
    header = lines[0].split(";")
    cells = lines[row - 1].split(";")
    cells[header.index(column)] = value
    lines[row - 1] = ";".join(cells)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CELL_CASES = [
    (2, "azione", "corso di cucina", "azione", "unknown-action"),
    (3, "ore", "dodici", "ore", "bad-number"),
    (3, "ore", "1.234,5", "ore", "bad-number"),
    (3, "ore", "-3", "ore", "negative-number"),
    (4, "generazione", "terza", "generazione", "unknown-value"),
    (4, "sesso", "F", "codice_fiscale", "codice-fiscale-mismatch"),
    (4, "data_nascita", "03/07/1985", "codice_fiscale", "codice-fiscale-mismatch"),
    (4, "paese_nascita", "Albania", "codice_fiscale", "codice-fiscale-mismatch"),
    (3, "business_plan", "no", "business_plan", "inconsistent-person"),
    (4, "data_azione", "01/01/2018", "data_azione", "outside-programme"),
    (4, "provincia_residenza", "XX", "provincia_residenza", "unknown-province"),
    (4, "ateco_impresa", "47", "ateco_impresa", "unexpected-value"),
    (5, "business_plan", "forse", "business_plan", "unknown-value"),
    (5, "ateco_impresa", "1", "ateco_impresa", "unknown-ateco"),
    (5, "codice_fiscale", "", "codice_fiscale", "missing-value"),
    (5, "codice_fiscale", "DMECPN78", "codice_fiscale", "invalid-codice-fiscale"),
]


@pytest.mark.parametrize(
    ("row", "column", "value", "where", "code"), CELL_CASES, ids=[c[4] for c in CELL_CASES]
)
def test_bad_cells(
    tmp_path: Path, row: int, column: str, value: str, where: str, code: str
) -> None:
    problems = read(spec(edited(tmp_path, row, column, value))).problems
    assert locations(problems) == [("case.csv", row, where, code)]
    assert_private(problems)


def test_a_firm_without_its_sector_is_reported(tmp_path: Path) -> None:
    path = edited(tmp_path, 5, "ateco_impresa", "")
    assert locations(read(spec(path)).problems) == [
        ("case.csv", 5, "ateco_impresa", "missing-value")
    ]


def test_blank_rows_inside_are_reported_and_blank_rows_at_the_end_are_ignored(
    tmp_path: Path,
) -> None:
    path = tmp_path / "blank.csv"
    empty = ";" * (BASE_LINES[0].count(";"))
    lines = [*BASE_LINES[:3], "", *BASE_LINES[3:], empty, "", ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read(spec(path))
    assert locations(result.problems) == [("blank.csv", 4, None, "blank-row")]
    assert result.table.num_rows == 5  # the inner empty row stays (as nulls): rows keep numbers
    assert result.table["codice_fiscale"][2].as_py() is None


def test_a_row_with_too_few_cells_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    lines = [*BASE_LINES[:3], BASE_LINES[3].rsplit(";", 2)[0], BASE_LINES[4]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read(spec(path))
    assert locations(list(caught.value.problems)) == [("ragged.csv", 4, None, "wrong-cell-count")]
    assert_private(list(caught.value.problems), caught.value)


def test_problems_are_capped_with_a_count_of_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    row = BASE_LINES[3].replace(";Albania;", ";Atlantide;")
    path.write_text("\n".join([BASE_LINES[0]] + [row] * 30) + "\n", encoding="utf-8")
    problems = read(spec(path), max_problems=5).problems
    assert [(p.row, p.code) for p in problems[:5]] == [
        (2, "unknown-country"),
        (3, "duplicate-row"),
        (3, "unknown-country"),
        (4, "duplicate-row"),
        (4, "unknown-country"),
    ]
    assert problems[5].code == "too-many-problems"
    assert problems[5].reason.startswith("54 more problems")  # of 30 countries + 29 repeats


# --- encodings ------------------------------------------------------------------------------


def test_a_declared_encoding_is_used_strictly(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read(spec("cp1252.csv", encoding="utf-8"))
    assert locations(list(caught.value.problems)) == [("cp1252.csv", 2, None, "bad-encoding")]
    with pytest.raises(SourceError) as caught:
        read(spec("registro-ok.csv", encoding="cp1252"))
    assert locations(list(caught.value.problems)) == [
        ("registro-ok.csv", None, None, "wrong-encoding")
    ]
    assert read(spec("cp1252.csv", encoding="cp1252")).problems == []
    assert read(spec("bom.csv", encoding="utf-8-sig")).problems == []


def test_bytes_of_neither_encoding_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbled.csv"
    data = (CORPUS / "cp1252.csv").read_bytes().replace(b"Torino", b"Tor\x81no", 1)
    path.write_bytes(data)
    with pytest.raises(SourceError) as caught:
        read(spec(path))
    assert locations(list(caught.value.problems)) == [("garbled.csv", 2, None, "bad-encoding")]


def test_an_undeclared_windows_1252_file_is_detected_past_the_first_block(
    tmp_path: Path,
) -> None:
    path = tmp_path / "late-accent.csv"
    plain = BASE_LINES[3]
    lines = [BASE_LINES[0]] + [plain] * 20_000 + [BASE_LINES[4]]
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    result = read(spec(path))
    assert result.table.num_rows == 20_001
    assert result.table["comune_residenza"][-1].as_py() == "Forlì"


def test_a_windows_1252_accent_deep_in_a_big_file_switches_encoding_mid_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 4096)  # many blocks before the accent
    path = tmp_path / "late-accent.csv"
    lines = [BASE_LINES[0]] + [BASE_LINES[3]] * 200 + [BASE_LINES[4]]
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    result = read(spec(path))
    assert result.table.num_rows == 201
    assert result.table["comune_residenza"][-1].as_py() == "Forlì"
    repeats = [p.row for p in result.problems if p.code == "duplicate-row"]
    assert repeats == list(range(3, 103))  # rows keep their numbers across the switch


def test_cells_are_trimmed_and_blank_cells_are_empty(tmp_path: Path) -> None:
    path = tmp_path / "spaces.csv"
    cells = BASE_LINES[3].split(";")
    header = BASE_LINES[0].split(";")
    for name, value in {
        "provincia_residenza": " NA\u00a0",
        "ore": " 1,5 ",
        "data_azione": " 05/05/2021",
        "business_plan": "  no ",
        "comune_residenza": "  Napoli ",
        "email": "   ",
    }.items():
        cells[header.index(name)] = value
    path.write_text("\n".join([BASE_LINES[0], ";".join(cells)]) + "\n", encoding="utf-8")
    result = read(spec(path))
    assert result.problems == []
    (row,) = result.table.to_pylist()
    assert (row["provincia_residenza"], row["ore"], row["comune_residenza"]) == (
        "063",
        1.5,
        "Napoli",
    )
    assert (row["data_azione"], row["business_plan"], row["email"]) == (
        dt.date(2021, 5, 5),
        False,
        None,
    )
    blank_required = tmp_path / "blank-required.csv"
    cells[header.index("azione")] = "  "
    blank_required.write_text("\n".join([BASE_LINES[0], ";".join(cells)]) + "\n", encoding="utf-8")
    assert locations(read(spec(blank_required)).problems) == [
        ("blank-required.csv", 2, "azione", "missing-value")
    ]


def test_a_workbook_that_is_not_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    shutil.copy(CORPUS / "registro-ok.csv", path)
    with pytest.raises(SourceError) as caught:
        read(spec(path))
    assert locations(list(caught.value.problems)) == [("fake.xlsx", None, None, "not-xlsx")]


# --- business register and budget -----------------------------------------------------------


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_business_register_problems(tmp_path: Path) -> None:
    lines = (CORPUS / "imprese-ok.csv").read_text(encoding="utf-8").splitlines()
    lines += [
        "NA-000001,63,47.11.10,ditta individuale,2015-03-02,,0",
        "NA-000005,063,00.11,ditta individuale,2015-03-02,2014-01-01,-1",
        "NA-000006,063,47.11,ditta individuale,2015-02-30,,1",
    ]
    problems = read(spec(write(tmp_path, "imprese.csv", lines), "imprese")).problems
    assert locations(problems) == [
        ("imprese.csv", 5, "id_impresa", "duplicate-key"),
        ("imprese.csv", 5, "provincia", "unknown-province"),
        ("imprese.csv", 6, "ateco", "unknown-ateco"),
        ("imprese.csv", 6, "data_cessazione", "date-order"),
        ("imprese.csv", 6, "addetti", "negative-number"),
        ("imprese.csv", 7, "data_iscrizione", "bad-date"),
    ]
    assert problems[1].reason.endswith('"63"')


def test_owners_shares_and_firms_are_checked_across_files(tmp_path: Path) -> None:
    lines = (CORPUS / "titolari-ok.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = "TO-000002,IT,F,1975,60"
    lines += ["XX-999999,IT,F,1890,100"]
    owners = spec(write(tmp_path, "titolari.csv", lines), "titolari")
    results = check_sources([spec("imprese-ok.csv", "imprese"), owners], today=TODAY)
    assert results["imprese"].ok
    assert locations(results["titolari"].problems) == [
        ("titolari.csv", 3, "quota", "share-total"),
        ("titolari.csv", 8, "anno_nascita", "impossible-birth-date"),
        ("titolari.csv", 8, "id_impresa", "unknown-firm"),
    ]


def test_the_budget_must_add_up_to_the_programme_budget(tmp_path: Path) -> None:
    lines = (CORPUS / "budget-ok.csv").read_text(encoding="utf-8").splitlines()
    lines[-1] = lines[-1].replace("800000,00", "700000,00", 1)
    problems = read(spec(write(tmp_path, "budget.csv", lines), "budget")).problems
    assert locations(problems) == [("budget.csv", None, "previsto", "budget-total")]
    assert "3,120,820.00" in problems[0].reason


# --- several files: all or nothing ----------------------------------------------------------


def test_ingest_never_returns_half_the_sources(untouched) -> None:
    good, bad, broken = spec("registro-ok.csv"), spec("bad-date.csv"), spec("empty.csv")
    bad = SourceSpec(**{**bad.__dict__, "chamber": "roma"})
    broken = SourceSpec(**{**broken.__dict__, "chamber": "bari"})
    assert list(ingest([good], today=TODAY)) == ["registro/torino"]
    with pytest.raises(DataError) as data_error:
        ingest([good, bad], today=TODAY)
    assert locations(list(data_error.value.problems)) == [
        ("bad-date.csv", 3, "data_azione", "bad-date")
    ]
    with pytest.raises(SourceError) as source_error:
        ingest([good, bad, broken], today=TODAY)
    assert locations(list(source_error.value.problems)) == [("empty.csv", None, None, "empty-file")]
    results = check_sources([good, bad, broken], today=TODAY)
    assert [r.readable for r in results.values()] == [True, True, False]
    assert results["registro/bari"].table.num_rows == 0
