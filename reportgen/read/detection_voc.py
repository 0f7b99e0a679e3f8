"""Read Pascal VOC: a folder of annotation XML files and a folder of devkit detection files.

Conventions:

- Ground truth: one ``<annotation>`` XML file per image (``filename``, ``size/width``,
  ``size/height``, ``object`` with ``name``, ``bndbox`` xmin ymin xmax ymax, ``difficult``),
  read in file-name order; image ids 1..N, annotation ids 1..G in reading order. A document
  with a DTD or entities (``<!DOCTYPE``, ``<!ENTITY``) is refused: the standard library's
  parser would expand them. Other childless elements of ``<annotation>`` (``folder``,
  ``segmented``, ...) become text columns of the image table.
- Pixels: x = xmin, y = ymin, w = xmax - xmin, h = ymax - ymin, for the ground truth and the
  detections alike, as COCO conversions of VOC do (VOC's coordinates are 1-based and
  inclusive, so its own pixel count is xmax - xmin + 1; the one-pixel difference changes the
  IoU of small boxes a little, nothing else). A box with xmin = xmax is refused as zero-width.
- ``difficult`` objects become crowd boxes (iscrowd: an ignored region), as VOC's evaluation
  ignores them: a detection on one is neither a true nor a false positive, and the object is
  not counted in recall. How it differs: VOC gives each detection the object of highest IoU,
  difficult or not, and ignores the detection when that object is difficult; COCOeval first
  looks for a free ordinary box with IoU >= the threshold and only then for a crowd box, whose
  overlap it measures as intersection over the detection's area (not IoU), and a crowd box is
  never used up. So a detection overlapping a difficult object most and an ordinary one
  enough is ignored by VOC but a true positive here, and a box lying inside a large difficult
  object is ignored here more readily than by VOC.
- Categories: ids 1..K in sorted class-name order, the names of the ground truth's objects (or
  of ``classes``, one a line, when given).
- Predictions: devkit files ``<anything>_<class>.txt`` (``comp4_det_test_car.txt``), one per
  class, lines ``image_stem score xmin ymin xmax ymax``; files read in name order. The class
  is the longest known class name the file name ends with after an underscore.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.errors import as_written
from reportgen.read.detection_checks import (
    FolderRead,
    Places,
    check_boxes,
    class_list,
    fail,
    read_lines,
    refuse,
    show,
    to_floats,
)

_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_TAKEN = ("filename", "size", "object")


def looks_like_voc_lines(line: str) -> bool:
    """Whether a first line reads as a devkit detection (stem score x0 y0 x1 y1), not YOLO.

    YOLO predictions have six fields too, but their coordinates are normalised to 0-1 and
    their first field is a class index; VOC's are pixels.
    """
    parts = line.split()
    if len(parts) != 6 or not all(_NUMBER.match(p) for p in parts[1:]):
        return False
    coords = [float(p) for p in parts[2:]]
    return not _NUMBER.match(parts[0]) or "." in parts[0] or max(coords) > 1.0


def read_voc(
    dt_folder: Path,
    gt_folder: Path,
    dt_where: str,
    gt_where: str,
    classes: str | os.PathLike[str] | None,
) -> FolderRead:
    """Read a VOC annotation folder and a folder of devkit detection files."""
    gt_files = _files(gt_folder, ".xml")
    if not gt_files:
        fail(
            gt_where,
            "holds no VOC annotation files (.xml) but detection files; give them as the "
            "predictions, and the folder of annotation XML files with --ground-truth.",
        )
    table, objects = _annotations(gt_files, gt_where)
    given = class_list(Path(classes), str(classes)) if classes is not None else None
    names = sorted(set(given if given is not None else objects["name"]))
    category = {name: k for k, name in enumerate(names, start=1)}
    places = Places(files=objects["file"], lines=np.asarray(objects["number"]), unit="object")
    g_class = np.array([category.get(n, 0) for n in objects["name"]], dtype=np.int64)
    if (g_class == 0).any():
        refuse(
            gt_where,
            g_class == 0,
            "object",
            "name classes the class list does not define",
            places,
            lambda i: f"name {show(objects['name'][i])}",
            one="names a class the class list does not define",
        )
    number = {p.stem: i for i, p in enumerate(gt_files)}
    g_image = np.asarray(objects["image"], dtype=np.int64)
    corners = np.asarray(objects["box"], dtype=float).reshape(-1, 4)
    g_box = _xywh(corners)
    sizes = table[["width", "height"]].to_numpy(float)
    check_boxes(
        g_box,
        sizes[g_image, 0],
        sizes[g_image, 1],
        gt_where,
        "object",
        places,
        ground_truth=True,
        advice="VOC boxes are xmin, ymin, xmax, ymax in pixels.",
    )
    dt_files = _files(dt_folder, ".txt")
    if not dt_files and _files(dt_folder, ".xml"):
        fail(
            dt_where,
            "holds VOC annotation files (.xml), which are ground truth; the predictions are "
            "VOC devkit detection files (<anything>_<class>.txt).",
        )
    file_class = [_class_of(p, category, dt_where) for p in dt_files]
    dt = read_lines(dt_files, dt_where, 6, "detection", "image score xmin ymin xmax ymax")
    stems = dt.column(0)
    d_image = np.array([number.get(s, -1) for s in stems], dtype=np.int64)
    if (d_image < 0).any():
        refuse(
            dt_where,
            d_image < 0,
            "detection",
            "name images the ground truth does not list",
            dt.places,
            lambda i: f"image {show(stems[i])}",
            one="names an image the ground truth does not list",
        )
    values = to_floats(dt, range(1, 6), dt_where, "detection")
    score, d_box = values[:, 0], _xywh(values[:, 1:])
    bad = ~np.isfinite(score)
    if bad.any():
        refuse(
            dt_where,
            bad,
            "detection",
            "have a score that is not a finite number",
            dt.places,
            lambda i: f"score {as_written(score[i])}",
        )
    check_boxes(
        d_box,
        sizes[d_image, 0],
        sizes[d_image, 1],
        dt_where,
        "detection",
        dt.places,
        ground_truth=False,
        advice="VOC detections are image score xmin ymin xmax ymax.",
    )
    d_class = np.asarray(file_class, dtype=np.int64)[dt.file_index] if dt_files else g_class[:0]
    categories = {k: name for name, k in category.items()}
    truth = GroundTruth.of(
        g_image + 1,
        g_class,
        g_box,
        np.asarray(objects["difficult"], dtype=bool),
        categories=tuple(categories),
    )
    return FolderRead(
        ground_truth=truth,
        detections=Detections.of(d_image + 1, d_class, d_box, score),
        gt_ids=np.arange(1, len(g_box) + 1, dtype=np.int64),
        categories=categories,
        images=table,
        gt_files=gt_files,
        dt_files=dt_files,
    )


def _files(folder: Path, suffix: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == suffix and p.is_file())


def _xywh(corners: np.ndarray) -> np.ndarray:
    out = corners.copy()
    out[:, 2:] = corners[:, 2:] - corners[:, :2]
    return out


def _class_of(path: Path, category: dict[str, int], where: str) -> int:
    stem = path.stem
    fits = [n for n in category if stem == n or stem.endswith("_" + n)]
    if not fits:
        known = ", ".join(list(category)[:8]) + (", …" if len(category) > 8 else "")
        fail(
            f"{where}/{path.name}",
            "names no class of the ground truth; VOC detection files "
            f"are named <anything>_<class>.txt, e.g. comp4_det_test_<class>.txt, with a class "
            f"among: {known}.",
        )
    return category[max(fits, key=len)]


def _annotations(files: list[Path], where: str) -> tuple[pd.DataFrame, dict[str, list[Any]]]:
    """The image table and the objects (file, number, image index, name, box, difficult)."""
    rows: list[dict[str, str | float | int]] = []
    objects: dict[str, list[Any]] = {
        k: [] for k in ("file", "number", "image", "name", "box", "difficult")
    }
    for k, path in enumerate(files):
        at = f"{where}/{path.name}"
        root = _parse(path, at)
        row: dict[str, str | float | int] = {
            "image_id": k + 1,
            "file_name": _text(root, "filename", at, "the image"),
            "width": _positive(root, "size/width", at),
            "height": _positive(root, "size/height", at),
        }
        for child in root:
            if child.tag not in _TAKEN and len(child) == 0 and child.tag not in row:
                row[child.tag] = (child.text or "").strip()
        rows.append(row)
        for n, obj in enumerate(root.findall("object"), start=1):
            place = f"{at} object {n}"
            objects["file"].append(path.name)
            objects["number"].append(n)
            objects["image"].append(k)
            objects["name"].append(_text(obj, "name", place, "the object"))
            objects["box"].append(
                [_number(obj, f"bndbox/{c}", place) for c in ("xmin", "ymin", "xmax", "ymax")]
            )
            difficult = (obj.findtext("difficult") or "0").strip()
            if difficult not in ("0", "1"):
                fail(place, f"has difficult {show(difficult)}; it is 0 or 1.")
            objects["difficult"].append(difficult == "1")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    table = (
        pd.DataFrame(
            {
                key: pd.Series(
                    [row.get(key) for row in rows],
                    dtype="int64"
                    if key == "image_id"
                    else "float64"
                    if key in ("width", "height")
                    else object,
                )
                for key in columns
            }
        )
        if rows
        else pd.DataFrame(
            {
                "image_id": pd.Series([], dtype="int64"),
                "file_name": pd.Series([], dtype=object),
                "width": pd.Series([], dtype=float),
                "height": pd.Series([], dtype=float),
            }
        )
    )
    return table, objects


def _parse(path: Path, at: str) -> ET.Element:
    data = path.read_bytes()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        fail(
            at,
            "holds a document type or entity declaration (<!DOCTYPE or <!ENTITY); VOC "
            "annotations have none, and reportgen does not expand them. Remove it.",
        )
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        fail(at, f"is not well-formed XML (line {line}, column {column + 1}).")
    if root.tag != "annotation":
        fail(at, f"has the root element <{root.tag}>, not a VOC <annotation>.")
    return root


def _text(node: ET.Element, path: str, at: str, what: str) -> str:
    value = node.findtext(path)
    if value is None or not value.strip():
        fail(at, f"has no <{path}> for {what}.")
    return value.strip()


def _number(node: ET.Element, path: str, at: str) -> float:
    value = _text(node, path, at, "the box")
    try:
        return float(value)
    except ValueError:
        fail(at, f"has <{path}> {show(value)}, not a number.")


def _positive(node: ET.Element, path: str, at: str) -> float:
    value = _number(node, path, at)
    if not np.isfinite(value) or value <= 0:
        fail(at, f"has <{path}> {as_written(value)}; an image size is a positive number.")
    return value
