"""Decision thresholds: the current operating point of a binary task, what other thresholds
would cost, and its curves; one-vs-rest precision-recall for multiclass probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.curves import (
    Curve,
    average_precision,
    binary_counts,
    precision_recall_curve,
    roc_auc,
    roc_curve,
)
from reportgen.analysis.positive_class import positive_score, resolve_pos_label
from reportgen.analysis.probability_inputs import ProbabilityInputs

TARGET_PRECISIONS = (0.8, 0.9, 0.95, 0.99)
TARGET_RECALLS = (0.8, 0.9, 0.95, 0.99)
OVR_CLASSES = 4
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class OperatingPoint:
    """Counts and rates of the positive class when predicting it at score >= threshold."""

    threshold: float | None
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float | None  # None when nothing is predicted positive
    recall: float | None  # None when there are no positives
    fpr: float | None  # None when there are no negatives


@dataclass(frozen=True)
class CurrentPoint:
    """The operating point of the file's own predictions, and whether a threshold explains it."""

    point: OperatingPoint
    consistent: bool  # every predicted positive scores above every predicted negative
    disagree_at_default: int  # rows where (score >= 0.5) differs from the file's prediction
    note: str


@dataclass(frozen=True)
class Candidate:
    """A threshold chosen for a target precision or recall, and its cost against the current."""

    goal: str  # "precision" or "recall"
    target: float
    reached: bool
    point: OperatingPoint | None
    fp_change: int | None  # false positives at this threshold minus at the current predictions
    fn_change: int | None


@dataclass(frozen=True)
class BinaryThresholds:
    """Everything the thresholds section shows for a binary task."""

    kind: str  # "binary"
    pos_label: str
    neg_label: str
    pos_label_source: str
    score: str
    rule: str
    n: int
    positives: int
    negatives: int
    roc_auc: float | None
    average_precision: float | None
    undefined: str | None  # why a curve or a summary is missing
    pr_curve: Curve | None  # x recall, y precision
    roc_curve: Curve | None  # x false positive rate, y true positive rate
    current: CurrentPoint
    candidates: list[Candidate]
    candidate_rule: str


@dataclass(frozen=True)
class OvrClass:
    """One class's one-vs-rest precision-recall curve and average precision."""

    label: str
    support: int
    errors: int  # false positives + false negatives of the file's predictions
    false_positives: int
    false_negatives: int
    average_precision: float
    precision: float | None  # of the file's predictions; None when the class is never predicted
    recall: float
    curve: Curve  # x recall, y precision


@dataclass(frozen=True)
class OvrThresholds:
    """One-vs-rest precision-recall for the classes with the most errors."""

    kind: str  # "one-vs-rest"
    n: int
    selection: str
    classes_with_errors: int
    limit: int
    classes: list[OvrClass]
    without_column: list[str]  # classes with many errors but no probability column


ThresholdResult = BinaryThresholds | OvrThresholds


def _point(
    threshold: float | None, tp: int, fp: int, positives: int, negatives: int
) -> OperatingPoint:
    """The operating point of tp true and fp false positives among the rows."""
    return OperatingPoint(
        threshold=threshold,
        tp=tp,
        fp=fp,
        fn=positives - tp,
        tn=negatives - fp,
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / positives if positives else None,
        fpr=fp / negatives if negatives else None,
    )


def current_point(
    is_pos: np.ndarray,
    pred_pos: np.ndarray,
    score: np.ndarray,
    pos_name: str,
    weights: np.ndarray | None = None,
) -> CurrentPoint:
    """Describe the file's predictions as an operating point; find the threshold they imply."""
    w = np.ones(is_pos.size) if weights is None else weights

    def count(mask: np.ndarray) -> int:
        return int(np.rint(w[mask].sum()))

    positives = count(is_pos)
    negatives = count(~is_pos)
    tp = count(is_pos & pred_pos)
    fp = count(pred_pos) - tp
    max_neg = float(score[~pred_pos].max()) if (~pred_pos).any() else -np.inf
    min_pos = float(score[pred_pos].min()) if pred_pos.any() else np.inf
    consistent = max_neg < min_pos
    disagree = count((score >= DEFAULT_THRESHOLD) != pred_pos)
    threshold: float | None = None
    if consistent and max_neg < DEFAULT_THRESHOLD <= min_pos:
        threshold = DEFAULT_THRESHOLD
        note = (
            f"The file's predictions are those of the rule: predict '{pos_name}' when its "
            f"probability is at least {DEFAULT_THRESHOLD}."
        )
    elif consistent and np.isfinite(min_pos):
        threshold = min_pos
        below = f"above {max_neg:.4g} and " if np.isfinite(max_neg) else ""
        note = (
            f"The file's predictions are those of a threshold {below}at most {min_pos:.4g}, "
            f"not {DEFAULT_THRESHOLD}; shown as {min_pos:.4g}, the lowest probability "
            f"predicted '{pos_name}'."
        )
    elif consistent:
        note = (
            f"No row is predicted '{pos_name}': the file's threshold is above every "
            f"probability (the highest is {max_neg:.4g})."
        )
    else:
        note = (
            "No single threshold on this probability gives the file's predictions (some rows "
            f"predicted '{pos_name}' score lower than some that are not; {disagree:,} rows "
            f"differ from the rule probability ≥ {DEFAULT_THRESHOLD}). The point shows the "
            "file's predictions as they are."
        )
    return CurrentPoint(
        point=_point(threshold, tp, fp, positives, negatives),
        consistent=consistent,
        disagree_at_default=disagree,
        note=note,
    )


def candidates(
    tps: np.ndarray, fps: np.ndarray, thresholds: np.ndarray, current: OperatingPoint
) -> list[Candidate]:
    """For each target: the lowest threshold reaching the precision, the highest keeping the
    recall, with the change in false positives and negatives against the current predictions."""
    positives, negatives = int(tps[-1]), int(fps[-1])
    precision = tps / (tps + fps)
    recall = tps / positives
    out: list[Candidate] = []
    for goal, targets, values in (
        ("precision", TARGET_PRECISIONS, precision),
        ("recall", TARGET_RECALLS, recall),
    ):
        for target in targets:
            hits = np.flatnonzero(values >= target)
            if hits.size == 0:
                out.append(Candidate(goal, target, False, None, None, None))
                continue
            # thresholds decrease along the arrays: lowest for precision, highest for recall
            i = int(hits[-1] if goal == "precision" else hits[0])
            point = _point(float(thresholds[i]), int(tps[i]), int(fps[i]), positives, negatives)
            out.append(
                Candidate(goal, target, True, point, point.fp - current.fp, point.fn - current.fn)
            )
    return out


def analyze_binary_thresholds(
    inputs: ProbabilityInputs, *, weights: np.ndarray | None = None
) -> BinaryThresholds:
    """Curves, AUC, average precision, current point and candidate thresholds of a binary task.

    weights: how many rows each row stands for, when rows with equal values were summed up.
    """
    true_codes, labels, pos_label = inputs.true_codes, inputs.labels, inputs.pos_label
    if len(labels) != 2:
        raise ValueError(f"a binary task has two labels, not {len(labels)}")
    n = int(true_codes.size) if weights is None else int(np.rint(weights.sum()))
    if n == 0:
        raise ValueError("thresholds need at least one row")
    pos = resolve_pos_label(labels, pos_label)
    score, source = positive_score(inputs.proba, pos, inputs.present(), labels)
    pos_name, neg_name = labels[pos], labels[1 - pos]
    is_pos = true_codes == pos
    positives = int(is_pos.sum()) if weights is None else int(np.rint(weights[is_pos].sum()))
    negatives = n - positives
    current = current_point(is_pos, inputs.pred_codes == pos, score, pos_name, weights)

    tps, fps, thr = binary_counts(is_pos, score, weights)
    pr: Curve | None = None
    roc: Curve | None = None
    auc: float | None = None
    ap: float | None = None
    found: list[Candidate] = []
    undefined: str | None = None
    if positives == 0:
        undefined = (
            f"No row is truly '{pos_name}': recall, the precision-recall curve, average "
            "precision and the ROC curve are undefined."
        )
    else:
        ap = average_precision(tps, fps)
        pr = precision_recall_curve(tps, fps, thr)
        found = candidates(tps, fps, thr, current.point)
        if negatives == 0:
            undefined = (
                f"Every row is truly '{pos_name}': the false positive rate, the ROC curve and "
                "its AUC are undefined."
            )
        else:
            auc = roc_auc(tps, fps)
            roc = roc_curve(tps, fps, thr)
    return BinaryThresholds(
        kind="binary",
        pos_label=pos_name,
        neg_label=neg_name,
        pos_label_source=(
            "--pos-label"
            if pos_label is not None
            else "default: the label named 1, true, yes, positive or pos, else the second label"
        ),
        score=f"the probability of '{pos_name}' ({source})",
        rule=f"predict '{pos_name}' when its probability is at least the threshold",
        n=n,
        positives=positives,
        negatives=negatives,
        roc_auc=auc,
        average_precision=ap,
        undefined=undefined,
        pr_curve=pr,
        roc_curve=roc,
        current=current,
        candidates=found,
        candidate_rule=(
            "for a target precision, the lowest threshold whose precision reaches it (the most "
            "recall at that precision); for a target recall, the highest threshold that keeps "
            "it (the fewest false positives at that recall); thresholds are the distinct scores"
        ),
    )


def analyze_ovr(inputs: ProbabilityInputs, *, limit: int = OVR_CLASSES) -> OvrThresholds | None:
    """One-vs-rest precision-recall for the classes with the most errors (None if none has)."""
    true_codes, pred_codes, labels = inputs.true_codes, inputs.pred_codes, inputs.labels
    k = len(labels)
    n = int(true_codes.size)
    present = set(inputs.present())
    support = np.bincount(true_codes, minlength=k)
    predicted = np.bincount(pred_codes, minlength=k)
    tp = np.bincount(true_codes[true_codes == pred_codes], minlength=k)
    fp = predicted - tp
    fn = support - tp
    errors = fp + fn
    ranked = [int(i) for i in np.lexsort((np.arange(k), -errors)) if errors[i] > 0]
    without: list[str] = []
    chosen: list[int] = []
    for i in ranked:
        if len(chosen) == limit:
            break
        if support[i] == 0:
            continue  # no true sample: recall and average precision are undefined
        if i not in present:
            without.append(labels[i])
            continue
        chosen.append(i)
    if not chosen:
        return None
    classes: list[OvrClass] = []
    for i in chosen:
        is_pos = true_codes == i
        tps, fps, thr = binary_counts(is_pos, np.asarray(inputs.proba[:, i], dtype=np.float64))
        classes.append(
            OvrClass(
                label=labels[i],
                support=int(support[i]),
                errors=int(errors[i]),
                false_positives=int(fp[i]),
                false_negatives=int(fn[i]),
                average_precision=average_precision(tps, fps),
                precision=float(tp[i] / predicted[i]) if predicted[i] else None,
                recall=float(tp[i] / support[i]),
                curve=precision_recall_curve(tps, fps, thr),
            )
        )
    return OvrThresholds(
        kind="one-vs-rest",
        n=n,
        selection=(
            f"the {len(classes)} classes with the most errors (false positives + false "
            "negatives) that occur as true labels and have a probability column"
        ),
        classes_with_errors=len(ranked),
        limit=limit,
        classes=classes,
        without_column=without,
    )


def analyze_thresholds(inputs: ProbabilityInputs) -> ThresholdResult | None:
    """Binary curves for two labels, one-vs-rest for more; None when there is nothing to show."""
    if len(inputs.labels) == 2:
        return analyze_binary_thresholds(inputs)
    if len(inputs.labels) > 2:
        return analyze_ovr(inputs)
    return None
