"""The worst-slices figure: error rate per slice with its interval, against the overall rate."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from reportgen.analysis.slices import SliceResult
from reportgen.figures.svg import figure_and_axes, figure_style, short_label

BAR = "#0b5cad"
OVERALL = "#d55e00"


def plot_worst_slices(result: SliceResult, *, ax: Axes | None = None) -> Figure:
    """Draw the ranked slices' error rates, 95% intervals as whiskers, and the overall rate."""
    worst = result.worst
    with figure_style():
        fig, ax = figure_and_axes(ax, 8.5, float(min(1.4 + 0.34 * len(worst), 7.5)))
        y = np.arange(len(worst))
        rates = np.array([g.error_rate for g in worst])
        low = np.array([g.error_rate - (g.error_rate_ci or (g.error_rate, 0))[0] for g in worst])
        high = np.array([(g.error_rate_ci or (0, g.error_rate))[1] - g.error_rate for g in worst])
        ax.barh(y, rates, color=BAR, alpha=0.85, height=0.6)
        ax.errorbar(
            rates, y, xerr=[low, high], fmt="none", ecolor="#1f2328", capsize=3, linewidth=1
        )
        ax.axvline(
            result.overall_error_rate,
            color=OVERALL,
            linestyle="--",
            linewidth=1.5,
            label=f"overall error rate {100 * result.overall_error_rate:.1f}%",
        )
        ax.set_yticks(y, [short_label(g.name, 48) for g in worst])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("Error rate (bars), 95% interval (whiskers)")
        ax.set_xlim(
            0, min(1.0, max(float((rates + high).max()) * 1.1, result.overall_error_rate * 1.5))
        )
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.grid(True, axis="x", color="#d0d7de", linewidth=0.5)
        ax.set_axisbelow(True)
        total = result.above_overall
        ax.set_title(
            "Slices above the overall error rate, by adjusted p"
            + (f" ({len(worst)} of {total:,})" if len(worst) < total else "")
        )
    return fig
