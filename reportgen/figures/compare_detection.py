"""The detection comparison's pictures: the paired dAP bars, and each shown image for both models.

A shown image is one picture made of two panels, the baseline's on the left and the
candidate's on the right, each drawn as the single report draws it (ground truth solid, that
model's kept detections dashed, labelled with their scores), that model's errors thicker: its
false positives and the boxes it missed. One picture per row keeps the size budget's cut
(thumbnails are dropped row by row) as it is for every other report.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reportgen.figures.detection_boxes import (
    DATA_URI_PREFIX,
    PREDICTION,
    TRUTH,
    DrawnBox,
    boxed_thumbnail,
)
from reportgen.read.images import ImageLoader, Thumbnail, png_bytes
from reportgen.record.compare_detection_types import DetectionComparisonRecord, ErrorTypeChange
from reportgen.record.detection import DetectionAnalysis
from reportgen.record.types import ImageBlock, PageThumbnail

BASE_COLOUR = "#b1b8c0"  # the baseline: a quiet grey, behind
CANDIDATE_COLOUR = "#542788"  # the candidate: the comparison pages' purple
EDGE = "#4a4f57"
GRID = "#d0d7de"
PANEL_SIDE = 240  # pixels of each panel's longer side
PANEL_GAP = 8
PAIR_BUDGET = 2_000_000  # bytes of base pictures (each is drawn twice)
DRAWN_DETECTIONS = 30  # at most this many kept detections drawn on one panel, best first
MAIN = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
SUMMARY = ("FalsePos", "FalseNeg")


def comparison_figures(record: DetectionComparisonRecord) -> dict[str, str]:
    """Draw the comparison's figures; SVG by figure id."""
    from reportgen.figures.svg import figure_to_svg

    c = record["comparison"]
    rows = c["error_types"]
    return {
        "error-types": figure_to_svg(
            plot_dap_pairs(rows, c["names"]),
            fig_id="dtide",
            title="Error types: the AP50 gained by fixing each, for both detectors",
            description=dap_pairs_description(rows, c["names"]),
        )
    }


def plot_dap_pairs(rows: list[ErrorTypeChange], names: list[str]) -> Figure:
    """Two bars per error type, the baseline's over the candidate's, with their values."""
    from reportgen.figures.svg import figure_style, new_figure

    by_type = {r["type"]: r for r in rows}
    values = [v for r in rows for v in (r["dap_a"], r["dap_b"])]
    top, low = max([*values, 0.0]), min([*values, 0.0])
    with figure_style():
        fig = new_figure(7.5, 5.6)
        main, extra = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [len(MAIN), len(SUMMARY) + 0.6]}
        )
        _pairs(main, [by_type[t] for t in MAIN], names)
        main.set_title("AP50 gained by fixing each error type (dAP)", loc="left")
        _pairs(extra, [by_type[t] for t in SUMMARY], names)
        extra.set_title("Fixing every false positive, every false negative", loc="left")
        span = (top - low) or 1.0
        main.set_xlim(low - (0.02 * span if low < 0 else 0.0), top + 0.3 * span)
        extra.set_xlabel("dAP: AP50 points gained (0–100 scale)")
        # below the axes, where no bar can run into it
        handles, labels = main.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False, fontsize=9)
    return fig


def _pairs(ax: Axes, rows: list[ErrorTypeChange], names: list[str]) -> None:
    """Horizontal bar pairs, first type on top: the baseline above, the candidate below."""
    y = np.arange(len(rows), dtype=float)
    height = 0.38
    for shift, key, colour, name in (
        (-height / 2, "dap_a", BASE_COLOUR, names[0]),
        (height / 2, "dap_b", CANDIDATE_COLOUR, names[1]),
    ):
        values = [float(r[key]) for r in rows]  # type: ignore[literal-required]
        bars = ax.barh(
            y + shift, values, height=height, color=colour, edgecolor=EDGE, linewidth=0.5,
            label=name,
        )  # fmt: skip
        ax.bar_label(bars, labels=[f"{v:.1f}" for v in values], padding=3, fontsize=8)
    ax.set_yticks(y, labels=[r["title"] for r in rows])
    ax.invert_yaxis()
    ax.axvline(0.0, color=EDGE, linewidth=0.8)
    ax.tick_params(axis="y", length=0)
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    ax.grid(True, axis="x", color=GRID, linewidth=0.5)
    ax.set_axisbelow(True)


def dap_pairs_description(rows: list[ErrorTypeChange], names: list[str]) -> str:
    """The figure's alt text: every bar's value, and the largest change."""
    parts = [
        f"{r['title']}: {names[0]} {r['dap_a']:.1f}, {names[1]} {r['dap_b']:.1f}" for r in rows
    ]
    main = [r for r in rows if r["type"] in MAIN]
    most = max(main, key=lambda r: abs(r["dap_delta"]))
    return (
        f"Paired bars of TIDE's dAP (AP50 points) per error type, {names[0]} grey above "
        f"{names[1]} purple. " + "; ".join(parts) + f". The largest change: {most['title']}, "
        f"{most['dap_delta']:+.1f} points."
    )


def draw_pairs(
    a: DetectionAnalysis,
    b: DetectionAnalysis,
    shown: Mapping[str, np.ndarray],
    image_root: str,
) -> tuple[dict[str, PageThumbnail], dict[str, ImageBlock]]:
    """Draw each shown image for both detectors, in page order (the loader's byte budget)."""
    loader = ImageLoader(
        image_root,
        max_side=PANEL_SIDE,
        min_side=PANEL_SIDE // 2,
        budget_bytes=PAIR_BUDGET,
        fast_png=True,  # decoded again to draw the boxes on
    )
    frame = a.input.images
    thumbnails: dict[str, PageThumbnail] = {}
    images: dict[str, ImageBlock] = {}
    for key, positions in shown.items():
        for n, pos in enumerate(positions.tolist()):
            source = f"{key}-{n + 1}"
            base = loader.thumbnail(str(frame["file_name"].iloc[pos]))
            if not isinstance(base, Thumbnail):
                images[source] = {"source": source, "shown": False, "reason": base.reason}
                continue
            image_id = int(frame["image_id"].iloc[pos])
            panels = [boxed_thumbnail(base, _boxes(side, image_id)) for side in (a, b)]
            data_uri, width, height = _side_by_side(panels[0].data_uri, panels[1].data_uri)
            thumbnails[source] = {"data_uri": data_uri, "width": width, "height": height}
            images[source] = {"source": source, "shown": True, "reason": None}
    return thumbnails, images


def _boxes(side: DetectionAnalysis, image_id: int) -> list[DrawnBox]:
    """One detector's panel: every box of the image, its kept detections, its errors thicker."""
    gt, dt, m = side.input.ground_truth, side.input.detections, side.matching
    names = side.input.categories
    kept = dt.score >= side.point.conf
    found = (m.gt_matched_by >= 0) & kept[np.maximum(m.gt_matched_by, 0)]
    out: list[DrawnBox] = []
    for g in np.flatnonzero(gt.image_id == image_id).tolist():
        x, y, w, h = (float(v) for v in gt.box[g])
        label = names.get(int(gt.category_id[g]), str(int(gt.category_id[g])))
        missed = not bool(gt.iscrowd[g]) and not bool(found[g])
        out.append(DrawnBox(x, y, w, h, label=label, score=None, kind=TRUTH, emphasis=missed))
    mine = np.flatnonzero(kept & (dt.image_id == image_id))
    mine = mine[np.argsort(-dt.score[mine], kind="stable")][:DRAWN_DETECTIONS]
    for d in mine.tolist():
        x, y, w, h = (float(v) for v in dt.box[d])
        label = names.get(int(dt.category_id[d]), str(int(dt.category_id[d])))
        false = m.detection_gt[d] < 0 and not m.detection_ignored[d]
        out.append(
            DrawnBox(
                x, y, w, h, label=label, score=float(dt.score[d]), kind=PREDICTION,
                emphasis=bool(false),
            )
        )  # fmt: skip
    return out


def _side_by_side(left: str, right: str) -> tuple[str, int, int]:
    """Two PNG data URIs as one, left and right with a white gap: its URI, width and height."""
    from PIL import Image

    panels = []
    for uri in (left, right):
        with Image.open(io.BytesIO(base64.b64decode(uri[len(DATA_URI_PREFIX) :]))) as image:
            panels.append(image.convert("RGB"))
    width = panels[0].width + PANEL_GAP + panels[1].width
    height = max(p.height for p in panels)
    joined = Image.new("RGB", (width, height), "white")
    joined.paste(panels[0], (0, 0))
    joined.paste(panels[1], (panels[0].width + PANEL_GAP, 0))
    data = base64.b64encode(png_bytes(joined, fast=True)).decode("ascii")
    return DATA_URI_PREFIX + data, width, height
