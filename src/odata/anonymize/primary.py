"""Primary suppression rules: which published cells are too small or too dominated to show.

* **persons** (counts of people): a count ``1 ≤ n < person_threshold`` (T = 5) is confidential;
* **firms** (counts of firms): ``1 ≤ n < firm_threshold`` (T = 3);
* **magnitude** (employees, amounts): fewer than ``min_contributors`` contributors (but at
  least one), or the p%-rule fails: with ``x1 ≥ x2`` the two largest contributions (firms under
  one owner already combined into one contribution) the rest of the cell,
  ``value - x1 - x2``, is smaller than ``p/100 · x1``, so the second largest contributor could
  estimate the largest one to within p percent.

A published zero is never confidential (an empty cell says nothing about a person or a firm).

A **singleton** is a confidential cell whose value one unit knows by itself: a count of 1, or a
magnitude with one contributor. Its unit can subtract itself from the margins, which
:mod:`odata.anonymize.suppress` takes into account.

The parameters of the magnitude rules are private: they live in ``.odata/private.toml``, never
in public text, and nothing here logs them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from odata.anonymize.model import TableKind

__all__ = ["Thresholds", "primary_mask", "protection_level", "singleton_mask"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_TOL = 1e-9


@dataclass(frozen=True)
class Thresholds:
    """The primary rules' parameters (private: never written to public text)."""

    person_threshold: int = 5
    firm_threshold: int = 3
    min_contributors: int = 3
    p_percent: float = 10.0

    def count_threshold(self, kind: TableKind) -> int:
        """T of a count population (the smallest count that may be shown); 0 for magnitudes."""
        if kind == "persons":
            return self.person_threshold
        if kind == "firms":
            return self.firm_threshold
        return 0


def primary_mask(
    kind: TableKind,
    value: FloatArray,
    thresholds: Thresholds,
    *,
    contributors: FloatArray | None = None,
    largest: FloatArray | None = None,
    second: FloatArray | None = None,
) -> BoolArray:
    """Which cells fail their primary rule (True = confidential).

    ``value`` is the cell value; magnitude cells also need ``contributors``, ``largest`` and
    ``second``. Raises :class:`ValueError` when a magnitude rule lacks its inputs.
    """
    value = np.asarray(value, dtype=np.float64)
    if kind != "magnitude":
        threshold = thresholds.count_threshold(kind)
        return (value >= 1 - _TOL) & (value < threshold - _TOL)
    if contributors is None or largest is None or second is None:
        raise ValueError("a magnitude population needs contributors, largest and second")
    n = np.asarray(contributors, dtype=np.float64)
    x1 = np.asarray(largest, dtype=np.float64)
    x2 = np.asarray(second, dtype=np.float64)
    few = (n >= 1) & (n < thresholds.min_contributors)
    rest = value - x1 - x2
    dominated = (n >= 1) & (rest < thresholds.p_percent / 100.0 * x1 - _TOL)
    return few | dominated


def singleton_mask(
    kind: TableKind, value: FloatArray, contributors: FloatArray | None = None
) -> BoolArray:
    """Cells whose value a single unit knows by itself (a count of 1, one contributor)."""
    if kind != "magnitude":
        return np.abs(np.asarray(value, dtype=np.float64) - 1.0) < _TOL
    if contributors is None:
        raise ValueError("a magnitude population needs contributors")
    one: BoolArray = np.asarray(contributors, dtype=np.float64) == 1
    return one


def protection_level(
    value: FloatArray, largest: FloatArray, second: FloatArray, p_percent: float
) -> FloatArray:
    """The p%-rule's protection level: how far either way an interval should reach (≥ 0).

    A suppressed magnitude cell is well protected when an attacker's interval extends at
    least this much above and below the true value (``p/100 · x1 - (value - x1 - x2)``).
    """
    x1 = np.asarray(largest, dtype=np.float64)
    rest = np.asarray(value, dtype=np.float64) - x1 - np.asarray(second, dtype=np.float64)
    return np.maximum(p_percent / 100.0 * x1 - rest, 0.0)
