"""Matching at one IoU and the operating point of analysis/detection_operating.

References: pycocotools' COCOeval matching on the fixture, a brute-force loop on random cases,
scikit-learn's precision / recall / F1 on labelled vectors built from the counts.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_matching import box_iou
from reportgen.analysis.detection_operating import (
    Matching,
    best_f1_threshold,
    match_at,
    operating_point,
)
from tests.test_detection_metrics import INSTANCES, RESULTS, detections_of, ground_truth_of


def brute_match(gt: GroundTruth, dt: Detections, iou: float) -> Matching:
    """The greedy rule, one detection and one box at a time, in plain Python."""
    n_det, n_gt = len(dt.score), len(gt.iscrowd)
    detection_gt = np.full(n_det, -1)
    ignored = np.zeros(n_det, dtype=bool)
    gt_matched_by = np.full(n_gt, -1)
    order = sorted(range(n_det), key=lambda d: (-dt.score[d], d))
    for d in order:
        best, best_iou = -1, -1.0
        crowd_hit = False
        for g in range(n_gt):
            if gt.image_id[g] != dt.image_id[d] or gt.category_id[g] != dt.category_id[d]:
                continue
            crowd = bool(gt.iscrowd[g])
            value = float(box_iou(dt.box[d : d + 1], gt.box[g : g + 1], np.array([crowd]))[0, 0])
            if value < iou:
                continue
            if crowd:
                crowd_hit = True
            elif gt_matched_by[g] < 0 and value >= best_iou:
                best, best_iou = g, value
        if best >= 0:
            detection_gt[d] = best
            gt_matched_by[best] = d
        elif crowd_hit:
            ignored[d] = True
    return Matching(iou, detection_gt, ignored, gt_matched_by)


def random_case(seed: int, images: int = 6) -> tuple[GroundTruth, Detections]:
    """Random boxes, clustered so that matches, duplicates and crowds all happen."""
    rng = np.random.default_rng(seed)
    n_gt = int(rng.integers(0, 40))
    gt_box = np.c_[rng.uniform(0, 80, (n_gt, 2)), rng.uniform(5, 40, (n_gt, 2))]
    gt = GroundTruth.of(
        rng.integers(0, images, n_gt),
        rng.integers(1, 4, n_gt),
        gt_box,
        rng.random(n_gt) < 0.1,
        categories=(1, 2, 3, 4),
    )
    n_dt = int(rng.integers(0, 80))
    source = rng.integers(0, max(n_gt, 1), n_dt)
    jitter = rng.normal(0, 4, (n_dt, 4))
    base = gt_box[source] if n_gt else np.full((n_dt, 4), 20.0)
    dt_box = np.abs(base + jitter) + np.array([0, 0, 1, 1])
    follow = rng.random(n_dt) < 0.8
    image = np.where(
        follow & (n_gt > 0), gt.image_id[source] if n_gt else 0, rng.integers(0, images, n_dt)
    )
    category = np.where(
        rng.random(n_dt) < 0.7, gt.category_id[source] if n_gt else 1, rng.integers(1, 5, n_dt)
    )
    score = np.round(rng.random(n_dt), 1)  # ties on purpose
    return gt, Detections.of(image, category, dt_box, score)


def test_random_cases_cover_crowds_and_duplicates() -> None:
    """The random cases below do exercise ignored detections and unmatched duplicates."""
    ignored = duplicates = 0
    for seed in range(40):
        gt, dt = random_case(seed)
        m = brute_match(gt, dt, 0.5)
        ignored += int(m.detection_ignored.sum())
        duplicates += int(((m.detection_gt < 0) & ~m.detection_ignored).sum())
    assert ignored > 5 and duplicates > 50


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("iou", [0.5, 0.75])
def test_matching_equals_brute_force(seed: int, iou: float) -> None:
    gt, dt = random_case(seed)
    got, want = match_at(gt, dt, iou), brute_match(gt, dt, iou)
    np.testing.assert_array_equal(got.detection_gt, want.detection_gt)
    np.testing.assert_array_equal(got.detection_ignored, want.detection_ignored)
    np.testing.assert_array_equal(got.gt_matched_by, want.gt_matched_by)


def cocoeval_matches(dataset: dict[str, Any], results: list[dict[str, Any]]) -> Any:
    """COCOeval's evaluate() on in-memory files, quietly."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(dataset)
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(copy.deepcopy(results)), "bbox")
        ev.evaluate()
    return ev


def test_matching_equals_cocoeval_on_fixture() -> None:
    """dtMatches / dtIgnore at IoU .5, area all, maxDets 100 (no group has more than 100)."""
    dataset = json.loads(INSTANCES.read_text())
    results = json.loads(RESULTS.read_text())
    gt, dt = ground_truth_of(dataset), detections_of(results)
    _, per_group = np.unique(np.c_[dt.image_id, dt.category_id], axis=0, return_counts=True)
    assert per_group.max() <= 100
    ev = cocoeval_matches(dataset, results)
    gt_row = {a["id"]: i for i, a in enumerate(dataset["annotations"])}
    want_gt = np.full(len(results), -1)
    want_ignored = np.zeros(len(results), dtype=bool)
    seen = 0
    for entry in ev.evalImgs:
        if entry is None or entry["aRng"] != [0, 1e10]:
            continue
        for k, det_id in enumerate(entry["dtIds"]):
            seen += 1
            match = int(entry["dtMatches"][0, k])
            ignored = bool(entry["dtIgnore"][0, k])
            want_ignored[det_id - 1] = ignored
            if match and not ignored:
                want_gt[det_id - 1] = gt_row[match]
    got = match_at(gt, dt, 0.5)
    # detections of categories COCOeval does not evaluate stay unmatched in both
    assert seen <= len(results)
    np.testing.assert_array_equal(got.detection_gt, want_gt)
    np.testing.assert_array_equal(got.detection_ignored, want_ignored)
    assert (got.detection_gt >= 0).sum() > 100  # the fixture's crowd boxes ignore nothing


def test_one_matching_serves_every_threshold() -> None:
    """Matching only the detections above a threshold gives the same matches for them."""
    for seed in range(10):
        gt, dt = random_case(seed)
        full = match_at(gt, dt)
        for conf in (0.3, 0.6):
            keep = dt.score >= conf
            part = Detections.of(
                dt.image_id[keep], dt.category_id[keep], dt.box[keep], dt.score[keep]
            )
            sub = match_at(gt, part)
            np.testing.assert_array_equal(sub.detection_gt, full.detection_gt[keep])
            np.testing.assert_array_equal(sub.detection_ignored, full.detection_ignored[keep])


def test_hand_worked_case() -> None:
    """Two boxes; a TP, a duplicate, a crowd-ignored one and a wrong-class one."""
    gt = GroundTruth.of(
        [1, 1, 1],
        [1, 1, 1],
        [[0, 0, 10, 10], [50, 50, 10, 10], [100, 100, 50, 50]],
        [False, False, True],
    )
    dt = Detections.of(
        [1, 1, 1, 1, 1],
        [1, 1, 1, 2, 1],
        [[0, 0, 10, 10], [0, 0, 10, 11], [110, 110, 10, 10], [50, 50, 10, 10], [50, 50, 10, 9]],
        [0.9, 0.8, 0.7, 0.6, 0.3],
    )
    m = match_at(gt, dt)
    assert m.detection_gt.tolist() == [0, -1, -1, -1, 1]
    assert m.detection_ignored.tolist() == [False, False, True, False, False]
    assert m.gt_matched_by.tolist() == [0, 4, -1]
    point = operating_point(gt, dt, m, conf=0.5)
    assert (point.tp, point.fp, point.fn) == (1, 2, 1)
    assert point.chosen == "given" and point.conf == 0.5
    best = operating_point(gt, dt, m)
    # thresholds .9: F1 2/(2+0+1); .8: 2/(2+1+1); .6: 2/5; .3: 4/(4+2+0) = 2/3, the highest
    # among equal maxima is .9
    assert best.chosen == "max-f1" and best.conf == 0.9
    assert best.f1 == pytest.approx(2 / 3)
    assert [c.category_id for c in best.per_class] == [1]


def test_best_threshold_ties_take_the_highest() -> None:
    score = np.array([0.9, 0.8, 0.7, 0.6])
    true = np.array([True, False, True, False])
    # F1 at .9: 2/(2+0+1)=.667; .8: 2/4=.5; .7: 4/(4+1+0)=.8; .6: 4/6
    assert best_f1_threshold(score, true, 2) == 0.7
    assert best_f1_threshold(np.array([0.5, 0.4]), np.array([False, False]), 3) == 0.5
    assert best_f1_threshold(np.zeros(0), np.zeros(0, dtype=bool), 3) == 0.0


def brute_best_conf(gt: GroundTruth, dt: Detections, m: Matching) -> float:
    """Try every distinct score, the highest first; keep the first strict improvement."""
    counted = ~m.detection_ignored
    positives = int((~gt.iscrowd).sum())
    best, best_conf = -1.0, 0.0
    for t in sorted(set(dt.score[counted].tolist()), reverse=True):
        kept = counted & (dt.score >= t)
        tp = int((kept & (m.detection_gt >= 0)).sum())
        fp = int(kept.sum()) - tp
        f1 = 2 * tp / (2 * tp + fp + positives - tp) if 2 * tp + fp + positives - tp else 0.0
        if f1 > best + 1e-12:
            best, best_conf = f1, t
    return best_conf


@pytest.mark.parametrize("seed", range(20))
def test_operating_point_equals_sklearn(seed: int) -> None:
    gt, dt = random_case(seed)
    m = match_at(gt, dt)
    point = operating_point(gt, dt, m)
    assert point.conf == brute_best_conf(gt, dt, m)
    kept = ~m.detection_ignored & (dt.score >= point.conf)
    # labelled vectors: a kept detection is (its matched box's class or background, its
    # class); a box not matched by a kept detection is (its class, background)
    matched_by_kept = np.zeros(len(gt.iscrowd), dtype=bool)
    matched_by_kept[m.detection_gt[kept & (m.detection_gt >= 0)]] = True
    y_true = [int(gt.category_id[g]) if g >= 0 else 0 for g in m.detection_gt[kept]]
    y_pred = [int(c) for c in dt.category_id[kept]]
    missed = ~gt.iscrowd & ~matched_by_kept
    y_true += [int(c) for c in gt.category_id[missed]]
    y_pred += [0] * int(missed.sum())
    labels = [c.category_id for c in point.per_class]
    assert labels == [1, 2, 3, 4]
    if not y_true:
        return
    p, r, f, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=np.nan
    )
    for k, row in enumerate(point.per_class):
        assert row.tp + row.fn == support[k]
        for mine, theirs in ((row.precision, p[k]), (row.recall, r[k]), (row.f1, f[k])):
            if mine is None:
                assert np.isnan(theirs) or theirs == 0.0
            else:
                assert mine == pytest.approx(theirs)
        if row.recall_ci is not None and row.recall is not None:
            assert row.recall_ci[0] <= row.recall <= row.recall_ci[1]
    mp, mr, _, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average="micro", zero_division=np.nan
    )
    if point.precision is not None:
        assert point.precision == pytest.approx(mp)
    if point.recall is not None:
        assert point.recall == pytest.approx(mr)
    assert point.tp == sum(c.tp for c in point.per_class)
    assert point.fn == sum(c.fn for c in point.per_class)


def test_empty_inputs() -> None:
    gt = GroundTruth.of([], [], np.zeros((0, 4)), categories=(1,))
    dt = Detections.of([], [], np.zeros((0, 4)), [])
    m = match_at(gt, dt)
    assert m.detection_gt.shape == (0,) and m.gt_matched_by.shape == (0,)
    point = operating_point(gt, dt, m)
    assert (point.tp, point.fp, point.fn, point.conf) == (0, 0, 0, 0.0)
    assert point.precision is None and point.recall is None and point.f1 is None
