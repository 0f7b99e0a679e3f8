"""The regression record's blocks as types: metrics, residuals by group and bin, figures."""

from __future__ import annotations

from typing import TypedDict

from reportgen.record.types import IntervalBlock, RecordBase, SampleTableBlock


class RegressionSamples(TypedDict):
    """The rows a regression report shows."""

    under_predicted: SampleTableBlock
    over_predicted: SampleTableBlock


class ResidualGroupBlock(TypedDict):
    """Residual statistics of one metadata group."""

    value: str
    name: str
    n: int
    mean_residual: float
    mean_residual_ci: IntervalBlock | None
    mae: float
    rmse: float
    median: float
    q05: float
    q25: float
    q75: float
    q95: float
    residual_sd: float | None
    rest_mean_residual: float | None
    p_value: float | None
    p_adjusted: float | None


class ResidualItem(TypedDict):
    """One group in the list of groups, largest mean residual first."""

    column: str
    value: str
    n: int
    mean_residual: float
    rest_mean_residual: float | None
    mae: float
    p_value: float | None
    p_adjusted: float | None


class ResidualSliceColumn(TypedDict):
    """The groups of one metadata column."""

    column: str
    kind: str
    values: int
    other: int
    groups: list[ResidualGroupBlock]


class TestFamily(TypedDict):
    """How many tests of each kind the report's correction counts."""

    groups: int
    bins: int
    trends: int


class ResidualSlicesBlock(TypedDict):
    """Residuals by metadata group, and the report's tests."""

    residual: str
    test: str
    tested: int
    family: TestFamily
    alpha: float
    items: list[ResidualItem]
    columns: list[ResidualSliceColumn]


class TrendBin(TypedDict):
    """The residuals of one prediction bin."""

    pred_low: float
    pred_high: float
    pred_mean: float
    mean_residual: float
    mean_residual_ci: IntervalBlock | None
    mae: float
    n: int
    name: str
    residual_sd: float | None
    abs_sd: float | None
    rest_mean_residual: float | None
    p_value: float | None
    p_adjusted: float | None


class TrendMaeBlock(TypedDict):
    """Whether errors grow with the prediction: the lowest and highest bins' MAE."""

    low_mae: float
    high_mae: float
    p_value: float | None
    p_adjusted: float | None


class HistogramBlock(TypedDict):
    """The residual histogram (counts beyond its edges apart)."""

    edges: list[float]
    counts: list[int]
    below: int
    above: int


class QQBlock(TypedDict):
    """The normal Q-Q plot's points."""

    theoretical: list[float]
    sample: list[float]


class RegressionBlock(TypedDict):
    """The error metrics of a regression model."""

    n: int
    residual: str
    mae: float
    rmse: float
    r2: float
    median_ae: float
    max_error: float
    mean_residual: float
    residual_std: float
    mape: float | None
    mape_note: str | None
    intervals: dict[str, IntervalBlock]
    trend: list[TrendBin]
    trend_mae: TrendMaeBlock | None
    histogram: HistogramBlock
    qq: QQBlock
    density: bool
    density_above: int


class ResidualFigureInfo(TypedDict):
    """How the residual scatter is drawn."""

    density: bool
    points: int


class RegressionFigures(TypedDict):
    """What the regression figures show."""

    residuals: ResidualFigureInfo
    slices: list[str]


class RegressionRecord(RecordBase):
    """A regression report's record."""

    regression: RegressionBlock
    samples: RegressionSamples
    slices: ResidualSlicesBlock
    figures: RegressionFigures
