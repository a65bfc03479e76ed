"""Column by column: text cells → typed, normalised Arrow arrays, and findings for bad cells.

Everything is vectorized, because the business register has millions of rows: code columns
are mapped through their *distinct* values (a few hundred labels, not millions of cells),
dates are parsed from the bytes with numpy, numbers with Arrow casts. Python loops run only
over distinct values, or over the few cells a fast path could not read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odata.ingest.checks import Finding
from odata.ingest.dates import parse_dates
from odata.ingest.schemas import Column, Type
from odata.reference import read_codes
from odata.sources import codice_fiscale
from odata.sources.manifest import SourceSpec

__all__ = [
    "Cells",
    "Codes",
    "Converted",
    "arrow_type",
    "codes",
    "convert",
    "fold",
]

_ATECO_CODE = re.compile(r"[0-9]{2}(\.[0-9]{1,2}){0,2}")
_CF_CHARS = re.compile(r"[A-Z0-9]{16}")
_BOOLS = {"si": True, "no": False}
_ARROW_TYPES = {
    Type.BOOL: pa.bool_(),
    Type.DATE: pa.date32(),
    Type.DECIMAL: pa.float64(),
    Type.INTEGER: pa.int64(),
}


def fold(text: str) -> str:
    """A label as compared with code lists: no accents, any case, one space between words."""
    plain = unicodedata.normalize("NFKD", text.replace("’", "'").replace("`", "'"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def arrow_type(column: Column) -> pa.DataType:
    """The Arrow type a column comes out as (text and codes: string)."""
    return _ARROW_TYPES.get(column.type, pa.string())


@dataclass(frozen=True)
class Codes:
    """The code lists the checks look values up in, keyed by folded label or code."""

    countries: dict[str, str]
    province_by_sigla: dict[str, str]
    provinces: frozenset[str]
    actions: dict[str, str]
    chambers: frozenset[str]
    ateco_divisions: frozenset[str]


@cache
def codes() -> Codes:
    """The code lists, read once (they are small)."""
    countries = {fold(r["code"]): r["code"] for r in read_codes("paesi")}
    countries.update({fold(r["name_it"]): r["code"] for r in read_codes("paesi")})
    for row in read_codes("esteri"):  # ANPR names ("Repubblica Popolare Cinese")
        if row["iso2"]:
            countries.setdefault(fold(row["name_it"]), row["iso2"])
    provinces = [r for r in read_codes("territori") if r["level"] == "province"]
    actions = {fold(r["code"]): r["code"] for r in read_codes("azioni")}
    actions.update({fold(r["name_it"]): r["code"] for r in read_codes("azioni")})
    return Codes(
        countries=countries,
        province_by_sigla={fold(r["sigla"]): r["code"] for r in provinces},
        provinces=frozenset(r["code"] for r in provinces),
        actions=actions,
        chambers=frozenset(r["code"] for r in read_codes("camere_commercio")),
        ateco_divisions=frozenset(
            r["code"] for r in read_codes("ateco") if r["level"] == "division"
        ),
    )


@dataclass(frozen=True)
class Converted:
    """A column converted: typed values (null where empty or bad), its empty cells, and
    what was wrong."""

    values: pa.Array
    empty: np.ndarray
    findings: list[Finding]


class Cells:
    """A column's raw text. Trimming copies the column, so it happens only when a converter
    needs it: code columns strip their few distinct values instead, and numbers and ISO dates
    are cast directly when every cell is clean (the usual case)."""

    def __init__(self, raw: pa.Array) -> None:
        self.raw = raw
        self._trimmed: pa.Array | None = None

    @property
    def trimmed(self) -> pa.Array:
        if self._trimmed is None:
            self._trimmed = pc.utf8_trim_whitespace(self.raw)
        return self._trimmed

    @property
    def raw_empty(self) -> np.ndarray:
        """Cells with no characters at all."""
        return _no_characters(self.raw)

    @property
    def trimmed_empty(self) -> np.ndarray:
        """Cells with nothing but blanks."""
        return _no_characters(self.trimmed)


def _no_characters(text: pa.Array) -> np.ndarray:
    lengths: np.ndarray = pc.binary_length(text).to_numpy(zero_copy_only=False)
    empty: np.ndarray = lengths == 0
    return empty


def convert(column: Column, cells: Cells, blank: np.ndarray, spec: SourceSpec) -> Converted:
    """Convert one column of raw text; ``blank`` rows (entirely empty) are not checked."""
    findings: list[Finding] = []
    values, empty, bad = _CONVERTERS[column.type](column, cells, spec, findings)
    missing = empty & ~blank
    if column.required and missing.any():
        findings.append(
            Finding(
                code="missing-value",
                reason=_missing_reason(column),
                rows=np.flatnonzero(missing),
                column=column.name,
                hint=_missing_hint(column),
            )
        )
    if bad is not None and bad.any():
        findings.append(_bad_value(column, cells.raw, bad, spec))
    return Converted(values, empty, findings)


def _missing_reason(column: Column) -> str:
    if column.type in (Type.PROVINCE_SIGLA, Type.PROVINCE_CODE):
        return "the province is empty"
    return f"{column.name} is empty"


def _missing_hint(column: Column) -> str:
    if column.type is Type.PROVINCE_SIGLA:
        return (
            "fill it in; if it was Napoli (NA), a program that reads NA as 'not available'"
            " emptied it: read the file as text"
        )
    return "fill it in: the column is required"


# --- converters: (column, cells, spec, findings) -> (values, empty, bad or None) -----------

_Result = tuple[pa.Array, np.ndarray, np.ndarray | None]


def _text(column: Column, cells: Cells, *_: Any) -> _Result:
    empty = cells.trimmed_empty
    return _null_where(cells.trimmed, empty), empty, None


def _pattern(column: Column, cells: Cells, *_: Any) -> _Result:
    text, empty = cells.trimmed, cells.trimmed_empty
    cased = pc.utf8_upper(text) if column.upper else pc.utf8_lower(text)
    ok = pc.match_substring_regex(cased, f"^(?:{column.pattern})$").to_numpy(zero_copy_only=False)
    bad = ~empty & ~ok
    return _null_where(cased, bad | empty), empty, bad


def _choice(column: Column, cells: Cells, *_: Any) -> _Result:
    labels = {fold(value): value for value in column.values}
    return _map_distinct(cells.raw, lambda v: labels.get(fold(v)), pa.string())


def _bool(column: Column, cells: Cells, *_: Any) -> _Result:
    return _map_distinct(cells.raw, lambda v: _BOOLS.get(fold(v)), pa.bool_())


def _country(column: Column, cells: Cells, *_: Any) -> _Result:
    countries = codes().countries
    return _map_distinct(cells.raw, lambda v: countries.get(fold(v)), pa.string())


def _province_sigla(column: Column, cells: Cells, *_: Any) -> _Result:
    sigle = codes().province_by_sigla
    return _map_distinct(cells.raw, lambda v: sigle.get(fold(v)), pa.string())


def _province_code(column: Column, cells: Cells, *_: Any) -> _Result:
    provinces = codes().provinces
    return _map_distinct(cells.raw, lambda v: v if v in provinces else None, pa.string())


def _action(column: Column, cells: Cells, *_: Any) -> _Result:
    actions = codes().actions
    return _map_distinct(cells.raw, lambda v: actions.get(fold(v)), pa.string())


def _chamber(column: Column, cells: Cells, *_: Any) -> _Result:
    chambers = codes().chambers
    return _map_distinct(
        cells.raw, lambda v: v.lower() if v.lower() in chambers else None, pa.string()
    )


def _ateco_division(column: Column, cells: Cells, *_: Any) -> _Result:
    divisions = codes().ateco_divisions
    return _map_distinct(cells.raw, lambda v: v if v in divisions else None, pa.string())


def _ateco_code(column: Column, cells: Cells, *_: Any) -> _Result:
    divisions = codes().ateco_divisions

    def known(value: str) -> str | None:
        ok = _ATECO_CODE.fullmatch(value) and value[:2] in divisions
        return value if ok else None

    return _map_distinct(cells.raw, known, pa.string())


def _codice_fiscale(
    column: Column, cells: Cells, spec: SourceSpec, findings: list[Finding]
) -> _Result:
    """Upper-case and check each distinct code; the reason says what is wrong, never the code."""
    upper, empty = pc.utf8_upper(cells.trimmed), cells.trimmed_empty
    encoded = pc.dictionary_encode(upper)
    verdicts = [_cf_problem(code) if code else None for code in encoded.dictionary.to_pylist()]
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    for reason in sorted({v for v in verdicts if v}):
        wrong = np.array([v == reason for v in verdicts], dtype=bool)
        findings.append(
            Finding(
                code="invalid-codice-fiscale",
                reason=reason,
                rows=np.flatnonzero(~empty & wrong[indices]),
                column=column.name,
                hint="copy the code again from the person's health card or tax document",
            )
        )
    bad = ~empty & np.array([v is not None for v in verdicts], dtype=bool)[indices]
    return _null_where(upper, bad | empty), empty, None


def _cf_problem(code: str) -> str | None:
    """Why a codice fiscale is invalid (without repeating it), or None when it is valid."""
    if not _CF_CHARS.fullmatch(code):
        return "the codice fiscale is not 16 letters and digits"
    if codice_fiscale.check_character(code[:15]) != code[15]:
        return "the check character (16th) of the codice fiscale is wrong: a typo?"
    if not codice_fiscale.is_valid(code):
        return "the codice fiscale does not have the shape of one (letters and digits misplaced)"
    return None


def _date(column: Column, cells: Cells, spec: SourceSpec, *_: Any) -> _Result:
    if spec.date_format == "%Y-%m-%d":  # Arrow's own ISO cast is strict (no 30/02) and fast
        empty = cells.raw_empty
        try:
            return pc.cast(_null_where(cells.raw, empty), pa.date32()), empty, None
        except pa.ArrowInvalid:
            pass
    text, empty = cells.trimmed, cells.trimmed_empty
    days, ok = parse_dates(text, ~empty, spec.date_format)
    bad = ~empty & ~ok
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=empty | bad), empty, bad


def _decimal(column: Column, cells: Cells, spec: SourceSpec, findings: list[Finding]) -> _Result:
    other = "." if spec.decimal == "," else ","

    def dotted(text: pa.Array) -> pa.Array:
        return pc.replace_substring(text, ",", ".") if spec.decimal == "," else text

    numbers, empty, bad, text = _numbers(cells, pa.float64(), r"^[+-]?[0-9]+(\.[0-9]+)?$", dotted)
    bad |= ~empty & pc.match_substring(text, other).to_numpy(zero_copy_only=False)
    bad |= ~empty & ~np.isfinite(numbers)
    findings.extend(_range(column, numbers, ~empty & ~bad, cells.raw))
    return pa.array(numbers, type=pa.float64(), mask=empty | bad), empty, bad


def _integer(column: Column, cells: Cells, spec: SourceSpec, findings: list[Finding]) -> _Result:
    numbers, empty, bad, _ = _numbers(cells, pa.int64(), r"^-?[0-9]+$", lambda text: text)
    findings.extend(_range(column, numbers, ~empty & ~bad, cells.raw))
    return pa.array(numbers, type=pa.int64(), mask=empty | bad), empty, bad


_Converter = Callable[[Column, Cells, SourceSpec, list[Finding]], _Result]
_CONVERTERS: dict[Type, _Converter] = {
    Type.TEXT: _text,
    Type.CHOICE: _choice,
    Type.PATTERN: _pattern,
    Type.BOOL: _bool,
    Type.DATE: _date,
    Type.DECIMAL: _decimal,
    Type.INTEGER: _integer,
    Type.CODICE_FISCALE: _codice_fiscale,
    Type.COUNTRY: _country,
    Type.PROVINCE_SIGLA: _province_sigla,
    Type.PROVINCE_CODE: _province_code,
    Type.ACTION: _action,
    Type.CHAMBER: _chamber,
    Type.ATECO_DIVISION: _ateco_division,
    Type.ATECO_CODE: _ateco_code,
}


# --- bad values -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Bad:
    """How a cell that cannot be read as its type is reported."""

    code: str
    reason: str
    hint: str = ""


_BAD: dict[Type, _Bad] = {
    Type.CHOICE: _Bad(code="unknown-value", reason="{name} is not one of the allowed values"),
    Type.PATTERN: _Bad(code="bad-format", reason="{name} does not have the expected format"),
    Type.BOOL: _Bad(code="unknown-value", reason="{name} must be sì or no", hint="write sì or no"),
    Type.DATE: _Bad(
        code="bad-date",
        reason="{name} is not a real date in the format {fmt}",
        hint="dates are {fmt}; a day that does not exist (31/02) is a typo",
    ),
    Type.DECIMAL: _Bad(
        code="bad-number",
        reason="{name} is not a number",
        hint='write numbers with "{dec}" as the decimal separator and no thousands separator',
    ),
    Type.INTEGER: _Bad(
        code="bad-number", reason="{name} is not a whole number", hint="write digits only"
    ),
    Type.COUNTRY: _Bad(
        code="unknown-country",
        reason="the country is not in the list of countries",
        hint="write the Italian name (Marocco, Cina) or the ISO two-letter code (MA, CN)",
    ),
    Type.PROVINCE_SIGLA: _Bad(
        code="unknown-province",
        reason="the province is not a known sigla",
        hint="write the two-letter sigla of the province (NA for Napoli)",
    ),
    Type.PROVINCE_CODE: _Bad(
        code="unknown-province",
        reason="the province is not an ISTAT province code",
        hint="3-digit ISTAT code such as 063: a spreadsheet may have dropped a leading zero",
    ),
    Type.ACTION: _Bad(
        code="unknown-action",
        reason="the action is not one of the programme's actions",
        hint="write an action code or name of datapackage/riferimenti/data/azioni.csv",
    ),
    Type.CHAMBER: _Bad(
        code="unknown-chamber",
        reason="the chamber is not a chamber of commerce code",
        hint="codes are in datapackage/riferimenti/data/camere_commercio.csv (e.g. torino)",
    ),
    Type.ATECO_DIVISION: _Bad(
        code="unknown-ateco",
        reason="the sector is not an ATECO 2007 division",
        hint="two digits such as 01 or 47: a spreadsheet may have dropped a leading zero",
    ),
    Type.ATECO_CODE: _Bad(
        code="unknown-ateco",
        reason="the ATECO code is not a dotted ATECO 2007 code of a known division",
        hint="codes look like 47.11.10",
    ),
}


def _bad_value(column: Column, text: pa.Array, bad: np.ndarray, spec: SourceSpec) -> Finding:
    kind = _BAD[column.type]
    fields = {"name": column.name, "fmt": _human_format(spec.date_format), "dec": spec.decimal}
    allowed = ", ".join(column.values)
    return Finding(
        code=kind.code,
        reason=kind.reason.format(**fields),
        rows=np.flatnonzero(bad),
        column=column.name,
        hint=column.hint or kind.hint.format(**fields) or f"allowed: {allowed}",
        values=text,
    )


def _human_format(fmt: str) -> str:
    return fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")


def _range(column: Column, numbers: np.ndarray, valid: np.ndarray, text: pa.Array) -> list[Finding]:
    findings = []
    if column.minimum is not None:
        below = valid & (numbers < column.minimum)
        if below.any():
            negative = column.minimum == 0
            findings.append(
                Finding(
                    code="negative-number" if negative else "out-of-range",
                    reason=f"{column.name} is negative"
                    if negative
                    else f"{column.name} is below {column.minimum:g}",
                    rows=np.flatnonzero(below),
                    column=column.name,
                    values=text,
                )
            )
    if column.maximum is not None:
        above = valid & (numbers > column.maximum)
        if above.any():
            findings.append(
                Finding(
                    code="out-of-range",
                    reason=f"{column.name} is above {column.maximum:g}",
                    rows=np.flatnonzero(above),
                    column=column.name,
                    values=text,
                )
            )
    return findings


# --- vectorized helpers ----------------------------------------------------------------


def _null_where(values: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def _map_distinct(text: pa.Array, lookup: Callable[[str], Any], kind: pa.DataType) -> _Result:
    """Strip and look each *distinct* value up once, then spread the results over the rows."""
    encoded = pc.dictionary_encode(text)
    distinct = [value.strip() for value in encoded.dictionary.to_pylist()]
    mapped = pa.array([lookup(v) if v else None for v in distinct], type=kind)
    blank = pa.array([not v for v in distinct], type=pa.bool_())
    values = mapped.take(encoded.indices)
    empty = blank.take(encoded.indices).to_numpy(zero_copy_only=False)
    bad = ~empty & values.is_null().to_numpy(zero_copy_only=False)
    return values, empty, bad


def _numbers(
    cells: Cells, kind: pa.DataType, shape: str, prepare: Callable[[pa.Array], pa.Array]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """Numbers, empty and bad cells, and the text they were read from (before ``prepare``).

    Arrow's cast is strict but all-or-nothing (and its message quotes the cell), so the raw
    text is cast in one go; only when that fails is it trimmed and matched against ``shape``
    to find the bad cells.
    """
    empty = cells.raw_empty
    try:
        numbers = pc.cast(prepare(_null_where(cells.raw, empty)), kind)
        text = cells.raw
        bad = np.zeros(len(text), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        text, empty = cells.trimmed, cells.trimmed_empty
        prepared = prepare(text)
        ok = pc.match_substring_regex(prepared, shape).to_numpy(zero_copy_only=False)
        bad = ~empty & ~ok
        numbers = pc.cast(_null_where(prepared, empty | bad), kind)
    filled: np.ndarray = numbers.fill_null(0).to_numpy(zero_copy_only=False)
    return filled, empty, bad, text
