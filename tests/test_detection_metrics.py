"""COCO box metrics of analysis/detection against pycocotools' COCOeval, the reference."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from reportgen.analysis.detection import (
    DetectionMetrics,
    Detections,
    GroundTruth,
    coco_metrics,
    evaluate_coco,
)
from reportgen.analysis.detection_matching import box_iou

DATA = Path(__file__).parent / "data" / "coco"
INSTANCES = DATA / "instances_val2014_100.json"
RESULTS = DATA / "instances_val2014_fakebbox100_results.json"


def ground_truth_of(dataset: dict[str, Any]) -> GroundTruth:
    """A COCO instances dict as GroundTruth."""
    anns = dataset["annotations"]
    return GroundTruth.of(
        [a["image_id"] for a in anns],
        [a["category_id"] for a in anns],
        np.array([a["bbox"] for a in anns], dtype=float).reshape(-1, 4),
        [a["iscrowd"] for a in anns],
        [a["area"] for a in anns],
        categories=tuple(c["id"] for c in dataset["categories"]),
    )


def detections_of(results: list[dict[str, Any]]) -> Detections:
    """A COCO results list as Detections."""
    return Detections.of(
        [r["image_id"] for r in results],
        [r["category_id"] for r in results],
        np.array([r["bbox"] for r in results], dtype=float).reshape(-1, 4),
        [r["score"] for r in results],
    )


def cocoeval(dataset: dict[str, Any], results: list[dict[str, Any]]) -> COCOeval:
    """pycocotools' evaluate, accumulate and summarize on in-memory files, quietly."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
        if results:
            dt = gt.loadRes(copy.deepcopy(results))
        else:  # loadRes cannot take an empty list: an empty results set built by hand
            dt = COCO()
            dt.dataset = {**copy.deepcopy(dataset), "annotations": []}
            dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def reference_mean(values: np.ndarray) -> float | None:
    """COCOeval's mean over entries > -1, None when there are none."""
    valid = values[values > -1]
    return float(np.mean(valid)) if valid.size else None


@pytest.fixture(scope="module")
def fixture_files() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The faster_coco_eval fixture: 100 val2014 images and 734 fake detections."""
    return json.loads(INSTANCES.read_text()), json.loads(RESULTS.read_text())


@pytest.fixture(scope="module")
def fixture_metrics(fixture_files: tuple[dict[str, Any], list[dict[str, Any]]]) -> DetectionMetrics:
    """Our metrics on the fixture."""
    dataset, results = fixture_files
    return coco_metrics(ground_truth_of(dataset), detections_of(results))


@pytest.fixture(scope="module")
def fixture_reference(fixture_files: tuple[dict[str, Any], list[dict[str, Any]]]) -> COCOeval:
    """COCOeval on the fixture."""
    return cocoeval(*fixture_files)


def test_fixture_readme_numbers_reproduced(fixture_metrics: DetectionMetrics) -> None:
    """The twelve numbers the fixture's README prints, to its four decimals."""
    readme = (DATA / "README.md").read_text()
    line = re.search(r"COCOeval bbox stats:(.*?)\(", readme, re.S)
    assert line is not None
    printed = [float(x) for x in re.findall(r"\d\.\d+", line.group(1))]
    assert len(printed) == 12
    assert printed[:3] == [0.5046, 0.697, 0.573]
    assert np.allclose(fixture_metrics.stats, printed, rtol=0, atol=1e-4)


def test_fixture_equals_cocoeval(
    fixture_metrics: DetectionMetrics, fixture_reference: COCOeval
) -> None:
    """All twelve summary numbers equal COCOeval's stats to 1e-6."""
    assert np.allclose(fixture_metrics.stats, fixture_reference.stats, rtol=0, atol=1e-6)


def test_fixture_arrays_equal_cocoeval(
    fixture_files: tuple[dict[str, Any], list[dict[str, Any]]], fixture_reference: COCOeval
) -> None:
    """The accumulated precision and recall arrays equal COCOeval's entry by entry."""
    ev = evaluate_coco(ground_truth_of(fixture_files[0]), detections_of(fixture_files[1]))
    assert list(ev.category_ids) == fixture_reference.params.catIds
    np.testing.assert_allclose(ev.precision, fixture_reference.eval["precision"], atol=1e-12)
    np.testing.assert_allclose(ev.recall, fixture_reference.eval["recall"], atol=1e-12)


def test_fixture_per_class_equals_cocoeval_precision(
    fixture_metrics: DetectionMetrics, fixture_reference: COCOeval
) -> None:
    """Per-class AP, AP50 and recall from COCOeval's precision and recall arrays."""
    precision = fixture_reference.eval["precision"]  # (T, R, K, A, M)
    recall = fixture_reference.eval["recall"]  # (T, K, A, M)
    cats = fixture_reference.params.catIds
    assert [c.category_id for c in fixture_metrics.per_class] == cats
    missing = 0
    for k, row in enumerate(fixture_metrics.per_class):
        expected = (
            reference_mean(precision[:, :, k, 0, -1]),
            reference_mean(precision[0, :, k, 0, -1]),
            reference_mean(recall[:, k, 0, -1]),
            reference_mean(recall[0, k, 0, -1]),
        )
        got = (row.ap, row.ap50, row.recall, row.recall50)
        for value, want in zip(got, expected, strict=True):
            if want is None:
                assert value is None
            else:
                assert value == pytest.approx(want, abs=1e-9)
        missing += row.ap is None
    # 80 categories defined, 70 with boxes: ten classes without ground truth are None
    assert len(cats) == 80
    assert missing == 10
    ap50 = [c.ap50 for c in fixture_metrics.per_class if c.ap50 is not None]
    assert np.mean(ap50) == pytest.approx(fixture_metrics.ap50, abs=1e-12)


def random_case(seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A small random COCO pair: crowd boxes, all three sizes, tied scores, overflowing maxDets.

    Detections are jittered copies of ground-truth boxes (some with the wrong class) and
    random boxes; scores on a coarse grid so ties happen; image 5 has no ground truth;
    category 4 is defined without boxes; category 9 appears only in the detections.
    """
    rng = np.random.default_rng(seed)
    images = [{"id": i, "width": 300, "height": 300} for i in (1, 2, 3, 5)]
    categories = [{"id": c, "name": f"c{c}"} for c in (1, 2, 3, 4)]
    anns: list[dict[str, Any]] = []
    for image in (1, 2, 3):
        for _ in range(int(rng.integers(0, 12))):
            w, h = (float(v) for v in np.round(rng.uniform(4, 140, 2), 1))
            x, y = (float(v) for v in np.round(rng.uniform(0, 150, 2), 1))
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": image,
                    "category_id": int(rng.integers(1, 4)),
                    "bbox": [x, y, w, h],
                    "iscrowd": int(rng.random() < 0.15),
                    "area": float(w * h * rng.uniform(0.5, 1.0)),
                }
            )
    results: list[dict[str, Any]] = []
    for ann in anns:
        for _ in range(int(rng.integers(0, 4))):
            jitter = rng.normal(0, 0.1, 4) * np.repeat(ann["bbox"][2:], 2)[[0, 2, 1, 3]]
            x, y, w, h = np.array(ann["bbox"]) + jitter
            results.append(
                {
                    "image_id": ann["image_id"],
                    "category_id": ann["category_id"] if rng.random() < 0.8 else 2,
                    "bbox": [float(x), float(y), float(max(w, 1)), float(max(h, 1))],
                    "score": float(np.round(rng.uniform(0, 1), 1)),
                }
            )
    crowded = seed % 4 == 0  # more than 100 detections of one class on one image
    for _ in range(int(rng.integers(0, 8)) + (110 if crowded else 0)):
        w, h = (float(v) for v in rng.uniform(2, 120, 2))
        results.append(
            {
                "image_id": int(rng.choice([1, 2, 3, 5])) if not crowded else 1,
                "category_id": int(rng.choice([1, 2, 3, 9])) if not crowded else 1,
                "bbox": [float(rng.uniform(0, 150)), float(rng.uniform(0, 150)), w, h],
                "score": float(np.round(rng.uniform(0, 1), 1)),
            }
        )
    order = rng.permutation(len(results))
    dataset = {"images": images, "categories": categories, "annotations": anns}
    return dataset, [results[i] for i in order]


@pytest.mark.parametrize("seed", range(24))
def test_random_cases_equal_cocoeval(seed: int) -> None:
    """Seeded random small cases: summary and arrays equal COCOeval's."""
    dataset, results = random_case(seed)
    reference = cocoeval(dataset, results)
    ev = evaluate_coco(ground_truth_of(dataset), detections_of(results))
    np.testing.assert_allclose(ev.precision, reference.eval["precision"], atol=1e-12)
    np.testing.assert_allclose(ev.recall, reference.eval["recall"], atol=1e-12)
    metrics = coco_metrics(ground_truth_of(dataset), detections_of(results))
    assert np.allclose(metrics.stats, reference.stats, rtol=0, atol=1e-6)


def test_random_cases_exercise_what_they_claim() -> None:
    """The random cases include crowd boxes, tied scores and a group over 100 detections."""
    cases = [random_case(seed) for seed in range(24)]
    assert sum(a["iscrowd"] for d, _ in cases for a in d["annotations"]) > 10
    scores = [r["score"] for _, results in cases for r in results]
    assert len(set(scores)) < len(scores)
    assert max(sum(r["image_id"] == 1 for r in results) for _, results in cases) > 100


def test_box_iou_equals_pycocotools_including_crowd() -> None:
    """IoU bit-for-bit equal to pycocotools' mask.iou on boxes, crowd boxes included."""
    rng = np.random.default_rng(7)
    det = np.round(rng.uniform(0, 50, (40, 4)), 1)
    gt = np.round(rng.uniform(0, 50, (30, 4)), 1)
    gt[:5] = det[:5]  # identical boxes: IoU 1 up to rounding, hence COCOeval's 1 - 1e-10
    crowd = rng.random(30) < 0.3
    expected = mask_utils.iou(det.tolist(), gt.tolist(), crowd.astype(np.uint8).tolist())
    got = box_iou(det, gt, crowd)
    assert np.array_equal(got, expected)
    assert np.all(got[np.arange(5), np.arange(5)] >= 1 - 1e-10)


def small_dataset() -> dict[str, Any]:
    """Two images, one box on image 1 (category 1), image 2 without ground truth."""
    return {
        "images": [{"id": 1}, {"id": 2}],
        "categories": [{"id": 1}, {"id": 2}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10.0, 10.0, 40.0, 40.0],
                "iscrowd": 0,
                "area": 1600.0,
            }
        ],
    }


def test_no_detections() -> None:
    """Without detections every number is 0 (not -1), as COCOeval gives it."""
    dataset = small_dataset()
    metrics = coco_metrics(ground_truth_of(dataset), detections_of([]))
    assert metrics.stats == (0.0, 0.0, 0.0, -1.0, 0.0, -1.0, 0.0, 0.0, 0.0, -1.0, 0.0, -1.0)
    assert np.allclose(metrics.stats, cocoeval(dataset, []).stats, atol=1e-12)
    assert metrics.per_class[0].ap == 0.0
    assert metrics.per_class[1].ap is None  # category 2: defined, no boxes


def test_detection_on_image_without_ground_truth_is_a_false_positive() -> None:
    """A higher-scored detection on an image without boxes halves AP50; COCOeval agrees."""
    dataset = small_dataset()
    hit = {"image_id": 1, "category_id": 1, "bbox": [10.0, 10.0, 40.0, 40.0], "score": 0.9}
    stray = {"image_id": 2, "category_id": 1, "bbox": [10.0, 10.0, 40.0, 40.0], "score": 0.95}
    alone = coco_metrics(ground_truth_of(dataset), detections_of([hit]))
    both = coco_metrics(ground_truth_of(dataset), detections_of([hit, stray]))
    assert alone.ap50 == pytest.approx(1.0)
    # precision 0 at the stray's rank, 1/2 at the hit's: the envelope is 1/2 at every point
    assert both.ap50 == pytest.approx(0.5, abs=1e-12)
    assert both.ar100 == pytest.approx(1.0)
    assert np.allclose(both.stats, cocoeval(dataset, [hit, stray]).stats, atol=1e-12)


def test_category_only_in_detections_is_dropped() -> None:
    """Detections of a category the ground truth does not define change nothing."""
    dataset = small_dataset()
    hit = {"image_id": 1, "category_id": 1, "bbox": [12.0, 10.0, 40.0, 40.0], "score": 0.9}
    other = {"image_id": 1, "category_id": 7, "bbox": [10.0, 10.0, 40.0, 40.0], "score": 0.99}
    with_other = coco_metrics(ground_truth_of(dataset), detections_of([other, hit]))
    without = coco_metrics(ground_truth_of(dataset), detections_of([hit]))
    assert with_other == without
    assert [c.category_id for c in with_other.per_class] == [1, 2]
    assert np.allclose(with_other.stats, cocoeval(dataset, [other, hit]).stats, atol=1e-12)


def test_crowd_box_absorbs_detections_without_false_positives() -> None:
    """Detections inside a crowd region are ignored, not false positives, however many."""
    dataset = small_dataset()
    dataset["annotations"].append(
        {
            "id": 2,
            "image_id": 1,
            "category_id": 1,
            "bbox": [100.0, 100.0, 200.0, 200.0],
            "iscrowd": 1,
            "area": 40000.0,
        }
    )
    hit = {"image_id": 1, "category_id": 1, "bbox": [10.0, 10.0, 40.0, 40.0], "score": 0.5}
    inside = [
        {"image_id": 1, "category_id": 1, "bbox": [110.0 + i, 110.0, 20.0, 20.0], "score": 0.9}
        for i in range(5)
    ]
    metrics = coco_metrics(ground_truth_of(dataset), detections_of([*inside, hit]))
    assert metrics.ap == pytest.approx(1.0)
    assert np.allclose(metrics.stats, cocoeval(dataset, [*inside, hit]).stats, atol=1e-12)


def test_lengths_must_agree() -> None:
    """One value per box, or a ValueError naming the count."""
    with pytest.raises(ValueError, match="expected 2 values"):
        Detections.of([1, 1], [1, 1], [[0, 0, 1, 1], [0, 0, 2, 2]], [0.5])


def test_equal_ious_go_to_the_later_ground_truth() -> None:
    """A detection equally close to two boxes takes the later one, as COCOeval does.

    The first detection overlaps A and B by the same IoU (.818) and takes B; the second sits
    exactly on A and takes it. Taking A first would leave the second with B at IoU .667.
    """
    dataset = small_dataset()
    dataset["annotations"] = [
        {"id": i + 1, "image_id": 1, "category_id": 1, "bbox": box, "iscrowd": 0, "area": 100.0}
        for i, box in enumerate([[0.0, 0.0, 10.0, 10.0], [2.0, 0.0, 10.0, 10.0]])
    ]
    results = [
        {"image_id": 1, "category_id": 1, "bbox": [1.0, 0.0, 10.0, 10.0], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [0.0, 0.0, 10.0, 10.0], "score": 0.8},
    ]
    reference = cocoeval(dataset, results)
    ev = evaluate_coco(ground_truth_of(dataset), detections_of(results))
    np.testing.assert_array_equal(ev.precision, reference.eval["precision"])
    np.testing.assert_array_equal(ev.recall, reference.eval["recall"])
    # at IoU .70 both detections are true positives only if the first took B
    assert ev.recall[4, 0, 0, -1] == 1.0


def test_area_range_bounds_are_inclusive() -> None:
    """Areas of exactly 32² and 96² belong to both neighbouring ranges, as in COCOeval."""
    dataset = small_dataset()
    dataset["annotations"] = [
        {"id": i + 1, "image_id": 1, "category_id": 1, "bbox": box, "iscrowd": 0, "area": area}
        for i, (box, area) in enumerate(
            [([0.0, 0.0, 32.0, 32.0], 1024.0), ([100.0, 0.0, 96.0, 96.0], 9216.0)]
        )
    ]
    results = [
        {"image_id": 1, "category_id": 1, "bbox": [0.0, 0.0, 32.0, 32.0], "score": 0.9},
        {"image_id": 2, "category_id": 1, "bbox": [0.0, 0.0, 32.0, 32.0], "score": 0.95},
        {"image_id": 2, "category_id": 1, "bbox": [0.0, 0.0, 96.0, 96.0], "score": 0.7},
    ]
    metrics = coco_metrics(ground_truth_of(dataset), detections_of(results))
    reference = cocoeval(dataset, results)
    assert np.allclose(metrics.stats, reference.stats, rtol=0, atol=1e-12)
    assert metrics.ar_small == 1.0
    assert metrics.ar_medium == 0.5
    assert metrics.ar_large == 0.0
