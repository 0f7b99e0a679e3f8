"""The email body's figures: the page's plot functions at email size, from the record's
numbers, and the two charts only the email draws; each exported as PNG by figures.svg."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reportgen.figures.confusion import MatrixStyle, plot_confusion_counts
from reportgen.figures.evolution import plot_accuracy_over_steps
from reportgen.figures.residuals import plot_residual_histogram
from reportgen.figures.svg import (
    PX_PER_INCH,
    Png,
    figure_style,
    figure_to_png,
    new_figure,
    short_label,
)
from reportgen.words.classification import n_classes
from reportgen.words.common import plural
from reportgen.words.numbers import compact_count, count, pct, signed

ACCENT = "#0b5cad"  # the report's accent colour
SECOND = "#e08a00"  # orange beside blue: told apart without red/green vision
RISE = "#5e3c99"  # purple against orange, as the report's PuOr map
MAX_CONFUSION_CLASSES = 20
WIDTH = 560  # display pixels: the email's column is 640 wide with its margins


def _inches(width: int, height: int) -> tuple[float, float]:
    """A figure size in inches from display pixels."""
    return width / PX_PER_INCH, height / PX_PER_INCH


def uses_compact(k: int, matrix: Sequence[Sequence[int]]) -> bool:
    """Whether the confusion figure writes its counts in thousands (its cells are small)."""
    return k > 10 and max((max(row, default=0) for row in matrix), default=0) >= 1000


def _email_cell_font(k: int) -> float:
    """The cells' font size for k classes in the email's narrower column."""
    return 10.0 if k <= 6 else 8.5 if k <= 10 else 7.5 if k <= 15 else 6.5


def email_confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> Figure:
    """Draw the page's confusion matrix at email size: counts only, no colour bar."""
    k = len(labels)
    long_labels = max((len(lab) for lab in labels), default=1) > 2
    width = min(WIDTH, 220 + 34 * k + (70 if long_labels else 0))
    style = MatrixStyle(
        label_limit=24,  # as the other email figures
        shares=False,
        colorbar=False,
        cell_font=_email_cell_font,
        tick_font=lambda k: 8.0 if k > 12 else None,
        count_text=compact_count if uses_compact(k, matrix) else count,
        linespacing=None,  # the spacing the email's single-line cells always had
    )
    cm = np.asarray(matrix, dtype=np.int64)
    return plot_confusion_counts(
        labels, cm, cm.sum(axis=1), style=style, size=_inches(width, width - 40)
    )


def plot_bucket_bars(names: Sequence[str], counts: Sequence[int], *, xlabel: str) -> Figure:
    """Draw one horizontal bar per name, largest on top, with its count at the end.

    The email's own chart: the page's Pareto figure needs a second axis and rotated names,
    which a phone-wide column cannot hold.
    """
    n = len(names)
    with figure_style():
        fig = new_figure(*_inches(WIDTH, 60 + 26 * n))
        ax = fig.add_subplot()
        y = np.arange(n)
        ax.barh(y, counts, color=ACCENT, height=0.7)
        ax.set_yticks(y, labels=[short_label(name, 24) for name in names])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        top = max(counts, default=0) or 1
        ax.set_xlim(0, top * 1.12)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for yi, value in zip(y, counts, strict=True):
            ax.text(value + top * 0.01, float(yi), count(value), va="center", fontsize=9)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig


def plot_f1_changes(
    labels: Sequence[str], changes: Sequence[float], intervals: Sequence[Sequence[float] | None]
) -> Figure:
    """Draw each class's change in F1 as a bar with its interval: purple up, orange down.

    The email's own chart: the page draws both models' F1 (plot_f1_change), the email the
    change and its interval, which its table beside it lists.
    """
    n = len(labels)
    with figure_style():
        fig = new_figure(*_inches(WIDTH, 70 + 24 * n))
        ax = fig.add_subplot()
        y = np.arange(n)
        colours = [RISE if c >= 0 else SECOND for c in changes]
        ax.barh(y, changes, color=colours, height=0.6)
        for yi, ci in zip(y, intervals, strict=True):
            if ci is not None:
                ax.plot(ci, [yi, yi], color="#1f2328", linewidth=1.2)
        ax.axvline(0.0, color="#1f2328", linewidth=0.8)
        ax.set_yticks(y, labels=[short_label(lab, 24) for lab in labels])
        ax.invert_yaxis()
        ax.set_xlabel("Change in F1 (line: 95% interval)")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:+.2f}".replace("-", "−"))
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig


@dataclass(frozen=True)
class Picture:
    """A figure for the email body: the figure, its text alternative and caption; attached by
    cid as PNG."""

    name: str
    figure: Figure
    alt: str
    caption: str

    @cached_property
    def png(self) -> Png:
        """The figure exported as PNG, once."""
        return figure_to_png(self.figure)

    @property
    def cid(self) -> str:
        """A Content-ID from the picture's bytes: the same figure, the same id."""
        return f"{self.name}.{hashlib.sha1(self.png.data).hexdigest()[:12]}@reportgen"


def _confusion(c: dict[str, Any]) -> Picture | None:
    # many classes: the record keeps only some, so the whole count decides
    k, top = n_classes(c), c["top_confusions"]
    if k > MAX_CONFUSION_CLASSES:
        return None
    worst = (
        f"; the largest confusion is {top[0]['true']} → {top[0]['pred']}, "
        f"{plural(top[0]['count'], 'time')}"
        if top
        else ""
    )
    return Picture(
        "confusion-matrix",
        email_confusion(c["labels"], c["confusion_matrix"]),
        f"Confusion matrix of {k} classes: counts of true labels (rows) against predicted "
        f"labels (columns){worst}.",
        "Counts of true (rows) against predicted (columns) labels, shaded by the share of the "
        "true class"
        + ("; 1.2k means about 1,200." if uses_compact(k, c["confusion_matrix"]) else "."),
    )


def _buckets(items: list[dict[str, Any]], total: int) -> Picture:
    cut = f" (the {len(items)} largest of {count(total)})" if total > len(items) else ""
    names, counts = [i["name"] for i in items], [i["count"] for i in items]
    return Picture(
        "error-buckets",
        plot_bucket_bars(names, counts, xlabel="Errors"),
        f"Bar chart of errors per bucket{cut}: "
        + ", ".join(f"{i['name']} {count(i['count'])}" for i in items)
        + ".",
        f"Errors per bucket, largest first{cut}.",
    )


def _evolution(e: dict[str, Any]) -> Picture:
    steps = e["per_step"]
    first, last = steps[0], steps[-1]
    figure = plot_accuracy_over_steps(
        [s["step"] for s in steps],
        [s["accuracy"] for s in steps],
        [s["macro_f1"] for s in steps],
        intervals=[s.get("accuracy_ci") for s in steps],
        best=e["best"],
        column=e["column"],
        size=_inches(WIDTH, 260),
    )
    return Picture(
        "evolution",
        figure,
        f"Line chart of accuracy and macro F1 over {len(steps)} steps: accuracy "
        f"{pct(first['accuracy'])} at step {first['step']}, {pct(last['accuracy'])} at step "
        f"{last['step']}.",
        "Accuracy (solid, its 95% interval shaded) and macro F1 (dashed) at each step; the "
        "dotted line marks the best step.",
    )


def _residuals(r: dict[str, Any]) -> Picture:
    hist = r["histogram"]
    outside = hist.get("below", 0) + hist.get("above", 0)
    figure = plot_residual_histogram(
        hist["edges"],
        hist["counts"],
        mean=r["mean_residual"],
        outside=outside,
        size=_inches(WIDTH, 240),
    )
    return Picture(
        "residuals",
        figure,
        f"Histogram of residuals (true − predicted) over {plural(r['n'], 'row')}, "
        f"mean {signed(r['mean_residual'])}.",
        "Residuals (true − predicted); the dashed line is zero, the solid one the mean"
        + (f"; {plural(outside, 'row')} lie beyond the axis." if outside else "."),
    )


def _error_types(e: dict[str, Any]) -> Picture:
    """A detection report's TIDE bars, as the page draws them."""
    from reportgen.figures.detection_plots import error_types_description, plot_error_types

    special = ("FalsePos", "FalseNeg")
    main = {t: v for t, v in e["dap"].items() if t not in special}
    rest = {t: e["dap"][t] for t in special}
    return Picture(
        "error-types",
        plot_error_types(main, e["counts"], rest, size=_inches(WIDTH, 330)),
        error_types_description(main, e["counts"], rest),
        "AP50 gained by fixing each error type (TIDE's dAP, AP50 points), largest first.",
    )


def _changes(per_class: list[dict[str, Any]], names: list[str], total: int) -> Picture:
    rising = sum(p["delta"]["f1"] > 0 for p in per_class)
    most = f"the {len(per_class)} classes whose F1 changed most, of {count(total)}"
    which = most if total > len(per_class) else plural(len(per_class), "class", "classes")
    return Picture(
        "f1-change",
        plot_f1_changes(
            [p["label"] for p in per_class],
            [p["delta"]["f1"] for p in per_class],
            [p.get("f1_delta_ci") for p in per_class],
        ),
        f"Bar chart of the change in F1 from {names[0]} to {names[1]} for {which}: "
        f"{rising} rose, {len(per_class) - rising} did not.",
        f"Change in F1 per class ({names[1]} − {names[0]}): purple bars rose, orange fell; "
        "the black line is the 95% interval" + (f"; {most}." if total > len(per_class) else "."),
    )


def email_pictures(
    record: dict[str, Any], *, max_buckets: int, max_classes: int
) -> dict[str, Picture]:
    """Draw the figures the email shows for this record, by name, in reading order."""
    out: list[Picture | None] = []
    if "comparison" in record:
        per_class = record["comparison"].get("per_class") or []
        if per_class:
            largest = sorted(per_class, key=lambda p: (-abs(p["delta"]["f1"]), p["label"]))
            chosen = {p["label"] for p in largest[:max_classes]}
            shown = [p for p in per_class if p["label"] in chosen]
            out.append(_changes(shown, record["comparison"]["names"], len(per_class)))
    elif "classification" in record:
        if (record.get("evolution") or {}).get("per_step"):
            out.append(_evolution(record["evolution"]))
        out.append(_confusion(record["classification"]))
        items = (record.get("buckets") or {}).get("items")
        if items:
            out.append(_buckets(items[:max_buckets], len(items)))
    elif record.get("task") == "detection" and record.get("error_types"):
        out.append(_error_types(record["error_types"]))
    elif "regression" in record and (record["regression"].get("histogram") or {}).get("counts"):
        out.append(_residuals(record["regression"]))
    return {p.name: p for p in out if p is not None}
