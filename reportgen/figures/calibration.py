"""Calibration figures: the reliability diagram with its bin counts, and the confidence
histograms of correct and wrong predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reportgen.analysis.calibration import CalibrationResult
from reportgen.figures.svg import figure_and_axes, figure_style, new_figure, short_label

BLUE = "#0b5cad"
ORANGE = "#d55e00"  # Okabe-Ito vermillion: apart from the blue for colour-blind readers
REFERENCE = "#6e7781"
GRID = "#d0d7de"


MARGINS = {"left": 0.14, "right": 0.97, "bottom": 0.13, "top": 0.9}


def _names(result: CalibrationResult) -> tuple[str, str]:
    if result.target == "positive-class":
        return (
            f"Mean predicted probability of '{short_label(result.pos_label or '', 18)}'",
            f"Observed frequency of '{short_label(result.pos_label or '', 18)}'",
        )
    return "Mean confidence (predicted label's probability)", "Observed accuracy"


def _grid(ax: Axes) -> None:
    ax.grid(True, color=GRID, linewidth=0.5)
    ax.set_axisbelow(True)


def plot_reliability(result: CalibrationResult, *, ax: Axes | None = None) -> Figure:
    """Draw the observed frequency against the mean predicted probability per non-empty bin."""
    with figure_style():
        fig, ax = figure_and_axes(ax, 5.0, 4.4, margins=MARGINS)
        filled = [b for b in result.bins if b.count > 0]
        ax.plot([0, 1], [0, 1], color=REFERENCE, linestyle="--", linewidth=1.0, label="perfect")
        ax.plot(
            [float(b.mean_predicted or 0.0) for b in filled],
            [float(b.observed or 0.0) for b in filled],
            color=BLUE,
            marker="o",
            markersize=4.5,
            linewidth=1.8,
            label="model, one point per bin",
        )
        xlabel, ylabel = _names(result)
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(f"Reliability: ECE {result.ece:.3f}, MCE {result.mce:.3f}", fontsize=10)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        _grid(ax)
    return fig


def plot_bin_counts(result: CalibrationResult, *, ax: Axes | None = None) -> Figure:
    """Draw how many rows fall in each probability bin, the count written above each bar."""
    with figure_style():
        fig, ax = figure_and_axes(ax, 5.0, 1.6, margins=MARGINS)
        lows = np.array([b.low for b in result.bins])
        widths = np.array([b.high - b.low for b in result.bins])
        counts = [b.count for b in result.bins]
        ax.bar(lows, counts, width=widths, align="edge", color=BLUE, alpha=0.35, edgecolor=BLUE)
        top = max(counts) if counts else 0
        for low, width, count in zip(lows, widths, counts, strict=True):
            if count:
                ax.text(low + width / 2, count, f"{count:,}", ha="center", va="bottom", fontsize=7)
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, max(1.0, top * 1.3))
        ax.set_ylabel("Rows")
        ax.set_yticks([])
        _grid(ax)
    return fig


def plot_confidence_histograms(result: CalibrationResult, *, ax: Axes | None = None) -> Figure:
    """Draw the share of correct and of wrong predictions in each confidence bin, side by side."""
    h = result.confidence_histogram
    with figure_style():
        fig, ax = figure_and_axes(ax, 5.0, 4.4, margins=MARGINS)
        edges = np.array(h.edges)
        width = np.diff(edges)
        # two bars a bin: correct in the left part, wrong (hatched) in the right part
        plain: dict[str, Any] = {}
        hatched: dict[str, Any] = {"hatch": "///", "edgecolor": "white", "linewidth": 0.0}
        for offset, share, color, label, style in (
            (0.1, h.correct_share, BLUE, f"correct ({h.n_correct:,})", plain),
            (0.5, h.wrong_share, ORANGE, f"wrong ({h.n_wrong:,})", hatched),
        ):
            ax.bar(
                edges[:-1] + width * offset,
                share,
                width=width * 0.4,
                align="edge",
                color=color,
                label=label,
                **style,
            )
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, max(0.05, *h.correct_share, *h.wrong_share) * 1.12)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f}%")
        ax.set_xlabel("Confidence (predicted label's probability)")
        ax.set_ylabel("Share of the group's predictions")
        ax.set_title("Confidence of correct and wrong predictions", fontsize=10)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        _grid(ax)
    return fig


def plot_calibration(result: CalibrationResult) -> Figure:
    """Draw the reliability diagram over its bin counts, beside the confidence histograms."""
    with figure_style():
        fig = new_figure(10.0, 4.8, fixed=True)
        grid = fig.add_gridspec(
            2,
            2,
            height_ratios=(3.2, 1.0),
            left=0.075,
            right=0.985,
            bottom=0.11,
            top=0.93,
            wspace=0.24,
            hspace=0.1,
        )
        reliability = fig.add_subplot(grid[0, 0])
        counts = fig.add_subplot(grid[1, 0], sharex=reliability)
        confidence = fig.add_subplot(grid[:, 1])
        plot_reliability(result, ax=reliability)
        xlabel = reliability.get_xlabel()
        reliability.set_xlabel("")
        reliability.tick_params(labelbottom=False)
        plot_bin_counts(result, ax=counts)
        counts.set_xlabel(xlabel)
        plot_confidence_histograms(result, ax=confidence)
    return fig


def describe_calibration(result: CalibrationResult) -> tuple[str, str]:
    """Return the figure's title and text alternative."""
    filled = sum(1 for b in result.bins if b.count)
    what = (
        f"the probability of '{result.pos_label}' against how often it is the true label"
        if result.target == "positive-class"
        else "the predicted label's probability against how often the prediction is correct"
    )
    h = result.confidence_histogram
    return (
        "Reliability diagram and confidence histograms",
        f"Left: reliability diagram of {result.n:,} rows, {what}, in {result.n_bins} equal-width "
        f"bins ({filled} non-empty), with the diagonal of perfect calibration and the rows per "
        f"bin beneath; ECE {result.ece:.3f}, MCE {result.mce:.3f}. Right: the share of the "
        f"{h.n_correct:,} correct and of the {h.n_wrong:,} wrong predictions in each confidence "
        "bin. The table below lists the same numbers.",
    )
