"""The blank templates carry exactly the ingest schemas' headers, so they cannot drift."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from odata.errors import SourceError
from odata.ingest import read_source
from odata.ingest.schemas import SCHEMAS
from odata.sources.manifest import spec_for
from odata.sources.templates import INSTRUCTIONS_HEADER, INSTRUCTIONS_SHEET, write_templates

CORPUS = Path(__file__).resolve().parents[1] / "data" / "sources"


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    written = write_templates(out)
    assert [p.name for p in written] == [f"{k}.{x}" for k in SCHEMAS for x in ("csv", "xlsx")]
    return out


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_csv_template_is_the_schema_header(templates: Path, kind: str) -> None:
    data = (templates / f"{kind}.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with its BOM
    header = next(csv.reader([data.decode("utf-8-sig").strip()], delimiter=";"))
    assert header == list(SCHEMAS[kind].names)


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_xlsx_template_has_the_header_and_italian_instructions(templates: Path, kind: str) -> None:
    book = openpyxl.load_workbook(templates / f"{kind}.xlsx")
    data = book.worksheets[0]
    assert [c.value for c in data[1]] == list(SCHEMAS[kind].names)
    assert data.column_dimensions["A"].number_format == "@"  # codes stay text ("063")
    sheet = book[INSTRUCTIONS_SHEET]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    start = rows.index(INSTRUCTIONS_HEADER) + 1
    lines = rows[start:]
    assert [line[0] for line in lines] == list(SCHEMAS[kind].names)
    for line, column in zip(lines, SCHEMAS[kind].columns, strict=True):
        assert line[1] and line[2]
        assert line[3] == ("sì" if column.personal else "no")


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_a_blank_template_is_read_as_a_header_without_rows(templates: Path, kind: str) -> None:
    chamber = "torino" if kind in ("registro", "eventi") else None
    for suffix, dialect in (("csv", {"delimiter": ";"}), ("xlsx", {})):
        source = spec_for(templates / f"{kind}.{suffix}", kind=kind, chamber=chamber, **dialect)
        with pytest.raises(SourceError) as caught:
            read_source(source)
        assert [p.code for p in caught.value.problems] == ["header-only"]


def test_a_filled_in_workbook_template_reads_without_problems(
    templates: Path, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(templates / "registro.xlsx")
    sheet = book.worksheets[0]
    lines = (CORPUS / "registro-ok.csv").read_text(encoding="utf-8").splitlines()
    for row, line in enumerate(lines[1:], start=2):
        for column, value in enumerate(line.split(";"), start=1):
            sheet.cell(row=row, column=column).value = value or None
    filled = tmp_path / "torino.xlsx"
    book.save(filled)
    result = read_source(spec_for(filled, kind="registro", chamber="torino"))
    expected = read_source(spec_for(CORPUS / "registro-ok.csv", kind="registro", chamber="torino"))
    assert result.problems == []
    assert result.table.equals(expected.table)
