"""One small detection scene, written as COCO, YOLO and Pascal VOC, for the reader tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

# three images (c has no objects), two classes; boxes x, y, w, h in pixels
IMAGES = [("a", 100, 80), ("b", 60, 50), ("c", 40, 40)]
CLASSES = ["cat", "dog"]
TRUTH = [
    ("a", "cat", [10, 20, 30, 40]),
    ("a", "dog", [50, 10, 40, 30]),
    ("b", "dog", [5, 5, 20, 20]),
]
FOUND = [
    ("a", "cat", [11, 21, 29, 39], 0.9),
    ("a", "dog", [50, 12, 40, 28], 0.8),
    ("b", "cat", [4, 6, 20, 20], 0.3),
    ("c", "dog", [0, 0, 10, 10], 0.5),
]
SIZE = {name: (w, h) for name, w, h in IMAGES}


def coco_instances() -> dict[str, Any]:
    return {
        "info": {"description": "scene"},
        "images": [
            {"id": k, "file_name": f"{n}.png", "width": w, "height": h, "split": "val"}
            for k, (n, w, h) in enumerate(IMAGES, start=1)
        ],
        "annotations": [
            {
                "id": 10 + k,
                "image_id": _image_id(n),
                "category_id": CLASSES.index(c) + 1,
                "bbox": box,
                "iscrowd": 0,
            }
            for k, (n, c, box) in enumerate(TRUTH)
        ],
        "categories": [{"id": k, "name": c} for k, c in enumerate(CLASSES, start=1)],
    }


def coco_results() -> list[dict[str, Any]]:
    return [
        {"image_id": _image_id(n), "category_id": CLASSES.index(c) + 1, "bbox": b, "score": s}
        for n, c, b, s in FOUND
    ]


def write_coco(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    gt, dt = folder / "instances.json", folder / "results.json"
    gt.write_text(json.dumps(coco_instances(), indent=1))
    dt.write_text(json.dumps(coco_results(), indent=1))
    return dt, gt


def write_images(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, w, h in IMAGES:
        Image.new("RGB", (w, h), (90, 120, 150)).save(folder / f"{name}.png")
    return folder


def yolo_line(name: str, box: list[float], cls: int, conf: float | None = None) -> str:
    w, h = SIZE[name]
    x, y, bw, bh = box
    fields = [cls, (x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h]
    if conf is not None:
        fields.append(conf)
    return " ".join(repr(v) for v in fields)


def write_yolo(folder: Path, *, empty_file_for_c: bool = True) -> tuple[Path, Path, Path]:
    """gt/ (labels and classes.txt), pred/, images/: returns predictions, truth, image root."""
    gt, dt = folder / "gt", folder / "pred"
    gt.mkdir(parents=True)
    dt.mkdir(parents=True)
    (gt / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    for name, _, _ in IMAGES:
        lines = [yolo_line(n, b, CLASSES.index(c)) for n, c, b in TRUTH if n == name]
        if lines or empty_file_for_c:
            (gt / f"{name}.txt").write_text("".join(f"{ln}\n" for ln in lines))
        found = [yolo_line(n, b, CLASSES.index(c), s) for n, c, b, s in FOUND if n == name]
        if found:
            (dt / f"{name}.txt").write_text("".join(f"{ln}\n" for ln in found))
    root = write_images(folder / "pictures")
    return dt, gt, root


def voc_xml(name: str, objects: list[tuple[str, list[float], int]]) -> str:
    w, h = SIZE[name]
    body = "".join(
        f"<object><name>{c}</name><difficult>{d}</difficult><bndbox><xmin>{b[0]}</xmin>"
        f"<ymin>{b[1]}</ymin><xmax>{b[0] + b[2]}</xmax><ymax>{b[1] + b[3]}</ymax></bndbox>"
        "</object>"
        for c, b, d in objects
    )
    return (
        f"<annotation><folder>VOC</folder><filename>{name}.png</filename><size><width>{w}"
        f"</width><height>{h}</height><depth>3</depth></size>{body}</annotation>"
    )


def write_voc(folder: Path) -> tuple[Path, Path]:
    """Annotations/ and results/: returns predictions, truth."""
    gt, dt = folder / "Annotations", folder / "results"
    gt.mkdir(parents=True)
    dt.mkdir(parents=True)
    for name, _, _ in IMAGES:
        objects = [(c, b, 0) for n, c, b in TRUTH if n == name]
        (gt / f"{name}.xml").write_text(voc_xml(name, objects))
    for cls in CLASSES:
        lines = [
            f"{n} {s} {b[0]} {b[1]} {b[0] + b[2]} {b[1] + b[3]}\n"
            for n, c, b, s in FOUND
            if c == cls
        ]
        (dt / f"comp4_det_test_{cls}.txt").write_text("".join(lines))
    return dt, gt


def _image_id(name: str) -> int:
    return [n for n, _, _ in IMAGES].index(name) + 1
