"""The file dialects the chambers hand in, written byte for byte reproducibly.

Chambers keep their registers in Excel and export them the way their PC is set up: Italian
Excel gives ``;``-separated CSV with decimal commas and dd/mm/yyyy dates, in UTF-8 with a BOM
("CSV UTF-8") or in Windows-1252 (the older "CSV (separato da ;)"); a database or web-form
export gives ``,``-separated UTF-8 with ISO dates; some send the workbook itself. Every
dialect is declared in ``sources.toml`` (docs/sources.md), so nothing has to be guessed.

XLSX files are zip archives with timestamps inside (the document's created/modified dates
and each zip entry's date): both are fixed here so the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped]

__all__ = ["DIALECTS", "Dialect", "Value", "write_csv", "write_sources_toml", "write_xlsx"]

#: A cell before formatting: text, a number of hours or euros, a date, or nothing.
Value = str | float | int | dt.date | None


@dataclass(frozen=True)
class Dialect:
    """How one file is written; the same fields go to its ``sources.toml`` entry."""

    name: str
    format: str  # csv | xlsx
    encoding: str = "utf-8"
    delimiter: str = ";"
    decimal: str = ","
    date_format: str = "%d/%m/%Y"
    line_terminator: str = "\r\n"

    def text(self, value: Value) -> str:
        """A cell as this dialect writes it (decimal separator, date format)."""
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return value.strftime(self.date_format)
        if isinstance(value, float):
            return f"{value:g}".replace(".", self.decimal)
        return str(value)

    def money(self, cents: int) -> str:
        """An amount in euros with two decimals and no thousands separator: ``1234,50``."""
        sign = "-" if cents < 0 else ""
        whole, rest = divmod(abs(cents), 100)
        return f"{sign}{whole}{self.decimal}{rest:02d}"


DIALECTS = {
    "excel-it-utf8": Dialect("excel-it-utf8", "csv", encoding="utf-8-sig"),
    "excel-it-cp1252": Dialect("excel-it-cp1252", "csv", encoding="cp1252"),
    "export-utf8": Dialect(
        "export-utf8", "csv", delimiter=",", decimal=".", date_format="%Y-%m-%d",
        line_terminator="\n",
    ),
    "xlsx": Dialect("xlsx", "xlsx"),
}  # fmt: skip


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Value]], dialect: Dialect
) -> int:
    """Write a CSV file in ``dialect``; return the number of data rows.

    Raises:
        UnicodeEncodeError: a value cannot be written in the dialect's encoding (a bug in the
            generator: names are chosen to fit Windows-1252).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator=dialect.line_terminator)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([dialect.text(v) for v in row])
        count += 1
    path.write_bytes(buffer.getvalue().encode(dialect.encoding))
    return count


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Value]],
    *,
    sheet: str,
    when: dt.datetime,
    text_dates: bool = False,
) -> int:
    """Write a one-sheet workbook whose bytes depend only on its content and ``when``.

    Dates are real date cells shown as dd/mm/yyyy, unless ``text_dates`` (some chambers type
    them as text); codes stay text so "01" keeps its zero. Returns the number of data rows.
    """
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(list(header))
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    count = 0
    for row in rows:
        cells = [v.strftime("%d/%m/%Y") if text_dates and isinstance(v, dt.date) else v
                 for v in row]  # fmt: skip
        worksheet.append(cells)
        count += 1
        for column, value in enumerate(cells, start=1):
            if isinstance(value, dt.date):
                worksheet.cell(row=count + 1, column=column).number_format = "DD/MM/YYYY"
    worksheet.freeze_panes = "A2"
    workbook.properties.creator = "odata"
    workbook.properties.created = when
    workbook.properties.modified = when
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(workbook, archive).save()  # closes the archive; save_workbook() would stamp now()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(raw.getvalue(), when))
    return count


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """The same archive with every entry dated ``when`` (zip stores local times)."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def write_sources_toml(path: Path, entries: Sequence[dict[str, str]]) -> None:
    """The sources manifest: one ``[[source]]`` table per file (docs/sources.md)."""
    lines = [
        "# Sources manifest: which file is which chamber and source, and how it is written.",
        "# Generated by `odata sources generate` (synthetic demo data).",
    ]
    for entry in entries:
        lines += ["", "[[source]]"]
        lines += [f"{key} = {_toml_string(value)}" for key, value in entry.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def source_entry(kind: str, path: str, dialect: Dialect, chamber: str = "") -> dict[str, str]:
    """The ``sources.toml`` fields of one file (encoding and delimiter only for CSV)."""
    entry = {"kind": kind}
    if chamber:
        entry["chamber"] = chamber
    entry |= {"path": path, "format": dialect.format}
    if dialect.format == "csv":
        entry |= {"encoding": dialect.encoding, "delimiter": dialect.delimiter}
    entry |= {"decimal": dialect.decimal, "date_format": dialect.date_format}
    return entry


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
