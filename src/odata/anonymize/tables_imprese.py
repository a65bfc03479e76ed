"""Tables of ``imprese-migranti``: firms of the business register, by ownership.

Definitions (also in each table's question and in docs/decisions.md):

* **Ownership** (Unioncamere): ``migrante`` = more than 50 % of the shares held by persons born
  abroad; ``mista`` = a foreign-born share above 0 and up to 50 %; ``nativa`` = the rest.
* **Reference period**: read from the extract, from the first year with a closure to the
  last year with any registration or closure (2019–2024 in the demo extract).
* **Active firm at the end of a year**: registered on or before 31 December and not ceased
  by then. ``anno`` has **no total** (stocks of different years are not summed, as SDMX
  never totals time): each year is protected as its own slice.
* **Demography** (registrations, closures, survival, stocks in one national table, without
  the ownership breakdown: see below): ``coorte`` is the year of registration
  (``ANTE<first year>`` before the period; ``FINO<year>`` = registered up to that year),
  ``stato`` the situation at the end of the period (``CESS<year>`` = ceased
  in that year; ``ATT<year>`` = not ceased by the end of that year). Both are hierarchies
  whose nodes are cumulative, so every figure is a margin of one population and the audit sees
  how stocks, flows and survival tie together. The yearly stocks it shows are also cells of
  ``imprese-attive`` (a :class:`~odata.anonymize.tables.Link`): split by ownership, too many of
  them would be small enough to need hiding on one side only, so flows by ownership wait for
  a model in which one population can hold both stocks by year and the cohort table.
* **Owners of sole proprietorships**: one owner per firm (the largest share if the extract
  lists more), counted as persons (threshold 5), by age reached in the year and continent of
  birth. The extract has no owner identifier, so a person owning two firms counts twice.
* **Employees** (``addetti``, magnitude): the sum over firms active at the end of the last
  year; each firm is its own contributor (owners cannot be linked across firms without an
  identifier, so no grouping of one owner's firms is possible).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from odata.anonymize.model import TOTAL, Dimension, TableKind, TableSpec
from odata.anonymize.tables import (
    AGE_BANDS,
    Aggregate,
    Link,
    TableSet,
    aggregate,
    area_codes,
    area_of_countries,
    cell,
    count_grid,
    encode,
    section_codes,
    section_of_divisions,
    slug,
    spec,
    territory,
    with_total,
)
from odata.config import Settings
from odata.errors import DataError
from odata.ingest.schemas import LEGAL_FORMS, SEXES

__all__ = ["OWNERSHIP", "PACKAGE", "imprese_tables"]

PACKAGE = "imprese-migranti"
OWNERSHIP = ("migrante", "mista", "nativa")
SOLE = slug("ditta individuale")
_NEVER = 9999  # closure year of a firm still active


def imprese_tables(sources: Mapping[str, pa.Table], *, settings: Settings) -> TableSet:
    """The populations of the business-register package (see the module docstring).

    Raises:
        DataError: the extract holds no firm, or a code outside the published code lists.
    """
    del settings  # the reference period comes from the extract itself
    firms, owners = _firms(sources)
    first, last = _period(firms)
    years = tuple(str(y) for y in range(first, last + 1))
    full, provinces, ordered = territory()
    forms = tuple(slug(form) for form in LEGAL_FORMS)
    active = _active(firms, first, last)
    aggregates = (
        _stocks(firms, active, years, full, provinces, ordered, forms),
        _demography(firms, first, last),
        _owners(firms, owners, active, years),
        _employees(firms, active[:, -1], last, full, provinces, ordered),
    )
    links = [
        Link(
            "imprese-attive",
            cell(anno=year),
            "demografia-imprese",
            cell(coorte=_cohort_node(first + i, last), stato=f"ATT{year}"),
            "firms active at the end of a year",
        )
        for i, year in enumerate(years)
    ]
    for year in years:
        for ownership in with_total(OWNERSHIP):
            links.append(
                Link(
                    "imprese-attive",
                    cell(anno=year, titolarita=ownership, forma_giuridica=SOLE),
                    "titolari-ditte-individuali",
                    cell(anno=year, titolarita=ownership),
                    "sole proprietorships active at the end of a year = their owners",
                )
            )
    return TableSet(aggregates=aggregates, links=tuple(links))


# --- firm-level frames (in memory only) ---------------------------------------------------


def _firms(sources: Mapping[str, pa.Table]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Firms with their codes (categoricals over the published code lists), ownership and
    years; the owner of each sole proprietorship (the largest share), by firm row number.

    Vectorised in Arrow: the national register has 6 million firms and 10 million owners.
    """
    if "imprese" not in sources or sources["imprese"].num_rows == 0:
        raise DataError("the business-register extract holds no firm", file="imprese")
    im = sources["imprese"]
    ti = sources.get("titolari")
    if ti is None:
        raise DataError("the business-register extract has no owners (titolari)", file="titolari")
    firm_of_owner = pc.index_in(ti["id_impresa"], value_set=im["id_impresa"].combine_chunks())
    firm_of_owner = firm_of_owner.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if (firm_of_owner < 0).any():
        raise DataError("an owner in titolari belongs to no firm of imprese", file="titolari")
    quota = ti["quota"].to_numpy().astype(np.float64)
    born_abroad = pc.not_equal(ti["paese_nascita"], "IT").to_numpy(zero_copy_only=False)
    share = np.bincount(firm_of_owner, weights=quota * born_abroad, minlength=im.num_rows)
    share = np.round(share, 2)
    ownership = np.where(share > 50, 0, np.where(share > 0, 1, 2))
    divisions = section_of_divisions()
    provinces = territory()[1]
    forms = tuple(slug(form) for form in LEGAL_FORMS)
    closed = pc.year(im["data_cessazione"]).fill_null(_NEVER)
    firms = pd.DataFrame(
        {
            "provincia": encode(im["provincia"], provinces, "provincia", "imprese"),
            "sezione_ateco": encode(
                im["ateco"], section_codes(), "ateco", "imprese", lambda c: divisions.get(c[:2])
            ),
            "forma_giuridica": encode(
                im["forma_giuridica"], forms, "forma_giuridica", "imprese", slug
            ),
            "titolarita": pd.Categorical.from_codes(ownership, categories=list(OWNERSHIP)),
            "iscrizione": pc.year(im["data_iscrizione"]).to_numpy().astype(np.int64),
            "cessazione": closed.to_numpy().astype(np.int64),
            "addetti": im["addetti"].to_numpy().astype(np.int64),
        }
    )
    sole = (firms["forma_giuridica"] == SOLE).to_numpy()[firm_of_owner]
    rows = np.flatnonzero(sole)
    firm, quota = firm_of_owner[rows], quota[rows]
    order = np.lexsort((-quota, firm))  # by firm, the largest share first
    rows, firm = rows[order], firm[order]
    first = np.concatenate([[True], firm[1:] != firm[:-1]]) if len(firm) else np.zeros(0, bool)
    picked = pa.array(rows[first])
    areas = area_of_countries()
    owners = pd.DataFrame(
        {
            "firm": firm[first],
            "area_nascita": encode(
                ti["paese_nascita"].take(picked),
                area_codes(),
                "paese_nascita",
                "titolari",
                areas.get,
            ),
            "sesso": encode(ti["sesso"].take(picked), SEXES, "sesso", "titolari"),
            "anno_nascita": ti["anno_nascita"].take(picked).to_numpy(zero_copy_only=False),
        }
    )
    return firms, owners


def _period(firms: pd.DataFrame) -> tuple[int, int]:
    closed = firms["cessazione"][firms["cessazione"] != _NEVER]
    last = int(max(firms["iscrizione"].max(), closed.max() if len(closed) else 0))
    first = int(closed.min()) if len(closed) else last
    return first, last


def _active(firms: pd.DataFrame, first: int, last: int) -> np.ndarray:
    """Boolean matrix firm × year: active at the end of that year."""
    years = np.arange(first, last + 1)
    registered = firms["iscrizione"].to_numpy()[:, None] <= years[None, :]
    alive = firms["cessazione"].to_numpy()[:, None] > years[None, :]
    result: np.ndarray = registered & alive
    return result


def _year_masks(active: np.ndarray) -> list[np.ndarray]:
    """Rows active at some year end of the period (the ``_T`` rows the suppression model needs
    but nobody sees), then the rows active at the end of each year."""
    anywhen: np.ndarray = np.asarray(active.any(axis=1))
    return [anywhen, *(active[:, i] for i in range(active.shape[1]))]


# --- populations ----------------------------------------------------------------------------


def _stocks(
    firms: pd.DataFrame,
    active: np.ndarray,
    years: tuple[str, ...],
    full: Dimension,
    provinces: tuple[str, ...],
    ordered: tuple[str, ...],
    forms: tuple[str, ...],
) -> Aggregate:
    pop = "imprese-attive"
    codes = {
        "territorio": provinces,
        "sezione_ateco": section_codes(),
        "titolarita": OWNERSHIP,
        "forma_giuridica": forms,
    }
    columns = {"territorio": "provincia", **{n: n for n in list(codes)[1:]}}
    grids = []
    for year, rows in zip((TOTAL, *years), _year_masks(active), strict=True):
        chosen = firms.loc[rows, list(columns.values())]
        chosen.columns = list(columns)
        grids.append(count_grid(chosen, codes, source="imprese").assign(anno=year))
    inner = pd.concat(grids, ignore_index=True)
    anno = Dimension("anno", additive=False, total=False)
    sezione, titolarita, forma = (
        Dimension(n) for n in ("sezione_ateco", "titolarita", "forma_giuridica")
    )
    dims = (anno, full, sezione, titolarita, forma)
    inner = inner[[d.name for d in dims] + ["value"]]
    stock = (
        "Imprese attive al 31 dicembre (registrate e non cessate); gli anni non si sommano.",
        "Firms active on 31 December (registered and not ceased); years are not summed.",
    )
    tables = (
        spec(
            pop,
            PACKAGE,
            "firms",
            "imprese-attive-territorio",
            (anno, full, titolarita),
            title=(
                "Imprese attive per anno, territorio e titolarità",
                "Active firms by year, territory and ownership",
            ),
            question=(
                "Quante imprese migranti, miste e native sono attive in ogni regione e provincia, "
                f"anno per anno? {stock[0]}",
                "How many migrant, mixed and native firms are active in each region and province, "
                f"year by year? {stock[1]}",
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "firms",
            "imprese-attive-settore",
            (anno, sezione, titolarita),
            title=(
                "Imprese attive per anno, sezione ATECO e titolarità",
                "Active firms by year, ATECO section and ownership",
            ),
            question=(
                "In quali settori operano le imprese migranti, rispetto alle altre? " + stock[0],
                "In which sectors do migrant firms work, compared with the others? " + stock[1],
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "firms",
            "imprese-attive-forma",
            (anno, titolarita, forma),
            title=(
                "Imprese attive per anno, titolarità e forma giuridica",
                "Active firms by year, ownership and legal form",
            ),
            question=(
                "Le imprese migranti sono più spesso ditte individuali delle altre? " + stock[0],
                "Are migrant firms more often sole proprietorships than the others? " + stock[1],
            ),
        ),
    )
    codes_out = {
        "anno": years,
        "territorio": ordered,
        "sezione_ateco": section_codes(),
        "titolarita": OWNERSHIP,
        "forma_giuridica": forms,
    }
    return _aggregate(pop, "firms", dims, inner, tables, codes_out)


def _cohort_node(year: int, last: int) -> str:
    """The cohort code "registered up to ``year``" (``_T`` for the last year)."""
    return TOTAL if year == last else f"FINO{year}"


def _status_node(year: int, first: int) -> str:
    """The status code "still active at the end of ``year - 1``" (``_T`` before the period)."""
    return TOTAL if year == first else f"ATT{year - 1}"


def _demography(firms: pd.DataFrame, first: int, last: int) -> Aggregate:
    pop = "demografia-imprese"
    before = f"ANTE{first}"
    span = range(first, last + 1)
    cohort_codes = (before, *(str(y) for y in span))
    status_codes = (*(f"CESS{y}" for y in span), f"ATT{last}")
    registered = firms["iscrizione"].to_numpy()
    closed = firms["cessazione"].to_numpy()
    cohort = np.clip(registered - first + 1, 0, None)
    status = np.where(closed > last, len(span), closed - first)
    if (status < 0).any() or (cohort >= len(cohort_codes)).any() or (closed < registered).any():
        raise DataError("a firm's dates fall outside the extract's period", file="imprese")
    frame = pd.DataFrame(
        {
            "coorte": pd.Categorical.from_codes(cohort, categories=list(cohort_codes)),
            "stato": pd.Categorical.from_codes(status, categories=list(status_codes)),
        }
    )
    cohort_hierarchy = {before: _cohort_node(first, last)}
    status_hierarchy: dict[str, str] = {}
    cohort_order, status_order = [TOTAL, before], [TOTAL]
    for year in span:
        cohort_hierarchy[str(year)] = _cohort_node(year, last)
        status_hierarchy[f"CESS{year}"] = _status_node(year, first)
        status_hierarchy[f"ATT{year}"] = _status_node(year, first)
        cohort_order.append(str(year))
        status_order += [f"CESS{year}", f"ATT{year}"]
        if year < last:
            cohort_hierarchy[f"FINO{year}"] = _cohort_node(year + 1, last)
            cohort_order.append(f"FINO{year}")
    codes = {"coorte": cohort_codes, "stato": status_codes}
    inner = count_grid(frame, codes, source="imprese")
    dims = (
        Dimension("coorte", hierarchy=cohort_hierarchy),
        Dimension("stato", hierarchy=status_hierarchy),
    )
    table = spec(
        pop,
        PACKAGE,
        "firms",
        "demografia-imprese",
        dims,
        title=(
            "Demografia delle imprese: iscrizioni, cessazioni, sopravvivenza e imprese attive",
            "Business demography: registrations, closures, survival and active firms",
        ),
        question=(
            "Quante imprese nascono e chiudono ogni anno, e quante di quelle nate in un anno sono "
            f"ancora attive dopo uno, due… anni? Iscritte nell'anno: coorte=anno, stato=_T; "
            f"cessate nell'anno: coorte=_T, stato=CESS<anno>; coorte <anno> ancora attiva a fine "
            f"<anno2>: stato=ATT<anno2>; attive a fine <anno>: coorte=FINO<anno> (_T per "
            f"{last}), stato=ATT<anno>. {before}: iscritte prima del {first}. ATT<anno> vuol "
            "dire non cessata entro la fine dell'anno (una coorte più recente vi rientra tutta).",
            "How many firms open and close each year, and how many of those born in a year are "
            f"still active one, two… years later? Registered in a year: coorte=year, stato=_T; "
            f"ceased in a year: coorte=_T, stato=CESS<year>; cohort <year> still active at the end "
            f"of <year2>: stato=ATT<year2>; active at the end of <year>: coorte=FINO<year> (_T for "
            f"{last}), stato=ATT<year>. {before}: registered before {first}. ATT<year> means not "
            "ceased by the end of that year (a later cohort falls in it whole).",
        ),
    )
    codes_out = {"coorte": tuple(cohort_order), "stato": tuple(status_order)}
    return _aggregate(pop, "firms", dims, inner, (table,), codes_out)


def _owners(
    firms: pd.DataFrame, owners: pd.DataFrame, active: np.ndarray, years: tuple[str, ...]
) -> Aggregate:
    pop = "titolari-ditte-individuali"
    sole = np.flatnonzero((firms["forma_giuridica"] == SOLE).to_numpy())
    people = owners.set_index("firm").reindex(sole)
    if people["sesso"].isna().any():
        raise DataError("a sole proprietorship has no owner in titolari", file="titolari")
    bands = tuple(band[0] for band in AGE_BANDS)
    lowest = np.array([band[1] for band in AGE_BANDS])
    ownership = firms["titolarita"].cat.codes.to_numpy()[sole]
    born = people["anno_nascita"].to_numpy().astype(np.int64)
    sex = people["sesso"].cat.codes.to_numpy()
    area = people["area_nascita"].cat.codes.to_numpy()
    areas = area_codes()
    codes = {
        "titolarita": OWNERSHIP,
        "sesso": SEXES,
        "classe_eta": bands,
        "area_nascita": areas,
    }
    grids = []
    alive = active[sole]
    last_active = int(years[0]) + alive.shape[1] - 1 - np.argmax(alive[:, ::-1], axis=1)
    for year, rows in zip((TOTAL, *years), _year_masks(alive), strict=True):
        # the _T rows (never published: the year has no total) take the last active year
        reached = last_active[rows] if year == TOTAL else int(year)
        band = np.searchsorted(lowest, reached - born[rows], side="right") - 1
        if (band < 0).any():
            raise DataError("an owner is born after a year of the extract", file="titolari")
        frame = pd.DataFrame(
            {
                "titolarita": pd.Categorical.from_codes(ownership[rows], list(OWNERSHIP)),
                "sesso": pd.Categorical.from_codes(sex[rows], list(SEXES)),
                "classe_eta": pd.Categorical.from_codes(band, list(bands)),
                "area_nascita": pd.Categorical.from_codes(area[rows], list(areas)),
            }
        )
        grids.append(count_grid(frame, codes, source="titolari").assign(anno=year))
    dims = (
        Dimension("anno", additive=False, total=False),
        Dimension("titolarita"),
        Dimension("sesso"),
        Dimension("classe_eta"),
        Dimension("area_nascita"),
    )
    inner = pd.concat(grids, ignore_index=True)[[d.name for d in dims] + ["value"]]
    by = {d.name: d for d in dims}
    note = (
        "Titolari di ditte individuali attive al 31 dicembre (uno per impresa); gli anni non "
        "si sommano.",
        "Owners of sole proprietorships active on 31 December (one per firm); years are not "
        "summed.",
    )
    tables = (
        spec(
            pop,
            PACKAGE,
            "persons",
            "titolari-sesso-eta",
            (by["anno"], by["titolarita"], by["sesso"], by["classe_eta"]),
            title=(
                "Titolari di ditte individuali per anno, titolarità, sesso e classe di età",
                "Owners of sole proprietorships by year, ownership, sex and age band",
            ),
            question=(
                "Gli imprenditori nati all'estero sono più giovani, e più spesso donne, degli "
                f"altri? Età compiuta nell'anno. {note[0]}",
                "Are foreign-born entrepreneurs younger, and more often women, than the others? "
                f"Age reached in the year. {note[1]}",
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "persons",
            "titolari-area-nascita",
            (by["anno"], by["titolarita"], by["area_nascita"]),
            title=(
                "Titolari di ditte individuali per anno, titolarità e area di nascita",
                "Owners of sole proprietorships by year, ownership and area of birth",
            ),
            question=(
                "Da quali aree del mondo provengono i titolari delle ditte individuali migranti? "
                f"Area (UN M49) del paese di nascita. {note[0]}",
                "Which areas of the world do the owners of migrant sole proprietorships come "
                f"from? Area (UN M49) of the country of birth. {note[1]}",
            ),
        ),
    )
    return _aggregate(pop, "persons", dims, inner, tables, {"anno": years, **codes})


def _employees(
    firms: pd.DataFrame,
    active: np.ndarray,
    last: int,
    full: Dimension,
    provinces: tuple[str, ...],
    ordered: tuple[str, ...],
) -> Aggregate:
    pop = f"addetti-{last}"
    keys = ["provincia", "sezione_ateco", "titolarita"]
    chosen = firms.loc[active, [*keys, "addetti"]]
    chosen = chosen.sort_values(
        [*keys, "addetti"], ascending=[True, True, True, False], kind="stable"
    )
    rank = chosen.groupby(keys, observed=True).cumcount().to_numpy()
    staff = chosen["addetti"].to_numpy()
    chosen = chosen.assign(
        contributors=(staff > 0).astype("int64"),
        largest=np.where(rank == 0, staff, 0),
        second=np.where(rank == 1, staff, 0),
    ).rename(columns={"provincia": "territorio"})
    codes = {"territorio": provinces, "sezione_ateco": section_codes(), "titolarita": OWNERSHIP}
    sums = {c: c for c in ("contributors", "largest", "second")}
    inner = count_grid(chosen, codes, values={"value": "addetti", **sums}, source="imprese")
    dims = (full, Dimension("sezione_ateco"), Dimension("titolarita"))
    territorio, sezione, titolarita = dims
    when = (f"al 31 dicembre {last}", f"on 31 December {last}")
    source = (
        f"Somma degli addetti dichiarati al registro delle imprese, imprese attive {when[0]}.",
        f"Sum of the employees declared to the business register, firms active {when[1]}.",
    )
    tables = (
        spec(
            pop,
            PACKAGE,
            "magnitude",
            "addetti-territorio-settore",
            (territorio, sezione),
            title=(
                f"Addetti delle imprese attive {when[0]} per territorio e sezione ATECO",
                f"Employees of firms active {when[1]} by territory and ATECO section",
            ),
            question=(
                f"Dove e in quali settori si concentra il lavoro nelle imprese? {source[0]}",
                f"Where and in which sectors are the jobs in firms? {source[1]}",
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "magnitude",
            "addetti-territorio-titolarita",
            (territorio, titolarita),
            title=(
                f"Addetti delle imprese attive {when[0]} per territorio e titolarità",
                f"Employees of firms active {when[1]} by territory and ownership",
            ),
            question=(
                "Quanti posti di lavoro offrono le imprese migranti in ogni regione e provincia? "
                + source[0],
                "How many jobs do migrant firms provide in each region and province? " + source[1],
            ),
        ),
        spec(
            pop,
            PACKAGE,
            "magnitude",
            "addetti-settore-titolarita",
            (sezione, titolarita),
            title=(
                f"Addetti delle imprese attive {when[0]} per sezione ATECO e titolarità",
                f"Employees of firms active {when[1]} by ATECO section and ownership",
            ),
            question=(
                f"In quali settori lavorano gli addetti delle imprese migranti? {source[0]}",
                f"In which sectors do the employees of migrant firms work? {source[1]}",
            ),
        ),
    )
    codes_out = {"territorio": ordered, "sezione_ateco": section_codes(), "titolarita": OWNERSHIP}
    return _aggregate(pop, "magnitude", dims, inner, tables, codes_out)


def _aggregate(
    pop: str,
    kind: TableKind,
    dims: tuple[Dimension, ...],
    inner: pd.DataFrame,
    tables: tuple[TableSpec, ...],
    codes: Mapping[str, tuple[str, ...]],
) -> Aggregate:
    return aggregate(pop, PACKAGE, kind, dims, inner, tables, codes)
