"""The regression record: analyse numeric predictions, then lay the results out as blocks."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from reportgen.analysis.families import RegressionFamily, regression_tests
from reportgen.analysis.regression import RegressionResult
from reportgen.analysis.samples import LARGEST_ERRORS, SampleTable, largest_errors
from reportgen.analysis.slices import ResidualSlice
from reportgen.read.exact import RegressionExact, regression_in_memory
from reportgen.read.table import PredictionTable
from reportgen.record.blocks import SCHEMA, regression_block
from reportgen.record.common import Context, Meta, finish, provenance
from reportgen.record.regression_types import RegressionRecord
from reportgen.record.samples import samples_block
from reportgen.record.slices import residual_slices_block


@dataclass(frozen=True)
class RegressionAnalysis:
    """Everything the regression record, its figures and its sections are made from."""

    table: PredictionTable  # the rows kept to be shown (every row, unless streamed)
    result: RegressionResult
    y_true: np.ndarray  # of the analysis sample: the figures draw these
    y_pred: np.ndarray
    under: SampleTable
    over: SampleTable
    family: RegressionFamily

    @property
    def slices(self) -> list[ResidualSlice]:
        """The residuals by metadata group, one per column named with --slice."""
        return self.family.slices


def analyse(
    table: PredictionTable, *, max_samples: int, exact: RegressionExact | None = None
) -> RegressionAnalysis:
    """Analyse numeric predictions: metrics, largest errors, the tests by group and bin.

    With `exact` (a streamed read), `table` holds only the rows kept to be shown. Without,
    the table is summed here the same way, so that one path serves both.
    """
    exact = exact or regression_in_memory(table)
    rows = exact.sample
    y_true, y_pred = rows.y_true_values, rows.y_pred_values
    assert y_true is not None and y_pred is not None
    limit = min(LARGEST_ERRORS, max_samples)
    under = largest_errors(table, limit=limit, under=True)
    over = largest_errors(table, limit=limit, under=False)
    result, family = regression_tests(
        exact.result, rows.frame, list(rows.columns.slices), y_true - y_pred
    )
    return RegressionAnalysis(
        table=table,
        result=result,
        y_true=y_true,
        y_pred=y_pred,
        under=replace(under, total=exact.under),
        over=replace(over, total=exact.over),
        family=family,
    )


def build_record(analysis: RegressionAnalysis, meta: Meta, context: Context) -> RegressionRecord:
    """Lay the analysis out as the complete record: blocks, words, sections, stream, gates.

    Nothing changes the record after this: the budget and the seal make new ones.
    """
    from reportgen.render.sections import regression_sections
    from reportgen.words.numbers import units_of
    from reportgen.words.regression import regression_findings, regression_headline

    a, result = analysis, analysis.result
    record: RegressionRecord = {
        "schema": SCHEMA,
        "task": a.table.task,
        "title": meta.title,
        "model": meta.model,
        "provenance": provenance(a.table, meta, context, rows=result.n),
        "summary": {"headline": [], "findings": []},
        "regression": regression_block(result),
        "samples": {
            "under_predicted": samples_block(a.under),
            "over_predicted": samples_block(a.over),
        },
        "slices": residual_slices_block(a.family),
        "figures": {
            "residuals": {"density": result.density, "points": result.n},
            "slices": [s.column for s in a.slices],
        },
    }
    with units_of(record):  # every value in data units at the page's one resolution
        record["summary"] = {
            "headline": regression_headline(record),
            "findings": regression_findings(record),
        }
    record["sections"] = [s.id for s in regression_sections(record)]
    return finish(record, context)
