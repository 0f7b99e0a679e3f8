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
from typing import TypedDict

import numpy as np

from reportgen.analysis.classification import SMALL_SUPPORT
from reportgen.analysis.positive_class import positive_score, resolve_pos_label, score_source
from reportgen.analysis.probability_inputs import ProbabilityInputs

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


class Target(TypedDict):
    """What a calibration result calibrates and how, in words: its fields that are not numbers."""

    target: str  # "positive-class" or "top-label"
    pos_label: str | None
    probability: str
    event: str
    binning: str
    n_bins: int
    small_bin_below: int
    brier_definition: str
    log_loss_definition: str


def bin_index(p: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Return each probability's bin, cutting exactly where calibration_curve cuts."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], p)


def binned_sums(
    p: np.ndarray, event: np.ndarray, n_bins: int = N_BINS, *, ids: np.ndarray | None = None
) -> np.ndarray:
    """Per bin: rows, sum of p and events (3 x n_bins), which add up over parts of a file.

    ids: the bins of p when already known.
    """
    ids = bin_index(p, n_bins) if ids is None else ids
    return np.stack(
        [
            np.bincount(ids, minlength=n_bins).astype(np.float64),
            np.bincount(ids, weights=p, minlength=n_bins),
            np.bincount(ids, weights=event.astype(np.float64), minlength=n_bins),
        ]
    )


def bins_from_sums(sums: np.ndarray) -> tuple[list[CalibrationBin], float, float]:
    """Return the reliability bins, the expected and the maximum calibration error of sums."""
    count, total, events = sums
    n_bins = int(count.size)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    n = int(count.sum())
    bins: list[CalibrationBin] = []
    ece = 0.0
    mce = 0.0
    for i in range(n_bins):  # over the bins, not the rows
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


def reliability_bins(
    p: np.ndarray, event: np.ndarray, n_bins: int = N_BINS, *, ids: np.ndarray | None = None
) -> tuple[list[CalibrationBin], float, float]:
    """Bin probabilities; return the bins, the expected and the maximum calibration error.

    ids: the bins of p when already known.
    """
    return bins_from_sums(binned_sums(p, event, n_bins, ids=ids))


def histogram_from_counts(counts: np.ndarray) -> ConfidenceHistogram:
    """Return the confidence histogram of (bins, 2) counts of correct and wrong predictions."""
    totals = counts.sum(axis=0)
    shares = np.divide(
        counts, totals, out=np.zeros(counts.shape, dtype=np.float64), where=totals > 0
    )
    return ConfidenceHistogram(
        edges=[float(e) for e in np.linspace(0.0, 1.0, counts.shape[0] + 1)],
        correct=[int(np.rint(c)) for c in counts[:, 0]],
        wrong=[int(np.rint(w)) for w in counts[:, 1]],
        n_correct=int(np.rint(totals[0])),
        n_wrong=int(np.rint(totals[1])),
        correct_share=shares[:, 0].tolist(),
        wrong_share=shares[:, 1].tolist(),
    )


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
    return histogram_from_counts(counts)


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


def describe_target(labels: list[str], pos_label: str | None, present: list[int]) -> Target:
    """Say what a calibration result calibrates and how its scores are defined."""
    if len(labels) == 2:
        pos = resolve_pos_label(labels, pos_label)
        source = score_source(labels, pos, present)
        return {
            "target": "positive-class",
            "pos_label": labels[pos],
            "probability": f"predicted probability of '{labels[pos]}' ({source})",
            "event": f"the true label is '{labels[pos]}'",
            "binning": BINNING,
            "n_bins": N_BINS,
            "small_bin_below": SMALL_SUPPORT,
            "brier_definition": (
                f"mean of (p - y)^2 with p the probability of '{labels[pos]}' and y 1 when it "
                "is the true label (0 best, 1 worst); scikit-learn's brier_score_loss"
            ),
            "log_loss_definition": (
                "mean of -ln(probability given to the true label), from p and 1 - p, each "
                "clipped to [eps, 1 - eps]; scikit-learn's log_loss"
            ),
        }
    return {
        "target": "top-label",
        "pos_label": None,
        "probability": "confidence: the predicted label's probability",
        "event": "the prediction is correct",
        "binning": BINNING,
        "n_bins": N_BINS,
        "small_bin_below": SMALL_SUPPORT,
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


def calibration_result(
    labels: list[str],
    pos_label: str | None,
    present: list[int],
    *,
    n: int,
    binned: np.ndarray,
    scores: tuple[float, float] | None,
    deviation: tuple[int, float] | None,
    histogram: ConfidenceHistogram,
) -> CalibrationResult:
    """Assemble a result from the binned sums and scores, in memory or added up over parts.

    binned: `binned_sums` of what is calibrated (the positive-class probability of a binary
    task, else the top-label confidence); present: the label indices with a column;
    scores: Brier score and log loss; deviation: rows not summing to one and the largest
    deviation (None without every label's column).
    """
    bins, ece, mce = bins_from_sums(binned)
    brier, log_loss = (None, None) if scores is None else scores
    not_summing, largest = (None, None) if deviation is None else deviation
    # a binary task needs one column; a multiclass one every column for Brier and log loss
    complete = len(labels) == 2 or len(present) == len(labels)
    return CalibrationResult(
        **describe_target(labels, pos_label, present),
        n=n,
        bins=bins,
        ece=ece,
        mce=mce,
        brier=brier,
        log_loss=log_loss,
        not_computed=None if complete else _why_not(labels, present),
        rows_not_summing_to_one=not_summing,
        largest_sum_deviation=largest,
        confidence_histogram=histogram,
    )


def analyze_calibration(inputs: ProbabilityInputs, *, confidence: np.ndarray) -> CalibrationResult:
    """Bin the probabilities, compute ECE, MCE, Brier score and log loss.

    Brier score and log loss need every column in a multiclass task; a binary task needs
    either one. confidence: each row's probability of its predicted label.
    """
    true_codes, labels, proba = inputs.true_codes, inputs.labels, inputs.proba
    n = int(true_codes.size)
    if n == 0:
        raise ValueError("calibration needs at least one row")
    k = len(labels)
    present = inputs.present()
    correct = true_codes == inputs.pred_codes
    confidence_bins = bin_index(confidence)
    histogram = confidence_histogram(confidence, correct, ids=confidence_bins)
    full = len(present) == k
    deviation = sum_deviation(proba) if full else None
    if k == 2:
        pos = resolve_pos_label(labels, inputs.pos_label)
        p, _source = positive_score(proba, pos, present, labels)
        event = true_codes == pos
        binned = binned_sums(p, event)
        scores: tuple[float, float] | None = (
            float(np.mean(np.square(p - event))),
            binary_log_loss(event, p),
        )
    else:
        binned = binned_sums(confidence, correct, ids=confidence_bins)
        scores = None
        if full:  # the columns a file lacks are never read
            scores = (multiclass_brier(true_codes, proba), multiclass_log_loss(true_codes, proba))
    return calibration_result(
        labels,
        inputs.pos_label,
        present,
        n=n,
        binned=binned,
        scores=scores,
        deviation=deviation,
        histogram=histogram,
    )
