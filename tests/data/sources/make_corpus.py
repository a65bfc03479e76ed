"""Write the bad-input corpus of this folder (run from the repository root).

    .venv/bin/python tests/data/sources/make_corpus.py

Every person is invented ("Prova Esempio", "Demo Campione"…) and every codice fiscale is
built from those invented names with odata's own builder, so the codes are valid in shape
and check character but belong to nobody. Each file shows one case; its name says which.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl

from odata.ingest.schemas import SCHEMAS
from odata.sources.codice_fiscale import build

HERE = Path(__file__).resolve().parent
HEADER = list(SCHEMAS["registro"].names)


def person(surname: str, name: str, sex: str, born: dt.date, place: str) -> dict[str, str]:
    return {
        "codice_fiscale": build(surname, name, sex, born, place),
        "cognome": surname,
        "nome": name,
        "sesso": sex,
        "data_nascita": born.strftime("%d/%m/%Y"),
    }


PROVA = person("Prova", "Esempio", "F", dt.date(1990, 3, 15), "Z330")  # born in Morocco
ESEMPIO = person("Esempio", "Prova", "M", dt.date(1985, 7, 2), "F839")  # born in Napoli
DEMO = person("Demo", "Campione", "M", dt.date(1978, 11, 20), "Z210")  # born in China

BASE = [
    {
        **PROVA,
        "paese_nascita": "Marocco",
        "cittadinanza": "MA",
        "generazione": "prima",
        "comune_residenza": "Torino",
        "provincia_residenza": "TO",
        "titolo_studio": "laurea",
        "email": "prova.esempio@example.org",
        "telefono": "+39 000 0000001",
        "azione": "informazione",
        "data_azione": "10/02/2021",
        "ore": "2,5",
        "business_plan": "sì",
        "impresa_costituita": "sì",
        "ateco_impresa": "56",
        "forma_giuridica_impresa": "ditta individuale",
    },
    {
        **PROVA,
        "paese_nascita": "Marocco",
        "cittadinanza": "MA",
        "generazione": "prima",
        "comune_residenza": "Torino",
        "provincia_residenza": "TO",
        "titolo_studio": "laurea",
        "email": "prova.esempio@example.org",
        "telefono": "+39 000 0000001",
        "azione": "Formazione",
        "data_azione": "11/03/2021",
        "ore": "12",
        "business_plan": "sì",
        "impresa_costituita": "sì",
        "ateco_impresa": "56",
        "forma_giuridica_impresa": "ditta individuale",
    },
    {
        **ESEMPIO,
        "paese_nascita": "Italia",
        "cittadinanza": "Albania",
        "generazione": "seconda",
        "comune_residenza": "Napoli",
        "provincia_residenza": "NA",
        "titolo_studio": "secondaria superiore",
        "email": "",
        "telefono": "",
        "azione": "orientamento",
        "data_azione": "05/05/2021",
        "ore": "1,5",
        "business_plan": "no",
        "impresa_costituita": "no",
        "ateco_impresa": "",
        "forma_giuridica_impresa": "",
    },
    {
        **DEMO,
        "paese_nascita": "CN",
        "cittadinanza": "Cina",
        "generazione": "prima",
        "comune_residenza": "Forlì",
        "provincia_residenza": "FC",
        "titolo_studio": "secondaria inferiore",
        "email": "demo.campione@example.org",
        "telefono": "000 0000002",
        "azione": "Assistenza personalizzata",
        "data_azione": "14/09/2022",
        "ore": "3,75",
        "business_plan": "Sì",
        "impresa_costituita": "si",
        "ateco_impresa": "01",
        "forma_giuridica_impresa": "Società di persone",
    },
]


def write_csv(
    name: str,
    rows: list[dict[str, str]],
    *,
    header: list[str] = HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8",
) -> None:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[row.get(column, "") for column in HEADER] for row in rows])
    (HERE / name).write_bytes(text.getvalue().encode(encoding))


def changed(index: int, **values: str) -> list[dict[str, str]]:
    rows = [dict(row) for row in BASE]
    rows[index].update(values)
    return rows


def mixed_encodings() -> None:
    """UTF-8 throughout, except row 5 whose accented letters were saved as Windows-1252."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER)
    lines = []
    for row in BASE:
        text.seek(0)
        text.truncate()
        writer.writerow([row[column] for column in HEADER])
        lines.append(text.getvalue())
    header = ";".join(HEADER) + "\n"
    data = header.encode() + b"".join(line.encode() for line in lines[:3])
    (HERE / "mixed-encodings.csv").write_bytes(data + lines[3].encode("cp1252"))


def xlsx_rows() -> list[list[object]]:
    """The base rows as a spreadsheet holds them: real dates and numbers, codes as text."""
    rows: list[list[object]] = []
    for row in BASE:
        cells: list[object] = []
        for column in HEADER:
            value = row[column]
            if column.startswith("data_") and value:
                cells.append(dt.datetime.strptime(value, "%d/%m/%Y"))
            elif column == "ore":
                cells.append(float(value.replace(",", ".")))
            else:
                cells.append(value or None)
        rows.append(cells)
    return rows


def write_xlsx(name: str, *, title: bool = False, totals: bool = False) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Registro"
    if title:
        sheet.append(["Programma Futurae - registro dei partecipanti"])
        sheet.append(["Camera di commercio di Torino - estrazione di prova"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADER))
    sheet.append(HEADER)
    for cells in xlsx_rows():
        sheet.append(cells)
    if totals:
        hours = HEADER.index("ore")
        first, last = sheet.max_row - len(BASE) + 1, sheet.max_row
        letter = openpyxl.utils.get_column_letter(hours + 1)
        sheet.append(["Totale"] + [None] * (hours - 1) + [f"=SUM({letter}{first}:{letter}{last})"])
    book.save(HERE / name)


OTHER_SOURCES = {  # well-formed files of the other kinds, in their usual dialects
    "eventi-ok.csv": [
        "data;azione;titolo;modalita;lingua;partecipanti",
        "10/02/2021;informazione;Fare impresa in Italia;in presenza;it+ar;25",
        "11/03/2021;Formazione;Il business plan;Online;IT;12",
    ],
    "budget-ok.csv": [
        "voce;camera;trimestre;previsto;impegnato;speso",
        "Osservatorio;;2020-Q1;900000,00;850000,00;800000,00",
        "Coordinamento;;2020-q1;420820,00;400000,00;390000,50",
        "Comunicazione;;2021-Q2;300000,00;120000,00;100000,00",
        "Azioni camerali;torino;2021-Q2;800000,00;700000,00;650000,00",
        "Azioni camerali;roma;2021-Q3;800000,00;780000,00;0",
    ],
    "imprese-ok.csv": [
        "id_impresa,provincia,ateco,forma_giuridica,data_iscrizione,data_cessazione,addetti",
        "NA-000001,063,47.11.10,ditta individuale,2015-03-02,,0",
        "TO-000002,001,56.10.11,società di capitali,2010-11-20,2019-06-30,12",
        "RM-000003,058,01.11,cooperativa,2020-01-15,,3",
    ],
    "titolari-ok.csv": [
        "id_impresa,paese_nascita,sesso,anno_nascita,quota",
        "NA-000001,MA,M,1980,100",
        "TO-000002,IT,F,1975,50",
        "TO-000002,CN,M,1982,50",
        "RM-000003,AL,F,1990,33.34",
        "RM-000003,IT,M,1970,33.33",
        "RM-000003,RO,F,1988,33.33",
    ],
}


def main() -> None:
    for name, lines in OTHER_SOURCES.items():
        (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_csv("registro-ok.csv", BASE)
    write_csv("bom.csv", BASE, encoding="utf-8-sig")
    write_csv("cp1252.csv", BASE, encoding="cp1252")
    write_xlsx("registro-ok.xlsx")
    write_xlsx("title-and-totals.xlsx", title=True, totals=True)
    write_csv("wrong-delimiter.csv", BASE, delimiter=",")
    mixed_encodings()
    write_csv("missing-column.csv", BASE, header=[c for c in HEADER if c != "titolo_studio"])
    write_csv("extra-column.csv", BASE, header=[*HEADER, "note"])
    write_csv(
        "renamed-header.csv",
        BASE,
        header=["data di nascita" if c == "data_nascita" else c for c in HEADER],
    )
    write_csv("bad-date.csv", changed(1, data_azione="31/02/2024"))
    future = person("Esempio", "Prova", "M", dt.date(2099, 7, 2), "F839")
    child = person("Demo", "Campione", "M", dt.date(2010, 11, 20), "Z210")
    rows = changed(2, **future)
    rows[3].update(child)
    write_csv("impossible-birth-date.csv", rows)
    code = ESEMPIO["codice_fiscale"]
    wrong = code[:15] + ("A" if code[15] != "A" else "B")
    write_csv("invalid-codice-fiscale.csv", changed(2, codice_fiscale=wrong))
    write_csv("unknown-country.csv", changed(2, cittadinanza="Atlantide"))
    write_csv("province-lost.csv", changed(2, provincia_residenza=""))
    (HERE / "empty.csv").write_bytes(b"")
    write_csv("header-only.csv", [])
    write_csv("duplicate-row.csv", [BASE[0], BASE[1], BASE[1], BASE[2], BASE[3]])


if __name__ == "__main__":
    main()
