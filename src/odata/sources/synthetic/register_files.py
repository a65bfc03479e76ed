"""Each chamber's register and events list as the chamber would write them.

Chambers differ in file dialect and in habits, all of them valid input for a tolerant but
strict ingest: actions written as Italian labels instead of codes, countries as ISO codes
instead of names, upper-case names, stray spaces, "Sì" for "sì", dates typed as text in a
workbook. Which chamber has which habit is drawn from the seed and recorded in the private
manifest, so the ingest's normalisation can be tested against a known truth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from odata.reference import read_codes
from odata.sources.synthetic.registers import Attendance, Event, Outcome
from odata.sources.synthetic.sampling import stream
from odata.sources.synthetic.writers import DIALECTS, Dialect, Value, write_csv, write_xlsx

__all__ = [
    "EVENT_COLUMNS",
    "QUIRKS",
    "REGISTER_COLUMNS",
    "ChamberFormat",
    "assign_formats",
    "write_events",
    "write_register",
]

REGISTER_COLUMNS = (
    "codice_fiscale", "cognome", "nome", "sesso", "data_nascita", "paese_nascita",
    "cittadinanza", "generazione", "comune_residenza", "provincia_residenza", "titolo_studio",
    "email", "telefono", "azione", "data_azione", "ore", "business_plan", "impresa_costituita",
    "ateco_impresa", "forma_giuridica_impresa",
)  # fmt: skip
EVENT_COLUMNS = ("data", "azione", "titolo", "modalita", "lingua", "partecipanti")
QUIRKS = {
    "action-labels": "azione as the Italian label (Orientamento) instead of the code",
    "action-labels-upper": "azione as the Italian label in capitals (ORIENTAMENTO)",
    "country-iso": "paese_nascita and cittadinanza as ISO alpha-2 codes (MA) instead of names",
    "countries-upper": "country names in capitals (MAROCCO)",
    "names-upper": "cognome and nome in capitals",
    "padded-spaces": "leading or trailing spaces in nome and comune_residenza on some rows",
    "yes-no-capitalised": "business_plan and impresa_costituita as Sì / No",
    "text-dates": "dates typed as text (dd/mm/yyyy) instead of date cells (XLSX)",
}
#: How many chambers use each dialect (18 in all; the Italian Excel exports dominate).
_DIALECT_MIX = (
    ("excel-it-utf8",) * 6 + ("excel-it-cp1252",) * 5 + ("export-utf8",) * 4 + ("xlsx",) * 3
)
_QUIRK_P = {"action-labels": 0.45, "country-iso": 0.35, "names-upper": 0.35,
            "padded-spaces": 0.3, "yes-no-capitalised": 0.2, "countries-upper": 0.15}  # fmt: skip


@dataclass(frozen=True)
class ChamberFormat:
    """A chamber's file dialect and habits."""

    dialect: Dialect
    quirks: tuple[str, ...]

    @property
    def events_dialect(self) -> Dialect:
        """Events lists are always CSV: workbook chambers export them as Excel CSV."""
        return DIALECTS["excel-it-utf8"] if self.dialect.format == "xlsx" else self.dialect


def assign_formats(seed: int, chambers: Sequence[str]) -> dict[str, ChamberFormat]:
    """Dialect and quirks per chamber, from the seed; every quirk appears at least once."""
    rng = stream(seed, "formats")
    mix = [_DIALECT_MIX[i % len(_DIALECT_MIX)] for i in rng.permutation(len(chambers))]
    chosen: dict[str, set[str]] = {c: set() for c in chambers}
    for quirk, p in _QUIRK_P.items():
        draws = rng.random(len(chambers))
        holders = [c for c, d in zip(chambers, draws, strict=True) if d < p]
        for chamber in holders or [chambers[int(rng.integers(len(chambers)))]]:
            chosen[chamber].add(quirk)
    for chamber in chambers:  # labels in capitals only where labels are used
        if "action-labels" in chosen[chamber] and rng.random() < 0.3:
            chosen[chamber] = (chosen[chamber] - {"action-labels"}) | {"action-labels-upper"}
        if "country-iso" in chosen[chamber]:
            chosen[chamber].discard("countries-upper")
    workbooks = [c for c, n in zip(chambers, mix, strict=True) if n == "xlsx"]
    for i in rng.permutation(len(workbooks))[: max(1, len(workbooks) // 2)]:
        chosen[workbooks[i]].add("text-dates")  # the others keep real date cells
    return {
        c: ChamberFormat(DIALECTS[n], tuple(sorted(chosen[c])))
        for c, n in zip(chambers, mix, strict=True)
    }


def write_register(
    path: Path,
    rows: Sequence[Attendance],
    outcomes: dict[str, Outcome],
    fmt: ChamberFormat,
    *,
    seed: int,
    when: dt.datetime,
) -> int:
    """Write one chamber's register in its dialect and habits; return the data rows."""
    rng = stream(seed, "quirks", path.name)
    cells = [_register_cells(row, outcomes, fmt.quirks, rng) for row in rows]
    if fmt.dialect.format == "xlsx":
        return write_xlsx(path, REGISTER_COLUMNS, cells, sheet="Partecipanti", when=when,
                          text_dates="text-dates" in fmt.quirks)  # fmt: skip
    return write_csv(path, REGISTER_COLUMNS, cells, fmt.dialect)


def write_events(path: Path, events: Sequence[Event], fmt: ChamberFormat) -> int:
    """Write one chamber's events list; return the data rows."""
    cells: list[list[Value]] = [
        [e.date, _action(e.action, fmt.quirks), e.title, e.mode, e.language, e.participants]
        for e in events
    ]
    return write_csv(path, EVENT_COLUMNS, cells, fmt.events_dialect)


def _register_cells(
    row: Attendance, outcomes: dict[str, Outcome], quirks: tuple[str, ...], rng: np.random.Generator
) -> list[Value]:
    person = row.person
    outcome = outcomes.get(person.codice_fiscale, Outcome())
    surname, name, town = person.cognome, person.nome, row.residence.comune
    if "names-upper" in quirks:
        surname, name = surname.upper(), name.upper()
    if "padded-spaces" in quirks and rng.random() < 0.25:
        name, town = f" {name}", f"{town}  "
    return [
        person.codice_fiscale, surname, name, person.sesso, person.data_nascita,
        _country(person.paese_nascita, quirks), _country(person.cittadinanza, quirks),
        person.generazione, town, row.residence.provincia, person.titolo_studio, person.email,
        person.telefono, _action(row.action, quirks), row.date, float(row.hours),
        _yes_no(outcome.business_plan, quirks), _yes_no(outcome.firm, quirks),
        outcome.ateco or None, outcome.legal_form or None,
    ]  # fmt: skip


def _country(code: str, quirks: tuple[str, ...]) -> str:
    if "country-iso" in quirks:
        return code
    name = _country_names()[code]
    return name.upper() if "countries-upper" in quirks else name


def _action(code: str, quirks: tuple[str, ...]) -> str:
    if "action-labels-upper" in quirks:
        return _action_labels()[code].upper()
    return _action_labels()[code] if "action-labels" in quirks else code


def _yes_no(value: bool, quirks: tuple[str, ...]) -> str:
    text = "sì" if value else "no"
    return text.capitalize() if "yes-no-capitalised" in quirks else text


@cache
def _country_names() -> dict[str, str]:
    return {r["code"]: r["name_it"] for r in read_codes("paesi")}


@cache
def _action_labels() -> dict[str, str]:
    return {r["code"]: r["name_it"] for r in read_codes("azioni")}
