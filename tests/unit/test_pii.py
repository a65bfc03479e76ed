"""The PII scan: finds planted personal data in every kind of output, never echoes it, and
leaves a realistic release alone."""

from __future__ import annotations

import base64
import datetime as dt
import json
import pickle
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odata.anonymize.pii import (
    ALLOWLIST_FILE,
    DETECTORS,
    KnownPII,
    load_allowlist,
    scan_paths,
    scan_text,
)
from odata.errors import Problem, SourceError
from odata.sources import codice_fiscale as cf

BIRTH = dt.date(1990, 2, 1)
CODE = cf.build("Esempio", "Prova", "F", BIRTH, "Z330")  # an obviously fake person
EMAIL = "prova.esempio@posta-prova.it"
PHONE = "+39 333 000 0001"
PLANTED = (CODE, CODE.lower(), EMAIL, "333 000 0001", "3330000001", "Prova", "Esempio")


def known_persons() -> KnownPII:
    """Fake persons; some have names that are also places or labels."""
    table = pa.table(
        {
            "nome": ["Prova", "Zoè", "Rica", "Giovanni", "Maria", "Rosa"],
            "cognome": ["Esempio", "Esempio", "Costa", "Rotondo", "Roma", "Verona"],
            "email": [EMAIL, None, None, None, None, None],
            "telefono": [PHONE, None, None, None, None, None],
            "data_nascita": [BIRTH, None, dt.date(2021, 3, 15), None, None, None],
        }
    )
    return KnownPII.from_registers([table, pa.table({"id_impresa": ["NA-1"]})])


def where(problems: list[Problem]) -> list[tuple[str | None, int | None, str | None, str]]:
    return [(Path(p.file or "").name, p.row, p.column, p.code) for p in problems]


def assert_no_value_echoed(problems: list[Problem]) -> None:
    for problem in problems:
        shown = json.dumps(problem.as_dict()).lower()
        for value in PLANTED:
            assert value.lower() not in shown, problem


def test_planted_values_are_found_in_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "persone.csv"
    path.write_text(
        "anno,territorio,valore\n"
        "2021,058,12\n"
        f"2021,{CODE},1\n"
        f'2021,"scrivere a {EMAIL}",1\n'
        f"2021,{PHONE},1\n"
        "2021,Esempio Prova,1\n",
        encoding="utf-8",
    )
    problems = scan_paths([path], known_persons())
    assert where(problems) == [
        ("persone.csv", 3, "codice-fiscale", "pii-found"),
        ("persone.csv", 4, "email", "pii-found"),
        ("persone.csv", 5, "phone", "pii-found"),
        ("persone.csv", 6, "known-name", "pii-found"),
    ]
    assert problems[0].reason.endswith("in field 2")
    assert "a person gave in the sources" in problems[1].reason
    assert_no_value_echoed(problems)


def test_patterns_are_found_without_known_values(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text(f"ok\n{CODE.lower()}\nmail {EMAIL}\ntel 06 1234 5678\n", encoding="utf-8")
    assert [(p.row, p.column) for p in scan_paths([path])] == [
        (2, "codice-fiscale"),
        (3, "email"),
        (4, "phone"),
    ]


def test_planted_values_are_found_in_an_html_page(tmp_path: Path) -> None:
    path = tmp_path / "brief.html"
    path.write_text(
        "<html><body>\n"
        "<h1>Partecipanti per camera</h1>\n"
        "<table><tr><td>PROVA</td><td>ESEMPIO</td></tr></table>\n"
        f'<a href="mailto:{EMAIL.replace("@", "&#64;")}">contatto</a>\n'
        f'<span title="{CODE}">i</span>\n'
        f"<p>Tel.&nbsp;{PHONE}</p>\n"
        "</body></html>\n",
        encoding="utf-8",
    )
    problems = scan_paths([tmp_path], known_persons())
    assert where(problems) == [
        ("brief.html", 3, "known-name", "pii-found"),
        ("brief.html", 4, "email", "pii-found"),
        ("brief.html", 5, "codice-fiscale", "pii-found"),
        ("brief.html", 6, "phone", "pii-found"),
    ]
    assert_no_value_echoed(problems)


def notebook(outputs: list[dict[str, object]]) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Partecipanti\n"]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "source": ["from odata import briefs\n", "briefs.tabella()\n"],
            "outputs": outputs,
        },
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1, ensure_ascii=True)  # accents as \\u escapes


def test_a_name_in_a_notebook_output_is_found(tmp_path: Path) -> None:
    image = base64.b64encode(bytes(range(256)) * 40).decode()
    path = tmp_path / "brief.ipynb"
    path.write_text(
        notebook(
            [
                {
                    "name": "stdout",
                    "output_type": "stream",
                    "text": ["righe: 12\n", "Zoè Esempio\n"],
                },
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {
                        "image/png": image,
                        "text/html": [
                            "<table><tr><td>Prova</td><td>Esempio</td></tr>\n",
                            "</table>",
                        ],
                        "text/plain": [f"contatto {EMAIL}"],
                    },
                },
            ]
        ),
        encoding="utf-8",
    )
    problems = scan_paths([path], known_persons())
    text = path.read_text(encoding="utf-8").splitlines()
    assert [(p.column, text[p.row - 1].strip()[:20]) for p in problems if p.row] == [
        ("known-name", '"Zo\\u00e8 Esempio\\n"'),
        ("known-name", '"<table><tr><td>Prov'),
        ("email", '"contatto prova.esem'),
    ]
    assert_no_value_echoed(problems)


def test_a_parquet_file_is_scanned_by_row(tmp_path: Path) -> None:
    path = tmp_path / "tabella.parquet"
    pq.write_table(pa.table({"territorio": ["058", "063", CODE], "value": [12, 5, 1]}), path)
    assert where(scan_paths([path])) == [("tabella.parquet", 4, "codice-fiscale", "pii-found")]


RELEASE_CSV = """\
anno,data_riferimento,territorio,territorio_nome,ateco,ateco_nome,paese,paese_nome,value,obs_status
2021,2021-03-15,_T,Italia,_T,Totale,_T,Totale,6012345,
2021,15/03/2021,12,Lazio,47.11.10,Commercio al dettaglio,CR,Costa Rica,1234,
2021,2021-03-15,058,Roma,03.11.00,Pesca marittima,CI,Costa d'Avorio,,C
2021,2021-03-15,023,Verona,56.10.11,Ristorazione con somministrazione,MA,Marocco,17,
2021,2021-03-15,071,Foggia,01,Coltivazioni agricole,_T,Totale,3220820.00,
2021,01.12.2021,071046,San Giovanni Rotondo,10.71.10,Produzione di pane,EG,Egitto,8,
2022,2022-11-30,001001,Agliè,41,Costruzione di edifici,RO,Romania,0,
2022,2022-11-30,063,Napoli,96.02.01,Servizi dei saloni di barbiere e parrucchiere,NA,Namibia,5,
"""
RELEASE_TEXT = """\
# Osservatorio sull'imprenditoria migrante — nota metodologica
Rilascio 2026-q3 del 30/11/2026, contatto osservatorio@example.org.
Bilancio del programma: 3.220.820,00 EUR (Fondo Politiche Migratorie 2018), speso 1.234.567,89.
Orari dello sportello: 08.30-12.30, codici ISTAT 058091 e 063049, NUTS ITI43.
Soglie: 5 persone, 3 imprese; variazione +12.5% rispetto al 2021; quota 0.123456789.
Camera di commercio di Roma, Verona e Costa; province 001 012 058 063 071.
"""


def test_a_realistic_release_gives_no_false_positives(tmp_path: Path) -> None:
    release = tmp_path / "release"
    (release / "data").mkdir(parents=True)
    (release / "data" / "imprese.csv").write_text(RELEASE_CSV, encoding="utf-8")
    (release / "nota.md").write_text(RELEASE_TEXT, encoding="utf-8")
    rows = [line.split(",") for line in RELEASE_CSV.splitlines()]
    descriptor = {
        "name": "imprese-migranti",
        "contributors": [{"title": "Unioncamere", "email": "osservatorio@example.org"}],
        "rows": rows,
    }
    (release / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    html_rows = "\n".join(f"<tr><td>{'</td><td>'.join(r)}</td></tr>" for r in rows)
    (release / "brief.html").write_text(f"<table>\n{html_rows}\n</table>", encoding="utf-8")
    (release / "logo@2x.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert scan_paths([release], known_persons()) == []


def test_a_name_made_of_place_words_that_is_not_a_label_is_still_found() -> None:
    problems = scan_text("partecipante: Rosa Verona", known=known_persons())
    assert [p.column for p in problems] == ["known-name"]
    assert scan_text("Verona; Rosa", known=known_persons())[0].column == "known-name"
    # a single word is never a name
    assert (
        scan_text("Verona, Roma, Costa; Prova è un test, un Esempio", known=known_persons()) == []
    )


def test_a_birth_date_is_found_only_beside_its_persons_name() -> None:
    known = known_persons()
    alone = "evento del 01/02/1990 a Roma\nEsempio di calcolo\n"
    assert scan_text(alone, known=known) == []
    beside = "Esempio, nata il 01/02/1990\n"
    assert [p.column for p in scan_text(beside, known=known)] == ["known-birth-date"]
    # Rica Costa's birth date beside the place word "Costa" is not hers to reveal
    assert scan_text("Costa Rica, 2021-03-15, 12", known=known) == []


@pytest.mark.parametrize(
    "phone",
    ["3471234567", "347 123 4567", "347-1234567", "+39 347 1234567", "0039 347 1234567",
     "06 1234 5678", "02-12345678", "0831 123456", "(06) 12345678", "+39 (0)6 1234 5678",
     "+44 20 7946 0958", "347.123.4567"],
)  # fmt: skip
def test_phone_shapes_are_found(phone: str) -> None:
    assert [p.column for p in scan_text(f"telefono: {phone}.")] == ["phone"]


@pytest.mark.parametrize(
    "number",
    ["2021-03-15", "03/12/1985", "01.12.1985", "47.11.10", "03.11.00", "001001", "063049",
     "3220820.00", "3.220.820,00", "347.220.820", "08.30-12.30", "0.123456789", "20210315",
     "1,03456789", "30123456789", "03.11.00 03.12.00", "2021 063 12 345 6789", "+12.5%",
     "id3471234567", "ISBN 978-88-04-12345-6", "01 02 03 04 05", "058 063 071 072"],
)  # fmt: skip
def test_numbers_that_are_not_phones_are_left_alone(number: str) -> None:
    assert scan_text(f"valore {number} nel testo") == []


def test_plain_numbers_in_a_column_of_numbers_are_amounts_not_phones(tmp_path: Path) -> None:
    budget = tmp_path / "budget.csv"
    budget.write_text(
        "voce,trimestre,value,obs_status\n_T,_T,3220820001,\n_T,2019-Q2,322082000,\n"
        "_T,2019-Q3,5777697,\n",
        encoding="utf-8",
    )
    contacts = tmp_path / "contatti.csv"
    contacts.write_text("camera,telefono\nroma,3471234567\nbari,3331234567\n", encoding="utf-8")
    assert where(scan_paths([budget, contacts])) == [
        ("contatti.csv", 2, "phone", "pii-found"),
        ("contatti.csv", 3, "phone", "pii-found"),
    ]
    assert [p.column for p in scan_text("chiamare il 3471234567")] == ["phone"]
    assert scan_text("spesa in centesimi: 322082000") == []


def test_allowlisted_contacts_are_not_hits_but_a_source_address_always_is() -> None:
    text = "scrivere a ufficio@ente-pubblico.it o a dati@example.org\n"
    assert [p.column for p in scan_text(text)] == ["email"]
    assert scan_text(text, allow=["ufficio@ente-pubblico.it"]) == []
    assert scan_text(text, allow=["@ente-pubblico.it"]) == []
    assert scan_text("tel. +39 06 1234 5678", allow=["06 1234 5678"]) == []
    assert scan_text(EMAIL, known=known_persons(), allow=[EMAIL])[0].column == "email"


def test_the_allowlist_is_built_from_code_lists_and_the_file() -> None:
    allow = load_allowlist()
    assert {"roma", "verona", "costa"} <= allow.words
    assert {"costa rica", "san giovanni rotondo", "cabina di regia"} <= allow.phrases
    header = ALLOWLIST_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("#")


def test_known_values_are_never_kept_in_clear_or_serialised() -> None:
    known = known_persons()
    assert "Esempio" not in repr(known) and "persons=6" in repr(known)
    with pytest.raises(TypeError):
        pickle.dumps(known)


def test_folders_are_walked_and_missing_paths_fail(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(f"x\n{EMAIL}\n", encoding="utf-8")
    assert where(scan_paths([tmp_path])) == [("a.txt", 2, "email", "pii-found")]
    with pytest.raises(SourceError):
        scan_paths([tmp_path / "missing.csv"])


def tiny_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF: each page's strings (ASCII) as lines of Helvetica."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        shown = " ".join(f"({line}) Tj 0 -14 Td" for line in lines)
        stream = f"BT /F1 12 Tf 72 720 Td {shown} ET".encode()
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_pdf_is_scanned_by_its_text_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "lettera.pdf"
    path.write_bytes(tiny_pdf([["Gentile utente,", "ecco la guida."], [f"Codice: {CODE}"]]))
    assert CODE.encode() in path.read_bytes()  # uncompressed, yet only its text is scanned
    problems = scan_paths([tmp_path], known_persons())
    assert where(problems) == [("lettera.pdf", 3, "codice-fiscale", "pii-found")]
    assert_no_value_echoed(problems)
    path.write_bytes(tiny_pdf([["Gentile utente,", "ecco la guida."]]))
    assert scan_paths([path], known_persons()) == []


def test_a_pdf_that_cannot_be_read_fails_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7\n" + EMAIL.encode())  # not a PDF a reader can open
    with pytest.raises(SourceError, match="PDF"):
        scan_paths([tmp_path])


def test_many_hits_in_one_file_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_text("\n".join(f"3{n:09d}" for n in range(30_000_000, 30_000_250)), encoding="utf-8")
    problems = scan_paths([path], max_per_file=100)
    assert len(problems) == 101 and problems[-1].reason.startswith("150 more lines")
    assert {p.column for p in problems[:100]} == {"phone"}


def test_every_detector_has_a_documented_name() -> None:
    assert DETECTORS == ("codice-fiscale", "email", "phone", "known-name", "known-birth-date")
