"""PII scan: no output of odata may hold a person's identifiers.

:func:`scan_paths` reads every file it is given (folders are walked) and returns one
:class:`~odata.errors.Problem` (code ``pii-found``) per line and detector that hits. A Problem
names the file, the line (``row``) and the detector (``column``) and says what kind of data it
found, **never the matched text**. A hit fails the build (the caller raises DisclosureError).

What is read: CSV/TSV, JSON (string escapes decoded, so ``\\u00e0`` and ``\\n`` inside
strings do not hide a value), Jupyter notebooks (sources, outputs and metadata; image payloads
skipped), HTML/XML/SVG (tags and attributes kept, entities decoded), Markdown, plain text and
logs, Parquet (its rows as CSV; row = CSV row, header = 1) and PDF (the text pypdf extracts,
pages in order, each page starting on a new line; row = line of that text). Any other file is
read as text unless it looks binary (a NUL byte). Text is compared case- and
accent-insensitively (NFKD, ASCII, lower case).

Detectors (the Problem's ``column``):

``codice-fiscale``
    16 letters/digits shaped like a codice fiscale (upper or lower case, omocodic letters
    allowed) whose check character and birth date are valid.
``email``
    an address ``local@domain.tld``; not a hit when the domain is reserved for examples
    (example.org/.com/.net, .example, .test, .invalid, .localhost), when the "TLD" is a file
    extension (``logo@2x.png``), or when the address or ``@domain`` is allowlisted — unless a
    person of the sources gave that address.
``phone``
    a run of digits starting with ``+``, ``00``, ``0`` or ``3``, made of groups joined by single
    separators (space . - / parentheses), that has a phone's shape: ``+39``/``0039`` followed by
    an Italian number, another ``+`` country code with 8-15 digits, an Italian mobile (``3``,
    9-10 digits, the first group at least 3 digits) or landline (``0``, 8-11 digits, the first
    group at least 2 digits). Not phones: runs preceded by a letter, digit, ``.``, ``-`` or
    ``/`` or followed by a letter, a digit, or ``.``/``,`` and a digit (decimals; outside CSV
    files also runs after a digit and a comma, ``1,03456789``); dates
    (``01.12.1985``, ``2021-03-15``); runs with one ``.`` only (decimals); dot-grouped thousands
    (``347.220.820``); 9 plain digits (``322082000``, an amount in cents; ``333 123456`` with a
    separator is a phone); in CSV files, plain digits in a column that also holds a plain number
    that is not phone-shaped (a ``value`` column); more than one ``/``; a single-digit group
    after the first; three or more
    groups of one length without ``+``/``00`` (code lists: ``058 063 071``); ``00`` is an
    international prefix only as a group ``00`` or at the start of a group of four digits or
    more (``0039``), so ``001 012 058`` is not a US number. The space-separated
    prefixes and suffixes of a run are tried too (``2021 3471234567`` holds a phone). A number
    a person of the sources gave is a hit in any of these shapes.
``known-name``
    (with :class:`KnownPII`) the first name and surname of one person of the sources together,
    in either order, on word boundaries, joined only by spaces, tabs, ``, ; | " ' * _ ~ -``
    and backticks or by HTML tags (``<td>Rossi</td><td>Mario</td>``), not across lines.
    **Allowlist rule**: such a match is dropped only when an allowlisted label of two or more
    words (a municipality, country, region, chamber, action or ATECO label, or a phrase of
    ``pii_allowlist.txt``) occurs at the same place on the same line and contains every matched
    word — e.g. the person "Giovanni Rotondo" inside "San Giovanni Rotondo", or "Rica Costa"
    written as "Costa Rica". Single words (Roma, Verona, Costa) are never hits on their own,
    and a name made only of place words that is not itself a label (Rosa Verona) *is* a hit.
``known-birth-date``
    (with :class:`KnownPII`) a date written ``dd/mm/yyyy``, ``d/m/yyyy``, ``dd-mm-yyyy``,
    ``dd.mm.yyyy``, ``yyyy-mm-dd`` or ``yyyy/mm/dd`` that is the birth date of a person of the
    sources **and** shares its line with a word of that same person's first name or surname:
    a word of three letters or more, not a particle (del, van, ben…), not an allowlisted single
    word, and not inside an allowlisted phrase on that line ("Rica" in "Costa Rica"). So
    "Esempio, 01/02/1990" is a hit for Prova Esempio born that day, "Costa Rica, 2021-03-15"
    is not one for Rica Costa born that day, and a date beside somebody else's name is not
    one either (that name is a hit of its own). Release tables are full of dates and
    some of them are bound to be someone's birthday; a date alone identifies nobody, a date
    beside a name does. So the demo release gives no false positives, and "Prova Esempio, nata
    il 01/02/1990" is caught (twice: name and birth date).

A file gets at most ``max_per_file`` problems plus one counting the rest.

Speed: text is folded once per file and searched as ASCII bytes; codici fiscali are looked for
among the file's distinct tokens, names only when the file holds a word that starts a known
name, birth dates only on lines that hold a word of a known name. Measured: 253 release-like
files (CSV, JSON, HTML, Parquet; 31.8 MB) in 1.7-2.1 s of CPU with the patterns only and
2.3-2.6 s with 2,743 known persons of the demo sources; 0 hits.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import json
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import NoReturn

import pyarrow as pa
import pyarrow.compute as pc

from odata.errors import Problem, SourceError, display_path
from odata.pdf import pdf_text
from odata.reference import read_codes
from odata.sources.codice_fiscale import is_valid

__all__ = [
    "ALLOWLIST_FILE",
    "CODE",
    "DETECTORS",
    "Allowlist",
    "KnownPII",
    "load_allowlist",
    "scan_paths",
    "scan_text",
]

log = logging.getLogger(__name__)

CODE = "pii-found"
DETECTORS = ("codice-fiscale", "email", "phone", "known-name", "known-birth-date")
ALLOWLIST_FILE = Path(__file__).with_name("pii_allowlist.txt")
#: Code lists whose labels are allowlisted, with the columns that hold labels.
_LABEL_LISTS = {
    "territori": ("name",),
    "comuni": ("name",),
    "paesi": ("name_it", "name_en"),
    "camere_commercio": ("code", "name"),
    "azioni": ("code", "name_it", "name_en"),
    "ateco": ("name_it", "name_en"),
    "aree": ("name_it", "name_en"),
}
_RESERVED_DOMAINS = ("example.org", "example.com", "example.net")
_RESERVED_TLDS = ("example", "test", "invalid", "localhost")
_FILE_EXTENSIONS = frozenset(
    ("png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "js", "mjs",
     "css", "map", "json", "html", "htm", "pdf", "txt", "csv", "md", "py", "ipynb", "woff",
     "woff2", "ttf", "eot", "zip", "gz")
)  # fmt: skip
_REASONS = {
    "codice-fiscale": "a codice fiscale (valid check character)",
    "email": "an e-mail address",
    "phone": "a phone number",
    "known-name": "the first name and surname of a person in the sources",
    "known-birth-date": "the birth date of a person in the sources, beside that person's name",
}
_KNOWN = " that a person gave in the sources"
_HINTS = {
    "codice-fiscale": "no output may hold a codice fiscale: find what copied source rows",
    "email": "remove it; a public contact address can be added to pii_allowlist.txt",
    "phone": "remove it; a public switchboard number can be added to pii_allowlist.txt",
    "known-name": "find what copied source data into this output; names are never published",
    "known-birth-date": "find what copied source data into this output",
}
_TEXT_SUFFIXES_MARKUP = frozenset({".html", ".htm", ".xml", ".svg", ".md", ".ipynb"})
_JSON_SUFFIXES = frozenset({".json", ".geojson", ".topojson", ".jsonl", ".ipynb"})
_CSV_SUFFIXES = frozenset({".csv", ".tsv", ".parquet"})
_SKIP_DIRS = frozenset({".git", "__pycache__"})

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_GAP = r"(?:[ \t,;|\"'*_~`-]|<[^<>\n]{0,200}>){1,6}"
_TAG = re.compile(r"<[^<>\n]{0,200}>")
# Patterns over the folded text as bytes (ASCII): bytes patterns run two to three times faster.
_CF = re.compile(
    rb"[a-z]{6}[0-9lmnpqrstuv]{2}[abcdehlmprst][0-9lmnpqrstuv]{2}[a-z][0-9lmnpqrstuv]{3}[a-z]"
)
_EMAIL_LOCAL = re.compile(r"[a-z0-9._%+-]{1,64}$")
_EMAIL_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24})(?![a-z0-9-])")
_PHONE = re.compile(
    rb"[+(03](?=(?:[ ./()+-]{0,2}\d){7})"  # starts like a phone and has 8 digits or more
    rb"\+?\d*(?:(?:[ ./-]|\) ?| ?\()\d+)*\)?"
)
_DIGITS = re.compile(r"\d+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_DATE_SHAPE = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}[./-]\d{1,2}[./-]\d{1,2}"
    r"|\d{1,2}[.:]\d{2}[ -]\d{1,2}[.:]\d{2}"  # opening hours 08.30-12.30
)
_DATE = re.compile(
    rb"(?<![\d./-])(?:(\d{1,2})([./-])(\d{1,2})\2(\d{4})|(\d{4})([-/])(\d{2})\6(\d{2}))(?!\d)"
)
#: bytes.translate table keeping letters and apostrophes, for a file's vocabulary
_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyz'")  # of a word (with apostrophes)
_DIGITS_AND_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
_WORD_TOKEN = re.compile(rb"[a-z]+(?:'[a-z]+)*")
_CODE_TOKEN = re.compile(rb"[a-z0-9]+")
#: bytes.translate table that blanks all but letters, digits and apostrophes
_ALNUM_ONLY = bytes(c if c in _LETTERS | _DIGITS_AND_LETTERS else 32 for c in range(256))
#: words of names that say nothing about a person on their own (never birth-date evidence)
_PARTICLES = frozenset(
    ("del", "dal", "dei", "della", "delle", "degli", "dela", "van", "von", "der", "den",
     "dos", "das", "ben", "bin", "ibn", "abu", "san", "santa", "les", "los", "las")
)  # fmt: skip
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
_JSON_ESCAPED = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)+"')
_NB_IMAGE = re.compile(r'("image/[\w.+-]+"\s*:\s*)"(?:[^"\\\n]|\\.)*"')
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.+-]+)*;base64,[A-Za-z0-9+/=\s\\]+")
_NEWLINE_ENTITY = re.compile(r"&#(?:0*1[03]|x0*[ad]);", re.IGNORECASE)


# ---------------------------------------------------------------------------------- text


def _fold(text: str) -> str:
    """Lower-case ASCII without accents; one character per character except decompositions."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.lower()


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


def _phone_key(text: str) -> str:
    """Digits of a phone number without the Italian country code (+39, 0039)."""
    digits = "".join(_DIGITS.findall(text))
    stripped = text.lstrip(" (")
    if stripped.startswith("+") or digits.startswith("00"):
        digits = digits[2:] if digits.startswith("00") else digits
        if digits.startswith("39"):
            return digits[2:]
    return digits


def _date_key(value: object) -> str | None:
    """``YYYY-MM-DD`` for a date, a datetime or a date string in a source format."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(value.strip(), fmt).date().isoformat()
            except ValueError:
                continue
    return None


# ----------------------------------------------------------------------------- allowlist


@dataclass(frozen=True)
class Allowlist:
    """Labels and public contacts that are not personal data (see ``pii_allowlist.txt``).

    ``words``: single-word labels (never hits alone; not counted as a name beside a birth
    date). ``phrases``: labels of two or more words, folded and joined by one space; a name
    match inside one of them is dropped. ``emails``/``domains``/``phones``: public contacts.
    """

    words: frozenset[str] = frozenset()
    phrases: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()

    @cached_property
    def phrase_length(self) -> int:
        """The most words in a phrase."""
        return max((p.count(" ") + 1 for p in self.phrases), default=0)

    @cached_property
    def phrase_sizes(self) -> dict[str, frozenset[int]]:
        """First word of a phrase → the word counts of the phrases it starts."""
        sizes: dict[str, set[int]] = {}
        for phrase in self.phrases:
            sizes.setdefault(phrase.split(" ", 1)[0], set()).add(phrase.count(" ") + 1)
        return {word: frozenset(n) for word, n in sizes.items()}

    def covered(self, words: list[str]) -> list[bool]:
        """For each word of a line, whether it lies inside an allowlisted phrase there."""
        inside = [False] * len(words)
        for first, word in enumerate(words):
            for size in self.phrase_sizes.get(word, ()):
                end = first + size
                if end <= len(words) and " ".join(words[first:end]) in self.phrases:
                    inside[first:end] = [True] * size
        return inside

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> Allowlist:
        """Sort entries into kinds: ``a@b.it`` an address, ``@b.it`` a domain, digits (with
        ``+``, spaces, dots, dashes, parentheses) a phone, anything else a label."""
        words: set[str] = set()
        phrases: set[str] = set()
        emails: set[str] = set()
        domains: set[str] = set()
        phones: set[str] = set()
        for raw in entries:
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            if "@" in entry:
                folded = _fold(entry)
                (domains if folded.startswith("@") else emails).add(folded.lstrip("@"))
            elif re.fullmatch(r"\+?[\d ()./-]+", entry) and len(_phone_key(entry)) >= 6:
                phones.add(_phone_key(entry))
            else:
                tokens = _words(entry)
                if len(tokens) == 1:
                    words.add(tokens[0])
                elif tokens:
                    phrases.add(" ".join(tokens))
        return cls(*(frozenset(s) for s in (words, phrases, emails, domains, phones)))

    def extended(self, entries: Iterable[str]) -> Allowlist:
        """This allowlist plus ``entries`` (e.g. the publisher's contact address)."""
        more = Allowlist.from_entries(entries)
        return Allowlist(
            self.words | more.words,
            self.phrases | more.phrases,
            self.emails | more.emails,
            self.domains | more.domains,
            self.phones | more.phones,
        )

    def allows_email(self, address: str) -> bool:
        domain = address.rpartition("@")[2]
        return (
            address in self.emails
            or domain in self.domains
            or domain in _RESERVED_DOMAINS
            or domain.endswith(tuple(f".{d}" for d in _RESERVED_DOMAINS))
            or domain.rpartition(".")[2] in _RESERVED_TLDS
        )


@cache
def load_allowlist() -> Allowlist:
    """The labels of the reference code lists plus ``pii_allowlist.txt`` (read once).

    Raises:
        ConfigError: a reference code list is missing.
    """
    entries: list[str] = []
    for name, columns in _LABEL_LISTS.items():
        for row in read_codes(name):
            entries.extend(row[c] for c in columns if row.get(c))
    if ALLOWLIST_FILE.is_file():
        entries.extend(ALLOWLIST_FILE.read_text(encoding="utf-8").splitlines())
    else:  # more hits, never fewer: safe, but say so
        log.warning("allowlist %s not found; scanning with code-list labels only", ALLOWLIST_FILE)
    return Allowlist.from_entries(entries)


# ---------------------------------------------------------------------------- known PII


class KnownPII:
    """The personal values of the sources, to find them in outputs; in memory only.

    Full names, e-mail addresses, phone numbers and birth dates are kept only as keyed
    BLAKE2 digests under a random key made for this object (so a memory dump or a debugger
    shows nothing usable); only single words of names are kept in clear, unlinked to one
    another, for the fast pre-filter that skips files where no name can occur. Nothing here is
    ever written: the object refuses to be pickled and its repr shows counts only.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._starts: set[str] = set()  # first words of full names, in clear
        self._name_words: set[str] = set()  # words of names that can show a birth date's owner
        self._names: set[bytes] = set()
        self._name_length = 0
        self._emails: set[bytes] = set()
        self._phones: set[bytes] = set()
        self._births: dict[bytes, set[bytes]] = {}
        self._persons = 0

    def _digest(self, text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), key=self._key, digest_size=16).digest()

    def add(
        self,
        nome: str | None,
        cognome: str | None,
        *,
        email: str | None = None,
        telefono: str | None = None,
        data_nascita: dt.date | str | None = None,
    ) -> None:
        """Remember one person's values (any of them may be missing)."""
        self._persons += 1
        first, last = _words(nome or ""), _words(cognome or "")
        if first and last:
            for sequence in (first + last, last + first):
                self._names.add(self._digest(" ".join(sequence)))
                self._starts.add(sequence[0])
            self._name_length = max(self._name_length, len(first) + len(last))
        if email and "@" in email:
            self._emails.add(self._digest(_fold(email.strip())))
        if telefono:
            key = _phone_key(telefono)
            if len(key) >= 6:
                self._phones.add(self._digest(key))
        birth = _date_key(data_nascita)
        if birth:
            words = {w for w in first + last if len(w) >= 3 and w not in _PARTICLES}
            self._name_words |= words
            names = {self._digest(w) for w in words}
            self._births.setdefault(self._digest(birth), set()).update(names)

    @classmethod
    def from_registers(cls, tables: Iterable[pa.Table]) -> KnownPII:
        """From ingested register tables: their columns ``nome``, ``cognome``, ``email``,
        ``telefono`` and ``data_nascita`` (docs/sources.md), whichever each table has."""
        known = cls()
        columns = ("nome", "cognome", "email", "telefono", "data_nascita")
        for table in tables:
            present = [c for c in columns if c in table.column_names]
            if not present:
                continue
            distinct = table.select(present).group_by(present).aggregate([])
            values = {c: distinct.column(c).to_pylist() for c in present}
            for i in range(distinct.num_rows):
                row = {c: values[c][i] for c in present}
                text = {c: None if row.get(c) is None else str(row[c]) for c in columns[:4]}
                known.add(
                    text["nome"],
                    text["cognome"],
                    email=text["email"],
                    telefono=text["telefono"],
                    data_nascita=row.get("data_nascita"),
                )
        return known

    def __repr__(self) -> str:
        return (
            f"KnownPII(persons={self._persons}, names={len(self._names) // 2}, "
            f"emails={len(self._emails)}, phones={len(self._phones)}, "
            f"birth_dates={len(self._births)})"
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("KnownPII holds personal data and cannot be pickled or copied")

    # -- lookups used by the scan (digests only leave this object as booleans)

    def has_email(self, address: str) -> bool:
        return self._digest(address) in self._emails

    def has_phone(self, key: str) -> bool:
        return self._digest(key) in self._phones

    def has_name(self, words: list[str]) -> bool:
        return len(words) >= 2 and self._digest(" ".join(words)) in self._names

    def born_with_name(self, date_key: str, words: Iterable[str]) -> bool:
        names = self._births.get(self._digest(date_key), set())
        return any(self._digest(w) in names for w in words)

    @property
    def has_births(self) -> bool:
        return bool(self._births)


# ---------------------------------------------------------------------------------- scan


def scan_paths(
    paths: Iterable[Path],
    known: KnownPII | None = None,
    *,
    allow: Iterable[str] = (),
    max_per_file: int = 100,
) -> list[Problem]:
    """Scan files (folders are walked, ``.git`` skipped) and return one ``pii-found`` Problem
    per line and detector that hits, in file and line order. ``allow`` adds allowlist entries
    (e.g. the publisher's public contact address). After ``max_per_file`` problems a file gets
    one more Problem counting the rest.

    Raises:
        SourceError: a path does not exist or a file cannot be read.
    """
    allowlist = load_allowlist().extended(allow)
    problems: list[Problem] = []
    for path in _expand(paths):
        text = _read_text(path)
        if text is not None:
            problems += _scan(text, display_path(path), path.suffix.lower(), known, allowlist,
                              max_per_file)  # fmt: skip
    return problems


def scan_text(
    text: str,
    *,
    file: str = "<text>",
    known: KnownPII | None = None,
    allow: Iterable[str] = (),
) -> list[Problem]:
    """Scan one text (a log, a rendered message) as a plain-text file named ``file``."""
    suffix = Path(file).suffix.lower()
    return _scan(text, file, suffix, known, load_allowlist().extended(allow), 100)


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not _SKIP_DIRS.intersection(child.parts):
                    yield child
        elif path.is_file():
            yield path
        else:
            raise SourceError("file to scan for personal data not found", file=str(path))


def _read_text(path: Path) -> str | None:
    """The text to scan, with line breaks where the file has them; None when not scanned."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return pdf_text(path)  # what a reader copies out of the PDF
    try:
        if suffix == ".parquet":
            return _parquet_text(path)
        data = path.read_bytes()
    except pa.ArrowException as exc:
        raise SourceError("cannot read the Parquet file to scan", file=str(path)) from exc
    except OSError as exc:
        raise SourceError(f"cannot read the file to scan ({exc.strerror})", file=str(path)) from exc
    if b"\x00" in data[:8192]:
        log.info("%s: binary file, not scanned", display_path(path))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if suffix == ".ipynb":
        text = _NB_IMAGE.sub(r'\1""', text)
    if suffix in _JSON_SUFFIXES:
        text = _JSON_ESCAPED.sub(_decode_json_string, text)
    if suffix in _TEXT_SUFFIXES_MARKUP and "&" in text:
        text = html.unescape(_NEWLINE_ENTITY.sub(" ", text))
    return _DATA_URI.sub(" ", text) if "base64," in text else text


def _parquet_text(path: Path) -> str:
    import io

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns[name] = pc.cast(column, pa.string())
        except pa.ArrowException:  # nested or binary types: their Python text
            values = [None if v is None else str(v) for v in column.to_pylist()]
            columns[name] = pa.array(values, type=pa.string())
    sink = io.BytesIO()
    pacsv.write_csv(pa.table(columns), sink)
    return sink.getvalue().decode("utf-8")


def _decode_json_string(match: re.Match[str]) -> str:
    try:
        value = json.loads(match.group())
    except ValueError:
        return match.group()
    return '"' + re.sub(r"[\n\r\t\x00-\x1f]", " ", str(value)) + '"'


@dataclass(frozen=True)
class _Hit:
    pos: int
    detector: str
    known: bool = False


class _Lines:
    """Line numbers of one text, from character offsets (fast when asked in order)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._last = (0, 1)  # (offset, its line number): counting resumes from there

    def number(self, pos: int) -> int:
        last_pos, last_line = self._last if pos >= self._last[0] else (0, 1)
        line = last_line + self.text.count("\n", last_pos, pos)
        self._last = (pos, line)
        return line


def _scan(
    raw: str,
    file: str,
    suffix: str,
    known: KnownPII | None,
    allow: Allowlist,
    max_per_file: int,
) -> list[Problem]:
    text = _fold(raw)
    data = text.encode("ascii")
    csv = suffix in _CSV_SUFFIXES
    columns = _CsvColumns(text, suffix) if csv else None
    tokens = set(data.translate(_ALNUM_ONLY).split())  # distinct tokens, found in C: fast
    hits = [*_codici_fiscali(data, tokens), *_emails(text, known, allow)]
    hits += _phones(data, known, allow, columns)
    if known is not None:
        vocabulary = {w for t in tokens if not t.isdigit() for w in _WORD.findall(t.decode())}
        hits += _names(text, data, vocabulary, known, allow)
        hits += _birth_dates(text, data, vocabulary, known, allow)
    lines = _Lines(text)
    found: dict[tuple[int, str], _Hit] = {}
    for hit in sorted(hits, key=lambda h: h.pos):
        found.setdefault((lines.number(hit.pos), hit.detector), hit)
    problems: list[Problem] = []
    for (row, detector), hit in sorted(found.items())[:max_per_file]:
        reason = "personal data: " + _REASONS[detector]
        if hit.known and detector in ("email", "phone"):
            reason += _KNOWN
        if columns is not None:
            reason += f", in field {columns.field(hit.pos)}"
        problems.append(Problem(CODE, reason, file, row, detector, _HINTS[detector]))
    if len(found) > max_per_file:
        more = len(found) - max_per_file
        problems.append(Problem(CODE, f"{more} more lines with personal data (not listed)", file))
    return problems


class _CsvColumns:
    """Fields of a CSV text: which field an offset is in, and whether a field is numeric."""

    def __init__(self, text: str, suffix: str) -> None:
        self.text = text
        self.delimiter = ","
        if suffix == ".tsv":
            self.delimiter = "\t"
        elif text.count(";", 0, 4096) > text.count(",", 0, 4096):
            self.delimiter = ";"
        self._rows: list[list[str]] | None = None
        self._numeric: dict[int, bool] = {}

    def field(self, pos: int) -> int:
        """1-based field of the line that holds ``pos`` (quotes respected)."""
        field, quoted = 1, False
        for char in self.text[self.text.rfind("\n", 0, pos) + 1 : pos]:
            if char == '"':
                quoted = not quoted
            elif char == self.delimiter and not quoted:
                field += 1
        return field

    def numeric(self, pos: int) -> bool:
        """Whether the field holding ``pos`` is a column of numbers: some data row holds a
        plain number there that is not shaped like a phone (amounts, counts, ``0``)."""
        index = self.field(pos) - 1
        if index not in self._numeric:
            if self._rows is None:
                self._rows = list(csv.reader(self.text.splitlines(), delimiter=self.delimiter))
            values = (row[index] for row in self._rows[1:] if len(row) > index)
            self._numeric[index] = any(
                _NUMBER.fullmatch(v) is not None and not _is_phone(v) for v in values
            )
        return self._numeric[index]


def _codici_fiscali(data: bytes, tokens: set[bytes]) -> Iterator[_Hit]:
    """Tokens of 16 letters and digits with a codice fiscale's shape, check character and
    birth date; then where they are."""
    codes = {t.strip(b"'") for t in tokens if len(t) >= 16}
    valid = [c.decode() for c in codes if _CF.fullmatch(c) and is_valid(c.decode())]
    for start in _occurrences(data, valid, codes=True):
        yield _Hit(start, "codice-fiscale")


def _emails(text: str, known: KnownPII | None, allow: Allowlist) -> Iterator[_Hit]:
    at = text.find("@")
    while at != -1:
        local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
        domain = _EMAIL_DOMAIN.match(text, at + 1)
        if local and domain and local.group().strip("."):
            address = local.group().lstrip(".") + "@" + domain.group()
            if known is not None and known.has_email(address):
                yield _Hit(at, "email", known=True)
            elif domain.group(1) not in _FILE_EXTENSIONS and not allow.allows_email(address):
                yield _Hit(at, "email")
        at = text.find("@", at + 1)


def _phones(
    data: bytes, known: KnownPII | None, allow: Allowlist, columns: _CsvColumns | None
) -> Iterator[_Hit]:
    """Phone-shaped runs; in CSV files a comma is a delimiter (elsewhere, after a digit, it is
    a decimal comma: ``1,03456789`` is a number) and a plain run of digits in a column of
    numbers is a number."""
    decimals = "." if columns else ".,"
    for match in _PHONE.finditer(data):
        start, end = match.span()
        before = data[max(0, start - 2) : start].decode().rjust(2)
        after = data[end : end + 2].decode()
        decimal_comma = before[1] == "," and before[0].isdigit() and not columns
        bad_start = before[1].isalnum() or before[1] in "._/-+" or decimal_comma
        bad_end = after[:1].isalnum() or (after[:1] in decimals and after[1:2].isdigit())
        for part, at_start, at_end in _parts(match.group().decode()):
            if (at_start and bad_start) or (at_end and bad_end):
                continue
            key = _phone_key(part)
            if known is not None and known.has_phone(key):
                yield _Hit(start, "phone", known=True)
                break
            if not _is_phone(part) or key in allow.phones:
                continue
            if columns is None or not part.isdigit() or not columns.numeric(start):
                yield _Hit(start, "phone")
                break


def _parts(run: str) -> Iterator[tuple[str, bool, bool]]:
    """The run, then its space-separated prefixes and suffixes (a phone written beside a
    number), each with whether it starts and ends where the run does."""
    yield run, True, True
    pieces = run.split(" ")
    for i in range(1, len(pieces)):
        yield " ".join(pieces[:i]), True, False
        yield " ".join(pieces[i:]), False, True


def _is_phone(run: str) -> bool:
    """Whether a run of digit groups has the shape of a phone number (see the module doc)."""
    run = run.strip(" ").replace("(0)", "0")  # "+39 (0)6 ..." is a Rome landline
    if not run or run[0] not in "+(03" or _DATE_SHAPE.fullmatch(run):
        return False
    groups = _DIGITS.findall(run)
    separators = re.findall(r"[^\d+]+", run.lstrip("(+"))
    if any(len(g) == 1 for g in groups[1:]) or run.count("/") > 1:
        return False
    dots_only = bool(separators) and all(s == "." for s in separators)
    if dots_only and (len(separators) == 1 or all(len(g) == 3 for g in groups[1:])):
        return False  # a decimal number, or thousands grouped with dots
    digits = "".join(groups)
    first = groups[0] if groups else ""
    international = run.lstrip("(").startswith("+") or (  # 0039 347..., 00 44 20...
        first.startswith("00") and (len(first) >= 4 or first == "00")
    )
    if len(groups) >= 3 and len({len(g) for g in groups}) == 1 and not international:
        return False  # a list of codes: 01 02 03 04, 058 063 071
    if international:
        if first.startswith("00"):  # 00 is how + is dialled
            groups = groups[1:] if first == "00" else [first[2:], *groups[1:]]
        digits = "".join(groups)
        if not digits.startswith("39"):
            return 8 <= len(digits) <= 15
        groups = groups[1:] if groups[0] == "39" else [groups[0][2:], *groups[1:]]
        digits, first = digits[2:], groups[0] if groups else ""
    if digits.startswith("3"):  # 9 plain digits: an amount (322082000 cents) more than a phone
        return (10 if run.isdigit() else 9) <= len(digits) <= 10 and len(first) >= 3
    if digits.startswith("0"):
        return 8 <= len(digits) <= 11 and len(first) >= 2
    return False


def _occurrences(data: bytes, words: Iterable[str], *, codes: bool = False) -> list[int]:
    """Offsets of ``words`` as whole tokens of ``data`` (words of letters and apostrophes, or
    with ``codes`` runs of letters and digits), in order. bytes.find is fastest for a few
    words; for many, one pass over the tokens is."""
    words = list(words)
    inside = _DIGITS_AND_LETTERS if codes else _LETTERS
    if len(words) > 16:
        targets = {w.encode() for w in words}
        tokens = _CODE_TOKEN if codes else _WORD_TOKEN
        return [m.start() for m in tokens.finditer(data) if m.group() in targets]
    found: list[int] = []
    for word in words:
        target = word.encode()
        at = data.find(target)
        while at != -1:
            end = at + len(target)
            if (at == 0 or data[at - 1] not in inside) and (
                end == len(data) or data[end] not in inside
            ):
                found.append(at)
            at = data.find(target, at + 1)
    return sorted(found)


def _names(
    text: str, data: bytes, vocabulary: set[str], known: KnownPII, allow: Allowlist
) -> Iterator[_Hit]:
    present = known._starts & vocabulary
    if not present:
        return
    word = _WORD.pattern
    sequence = re.compile(rf"{word}(?:{_GAP}{word}){{1,{max(known._name_length - 1, 1)}}}")
    for start in _occurrences(data, present):
        match = sequence.match(text, start)
        if match is None:
            continue
        words = _WORD.findall(_TAG.sub(" ", match.group()))
        for length in range(len(words), 1, -1):
            if known.has_name(words[:length]):
                if not _inside_label(text, start, length, allow):
                    yield _Hit(start, "known-name", known=True)
                break


def _line(text: str, pos: int) -> tuple[int, str]:
    """The start offset and text of the line holding ``pos``, HTML tags blanked out."""
    begin = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[begin : len(text) if end < 0 else end]
    return begin, _TAG.sub(lambda m: " " * len(m.group()), line) if "<" in line else line


def _inside_label(text: str, pos: int, length: int, allow: Allowlist) -> bool:
    """Whether the ``length`` words from ``pos`` all lie inside one allowlisted phrase there."""
    begin, line = _line(text, pos)
    tokens = list(_WORD.finditer(line))
    index = next((i for i, t in enumerate(tokens) if t.start() == pos - begin), None)
    if index is None:
        return False
    words = [t.group() for t in tokens]
    for first in range(max(0, index - allow.phrase_length + 1), index + 1):
        for size in allow.phrase_sizes.get(words[first], ()):
            end = first + size
            if index + length <= end <= len(words) and " ".join(words[first:end]) in allow.phrases:
                return True
    return False


def _birth_dates(
    text: str, data: bytes, vocabulary: set[str], known: KnownPII, allow: Allowlist
) -> Iterator[_Hit]:
    """Dates that are a person's birth date on a line holding that person's name: only lines
    with some word of some known name are searched for dates. As for names, a word inside an
    allowlisted label on that line ("Rica" in "Costa Rica") does not count."""
    present = (known._name_words & vocabulary) - allow.words
    if not present or not known.has_births:
        return
    seen: set[int] = set()
    for name in _occurrences(data, present):
        begin, line = _line(text, name)
        if begin in seen:
            continue
        seen.add(begin)
        tokens = _WORD.findall(line)
        words = {w for w in tokens if w in present}
        for match in _DATE.finditer(line.encode("ascii")):
            day, month, year = (
                (match.group(1), match.group(3), match.group(4))
                if match.group(1)
                else (match.group(8), match.group(7), match.group(5))
            )
            try:
                key = dt.date(int(year), int(month), int(day)).isoformat()
            except ValueError:
                continue
            if known.born_with_name(key, words) and known.born_with_name(
                key, _outside_labels(tokens, allow) & present
            ):
                yield _Hit(begin + match.start(), "known-birth-date", known=True)


def _outside_labels(tokens: list[str], allow: Allowlist) -> set[str]:
    """The words of a line that are not part of an allowlisted phrase on it."""
    return {t for t, inside in zip(tokens, allow.covered(tokens), strict=True) if not inside}
