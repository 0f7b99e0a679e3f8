"""A detection input as a ReadResult: the evaluated images are the table, the boxes ride beside.

The ground truth lists images; a `split` field on them (or the one --split names) chooses the
images the report describes as a split column chooses rows: dev, else test, else every split
but train, or --eval-split. Boxes and detections of the other images are left out of every
number but the split check, which counts the ground truth's boxes in every split.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.evaluation import choose_evaluation, count_splits
from reportgen.errors import ReportgenError
from reportgen.read.detection import DetectionInput, read_detection
from reportgen.read.result import ReadOptions, ReadResult
from reportgen.read.table import ColumnMap, PredictionTable
from reportgen.read.textin import show_controls, warn_controls

DEFAULT_SPLIT = "split"


@dataclass(frozen=True)
class DetectionRead:
    """The boxes of the evaluated images, and the whole ground truth for the split check."""

    evaluated: DetectionInput
    whole: DetectionInput
    split: str | None  # the images' split field, when there is one


def read_detection_result(predictions: str | os.PathLike[str], options: ReadOptions) -> ReadResult:
    """Read the two files, choose the evaluated images, and return them as a ReadResult."""
    if options.ground_truth is None:
        raise ReportgenError("a detection report needs the ground truth: --ground-truth FILE.")
    whole = read_detection(
        predictions,
        options.ground_truth,
        classes=options.classes,
        image_root=options.image_root,
    )
    where = whole.gt_source.path or "the ground truth"
    whole = _visible(whole, where)
    images = whole.images
    split = options.load.split
    if split is not None and split not in images.columns:
        fields = [
            c for c in images.columns if c not in ("image_id", "file_name", "width", "height")
        ]
        raise ReportgenError(
            f"{where}: --split {split}: the images have no field '{split}'"
            + (
                f"; their fields: {', '.join(fields)}."
                if fields
                else "; they carry no other field."
            )
        )
    if split is None and DEFAULT_SPLIT in images.columns:
        split = DEFAULT_SPLIT
    counts, empty = ({}, 0) if split is None else count_splits(images[split])
    evaluation = choose_evaluation(
        counts, empty, column=split, requested=options.eval_split, where=where, total=len(images)
    )
    keep = (
        evaluation.mask(images[split])
        if split is not None and evaluation.restricts
        else np.ones(len(images), dtype=bool)
    )
    evaluated = restrict_images(whole, keep)
    names = [whole.categories[c] for c in _category_order(whole)]
    table = PredictionTable(
        source=whole.dt_source,
        columns=ColumnMap(
            y_true="bbox (ground truth)",
            y_pred="bbox, score (detections)",
            id="image_id",
            sample="file_name",
            split=split,
        ),
        task="detection",
        frame=evaluated.images.reset_index(drop=True),
        row_numbers=np.flatnonzero(keep).astype(np.int64) + 1,
        labels=names,
        label_kind="string",
        rows_read=len(images),
    )
    return ReadResult(
        table=table,
        evaluation=evaluation,
        detection=DetectionRead(evaluated=evaluated, whole=whole, split=split),
    )


def _visible(found: DetectionInput, where: str) -> DetectionInput:
    """Category names and image fields with their control characters shown, as for labels."""
    images = found.images.copy()
    ids = list(found.categories)
    names = pd.DataFrame({"category": [found.categories[c] for c in ids]}, dtype=object)
    counts = show_controls(images, where) | show_controls(names, where)
    if not counts:
        return found
    warn_controls(counts, where)
    categories = dict(zip(ids, names["category"].tolist(), strict=True))
    return replace(found, images=images, categories=categories)


def _category_order(found: DetectionInput) -> list[int]:
    """The categories in the order the record lists them: by id."""
    return sorted(found.categories)


def restrict_images(found: DetectionInput, keep: np.ndarray) -> DetectionInput:
    """The same input for the kept images only: their boxes and the detections on them."""
    if keep.all():
        return found
    images = found.images.loc[keep].reset_index(drop=True)
    ids = images["image_id"].to_numpy()
    gt, dt = found.ground_truth, found.detections
    g = np.isin(gt.image_id, ids)
    d = np.isin(dt.image_id, ids)
    return replace(
        found,
        ground_truth=GroundTruth(
            image_id=gt.image_id[g],
            category_id=gt.category_id[g],
            box=gt.box[g],
            iscrowd=gt.iscrowd[g],
            area=gt.area[g],
            categories=gt.categories,
        ),
        detections=Detections(
            image_id=dt.image_id[d], category_id=dt.category_id[d], box=dt.box[d], score=dt.score[d]
        ),
        gt_ids=found.gt_ids[g],
        images=images,
    )
