"""The calibration and threshold blocks of a classification record, as types."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class CalibrationBin(TypedDict):
    """One bin of the reliability diagram."""

    low: float
    high: float
    count: int
    events: int
    mean_predicted: float | None
    observed: float | None
    gap: float | None
    small: bool


class ConfidenceHistogramBlock(TypedDict):
    """Confidence of right and wrong predictions, binned."""

    edges: list[float]
    correct: list[int]
    wrong: list[int]
    n_correct: int
    n_wrong: int
    correct_share: list[float]
    wrong_share: list[float]


class CalibrationBlock(TypedDict):
    """Whether the probabilities can be taken at their word."""

    target: str
    pos_label: str | None
    probability: str
    event: str
    n: int
    binning: str
    n_bins: int
    bins: list[CalibrationBin]
    ece: float
    mce: float
    brier: float | None
    brier_definition: str
    log_loss: float | None
    log_loss_definition: str
    not_computed: str | None
    rows_not_summing_to_one: int | None
    largest_sum_deviation: float | None
    small_bin_below: int
    confidence_histogram: ConfidenceHistogramBlock
    sum_checked_rows: int | None


class CurveBlock(TypedDict):
    """A precision-recall or ROC curve, thinned to `points` points."""

    x: list[float]
    y: list[float]
    threshold: list[float | None]
    points: int


class OperatingPointBlock(TypedDict):
    """The counts and rates at one threshold."""

    threshold: float | None
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float | None
    recall: float | None
    fpr: float | None


class CurrentPointBlock(TypedDict):
    """Where the file's own predictions sit on the curves."""

    point: OperatingPointBlock
    consistent: bool
    disagree_at_default: int
    note: str


class CandidateBlock(TypedDict):
    """A threshold chosen for a target precision or recall, and what it would cost."""

    goal: str
    target: float
    reached: bool
    point: OperatingPointBlock | None
    fp_change: int | None
    fn_change: int | None


class OvrClassBlock(TypedDict):
    """One class against all others: its precision-recall curve."""

    label: str
    support: int
    errors: int
    false_positives: int
    false_negatives: int
    average_precision: float
    precision: float | None
    recall: float
    curve: CurveBlock


class ThresholdsBlock(TypedDict):
    """The threshold analysis: binary (one positive class) or one-vs-rest per class.

    `kind` says which; the keys of the other kind are absent.
    """

    kind: str
    n: int
    pos_label: NotRequired[str]
    neg_label: NotRequired[str]
    pos_label_source: NotRequired[str]
    score: NotRequired[str]
    rule: NotRequired[str]
    positives: NotRequired[int]
    negatives: NotRequired[int]
    roc_auc: NotRequired[float | None]
    average_precision: NotRequired[float | None]
    undefined: NotRequired[str | None]
    pr_curve: NotRequired[CurveBlock | None]
    roc_curve: NotRequired[CurveBlock | None]
    current: NotRequired[CurrentPointBlock]
    candidates: NotRequired[list[CandidateBlock]]
    candidate_rule: NotRequired[str]
    selection: NotRequired[str]
    classes_with_errors: NotRequired[int]
    limit: NotRequired[int]
    classes: NotRequired[list[OvrClassBlock]]  # one-vs-rest
    without_column: NotRequired[list[str]]
