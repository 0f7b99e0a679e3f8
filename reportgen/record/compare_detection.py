"""The detection comparison record: two detectors' analyses on one ground truth, and the changes.

Each side is analysed as its own detection report would be (record.detection.analyse, at its
own threshold unless --conf gives one for both); the record keeps both sides' COCO numbers,
operating points and error types, the changes of AP, AP50, AP75 and AR100, of each error type
and of each class, and the images whose errors (false positives + missed boxes at each side's
threshold) changed, with the sign test and the pictures of the largest changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reportgen.analysis.detection_compare import (
    ImageChanges,
    image_changes,
    image_errors,
    largest_changes,
)
from reportgen.analysis.detection_errors import ERROR_TYPES, SPECIAL_TYPES
from reportgen.record.blocks import SCHEMA, evaluation_block
from reportgen.record.common import Context, Meta, finish, provenance
from reportgen.record.compare_detection_types import (
    ClassChange,
    DetectionComparisonBlock,
    DetectionComparisonRecord,
    DetectionSideBlock,
    ErrorTypeChange,
    ImageRowBlock,
    ImageTableBlock,
    MetricChange,
)
from reportgen.record.detection import DetectionAnalysis
from reportgen.record.detection_blocks import detection_block, error_types_block, input_blocks
from reportgen.record.detection_types import DetectionBlock
from reportgen.record.types import ImageBlock, PageThumbnail

LARGEST_CHANGES = 20  # images shown per table at most (and never more than --max-samples)
METRICS = (
    ("ap", "AP (IoU .50:.95)"),
    ("ap50", "AP50"),
    ("ap75", "AP75"),
    ("ar100", "AR100"),
)


@dataclass(frozen=True)
class DetectionComparison:
    """Both analyses, the per-image changes, the images shown and their pictures."""

    names: tuple[str, str]
    a: DetectionAnalysis
    b: DetectionAnalysis
    changes: ImageChanges
    shown: dict[str, np.ndarray]  # "worse", "better": positions in the evaluated images
    same_file: bool
    thumbnails: dict[str, PageThumbnail] = field(default_factory=dict)
    images: dict[str, ImageBlock] = field(default_factory=dict)  # by row key: "worse-1", ...


def compare_analyses(
    a: DetectionAnalysis,
    b: DetectionAnalysis,
    *,
    names: tuple[str, str],
    max_samples: int,
    image_root: str | None,
    same_file: bool,
) -> DetectionComparison:
    """Count each image's errors on both sides, pick the largest changes and draw them."""
    ids = a.input.images["image_id"].to_numpy()
    errors = [
        image_errors(
            side.input.ground_truth, side.input.detections, side.matching, side.point.conf, ids
        )
        for side in (a, b)
    ]
    changes = image_changes(errors[0], errors[1])
    limit = min(LARGEST_CHANGES, max_samples)
    shown = {
        "worse": largest_changes(changes.change, limit=limit, worse=True),
        "better": largest_changes(changes.change, limit=limit, worse=False),
    }
    thumbnails: dict[str, PageThumbnail] = {}
    images: dict[str, ImageBlock] = {}
    if image_root is not None:
        from reportgen.figures.compare_detection import draw_pairs

        thumbnails, images = draw_pairs(a, b, shown, image_root)
    return DetectionComparison(names, a, b, changes, shown, same_file, thumbnails, images)


def _side(d: DetectionBlock, analysis: DetectionAnalysis) -> DetectionSideBlock:
    """One detector's numbers as its own report's record has them."""
    return {
        "coco": d["coco"],
        "operating_point": d["operating_point"],
        "error_types": error_types_block(analysis.errors),
        "detections": d["detections"],
    }


def _delta(a: float | None, b: float | None) -> float | None:
    """b − a, or None when either is missing."""
    return None if a is None or b is None else float(b) - float(a)


def _error_types(a: DetectionSideBlock, b: DetectionSideBlock) -> list[ErrorTypeChange]:
    """Each TIDE type's counts and dAP for both, in TIDE's order, the two summaries last."""
    from reportgen.words.detection import TYPE_TITLES

    ea, eb = a["error_types"], b["error_types"]
    rows: list[ErrorTypeChange] = []
    for t in (*ERROR_TYPES, *SPECIAL_TYPES):
        counted = t in ea["counts"]
        ca = ea["counts"][t] if counted else None
        cb = eb["counts"][t] if counted else None
        rows.append(
            {
                "type": t,
                "title": TYPE_TITLES.get(t, t),
                "count_a": ca,
                "count_b": cb,
                "count_delta": None if ca is None or cb is None else cb - ca,
                "dap_a": ea["dap"][t],
                "dap_b": eb["dap"][t],
                "dap_delta": eb["dap"][t] - ea["dap"][t],
            }
        )
    return rows


def _classes(a: DetectionBlock, b: DetectionBlock) -> list[ClassChange]:
    """Each category's AP, AP50 and recall for both; the largest AP50 change (either way) first."""
    by_label = {r["label"]: r for r in b["per_class"]}
    rows: list[ClassChange] = []
    for ra in a["per_class"]:
        rb = by_label[ra["label"]]
        rows.append(
            {
                "label": ra["label"],
                "boxes": ra["boxes"],
                "ap_a": ra["ap"],
                "ap_b": rb["ap"],
                "ap_delta": _delta(ra["ap"], rb["ap"]),
                "ap50_a": ra["ap50"],
                "ap50_b": rb["ap50"],
                "ap50_delta": _delta(ra["ap50"], rb["ap50"]),
                "recall_a": ra["recall"],
                "recall_b": rb["recall"],
                "recall_delta": _delta(ra["recall"], rb["recall"]),
            }
        )
    # classes without boxes (no AP50) last; ties in the category order
    return sorted(
        rows,
        key=lambda r: (r["ap50_delta"] is None, -abs(r["ap50_delta"] or 0.0)),
    )


def _table(comparison: DetectionComparison, key: str) -> ImageTableBlock:
    """The images that got worse (or better), largest change first, with both sides' errors."""
    c = comparison.changes
    found = comparison.a.input
    frame = found.images
    row_numbers = comparison.a.table.row_numbers
    positions = comparison.shown[key]
    rows: list[ImageRowBlock] = []
    for n, pos in enumerate(positions.tolist()):
        rows.append(
            {
                "row": int(row_numbers[pos]),
                "image_id": int(frame["image_id"].iloc[pos]),
                "file_name": str(frame["file_name"].iloc[pos]),
                "fp_a": int(c.a.false_positives[pos]),
                "missed_a": int(c.a.missed[pos]),
                "errors_a": int(c.a.total[pos]),
                "fp_b": int(c.b.false_positives[pos]),
                "missed_b": int(c.b.missed[pos]),
                "errors_b": int(c.b.total[pos]),
                "change": int(c.change[pos]),
                "image": comparison.images.get(f"{key}-{n + 1}"),
            }
        )
    total = c.worse if key == "worse" else c.better
    return {"total": total, "shown": len(rows), "rows": rows}


def comparison_block(comparison: DetectionComparison) -> DetectionComparisonBlock:
    """Both sides, the metric, error-type and class changes, and the image counts."""
    a, b = comparison.a, comparison.b
    da = detection_block(a.input, a.metrics, a.point)
    db = detection_block(b.input, b.metrics, b.point)
    side_a, side_b = _side(da, a), _side(db, b)
    c = comparison.changes
    metrics: list[MetricChange] = [
        {
            "key": key,
            "label": label,
            "a": da["coco"][key],  # type: ignore[literal-required]
            "b": db["coco"][key],  # type: ignore[literal-required]
            "delta": _delta(da["coco"][key], db["coco"][key]),  # type: ignore[literal-required]
        }
        for key, label in METRICS
    ]
    return {
        "task": "detection",
        "names": list(comparison.names),
        "images": da["images"],
        "boxes": da["boxes"],
        "labels": da["labels"],
        "same_file": comparison.same_file,
        "a": side_a,
        "b": side_b,
        "metrics": metrics,
        "error_types": _error_types(side_a, side_b),
        "classes": _classes(da, db),
        "image_changes": {
            "images": int(c.change.size),
            "better": c.better,
            "worse": c.worse,
            "unchanged": c.unchanged,
            "errors_a": int(c.a.total.sum()),
            "errors_b": int(c.b.total.sum()),
            "sign_test": {
                "better": c.better,
                "worse": c.worse,
                "exact_p": float(c.test.exact_p),
                "mid_p": float(c.test.mid_p),
            },
        },
    }


def build_record(
    comparison: DetectionComparison, meta: Meta, context: Context
) -> DetectionComparisonRecord:
    """Lay the comparison out as the complete record: blocks, words, sections, gates."""
    from reportgen.render.compare_detection_sections import detection_comparison_sections
    from reportgen.words.compare_detection import comparison_findings, comparison_headline

    a, b = comparison.a, comparison.b
    names = comparison.names
    inputs_a, inputs_b = input_blocks(a.read.whole), input_blocks(b.read.whole)
    record: DetectionComparisonRecord = {
        "schema": SCHEMA,
        "task": "comparison",
        "title": meta.title,
        "model": meta.model,
        "provenance": {
            **provenance(b.table, meta, context, rows=len(b.input.images)),
            "inputs": [
                {**inputs_a[0], "role": "baseline", "name": names[0]},
                {**inputs_b[0], "role": "candidate", "name": names[1]},
                inputs_a[1],
            ],
            "evaluation": evaluation_block(context.evaluation, unit="image"),
        },
        "summary": {"headline": [], "findings": []},
        "comparison": comparison_block(comparison),
        "samples": {"worse": _table(comparison, "worse"), "better": _table(comparison, "better")},
    }
    record["summary"] = {
        "headline": comparison_headline(record["comparison"]),
        "findings": comparison_findings(record["comparison"]),
    }
    record["sections"] = [s.id for s in detection_comparison_sections(record)]
    return finish(record, context)
