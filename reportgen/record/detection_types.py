"""The detection record's blocks as types: COCO metrics, error types, matrix, sizes, boxes shown."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from reportgen.record.types import ImageBlock, RecordBase


class CocoBlock(TypedDict):
    """COCOeval's twelve summary numbers (bbox), as fractions; None where it prints -1."""

    ap: float | None
    ap50: float | None
    ap75: float | None
    ap_small: float | None
    ap_medium: float | None
    ap_large: float | None
    ar1: float | None
    ar10: float | None
    ar100: float | None
    ar_small: float | None
    ar_medium: float | None
    ar_large: float | None


class DetectionClassRow(TypedDict):
    """One category: its boxes, COCO numbers, and precision, recall and F1 at the threshold."""

    id: int
    label: str
    boxes: int  # not-crowd ground-truth boxes
    detections: int  # every detection of the class
    ap: float | None  # None: no ground-truth boxes
    ap50: float | None
    ar100: float | None
    recall50: float | None
    tp: int  # at the operating point
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    precision_ci: list[float] | None
    recall_ci: list[float] | None


class OperatingPointBlock(TypedDict):
    """The confidence threshold the counts are taken at, and the totals there."""

    conf: float
    chosen: str  # "given" (--conf) or "max-f1"
    iou: float
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None


class ErrorTypesBlock(TypedDict):
    """TIDE's error types (tidecv 1.0.1): counts and dAP in AP50 points, both averagings."""

    ap50: float  # TIDE: mean over classes with ground truth or detections, in points 0-100
    ap50_gt_classes: float  # COCOeval's: over classes with ground truth
    classes: int
    gt_classes: int
    counts: dict[str, int]
    dap: dict[str, float]
    dap_gt_classes: dict[str, float]


class DetectionConfusionBlock(TypedDict):
    """The matrix with a background row and column: rows true, columns predicted."""

    iou: float
    conf: float
    labels: list[str]  # the categories, then "background"
    counts: list[list[int]]


class BreakdownBin(TypedDict):
    """Recall and false positives of the boxes in one bin, at the operating point."""

    name: str
    boxes: int
    matched: int
    recall: float | None
    recall_ci: list[float] | None
    detections: int
    false_positives: int
    fp_share: float | None
    fp_share_ci: list[float] | None
    images: int | None
    p_lower_recall: float | None  # Holm-adjusted over every bin of every breakdown


class BreakdownBlock(TypedDict):
    """One way of binning the boxes: size, distance from the border, objects per image."""

    dimension: str
    title: str
    bins: list[BreakdownBin]


class DetectionBucketItem(TypedDict):
    """A measured bucket: errors of one kind, their share and TIDE's dAP where it has one."""

    key: str
    name: str
    count: int
    share: float | None
    base: str  # what the share is of
    dap: float | None  # AP50 points
    measured: bool
    experiments: list[str]  # the playbook's, first to try first
    why: str | None


class BoxRowBlock(TypedDict):
    """A shown error: one box on one image, with the picture when it can be shown."""

    row: int  # the image's position in the ground truth, from 1
    image_id: int
    file_name: str
    label: str  # the box's class (predicted for a false positive, true for a miss)
    score: float | None
    kind: str  # the error type (TIDE's for a false positive; Miss, Cls or Loc for a box)
    iou: float | None  # with the nearest ground truth (false positives) or detection (misses)
    other: str | None  # the other box's class where it names one
    image: ImageBlock | None  # with --image-root


class BoxTableBlock(TypedDict):
    """Errors shown, as a sample table (the size budget cuts rows, then pictures)."""

    total: int
    shown: int
    seed: NotRequired[int]  # a random sample's; a ranking has none
    rows: list[BoxRowBlock]


class DetectionSplitRow(TypedDict):
    """One split of the ground truth: its images and boxes per category."""

    name: str
    images: int
    boxes: list[int]  # per category, in the record's category order


class LackingClass(TypedDict):
    """A category with boxes in one split and none in a training split."""

    label: str
    split: str
    train: str
    boxes: int


class DetectionSplitsBlock(TypedDict):
    """The ground truth's splits, and the categories a training split lacks."""

    column: str
    splits: list[DetectionSplitRow]
    lacking: list[LackingClass]


class DetectionBucketsBlock(TypedDict):
    """The buckets: measured from the boxes first, then the reviewer's tags."""

    items: list[DetectionBucketItem]
    confused_pairs: int  # class pairs with a classification error: the top few are buckets
    rare_classes_missed: int  # rare classes with a miss: the few with most misses are buckets


class DetectionTagsBlock(TypedDict):
    """The reviewer's tag sheet and how it joined the ground truth."""

    source: str
    unit: str  # "box" (annotation ids) or "image"
    id_column: str
    rows: int
    unmatched_ids: int
    unmatched_first: list[str]


class DetectionBlock(TypedDict):
    """The whole evaluation: images, boxes, COCO numbers and per-class rows."""

    images: int
    boxes: int
    crowd: int
    detections: int
    labels: list[str]
    coco: CocoBlock
    per_class: list[DetectionClassRow]
    operating_point: OperatingPointBlock


class DetectionSamples(TypedDict):
    """The errors a detection report shows."""

    false_positives: BoxTableBlock
    missed: BoxTableBlock


class DetectionMatrixFigure(TypedDict):
    """Which classes the confusion figure draws (all, or those in most errors)."""

    labels_shown: list[str]  # background last
    truncated: bool


class DetectionFigures(TypedDict):
    """What the figures show that their numbers do not."""

    confusion_matrix: DetectionMatrixFigure


class DetectionRecord(RecordBase):
    """A detection report's record."""

    detection: DetectionBlock
    error_types: ErrorTypesBlock
    confusion: DetectionConfusionBlock
    breakdowns: list[BreakdownBlock]
    buckets: DetectionBucketsBlock
    tags: DetectionTagsBlock | None
    splits: DetectionSplitsBlock | None
    samples: DetectionSamples
    figures: DetectionFigures
