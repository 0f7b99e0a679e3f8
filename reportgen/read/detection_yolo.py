"""Read YOLO label folders: ground truth ``class cx cy w h``, predictions ``... confidence``.

Conventions:

- One ``<stem>.txt`` per image, directly in the folder (``classes.txt`` is the class list, not
  labels). Boxes are normalised to 0-1 by the image's size; in pixels x = (cx - w/2) * W,
  y = (cy - h/2) * H, width w * W, height h * H.
- Class names from ``classes`` (one a line) or a ``classes.txt`` in the ground-truth folder:
  category ids 0..K-1; a class index beyond the list is refused. Without a list the
  categories are the class indices either side uses, named by their number.
- Image sizes are read from the images under ``image_root`` (Pillow, header only): the file
  ``<stem>.<jpg|jpeg|png|bmp|webp|tif|tiff>`` there or in its ``images/`` subfolder. A
  picture with an EXIF orientation of 90 degrees (6 or 8) counts with width and height
  swapped, as Ultralytics normalises its labels by the upright size.
- The images are the label files plus the images without one (YOLO's background images:
  every picture under the root, so a root holding other splits' pictures adds them too;
  an empty or missing label file means no objects), sorted by stem; image ids 1..N in that
  order, annotation ids 1..G in reading order (files by name, lines in order).
- A prediction file whose stem is not one of the images is refused.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.errors import ReportgenError, as_written
from reportgen.read.detection_checks import (
    FolderRead,
    Lines,
    check_boxes,
    class_list,
    fail,
    read_lines,
    refuse,
    to_floats,
)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
_ORIENTATION = 0x0112  # the EXIF tag; 6 and 8 mean turned by 90 degrees
_ADVICE = "YOLO boxes are class cx cy w h, normalised to 0-1 by the image's width and height."


def read_yolo(
    dt_folder: Path,
    gt_folder: Path,
    dt_where: str,
    gt_where: str,
    classes: str | os.PathLike[str] | None,
    image_root: str | os.PathLike[str] | None,
) -> FolderRead:
    """Read a YOLO ground-truth folder and a YOLO prediction folder."""
    names: list[str] | None = None
    list_file = Path(classes) if classes is not None else gt_folder / "classes.txt"
    gt_files = _label_files(gt_folder)
    if classes is not None or list_file.is_file():
        if not list_file.is_file():
            fail(str(classes), "no such class-name file (one class name a line).")
        names = class_list(list_file, str(list_file))
    if image_root is None:
        fail(
            gt_where,
            "YOLO labels hold boxes relative to the image size; give the folder of "
            "the images with --image-root so that their sizes can be read.",
        )
    root = _root(image_root)
    pictures = _pictures(root)
    labels = {p.stem: p for p in gt_files if p.name != "classes.txt"}
    stems = sorted(set(labels) | set(pictures))
    lost = [s for s in stems if s not in pictures]
    if lost:
        shown = ", ".join(f"{s}.txt" for s in lost[:3]) + (", …" if len(lost) > 3 else "")
        count = "1 label file has" if len(lost) == 1 else f"{len(lost):,} label files have"
        fail(
            gt_where,
            f"{count} no image under --image-root "
            f"'{image_root}' ({shown}): looked for <stem>.jpg, .jpeg, .png, .bmp, .webp, "
            ".tif or .tiff there and in its images/ subfolder. YOLO boxes need the image "
            "size.",
        )
    sizes = np.array([_size(root, pictures[s]) for s in stems], dtype=float).reshape(-1, 2)
    images = pd.DataFrame(
        {
            "image_id": np.arange(1, len(stems) + 1, dtype=np.int64),
            "file_name": pd.Series([pictures[s] for s in stems], dtype=object),
            "width": sizes[:, 0],
            "height": sizes[:, 1],
        }
    )
    number = {s: i for i, s in enumerate(stems)}
    files = [labels[s] for s in stems if s in labels]
    gt = read_lines(files, gt_where, 5, "ground-truth box", "class cx cy w h")
    g_image, g_class, g_box = _boxes(gt, files, number, sizes, gt_where, "ground-truth box")
    dt_files = _label_files(dt_folder)
    dt_files = [p for p in dt_files if p.name != "classes.txt"]
    dt = read_lines(dt_files, dt_where, 6, "detection", "class cx cy w h confidence")
    unknown = np.array([p.stem not in number for p in dt_files], dtype=bool)
    bad = unknown[dt.file_index] if len(dt_files) else np.zeros(0, dtype=bool)
    if bad.any():
        refuse(
            dt_where,
            bad,
            "detection",
            "are in files for images the ground truth does not list",
            dt.places,
            lambda i: f"image {dt_files[dt.file_index[i]].stem}",
            one="is in a file for an image the ground truth does not list",
        )
    d_image, d_class, d_box = _boxes(dt, dt_files, number, sizes, dt_where, "detection")
    score = to_floats(dt, range(5, 6), dt_where, "detection")[:, 0]
    bad = ~np.isfinite(score)
    if bad.any():
        refuse(
            dt_where,
            bad,
            "detection",
            "have a confidence that is not a finite number",
            dt.places,
            lambda i: f"confidence {as_written(score[i])}",
        )
    if names is not None:
        categories = dict(enumerate(names))
        for where, side, noun, cls in (
            (gt_where, gt, "ground-truth box", g_class),
            (dt_where, dt, "detection", d_class),
        ):
            bad = cls >= len(names)
            if bad.any():
                refuse(
                    where,
                    bad,
                    noun,
                    f"name classes the class list does not define (it "
                    f"has {len(names)} names, classes 0 to {len(names) - 1})",
                    side.places,
                    _class_text(cls),
                    one=f"names a class the class list does not define (it has {len(names)} "
                    f"names, classes 0 to {len(names) - 1})",
                )
    else:
        used = np.unique(np.concatenate([g_class, d_class]))
        categories = {int(c): str(int(c)) for c in used}
    truth = GroundTruth.of(g_image, g_class, g_box, categories=tuple(categories))
    return FolderRead(
        ground_truth=truth,
        detections=Detections.of(d_image, d_class, d_box, score),
        gt_ids=np.arange(1, len(g_box) + 1, dtype=np.int64),
        categories=categories,
        images=images,
        gt_files=gt_files,
        dt_files=dt_files,
    )


def _label_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".txt" and p.is_file())


def _boxes(
    lines: Lines,
    files: list[Path],
    number: dict[str, int],
    sizes: np.ndarray,
    where: str,
    noun: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image ids, class indices and pixel boxes of the lines' ``class cx cy w h``."""
    values = to_floats(lines, range(0, 5), where, noun)
    cls = values[:, 0]
    bad = ~np.isfinite(cls) | (cls < 0) | (cls != np.round(cls)) | (cls >= 2**31)
    if bad.any():
        refuse(
            where,
            bad,
            noun,
            "have a class that is not a whole number from 0",
            lines.places,
            lambda i: f"class {as_written(lines.line(i)[0])}",
        )
    file_image = np.array([number.get(p.stem, -1) for p in files], dtype=np.int64)
    image = file_image[lines.file_index] if len(files) else np.zeros(0, dtype=np.int64)
    size = sizes[image] if len(image) else np.zeros((0, 2))
    w, h = values[:, 3] * size[:, 0], values[:, 4] * size[:, 1]
    box = np.column_stack(
        [
            (values[:, 1] - values[:, 3] / 2) * size[:, 0],
            (values[:, 2] - values[:, 4] / 2) * size[:, 1],
            w,
            h,
        ]
    ).reshape(-1, 4)
    check_boxes(
        box,
        size[:, 0],
        size[:, 1],
        where,
        noun,
        lines.places,
        ground_truth=noun != "detection",
        advice=_ADVICE,
    )
    return image + 1, cls.astype(np.int64), box


def _root(image_root: str | os.PathLike[str]) -> Path:
    root = Path(image_root)
    if not root.is_dir():
        raise ReportgenError(
            f"--image-root '{image_root}' is not a folder; name the folder of the images the "
            "YOLO labels belong to."
        )
    return root.resolve()


def _pictures(root: Path) -> dict[str, str]:
    """Image stem -> its path under the root (the root itself first, then images/)."""
    found: dict[str, str] = {}
    for sub in ("", "images"):
        folder = root / sub if sub else root
        if not folder.is_dir():
            continue
        for name in sorted(os.listdir(folder)):
            stem, suffix = os.path.splitext(name)
            if suffix.lower() in IMAGE_SUFFIXES and stem not in found:
                found[stem] = f"{sub}/{name}" if sub else name
    return found


def _size(root: Path, relative: str) -> tuple[int, int]:
    """An image's width and height from its header, read only below the root."""
    from PIL import Image, UnidentifiedImageError

    path = root / relative
    if not path.resolve().is_relative_to(root):
        fail(str(path), "leads outside --image-root (a symbolic link); its size is not read.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a large image's bomb warning: only the header
            with Image.open(path) as picture:
                width, height = picture.size
                # a camera's rotation tag: Ultralytics normalises by the upright size
                if picture.getexif().get(_ORIENTATION) in (6, 8):
                    width, height = height, width
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        fail(str(path), f"could not be read as an image to find its size ({exc}).")
    return int(width), int(height)


def _class_text(cls: np.ndarray) -> Callable[[int], str]:
    return lambda i: f"class {cls[i]}"
