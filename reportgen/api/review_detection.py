"""sample_detection_errors: a seeded sample of the boxes a detector missed, as a review sheet.

The sheet has one row per missed ground-truth box (at the report's IoU and confidence
threshold), keyed by its `annotation_id`, with its image, class and box, and empty `buckets`
and `notes` columns: filled in and passed back with `build --tags`, each cause counts the
boxes it names (record/detection_tags.py).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass

from reportgen.analysis.detection_operating import errors_at, match_at, operating_point
from reportgen.analysis.evaluation import Evaluation
from reportgen.read.load import LoadOptions
from reportgen.read.result import ReadOptions
from reportgen.read.tags import escape_cell
from reportgen.record.detection import MATCH_IOU
from reportgen.record.detection_samples import sample_missed
from reportgen.words.numbers import count, score

HEADER = ("annotation_id", "image_id", "file_name", "class", "x", "y", "w", "h", "buckets", "notes")


@dataclass(frozen=True)
class DetectionReviewSheet:
    """The drawn missed boxes, as the rows of a CSV sheet."""

    rows: list[list[str]]
    total: int  # missed boxes at the threshold
    conf: float
    chosen: str  # "given" or "max-f1"
    seed: int
    evaluation: Evaluation

    def to_csv(self) -> str:
        """UTF-8 with a byte-order mark, CRLF line ends, formula-like cells guarded."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows([escape_cell(c) for c in row] for row in self.rows)
        return "\ufeff" + out.getvalue()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the sheet atomically (- for standard output)."""
        from reportgen.deliver.files import write_atomic

        write_atomic(path, self.to_csv())

    def describe(self) -> str:
        """Say in one line what was drawn."""
        why = "given" if self.chosen == "given" else "the F1 maximum"
        drawn = "all" if len(self.rows) == self.total else f"{count(len(self.rows))} of"
        return (
            f"{drawn} {count(self.total)} missed boxes at confidence ≥ {score(self.conf)} "
            f"({why}), seed {self.seed}"
        )


def sample_detection_errors(
    predictions: str | os.PathLike[str],
    *,
    ground_truth: str | os.PathLike[str],
    classes: str | os.PathLike[str] | None = None,
    image_root: str | os.PathLike[str] | None = None,
    conf: float | None = None,
    split: str | None = None,
    eval_split: str | None = None,
    max_samples: int = 100,
    seed: int = 0,
) -> DetectionReviewSheet:
    """Draw a seeded random sample of the missed boxes, from the images a report describes.

    The same threshold and images as `build_report` with the same options: the sheet's
    boxes are the report's missed boxes (for the same seed and count, the same ones).
    """
    from reportgen.read.detection_result import read_detection_result

    read = read_detection_result(
        predictions,
        ReadOptions(
            load=LoadOptions(split=split, task="detection"),
            eval_split=eval_split,
            ground_truth=str(ground_truth),
            classes=None if classes is None else str(classes),
            image_root=None if image_root is None else str(image_root),
        ),
    )
    assert read.detection is not None
    found = read.detection.evaluated
    gt, dt = found.ground_truth, found.detections
    matching = match_at(gt, dt, MATCH_IOU)
    point = operating_point(gt, dt, matching, conf)
    _, missed = errors_at(gt, dt, matching, point.conf)
    drawn = sample_missed(missed, max_samples, seed)
    images = found.images.set_index("image_id")["file_name"]
    rows = [
        [
            str(int(found.gt_ids[g])),
            str(int(gt.image_id[g])),
            str(images.loc[int(gt.image_id[g])]),
            found.categories.get(int(gt.category_id[g]), str(int(gt.category_id[g]))),
            *(f"{v:g}" for v in gt.box[g]),
            "",
            "",
        ]
        for g in drawn.tolist()
    ]
    return DetectionReviewSheet(
        rows, int(missed.size), point.conf, point.chosen, seed, read.evaluation
    )
