"""Threshold figures: precision-recall and ROC curves with the current operating point, and
one-vs-rest precision-recall curves for the multiclass classes with the most errors."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reportgen.analysis.thresholds import BinaryThresholds, OvrThresholds
from reportgen.figures.panels import two_panels
from reportgen.figures.svg import figure_and_axes, figure_style, short_label
from reportgen.words.numbers import pct

BLUE = "#0b5cad"
ORANGE = "#d55e00"
REFERENCE = "#6e7781"
GRID = "#d0d7de"
# Okabe-Ito colours with distinct line styles: told apart without colour too
SERIES = (
    (BLUE, "-"),
    (ORANGE, "--"),
    ("#009e73", "-."),
    ("#cc79a7", ":"),
    ("#e69f00", (0, (5, 1, 1, 1, 1, 1))),
    ("#56b4e9", (0, (1, 1))),
)


MARGINS = {"left": 0.14, "right": 0.97, "bottom": 0.12, "top": 0.91}
OVR_MARGINS = {"left": 0.1, "right": 0.97, "bottom": 0.12, "top": 0.92}


def _frame(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, color=GRID, linewidth=0.5)
    ax.set_axisbelow(True)


def _undefined(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color=REFERENCE, fontsize=9)


def _current_point(ax: Axes, x: float | None, y: float | None) -> None:
    """Mark where the current predictions sit on a curve, when both coordinates exist."""
    if x is not None and y is not None:
        ax.plot(
            [x],
            [y],
            linestyle="none",
            marker="o",
            markersize=7,
            color=ORANGE,
            markeredgecolor="white",
            label="current predictions",
        )


def plot_precision_recall(result: BinaryThresholds, *, ax: Axes | None = None) -> Figure:
    """Draw the precision-recall curve, the prevalence line and the current operating point."""
    with figure_style():
        fig, ax = figure_and_axes(ax, 5.0, 4.4, margins=MARGINS)
        pos = short_label(result.pos_label, 18)
        _frame(ax, f"Recall of '{pos}'", f"Precision of '{pos}'")
        ax.set_title("Precision-recall curve", fontsize=10)
        curve = result.pr_curve
        if curve is None or result.average_precision is None:
            _undefined(ax, "undefined: no true positive class")
            return fig
        prevalence = result.positives / result.n
        ax.axhline(
            prevalence,
            color=REFERENCE,
            linestyle="--",
            linewidth=1.0,
            label=f"chance (prevalence {prevalence:.3f})",
        )
        ax.plot(
            curve.x,
            curve.y,
            color=BLUE,
            linewidth=1.8,
            drawstyle="steps-pre",
            label=f"model (AP {result.average_precision:.3f})",
        )
        _current_point(ax, result.current.point.recall, result.current.point.precision)
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    return fig


def plot_roc(result: BinaryThresholds, *, ax: Axes | None = None) -> Figure:
    """Draw the ROC curve, the chance diagonal and the current operating point."""
    with figure_style():
        fig, ax = figure_and_axes(ax, 5.0, 4.4, margins=MARGINS)
        pos = short_label(result.pos_label, 18)
        _frame(ax, "False positive rate", f"True positive rate (recall of '{pos}')")
        ax.set_title("ROC curve", fontsize=10)
        curve = result.roc_curve
        if curve is None or result.roc_auc is None:
            _undefined(ax, "undefined: only one true class")
            return fig
        ax.plot([0, 1], [0, 1], color=REFERENCE, linestyle="--", linewidth=1.0, label="chance")
        ax.plot(
            curve.x, curve.y, color=BLUE, linewidth=1.8, label=f"model (AUC {result.roc_auc:.3f})"
        )
        _current_point(ax, result.current.point.fpr, result.current.point.recall)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


def plot_thresholds(result: BinaryThresholds) -> Figure:
    """Draw the precision-recall and the ROC curve side by side."""
    with figure_style():
        fig, left, right = two_panels(
            10.0, 4.4, left=0.07, right=0.985, bottom=0.12, top=0.92, wspace=0.24
        )
        plot_precision_recall(result, ax=left)
        plot_roc(result, ax=right)
    return fig


def plot_ovr_precision_recall(result: OvrThresholds, *, ax: Axes | None = None) -> Figure:
    """Draw one precision-recall curve per class, each with its current operating point."""
    with figure_style():
        fig, ax = figure_and_axes(ax, 7.0, 4.6, margins=OVR_MARGINS)
        _frame(ax, "Recall (one class against the rest)", "Precision")
        ax.set_title("One-vs-rest precision-recall, classes with the most errors", fontsize=10)
        for (colour, style), cls in zip(SERIES, result.classes, strict=False):
            ax.plot(
                cls.curve.x,
                cls.curve.y,
                color=colour,
                linestyle=style,
                linewidth=1.8,
                drawstyle="steps-pre",
                label=f"{short_label(cls.label, 18)} (AP {cls.average_precision:.3f})",
            )
            if cls.precision is not None:
                ax.plot(
                    [cls.recall],
                    [cls.precision],
                    linestyle="none",
                    marker="o",
                    markersize=6,
                    color=colour,
                    markeredgecolor="white",
                )
        ax.legend(loc="lower left", fontsize=8, frameon=False, title="class", title_fontsize=8)
    return fig


def describe_thresholds(result: BinaryThresholds) -> tuple[str, str]:
    """Return the binary figure's title and text alternative."""
    p = result.current.point
    if result.pr_curve is None:
        return (
            "Precision-recall and ROC curves",
            f"No curve is drawn: {result.undefined}",
        )
    roc = (
        f"Right: ROC curve, true positive rate against false positive rate, AUC "
        f"{result.roc_auc:.3f}."
        if result.roc_auc is not None
        else f"Right: no ROC curve. {result.undefined}"
    )
    at = (
        f"precision {pct(p.precision)}, recall {pct(p.recall)}"
        if p.precision is not None and p.recall is not None
        else "nothing predicted positive"
    )
    return (
        "Precision-recall and ROC curves",
        f"Left: precision against recall of '{result.pos_label}' over all thresholds on "
        f"{result.score}, average precision {result.average_precision:.3f}. {roc} The file's "
        f"own predictions are marked ({at}). The tables list the same numbers.",
    )


def describe_ovr(result: OvrThresholds) -> tuple[str, str]:
    """Return the one-vs-rest figure's title and text alternative."""
    parts = "; ".join(
        f"'{c.label}' average precision {c.average_precision:.3f}" for c in result.classes
    )
    return (
        "One-vs-rest precision-recall curves",
        f"Precision against recall of each class against the rest, for {result.selection}: "
        f"{parts}. Dots mark the file's own predictions. The table lists the same numbers.",
    )
