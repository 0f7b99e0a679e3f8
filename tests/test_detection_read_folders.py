"""The YOLO and VOC readers' refusals: each names the file and line (or object) and the value."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reportgen.errors import ReportgenError
from reportgen.read.detection import read_detection
from tests import detection_scene as scene


def yolo_refusal(tmp_path: Path, change: str, **kwargs: object) -> str:
    """Write the YOLO scene, apply one change, and return the message (paths cut)."""
    dt, gt, root = scene.write_yolo(tmp_path)
    if change == "gt-fields":
        (gt / "b.txt").write_text("1 0.5 0.5 0.2\n")
    elif change == "dt-fields":
        (dt / "a.txt").write_text("0 0.5 0.5 0.2 0.2 0.9\n\n1 0.5 0.5 0.2 0.2\n")
    elif change == "class-beyond":
        (gt / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.2 0.2\n")
    elif change == "class-text":
        (gt / "a.txt").write_text("cat 0.5 0.5 0.2 0.2\n")
    elif change == "not-a-number":
        (dt / "b.txt").write_text("0 0.5 0.5 0.2 0.2 high\n")
    elif change == "nan-confidence":
        (dt / "b.txt").write_text("0 0.5 0.5 0.2 0.2 nan\n")
    elif change == "pixels":
        (gt / "b.txt").write_text("1 15 15 20 20\n")
    elif change == "zero-size":
        (gt / "b.txt").write_text("1 0.5 0.5 0 0.2\n")
    elif change == "unknown-image":
        (dt / "zebra.txt").write_text("0 0.5 0.5 0.2 0.2 0.4\n")
    elif change == "no-image":
        (root / "b.png").unlink()
    elif change == "not-an-image":
        (root / "b.png").write_bytes(b"not a picture")
    with pytest.raises(ReportgenError) as caught:
        read_detection(dt, gt, image_root=kwargs.get("root", root))  # type: ignore[arg-type]
    return caught.value.message.replace(f"{tmp_path}/", "")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            "gt-fields",
            "gt: 1 ground-truth box is on a line without 5 fields (class cx cy w h): "
            "b.txt line 1 (4 fields).",
        ),
        (
            "dt-fields",
            "pred: 1 detection is on a line without 6 fields (class cx cy w h confidence): "
            "a.txt line 3 (5 fields).",
        ),
        (
            "class-beyond",
            "gt: 1 ground-truth box names a class the class list does not define (it has 2 "
            "names, classes 0 to 1): a.txt line 2 (class 5).",
        ),
        (
            "class-text",
            "gt: 1 ground-truth box has a field that is not a number: a.txt line 1 ('cat'",
        ),
        ("not-a-number", "pred: 1 detection has a field that is not a number: b.txt line 1"),
        (
            "nan-confidence",
            "pred: 1 detection has a confidence that is not a finite number: b.txt line 1 "
            "(confidence nan).",
        ),
        (
            "pixels",
            "gt: 1 ground-truth box has a box reaching more than 1 px beyond its image: "
            "b.txt line 1 (box [",
        ),
        ("pixels", "YOLO boxes are class cx cy w h, normalised to 0-1"),
        (
            "zero-size",
            "gt: 1 ground-truth box has a box of zero or negative width or height: b.txt line 1",
        ),
        (
            "unknown-image",
            "pred: 1 detection is in a file for an image the ground truth does not list: "
            "zebra.txt line 1 (image zebra).",
        ),
        ("no-image", "gt: 1 label file has no image under --image-root"),
        ("no-image", "(b.txt)"),
        ("not-an-image", "pictures/b.png: could not be read as an image to find its size"),
    ],
)
def test_yolo_refusals(tmp_path: Path, change: str, words: str) -> None:
    msg = yolo_refusal(tmp_path, change)
    assert words in msg, msg


def test_yolo_needs_the_image_root(tmp_path: Path) -> None:
    dt, gt, _ = scene.write_yolo(tmp_path)
    with pytest.raises(ReportgenError, match="give the folder of the images with --image-root"):
        read_detection(dt, gt)
    with pytest.raises(ReportgenError, match="nowhere' is not a folder"):
        read_detection(dt, gt, image_root=tmp_path / "nowhere")


def test_yolo_image_size_upright_by_exif(tmp_path: Path) -> None:
    """A 100 x 80 JPEG tagged 'turned 90 degrees' is 80 wide and 100 high, as Ultralytics says."""
    dt, gt, root = scene.write_yolo(tmp_path)
    (root / "c.png").unlink()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (100, 80)).save(root / "c.jpg", exif=exif)
    (gt / "c.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    read = read_detection(dt, gt, image_root=root)
    assert read.images.iloc[2][["file_name", "width", "height"]].tolist() == ["c.jpg", 80, 100]
    assert np.allclose(read.ground_truth.box[-1], [20, 25, 40, 50])


def test_yolo_boxes_in_pixels_by_hand(tmp_path: Path) -> None:
    """cx cy w h of 0.5 0.25 0.2 0.1 on a 100 x 80 image: x 40, y 16, w 20, h 8."""
    dt, gt, root = scene.write_yolo(tmp_path)
    (gt / "a.txt").write_text("1 0.5 0.25 0.2 0.1\n")
    read = read_detection(dt, gt, image_root=root)
    assert np.allclose(read.ground_truth.box[0], [40, 16, 20, 8])
    assert read.ground_truth.category_id[0] == 1


def voc_refusal(tmp_path: Path, change: str) -> str:
    dt, gt = scene.write_voc(tmp_path)
    xml = (gt / "b.xml").read_text()
    if change == "doctype":
        (gt / "b.xml").write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]>' + xml)
    elif change == "malformed":
        (gt / "b.xml").write_text(xml.replace("</annotation>", ""))
    elif change == "no-xmax":
        (gt / "b.xml").write_text(xml.replace("<xmax>25</xmax>", ""))
    elif change == "text-box":
        (gt / "b.xml").write_text(xml.replace("<xmax>25</xmax>", "<xmax>wide</xmax>"))
    elif change == "difficult":
        (gt / "b.xml").write_text(xml.replace("<difficult>0", "<difficult>2"))
    elif change == "root":
        (gt / "b.xml").write_text(xml.replace("annotation>", "note>"))
    elif change == "zero-width":
        (gt / "b.xml").write_text(xml.replace("<xmax>25</xmax>", "<xmax>5</xmax>"))
    elif change == "size":
        (gt / "b.xml").write_text(xml.replace("<width>60</width>", "<width>0</width>"))
    elif change == "unknown-image":
        (dt / "comp4_det_test_cat.txt").write_text("a 0.5 1 1 5 5\nzebra 0.4 1 1 5 5\n")
    elif change == "unknown-class":
        (dt / "comp4_det_test_bird.txt").write_text("a 0.5 1 1 5 5\n")
    elif change == "fields":
        (dt / "comp4_det_test_dog.txt").write_text("a 0.5 1 1 5\n")
    elif change == "outside":
        (dt / "comp4_det_test_dog.txt").write_text("c 0.5 50 50 60 60\n")
    with pytest.raises(ReportgenError) as caught:
        read_detection(dt, gt)
    return caught.value.message.replace(f"{tmp_path}/", "")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("doctype", "Annotations/b.xml: holds a document type or entity declaration"),
        ("malformed", "Annotations/b.xml: is not well-formed XML (line 1, column"),
        ("no-xmax", "Annotations/b.xml object 1: has no <bndbox/xmax> for the box."),
        ("text-box", "Annotations/b.xml object 1: has <bndbox/xmax> 'wide', not a number."),
        ("difficult", "Annotations/b.xml object 1: has difficult '2'; it is 0 or 1."),
        ("root", "Annotations/b.xml: has the root element <note>, not a VOC <annotation>."),
        (
            "zero-width",
            "Annotations: 1 object has a box of zero or negative width or height: "
            "b.xml object 1 (box [5, 5, 0, 20]).",
        ),
        ("size", "Annotations/b.xml: has <size/width> 0; an image size is a positive number."),
        (
            "unknown-image",
            "results: 1 detection names an image the ground truth does not list: "
            "comp4_det_test_cat.txt line 2 (image 'zebra').",
        ),
        ("unknown-class", "results/comp4_det_test_bird.txt: names no class of the ground truth"),
        (
            "fields",
            "results: 1 detection is on a line without 6 fields (image score xmin ymin xmax "
            "ymax): comp4_det_test_dog.txt line 1 (5 fields).",
        ),
        (
            "outside",
            "results: 1 detection has a box entirely outside its image: "
            "comp4_det_test_dog.txt line 1 (box [50, 50, 10, 10], image 40 × 40).",
        ),
    ],
)
def test_voc_refusals(tmp_path: Path, change: str, words: str) -> None:
    msg = voc_refusal(tmp_path, change)
    assert words in msg, msg


def test_voc_class_list_and_longest_class_suffix(tmp_path: Path) -> None:
    """Classes from a list (sorted: ids 1..K by name); 'hot_dog' is not read as 'dog'."""
    dt, gt = scene.write_voc(tmp_path)
    names = tmp_path / "names.txt"
    names.write_text("dog\nhot_dog\ncat\n")
    (dt / "comp4_det_test_hot_dog.txt").write_text("a 0.7 1 1 5 5\n")
    read = read_detection(dt, gt, classes=names)
    assert read.categories == {1: "cat", 2: "dog", 3: "hot_dog"}
    hot = read.detections.category_id[read.detections.score == 0.7]
    assert hot.tolist() == [3]
    names.write_text("cat\n")
    with pytest.raises(
        ReportgenError,
        match=r"2 objects name classes the class list does not define: a\.xml object 2 ",
    ):
        read_detection(dt, gt, classes=names)


def test_yolo_line_layouts_read_alike(tmp_path: Path) -> None:
    """CRLF, tabs, no final newline, blank and indented lines: the same boxes and line numbers."""
    dt, gt, root = scene.write_yolo(tmp_path)
    plain = read_detection(dt, gt, image_root=root)
    for path in [*gt.glob("[abc].txt"), *dt.glob("*.txt")]:
        lines = path.read_text().splitlines()
        if path.name == "a.txt" and path.parent == gt:
            path.write_text("\n  " + "\n\n".join(ln.replace(" ", "\t") for ln in lines) + "  ")
        else:
            path.write_text("\r\n".join(lines))
    again = read_detection(dt, gt, image_root=root)
    assert np.array_equal(plain.ground_truth.box, again.ground_truth.box)
    assert np.array_equal(plain.detections.box, again.detections.box)
    assert np.array_equal(plain.detections.score, again.detections.score)
    (gt / "a.txt").write_text((gt / "a.txt").read_text() + "\n\n7 0.5 0.5 0.1 0.1\n")
    with pytest.raises(ReportgenError, match=r"a\.txt line 6 \(class 7\)"):
        read_detection(dt, gt, image_root=root)


def test_voc_sides_swapped(tmp_path: Path) -> None:
    dt, gt = scene.write_voc(tmp_path)
    with pytest.raises(ReportgenError, match="results: holds no VOC annotation files"):
        read_detection(gt, dt)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ReportgenError, match="Annotations: holds VOC annotation files"):
        read_detection(gt, gt)
    assert len(read_detection(empty, gt).detections.score) == 0  # no detections at all


@pytest.mark.parametrize("fmt", ["yolo", "voc"])
def test_damaged_folders_give_only_reportgen_errors(tmp_path: Path, fmt: str) -> None:
    """Characters of the label files changed at random: read, or a ReportgenError."""
    if fmt == "yolo":
        dt, gt, root = scene.write_yolo(tmp_path)
    else:
        (dt, gt), root = scene.write_voc(tmp_path), None
    files = sorted(p for p in [*dt.iterdir(), *gt.iterdir()] if p.stat().st_size)
    rng = np.random.default_rng(16)
    swaps = [*"0123456789-. \n<>/x", "nan", "inf", "1e999", "<!DOCTYPE", "\t\t"]
    for _ in range(150):
        target = files[int(rng.integers(len(files)))]
        text = target.read_text()
        at = int(rng.integers(len(text)))
        target.write_text(text[:at] + swaps[int(rng.integers(len(swaps)))] + text[at + 1 :])
        with contextlib.suppress(ReportgenError):  # refused or read: both fine
            read_detection(dt, gt, image_root=root)
        target.write_text(text)
