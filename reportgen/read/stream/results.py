"""Turn a streamed read into the results the report kinds lay out."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from reportgen.analysis.classification import ConfidenceSummary, from_counts
from reportgen.analysis.families import family_slices
from reportgen.analysis.grouping import FEW_VALUES
from reportgen.analysis.probability_inputs import ProbabilityInputs
from reportgen.analysis.regression import (
    DENSITY_ABOVE,
    MAPE_OVERFLOW,
    analyze_regression,
    error_intervals,
    zero_targets_note,
)
from reportgen.analysis.slices import SliceResult
from reportgen.analysis.thresholds import BinaryThresholds, analyze_binary_thresholds
from reportgen.read.exact import ClassificationExact, RegressionExact
from reportgen.read.stream.streamed import Streamed


def classification_exact(read: Streamed, *, pos_label: str | None = None) -> ClassificationExact:
    """Metrics from the exact confusion matrix of the evaluated rows; kept rows for the rest."""
    assert read.pairs is not None and read.sample is not None
    confidence = None
    if read.confidence_sums is not None:
        right_sum, right_n, wrong_sum, wrong_n = read.confidence_sums
        confidence = ConfidenceSummary(
            mean_correct=right_sum / right_n if right_n else None,
            mean_wrong=wrong_sum / wrong_n if wrong_n else None,
            n_correct=right_n,
            n_wrong=wrong_n,
        )
    calibration = None
    if read.calibration is not None and read.calibration.n:
        calibration = read.calibration.result(read.labels, pos_label)
        if not read.calibration.deviation_exact(read.labels):
            # row sums over the report's labels only: from the analysis sample
            from reportgen.analysis.probabilities import probability_analyses

            assert read.sample is not None
            sampled, _ = probability_analyses(read.sample, pos_label)
            if sampled is not None:
                calibration = replace(
                    calibration,
                    rows_not_summing_to_one=sampled.rows_not_summing_to_one,
                    largest_sum_deviation=sampled.largest_sum_deviation,
                    sum_checked_rows=read.sample.n if read.sampled else None,
                )
    return ClassificationExact(
        calibration=calibration,
        slices=exact_slices(read),
        thresholds=exact_thresholds(read, pos_label),
        result=from_counts(read.pairs, read.labels, confidence),
        sample=read.sample,
        confident_errors=read.confident_errors,
        tagged_outside=read.tagged_outside,
    )


def regression_exact(read: Streamed) -> RegressionExact:
    """Error metrics from exact sums; medians, quantiles and figures from the sample."""
    assert read.sample is not None
    sample = read.sample
    assert sample.y_true_values is not None and sample.y_pred_values is not None
    base = analyze_regression(sample.y_true_values, sample.y_pred_values)
    s, n = read.regression, read.n
    residual, truth = s["residual"], s["truth"]
    # the sums are of residuals divided by s["scale"] and true values by s["truth_scale"]
    scale, truth_scale = s["scale"], s["truth_scale"]
    mse = s["sq"] / n
    intervals = error_intervals(residual, s["absolute"], s["squared"], scale=scale)
    ss_tot = truth.m2
    r2 = (
        (1.0 if s["sq"] == 0.0 else 0.0)
        if ss_tot == 0.0
        else 1.0 - s["sq"] / ss_tot * (scale / truth_scale) ** 2
    )
    zeros = s["zeros"]
    mape, note = (None, zero_targets_note(zeros)) if zeros else (s["ape"] / n, None)
    if mape is not None and not math.isfinite(mape):
        mape, note = None, MAPE_OVERFLOW
    result = replace(
        base,
        n=n,
        mae=s["abs"] / n * scale,
        rmse=math.sqrt(mse) * scale,
        r2=r2,
        max_error=s["max"],
        mean_residual=residual.mean * scale,
        residual_std=residual.std() * scale,
        mape=mape,
        mape_note=note,
        intervals=intervals,
        y_range=(s["low"], s["high"]),
        density=n > DENSITY_ABOVE,
    )
    return RegressionExact(result=result, sample=sample, under=s["under"], over=s["over"])


def exact_slices(read: Streamed) -> SliceResult | None:
    """Error slices from the row counts by slice values, when every slice column is categories.

    A many-valued numeric column is cut into quantile bins, which need the rows: its slices
    come from the analysis sample.
    """
    counts = read.slice_counts
    if counts is None:
        return None
    frame = counts.index.to_frame(index=False)
    columns = list(read.source.columns.slices)
    for column in columns:
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype
        )
        if numeric and values.nunique(dropna=True) > FEW_VALUES:
            return None
    wrong = frame["_wrong"].to_numpy(dtype=bool)
    return family_slices(frame, columns, wrong, counts.to_numpy(dtype=np.float64))


def exact_thresholds(read: Streamed, pos_label: str | None) -> BinaryThresholds | None:
    """A binary task's curves from rows counted by labels and scores, when they were few."""
    counts = read.score_counts
    if counts is None or len(read.labels) != 2:
        return None
    frame = counts.index.to_frame(index=False)
    code = {label: i for i, label in enumerate(read.labels)}
    proba = np.full((len(frame), 2), np.nan)
    present = []
    for label, i in code.items():
        name = f"_proba:{label}"
        if name in frame:
            proba[:, i] = frame[name].to_numpy(dtype=np.float64)
            present.append(i)
    inputs = ProbabilityInputs(
        frame["_t"].map(code).to_numpy(dtype=np.int64),
        frame["_p"].map(code).to_numpy(dtype=np.int64),
        read.labels,
        proba,
        columns_present=present,
        pos_label=pos_label,
    )
    return analyze_binary_thresholds(inputs, weights=counts.to_numpy(dtype=np.float64))
