"""Calibration of predicted probabilities: reliability bins, ECE/MCE, Brier score and log loss.

What is calibrated depends on the task, and the result says which:

- binary (two labels): the positive-class probability against "the true label is the positive
  class", as scikit-learn's ``calibration_curve(y_true == pos, p_pos)``;
- multiclass: the top-label confidence (the probability of the file's predicted label) against
  "the prediction is correct", as ``calibration_curve(correct, confidence)``.

Bins are 10 equal-width bins on [0, 1]; a probability on an inner edge belongs to the lower
bin and 0 to the first, exactly as ``calibration_curve(..., strategy="uniform")`` cuts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reportgen.analysis.classification import SMALL_SUPPORT
from reportgen.analysis.positive_class import positive_score, resolve_pos_label, score_source

N_BINS = 10
BINNING = (
    f"{N_BINS} equal-width bins on [0, 1]; a probability on an inner edge counts in the lower "
    "bin (as scikit-learn's calibration_curve with strategy='uniform')"
)
EPS = float(np.finfo(np.float64).eps)
# scikit-learn warns when a row's probabilities are not close to 1 by this test
SUM_RTOL = float(np.sqrt(EPS))
SUM_ATOL = 1e-8


@dataclass(frozen=True)
class CalibrationBin:
    """One reliability bin: its edges, how many rows fall in it and how often the event held."""

    low: float
    high: float
    count: int
    events: int  # rows in the bin where the event held (positive label / correct prediction)
    mean_predicted: float | None  # None for an empty bin
    observed: float | None  # events / count; None for an empty bin
    gap: float | None  # observed - mean_predicted: positive means under-confident
    small: bool  # non-empty but fewer rows than SMALL_SUPPORT: its frequency is noisy


@dataclass(frozen=True)
class ConfidenceHistogram:
    """Counts of correct and of wrong predictions per confidence bin (the same bins)."""

    edges: list[float]
    correct: list[int]
    wrong: list[int]
    n_correct: int
    n_wrong: int
    correct_share: list[float]  # of all correct predictions, per bin (0 when there are none)
    wrong_share: list[float]  # of all wrong predictions, per bin


@dataclass(frozen=True)
class CalibrationResult:
    """Everything the calibration section shows; asdict() of it is the record block."""

    target: str  # "positive-class" or "top-label"
    pos_label: str | None  # the positive class of a binary task
    probability: str  # what is binned, in words
    event: str  # what the observed frequency counts, in words
    n: int
    binning: str
    n_bins: int
    bins: list[CalibrationBin]
    ece: float  # sum over non-empty bins of count / n * |observed - mean_predicted|
    mce: float  # max over non-empty bins of |observed - mean_predicted|
    brier: float | None
    brier_definition: str
    log_loss: float | None
    log_loss_definition: str
    not_computed: str | None  # why Brier score and log loss are missing, when they are
    rows_not_summing_to_one: int | None  # None when not every label has a column
    largest_sum_deviation: float | None  # max |row sum - 1|; None when not every label has a column
    small_bin_below: int
    confidence_histogram: ConfidenceHistogram
    # rows the row-sum check looked at when fewer than n (a streamed analysis sample)
    sum_checked_rows: int | None = None


def bin_index(p: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Return each probability's bin, cutting exactly where calibration_curve cuts."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], p)


def reliability_bins(
    p: np.ndarray, event: np.ndarray, n_bins: int = N_BINS, *, ids: np.ndarray | None = None
) -> tuple[list[CalibrationBin], float, float]:
    """Bin probabilities; return the bins, the expected and the maximum calibration error.

    ids: the bins of p when already known.
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = bin_index(p, n_bins) if ids is None else ids
    count = np.bincount(ids, minlength=n_bins)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    events = np.bincount(ids, weights=event.astype(np.float64), minlength=n_bins)
    n = int(count.sum())
    bins: list[CalibrationBin] = []
    ece = 0.0
    mce = 0.0
    for i in range(n_bins):  # over the bins, not the rows
        c = int(count[i])
        mean_pred = float(sums[i] / c) if c else None
        observed = float(events[i] / c) if c else None
        gap = None if mean_pred is None or observed is None else observed - mean_pred
        if gap is not None:
            ece += c / n * abs(gap)
            mce = max(mce, abs(gap))
        bins.append(
            CalibrationBin(
                low=float(edges[i]),
                high=float(edges[i + 1]),
                count=c,
                events=int(events[i]),
                mean_predicted=mean_pred,
                observed=observed,
                gap=gap,
                small=0 < c < SMALL_SUPPORT,
            )
        )
    return bins, ece, mce


def confidence_histogram(
    confidence: np.ndarray,
    correct: np.ndarray,
    n_bins: int = N_BINS,
    *,
    ids: np.ndarray | None = None,
) -> ConfidenceHistogram:
    """Count correct and wrong predictions per confidence bin in one bincount."""
    ids = bin_index(confidence, n_bins) if ids is None else ids
    counts = np.bincount(ids * 2 + ~correct, minlength=2 * n_bins).reshape(n_bins, 2)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    totals = counts.sum(axis=0)
    shares = np.divide(
        counts, totals, out=np.zeros(counts.shape, dtype=np.float64), where=totals > 0
    )
    return ConfidenceHistogram(
        edges=[float(e) for e in edges],
        correct=counts[:, 0].tolist(),
        wrong=counts[:, 1].tolist(),
        n_correct=int(totals[0]),
        n_wrong=int(totals[1]),
        correct_share=shares[:, 0].tolist(),
        wrong_share=shares[:, 1].tolist(),
    )


def binary_log_loss(event: np.ndarray, p: np.ndarray) -> float:
    """Log loss of a positive-class probability, clipped as scikit-learn clips [1 - p, p]."""
    chosen = np.where(event, p, 1.0 - p)
    return float(np.mean(-np.log(np.clip(chosen, EPS, 1.0 - EPS))))


def multiclass_log_loss(true_codes: np.ndarray, proba: np.ndarray) -> float:
    """Log loss of the true class's probability, clipped to [eps, 1 - eps], not renormalised."""
    chosen = proba[np.arange(true_codes.size), true_codes]
    return float(np.mean(-np.log(np.clip(chosen, EPS, 1.0 - EPS))))


def multiclass_brier(true_codes: np.ndarray, proba: np.ndarray) -> float:
    """Mean over rows of the sum over classes of (p_k - onehot_k)^2 (range 0 to 2).

    Expanded as sum p_k^2 - 2 p_true + 1 so that no n x k temporary is made.
    """
    squares = np.einsum("ij,ij->i", proba, proba)
    chosen = proba[np.arange(true_codes.size), true_codes]
    return float(np.mean(squares - 2.0 * chosen + 1.0))


def sum_deviation(proba: np.ndarray) -> tuple[int, float]:
    """Count rows whose probabilities do not add up to 1 by scikit-learn's test; the worst."""
    deviation = np.abs(proba @ np.ones(proba.shape[1]) - 1.0)
    return int(np.count_nonzero(deviation > SUM_ATOL + SUM_RTOL)), float(deviation.max())


def analyze_calibration_shape(
    labels: list[str], pos_label: str | None, present: list[int]
) -> dict[str, object]:
    """What a calibration result calibrates and how, in words: the fields that are not numbers."""
    common: dict[str, object] = {
        "binning": BINNING,
        "n_bins": N_BINS,
        "small_bin_below": SMALL_SUPPORT,
    }
    if len(labels) == 2:
        pos = resolve_pos_label(labels, pos_label)
        source = score_source(labels, pos, present)
        return common | {
            "target": "positive-class",
            "pos_label": labels[pos],
            "probability": f"predicted probability of '{labels[pos]}' ({source})",
            "event": f"the true label is '{labels[pos]}'",
            "brier_definition": (
                f"mean of (p - y)^2 with p the probability of '{labels[pos]}' and y 1 when it "
                "is the true label (0 best, 1 worst); scikit-learn's brier_score_loss"
            ),
            "log_loss_definition": (
                "mean of -ln(probability given to the true label), from p and 1 - p, each "
                "clipped to [eps, 1 - eps]; scikit-learn's log_loss"
            ),
        }
    return common | {
        "target": "top-label",
        "pos_label": None,
        "probability": "confidence: the predicted label's probability",
        "event": "the prediction is correct",
        "brier_definition": (
            "mean over rows of the sum over classes of (p_k - y_k)^2, y one-hot (0 best, "
            "2 worst); scikit-learn's brier_score_loss with labels (not halved for 3+ classes)"
        ),
        "log_loss_definition": (
            "mean of -ln(probability given to the true label), clipped to [eps, 1 - eps] and "
            "not renormalised; scikit-learn's log_loss with labels"
        ),
    }


def _why_not(labels: list[str], present: list[int]) -> str:
    """Why Brier score and log loss are left out of a multiclass result."""
    have = set(present)  # once: thousands of labels would make this quadratic
    missing = [labels[i] for i in range(len(labels)) if i not in have]
    shown = ", ".join(f"'{m}'" for m in missing[:5]) + (", …" if len(missing) > 5 else "")
    return (
        f"Brier score and log loss need a probability for every class; "
        f"{len(missing)} {'class has' if len(missing) == 1 else 'classes have'} no "
        f"probability column ({shown})."
    )


def analyze_calibration(
    true_codes: np.ndarray,
    pred_codes: np.ndarray,
    labels: list[str],
    proba: np.ndarray,
    *,
    confidence: np.ndarray,
    columns_present: list[int] | None = None,
    pos_label: str | None = None,
) -> CalibrationResult:
    """Bin the probabilities, compute ECE, MCE, Brier score and log loss.

    proba: (n, k) probabilities in label order. columns_present: the label indices that have
    a probability column (None: all of them); the other columns are never read. Brier score
    and log loss need every column in a multiclass task; a binary task needs either one.
    confidence: each row's probability of its predicted label.
    """
    n = int(true_codes.size)
    if n == 0:
        raise ValueError("calibration needs at least one row")
    k = len(labels)
    present = list(range(k)) if columns_present is None else sorted(set(columns_present))
    correct = true_codes == pred_codes
    confidence_bins = bin_index(confidence)
    histogram = confidence_histogram(confidence, correct, ids=confidence_bins)
    full = len(present) == k
    not_summing, largest = sum_deviation(proba) if full else (None, None)
    base: dict[str, Any] = analyze_calibration_shape(labels, pos_label, present)
    if k == 2:
        pos = resolve_pos_label(labels, pos_label)
        p, _source = positive_score(proba, pos, present, labels)
        event = true_codes == pos
        bins, ece, mce = reliability_bins(p, event)
        return CalibrationResult(
            **base,
            n=n,
            bins=bins,
            ece=ece,
            mce=mce,
            brier=float(np.mean(np.square(p - event))),
            log_loss=binary_log_loss(event, p),
            not_computed=None,
            rows_not_summing_to_one=not_summing,
            largest_sum_deviation=largest,
            confidence_histogram=histogram,
        )
    bins, ece, mce = reliability_bins(confidence, correct, ids=confidence_bins)
    return CalibrationResult(
        **base,
        n=n,
        bins=bins,
        ece=ece,
        mce=mce,
        brier=multiclass_brier(true_codes, proba) if full else None,
        log_loss=multiclass_log_loss(true_codes, proba) if full else None,
        not_computed=None if full else _why_not(labels, present),
        rows_not_summing_to_one=not_summing,
        largest_sum_deviation=largest,
        confidence_histogram=histogram,
    )


def _binned(p: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Per bin: count, sum of p, events (3 x N_BINS), for adding up over parts."""
    ids = bin_index(p)
    return np.stack(
        [
            np.bincount(ids, minlength=N_BINS).astype(np.float64),
            np.bincount(ids, weights=p, minlength=N_BINS),
            np.bincount(ids, weights=event.astype(np.float64), minlength=N_BINS),
        ]
    )


def _bins_from(sums: np.ndarray) -> tuple[list[CalibrationBin], float, float]:
    """Reliability bins, ECE and MCE from added-up counts and sums."""
    edges = np.linspace(0.0, 1.0, N_BINS + 1)
    count, total, events = sums
    n = int(count.sum())
    bins, ece, mce = [], 0.0, 0.0
    for i in range(N_BINS):
        c = int(count[i])
        mean_pred = float(total[i] / c) if c else None
        observed = float(events[i] / c) if c else None
        gap = None if mean_pred is None or observed is None else observed - mean_pred
        if gap is not None:
            ece += c / n * abs(gap)
            mce = max(mce, abs(gap))
        bins.append(
            CalibrationBin(
                low=float(edges[i]),
                high=float(edges[i + 1]),
                count=c,
                events=int(np.rint(events[i])),
                mean_predicted=mean_pred,
                observed=observed,
                gap=gap,
                small=0 < c < SMALL_SUPPORT,
            )
        )
    return bins, ece, mce


class CalibrationSums:
    """The additive counts and sums behind a calibration result, for a file read in parts.

    Every orientation a result may need is kept: the top-label confidence against
    correctness, and for each label with a column its probability (and 1 minus it) against
    the label being (not being) the true one; the label order is only known at the end.
    """

    def __init__(self) -> None:
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
        self.top += _binned(confidence, correct)
        for label, p in proba.items():
            event = is_true[label]
            self.label[label] = self.label.get(label, 0) + _binned(p, event)
            self.complement[label] = self.complement.get(label, 0) + _binned(1.0 - p, ~event)
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
        correct = top[2]
        wrong = top[0] - top[2]
        totals = np.array([correct.sum(), wrong.sum()])
        counts = np.stack([correct, wrong], axis=1)
        shares = np.divide(
            counts, totals, out=np.zeros(counts.shape, dtype=np.float64), where=totals > 0
        )
        histogram = ConfidenceHistogram(
            edges=[float(e) for e in np.linspace(0.0, 1.0, N_BINS + 1)],
            correct=[int(np.rint(c)) for c in correct],
            wrong=[int(np.rint(w)) for w in wrong],
            n_correct=int(np.rint(totals[0])),
            n_wrong=int(np.rint(totals[1])),
            correct_share=shares[:, 0].tolist(),
            wrong_share=shares[:, 1].tolist(),
        )
        not_summing, largest = (self.not_summing, self.largest) if full else (None, None)
        base: dict[str, Any] = analyze_calibration_shape(labels, pos_label, present)
        if k == 2:
            pos = resolve_pos_label(labels, pos_label)
            own = labels[pos] in self.label
            name = labels[pos] if own else labels[1 - pos]
            sums = self.label[name] if own else self.complement[name]
            bins, ece, mce = _bins_from(sums)
            return CalibrationResult(
                **base,
                n=self.n,
                bins=bins,
                ece=ece,
                mce=mce,
                brier=self.brier[name] / self.n,
                log_loss=self.loss[name] / self.n,
                not_computed=None,
                rows_not_summing_to_one=not_summing,
                largest_sum_deviation=largest,
                confidence_histogram=histogram,
            )
        bins, ece, mce = _bins_from(top)
        # over the report's labels: --eval-split may leave some of the file's out
        squares = sum(self.squares[lab] for lab in labels) if full else 0.0
        brier = float((squares - 2.0 * self.truth[0] + self.n) / self.n) if full else None
        loss = float(self.truth[1] / self.n) if full else None
        return CalibrationResult(
            **base,
            n=self.n,
            bins=bins,
            ece=ece,
            mce=mce,
            brier=brier,
            log_loss=loss,
            not_computed=None if full else _why_not(labels, present),
            rows_not_summing_to_one=not_summing,
            largest_sum_deviation=largest,
            confidence_histogram=histogram,
        )
