"""Read a file for a report in batches (or with Spark): the rows to show and exact results."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from reportgen.analysis.evaluation import Evaluation
from reportgen.analysis.evolution import EvolutionResult
from reportgen.errors import ReportgenError
from reportgen.read.load import LoadOptions
from reportgen.read.table import PredictionTable

if TYPE_CHECKING:
    from reportgen.read.stream import Streamed


def read_for_report(
    data: str | os.PathLike[str],
    options: LoadOptions,
    step: str | None,
    eval_split: str | None,
    tags: str | os.PathLike[str] | None,
    separators: str,
    max_samples: int,
    seed: int,
    sample_rows: int | None,
    engine: str = "local",
    pos_label: str | None = None,
    steps: Sequence[str] = (),
    at_step: str | None = None,
) -> tuple[PredictionTable, tuple[Any, Any, dict[str, Any], EvolutionResult | None, Evaluation]]:
    """Read the file in batches: the rows kept to show, the exact results, what was sampled.

    Without --eval-split, a first pass over the labels and the split column counts each
    split's rows, so that the evaluated splits are chosen as in memory before the rows are
    folded; the evaluation is then counted over the rows the report shows.
    """
    from reportgen.analysis.evaluation import ALL, choose_evaluation
    from reportgen.analysis.splits import MISSING, splits_from_matrices
    from reportgen.read.stream import SAMPLE_ROWS, read_streamed
    from reportgen.read.stream.batches import BATCH_ROWS
    from reportgen.read.stream.results import classification_exact, regression_exact
    from reportgen.record.classification import STRIP_ERRORS
    from reportgen.record.regression import LARGEST_ERRORS

    limit = SAMPLE_ROWS if sample_rows is None else sample_rows
    if limit < 1:
        raise ReportgenError(f"--sample-rows must be 1 or more, not {limit}.")
    sheet = None if tags is None else (str(tags), separators)
    default = None
    evaluated = None if eval_split in (None, ALL) else frozenset({eval_split})
    if eval_split is None:
        first = _first_pass(data, options, engine)
        if first.source.columns.split is not None:
            counts = dict(first.split_rows)
            empty = counts.pop(MISSING, 0)
            default = choose_evaluation(
                counts,
                empty,
                column=first.source.columns.split,
                requested=None,
                where=first.source.info.path or "",
            )
            evaluated = default.chosen()
    evolution, only = None, None
    if step is not None:
        evolution, only = _stream_steps(
            data, options, step, evaluated, seed, steps, at_step, engine
        )
    if engine == "spark":
        from reportgen.read.stream import Limits
        from reportgen.read.stream.spark import read_spark

        limits = Limits(limit, max_samples, STRIP_ERRORS, min(LARGEST_ERRORS, max_samples))
        read = read_spark(
            [os.fspath(data)],
            options,
            seed=seed,
            limits=limits,
            tag_sheet=sheet,
            evaluated=evaluated,
            step=step,
            only_step=only,
        )
    else:
        read = read_streamed(
            data,
            options,
            seed=seed,
            max_samples=max_samples,
            per_pair=STRIP_ERRORS,
            largest=min(LARGEST_ERRORS, max_samples),
            tag_sheet=sheet,
            sample_rows=limit,
            evaluated=evaluated,
            step=step,
            only_step=only,
        )
    assert read.shown is not None and read.sample is not None
    cols = read.source.columns
    if step is not None and step not in (
        *options.columns,
        cols.id,
        cols.sample,
        cols.buckets,
        cols.split,
        *cols.slices,
    ):
        # the step column was read only for this; within one step it says nothing
        read.shown, read.sample = (
            _without_column(read.shown, step),
            _without_column(read.sample, step),
        )
    counts = dict(read.split_rows)
    empty = counts.pop(MISSING, 0)
    evaluation = (
        default.recount(counts, empty)
        if default is not None
        else choose_evaluation(
            counts,
            empty,
            column=cols.split,
            requested=eval_split,
            where=read.source.info.path or "",
            total=read.n,
        )
    )
    exact: Any
    splits = None
    if read.task == "classification":
        exact = classification_exact(read, pos_label=pos_label)
        if read.source.columns.split is not None:
            splits = splits_from_matrices(
                read.split_matrices, read.split_labels, evaluated=evaluation.splits
            )
    else:
        exact = regression_exact(read)
    cols = read.source.columns
    if read.task == "classification":
        approximate = [
            *(["thresholds"] if cols.proba and exact.thresholds is None else []),
            *(["slices"] if cols.slices and exact.slices is None else []),
            *(["error tree"] if cols.slices else []),
            *(["threshold suggestions"] if cols.proba else []),
            *(
                ["the check that probabilities add up to 1"]
                if exact.calibration is not None and exact.calibration.sum_checked_rows
                else []
            ),
        ]
    else:
        approximate = [
            "median absolute error",
            "residual figures and quantiles",
            *(["slices"] if cols.slices else []),
        ]
    info = {
        "engine": engine,
        "batch_rows": BATCH_ROWS,
        "sample_rows": limit,
        "rows_in_sample": read.sample.n if read.sample is not None else 0,
        "sampled": read.sampled,
        "from_sample": approximate if read.sampled else [],
    }
    return read.shown, (exact, splits, info, evolution, evaluation)


def _first_pass(data: str | os.PathLike[str], options: LoadOptions, engine: str) -> Streamed:
    """Count each split's rows over the labels and the split column alone (none without one).

    Over every step's rows: the evaluated splits are chosen before the step is.
    """
    from dataclasses import replace

    from reportgen.read.stream import Limits, read_streamed

    options = replace(options, step=None)  # the step column is not read in this pass
    if engine == "spark":
        from reportgen.read.stream.spark import read_spark

        return read_spark(
            [os.fspath(data)], options, seed=0, limits=Limits(0, 0, 0, 0), splits_only=True
        )
    return read_streamed(
        data,
        options,
        seed=0,
        max_samples=0,
        per_pair=0,
        largest=0,
        sample_rows=0,
        splits_only=True,
    )


def _without_column(table: PredictionTable, column: str) -> PredictionTable:
    """The table without one of its extra columns."""
    from dataclasses import replace

    extra = tuple(c for c in table.columns.extra if c != column)
    columns = replace(table.columns, extra=extra)
    return replace(table, columns=columns, frame=table.frame[columns.shown()])


def _stream_steps(
    data: str | os.PathLike[str],
    options: LoadOptions,
    step: str,
    evaluated: frozenset[str] | None,
    seed: int,
    steps: Sequence[str],
    at_step: str | None,
    engine: str = "local",
) -> tuple[EvolutionResult, set[str]]:
    """A first pass for --step: each step's confusion matrix; which step values to keep."""
    import numpy as np

    from reportgen.analysis import classification
    from reportgen.analysis.evolution import evolution_from_matrices, step_codes, too_many_for_steps
    from reportgen.read.stream import read_streamed

    if engine == "spark":
        from reportgen.read.stream import Limits
        from reportgen.read.stream.spark import read_spark

        first = read_spark(
            [os.fspath(data)],
            options,
            seed=seed,
            limits=Limits(0, 0, 0, 0),
            evaluated=evaluated,
            step=step,
        )
    else:
        first = read_streamed(
            data,
            options,
            seed=seed,
            max_samples=0,
            per_pair=0,
            largest=0,
            sample_rows=0,
            evaluated=evaluated,
            step=step,
        )
    if first.task != "classification":
        raise ReportgenError(
            f"--step {step}: training evolution applies to classification files, and this is "
            "a regression file; leave --step out, or pass --task classification if the numbers "
            "are class labels."
        )
    if len(first.labels) > classification.MANY_CLASSES:
        raise too_many_for_steps(step, len(first.labels))
    keys = list(first.step_values)
    codes, names = step_codes(pd.Series([first.step_values[k] for k in keys], dtype="object"))
    name_of = {key: names[int(c)] for key, c in zip(keys, codes, strict=True)}
    k = len(first.labels)
    matrices = {name: np.zeros((k, k), dtype=np.int64) for name in names}
    for key, matrix in first.step_matrices.items():
        matrices[name_of[key]] += matrix.dense()
    evolution = evolution_from_matrices(
        names,
        [matrices[n] for n in names],
        first.labels,
        column=step,
        steps=[str(v) for v in steps],
        at_step=at_step,
    )
    return evolution, {key for key, name in name_of.items() if name == evolution.shown_step}
