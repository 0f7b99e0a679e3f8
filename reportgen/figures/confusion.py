"""The confusion-matrix figure: counts with row-normalised shades, legible up to 30 classes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from reportgen.analysis.classification import ClassificationResult, most_involved
from reportgen.figures.svg import figure_style, new_figure

MAX_CLASSES = 30
CMAP = "Blues"  # single-hue sequential: readable without telling colours apart


@dataclass(frozen=True)
class ConfusionView:
    """Which classes the figure shows, and whether that is all of them."""

    indices: list[int]
    labels: list[str]
    truncated: bool


def choose_classes(
    result: ClassificationResult, *, max_classes: int = MAX_CLASSES
) -> ConfusionView:
    """Pick the classes involved in most errors when there are too many to draw."""
    k = len(result.labels)
    if k <= max_classes:
        return ConfusionView(list(range(k)), list(result.labels), False)
    chosen = most_involved(result.counts, max_classes)
    return ConfusionView(chosen, [result.labels[i] for i in chosen], True)


def _short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def plot_confusion_matrix(
    result: ClassificationResult, *, view: ConfusionView | None = None, ax: Axes | None = None
) -> Figure:
    """Draw counts in each cell, shaded by the share of the true class (row percentage)."""
    view = view or choose_classes(result)
    idx = np.array(view.indices, dtype=np.int64)
    # only the shown classes' cells: never the whole K x K matrix
    counts = result.counts
    cm = counts.dense(idx)
    full_support = counts.support()[idx]
    share = np.divide(
        cm,
        full_support[:, None],
        out=np.zeros(cm.shape, dtype=float),
        where=full_support[:, None] > 0,
    )
    k = len(idx)
    side = float(min(max(4.2, 0.42 * k + 2.2), 13.0))
    with figure_style():
        if ax is None:
            fig = new_figure(side + 1.0, side)
            ax = fig.add_subplot()
        else:
            fig = ax.get_figure()  # type: ignore[assignment]
        # a square-root scale keeps a 5% confusion visible beside a 95% diagonal
        norm = PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)
        image = ax.imshow(share, cmap=CMAP, norm=norm, interpolation="nearest", aspect="equal")
        labels = [_short(lab) for lab in view.labels]
        ax.set_xticks(
            range(k),
            labels=labels,
            rotation=45 if max(map(len, labels)) > 2 else 0,
            ha="right" if max(map(len, labels)) > 2 else "center",
            rotation_mode="anchor",
        )
        ax.set_yticks(range(k), labels=labels)
        ax.set_xlabel("Predicted label")
        ax.set_ylabel("True label")
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        two_lines = k <= 15
        size = 9.0 if k <= 10 else (8.0 if k <= 15 else max(5.5, 8.0 - 0.12 * (k - 15)))
        for i in range(k):
            for j in range(k):
                value = int(cm[i, j])
                if value == 0:
                    continue
                text = f"{value:,}\n{100 * share[i, j]:.0f}%" if two_lines else f"{value:,}"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="white" if norm(share[i, j]) > 0.5 else "#1f2328",
                    linespacing=1.1,
                )
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
        bar.set_ticks([0.0, 0.05, 0.2, 0.5, 1.0])
        bar.set_label("Share of the true class (row %, square-root scale)")
        bar.ax.yaxis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f}%")
        bar.outline.set_visible(False)
    return fig
