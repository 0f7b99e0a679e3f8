"""Classification metrics, all derived from one confusion matrix built in a single pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.stats import wilson_interval

# Below this many true samples a class's recall is too noisy to compare; the report marks it.
SMALL_SUPPORT = 30
TOP_CONFUSIONS = 50


@dataclass(frozen=True)
class ClassMetrics:
    """One class's row of the classification report, with its error counts."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision_ci: tuple[float, float] | None
    recall_ci: tuple[float, float] | None
    small_support: bool


@dataclass(frozen=True)
class Averages:
    """Macro or weighted averages of per-class precision, recall and F1."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Confusion:
    """One off-diagonal cell of the confusion matrix."""

    true: str
    pred: str
    count: int
    share_of_errors: float
    share_of_true: float


@dataclass(frozen=True)
class ConfidenceSummary:
    """Mean predicted-class probability of correct and of wrong predictions."""

    mean_correct: float | None
    mean_wrong: float | None
    n_correct: int
    n_wrong: int


@dataclass(frozen=True)
class ClassificationResult:
    """Everything the classification sections show."""

    labels: list[str]
    confusion_matrix: np.ndarray
    n: int
    errors: int
    accuracy: float
    accuracy_ci: tuple[float, float] | None
    per_class: list[ClassMetrics]
    macro_avg: Averages
    weighted_avg: Averages
    top_confusions: list[Confusion]  # the TOP_CONFUSIONS largest
    confusion_pairs: int  # distinct (true, predicted) pairs with at least one error
    confidence: ConfidenceSummary | None


def confusion_matrix(true_codes: np.ndarray, pred_codes: np.ndarray, n_labels: int) -> np.ndarray:
    """Count (true, predicted) pairs in one bincount; rows are true labels."""
    flat = true_codes.astype(np.int64, copy=False) * n_labels + pred_codes
    return np.bincount(flat, minlength=n_labels * n_labels).reshape(n_labels, n_labels)


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # scikit-learn's zero_division=0: a metric with an empty denominator is 0
    out = np.zeros(num.shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def analyze_classification(
    true_codes: np.ndarray,
    pred_codes: np.ndarray,
    labels: list[str],
    *,
    confidence: np.ndarray | None = None,
) -> ClassificationResult:
    """Compute accuracy, per-class metrics, averages and top confusions from coded labels."""
    cm = confusion_matrix(true_codes, pred_codes, len(labels))
    return from_matrix(cm, labels, _confidence_summary(true_codes, pred_codes, confidence))


def from_matrix(
    cm: np.ndarray, labels: list[str], confidence: ConfidenceSummary | None = None
) -> ClassificationResult:
    """Derive every classification metric from the confusion matrix (rows true)."""
    k = len(labels)
    n = int(cm.sum())
    tp = np.diag(cm).astype(np.int64)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = _divide(tp.astype(np.float64), predicted.astype(np.float64))
    recall = _divide(tp.astype(np.float64), support.astype(np.float64))
    # F1 as scikit-learn computes it: 2 tp / (2 tp + fp + fn) = 2 tp / (support + predicted)
    f1 = _divide(2.0 * tp, (support + predicted).astype(np.float64))
    correct = int(tp.sum())

    per_class = [
        ClassMetrics(
            label=labels[i],
            precision=float(precision[i]),
            recall=float(recall[i]),
            f1=float(f1[i]),
            support=int(support[i]),
            predicted=int(predicted[i]),
            true_positives=int(tp[i]),
            false_positives=int(predicted[i] - tp[i]),
            false_negatives=int(support[i] - tp[i]),
            precision_ci=wilson_interval(int(tp[i]), int(predicted[i])),
            recall_ci=wilson_interval(int(tp[i]), int(support[i])),
            small_support=bool(support[i] < SMALL_SUPPORT),
        )
        for i in range(k)
    ]
    macro = Averages(
        precision=float(np.average(precision)),
        recall=float(np.average(recall)),
        f1=float(np.average(f1)),
    )
    weights = support.astype(np.float64)
    weighted = Averages(
        precision=float(np.average(precision, weights=weights)),
        recall=float(np.average(recall, weights=weights)),
        f1=float(np.average(f1, weights=weights)),
    )
    return ClassificationResult(
        labels=list(labels),
        confusion_matrix=cm,
        n=n,
        errors=n - correct,
        accuracy=correct / n if n else 0.0,
        accuracy_ci=wilson_interval(correct, n),
        per_class=per_class,
        macro_avg=macro,
        weighted_avg=weighted,
        top_confusions=top_confusions(cm, labels),
        confusion_pairs=int(np.count_nonzero(cm)) - int(np.count_nonzero(np.diag(cm))),
        confidence=confidence,
    )


def top_confusions(
    cm: np.ndarray, labels: list[str], *, limit: int = TOP_CONFUSIONS
) -> list[Confusion]:
    """Rank the off-diagonal cells by count, largest first (ties in label order)."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    errors = int(off.sum())
    rows, cols = np.nonzero(off)
    counts = off[rows, cols]
    order = np.lexsort((cols, rows, -counts))[:limit]
    support = cm.sum(axis=1)
    return [
        Confusion(
            true=labels[int(rows[i])],
            pred=labels[int(cols[i])],
            count=int(counts[i]),
            share_of_errors=int(counts[i]) / errors,
            share_of_true=int(counts[i]) / int(support[rows[i]]),
        )
        for i in order
    ]


def _confidence_summary(
    true_codes: np.ndarray, pred_codes: np.ndarray, confidence: np.ndarray | None
) -> ConfidenceSummary | None:
    if confidence is None:
        return None
    right = true_codes == pred_codes
    n_right = int(right.sum())
    n_wrong = int(right.size - n_right)
    return ConfidenceSummary(
        mean_correct=float(confidence[right].mean()) if n_right else None,
        mean_wrong=float(confidence[~right].mean()) if n_wrong else None,
        n_correct=n_right,
        n_wrong=n_wrong,
    )
