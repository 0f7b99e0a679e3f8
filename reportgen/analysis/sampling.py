"""Sample rows by bottom-k of a seeded per-row hash, so that batch readers draw the same rows."""

from __future__ import annotations

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's stream increment: 2**64 / golden ratio
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


def _mix64(z: np.ndarray) -> np.ndarray:
    """Apply splitmix64's finaliser: a bijection on uint64 that scatters every input bit."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
    mixed: np.ndarray = z ^ (z >> np.uint64(31))
    return mixed


def row_keys(row_numbers: np.ndarray, seed: int) -> np.ndarray:
    """Give every row a 64-bit key from its file row number and the seed (uint64).

    The key of row r is output r of a splitmix64 stream that starts at mix(seed): distinct
    row numbers get distinct keys (both steps are bijections), and each seed its own order.
    """
    start = _mix64(np.array([seed & MASK64], dtype=np.uint64))[0]
    rows = np.asarray(row_numbers).astype(np.uint64)
    with np.errstate(over="ignore"):
        return _mix64(rows * GOLDEN + start)


def bottom_k(keys: np.ndarray, k: int, *, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Return the positions of the k smallest keys in ascending position (file) order.

    Equal keys are ordered by tiebreak (row numbers, say), then by position, so that the
    choice is a total order: the bottom k of the bottom k of each batch is the bottom k.
    """
    n = int(keys.shape[0])
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k >= n:
        return np.arange(n, dtype=np.int64)
    part = np.argpartition(keys, k - 1)[:k]
    kth = keys[part].max()
    at_boundary = np.count_nonzero(keys == kth)
    if at_boundary == np.count_nonzero(keys[part] == kth):
        return np.sort(part).astype(np.int64)
    # more rows share the k-th key than fit: the tiebreak, not argpartition, picks among them
    below = np.flatnonzero(keys < kth)
    tied = np.flatnonzero(keys == kth)
    if tiebreak is not None:
        tied = tied[np.lexsort((tied, tiebreak[tied]))]
    chosen = np.concatenate([below, tied[: k - below.size]])
    return np.sort(chosen).astype(np.int64)
