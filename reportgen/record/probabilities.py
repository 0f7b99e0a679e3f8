"""The sections a classification report gains from probability columns: calibration, thresholds."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.calibration import CalibrationResult, analyze_calibration
from reportgen.analysis.thresholds import BinaryThresholds, ThresholdResult, analyze_thresholds
from reportgen.read.table import PredictionTable
from reportgen.render import Section

CALIBRATION_LEAD = (
    "Whether the probabilities can be taken at their word: of the rows given about 0.8, about "
    "80% should turn out so. Points below the diagonal are over-confident, above it "
    "under-confident; ECE is the row-weighted mean gap."
)
THRESHOLDS_LEAD = (
    "How precision and recall trade off as the threshold on the positive class's probability "
    "moves, where the file's own predictions sit, and what a threshold chosen for a target "
    "precision or recall would cost in false positives and false negatives."
)
OVR_LEAD = (
    "For the classes with the most errors, how each class's precision and recall against all "
    "other classes trade off as the threshold on its probability moves; dots mark the file's "
    "own predictions."
)


def probability_analyses(
    table: PredictionTable, pos_label: str | None
) -> tuple[CalibrationResult | None, ThresholdResult | None]:
    """Calibrate and sweep thresholds when the file has probability columns."""
    if table.proba is None or table.confidence is None:
        return None, None
    calibration = analyze_calibration(
        table.true_codes,
        table.pred_codes,
        table.labels,
        table.proba,
        confidence=table.confidence,
        columns_present=table.proba_columns,
        pos_label=pos_label,
    )
    thresholds = analyze_thresholds(
        table.true_codes,
        table.pred_codes,
        table.labels,
        table.proba,
        columns_present=table.proba_columns,
        pos_label=pos_label,
    )
    return calibration, thresholds


def probability_figures(
    calibration: CalibrationResult | None, thresholds: ThresholdResult | None
) -> dict[str, str]:
    """Draw the calibration and threshold figures; return their SVG by figure id."""
    from reportgen.figures.calibration import describe_calibration, plot_calibration
    from reportgen.figures.svg import figure_to_svg
    from reportgen.figures.thresholds import (
        describe_ovr,
        describe_thresholds,
        plot_ovr_precision_recall,
        plot_thresholds,
    )

    figures: dict[str, str] = {}
    if calibration is not None:
        title, text = describe_calibration(calibration)
        figures["calibration"] = figure_to_svg(
            plot_calibration(calibration), fig_id="cal", title=title, description=text
        )
    if isinstance(thresholds, BinaryThresholds):
        title, text = describe_thresholds(thresholds)
        figures["thresholds"] = figure_to_svg(
            plot_thresholds(thresholds), fig_id="thr", title=title, description=text
        )
    elif thresholds is not None:
        title, text = describe_ovr(thresholds)
        figures["thresholds-ovr"] = figure_to_svg(
            plot_ovr_precision_recall(thresholds), fig_id="ovr", title=title, description=text
        )
    return figures


def probability_sections(record: dict[str, Any]) -> list[Section]:
    """The calibration and thresholds sections, for the files that have what they need."""
    out: list[Section] = []
    if record["calibration"] is not None:
        out.append(Section("calibration", "Calibration", CALIBRATION_LEAD))
    thresholds = record["thresholds"]
    if thresholds is not None:
        lead = THRESHOLDS_LEAD if thresholds["kind"] == "binary" else OVR_LEAD
        out.append(Section("thresholds", "Thresholds", lead))
    return out
