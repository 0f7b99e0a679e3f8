"""COCOeval's ``accumulate()``: matched detections into precision at recall points, and recall."""

from __future__ import annotations

import numpy as np


def accumulate(
    *,
    categories: int,
    det_category: np.ndarray,
    det_image: np.ndarray,
    det_rank: np.ndarray,
    det_score: np.ndarray,
    det_matched: np.ndarray,
    det_ignored: np.ndarray,
    gt_category: np.ndarray,
    gt_ignore: np.ndarray,
    max_detections: tuple[int, ...],
    recall_points: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return precision (T, R, K, A, M) and recall (T, K, A, M), -1 where a category has no
    not-ignored ground truth in an area range.

    det_matched / det_ignored: (detections, A, T); det_rank: place in its image's list by
    score; gt_ignore: (ground truths, A). COCOeval concatenates the images' lists in
    increasing image id and sorts by score with a stable mergesort, so ties in score are
    broken by image id, then by place in the image's list: the lexsort below is that order.
    """
    areas, steps = gt_ignore.shape[1], det_matched.shape[2]
    shape = (steps, len(recall_points), categories, areas, len(max_detections))
    precision = -np.ones(shape)
    recall = -np.ones((steps, categories, areas, len(max_detections)))
    order = np.lexsort((det_rank, det_image, -det_score, det_category))
    bounds = np.searchsorted(det_category[order], np.arange(categories + 1))
    kept_boxes = np.stack(
        [np.bincount(gt_category[~gt_ignore[:, a]], minlength=categories) for a in range(areas)],
        axis=1,
    )
    for k in range(categories):
        rows = order[bounds[k] : bounds[k + 1]]
        for m, max_dets in enumerate(max_detections):
            top = rows[det_rank[rows] < max_dets]
            for a in range(areas):
                boxes = int(kept_boxes[k, a])
                if boxes == 0:
                    continue
                matched = det_matched[top, a].T
                ignored = det_ignored[top, a].T
                precision[:, :, k, a, m], recall[:, k, a, m] = _curve(
                    matched & ~ignored, ~matched & ~ignored, boxes, recall_points
                )
    return precision, recall


def _curve(
    tps: np.ndarray, fps: np.ndarray, boxes: int, recall_points: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Precision at the recall points (T, R) and final recall (T,) from (T, D) tp/fp flags.

    COCOeval's formulas in its order of operations: precision tp / (fp + tp + eps), made
    non-increasing from the right, read at the first rank whose recall reaches each point
    (0 past the last rank).
    """
    steps, depth = tps.shape
    if depth == 0:
        return np.zeros((steps, len(recall_points))), np.zeros(steps)
    tp = np.cumsum(tps, axis=1).astype(float)
    fp = np.cumsum(fps, axis=1).astype(float)
    rc = tp / boxes
    pr = tp / (fp + tp + np.spacing(1))
    envelope = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
    at = np.zeros((steps, len(recall_points)))
    for t in range(steps):
        inds = np.searchsorted(rc[t], recall_points, side="left")
        reached = inds < depth
        at[t, reached] = envelope[t, inds[reached]]
    return at, rc[:, -1]
