"""The classification record's blocks as types: metrics, samples, buckets, slices, steps."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from reportgen.record.label_issues_types import LabelIssuesBlock
from reportgen.record.probability_types import CalibrationBlock, ThresholdsBlock
from reportgen.record.types import ImagesBlock, Pair, RecordBase, SampleTableBlock


class ClassRow(TypedDict):
    """One class's metrics (the classification report's row)."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    false_positives: int
    false_negatives: int
    precision_ci: Pair | None
    recall_ci: Pair | None
    small_support: bool


class Averages(TypedDict):
    """Precision, recall and F1 averaged over classes."""

    precision: float
    recall: float
    f1: float


class TopConfusion(TypedDict):
    """A (true, predicted) pair and its count."""

    true: str
    pred: str
    count: int
    share_of_errors: float
    share_of_true: float


class ConfidenceSummary(TypedDict):
    """The mean confidence of right and wrong predictions."""

    mean_correct: float | None
    mean_wrong: float | None
    n_correct: int
    n_wrong: int


class ManyClasses(TypedDict):
    """With thousands of classes: how many the record keeps, and counts over all of them."""

    total: int
    kept: int
    kept_by: str
    never_true: int
    never_true_first: list[str]
    small_support: int


class ClassificationBlock(TypedDict):
    """The classification metrics over the rows the report describes."""

    labels: list[str]
    label_order: str
    confusion_matrix: list[list[int]]
    n: int
    errors: int
    accuracy: float
    accuracy_ci: Pair | None
    per_class: list[ClassRow]
    small_support_below: int
    macro_avg: Averages
    weighted_avg: Averages
    top_confusions: list[TopConfusion]
    confusion_pairs: int
    confidence: ConfidenceSummary | None
    classes: NotRequired[ManyClasses]


class ConfusionStripBlock(TypedDict):
    """One confusion's examples: errors, and a correct row of each class."""

    true: str
    pred: str
    count: int
    errors: SampleTableBlock
    true_example: SampleTableBlock
    pred_example: SampleTableBlock


class ClassificationSamples(TypedDict):
    """The rows a classification report shows."""

    confusion_strips: list[ConfusionStripBlock]
    misclassified: SampleTableBlock


class BucketPair(TypedDict):
    """A confusion within a bucket."""

    true: str
    pred: str
    count: int
    share: float


class BucketItem(TypedDict):
    """One error bucket: its count, share, ceiling and experiments."""

    name: str
    count: int
    share: float
    share_ci: Pair | None
    ceiling: float
    ceiling_ci: Pair | None
    ceiling_gain: float
    pairs: list[BucketPair]
    pairs_total: int
    address_first: bool
    playbook: str | None
    experiments: list[str]
    why: str


class BucketsBlock(TypedDict):
    """The tagged errors counted by cause (empty but for how_to_tag without tags)."""

    source: str | None
    total_errors: int | None
    tagged_errors: int
    untagged_errors: int | None
    reviewed_untagged: NotRequired[int]
    share_base: NotRequired[int]
    coverage: NotRequired[float | None]
    sampling: NotRequired[str | None]
    sampling_mismatch: NotRequired[str | None]
    ceiling_kind: str | None
    tagged_correct: NotRequired[int]
    tagged_correct_rows: NotRequired[list[int]]
    unmatched_ids: NotRequired[int]
    unmatched_ids_first: NotRequired[list[str]]
    outside_rows: NotRequired[int]
    multi_tagged: NotRequired[int]
    accuracy: NotRequired[float]
    items: list[BucketItem]
    how_to_tag: str


class SuggestionBlock(TypedDict):
    """An experiment the data points to without tags, with its evidence."""

    kind: str
    target: str
    text: str
    evidence: str
    from_sample: bool


class ErrorGroupBlock(TypedDict):
    """One slice's error rate and its test."""

    column: str
    value: str
    name: str
    n: int
    errors: int
    error_rate: float
    error_rate_ci: Pair | None
    lift: float | None
    p_value: float | None
    p_adjusted: float | None


class ErrorSliceColumn(TypedDict):
    """The slices of one metadata column."""

    column: str
    kind: str
    values: int
    other: int
    groups: list[ErrorGroupBlock]


class RuleBlock(TypedDict):
    """One error-tree rule, tested on the rows held out from the fit."""

    conditions: list[str]
    n: int
    errors: int
    error_rate: float | None
    error_rate_ci: Pair | None
    lift: float | None
    coverage: float
    fit_n: int
    fit_errors: int
    p_value: float | None
    p_adjusted: float | None


class ErrorTreeBlock(TypedDict):
    """The error tree's rules and how it was fitted."""

    rules: list[RuleBlock]
    depth: int
    min_leaf: int
    rows_used: int
    rows_held_out: int
    rows_total: int
    features: list[str]
    overall_error_rate: float
    tested: int
    reserved: int
    shared_with: int
    min_tested: int
    significant: int


class ErrorSlicesBlock(TypedDict):
    """Classification error rates by metadata, and the error tree (empty without --slice)."""

    overall_error_rate: NotRequired[float]
    test: NotRequired[str]
    tested: NotRequired[int]
    reserved: NotRequired[int]
    alpha: NotRequired[float]
    pairs_tried: NotRequired[bool]
    above_overall: NotRequired[int]
    significant: NotRequired[int]
    items: list[ErrorGroupBlock]
    columns: list[ErrorSliceColumn]
    tree: ErrorTreeBlock | None


class SplitMetrics(TypedDict):
    """How the model does on one split."""

    n: int
    accuracy: float
    accuracy_ci: Pair | None
    macro_f1: float


class SplitClasses(TypedDict):
    """With thousands of classes: which the split table keeps."""

    total: int
    kept: int
    kept_by: str


class SplitsBlock(TypedDict):
    """The true labels of each split, and the model on each."""

    labels: list[str]
    order: list[str]
    counts: dict[str, list[int]]
    metrics: dict[str, SplitMetrics]
    warnings: list[str]
    eval_split: str | None
    evaluated: list[str]
    classes: NotRequired[SplitClasses]


class StepMetrics(TypedDict):
    """The metrics at one training step."""

    step: str
    n: int
    accuracy: float
    accuracy_ci: Pair | None
    macro_f1: float
    recall: list[float | None]  # None where the step has no sample of the class


class EvolutionBlock(TypedDict):
    """The metrics over training steps and the chosen steps' confusion matrices."""

    column: str
    steps: list[str]
    chosen: list[str]
    chosen_by: str
    best: str
    shown_step: str
    labels: list[str]
    per_step: list[StepMetrics]
    confusion_matrices: dict[str, list[list[int]]]


class ConfusionFigureInfo(TypedDict):
    """What the confusion-matrix figure shows."""

    labels_shown: list[str]
    truncated: bool
    shading: str
    colormap: str


class EvolutionFigureInfo(TypedDict):
    """Which classes the recall chart draws."""

    recall_labels_shown: list[str]
    recall_truncated: bool


class ClassificationFigures(TypedDict):
    """What the classification figures show that their numbers do not say."""

    confusion_matrix: ConfusionFigureInfo
    evolution: NotRequired[EvolutionFigureInfo]


class ClassificationRecord(RecordBase):
    """A classification report's record."""

    classification: ClassificationBlock
    buckets: BucketsBlock
    suggestions: list[SuggestionBlock]
    calibration: CalibrationBlock | None
    thresholds: ThresholdsBlock | None
    slices: ErrorSlicesBlock
    splits: SplitsBlock | None
    samples: ClassificationSamples
    evolution: NotRequired[EvolutionBlock]
    figures: ClassificationFigures
    images: NotRequired[ImagesBlock]
    label_issues: NotRequired[LabelIssuesBlock]  # with --oof
