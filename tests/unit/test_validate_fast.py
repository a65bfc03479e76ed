"""The fast engine's shortcuts change how it works, never what it finds.

A table is streamed in batches, a column with few distinct values is checked on those values
(each judged once per batch), and the rest row by row. Each test below finds the same
problems, in the same order, with the shortcuts pushed to their extremes: batches of a few
rows, every column by value or every column by row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from odata.validate import validate_package
from odata.validate.fast import columns, reader

from .test_validate_parity import CELL_CASES, HEADER, both, clean_rows, write_package

SHORTCUTS = {
    "tiny batches": [(reader, "_BATCH", 600)],
    "every column by value": [(columns, "_BY_VALUE", 1.0)],
    "every column by row": [(columns, "_BY_VALUE", -1.0)],
    "tiny batches, every column by value": [(reader, "_BATCH", 600), (columns, "_BY_VALUE", 1.0)],
}


def broken_rows() -> list[list[str]]:
    """Every planted cell error, repeated ids across batches, and rows left empty."""
    rows = clean_rows()
    for k, case in enumerate(sorted(CELL_CASES)):
        column, value, _ = CELL_CASES[case]
        at = 20 + 3 * k + (1 if column == "codice" and rows[20 + 3 * k][10] == "region" else 0)
        rows[at][HEADER.index(column)] = value
    rows[250][0] = rows[3][0]  # a repeat many batches after the first occurrence
    rows[260] = [""] * len(HEADER)  # a blank row (only commas) keeps the stream going
    rows[270][0] = ""
    return rows


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return write_package(tmp_path, broken_rows())


def problems(descriptor: Path) -> list[tuple[str | None, int | None, str | None, str, str]]:
    found = validate_package(descriptor, "fast")
    return [(p.file, p.row, p.column, p.code, p.reason) for p in found]


@pytest.fixture(params=sorted(SHORTCUTS))
def shortcut(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name: str = request.param
    for module, attribute, value in SHORTCUTS[name]:
        monkeypatch.setattr(module, attribute, value)
    yield name


def test_the_broken_table_is_streamed_not_read_whole(
    broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = reader.read_table

    def refuse(source: reader.TableSource) -> object:
        assert source.spec.name != "imprese", "read whole"
        return whole(source)  # the one-column code list is read whole: that is expected

    monkeypatch.setattr("odata.validate.fast.read_table", refuse)
    assert problems(broken)


def test_shortcuts_change_nothing_in_what_is_found(
    broken: Path, shortcut: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = problems(broken)
    monkeypatch.undo()
    assert found == problems(broken)
    assert len(found) > len(CELL_CASES)


def test_the_streamed_table_agrees_with_frictionless(broken: Path, shortcut: str) -> None:
    found = both(broken)
    assert (252, "id", "unique-error") in found
    assert (262, None, "blank-row") in found
    assert (272, "id", "primary-key") in found


def test_a_table_with_a_header_only_is_valid(tmp_path: Path) -> None:
    text = ",".join(HEADER) + "\n"
    assert both(write_package(tmp_path, text=text)) == set()


def test_a_ragged_row_late_in_the_file_sends_it_to_the_exact_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_BATCH", 600)
    lines = [",".join(HEADER)] + [",".join(r) for r in clean_rows()]
    lines[280] += ",extra"
    lines[100] = lines[100].replace("IT0099", "ZZ")
    found = both(write_package(tmp_path, text="\n".join(lines) + "\n"))
    assert found == {(281, None, "extra-cell"), (101, "id", "constraint-error")}


def test_a_file_not_in_utf8_is_an_encoding_error_wherever_the_bad_byte_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_BATCH", 600)
    descriptor = write_package(tmp_path)
    csv = tmp_path / "data" / "imprese.csv"
    content = csv.read_bytes()
    at = content.index(b"Impresa 250")
    csv.write_bytes(content[:at] + "Società".encode("cp1252") + content[at + 7 :])
    assert [(p.code, Path(p.file or "").name) for p in validate_package(descriptor, "fast")] == [
        ("encoding-error", "imprese.csv")
    ]


@pytest.mark.parametrize("batch", [600, 650, 700, 750, 800])
def test_a_quoted_line_break_across_batches_keeps_row_numbers(
    batch: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wherever the stream's blocks end, a record with a quoted line break is one row (and
    had pyarrow split it, both pieces would be ragged: the file would be read exactly)."""
    monkeypatch.setattr(reader, "_BATCH", batch)
    rows = clean_rows()
    rows[150][8] = '"Impresa\nSud"'
    rows[200][3] = "dodici"
    assert both(write_package(tmp_path, rows)) == {(202, "addetti", "type-error")}
