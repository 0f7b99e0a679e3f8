"""Read a file for a report in batches (or with Spark): the rows to show and exact results."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pandas as pd

from reportgen.analysis.evaluation import Evaluation
from reportgen.analysis.evolution import EvolutionResult
from reportgen.errors import ReportgenError
from reportgen.read.exact import ClassificationExact, Exact
from reportgen.read.load import LoadOptions
from reportgen.read.result import ReadOptions, ReadResult
from reportgen.read.steps import regression_refused, shows_step_column
from reportgen.read.stream import SAMPLE_ROWS, batches, read_streamed
from reportgen.read.stream.streamed import Limits, Streamed
from reportgen.read.table import without_column
from reportgen.record.types import StreamBlock

NOTHING_KEPT = Limits(0, 0, 0, 0)  # a pass that only counts


def read_for_report(data: str | os.PathLike[str], options: ReadOptions) -> ReadResult:
    """Read the file in batches: the rows kept to show, the exact results, what was sampled.

    Without --eval-split, a first pass over the labels and the split column counts each
    split's rows, so that the evaluated splits are chosen as in memory before the rows are
    folded; the evaluation is then counted over the rows the report shows.
    """
    from reportgen.analysis.evaluation import ALL, choose_evaluation
    from reportgen.analysis.splits import MISSING, splits_from_matrices
    from reportgen.read.stream.results import classification_exact, regression_exact

    limit = SAMPLE_ROWS if options.sample_rows is None else options.sample_rows
    if limit < 1:
        raise ReportgenError(f"--sample-rows must be 1 or more, not {limit}.")
    load, eval_split, step = options.load, options.eval_split, options.load.step
    default = None if eval_split is not None else _default_evaluation(data, load, options.engine)
    if default is not None:
        evaluated = default.chosen()
    else:
        evaluated = None if eval_split in (None, ALL) else frozenset({eval_split})
    evolution, only = None, None
    if step is not None:
        evolution, only = _stream_steps(data, options, step, evaluated)
    read = _fold(data, options, limit, evaluated, only)
    assert read.shown is not None and read.sample is not None
    cols = read.source.columns
    if step is not None and not shows_step_column(step, load, cols):
        # the step column was read only for this; within one step it says nothing
        read.shown = without_column(read.shown, step)
        read.sample = without_column(read.sample, step)
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
    exact: Exact
    splits = None
    if read.task == "classification":
        exact = classification_exact(read, pos_label=options.pos_label)
        if cols.split is not None:
            splits = splits_from_matrices(
                read.split_matrices, read.split_labels, evaluated=evaluation.splits
            )
    else:
        exact = regression_exact(read)
    return ReadResult(
        table=read.shown,
        evaluation=evaluation,
        exact=exact,
        splits=splits,
        evolution=evolution,
        stream=_stream_block(read, exact, options.engine, limit),
    )


def _fold(
    data: str | os.PathLike[str],
    options: ReadOptions,
    limit: int,
    evaluated: frozenset[str] | None,
    only: set[str] | None,
) -> Streamed:
    """Fold the evaluated rows (of the step shown), keeping the rows to show and the sample."""
    from reportgen.analysis.samples import LARGEST_ERRORS, STRIP_ERRORS

    largest = min(LARGEST_ERRORS, options.max_samples)
    return _pass(
        data,
        options.load,
        options.engine,
        seed=options.seed,
        limits=Limits(limit, options.max_samples, STRIP_ERRORS, largest),
        tag_sheet=None if options.tags is None else (options.tags, options.tag_separators),
        evaluated=evaluated,
        step=options.load.step,
        only_step=only,
    )


def _pass(
    data: str | os.PathLike[str],
    load: LoadOptions,
    engine: str,
    *,
    seed: int,
    limits: Limits,
    **what: Any,
) -> Streamed:
    """One pass over the file with the engine asked for; `what` as read_streamed takes it."""
    if engine == "spark":
        from reportgen.read.stream.spark import read_spark

        return read_spark([os.fspath(data)], load, seed=seed, limits=limits, **what)
    return read_streamed(
        data,
        load,
        seed=seed,
        max_samples=limits.errors,
        per_pair=limits.per_pair,
        largest=limits.largest,
        sample_rows=limits.sample,
        **what,
    )


def _stream_block(read: Streamed, exact: Exact, engine: str, limit: int) -> StreamBlock:
    """Say how the read went, and which parts of the report come from the analysis sample."""
    cols = read.source.columns
    if isinstance(exact, ClassificationExact):
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
    return StreamBlock(
        engine=engine,
        batch_rows=batches.BATCH_ROWS,  # read when called: tests set it
        sample_rows=limit,
        rows_in_sample=read.sample.n if read.sample is not None else 0,
        sampled=read.sampled,
        from_sample=approximate if read.sampled else [],
    )


def _default_evaluation(
    data: str | os.PathLike[str], load: LoadOptions, engine: str
) -> Evaluation | None:
    """Choose the evaluated splits as in memory, from a first pass counting each split's rows.

    The pass reads the labels and the split column alone (no rows at all without one), over
    every step's rows: the evaluated splits are chosen before the step is.
    """
    from reportgen.analysis.evaluation import choose_evaluation
    from reportgen.analysis.splits import MISSING

    # the step column is not read in this pass
    first = _pass(
        data, replace(load, step=None), engine, seed=0, limits=NOTHING_KEPT, splits_only=True
    )
    if first.source.columns.split is None:
        return None
    counts = dict(first.split_rows)
    empty = counts.pop(MISSING, 0)
    return choose_evaluation(
        counts,
        empty,
        column=first.source.columns.split,
        requested=None,
        where=first.source.info.path or "",
    )


def _stream_steps(
    data: str | os.PathLike[str],
    options: ReadOptions,
    step: str,
    evaluated: frozenset[str] | None,
) -> tuple[EvolutionResult, set[str]]:
    """A first pass for --step: each step's confusion matrix; which step values to keep."""
    import numpy as np

    from reportgen.analysis import classification as analysis
    from reportgen.analysis.evolution import evolution_from_matrices, step_codes, too_many_for_steps

    first = _pass(
        data,
        options.load,
        options.engine,
        seed=options.seed,
        limits=NOTHING_KEPT,
        evaluated=evaluated,
        step=step,
    )
    if first.task != "classification":
        raise regression_refused(step)
    if len(first.labels) > analysis.MANY_CLASSES:
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
        steps=list(options.steps),
        at_step=options.at_step,
    )
    return evolution, {key for key, name in name_of.items() if name == evolution.shown_step}
