"""Measured buckets of analysis/detection_buckets, on scenes built to fill one bucket each."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_buckets import (
    DetectionBucket,
    confusion_pairs,
    detection_buckets,
    rare_classes,
)
from reportgen.analysis.detection_errors import detection_errors
from reportgen.analysis.detection_matching import box_iou
from tests.test_detection_metrics import INSTANCES, RESULTS, detections_of, ground_truth_of

SIDE = 400.0


def buckets_of(
    gt: GroundTruth, dt: Detections, names: dict[int, str] | None = None
) -> dict[str, DetectionBucket]:
    images = np.array(sorted(set(gt.image_id.tolist()) | set(dt.image_id.tolist())))
    errors = detection_errors(gt, dt, images=images.tolist())
    out = detection_buckets(
        gt,
        dt,
        errors,
        images,
        np.full(len(images), SIDE),
        np.full(len(images), SIDE),
        category_names=names,
    )
    counts = [b.count for b in out]
    assert counts == sorted(counts, reverse=True)
    return {b.key: b for b in out}


def found_box(i: int) -> list[float]:
    """A large box well inside the image."""
    return [100.0 + i, 100.0, 150.0, 150.0]


def test_every_miss_small() -> None:
    small = [[50.0 + 40 * i, 200.0, 10.0, 10.0] for i in range(3)]
    gt = GroundTruth.of([1, 1, 1, 2], [1, 1, 1, 1], [*small, found_box(0)])
    dt = Detections.of([2], [1], [found_box(0)], [0.9])
    got = buckets_of(gt, dt)
    assert list(got) == ["small-missed", "missed"]  # equal counts keep the defined order
    assert got["small-missed"].count == 3 and got["small-missed"].share == 1.0
    assert got["small-missed"].dap is None and got["small-missed"].base == "missed"
    errors = detection_errors(gt, dt)
    assert got["missed"].dap == pytest.approx(errors.dap["Miss"]) and got["missed"].dap > 0


def test_every_miss_at_the_edge() -> None:
    boxes = [[0.0, 100.0, 60.0, 60.0], [100.0, 345.0, 50.0, 50.0], [150.0, 150.0, 60.0, 60.0]]
    gt = GroundTruth.of([1, 1, 2], [1, 1, 1], boxes)
    dt = Detections.of([2], [1], [boxes[2]], [0.9])
    got = buckets_of(gt, dt)
    # touching (x = 0) and near (5 px from the bottom, under 5% of 400); none small
    assert got["edge-missed"].count == 2 and got["edge-missed"].share == 1.0
    assert "small-missed" not in got


def test_every_false_positive_a_duplicate() -> None:
    boxes = [found_box(0), [20.0, 20.0, 100.0, 100.0]]
    gt = GroundTruth.of([1, 1], [1, 1], boxes)
    dup = [[b[0] + 2, b[1] + 2, b[2], b[3]] for b in boxes]
    dt = Detections.of([1] * 4, [1] * 4, [*boxes, *dup], [0.9, 0.8, 0.5, 0.4])
    got = buckets_of(gt, dt)
    assert list(got) == ["duplicate"]
    assert got["duplicate"].count == 2 and got["duplicate"].share == 1.0
    assert got["duplicate"].base == "false-positives"
    assert got["duplicate"].dap == pytest.approx(detection_errors(gt, dt).dap["Dupe"])


def test_confusion_pairs_top_five_and_classification() -> None:
    # (true, pred) pairs with counts 4, 3, 3, 2, 1, 1: the last one (by ids) is dropped
    pairs = [(1, 2)] * 4 + [(2, 1)] * 3 + [(3, 1)] * 3 + [(1, 3)] * 2 + [(2, 3)] + [(3, 2)]
    gt_boxes = [[20.0 * i, 20.0 * i, 15.0, 15.0] for i in range(len(pairs))]
    gt = GroundTruth.of([1] * len(pairs), [t for t, _ in pairs], gt_boxes, categories=(1, 2, 3))
    dt = Detections.of(
        [1] * len(pairs), [p for _, p in pairs], gt_boxes, np.linspace(0.9, 0.5, len(pairs))
    )
    got = buckets_of(gt, dt, names={1: "fin", 2: "tube", 3: "severe"})
    keys = [k for k in got if k.startswith("confusion:")]
    assert keys == [
        "confusion:1:2",
        "confusion:2:1",
        "confusion:3:1",
        "confusion:1:3",
        "confusion:2:3",
    ]
    assert got["confusion:1:2"].count == 4
    assert got["confusion:1:2"].share == pytest.approx(4 / 14)
    assert got["confusion:1:2"].name == "fin detected as tube"
    assert got["classification"].count == 14 and got["classification"].share == 1.0
    assert got["classification"].dap == pytest.approx(detection_errors(gt, dt).dap["Cls"])
    # nothing was missed: a Cls error's box is not a miss
    assert "missed" not in got


def test_rare_class_missed() -> None:
    boxes = [found_box(i) if i < 40 else [10.0 * i - 300, 300.0, 40.0, 40.0] for i in range(42)]
    # 40 boxes of class 1 (spread over images) found; 2 of class 2, both missed
    image = [*range(40), 50, 51]
    gt = GroundTruth.of(image, [1] * 40 + [2, 2], boxes)
    dt = Detections.of(image[:40], [1] * 40, boxes[:40], [0.9] * 40)
    assert rare_classes(gt) == [2]
    got = buckets_of(gt, dt)
    assert got["rare-missed:2"].count == 2 and got["rare-missed:2"].share == 1.0


def test_rare_needs_both_limits() -> None:
    # 3 classes: 1/(2K) = 1/6 of 100 boxes is 16.7, 5% is 5: a class of 6 is not rare
    gt = GroundTruth.of(
        np.zeros(100, dtype=int), [1] * 60 + [2] * 34 + [3] * 6, np.tile([0, 0, 5, 5], (100, 1))
    )
    assert rare_classes(gt) == []
    gt = GroundTruth.of(
        np.zeros(100, dtype=int), [1] * 60 + [2] * 36 + [3] * 4, np.tile([0, 0, 5, 5], (100, 1))
    )
    assert rare_classes(gt) == [3]


def test_fixture_confusion_targets_equal_a_loop() -> None:
    """Every Cls error gets TIDE's target, found by brute force; the pairs add up to Cls."""
    dataset = json.loads(INSTANCES.read_text())
    gt = ground_truth_of(dataset)
    dt = detections_of(json.loads(RESULTS.read_text()))
    errors = detection_errors(gt, dt, images=[i["id"] for i in dataset["images"]])
    want: dict[tuple[int, int], int] = {}
    for d in np.flatnonzero(errors.detection_error == 0):
        on = np.flatnonzero((gt.image_id == dt.image_id[d]) & ~gt.iscrowd)
        iou = box_iou(dt.box[d : d + 1], gt.box[on], np.zeros(len(on), dtype=bool))[0]
        iou = iou * (gt.category_id[on] != dt.category_id[d])
        target = on[int(np.argmax(iou))]
        key = (int(gt.category_id[target]), int(dt.category_id[d]))
        want[key] = want.get(key, 0) + 1
    got = dict(confusion_pairs(gt, dt, errors))
    assert got == want
    assert sum(got.values()) == errors.counts["Cls"] > 0
