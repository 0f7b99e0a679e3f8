"""Read predictions whole, in memory: every evaluated row, the split check, the step shown."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from reportgen.read.load import load_predictions
from reportgen.read.result import ReadOptions, ReadResult
from reportgen.read.table import restrict


def read_in_memory(data: str | os.PathLike[str] | pd.DataFrame, options: ReadOptions) -> ReadResult:
    """Load every row, choose the evaluated ones, and analyse what needs every split or step."""
    from reportgen.analysis.evaluation import choose_rows, evaluated_rows, recount_rows

    table = load_predictions(data, options.load)
    evaluation = choose_rows(table, options.eval_split)
    evolution = None
    if options.load.step is not None:
        from reportgen.read.steps import at_step

        table, evolution = at_step(
            table, options.load, evaluation, steps=options.steps, shown=options.at_step
        )
        evaluation = recount_rows(evaluation, table)
    splits = None
    if table.task == "classification" and table.columns.split is not None:
        from reportgen.analysis.splits import analyze_splits

        # the split check looks at every split, whatever the report is restricted to
        splits = analyze_splits(
            table.frame[table.columns.split],
            table.true_codes,
            table.pred_codes,
            table.labels,
            evaluated=evaluation.splits,
        )
    evaluated = evaluated_rows(table, evaluation)
    others = None
    if options.tags is not None and evaluated.n < table.n:
        # the sheet may name rows of other splits: they are counted apart, not as unknown
        kept = np.zeros(table.n, dtype=bool)
        kept[np.searchsorted(table.row_numbers, evaluated.row_numbers)] = True
        others = restrict(table, ~kept)
    return ReadResult(
        table=evaluated,
        evaluation=evaluation,
        splits=splits,
        evolution=evolution,
        others=others,
    )
