"""Source schemas: the columns of each raw source, their types, allowed values and privacy.

One schema per source kind of docs/sources.md. The readers check headers against it, the
checks convert and validate values with it, and the blank templates are written from it, so
the three cannot drift apart. ``personal`` columns never have their values shown anywhere.
The Italian texts (``meaning``, ``format``) are what a chamber's data steward reads in the
templates' instructions sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["SCHEMAS", "Column", "Schema", "Type", "schema_for"]


class Type(Enum):
    """How a raw cell is read and normalised (and what Arrow type comes out)."""

    TEXT = "text"  # trimmed string
    CHOICE = "choice"  # one of ``values``, case- and accent-insensitive → canonical label
    PATTERN = "pattern"  # trimmed, case-normalised, must match ``pattern``
    BOOL = "bool"  # sì / si / no → bool
    DATE = "date"  # the source's date_format → date32
    DECIMAL = "decimal"  # the source's decimal separator → float64
    INTEGER = "integer"  # digits → int64
    CODICE_FISCALE = "codice-fiscale"  # upper-case, shape and check character
    COUNTRY = "country"  # Italian name or ISO alpha-2 → ISO alpha-2
    PROVINCE_SIGLA = "province-sigla"  # "NA" → ISTAT historic code "063"
    PROVINCE_CODE = "province-code"  # ISTAT historic code, 3 digits
    ACTION = "action"  # action code or Italian label → action code
    CHAMBER = "chamber"  # chamber of commerce code
    ATECO_DIVISION = "ateco-division"  # 2 digits
    ATECO_CODE = "ateco-code"  # dotted ATECO 2007 code whose division exists


@dataclass(frozen=True)
class Column:
    """One column of a raw source."""

    name: str
    type: Type
    meaning: str  # Italian, for the templates
    format: str  # Italian, for the templates
    personal: bool = False
    required: bool = True
    values: tuple[str, ...] = ()
    pattern: str | None = None
    upper: bool = False  # PATTERN: upper-case before matching (else lower-case)
    minimum: float | None = None
    maximum: float | None = None
    hint: str | None = None  # English: what a valid value looks like (PATTERN columns)
    unique: bool = False  # a key: no two rows may share a value


@dataclass(frozen=True)
class Schema:
    """The columns of one source kind, in the order the templates write them."""

    kind: str
    title: str  # Italian
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


SEXES = ("M", "F")
GENERATIONS = ("prima", "seconda")
EDUCATION = (
    "nessuno",
    "primaria",
    "secondaria inferiore",
    "secondaria superiore",
    "laurea",
)
LEGAL_FORMS = (
    "ditta individuale",
    "società di persone",
    "società di capitali",
    "cooperativa",
    "altra forma",
)
MODES = ("in presenza", "online", "mista")

_DATE = "data come indicato nel manifest (di norma gg/mm/aaaa)"
_YES_NO = "sì oppure no"


def _choice(values: tuple[str, ...]) -> str:
    return "uno tra: " + ", ".join(values)


REGISTRO = Schema(
    kind="registro",
    title="Registro dei partecipanti (una riga per partecipazione a un'azione)",
    columns=(
        Column(
            "codice_fiscale",
            Type.CODICE_FISCALE,
            "codice fiscale del partecipante",
            "16 caratteri con carattere di controllo valido",
            personal=True,
        ),
        Column("cognome", Type.TEXT, "cognome", "testo", personal=True),
        Column("nome", Type.TEXT, "nome", "testo", personal=True),
        Column("sesso", Type.CHOICE, "sesso", _choice(SEXES), values=SEXES),
        Column("data_nascita", Type.DATE, "data di nascita", _DATE, personal=True),
        Column(
            "paese_nascita",
            Type.COUNTRY,
            "paese di nascita (Italia per la seconda generazione nata in Italia)",
            "nome italiano del paese o codice ISO a 2 lettere",
        ),
        Column(
            "cittadinanza",
            Type.COUNTRY,
            "cittadinanza",
            "nome italiano del paese o codice ISO a 2 lettere",
        ),
        Column(
            "generazione",
            Type.CHOICE,
            "generazione migratoria",
            _choice(GENERATIONS),
            values=GENERATIONS,
        ),
        Column("comune_residenza", Type.TEXT, "comune di residenza", "nome del comune"),
        Column(
            "provincia_residenza",
            Type.PROVINCE_SIGLA,
            "provincia di residenza",
            "sigla della provincia (es. NA)",
        ),
        Column(
            "titolo_studio",
            Type.CHOICE,
            "titolo di studio più alto",
            _choice(EDUCATION),
            values=EDUCATION,
        ),
        Column("email", Type.TEXT, "indirizzo e-mail", "testo", personal=True, required=False),
        Column("telefono", Type.TEXT, "telefono", "testo", personal=True, required=False),
        Column(
            "azione",
            Type.ACTION,
            "azione del programma frequentata",
            "codice o nome dell'azione (es. formazione)",
        ),
        Column("data_azione", Type.DATE, "data della partecipazione", _DATE),
        Column(
            "ore",
            Type.DECIMAL,
            "ore frequentate",
            "numero, con la virgola decimale indicata nel manifest",
            minimum=0,
        ),
        Column("business_plan", Type.BOOL, "business plan consegnato", _YES_NO),
        Column("impresa_costituita", Type.BOOL, "impresa costituita", _YES_NO),
        Column(
            "ateco_impresa",
            Type.ATECO_DIVISION,
            "settore dell'impresa costituita",
            "divisione ATECO 2007 a 2 cifre (solo se impresa costituita)",
            required=False,
        ),
        Column(
            "forma_giuridica_impresa",
            Type.CHOICE,
            "forma giuridica dell'impresa costituita",
            _choice(LEGAL_FORMS) + " (solo se impresa costituita)",
            required=False,
            values=LEGAL_FORMS,
        ),
    ),
)

EVENTI = Schema(
    kind="eventi",
    title="Elenco degli eventi della camera di commercio",
    columns=(
        Column("data", Type.DATE, "data dell'evento", _DATE),
        Column("azione", Type.ACTION, "azione del programma", "codice o nome dell'azione"),
        Column("titolo", Type.TEXT, "titolo dell'evento", "testo"),
        Column("modalita", Type.CHOICE, "modalità di svolgimento", _choice(MODES), values=MODES),
        Column(
            "lingua",
            Type.PATTERN,
            "lingua o lingue dell'evento",
            "codici ISO 639-1 uniti da + (es. it+ar)",
            pattern=r"[a-z]{2}(\+[a-z]{2})*",
            hint='ISO 639-1 codes joined by "+", e.g. it+ar (no ";" or "," inside the cell)',
        ),
        Column(
            "partecipanti",
            Type.INTEGER,
            "numero di partecipanti",
            "numero intero maggiore o uguale a 0",
            minimum=0,
        ),
    ),
)

BUDGET = Schema(
    kind="budget",
    title="Budget del programma",
    columns=(
        Column("voce", Type.TEXT, "voce di bilancio", "testo (es. Azioni camerali)"),
        Column(
            "camera",
            Type.CHAMBER,
            "camera di commercio",
            "codice della camera; vuoto per le voci centrali",
            required=False,
        ),
        Column(
            "trimestre",
            Type.PATTERN,
            "trimestre",
            "AAAA-Qn (es. 2021-Q3)",
            pattern=r"[0-9]{4}-Q[1-4]",
            upper=True,
            hint="a year and a quarter, e.g. 2021-Q3",
        ),
        Column("previsto", Type.DECIMAL, "importo previsto (EUR)", "numero", minimum=0),
        Column("impegnato", Type.DECIMAL, "importo impegnato (EUR)", "numero", minimum=0),
        Column("speso", Type.DECIMAL, "importo speso (EUR)", "numero", minimum=0),
    ),
)

IMPRESE = Schema(
    kind="imprese",
    title="Registro delle imprese: imprese",
    columns=(
        Column(
            "id_impresa",
            Type.TEXT,
            "identificativo dell'impresa",
            "testo (es. NA-123456), unico",
            unique=True,
        ),
        Column(
            "provincia",
            Type.PROVINCE_CODE,
            "provincia della sede",
            "codice ISTAT storico a 3 cifre (es. 063)",
        ),
        Column("ateco", Type.ATECO_CODE, "attività economica", "codice ATECO 2007 (es. 47.11.10)"),
        Column(
            "forma_giuridica",
            Type.CHOICE,
            "forma giuridica",
            _choice(LEGAL_FORMS),
            values=LEGAL_FORMS,
        ),
        Column("data_iscrizione", Type.DATE, "data di iscrizione", "data (di norma aaaa-mm-gg)"),
        Column(
            "data_cessazione",
            Type.DATE,
            "data di cessazione",
            "data (di norma aaaa-mm-gg); vuota se attiva",
            required=False,
        ),
        Column(
            "addetti", Type.INTEGER, "numero di addetti", "intero maggiore o uguale a 0", minimum=0
        ),
    ),
)

TITOLARI = Schema(
    kind="titolari",
    title="Registro delle imprese: titolari e soci (persone)",
    columns=(
        Column("id_impresa", Type.TEXT, "identificativo dell'impresa", "come in imprese"),
        Column(
            "paese_nascita",
            Type.COUNTRY,
            "paese di nascita del titolare",
            "codice ISO a 2 lettere",
        ),
        Column("sesso", Type.CHOICE, "sesso del titolare", _choice(SEXES), values=SEXES),
        Column(
            "anno_nascita",
            Type.INTEGER,
            "anno di nascita del titolare",
            "anno a 4 cifre",
        ),
        Column(
            "quota",
            Type.DECIMAL,
            "quota di partecipazione (%)",
            "numero da 0 a 100; le quote di un'impresa sommano a 100",
            minimum=0,
            maximum=100,
        ),
    ),
)

SCHEMAS: dict[str, Schema] = {s.kind: s for s in (REGISTRO, EVENTI, BUDGET, IMPRESE, TITOLARI)}


def schema_for(kind: str) -> Schema:
    """The schema of a source kind (``registro``, ``eventi``, ``budget``, ``imprese``…)."""
    return SCHEMAS[kind]
