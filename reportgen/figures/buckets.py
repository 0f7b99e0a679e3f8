"""The Pareto figure of error buckets: sorted bars and the cumulative share."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from reportgen.analysis.buckets import BucketResult
from reportgen.figures.svg import figure_and_axes, figure_style, short_label

FIRST = "#0b5cad"
REST = "#9ec5ea"
CUMULATIVE = "#d55e00"
MAX_BARS = 20


def plot_pareto(result: BucketResult, *, ax: Axes | None = None) -> Figure:
    """Draw bucket counts largest first, the ones to address first darker, and the running share."""
    buckets = result.buckets[:MAX_BARS]
    with figure_style():
        fig, ax = figure_and_axes(ax, max(6.0, 1.0 + 0.55 * len(buckets)), 4.2)
        x = np.arange(len(buckets))
        counts = [b.count for b in buckets]
        colours = [FIRST if b.address_first else REST for b in buckets]
        bars = ax.bar(x, counts, color=colours, edgecolor=FIRST, linewidth=0.6)
        ax.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize=8, padding=2)
        ax.set_xticks(
            x,
            [short_label(b.name, 22) for b in buckets],
            rotation=35,
            ha="right",
            rotation_mode="anchor",
        )
        ax.set_ylabel("Tagged errors")
        ax.set_ylim(0, max(counts) * 1.15 if counts else 1)
        total = sum(b.count for b in result.buckets)
        running = np.cumsum(counts) / total if total else np.zeros(len(counts))
        twin = ax.twinx()
        twin.plot(x, running, color=CUMULATIVE, marker="o", markersize=4, linewidth=1.8)
        twin.set_ylim(0, 1.05)
        twin.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        twin.set_ylabel("Cumulative share of tags", color=CUMULATIVE)
        twin.tick_params(axis="y", colors=CUMULATIVE)
        for spine in ("top",):
            ax.spines[spine].set_visible(False)
            twin.spines[spine].set_visible(False)
        ax.set_title(
            f"Error buckets: {result.tagged_errors:,} tagged errors"
            + (
                f" (the {MAX_BARS} largest of {len(result.buckets)})"
                if len(result.buckets) > MAX_BARS
                else ""
            )
        )
        ax.grid(True, axis="y", color="#d0d7de", linewidth=0.5)
        ax.set_axisbelow(True)
    return fig
