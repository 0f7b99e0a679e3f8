"""The detection readers: one scene read from COCO, YOLO and VOC, the fixture, gzip, sniffing."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from reportgen.analysis.detection import coco_metrics
from reportgen.read.detection import DetectionInput, detection_format, read_detection
from tests import detection_scene as scene

DATA = Path(__file__).parent / "data" / "coco"
INSTANCES = DATA / "instances_val2014_100.json"
RESULTS = DATA / "instances_val2014_fakebbox100_results.json"


def named(read: DetectionInput) -> tuple[list[tuple[int, str, tuple[float, ...]]], list[tuple]]:
    """Ground truth and detections as (image id, class name, box[, score]) rows, sorted."""
    gt, dt = read.ground_truth, read.detections
    truth = sorted(
        (int(i), read.categories[int(c)], tuple(np.round(b, 9)))
        for i, c, b in zip(gt.image_id, gt.category_id, gt.box, strict=True)
    )
    found = sorted(
        (int(i), read.categories[int(c)], tuple(np.round(b, 9)), float(s))
        for i, c, b, s in zip(dt.image_id, dt.category_id, dt.box, dt.score, strict=True)
    )
    return truth, found


def expected() -> tuple[list[tuple], list[tuple]]:
    """The scene as written, by hand: image ids 1..3 in name order."""
    ids = {n: k for k, (n, _, _) in enumerate(scene.IMAGES, start=1)}
    truth = sorted((ids[n], c, tuple(float(v) for v in b)) for n, c, b in scene.TRUTH)
    found = sorted((ids[n], c, tuple(float(v) for v in b), s) for n, c, b, s in scene.FOUND)
    return truth, found


def read_all(tmp_path: Path) -> dict[str, DetectionInput]:
    dt, gt = scene.write_coco(tmp_path / "coco")
    reads = {"coco": read_detection(dt, gt)}
    dt, gt, root = scene.write_yolo(tmp_path / "yolo")
    reads["yolo"] = read_detection(dt, gt, image_root=root)
    dt, gt = scene.write_voc(tmp_path / "voc")
    reads["voc"] = read_detection(dt, gt)
    return reads


def test_one_scene_reads_the_same_in_every_format(tmp_path: Path) -> None:
    """COCO, YOLO and VOC of one scene: equal boxes, images and class names."""
    reads = read_all(tmp_path)
    truth, found = expected()
    for fmt, read in reads.items():
        assert read.format == fmt
        got_truth, got_found = named(read)
        assert [r[:2] for r in got_truth] == [r[:2] for r in truth], fmt
        assert np.allclose([r[2] for r in got_truth], [r[2] for r in truth], atol=1e-9), fmt
        assert [(r[0], r[1], r[3]) for r in got_found] == [(r[0], r[1], r[3]) for r in found]
        assert np.allclose([r[2] for r in got_found], [r[2] for r in found], atol=1e-9), fmt
        assert list(read.categories.values()) == ["cat", "dog"], fmt
        assert read.ground_truth.categories == tuple(read.categories), fmt
        assert read.images["image_id"].tolist() == [1, 2, 3], fmt
        assert read.images["width"].tolist() == [100.0, 60.0, 40.0], fmt
        assert read.images["height"].tolist() == [80.0, 50.0, 40.0], fmt
        assert read.gt_ids.dtype == np.int64 and len(read.gt_ids) == 3, fmt
        assert not read.ground_truth.iscrowd.any(), fmt
        assert np.allclose(read.ground_truth.area, [1200, 1200, 400]), fmt
    # the stated conventions: YOLO ids are class indices, VOC's 1..K by name; file names
    assert reads["yolo"].categories == {0: "cat", 1: "dog"}
    assert reads["voc"].categories == {1: "cat", 2: "dog"}
    assert reads["coco"].images["file_name"].tolist() == ["a.png", "b.png", "c.png"]
    assert reads["yolo"].images["file_name"].tolist() == ["a.png", "b.png", "c.png"]
    assert reads["voc"].images["file_name"].tolist() == ["a.png", "b.png", "c.png"]
    assert reads["coco"].images["split"].tolist() == ["val"] * 3
    assert reads["voc"].images["folder"].tolist() == ["VOC"] * 3
    assert reads["yolo"].gt_ids.tolist() == [1, 2, 3]
    assert reads["coco"].gt_ids.tolist() == [10, 11, 12]
    # the same metrics from every format
    stats = [coco_metrics(r.ground_truth, r.detections).stats for r in reads.values()]
    assert np.allclose(stats[0], stats[1], atol=1e-12)
    assert np.allclose(stats[0], stats[2], atol=1e-12)


def test_detections_keep_the_results_order(tmp_path: Path) -> None:
    """COCO: the list's order; YOLO: files by name, lines in order; VOC: files by name."""
    reads = read_all(tmp_path)
    assert reads["coco"].detections.score.tolist() == [0.9, 0.8, 0.3, 0.5]
    assert reads["yolo"].detections.score.tolist() == [0.9, 0.8, 0.3, 0.5]
    assert reads["voc"].detections.score.tolist() == [0.9, 0.3, 0.8, 0.5]  # cat file, dog file


def test_yolo_background_images_without_a_label_file(tmp_path: Path) -> None:
    """An image with no label file is an image without objects, listed with the others."""
    dt, gt, root = scene.write_yolo(tmp_path, empty_file_for_c=False)
    assert not (gt / "c.txt").exists()
    read = read_detection(dt, gt, image_root=root)
    assert read.images["file_name"].tolist() == ["a.png", "b.png", "c.png"]
    assert named(read) == named(read_detection(dt, gt, image_root=root))
    assert 3 in read.detections.image_id.tolist()  # the detection on c is on a listed image


def test_yolo_images_subfolder_and_class_list_option(tmp_path: Path) -> None:
    dt, gt, root = scene.write_yolo(tmp_path)
    shutil.move(root, tmp_path / "pics")
    (tmp_path / "top").mkdir()
    shutil.move(tmp_path / "pics", tmp_path / "top" / "images")
    names = tmp_path / "names.txt"
    names.write_text("kitten\npuppy\n")
    read = read_detection(dt, gt, image_root=tmp_path / "top", classes=names)
    assert read.images["file_name"].tolist() == ["images/a.png", "images/b.png", "images/c.png"]
    assert read.categories == {0: "kitten", 1: "puppy"}


def test_yolo_without_class_list_names_classes_by_number(tmp_path: Path) -> None:
    dt, gt, root = scene.write_yolo(tmp_path)
    (gt / "classes.txt").unlink()
    read = read_detection(dt, gt, image_root=root)
    assert read.categories == {0: "0", 1: "1"}


def test_voc_difficult_is_crowd_and_pixels_are_xmax_minus_xmin(tmp_path: Path) -> None:
    dt, gt = scene.write_voc(tmp_path)
    (gt / "b.xml").write_text(scene.voc_xml("b", [("dog", [5, 5, 20, 20], 1)]))
    read = read_detection(dt, gt)
    assert read.ground_truth.iscrowd.tolist() == [False, False, True]
    assert read.ground_truth.box[2].tolist() == [5.0, 5.0, 20.0, 20.0]


def test_fixture_reads_and_gives_the_readme_numbers() -> None:
    """The real fixture reads; the arrays are the JSON's; coco_metrics gives the README's."""
    read = read_detection(RESULTS, INSTANCES)
    dataset, results = json.loads(INSTANCES.read_text()), json.loads(RESULTS.read_text())
    anns = dataset["annotations"]
    assert read.gt_ids.tolist() == [a["id"] for a in anns]
    assert np.array_equal(read.ground_truth.box, np.array([a["bbox"] for a in anns]))
    assert np.array_equal(read.ground_truth.area, [a["area"] for a in anns])
    assert read.ground_truth.iscrowd.sum() == sum(a["iscrowd"] for a in anns) == 9
    assert np.array_equal(read.detections.score, [r["score"] for r in results])
    assert np.array_equal(read.detections.image_id, [r["image_id"] for r in results])
    assert read.categories == {c["id"]: c["name"] for c in dataset["categories"]}
    assert read.images["image_id"].tolist() == [i["id"] for i in dataset["images"]]
    assert read.images.columns[:4].tolist() == ["image_id", "file_name", "width", "height"]
    assert "coco_url" in read.images.columns
    readme = (DATA / "README.md").read_text()
    line = re.search(r"COCOeval bbox stats:(.*?)\(", readme, re.S)
    assert line is not None
    printed = [float(x) for x in re.findall(r"\d\.\d+", line.group(1))]
    stats = coco_metrics(read.ground_truth, read.detections).stats
    assert len(printed) == 12
    assert np.allclose(stats, printed, rtol=0, atol=1e-4)
    assert read.gt_source.sha256 == hashlib.sha256(INSTANCES.read_bytes()).hexdigest()
    assert read.dt_source.size == RESULTS.stat().st_size
    assert (read.gt_source.format, read.dt_source.format) == ("coco-instances", "coco-results")


def test_gzip_by_the_bytes(tmp_path: Path) -> None:
    """Gzip files read as the plain ones, whatever their names."""
    gt, dt = tmp_path / "gt.json.gz", tmp_path / "results.json"  # gzip without the name
    gt.write_bytes(gzip.compress(INSTANCES.read_bytes()))
    dt.write_bytes(gzip.compress(RESULTS.read_bytes()))
    zipped, plain = read_detection(dt, gt), read_detection(RESULTS, INSTANCES)
    assert np.array_equal(zipped.ground_truth.box, plain.ground_truth.box)
    assert np.array_equal(zipped.detections.box, plain.detections.box)
    assert zipped.images.equals(plain.images)
    assert zipped.gt_source.sha256 == hashlib.sha256(gt.read_bytes()).hexdigest()
    assert detection_format(gt) == "coco-instances"
    assert detection_format(dt) == "coco-results"


def test_reading_is_deterministic(tmp_path: Path) -> None:
    """Same files, same arrays and hashes; a folder's hash does not depend on write order."""
    one, two = read_all(tmp_path / "one"), read_all(tmp_path / "two")
    for fmt in one:
        assert named(one[fmt]) == named(two[fmt])
        assert one[fmt].gt_source == two[fmt].gt_source
        assert one[fmt].dt_source == two[fmt].dt_source
    # the same label files written in reverse order into another folder: the same source
    other = tmp_path / "reverse"
    other.mkdir()
    files = sorted((tmp_path / "one" / "yolo" / "pred").iterdir(), reverse=True)
    for path in files:
        shutil.copy(path, other / path.name)
    gt, root = tmp_path / "one" / "yolo" / "gt", tmp_path / "one" / "yolo" / "pictures"
    again = read_detection(other, gt, image_root=root)
    assert again.dt_source.sha256 == one["yolo"].dt_source.sha256
    assert again.dt_source.size == sum(p.stat().st_size for p in files)
    assert again.dt_source.path == "reverse"
    assert again.dt_source.sha256 != one["yolo"].gt_source.sha256


def test_folder_hash_is_over_names_and_contents(tmp_path: Path) -> None:
    """sha256 over sorted 'name NUL file-sha256 NL' lines, computed here independently."""
    read = read_all(tmp_path)["voc"]
    folder = tmp_path / "voc" / "results"
    lines = sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in folder.iterdir())
    text = "".join(f"{n}\0{h}\n" for n, h in lines).encode()
    assert read.dt_source.sha256 == hashlib.sha256(text).hexdigest()


def test_detection_format_of_each_kind(tmp_path: Path) -> None:
    reads = read_all(tmp_path)
    assert reads  # the scene is written
    assert detection_format(tmp_path / "coco" / "instances.json") == "coco-instances"
    assert detection_format(tmp_path / "coco" / "results.json") == "coco-results"
    assert detection_format(tmp_path / "yolo" / "gt") == "yolo"
    assert detection_format(tmp_path / "yolo" / "pred") == "yolo"
    (tmp_path / "yolo" / "gt" / "classes.txt").unlink()
    assert detection_format(tmp_path / "yolo" / "gt") == "yolo"
    assert detection_format(tmp_path / "voc" / "Annotations") == "voc"
    assert detection_format(tmp_path / "voc" / "results") == "voc"
    csv = tmp_path / "p.csv"
    csv.write_text("y_true,y_pred\ncat,dog\n")
    assert detection_format(csv) is None
    assert detection_format(tmp_path / "missing.json") is None
    (tmp_path / "empty").mkdir()
    assert detection_format(tmp_path / "empty") is None
    other = tmp_path / "other.json"
    other.write_text('[{"id": 1, "label": "cat"}]')
    assert detection_format(other) is None
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    assert detection_format(broken) is None


@pytest.mark.parametrize("first", ["0 0.5 0.5 0.2 0.2 0.9", "3 0.1 0.2 0.3 0.4 1"])
def test_six_field_yolo_lines_are_not_voc(tmp_path: Path, first: str) -> None:
    (tmp_path / "x.txt").write_text(first + "\n")
    assert detection_format(tmp_path) == "yolo"
    (tmp_path / "x.txt").write_text("000012 0.9 48 240 195 371\n")
    assert detection_format(tmp_path) == "voc"
