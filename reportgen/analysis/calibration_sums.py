"""Calibration added up over the parts of a file read in parts: the sums a streamed build
keeps, and the result analyze_calibration would give on the same rows."""

from __future__ import annotations

import numpy as np

from reportgen.analysis.calibration import (
    EPS,
    N_BINS,
    SUM_ATOL,
    SUM_RTOL,
    CalibrationResult,
    binned_sums,
    calibration_result,
    histogram_from_counts,
)
from reportgen.analysis.positive_class import resolve_pos_label


class CalibrationSums:
    """The additive counts and sums behind a calibration result, for a file read in parts.

    Every orientation a result may need is kept: the top-label confidence against
    correctness, and for each label with a column its probability (and 1 minus it) against
    the label being (not being) the true one; the label order is only known at the end.
    """

    def __init__(self) -> None:
        """Start with nothing added."""
        self.n = 0
        self.top = np.zeros((3, N_BINS))
        self.label: dict[str, np.ndarray] = {}
        self.complement: dict[str, np.ndarray] = {}
        self.brier: dict[str, float] = {}
        self.loss: dict[str, float] = {}
        self.squares: dict[str, float] = {}  # per label, the sum of its probabilities squared
        self.truth = np.zeros(2)  # sums of the true label's probability, and of -ln of it
        self.not_summing = 0
        self.largest = 0.0

    def add(
        self,
        is_true: dict[str, np.ndarray],
        proba: dict[str, np.ndarray],
        confidence: np.ndarray,
        correct: np.ndarray,
    ) -> None:
        """Add a part: per label with a column its probabilities and where it is the truth."""
        self.n += int(confidence.size)
        self.top += binned_sums(confidence, correct)
        for label, p in proba.items():
            event = is_true[label]
            self.label[label] = self.label.get(label, 0) + binned_sums(p, event)
            self.complement[label] = self.complement.get(label, 0) + binned_sums(1.0 - p, ~event)
            self.brier[label] = self.brier.get(label, 0.0) + float(np.square(p - event).sum())
            chosen = np.clip(np.where(event, p, 1.0 - p), EPS, 1.0 - EPS)
            self.loss[label] = self.loss.get(label, 0.0) + float(-np.log(chosen).sum())
        columns = np.column_stack(list(proba.values())) if proba else np.zeros((0, 0))
        if proba:
            truth = sum(np.where(is_true[lab], p, 0.0) for lab, p in proba.items())
            for label, p in proba.items():
                self.squares[label] = self.squares.get(label, 0.0) + float(np.square(p).sum())
            self.truth += (
                float(np.sum(truth)),
                float(-np.log(np.clip(truth, EPS, 1.0 - EPS)).sum()),
            )
            deviation = np.abs(columns.sum(axis=1) - 1.0)
            self.not_summing += int(np.count_nonzero(deviation > SUM_ATOL + SUM_RTOL))
            self.largest = max(self.largest, float(deviation.max(initial=0.0)))

    def merge(self, other: CalibrationSums) -> None:
        """Add another part's sums."""
        self.n += other.n
        self.top += other.top
        for mine, theirs in ((self.label, other.label), (self.complement, other.complement)):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value
        pairs = ((self.brier, other.brier), (self.loss, other.loss), (self.squares, other.squares))
        for mine_f, theirs_f in pairs:
            for key, number in theirs_f.items():
                mine_f[key] = mine_f.get(key, 0.0) + number
        self.truth += other.truth
        self.not_summing += other.not_summing
        self.largest = max(self.largest, other.largest)

    def deviation_exact(self, labels: list[str]) -> bool:
        """Whether the row sums were taken over exactly the report's labels' columns."""
        return set(self.label) == set(labels)

    def result(self, labels: list[str], pos_label: str | None) -> CalibrationResult:
        """The calibration result analyze_calibration gives on the same rows.

        When the report leaves out labels that have columns (--eval-split), the counts of rows
        not summing to one are over every column; `deviation_exact` says so.
        """
        k = len(labels)
        present = [i for i, lab in enumerate(labels) if lab in self.label]
        full = len(present) == k
        top = self.top
        # top: rows, sum of confidence, correct predictions per bin
        histogram = histogram_from_counts(np.stack([top[2], top[0] - top[2]], axis=1))
        if k == 2:
            pos = resolve_pos_label(labels, pos_label)
            own = labels[pos] in self.label
            name = labels[pos] if own else labels[1 - pos]
            binned = self.label[name] if own else self.complement[name]
            scores: tuple[float, float] | None = (
                self.brier[name] / self.n,
                self.loss[name] / self.n,
            )
        else:
            binned = top
            scores = None
            if full:
                # over the report's labels: --eval-split may leave some of the file's out
                squares = sum(self.squares[lab] for lab in labels)
                brier = float((squares - 2.0 * self.truth[0] + self.n) / self.n)
                scores = (brier, float(self.truth[1] / self.n))
        deviation = (self.not_summing, self.largest) if full else None
        return calibration_result(
            labels,
            pos_label,
            present,
            n=self.n,
            binned=binned,
            scores=scores,
            deviation=deviation,
            histogram=histogram,
        )
