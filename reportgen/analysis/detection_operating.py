"""One matching at an IoU threshold, and the operating point it gives at a confidence threshold.

Matching (``match_at``)
-----------------------
COCOeval's greedy rule at one IoU threshold, over all detections (no maxDets cap, unlike
COCOeval's 100 per image and category): per image and category, detections in score order
(highest first, a stable sort: ties keep input order) each take the free non-crowd ground
truth of their category with the highest IoU >= ``iou`` (the later one in input order on
ties, as COCOeval does); failing that, a detection whose crowd IoU (over its own area) with a
crowd box of its category is >= ``iou`` is *ignored*: neither a true nor a false positive. A
crowd box is never used up. Detections of a category without ground truth on their image,
or of a category the ground truth does not define, match nothing (false positives).

Because a detection's match depends only on the detections scored above it, one matching
serves every confidence threshold: the detections below a threshold are simply dropped.

Operating point (``operating_point``)
-------------------------------------
At confidence ``conf`` the detections with score >= conf are kept. tp: kept detections that
matched; fp: kept detections that matched nothing and are not ignored; fn: non-crowd ground
truths not matched by a kept detection. precision tp / (tp + fp), recall tp / (tp + fn), F1
2 tp / (2 tp + fp + fn); each None when its denominator is 0. Per class the same with the
class's detections and boxes, with 95% Wilson intervals for precision and recall, for every
category of the ground truth in id order. The overall (micro) numbers also count false
positives of categories the ground truth does not define, which no class row shows.

Default threshold: the one maximising the overall F1 among the distinct scores of the
detections that are not ignored; among equal maxima, the highest threshold (the fewest
detections). Without such detections the threshold is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_matching import box_iou
from reportgen.analysis.stats import wilson_interval

# Elements of one padded (groups, detections, ground truths) IoU block: bounds the memory.
BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Matching:
    """One-to-one matching at one IoU threshold, COCO's greedy rule, all detections."""

    iou: float
    detection_gt: np.ndarray  # (D,) index of the matched ground truth, -1 none
    detection_ignored: np.ndarray  # (D,) bool: matched a crowd box (neither TP nor FP)
    gt_matched_by: np.ndarray  # (G,) index of the matching detection, -1 none


@dataclass(frozen=True)
class ClassPoint:
    """One category's counts and rates at the operating point."""

    category_id: int
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    precision_ci: tuple[float, float] | None  # Wilson, 95%
    recall_ci: tuple[float, float] | None  # Wilson, 95%


@dataclass(frozen=True)
class OperatingPoint:
    """Counts and rates over all classes (micro) and per class at one confidence threshold."""

    conf: float  # detections with score >= conf are kept
    chosen: str  # "given" or "max-f1"
    iou: float
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    per_class: tuple[ClassPoint, ...]  # every ground-truth category, in id order


def match_at(gt: GroundTruth, dt: Detections, iou: float = 0.5) -> Matching:
    """Match every detection at one IoU threshold with COCOeval's greedy rule (no maxDets)."""
    threshold = min(iou, 1 - 1e-10)  # as COCOeval, so that IoU 1 is reachable
    n_det, n_gt = len(dt.score), len(gt.iscrowd)
    detection_gt = np.full(n_det, -1, dtype=np.int64)
    ignored = np.zeros(n_det, dtype=bool)
    gt_matched_by = np.full(n_gt, -1, dtype=np.int64)
    # groups: (image, category) pairs, numbered over both sides
    _, image_of = np.unique(np.r_[gt.image_id, dt.image_id], return_inverse=True)
    categories, category_of = np.unique(np.r_[gt.category_id, dt.category_id], return_inverse=True)
    _, group = np.unique(image_of.reshape(-1) * len(categories) + category_of, return_inverse=True)
    group = group.reshape(-1)
    gt_group, dt_group = group[:n_gt], group[n_gt:]
    groups = int(group.max(initial=-1)) + 1
    det_order = np.lexsort((np.arange(n_det), -dt.score, dt_group))
    det_rank = np.empty(n_det, dtype=np.int64)
    det_rank[det_order] = place_in_run(dt_group[det_order])
    gt_order = np.argsort(gt_group, kind="stable")
    gt_rank = np.empty(n_gt, dtype=np.int64)
    gt_rank[gt_order] = place_in_run(gt_group[gt_order])
    det_count = np.bincount(dt_group, minlength=groups)
    gt_count = np.bincount(gt_group, minlength=groups)
    busy = (det_count > 0) & (gt_count > 0)
    depth_of, width_of = _pow2(det_count), _pow2(gt_count)
    sizes = sorted({(int(d), int(w)) for d, w in zip(depth_of[busy], width_of[busy], strict=True)})
    for depth, width in sizes:
        members = np.flatnonzero(busy & (depth_of == depth) & (width_of == width))
        chunk = max(1, BLOCK_ELEMENTS // (depth * width))
        for start in range(0, len(members), chunk):
            block = members[start : start + chunk]
            slot = np.full(groups, -1)
            slot[block] = np.arange(len(block))
            dets = np.flatnonzero(slot[dt_group] >= 0)
            gts = np.flatnonzero(slot[gt_group] >= 0)
            det_pad = np.zeros((len(block), depth, 4))
            det_pad[slot[dt_group[dets]], det_rank[dets]] = dt.box[dets]
            det_index = np.full((len(block), depth), -1)
            det_index[slot[dt_group[dets]], det_rank[dets]] = dets
            gt_pad = np.zeros((len(block), width, 4))
            gt_pad[slot[gt_group[gts]], gt_rank[gts]] = gt.box[gts]
            gt_index = np.full((len(block), width), -1)
            gt_index[slot[gt_group[gts]], gt_rank[gts]] = gts
            crowd = np.zeros((len(block), width), dtype=bool)
            crowd[slot[gt_group[gts]], gt_rank[gts]] = gt.iscrowd[gts]
            overlap = box_iou(det_pad, gt_pad, crowd)
            # padded boxes never reach the threshold; padded detections come last in rank
            reach = (overlap >= threshold) & (gt_index >= 0)[:, None, :]
            pick, to_crowd = _greedy_padded(overlap, reach, crowd)
            real = det_index >= 0
            found = real & (pick >= 0)
            rows = np.nonzero(found)
            matched_gt = gt_index[rows[0], pick[found]]
            detection_gt[det_index[found]] = matched_gt
            gt_matched_by[matched_gt] = det_index[found]
            ignored[det_index[real & to_crowd]] = True
    return Matching(
        iou=float(iou),
        detection_gt=detection_gt,
        detection_ignored=ignored,
        gt_matched_by=gt_matched_by,
    )


def _greedy_padded(
    overlap: np.ndarray, reach: np.ndarray, crowd: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching of padded groups in rank order: the picked column (-1) and crowd hits.

    overlap, reach: (n, D, G); crowd: (n, G). Each rank takes the free non-crowd column of
    highest IoU among those reaching the threshold (the last on ties); failing that it is
    marked when it reaches a crowd column.
    """
    n, depth, width = overlap.shape
    taken = np.zeros((n, width), dtype=bool)
    pick = np.full((n, depth), -1, dtype=np.int64)
    to_crowd = np.zeros((n, depth), dtype=bool)
    rows = np.arange(n)
    for rank in range(depth):
        ok = reach[:, rank, :]
        free = ok & ~crowd & ~taken
        scores = np.where(free, overlap[:, rank, :], -1.0)
        last = width - 1 - np.argmax(scores[:, ::-1], axis=1)
        found = free.any(axis=1)
        pick[found, rank] = last[found]
        taken[rows[found], last[found]] = True
        to_crowd[:, rank] = ~found & (ok & crowd).any(axis=1)
    return pick, to_crowd


def operating_point(
    gt: GroundTruth, dt: Detections, matching: Matching, conf: float | None = None
) -> OperatingPoint:
    """Counts, precision, recall and F1 at ``conf`` (default: the threshold maximising F1)."""
    counted = ~matching.detection_ignored
    true = matching.detection_gt >= 0
    positives = int(np.sum(~gt.iscrowd))
    chosen = "given"
    if conf is None:
        chosen = "max-f1"
        conf = best_f1_threshold(dt.score[counted], true[counted], positives)
    kept = counted & (dt.score >= conf)
    tp = int(np.sum(kept & true))
    fp = int(np.sum(kept & ~true))
    categories = np.unique(
        np.asarray(gt.categories, dtype=np.int64) if gt.categories is not None else gt.category_id
    )
    per_class = tuple(
        _class_point(int(c), tp=int(t), fp=int(f), boxes=int(b))
        for c, t, f, b in zip(
            categories,
            _per_category(dt.category_id[kept & true], categories),
            _per_category(dt.category_id[kept & ~true], categories),
            _per_category(gt.category_id[~gt.iscrowd], categories),
            strict=True,
        )
    )
    precision, recall, f1 = rates(tp, fp, positives - tp)
    return OperatingPoint(
        conf=float(conf),
        chosen=chosen,
        iou=matching.iou,
        tp=tp,
        fp=fp,
        fn=positives - tp,
        precision=precision,
        recall=recall,
        f1=f1,
        per_class=per_class,
    )


def errors_at(
    gt: GroundTruth, dt: Detections, matching: Matching, conf: float
) -> tuple[np.ndarray, np.ndarray]:
    """The errors at confidence `conf`, as indices in input order.

    False positives: kept detections (score >= conf) that matched nothing and are not
    ignored. Missed boxes: not-crowd ground truths no kept detection matched.
    """
    kept = dt.score >= conf
    false = np.flatnonzero(kept & (matching.detection_gt < 0) & ~matching.detection_ignored)
    by = matching.gt_matched_by
    found = (by >= 0) & kept[np.maximum(by, 0)]
    return false, np.flatnonzero(~gt.iscrowd & ~found)


def best_f1_threshold(score: np.ndarray, true: np.ndarray, positives: int) -> float:
    """The distinct score maximising 2 tp / (2 tp + fp + fn); the highest among equal maxima."""
    if score.size == 0:
        return 0.0
    order = np.argsort(-score, kind="stable")
    s = score[order]
    tp = np.cumsum(true[order])
    fp = np.cumsum(~true[order])
    # the counts at a threshold are those at the last detection of its score
    last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    denominator = 2 * tp[last] + fp[last] + (positives - tp[last])
    f1 = np.where(denominator > 0, 2 * tp[last] / np.maximum(denominator, 1), 0.0)
    # thresholds run from the highest down: argmax takes the first, the highest threshold
    return float(s[last][int(np.argmax(f1))])


def rates(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1, None where the denominator is 0."""
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return precision, recall, f1


def _class_point(category: int, *, tp: int, fp: int, boxes: int) -> ClassPoint:
    """One class's row."""
    precision, recall, f1 = rates(tp, fp, boxes - tp)
    return ClassPoint(
        category_id=category,
        tp=tp,
        fp=fp,
        fn=boxes - tp,
        precision=precision,
        recall=recall,
        f1=f1,
        precision_ci=wilson_interval(tp, tp + fp),
        recall_ci=wilson_interval(tp, boxes),
    )


def _per_category(category_id: np.ndarray, categories: np.ndarray) -> np.ndarray:
    """How many rows of each category (sorted ids); rows of other categories are not counted."""
    place = np.searchsorted(categories, category_id)
    ok = place < len(categories)
    ok[ok] = categories[place[ok]] == category_id[ok]
    return np.bincount(place[ok], minlength=len(categories))


def place_in_run(sorted_keys: np.ndarray) -> np.ndarray:
    """Each row's place within its run of equal keys (the keys sorted)."""
    if sorted_keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    lengths = np.diff(np.r_[starts, sorted_keys.size])
    return np.arange(sorted_keys.size) - np.repeat(starts, lengths)


def _pow2(counts: np.ndarray) -> np.ndarray:
    """The smallest power of two at least each count (1 for 0)."""
    exponent = np.ceil(np.log2(np.maximum(counts, 1))).astype(np.int64)
    return np.asarray(np.left_shift(1, exponent), dtype=np.int64)
