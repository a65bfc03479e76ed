"""Dates in a source's declared format (%d, %m and %Y), checked strictly and fast.

Arrow's own ``strptime`` turns 30/02 into 01/03 without a word, so zero-padded cells (the
usual case) are parsed from their bytes with numpy, checking the day against the month; the
few cells of another width ("1/2/2024") go through Python's strict ``strptime``.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_dates"]

_EPOCH = dt.date(1970, 1, 1)
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def parse_dates(text: pa.Array, present: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 and a validity mask for each cell, in ``fmt`` (%d, %m, %Y).

    Zero-padded cells (the usual case) are parsed from their bytes with numpy, checking the
    day against the month: Arrow's own ``strptime`` turns 30/02 into 01/03 without a word.
    Cells of another width ("1/2/2024") go through Python's strict ``strptime``.
    """
    layout = _layout(fmt)
    width = sum(size for _, size in layout)
    lengths = pc.binary_length(text).to_numpy(zero_copy_only=False)
    days = np.zeros(len(text), dtype=np.int64)
    ok = np.zeros(len(text), dtype=bool)
    fixed = present & (lengths == width)
    rows = np.flatnonzero(fixed)
    if rows.size:
        subset = text if rows.size == len(text) else text.take(pa.array(rows))
        days[rows], ok[rows] = _parse_fixed(_byte_matrix(subset, width), layout)
    for row in np.flatnonzero(present & ~fixed):
        try:
            parsed = dt.datetime.strptime(text[row].as_py(), fmt).date()
        except ValueError:
            continue
        days[row], ok[row] = (parsed - _EPOCH).days, True
    return days, ok


def _layout(fmt: str) -> list[tuple[str, int]]:
    """``%d/%m/%Y`` → [("d", 2), ("/", 1), ("m", 2), ("/", 1), ("Y", 4)]."""
    parts: list[tuple[str, int]] = []
    for token in re.findall(r"%[dmY]|.", fmt):
        if token.startswith("%") and len(token) == 2:
            parts.append((token[1], 4 if token == "%Y" else 2))
        else:
            parts.append((token, 1))
    return parts


def _byte_matrix(text: pa.Array, width: int) -> np.ndarray:
    """The UTF-8 bytes of equal-width cells as an (n, width) matrix, without copying."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset :]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
    start = int(offsets[0])
    return data[start : start + len(text) * width].reshape(len(text), width)


def _parse_fixed(
    matrix: np.ndarray, layout: list[tuple[str, int]]
) -> tuple[np.ndarray, np.ndarray]:
    ok = np.ones(len(matrix), dtype=bool)
    fields: dict[str, np.ndarray] = {}
    position = 0
    for token, size in layout:
        block = matrix[:, position : position + size]
        if token in "dmY" and size > 1:
            ok &= ((block >= 48) & (block <= 57)).all(axis=1)
            digits = block.astype(np.int64) - 48
            fields[token] = digits @ (10 ** np.arange(size - 1, -1, -1))
        else:
            ok &= block[:, 0] == ord(token)
        position += size
    year, month, day = fields["Y"], fields["m"], fields["d"]
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    month = np.where(ok, month, 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok &= day <= _DAYS_IN_MONTH[month - 1] + ((month == 2) & leap)
    year, day = np.where(ok, year, 1970), np.where(ok, day, 1)
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    days = (months.astype("datetime64[D]") + (day - 1)).astype(np.int64)
    return days, ok
