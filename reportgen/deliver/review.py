"""Draw a seeded random sample of errors, stratified by confusion pair, as a review sheet."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.evaluation import Evaluation, choose_rows
from reportgen.deliver.files import write_atomic
from reportgen.errors import ReportgenError
from reportgen.read.table import PredictionTable, label_text
from reportgen.read.tags import (
    BUCKET_ALIASES,
    ID_ALIASES,
    MARKER_COLUMN,
    ROW_ID,
    Sampling,
    escape_cell,
)

FIXED_COLUMNS = ("true", "predicted", "confidence", "buckets", "notes", MARKER_COLUMN)


@dataclass(frozen=True)
class Stratum:
    """One confusion pair: how many errors it has and how many were drawn from it."""

    true: str
    pred: str
    errors: int
    sampled: int


@dataclass(frozen=True, eq=False)
class ReviewSample:
    """The drawn errors: table positions (0-based) in file order, and how they were drawn."""

    positions: np.ndarray
    sampling: Sampling
    strata: tuple[Stratum, ...]  # every pair with errors, most errors first
    evaluation: Evaluation  # the rows drawn from, chosen as a report chooses them

    def where(self) -> str:
        """Name the rows drawn from: '' (a file without splits), " in split 'dev'"..."""
        ev = self.evaluation
        if ev.rule == "no-split":
            return ""
        if ev.rule == "all":
            return " in every split"
        names = [f"'{name}'" for name in ev.splits]
        if len(names) == 1:
            return f" in split {names[0]}"
        return f" in splits {', '.join(names[:-1])} and {names[-1]}"

    def describe(self) -> str:
        """Say in one line what was drawn: '100 of 1,234 errors, stratified by ...'."""
        s = self.sampling
        where = self.where()
        pairs = f"{len(self.strata)} confusion {'pair' if len(self.strata) == 1 else 'pairs'}"
        if s.n >= s.total_errors:
            return f"all {s.total_errors:,} errors{where} ({pairs}), seed {s.seed}"
        return f"{s.n:,} of {s.total_errors:,} errors{where}, stratified by {pairs}, seed {s.seed}"


def allocate(sizes: np.ndarray, n: int) -> np.ndarray:
    """Share n draws among strata in proportion to their sizes (largest remainder).

    Every stratum gets at least one draw when n is at least the number of strata, taken from
    the strata that stay nearest their proportional share; none gets more than its size.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    total = int(sizes.sum())
    if n >= total:
        return sizes.copy()
    # integer arithmetic: quota_k = n * size_k / total exactly, as floor and remainder
    take, remainder = np.divmod(n * sizes, total)
    left = n - int(take.sum())
    if left:
        # largest remainder first; ties go to the larger stratum, then to the earlier one
        order = np.lexsort((np.arange(len(sizes)), -sizes, -remainder))
        take[order[:left]] += 1
    if n >= len(sizes):
        for empty in np.flatnonzero(take == 0):
            # the donor is the stratum furthest above its quota (scaled by total, exactly)
            excess = np.where(take >= 2, take * total - n * sizes, np.iinfo(np.int64).min)
            donor = int(np.argmax(excess))
            take[donor] -= 1
            take[empty] += 1
    return np.asarray(take, dtype=np.int64)


def draw_errors(
    table: PredictionTable, *, n: int, seed: int, eval_split: str | None = None
) -> ReviewSample:
    """Draw n errors at random with numpy's default_rng(seed), stratified by confusion pair.

    The errors are drawn from the rows a report describes (see analysis/evaluation.py): the
    split `eval_split` names, 'all' for every row, or by default the development split, else
    test, else every split but train. The sheet's marker names those splits, so that `build
    --tags` knows the sheet for a random sample of the errors of the rows it describes.
    """

    where = table.source.path or "the DataFrame"
    if table.task != "classification":
        raise ReportgenError(
            f"{where}: sample-errors needs class labels, but the predictions were read as "
            "regression (numeric targets), where no row is simply right or wrong. If the "
            "numbers are class labels, pass --task classification."
        )
    if n < 1:
        raise ReportgenError(f"the sample size must be at least 1, not {n}.")
    if seed < 0:
        raise ReportgenError(f"the seed must be zero or positive, not {seed}.")
    evaluation = choose_rows(table, eval_split)
    wrong = table.true_codes != table.pred_codes
    if evaluation.restricts:
        assert table.columns.split is not None
        wrong &= evaluation.mask(table.frame[table.columns.split])
    positions = np.flatnonzero(wrong)
    total = len(positions)
    if total == 0:
        nothing = ReviewSample(np.zeros(0, np.int64), Sampling(seed, 0, 0), (), evaluation)
        what = nothing.where().strip() or "in the file"
        raise ReportgenError(
            f"{where}: there are no errors {what} (every prediction is right); "
            "there is nothing to review."
        )
    width = max(len(table.labels), 1)
    pair = table.true_codes[positions] * width + table.pred_codes[positions]
    keys, inverse, sizes = np.unique(pair, return_inverse=True, return_counts=True)
    take = allocate(sizes, n)
    groups = np.split(positions[np.argsort(inverse, kind="stable")], np.cumsum(sizes)[:-1])
    rng = np.random.default_rng(seed)
    chosen = [
        members if k == len(members) else rng.choice(members, size=int(k), replace=False)
        for members, k in zip(groups, take, strict=True)
    ]
    strata = [
        Stratum(
            true=table.labels[int(key) // width],
            pred=table.labels[int(key) % width],
            errors=int(size),
            sampled=int(k),
        )
        for key, size, k in zip(keys, sizes, take, strict=True)
    ]
    strata.sort(key=lambda s: -s.errors)  # stable: equal pairs keep label order
    drawn = int(take.sum())
    return ReviewSample(
        positions=np.sort(np.concatenate(chosen)).astype(np.int64),
        sampling=Sampling(
            seed=seed,
            n=drawn,
            total_errors=total,
            split=evaluation.key,
            stratified=drawn < total,
        ),
        strata=tuple(strata),
        evaluation=evaluation,
    )


def review_sheet_csv(table: PredictionTable, sample: ReviewSample) -> str:
    """The drawn errors as a CSV that spreadsheets open cleanly.

    UTF-8 with a byte-order mark (so that Excel reads UTF-8), commas, CRLF line ends as
    RFC 4180 and Excel write them, formula-like cells guarded by an apostrophe. The
    `buckets` and `notes` columns are left empty for the reviewer; every row carries the
    sampling marker, so that the filled sheet read back by `--tags` is known to be random.
    """
    positions = sample.positions
    columns = table.columns
    id_name = "id" if columns.id is not None else ROW_ID
    if columns.id is not None:
        # the same text as a join on the id column sees (astype("str")): 7.0 stays '7.0'
        ids = table.frame[columns.id].astype("str").to_numpy()[positions].tolist()
    else:
        ids = [str(int(r)) for r in table.row_numbers[positions]]
    header = [id_name, "true", "predicted"]
    body: list[list[str]] = [
        ids,
        [table.labels[c] for c in table.true_codes[positions]],
        [table.labels[c] for c in table.pred_codes[positions]],
    ]
    if table.confidence is not None:
        header.append("confidence")
        body.append([f"{c:.3f}" for c in table.confidence[positions]])
    if columns.sample is not None:
        header.append(_sample_header(columns.sample))
        body.append([_text(v) for v in table.frame[columns.sample].to_numpy()[positions]])
    marker = sample.sampling.marker()
    header += ["buckets", "notes", MARKER_COLUMN]
    body += [[""] * len(positions), [""] * len(positions), [marker] * len(positions)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_cell(h) for h in header])
    writer.writerows([escape_cell(c) for c in row] for row in zip(*body, strict=True))
    return "\ufeff" + out.getvalue()


def write_review_sheet(
    table: PredictionTable, sample: ReviewSample, path: str | os.PathLike[str]
) -> None:
    """Write the review sheet atomically."""
    write_atomic(path, review_sheet_csv(table, sample))


def _sample_header(name: str) -> str:
    """Keep the sample column's name unless the sheet reader would take it for another role."""
    reserved = {"id", ROW_ID, *FIXED_COLUMNS, *ID_ALIASES, *BUCKET_ALIASES}
    return "sample" if name.strip().lower() in reserved else name


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return label_text(value)
