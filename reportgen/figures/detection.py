"""The detection report's figures, each with its alt text, drawn from the record."""

from __future__ import annotations

import numpy as np

from reportgen.record.detection_types import DetectionRecord

SPECIAL = ("FalsePos", "FalseNeg")


def detection_figures(record: DetectionRecord) -> dict[str, str]:
    """Draw every figure of a detection report; SVG by figure id."""
    from reportgen.figures.detection_plots import (
        detection_confusion_description,
        error_types_description,
        plot_detection_confusion,
        plot_error_types,
        plot_recall_breakdown,
        recall_breakdown_description,
    )
    from reportgen.figures.svg import figure_to_svg

    e = record["error_types"]
    main = {t: v for t, v in e["dap"].items() if t not in SPECIAL}
    special = {t: e["dap"][t] for t in SPECIAL}
    figures = {
        "error-types": figure_to_svg(
            plot_error_types(main, e["counts"], special),
            fig_id="tide",
            title="Error types: the AP50 gained by fixing each",
            description=error_types_description(main, e["counts"], special),
        )
    }
    c = record["confusion"]
    counts = np.asarray(c["counts"], dtype=np.int64)
    figures["confusion-matrix"] = figure_to_svg(
        plot_detection_confusion(counts, c["labels"]),
        fig_id="dcm",
        title="Confusion matrix with background",
        description=detection_confusion_description(
            counts, c["labels"], iou=c["iou"], confidence=c["conf"]
        ),
    )
    panels = [
        (
            part["title"],
            [
                (
                    b["name"],
                    b["recall"],
                    None if b["recall_ci"] is None else (b["recall_ci"][0], b["recall_ci"][1]),
                    b["boxes"],
                )
                for b in part["bins"]
            ],
        )
        for part in record["breakdowns"]
    ]
    figures["sizes"] = figure_to_svg(
        plot_recall_breakdown(panels),
        fig_id="sizes",
        title="Recall by object size, border distance and objects per image",
        description=recall_breakdown_description(panels),
    )
    return figures
