"""The detection confusion matrix of analysis/detection_confusion against Ultralytics' rule.

The reference is a re-implementation of Ultralytics' ``ConfusionMatrix.process_batch`` from
its documented behaviour (rows predicted, columns true there; transposed here), image by image.
"""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_confusion import detection_confusion, pairs_by_image


def xyxy(box: np.ndarray) -> np.ndarray:
    return np.c_[box[:, :2], box[:, :2] + box[:, 2:]]


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plain IoU of x1 y1 x2 y2 boxes, (len(a), len(b))."""
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            w = min(p[2], q[2]) - max(p[0], q[0])
            h = min(p[3], q[3]) - max(p[1], q[1])
            if w > 0 and h > 0:
                inter = w * h
                union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
                out[i, j] = inter / union
    return out


def ultralytics_batch(
    matrix: np.ndarray,
    detections: np.ndarray,
    gt_boxes: np.ndarray,
    gt_cls: np.ndarray,
    crowd_boxes: np.ndarray,
    conf: float,
    iou_thres: float,
) -> None:
    """process_batch on one image; matrix[pred, true]; detections rows x1 y1 x2 y2 conf cls."""
    nc = matrix.shape[0] - 1
    detections = detections[detections[:, 4] >= conf]
    det_cls = detections[:, 5].astype(int)
    iou = iou_matrix(gt_boxes, detections[:, :4])
    x = np.nonzero(iou > iou_thres)
    if x[0].shape[0]:
        matches = np.concatenate((np.stack(x, 1), iou[x[0], x[1]][:, None]), 1)
        if x[0].shape[0] > 1:
            matches = matches[matches[:, 2].argsort()[::-1]]
            matches = matches[np.unique(matches[:, 1], return_index=True)[1]]
            matches = matches[matches[:, 2].argsort()[::-1]]
            matches = matches[np.unique(matches[:, 0], return_index=True)[1]]
    else:
        matches = np.zeros((0, 3))
    n = matches.shape[0] > 0
    m0, m1, _ = matches.transpose().astype(int)
    for i, gc in enumerate(gt_cls):
        j = m0 == i
        if n and sum(j) == 1:
            matrix[det_cls[m1[j]][0], gc] += 1
        else:
            matrix[nc, gc] += 1
    for i, dc in enumerate(det_cls):
        if not any(m1 == i):
            # the crowd rule added here: inside a crowd region (IoU over the detection's area)
            box = detections[i, :4]
            area = (box[2] - box[0]) * (box[3] - box[1])
            inside = [
                max(0.0, min(box[2], c[2]) - max(box[0], c[0]))
                * max(0.0, min(box[3], c[3]) - max(box[1], c[1]))
                / area
                for c in crowd_boxes
            ]
            if not any(v > iou_thres for v in inside):
                matrix[dc, nc] += 1


def reference(gt: GroundTruth, dt: Detections, conf: float, iou: float) -> np.ndarray:
    categories = sorted(set(gt.category_id.tolist()) | set(gt.categories or ()))
    index = {c: i for i, c in enumerate(categories)}
    matrix = np.zeros((len(categories) + 1,) * 2, dtype=np.int64)
    for image in sorted(set(gt.image_id.tolist()) | set(dt.image_id.tolist())):
        on_g = (gt.image_id == image) & ~gt.iscrowd
        on_c = (gt.image_id == image) & gt.iscrowd
        on_d = dt.image_id == image
        det = np.c_[
            xyxy(dt.box[on_d]), dt.score[on_d], [index[c] for c in dt.category_id[on_d]]
        ].reshape(-1, 6)
        ultralytics_batch(
            matrix,
            det,
            xyxy(gt.box[on_g]),
            np.array([index[c] for c in gt.category_id[on_g]], dtype=int),
            xyxy(gt.box[on_c]),
            conf,
            iou,
        )
    return matrix.T


def random_case(seed: int) -> tuple[GroundTruth, Detections]:
    rng = np.random.default_rng(seed)
    n_gt = int(rng.integers(0, 50))
    gt_box = np.c_[rng.uniform(0, 60, (n_gt, 2)), rng.uniform(5, 30, (n_gt, 2))]
    gt = GroundTruth.of(
        rng.integers(0, 5, n_gt),
        rng.integers(1, 5, n_gt),
        gt_box,
        rng.random(n_gt) < 0.08,
        categories=(1, 2, 3, 4),
    )
    n_dt = int(rng.integers(0, 90))
    if n_gt:
        src = rng.integers(0, n_gt, n_dt)
        box = np.abs(gt_box[src] + rng.normal(0, 5, (n_dt, 4))) + np.array([0, 0, 1, 1])
        image = np.where(rng.random(n_dt) < 0.85, gt.image_id[src], rng.integers(0, 5, n_dt))
    else:
        box = np.c_[rng.uniform(0, 60, (n_dt, 2)), rng.uniform(5, 30, (n_dt, 2))]
        image = rng.integers(0, 5, n_dt)
    dt = Detections.of(image, rng.integers(1, 5, n_dt), box, rng.random(n_dt))
    return gt, dt


@pytest.mark.parametrize("seed", range(60))
def test_equals_ultralytics_rule(seed: int) -> None:
    gt, dt = random_case(seed)
    conf = [0.0, 0.3, 0.6][seed % 3]
    iou = [0.5, 0.3, 0.45][seed % 3]
    got = detection_confusion(gt, dt, conf=conf, iou=iou)
    assert got.category_ids == (1, 2, 3, 4)
    np.testing.assert_array_equal(got.counts, reference(gt, dt, conf, iou))
    # every non-crowd box is counted once, in its row
    real = ~gt.iscrowd
    assert got.counts[:4].sum() == real.sum()


def test_random_cases_tell_the_two_pass_rule_from_a_true_greedy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a one-pass greedy in place of the two passes, the reference disagrees somewhere."""
    from reportgen.analysis import detection_confusion as module

    def greedy(
        det: np.ndarray, box: np.ndarray, overlap: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        used_det: set[int] = set()
        used_box: set[int] = set()
        pairs = []
        for i in np.lexsort((det, box, -overlap)):
            if int(det[i]) not in used_det and int(box[i]) not in used_box:
                used_det.add(int(det[i]))
                used_box.add(int(box[i]))
                pairs.append((int(det[i]), int(box[i])))
        out = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        return out[:, 0], out[:, 1]

    monkeypatch.setattr(module, "two_pass", greedy)
    differ = 0
    for seed in range(60):
        gt, dt = random_case(seed)
        got = module.detection_confusion(gt, dt, conf=0.0, iou=0.3)
        differ += not np.array_equal(got.counts, reference(gt, dt, 0.0, 0.3))
    assert differ > 0


def test_hand_worked_case() -> None:
    """A correct pair, a confusion, a miss, a background FP and a crowd-ignored detection."""
    gt = GroundTruth.of(
        [1, 1, 1, 2],
        [1, 2, 2, 1],
        [[0, 0, 10, 10], [20, 0, 10, 10], [40, 0, 10, 10], [0, 0, 100, 100]],
        [False, False, False, True],
        categories=(1, 2, 3),
    )
    dt = Detections.of(
        [1, 1, 1, 2, 1],
        [1, 1, 3, 3, 2],
        [[0, 0, 10, 10], [20, 0, 10, 10], [70, 70, 5, 5], [10, 10, 5, 5], [40, 0, 10, 10]],
        [0.9, 0.8, 0.7, 0.6, 0.1],
    )
    got = detection_confusion(gt, dt, conf=0.5)
    want = np.zeros((4, 4), dtype=np.int64)
    want[0, 0] = 1  # class 1 found
    want[1, 0] = 1  # class 2 taken for class 1
    want[1, 3] = 1  # class 2 missed (its detection is below conf)
    want[3, 2] = 1  # a class-3 detection on nothing; the one in the crowd region is left out
    np.testing.assert_array_equal(got.counts, want)
    assert (got.iou, got.conf) == (0.5, 0.5)


def test_pairs_by_image() -> None:
    det, gt = pairs_by_image(np.array([3, 1, 3, 7]), np.array([3, 1, 3, 5]))
    assert sorted(zip(det.tolist(), gt.tolist(), strict=True)) == [
        (0, 0),
        (0, 2),
        (1, 1),
        (2, 0),
        (2, 2),
    ]
