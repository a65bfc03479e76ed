"""The programme's plan: its chambers, how many persons each reaches per action, and the lags
planted on purpose so that monitoring has something real to find.

National totals follow the first edition's published results (calibration.NATIONAL_PERSONS).
Each chamber's normal share grows with the square root of the foreign firms in its provinces
(large chambers do more, but every chamber ran the same pathway). A few chambers then lag on
one action: their count is cut to a planted ratio and the other chambers make up the
difference, so national totals stay on the published figures.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from odata.config import Settings
from odata.reference import read_codes
from odata.sources.synthetic import calibration as cal
from odata.sources.synthetic.firm_model import firm_model
from odata.sources.synthetic.sampling import FloatArray, IntArray, stream, systematic_counts

__all__ = ["Chamber", "Lag", "Plan", "plan_programme"]

#: Steps of the pathway, each a subset (mostly) of the one before it.
STEPS = tuple(cal.NATIONAL_PERSONS)
#: Outcomes that follow an action: cut together with it when a chamber lags on it.
FOLLOWS = {"assistenza": ("business_plan",), "creazione-impresa": ("impresa_costituita",)}
#: Lags to plant: (action, ratio of the chamber's normal count). Chambers are drawn from the
#: seed, never the two largest (their lag would move the national totals too much).
LAG_ACTIONS = (
    ("formazione", 0.35),
    ("orientamento", 0.45),
    ("assistenza", 0.40),
    ("informazione", 0.50),
    ("creazione-impresa", 0.0),
)


@dataclass(frozen=True)
class Chamber:
    """A programme chamber: code, name and the provinces (ISTAT codes) it serves."""

    code: str
    name: str
    provinces: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Lag:
    """A planted lag: the chamber's count for an action against its share of the target."""

    chamber: str
    action: str
    ratio_to_normal: float  # planted count / the count it would have had
    expected: int  # the chamber's share of the programme target for this action
    planted: int

    @property
    def ratio_to_target(self) -> float:
        return round(self.planted / self.expected, 3) if self.expected else 0.0


@dataclass(frozen=True)
class Plan:
    """Persons per chamber and step, and what was planted."""

    chambers: tuple[Chamber, ...]
    counts: dict[str, dict[str, int]]  # chamber → step → persons
    lags: tuple[Lag, ...]


def programme_chambers() -> tuple[Chamber, ...]:
    """The chambers flagged ``in_programme`` in the code list, sorted by code."""
    provinces: dict[str, list[str]] = {}
    for row in read_codes("camere_province"):
        provinces.setdefault(row["chamber"], []).append(row["province"])
    model = firm_model()
    foreign = model.province_given_country.T @ model.country_shares
    by_province = dict(zip(model.provinces, foreign, strict=True))
    chambers = []
    for row in sorted(read_codes("camere_commercio"), key=lambda r: r["code"]):
        if row["in_programme"] != "true":
            continue
        served = tuple(sorted(provinces[row["code"]]))
        weight = float(np.sqrt(sum(by_province[p] for p in served)))
        chambers.append(Chamber(row["code"], row["name"], served, weight))
    return tuple(chambers)


def plan_programme(seed: int, settings: Settings) -> Plan:
    """Persons per chamber and step, with the planted lags."""
    rng = stream(seed, "programme-plan")
    chambers = programme_chambers()
    weights = np.array([c.weight for c in chambers])
    weights = weights / weights.sum()
    eligible = [i for i in np.argsort(weights)[:-2]]
    picked = rng.choice(eligible, size=len(LAG_ACTIONS), replace=False)
    lagging = {LAG_ACTIONS[k][0]: (int(i), LAG_ACTIONS[k][1]) for k, i in enumerate(picked)}
    counts: dict[str, IntArray] = {}
    for step in STEPS:
        action = next((a for a, outs in FOLLOWS.items() if step in outs), step)
        factors = np.ones(len(chambers))
        if action in lagging:
            index, ratio = lagging[action]
            factors[index] = ratio
        counts[step] = _allocate(rng, weights, factors, cal.NATIONAL_PERSONS[step])
    _nest(counts)
    lags = tuple(
        _lag(chambers[index].code, index, action, ratio, weights[index], counts, settings)
        for action, (index, ratio) in sorted(lagging.items())
    )
    table = {c.code: {step: int(counts[step][i]) for step in STEPS} for i, c in enumerate(chambers)}
    return Plan(chambers, table, lags)


def _allocate(
    rng: np.random.Generator,
    weights: FloatArray,
    factors: FloatArray,
    total: int,
) -> IntArray:
    """Split ``total`` among chambers: normal shares, cut where a lag is planted, the others
    scaled up so the sum is unchanged."""
    normal = weights * total
    planted = normal * factors
    free = factors == 1.0
    planted[free] *= (total - planted[~free].sum()) / planted[free].sum()
    return systematic_counts(rng, planted, total)


def _nest(counts: dict[str, IntArray]) -> None:
    """Outcomes can never exceed the step that produces them, chamber by chamber."""
    chain = ("assistenza", "business_plan", "creazione-impresa", "impresa_costituita", "mentoring")
    for upper, lower in itertools.pairwise(chain):
        counts[lower] = np.minimum(counts[lower], counts[upper])


def _lag(
    chamber: str,
    index: int,
    action: str,
    ratio: float,
    weight: float,
    counts: dict[str, IntArray],
    settings: Settings,
) -> Lag:
    """A lag as recorded: the chamber's share of the programme target against what it got."""
    target = getattr(settings.programme.targets, cal.TARGET_OF_ACTION[action])
    return Lag(
        chamber=chamber,
        action=action,
        ratio_to_normal=ratio,
        expected=round(target * weight),
        planted=int(counts[action][index]),
    )
