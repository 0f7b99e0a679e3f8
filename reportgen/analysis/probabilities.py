"""The analyses a classification report gains from probability columns: calibration, thresholds."""

from __future__ import annotations

from reportgen.analysis.calibration import CalibrationResult, analyze_calibration
from reportgen.analysis.probability_inputs import ProbabilityInputs
from reportgen.analysis.thresholds import ThresholdResult, analyze_thresholds
from reportgen.read.table import PredictionTable


def probability_analyses(
    table: PredictionTable, pos_label: str | None
) -> tuple[CalibrationResult | None, ThresholdResult | None]:
    """Calibrate and sweep thresholds when the file has probability columns."""
    if table.proba is None or table.confidence is None:
        return None, None
    inputs = ProbabilityInputs(
        table.true_codes,
        table.pred_codes,
        table.labels,
        table.proba,
        columns_present=table.proba_columns,
        pos_label=pos_label,
    )
    return analyze_calibration(inputs, confidence=table.confidence), analyze_thresholds(inputs)
