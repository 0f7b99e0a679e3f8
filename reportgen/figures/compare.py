"""Comparison figures: confusion-matrix difference, F1 per class of both models, paired errors."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from reportgen.analysis.compare import ClassificationComparison
from reportgen.figures.confusion import MAX_CLASSES, ConfusionView, label_matrix
from reportgen.figures.panels import two_panels
from reportgen.figures.residuals import draw_density, draw_points
from reportgen.figures.svg import (
    figure_and_axes,
    figure_style,
    figure_to_svg,
    short_label,
)
from reportgen.record.compare_types import ClassificationFigures, RegressionFigures
from reportgen.words.numbers import signed_count

# ColorBrewer's purple-orange diverging map: safe for the common colour-vision deficiencies,
# and neither end is red or green. Purple: the candidate does better; orange: worse.
CMAP = "PuOr"
BETTER = "#542788"
WORSE = "#b35806"
BASELINE = "#6e7781"
REFERENCE = "#6e7781"


def improvement(difference: np.ndarray) -> np.ndarray:
    """Turn B - A counts into 'better for B' scores: more on the diagonal, fewer off it."""
    score = -difference.astype(np.float64)
    np.fill_diagonal(score, np.diag(difference))
    return score


def choose_changed_classes(
    comparison: ClassificationComparison, *, max_classes: int = MAX_CLASSES
) -> ConfusionView:
    """Pick the classes whose counts changed most when there are too many to draw."""
    labels = comparison.a.labels
    k = len(labels)
    if k <= max_classes:
        return ConfusionView(list(range(k)), list(labels), False)
    moved = np.abs(comparison.confusion_difference)
    involved = moved.sum(axis=0) + moved.sum(axis=1)
    order = np.lexsort((np.arange(k), -involved))[:max_classes]
    chosen = sorted(int(i) for i in order)
    return ConfusionView(chosen, [labels[i] for i in chosen], True)


def plot_confusion_difference(
    comparison: ClassificationComparison,
    *,
    names: tuple[str, str] = ("A", "B"),
    view: ConfusionView | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw B - A counts per cell, shaded purple where B does better and orange where worse."""
    view = view or choose_changed_classes(comparison)
    idx = np.array(view.indices)
    diff = comparison.confusion_difference[np.ix_(idx, idx)]
    score = improvement(diff)
    k = len(idx)
    limit = float(max(1, int(np.abs(diff).max()) if diff.size else 1))
    side = float(min(max(4.2, 0.42 * k + 2.2), 13.0))
    with figure_style():
        fig, ax = figure_and_axes(ax, side + 1.3, side)
        norm = Normalize(vmin=-limit, vmax=limit)
        image = ax.imshow(score, cmap=CMAP, norm=norm, interpolation="nearest", aspect="equal")
        label_matrix(ax, view.labels, 18)
        ax.set_title(f"{short_label(names[1], 24)} − {short_label(names[0], 24)}: change in counts")
        # light grid lines between cells keep the blank (unchanged) cells readable
        ax.set_xticks(np.arange(-0.5, k, 1.0), minor=True)
        ax.set_yticks(np.arange(-0.5, k, 1.0), minor=True)
        ax.grid(which="minor", color="#d0d7de", linewidth=0.6)
        ax.tick_params(which="minor", length=0)
        size = 9.5 if k <= 10 else (8.0 if k <= 15 else max(5.5, 8.0 - 0.12 * (k - 15)))
        for i in range(k):
            for j in range(k):
                value = int(diff[i, j])
                if value == 0:
                    continue
                strong = abs(norm(score[i, j]) - 0.5) > 0.3
                ax.text(
                    j,
                    i,
                    signed_count(value),  # never 0: empty cells are skipped
                    ha="center",
                    va="center",
                    fontsize=size,
                    fontweight="bold" if i == j else "normal",
                    color="white" if strong else "#1f2328",
                )
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
        top = int(limit)
        bar.set_ticks([-limit, 0.0, limit])
        bar.set_ticklabels([f"{top:,} worse", "no change", f"{top:,} better"])
        bar.set_label(f"Shade: {short_label(names[1], 24)} better (purple) or worse (orange)")
        bar.outline.set_visible(False)
    return fig


def plot_f1_change(
    comparison: ClassificationComparison,
    *,
    names: tuple[str, str] = ("A", "B"),
    max_classes: int = MAX_CLASSES,
    ax: Axes | None = None,
) -> Figure:
    """Draw each class's F1 for A (hollow) and B (filled), joined by a line coloured by change."""
    rows = comparison.per_class
    if len(rows) > max_classes:
        keep = sorted(range(len(rows)), key=lambda i: (-abs(rows[i].f1.delta), i))[:max_classes]
        rows = [rows[i] for i in sorted(keep)]
    k = len(rows)
    with figure_style():
        fig, ax = figure_and_axes(ax, 7.5, float(min(max(2.4, 0.34 * k + 1.5), 11.0)))
        y = np.arange(k)
        for i, row in enumerate(rows):
            colour = BETTER if row.f1.delta > 0 else (WORSE if row.f1.delta < 0 else REFERENCE)
            ax.plot([row.f1.a, row.f1.b], [i, i], color=colour, linewidth=2.2, zorder=1)
        ax.scatter(
            [r.f1.a for r in rows],
            y,
            s=36,
            facecolors="white",
            edgecolors=BASELINE,
            linewidths=1.5,
            zorder=2,
            label=names[0],
        )
        ax.scatter(
            [r.f1.b for r in rows],
            y,
            s=36,
            color=[
                BETTER if r.f1.delta > 0 else (WORSE if r.f1.delta < 0 else REFERENCE) for r in rows
            ],
            zorder=3,
            label=names[1],
        )
        ax.set_yticks(y, labels=[short_label(r.label, 24) for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("F1")
        ax.set_title(
            "F1 per class: hollow "
            + short_label(names[0], 20)
            + ", filled "
            + short_label(names[1], 20)
        )
        ax.grid(True, axis="x", color="#d0d7de", linewidth=0.5)
        ax.set_axisbelow(True)
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
    return fig


def plot_paired_errors(
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    *,
    names: tuple[str, str] = ("A", "B"),
    density: bool = False,
) -> Figure:
    """Draw each row's absolute error under A against under B, beside the change's histogram."""
    abs_a, abs_b = np.abs(y_true - pred_a), np.abs(y_true - pred_b)
    change = abs_b - abs_a
    with figure_style():
        fig, left, right = two_panels(
            10.0, 4.4, left=0.08, right=0.95 if density else 0.97, bottom=0.13, top=0.88, wspace=0.3
        )
        high = float(max(abs_a.max(), abs_b.max(), 1e-12))
        if density:
            draw_density(left, abs_a, abs_b)
            what = f"{abs_a.size:,} rows; colour: rows per cell (log)"
        else:
            draw_points(left, abs_a, abs_b)
            what = f"{abs_a.size:,} rows, one point each"
        left.plot([0, high], [0, high], color=REFERENCE, linestyle="--", linewidth=1.2)
        # which side of the diagonal means what, in the two corners away from the points
        b_name = short_label(names[1], 18)
        for x, y, note, ha, va, color in (
            (0.97, 0.04, f"below the line: {b_name} closer", "right", "bottom", BETTER),
            (0.03, 0.96, f"above: {b_name} further off", "left", "top", WORSE),
        ):
            left.text(x, y, note, transform=left.transAxes, ha=ha, va=va, fontsize=8, color=color)
        left.set_xlabel(f"Absolute error, {short_label(names[0], 24)}")
        left.set_ylabel(f"Absolute error, {short_label(names[1], 24)}")
        left.set_title(f"Paired absolute errors\n{what}", fontsize=10)

        lo, hi = np.quantile(change, [0.001, 0.999]) if change.size else (0.0, 0.0)
        bound = float(max(abs(lo), abs(hi), 1e-12))
        edges = np.linspace(-bound, bound, 41)
        counts_c, _ = np.histogram(np.clip(change, -bound, bound), bins=edges)
        centres = (edges[:-1] + edges[1:]) / 2
        colours = [BETTER if c < 0 else WORSE for c in centres]
        right.bar(centres, counts_c, width=np.diff(edges), color=colours, alpha=0.85)
        right.axvline(0.0, color=REFERENCE, linestyle="--", linewidth=1.0)
        right.set_xlabel(
            f"Change in absolute error ({short_label(names[1], 18)} − {short_label(names[0], 18)})"
        )
        right.set_ylabel("Rows")
        right.set_title(
            "Change per row: left of zero (purple) improved,\nright (orange) worsened", fontsize=10
        )
        for axis in (left, right):
            axis.grid(True, color="#d0d7de", linewidth=0.5)
            axis.set_axisbelow(True)
    return fig


def classification_figures_block(comparison: ClassificationComparison) -> ClassificationFigures:
    """What the record says of the classifier comparison's figures (the classes each shows)."""
    view = choose_changed_classes(comparison)
    return {
        "confusion_difference": {
            "labels_shown": view.labels,
            "truncated": view.truncated,
            "values": "candidate minus baseline counts",
            "shading": "improvement: + on the diagonal, − off it",
            "colormap": CMAP,
        },
        "f1_change": {"classes": min(len(comparison.a.labels), MAX_CLASSES)},
    }


def classification_figures(
    comparison: ClassificationComparison, *, names: tuple[str, str]
) -> dict[str, str]:
    """Draw the classifier comparison's figures: their SVG by id."""
    view = choose_changed_classes(comparison)
    k = len(comparison.a.labels)
    a, b = names
    return {
        "confusion-difference": figure_to_svg(
            plot_confusion_difference(comparison, names=names, view=view),
            fig_id="cmdiff",
            title=f"Confusion-matrix difference, {b} minus {a}",
            description=(
                f"A grid of true labels (rows) against predicted labels (columns) over "
                f"{len(view.labels)} of {k} classes; each cell shows {b}'s count minus {a}'s. "
                f"Purple cells are where {b} does better, orange where it does worse, blank "
                "cells did not change. The same numbers are in the table below."
            ),
        ),
        "f1-change": figure_to_svg(
            plot_f1_change(comparison, names=names),
            fig_id="f1change",
            title=f"F1 per class, {a} and {b}",
            description=(
                f"For each class, a hollow dot at {a}'s F1 and a filled dot at {b}'s, joined by "
                "a purple line where F1 rose and an orange one where it fell. The table below "
                "lists the same values."
            ),
        ),
    }


def regression_figures_block(y_true: np.ndarray) -> RegressionFigures:
    """What the record says of the regression comparison's figure: points, or their density."""
    from reportgen.analysis.regression import DENSITY_ABOVE

    # past DENSITY_ABOVE rows the scatter becomes a 2-D histogram: points would be too many
    return {"paired_errors": {"density": y_true.size > DENSITY_ABOVE, "points": int(y_true.size)}}


def regression_figures(
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    *,
    names: tuple[str, str],
) -> dict[str, str]:
    """Draw the regression comparison's figure: its SVG by id."""
    a, b = names
    density = regression_figures_block(y_true)["paired_errors"]["density"]
    return {
        "paired-errors": figure_to_svg(
            plot_paired_errors(y_true, pred_a, pred_b, names=names, density=density),
            fig_id="paired",
            title=f"Absolute errors of {a} against {b}, and their change",
            description=(
                f"Left: each row's absolute error under {a} (x) against under {b} (y), with the "
                "diagonal of equal errors; rows below it improved. Right: a histogram of the "
                f"change in absolute error ({b} minus {a}), improvements left of zero in purple, "
                "worsening right of it in orange. The counts are in the table below."
            ),
        )
    }
