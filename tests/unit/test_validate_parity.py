"""Parity corpus: both engines find the same (row, column, code) in the same broken files.

The package is written at test time (a few hundred rows, every type and constraint odata
uses, a foreign key to a code list holding "NA" and one to the table itself); each case plants
one kind of error and both engines must agree exactly, and find it. Where the fast engine is
deliberately stricter (docs/validation.md), the difference itself is tested.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from odata.validate import validate_package

PROVINCES = ["RM", "MI", "NA", "TO", "PA"]
HEADER = ["id", "provincia", "sezione", "addetti", "quota", "attiva", "data", "anno", "nome",
          "capo", "livello", "codice"]  # fmt: skip
ROWS = 300

Found = set[tuple[int | None, str | None, str]]


def clean_rows() -> list[list[str]]:
    rows = []
    for i in range(ROWS):
        region = i % 3 == 0
        rows.append(
            [
                f"IT{i:04d}",
                PROVINCES[i % len(PROVINCES)],
                "ABCU"[i % 4],
                str(i % 50),
                f"{(i % 7) / 2:.1f}",
                ["true", "false", "1", "0"][i % 4],
                f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                str(1990 + i % 30),
                f"Impresa {i}",
                "" if i < 10 else f"IT{i % 10:04d}",
                "region" if region else "province",
                f"{i % 20:02d}" if region else f"{i % 110:03d}",
            ]
        )
    return rows


def schema() -> dict[str, object]:
    return {
        "missingValues": [""],
        "primaryKey": ["id"],
        "foreignKeys": [
            {"fields": ["provincia"], "reference": {"resource": "province", "fields": ["code"]}},
            {"fields": ["capo"], "reference": {"resource": "", "fields": ["id"]}},
        ],
        "fields": [
            {"name": "id", "type": "string",
             "constraints": {"required": True, "unique": True, "pattern": "IT[0-9]{4}"}},
            {"name": "provincia", "type": "string", "constraints": {"required": True}},
            {"name": "sezione", "type": "string", "constraints": {"enum": ["A", "B", "C", "U"]}},
            {"name": "addetti", "type": "integer",
             "constraints": {"minimum": 0, "maximum": 1000}},
            {"name": "quota", "type": "number", "constraints": {"minimum": 0}},
            {"name": "attiva", "type": "boolean", "constraints": {"required": True}},
            {"name": "data", "type": "date", "constraints": {"required": True}},
            {"name": "anno", "type": "year", "constraints": {"minimum": 1900}},
            {"name": "nome", "type": "string", "constraints": {"minLength": 2, "maxLength": 20}},
            {"name": "capo", "type": "string"},
            {"name": "livello", "type": "string",
             "constraints": {"enum": ["region", "province"]}},
            {"name": "codice", "type": "string",
             "patternBy": {"field": "livello",
                           "patterns": {"region": "[0-9]{2}", "province": "[0-9]{3}"}}},
        ],
    }  # fmt: skip


def write_package(
    folder: Path,
    rows: list[list[str]] | None = None,
    *,
    header: list[str] | None = None,
    text: str | None = None,
    resource_extra: dict[str, object] | None = None,
) -> Path:
    """The package with ``rows`` (or the raw CSV ``text``); returns its descriptor."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    if text is None:
        lines = [",".join(header or HEADER)] + [",".join(r) for r in rows or clean_rows()]
        text = "\n".join(lines) + "\n"
    (data / "imprese.csv").write_text(text, encoding="utf-8")
    (data / "province.csv").write_text("code\n" + "\n".join(PROVINCES) + "\n", encoding="utf-8")
    imprese = {"name": "imprese", "path": "data/imprese.csv", "schema": schema()}
    imprese.update(resource_extra or {})
    descriptor = {
        "name": "parita",
        "resources": [
            imprese,
            {
                "name": "province",
                "path": "data/province.csv",
                "schema": {
                    "missingValues": [""],
                    "primaryKey": ["code"],
                    "fields": [{"name": "code", "type": "string"}],
                },
            },
        ],
    }
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return path


def found(descriptor: Path, engine: str) -> Found:
    return {(p.row, p.column, p.code) for p in validate_package(descriptor, engine)}  # type: ignore[arg-type]


def both(descriptor: Path) -> Found:
    """The findings, asserted identical in the two engines, with identical reasons."""
    fast = validate_package(descriptor, "fast")
    slow = validate_package(descriptor, "frictionless")
    assert {(p.row, p.column, p.code) for p in fast} == {(p.row, p.column, p.code) for p in slow}
    assert {(p.row, p.column, p.reason) for p in fast} == {
        (p.row, p.column, p.reason) for p in slow
    }
    return {(p.row, p.column, p.code) for p in fast}


def edit(column: str, value: str, at: int = 5) -> Callable[[list[list[str]]], int]:
    """Set ``column`` of data row ``at`` (0-based) to ``value``; the file row is at + 2."""

    def apply(rows: list[list[str]]) -> int:
        rows[at][HEADER.index(column)] = value
        return at + 2

    return apply


CELL_CASES = {
    "integer-word": ("addetti", "dodici", "type-error"),
    "integer-decimal": ("addetti", "12.5", "type-error"),
    "integer-exponent": ("addetti", "1e3", "type-error"),
    "number-comma": ("quota", '"3,5"', "type-error"),  # quoted in the CSV
    "number-word": ("quota", "tre", "type-error"),
    "boolean-si": ("attiva", "si", "type-error"),
    "boolean-yes": ("attiva", "yes", "type-error"),
    "date-feb-30": ("data", "2020-02-30", "type-error"),
    "date-italian": ("data", "31/12/2019", "type-error"),
    "date-month-13": ("data", "2019-13-01", "type-error"),
    "date-compact": ("data", "20190101", "type-error"),
    "date-time": ("data", "2020-01-05T00:00", "type-error"),
    "date-blank-around": ("data", " 2020-01-05", "type-error"),
    "year-short": ("anno", "199", "type-error"),
    "year-word": ("anno", "mille", "type-error"),
    "required": ("provincia", "", "constraint-error"),
    "required-date": ("data", "", "constraint-error"),
    "enum": ("sezione", "Z", "constraint-error"),
    "enum-case": ("livello", "Region", "constraint-error"),
    "minimum": ("addetti", "-1", "constraint-error"),
    "maximum": ("addetti", "5000", "constraint-error"),
    "number-minimum": ("quota", "-0.5", "constraint-error"),
    "year-minimum": ("anno", "1850", "constraint-error"),
    "min-length": ("nome", "X", "constraint-error"),
    "max-length": ("nome", "Impresa dal nome troppo lungo", "constraint-error"),
    "pattern": ("id", "XX0001", "constraint-error"),
    "foreign-key": ("provincia", "ZZ", "foreign-key"),
    "foreign-key-lowercase-na": ("provincia", "na", "foreign-key"),
    "self-reference": ("capo", "IT9999", "foreign-key"),
    "pattern-by": ("codice", "63", "constraint-error"),
}


@pytest.mark.parametrize("case", sorted(CELL_CASES))
def test_a_planted_cell_error_is_found_alike_by_both_engines(case: str, tmp_path: Path) -> None:
    column, value, code = CELL_CASES[case]
    rows = clean_rows()
    row = edit(column, value, at=7 if column != "codice" else 4)(rows)
    expected_column = column
    assert (row, expected_column, code) in both(write_package(tmp_path, rows))


def test_the_clean_package_is_valid_in_both_engines(tmp_path: Path) -> None:
    assert both(write_package(tmp_path)) == set()


def test_napoli_na_is_a_code_not_a_missing_value(tmp_path: Path) -> None:
    rows = clean_rows()
    assert sum(r[1] == "NA" for r in rows) > 10
    assert both(write_package(tmp_path, rows)) == set()


def test_a_duplicate_id_is_a_unique_and_a_primary_key_error(tmp_path: Path) -> None:
    rows = clean_rows()
    rows[20][0] = rows[3][0]
    rows[40][0] = rows[3][0]
    assert both(write_package(tmp_path, rows)) == {
        (22, "id", "unique-error"),
        (22, "id", "primary-key"),
        (42, "id", "unique-error"),
        (42, "id", "primary-key"),
    }


def test_an_empty_key_is_required_and_a_primary_key_error(tmp_path: Path) -> None:
    rows = clean_rows()
    rows[30][0] = ""
    assert both(write_package(tmp_path, rows)) == {
        (32, "id", "constraint-error"),
        (32, "id", "primary-key"),
    }


def test_a_mistyped_cell_is_not_checked_for_constraints_or_keys(tmp_path: Path) -> None:
    rows = clean_rows()
    rows[9][3] = "-dodici"
    assert both(write_package(tmp_path, rows)) == {(11, "addetti", "type-error")}


def test_several_constraints_broken_in_one_cell_are_each_reported(tmp_path: Path) -> None:
    rows = clean_rows()
    rows[12][0] = "IT0003"  # duplicate of row 5 and ...
    rows[13][0] = "ZZ"  # ... a pattern error
    assert both(write_package(tmp_path, rows)) == {
        (14, "id", "unique-error"),
        (14, "id", "primary-key"),
        (15, "id", "constraint-error"),
    }


def _lines(rows: list[list[str]] | None = None) -> list[str]:
    return [",".join(HEADER)] + [",".join(r) for r in rows or clean_rows()]


def test_blank_rows_are_reported_and_nothing_else_on_them(tmp_path: Path) -> None:
    lines = _lines()
    lines.insert(10, "")
    lines.insert(20, "," * (len(HEADER) - 1))
    text = "\n".join(lines) + "\n\n"
    assert both(write_package(tmp_path, text=text)) == {
        (11, None, "blank-row"),
        (11, "id", "primary-key"),
        (21, None, "blank-row"),
        (21, "id", "primary-key"),
        (len(lines) + 1, None, "blank-row"),
        (len(lines) + 1, "id", "primary-key"),
    }


def test_ragged_rows_are_reported_not_fatal(tmp_path: Path) -> None:
    lines = _lines()
    lines[6] = lines[6].rsplit(",", 2)[0]  # two cells short
    lines[9] = lines[9] + ",extra,cells"
    lines[12] = lines[12] + ",tre-due"  # one extra
    lines[15] = lines[15].replace("IT0014", "ZZ") + ",x"  # extra cell and a pattern error
    text = "\n".join(lines) + "\n"
    assert both(write_package(tmp_path, text=text)) == {
        (7, "livello", "missing-cell"),
        (7, "codice", "missing-cell"),
        (10, None, "extra-cell"),
        (13, None, "extra-cell"),
        (16, None, "extra-cell"),
        (16, "id", "constraint-error"),
    }


def test_a_short_row_misses_a_required_cell(tmp_path: Path) -> None:
    lines = _lines()
    cells = lines[4].split(",")
    lines[4] = ",".join(cells[:6])  # data (required) and what follows are missing
    found_ = both(write_package(tmp_path, text="\n".join(lines) + "\n"))
    assert (5, "data", "constraint-error") in found_
    assert {(5, name, "missing-cell") for name in HEADER[6:]} <= found_


def test_quoted_line_breaks_keep_row_numbers(tmp_path: Path) -> None:
    rows = clean_rows()
    rows[3][8] = '"Impresa\nSud"'
    rows[10][3] = "dodici"
    assert both(write_package(tmp_path, rows)) == {(12, "addetti", "type-error")}


HeaderChange = Callable[[list[str]], list[str]]
HEADER_CASES: dict[str, tuple[HeaderChange, Found]] = {
    "incorrect": (lambda h: [*h[:2], "settore", *h[3:]], {(1, "sezione", "incorrect-label")}),
    "duplicate": (lambda h: [*h[:2], "provincia", *h[3:]], {(1, "sezione", "duplicate-label")}),
    "blank": (lambda h: [*h[:2], "", *h[3:]], {(1, "sezione", "blank-label")}),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(HEADER_CASES))
def test_header_errors_are_found_alike(case: str, tmp_path: Path) -> None:
    change, expected = HEADER_CASES[case]
    assert both(write_package(tmp_path, header=change(HEADER))) == expected


def test_a_missing_last_column_is_a_missing_label(tmp_path: Path) -> None:
    rows = [r[:-1] for r in clean_rows()]
    descriptor = write_package(tmp_path, rows, header=HEADER[:-1])
    assert both(descriptor) == {(1, "codice", "missing-label")}


def test_an_extra_column_is_an_extra_label(tmp_path: Path) -> None:
    rows = [[*r, "x"] for r in clean_rows()]
    descriptor = write_package(tmp_path, rows, header=[*HEADER, "note"])
    assert both(descriptor) == {(1, None, "extra-label")}


def test_a_changed_file_fails_its_hash_and_size(tmp_path: Path) -> None:
    descriptor = write_package(tmp_path)
    content = (tmp_path / "data" / "imprese.csv").read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    declared = {"bytes": len(content), "hash": f"sha256:{digest}"}
    assert both(write_package(tmp_path, resource_extra=declared)) == set()
    declared = {"bytes": len(content) + 1, "hash": f"sha256:{'0' * 64}"}
    assert both(write_package(tmp_path, resource_extra=declared)) == {
        (None, None, "hash-count"),
        (None, None, "byte-count"),
    }
    assert descriptor.is_file()


def test_every_planted_error_at_once(tmp_path: Path) -> None:
    """One file with every cell case planted on its own row: the union, nothing more."""
    rows = clean_rows()
    expected = set()
    for k, case in enumerate(sorted(CELL_CASES)):
        column, value, code = CELL_CASES[case]
        at = 20 + 3 * k + (1 if column == "codice" and rows[20 + 3 * k][10] == "region" else 0)
        rows[at][HEADER.index(column)] = value
        expected.add((at + 2, column, code))
    got = both(write_package(tmp_path, rows))
    assert expected <= got
    extra = got - expected
    # a changed id also breaks the self-reference of rows pointing at it
    assert {code for _, _, code in extra} <= {"foreign-key"}, extra


# Deliberate differences (docs/validation.md): the fast engine refuses what frictionless's
# Python readers let through.
STRICTER = {
    "integer-underscore": ("addetti", "1_000"),
    "integer-arabic-indic": ("addetti", "\u0663"),
    "integer-padded": ("addetti", " 7"),
    "number-padded": ("quota", "1.5 "),
    "number-underscore": ("quota", "1_000.5"),
    "number-infinity-word": ("quota", "Infinity"),
    "date-unpadded": ("data", "2020-1-5"),
    "year-arabic-indic": ("anno", "\u0661\u0669\u0669\u0660"),
}


@pytest.mark.parametrize("case", sorted(STRICTER))
def test_the_fast_engine_is_stricter_on_lenient_numbers_and_dates(
    case: str, tmp_path: Path
) -> None:
    column, value = STRICTER[case]
    rows = clean_rows()
    rows[8][HEADER.index(column)] = value
    descriptor = write_package(tmp_path, rows)
    assert found(descriptor, "frictionless") == set()
    assert found(descriptor, "fast") == {(10, column, "type-error")}


def test_the_fast_engine_matches_a_pattern_whole(tmp_path: Path) -> None:
    """frictionless anchors a pattern as ^A|B$, so "A|B" lets through any text starting with A."""
    descriptor = write_package(tmp_path)
    data = json.loads(descriptor.read_text())
    data["resources"][0]["schema"]["fields"][2]["constraints"] = {"pattern": "A|B"}
    descriptor.write_text(json.dumps(data))
    csv = tmp_path / "data" / "imprese.csv"
    lines = csv.read_text().splitlines()
    cells = lines[5].split(",")
    cells[2] = "AX"
    lines[5] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")
    fast = found(descriptor, "fast")
    assert (6, "sezione", "constraint-error") in fast
    assert (6, "sezione", "constraint-error") not in found(descriptor, "frictionless")
