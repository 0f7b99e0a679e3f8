"""TIDE error types and dAPs of analysis/detection_errors: tidecv 1.0.1's numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_errors import ERROR_TYPES, detection_errors
from tests.test_detection_metrics import INSTANCES, RESULTS, detections_of, ground_truth_of

# tidecv 1.0.1 on the fixture (tests/data/coco/README.md)
README_DAP = {
    "Cls": 22.25,
    "Loc": 0.23,
    "Both": 0.00,
    "Dupe": 0.02,
    "Bkg": 0.00,
    "Miss": 8.52,
    "FalsePos": 6.82,
    "FalseNeg": 17.68,
}


def ap_of_first_points(points: int, precision: float = 1.0) -> float:
    """AP in percent when ``points`` of the 101 recall points are read at ``precision``."""
    return points * precision / 101 * 100


def test_fixture_matches_tidecv_readme() -> None:
    """AP50 64.20 over 76 classes (69.70 over the 70 with ground truth) and every dAP to .01."""
    dataset = json.loads(INSTANCES.read_text())
    results = json.loads(RESULTS.read_text())
    errors = detection_errors(
        ground_truth_of(dataset),
        detections_of(results),
        images=[image["id"] for image in dataset["images"]],
    )
    assert round(errors.ap50, 2) == 64.20
    # the same per-class APs over the 70 classes with ground truth; COCOeval's 69.70 differs
    # in the last digit by its recall points (linspace) and epsilon
    assert errors.ap50_gt_classes == pytest.approx(errors.ap50 * 76 / 70)
    assert errors.ap50_gt_classes == pytest.approx(69.70, abs=0.02)
    assert (len(errors.classes), len(errors.gt_classes)) == (76, 70)
    assert {k: round(v, 2) for k, v in errors.dap.items()} == README_DAP
    # tidecv 1.0.1's counts on the fixture
    assert errors.counts == {"Cls": 83, "Loc": 1, "Both": 0, "Dupe": 1, "Bkg": 0, "Miss": 97}
    assert int((errors.detection_error >= 0).sum()) == sum(
        v for k, v in errors.counts.items() if k != "Miss"
    )
    assert int(errors.missed.sum()) == 97


def one_of_each() -> tuple[GroundTruth, Detections]:
    """One image with one error of every type, worked out by hand in the test below."""
    gt = GroundTruth.of(
        [1, 1, 1, 1],
        [1, 2, 1, 1],
        [[0, 0, 10, 10], [50, 50, 10, 10], [20, 20, 10, 10], [80, 80, 10, 10]],  # A B C D
    )
    dt = Detections.of(
        [1] * 7,
        [1, 1, 1, 1, 1, 1, 3],
        [
            [0, 0, 10, 10],  # on A: true positive
            [0, 0, 10, 10],  # on A again: Dupe
            [50, 50, 10, 10],  # on B, wrong class: Cls
            [25, 20, 10, 10],  # IoU 1/3 with C: Loc
            [60, 0, 10, 10],  # on nothing: Bkg
            [55, 50, 10, 10],  # IoU 1/3 with B of another class: Both
            [0, 80, 10, 10],  # class 3, on nothing: Bkg
        ],
        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3],
    )
    return gt, dt


def test_each_type_and_its_dap_by_hand() -> None:
    """Types, counts and dAPs on a case worked out by hand, both averaging conventions."""
    errors = detection_errors(*one_of_each())
    names = [ERROR_TYPES[e] if e >= 0 else "-" for e in errors.detection_error]
    assert names == ["-", "Dupe", "Cls", "Loc", "Bkg", "Both", "Bkg"]
    assert errors.missed.tolist() == [False, False, False, True]  # C is a Loc error's target
    assert errors.counts == {"Cls": 1, "Loc": 1, "Both": 1, "Dupe": 1, "Bkg": 2, "Miss": 1}
    # class 1: one true positive first, 3 boxes: precision 1 up to recall 1/3 (34 points);
    # class 2: one box, no detection: 0; class 3: detections only: 0
    class1 = ap_of_first_points(34)
    assert errors.classes == (1, 2, 3) and errors.gt_classes == (1, 2)
    assert errors.ap50 == pytest.approx(class1 / 3)
    assert errors.ap50_gt_classes == pytest.approx(class1 / 2)
    # Cls fixed: the detection on B becomes class 2's true positive, AP 100
    assert errors.dap["Cls"] == pytest.approx(100 / 3)
    assert errors.dap_gt_classes["Cls"] == pytest.approx(50)
    # Loc fixed: a second true positive at rank 4: precision 1/2 from recall 1/3 to 2/3
    loc = ap_of_first_points(34) + ap_of_first_points(33, 0.5)
    assert errors.dap["Loc"] == pytest.approx((loc - class1) / 3)
    # Miss fixed: class 1 has 2 boxes, precision 1 up to recall 1/2 (51 points)
    assert errors.dap["Miss"] == pytest.approx((ap_of_first_points(51) - class1) / 3)
    # removing false positives ranked after the only true positive changes no AP ...
    assert errors.dap["Dupe"] == errors.dap["Both"] == errors.dap["FalsePos"] == 0
    # ... but fixing Bkg empties class 3, and TIDE's mean loses a zero
    assert errors.dap["Bkg"] == pytest.approx(class1 / 2 - class1 / 3)
    assert errors.dap_gt_classes["Bkg"] == 0
    # FalseNeg: class 1 keeps its 1 found box (AP 100), class 2 has none left and drops out,
    # class 3 (detections only) stays at 0
    assert errors.dap["FalseNeg"] == pytest.approx(100 / 2 - class1 / 3)
    assert errors.dap_gt_classes["FalseNeg"] == pytest.approx(100 - class1 / 2)


def test_crowd_region_ignores_a_detection_in_ap_but_types_it() -> None:
    """A detection inside a crowd box of its class is no false positive, yet still a Bkg."""
    gt = GroundTruth.of([1, 1], [1, 1], [[0, 0, 10, 10], [50, 50, 40, 40]], [False, True])
    dt = Detections.of([1, 1], [1, 1], [[0, 0, 10, 10], [55, 55, 10, 10]], [0.5, 0.9])
    errors = detection_errors(gt, dt)
    assert errors.ap50 == pytest.approx(100)
    assert errors.counts["Bkg"] == 1
    # without the crowd flag the same detection is a false positive ranked first
    plain = GroundTruth.of([1, 1], [1, 1], [[0, 0, 10, 10], [50, 50, 40, 40]])
    assert detection_errors(plain, dt).ap50 < 100


def test_detections_on_images_without_boxes_are_background() -> None:
    """An image the ground truth lists without boxes makes its detections Bkg errors."""
    gt = GroundTruth.of([1], [1], [[0, 0, 10, 10]])
    dt = Detections.of([1, 2, 3], [1, 1, 1], [[0, 0, 10, 10]] * 3, [0.5, 0.9, 0.8])
    errors = detection_errors(gt, dt, images=[1, 2])
    # image 3 is not in the ground truth: not evaluated; image 2 is, and ranks first
    assert errors.detection_error.tolist() == [-1, ERROR_TYPES.index("Bkg"), -1]
    assert errors.ap50 == pytest.approx(ap_of_first_points(101, 0.5))


def test_at_most_100_detections_per_image() -> None:
    """Detections past an image's 100 highest-scored are not evaluated."""
    gt = GroundTruth.of([1], [1], [[0, 0, 10, 10]])
    boxes = [[50, 50, 10, 10]] * 100 + [[0, 0, 10, 10]]
    dt = Detections.of([1] * 101, [1] * 101, boxes, list(np.linspace(1, 0.5, 101)))
    errors = detection_errors(gt, dt)
    assert errors.counts["Bkg"] == 100 and errors.counts["Miss"] == 1
    assert errors.ap50 == 0


def random_case(seed: int) -> tuple[GroundTruth, Detections, list[int]]:
    """Small random images: jittered and mislabelled copies of boxes, crowds, empty images."""
    rng = np.random.default_rng(seed)
    images = list(range(1, int(rng.integers(2, 8))))
    classes = int(rng.integers(1, 5))
    gt_rows: list[tuple[int, int, list[float], bool]] = []
    dt_rows: list[tuple[int, int, list[float], float]] = []
    for image in images:
        for _ in range(int(rng.integers(0, 6))):
            box = [*map(float, rng.integers(0, 60, 2)), *map(float, rng.integers(5, 40, 2))]
            label = int(rng.integers(1, classes + 1))
            gt_rows.append((image, label, box, bool(rng.random() < 0.1)))
            for _ in range(int(rng.integers(0, 4))):
                moved = np.array(box) + rng.normal(0, rng.choice([1, 5, 15]), 4)
                moved = np.maximum(moved, [0, 0, 1, 1]).tolist()
                wrong = label if rng.random() < 0.6 else int(rng.integers(1, classes + 3))
                dt_rows.append((image, wrong, moved, round(float(rng.random()), 1)))
        for _ in range(int(rng.integers(0, 3))):
            corner = [*map(float, rng.integers(0, 80, 2))]
            label = int(rng.integers(1, classes + 1))
            dt_rows.append((image, label, [*corner, 10.0, 10.0], round(float(rng.random()), 1)))
    gt_rows = gt_rows or [(1, 1, [0.0, 0.0, 10.0, 10.0], False)]
    dt_rows = dt_rows or [(1, 1, [0.0, 0.0, 10.0, 10.0], 0.5)]
    gt = GroundTruth.of(
        [row[0] for row in gt_rows],
        [row[1] for row in gt_rows],
        [row[2] for row in gt_rows],
        iscrowd=[row[3] for row in gt_rows],
    )
    dt = Detections.of(
        [row[0] for row in dt_rows],
        [row[1] for row in dt_rows],
        [row[2] for row in dt_rows],
        [row[3] for row in dt_rows],
    )
    return gt, dt, images


@pytest.mark.parametrize("seed", range(40))
def test_random_cases_match_tidecv(seed: int) -> None:
    """tidecv itself, where installed, on random cases: AP50, counts and every dAP."""
    tidecv = pytest.importorskip("tidecv")
    gt, dt, images = random_case(seed)
    truth, preds = tidecv.Data("gt"), tidecv.Data("dt")
    for image in images:
        truth.add_image(image, str(image))
    for image, label, box, crowd in zip(
        gt.image_id.tolist(), gt.category_id.tolist(), gt.box.tolist(), gt.iscrowd, strict=True
    ):
        if crowd:
            truth.add_ignore_region(image, label, box)
        else:
            truth.add_ground_truth(image, label, box)
    for image, label, box, score in zip(
        dt.image_id.tolist(), dt.category_id.tolist(), dt.box.tolist(), dt.score, strict=True
    ):
        preds.add_detection(image, label, float(score), box)
    tide = tidecv.TIDE()
    try:
        run = tide.evaluate(truth, preds, mode=tidecv.TIDE.BOX)
        fixed = {**run.fix_main_errors(), **run.fix_special_errors()}
    except ZeroDivisionError:  # tidecv fails when a fix leaves no class to average
        pytest.skip("tidecv cannot average an empty run")
    errors = detection_errors(gt, dt, images=images)
    assert errors.ap50 == pytest.approx(run.ap, abs=1e-9)
    assert errors.counts == {k.short_name: v for k, v in run.count_errors().items()}
    assert errors.dap == pytest.approx({k.short_name: v for k, v in fixed.items()}, abs=1e-9)


def test_fixture_matches_tidecv_itself() -> None:
    """tidecv itself, where installed, on the fixture: the same numbers to 1e-9."""
    tidecv = pytest.importorskip("tidecv")
    run = tidecv.TIDE().evaluate(
        tidecv.datasets.COCO(str(INSTANCES)),
        tidecv.datasets.COCOResult(str(RESULTS)),
        mode=tidecv.TIDE.BOX,
    )
    fixed = {**run.fix_main_errors(), **run.fix_special_errors()}
    dataset = json.loads(INSTANCES.read_text())
    errors = detection_errors(
        ground_truth_of(dataset),
        detections_of(json.loads(RESULTS.read_text())),
        images=[image["id"] for image in dataset["images"]],
    )
    assert errors.ap50 == pytest.approx(run.ap, abs=1e-9)
    assert errors.counts == {k.short_name: v for k, v in run.count_errors().items()}
    assert errors.dap == pytest.approx({k.short_name: v for k, v in fixed.items()}, abs=1e-9)
