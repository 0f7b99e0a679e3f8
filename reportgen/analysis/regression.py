"""Regression metrics and the residual summaries behind the residual figures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from reportgen.analysis.chance import welch_test
from reportgen.analysis.grouping import bin_names, readable_edges
from reportgen.analysis.stats import (
    SKEW_T,
    Z95,
    Interval,
    Moments,
    power_of_two_scale,
    skew_t_interval,
)

TREND_BINS = 20
TREND_MIN_ROWS = 50  # per bin: fewer rows make a trend of noise
HISTOGRAM_BINS = 40
QQ_POINTS = 199
# Above this many points the scatters become density plots: size and time stay flat.
DENSITY_ABOVE = 5000
RMSE_METHOD = f"square root of the MSE's {SKEW_T}"
MAPE_OVERFLOW = (
    "MAPE is left out: the errors are too large beside true values near zero for their ratio "
    "to fit in floating point."
)


@dataclass(frozen=True)
class TrendPoint:
    """Mean residual within one quantile bin of the predictions."""

    pred_low: float
    pred_high: float
    pred_mean: float
    mean_residual: float
    mean_residual_ci: Interval | None
    mae: float
    n: int
    name: str = ""  # the bin as an inequality: '89.3 ≤ prediction < 113.1' (slices.bin_names)
    residual_sd: float | None = None  # sample standard deviations (ddof=1)
    abs_sd: float | None = None
    rest_mean_residual: float | None = None  # the mean residual of the other bins' rows
    p_value: float | None = None  # Welch's t-test: this bin's mean residual against the rest's
    p_adjusted: float | None = None  # Holm over the report's family (families.py)


@dataclass(frozen=True)
class TrendMae:
    """Whether errors grow or shrink with the prediction: MAE of the highest bin vs the lowest."""

    low_mae: float
    high_mae: float
    p_value: float | None  # Welch's t-test of the absolute residuals of the two end bins
    p_adjusted: float | None = None


@dataclass(frozen=True)
class RegressionResult:
    """Everything the regression sections show (residual = y_true - y_pred)."""

    n: int
    mae: float
    rmse: float
    r2: float
    median_ae: float
    max_error: float
    mean_residual: float
    residual_std: float
    mape: float | None
    mape_note: str | None
    intervals: dict[str, Interval]
    trend: list[TrendPoint]
    histogram_edges: list[float]
    histogram_counts: list[int]
    histogram_below: int
    histogram_above: int
    qq_theoretical: list[float]
    qq_sample: list[float]
    y_range: tuple[float, float]
    density: bool
    trend_mae: TrendMae | None = None  # filled with the report's tests (families.py)


def sorted_quantiles(ordered: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Quantiles of already sorted values, interpolated as numpy's default ('linear')."""
    position = probs * (ordered.size - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, ordered.size - 1)
    frac = position - low
    return np.asarray(ordered[low] + (ordered[high] - ordered[low]) * frac, dtype=np.float64)


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """R² as scikit-learn computes it, including its finite answers for a constant target.

    Values beyond 1e72 or below 1e-72 are scaled first, so that R² of values near 1e300 is
    scikit-learn's R² of the same values divided by 1e300 (its own sums would overflow).
    """
    scale = power_of_two_scale(y_true, y_pred)
    if scale != 1.0:
        y_true, y_pred = y_true / scale, y_pred / scale
    residual = y_true - y_pred
    deviation = y_true - y_true.mean()
    # residuals and deviations may differ by hundreds of orders of magnitude (1e-42 against
    # 1e-179): each sum of squares gets its own power of two, so neither underflows to zero
    s_res, s_tot = power_of_two_scale(residual), power_of_two_scale(deviation)
    ss_res = float(np.sum((residual / s_res) ** 2))
    ss_tot = float(np.sum((deviation / s_tot) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    # (s_res / s_tot) ** 2 may overflow where the ratio itself does not: add the exponents
    shift = 2 * (math.frexp(s_res)[1] - math.frexp(s_tot)[1])
    try:
        ratio = math.ldexp(ss_res / ss_tot, shift)
    except OverflowError:
        ratio = math.inf  # R² below -1.8e308: the record refuses it by name
    return 1.0 - ratio


def _trend(
    y_pred: np.ndarray, residual: np.ndarray, bins: int, scale: float = 1.0
) -> list[TrendPoint]:
    """Mean residual per quantile bin of the prediction: a smoothed trend line.

    Bins are cut at quantiles of the prediction and rows assigned by value, so equal
    predictions always share a bin; the per-bin sums come from bincounts, not a sort.
    `residual` comes divided by `scale` (a power of two); the residual figures are given back
    in the data's units.
    """
    count = min(bins, max(1, y_pred.size // TREND_MIN_ROWS))
    edges = np.unique(np.quantile(y_pred, np.linspace(0.0, 1.0, count + 1)))
    if edges.size < 2:
        edges = np.array([edges[0], edges[0]])
    edges = readable_edges(edges, y_pred)
    codes = np.searchsorted(edges[1:-1], y_pred, side="right")
    k = edges.size - 1
    n = np.bincount(codes, minlength=k)
    pred_scale = power_of_two_scale(y_pred)  # a sum of predictions near 1e308 overflows
    pred_sum = np.bincount(codes, weights=y_pred / pred_scale, minlength=k) * pred_scale
    res_sum = np.bincount(codes, weights=residual, minlength=k)
    res_sq = np.bincount(codes, weights=residual * residual, minlength=k)
    abs_sum = np.bincount(codes, weights=np.abs(residual), minlength=k)
    names = bin_names(edges, "prediction")
    total, squares = float(res_sum.sum()), float(res_sq.sum())
    points = []
    for i in range(k):
        if n[i] == 0:
            continue
        mean = res_sum[i] / n[i]
        ci, sd, abs_sd, p = None, None, None, None
        rest_n = int(y_pred.size - n[i])
        rest_mean = (total - res_sum[i]) / rest_n if rest_n else None
        if n[i] > 1:
            var = max(0.0, (res_sq[i] - n[i] * mean * mean) / (n[i] - 1))
            half = Z95 * math.sqrt(var / n[i])
            ci = Interval(mean - half, mean + half, "normal approximation")
            sd = math.sqrt(var)
            abs_mean = abs_sum[i] / n[i]
            abs_sd = math.sqrt(max(0.0, (res_sq[i] - n[i] * abs_mean * abs_mean) / (n[i] - 1)))
            if rest_mean is not None and rest_n > 1:
                rest_ss = squares - res_sq[i] - rest_n * rest_mean * rest_mean
                rest_var = max(0.0, rest_ss) / (rest_n - 1)
                p = welch_test(int(n[i]), float(mean), var, rest_n, float(rest_mean), rest_var)
        points.append(
            TrendPoint(
                pred_low=float(edges[i]),
                pred_high=float(edges[i + 1]),
                pred_mean=float(pred_sum[i] / n[i]),
                mean_residual=float(mean) * scale,
                mean_residual_ci=None if ci is None else ci.scaled(scale),
                mae=float(abs_sum[i] / n[i]) * scale,
                n=int(n[i]),
                name=names[i],
                residual_sd=None if sd is None else sd * scale,
                abs_sd=None if abs_sd is None else abs_sd * scale,
                rest_mean_residual=None if rest_mean is None else float(rest_mean) * scale,
                p_value=p,
            )
        )
    return points


def zero_targets_note(zeros: int) -> str:
    """Why MAPE is left out when some true values are zero."""
    return (
        f"MAPE is left out: {zeros:,} true value{'s are' if zeros > 1 else ' is'} zero, "
        "where a percentage error is undefined."
    )


def error_intervals(
    residual: Moments, absolute: Moments, squared: Moments, *, scale: float = 1.0
) -> dict[str, Interval]:
    """The 95% intervals of MAE, mean residual and RMSE from the moments of r, |r| and r².

    From moments so that a streamed file, folded in parts, gets the interval of the whole.
    The moments may be of r / scale (a power of two); the intervals are in r's units.
    """
    intervals: dict[str, Interval] = {}
    mae = skew_t_interval(absolute)
    if mae is not None:
        intervals["mae"] = mae.scaled(scale)
    bias = skew_t_interval(residual)
    if bias is not None:
        intervals["mean_residual"] = bias.scaled(scale)
    mse = skew_t_interval(squared)
    if mse is not None:
        # RMSE is monotone in MSE: the square roots of the ends cover it as often
        intervals["rmse"] = Interval(
            math.sqrt(max(mse.low, 0.0)) * scale, math.sqrt(max(mse.high, 0.0)) * scale, RMSE_METHOD
        )
    return intervals


def analyze_regression(y_true: np.ndarray, y_pred: np.ndarray) -> RegressionResult:
    """Compute the error metrics, their intervals and the residual summaries.

    Residuals beyond 1e72 (or below 1e-72) are divided by a power of two before they are
    squared or summed, and the results multiplied back: values near 1e300 get finite metrics.
    """
    residual = y_true - y_pred
    # a power of two: scaling is exact, and ordinary residuals are not scaled at all
    scale = power_of_two_scale(residual)
    scaled = residual / scale if scale != 1.0 else residual
    abs_err = np.abs(residual)
    abs_scaled = np.abs(scaled)
    n = int(residual.size)
    mse = float(np.mean(scaled**2))  # of the scaled residuals: RMSE is its root times the scale
    intervals = error_intervals(
        Moments.of(scaled), Moments.of(abs_scaled), Moments.of(scaled * scaled), scale=scale
    )

    zeros = int(np.count_nonzero(y_true == 0))
    if zeros:
        mape, mape_note = None, zero_targets_note(zeros)
    else:
        # as scikit-learn: the denominator is floored at machine epsilon
        floor = np.finfo(np.float64).eps
        with np.errstate(over="ignore"):  # an error of 1e300 on a true value of 1e-10
            mape = float(np.mean(abs_err / np.maximum(np.abs(y_true), floor)))
        mape_note = None
        if not math.isfinite(mape):
            mape, mape_note = None, MAPE_OVERFLOW

    # the outermost 0.1% on each side would stretch the axis over empty bins: count them apart
    ordered = np.sort(scaled)  # once, for the histogram range and the Q-Q quantiles
    lo, hi = (float(q) for q in sorted_quantiles(ordered, np.array([0.001, 0.999])))
    if not hi > lo:
        lo, hi = float(scaled.min()), float(scaled.max())
    try:
        counts, edges = np.histogram(
            scaled, bins=HISTOGRAM_BINS, range=(lo, hi) if hi > lo else None
        )
    except ValueError:  # a range too narrow for floating point to cut into bins
        counts, edges = np.histogram(scaled, bins=1)
    below, above = (
        int(np.count_nonzero(scaled < edges[0])),
        int(np.count_nonzero(scaled > edges[-1])),
    )
    probs = (np.arange(1, QQ_POINTS + 1) - 0.5) / QQ_POINTS
    std = float(scaled.std(ddof=1)) if n > 1 else 0.0
    normal = NormalDist()
    qq_theoretical = [normal.inv_cdf(float(p)) for p in probs]
    centre = float(scaled.mean())
    qq = sorted_quantiles(ordered, probs) - centre
    qq_sample = (qq / std if std > 0 else qq).tolist()
    low = float(min(y_true.min(), y_pred.min()))
    high = float(max(y_true.max(), y_pred.max()))
    return RegressionResult(
        n=n,
        mae=float(abs_scaled.mean()) * scale,
        rmse=math.sqrt(mse) * scale,
        r2=r2_score(y_true, y_pred),
        median_ae=float(np.median(abs_scaled)) * scale,
        max_error=float(abs_err.max()),
        mean_residual=centre * scale,
        residual_std=std * scale,
        mape=mape,
        mape_note=mape_note,
        intervals=intervals,
        trend=_trend(y_pred, scaled, TREND_BINS, scale),
        histogram_edges=[float(e) * scale for e in edges],
        histogram_counts=[int(c) for c in counts],
        histogram_below=below,
        histogram_above=above,
        qq_theoretical=qq_theoretical,
        qq_sample=[float(q) for q in qq_sample],
        y_range=(low, high),
        density=n > DENSITY_ABOVE,
    )
