"""The detection record: match boxes, count error types and breakdowns, lay them out as blocks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.detection import DetectionMetrics, coco_metrics
from reportgen.analysis.detection_breakdown import Breakdown, breakdowns
from reportgen.analysis.detection_buckets import (
    DetectionBucket,
    confusion_pairs,
    detection_buckets,
)
from reportgen.analysis.detection_confusion import DetectionConfusion, detection_confusion
from reportgen.analysis.detection_errors import DetectionErrors, detection_errors
from reportgen.analysis.detection_operating import (
    Matching,
    OperatingPoint,
    match_at,
    operating_point,
)
from reportgen.read.detection import DetectionInput
from reportgen.read.detection_result import DetectionRead
from reportgen.read.table import PredictionTable
from reportgen.read.tags import DEFAULT_SEPARATORS
from reportgen.record.blocks import SCHEMA, evaluation_block
from reportgen.record.common import Context, Meta, finish, provenance
from reportgen.record.detection_blocks import (
    breakdown_blocks,
    bucket_items,
    confusion_block,
    detection_block,
    error_types_block,
    input_blocks,
    splits_block,
)
from reportgen.record.detection_samples import ShownErrors, shown_errors
from reportgen.record.detection_tags import tag_buckets
from reportgen.record.detection_types import (
    DetectionBucketItem,
    DetectionConfusionBlock,
    DetectionMatrixFigure,
    DetectionRecord,
    DetectionTagsBlock,
)
from reportgen.record.types import PageThumbnail

MATCH_IOU = 0.5  # the operating point's, the confusion matrix's and the breakdowns' IoU


@dataclass(frozen=True)
class DetectionAnalysis:
    """Everything the detection record, its figures and its sections are made from."""

    table: PredictionTable  # the evaluated images, as the shared provenance reads them
    read: DetectionRead
    metrics: DetectionMetrics
    errors: DetectionErrors
    matching: Matching
    point: OperatingPoint
    confusion: DetectionConfusion
    breakdowns: tuple[Breakdown, ...]
    buckets: tuple[DetectionBucket, ...]
    shown: ShownErrors
    tagged: list[DetectionBucketItem]  # reviewer tags, one bucket per cause
    tags: DetectionTagsBlock | None

    @property
    def input(self) -> DetectionInput:
        """The boxes of the evaluated images."""
        return self.read.evaluated

    @property
    def thumbnails(self) -> dict[str, PageThumbnail]:
        """The boxed pictures the shown rows point at, by their key."""
        return self.shown.thumbnails


def analyse(
    table: PredictionTable,
    read: DetectionRead,
    *,
    conf: float | None,
    max_samples: int,
    seed: int,
    image_root: str | None,
    tags: str | None = None,
    separators: str = DEFAULT_SEPARATORS,
) -> DetectionAnalysis:
    """COCO metrics, TIDE's error types, the operating point and what follows from them."""
    found = read.evaluated
    gt, dt = found.ground_truth, found.detections
    images = found.images
    ids = images["image_id"].to_numpy()
    metrics = coco_metrics(gt, dt)
    errors = detection_errors(gt, dt, ids.tolist())
    matching = match_at(gt, dt, MATCH_IOU)
    point = operating_point(gt, dt, matching, conf)
    confusion = detection_confusion(gt, dt, conf=point.conf, iou=MATCH_IOU)
    parts = breakdowns(
        gt,
        dt,
        matching,
        point,
        ids,
        images["width"].to_numpy(dtype=float),
        images["height"].to_numpy(dtype=float),
    )
    buckets = detection_buckets(
        gt,
        dt,
        errors,
        ids,
        images["width"].to_numpy(dtype=float),
        images["height"].to_numpy(dtype=float),
        category_names=found.categories,
    )
    shown = shown_errors(
        found,
        matching,
        point,
        errors,
        max_samples=max_samples,
        seed=seed,
        image_root=image_root,
    )
    tagged, tags_block = (
        ([], None) if tags is None else tag_buckets(tags, separators, found, matching, point)
    )
    return DetectionAnalysis(
        table=table,
        read=read,
        metrics=metrics,
        errors=errors,
        matching=matching,
        point=point,
        confusion=confusion,
        breakdowns=parts,
        buckets=buckets,
        shown=shown,
        tagged=tagged,
        tags=tags_block,
    )


def _matrix_figure(block: DetectionConfusionBlock) -> DetectionMatrixFigure:
    """The classes the confusion figure draws: past 30, those in the most errors."""
    from reportgen.figures.detection_plots import choose_detection_classes

    view = choose_detection_classes(np.asarray(block["counts"]), block["labels"])
    return {"labels_shown": list(view.labels), "truncated": view.truncated}


def build_record(analysis: DetectionAnalysis, meta: Meta, context: Context) -> DetectionRecord:
    """Lay the analysis out as the complete record: blocks, words, sections, gates."""
    from reportgen.render.detection_sections import detection_sections
    from reportgen.words.detection import detection_findings, detection_headline

    a = analysis
    found = a.input
    record: DetectionRecord = {
        "schema": SCHEMA,
        "task": "detection",
        "title": meta.title,
        "model": meta.model,
        "provenance": {
            **provenance(a.table, meta, context, rows=len(found.images)),
            "inputs": input_blocks(a.read.whole),
            "evaluation": evaluation_block(context.evaluation, unit="image"),
        },
        "summary": {"headline": [], "findings": []},
        "detection": detection_block(found, a.metrics, a.point),
        "error_types": error_types_block(a.errors),
        "confusion": confusion_block(a.confusion, found),
        "breakdowns": breakdown_blocks(a.breakdowns),
        "buckets": {
            "items": [*bucket_items(a.buckets, found), *a.tagged],
            "confused_pairs": len(confusion_pairs(found.ground_truth, found.detections, a.errors)),
            "rare_classes_missed": sum(b.key.startswith("rare-missed:") for b in a.buckets),
        },
        "tags": a.tags,
        "splits": splits_block(a.read),
        "samples": {"false_positives": a.shown.false_positives, "missed": a.shown.missed},
        "figures": {"confusion_matrix": _matrix_figure(confusion_block(a.confusion, found))},
    }
    record["summary"] = {
        "headline": detection_headline(record),
        "findings": detection_findings(record),
    }
    record["sections"] = [s.id for s in detection_sections(record)]
    return finish(record, context)
