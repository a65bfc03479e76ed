"""Blank templates for the chambers' data stewards: one CSV and one XLSX per source kind.

They are written from the ingest schemas, so a template always has exactly the header the
checks expect. The CSV is what Excel opens cleanly in an Italian locale (UTF-8 with BOM, ``;``);
the workbook adds an "Istruzioni" sheet saying, in Italian, what each column means, how to
write it and whether it is personal data, and formats every column as text, so Excel cannot
turn "063" into 63 or "NA" into anything else.
"""

from __future__ import annotations

import csv
import importlib
import io
from pathlib import Path
from typing import Any

from odata.ingest.schemas import SCHEMAS, Schema

__all__ = ["INSTRUCTIONS_HEADER", "INSTRUCTIONS_SHEET", "write_templates"]

INSTRUCTIONS_SHEET = "Istruzioni"
INSTRUCTIONS_HEADER = ("colonna", "significato", "formato", "dato personale", "obbligatoria")
_DATA_SHEET = "Dati"
_TEXT_FORMAT = "@"


def write_templates(out: Path) -> list[Path]:
    """Write ``<kind>.csv`` and ``<kind>.xlsx`` for every source kind into ``out``.

    Returns the paths written, CSV before XLSX, in the order of the source kinds. Existing
    templates are overwritten; nothing else in ``out`` is touched.
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for schema in SCHEMAS.values():
        written.append(_write_csv(schema, out / f"{schema.kind}.csv"))
        written.append(_write_xlsx(schema, out / f"{schema.kind}.xlsx"))
    return written


def _write_csv(schema: Schema, path: Path) -> Path:
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerow(schema.names)
    path.write_bytes(text.getvalue().encode("utf-8-sig"))
    return path


def _write_xlsx(schema: Schema, path: Path) -> Path:
    # imported on use, by name: openpyxl ships no type hints
    openpyxl: Any = importlib.import_module("openpyxl")
    styles: Any = importlib.import_module("openpyxl.styles")
    book = openpyxl.Workbook()
    data = book.active
    data.title = _DATA_SHEET
    data.append(list(schema.names))
    bold = styles.Font(bold=True)
    for index, column in enumerate(schema.columns, start=1):
        cell = data.cell(row=1, column=index)
        cell.font = bold
        dimension = data.column_dimensions[cell.column_letter]
        dimension.width = max(len(column.name) + 2, 14)
        dimension.number_format = _TEXT_FORMAT  # new cells of the column are text
    data.freeze_panes = "A2"
    _write_instructions(book.create_sheet(INSTRUCTIONS_SHEET), schema, bold)
    book.save(path)
    return path


def _write_instructions(sheet: Any, schema: Schema, bold: Any) -> None:
    sheet.append([schema.title])
    sheet.cell(row=1, column=1).font = bold
    sheet.append(
        [
            "Una riga per record nel foglio Dati, senza righe di titolo né di totale; "
            "le intestazioni non vanno modificate. I dati personali restano nella camera: "
            "odata non li mostra mai nei messaggi."
        ]
    )
    sheet.append([])
    sheet.append(list(INSTRUCTIONS_HEADER))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for column in schema.columns:
        sheet.append(
            [
                column.name,
                column.meaning,
                column.format,
                "sì" if column.personal else "no",
                "sì" if column.required else "no",
            ]
        )
    for letter, width in zip("ABCDE", (26, 48, 60, 16, 14), strict=True):
        sheet.column_dimensions[letter].width = width
