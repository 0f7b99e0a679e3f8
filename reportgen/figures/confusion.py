"""The confusion-matrix figure: counts with row-normalised shades, legible up to 30 classes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from reportgen.analysis.classification import ClassificationResult, most_involved
from reportgen.figures.svg import figure_and_axes, figure_style, short_label
from reportgen.words.numbers import count

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


def label_matrix(ax: Axes, labels: Sequence[str], limit: int) -> None:
    """Name a class-by-class grid's rows (true) and columns (predicted), without a frame."""
    k = len(labels)
    shown = [short_label(lab, limit) for lab in labels]
    long = max(map(len, shown), default=0) > 2  # longer names turn, to stay apart
    ax.set_xticks(
        range(k),
        labels=shown,
        rotation=45 if long else 0,
        ha="right" if long else "center",
        rotation_mode="anchor",
    )
    ax.set_yticks(range(k), labels=shown)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _page_cell_font(k: int) -> float:
    """The cells' font size for k classes on the page: smaller as the grid fills."""
    return 9.0 if k <= 10 else (8.0 if k <= 15 else max(5.5, 8.0 - 0.12 * (k - 15)))


@dataclass(frozen=True)
class MatrixStyle:
    """How a confusion matrix is lettered: the page's and the email's differ only in this."""

    label_limit: int = 18
    # the row share as a second line in each cell, up to 15 classes
    shares: bool = True
    colorbar: bool = True
    cell_font: Callable[[int], float] = _page_cell_font
    # tick labels' size for k classes; None keeps the style's
    tick_font: Callable[[int], float | None] = lambda _k: None
    count_text: Callable[[int], str] = count
    # None: matplotlib's own ("normal"), which sits a single line a little lower
    linespacing: float | None = 1.1


PAGE_STYLE = MatrixStyle()


def plot_confusion_matrix(
    result: ClassificationResult, *, view: ConfusionView | None = None, ax: Axes | None = None
) -> Figure:
    """Draw the shown classes' counts, shaded by the share of the true class (row percentage)."""
    view = view or choose_classes(result)
    idx = np.array(view.indices, dtype=np.int64)
    # only the shown classes' cells: never the whole K x K matrix
    counts = result.counts
    return plot_confusion_counts(view.labels, counts.dense(idx), counts.support()[idx], ax=ax)


def plot_confusion_counts(
    labels: Sequence[str],
    matrix: np.ndarray | Sequence[Sequence[int]],
    support: np.ndarray | Sequence[int],
    *,
    style: MatrixStyle = PAGE_STYLE,
    size: tuple[float, float] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw counts in each cell, shaded by the share of the true class (row percentage).

    labels and matrix: the classes drawn and their counts (true rows, predicted columns);
    support: each drawn class's rows in all (more than its row's sum when classes are left
    out); size: the figure's inches, by default square to the number of classes.
    """
    cm = np.asarray(matrix, dtype=np.int64)
    full_support = np.asarray(support, dtype=np.int64)
    share = np.divide(
        cm,
        full_support[:, None],
        out=np.zeros(cm.shape, dtype=float),
        where=full_support[:, None] > 0,
    )
    k = len(labels)
    side = float(min(max(4.2, 0.42 * k + 2.2), 13.0))
    with figure_style():
        fig, ax = figure_and_axes(ax, *(size or (side + 1.0, side)))
        # a square-root scale keeps a 5% confusion visible beside a 95% diagonal
        norm = PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)
        image = ax.imshow(share, cmap=CMAP, norm=norm, interpolation="nearest", aspect="equal")
        label_matrix(ax, labels, style.label_limit)
        tick_font = style.tick_font(k)
        if tick_font is not None:
            ax.tick_params(labelsize=tick_font)
        two_lines = style.shares and k <= 15
        size_pt = style.cell_font(k)
        for i in range(k):
            for j in range(k):
                value = int(cm[i, j])
                if value == 0:
                    continue
                text = style.count_text(value)
                if two_lines:
                    text += f"\n{100 * share[i, j]:.0f}%"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=size_pt,
                    color="white" if norm(share[i, j]) > 0.5 else "#1f2328",
                    linespacing=style.linespacing,
                )
        if style.colorbar:
            bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
            bar.set_ticks([0.0, 0.05, 0.2, 0.5, 1.0])
            bar.set_label("Share of the true class (row %, square-root scale)")
            bar.ax.yaxis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f}%")
            bar.outline.set_visible(False)
    return fig
