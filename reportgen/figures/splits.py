"""The split figure: each class's share of every split, side by side."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from reportgen.analysis.splits import SplitResult
from reportgen.figures.svg import figure_and_axes, figure_style

# Okabe-Ito: told apart without relying on red and green
COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
HATCHES = ("", "//", "..", "xx", "\\\\", "--", "++", "oo")
MAX_CLASSES = 25


def plot_split_shares(result: SplitResult, *, ax: Axes | None = None) -> Figure:
    """Draw one group of bars per class: its share of each split."""
    labels = result.labels[:MAX_CLASSES]
    splits = result.splits[: len(COLOURS)]
    with figure_style():
        fig, ax = figure_and_axes(ax, 8.5, float(min(1.6 + 0.22 * len(labels) * len(splits), 11.0)))
        y = np.arange(len(labels))
        height = 0.8 / max(1, len(splits))
        for j, s in enumerate(splits):
            shares = np.array(s.counts[: len(labels)], dtype=float) / max(1, s.n)
            ax.barh(
                y + (j - (len(splits) - 1) / 2) * height,
                shares,
                height=height,
                color=COLOURS[j],
                hatch=HATCHES[j],
                edgecolor="white",
                linewidth=0.3,
                label=f"{s.name} ({s.n:,} rows)",
            )
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("Share of the split's rows")
        ax.legend(fontsize=8, frameon=False, loc="lower right")
        ax.grid(True, axis="x", color="#d0d7de", linewidth=0.5)
        ax.set_axisbelow(True)
        ax.set_title("True labels per split")
    return fig
