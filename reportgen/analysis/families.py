"""The families of tests behind a report's findings: one per report kind, each at ALPHA.

On data with no pattern, the chance that a report states any finding of its family is at most
ALPHA. Regression: every group of every slice column (its mean residual against the other
rows'), every prediction bin of the trend (likewise) and the MAE trend (the highest prediction
bin's absolute errors against the lowest's), adjusted together by Holm's step-down.
Classification: every slice and pair of columns, and every error-tree rule. The slices and the
tree split ALPHA by their numbers of tests (Holm within each): a streamed read counts the
slices exactly but fits the tree on a sample, and the slices' p-values must not depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reportgen.analysis.chance import holm, welch_test
from reportgen.analysis.error_tree import MAX_RULES, ErrorTree, fit_error_tree
from reportgen.analysis.regression import RegressionResult, TrendMae, TrendPoint
from reportgen.analysis.slices import (
    MIN_TESTED_ROWS,
    ResidualSlice,
    SliceResult,
    error_slices,
    residual_slices,
)
from reportgen.analysis.stats import power_of_two_scale

TREND_MIN_BINS = 4  # fewer prediction bins say nothing about a trend in the error size


@dataclass(frozen=True)
class RegressionFamily:
    """The slices and trend with their adjusted p-values, and how many were tested."""

    slices: list[ResidualSlice]
    trend: list[TrendPoint]
    trend_mae: TrendMae | None
    groups: int  # groups tested
    bins: int  # prediction bins tested
    trends: int  # trend claims tested (0 or 1)

    @property
    def tested(self) -> int:
        """Every test of the family."""
        return self.groups + self.bins + self.trends


def trend_mae_test(trend: list[TrendPoint]) -> TrendMae | None:
    """Test whether the end bins' MAEs differ: Welch's t-test on their absolute residuals."""
    if len(trend) < TREND_MIN_BINS:
        return None
    low, high = trend[0], trend[-1]
    p = None
    if low.abs_sd is not None and high.abs_sd is not None:
        # the test is scale-free: residuals near 1e300 are tested in units where squares fit
        k = power_of_two_scale(np.array([high.mae, low.mae, high.abs_sd, low.abs_sd]))
        p = welch_test(
            high.n, high.mae / k, (high.abs_sd / k) ** 2, low.n, low.mae / k, (low.abs_sd / k) ** 2
        )
    return TrendMae(low_mae=low.mae, high_mae=high.mae, p_value=p)


def regression_family(slices: list[ResidualSlice], trend: list[TrendPoint]) -> RegressionFamily:
    """Adjust every group, prediction-bin and trend p-value of a regression report together."""
    group_p = [g.p_value for s in slices for g in s.groups]
    bins = [t if t.n >= MIN_TESTED_ROWS else replace(t, p_value=None) for t in trend]
    bin_p = [t.p_value for t in bins]
    mae = trend_mae_test(trend)
    mae_p = [] if mae is None else [mae.p_value]
    adjusted = holm([*group_p, *bin_p, *mae_p])
    at = iter(adjusted)
    out_slices = [
        s.with_groups([replace(g, p_adjusted=next(at)) for g in s.groups]) for s in slices
    ]
    out_trend = [replace(t, p_adjusted=next(at)) for t in bins]
    out_mae = None if mae is None else replace(mae, p_adjusted=next(at))
    return RegressionFamily(
        slices=out_slices,
        trend=out_trend,
        trend_mae=out_mae,
        groups=sum(p is not None for p in group_p),
        bins=sum(p is not None for p in bin_p),
        trends=sum(p is not None for p in mae_p),
    )


def regression_tests(
    result: RegressionResult, frame: pd.DataFrame, columns: list[str], residual: np.ndarray
) -> tuple[RegressionResult, RegressionFamily]:
    """Group the residuals by each slice column and test them with the trend as one family.

    Returns the result with its trend's adjusted p-values and the MAE trend test filled in.
    """
    family = regression_family(residual_slices(frame, columns, residual), result.trend)
    return replace(result, trend=family.trend, trend_mae=family.trend_mae), family


def family_slices(
    frame: pd.DataFrame, columns: list[str], wrong: np.ndarray, weights: np.ndarray | None = None
) -> SliceResult:
    """Test the slices and pairs of a classification report, leaving the tree its share."""
    return error_slices(frame, columns, wrong, weights, reserved=MAX_RULES)


def classification_family(
    frame: pd.DataFrame,
    columns: list[str],
    wrong: np.ndarray,
    *,
    seed: int = 0,
    row_numbers: np.ndarray | None = None,
    slices: SliceResult | None = None,
) -> tuple[SliceResult, ErrorTree | None]:
    """Test every slice, pair and error-tree rule of a classification report as one family.

    slices: already tested (`family_slices`), from exact counts of a streamed read.
    """
    if slices is None:
        slices = family_slices(frame, columns, wrong)
    tree = fit_error_tree(
        frame, columns, wrong, seed=seed, row_numbers=row_numbers, shared_with=slices.tested
    )
    return slices, tree
