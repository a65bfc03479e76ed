"""Owners (``titolari``) of the synthetic firms, vectorized over a chunk of firms.

Shares are built so that each firm's ownership class is the one it was drawn with, under
Unioncamere's rule (figures.md C.1, C.3): **migrant** = persons born abroad hold more than
50 % of the firm, **mixed** = more than 0 and at most 50 % (a few exactly 50/50, the edge of
the rule), **native** = none. The leading owner holds the majority, so the sex of the firm
("led by women") is the leader's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from odata.sources.synthetic.sampling import IntArray

__all__ = ["Owners", "make_owners"]

MIGRANT, MIXED, NATIVE = 0, 1, 2
SOLE, CAPITAL, PARTNERSHIP, COOPERATIVE, OTHER = 0, 1, 2, 3, 4
#: Owners' country index for Italy; foreign countries are 1 + their index in the model.
ITALY = 0
WHOLE = 10_000  # shares are kept in hundredths of a percent, so they sum exactly to 100.00


@dataclass(frozen=True)
class Owners:
    """One row per owner: the firm (row in the chunk), country index, sex, birth year, share."""

    firm: IntArray
    country: IntArray
    female: IntArray
    birth_year: IntArray
    share: IntArray  # hundredths of a percent


def make_owners(
    rng: np.random.Generator,
    *,
    group: IntArray,
    form: IntArray,
    country: IntArray,
    female: IntArray,
    birth_year: IntArray,
    reg_year: IntArray,
    n_countries: int,
) -> Owners:
    """Owners of every firm of a chunk; ``country`` is the firm's foreign country index
    (migrant: the leader's; mixed: the foreign partner's; native: ignored)."""
    count = _owner_counts(rng, group, form)
    firm = np.repeat(np.arange(len(group), dtype=np.int64), count)
    start = np.cumsum(count) - count
    position = np.arange(len(firm), dtype=np.int64) - start[firm]
    share = _shares(rng, group[firm], form[firm], count[firm], position, firm)
    half = count[firm] // 2  # coops: the first `half` members after the leader side with it
    owner_country = _countries(rng, group[firm], form[firm], country[firm], position, half)
    foreign_pick = rng.integers(0, n_countries, size=len(firm)) + 1
    other = (owner_country < 0) & (group[firm] != NATIVE)
    owner_country[other] = foreign_pick[other]
    owner_country[owner_country < 0] = ITALY
    same_sex = np.where(
        (form[firm] == COOPERATIVE) & (position <= half), True, rng.random(len(firm)) < 0.65
    )
    owner_female = np.where((position == 0) | same_sex, female[firm], 1 - female[firm])
    years = birth_year[firm] + np.rint(rng.normal(0, 9, len(firm))).astype(np.int64)
    years = np.where(position == 0, birth_year[firm], years)
    years = np.clip(years, 1925, reg_year[firm] - 18)
    return Owners(firm, owner_country, owner_female.astype(np.int64), years, share)


def _owner_counts(rng: np.random.Generator, group: IntArray, form: IntArray) -> IntArray:
    """How many owners: one for a sole proprietorship, 3-6 members for a cooperative, 1-4
    otherwise; a mixed firm always has at least two (assumption: typical register shapes)."""
    n = len(group)
    mixed = group == MIXED
    capital = np.where(
        mixed,
        rng.choice([2, 3, 4], size=n, p=[0.55, 0.30, 0.15]),
        rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.35, 0.20, 0.10]),
    )
    partnership = rng.choice([2, 3, 4], size=n, p=[0.65, 0.27, 0.08])
    other = np.where(
        mixed,
        rng.choice([2, 3], size=n, p=[0.7, 0.3]),
        rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2]),
    )
    coop = rng.integers(3, 7, size=n)
    counts = np.select(
        [form == SOLE, form == CAPITAL, form == PARTNERSHIP, form == COOPERATIVE],
        [np.ones(n, dtype=np.int64), capital, partnership, coop],
        other,
    )
    return counts.astype(np.int64)


def _shares(
    rng: np.random.Generator,
    group: IntArray,
    form: IntArray,
    count: IntArray,
    position: IntArray,
    firm: IntArray,
) -> IntArray:
    """Shares in hundredths summing to 100.00 per firm; the leader holds the majority (50.00
    to 90.00 for mixed firms, where a 50/50 split is the edge case), cooperatives split
    equally with the leader taking the rounding remainder."""
    leader = rng.integers(5100, 9001, size=len(firm))
    edge = (group == MIXED) & (count == 2) & (rng.random(len(firm)) < 0.10)
    leader = np.where(group == MIXED, np.maximum(leader - 100, 5000), leader)
    leader = np.where(edge, 5000, leader)
    weight = np.where(position == 0, 0.0, rng.uniform(0.2, 1.0, len(firm)))
    total_weight = np.bincount(firm, weights=weight)[firm]
    rest = WHOLE - leader[np.flatnonzero(position == 0)][firm]
    share = np.floor(rest * weight / np.where(total_weight > 0, total_weight, 1)).astype(np.int64)
    share = np.where(position == 0, WHOLE - np.bincount(firm, weights=share)[firm], share)
    equal = WHOLE // count
    coop_share = np.where(position == 0, WHOLE - equal * (count - 1), equal)
    share = np.where(form == COOPERATIVE, coop_share, share)
    return np.where(count == 1, WHOLE, share).astype(np.int64)


def _countries(
    rng: np.random.Generator,
    group: IntArray,
    form: IntArray,
    country: IntArray,
    position: IntArray,
    half: IntArray,
) -> IntArray:
    """Country index per owner; −1 means "another foreign country" (drawn by the caller).

    Migrant: the leader and, in cooperatives, a majority of members are foreign-born;
    partners are mostly compatriots (75 %), else Italian-born (20 %) or other (5 %).
    Mixed: an Italian-born leader, the first partner foreign-born, the others Italian-born
    or foreign-born, never more than half the members of a cooperative.
    """
    draw = rng.random(len(group))
    foreign = country + 1
    coop = form == COOPERATIVE
    migrant_partner = np.where(draw < 0.75, foreign, np.where(draw < 0.95, ITALY, -1))
    migrant_coop = np.where(position <= half, np.where(draw < 0.85, foreign, -1), migrant_partner)
    migrant = np.where(position == 0, foreign, np.where(coop, migrant_coop, migrant_partner))
    mixed_partner = np.where(draw < 0.4, np.where(draw < 0.3, foreign, -1), ITALY)
    mixed_partner = np.where(coop & (position > half), ITALY, mixed_partner)
    mixed = np.where(position == 0, ITALY, np.where(position == 1, foreign, mixed_partner))
    result = np.select([group == MIGRANT, group == MIXED], [migrant, mixed], ITALY)
    return result.astype(np.int64)
