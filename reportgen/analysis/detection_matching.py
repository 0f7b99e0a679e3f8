"""Box IoU and COCOeval's greedy detection-to-ground-truth matching, vectorised over groups.

A group is one (category, image) pair. pycocotools matches each group with Python loops over
IoU thresholds, detections and ground truths; here every group of similar size is matched at
once: the only loop left is over a detection's rank in its group (at most ``maxDets``), and
each step handles all groups, area ranges and IoU thresholds together in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Elements of one (groups, area ranges, thresholds, ground truths) block matched at a time:
# bounds the memory of a matching step whatever the input size.
BLOCK_ELEMENTS = 1 << 21


def box_iou(det: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """IoU of detections against ground truths, boxes as x, y, w, h; shape (..., D, G).

    det: (..., D, 4), gt: (..., G, 4), crowd: (..., G) booleans. Against a crowd box the
    denominator is the detection's own area (pycocotools' ``bbIou``), so a detection inside a
    crowd region scores 1 however large the region. The operations are pycocotools' C code in
    the same order, so the IoUs, and the comparisons with the thresholds, are bit-identical.
    """
    d = det[..., :, None, :]
    g = gt[..., None, :, :]
    w = np.minimum(d[..., 2] + d[..., 0], g[..., 2] + g[..., 0]) - np.maximum(d[..., 0], g[..., 0])
    h = np.minimum(d[..., 3] + d[..., 1], g[..., 3] + g[..., 1]) - np.maximum(d[..., 1], g[..., 1])
    inter = w * h
    det_area = d[..., 2] * d[..., 3]
    gt_area = g[..., 2] * g[..., 3]
    union = np.where(crowd[..., None, :], det_area, det_area + gt_area - inter)
    overlap = (w > 0) & (h > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(overlap, inter / np.where(overlap, union, 1.0), 0.0)
    return np.asarray(iou, dtype=np.float64)


@dataclass(frozen=True)
class Matches:
    """Per detection, area range and IoU threshold: matched, and matched to an ignored box."""

    matched: np.ndarray  # (detections, area ranges, thresholds) bool
    to_ignored: np.ndarray  # same shape: the ground truth it matched is crowd or out of range


def match_padded(
    iou: np.ndarray, gt_ignore: np.ndarray, crowd: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching of padded groups, detections in score order; COCOeval's rule exactly.

    iou: (n, D, G) with -1 in padding; gt_ignore: (n, A, G); crowd: (n, G); thresholds: (T,).
    Returns matched and to_ignored, each (n, A, T, D).

    COCOeval walks the ground truths with the not-ignored ones first and takes, among those
    still free (a crowd box is never used up) with IoU >= the threshold, the one with the
    highest IoU, the later one on ties; only when no not-ignored box qualifies does it look at
    the ignored ones. Both searches are an argmax over the reversed ground-truth axis here.
    """
    n, depth, width = iou.shape
    areas = gt_ignore.shape[1]
    steps = len(thresholds)
    taken = np.zeros((n, areas, steps, width), dtype=bool)
    matched = np.zeros((n, areas, steps, depth), dtype=bool)
    to_ignored = np.zeros_like(matched)
    ignore = gt_ignore[:, :, None, :]
    free_crowd = crowd[:, None, None, :]
    columns = np.arange(width)
    for rank in range(depth):
        row = iou[:, rank, None, None, :]
        candidate = (row >= thresholds[None, None, :, None]) & (~taken | free_crowd)
        picks = []
        for wanted in (False, True):
            allowed = candidate & (ignore == wanted)
            scores = np.where(allowed, row, -1.0)
            last = width - 1 - np.argmax(scores[..., ::-1], axis=-1)
            picks.append((allowed.any(axis=-1), last))
        (found_kept, pick_kept), (found_ignored, pick_ignored) = picks
        found = found_kept | found_ignored
        pick = np.where(found_kept, pick_kept, pick_ignored)
        taken |= (columns == pick[..., None]) & found[..., None]
        matched[..., rank] = found
        to_ignored[..., rank] = found & ~found_kept
    return matched, to_ignored


def match_groups(
    det_box: np.ndarray,
    det_group: np.ndarray,
    det_rank: np.ndarray,
    gt_box: np.ndarray,
    gt_group: np.ndarray,
    gt_rank: np.ndarray,
    gt_crowd: np.ndarray,
    gt_ignore: np.ndarray,
    thresholds: np.ndarray,
) -> Matches:
    """Match every group's detections to its ground truths, groups batched by padded size.

    det_group / gt_group: each row's group number; det_rank: a detection's place in its group
    by score (0 = highest, ties in input order); gt_rank: a ground truth's place in its group
    in input order; gt_ignore: (ground truths, area ranges). Groups are padded to powers of two
    in both sizes, so a few large groups do not make every other group pay for their size.
    """
    groups = int(max(det_group.max(initial=-1), gt_group.max(initial=-1))) + 1
    areas = gt_ignore.shape[1]
    matched = np.zeros((len(det_box), areas, len(thresholds)), dtype=bool)
    to_ignored = np.zeros_like(matched)
    det_count = np.bincount(det_group, minlength=groups)
    gt_count = np.bincount(gt_group, minlength=groups)
    busy = (det_count > 0) & (gt_count > 0)
    depth_of = _pow2(det_count)
    width_of = _pow2(gt_count)
    buckets = {(int(d), int(w)) for d, w in zip(depth_of[busy], width_of[busy], strict=True)}
    for depth, width in sorted(buckets):
        members = np.flatnonzero(busy & (depth_of == depth) & (width_of == width))
        chunk = max(1, BLOCK_ELEMENTS // (areas * len(thresholds) * width))
        for start in range(0, len(members), chunk):
            block = members[start : start + chunk]
            slot = np.full(groups, -1)
            slot[block] = np.arange(len(block))
            dets = np.flatnonzero(slot[det_group] >= 0)
            gts = np.flatnonzero(slot[gt_group] >= 0)
            det_pad = np.zeros((len(block), depth, 4))
            det_pad[slot[det_group[dets]], det_rank[dets]] = det_box[dets]
            gt_pad = np.zeros((len(block), width, 4))
            gt_pad[slot[gt_group[gts]], gt_rank[gts]] = gt_box[gts]
            crowd_pad = np.zeros((len(block), width), dtype=bool)
            crowd_pad[slot[gt_group[gts]], gt_rank[gts]] = gt_crowd[gts]
            real = np.zeros((len(block), width), dtype=bool)
            real[slot[gt_group[gts]], gt_rank[gts]] = True
            ignore_pad = np.zeros((len(block), areas, width), dtype=bool)
            ignore_pad[slot[gt_group[gts]], :, gt_rank[gts]] = gt_ignore[gts]
            iou = box_iou(det_pad, gt_pad, crowd_pad)
            # padded ground truths can never reach a threshold; padded detections come after
            # the real ones in rank, so they cannot take a box from them
            iou = np.where(real[:, None, :], iou, -1.0)
            got, ignored = match_padded(iou, ignore_pad, crowd_pad, thresholds)
            rows, ranks = slot[det_group[dets]], det_rank[dets]
            matched[dets] = got[rows, :, :, ranks]
            to_ignored[dets] = ignored[rows, :, :, ranks]
    return Matches(matched=matched, to_ignored=to_ignored)


def _pow2(counts: np.ndarray) -> np.ndarray:
    """The smallest power of two at least each count (1 for 0)."""
    exponent = np.ceil(np.log2(np.maximum(counts, 1))).astype(np.int64)
    return np.asarray(np.left_shift(1, exponent), dtype=np.int64)
