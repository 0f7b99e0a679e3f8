"""Residual figures: residuals against predictions, predicted against actual, their
distribution and a normal Q-Q plot; density plots once points are too many to draw."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patheffects import Normal, Stroke
from matplotlib.ticker import FuncFormatter, NullFormatter

from reportgen.analysis.regression import RegressionResult
from reportgen.analysis.slices import ResidualSlice
from reportgen.figures.panels import two_panels
from reportgen.figures.svg import figure_and_axes, figure_style
from reportgen.words.numbers import tick_count

POINT = "#0b5cad"
TREND = "#d55e00"  # Okabe-Ito vermillion: apart from the blues for colour-blind readers
REFERENCE = "#6e7781"
DENSITY_BINS = 80
DENSITY_CMAP = "viridis"


def histogram2d(
    x: np.ndarray, y: np.ndarray, bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count points on an even bins x bins grid, as np.histogram2d, in one bincount."""
    xedges = np.linspace(float(x.min()), float(x.max()), bins + 1)
    yedges = np.linspace(float(y.min()), float(y.max()), bins + 1)
    xi = _cell(x, xedges, bins)
    yi = _cell(y, yedges, bins)
    counts = np.bincount(xi * bins + yi, minlength=bins * bins).reshape(bins, bins)
    return counts.astype(np.float64), xedges, yedges


def _cell(values: np.ndarray, edges: np.ndarray, bins: int) -> np.ndarray:
    span = edges[-1] - edges[0]
    if span <= 0:
        return np.zeros(values.size, dtype=np.int64)
    index = ((values - edges[0]) * (bins / span)).astype(np.int64)
    # the maximum belongs to the last bin, as in numpy
    return np.asarray(np.clip(index, 0, bins - 1), dtype=np.int64)


def draw_density(ax: Axes, x: np.ndarray, y: np.ndarray) -> None:
    """Draw a 2-D histogram (log counts) instead of points: size and time stay flat."""
    counts, xedges, yedges = histogram2d(x, y, DENSITY_BINS)
    shown = np.where(counts > 0, counts, np.nan)
    image = ax.imshow(
        shown.T,
        origin="lower",
        extent=(xedges[0], xedges[-1], yedges[0], yedges[-1]),
        aspect="auto",
        cmap=DENSITY_CMAP,
        norm=LogNorm(vmin=1, vmax=max(2.0, float(np.nanmax(shown)))),
        interpolation="nearest",
        rasterized=True,
    )
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
    # plain numbers: the default 10^k labels go through mathtext, which is slow to lay out
    bar.ax.yaxis.set_major_formatter(FuncFormatter(count_label))
    bar.ax.yaxis.set_minor_formatter(NullFormatter())
    # the axes title says what the colour counts: a rotated label here runs off the edge


def count_label(value: float, _pos: int) -> str:
    """Write a colour-bar count plainly (1, 10, 1k): no mathtext 10^k, text is literal."""
    return tick_count(value)


def draw_points(ax: Axes, x: np.ndarray, y: np.ndarray) -> None:
    """Draw one point per row, fainter when there are many."""
    alpha = 0.7 if x.size < 500 else 0.4
    ax.scatter(x, y, s=10, color=POINT, alpha=alpha, linewidths=0, rasterized=True)


def _unit(*values: np.ndarray | Sequence[float]) -> tuple[float, str]:
    """A power of ten to draw values in when they are too large or small for axis arithmetic.

    Axis limits with margins overflow near 1e308 (a singular transform) and tick spacing
    underflows near 1e-308; (1.0, "") for every ordinary magnitude.
    """
    flat = [np.abs(np.asarray(v, dtype=float)) for v in values]
    finite = [a[np.isfinite(a)] for a in flat if a.size]
    largest = max((float(a.max()) for a in finite if a.size), default=0.0)
    if largest == 0.0 or 1e-100 <= largest <= 1e100:
        return 1.0, ""
    k = max(math.floor(math.log10(largest)), -300)
    return 10.0**k, f" (×1e{k})".replace("-", "−")


def plot_residuals(result: RegressionResult, y_true: np.ndarray, y_pred: np.ndarray) -> Figure:
    """Draw residuals against predictions with a trend, beside predicted against actual."""
    residual = y_true - y_pred
    unit, times = _unit(y_true, y_pred, residual)
    y_true, y_pred, residual = y_true / unit, y_pred / unit, residual / unit
    with figure_style():
        fig, left, right = two_panels(
            10.0,
            4.4,
            left=0.08,
            right=0.97 if not result.density else 0.95,
            bottom=0.13,
            top=0.91,
            wspace=0.32,
        )
        draw = draw_density if result.density else draw_points
        what = (
            f"{result.n:,} rows; colour: rows per cell (log)"
            if result.density
            else f"{result.n:,} rows, one point each"
        )

        draw(left, y_pred, residual)
        left.axhline(0.0, color=REFERENCE, linestyle="--", linewidth=1.0, label="zero residual")
        trend = result.trend
        left.plot(
            [t.pred_mean / unit for t in trend],
            [t.mean_residual / unit for t in trend],
            color=TREND,
            linewidth=2.0,
            marker="o",
            markersize=3.5,
            label="mean residual per prediction bin",
            path_effects=[Stroke(linewidth=4.0, foreground="white"), Normal()],
        )
        left.set_xlabel(f"Predicted{times}")
        left.set_ylabel(f"Residual (true − predicted){times}")
        left.set_title(f"Residuals vs predicted\n{what}", fontsize=10)
        left.legend(loc="best", fontsize=8, frameon=False)

        draw(right, y_true, y_pred)
        low, high = (v / unit for v in result.y_range)
        right.plot([low, high], [low, high], color=TREND, linewidth=1.5, label="perfect prediction")
        right.set_xlabel(f"Actual (true){times}")
        right.set_ylabel(f"Predicted{times}")
        right.set_title(f"Predicted vs actual\n{what}", fontsize=10)
        right.legend(loc="upper left", fontsize=8, frameon=False)
        for axis in (left, right):
            axis.grid(True, color="#d0d7de", linewidth=0.5)
            axis.set_axisbelow(True)
    return fig


def plot_residual_histogram(
    edges: Sequence[float],
    counts: Sequence[int],
    *,
    mean: float,
    outside: int,
    size: tuple[float, float] = (5.0, 3.8),
    ax: Axes | None = None,
) -> Figure:
    """Draw the residual histogram with lines at zero and at the mean residual.

    outside: the rows beyond the histogram's range, said in the title when there are any.
    """
    with figure_style():
        fig, ax = figure_and_axes(ax, *size)
        unit, times = _unit(edges, [mean])
        ax.stairs(counts, np.asarray(edges) / unit, fill=True, color=POINT, alpha=0.85)
        ax.axvline(0.0, color=REFERENCE, linestyle="--", linewidth=1.0, label="zero")
        ax.axvline(mean / unit, color=TREND, linewidth=1.5, label=f"mean {mean:.3g}")
        ax.set_xlabel(f"Residual (true − predicted){times}")
        ax.set_ylabel("Rows")
        ax.set_title(
            "Residual distribution"
            + (f" ({outside:,} rows beyond the 0.1–99.9% range not shown)" if outside else ""),
            fontsize=10 if outside else None,
        )
        ax.legend(fontsize=8, frameon=False)
        ax.grid(True, color="#d0d7de", linewidth=0.5)
        ax.set_axisbelow(True)
    return fig


def plot_residual_distribution(result: RegressionResult) -> Figure:
    """Draw the residual histogram beside a normal Q-Q plot of standardised residuals."""
    with figure_style():
        fig, hist, qq = two_panels(
            10.0, 3.8, left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.25
        )
        plot_residual_histogram(
            result.histogram_edges,
            result.histogram_counts,
            mean=result.mean_residual,
            outside=result.histogram_below + result.histogram_above,
            ax=hist,
        )
        qq.plot(result.qq_theoretical, result.qq_sample, "o", markersize=3, color=POINT)
        lim = max(abs(result.qq_theoretical[0]), abs(result.qq_theoretical[-1]))
        qq.plot([-lim, lim], [-lim, lim], color=TREND, linewidth=1.5, label="normal residuals")
        qq.set_xlabel("Normal quantiles")
        qq.set_ylabel("Standardised residual quantiles")
        qq.set_title("Normal Q-Q plot")
        qq.legend(fontsize=8, frameon=False, loc="upper left")
        qq.grid(True, color="#d0d7de", linewidth=0.5)
        qq.set_axisbelow(True)
    return fig


def plot_residual_slice(residual_slice: ResidualSlice, *, ax: Axes | None = None) -> Figure:
    """Draw one box per group (5th, 25th, 50th, 75th, 95th percentiles) and its mean."""
    groups = residual_slice.groups
    with figure_style():
        height = float(min(1.2 + 0.36 * len(groups), 9.0))
        fig, ax = figure_and_axes(ax, 8.0, height)
        unit, times = _unit([v for g in groups for v in (g.q05, g.q95, g.mean_residual)])
        stats = [
            {
                "label": g.value if len(g.value) <= 40 else g.value[:39] + "…",
                "whislo": g.q05 / unit,
                "q1": g.q25 / unit,
                "med": g.median / unit,
                "q3": g.q75 / unit,
                "whishi": g.q95 / unit,
                "mean": g.mean_residual / unit,
                "fliers": [],
            }
            for g in groups
        ]
        ax.bxp(
            stats,
            orientation="horizontal",
            showmeans=True,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#ddeaf8", "edgecolor": POINT},
            medianprops={"color": POINT, "linewidth": 1.5},
            meanprops={
                "marker": "D",
                "markerfacecolor": TREND,
                "markeredgecolor": TREND,
                "markersize": 5,
            },
            whiskerprops={"color": POINT},
            capprops={"color": POINT},
        )
        ax.axvline(0.0, color=REFERENCE, linestyle="--", linewidth=1.0)
        ax.invert_yaxis()
        ax.set_xlabel(f"Residual (true − predicted){times}; box 25–75%, whiskers 5–95%, ◆ mean")
        ax.set_title(f"Residuals by {residual_slice.column} ({residual_slice.kind})")
        ax.grid(True, axis="x", color="#d0d7de", linewidth=0.5)
        ax.set_axisbelow(True)
    return fig
