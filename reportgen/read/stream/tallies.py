"""Mergeable partial aggregates folded batch by batch: counts, sums and kept rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.confusion_counts import PairCounts
from reportgen.analysis.sampling import row_keys
from reportgen.read.table import PredictionTable, label_text


@dataclass
class Keep:
    """Keep, per group, the k rows with the smallest keys (bottom-k): mergeable, seeded.

    Ties between keys go to the smaller row number. With one group, rows whose key cannot
    beat the k-th kept one are turned away before they are copied (`cutoff`).
    """

    k: int
    frames: list[pd.DataFrame] = field(default_factory=list)
    pending: int = 0
    cutoff: Any = None  # the k-th smallest key once one group is full; None before

    def admits(self, keys: np.ndarray) -> np.ndarray:
        """Which of these keys could still be kept (a mask)."""
        if self.k <= 0:
            return np.zeros(keys.shape, dtype=bool)
        if self.cutoff is None:
            return np.ones(keys.shape, dtype=bool)
        return np.asarray(keys <= self.cutoff)

    def offer(self, rows: pd.DataFrame) -> None:
        """Add candidate rows (columns _row, _key, _group and the row's cells)."""
        if self.k <= 0 or rows.empty:
            return
        self.frames.append(rows)
        self.pending += len(rows)
        if self.pending > self.k + max(self.k // 4, 65_536):
            self._prune()

    def _prune(self) -> None:
        whole = (
            pd.concat(self.frames, ignore_index=True) if len(self.frames) > 1 else self.frames[0]
        )
        group = whole["_group"].to_numpy()
        order = np.lexsort((whole["_row"].to_numpy(), whole["_key"].to_numpy(), group))
        if group.size and (group == group[0]).all():
            chosen = order[: self.k]
            if len(chosen) == self.k:
                self.cutoff = whole["_key"].to_numpy()[chosen[-1]]
        else:
            ranked = group[order]
            starts = np.r_[0, np.flatnonzero(ranked[1:] != ranked[:-1]) + 1]
            rank = np.arange(ranked.size) - np.repeat(starts, np.diff(np.r_[starts, ranked.size]))
            chosen = order[rank < self.k]
        self.frames = [whole.take(np.sort(chosen)).reset_index(drop=True)]
        self.pending = len(self.frames[0])

    def rows(self) -> pd.DataFrame:
        """The kept rows, in file order."""
        if not self.frames:
            return pd.DataFrame()
        self._prune()
        return self.frames[0].sort_values("_row", kind="stable").reset_index(drop=True)


@dataclass
class Labels:
    """The labels met so far, in order of discovery, with a global code each."""

    texts: list[str] = field(default_factory=list)
    code: dict[str, int] = field(default_factory=dict)
    numeric: bool = True

    def codes_for(self, table: PredictionTable) -> np.ndarray:
        """Map a batch's label codes to global codes (adding labels not seen before)."""
        if table.label_kind != "numeric":
            self.numeric = False
        out = np.empty(len(table.labels), dtype=np.int64)
        for i, text in enumerate(table.labels):
            if text not in self.code:
                self.code[text] = len(self.texts)
                self.texts.append(text)
            out[i] = self.code[text]
        return out

    def absorb(self, other: Labels) -> np.ndarray:
        """Add another part's labels; return its code -> this one's code."""
        self.numeric = self.numeric and other.numeric
        out = np.empty(len(other.texts), dtype=np.int64)
        for i, text in enumerate(other.texts):
            if text not in self.code:
                self.code[text] = len(self.texts)
                self.texts.append(text)
            out[i] = self.code[text]
        return out

    def order(self) -> tuple[list[str], np.ndarray]:
        """The final label order (as the in-memory path orders them) and old code -> new."""
        key: Any = (lambda t: float(t)) if self.numeric else None
        ordered = sorted(dict.fromkeys(self.texts), key=key)
        if self.numeric:
            ordered = [label_text(float(t)) for t in ordered]
        position = {t: i for i, t in enumerate(ordered)}
        remap = np.array(
            [position[label_text(float(t)) if self.numeric else t] for t in self.texts],
            dtype=np.int64,
        )
        return ordered, remap


class PairTally:
    """Confusion counts folded batch by batch as sparse (true, predicted, count) pairs.

    Memory grows with the pairs that occur, never with the square of the number of labels:
    50,000 labels would need a 20 GB dense matrix.
    """

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.size = 0  # rows of the parts not yet combined

    def add(self, true: np.ndarray, pred: np.ndarray, count: np.ndarray | None = None) -> None:
        """Count pairs (each once, or `count` times) in discovery codes."""
        if true.size == 0:
            return
        weights = np.ones(true.size, dtype=np.int64) if count is None else count
        self.parts.append((true.astype(np.int64), pred.astype(np.int64), weights))
        self.size += true.size
        if len(self.parts) > 16 or self.size > 4_000_000:
            self._combine()

    def merge(self, other: PairTally, remap: np.ndarray) -> None:
        """Add another part's pairs, its codes renumbered by its code -> this one's code."""
        for t, p, c in other.parts:
            self.add(remap[t], remap[p], c)

    def _k(self) -> int:
        return max((max(int(t.max()), int(p.max())) + 1 for t, p, _ in self.parts), default=0)

    def _combine(self) -> None:
        if len(self.parts) <= 1:
            return
        pairs = PairCounts.combine(self.parts, self._k())
        self.parts = [(pairs.true, pairs.pred, pairs.count)]
        self.size = int(pairs.true.size)

    def result(self, remap: np.ndarray, k: int) -> PairCounts:
        """The counts in the final label order (discovery code -> final code), in k labels."""
        return PairCounts.combine([(remap[t], remap[p], c) for t, p, c in self.parts], k)


def keyed(table: PredictionTable, seed: int, positions: np.ndarray) -> pd.DataFrame:
    """The rows at positions with their file row numbers and bottom-k keys."""
    rows = table.row_numbers[positions]
    return pd.DataFrame({"_row": rows, "_key": row_keys(rows, seed)})


class ValueCounts:
    """Rows counted by the values of some columns, mergeable, given up past a cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[pd.Series] | None = []

    def add(self, part: pd.DataFrame) -> None:
        """Count a part's rows by all of its columns' values (empty cells included)."""
        if self.parts is None:
            return
        self.parts.append(part.groupby(list(part.columns), dropna=False, sort=False).size())
        if len(self.parts) > 16 or sum(map(len, self.parts)) > self.cap:
            self._combine()

    def give_up(self) -> None:
        """Stop counting: the result is None."""
        self.parts = None

    def merge(self, other: ValueCounts) -> None:
        """Add another part's counts."""
        if self.parts is None or other.parts is None:
            self.parts = None
            return
        self.parts += other.parts
        self._combine()

    def _combine(self) -> None:
        if not self.parts:
            return
        whole = pd.concat(self.parts)
        whole = whole.groupby(level=list(range(whole.index.nlevels)), dropna=False).sum()
        self.parts = None if len(whole) > self.cap else [whole]

    def result(self) -> pd.Series | None:
        """The counts by values, or None when there were too many values (or none counted)."""
        self._combine()
        return self.parts[0] if self.parts else None
