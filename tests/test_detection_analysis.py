"""The detection analyses beyond COCO / TIDE together: the fixture end to end, and their speed.

Run as a script (``python -m tests.test_detection_analysis``) to print the timings on a
synthetic COCO-val-sized input: 5,000 images, 36,000 boxes, 500,000 detections.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_breakdown import breakdowns
from reportgen.analysis.detection_buckets import detection_buckets
from reportgen.analysis.detection_confusion import detection_confusion
from reportgen.analysis.detection_errors import detection_errors
from reportgen.analysis.detection_operating import match_at, operating_point
from tests.test_detection_metrics import INSTANCES, RESULTS, detections_of, ground_truth_of


def test_fixture_end_to_end_is_consistent() -> None:
    """Every part counts the same boxes and detections at the operating point."""
    dataset = json.loads(INSTANCES.read_text())
    gt = ground_truth_of(dataset)
    dt = detections_of(json.loads(RESULTS.read_text()))
    ids = np.array([i["id"] for i in dataset["images"]])
    width = np.array([i["width"] for i in dataset["images"]], dtype=float)
    height = np.array([i["height"] for i in dataset["images"]], dtype=float)
    matching = match_at(gt, dt)
    point = operating_point(gt, dt, matching)
    assert point.chosen == "max-f1" and 0 < point.conf <= dt.score.max()
    assert point.tp + point.fn == int((~gt.iscrowd).sum())
    assert point.f1 is not None and point.f1 > 0.5
    for breakdown in breakdowns(gt, dt, matching, point, ids, width, height):
        bins = breakdown.bins
        assert sum(b.boxes for b in bins) == point.tp + point.fn
        assert sum(b.matched for b in bins) == point.tp
        assert sum(b.detections for b in bins) == point.tp + point.fp
        assert sum(b.false_positives for b in bins) == point.fp
        if breakdown.dimension == "objects":
            assert sum(b.images or 0 for b in bins) == len(ids)
    confusion = detection_confusion(gt, dt, conf=point.conf)
    k = len(confusion.category_ids)
    assert confusion.category_ids == tuple(c.category_id for c in point.per_class)
    boxes = np.array([c.tp + c.fn for c in point.per_class])
    np.testing.assert_array_equal(confusion.counts[:k].sum(axis=1), boxes)
    # a same-class match at IoU .5 is found by both rules; the class-agnostic one finds no more
    assert np.trace(confusion.counts[:k, :k]) <= point.tp + point.fn
    errors = detection_errors(gt, dt, images=ids.tolist())
    buckets = {b.key: b for b in detection_buckets(gt, dt, errors, ids, width, height)}
    assert buckets["missed"].count == errors.counts["Miss"]
    assert buckets["classification"].count == errors.counts["Cls"]
    # the fixture's false positives are dominated by class swaps (its README)
    fp_keys = [key for key, b in buckets.items() if b.base == "false-positives"]
    assert fp_keys[0] == "classification"
    assert buckets["classification"].dap == pytest.approx(22.25, abs=0.005)
    assert all(0 < b.share <= 1 for b in buckets.values())


def synthetic(
    images: int = 5000, boxes: int = 36000, per_image: int = 100, classes: int = 80, seed: int = 0
) -> tuple[GroundTruth, Detections, np.ndarray, np.ndarray, np.ndarray]:
    """A COCO-val-sized input: half the detections near a box, some of another class."""
    rng = np.random.default_rng(seed)
    width = rng.integers(300, 640, images).astype(float)
    height = rng.integers(300, 640, images).astype(float)
    ids = np.arange(1, images + 1)
    on = rng.integers(0, images, boxes)
    size = np.exp(rng.uniform(np.log(4), np.log(250), (boxes, 2)))
    size = np.minimum(size, np.c_[width[on], height[on]] - 1)
    pos = rng.random((boxes, 2)) * (np.c_[width[on], height[on]] - size)
    gt_box = np.c_[pos, size]
    category = rng.integers(1, classes + 1, boxes)
    gt = GroundTruth.of(
        ids[on],
        category,
        gt_box,
        rng.random(boxes) < 0.01,
        categories=tuple(range(1, classes + 1)),
    )
    n = images * per_image
    source = rng.integers(0, boxes, n)
    jitter = rng.normal(0, 0.1, (n, 4)) * np.c_[size[source], size[source]]
    box = np.abs(gt_box[source] + jitter) + np.array([0, 0, 1, 1])
    image = np.where(rng.random(n) < 0.5, ids[on][source], rng.integers(1, images + 1, n))
    det_class = np.where(rng.random(n) < 0.7, category[source], rng.integers(1, classes + 1, n))
    return gt, Detections.of(image, det_class, box, rng.random(n)), ids, width, height


def timings() -> dict[str, float]:
    """Seconds each part takes on the synthetic input (TIDE's types are an input here)."""
    gt, dt, ids, width, height = synthetic()
    out: dict[str, float] = {}
    start = time.perf_counter()
    matching = match_at(gt, dt)
    out["match_at"] = time.perf_counter() - start
    start = time.perf_counter()
    point = operating_point(gt, dt, matching)
    out["operating_point"] = time.perf_counter() - start
    start = time.perf_counter()
    detection_confusion(gt, dt, conf=point.conf)
    out["detection_confusion"] = time.perf_counter() - start
    start = time.perf_counter()
    detection_confusion(gt, dt, conf=0.0)
    out["detection_confusion at conf 0"] = time.perf_counter() - start
    start = time.perf_counter()
    breakdowns(gt, dt, matching, point, ids, width, height)
    out["breakdowns"] = time.perf_counter() - start
    errors = detection_errors(gt, dt, images=ids.tolist())
    start = time.perf_counter()
    detection_buckets(gt, dt, errors, ids, width, height)
    out["detection_buckets"] = time.perf_counter() - start
    return out


@pytest.mark.slow
def test_speed_on_a_coco_val_sized_input() -> None:
    """Prints the timings (no timed assertion: the machine's load varies)."""
    for name, seconds in timings().items():
        print(f"{name}: {seconds:.2f} s")


if __name__ == "__main__":
    for name, seconds in timings().items():
        print(f"{name}: {seconds:.2f} s")
