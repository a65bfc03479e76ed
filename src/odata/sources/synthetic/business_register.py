"""The business-register extract (``imprese``, ``titolari``), generated and written in chunks.

Each chunk is a scaled-down copy of the national model (firm_model.py) with its own random
stream, built with numpy arrays and written with pyarrow's CSV writer: memory stays bounded
by the chunk size whatever the scale (~6 million firms at scale 600).

The extract holds every firm registered on 1 January 2019 or later up to 31 December 2024,
with its closure date if it closed in that window (docs/calibration.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from odata.sources.synthetic import calibration as cal
from odata.sources.synthetic.firm_model import GROUPS, FirmModel, firm_model
from odata.sources.synthetic.owners import make_owners
from odata.sources.synthetic.sampling import (
    FloatArray,
    IntArray,
    assign_by_stratum,
    stream,
    systematic_counts,
)
from odata.sources.synthetic.sectors import CHINESE_MANUFACTURING, SECTION_CODES

__all__ = ["CHUNK_ROWS", "FIRM_COLUMNS", "OWNER_COLUMNS", "write_business_register"]

log = logging.getLogger(__name__)

CHUNK_ROWS = 500_000
FIRM_COLUMNS = (
    "id_impresa",
    "provincia",
    "ateco",
    "forma_giuridica",
    "data_iscrizione",
    "data_cessazione",
    "addetti",
)
OWNER_COLUMNS = ("id_impresa", "paese_nascita", "sesso", "anno_nascita", "quota")
EPOCH = dt.date(1970, 1, 1)
OLDEST = (dt.date(1950, 1, 1) - EPOCH).days
NO_DATE = np.iinfo(np.int64).max
#: REA-like numbers: an affine permutation of the row number (the multiplier is prime to 9·10ⁿ).
REA_MULTIPLIER, REA_OFFSET = 7_368_787, 1_234_567


@dataclass(frozen=True)
class RegisterCounts:
    """What was written, for the private manifest (counts only, no records)."""

    firms: int
    owners: int
    stock_by_group: dict[str, int]  # registered on the calibration date


def write_business_register(
    folder: Path,
    *,
    seed: int,
    scale: float,
    progress: Callable[[str, int], None] | None = None,
) -> RegisterCounts:
    """Write ``imprese.csv`` and ``titolari.csv`` under ``folder``; return what was written."""
    model = firm_model()
    total = max(1, round(cal.ROWS_PER_SCALE * scale))
    folder.mkdir(parents=True, exist_ok=True)
    owners = 0
    stock = dict.fromkeys(GROUPS, 0)
    with (
        (folder / "imprese.csv").open("wb") as firms_file,
        (folder / "titolari.csv").open("wb") as owners_file,
    ):
        firm_writer = _writer(firms_file, FIRM_COLUMNS)
        owner_writer = _writer(owners_file, OWNER_COLUMNS)
        for index, start in enumerate(range(0, total, CHUNK_ROWS)):
            size = min(CHUNK_ROWS, total - start)
            firms, titolari, alive = _chunk(stream(seed, "imprese", index), size, start, model)
            firm_writer.write_table(firms)
            owner_writer.write_table(titolari)
            owners += titolari.num_rows
            for g, name in enumerate(GROUPS):
                stock[name] += alive[g]
            log.debug("imprese · chunk %d · %d firms", index, size)
            if progress:
                progress("registro-imprese/imprese.csv", size)
        firm_writer.close()
        owner_writer.close()
    return RegisterCounts(firms=total, owners=owners, stock_by_group=stock)


def _writer(handle: BinaryIO, columns: tuple[str, ...]) -> pacsv.CSVWriter:
    """A CSV writer with an unquoted header (pyarrow quotes it; the values never need it)."""
    handle.write((",".join(columns) + "\n").encode())
    schema = pa.schema([(name, pa.string()) for name in columns])
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    return pacsv.CSVWriter(handle, schema, write_options=options)


def _chunk(
    rng: np.random.Generator, size: int, offset: int, model: FirmModel
) -> tuple[pa.Table, pa.Table, list[int]]:
    """One chunk of firms and their owners, and the firms registered on the calibration day."""
    group, reg, close = _population(rng, size, model)
    order = rng.permutation(size)
    group, reg, close = group[order], reg[order], close[order]
    calibration_day = (cal.CALIBRATION_DATE - EPOCH).days
    alive = ((reg <= calibration_day) & (close > calibration_day)).astype(np.int64)
    attrs = _attributes(rng, group, alive, model)
    reg_year = _years(reg)
    people = make_owners(
        rng,
        group=group,
        form=attrs["form"],
        country=attrs["country"],
        female=attrs["female"],
        birth_year=_birth_years(rng, group, alive, reg_year),
        reg_year=reg_year,
        n_countries=len(model.countries),
    )
    ids = _ids(attrs["province"], offset, model)
    firms = pa.table(
        {
            "id_impresa": ids,
            "provincia": _take(model.provinces, attrs["province"]),
            "ateco": _take(_ALL_CODES, attrs["ateco"]),
            "forma_giuridica": _take(cal.LEGAL_FORMS, attrs["form"]),
            "data_iscrizione": _dates(reg),
            "data_cessazione": _dates(close),
            "addetti": pa.array(_employees(rng, group, attrs["form"])).cast(pa.string()),
        }
    )
    owners = pa.table(
        {
            "id_impresa": ids.take(pa.array(people.firm)),
            "paese_nascita": _take(("IT", *model.countries), people.country),
            "sesso": _take(("M", "F"), people.female),
            "anno_nascita": pa.array(people.birth_year).cast(pa.string()),
            "quota": _percent(people.share),
        }
    )
    stock = [int(alive[group == g].sum()) for g in range(len(GROUPS))]
    return firms, owners, stock


def _population(
    rng: np.random.Generator, size: int, model: FirmModel
) -> tuple[IntArray, IntArray, IntArray]:
    """Group, registration day and closure day of every firm of a chunk (days since 1970).

    The chunk's counts per group and cohort are the national ones times size / national
    rows, rounded systematically so they sum to ``size``.
    """
    fraction = size / model.national_rows
    cohorts = np.column_stack([model.groups_stock, model.groups_births])  # [group, cohort]
    counts = systematic_counts(rng, cohorts.ravel() * fraction, size).reshape(cohorts.shape)
    groups, regs, closes = [], [], []
    for g in range(len(GROUPS)):
        reg = _registrations(rng, counts[g], cal.MEAN_AGE_YEARS[GROUPS[g]])
        expected = model.groups_deaths[g] * fraction
        deaths = systematic_counts(rng, expected, round(float(expected.sum())))
        groups.append(np.full(len(reg), g, dtype=np.int64))
        regs.append(reg)
        closes.append(_closures(rng, reg, deaths))
    return np.concatenate(groups), np.concatenate(regs), np.concatenate(closes)


def _registrations(rng: np.random.Generator, counts: IntArray, mean_age: float) -> IntArray:
    """Registration days: the stock before the window by an exponential age, then uniform
    days within each year of the window."""
    start = (cal.EXTRACT_START - EPOCH).days
    age = np.ceil(rng.exponential(mean_age * 365.25, int(counts[0]))).astype(np.int64)
    parts = [np.maximum(start - np.maximum(age, 1), OLDEST)]
    for year, n in zip(cal.YEARS, counts[1:], strict=True):
        first, last = _year_bounds(year)
        parts.append(rng.integers(first, last + 1, size=int(n)))
    return np.concatenate(parts).astype(np.int64)


def _closures(rng: np.random.Generator, reg: IntArray, deaths: IntArray) -> IntArray:
    """Closure days: each year, that year's number of closures among the firms alive, young
    firms (under three years) likelier to close (weighted sampling without replacement)."""
    close = np.full(len(reg), NO_DATE, dtype=np.int64)
    for year, wanted in zip(cal.YEARS, deaths, strict=True):
        first, last = _year_bounds(year)
        candidates = np.flatnonzero((reg < last) & (close == NO_DATE))
        n = min(int(wanted), len(candidates))
        if n <= 0:
            continue
        weight = np.where(reg[candidates] > first - 3 * 365, cal.YOUNG_FIRM_HAZARD, 1.0)
        keys = np.log(rng.random(len(candidates))) / weight
        chosen = candidates[np.argpartition(-keys, n - 1)[:n]]
        low = np.maximum(reg[chosen] + 1, first)
        close[chosen] = low + np.floor(rng.random(n) * (last - low + 1)).astype(np.int64)
    return close


def _attributes(
    rng: np.random.Generator, group: IntArray, alive: IntArray, model: FirmModel
) -> dict[str, IntArray]:
    """Legal form, country, province, section, ATECO code and sex of the leader, by quota
    within strata that include "registered on the calibration day", so that the measured
    stock matches the calibration shares to a unit."""
    n = len(group)
    form, country, province, section, female = (np.zeros(n, dtype=np.int64) for _ in range(5))
    for g, name in enumerate(GROUPS):
        rows = np.flatnonzero(group == g)
        live = alive[rows]
        form[rows] = assign_by_stratum(rng, live, _twice(np.array(cal.LEGAL_FORM_SHARES[name])))
        if name == "native":
            province[rows] = assign_by_stratum(rng, live, _twice(model.province_native))
            section[rows] = assign_by_stratum(rng, live, _twice(model.section_native))
            female[rows] = assign_by_stratum(rng, live, _twice(_pair(cal.FEMALE_SHARE[name])))
            continue
        sole = (form[rows] == 0).astype(np.int64)
        order = [model.countries.index(c) for c in cal.PUBLISHED_ORDER]
        shares = np.tile(model.country_shares, (4, 1))
        country[rows] = assign_by_stratum(rng, live * 2 + sole, shares, order=order)
        if name == "mixed":
            province[rows] = assign_by_stratum(rng, live, _twice(model.province_mixed))
            section[rows] = assign_by_stratum(rng, live, _twice(model.section_mixed))
            female[rows] = assign_by_stratum(rng, live, _twice(_pair(cal.FEMALE_SHARE[name])))
            continue
        strata = country[rows] * 2 + live
        province[rows] = assign_by_stratum(
            rng, strata, np.repeat(model.province_given_country, 2, 0)
        )
        section[rows] = assign_by_stratum(rng, strata, np.repeat(model.section_given_country, 2, 0))
        women = np.column_stack([1 - model.female_given_country, model.female_given_country])
        female[rows] = assign_by_stratum(rng, strata, np.repeat(women, 2, 0))
    chinese = (group == 0) & (country == model.countries.index("CN"))
    ateco = _ateco(rng, section, chinese)
    return {"form": form, "country": country, "province": province, "ateco": ateco,
            "female": female}  # fmt: skip


def _ateco(rng: np.random.Generator, section: IntArray, chinese: IntArray) -> IntArray:
    """A subcategory within each firm's section (index into _ALL_CODES)."""
    result = np.zeros(len(section), dtype=np.int64)
    for s, letter in enumerate(cal.SECTIONS):
        rows = np.flatnonzero(section == s)
        if letter == "C":
            special = rows[chinese[rows].astype(bool)]
            result[special] = _pick(rng, CHINESE_MANUFACTURING, len(special))
            rows = rows[~chinese[rows].astype(bool)]
        result[rows] = _pick(rng, SECTION_CODES[letter], len(rows))
    return result


def _pick(rng: np.random.Generator, choices: tuple[tuple[str, float], ...], n: int) -> IntArray:
    weights = np.array([w for _, w in choices], dtype=np.float64)
    index = np.array([_CODE_INDEX[code] for code, _ in choices])
    return index[rng.choice(len(choices), size=n, p=weights / weights.sum())]


def _birth_years(
    rng: np.random.Generator, group: IntArray, alive: IntArray, reg_year: IntArray
) -> IntArray:
    """Leader's birth year from the age bands at the calibration date, never younger than 18
    when the firm was registered.

    Band counts are quotas per group and stratum; the young bands go to the firms whose
    leaders can be young (recent firms), with some noise so that firm age and leader age are
    related but not locked together. Leaders of very old firms are aged as needed.
    """
    calibration_year = cal.CALIBRATION_DATE.year
    youngest = 18 + np.maximum(0, calibration_year - reg_year)
    years = np.zeros(len(group), dtype=np.int64)
    bands = np.array(cal.AGE_BANDS)
    for g, name in enumerate(GROUPS):
        for live in (0, 1):
            rows = np.flatnonzero((group == g) & (alive == live))
            counts = systematic_counts(rng, np.array(cal.AGE_SHARES[name]), len(rows))
            order = rows[np.argsort(youngest[rows] + rng.uniform(0, 15, len(rows)), kind="stable")]
            band = np.repeat(np.arange(len(counts)), counts)
            low = np.maximum(bands[band, 0], youngest[order])
            high = np.maximum(bands[band, 1], low)
            years[order] = calibration_year - rng.integers(low, high + 1)
    return years


def _employees(rng: np.random.Generator, group: IntArray, form: IntArray) -> IntArray:
    """Employees (magnitude only): sole proprietorships mostly 0-2, companies log-normal
    with a long tail, migrant companies smaller (assumption)."""
    n = len(group)
    sole = np.where(rng.random(n) < 0.12, 0, 1 + rng.geometric(0.6, n) - 1)
    result = sole.astype(np.float64)
    for f, name in enumerate(cal.LEGAL_FORMS):
        if name in cal.EMPLOYEES_LOGNORMAL:
            mu, sigma = cal.EMPLOYEES_LOGNORMAL[name]
            result = np.where(form == f, np.exp(rng.normal(mu, sigma, n)), result)
    factor = np.where((group == 0) & (form != 0), cal.MIGRANT_EMPLOYEE_FACTOR, 1.0)
    return np.clip(np.rint(result * factor), 0, cal.EMPLOYEES_CAP).astype(np.int64)


def _ids(province: IntArray, offset: int, model: FirmModel) -> pa.Array:
    """REA-like ids ``MI-1234567``: province sigla and a number unique in the whole file.

    The number is an affine permutation of the row number onto 1,000,000-9,999,999 (eight
    digits beyond nine million rows): unique, yet in no visible order.
    """
    rows = np.arange(offset, offset + len(province), dtype=np.int64)
    low = 1_000_000 if offset + len(province) <= 9_000_000 else 10_000_000
    numbers = low + (rows * REA_MULTIPLIER + REA_OFFSET) % (9 * low)
    sigla = _take(model.sigle, province)
    return pc.binary_join_element_wise(sigla, pa.array(numbers).cast(pa.string()), "-")


def _take(values: tuple[str, ...], index: IntArray) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index))


def _dates(days: IntArray) -> pa.Array:
    missing = days == NO_DATE
    safe = np.where(missing, 0, days).astype(np.int32)
    return pa.array(safe, pa.int32(), mask=missing).cast(pa.date32()).cast(pa.string())


def _percent(hundredths: IntArray) -> pa.Array:
    """Shares as ``33.33`` (two decimals, point: the InfoCamere extract's dialect)."""
    whole = pa.array(hundredths // 100).cast(pa.string())
    cents = pc.utf8_lpad(pa.array(hundredths % 100).cast(pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, cents, ".")


def _years(days: IntArray) -> IntArray:
    return (days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970).astype(
        np.int64
    )


def _year_bounds(year: int) -> tuple[int, int]:
    return (dt.date(year, 1, 1) - EPOCH).days, (dt.date(year, 12, 31) - EPOCH).days


def _twice(probs: FloatArray) -> FloatArray:
    """The same probabilities for both strata (closed / registered on the calibration day)."""
    return np.tile(np.asarray(probs, dtype=np.float64), (2, 1))


def _pair(p: float) -> FloatArray:
    return np.array([1.0 - p, p])


_ALL_CODES: tuple[str, ...] = tuple(
    sorted({code for codes in SECTION_CODES.values() for code, _ in codes})
)
_CODE_INDEX = {code: i for i, code in enumerate(_ALL_CODES)}
