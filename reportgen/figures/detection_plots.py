"""The detection figures: TIDE's error types, the confusion with background, recall by bin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from reportgen.analysis.detection_errors import ERROR_TYPES, SPECIAL_TYPES
from reportgen.figures.confusion import MAX_CLASSES, ConfusionView, plot_confusion_counts
from reportgen.figures.svg import figure_style, new_figure, short_label
from reportgen.words.detection import TYPE_TITLES
from reportgen.words.numbers import MINUS, count, interval_pct, pct

ERROR_NAMES = {t: TYPE_TITLES[t] for t in ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")}
SPECIAL_NAMES = {"FalsePos": "all false positives", "FalseNeg": "all false negatives"}
# Okabe-Ito: one colour per type, told apart by colour-blind readers; the names are on the
# axis, so nothing depends on the colour alone
ERROR_COLOURS = {
    "Cls": "#e69f00",
    "Loc": "#56b4e9",
    "Both": "#009e73",
    "Dupe": "#f0e442",
    "Bkg": "#0072b2",
    "Miss": "#d55e00",
    "FalsePos": "#cc79a7",
    "FalseNeg": "#000000",
}
EDGE = "#4a4f57"  # outlines the pale bars (yellow) against white
GRID = "#d0d7de"
BACKGROUND = "background"
SEPARATOR = "#1f2328"
DOT = "#0072b2"
EMPTY = "#6e7781"


def _dap(value: float) -> str:
    """A dAP in AP50 points, two decimals as TIDE prints them, with a true minus sign."""
    text = f"{value:.2f}"
    return MINUS + text[1:] if text.startswith("-") else text


def _boxes(n: int) -> str:
    return f"{count(n)} box" + ("" if n == 1 else "es")


def _errors(n: int) -> str:
    return f"{count(n)} error" + ("" if n == 1 else "s")


def error_type_order(dap: Mapping[str, float]) -> list[str]:
    """TIDE's six error types, largest dAP first (ties: TIDE's order)."""
    return sorted(ERROR_TYPES, key=lambda t: (-float(dap[t]), ERROR_TYPES.index(t)))


def plot_error_types(
    dap: Mapping[str, float],
    counts: Mapping[str, int],
    special: Mapping[str, float],
    *,
    size: tuple[float, float] = (7.5, 4.4),
) -> Figure:
    """Draw each error type's dAP as a bar, largest first, and the false pos / neg dAPs below.

    dap: ERROR_TYPES -> AP50 points gained by fixing that type; counts: ERROR_TYPES -> errors;
    special: SPECIAL_TYPES -> dAP. Both panels share one scale so their bars compare. `size`
    in inches (the email's column is narrower than the page's).
    """
    order = error_type_order(dap)
    values = [float(dap[t]) for t in order] + [float(special[t]) for t in SPECIAL_TYPES]
    top = max([*values, 0.0])
    low = min([*values, 0.0])
    with figure_style():
        fig = new_figure(*size)
        main, extra = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [len(ERROR_TYPES), 2.6]}
        )
        _dap_bars(
            main,
            [ERROR_NAMES[t] for t in order],
            [float(dap[t]) for t in order],
            [f"{_dap(float(dap[t]))}  ({_errors(int(counts[t]))})" for t in order],
            [ERROR_COLOURS[t] for t in order],
        )
        main.set_title("AP50 gained by fixing each error type (dAP)", loc="left")
        _dap_bars(
            extra,
            [SPECIAL_NAMES[t] for t in SPECIAL_TYPES],
            [float(special[t]) for t in SPECIAL_TYPES],
            [_dap(float(special[t])) for t in SPECIAL_TYPES],
            [ERROR_COLOURS[t] for t in SPECIAL_TYPES],
        )
        extra.set_title("Fixing every false positive, every false negative", loc="left")
        # room at the bar ends for the value and the count
        span = (top - low) or 1.0
        main.set_xlim(low - (0.02 * span if low < 0 else 0.0), top + 0.45 * span)
        extra.set_xlabel("dAP: AP50 points gained (0–100 scale)")
    return fig


def _dap_bars(
    ax: Axes, names: list[str], values: list[float], texts: list[str], colours: list[str]
) -> None:
    """Horizontal bars, first on top, each with its text at the bar's end."""
    y = np.arange(len(names))
    bars = ax.barh(y, values, color=colours, edgecolor=EDGE, linewidth=0.6, height=0.66)
    ax.bar_label(bars, labels=texts, padding=4, fontsize=9)
    ax.set_yticks(y, labels=names)
    ax.invert_yaxis()
    ax.axvline(0.0, color=EDGE, linewidth=0.8)
    ax.tick_params(axis="y", length=0)
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    ax.grid(True, axis="x", color=GRID, linewidth=0.5)
    ax.set_axisbelow(True)


# ---------------------------------------------------------------- confusion with background


def _with_background(counts: np.ndarray, labels: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Check the (K+1) x (K+1) matrix; return it and K+1 names, background last."""
    cm = np.asarray(counts, dtype=np.int64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] < 1:
        raise ValueError(f"a detection confusion matrix is square, got shape {cm.shape}")
    n = cm.shape[0]
    names = list(labels)
    if len(names) == n - 1:
        names.append(BACKGROUND)
    elif len(names) != n:
        raise ValueError(f"{len(names)} labels for a {n} x {n} matrix: give K or K+1 names")
    return cm, names


def choose_detection_classes(
    counts: np.ndarray, labels: Sequence[str], *, max_classes: int = MAX_CLASSES
) -> ConfusionView:
    """The classes the figure draws: all, or those in most errors; background always, last.

    An error here is any off-diagonal cell: a class confusion, a miss (background column) or a
    false positive on background (background row). Ties go to label order.
    """
    cm, names = _with_background(counts, labels)
    k = cm.shape[0] - 1
    if k <= max_classes:
        return ConfusionView(list(range(k + 1)), names, False)
    diag = np.diagonal(cm)
    involved = (cm.sum(axis=1) + cm.sum(axis=0) - 2 * diag)[:k]
    chosen = sorted(int(i) for i in np.lexsort((np.arange(k), -involved))[:max_classes])
    chosen.append(k)
    return ConfusionView(chosen, [names[i] for i in chosen], True)


def plot_detection_confusion(counts: np.ndarray, labels: Sequence[str]) -> Figure:
    """Draw the confusion with background: rows true, columns predicted, background last.

    counts: (K+1) x (K+1) box counts, the last row and column background (the last row holds
    detections on no object, the last column missed boxes); labels: the K class names (or K+1,
    the last naming background). Over 30 classes, those in most errors are drawn. Shades are
    each row's share of all its boxes, drawn or not; a line sets background apart.
    """
    cm, _names = _with_background(counts, labels)
    view = choose_detection_classes(cm, labels)
    idx = np.array(view.indices, dtype=np.int64)
    shown = cm[np.ix_(idx, idx)]
    fig = plot_confusion_counts(view.labels, shown, cm.sum(axis=1)[idx])
    ax = fig.axes[0]
    edge = len(view.indices) - 1.5
    with figure_style():
        ax.axhline(edge, color=SEPARATOR, linewidth=1.4)
        ax.axvline(edge, color=SEPARATOR, linewidth=1.4)
        for tick in (ax.get_xticklabels()[-1], ax.get_yticklabels()[-1]):
            tick.set_fontstyle("italic")
    return fig


# ---------------------------------------------------------------- recall by bins

Bin = tuple[str, float | None, tuple[float, float] | None, int]
Panel = tuple[str, Sequence[Bin]]


def plot_recall_breakdown(panels: Sequence[Panel]) -> Figure:
    """Draw recall (0-1) per bin as a dot with its 95% interval, one panel per dimension.

    panels: (title, bins), each bin (label, recall, interval, boxes); a bin without boxes (or
    without a recall) is written "no boxes". The x axis, 0-100%, is shared.
    """
    if not panels:
        raise ValueError("no panels to draw")
    for _title, bins in panels:
        for label, recall, ci, _n in bins:
            for v in (recall, *(ci or ())):
                if v is not None and not -1e-9 <= v <= 1 + 1e-9:
                    raise ValueError(f"recall of '{label}' is {v}: give recall as 0-1")
    sizes = [max(len(bins), 1) for _t, bins in panels]
    with figure_style():
        fig = new_figure(7.5, 0.9 + 0.34 * sum(sizes) + 0.5 * len(panels))
        axes = fig.subplots(
            len(panels), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": sizes}
        )[:, 0]
        for ax, (title, bins) in zip(axes, panels, strict=True):
            _recall_panel(ax, title, bins)
        axes[-1].set_xlim(0.0, 1.0)
        axes[-1].xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axes[-1].set_xlabel("Recall (dot) with its 95% interval (line)")
    return fig


def _recall_panel(ax: Axes, title: str, bins: Sequence[Bin]) -> None:
    """One dimension's bins, top to bottom: dot, interval and box count, or "no boxes"."""
    y = np.arange(len(bins))
    if not bins:
        ax.text(0.01, 0, "no boxes", va="center", ha="left", color=EMPTY, fontstyle="italic")
    for i, (_label, recall, ci, n) in enumerate(bins):
        if recall is None or n == 0:
            ax.text(0.01, i, "no boxes", va="center", ha="left", color=EMPTY, fontstyle="italic")
            continue
        if ci is not None:
            ax.plot([ci[0], ci[1]], [i, i], color=DOT, linewidth=2.0, solid_capstyle="butt")
        ax.plot([recall], [i], "o", color=DOT, markersize=6)
    for i, (_label, _r, _ci, n) in enumerate(bins):
        # the count in a column right of the axes, clear of any dot or interval
        ax.annotate(
            _boxes(n),
            xy=(1.0, i),
            xycoords=("axes fraction", "data"),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=9,
            color=EMPTY,
        )
    ax.set_yticks(y, labels=[short_label(b[0], 28) for b in bins])
    ax.set_ylim(max(len(bins), 1) - 0.5, -0.5)
    ax.set_title(title, loc="left")
    ax.tick_params(axis="y", length=0)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.grid(True, axis="x", color=GRID, linewidth=0.5)
    ax.set_axisbelow(True)


# ---------------------------------------------------------------- alt text


def error_types_description(
    dap: Mapping[str, float], counts: Mapping[str, int], special: Mapping[str, float]
) -> str:
    """The error-type figure's alt text: every type's dAP and count, largest first."""
    order = error_type_order(dap)
    listed = "; ".join(
        f"{ERROR_NAMES[t]} {_dap(float(dap[t]))} ({_errors(int(counts[t]))})" for t in order
    )
    extra = ", ".join(f"{SPECIAL_NAMES[t]} {_dap(float(special[t]))}" for t in SPECIAL_TYPES)
    return (
        f"Horizontal bars: AP50 points gained by fixing each error type, largest first: "
        f"{listed}. Below, fixing {extra}. The table below has the same numbers."
    )


def detection_confusion_description(
    counts: np.ndarray,
    labels: Sequence[str],
    *,
    iou: float | None = None,
    confidence: float | None = None,
) -> str:
    """The confusion figure's alt text: what is drawn and the largest errors of each kind."""
    cm, names = _with_background(counts, labels)
    k = cm.shape[0] - 1
    view = choose_detection_classes(cm, labels)
    drawn = (
        f"the {len(view.indices) - 1} classes in most errors, of {k}, and background"
        if view.truncated
        else f"all {k} classes and background"
    )
    at = []
    if iou is not None:
        at.append(f"IoU {iou:g}")
    if confidence is not None:
        at.append(f"confidence {confidence:g}")
    text = (
        f"Confusion matrix of detected boxes over {drawn}"
        + (f", at {' and '.join(at)}" if at else "")
        + ": rows are true classes, columns predicted; the last row holds detections on "
        "background, the last column missed boxes. Each cell shows the count, shaded by its "
        "share of the row."
    )
    largest = _largest_errors(cm, names)
    if largest:
        text += " Largest: " + "; ".join(largest) + "."
    return text


def _largest_errors(cm: np.ndarray, names: list[str]) -> list[str]:
    """The largest class confusion, the class most missed, the class most detected on nothing."""
    k = cm.shape[0] - 1
    said: list[str] = []
    confusion = cm[:k, :k].copy()
    np.fill_diagonal(confusion, 0)
    if k and confusion.max() > 0:
        # first in row-major order on ties: stable across runs
        i, j = np.unravel_index(int(np.argmax(confusion)), confusion.shape)
        said.append(f"{names[i]} taken for {names[j]} {count(int(confusion[i, j]))} times")
    for line, cells in (
        ("most missed", cm[:k, k]),
        ("most detected on background", cm[k, :k]),
    ):
        if k and cells.max() > 0:
            c = int(np.argmax(cells))
            said.append(f"{line}: {names[c]} ({count(int(cells[c]))} boxes)")
    return said


def recall_breakdown_description(panels: Sequence[Panel]) -> str:
    """The recall figure's alt text: for each dimension, its lowest recall and the box count."""
    parts = []
    for title, bins in panels:
        measured = [b for b in bins if b[1] is not None and b[3] > 0]
        if not measured:
            parts.append(f"{title}: no boxes")
            continue
        # lowest recall; ties: the bin with more boxes, then the first
        label, recall, ci, n = min(measured, key=lambda b: (b[1], -b[3]))
        span = f"95% interval {interval_pct(ci, point=recall)}, " if ci is not None else ""
        parts.append(f"{title}: lowest recall {pct(recall, ci=ci)} in {label} ({span}{_boxes(n)})")
    return (
        "Recall per bin as a dot with its 95% interval, one panel per dimension, the boxes in "
        "each bin written beside it. " + "; ".join(parts) + "."
    )
