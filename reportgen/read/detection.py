"""Read an object-detection pair (ground truth + predictions) as COCO, YOLO or Pascal VOC.

``read_detection(predictions, ground_truth)`` tells the format from the ground truth
(``detection_format``) and reads the same-format predictions beside it: COCO instances +
COCO results list, a YOLO label folder + a YOLO prediction folder, a VOC XML folder + a folder
of VOC devkit detection files. Every side becomes the arrays of ``analysis.detection``
(boxes x, y, w, h in pixels), checked (``detection_checks``): bad input is a ReportgenError
naming the file, the first few records and how many there are.

A folder's SourceInfo: size the total bytes of the files read, sha256 over the sorted
(relative path, file sha256) pairs, written as "path\\0sha256\\n" lines.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.errors import ReportgenError
from reportgen.read.detection_checks import fail
from reportgen.read.detection_coco import read_instances, read_results
from reportgen.read.detection_voc import looks_like_voc_lines, read_voc
from reportgen.read.detection_yolo import read_yolo
from reportgen.read.readers import sha256_of
from reportgen.read.table import SourceInfo
from reportgen.read.textin import is_gzip

HEAD = 1 << 16  # bytes of a JSON file looked at: COCO's 'info' and 'licenses' come first
FOLDER_KINDS = ("yolo", "voc")
_NAMES = {
    "coco-results": "a COCO results list",
    "coco-instances": "a COCO instances file",
    "yolo": "a folder of YOLO label files",
    "voc": "a folder of Pascal VOC files",
}


@dataclass(frozen=True)
class DetectionInput:
    """A read and checked detection pair, with where each side came from."""

    ground_truth: GroundTruth
    detections: Detections
    gt_ids: np.ndarray  # (G,) int64 annotation ids (YOLO/VOC: 1..G in reading order)
    categories: dict[int, str]  # category id -> name, in the file's order
    images: pd.DataFrame  # image_id, file_name, width, height, then other scalar fields
    gt_source: SourceInfo
    dt_source: SourceInfo
    format: str  # the ground truth's: "coco", "yolo" or "voc"


def read_detection(
    predictions: str | os.PathLike[str],
    ground_truth: str | os.PathLike[str],
    *,
    classes: str | os.PathLike[str] | None = None,
    image_root: str | os.PathLike[str] | None = None,
) -> DetectionInput:
    """Read and check a ground truth and its same-format predictions."""
    try:
        return _read(predictions, ground_truth, classes, image_root)
    except OSError as exc:  # a file of a folder that cannot be read, a folder removed meanwhile
        name = exc.filename if exc.filename is not None else ground_truth
        raise ReportgenError(f"{name}: could not be read ({exc.strerror or exc}).") from exc


def _read(
    predictions: str | os.PathLike[str],
    ground_truth: str | os.PathLike[str],
    classes: str | os.PathLike[str] | None,
    image_root: str | os.PathLike[str] | None,
) -> DetectionInput:
    gt_path, dt_path = Path(ground_truth), Path(predictions)
    gt_where, dt_where = str(ground_truth), str(predictions)
    _exists(gt_path, gt_where, "ground truth")
    _exists(dt_path, dt_where, "predictions")
    kind = detection_format(gt_path)
    if kind == "coco-results":
        fail(
            gt_where,
            "looks like a COCO results list (detections with scores), not ground "
            "truth; give the COCO instances file (images, annotations, categories) with "
            "--ground-truth and the results as the predictions.",
        )
    if kind is None and gt_path.is_dir():
        fail(
            gt_where,
            "holds neither YOLO label files (.txt) nor Pascal VOC annotations "
            "(.xml); the ground truth is a COCO instances file, a YOLO label folder or a "
            "VOC annotation folder.",
        )
    if kind is None or kind == "coco-instances":
        return _read_coco(dt_path, gt_path, dt_where, gt_where)
    dt_kind = detection_format(dt_path) if dt_path.is_dir() else None
    if not dt_path.is_dir() or (dt_kind is not None and dt_kind != kind):
        _mismatch(kind, dt_path, dt_where)
    if kind == "yolo":
        read = read_yolo(dt_path, gt_path, dt_where, gt_where, classes, image_root)
    else:
        read = read_voc(dt_path, gt_path, dt_where, gt_where, classes)
    return DetectionInput(
        ground_truth=read.ground_truth,
        detections=read.detections,
        gt_ids=read.gt_ids,
        categories=read.categories,
        images=read.images,
        gt_source=folder_source(gt_path, read.gt_files, kind),
        dt_source=folder_source(dt_path, read.dt_files, kind),
        format=kind,
    )


def _read_coco(dt_path: Path, gt_path: Path, dt_where: str, gt_where: str) -> DetectionInput:
    if dt_path.is_dir():
        _mismatch("coco-instances", dt_path, dt_where)
    truth, ids, categories, images = read_instances(gt_path, gt_where)
    if detection_format(dt_path) == "coco-instances":
        fail(
            dt_where,
            "is a COCO instances file (ground truth), not a results list; give the "
            "detections (a JSON list of image_id, category_id, bbox, score) as predictions.",
        )
    detections = read_results(dt_path, dt_where, images, categories)
    return DetectionInput(
        ground_truth=truth,
        detections=detections,
        gt_ids=ids,
        categories=categories,
        images=images,
        gt_source=file_source(gt_path, "coco-instances"),
        dt_source=file_source(dt_path, "coco-results"),
        format="coco",
    )


def _exists(path: Path, where: str, side: str) -> None:
    if not path.exists():
        fail(where, f"no such file or folder (the {side}). Check the path.")
    if not os.access(path, os.R_OK):
        fail(where, f"exists but cannot be read (permission denied; the {side}).")


def _mismatch(gt_kind: str, dt_path: Path, dt_where: str) -> None:
    found = detection_format(dt_path)
    holds = _NAMES.get(found or "", "a folder" if dt_path.is_dir() else "a file")
    wanted = {
        "coco-instances": "a COCO results list (a JSON file)",
        "yolo": "a folder of YOLO prediction files (class cx cy w h confidence)",
        "voc": "a folder of VOC devkit detection files (image score xmin ymin xmax ymax)",
    }[gt_kind]
    fail(
        dt_where,
        f"is {holds}, but the ground truth is {_NAMES[gt_kind]}: the predictions must be "
        f"{wanted}. Give both sides in the same format.",
    )


# ----------------------------------------------------------------------------- sources


def file_source(path: Path, fmt: str) -> SourceInfo:
    return SourceInfo(path=path.name, format=fmt, size=path.stat().st_size, sha256=sha256_of(path))


def folder_source(folder: Path, files: list[Path], fmt: str) -> SourceInfo:
    """A folder as one source: total bytes and one hash of its files' names and hashes."""
    pairs = sorted((f.relative_to(folder).as_posix(), sha256_of(f)) for f in files)
    digest = hashlib.sha256()
    for name, sha in pairs:
        digest.update(f"{name}\0{sha}\n".encode())
    size = sum(f.stat().st_size for f in files)
    return SourceInfo(path=folder.name, format=fmt, size=size, sha256=digest.hexdigest())


# ----------------------------------------------------------------------------- sniffing


def detection_format(path: str | os.PathLike[str]) -> str | None:
    """What a path holds, read cheaply (the first KB of a file, the names in a folder):
    "coco-results" (a JSON list of objects with image_id, category_id, bbox, score),
    "coco-instances" (a JSON object with images/annotations/categories), "yolo" (a folder of
    .txt label files), "voc" (a folder of .xml files or VOC devkit detection files), None."""
    where = Path(path)
    try:
        if where.is_dir():
            return _folder_format(where)
        if where.is_file():
            return _file_format(where)
    except (ValueError, OSError, EOFError, zlib.error):  # unreadable or corrupt gzip
        return None
    return None


def _file_format(path: Path) -> str | None:
    if is_gzip(path):
        with gzip.open(path, "rb") as fh:
            head = fh.read(HEAD)
    else:
        with path.open("rb") as fh:
            head = fh.read(HEAD)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        body = text[1:].lstrip()
        if (
            body.startswith(b"{")
            and b'"image_id"' in text
            and (b'"bbox"' in text or b'"score"' in text or b'"category_id"' in text)
        ):
            return "coco-results"
        return None
    if text.startswith(b"{") and any(
        f'"{key}"'.encode() in text for key in ("images", "annotations", "categories")
    ):
        return "coco-instances"
    return None


def _folder_format(folder: Path) -> str | None:
    names = sorted(os.listdir(folder))
    if any(n.lower().endswith(".xml") for n in names):
        return "voc"
    texts = [n for n in names if n.lower().endswith(".txt") and (folder / n).is_file()]
    if not texts:
        return None
    if "classes.txt" in texts:
        return "yolo"
    for name in texts[:20]:  # the first files with a line in them tell
        with (folder / name).open("rb") as fh:
            head = fh.read(1024)
        line = next((ln for ln in head.splitlines() if ln.strip()), None)
        if line is None:
            continue
        return "voc" if looks_like_voc_lines(line.decode("utf-8", "replace")) else "yolo"
    return "yolo"  # label files all empty: images without objects
