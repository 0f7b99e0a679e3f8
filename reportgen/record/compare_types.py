"""The comparison record's blocks as types: what record["comparison"] and its neighbours hold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NotRequired, TypedDict

from reportgen.record.types import ImagesBlock, RecordBase

# A single model's metrics block, as record.blocks writes it for a build report: typed there.
MetricsBlock = Mapping[str, object]


class Card(TypedDict):
    """One headline card: a number a reviewer quotes, and what it means."""

    id: str
    label: str
    value: str
    detail: str


class DeltaBlock(TypedDict):
    """A metric of both models and its change (b - a), with the change's 95% interval."""

    a: float
    b: float
    delta: float
    ci: list[float] | None


class IntervalBlock(TypedDict):
    """A 95% interval in data units and how it was computed."""

    low: float
    high: float
    method: str


class RegressionDeltaBlock(TypedDict):
    """A regression metric of both models and its change, the interval with its method."""

    a: float
    b: float
    delta: float
    ci: IntervalBlock | None


class CountDelta(TypedDict):
    """A count of both models and its change."""

    a: int
    b: int
    delta: int


class PairedTestBlock(TypedDict):
    """A paired exact test's p-values, which one the words use, and what it is."""

    exact_p: float
    mid_p: float
    words_use: str
    test: str


class McNemarBlock(PairedTestBlock):
    """McNemar's exact test on the rows whose correctness changed."""

    fixed: int
    broken: int


class SignTestBlock(PairedTestBlock):
    """The exact sign test on the rows whose absolute error changed."""

    shrank: int
    grew: int


class JoinBlock(TypedDict):
    """How the rows of the two files were matched."""

    method: str  # "id" or "row order"
    id_columns: list[str | None]
    rows: int


class ClassMetrics(TypedDict):
    """Precision, recall and F1 of one class (or their changes)."""

    precision: float
    recall: float
    f1: float


class ClassSide(ClassMetrics):
    """One model's metrics of a class, and how often it predicts the class."""

    predicted: int


class ClassRow(TypedDict):
    """One class in both models and the change."""

    label: str
    support: int
    small_support: bool
    a: ClassSide
    b: ClassSide
    delta: ClassMetrics
    f1_delta_ci: list[float] | None


class BucketsSide(TypedDict):
    """One model's tagged errors."""

    source: str
    total_errors: int
    tagged_errors: int
    untagged_errors: int
    tagged_correct: int
    tagged_outside: int


class BucketItem(TypedDict):
    """One error bucket's size for both models."""

    name: str
    a: int | None
    b: int | None
    change: int | None


class BucketsBlock(TypedDict):
    """Both models' tagged errors, bucket by bucket."""

    a: BucketsSide | None
    b: BucketsSide | None
    shared_sheet: bool
    items: list[BucketItem]


class ClassificationDeltas(TypedDict):
    """The headline metrics of a classifier comparison."""

    accuracy: DeltaBlock
    macro_f1: DeltaBlock
    weighted_f1: DeltaBlock
    errors: CountDelta


class IntervalsBlock(TypedDict):
    """How the comparison's intervals were computed."""

    level: float
    method: str
    resamples: int
    seed: int


class ClassificationComparisonBlock(TypedDict):
    """record["comparison"] of a classifier comparison."""

    task: Literal["classification"]
    names: list[str]
    n: int
    join: JoinBlock
    fixed: int
    broken: int
    mcnemar_p: float
    mcnemar: McNemarBlock
    both_correct: int
    both_wrong: int
    both_wrong_same: int
    both_wrong_different: int
    shares: dict[str, float]
    labels: list[str]
    label_order: str
    deltas: ClassificationDeltas
    intervals: IntervalsBlock
    per_class: list[ClassRow]
    small_support_below: int
    confusion_difference: list[list[int]]
    a: MetricsBlock
    b: MetricsBlock
    buckets: BucketsBlock | None


class RegressionChanges(TypedDict):
    """Rows whose absolute error shrank, grew or stayed, and the sign test."""

    shrank: int
    grew: int
    unchanged: int
    share_shrank: float
    share_grew: float
    share_unchanged: float
    sign_test: SignTestBlock


class RegressionComparisonBlock(TypedDict):
    """record["comparison"] of a regression comparison."""

    task: Literal["regression"]
    names: list[str]
    n: int
    join: JoinBlock
    fixed: None
    broken: None
    mcnemar_p: None
    residual: str
    deltas: dict[str, RegressionDeltaBlock]
    changes: RegressionChanges
    a: MetricsBlock
    b: MetricsBlock


class ConfusionDifferenceFigure(TypedDict):
    """What the confusion-matrix difference figure shows."""

    labels_shown: list[str]
    truncated: bool
    values: str
    shading: str
    colormap: str


class F1ChangeFigure(TypedDict):
    """What the F1-per-class figure shows."""

    classes: int


class ClassificationFigures(TypedDict):
    """record["figures"] of a classifier comparison."""

    confusion_difference: ConfusionDifferenceFigure
    f1_change: F1ChangeFigure


class PairedErrorsFigure(TypedDict):
    """What the paired-errors figure shows."""

    density: bool  # a 2-D histogram rather than points
    points: int


class RegressionFigures(TypedDict):
    """record["figures"] of a regression comparison."""

    paired_errors: PairedErrorsFigure


class ImageBlock(TypedDict):
    """A shown row's image: its path, and why it is not shown when it is not."""

    source: str
    shown: bool
    reason: str | None


class PairedRowBlock(TypedDict):
    """A shown row with both models' predictions: the fields of its task only."""

    row: int  # in the baseline's file
    row_b: int  # in the candidate's file
    id: str | None
    true: str | float
    pred_a: str | float
    pred_b: str | float
    sample: str | None
    sample_truncated: bool
    extra: dict[str, object]
    confidence_a: NotRequired[float | None]  # classification
    confidence_b: NotRequired[float | None]
    residual_a: NotRequired[float]  # regression
    residual_b: NotRequired[float]
    change: NotRequired[float]
    tags: NotRequired[list[str]]  # with tags on either side
    image: NotRequired[ImageBlock | None]  # with --image-root


class PairedBlock(TypedDict):
    """Rows shown beside both models' predictions."""

    total: int
    shown: int
    seed: int
    sample_column: str | None
    columns: list[str]
    rows: list[PairedRowBlock]


class SliceGroupBlock(TypedDict):
    """One value of a slice column in both models, and the paired test of the change."""

    column: str
    value: str
    name: str  # the slice as a condition: 'camera = cam_1'
    n: int
    a: float  # error rate (classification) or mean absolute error (regression)
    b: float
    change: float  # b - a: positive is worse for the candidate
    better: int  # rows fixed (or closer) in this slice
    worse: int  # rows broken (or further off)
    p_value: float | None  # None: too few rows to test
    p_adjusted: float | None
    significant: bool


class SliceColumnBlock(TypedDict):
    """How one column was grouped into slices."""

    column: str
    kind: str  # "categorical" or "quantile bins"
    values: int
    other: int


class ComparisonSlicesBlock(TypedDict):
    """record["comparison_slices"]: per-slice change, worst first, with adjusted p-values."""

    measure: Literal["error_rate", "mae"]
    test: str
    adjustment: str
    alpha: float
    min_tested_rows: int
    tested: int
    significant: int
    columns: list[SliceColumnBlock]
    items: list[SliceGroupBlock]


class ComparisonRecord(RecordBase):
    """A comparison's record: the change between two models, with their rows side by side."""

    comparison: ClassificationComparisonBlock | RegressionComparisonBlock
    images: NotRequired[ImagesBlock]  # with --image-root
    samples: dict[str, PairedBlock]  # fixed and broken, or grew and shrank
    figures: ClassificationFigures | RegressionFigures
    comparison_slices: NotRequired[ComparisonSlicesBlock]
