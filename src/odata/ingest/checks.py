"""Checks across cells and rows, and the conversion of findings into located Problems.

A :class:`Finding` is one kind of problem on a set of rows of one column. Turning findings into
:class:`~odata.errors.Problem`\\ s happens in one place, :func:`to_problems`, which is also the
only place that may put a cell's value into a message: only for columns the schema declares
non-personal, and never for anything shaped like a codice fiscale, an e-mail or a phone.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odata.errors import Problem
from odata.ingest.schemas import Schema
from odata.sources.codice_fiscale import MONTHS, OMOCODE

__all__ = [
    "Context",
    "Finding",
    "duplicate_keys",
    "table_checks",
    "to_problems",
    "unknown_firms",
]

_MIN_BIRTH = dt.date(1900, 1, 1)
_MIN_AGE = 14
_SHARE_TOLERANCE = 0.1  # percentage points: three owners of 33.33 % are a whole firm
_LOOKS_PERSONAL = re.compile(r"[A-Za-z]{6}[0-9LMNPQRSTUV]{2}[A-Za-z]|@|([0-9][ ./-]?){7}")
_PERSON_LEVEL = ("business_plan", "impresa_costituita", "ateco_impresa", "forma_giuridica_impresa")
_FIRM_FIELDS = ("ateco_impresa", "forma_giuridica_impresa")


@dataclass(frozen=True)
class Finding:
    """One kind of problem on some rows of one column (or of the file, when ``rows`` is None).

    ``rows`` are 0-based data rows of a batch that starts at data row ``offset``; ``values``
    is the batch's text of the column, indexed like ``rows``, shown only for non-personal
    columns.
    """

    code: str
    reason: str
    rows: np.ndarray | None
    column: str | None = None
    hint: str | None = None
    values: pa.Array | pa.ChunkedArray | None = None
    offset: int = 0
    earlier: np.ndarray | None = None  # per row: an earlier row it is compared with


@dataclass(frozen=True)
class Context:
    """What the checks compare against, besides the table itself."""

    first_row: int
    today: dt.date
    programme_start: dt.date
    programme_end: dt.date
    budget_eur: float
    empty: dict[str, np.ndarray] = field(default_factory=dict)  # cells left empty, by column


def to_problems(
    findings: Iterable[Finding], schema: Schema, file: str, first_row: int, limit: int
) -> list[Problem]:
    """The first ``limit`` problems in file order (row, then column), plus one line saying
    how many more there are."""
    order = {name: i for i, name in enumerate(schema.names)}
    personal = {c.name for c in schema.columns if c.personal}
    entries: list[tuple[float, int, str, Finding, int | None]] = []
    total = 0
    for finding in findings:
        position = order.get(finding.column or "", -1)
        if finding.rows is None:
            total += 1
            entries.append((math.inf, position, finding.code, finding, None))
            continue
        total += len(finding.rows)
        entries.extend(
            (finding.offset + int(r), position, finding.code, finding, int(r))
            for r in finding.rows[:limit]
        )
    entries.sort(key=lambda entry: entry[:3])
    problems = [
        _problem(finding, local, file, first_row, finding.column not in personal)
        for *_, finding, local in entries[:limit]
    ]
    if total > limit:
        problems.append(
            Problem(
                code="too-many-problems",
                reason=f"{total - limit:,} more problems in this file are not listed",
                file=file,
                hint="fix the problems listed and check the file again",
            )
        )
    return problems


def _problem(finding: Finding, local: int | None, file: str, first_row: int, show: bool) -> Problem:
    """The problem at ``local``, a row of the finding's batch."""
    reason = finding.reason
    if finding.earlier is not None and finding.rows is not None and local is not None:
        index = int(np.searchsorted(finding.rows, local))
        reason = reason.format(earlier=first_row + finding.offset + int(finding.earlier[index]))
    if show and local is not None and finding.values is not None:
        value = finding.values[local].as_py()
        if isinstance(value, str) and value.strip() and not _LOOKS_PERSONAL.search(value):
            reason = f'{reason}: "{value.strip()[:60]}"'
    return Problem(
        code=finding.code,
        reason=reason,
        file=file,
        row=None if local is None else first_row + finding.offset + local,
        column=finding.column,
        hint=finding.hint,
    )


def table_checks(
    kind: str, columns: dict[str, pa.Array], blank: np.ndarray, context: Context
) -> list[Finding]:
    """The checks that look at more than one cell, for one source kind."""
    findings = _blank_rows(blank)
    if kind == "registro":
        findings += _duplicate_rows(columns, blank, context)
        findings += _birth_dates(columns["data_nascita"], columns["data_azione"], context)
        findings += _programme_dates(columns["data_azione"], "data_azione", context)
        findings += _codice_fiscale_consistency(columns)
        findings += _person_consistency(columns)
        findings += _firm_fields(columns, context)
    elif kind == "eventi":
        findings += _programme_dates(columns["data"], "data", context)
    elif kind == "budget":
        findings += _budget_total(columns["previsto"], blank, context)
    elif kind == "imprese":
        findings += _date_order(columns["data_iscrizione"], columns["data_cessazione"])
    elif kind == "titolari":
        findings += _birth_years(columns["anno_nascita"], context)
        findings += _share_totals(columns["id_impresa"], columns["quota"])
    return findings


def unknown_firms(owners: pa.Array, firms: pa.Array) -> list[Finding]:
    """Owners (titolari) of a firm that the firms' file (imprese) does not have."""
    unknown = pc.invert(pc.fill_null(pc.is_in(owners, value_set=firms), True))
    rows = np.flatnonzero(unknown.to_numpy(zero_copy_only=False))
    if not rows.size:
        return []
    return [
        Finding(
            code="unknown-firm",
            reason="no firm in imprese has this id_impresa",
            rows=rows,
            column="id_impresa",
            hint="titolari and imprese must come from the same extract",
            values=owners,
        )
    ]


# --- every source ---------------------------------------------------------------------


def _blank_rows(blank: np.ndarray) -> list[Finding]:
    if not blank.any():
        return []
    return [
        Finding(
            code="blank-row",
            reason="the row is empty",
            rows=np.flatnonzero(blank),
            hint="delete the empty row",
        )
    ]


# --- participant registers (vectorized too: a register may be large) -------------------------


def _duplicate_rows(
    columns: dict[str, pa.ChunkedArray], blank: np.ndarray, context: Context
) -> list[Finding]:
    """Rows identical to an earlier row: the same person's attendance entered twice."""
    cells = [pc.cast(column, pa.string()) for column in columns.values()]
    rows = pc.binary_join_element_wise(
        *cells, "\x1f", null_handling="replace", null_replacement="\x00"
    )
    first = _first_occurrence(_codes_of(rows))
    repeated = (first != np.arange(len(first))) & ~blank
    if not repeated.any():
        return []
    rows_repeated = np.flatnonzero(repeated)
    return [
        Finding(
            code="duplicate-row",
            reason="the row repeats row {earlier}",
            rows=rows_repeated,
            hint="delete one of the two rows",
            earlier=first[rows_repeated],
        )
    ]


def _codes_of(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An integer per row, equal for equal values (null is a value of its own)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    codes: np.ndarray = encoded.indices.to_numpy(zero_copy_only=False)
    return codes


def _first_occurrence(codes: np.ndarray) -> np.ndarray:
    """For each row, the index of the first row with the same code."""
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    occurrence: np.ndarray = first[inverse.reshape(-1)]
    return occurrence


def _birth_dates(
    births: pa.ChunkedArray, actions: pa.ChunkedArray, context: Context
) -> list[Finding]:
    future = _mask(pc.greater(births, pa.scalar(context.today, pa.date32())))
    early = _mask(pc.less(births, pa.scalar(_MIN_BIRTH, pa.date32())))
    age = pc.subtract(pc.year(actions), pc.year(births))
    before_birthday = pc.less(_month_day(actions), _month_day(births))
    age = pc.subtract(age, pc.cast(before_birthday, pa.int64()))
    young = _mask(pc.less(age, _MIN_AGE)) & ~future
    reasons = (
        (future, "the birth date is in the future"),
        (early, "the birth date is before 1900"),
        (young, f"the birth date makes the person younger than {_MIN_AGE} at the action"),
    )
    return [
        Finding(
            code="impossible-birth-date",
            reason=reason,
            rows=np.flatnonzero(mask),
            column="data_nascita",
            hint="check day, month and year",
        )
        for mask, reason in reasons
        if mask.any()
    ]


def _month_day(dates: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.add(pc.multiply(pc.month(dates), 100), pc.day(dates))


def _mask(condition: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean array as numpy, null counting as False."""
    mask: np.ndarray = pc.fill_null(condition, False).to_numpy(zero_copy_only=False)
    return mask


def _programme_dates(dates: pa.ChunkedArray, column: str, context: Context) -> list[Finding]:
    start = pa.scalar(context.programme_start, pa.date32())
    end = pa.scalar(context.programme_end, pa.date32())
    outside = _mask(pc.or_(pc.less(dates, start), pc.greater(dates, end)))
    if not outside.any():
        return []
    return [
        Finding(
            code="outside-programme",
            reason=f"{column} is outside the programme's dates"
            f" ({context.programme_start:%d/%m/%Y}-{context.programme_end:%d/%m/%Y})",
            rows=np.flatnonzero(outside),
            column=column,
            hint="check the year; programme dates are in odata.toml [programme]",
            values=pc.strftime(dates, format="%d/%m/%Y"),
        )
    ]


def _codice_fiscale_consistency(columns: dict[str, pa.ChunkedArray]) -> list[Finding]:
    """Sex, birth date and born-abroad are written inside the codice fiscale: they must agree
    with the row's own columns (a mismatch is usually a typo, or another person's code).

    Each distinct code is decoded once; the comparisons run over whole columns."""
    codes = columns["codice_fiscale"].combine_chunks()
    encoded = pc.dictionary_encode(codes)
    facts = [_decode(code) for code in encoded.dictionary.to_pylist()]
    indices = encoded.indices

    def coded(position: int, kind: pa.DataType) -> pa.Array:
        return pa.array([fact[position] for fact in facts], kind).take(indices)

    born = columns["data_nascita"]
    wrong = {
        "sesso": pc.not_equal(columns["sesso"], coded(0, pa.string())),
        "data_nascita": pc.or_(
            pc.not_equal(pc.remainder(pc.year(born), 100), coded(1, pa.int64())),
            pc.not_equal(_month_day(born), coded(2, pa.int64())),
        ),
        "paese_nascita": pc.equal(pc.equal(columns["paese_nascita"], "IT"), coded(3, pa.bool_())),
    }
    findings = []
    for name, condition in wrong.items():
        rows = np.flatnonzero(_mask(condition))
        if rows.size:
            findings.append(
                Finding(
                    code="codice-fiscale-mismatch",
                    reason=f"the codice fiscale does not match {name} on the same row",
                    rows=rows,
                    column="codice_fiscale",
                    hint=f"check the codice fiscale and {name}: one of them has a typo",
                )
            )
    return findings


def _decode(code: str) -> tuple[str, int, int, bool]:
    """Sex, 2-digit birth year, month * 100 + day and born-abroad of a valid codice fiscale."""

    def digits(text: str) -> int:
        return int("".join(str(OMOCODE.index(c)) if c in OMOCODE else c for c in text))

    day = digits(code[9:11])
    month = MONTHS.index(code[8]) + 1
    return "F" if day > 40 else "M", digits(code[6:8]), month * 100 + day % 40, code[11] == "Z"


def _person_consistency(columns: dict[str, pa.ChunkedArray]) -> list[Finding]:
    """A person's business plan and firm are facts about the person: every row of the same
    codice fiscale must say the same as the person's first row."""
    known = _mask(pc.is_valid(columns["codice_fiscale"]))
    first = _first_occurrence(_codes_of(columns["codice_fiscale"]))
    findings = []
    for name in _PERSON_LEVEL:
        values = _codes_of(pc.cast(columns[name], pa.string()))
        rows = np.flatnonzero(known & (values != values[first]))
        if rows.size:
            findings.append(
                Finding(
                    code="inconsistent-person",
                    reason=f"{name} differs from row {{earlier}}, another row of the same"
                    " person (same codice fiscale)",
                    rows=rows,
                    column=name,
                    hint="the value is about the person: write the same on every row",
                    earlier=first[rows],
                )
            )
    return findings


def _firm_fields(columns: dict[str, pa.ChunkedArray], context: Context) -> list[Finding]:
    """Sector and legal form are given exactly when a firm was created."""
    created = _mask(columns["impresa_costituita"])
    not_created = _mask(pc.invert(columns["impresa_costituita"]))
    findings = []
    for name in _FIRM_FIELDS:
        empty = context.empty[name]
        if (created & empty).any():
            findings.append(
                Finding(
                    code="missing-value",
                    reason=f"{name} is empty but impresa_costituita is sì",
                    rows=np.flatnonzero(created & empty),
                    column=name,
                    hint="fill it in for every person who created a firm",
                )
            )
        if (not_created & ~empty).any():
            findings.append(
                Finding(
                    code="unexpected-value",
                    reason=f"{name} is filled but impresa_costituita is no",
                    rows=np.flatnonzero(not_created & ~empty),
                    column=name,
                    hint="empty it, or set impresa_costituita to sì",
                )
            )
    return findings


# --- budget ----------------------------------------------------------------------------------


def _budget_total(planned: pa.Array, blank: np.ndarray, context: Context) -> list[Finding]:
    """The planned amounts are the programme budget split into lines: they must add up."""
    if planned.null_count > int(blank.sum()):
        return []  # some amounts are unreadable: they are reported, the sum would mislead
    total = round(float(pc.sum(planned).as_py() or 0.0), 2)
    if abs(total - context.budget_eur) < 0.005:
        return []
    return [
        Finding(
            code="budget-total",
            reason=f"the planned amounts (previsto) sum to {total:,.2f} EUR, not to the"
            f" programme budget of {context.budget_eur:,.2f} EUR",
            rows=None,
            column="previsto",
            hint="check for a missing or repeated budget line",
        )
    ]


# --- business register (millions of rows: vectorized) ----------------------------------------


def duplicate_keys(rows: np.ndarray, values: pa.ChunkedArray, column: str) -> list[Finding]:
    """The problem of key values repeated on ``rows`` (the first occurrence is not one)."""
    if not rows.size:
        return []
    return [
        Finding(
            code="duplicate-key",
            reason=f"{column} is already on an earlier row",
            rows=rows,
            column=column,
            hint=f"each {column} must appear once in the file",
            values=values,
        )
    ]


def _date_order(registered: pa.Array, closed: pa.Array) -> list[Finding]:
    before = pc.fill_null(pc.less(closed, registered), False)
    rows = np.flatnonzero(before.to_numpy(zero_copy_only=False))
    if not rows.size:
        return []
    return [
        Finding(
            code="date-order",
            reason="data_cessazione is before data_iscrizione",
            rows=rows,
            column="data_cessazione",
            hint="check the two dates",
        )
    ]


def _birth_years(years: pa.Array, context: Context) -> list[Finding]:
    impossible = pc.or_(pc.less(years, _MIN_BIRTH.year), pc.greater(years, context.today.year))
    rows = np.flatnonzero(pc.fill_null(impossible, False).to_numpy(zero_copy_only=False))
    if not rows.size:
        return []
    return [
        Finding(
            code="impossible-birth-date",
            reason="anno_nascita is before 1900 or in the future",
            rows=rows,
            column="anno_nascita",
            values=pc.cast(years, pa.string()),
        )
    ]


def _share_totals(ids: pa.Array, shares: pa.Array) -> list[Finding]:
    """Each firm's owners hold 100 % between them; reported on the firm's first owner row."""
    owners = pa.table({"id": ids, "share": shares, "row": pa.array(np.arange(len(ids)))})
    sums = owners.group_by("id").aggregate(
        [("share", "sum"), ("share", "count"), ("row", "min"), ("row", "count")]
    )
    readable = pc.equal(sums["share_count"], sums["row_count"])  # unreadable shares: reported
    off = pc.greater(pc.abs(pc.subtract(sums["share_sum"], 100.0)), _SHARE_TOLERANCE)
    off = pc.and_(pc.and_(pc.fill_null(off, False), readable), pc.is_valid(sums["id"]))
    rows = np.sort(pc.filter(sums["row_min"], off).to_numpy(zero_copy_only=False))
    if not rows.size:
        return []
    return [
        Finding(
            code="share-total",
            reason="the shares (quota) of this row's firm do not sum to 100",
            rows=rows,
            column="quota",
            hint="check the owners of the firm: one may be missing or repeated",
        )
    ]
