"""Tables of ``progetto-imprese-migranti``: line-2 monitoring of the programme.

Definitions (also in each table's question and in docs/decisions.md):

* A **participant** is a unique person (one HMAC pseudonym of the codice fiscale, in memory
  only). A person counts once per action however many times they attended it; ``azione`` is
  **non-additive**: ``_T`` counts every person once, over all actions.
* A participant's **chamber** is the chamber of their first attendance in the programme. A
  person who moved and attended in two chambers (rare) is counted once, in the first: so
  ``camera`` adds up and its ``_T`` is the unique persons of the whole programme.
* **Quarter**: a person counts in every quarter in which they attended the action (any action,
  in the ``_T`` rows); ``trimestre`` is **non-additive** too: its ``_T`` counts each person
  once. (Counting a person only in the quarter of their first attendance of each action would
  add up over quarters, but then no per-quarter total over actions can be both ≥ every action
  and ≤ their sum, which the non-additive ``azione`` requires.)
* **Age band** at the first attendance in the programme; **area of origin**: UN M49 area of
  the country of birth, or of citizenship for those born in Italy; ``_U`` when both are Italy
  (second generation with Italian citizenship: the origin is not recorded).
* **Business plans** and **firms created** are persons (``sì`` in the register), counted in
  their chamber as above: the person rule (threshold 5) applies.
* **Event attendance** sums the participants reported for each event: a person at three events
  counts three times. It is a count of persons (threshold 5), so attendance below 5 in a cell
  is never shown, which is the events list's rule applied to published cells.
* **Events** (how many were held) and the **budget** are the programme's public activity and
  public money, about no person: not subject to disclosure control (``controlled=False``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import pyarrow as pa

from odata.anonymize.model import TOTAL, Dimension, TableKind, TableSpec
from odata.anonymize.pseudonym import pseudonymize
from odata.anonymize.tables import (
    AGE_BANDS,
    Aggregate,
    Link,
    TableSet,
    action_codes,
    age_band,
    aggregate,
    area_codes,
    area_of_countries,
    cell,
    count_grid,
    programme_chambers,
    quarter,
    quarters_between,
    section_codes,
    section_of_divisions,
    slug,
    spec,
    with_total,
)
from odata.config import Settings
from odata.ingest.schemas import GENERATIONS, LEGAL_FORMS, MODES, SEXES

__all__ = ["PACKAGE", "progetto_tables"]

PACKAGE = "progetto-imprese-migranti"
UNKNOWN = "_U"
NO_CHAMBER = "_Z"  # budget lines of the central coordination: no chamber
_REGISTER_COLUMNS = (
    "camera",
    "codice_fiscale",
    "sesso",
    "data_nascita",
    "paese_nascita",
    "cittadinanza",
    "generazione",
    "azione",
    "data_azione",
    "business_plan",
    "impresa_costituita",
    "ateco_impresa",
    "forma_giuridica_impresa",
)
_MEASURES = (
    ("previsto", "pianificati", "planned"),
    ("impegnato", "impegnati", "committed"),
    ("speso", "spesi", "spent"),
)


def progetto_tables(sources: Mapping[str, pa.Table], *, key: bytes, settings: Settings) -> TableSet:
    """The populations of the programme package (see the module docstring)."""
    quarters = quarters_between(
        pd.Timestamp(settings.programme.start), pd.Timestamp(settings.programme.end)
    )
    chambers = programme_chambers()
    actions = action_codes()
    rows = _attendances(sources, key)
    people = _persons(rows)
    firsts = _first_per_action(rows, people)
    aggregates = (
        _participants_by_chamber(rows, people, chambers, actions, quarters),
        _participants_profile(firsts, people, actions),
        _business_plans(people, chambers),
        _firms_created(people, chambers),
        _event_attendance(sources, chambers, actions, quarters),
        _events(sources, chambers, actions, quarters),
        *_budget(sources, chambers, quarters),
    )
    links = tuple(
        Link(
            "partecipanti-camere",
            cell(azione=action),
            "partecipanti",
            cell(azione=action),
            "unique participants of an action, over all chambers and quarters",
        )
        for action in with_total(actions)
    )
    return TableSet(aggregates=aggregates, links=links)


# --- person-level frames (in memory only) -------------------------------------------------


def _attendances(sources: Mapping[str, pa.Table], key: bytes) -> pd.DataFrame:
    """Every register row with a pseudonym instead of the codice fiscale."""
    tables = [sources[name] for name in sorted(sources) if name.startswith("registro/")]
    tables = [t.select(list(_REGISTER_COLUMNS)) for t in tables]
    if tables:
        table = pa.concat_tables(tables)
    else:
        table = pa.table({c: pa.array([], pa.string()) for c in _REGISTER_COLUMNS})
    pid = pseudonymize(table["codice_fiscale"], key)
    table = table.drop_columns(["codice_fiscale"]).append_column("pid", pid)
    frame = table.to_pandas(date_as_object=False)
    for column in ("data_nascita", "data_azione"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _persons(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per person: home chamber, first attendance, profile, outcomes."""
    ordered = rows.sort_values(["pid", "data_azione", "camera", "azione"], kind="stable")
    first = ordered.drop_duplicates("pid").set_index("pid")
    areas = area_of_countries()
    born = first["paese_nascita"].map(areas)
    citizen = first["cittadinanza"].map(areas)
    area = born.where(first["paese_nascita"] != "IT", citizen.where(first["cittadinanza"] != "IT"))
    created = ordered[ordered["impresa_costituita"].astype(bool)].drop_duplicates("pid")
    created = created.set_index("pid")
    divisions = section_of_divisions()
    people = pd.DataFrame(
        {
            "camera": first["camera"],
            "first": first["data_azione"],
            "sesso": first["sesso"],
            "generazione": first["generazione"],
            "area_origine": area.fillna(UNKNOWN).astype(str),
            "classe_eta": age_band(_age(first["data_nascita"], first["data_azione"])),
            "business_plan": ordered.groupby("pid")["business_plan"].any(),
            "sezione_ateco": created["ateco_impresa"].map(divisions),
            "forma_giuridica": created["forma_giuridica_impresa"].map(
                lambda text: slug(text) if isinstance(text, str) else text
            ),
        }
    )
    people["impresa_costituita"] = people["sezione_ateco"].notna()
    return people.reset_index()


def _first_per_action(rows: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """One row per person and action: the first attendance, with the person's profile."""
    ordered = rows.sort_values(["pid", "azione", "data_azione"], kind="stable")
    firsts = ordered.drop_duplicates(["pid", "azione"])[["pid", "azione", "data_azione"]]
    return firsts.merge(people.drop(columns=["first"]), on="pid", how="left", validate="m:1")


def _age(birth: pd.Series, when: pd.Series) -> pd.Series:
    """Age in whole years on ``when``."""
    years = when.dt.year - birth.dt.year
    before = (when.dt.month < birth.dt.month) | (
        (when.dt.month == birth.dt.month) & (when.dt.day < birth.dt.day)
    )
    return years - before.astype(int)


# --- populations ----------------------------------------------------------------------------


def _participants_by_chamber(
    rows: pd.DataFrame,
    people: pd.DataFrame,
    chambers: tuple[str, ...],
    actions: tuple[str, ...],
    quarters: tuple[str, ...],
) -> Aggregate:
    pop = "partecipanti-camere"
    home = people.set_index("pid")["camera"]
    attended = pd.DataFrame(
        {
            "pid": rows["pid"].to_numpy(),
            "camera": rows["pid"].map(home).to_numpy(),
            "azione": rows["azione"].to_numpy(),
            "trimestre": quarter(rows["data_azione"]).to_numpy(),
        }
    )
    parts = []
    for keep in (["azione", "trimestre"], ["azione"], ["trimestre"], []):
        unique = attended.drop_duplicates(["pid", "camera", *keep])
        totals = {n: TOTAL for n in ("azione", "trimestre") if n not in keep}
        parts.append(unique.assign(**totals))
    codes = {
        "camera": chambers,
        "azione": with_total(actions),
        "trimestre": with_total(quarters),
    }
    inner = count_grid(pd.concat(parts, ignore_index=True), codes, source="registri")
    dims = (
        Dimension("camera"),
        Dimension("azione", additive=False),
        Dimension("trimestre", additive=False),
    )
    table = spec(
        pop,
        PACKAGE,
        "persons",
        "partecipanti-camera-azione-trimestre",
        dims,
        title=(
            "Partecipanti per camera di commercio, azione e trimestre",
            "Participants by chamber of commerce, action and quarter",
        ),
        question=(
            "Quante persone diverse ha raggiunto ogni camera di commercio con ciascuna azione, "
            "trimestre per trimestre? Persone che hanno partecipato all'azione nel trimestre, "
            "ciascuna una volta, nella camera della sua prima partecipazione al programma. Azioni "
            "e trimestri non si sommano: il totale (_T) conta ogni persona una volta sola.",
            "How many different people did each chamber of commerce reach with each action, "
            "quarter by quarter? People who attended the action in the quarter, each once, in the "
            "chamber of their first attendance in the programme. Actions and quarters do not add "
            "up: their total (_T) counts each person once.",
        ),
    )
    return _aggregate(pop, "persons", dims, inner, (table,), codes)


def _participants_profile(
    firsts: pd.DataFrame, people: pd.DataFrame, actions: tuple[str, ...]
) -> Aggregate:
    pop = "partecipanti"
    profile = ["sesso", "classe_eta", "area_origine", "generazione"]
    per_action = firsts[["azione", *profile]]
    overall = people[profile].assign(azione=TOTAL)
    codes = {
        "azione": with_total(actions),
        "sesso": SEXES,
        "classe_eta": tuple(band[0] for band in AGE_BANDS),
        "area_origine": (*area_codes(), UNKNOWN),
        "generazione": GENERATIONS,
    }
    inner = count_grid(pd.concat([per_action, overall]), codes, source="registri")
    dims = (
        Dimension("azione", additive=False),
        Dimension("sesso"),
        Dimension("classe_eta"),
        Dimension("area_origine"),
        Dimension("generazione"),
    )
    by = {d.name: d for d in dims}
    tables = (
        spec(
            pop,
            PACKAGE,
            "persons",
            "partecipanti-azione-sesso-eta",
            (by["azione"], by["sesso"], by["classe_eta"]),
            title=(
                "Partecipanti per azione, sesso e classe di età",
                "Participants by action, sex and age band",
            ),
            question=(
                "Chi partecipa a ciascuna azione, per sesso ed età alla prima partecipazione "
                "al programma? Persone diverse; il totale delle azioni conta ogni persona una "
                "volta.",
                "Who takes part in each action, by sex and by age at the first attendance in "
                "the programme? Different people; the total over actions counts each person once.",
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "persons",
            "partecipanti-azione-origine-generazione",
            (by["azione"], by["area_origine"], by["generazione"]),
            title=(
                "Partecipanti per azione, area di origine e generazione",
                "Participants by action, area of origin and generation",
            ),
            question=(
                "Da quali aree del mondo provengono i partecipanti di ciascuna azione, e sono "
                "di prima o di seconda generazione? Area del paese di nascita, o di cittadinanza "
                "per chi è nato in Italia (_U: nati in Italia con cittadinanza italiana).",
                "Which areas of the world do each action's participants come from, and are they "
                "first or second generation? Area of the country of birth, or of citizenship for "
                "those born in Italy (_U: born in Italy with Italian citizenship).",
            ),
        ),
    )
    return _aggregate(pop, "persons", dims, inner, tables, codes)


def _business_plans(people: pd.DataFrame, chambers: tuple[str, ...]) -> Aggregate:
    pop = "business-plan"
    codes = {"camera": chambers}
    inner = count_grid(people[people["business_plan"]][["camera"]], codes, source="registri")
    dims = (Dimension("camera"),)
    table = spec(
        pop,
        PACKAGE,
        "persons",
        "business-plan-camera",
        dims,
        title=(
            "Persone che hanno consegnato un business plan, per camera di commercio",
            "People who delivered a business plan, by chamber of commerce",
        ),
        question=(
            "Quante persone hanno scritto un business plan con il sostegno di ciascuna camera? "
            "(obiettivo del programma: almeno 400)",
            "How many people wrote a business plan with each chamber's support? "
            "(programme target: at least 400)",
        ),
    )
    return _aggregate(pop, "persons", dims, inner, (table,), codes)


def _firms_created(people: pd.DataFrame, chambers: tuple[str, ...]) -> Aggregate:
    pop = "imprese-costituite"
    created = people[people["impresa_costituita"]]
    codes = {
        "camera": chambers,
        "sezione_ateco": section_codes(),
        "forma_giuridica": tuple(slug(form) for form in LEGAL_FORMS),
    }
    inner = count_grid(created[list(codes)], codes, source="registri")
    dims = (Dimension("camera"), Dimension("sezione_ateco"), Dimension("forma_giuridica"))
    by = {d.name: d for d in dims}
    target = (
        "(obiettivo: almeno 60 imprese a titolarità migrante o mista)",
        "(target: at least 60 firms with migrant or mixed ownership)",
    )
    tables = (
        spec(
            pop,
            PACKAGE,
            "persons",
            "imprese-costituite-camera",
            (by["camera"],),
            title=(
                "Partecipanti che hanno costituito un'impresa, per camera di commercio",
                "Participants who founded a firm, by chamber of commerce",
            ),
            question=(
                f"Quanti partecipanti hanno avviato un'impresa, per camera? {target[0]}",
                f"How many participants started a firm, by chamber? {target[1]}",
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "persons",
            "imprese-costituite-settore",
            (by["sezione_ateco"],),
            title=(
                "Partecipanti che hanno costituito un'impresa, per sezione ATECO",
                "Participants who founded a firm, by ATECO section",
            ),
            question=(
                "In quali settori hanno avviato un'impresa i partecipanti? Si contano le persone.",
                "In which sectors did participants start a firm? People are counted.",
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "persons",
            "imprese-costituite-forma",
            (by["forma_giuridica"],),
            title=(
                "Partecipanti che hanno costituito un'impresa, per forma giuridica",
                "Participants who founded a firm, by legal form",
            ),
            question=(
                "Con quale forma giuridica hanno avviato un'impresa i partecipanti?",
                "With which legal form did participants start a firm?",
            ),
        ),
    )
    return _aggregate(pop, "persons", dims, inner, tables, codes)


def _events_frame(sources: Mapping[str, pa.Table]) -> pd.DataFrame:
    columns = ["camera", "data", "azione", "modalita", "partecipanti"]
    tables = [sources[n].select(columns) for n in sorted(sources) if n.startswith("eventi/")]
    if not tables:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = pa.concat_tables(tables).to_pandas(date_as_object=False)
    frame["trimestre"] = quarter(frame["data"])
    frame["modalita"] = frame["modalita"].map(slug)
    return frame


def _event_attendance(
    sources: Mapping[str, pa.Table],
    chambers: tuple[str, ...],
    actions: tuple[str, ...],
    quarters: tuple[str, ...],
) -> Aggregate:
    pop = "partecipazioni-eventi"
    events = _events_frame(sources)
    codes = {"camera": chambers, "azione": actions, "trimestre": quarters}
    inner = count_grid(events, codes, values={"value": "partecipanti"}, source="eventi")
    dims = (Dimension("camera"), Dimension("azione"), Dimension("trimestre"))
    table = spec(
        pop,
        PACKAGE,
        "persons",
        "partecipazioni-eventi",
        dims,
        title=(
            "Partecipazioni agli eventi per camera di commercio, azione e trimestre",
            "Event attendance by chamber of commerce, action and quarter",
        ),
        question=(
            "Quante presenze hanno registrato gli eventi di ciascuna camera, per azione e "
            "trimestre? Somma dei partecipanti dichiarati per evento: chi partecipa a tre "
            "eventi conta tre volte. Le celle sotto 5 presenze non sono mostrate.",
            "How much attendance did each chamber's events draw, by action and quarter? The sum "
            "of the participants reported per event: a person at three events counts three "
            "times. Cells below 5 attendances are not shown.",
        ),
    )
    return _aggregate(pop, "persons", dims, inner, (table,), codes)


def _events(
    sources: Mapping[str, pa.Table],
    chambers: tuple[str, ...],
    actions: tuple[str, ...],
    quarters: tuple[str, ...],
) -> Aggregate:
    pop = "eventi"
    events = _events_frame(sources)
    codes = {
        "camera": chambers,
        "azione": actions,
        "trimestre": quarters,
        "modalita": tuple(slug(mode) for mode in MODES),
    }
    inner = count_grid(events, codes, source="eventi")
    dims = tuple(Dimension(name) for name in codes)
    by = {d.name: d for d in dims}
    tables = (
        spec(
            pop,
            PACKAGE,
            "magnitude",
            "eventi-camera-azione-trimestre",
            (by["camera"], by["azione"], by["trimestre"]),
            title=(
                "Eventi per camera di commercio, azione e trimestre",
                "Events by chamber of commerce, action and quarter",
            ),
            question=(
                "Quanti eventi ha organizzato ogni camera, per azione e trimestre?",
                "How many events did each chamber hold, by action and quarter?",
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "magnitude",
            "eventi-azione-modalita",
            (by["azione"], by["modalita"]),
            title=("Eventi per azione e modalità", "Events by action and format"),
            question=(
                "Gli eventi si sono svolti in presenza, online o in forma mista?",
                "Were the events held in person, online or in a hybrid format?",
            ),
        ),
    )
    return _aggregate(pop, "magnitude", dims, inner, tables, codes, controlled=False)


def _aggregate(
    pop: str,
    kind: TableKind,
    dims: tuple[Dimension, ...],
    inner: pd.DataFrame,
    tables: tuple[TableSpec, ...],
    codes: Mapping[str, Sequence[str]],
    *,
    controlled: bool = True,
    decimals: int = 0,
) -> Aggregate:
    return aggregate(
        pop, PACKAGE, kind, dims, inner, tables, codes, controlled=controlled, decimals=decimals
    )


def _budget(
    sources: Mapping[str, pa.Table], chambers: tuple[str, ...], quarters: tuple[str, ...]
) -> tuple[Aggregate, ...]:
    ledger = sources["budget"].to_pandas() if "budget" in sources else pd.DataFrame()
    if ledger.empty:
        ledger = pd.DataFrame(columns=["voce", "camera", "trimestre", *(m for m, *_ in _MEASURES)])
    ledger["voce"] = ledger["voce"].astype(str).map(slug)
    ledger["camera"] = ledger["camera"].fillna(NO_CHAMBER).replace("", NO_CHAMBER)
    lines = tuple(sorted(set(ledger["voce"])))
    codes = {"voce": lines, "camera": (*chambers, NO_CHAMBER), "trimestre": quarters}
    dims = tuple(Dimension(name) for name in codes)
    aggregates = []
    for measure, participle, english in _MEASURES:
        cents = (ledger[measure].astype(float) * 100).round().astype("int64")
        frame = ledger[list(codes)].assign(cents=cents)
        inner = count_grid(frame, codes, values={"value": "cents"}, source="budget")
        pop = f"budget-{measure}"
        table = spec(
            pop,
            PACKAGE,
            "magnitude",
            pop,
            dims,
            title=(
                f"Budget del programma: importi {participle} per voce, camera e trimestre (EUR)",
                f"Programme budget: amounts {english} by line, chamber and quarter (EUR)",
            ),
            question=(
                f"Quanto è stato {measure} per ciascuna voce di bilancio e camera, trimestre per "
                f"trimestre? Euro, IVA inclusa; camera {NO_CHAMBER}: voci centrali.",
                f"How much was {english} on each budget line and chamber, quarter by quarter? "
                f"Euro, VAT included; chamber {NO_CHAMBER}: central lines.",
            ),
        )
        aggregates.append(
            _aggregate(pop, "magnitude", dims, inner, (table,), codes, controlled=False, decimals=2)
        )
    return tuple(aggregates)
