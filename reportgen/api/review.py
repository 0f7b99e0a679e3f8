"""sample_errors: a seeded, stratified random sample of the errors, as a review sheet."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from reportgen.api.common import load_options
from reportgen.deliver.review import ReviewSample, draw_errors, review_sheet_csv
from reportgen.errors import ReportgenError
from reportgen.read.load import load_predictions
from reportgen.read.table import PredictionTable


@dataclass(frozen=True, eq=False)
class ReviewSheet:
    """The drawn errors and the CSV sheet made of them (`save` writes it)."""

    table: PredictionTable
    sample: ReviewSample

    def to_csv(self) -> str:
        """The sheet's text: UTF-8 with a byte-order mark, CRLF line ends, as `save` writes."""
        return review_sheet_csv(self.table, self.sample)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the sheet atomically (- for standard output)."""
        from reportgen.deliver.files import write_atomic

        write_atomic(path, self.to_csv())

    def describe(self) -> str:
        """Say in one line what was drawn: '100 of 1,234 errors, stratified by ...'."""
        return self.sample.describe()


def sample_errors(
    data: str | os.PathLike[str] | pd.DataFrame,
    *,
    max_samples: int = 100,
    seed: int = 0,
    eval_split: str | None = None,
    split: str | None = None,
    y_true: str | None = None,
    y_pred: str | None = None,
    proba_prefix: str | None = None,
    id: str | None = None,
    sample: str | None = None,
    task: str = "auto",
    dropna: bool = False,
    format: str | None = None,
) -> ReviewSheet:
    """Draw a seeded random sample of the errors in a predictions file, as a review sheet.

    The draw is stratified by (true, predicted) pair, from the rows a report describes
    (`eval_split`: a split's value, or "all"; by default the dev split, else test, else every
    split but train). `max_samples` errors at most (all when there are fewer). The sheet has
    id, true, predicted, confidence and sample columns, an empty `buckets` column to fill in
    and a `review_sample` column recording the draw; pass the filled sheet back with
    `build_report(..., tags=path)`. Raises ReportgenError for bad input.
    """
    if task not in ("auto", "classification"):
        raise ReportgenError(f"task must be auto or classification, not '{task}'.")
    load = load_options(locals())
    if not isinstance(data, pd.DataFrame):
        from reportgen.read.predictions import refuse_detection_without_truth

        refuse_detection_without_truth(data)
    try:
        table = load_predictions(data, load)
    except ReportgenError as exc:
        if split is not None and "(named with --split)" in exc.message:
            exc.message += " --split names the split column; to draw from one split, "
            exc.message += "give its value with --eval-split VALUE."
        raise
    drawn = draw_errors(table, n=max_samples, seed=seed, eval_split=eval_split)
    return ReviewSheet(table, drawn)
