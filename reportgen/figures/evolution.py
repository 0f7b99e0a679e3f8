"""The training-evolution figures: metrics over steps, and confusion matrices at chosen steps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from reportgen.analysis.evolution import EvolutionResult
from reportgen.figures.confusion import CMAP, _short
from reportgen.figures.svg import figure_style, new_figure

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


def _style(i: int) -> dict[str, object]:
    return {
        "color": COLOURS[i % len(COLOURS)],
        # shifted once per round of colours, so no two lines share colour, dash and marker
        "linestyle": STYLES[(i + i // len(COLOURS)) % len(STYLES)],
        "marker": MARKERS[i % len(MARKERS)],
        "markersize": 4.5,
        "linewidth": 1.4,
    }


def plot_evolution(result: EvolutionResult, *, view: RecallView | None = None) -> Figure:
    """Draw accuracy and macro F1 over steps (left) and per-class recall over steps (right)."""
    view = view or choose_recall_classes(result)
    x = np.arange(len(result.steps))
    ticks = result.steps
    every = max(1, int(np.ceil(len(ticks) / 12)))
    with figure_style():
        fig = new_figure(11.0, 4.2)
        left, right = fig.subplots(1, 2)
        accuracy = [m.accuracy for m in result.per_step]
        macro_f1 = [m.macro_f1 for m in result.per_step]
        left.plot(x, accuracy, label="Accuracy", **_style(0))
        left.plot(x, macro_f1, label="Macro F1", **_style(1))
        low = [m.accuracy_ci[0] if m.accuracy_ci else m.accuracy for m in result.per_step]
        high = [m.accuracy_ci[1] if m.accuracy_ci else m.accuracy for m in result.per_step]
        left.fill_between(x, low, high, color=COLOURS[0], alpha=0.15, linewidth=0)
        best = result.steps.index(result.best)
        left.axvline(best, color="#4a4f57", linewidth=0.8, linestyle=":")
        left.annotate(
            f"best: {result.best}",
            (best, 0.02),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=8,
        )
        left.set_title("Accuracy and macro F1")
        for j, i in enumerate(view.indices):
            values = [np.nan if m.recall[i] is None else m.recall[i] for m in result.per_step]
            right.plot(x, values, label=_short(view.labels[j], 14), **_style(j))
        right.set_title(
            f"Recall per class ({len(view.indices)} that changed most)"
            if view.truncated
            else "Recall per class"
        )
        for ax in (left, right):
            ax.set_xticks(x[::every], [ticks[i] for i in x[::every]])
            ax.set_xlabel(f"{result.column}")
            ax.set_ylim(-0.02, 1.02)
            ax.yaxis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f}%")
            ax.grid(True, color="#d0d7de", linewidth=0.5)
            ax.set_axisbelow(True)
        left.legend(fontsize=8, frameon=False, loc="center right")
        right.legend(
            fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1
        )
    return fig


def plot_step_confusions(result: EvolutionResult) -> Figure:
    """Draw the confusion matrices of the chosen steps side by side, shaded by row share."""
    chosen = result.chosen
    k = len(result.labels)
    labels = [_short(lab, 8) for lab in result.labels]
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
