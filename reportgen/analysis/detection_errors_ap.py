"""TIDE's AP50 (tidecv 1.0.1's ``APDataObject``): per-class AP from scored true/false points.

A run is a set of data points (class, score, true or false, a tie-break key) and a count of
ground-truth positives per class; fixing an error type changes the points and the counts, and
the dAP is the mean AP of the fixed run minus that of the original one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# x / 100 as tidecv writes it: np.linspace(0, 1, 101) differs in the last bit at some points,
# which moves a point where a recall equals it exactly
_RECALL_POINTS = np.arange(101) / 100


@dataclass(frozen=True)
class Run:
    """Data points and ground-truth positives of one TIDE evaluation (original or fixed)."""

    point_class: np.ndarray  # (P,) int category id
    point_score: np.ndarray  # (P,) float
    point_true: np.ndarray  # (P,) bool: true positive
    point_order: np.ndarray  # (P,) int: tidecv's insertion order, which breaks score ties
    positives: dict[int, int]  # category id -> ground-truth positives


def class_ap(run: Run) -> dict[int, float]:
    """AP50 in percent of every non-empty class (points or positives), as tidecv computes it.

    tidecv sorts a class's points by score with Python's stable sort (ties in insertion
    order), uses precision tp / (tp + fp) without COCOeval's epsilon, makes it non-increasing
    from the right and reads it at the first rank whose recall reaches each of the 101 points;
    a class with points but no positives has AP 0.
    """
    classes = set(run.positives) | {int(c) for c in np.unique(run.point_class)}
    order = np.lexsort((run.point_order, -run.point_score, run.point_class))
    sorted_class = run.point_class[order]
    result: dict[int, float] = {}
    for k in sorted(classes):
        boxes = run.positives.get(k, 0)
        lo, hi = np.searchsorted(sorted_class, [k, k + 1])
        if hi == lo and boxes == 0:
            continue  # tidecv's is_empty(): left out of the mean
        if boxes <= 0:
            result[k] = 0.0
            continue
        true = run.point_true[order[lo:hi]]
        result[k] = _ap(true, boxes)
    return result


def mean_ap(aps: dict[int, float], classes: set[int] | None = None) -> float:
    """The mean of the per-class APs, over ``classes`` when given (those present in ``aps``)."""
    values = [v for k, v in aps.items() if classes is None or k in classes]
    return float(sum(values) / len(values)) if values else 0.0


def _ap(true: np.ndarray, boxes: int) -> float:
    """AP in percent of one class from its true/false flags in score order."""
    if len(true) == 0:
        return 0.0
    tp = np.cumsum(true).astype(float)
    fp = np.cumsum(~true).astype(float)
    precision = tp / (tp + fp)
    recall = tp / boxes
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    at = np.searchsorted(recall, _RECALL_POINTS, side="left")
    reached = at < len(true)
    values = np.where(reached, envelope[np.minimum(at, len(true) - 1)], 0.0)
    return float(sum(values.tolist()) / len(values) * 100)
