"""The training-evolution figures: metrics over steps, and confusion matrices at chosen steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from reportgen.analysis.evolution import EvolutionResult
from reportgen.figures.confusion import CMAP
from reportgen.figures.svg import figure_and_axes, figure_style, new_figure, short_label

# Okabe-Ito without its pale yellow, plus grey; each line also has its own dash and marker
COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#7f7f7f")
STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
MAX_LINES = 10


@dataclass(frozen=True)
class RecallView:
    """Which classes the recall panel draws, and whether that is all of them."""

    indices: list[int]
    labels: list[str]
    truncated: bool


def recall_change(result: EvolutionResult) -> list[float]:
    """Each class's largest minus smallest recall over the steps where it has samples."""
    out = []
    for i in range(len(result.labels)):
        values = [r for m in result.per_step if (r := m.recall[i]) is not None]
        out.append(max(values) - min(values) if values else 0.0)
    return out


def choose_recall_classes(result: EvolutionResult, *, limit: int = MAX_LINES) -> RecallView:
    """All classes up to `limit`; past that, the ones whose recall changed most."""
    k = len(result.labels)
    if k <= limit:
        return RecallView(list(range(k)), list(result.labels), False)
    change = np.array(recall_change(result))
    order = np.lexsort((np.arange(k), -change))[:limit]
    chosen = sorted(int(i) for i in order)
    return RecallView(chosen, [result.labels[i] for i in chosen], True)


class LineStyle(TypedDict):
    """How one line of an evolution figure is drawn (keyword arguments of Axes.plot)."""

    color: str
    linestyle: str
    marker: str
    markersize: float
    linewidth: float


def _style(i: int) -> LineStyle:
    """The i-th line's style: colour, dash and marker together tell lines apart in grey too."""
    return {
        "color": COLOURS[i % len(COLOURS)],
        # shifted once per round of colours, so no two lines share colour, dash and marker
        "linestyle": STYLES[(i + i // len(COLOURS)) % len(STYLES)],
        "marker": MARKERS[i % len(MARKERS)],
        "markersize": 4.5,
        "linewidth": 1.4,
    }


def _tick_every(n: int) -> int:
    """Label every n-th step: about a dozen tick labels stay readable however many steps."""
    return max(1, int(np.ceil(n / 12)))


def plot_accuracy_over_steps(
    steps: Sequence[str],
    accuracy: Sequence[float],
    macro_f1: Sequence[float],
    *,
    intervals: Sequence[Sequence[float] | None],
    best: str,
    column: str,
    size: tuple[float, float] = (5.5, 4.2),
    ax: Axes | None = None,
) -> Figure:
    """Draw accuracy (with its 95% band) and macro F1 over the steps, the best step marked.

    intervals: accuracy's interval per step (None where there is none).
    """
    x = np.arange(len(steps))
    every = _tick_every(len(steps))
    with figure_style():
        fig, ax = figure_and_axes(ax, *size)
        ax.plot(x, accuracy, label="Accuracy", **_style(0))
        ax.plot(x, macro_f1, label="Macro F1", **_style(1))
        low = [ci[0] if ci else a for a, ci in zip(accuracy, intervals, strict=True)]
        high = [ci[1] if ci else a for a, ci in zip(accuracy, intervals, strict=True)]
        ax.fill_between(x, low, high, color=COLOURS[0], alpha=0.15, linewidth=0)
        at = list(steps).index(best)
        ax.axvline(at, color="#4a4f57", linewidth=0.8, linestyle=":")
        ax.annotate(
            f"best: {best}",
            (at, 0.02),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=8,
        )
        ax.set_title("Accuracy and macro F1")
        _step_axis(ax, steps, column, every)
        ax.legend(fontsize=8, frameon=False, loc="center right")
    return fig


def _step_axis(ax: Axes, steps: Sequence[str], column: str, every: int) -> None:
    """Label the x axis with every n-th step and the y axis with percentages."""
    x = np.arange(len(steps))
    ax.set_xticks(x[::every], [steps[i] for i in x[::every]])
    ax.set_xlabel(f"{column}")
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f}%")
    ax.grid(True, color="#d0d7de", linewidth=0.5)
    ax.set_axisbelow(True)


def plot_evolution(result: EvolutionResult, *, view: RecallView | None = None) -> Figure:
    """Draw accuracy and macro F1 over steps (left) and per-class recall over steps (right)."""
    view = view or choose_recall_classes(result)
    x = np.arange(len(result.steps))
    with figure_style():
        fig = new_figure(11.0, 4.2)
        left, right = fig.subplots(1, 2)
        plot_accuracy_over_steps(
            result.steps,
            [m.accuracy for m in result.per_step],
            [m.macro_f1 for m in result.per_step],
            intervals=[m.accuracy_ci for m in result.per_step],
            best=result.best,
            column=result.column,
            ax=left,
        )
        for j, i in enumerate(view.indices):
            values = [np.nan if m.recall[i] is None else m.recall[i] for m in result.per_step]
            right.plot(x, values, label=short_label(view.labels[j], 14), **_style(j))
        right.set_title(
            f"Recall per class ({len(view.indices)} that changed most)"
            if view.truncated
            else "Recall per class"
        )
        _step_axis(right, result.steps, result.column, _tick_every(len(result.steps)))
        right.legend(
            fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1
        )
    return fig


def plot_step_confusions(result: EvolutionResult) -> Figure:
    """Draw the confusion matrices of the chosen steps side by side, shaded by row share."""
    chosen = result.chosen
    k = len(result.labels)
    labels = [short_label(lab, 8) for lab in result.labels]
    side = float(min(max(2.6, 0.26 * k + 1.2), 6.0))
    norm = PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)
    show_counts = k <= 15
    size = 7.5 if k <= 10 else 6.0
    with figure_style():
        fig = new_figure(side * len(chosen) + 0.9, side + 0.5)
        axes = fig.subplots(1, len(chosen), squeeze=False)[0]
        image = None
        for ax, step in zip(axes, chosen, strict=True):
            cm = result.confusion_matrices[step]
            support = cm.sum(axis=1)
            share = np.divide(
                cm,
                support[:, None],
                out=np.zeros(cm.shape, dtype=float),
                where=support[:, None] > 0,
            )
            image = ax.imshow(share, cmap=CMAP, norm=norm, interpolation="nearest")
            ax.set_xticks(range(k), labels=labels, fontsize=7, rotation=90 if k > 12 else 0)
            ax.set_yticks(range(k), labels=labels if ax is axes[0] else [], fontsize=7)
            accuracy = result.per_step[result.steps.index(step)].accuracy
            marks = [
                word
                for word, name in (("best", result.best), ("shown", result.shown_step))
                if name == step
            ]
            suffix = f" ({', '.join(marks)})" if marks else ""
            ax.set_title(
                f"{result.column} {step}{suffix}\naccuracy {100 * accuracy:.1f}%", fontsize=9
            )
            ax.set_xlabel("Predicted", fontsize=8)
            ax.tick_params(length=0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if show_counts:
                for i in range(k):
                    for j in range(k):
                        value = int(cm[i, j])
                        if value == 0:
                            continue
                        ax.text(
                            j,
                            i,
                            f"{value:,}",
                            ha="center",
                            va="center",
                            fontsize=size,
                            color="white" if norm(share[i, j]) > 0.5 else "#1f2328",
                        )
        axes[0].set_ylabel("True", fontsize=8)
        if image is not None:
            bar = fig.colorbar(image, ax=list(axes), fraction=0.025, pad=0.02)
            bar.set_ticks([0.0, 0.05, 0.2, 0.5, 1.0])
            bar.set_label("Share of the true class", fontsize=8)
            bar.ax.yaxis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f}%")
            bar.ax.tick_params(labelsize=7)
            bar.outline.set_visible(False)
    return fig
