"""Recall and false positives at the operating point by object size, border distance and crowding.

Definitions
-----------
At the operating point (``detection_operating``: one matching at its IoU, detections with
score >= its ``conf`` kept, crowd-ignored detections left out):

- a bin's *boxes* are the non-crowd ground truths in it, *matched* those matched by a kept
  detection, recall matched / boxes with a 95% Wilson interval;
- its *detections* are the kept detections in it, *false positives* those that matched
  nothing, FP share false positives / detections with a 95% Wilson interval.

Dimensions (every box and every detection falls in exactly one bin of each):

- ``size``: "small" area < 32², "medium" 32² <= area < 96², "large" area >= 96² (COCOeval's
  ends; COCOeval puts an area of exactly 32² or 96² in both neighbouring ranges, here in the
  upper one). Ground truths by their ``area`` field (as COCOeval), detections by w * h.
- ``border``: a box's distance to the image border is the smallest of x, y, W - (x + w) and
  H - (y + h) (negative when it sticks out); "touching" <= 1 px, "near" < 5% of the image's
  smaller side, "inside" otherwise. Detections by the same measure of their box.
- ``objects``: images by their number of non-crowd ground truths, "0", "1", "2-4", "5-9",
  "10+"; a bin holds the boxes and kept detections of its images, and ``images`` counts them
  (every image of the images table, with or without boxes); false positives per image is
  ``false_positives / images``.

Test: for each bin with boxes in it and in the rest, "recall here is lower than in the rest"
by Fisher's exact one-sided test (the bin's misses against the hypergeometric law of all
misses over all boxes), Holm-adjusted over every tested bin of all three dimensions; the
adjusted p-value is ``p_lower_recall`` (None where untested).

Every box and detection must lie on an image of the images table (a ValueError otherwise:
the reader refuses such input before).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.chance import holm, hypergeom_tail
from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_operating import Matching, OperatingPoint
from reportgen.analysis.stats import wilson_interval

SIZE_BINS = ("small", "medium", "large")
SMALL_AREA = 32.0**2  # below: small (COCOeval's small range ends here)
LARGE_AREA = 96.0**2  # from here: large
BORDER_BINS = ("touching", "near", "inside")
TOUCHING_PX = 1.0  # a distance to the border up to this is touching it
NEAR_SHARE = 0.05  # below this share of the image's smaller side: near the border
OBJECT_BINS = ("0", "1", "2-4", "5-9", "10+")
OBJECT_STARTS = (0, 1, 2, 5, 10)  # the smallest count of each objects-per-image bin


@dataclass(frozen=True)
class Bin:
    """One bin of a dimension: recall and false positives with intervals."""

    name: str
    boxes: int
    matched: int
    recall: float | None
    recall_ci: tuple[float, float] | None
    detections: int
    false_positives: int
    fp_share: float | None
    fp_share_ci: tuple[float, float] | None
    images: int | None  # objects-per-image bins only
    p_lower_recall: float | None  # Holm-adjusted

    @property
    def fp_per_image(self) -> float | None:
        """False positives per image (objects-per-image bins with images)."""
        return self.false_positives / self.images if self.images else None


@dataclass(frozen=True)
class Breakdown:
    """The bins of one dimension, in their natural order."""

    dimension: str  # "size", "border", "objects"
    bins: tuple[Bin, ...]


def size_bin(area: np.ndarray) -> np.ndarray:
    """Index into SIZE_BINS of each area."""
    return np.searchsorted(np.array([SMALL_AREA, LARGE_AREA]), area, side="right")


def border_distance(box: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Each x, y, w, h box's smallest distance to the border of its image."""
    return np.asarray(
        np.minimum.reduce(
            [box[:, 0], box[:, 1], width - box[:, 0] - box[:, 2], height - box[:, 1] - box[:, 3]]
        ),
        dtype=np.float64,
    )


def border_bin(box: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Index into BORDER_BINS of each box on an image of that width and height."""
    distance = border_distance(box, width, height)
    near = distance < NEAR_SHARE * np.minimum(width, height)
    return np.where(distance <= TOUCHING_PX, 0, np.where(near, 1, 2))


def object_bin(count: np.ndarray) -> np.ndarray:
    """Index into OBJECT_BINS of each image's number of non-crowd boxes."""
    return np.searchsorted(np.array(OBJECT_STARTS), count, side="right") - 1


def image_rows(image_id: np.ndarray, images_id: np.ndarray, what: str) -> np.ndarray:
    """Each row's position in the images table; a ValueError for an image not in it."""
    order = np.argsort(images_id, kind="stable")
    sorted_ids = images_id[order]
    place = np.searchsorted(sorted_ids, image_id)
    ok = place < len(sorted_ids)
    ok[ok] = sorted_ids[place[ok]] == image_id[ok]
    if not ok.all():
        missing = int(image_id[~ok][0])
        raise ValueError(f"{what} on image {missing}, which the images table does not list")
    return np.asarray(order[place], dtype=np.int64)


def breakdowns(
    gt: GroundTruth,
    dt: Detections,
    matching: Matching,
    point: OperatingPoint,
    images_id: np.ndarray,
    width: np.ndarray,
    height: np.ndarray,
) -> tuple[Breakdown, ...]:
    """Size, border and objects-per-image breakdowns at the operating point (see the module)."""
    images_id = np.asarray(images_id, dtype=np.int64)
    width = np.asarray(width, dtype=np.float64)
    height = np.asarray(height, dtype=np.float64)
    real = ~gt.iscrowd
    gt_row = image_rows(gt.image_id, images_id, "a ground-truth box")
    dt_row = image_rows(dt.image_id, images_id, "a detection")
    kept = ~matching.detection_ignored & (dt.score >= point.conf)
    found = np.zeros(len(real), dtype=bool)
    matched = matching.gt_matched_by >= 0
    found[matched] = dt.score[matching.gt_matched_by[matched]] >= point.conf
    false_positive = kept & (matching.detection_gt < 0)

    boxes_per_image = np.bincount(gt_row[real], minlength=len(images_id))
    image_bin = object_bin(boxes_per_image)
    dims = {
        "size": (SIZE_BINS, size_bin(gt.area), size_bin(dt.box[:, 2] * dt.box[:, 3])),
        "border": (
            BORDER_BINS,
            border_bin(gt.box, width[gt_row], height[gt_row]),
            border_bin(dt.box, width[dt_row], height[dt_row]),
        ),
        "objects": (OBJECT_BINS, image_bin[gt_row], image_bin[dt_row]),
    }
    images = np.bincount(image_bin, minlength=len(OBJECT_BINS))
    total_boxes = int(real.sum())
    total_missed = total_boxes - int(found[real].sum())
    rows: list[tuple[str, str, dict[str, int]]] = []
    for dimension, (names, gt_bin, dt_bin) in dims.items():
        n = len(names)
        counts = {
            "boxes": np.bincount(gt_bin[real], minlength=n),
            "matched": np.bincount(gt_bin[real & found], minlength=n),
            "detections": np.bincount(dt_bin[kept], minlength=n),
            "false_positives": np.bincount(dt_bin[false_positive], minlength=n),
        }
        for i, name in enumerate(names):
            row = {key: int(value[i]) for key, value in counts.items()}
            if dimension == "objects":
                row["images"] = int(images[i])
            rows.append((dimension, name, row))
    raw = [
        _p_lower(r["boxes"], r["boxes"] - r["matched"], total_boxes, total_missed) for *_, r in rows
    ]
    adjusted = holm(raw)
    out: dict[str, list[Bin]] = {name: [] for name in dims}
    for (dimension, name, row), p in zip(rows, adjusted, strict=True):
        out[dimension].append(_bin(name, row, p))
    return tuple(Breakdown(dimension=d, bins=tuple(bins)) for d, bins in out.items())


def _p_lower(boxes: int, missed: int, total_boxes: int, total_missed: int) -> float | None:
    """One-sided Fisher p of "more misses here than the rest would give"; None untested."""
    if boxes == 0 or boxes == total_boxes:
        return None
    return hypergeom_tail(missed, boxes, total_missed, total_boxes)


def _bin(name: str, row: dict[str, int], p: float | None) -> Bin:
    """A Bin from its counts."""
    boxes, matched = row["boxes"], row["matched"]
    detections, fps = row["detections"], row["false_positives"]
    return Bin(
        name=name,
        boxes=boxes,
        matched=matched,
        recall=matched / boxes if boxes else None,
        recall_ci=wilson_interval(matched, boxes),
        detections=detections,
        false_positives=fps,
        fp_share=fps / detections if detections else None,
        fp_share_ci=wilson_interval(fps, detections),
        images=row.get("images"),
        p_lower_recall=p,
    )
