"""The errors a detection report shows: false positives and missed boxes, with boxed pictures.

At the operating point (IoU .5, the report's confidence threshold): a false positive is a kept
detection that matched nothing (crowd matches aside); a missed box is a not-crowd ground truth
no kept detection matched. False positives are listed most confident first (the ones a
threshold would not remove); missed boxes are a seeded random sample, in file order. With
--image-root each row shows its picture with every ground-truth box (solid) and every kept
detection (dashed) drawn, the row's own box thicker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reportgen.analysis.detection_errors import ERROR_TYPES, DetectionErrors
from reportgen.analysis.detection_matching import box_iou
from reportgen.analysis.detection_operating import Matching, OperatingPoint, errors_at
from reportgen.read.detection import DetectionInput
from reportgen.record.detection_types import BoxRowBlock, BoxTableBlock
from reportgen.record.types import ImageBlock, PageThumbnail

NEAR_IOU = 0.1  # below this IoU a box is not "near" another (TIDE's background threshold)
THUMB_SIDE = 256  # larger than a classification thumbnail: labelled boxes need the room
THUMB_BUDGET = 1_500_000  # bytes of base pictures; the boxes drawn add to it
DRAWN_DETECTIONS = 30  # at most this many kept detections drawn on one picture, best first


@dataclass(frozen=True)
class ShownErrors:
    """The two tables of shown errors, and the boxed pictures their rows point at."""

    false_positives: BoxTableBlock
    missed: BoxTableBlock
    thumbnails: dict[str, PageThumbnail] = field(default_factory=dict)


@dataclass(frozen=True)
class _Image:
    """Where one image's boxes and kept detections are, by index."""

    position: int  # in the evaluated images, from 0
    boxes: np.ndarray  # ground-truth indices
    kept: np.ndarray  # indices of kept detections, best first


def shown_errors(
    found: DetectionInput,
    matching: Matching,
    point: OperatingPoint,
    errors: DetectionErrors,
    *,
    max_samples: int,
    seed: int,
    image_root: str | None,
) -> ShownErrors:
    """Pick the shown false positives and misses, describe them, and draw their pictures."""
    gt, dt = found.ground_truth, found.detections
    kept = dt.score >= point.conf
    fp, missed = errors_at(gt, dt, matching, point.conf)
    fp = fp[np.argsort(-dt.score[fp], kind="stable")]
    shown_missed = sample_missed(missed, max_samples, seed)
    images = _images(found, kept)
    names = found.categories
    shown_fp = fp[:max_samples].tolist()
    fp_rows = [_fp_row(found, images, d, errors, names) for d in shown_fp]
    miss_rows = [_miss_row(found, images, g, names) for g in shown_missed.tolist()]
    thumbnails: dict[str, PageThumbnail] = {}
    if image_root is not None:
        tables = (
            ("fp", "prediction", fp_rows, shown_fp),
            ("miss", "truth", miss_rows, shown_missed.tolist()),
        )
        _draw(found, images, tables, image_root, thumbnails)
    return ShownErrors(
        false_positives={"total": int(fp.size), "shown": len(fp_rows), "rows": fp_rows},
        missed={
            "total": int(missed.size),
            "shown": len(miss_rows),
            "seed": seed,
            "rows": miss_rows,
        },
        thumbnails=thumbnails,
    )


def sample_missed(missed: np.ndarray, n: int, seed: int) -> np.ndarray:
    """A seeded random sample of `n` missed boxes (all when fewer), in file order.

    The report's table and `sample-errors`' review sheet draw the same boxes for one seed.
    """
    if missed.size <= n:
        return missed
    return np.sort(np.random.default_rng(seed).choice(missed, size=n, replace=False))


def _images(found: DetectionInput, kept: np.ndarray) -> dict[int, _Image]:
    """Each image's boxes and kept detections (best first), by image id."""
    gt, dt = found.ground_truth, found.detections
    ids = found.images["image_id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    g_pos = order[np.searchsorted(ids[order], gt.image_id)] if len(ids) else gt.image_id
    g_sorted = np.argsort(g_pos, kind="stable")
    g_starts = np.searchsorted(g_pos[g_sorted], np.arange(len(ids) + 1))
    k = np.flatnonzero(kept)
    k = k[np.lexsort((-dt.score[k], dt.image_id[k]))]
    k_ids = dt.image_id[k]
    out: dict[int, _Image] = {}
    for pos, image_id in enumerate(ids.tolist()):
        lo, hi = np.searchsorted(k_ids, [image_id, image_id + 1])
        out[image_id] = _Image(pos, g_sorted[g_starts[pos] : g_starts[pos + 1]], k[lo:hi])
    return out


def _row_base(found: DetectionInput, image: _Image) -> tuple[int, int, str]:
    """The row number (the image's position in the ground truth), id and file name."""
    frame = found.images
    file_name = str(frame["file_name"].iloc[image.position])
    return image.position + 1, int(frame["image_id"].iloc[image.position]), file_name


def _fp_row(
    found: DetectionInput,
    images: dict[int, _Image],
    d: int,
    errors: DetectionErrors,
    names: dict[int, str],
) -> BoxRowBlock:
    """A false positive: its class and score, TIDE's type, the nearest ground truth."""
    gt, dt = found.ground_truth, found.detections
    image = images[int(dt.image_id[d])]
    row, image_id, file_name = _row_base(found, image)
    boxes = image.boxes[~gt.iscrowd[image.boxes]]
    iou, other = None, None
    if boxes.size:
        ious = box_iou(dt.box[d : d + 1], gt.box[boxes], np.zeros(boxes.size, dtype=bool))[0]
        best = int(np.argmax(ious))
        iou = float(ious[best])
        near = int(gt.category_id[boxes[best]])
        if iou >= NEAR_IOU and near != int(dt.category_id[d]):
            other = names.get(near, str(near))
    kind = int(errors.detection_error[d])
    return {
        "row": row,
        "image_id": image_id,
        "file_name": file_name,
        "label": names.get(int(dt.category_id[d]), str(int(dt.category_id[d]))),
        "score": float(dt.score[d]),
        "kind": ERROR_TYPES[kind] if kind >= 0 else "FP",
        "iou": iou,
        "other": other,
        "image": None,
    }


def _miss_row(
    found: DetectionInput, images: dict[int, _Image], g: int, names: dict[int, str]
) -> BoxRowBlock:
    """A missed box: its class, and what the nearest kept detection did instead."""
    gt, dt = found.ground_truth, found.detections
    image = images[int(gt.image_id[g])]
    row, image_id, file_name = _row_base(found, image)
    label = int(gt.category_id[g])
    kind, iou, other = "Miss", None, None
    if image.kept.size:
        ious = box_iou(dt.box[image.kept], gt.box[g : g + 1], np.zeros(1, dtype=bool))[:, 0]
        best = int(np.argmax(ious))
        iou = float(ious[best])
        near = int(dt.category_id[image.kept[best]])
        same = dt.category_id[image.kept] == label
        if iou >= 0.5 and near != label:
            kind, other = "Cls", names.get(near, str(near))
        elif same.any() and NEAR_IOU <= float(ious[same].max()) < 0.5:
            kind, iou = "Loc", float(ious[same].max())
        elif iou < NEAR_IOU:
            iou = None
    return {
        "row": row,
        "image_id": image_id,
        "file_name": file_name,
        "label": names.get(label, str(label)),
        "score": None,
        "kind": kind,
        "iou": iou,
        "other": other,
        "image": None,
    }


def _draw(
    found: DetectionInput,
    images: dict[int, _Image],
    tables: tuple[tuple[str, str, list[BoxRowBlock], list[int]], ...],
    image_root: str,
    thumbnails: dict[str, PageThumbnail],
) -> None:
    """Give each shown row its picture with the boxes drawn, in page order (budget)."""
    from reportgen.figures.detection_boxes import DrawnBox, boxed_thumbnail
    from reportgen.read.images import ImageLoader, Thumbnail

    loader = ImageLoader(
        image_root,
        max_side=THUMB_SIDE,
        min_side=THUMB_SIDE // 2,
        budget_bytes=THUMB_BUDGET,
        fast_png=True,  # decoded again to draw the boxes on
    )
    gt, dt = found.ground_truth, found.detections
    names = found.categories

    def drawn(box: np.ndarray, category: int, score: float | None, emphasis: bool) -> DrawnBox:
        x, y, w, h = (float(v) for v in box)
        kind = "truth" if score is None else "prediction"
        label = names.get(category, str(category))
        return DrawnBox(x, y, w, h, label=label, score=score, kind=kind, emphasis=emphasis)

    def boxes_of(image: _Image, emphasis: tuple[str, int]) -> list[DrawnBox]:
        truth = [
            drawn(gt.box[g], int(gt.category_id[g]), None, emphasis == ("truth", g))
            for g in image.boxes.tolist()
        ]
        kept = [
            drawn(dt.box[d], int(dt.category_id[d]), float(dt.score[d]),
                  emphasis == ("prediction", d))
            for d in image.kept[:DRAWN_DETECTIONS].tolist()
        ]  # fmt: skip
        return truth + kept

    for prefix, kind, rows, boxes in tables:
        for n, (row, box) in enumerate(zip(rows, boxes, strict=True)):
            image = images[row["image_id"]]
            base = loader.thumbnail(row["file_name"])
            key = f"{prefix}-{n + 1}"
            block: ImageBlock
            if isinstance(base, Thumbnail):
                boxed = boxed_thumbnail(base, boxes_of(image, (kind, box)))
                thumbnails[key] = {
                    "data_uri": boxed.data_uri,
                    "width": boxed.width,
                    "height": boxed.height,
                }
                block = {"source": key, "shown": True, "reason": None}
            else:
                block = {"source": key, "shown": False, "reason": base.reason}
            row["image"] = block
