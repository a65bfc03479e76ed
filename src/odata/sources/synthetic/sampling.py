"""Seeded random streams and quota sampling shared by the generators.

Calibration tests compare shares at one point in time with a tolerance of one to three
points. Plain random draws at the default scale (a few hundred migrant firms) would miss by
more than that now and then, so categories are assigned by *quota*: the expected count of
each category is rounded systematically (one random offset, every count within one unit of
its expectation, totals exact) and the resulting labels are shuffled.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "allocate",
    "assign_by_stratum",
    "fit_margins",
    "keep_order",
    "stream",
    "systematic_counts",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def stream(seed: int, *keys: str | int) -> np.random.Generator:
    """An independent generator for one part of the output, from the seed and its name.

    Each file (and each chunk of the business register) draws from its own stream, so adding
    a file or changing a chunk size elsewhere never shifts the numbers of another file.
    """
    spawn = tuple(k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=spawn)))


def systematic_counts(rng: np.random.Generator, expected: FloatArray, total: int) -> IntArray:
    """Integer counts summing to ``total``, each within one unit of ``expected`` (rescaled)."""
    weights = np.clip(np.asarray(expected, dtype=np.float64), 0.0, None)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    cumulative = np.cumsum(weights) / weights.sum() * total
    cumulative[-1] = total
    marks = np.floor(cumulative + rng.random()).astype(np.int64)
    marks[-1] = total
    return np.diff(np.concatenate(([0], marks))).clip(0)


def allocate(rng: np.random.Generator, n: int, probs: FloatArray) -> IntArray:
    """``n`` category indices with quota counts from ``probs``, in random order."""
    counts = systematic_counts(rng, probs, n)
    labels = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    rng.shuffle(labels)
    return labels


def assign_by_stratum(
    rng: np.random.Generator, strata: IntArray, probs: FloatArray, *, order: Sequence[int] = ()
) -> IntArray:
    """A category per row: quota sampling within each stratum, from ``probs[stratum]``.

    ``order`` lists categories whose counts must stay in that (decreasing) order inside each
    stratum, e.g. the published ranking of countries.
    """
    result = np.empty(len(strata), dtype=np.int64)
    by_stratum = np.argsort(strata, kind="stable")
    values, starts = np.unique(strata[by_stratum], return_index=True)
    ends = np.append(starts[1:], len(strata))
    for value, start, end in zip(values, starts, ends, strict=True):
        counts = systematic_counts(rng, probs[value], int(end - start))
        if order:
            counts = keep_order(counts, order)
        labels = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        rng.shuffle(labels)
        result[by_stratum[start:end]] = labels
    return result


def keep_order(counts: IntArray, order: Sequence[int]) -> IntArray:
    """Move single units down the ranking until ``counts[order]`` strictly decreases.

    Only ever needed when two expected counts are within a unit of each other (Romania and
    China differ by 0.6 % of sole proprietorships); the total is unchanged.
    """
    fixed = counts.copy()
    for _ in range(len(order) * 2):
        changed = False
        for upper, lower in itertools.pairwise(order):
            if fixed[lower] >= fixed[upper] and fixed[lower] > 0:
                move = min(int(fixed[lower] - fixed[upper]) + 1, int(fixed[lower]))
                fixed[lower] -= move
                fixed[upper] += move
                changed = True
        if not changed:
            break
    return fixed


def fit_margins(
    seed: FloatArray, rows: FloatArray, cols: FloatArray, iterations: int = 200
) -> FloatArray:
    """Iterative proportional fitting: scale ``seed`` until its margins are ``rows``, ``cols``.

    Keeps the seed's interactions (e.g. Egyptians concentrated in Milano) while meeting the
    published marginal distributions (country shares, province counts) exactly.
    """
    table = np.asarray(seed, dtype=np.float64).copy()
    rows = np.asarray(rows, dtype=np.float64) / np.sum(rows)
    cols = np.asarray(cols, dtype=np.float64) / np.sum(cols)
    for _ in range(iterations):
        table *= (rows / np.maximum(table.sum(axis=1), 1e-300))[:, None]
        table *= (cols / np.maximum(table.sum(axis=0), 1e-300))[None, :]
    return table
