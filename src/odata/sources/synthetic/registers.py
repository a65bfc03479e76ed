"""Participant registers and events lists of the programme chambers.

Persons follow the programme's pathway (information → orientation → training → assistance
and business plan → firm creation → mentoring) in the numbers of the plan (programme.py).
Group actions happen at events, so each events list agrees with its register: an information
meeting or a training session lists at least the registered people who attended it.
A few people move and continue the pathway at another chamber: the same codice fiscale then
appears in two registers, as it does in the real data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np

from odata.config import Settings
from odata.sources.synthetic import calibration as cal
from odata.sources.synthetic.people import (
    Person,
    Residence,
    make_person,
    municipality,
    province_sigla,
)
from odata.sources.synthetic.programme import Chamber, Plan
from odata.sources.synthetic.sampling import stream
from odata.sources.synthetic.sectors import PARTICIPANT_DIVISIONS

__all__ = ["Attendance", "Event", "Outcome", "Registers", "build_registers"]

FEMALE_SHARE = 0.42  # assumption: the 2nd edition stressed female participation (A.1)
MOVER_SHARE = 0.008  # people who continue at a second chamber
FIRM_FORMS = ("ditta individuale", "società di persone", "società di capitali", "cooperativa",
              "altra forma")  # fmt: skip
_FORM_P = (0.70, 0.12, 0.12, 0.04, 0.02)
#: One-to-one actions: (rows per person low, high), hours choices.
_INDIVIDUAL = {
    "orientamento": ((1, 2), (1.0, 1.5, 2.0)),
    "assistenza": ((1, 4), (1.5, 2.0, 2.5, 3.0)),
    "creazione-impresa": ((1, 2), (2.0, 3.0)),
    "mentoring": ((2, 3), (1.0, 1.5, 2.0)),
}
_TITLES = {
    "informazione": ("Fare impresa in Italia: opportunità e servizi",
                     "Incontro informativo: dall'idea all'impresa",
                     "Sportello informativo Futurae", "Webinar: avviare un'attività in Italia"),
    "formazione": ("Il business plan", "Marketing e comunicazione",
                   "Adempimenti fiscali e amministrativi", "Accesso al credito e microcredito",
                   "Forme giuridiche e costituzione dell'impresa",
                   "Competenze digitali per l'impresa"),
    "promozione": ("Presentazione del programma Futurae",
                   "Futurae – Imprenditori Extraordinari: evento territoriale",
                   "Giornata dell'imprenditoria migrante", "Futurae incontra le associazioni"),
}  # fmt: skip
_LANGUAGES = ("it", "it+en", "it+fr", "it+ar", "it+es", "it+zh", "it+en+fr")


@dataclass(frozen=True)
class Outcome:
    """Person-level results, repeated on each of the person's rows."""

    business_plan: bool = False
    firm: bool = False
    ateco: str = ""
    legal_form: str = ""


@dataclass(frozen=True)
class Attendance:
    """One register row: a person attending one action on one day."""

    person: Person
    residence: Residence
    action: str
    date: dt.date
    hours: float


@dataclass
class Event:
    """One event of a chamber (information meeting, training session, promotion)."""

    date: dt.date
    action: str
    title: str
    mode: str
    language: str
    participants: int = 0


@dataclass
class Registers:
    """Everything the programme's chambers hand in, before formatting."""

    rows: dict[str, list[Attendance]] = field(default_factory=dict)  # chamber → rows
    events: dict[str, list[Event]] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # codice fiscale → outcome
    movers: int = 0


def build_registers(seed: int, plan: Plan, settings: Settings) -> Registers:
    """Persons, attendance rows and events for every chamber of the plan."""
    result = Registers()
    taken: set[str] = set()
    calendar = (settings.programme.start, settings.programme.end)
    for chamber in plan.chambers:
        rng = stream(seed, "registro", chamber.code)
        builder = _ChamberBuilder(rng, chamber, calendar, taken)
        builder.run(plan.counts[chamber.code])
        result.rows[chamber.code] = builder.rows
        result.events[chamber.code] = builder.events
        result.outcomes.update(builder.outcomes)
    result.movers = _move_some(stream(seed, "movers"), result, plan.chambers)
    for code in result.rows:
        result.rows[code].sort(key=lambda a: (a.date, a.person.codice_fiscale, a.action))
        result.events[code].sort(key=lambda e: (e.date, e.action, e.title))
    return result


class _ChamberBuilder:
    """Builds one chamber's persons, rows and events."""

    def __init__(self, rng: np.random.Generator, chamber: Chamber,
                 calendar: tuple[dt.date, dt.date], taken: set[str]) -> None:  # fmt: skip
        self.rng, self.chamber, self.taken = rng, chamber, taken
        self.begin, self.end = calendar
        self.rows: list[Attendance] = []
        self.events: list[Event] = []
        self.outcomes: dict[str, Outcome] = {}
        self.start: dict[str, dt.date] = {}
        self.persons: list[Person] = []
        self.seen: set[tuple[str, str, dt.date]] = set()  # person, action, day

    def run(self, counts: dict[str, int]) -> None:
        """Choose who takes each step, then date their rows and the chamber's events."""
        informed = self._new(counts["informazione"])
        overlap = min(round(0.72 * counts["orientamento"]), len(informed))
        oriented = self._pick(informed, overlap) + self._new(counts["orientamento"] - overlap)
        trained = self._pick(oriented, counts["formazione"], fallback=informed)
        assisted = self._pick(trained, round(0.8 * counts["assistenza"]), fallback=oriented)
        helped = {p.codice_fiscale for p in assisted}
        rest = [p for p in oriented if p.codice_fiscale not in helped]
        assisted += self._pick(rest, counts["assistenza"] - len(assisted), fallback=informed)
        plans = self._pick(assisted, counts["business_plan"])
        founding = self._pick(plans, counts["creazione-impresa"], fallback=assisted)
        firms = self._pick(founding, counts["impresa_costituita"])
        mentored = self._pick(firms, counts["mentoring"])
        self._group_action("informazione", informed, hours=(1.5, 2.0, 2.5), every=21)
        self._training(trained)
        self._individual("orientamento", oriented)
        self._individual("assistenza", assisted)
        self._individual("creazione-impresa", founding)
        self._individual("mentoring", mentored)
        self._promotion()
        self._outcomes(plans, firms)

    def _new(self, n: int) -> list[Person]:
        people = [
            make_person(self.rng, self.chamber.provinces, self.taken, female_share=FEMALE_SHARE)
            for _ in range(max(n, 0))
        ]
        for person in people:
            self.start[person.codice_fiscale] = self._first_contact()
        self.persons += people
        return people

    def _pick(
        self, pool: list[Person], n: int, fallback: list[Person] | None = None
    ) -> list[Person]:
        """``n`` people from ``pool``, then from ``fallback``, then new ones if both run out."""
        n = max(n, 0)
        chosen = [pool[i] for i in sorted(self.rng.permutation(len(pool))[:n])]
        if len(chosen) < n and fallback:
            ids = {p.codice_fiscale for p in chosen}
            spare = [p for p in fallback if p.codice_fiscale not in ids]
            chosen += [
                spare[i] for i in sorted(self.rng.permutation(len(spare))[: n - len(chosen)])
            ]
        return chosen + (self._new(n - len(chosen)) if len(chosen) < n else [])

    def _first_contact(self) -> dt.date:
        """Mostly after the July 2020 launch; a few pilots from October 2019 (never before
        the programme's start in the settings)."""
        early = self.rng.random() < 0.04
        low = max(cal.EARLY_START if early else cal.ACTIVITY_START, self.begin)
        high = dt.date(2020, 2, 28) if early else self.end - dt.timedelta(days=150)
        return low + dt.timedelta(days=int(self.rng.integers((high - low).days + 1)))

    def _clamp(self, day: dt.date) -> dt.date:
        return min(day, self.end)

    def _group_action(self, action: str, people: list[Person], hours: tuple[float, ...],
                      every: int) -> None:  # fmt: skip
        """Events every ``every`` days or so; each person attends the first after their
        first contact (a few attend a second one too)."""
        by_day: dict[dt.date, list[Person]] = {}
        for person in people:
            day = self._next_event_day(self.start[person.codice_fiscale], every)
            by_day.setdefault(day, []).append(person)
            if self.rng.random() < 0.08:
                later = self._next_event_day(day + dt.timedelta(days=1), every)
                by_day.setdefault(later, []).append(person)
        for day in sorted(by_day):
            event = self._event(day, action, int(self.rng.poisson(4)))
            length = hours[int(self.rng.integers(len(hours)))]
            for person in by_day[day]:
                event.participants += self._row(person, action, day, length)

    def _next_event_day(self, after: dt.date, every: int) -> dt.date:
        """Events fall on a fixed rhythm per chamber (a weekday, every few weeks)."""
        anchor = cal.EARLY_START + dt.timedelta(days=len(self.chamber.code) % 5)
        steps = -(-(after - anchor).days // every)
        return self._clamp(anchor + dt.timedelta(days=max(steps, 0) * every))

    def _training(self, people: list[Person]) -> None:
        """Courses of 4-6 weekly sessions starting every two months; trainees join the first
        course after their orientation and attend most sessions (at least one)."""
        courses: dict[dt.date, list[Person]] = {}
        for person in people:
            ready = self.start[person.codice_fiscale] + dt.timedelta(days=30)
            courses.setdefault(self._next_event_day(ready, 63), []).append(person)
        for begin in sorted(courses):
            sessions = int(self.rng.integers(4, 7))
            titles = self.rng.permutation(len(_TITLES["formazione"]))[:sessions]
            for k, title in enumerate(titles):
                day = self._clamp(begin + dt.timedelta(days=7 * k))
                event = self._event(day, "formazione", 0, title=_TITLES["formazione"][title])
                length = (3.0, 4.0)[int(self.rng.integers(2))]
                for person in courses[begin]:
                    if k == 0 or self.rng.random() < 0.85:
                        event.participants += self._row(person, "formazione", day, length)

    def _individual(self, action: str, people: list[Person]) -> None:
        """One-to-one meetings after the person's first contact, in pathway order."""
        (low, high), hours = _INDIVIDUAL[action]
        delay = {"orientamento": 10, "assistenza": 90, "creazione-impresa": 150, "mentoring": 200}
        for person in people:
            day = self.start[person.codice_fiscale] + dt.timedelta(days=delay[action])
            for _ in range(int(self.rng.integers(low, high + 1))):
                day = self._clamp(day + dt.timedelta(days=int(self.rng.integers(3, 30))))
                self._row(person, action, day, hours[int(self.rng.integers(len(hours)))])

    def _promotion(self) -> None:
        """Promotion and communication events: no register rows, a head count only."""
        for _ in range(int(self.rng.integers(2, 7))):
            day = self._first_contact()
            event = self._event(day, "promozione", int(self.rng.integers(20, 250)))
            event.language = "it"

    def _event(self, day: dt.date, action: str, extra: int, title: str | None = None) -> Event:
        if title is None:
            titles = _TITLES[action]
            title = titles[int(self.rng.integers(len(titles)))]
        # in person before Covid (March 2020), mostly online until autumn 2021
        online = 0.0 if day < dt.date(2020, 3, 1) else 0.7 if day < dt.date(2021, 9, 1) else 0.25
        draw = self.rng.random()
        mode = "online" if draw < online else ("mista" if draw < online + 0.15 else "in presenza")
        language = _LANGUAGES[int(self.rng.choice(len(_LANGUAGES), p=_LANGUAGE_P))]
        event = Event(day, action, title, mode, language, extra)
        self.events.append(event)
        return event

    def _row(self, person: Person, action: str, day: dt.date, hours: float) -> int:
        """Add an attendance row; return 1, or 0 if the person already has that action that
        day (dates clamped to the programme's end can coincide: a register never repeats a
        row)."""
        key = (person.codice_fiscale, action, day)
        if key in self.seen:
            return 0
        self.seen.add(key)
        self.rows.append(Attendance(person, person.residence, action, day, hours))
        return 1

    def _outcomes(self, plans: list[Person], firms: list[Person]) -> None:
        firm_ids = {p.codice_fiscale for p in firms}
        for person in plans:
            if person.codice_fiscale in firm_ids:
                division = _weighted(self.rng, PARTICIPANT_DIVISIONS)
                form = FIRM_FORMS[int(self.rng.choice(len(FIRM_FORMS), p=_FORM_P))]
                self.outcomes[person.codice_fiscale] = Outcome(True, True, division, form)
            else:
                self.outcomes[person.codice_fiscale] = Outcome(business_plan=True)


_LANGUAGE_P = np.array([0.55, 0.15, 0.1, 0.1, 0.04, 0.03, 0.03])


def _weighted(rng: np.random.Generator, choices: tuple[tuple[str, float], ...]) -> str:
    weights = np.array([w for _, w in choices])
    return choices[int(rng.choice(len(choices), p=weights / weights.sum()))][0]


def _move_some(
    rng: np.random.Generator, registers: Registers, chambers: tuple[Chamber, ...]
) -> int:
    """Move the later one-to-one rows of a few people to another chamber (they moved house):
    the same person, now resident there, appears in both registers."""
    movable = ("assistenza", "creazione-impresa", "mentoring", "orientamento")
    candidates = []
    for code in sorted(registers.rows):
        by_person: dict[str, list[Attendance]] = {}
        for row in registers.rows[code]:
            by_person.setdefault(row.person.codice_fiscale, []).append(row)
        for rows in by_person.values():
            later = [r for r in rows if r.action in movable and r.date > min(x.date for x in rows)]
            if later and len({r.action for r in rows}) > 1:
                candidates.append((code, later))
    wanted = round(MOVER_SHARE * sum(len({r.person.codice_fiscale for r in v})
                                     for v in registers.rows.values()))  # fmt: skip
    moved = 0
    for i in sorted(rng.permutation(len(candidates))[:wanted]):
        origin, later = candidates[i]
        target = [c for c in chambers if c.code != origin][int(rng.integers(len(chambers) - 1))]
        province = target.provinces[int(rng.integers(len(target.provinces)))]
        home = Residence(municipality(rng, province)[1], province_sigla(province))
        for row in later:
            registers.rows[origin].remove(row)
            registers.rows[target.code].append(replace(row, residence=home))
        moved += 1
    return moved
