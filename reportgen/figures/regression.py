"""The regression report's figures, each with its alt text, drawn from the analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportgen.record.regression import RegressionAnalysis


def regression_figures(analysis: RegressionAnalysis) -> dict[str, str]:
    """Draw the residual figures and one box plot per slice column; SVG by figure id."""
    from reportgen.figures.residuals import (
        plot_residual_distribution,
        plot_residual_slice,
        plot_residuals,
    )
    from reportgen.figures.svg import figure_to_svg

    result, slices = analysis.result, analysis.slices
    y_true, y_pred = analysis.y_true, analysis.y_pred

    shown = (
        f"a 2-D histogram (density) of all {result.n:,} rows"
        if result.density
        else f"one point per row ({result.n:,})"
    )
    figures = {
        "residuals": figure_to_svg(
            plot_residuals(result, y_true, y_pred),
            fig_id="res",
            title="Residuals against predictions, and predictions against actual values",
            description=(
                f"Left: residual (true minus predicted) against the prediction, as {shown}, "
                "with a dashed zero line and the mean residual per prediction bin. Right: "
                "predicted against actual values with the line of perfect prediction. The bin "
                "means are listed in the table below."
            ),
        ),
        "residual-distribution": figure_to_svg(
            plot_residual_distribution(result),
            fig_id="dist",
            title="Residual distribution and normal Q-Q plot",
            description=(
                f"Histogram of residuals in {len(result.histogram_counts)} bins with the zero "
                "line and the mean; normal Q-Q plot of standardised residuals against the "
                "identity line: points off the line show skew or heavy tails."
            ),
        ),
    }
    for index, residual_slice in enumerate(slices):
        figures[f"slice-{index}"] = figure_to_svg(
            plot_residual_slice(residual_slice),
            fig_id=f"slice{index}",
            title=f"Residuals by {residual_slice.column}",
            description=(
                f"One box per {residual_slice.kind} group of '{residual_slice.column}': the box "
                "spans the 25th to 75th percentile of residuals, whiskers the 5th to 95th, the "
                "line is the median and the diamond the mean. The table beside it has the numbers."
            ),
        )
    return figures
