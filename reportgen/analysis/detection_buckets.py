"""Measured error buckets of a detector, from TIDE's per-box error types, for the experiments table.

Definitions
-----------
Counts are TIDE's (``detection_errors``): every detection up to 100 an image, whatever its
score (no confidence threshold), IoU .5 for foreground and .1 for background. A bucket's
``share`` is its count over the false positives of TIDE's five detection types (Cls + Loc +
Both + Dupe + Bkg) for a false-positive bucket (``base`` "false-positives"), or over TIDE's
missed boxes (Miss) for a miss bucket (``base`` "missed"). ``dap`` is TIDE's dAP of the type
(AP50 points, TIDE's averaging over classes with ground truth or detections) for the buckets
that are a whole TIDE type, None for the others.

Buckets (``key``):

- "small-missed": missed boxes whose ``area`` is small (< 32², the size breakdown's bin);
- "edge-missed": missed boxes "touching" or "near" the image border (the border breakdown's
  bins: distance <= 1 px or < 5% of the image's smaller side);
- "localisation" (Loc), "duplicate" (Dupe), "background" (Bkg): the TIDE types;
- "confusion:<true id>:<pred id>": Cls errors of detections of class *pred* whose box of
  another class with the highest IoU (TIDE's target, the first on ties) is of class *true*;
  one per pair with at least one error, the 5 largest (ties by true id, then pred id);
- "rare-missed:<id>": missed boxes of a rare class, one whose non-crowd box count is below
  both 5% of all non-crowd boxes and half an equal share, 1 / (2K) of them, K the classes
  with boxes (so with few classes 5% decides, with many 1 / (2K));
- "classification" (Cls), "both" (Both), "missed" (Miss): the remaining TIDE types, whole.

The sub-buckets overlap their type and each other (a small box at the edge is in both miss
buckets; confusion pairs are part of "classification"): shares do not add up to 1. Buckets
with no errors are left out. Order: by count, largest first, stable over the order above.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_breakdown import border_bin, image_rows, size_bin
from reportgen.analysis.detection_confusion import pair_iou, pairs_by_image
from reportgen.analysis.detection_errors import ERROR_TYPES, FOREGROUND_IOU, DetectionErrors

TOP_CONFUSIONS = 5
RARE_SHARE = 0.05  # a class below this share of the boxes (and below 1 / (2K)) is rare
FALSE_POSITIVES = "false-positives"
MISSED = "missed"
_FP_TYPES = ("Cls", "Loc", "Both", "Dupe", "Bkg")


@dataclass(frozen=True)
class DetectionBucket:
    """One measured bucket: how many errors, their share of their base, TIDE's dAP if a type."""

    key: str
    name: str
    count: int
    share: float  # of the false positives or of the missed boxes, as ``base`` says
    dap: float | None  # TIDE's dAP (AP50 points) for a whole TIDE type, else None
    base: str  # "false-positives" or "missed"


def detection_buckets(
    gt: GroundTruth,
    dt: Detections,
    errors: DetectionErrors,
    images_id: np.ndarray,
    width: np.ndarray,
    height: np.ndarray,
    *,
    category_names: Mapping[int, str] | None = None,
) -> tuple[DetectionBucket, ...]:
    """Every non-empty bucket, largest first (see the module for the definitions)."""
    names = dict(category_names or {})

    def label(category: int) -> str:
        return names.get(category, str(category))

    fp_total = sum(errors.counts[t] for t in _FP_TYPES)
    miss_total = errors.counts["Miss"]
    missed = np.asarray(errors.missed, dtype=bool)
    images_id = np.asarray(images_id, dtype=np.int64)
    rows = image_rows(gt.image_id, images_id, "a ground-truth box")
    at_edge = (
        border_bin(
            gt.box,
            np.asarray(width, dtype=np.float64)[rows],
            np.asarray(height, dtype=np.float64)[rows],
        )
        < 2
    )
    found: list[tuple[str, str, int, str, str | None]] = [
        (
            "small-missed",
            "small objects missed",
            int(np.sum(missed & (size_bin(gt.area) == 0))),
            MISSED,
            None,
        ),
        (
            "edge-missed",
            "objects at the image edge missed",
            int(np.sum(missed & at_edge)),
            MISSED,
            None,
        ),
        ("localisation", "localisation errors", errors.counts["Loc"], FALSE_POSITIVES, "Loc"),
        ("duplicate", "duplicate detections", errors.counts["Dupe"], FALSE_POSITIVES, "Dupe"),
        ("background", "background false positives", errors.counts["Bkg"], FALSE_POSITIVES, "Bkg"),
    ]
    for (true, pred), count in confusion_pairs(gt, dt, errors)[:TOP_CONFUSIONS]:
        found.append(
            (
                f"confusion:{true}:{pred}",
                f"{label(true)} detected as {label(pred)}",
                count,
                FALSE_POSITIVES,
                None,
            )
        )
    for category in rare_classes(gt):
        count = int(np.sum(missed & (gt.category_id == category)))
        found.append(
            (f"rare-missed:{category}", f"rare class {label(category)} missed", count, MISSED, None)
        )
    found += [
        ("classification", "classification errors", errors.counts["Cls"], FALSE_POSITIVES, "Cls"),
        ("both", "wrong class and location", errors.counts["Both"], FALSE_POSITIVES, "Both"),
        ("missed", "missed objects", miss_total, MISSED, "Miss"),
    ]
    buckets = [
        DetectionBucket(
            key=key,
            name=name,
            count=count,
            share=count / (fp_total if base == FALSE_POSITIVES else miss_total),
            dap=None if kind is None else float(errors.dap[kind]),
            base=base,
        )
        for key, name, count, base, kind in found
        if count > 0
    ]
    return tuple(sorted(buckets, key=lambda b: -b.count))


def confusion_pairs(
    gt: GroundTruth, dt: Detections, errors: DetectionErrors
) -> list[tuple[tuple[int, int], int]]:
    """Cls errors by (true class, predicted class), largest first (ties by the ids).

    The true class is that of the non-crowd box of another class with the highest IoU on the
    detection's image, the first in input order on ties: the box TIDE's Cls error points at.
    """
    cls = np.flatnonzero(errors.detection_error == ERROR_TYPES.index("Cls"))
    real = np.flatnonzero(~gt.iscrowd)
    det, box = pairs_by_image(dt.image_id[cls], gt.image_id[real])
    overlap = pair_iou(dt.box[cls[det]], gt.box[real[box]], crowd=False)
    other = gt.category_id[real][box] != dt.category_id[cls][det]
    keep = other & (overlap >= FOREGROUND_IOU)
    det, box, overlap = det[keep], box[keep], overlap[keep]
    # per detection: the highest IoU, the lowest box index (input order) on ties
    order = np.lexsort((real[box], -overlap, det))
    det, box = det[order], box[order]
    first = np.r_[True, det[1:] != det[:-1]] if det.size else np.zeros(0, dtype=bool)
    true = gt.category_id[real][box[first]]
    pred = dt.category_id[cls][det[first]]
    if true.size == 0:
        return []
    pairs, counts = np.unique(np.c_[true, pred], axis=0, return_counts=True)
    ranked = sorted(
        zip(map(tuple, pairs.tolist()), counts.tolist(), strict=True),
        key=lambda item: (-item[1], item[0]),
    )
    return [((int(t), int(p)), int(c)) for (t, p), c in ranked]


def rare_classes(gt: GroundTruth) -> list[int]:
    """Classes with non-crowd boxes fewer than 5% of them and than 1 / (2K), in id order."""
    real = gt.category_id[~gt.iscrowd]
    if real.size == 0:
        return []
    ids, counts = np.unique(real, return_counts=True)
    limit = min(RARE_SHARE * real.size, real.size / (2 * len(ids)))
    return [int(c) for c, n in zip(ids, counts, strict=True) if n < limit]
