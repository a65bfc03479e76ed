"""The national model behind the synthetic business register, built once from calibration.py.

It turns the published figures into the distributions the chunk generator samples from:
stocks, registrations and closures per ownership group and year; the foreign firms'
countries of birth with their provinces and sectors (fitted so that both the country shares
and the province or sector shares are met); the native firms' provinces and sectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from odata.reference import read_codes
from odata.sources.synthetic import calibration as cal
from odata.sources.synthetic.sampling import FloatArray, fit_margins

__all__ = ["GROUPS", "FirmModel", "firm_model"]

#: Ownership groups in the order used by every array (Unioncamere's definitions).
GROUPS = ("migrant", "mixed", "native")


@dataclass(frozen=True)
class FirmModel:
    """Distributions for sampling firms; every array is indexed as documented per field."""

    groups_stock: FloatArray  # [group] firms registered on EXTRACT_START (national)
    groups_births: FloatArray  # [group, year] registrations
    groups_deaths: FloatArray  # [group, year] closures
    provinces: tuple[str, ...]  # ISTAT historic codes
    sigle: tuple[str, ...]  # province sigla, same order
    regions: tuple[str, ...]  # region code of each province
    countries: tuple[str, ...]  # ISO alpha-2 of the foreign countries of birth
    country_shares: FloatArray  # [country]
    province_given_country: FloatArray  # [country, province]
    section_given_country: FloatArray  # [country, section]
    female_given_country: FloatArray  # [country]
    province_mixed: FloatArray  # [province]
    province_native: FloatArray  # [province]
    section_mixed: FloatArray  # [section]
    section_native: FloatArray  # [section]

    @property
    def national_rows(self) -> float:
        """Firms alive at any time in the extract's window, nationally."""
        return float(self.groups_stock.sum() + self.groups_births.sum())


@cache
def firm_model() -> FirmModel:
    """The model (cached: it depends only on calibration.py and the code lists)."""
    stock, births, deaths = _flows()
    provinces, sigle, regions, foreign, native = _territory()
    countries, shares = _countries()
    by_province = _province_given_country(countries, shares, provinces, regions, foreign)
    migrant_sections = _section_vector("migrant")
    native_sections = _section_vector("native")
    total_firms = foreign + native
    return FirmModel(
        groups_stock=stock,
        groups_births=births,
        groups_deaths=deaths,
        provinces=provinces,
        sigle=sigle,
        regions=regions,
        countries=countries,
        country_shares=shares,
        province_given_country=by_province,
        section_given_country=_section_given_country(countries, shares, migrant_sections),
        female_given_country=_female_given_country(countries, shares),
        province_mixed=_normalise(foreign / foreign.sum() + total_firms / total_firms.sum()),
        province_native=_normalise(native),
        section_mixed=_normalise(migrant_sections + native_sections),
        section_native=native_sections,
    )


def group_stocks(year: int) -> tuple[float, float, float]:
    """National registered firms at the end of ``year`` by group (migrant, mixed, native)."""
    total = cal.FOREIGN_STOCK[year] / cal.FOREIGN_SHARE[year]
    mixed = cal.MIXED_SHARE * total
    return cal.FOREIGN_STOCK[year], mixed, total - cal.FOREIGN_STOCK[year] - mixed


def _flows() -> tuple[FloatArray, FloatArray, FloatArray]:
    """Stock on EXTRACT_START, registrations and closures by group and year.

    Closures close the stock identity stock(y) = stock(y−1) + registered − closed, so the
    end-of-year stocks (and the foreign share) follow the published path exactly.
    """
    first = cal.YEARS[0] - 1
    stock = np.array(group_stocks(first), dtype=np.float64)
    births = np.zeros((len(GROUPS), len(cal.YEARS)))
    deaths = np.zeros((len(GROUPS), len(cal.YEARS)))
    previous = stock
    for j, year in enumerate(cal.YEARS):
        current = np.array(group_stocks(year), dtype=np.float64)
        rate = cal.OTHER_REGISTRATION_RATE[year]
        births[:, j] = (cal.FOREIGN_REGISTRATIONS[year], rate * previous[1], rate * previous[2])
        deaths[:, j] = previous + births[:, j] - current
        previous = current
    if (deaths < 0).any():
        raise ValueError("calibration: registrations too low for the stock path")
    return stock, births, deaths


def _territory() -> tuple[
    tuple[str, ...], tuple[str, ...], tuple[str, ...], FloatArray, FloatArray
]:
    """Provinces with their foreign and native firm weights (figures.md B.5)."""
    rows = [r for r in read_codes("territori") if r["level"] == "province"]
    rows.sort(key=lambda r: r["code"])
    codes = tuple(r["code"] for r in rows)
    regions = tuple(r["parent"] for r in rows)
    population = np.array([cal.POPULATION[c] for c in codes], dtype=np.float64)
    firms = np.zeros(len(codes))
    foreign = np.zeros(len(codes))
    for region in sorted(set(regions)):
        inside = np.array([r == region for r in regions])
        firms[inside] = cal.FIRMS_BY_REGION[region] * population[inside] / population[inside].sum()
        served = [c for c, r in zip(codes, regions, strict=True) if r == region]
        foreign[inside] = _split_region(region, served, firms[inside])
    native = np.clip(firms * (1 - cal.MIXED_SHARE) - foreign, 0.01 * firms, None)
    return codes, tuple(r["sigla"] for r in rows), regions, foreign, native


def _split_region(region: str, codes: list[str], firms: FloatArray) -> FloatArray:
    """Foreign firms of a region split among its provinces: published incidences and shares
    where known, the region's own incidence elsewhere, the region's total kept."""
    total = cal.FOREIGN_BY_REGION[region]
    incidence = total / cal.FIRMS_BY_REGION[region]
    split = firms * incidence
    fixed = np.zeros(len(codes), dtype=bool)
    for i, code in enumerate(codes):
        if code in cal.PROVINCE_INCIDENCE:
            split[i], fixed[i] = firms[i] * cal.PROVINCE_INCIDENCE[code], True
        elif code in cal.PROVINCE_SHARE_OF_REGION:
            split[i], fixed[i] = total * cal.PROVINCE_SHARE_OF_REGION[code], True
    rest = total - split[fixed].sum()
    if (~fixed).any():
        split[~fixed] *= max(rest, 0.0) / split[~fixed].sum()
    return split


def _countries() -> tuple[tuple[str, ...], FloatArray]:
    """Foreign countries of birth and their shares (published top nine, then the rest)."""
    top = dict(cal.TOP_COUNTRIES)
    rest = {**cal.OTHER_COUNTRIES, **cal.RETURNING_EMIGRANTS}
    scale = (100.0 - sum(top.values())) / sum(rest.values())
    shares = {**top, **{code: weight * scale for code, weight in rest.items()}}
    return tuple(shares), np.array(list(shares.values())) / 100.0


def _province_given_country(
    countries: tuple[str, ...],
    shares: FloatArray,
    provinces: tuple[str, ...],
    regions: tuple[str, ...],
    foreign: FloatArray,
) -> FloatArray:
    """P(province | country): community concentrations, fitted to both margins."""
    seed = np.outer(shares, foreign / foreign.sum())
    column = {code: j for j, code in enumerate(provinces)}
    south = np.array([r in cal.SOUTH_REGIONS for r in regions])
    for i, country in enumerate(countries):
        for province, tilt in cal.COUNTRY_PROVINCE_TILT.get(country, {}).items():
            seed[i, column[province]] *= tilt
        if country in cal.RETURNING_EMIGRANTS:
            seed[i, south] *= cal.RETURNING_SOUTH_TILT
    return _rows(fit_margins(seed, shares, foreign))


def _section_vector(group: str) -> FloatArray:
    return _normalise(np.array([cal.SECTION_SHARES[group][s] for s in cal.SECTIONS]))


def _section_given_country(
    countries: tuple[str, ...], shares: FloatArray, sections: FloatArray
) -> FloatArray:
    """P(section | country): community specialisations, fitted to both margins."""
    seed = np.outer(shares, sections)
    column = {code: j for j, code in enumerate(cal.SECTIONS)}
    for i, country in enumerate(countries):
        tilts = cal.COUNTRY_SECTION_TILT.get(country, {})
        if country in cal.RETURNING_EMIGRANTS:
            tilts = cal.RETURNING_SECTION_TILT
        for section, tilt in tilts.items():
            seed[i, column[section]] *= tilt
    return _rows(fit_margins(seed, shares, sections))


def _female_given_country(countries: tuple[str, ...], shares: FloatArray) -> FloatArray:
    """Women's share by country: published where known, the rest scaled to the total."""
    known = np.array([c in cal.FEMALE_BY_COUNTRY for c in countries])
    values = np.array([cal.FEMALE_BY_COUNTRY.get(c, 0.0) for c in countries])
    weight = shares / shares.sum()
    rest = (cal.FEMALE_SHARE["migrant"] - (weight * values)[known].sum()) / weight[~known].sum()
    values[~known] = rest
    return values


def _rows(table: FloatArray) -> FloatArray:
    rows: FloatArray = table / table.sum(axis=1, keepdims=True)
    return rows


def _normalise(values: FloatArray) -> FloatArray:
    return np.asarray(values, dtype=np.float64) / float(np.sum(values))
