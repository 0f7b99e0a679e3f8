"""Sparse confusion counts: each (true, predicted) pair of coded labels that occurs, with how
often, so that memory grows with the pairs that occur and never with classes squared."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairCounts:
    """Sparse confusion counts: each (true, predicted) pair that occurs, with its count.

    Pairs are sorted by (true, predicted); codes and counts are int64. Memory grows with the
    pairs that occur, never with the square of the number of classes.
    """

    k: int
    true: np.ndarray
    pred: np.ndarray
    count: np.ndarray

    @classmethod
    def from_codes(
        cls, true_codes: np.ndarray, pred_codes: np.ndarray, n_labels: int
    ) -> PairCounts:
        """Count the (true, predicted) pairs of coded labels."""
        flat = true_codes.astype(np.int64, copy=False) * n_labels + pred_codes
        cells, counts = np.unique(flat, return_counts=True)
        return cls._from_cells(cells, counts.astype(np.int64), n_labels)

    @classmethod
    def from_dense(cls, cm: np.ndarray) -> PairCounts:
        """Take the non-zero cells of a dense matrix (rows true)."""
        rows, cols = np.nonzero(cm)
        k = int(cm.shape[0])
        return cls(k, rows.astype(np.int64), cols.astype(np.int64), cm[rows, cols].astype(np.int64))

    @classmethod
    def _from_cells(cls, cells: np.ndarray, counts: np.ndarray, k: int) -> PairCounts:
        """Split flat cell numbers (true * k + predicted) into pairs; drop empty cells."""
        keep = counts != 0
        cells, counts = cells[keep], counts[keep]
        return cls(k, cells // max(k, 1), cells % max(k, 1), counts)

    @classmethod
    def combine(cls, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], k: int) -> PairCounts:
        """Add up (true, pred, count) triples, in any order and with repeats, in k classes."""
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return cls(k, empty, empty, empty)
        flat = np.concatenate([t.astype(np.int64) * k + p for t, p, _ in parts])
        counts = np.concatenate([c for _, _, c in parts])
        cells, inverse = np.unique(flat, return_inverse=True)
        return cls._from_cells(cells, count_by_code(inverse.ravel(), counts, cells.size), k)

    def remapped(self, remap: np.ndarray, k: int) -> PairCounts:
        """Renumber the codes by old code -> new code, in k classes."""
        return PairCounts.combine([(remap[self.true], remap[self.pred], self.count)], k)

    def support(self) -> np.ndarray:
        """True samples per class (the row sums)."""
        return count_by_code(self.true, self.count, self.k)

    def predicted(self) -> np.ndarray:
        """Predictions per class (the column sums)."""
        return count_by_code(self.pred, self.count, self.k)

    def diagonal(self) -> np.ndarray:
        """Correct predictions per class."""
        on = self.true == self.pred
        return count_by_code(self.true[on], self.count[on], self.k)

    def total(self) -> int:
        """Every counted prediction."""
        return int(self.count.sum())

    def dense(self, indices: np.ndarray | list[int] | None = None) -> np.ndarray:
        """The dense matrix among some classes (all by default; only for few classes)."""
        idx = np.arange(self.k) if indices is None else np.asarray(indices, dtype=np.int64)
        position = np.full(self.k, -1, dtype=np.int64)
        position[idx] = np.arange(idx.size)
        rows, cols = position[self.true], position[self.pred]
        both = (rows >= 0) & (cols >= 0)
        out = np.zeros((idx.size, idx.size), dtype=np.int64)
        np.add.at(out, (rows[both], cols[both]), self.count[both])
        return out


def count_by_code(codes: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """Add up counts by code into an int64 vector of length k."""
    # float sums of integer counts are exact far beyond any file's number of rows
    sums = np.bincount(codes, weights=counts.astype(np.float64), minlength=k)
    return np.rint(sums).astype(np.int64)
