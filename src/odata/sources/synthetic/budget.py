"""The programme's budget ledger: planned, committed and spent by line, chamber and quarter.

Amounts are integer cents throughout, so the planned amounts add up to the programme budget
(settings.programme.budget_eur, 3,220,820.00 EUR) to the cent. The split between lines is an
assumption (no breakdown was published, figures.md D.1). Chambers' planned money follows
their size; what they spend follows what they actually did, quarter by quarter, so that
monitoring can compare money with results. A few anomalies are planted and recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from odata.config import Settings
from odata.sources.synthetic.programme import Plan
from odata.sources.synthetic.registers import Registers
from odata.sources.synthetic.sampling import FloatArray, IntArray, stream, systematic_counts

__all__ = ["Anomaly", "BudgetRow", "build_budget"]

CHAMBER_LINE = "Azioni camerali"
#: Share of the budget per line (assumption): line 2 (the chambers' actions) takes most.
LINES = {
    CHAMBER_LINE: 0.62,
    "Osservatorio": 0.13,
    "Sistema online e cruscotto": 0.09,
    "Coordinamento": 0.07,
    "Comunicazione": 0.05,
    "Cassetto digitale": 0.04,
}


@dataclass(frozen=True)
class BudgetRow:
    """One ledger row; amounts in cents."""

    line: str
    chamber: str  # empty for central lines
    quarter: str  # YYYY-Qn
    planned: int
    committed: int
    spent: int


@dataclass(frozen=True)
class Anomaly:
    """A budget anomaly planted on purpose (for the private manifest)."""

    chamber: str
    kind: str
    detail: str


def build_budget(
    seed: int, plan: Plan, registers: Registers, settings: Settings
) -> tuple[list[BudgetRow], list[Anomaly]]:
    """The ledger rows, sorted by line, chamber and quarter, and the planted anomalies."""
    rng = stream(seed, "budget")
    quarters = _quarters(settings.programme.start, settings.programme.end)
    total = round(settings.programme.budget_eur * 100)
    by_line = dict(zip(LINES, systematic_counts(rng, np.array(list(LINES.values())), total),
                       strict=True))  # fmt: skip
    chambers = [c.code for c in plan.chambers]
    weights = np.array([c.weight for c in plan.chambers])
    shares = 0.5 / len(chambers) + 0.5 * weights / weights.sum()
    per_chamber = systematic_counts(rng, shares, int(by_line[CHAMBER_LINE]))
    anomalies = _pick_anomalies(rng, plan)
    kinds = {a.chamber: a.kind for a in anomalies}
    rows: list[BudgetRow] = []
    for line, amount in by_line.items():
        if line == CHAMBER_LINE:
            continue
        rows += _line_rows(rng, line, "", int(amount), quarters, _central_curve(quarters), "")
    for code, amount in zip(chambers, per_chamber, strict=True):
        activity = _activity(registers, code, quarters)
        rows += _line_rows(rng, CHAMBER_LINE, code, int(amount), quarters, activity,
                           kinds.get(code, ""))  # fmt: skip
    rows.sort(key=lambda r: (r.line, r.chamber, r.quarter))
    return rows, _describe(anomalies, rows)


def _quarters(start: dt.date, end: dt.date) -> list[str]:
    quarters = []
    year, quarter = start.year, (start.month - 1) // 3 + 1
    while (year, quarter) <= (end.year, (end.month - 1) // 3 + 1):
        quarters.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return quarters


def _central_curve(quarters: list[str]) -> FloatArray:
    """Central lines: a slow start after the plan's approval, then steady work."""
    curve = np.ones(len(quarters))
    curve[:2] = 0.4
    return curve


def _activity(registers: Registers, chamber: str, quarters: list[str]) -> FloatArray:
    """Register rows per quarter (plus a small fixed cost every quarter)."""
    index = {q: i for i, q in enumerate(quarters)}
    counts = np.full(len(quarters), 0.5)
    for row in registers.rows[chamber]:
        label = f"{row.date.year}-Q{(row.date.month - 1) // 3 + 1}"
        counts[index[label]] += 1
    return counts


def _line_rows(
    rng: np.random.Generator,
    line: str,
    chamber: str,
    amount: int,
    quarters: list[str],
    activity: FloatArray,
    anomaly: str,
) -> list[BudgetRow]:
    """Plan on a smooth curve, spend along the real activity; committed ≤ planned always,
    spent ≤ committed except where an anomaly says otherwise."""
    smooth = np.convolve(activity, np.ones(3) / 3, mode="same") + activity.mean() * 0.2
    planned = systematic_counts(rng, smooth, amount)
    committed = np.floor(planned * rng.uniform(0.88, 1.0, len(planned))).astype(np.int64)
    use = {"overspend-vs-results": 0.99, "underspend": 0.42}.get(anomaly, rng.uniform(0.8, 0.93))
    spent_total = int(committed.sum() * use)
    spent = _fill(rng, activity, spent_total, committed)
    if anomaly == "spent-above-committed":
        peak = int(np.argmax(activity))
        spent[peak] = int(committed[peak] * 1.12)
    return [
        BudgetRow(line, chamber, q, int(p), int(c), int(s))
        for q, p, c, s in zip(quarters, planned, committed, spent, strict=True)
    ]


def _fill(
    rng: np.random.Generator,
    weights: FloatArray,
    total: int,
    caps: IntArray,
) -> IntArray:
    """Split ``total`` along ``weights`` without any part exceeding its cap: what a capped
    quarter cannot take goes to the quarters with room left."""
    spent = np.zeros(len(caps), dtype=np.int64)
    for _ in range(20):
        room = caps - spent
        remaining = total - int(spent.sum())
        if remaining <= 0 or not (room > 0).any():
            break
        share = np.where(room > 0, weights, 0.0)
        if share.sum() <= 0:
            share = room.astype(np.float64)
        spent += np.minimum(systematic_counts(rng, share, remaining), room)
    return spent


def _pick_anomalies(rng: np.random.Generator, plan: Plan) -> list[Anomaly]:
    """Two lagging chambers that spend as if on track, one that books more than committed in
    a quarter, one that spends little although on track."""
    lagging = [lag.chamber for lag in plan.lags if lag.action != "creazione-impresa"][:2]
    others = [c.code for c in plan.chambers if c.code not in {lag.chamber for lag in plan.lags}]
    picked = [others[i] for i in rng.permutation(len(others))[:2]]
    return [
        *(Anomaly(code, "overspend-vs-results", "") for code in lagging),
        Anomaly(picked[0], "spent-above-committed", ""),
        Anomaly(picked[1], "underspend", ""),
    ]


def _describe(anomalies: list[Anomaly], rows: list[BudgetRow]) -> list[Anomaly]:
    """Fill in each anomaly's detail from the rows actually written."""
    described = []
    for anomaly in anomalies:
        mine = [r for r in rows if r.chamber == anomaly.chamber]
        planned = sum(r.planned for r in mine)
        spent = sum(r.spent for r in mine)
        detail = f"spent {spent / planned:.0%} of planned"
        if anomaly.kind == "spent-above-committed":
            over = [r.quarter for r in mine if r.spent > r.committed]
            detail += f"; spent above committed in {', '.join(over)}"
        described.append(Anomaly(anomaly.chamber, anomaly.kind, detail))
    return sorted(described, key=lambda a: (a.chamber, a.kind))
