"""Read a COCO instances file (ground truth) and a COCO results list (detections) into arrays.

The parsed JSON lists become numpy arrays column by column (one list comprehension per
field); when a conversion fails, a second pass over that field finds the records to name.
Defaults as COCO's: ``iscrowd`` 0, ``area`` the box's w * h. An image entry's other scalar
fields (numbers, text, booleans; not lists or objects) become columns of the image table.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.errors import as_written
from reportgen.read.detection_checks import (
    Places,
    check_boxes,
    check_unique,
    fail,
    integers,
    is_integer,
    is_number,
    lookup,
    numbers,
    refuse,
    show,
)
from reportgen.read.textin import GZIP_ERRORS, check_gzip_name, is_gzip, sniff_encoding

RECORD = Places()
_MISSING = object()


def load_json(path: Path, where: str) -> Any:
    """Parse a JSON file, plain or gzip (by its bytes); malformed JSON names line and column."""
    check_gzip_name(path, where)
    try:
        if is_gzip(path):
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except GZIP_ERRORS as exc:
        fail(where, f"could not be read as gzip-compressed JSON ({as_written(str(exc))}).")
    if not data.strip():
        fail(where, "the file is empty; expected COCO JSON.")
    try:
        text = data.decode(sniff_encoding(data[:4096], where, sheet=False))
    except UnicodeDecodeError as exc:
        fail(
            where,
            f"is not UTF-8 text (byte 0x{data[exc.start : exc.start + 1].hex()} at "
            f"byte {exc.start + 1:,}); JSON files are UTF-8.",
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(where, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.")
    except RecursionError:
        fail(where, "is not valid COCO JSON: its lists or objects nest too deeply.")


def read_instances(
    path: Path, where: str
) -> tuple[GroundTruth, np.ndarray, dict[int, str], pd.DataFrame]:
    """The ground truth, annotation ids, categories and image table of an instances file."""
    data = load_json(path, where)
    if not isinstance(data, dict):
        fail(
            where,
            f"holds a JSON {_kind(data)}, not a COCO instances object (with 'images', "
            "'annotations' and 'categories'). A list of detections is a results file: give "
            "it as the predictions, and the instances file with --ground-truth.",
        )
    sections = {}
    for key in ("images", "annotations", "categories"):
        if key not in data:
            fail(
                where,
                f"has no '{key}' list; a COCO instances file has 'images', "
                "'annotations' and 'categories'.",
            )
        if not isinstance(data[key], list):
            fail(where, f"'{key}' is a JSON {_kind(data[key])}, not a list.")
        sections[key] = data[key]
    categories = _categories(sections["categories"], where)
    images = _images(sections["images"], where)
    anns = sections["annotations"]
    _objects(anns, where, "annotation")
    ids = _field(anns, "id", where, "annotation", "integer")
    check_unique(ids, where, "annotation", "id", RECORD)
    image_id = _field(anns, "image_id", where, "annotation", "integer")
    category_id = _field(anns, "category_id", where, "annotation", "integer")
    box = _field(anns, "bbox", where, "annotation", "box")
    crowd = _field(anns, "iscrowd", where, "annotation", "flag", default=0)
    area = _field(anns, "area", where, "annotation", "number", default=np.nan)
    width, height = _image_sizes(image_id, images, where, "annotation")
    _known_categories(category_id, categories, where, "annotation", "the file's 'categories'")
    check_boxes(box, width, height, where, "annotation", RECORD, ground_truth=True)
    missing = np.isnan(area)
    area = np.where(missing, box[:, 2] * box[:, 3], area)
    truth = GroundTruth.of(
        image_id, category_id, box, crowd.astype(bool), area, categories=tuple(categories)
    )
    return truth, ids, categories, images


def read_results(
    path: Path, where: str, images: pd.DataFrame, categories: dict[int, str]
) -> Detections:
    """A COCO results list, checked against the ground truth's images and categories."""
    rows = load_json(path, where)
    if not isinstance(rows, list):
        fail(
            where,
            f"holds a JSON {_kind(rows)}, not a COCO results list (a list of objects with "
            "image_id, category_id, bbox and score).",
        )
    _objects(rows, where, "detection")
    image_id = _field(rows, "image_id", where, "detection", "integer")
    category_id = _field(rows, "category_id", where, "detection", "integer")
    box = _field(rows, "bbox", where, "detection", "box")
    score = _field(rows, "score", where, "detection", "number")
    bad = ~np.isfinite(score)
    if bad.any():
        refuse(
            where,
            bad,
            "detection",
            "have a score that is not a finite number",
            RECORD,
            lambda i: f"score {as_written(score[i])}",
        )
    width, height = _image_sizes(image_id, images, where, "detection")
    _known_categories(category_id, categories, where, "detection", "the ground truth")
    check_boxes(box, width, height, where, "detection", RECORD, ground_truth=False)
    return Detections.of(image_id, category_id, box, score)


# ----------------------------------------------------------------------------- sections


def _categories(rows: list[Any], where: str) -> dict[int, str]:
    _objects(rows, where, "category")
    ids = _field(rows, "id", where, "category", "integer")
    check_unique(ids, where, "category", "id", RECORD)
    names = [r.get("name", _MISSING) for r in rows]
    bad = np.array([not isinstance(n, str) for n in names], dtype=bool)
    if bad.any():
        refuse(
            where,
            bad,
            "category",
            "have no text 'name'",
            RECORD,
            lambda i: "no name" if names[i] is _MISSING else f"name {show(names[i])}",
        )
    return {int(i): str(n) for i, n in zip(ids.tolist(), names, strict=True)}


def _images(rows: list[Any], where: str) -> pd.DataFrame:
    _objects(rows, where, "image")
    ids = _field(rows, "id", where, "image", "integer")
    check_unique(ids, where, "image", "id", RECORD)
    names = [r.get("file_name", _MISSING) for r in rows]
    bad = np.array([not isinstance(n, str) for n in names], dtype=bool)
    if bad.any():
        refuse(
            where,
            bad,
            "image",
            "have no text 'file_name'",
            RECORD,
            lambda i: "none" if names[i] is _MISSING else f"file_name {show(names[i])}",
        )
    sizes = {}
    for key in ("width", "height"):
        sizes[key] = _positive(rows, key, where)
    columns: dict[str, Any] = {
        "image_id": ids,
        "file_name": pd.Series(names, dtype=object),
        "width": sizes["width"],
        "height": sizes["height"],
    }
    taken = {"id", "file_name", "width", "height", "image_id"}
    extra: dict[str, None] = {}
    for row in rows:
        extra.update(dict.fromkeys(k for k in row if k not in taken and k not in extra))
    for key in extra:
        cells = [row.get(key) for row in rows]
        # scalar fields only: a list or object per image has no place in a table cell
        if all(v is None or isinstance(v, (str, int, float, bool)) for v in cells):
            columns[key] = pd.Series(cells, dtype=_dtype(cells))
    return pd.DataFrame(columns)


def _positive(rows: list[dict[str, Any]], key: str, where: str) -> np.ndarray:
    values = _field(rows, key, where, "image", "number")
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        refuse(
            where,
            bad,
            "image",
            f"have a {key} that is not a positive number",
            RECORD,
            lambda i: f"{key} {as_written(values[i])}",
        )
    return values


def _dtype(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(is_number(v) for v in present):
        return (
            "float64"
            if any(isinstance(v, float) for v in present) or len(present) < len(values)
            else "int64"
        )
    return "object"


def _image_sizes(
    image_id: np.ndarray, images: pd.DataFrame, where: str, noun: str
) -> tuple[np.ndarray, np.ndarray]:
    """Each box's image width and height; refuse boxes on images the ground truth lacks."""
    index, unknown = lookup(image_id, images["image_id"].to_numpy())
    if unknown.any():
        refuse(
            where,
            unknown,
            noun,
            "name image ids the ground truth does not list",
            RECORD,
            lambda i: f"image_id {image_id[i]}",
            one="names an image id the ground truth does not list",
        )
    return images["width"].to_numpy(float)[index], images["height"].to_numpy(float)[index]


def _known_categories(
    category_id: np.ndarray, categories: dict[int, str], where: str, noun: str, by: str
) -> None:
    bad = ~np.isin(category_id, np.array(list(categories), dtype=np.int64))
    if bad.any():
        refuse(
            where,
            bad,
            noun,
            f"name category ids {by} does not define",
            RECORD,
            lambda i: f"category_id {category_id[i]}",
            one=f"names a category id {by} does not define",
        )


# ----------------------------------------------------------------------------- fields


def _kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean"}.get(
        type(value), "number" if is_number(value) else "null"
    )


def _objects(rows: list[Any], where: str, noun: str) -> None:
    bad = np.array([not isinstance(r, dict) for r in rows], dtype=bool)
    if bad.any():
        refuse(
            where,
            bad,
            noun,
            "are not JSON objects",
            RECORD,
            lambda i: f"a {_kind(rows[i])}",
            one="is not a JSON object",
        )


def _field(
    rows: list[dict[str, Any]],
    key: str,
    where: str,
    noun: str,
    kind: str,
    default: Any = _MISSING,
) -> np.ndarray:
    """One field of every record as an array: "integer", "number", "flag" (0/1) or "box"."""
    if default is _MISSING:
        try:
            values = [r[key] for r in rows]
        except KeyError:
            bad = np.array([key not in r for r in rows], dtype=bool)
            refuse(where, bad, noun, f"lack the field '{key}'", RECORD)
    else:
        values = [r.get(key, default) for r in rows]
    array: np.ndarray | None
    ok: Callable[[Any], bool]
    if kind == "box":
        array = _boxes(values)
        ok, what = _is_box, "a 'bbox' that is not a list of four numbers [x, y, width, height]"
    elif kind == "number":
        array = numbers(values)
        ok, what = is_number, f"a '{key}' that is not a number"
    elif kind == "flag":
        # 0/1 or false/true, as tools write it
        array = integers([int(v) if isinstance(v, bool) else v for v in values])
        if array is not None and not np.isin(array, (0, 1)).all():
            array = None
        ok, what = (
            (lambda v: (isinstance(v, bool) or is_integer(v)) and v in (0, 1)),
            f"an '{key}' that is not 0 or 1",
        )
    else:
        array = integers(values)
        ok, what = is_integer, f"a '{key}' that is not a whole number"
    if array is None:
        bad = np.array([not ok(v) for v in values], dtype=bool)
        if not bad.any():  # only a mix numpy cannot hold in one array
            bad = np.ones(len(values), dtype=bool)
        refuse(
            where,
            bad,
            noun,
            "have " + what.replace("a 'i", "an 'i"),
            RECORD,
            lambda i: f"{key} {show(values[i])}",
        )
    return array


def _boxes(values: list[Any]) -> np.ndarray | None:
    if not values:
        return np.zeros((0, 4))
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):
        return None
    if array.dtype.kind not in "iuf" or array.shape != (len(values), 4):
        return None
    return array.astype(float)


def _is_box(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 4 and all(is_number(v) for v in value)
