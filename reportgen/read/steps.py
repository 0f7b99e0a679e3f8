"""--step: the evolution over every step, and the rows of the one step the report shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportgen.errors import ReportgenError
from reportgen.read.load import LoadOptions
from reportgen.read.table import ColumnMap, PredictionTable, restrict, without_column

if TYPE_CHECKING:
    from reportgen.analysis.evaluation import Evaluation
    from reportgen.analysis.evolution import EvolutionResult


def regression_refused(step: str) -> ReportgenError:
    """Say that training evolution needs a classification file."""
    return ReportgenError(
        f"--step {step}: training evolution applies to classification files, and this is "
        "a regression file; leave --step out, or pass --task classification if the numbers "
        "are class labels."
    )


def shows_step_column(step: str, options: LoadOptions, columns: ColumnMap) -> bool:
    """Whether the step column was also asked for in a role the report shows it in."""
    return step in (
        *options.columns,
        columns.id,
        columns.sample,
        columns.buckets,
        columns.split,
        *columns.slices,
    )


def at_step(
    table: PredictionTable,
    options: LoadOptions,
    evaluation: Evaluation,
    *,
    steps: tuple[str, ...],
    shown: str | None,
) -> tuple[PredictionTable, EvolutionResult]:
    """Analyse the evolution over steps, then keep the rows of the step the report shows."""
    from reportgen.analysis.evaluation import evaluated_rows
    from reportgen.analysis.evolution import analyze_evolution, step_codes

    column = options.step
    assert column is not None
    if table.task != "classification":
        raise regression_refused(column)
    # the evolution follows the evaluated rows, as the rest of the report does
    rows = evaluated_rows(table, evaluation)
    evolution = analyze_evolution(
        rows.frame[column],
        rows.true_codes,
        rows.pred_codes,
        rows.labels,
        column=column,
        steps=list(steps),
        at_step=shown,
    )
    codes, names = step_codes(table.frame[column])
    kept = restrict(table, codes == names.index(evolution.shown_step))
    if shows_step_column(column, options, table.columns):
        return kept, evolution
    # the step column was loaded only for this; within one step it says nothing
    return without_column(kept, column), evolution
