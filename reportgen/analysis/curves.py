"""Precision-recall and ROC curves of one score: counts at every distinct score, the areas
under them, and the points kept for drawing.

The curves come from one sort of the scores and cumulative sums over their distinct values
(scikit-learn's ``_binary_clf_curve``); AUC and average precision are computed on the full
curves, and only the points stored for drawing are thinned out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_CURVE_POINTS = 200


@dataclass(frozen=True)
class Curve:
    """Points of a curve kept for drawing, in order of decreasing threshold."""

    x: list[float]
    y: list[float]
    threshold: list[float | None]  # None for the point where nothing is predicted positive
    points: int  # points on the full curve: how many were thinned out is points - len(x)


def binary_counts(
    is_pos: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return true and false positives at every distinct score, highest threshold first.

    weights: how many rows each row stands for (rows with equal values summed up).

    Value sorts instead of an argsort and a gather (several times faster): the rows at or
    above each distinct score follow from where its run starts in the sorted scores, and the
    positives at or above it from counting each positive's run and summing from the top.
    """
    if weights is not None:
        values, where = np.unique(score, return_inverse=True)
        total = np.bincount(where, weights=weights, minlength=values.size)[::-1]
        hits = np.bincount(where, weights=weights * is_pos, minlength=values.size)[::-1]
        tps_w = np.rint(np.cumsum(hits)).astype(np.int64)
        return tps_w, np.rint(np.cumsum(total)).astype(np.int64) - tps_w, values[::-1]
    ordered = np.sort(score)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    values = ordered[starts]
    at_or_above = (score.size - starts)[::-1]
    run = np.searchsorted(values, np.sort(score[is_pos]))
    tps = np.cumsum(np.bincount(run, minlength=values.size)[::-1])
    return tps, at_or_above - tps, values[::-1]


def roc_auc(tps: np.ndarray, fps: np.ndarray) -> float:
    """Area under the ROC curve by trapezoids over the full curve (exact in counts)."""
    p, n = int(tps[-1]), int(fps[-1])
    t = np.concatenate(([0], tps)).astype(np.float64)
    f = np.concatenate(([0], fps)).astype(np.float64)
    return float(np.sum(np.diff(f) * (t[1:] + t[:-1])) / (2.0 * p * n))


def average_precision(tps: np.ndarray, fps: np.ndarray) -> float:
    """Average precision as scikit-learn defines it: sum of precision times recall gained."""
    recall = tps / tps[-1]
    precision = tps / (tps + fps)
    return float(max(0.0, np.sum(np.diff(recall, prepend=0.0) * precision)))


def downsample(x: np.ndarray, y: np.ndarray, limit: int = MAX_CURVE_POINTS) -> np.ndarray:
    """Pick at most limit points evenly spaced along the curve's length; keep both ends."""
    m = x.size
    if m <= limit:
        return np.arange(m)
    length = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
    targets = np.linspace(0.0, length[-1], limit)
    idx = np.clip(np.searchsorted(length, targets), 0, m - 1)
    idx[0], idx[-1] = 0, m - 1
    return np.unique(idx)


def thin_curve(x: np.ndarray, y: np.ndarray, threshold: np.ndarray) -> Curve:
    """Thin a curve whose first point has no threshold (nothing predicted positive)."""
    keep = downsample(x, y)
    thresholds: list[float | None] = [None if i == 0 else float(threshold[i - 1]) for i in keep]
    return Curve(x[keep].tolist(), y[keep].tolist(), thresholds, int(x.size))


def precision_recall_curve(tps: np.ndarray, fps: np.ndarray, thresholds: np.ndarray) -> Curve:
    """The precision-recall curve (x recall, y precision) from counts at every threshold."""
    recall = np.concatenate(([0.0], tps / tps[-1]))
    precision = np.concatenate(([1.0], tps / (tps + fps)))
    return thin_curve(recall, precision, thresholds)


def roc_curve(tps: np.ndarray, fps: np.ndarray, thresholds: np.ndarray) -> Curve:
    """The ROC curve (x false positive rate, y true positive rate) from counts."""
    fpr = np.concatenate(([0.0], fps / fps[-1]))
    tpr = np.concatenate(([0.0], tps / tps[-1]))
    return thin_curve(fpr, tpr, thresholds)
