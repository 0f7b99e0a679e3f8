"""The detection readers' refusals: each names the file, the records and the values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportgen.errors import ReportgenError
from reportgen.read.detection import read_detection
from tests import detection_scene as scene


def refusal(
    tmp_path: Path, instances: Any = None, results: Any = None, raw: str | None = None
) -> str:
    """The message of reading the scene with a changed instances file or results list."""
    gt, dt = tmp_path / "instances.json", tmp_path / "results.json"
    gt.write_text(json.dumps(scene.coco_instances() if instances is None else instances))
    if raw is not None:
        dt.write_text(raw)
    else:
        dt.write_text(json.dumps(scene.coco_results() if results is None else results))
    with pytest.raises(ReportgenError) as caught:
        read_detection(dt, gt)
    return caught.value.message.replace(f"{tmp_path}/", "")


def changed_results(index: int, **fields: Any) -> list[dict[str, Any]]:
    rows = scene.coco_results()
    rows[index].update(fields)
    for key in [k for k, v in fields.items() if v is _DROP]:
        del rows[index][key]
    return rows


def changed_annotation(index: int, **fields: Any) -> dict[str, Any]:
    data = scene.coco_instances()
    data["annotations"][index].update(fields)
    for key in [k for k, v in fields.items() if v is _DROP]:
        del data["annotations"][index][key]
    return data


_DROP = object()


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    msg = refusal(tmp_path, raw='[\n {"image_id": 1,\n  "bbox": [1, 2, 3, 4]]\n')
    assert "results.json: is not valid JSON" in msg
    assert "line 3, column" in msg


def test_wrong_top_level(tmp_path: Path) -> None:
    msg = refusal(tmp_path, results={"detections": []})
    assert "results.json: holds a JSON object, not a COCO results list" in msg
    msg = refusal(tmp_path, results={"annotations": []})
    assert "results.json: is a COCO instances file (ground truth), not a results list" in msg
    msg = refusal(tmp_path, instances=[1, 2])
    assert "instances.json: holds a JSON list, not a COCO instances object" in msg
    msg = refusal(tmp_path, instances=scene.coco_results())
    assert "instances.json: looks like a COCO results list" in msg
    data = scene.coco_instances()
    del data["categories"]
    assert "has no 'categories' list" in refusal(tmp_path, instances=data)
    msg = refusal(tmp_path, results=[*scene.coco_results(), 7])
    assert "1 detection is not a JSON object: record 5 (a number)" in msg


def test_missing_field(tmp_path: Path) -> None:
    msg = refusal(tmp_path, results=changed_results(1, score=_DROP))
    assert msg == "results.json: 1 detection lacks the field 'score': record 2."
    msg = refusal(tmp_path, instances=changed_annotation(2, bbox=_DROP))
    assert msg == "instances.json: 1 annotation lacks the field 'bbox': record 3."


def test_detection_on_an_image_the_ground_truth_does_not_list(tmp_path: Path) -> None:
    rows = scene.coco_results()
    for k in (0, 2, 3):
        rows[k]["image_id"] = 999 + k
    msg = refusal(tmp_path, results=rows)
    assert msg.startswith(
        "results.json: 3 detections name image ids the ground truth does not list: "
        "record 1 (image_id 999), record 3 (image_id 1001), record 4 (image_id 1002)."
    )


def test_first_few_and_the_count(tmp_path: Path) -> None:
    rows = scene.coco_results() * 3
    for row in rows:
        row["category_id"] = 7
    msg = refusal(tmp_path, results=rows)
    assert "12 detections name category ids the ground truth does not define" in msg
    assert (
        "record 1 (category_id 7), record 2 (category_id 7), record 3 (category_id 7), … "
        "(first 3 of 12)." in msg
    )


@pytest.mark.parametrize(
    ("box", "what"),
    [
        ([1, 2, 0, 4], "a box of zero or negative width or height"),
        ([1, 2, 3, -4], "a box of zero or negative width or height"),
        ([1, 2, float("nan"), 4], "a box with a number that is not finite"),
        ([1, 2, 3], "a 'bbox' that is not a list of four numbers"),
        ([1, "2", 3, 4], "a 'bbox' that is not a list of four numbers"),
        ([150, 10, 10, 10], "a box entirely outside its image"),
    ],
)
def test_bad_detection_boxes(tmp_path: Path, box: list[Any], what: str) -> None:
    msg = refusal(tmp_path, results=changed_results(1, bbox=box))
    assert msg.startswith(f"results.json: 1 detection has {what}"), msg
    assert ": record 2 (" in msg


def test_detection_box_may_reach_past_the_edge(tmp_path: Path) -> None:
    """Detectors that do not clip (DETR) write such boxes; COCOeval scores them as they are."""
    dt, gt = scene.write_coco(tmp_path)
    rows = changed_results(1, bbox=[90, 70, 30, 30])  # image a is 100 x 80
    dt.write_text(json.dumps(rows))
    assert read_detection(dt, gt).detections.box[1].tolist() == [90, 70, 30, 30]


def test_ground_truth_box_outside_the_image(tmp_path: Path) -> None:
    """More than 1 px beyond an edge is refused; up to 1 px is read."""
    msg = refusal(tmp_path, instances=changed_annotation(0, bbox=[80, 20, 21.5, 10]))
    assert msg.startswith(
        "instances.json: 1 annotation has a box reaching more than 1 px beyond its image: "
        "record 1 (box [80, 20, 21.5, 10], image 100 × 80)."
    )
    dt, gt = scene.write_coco(tmp_path / "ok")
    gt.write_text(json.dumps(changed_annotation(0, bbox=[-0.5, 20, 101, 10])))
    assert read_detection(dt, gt).ground_truth.box[0, 2] == 101


@pytest.mark.parametrize(
    ("score", "what"),
    [
        ("high", "a 'score' that is not a number: record 2 (score 'high')"),
        (None, "a 'score' that is not a number: record 2 (score None)"),
        (float("nan"), "a score that is not a finite number: record 2 (score nan)"),
        (True, "a 'score' that is not a number: record 2 (score True)"),
    ],
)
def test_bad_scores(tmp_path: Path, score: Any, what: str) -> None:
    msg = refusal(tmp_path, results=changed_results(1, score=score))
    assert msg.startswith(f"results.json: 1 detection has {what}"), msg


def test_duplicate_ids(tmp_path: Path) -> None:
    msg = refusal(tmp_path, instances=changed_annotation(2, id=10))
    assert msg.startswith(
        "instances.json: 1 annotation repeats the id of an earlier record: record 3 (id 10)."
    )
    data = scene.coco_instances()
    data["images"][2]["id"] = 1
    msg = refusal(tmp_path, instances=data)
    assert msg.startswith("instances.json: 1 image repeats the id of an earlier record: record 3")
    data = scene.coco_instances()
    data["categories"].append({"id": 1, "name": "bird"})
    msg = refusal(tmp_path, instances=data)
    assert msg.startswith(
        "instances.json: 1 category repeats the id of an earlier record: record 3 (id 1)."
    )


def test_annotation_for_unknown_image_or_category(tmp_path: Path) -> None:
    msg = refusal(tmp_path, instances=changed_annotation(1, image_id=42))
    assert msg.startswith(
        "instances.json: 1 annotation names an image id the ground truth does not list: "
        "record 2 (image_id 42)."
    )
    msg = refusal(tmp_path, instances=changed_annotation(1, category_id=3))
    assert msg.startswith(
        "instances.json: 1 annotation names a category id the file's 'categories' does not "
        "define: record 2 (category_id 3)."
    )


def test_bad_annotation_fields(tmp_path: Path) -> None:
    msg = refusal(tmp_path, instances=changed_annotation(0, iscrowd=2))
    assert "1 annotation has an 'iscrowd' that is not 0 or 1: record 1 (iscrowd 2)" in msg
    msg = refusal(tmp_path, instances=changed_annotation(0, image_id=1.5))
    assert "1 annotation has an 'image_id' that is not a whole number: record 1" in msg
    data = scene.coco_instances()
    data["images"][1]["width"] = 0
    msg = refusal(tmp_path, instances=data)
    assert "1 image has a width that is not a positive number: record 2 (width 0)" in msg


def test_defaults_and_booleans(tmp_path: Path) -> None:
    """iscrowd defaults to 0 (true/false read as 1/0), area to w * h."""
    dt, gt = scene.write_coco(tmp_path)
    data = changed_annotation(0, iscrowd=True, area=_DROP)
    data["annotations"][1]["area"] = 7.5
    del data["annotations"][2]["iscrowd"]
    gt.write_text(json.dumps(data))
    read = read_detection(dt, gt)
    assert read.ground_truth.iscrowd.tolist() == [True, False, False]
    assert read.ground_truth.area.tolist() == [1200.0, 7.5, 400.0]


def test_empty_results_list_reads(tmp_path: Path) -> None:
    dt, gt = scene.write_coco(tmp_path)
    dt.write_text("[]")
    assert len(read_detection(dt, gt).detections.score) == 0


def test_missing_files_and_mismatched_pairs(tmp_path: Path) -> None:
    dt, gt = scene.write_coco(tmp_path / "coco")
    ydt, ygt, root = scene.write_yolo(tmp_path / "yolo")
    vdt, vgt = scene.write_voc(tmp_path / "voc")
    cases = [
        ((tmp_path / "none.json", gt), "none.json: no such file or folder (the predictions)"),
        ((ydt, gt), "is a folder of YOLO label files, but the ground truth is a COCO instances"),
        (
            (dt, ygt),
            "results.json: is a COCO results list, but the ground truth is a folder of "
            "YOLO label files",
        ),
        ((vdt, ygt), "is a folder of Pascal VOC files, but the ground truth is a folder of YOLO"),
        (
            (ydt, vgt),
            "is a folder of YOLO label files, but the ground truth is a folder of Pascal VOC files",
        ),
        ((gt, gt), "instances.json: is a COCO instances file (ground truth), not a results"),
        ((dt, dt), "results.json: looks like a COCO results list (detections with scores), not"),
    ]
    for (pred, truth), words in cases:
        with pytest.raises(ReportgenError) as caught:
            read_detection(pred, truth, image_root=root)
        assert words in caught.value.message, caught.value.message
    (tmp_path / "nothing").mkdir()
    with pytest.raises(ReportgenError, match="nothing: holds neither YOLO label files"):
        read_detection(dt, tmp_path / "nothing")


def test_not_utf8_and_bad_gzip(tmp_path: Path) -> None:
    msg = refusal(tmp_path, raw="")
    assert msg == "results.json: the file is empty; expected COCO JSON."
    dt, gt = scene.write_coco(tmp_path / "g")
    dt.write_bytes(b'[{"image_id": "\xff"}]')
    with pytest.raises(ReportgenError, match=r"results.json: is not UTF-8 text \(byte 0xff"):
        read_detection(dt, gt)
    dt.write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(ReportgenError, match=r"results\.json: could not be read as gzip"):
        read_detection(dt, gt)


def test_damaged_files_give_only_reportgen_errors(tmp_path: Path) -> None:
    """Characters of the scene's files changed at random: read, or a ReportgenError; never
    another exception."""
    dt, gt = scene.write_coco(tmp_path)
    texts = {dt: dt.read_text(), gt: gt.read_text()}
    rng = np.random.default_rng(16)
    swaps = [*'0123456789-.,:[]{}"aeTN ', "NaN", "null", "true", "[]", "{}", "1e999"]
    refused = 0
    for _ in range(300):
        target = dt if rng.random() < 0.5 else gt
        text = texts[target]
        at = int(rng.integers(len(text)))
        target.write_text(text[:at] + swaps[int(rng.integers(len(swaps)))] + text[at + 1 :])
        try:
            read_detection(dt, gt)
        except ReportgenError:
            refused += 1
        target.write_text(text)
    assert refused > 100  # most damage is found
