"""What a read counted over every evaluated row (Exact), beside the rows it kept to show.

A streamed read counts these as it folds the file (read/stream/results.py); a table held in
memory is counted here the same way, so that each report kind analyses one shape either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.calibration import CalibrationResult
from reportgen.analysis.classification import ClassificationResult, analyze_classification
from reportgen.analysis.regression import RegressionResult, analyze_regression
from reportgen.analysis.slices import SliceResult
from reportgen.analysis.thresholds import ThresholdResult
from reportgen.read.table import PredictionTable


@dataclass(frozen=True)
class ClassificationExact:
    """What a read counted over every row of class labels, beside the rows it kept to show."""

    result: ClassificationResult  # from the exact confusion matrix
    sample: PredictionTable  # the analysis sample: calibration, thresholds, slices, tree
    calibration: CalibrationResult | None = None  # from exact per-bin sums
    slices: SliceResult | None = None  # from exact counts by slice values
    thresholds: ThresholdResult | None = None  # binary, from exact counts by score
    confident_errors: int | None = None  # errors with confidence >= CONFIDENT, exact
    tagged_outside: frozenset[str] = frozenset()  # sheet keys on rows outside the evaluated ones


@dataclass(frozen=True)
class RegressionExact:
    """What a read summed over every row of numeric predictions, beside the rows it kept."""

    result: RegressionResult  # exact sums; quantile parts from the sample
    sample: PredictionTable  # the analysis sample: figures and slices
    under: int  # rows under-predicted (residual > 0), all of them
    over: int


Exact = ClassificationExact | RegressionExact


def classification_in_memory(table: PredictionTable) -> ClassificationExact:
    """Count a table held in memory the way a streamed read counts a file: every row exactly."""
    result = analyze_classification(
        table.true_codes, table.pred_codes, table.labels, confidence=table.confidence
    )
    return ClassificationExact(result=result, sample=table)


def regression_in_memory(table: PredictionTable) -> RegressionExact:
    """Sum a table held in memory the way a streamed read sums a file: every row exactly."""
    y_true, y_pred = table.y_true_values, table.y_pred_values
    assert y_true is not None and y_pred is not None
    residual = y_true - y_pred
    return RegressionExact(
        result=analyze_regression(y_true, y_pred),
        sample=table,
        under=int(np.count_nonzero(residual > 0)),
        over=int(np.count_nonzero(residual < 0)),
    )
