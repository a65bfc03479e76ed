"""The XLSX reader: the first data sheet as text cells, read-only, cached values only.

A workbook's cells come typed (dates, numbers); they are written back as the text a CSV
export in the declared dialect would hold, so one set of checks serves both formats. Title
rows above the header and a totals row at the end are reported, not skipped: guessing which
rows are data is how records get lost.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import zipfile

import pyarrow as pa

from odata.errors import Problem
from odata.ingest.schemas import Schema
from odata.ingest.structure import (
    empty_file,
    fold_label,
    header_only,
    header_problems,
    ragged_problem,
    unreadable,
)
from odata.sources.manifest import SourceSpec

__all__ = ["read_xlsx"]

_TITLE_SEARCH_ROWS = 10
_INSTRUCTIONS_SHEET = "istruzioni"
_TOTALS_LABEL = re.compile(r"^(totale|totali|total|tot\.)", re.IGNORECASE)


def read_xlsx(spec: SourceSpec, schema: Schema, max_problems: int) -> tuple[pa.RecordBatch, int]:
    """The sheet's data rows as one batch of text cells, and the sheet row of the first.

    Raises:
        SourceError: not a workbook, empty, header-only, title rows, a totals row, cells
            beyond the header, or header problems.
    """
    rows = _xlsx_rows(spec)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise empty_file(spec)
    header_index = _find_header(rows, schema)
    header_row = header_index + 1
    labels = list(rows[header_index])
    while labels and not labels[-1]:
        labels.pop()
    problems: list[Problem] = []
    if header_index:
        problems.append(_title_rows(spec, header_index))
    problems.extend(header_problems(labels, schema, spec, row=header_row))
    data = rows[header_index + 1 :]
    problems.extend(_xlsx_row_problems(spec, data, len(labels), header_row + 1))
    if problems:
        raise unreadable(spec, problems, max_problems)
    if not data:
        raise header_only(spec, row=header_row)
    names = [fold_label(label) for label in labels]
    cells = {name: [row[i] if i < len(row) else "" for row in data] for i, name in enumerate(names)}
    arrays = [pa.array(cells[name], pa.string()) for name in schema.names]
    batch = pa.RecordBatch.from_arrays(arrays, names=list(schema.names))
    return batch, header_row + 1


def _xlsx_rows(spec: SourceSpec) -> list[tuple[str, ...]]:
    """The first data sheet's cells as text (read-only, cached values, not formulas)."""
    # imported on use (only XLSX sources need it), by name: openpyxl ships no type hints
    openpyxl = importlib.import_module("openpyxl")
    invalid_file = importlib.import_module("openpyxl.utils.exceptions").InvalidFileException
    try:
        book = openpyxl.load_workbook(spec.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, invalid_file, KeyError, OSError, ValueError):
        problem = Problem(
            code="not-xlsx",
            reason="the file is not an Excel workbook (.xlsx)",
            file=spec.label,
            hint='save it as .xlsx, or declare format = "csv" if it is a CSV file',
        )
        raise unreadable(spec, [problem], 1) from None
    try:
        sheets = [s for s in book.worksheets if s.title.casefold() != _INSTRUCTIONS_SHEET]
        sheet = sheets[0] if sheets else book.worksheets[0]
        return [
            tuple(_cell_text(value, spec) for value in row)
            for row in sheet.iter_rows(min_row=1, values_only=True)
        ]
    finally:
        book.close()


def _cell_text(value: object, spec: SourceSpec) -> str:
    """A cell as the same text a CSV export in the declared dialect would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sì" if value else "no"
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime(spec.date_format)
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
        return text.replace(".", spec.decimal)
    return str(value).strip() if isinstance(value, str) else str(value)


def _find_header(rows: list[tuple[str, ...]], schema: Schema) -> int:
    """The index of the row that holds most of the schema's names (0 when none does)."""
    expected = set(schema.names)
    for index, row in enumerate(rows[:_TITLE_SEARCH_ROWS]):
        if len({fold_label(cell) for cell in row} & expected) * 2 >= len(expected):
            return index
    return 0


def _title_rows(spec: SourceSpec, header_index: int) -> Problem:
    rows = "row 1" if header_index == 1 else f"rows 1-{header_index}"
    return Problem(
        code="title-rows",
        reason=f"{rows} above the header are not data (a title or merged cells?)",
        file=spec.label,
        row=1,
        hint="delete them so that the header is row 1",
    )


def _xlsx_row_problems(
    spec: SourceSpec, data: list[tuple[str, ...]], width: int, first_row: int
) -> list[Problem]:
    """Cells beyond the header's width, and a totals row at the end."""
    problems = [
        ragged_problem(spec, first_row + index, width)
        for index, row in enumerate(data)
        if any(row[width:])
    ]
    if data and any(_TOTALS_LABEL.match(cell) for cell in data[-1]):
        problems.append(
            Problem(
                code="totals-row",
                reason="the last row is a totals row, not a record",
                file=spec.label,
                row=first_row + len(data) - 1,
                hint="delete it: odata computes totals itself",
            )
        )
    return problems
