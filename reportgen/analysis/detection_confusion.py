"""A detection confusion matrix with a background row and column (Ultralytics' convention).

Definitions
-----------
``detection_confusion(gt, dt, conf=..., iou=0.5)`` counts, for K ground-truth categories
(the file's ``categories``, else those of its boxes, in id order), a (K + 1) x (K + 1)
matrix: rows the true class, columns the predicted class (as the classification matrix),
index K the background. The matching is Ultralytics' ``ConfusionMatrix.process_batch``,
image by image, class-agnostic:

- detections with score >= ``conf`` are kept (Ultralytics keeps score > conf);
- every (non-crowd ground truth, kept detection) pair of an image with IoU > ``iou`` is a
  candidate; by decreasing IoU each detection keeps its best pair, then, again by decreasing
  IoU, each ground truth keeps its best among those (two passes, as Ultralytics: a detection
  whose best box went to another detection is not offered its second-best box);
  equal IoUs are taken lower ground-truth index first, then lower detection index
  (Ultralytics' order on ties is its sort's);
- a matched pair counts at (true class, predicted class): the diagonal is correct, the rest
  class confusions; an unmatched ground truth at (class, background), a miss; an unmatched
  detection at (background, class), a false positive.

Ultralytics has no crowd boxes. Here a kept detection left unmatched whose IoU over its own
area with a crowd box of any class is > ``iou`` is left out of the matrix (as COCOeval ignores
it); crowd boxes are never rows. Detections of a category the ground truth does not define
are left out too (COCOeval drops them; the reader refuses them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_matching import box_iou

# Pairs whose IoU is computed at once: bounds the memory on large inputs.
PAIR_CHUNK = 1 << 20


@dataclass(frozen=True)
class DetectionConfusion:
    """Counts of (true class, predicted class), index K of either axis the background."""

    category_ids: tuple[int, ...]  # rows/columns 0..K-1; index K is background
    counts: np.ndarray  # (K+1, K+1) int64
    iou: float
    conf: float


def detection_confusion(
    gt: GroundTruth, dt: Detections, *, conf: float, iou: float = 0.5
) -> DetectionConfusion:
    """The (K + 1) x (K + 1) matrix at one confidence and IoU threshold (see the module)."""
    categories = np.unique(
        np.asarray(gt.categories, dtype=np.int64) if gt.categories is not None else gt.category_id
    )
    k = len(categories)
    kept = np.flatnonzero((dt.score >= conf) & np.isin(dt.category_id, categories))
    real = np.flatnonzero(~gt.iscrowd & np.isin(gt.category_id, categories))
    det_class = np.searchsorted(categories, dt.category_id[kept])
    gt_class = np.searchsorted(categories, gt.category_id[real])

    pair_det, pair_gt = pairs_by_image(dt.image_id[kept], gt.image_id[real])
    overlap = pair_iou(dt.box[kept[pair_det]], gt.box[real[pair_gt]], crowd=False)
    over = overlap > iou
    det_match, gt_match = two_pass(pair_det[over], pair_gt[over], overlap[over])

    cells = gt_class[gt_match] * (k + 1) + det_class[det_match]
    counts = np.bincount(cells, minlength=(k + 1) ** 2).astype(np.int64).reshape(k + 1, k + 1)
    gt_free = np.ones(len(real), dtype=bool)
    gt_free[gt_match] = False
    counts[:k, k] += np.bincount(gt_class[gt_free], minlength=k)
    det_free = np.ones(len(kept), dtype=bool)
    det_free[det_match] = False
    free = np.flatnonzero(det_free)
    regions = np.flatnonzero(gt.iscrowd)
    crowd_det, crowd_gt = pairs_by_image(dt.image_id[kept[free]], gt.image_id[regions])
    crowd_iou = pair_iou(dt.box[kept[free[crowd_det]]], gt.box[regions[crowd_gt]], crowd=True)
    in_region = np.zeros(len(free), dtype=bool)
    in_region[crowd_det[crowd_iou > iou]] = True
    counts[k, :k] += np.bincount(det_class[free[~in_region]], minlength=k)
    return DetectionConfusion(
        category_ids=tuple(int(c) for c in categories),
        counts=counts,
        iou=float(iou),
        conf=float(conf),
    )


def two_pass(
    det: np.ndarray, box: np.ndarray, overlap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ultralytics' de-duplication of candidate pairs: the matched (detection, box) pairs.

    By decreasing IoU (ties: lower box, then lower detection first), the first pair of each
    detection is kept, then of those the first pair of each box.
    """
    order = np.lexsort((det, box, -overlap))
    det, box = det[order], box[order]
    first = _first_of_each(det)
    det, box = det[first], box[first]  # still in decreasing-IoU order
    first = _first_of_each(box)
    return det[first], box[first]


def _first_of_each(keys: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of each key, in their order."""
    _, index = np.unique(keys, return_index=True)
    return np.sort(index)


def pairs_by_image(det_image: np.ndarray, gt_image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (detection, ground truth) pair on the same image, as two index arrays."""
    gt_order = np.argsort(gt_image, kind="stable")
    sorted_images = gt_image[gt_order]
    low = np.searchsorted(sorted_images, det_image, side="left")
    high = np.searchsorted(sorted_images, det_image, side="right")
    per_det = high - low
    total = int(per_det.sum())
    det = np.repeat(np.arange(len(det_image)), per_det)
    starts = np.cumsum(per_det) - per_det
    offset = np.arange(total) - np.repeat(starts, per_det)
    return det, gt_order[np.repeat(low, per_det) + offset]


def pair_iou(det_box: np.ndarray, gt_box: np.ndarray, *, crowd: bool) -> np.ndarray:
    """IoU of each row's detection and box (``box_iou``'s rule), 0 where they do not overlap.

    Most pairs on an image do not overlap: a cheap test leaves them at 0 (as ``box_iou``
    does), and ``box_iou`` computes the rest, in chunks to bound the memory.
    """
    d, g = det_box, gt_box
    w = np.minimum(d[:, 2] + d[:, 0], g[:, 2] + g[:, 0]) - np.maximum(d[:, 0], g[:, 0])
    h = np.minimum(d[:, 3] + d[:, 1], g[:, 3] + g[:, 1]) - np.maximum(d[:, 1], g[:, 1])
    rows = np.flatnonzero((w > 0) & (h > 0))
    out = np.zeros(len(det_box))
    flags = np.full((min(PAIR_CHUNK, len(rows)), 1), crowd)
    for start in range(0, len(rows), PAIR_CHUNK):
        part = rows[start : start + PAIR_CHUNK]
        iou = box_iou(d[part, None, :], g[part, None, :], flags[: len(part)])
        out[part] = iou[:, 0, 0]
    return out
