"""Classification metrics, all derived from one confusion matrix built in a single pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.confusion_counts import PairCounts, count_by_code
from reportgen.analysis.stats import wilson_interval

# Below this many true samples a class's recall is too noisy to compare; the report marks it.
SMALL_SUPPORT = 30
TOP_CONFUSIONS = 50
# Beyond this many classes no K x K matrix is built anywhere (50,000 classes would need 20 GB):
# the counts stay sparse, and the record and the page keep the KEPT_CLASSES classes involved in
# the most errors, while accuracy and the averages still count every class.
MANY_CLASSES = 250
KEPT_CLASSES = 100


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
    confusion_matrix: np.ndarray | None  # K x K up to MANY_CLASSES classes; None beyond
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
    pairs: PairCounts | None = None  # the sparse counts, from which everything above derives

    @property
    def counts(self) -> PairCounts:
        """The confusion counts as sparse pairs, whichever way they were built."""
        if self.pairs is not None:
            return self.pairs
        assert self.confusion_matrix is not None
        return PairCounts.from_dense(self.confusion_matrix)


def confusion_matrix(true_codes: np.ndarray, pred_codes: np.ndarray, n_labels: int) -> np.ndarray:
    """Count (true, predicted) pairs in one bincount; rows are true labels."""
    flat = true_codes.astype(np.int64, copy=False) * n_labels + pred_codes
    return np.bincount(flat, minlength=n_labels * n_labels).reshape(n_labels, n_labels)


def divide_or_zero(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Divide elementwise, giving 0 where the denominator is 0."""
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
    summary = _confidence_summary(true_codes, pred_codes, confidence)
    if len(labels) > MANY_CLASSES:
        pairs = PairCounts.from_codes(true_codes, pred_codes, len(labels))
        return from_pairs(pairs, labels, summary)
    cm = confusion_matrix(true_codes, pred_codes, len(labels))
    return from_matrix(cm, labels, summary)


def from_counts(
    pairs: PairCounts, labels: list[str], confidence: ConfidenceSummary | None = None
) -> ClassificationResult:
    """Derive every metric from sparse counts: dense for few classes, sparse beyond."""
    if len(labels) > MANY_CLASSES:
        return from_pairs(pairs, labels, confidence)
    return from_matrix(pairs.dense(), labels, confidence)


def from_matrix(
    cm: np.ndarray, labels: list[str], confidence: ConfidenceSummary | None = None
) -> ClassificationResult:
    """Derive every classification metric from the confusion matrix (rows true)."""
    if len(labels) > MANY_CLASSES:
        return from_pairs(PairCounts.from_dense(cm), labels, confidence)
    tp = np.diag(cm).astype(np.int64)
    return _result(
        labels,
        tp=tp,
        support=cm.sum(axis=1),
        predicted=cm.sum(axis=0),
        confidence=confidence,
        cm=cm,
        top=top_confusions(cm, labels),
        pairs_with_errors=int(np.count_nonzero(cm)) - int(np.count_nonzero(np.diag(cm))),
    )


def from_pairs(
    pairs: PairCounts, labels: list[str], confidence: ConfidenceSummary | None = None
) -> ClassificationResult:
    """Derive every metric from sparse counts, never building the K x K matrix."""
    off = pairs.true != pairs.pred
    return _result(
        labels,
        tp=pairs.diagonal(),
        support=pairs.support(),
        predicted=pairs.predicted(),
        confidence=confidence,
        cm=None,
        top=_top_from_pairs(pairs, labels),
        pairs_with_errors=int(np.count_nonzero(off)),
        pairs=pairs,
    )


def _result(
    labels: list[str],
    *,
    tp: np.ndarray,
    support: np.ndarray,
    predicted: np.ndarray,
    confidence: ConfidenceSummary | None,
    cm: np.ndarray | None,
    top: list[Confusion],
    pairs_with_errors: int,
    pairs: PairCounts | None = None,
) -> ClassificationResult:
    """Compute per-class metrics and averages from the true positives and the sums."""
    k = len(labels)
    n = int(support.sum())
    precision = divide_or_zero(tp.astype(np.float64), predicted.astype(np.float64))
    recall = divide_or_zero(tp.astype(np.float64), support.astype(np.float64))
    # F1 as scikit-learn computes it: 2 tp / (2 tp + fp + fn) = 2 tp / (support + predicted)
    f1 = divide_or_zero(2.0 * tp, (support + predicted).astype(np.float64))
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
        top_confusions=top,
        confusion_pairs=pairs_with_errors,
        confidence=confidence,
        pairs=pairs,
    )


def top_confusions(
    cm: np.ndarray, labels: list[str], *, limit: int = TOP_CONFUSIONS
) -> list[Confusion]:
    """Rank the off-diagonal cells by count, largest first (ties in label order)."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    rows, cols = np.nonzero(off)
    return _ranked(rows, cols, off[rows, cols], cm.sum(axis=1), labels, limit)


def _top_from_pairs(
    pairs: PairCounts, labels: list[str], *, limit: int = TOP_CONFUSIONS
) -> list[Confusion]:
    """Rank the error pairs by count, largest first (ties in label order), from sparse counts."""
    off = pairs.true != pairs.pred
    rows, cols, counts = pairs.true[off], pairs.pred[off], pairs.count[off]
    return _ranked(rows, cols, counts, pairs.support(), labels, limit)


def _ranked(
    rows: np.ndarray,
    cols: np.ndarray,
    counts: np.ndarray,
    support: np.ndarray,
    labels: list[str],
    limit: int,
) -> list[Confusion]:
    """The error pairs (true code, predicted code, count), largest first, ties in label order."""
    errors = int(counts.sum())
    order = np.lexsort((cols, rows, -counts))[:limit]
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


def involved(pairs: PairCounts) -> np.ndarray:
    """Errors each class takes part in, as true or as predicted label."""
    off = pairs.true != pairs.pred
    k = pairs.k
    out: np.ndarray = count_by_code(pairs.true[off], pairs.count[off], k)
    out += count_by_code(pairs.pred[off], pairs.count[off], k)
    return out


def most_involved(pairs: PairCounts, limit: int) -> list[int]:
    """The codes of the `limit` classes in the most errors (ties: label order), sorted."""
    inv = involved(pairs)
    order = np.lexsort((np.arange(pairs.k), -inv))[:limit]
    return sorted(int(i) for i in order)


def weakest(result: ClassificationResult) -> int | None:
    """The code of the class with the lowest recall among those that occur (ties: support)."""
    present = [i for i, m in enumerate(result.per_class) if m.support > 0]
    if not present:
        return None
    return min(present, key=lambda i: (result.per_class[i].recall, -result.per_class[i].support))


def kept_classes(result: ClassificationResult) -> list[int]:
    """The codes of the classes a record keeps when there are many: most errors, the weakest."""
    counts = result.counts
    chosen = set(most_involved(counts, KEPT_CLASSES))
    weak = weakest(result)
    if weak is not None and weak not in chosen:
        # the weakest class is named in the findings: its row must be in the record
        inv = involved(counts)
        chosen.discard(max(chosen, key=lambda i: (-int(inv[i]), i)))
        chosen.add(weak)
    return sorted(chosen)


def _confidence_summary(
    true_codes: np.ndarray, pred_codes: np.ndarray, confidence: np.ndarray | None
) -> ConfidenceSummary | None:
    """Average the confidence of correct and of wrong predictions (None without confidence)."""
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
