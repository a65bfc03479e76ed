"""Duplicate keys over millions of rows, found in small cache-friendly pieces.

One hash table of 6 million firm ids does not fit in the processor's cache, and checking it
took longer than reading the whole file. So each batch's keys are split, as the batch goes
by, into partitions by their last two bytes (equal keys always land in the same partition),
and at the end each partition is checked on its own: many small hash tables instead of one
large one. Batches and the rows inside a partition stay in file order, so "first occurrence"
means the earliest row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["KeyPartitions", "partition_keys"]

PARTITIONS = 256

Pieces = list[tuple[int, pa.Array, np.ndarray]]  # (partition, keys, their data rows)


def partition_keys(keys: pa.Array, offset: int) -> Pieces:
    """Split one batch's non-null keys by partition; rows are numbered from ``offset``."""
    valid = np.flatnonzero(keys.is_valid().to_numpy(zero_copy_only=False))
    if not valid.size:
        return []
    part = _partition_of(keys)[valid]
    order = valid[np.argsort(part, kind="stable")]
    counts = np.bincount(part, minlength=PARTITIONS)
    ordered = keys.take(pa.array(order))
    pieces: Pieces = []
    start = 0
    for number, count in enumerate(counts):
        if count:
            rows = order[start : start + count] + offset
            pieces.append((number, ordered.slice(start, int(count)), rows))
            start += int(count)
    return pieces


def _partition_of(keys: pa.Array) -> np.ndarray:
    """A partition number per key, from its last two bytes (the most varied, in ids)."""
    offsets = np.frombuffer(keys.buffers()[1], dtype=np.int32)[
        keys.offset : keys.offset + len(keys) + 1
    ]
    data = (
        np.frombuffer(keys.buffers()[2], dtype=np.uint8)
        if keys.buffers()[2]
        else np.zeros(1, np.uint8)
    )
    ends, lengths = offsets[1:], np.diff(offsets)
    last = np.where(lengths >= 1, data[np.maximum(ends - 1, 0)], 0).astype(np.int64)
    before = np.where(lengths >= 2, data[np.maximum(ends - 2, 0)], 0).astype(np.int64)
    # uint8: numpy sorts it with a radix sort, in linear time
    partition: np.ndarray = ((last * 31 + before * 7 + lengths) % PARTITIONS).astype(np.uint8)
    return partition


@dataclass
class KeyPartitions:
    """The pieces of one key column, added batch after batch in file order."""

    pieces: list[Pieces] = field(default_factory=list)

    def add(self, batch_pieces: Pieces) -> None:
        self.pieces.append(batch_pieces)

    def repeated_rows(self) -> np.ndarray:
        """Data rows whose key an earlier row already has, in file order."""
        keys: list[list[pa.Array]] = [[] for _ in range(PARTITIONS)]
        rows: list[list[np.ndarray]] = [[] for _ in range(PARTITIONS)]
        for batch in self.pieces:
            for number, piece_keys, piece_rows in batch:
                keys[number].append(piece_keys)
                rows[number].append(piece_rows)
        repeated = [
            _repeats(pa.concat_arrays(keys[n]), np.concatenate(rows[n]))
            for n in range(PARTITIONS)
            if keys[n]
        ]
        return np.sort(np.concatenate(repeated)) if repeated else np.zeros(0, dtype=np.intp)


def _repeats(keys: pa.Array, rows: np.ndarray) -> np.ndarray:
    if len(pc.unique(keys)) == len(keys):
        return np.zeros(0, dtype=np.intp)  # the usual case: one small hash pass
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    later = np.ones(len(keys), dtype=bool)
    later[first] = False
    repeated: np.ndarray = rows[later]
    return repeated
