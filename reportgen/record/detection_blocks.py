"""The detection record's blocks, each from one analysis result: plain data, in category order."""

from __future__ import annotations

import os

import numpy as np

from reportgen.analysis.detection import DetectionMetrics
from reportgen.analysis.detection_breakdown import Breakdown
from reportgen.analysis.detection_buckets import DetectionBucket
from reportgen.analysis.detection_confusion import DetectionConfusion
from reportgen.analysis.detection_errors import ERROR_TYPES, SPECIAL_TYPES, DetectionErrors
from reportgen.analysis.detection_operating import OperatingPoint
from reportgen.analysis.splits import split_order, split_text
from reportgen.analysis.suggestions import TRAIN_NAMES
from reportgen.playbook import load_playbook, match
from reportgen.read.detection import DetectionInput
from reportgen.read.detection_result import DetectionRead
from reportgen.read.table import SourceInfo
from reportgen.record.blocks import interval
from reportgen.record.detection_types import (
    BreakdownBlock,
    CocoBlock,
    DetectionBlock,
    DetectionBucketItem,
    DetectionClassRow,
    DetectionConfusionBlock,
    DetectionSplitRow,
    DetectionSplitsBlock,
    ErrorTypesBlock,
    LackingClass,
)
from reportgen.record.types import InputBlock

BACKGROUND = "background"
RARE_SHOWN = 3  # rare-class miss buckets kept, most misses first
BASES = {"false-positives": "the false positives", "missed": "the missed boxes"}
BREAKDOWN_TITLES = {
    "size": "Object size (COCO areas)",
    "border": "Distance from the image border",
    "objects": "Objects per image",
}
# which playbook entry a measured bucket takes its experiments from (by the key's first part)
BUCKET_ENTRIES = {
    "small-missed": "small",
    "edge-missed": "edge",
    "localisation": "localisation",
    "duplicate": "duplicate",
    "background": "background detection",
    "confusion": "class confusion",
    "classification": "class confusion",
    "both": "localisation",
    "rare-missed": "rare class",
    "missed": "missed object",
}


def input_blocks(found: DetectionInput) -> list[InputBlock]:
    """Both files, detections first: what the page header lists and verify checks."""
    dt_rows, gt_rows = len(found.detections.score), len(found.gt_ids)
    return [
        _input(found.dt_source, "detections", "Detections", dt_rows),
        _input(found.gt_source, "ground truth", "Ground truth", gt_rows),
    ]


def _input(source: SourceInfo, role: str, name: str, rows: int) -> InputBlock:
    """One file's identity: path, format, size, SHA-256, and its boxes as rows."""
    return {
        "role": role,
        "name": os.path.basename(source.path or "") or name,
        "path": source.path,
        "format": source.format,
        "size": source.size,
        "sha256": source.sha256,
        "rows": rows,
        "rows_read": rows,
        "rows_dropped": 0,
        "columns": {},
    }


def _coco(value: float) -> float | None:
    """A COCOeval number, or None where it prints -1 (nothing to average)."""
    return None if value < 0 else float(value)


def detection_block(
    found: DetectionInput, metrics: DetectionMetrics, point: OperatingPoint
) -> DetectionBlock:
    """Images, boxes, the twelve COCO numbers and one row per category."""
    gt, dt = found.ground_truth, found.detections
    ids = sorted(found.categories)
    crowd = gt.iscrowd
    boxes = (
        np.bincount(np.searchsorted(ids, gt.category_id[~crowd]), minlength=len(ids))
        if len(ids)
        else np.zeros(0, dtype=np.int64)
    )
    known = np.isin(dt.category_id, ids)
    detections = np.bincount(np.searchsorted(ids, dt.category_id[known]), minlength=len(ids))
    by_id = {m.category_id: m for m in metrics.per_class}
    points = {c.category_id: c for c in point.per_class}
    rows: list[DetectionClassRow] = []
    for i, cid in enumerate(ids):
        m, c = by_id.get(cid), points.get(cid)
        rows.append(
            {
                "id": int(cid),
                "label": found.categories[cid],
                "boxes": int(boxes[i]),
                "detections": int(detections[i]),
                "ap": None if m is None else m.ap,
                "ap50": None if m is None else m.ap50,
                "ar100": None if m is None else m.recall,
                "recall50": None if m is None else m.recall50,
                "tp": 0 if c is None else c.tp,
                "fp": 0 if c is None else c.fp,
                "fn": 0 if c is None else c.fn,
                "precision": None if c is None else c.precision,
                "recall": None if c is None else c.recall,
                "f1": None if c is None else c.f1,
                "precision_ci": None if c is None else interval(c.precision_ci),
                "recall_ci": None if c is None else interval(c.recall_ci),
            }
        )
    coco: CocoBlock = {
        "ap": _coco(metrics.ap),
        "ap50": _coco(metrics.ap50),
        "ap75": _coco(metrics.ap75),
        "ap_small": _coco(metrics.ap_small),
        "ap_medium": _coco(metrics.ap_medium),
        "ap_large": _coco(metrics.ap_large),
        "ar1": _coco(metrics.ar1),
        "ar10": _coco(metrics.ar10),
        "ar100": _coco(metrics.ar100),
        "ar_small": _coco(metrics.ar_small),
        "ar_medium": _coco(metrics.ar_medium),
        "ar_large": _coco(metrics.ar_large),
    }
    return {
        "images": len(found.images),
        "boxes": int((~crowd).sum()),
        "crowd": int(crowd.sum()),
        "detections": len(dt.score),
        "labels": [found.categories[c] for c in ids],
        "coco": coco,
        "per_class": rows,
        "operating_point": {
            "conf": float(point.conf),
            "chosen": point.chosen,
            "iou": float(point.iou),
            "tp": int(point.tp),
            "fp": int(point.fp),
            "fn": int(point.fn),
            "precision": point.precision,
            "recall": point.recall,
            "f1": point.f1,
        },
    }


def error_types_block(errors: DetectionErrors) -> ErrorTypesBlock:
    """TIDE's counts and dAPs in a fixed type order, under both averagings."""
    types = (*ERROR_TYPES, *SPECIAL_TYPES)
    return {
        "ap50": float(errors.ap50),
        "ap50_gt_classes": float(errors.ap50_gt_classes),
        "classes": len(errors.classes),
        "gt_classes": len(errors.gt_classes),
        "counts": {t: int(errors.counts[t]) for t in ERROR_TYPES},
        "dap": {t: float(errors.dap[t]) for t in types},
        "dap_gt_classes": {t: float(errors.dap_gt_classes[t]) for t in types},
    }


def confusion_block(
    confusion: DetectionConfusion, found: DetectionInput
) -> DetectionConfusionBlock:
    """The (K+1) x (K+1) counts with the background last, and the thresholds they are at."""
    return {
        "iou": float(confusion.iou),
        "conf": float(confusion.conf),
        "labels": [*(found.categories[c] for c in confusion.category_ids), BACKGROUND],
        "counts": confusion.counts.astype(int).tolist(),
    }


def breakdown_blocks(parts: tuple[Breakdown, ...]) -> list[BreakdownBlock]:
    """Each breakdown's bins, as counts, rates and intervals."""
    return [
        {
            "dimension": part.dimension,
            "title": BREAKDOWN_TITLES.get(part.dimension, part.dimension),
            "bins": [
                {
                    "name": b.name,
                    "boxes": int(b.boxes),
                    "matched": int(b.matched),
                    "recall": b.recall,
                    "recall_ci": interval(b.recall_ci),
                    "detections": int(b.detections),
                    "false_positives": int(b.false_positives),
                    "fp_share": b.fp_share,
                    "fp_share_ci": interval(b.fp_share_ci),
                    "images": b.images,
                    "p_lower_recall": b.p_lower_recall,
                }
                for b in part.bins
            ],
        }
        for part in parts
    ]


def bucket_items(
    buckets: tuple[DetectionBucket, ...], found: DetectionInput
) -> list[DetectionBucketItem]:
    """The measured buckets with the playbook's experiment for each."""
    entries = load_playbook()
    items: list[DetectionBucketItem] = []
    rare = [b for b in buckets if b.key.startswith("rare-missed:")]
    # a long tail of rare classes each with a miss or two would crowd out the rest
    kept_rare = {b.key for b in sorted(rare, key=lambda b: -b.count)[:RARE_SHOWN]}
    for bucket in buckets:
        if bucket.key.startswith("rare-missed:") and bucket.key not in kept_rare:
            continue
        entry_name = BUCKET_ENTRIES.get(bucket.key.split(":", 1)[0])
        entry = None if entry_name is None else match(entry_name, entries)
        items.append(
            {
                "key": bucket.key,
                "name": bucket.name,
                "count": int(bucket.count),
                "share": bucket.share,
                "base": BASES.get(bucket.base, bucket.base),
                "dap": bucket.dap,
                "measured": True,
                "experiments": [] if entry is None else list(entry.experiments),
                "why": None if entry is None else entry.why,
            }
        )
    return items


def splits_block(read: DetectionRead) -> DetectionSplitsBlock | None:
    """Boxes per category in each split of the ground truth; a category a split lacks."""
    if read.split is None:
        return None
    whole = read.whole
    ids = sorted(whole.categories)
    names = [whole.categories[c] for c in ids]
    image_split = dict(
        zip(whole.images["image_id"].tolist(), split_text(whole.images[read.split]), strict=True)
    )
    gt = whole.ground_truth
    keep = ~gt.iscrowd
    box_split = np.array([image_split.get(i, "") for i in gt.image_id[keep].tolist()], dtype=object)
    box_cat = np.searchsorted(ids, gt.category_id[keep])
    texts = split_text(whole.images[read.split])
    rows: list[DetectionSplitRow] = []
    for name in split_order(sorted(set(texts.tolist()))):
        mask = box_split == name
        rows.append(
            {
                "name": str(name),
                "images": int((texts == name).sum()),
                "boxes": np.bincount(box_cat[mask], minlength=len(ids)).astype(int).tolist(),
            }
        )
    lacking: list[LackingClass] = []
    train = [r for r in rows if r["name"].strip().casefold() in TRAIN_NAMES]
    for r in rows:
        for t in train:
            if r is t:
                continue
            lacking += [
                {"label": names[i], "split": r["name"], "train": t["name"], "boxes": r["boxes"][i]}
                for i in range(len(ids))
                if r["boxes"][i] > 0 and t["boxes"][i] == 0
            ]
    return {"column": read.split, "splits": rows, "lacking": lacking}
