"""The calibration and threshold blocks of a classification record, as types."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


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
    pr_curve: NotRequired[dict[str, Any] | None]  # x, y, threshold, points
    roc_curve: NotRequired[dict[str, Any] | None]
    current: NotRequired[dict[str, Any]]  # the file's own operating point
    candidates: NotRequired[list[dict[str, Any]]]
    candidate_rule: NotRequired[str]
    selection: NotRequired[str]
    classes_with_errors: NotRequired[int]
    limit: NotRequired[int]
    classes: NotRequired[list[dict[str, Any]]]  # one-vs-rest: a curve per class
    without_column: NotRequired[list[str]]
