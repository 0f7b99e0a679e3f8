"""The regression report's family of tests: every candidate for a group, bias or trend finding.

One family per report, so that on data with no such pattern the chance that the page states
any of them is at most ALPHA: every group of every slice column (its mean residual against the
other rows'), every prediction bin of the trend (likewise), and the MAE trend (the highest
prediction bin's absolute errors against the lowest's), adjusted together by Holm's step-down.
The classification report's family (slices, pairs and tree rules) is split between
`slices.error_slices` and `error_tree.fit_error_tree`, which share ALPHA by their numbers of
tests so that exact slice counts do not depend on a tree fitted on a sample.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reportgen.analysis.chance import holm, welch_test
from reportgen.analysis.regression import TrendMae, TrendPoint
from reportgen.analysis.slices import MIN_TESTED_ROWS, ResidualSlice

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
        p = welch_test(high.n, high.mae, high.abs_sd**2, low.n, low.mae, low.abs_sd**2)
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
        replace(s, groups=[replace(g, p_adjusted=next(at)) for g in s.groups]) for s in slices
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
