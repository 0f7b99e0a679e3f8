"""The regression report: error metrics, residual figures, largest errors, residuals by slice."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from reportgen.analysis.families import regression_tests
from reportgen.analysis.regression import RegressionResult, analyze_regression
from reportgen.analysis.samples import largest_errors
from reportgen.analysis.slices import ResidualSlice
from reportgen.read.table import PredictionTable
from reportgen.record import Assembled, Meta, provenance_section
from reportgen.record.blocks import (
    base_record,
    regression_block,
    residual_slices_block,
    samples_block,
)
from reportgen.render import Section
from reportgen.words.describe import regression_findings, regression_headline
from reportgen.words.numbers import units_of

LARGEST_ERRORS = 20


def make_figures(
    result: RegressionResult, y_true: np.ndarray, y_pred: np.ndarray, slices: list[ResidualSlice]
) -> dict[str, str]:
    """Draw the residual figures and one box plot per slice column; SVG by figure id."""
    from reportgen.figures.residuals import (
        plot_residual_distribution,
        plot_residual_slice,
        plot_residuals,
    )
    from reportgen.figures.svg import figure_to_svg

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


def regression_sections(record: dict[str, Any]) -> list[Section]:
    """The sections of a regression report, in reading order."""
    reg = record["regression"]
    density = (
        f"With more than {reg['density_above']:,} rows the scatters are drawn as density "
        "plots (2-D histograms with a log colour scale), so the page stays small."
        if reg["density"]
        else "Each point is one row."
    )
    sections = [
        Section("summary", "Summary", ""),
        Section(
            "residuals",
            "Residuals",
            "A residual is the true value minus the prediction: positive where the model "
            "under-predicts. An unbiased model scatters evenly around zero at every prediction; "
            "a trend away from zero shows where it is biased, a widening band where its errors "
            "grow.",
            {"density_note": density},
        ),
        Section(
            "largest-errors",
            "Largest errors",
            "The rows the model missed by most, in each direction: the first place to look for "
            "label errors, outliers and inputs the model has not learned.",
        ),
    ]
    if record["slices"]["columns"]:
        sections.append(
            Section(
                "slices",
                "Residuals by metadata",
                "The residual distribution per value of each column named with --slice "
                "(numbers in quantile bins). A group whose mean residual differs from the other "
                "rows' by more than chance explains, once every group and prediction bin tried "
                "is accounted for, is one where the model is biased relative to the rest.",
            )
        )
    sections.append(provenance_section(record))
    return sections


@dataclass(frozen=True)
class Exact:
    """What a streamed read summed over every row, beside the rows it kept to show."""

    result: RegressionResult  # exact sums; quantile parts from the sample
    sample: PredictionTable  # the analysis sample: figures and slices
    under: int  # rows under-predicted (residual > 0), all of them
    over: int


def assemble(
    table: PredictionTable, meta: Meta, *, max_samples: int, exact: Exact | None = None
) -> Assembled:
    """Analyse numeric predictions and lay out the regression report.

    With `exact` (a streamed read), `table` holds only the rows kept to be shown.
    """
    rows = table if exact is None else exact.sample
    y_true, y_pred = rows.y_true_values, rows.y_pred_values
    assert y_true is not None and y_pred is not None
    result = analyze_regression(y_true, y_pred) if exact is None else exact.result
    limit = min(LARGEST_ERRORS, max_samples)
    under = largest_errors(table, limit=limit, under=True)
    over = largest_errors(table, limit=limit, under=False)
    if exact is not None:
        under, over = replace(under, total=exact.under), replace(over, total=exact.over)
    result, family = regression_tests(
        result, rows.frame, list(rows.columns.slices), y_true - y_pred
    )
    slices = family.slices
    record = base_record(
        table, title=meta.title, model=meta.model, created=meta.created, options=meta.options
    )
    if exact is not None:  # the table holds the kept rows; the file had these
        record["provenance"]["input"]["rows"] = result.n
    record["regression"] = regression_block(result)
    record["samples"] = {
        "under_predicted": samples_block(under),
        "over_predicted": samples_block(over),
    }
    record["slices"] = residual_slices_block(family)
    record["figures"] = {
        "residuals": {"density": result.density, "points": result.n},
        "slices": [s.column for s in slices],
    }
    with units_of(record):  # every value in data units at the page's one resolution
        record["summary"] = {
            "headline": regression_headline(record),
            "findings": regression_findings(record),
        }
    sections = regression_sections(record)
    record["sections"] = [s.id for s in sections]
    return Assembled(record, make_figures(result, y_true, y_pred, slices), sections)
