"""The detection comparison's record as types: both sides, the changes, the images that moved."""

from __future__ import annotations

from typing import TypedDict

from reportgen.record.detection_types import CocoBlock, ErrorTypesBlock, OperatingPointBlock
from reportgen.record.types import ImageBlock, RecordBase


class DetectionSideBlock(TypedDict):
    """One detector's numbers as its own detection report has them (gates read `coco`)."""

    coco: CocoBlock
    operating_point: OperatingPointBlock
    error_types: ErrorTypesBlock
    detections: int


class MetricChange(TypedDict):
    """One COCO number for both detectors and the change (b − a), as fractions."""

    key: str  # ap, ap50, ap75, ar100 (the gate metrics' names)
    label: str
    a: float | None
    b: float | None
    delta: float | None


class ErrorTypeChange(TypedDict):
    """One TIDE error type: counts and dAP (AP50 points, 0-100) for both, and the changes."""

    type: str
    title: str
    count_a: int | None  # None for the two summary rows (all false positives / negatives)
    count_b: int | None
    count_delta: int | None
    dap_a: float
    dap_b: float
    dap_delta: float


class ClassChange(TypedDict):
    """One category: AP, AP50 (COCOeval) and recall at each side's threshold, and the changes."""

    label: str
    boxes: int
    ap_a: float | None
    ap_b: float | None
    ap_delta: float | None
    ap50_a: float | None
    ap50_b: float | None
    ap50_delta: float | None
    recall_a: float | None
    recall_b: float | None
    recall_delta: float | None


class SignTestBlock(TypedDict):
    """The exact two-sided sign test of better against worse images (p = 1/2)."""

    better: int
    worse: int
    exact_p: float
    mid_p: float


class ImageChangesBlock(TypedDict):
    """Images by whether the candidate makes fewer errors on them, and the sign test."""

    images: int
    better: int
    worse: int
    unchanged: int
    errors_a: int  # false positives + missed boxes over every image, at a's threshold
    errors_b: int
    sign_test: SignTestBlock


class DetectionComparisonBlock(TypedDict):
    """record["comparison"] of two detectors on the same ground truth."""

    task: str  # "detection"
    names: list[str]
    images: int
    boxes: int
    labels: list[str]
    same_file: bool  # the candidate's detections are the baseline's file
    a: DetectionSideBlock
    b: DetectionSideBlock
    metrics: list[MetricChange]
    error_types: list[ErrorTypeChange]
    classes: list[ClassChange]  # the largest AP50 change first
    image_changes: ImageChangesBlock


class ImageRowBlock(TypedDict):
    """An image whose errors changed: both detectors' errors and the boxed pictures."""

    row: int  # the image's position in the ground truth, from 1
    image_id: int
    file_name: str
    fp_a: int
    missed_a: int
    errors_a: int
    fp_b: int
    missed_b: int
    errors_b: int
    change: int
    image: ImageBlock | None  # one picture: the baseline's boxes left, the candidate's right


class ImageTableBlock(TypedDict):
    """Images ranked by their change, largest first (the size budget cuts rows, then pictures)."""

    total: int
    shown: int
    rows: list[ImageRowBlock]


class DetectionComparisonSamples(TypedDict):
    """The images that got worse, then those that got better."""

    worse: ImageTableBlock
    better: ImageTableBlock


class DetectionComparisonRecord(RecordBase):
    """A comparison of two detectors' record (task "comparison")."""

    comparison: DetectionComparisonBlock
    samples: DetectionComparisonSamples
