"""COCO box metrics equal to pycocotools' COCOeval (iouType "bbox"), in numpy.

Summary
-------
``coco_metrics(ground_truth, detections)`` returns a ``DetectionMetrics``: COCOeval's twelve
summary numbers and per-class AP, AP50 and recall. ``evaluate_coco`` returns the arrays they
come from, shaped as COCOeval's ``eval['precision']`` and ``eval['recall']``.

Definitions (all COCOeval's, kept to the operation so the numbers agree to rounding):

- IoU thresholds .50:.05:.95 (ten); recall points 0:.01:1 (101); maxDets 1, 10, 100; area
  ranges all [0, 1e10], small [0, 32²], medium [32², 96²], large [96², 1e10], both ends
  included, by the ground truth's ``area`` field (for COCO, the segmentation's area, not the
  box's) and by a detection's box area w * h.
- Categories are the ground truth's (``categories``, default those of its boxes); detections
  of any other category are dropped, as COCOeval drops them.
- Per (category, image): detections sorted by score, highest first, with a stable sort (ties
  keep input order), the top 100 kept. Per IoU threshold, each detection in turn takes the free
  ground truth with the highest IoU >= the threshold (the later one on ties), not-ignored boxes
  first; a crowd box is never used up, and its IoU divides by the detection's area.
- A ground truth is ignored when it is crowd or outside the area range; a detection is ignored
  when it matched an ignored box, or matched nothing and is outside the area range. Ignored
  detections are neither true nor false positives; ignored boxes are not counted in recall.
- Per (category, area range, maxDets): the kept detections of all images (each image's top
  maxDets), sorted by score with a stable sort over images in increasing id order; precision
  tp / (tp + fp + eps), made non-increasing from the right; precision at each recall point is
  the envelope at the first rank whose recall reaches it, 0 past the last. Recall is the final
  tp / (not-ignored boxes). A category without not-ignored boxes in the range gets -1.
- AP: the mean of precision over IoU thresholds, recall points and categories, leaving out -1
  entries; AP50 / AP75 at one threshold; AR1 / AR10 / AR100: the mean of recall over
  thresholds and categories at that maxDets. A summary with nothing to average is -1, as
  COCOeval prints it.
- Per class (area all, maxDets 100): ``ap`` the mean of its precision over thresholds and
  recall points (COCO AP of that class), ``ap50`` at IoU .5, ``recall`` the mean of its recall
  over the ten thresholds (its AR100), ``recall50`` at IoU .5; None for a class without
  ground-truth boxes.

Input checks belong to the reader: COCOeval's ``loadRes`` refuses detections on images the
ground truth does not list, while here they simply count (as false positives); boxes of zero
or negative size are not refused here either.

Speed: the matching is vectorised over (category, image) groups of similar size
(``detection_matching``). On the fixture this takes about 0.07 s against 0.35 s for
pycocotools' ``evaluate()`` + ``accumulate()``; on a synthetic COCO-val-sized input (5,000
images, 35,000 boxes, 132,000 detections) 0.8 s against 24 s, with identical numbers.

Known difference: COCOeval marks a match by storing the ground truth's id, so a ground truth
with id 0 counts as unmatched there; boxes have no ids here and every match counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.detection_accumulate import accumulate
from reportgen.analysis.detection_matching import match_groups

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)
MAX_DETECTIONS = (1, 10, 100)
AREA_RANGES = {
    "all": (0.0, 1e5**2),
    "small": (0.0, 32.0**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e5**2),
}
# COCOeval compares IoUs with min(threshold, 1 - 1e-10) so that IoU 1 is reachable at .95
_MATCH_THRESHOLDS = np.minimum(IOU_THRESHOLDS, 1 - 1e-10)


@dataclass(frozen=True)
class Boxes:
    """Boxes, one row each: the image and category they belong to, and where they are."""

    image_id: np.ndarray  # (n,) int
    category_id: np.ndarray  # (n,) int
    box: np.ndarray  # (n, 4) float: x, y, w, h


@dataclass(frozen=True)
class GroundTruth(Boxes):
    """Ground-truth boxes, one row each, in the order of the instances file."""

    iscrowd: np.ndarray  # (n,) bool
    area: np.ndarray  # (n,) float: the annotation's area, which sets its size range
    categories: tuple[int, ...] | None = None  # the file's categories; None: those of the boxes

    @classmethod
    def of(
        cls,
        image_id: object,
        category_id: object,
        box: object,
        iscrowd: object = None,
        area: object = None,
        categories: tuple[int, ...] | None = None,
    ) -> GroundTruth:
        """Build from array-likes; iscrowd defaults to False, area to the box's w * h."""
        images, cats, boxes = _rows(image_id, category_id, box)
        crowd = np.zeros(len(boxes), dtype=bool) if iscrowd is None else np.asarray(iscrowd)
        areas = boxes[:, 2] * boxes[:, 3] if area is None else np.asarray(area, dtype=float)
        return cls(
            image_id=images,
            category_id=cats,
            box=boxes,
            iscrowd=_same_length(crowd.astype(bool), len(boxes)),
            area=_same_length(areas, len(boxes)),
            categories=categories,
        )


@dataclass(frozen=True)
class Detections(Boxes):
    """Predicted boxes with scores, one row each, in the order of the results file."""

    score: np.ndarray  # (n,) float

    @classmethod
    def of(cls, image_id: object, category_id: object, box: object, score: object) -> Detections:
        """Build from array-likes."""
        images, cats, boxes = _rows(image_id, category_id, box)
        scores = _same_length(np.asarray(score, dtype=float), len(boxes))
        return cls(image_id=images, category_id=cats, box=boxes, score=scores)


@dataclass(frozen=True)
class CocoEvaluation:
    """COCOeval's accumulated arrays: precision (T, R, K, A, M) and recall (T, K, A, M)."""

    category_ids: tuple[int, ...]  # K, in increasing order
    precision: np.ndarray
    recall: np.ndarray


@dataclass(frozen=True)
class ClassMetrics:
    """One category's COCO numbers at area all and maxDets 100; None without ground truth."""

    category_id: int
    ap: float | None  # mean precision over IoU .50:.95 and the 101 recall points
    ap50: float | None  # the same at IoU .50
    recall: float | None  # mean recall over IoU .50:.95 (the class's AR100)
    recall50: float | None  # recall at IoU .50


@dataclass(frozen=True)
class DetectionMetrics:
    """COCOeval's twelve summary numbers (-1 where it prints -1) and per-class numbers."""

    ap: float
    ap50: float
    ap75: float
    ap_small: float
    ap_medium: float
    ap_large: float
    ar1: float
    ar10: float
    ar100: float
    ar_small: float
    ar_medium: float
    ar_large: float
    per_class: tuple[ClassMetrics, ...]

    @property
    def stats(self) -> tuple[float, ...]:
        """The twelve numbers in the order of COCOeval's ``stats``."""
        return (
            self.ap,
            self.ap50,
            self.ap75,
            self.ap_small,
            self.ap_medium,
            self.ap_large,
            self.ar1,
            self.ar10,
            self.ar100,
            self.ar_small,
            self.ar_medium,
            self.ar_large,
        )


def evaluate_coco(ground_truth: GroundTruth, detections: Detections) -> CocoEvaluation:
    """Match and accumulate as COCOeval's ``evaluate()`` and ``accumulate()`` do."""
    gt, dt = ground_truth, detections
    categories = np.unique(
        np.asarray(gt.categories, dtype=np.int64) if gt.categories is not None else gt.category_id
    )
    # detections of categories the ground truth does not define are dropped
    dt_keep = np.isin(dt.category_id, categories)
    dt_cat = np.searchsorted(categories, dt.category_id[dt_keep])
    dt_image = dt.image_id[dt_keep]
    dt_box = dt.box[dt_keep]
    dt_score = dt.score[dt_keep]
    gt_keep = np.isin(gt.category_id, categories)
    gt_cat = np.searchsorted(categories, gt.category_id[gt_keep])
    gt_image = gt.image_id[gt_keep]

    # groups: one per (category, image) pair present on either side
    images = np.unique(np.concatenate([gt_image, dt_image]))
    dt_key = dt_cat * len(images) + np.searchsorted(images, dt_image)
    gt_key = gt_cat * len(images) + np.searchsorted(images, gt_image)
    _, group = np.unique(np.concatenate([gt_key, dt_key]), return_inverse=True)
    gt_group, dt_group = group[: len(gt_key)], group[len(gt_key) :]

    # detections by group, then score (highest first), ties in input order; top 100 kept
    order = np.lexsort((np.arange(len(dt_group)), -dt_score, dt_group))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = _place_in_run(dt_group[order])
    kept = rank < MAX_DETECTIONS[-1]
    gt_rank = np.empty(len(gt_group), dtype=np.int64)
    gt_order = np.argsort(gt_group, kind="stable")
    gt_rank[gt_order] = _place_in_run(gt_group[gt_order])

    gt_area = gt.area[gt_keep]
    gt_crowd = gt.iscrowd[gt_keep]
    gt_ignore = gt_crowd[:, None] | _outside(gt_area)
    matches = match_groups(
        dt_box[kept],
        dt_group[kept],
        rank[kept],
        gt.box[gt_keep],
        gt_group,
        gt_rank,
        gt_crowd,
        gt_ignore,
        _MATCH_THRESHOLDS,
    )
    dt_area = dt_box[kept, 2] * dt_box[kept, 3]
    dt_outside = _outside(dt_area)
    precision, recall = accumulate(
        categories=len(categories),
        det_category=dt_cat[kept],
        det_image=dt_image[kept],
        det_rank=rank[kept],
        det_score=dt_score[kept],
        det_matched=matches.matched,
        det_ignored=matches.to_ignored | (~matches.matched & dt_outside[:, :, None]),
        gt_category=gt_cat,
        gt_ignore=gt_ignore,
        max_detections=MAX_DETECTIONS,
        recall_points=RECALL_POINTS,
    )
    return CocoEvaluation(
        category_ids=tuple(int(c) for c in categories), precision=precision, recall=recall
    )


def coco_metrics(ground_truth: GroundTruth, detections: Detections) -> DetectionMetrics:
    """COCOeval's summary (``summarize()``'s twelve numbers) and per-class AP and recall."""
    ev = evaluate_coco(ground_truth, detections)
    area = {name: i for i, name in enumerate(AREA_RANGES)}
    last = len(MAX_DETECTIONS) - 1

    def ap(threshold: int | None = None, size: str = "all") -> float:
        """Mean precision at maxDets 100, over all thresholds or one."""
        p = ev.precision[..., area[size], last]
        return _mean_valid(p if threshold is None else p[threshold])

    def ar(max_dets: int = 100, size: str = "all") -> float:
        """Mean recall over thresholds and categories at one maxDets."""
        return _mean_valid(ev.recall[:, :, area[size], MAX_DETECTIONS.index(max_dets)])

    per_class = tuple(
        ClassMetrics(
            category_id=category,
            ap=_none_if_missing(_mean_valid(ev.precision[:, :, k, 0, last])),
            ap50=_none_if_missing(_mean_valid(ev.precision[0, :, k, 0, last])),
            recall=_none_if_missing(_mean_valid(ev.recall[:, k, 0, last])),
            recall50=_none_if_missing(_mean_valid(ev.recall[0, k, 0, last])),
        )
        for k, category in enumerate(ev.category_ids)
    )
    return DetectionMetrics(
        ap=ap(),
        ap50=ap(0),
        ap75=ap(5),
        ap_small=ap(size="small"),
        ap_medium=ap(size="medium"),
        ap_large=ap(size="large"),
        ar1=ar(1),
        ar10=ar(10),
        ar100=ar(100),
        ar_small=ar(size="small"),
        ar_medium=ar(size="medium"),
        ar_large=ar(size="large"),
        per_class=per_class,
    )


def _mean_valid(values: np.ndarray) -> float:
    """COCOeval's mean over entries > -1; -1 when there are none."""
    valid = values[values > -1]
    return float(np.mean(valid)) if valid.size else -1.0


def _none_if_missing(value: float) -> float | None:
    """-1 (no ground truth) as None."""
    return None if value == -1.0 else value


def _place_in_run(sorted_keys: np.ndarray) -> np.ndarray:
    """Each row's place within its run of equal keys (the keys sorted)."""
    if sorted_keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    lengths = np.diff(np.r_[starts, sorted_keys.size])
    return np.arange(sorted_keys.size) - np.repeat(starts, lengths)


def _rows(
    image_id: object, category_id: object, box: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image ids, category ids (int64) and (n, 4) float boxes, checked to be as many."""
    boxes = np.asarray(box, dtype=np.float64).reshape(-1, 4)
    images = np.asarray(image_id, dtype=np.int64).reshape(-1)
    categories = np.asarray(category_id, dtype=np.int64).reshape(-1)
    return _same_length(images, len(boxes)), _same_length(categories, len(boxes)), boxes


def _outside(area: np.ndarray) -> np.ndarray:
    """(n, area ranges): whether each area lies outside each range (bounds included in it)."""
    return np.stack([(area < low) | (area > high) for low, high in AREA_RANGES.values()], axis=1)


def _same_length(values: np.ndarray, n: int) -> np.ndarray:
    """The array, after checking it has one entry per box."""
    if values.shape != (n,):
        raise ValueError(f"expected {n} values, one per box, got shape {values.shape}")
    return values
