"""Experiments suggested by the data itself, no tags needed: each with its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reportgen.analysis.classification import ClassificationResult
from reportgen.words.numbers import pct, score

if TYPE_CHECKING:
    from reportgen.analysis.splits import SplitResult

TRAIN_NAMES = ("train", "training", "trn")
# a class is "far rarer" in train when its share there is below this fraction of elsewhere
RARER_FACTOR = 1 / 3
RARE_SHARE = 0.05  # a class under this share of the rows is rare
CONFIDENT = 0.9
MIN_FALSE_POSITIVES = 5
# a threshold is suggested only when it keeps at least this fraction of the class's recall:
# relative, so that a rare class with recall 0.21 cannot be cut to 0.02
MIN_RECALL_KEPT = 0.8
MAX_THRESHOLDS = 3  # suggest thresholds for the classes with most false positives only
# per-class suggestions of one kind kept (the weightiest, in label order); with thousands of
# classes the rest are counted in one closing suggestion, so the page stays within its budget
MAX_PER_KIND = 20


MORE = "more-classes"  # the kind of the suggestion that counts the ones left out


def _capped(found: list[tuple[int, Suggestion]], what: str, ranked_by: str) -> list[Suggestion]:
    """Keep the MAX_PER_KIND weightiest suggestions (weight, suggestion), and say the rest."""
    if len(found) <= MAX_PER_KIND:
        return [sug for _, sug in found]
    order = sorted(range(len(found)), key=lambda i: (-found[i][0], i))[:MAX_PER_KIND]
    kept = [found[i][1] for i in sorted(order)]
    more = len(found) - MAX_PER_KIND
    kept.append(
        Suggestion(
            MORE,
            f"{more:,} more classes",
            f"The same for {more:,} more classes",
            f"{len(found):,} classes {what}; the {MAX_PER_KIND} above are those with the most "
            f"{ranked_by}.",
        )
    )
    return kept


@dataclass(frozen=True)
class Suggestion:
    """One experiment the data points to, the class or split it targets, and why."""

    kind: str
    target: str
    text: str
    evidence: str
    from_sample: bool = False  # counted in the streamed analysis sample, not in every row


def split_suggestions(splits: SplitResult) -> list[Suggestion]:
    """Classes absent from, or far rarer in, the train split than in the others."""
    counts = {s.name: np.asarray(s.counts) for s in splits.splits}
    return split_suggestions_from_counts(counts, splits.labels, missing=True)


def split_suggestions_from_counts(
    counts: dict[str, np.ndarray], labels: list[str], *, missing: bool = False
) -> list[Suggestion]:
    """Split suggestions from the true-label counts of each split ('(missing)' for no split)."""
    from reportgen.analysis.splits import split_order

    named = [n for n in counts if not (missing and n == "(missing)")]
    names = split_order(named)
    train = next((s for s in names if s.casefold() in TRAIN_NAMES), None)
    if train is None:
        return []
    k = len(labels)
    train_counts = np.asarray(counts[train])[:k]
    other_counts = sum(
        (np.asarray(c)[:k] for n, c in counts.items() if n != train), np.zeros(k, dtype=np.int64)
    )
    n_train, n_other = int(train_counts.sum()), int(other_counts.sum())
    out: list[tuple[int, Suggestion]] = []
    others = ", ".join(s for s in names if s != train) or "the other splits"
    for i, label in enumerate(labels):
        if other_counts[i] == 0:
            continue
        if train_counts[i] == 0:
            out.append(
                (
                    int(other_counts[i]),
                    Suggestion(
                        "missing-in-train",
                        label,
                        f"Move or collect examples of '{label}' into the train split",
                        f"'{label}' never occurs in '{train}' but has "
                        f"{int(other_counts[i]):,} examples in {others}: the model cannot "
                        "learn it.",
                    ),
                )
            )
        elif n_train and n_other:
            share_train = train_counts[i] / n_train
            share_other = other_counts[i] / n_other
            if share_train < RARER_FACTOR * share_other:
                out.append(
                    (
                        int(other_counts[i]),
                        Suggestion(
                            "rare-in-train",
                            label,
                            f"Add examples of '{label}' to the train split, or oversample it",
                            f"'{label}' is {pct(share_train)} of '{train}' but "
                            f"{pct(share_other)} of {others} ({int(train_counts[i]):,} against "
                            f"{int(other_counts[i]):,} examples).",
                        ),
                    )
                )
    return _capped(
        out,
        f"are missing from, or far rarer in, '{train}' than in {others}",
        f"examples in {others}",
    )


def rare_class_suggestions(result: ClassificationResult) -> list[Suggestion]:
    """Rare classes whose recall lags the rest."""
    macro_recall = result.macro_avg.recall
    out: list[tuple[int, Suggestion]] = []
    for m in result.per_class:
        share = m.support / result.n if result.n else 0.0
        if 0 < share < RARE_SHARE and m.recall < macro_recall - 0.1 and m.false_negatives >= 2:
            out.append(
                (
                    m.false_negatives,
                    Suggestion(
                        "rare-class-recall",
                        m.label,
                        f"Oversample '{m.label}' or weight it more in the loss",
                        f"'{m.label}' is {pct(share)} of the rows and its recall is "
                        f"{pct(m.recall)} against a macro average of {pct(macro_recall)} "
                        f"({m.false_negatives:,} of {m.support:,} missed).",
                    ),
                )
            )
    return _capped(
        out,
        "are rare and have a recall more than 10 points below the macro average",
        "missed samples",
    )


def threshold_for_precision(
    confidence: np.ndarray, correct: np.ndarray, target: float
) -> tuple[float, float, int] | None:
    """Lowest confidence threshold whose kept predictions reach the target precision.

    Returns (threshold, precision, true positives kept), or None when no threshold does.
    """
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    kept = np.arange(1, order.size + 1)
    precision = hits / kept
    # only cut between different confidences: ties stand or fall together
    conf_sorted = confidence[order]
    boundary = np.append(conf_sorted[1:] < conf_sorted[:-1], True)
    ok = np.flatnonzero((precision >= target) & boundary)
    if ok.size == 0:
        return None
    last = int(ok[-1])
    return float(conf_sorted[last]), float(precision[last]), int(hits[last])


def threshold_suggestions(
    result: ClassificationResult,
    pred_codes: np.ndarray,
    true_codes: np.ndarray,
    confidence: np.ndarray,
    *,
    sample: str | None = None,
) -> list[Suggestion]:
    """Classes with many false positives: the threshold that halves their precision gap.

    `result` must describe the same rows as the codes. sample: the words that say which rows
    those are when they are not every row ('the analysis sample of 1,000 rows').
    """
    out = []
    worst = sorted(
        (i for i, m in enumerate(result.per_class) if m.false_positives >= MIN_FALSE_POSITIVES),
        key=lambda i: (-result.per_class[i].false_positives, i),
    )
    for i in worst[:MAX_THRESHOLDS]:
        m = result.per_class[i]
        if m.precision >= 0.95:
            continue
        target = m.precision + (1.0 - m.precision) / 2
        mine = pred_codes == i
        found = threshold_for_precision(confidence[mine], true_codes[mine] == i, target)
        if found is None:
            continue
        threshold, precision, kept = found
        recall_after = kept / m.support if m.support else 0.0
        if recall_after < MIN_RECALL_KEPT * m.recall:
            continue  # a precision bought with much of the recall is no experiment to suggest
        where = f"In {sample}, '{m.label}'" if sample else f"'{m.label}'"
        out.append(
            Suggestion(
                "threshold",
                m.label,
                f"Predict '{m.label}' only at confidence ≥ {score(threshold)}",
                f"{where} has {m.false_positives:,} false positives (precision "
                f"{pct(m.precision)}); at confidence ≥ {score(threshold)} precision becomes "
                f"{pct(precision)} and recall goes from {pct(m.recall)} to {pct(recall_after)} "
                f"(a suggested threshold keeps at least {MIN_RECALL_KEPT:.0%} of the current "
                "recall).",
                from_sample=sample is not None,
            )
        )
    return out


def count_confident_errors(
    true_codes: np.ndarray, pred_codes: np.ndarray, confidence: np.ndarray
) -> int:
    """Count the errors made with confidence at or above CONFIDENT."""
    return int(((true_codes != pred_codes) & (confidence >= CONFIDENT)).sum())


def confident_error_suggestions(
    true_codes: np.ndarray, pred_codes: np.ndarray, confidence: np.ndarray, *, oof: bool = False
) -> list[Suggestion]:
    """Errors made with high confidence: often wrong labels rather than wrong predictions."""
    return confident_error_suggestion(
        count_confident_errors(true_codes, pred_codes, confidence),
        int((true_codes != pred_codes).sum()),
        oof=oof,
    )


# what analysis/label_issues.py measured (extra trees; tests/test_label_issues_digits.py): said
# where the probabilities are not known to be out-of-sample, so no label review is computed
IN_SAMPLE_NOTE = (
    " Out-of-sample probabilities (out-of-fold, passed with --oof) would allow a proper label "
    "review; in-sample ones can hide label errors: on scikit-learn's digits with 179 of 1,797 "
    "labels flipped, extra trees (a model that fits its rows) flagged 0 of the 179 flipped "
    "labels from in-sample probabilities and 156 of 179 from 5-fold out-of-fold ones."
)


def confident_error_suggestion(count: int, errors: int, *, oof: bool = False) -> list[Suggestion]:
    """Suggest a label review from the counts of confident errors and of all errors.

    Without `oof` (probabilities not said to be out-of-sample) the evidence adds that --oof
    would allow a proper label review, and why in-sample probabilities are not enough.
    """
    if count == 0:
        return []
    return [
        Suggestion(
            "review-labels",
            "confident errors",
            f"Review the labels of the {count:,} errors predicted with confidence ≥ {CONFIDENT}",
            f"{count:,} of {errors:,} errors ({pct(count / max(1, errors))}) "
            f"have confidence ≥ {CONFIDENT}; confident mistakes are often label errors."
            + ("" if oof else IN_SAMPLE_NOTE),
        )
    ]
