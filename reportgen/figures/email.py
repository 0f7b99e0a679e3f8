"""PNG figures for the email body, drawn from record numbers at twice their display size."""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reportgen.figures.svg import figure_style, new_figure
from reportgen.words.classification import n_classes
from reportgen.words.common import plural
from reportgen.words.numbers import count, pct, signed

ACCENT = "#0b5cad"  # the report's accent colour
SECOND = "#e08a00"  # orange beside blue: told apart without red/green vision
RISE = "#5e3c99"  # purple against orange, as the report's PuOr map
CMAP = "Blues"  # the report's single-hue sequential map
MAX_CONFUSION_CLASSES = 20
_PX_PER_INCH = 100  # display pixels per inch; the PNG is saved at twice this


@dataclass(frozen=True)
class Png:
    """A rendered figure: PNG bytes and the size to display it at (half its pixels)."""

    data: bytes
    width: int
    height: int


def _new(width: int, height: int) -> Figure:
    return new_figure(width / _PX_PER_INCH, height / _PX_PER_INCH)


def to_png(fig: Figure, width: int, height: int) -> Png:
    """Save a figure as PNG without metadata that varies (version, date)."""
    buf = io.BytesIO()
    with figure_style():
        fig.savefig(buf, format="png", dpi=2 * _PX_PER_INCH, metadata={"Software": None})
    data = buf.getvalue()
    pixels = png_size(data)
    # a rounding in figsize * dpi must not make the picture blurry
    if pixels != (2 * width, 2 * height):
        raise AssertionError(f"PNG is {pixels}, expected {(2 * width, 2 * height)}")
    return Png(data, width, height)


def png_size(data: bytes) -> tuple[int, int]:
    """Read a PNG's pixel width and height from its IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def compact(n: int) -> str:
    """Write a count in at most four characters: 987, 1.9k, 12k, 3.4M."""
    if n < 1000:
        return str(n)
    if n < 9950:
        return f"{n / 1000:.1f}k"
    if n < 999_500:
        return f"{n / 1000:.0f}k"
    return f"{n / 1e6:.1f}M"


def uses_compact(k: int, matrix: Sequence[Sequence[int]]) -> bool:
    """Whether the confusion figure writes its counts in thousands (its cells are small)."""
    return k > 10 and max((max(row, default=0) for row in matrix), default=0) >= 1000


def _short(label: str, limit: int = 16) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def confusion_png(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> Png:
    """Draw counts in each cell, shaded by the share of the true class (row-normalised)."""
    cm = np.asarray(matrix, dtype=np.int64)
    k = len(labels)
    support = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, support, out=np.zeros(cm.shape), where=support > 0)
    long_labels = max((len(lab) for lab in labels), default=1) > 2
    width = min(560, 220 + 34 * k + (70 if long_labels else 0))
    height = width - 40
    fig = _new(width, height)
    with figure_style():
        ax = fig.add_subplot()
        # a square-root scale keeps a 5% confusion visible beside a 95% diagonal
        norm = PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)
        ax.imshow(share, cmap=CMAP, norm=norm, interpolation="nearest", aspect="equal")
        short = [_short(lab, 24) for lab in labels]  # as the other email figures
        ax.set_xticks(
            range(k),
            labels=short,
            rotation=45 if long_labels else 0,
            ha="right" if long_labels else "center",
            rotation_mode="anchor",
        )
        ax.set_yticks(range(k), labels=short)
        ax.set_xlabel("Predicted label")
        ax.set_ylabel("True label")
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        size = 10.0 if k <= 6 else 8.5 if k <= 10 else 7.5 if k <= 15 else 6.5
        if k > 12:
            ax.tick_params(labelsize=8.0)
        write = compact if uses_compact(k, matrix) else (lambda n: f"{n:,}")
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(
                        j,
                        i,
                        write(int(cm[i, j])),
                        ha="center",
                        va="center",
                        fontsize=size,
                        color="white" if norm(share[i, j]) > 0.5 else "#1f2328",
                    )
    return to_png(fig, width, height)


def bars_png(names: Sequence[str], counts: Sequence[int], *, xlabel: str) -> Png:
    """Draw one horizontal bar per name, largest on top, with its count at the end."""
    n = len(names)
    width, height = 560, 60 + 26 * n
    fig = _new(width, height)
    with figure_style():
        ax = fig.add_subplot()
        y = np.arange(n)
        ax.barh(y, counts, color=ACCENT, height=0.7)
        ax.set_yticks(y, labels=[_short(name, 24) for name in names])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        top = max(counts, default=0) or 1
        ax.set_xlim(0, top * 1.12)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for yi, value in zip(y, counts, strict=True):
            ax.text(value + top * 0.01, float(yi), f"{value:,}", va="center", fontsize=9)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return to_png(fig, width, height)


def evolution_png(
    steps: Sequence[str], accuracy: Sequence[float], macro_f1: Sequence[float]
) -> Png:
    """Draw accuracy and macro F1 over training steps."""
    width, height = 560, 260
    fig = _new(width, height)
    with figure_style():
        ax = fig.add_subplot()
        x = np.arange(len(steps))
        ax.plot(x, accuracy, color=ACCENT, marker="o", markersize=4, label="Accuracy")
        ax.plot(
            x, macro_f1, color=SECOND, marker="s", markersize=4, linestyle="--", label="Macro F1"
        )
        # a few tick labels stay readable however many steps there are
        every = max(1, len(steps) // 10)
        ax.set_xticks(x[::every], labels=list(steps)[::every])
        ax.set_xlabel("Step")
        ax.set_ylim(0, 1.02)
        ax.grid(axis="y", color="#d0d7de", linewidth=0.6)
        ax.legend(loc="lower right", frameon=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return to_png(fig, width, height)


def changes_png(
    labels: Sequence[str], changes: Sequence[float], intervals: Sequence[Sequence[float] | None]
) -> Png:
    """Draw each class's change as a bar with its interval: purple up, orange down."""
    n = len(labels)
    width, height = 560, 70 + 24 * n
    fig = _new(width, height)
    with figure_style():
        ax = fig.add_subplot()
        y = np.arange(n)
        colours = [RISE if c >= 0 else SECOND for c in changes]
        ax.barh(y, changes, color=colours, height=0.6)
        for yi, ci in zip(y, intervals, strict=True):
            if ci is not None:
                ax.plot(ci, [yi, yi], color="#1f2328", linewidth=1.2)
        ax.axvline(0.0, color="#1f2328", linewidth=0.8)
        ax.set_yticks(y, labels=[_short(lab, 24) for lab in labels])
        ax.invert_yaxis()
        ax.set_xlabel("Change in F1 (line: 95% interval)")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:+.2f}".replace("-", "−"))
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return to_png(fig, width, height)


def histogram_png(edges: Sequence[float], counts: Sequence[int]) -> Png:
    """Draw the residual histogram the record holds, with a line at zero."""
    width, height = 560, 240
    fig = _new(width, height)
    with figure_style():
        ax = fig.add_subplot()
        e = np.asarray(edges, dtype=float)
        ax.bar(e[:-1], counts, width=np.diff(e), align="edge", color=ACCENT, edgecolor="white")
        ax.axvline(0.0, color="#1f2328", linewidth=1.0, linestyle="--")
        ax.set_xlabel("Residual (true − predicted)")
        ax.set_ylabel("Rows")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return to_png(fig, width, height)


@dataclass(frozen=True)
class Picture:
    """A figure for the email body: its PNG, text alternative and caption, attached by cid."""

    name: str
    png: Png
    alt: str
    caption: str

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
        confusion_png(c["labels"], c["confusion_matrix"]),
        f"Confusion matrix of {k} classes: counts of true labels (rows) against predicted "
        f"labels (columns){worst}.",
        "Counts of true (rows) against predicted (columns) labels, shaded by the share of the "
        "true class"
        + ("; 1.2k means about 1,200." if uses_compact(k, c["confusion_matrix"]) else "."),
    )


def _buckets(items: list[dict[str, Any]], total: int) -> Picture:
    cut = f" (the {len(items)} largest of {count(total)})" if total > len(items) else ""
    return Picture(
        "error-buckets",
        bars_png([i["name"] for i in items], [i["count"] for i in items], xlabel="Errors"),
        f"Bar chart of errors per bucket{cut}: "
        + ", ".join(f"{i['name']} {count(i['count'])}" for i in items)
        + ".",
        f"Errors per bucket, largest first{cut}.",
    )


def _evolution(steps: list[dict[str, Any]]) -> Picture:
    first, last = steps[0], steps[-1]
    return Picture(
        "evolution",
        evolution_png(
            [s["step"] for s in steps],
            [s["accuracy"] for s in steps],
            [s["macro_f1"] for s in steps],
        ),
        f"Line chart of accuracy and macro F1 over {len(steps)} steps: accuracy "
        f"{pct(first['accuracy'])} at step {first['step']}, {pct(last['accuracy'])} at step "
        f"{last['step']}.",
        "Accuracy (solid) and macro F1 (dashed) at each step.",
    )


def _residuals(r: dict[str, Any]) -> Picture:
    hist = r["histogram"]
    outside = hist.get("below", 0) + hist.get("above", 0)
    return Picture(
        "residuals",
        histogram_png(hist["edges"], hist["counts"]),
        f"Histogram of residuals (true − predicted) over {plural(r['n'], 'row')}, "
        f"mean {signed(r['mean_residual'])}.",
        "Residuals (true − predicted); the dashed line is zero"
        + (f"; {plural(outside, 'row')} lie beyond the axis." if outside else "."),
    )


def _changes(per_class: list[dict[str, Any]], names: list[str], total: int) -> Picture:
    rising = sum(p["delta"]["f1"] > 0 for p in per_class)
    most = f"the {len(per_class)} classes whose F1 changed most, of {count(total)}"
    which = most if total > len(per_class) else plural(len(per_class), "class", "classes")
    return Picture(
        "f1-change",
        changes_png(
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
        steps = (record.get("evolution") or {}).get("per_step")
        if steps:
            out.append(_evolution(steps))
        out.append(_confusion(record["classification"]))
        items = (record.get("buckets") or {}).get("items")
        if items:
            out.append(_buckets(items[:max_buckets], len(items)))
    elif "regression" in record and (record["regression"].get("histogram") or {}).get("counts"):
        out.append(_residuals(record["regression"]))
    return {p.name: p for p in out if p is not None}
