"""Out-of-core reading: fold a large file batch by batch into exact counts and kept rows.

Counts and sums are exact: confusion matrices (overall, per split, per step), calibration
bins, regression error sums, and rows counted by slice values or by a binary task's scores
while those take few values. Shown rows are the same as the in-memory path's (bottom-k of a
seeded row key; largest errors by rank). What needs every row at once (most threshold curves,
numeric slices, the error tree, residual quantiles and figures) is computed from an analysis
sample: the `sample_rows` rows with the smallest keys, which is every row when the file has
no more.
"""

from __future__ import annotations

import os

from reportgen.read.load import LoadOptions
from reportgen.read.stream.batches import Source, open_source, read_batches
from reportgen.read.stream.finish import finish
from reportgen.read.stream.fold import Fold
from reportgen.read.stream.streamed import Limits, Streamed
from reportgen.read.stream.tagged import tag_marks
from reportgen.read.table import ColumnMap

SAMPLE_ROWS = 1_000_000
STREAM_ABOVE = 1_000_000_000  # bytes: larger files are streamed unless told otherwise


def should_stream(
    path: str | os.PathLike[str], stream: bool | None, fmt: str | None = None
) -> bool:
    """Stream when asked, or when the file is larger than STREAM_ABOVE and not told otherwise."""
    if stream is not None:
        return stream
    try:
        large = os.path.getsize(path) > STREAM_ABOVE
    except OSError:
        return False
    # JSON Lines is read whole, whatever its size
    named = str(path).lower().endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"))
    return large and fmt != "jsonl" and not named


def read_streamed(
    path: str | os.PathLike[str],
    options: LoadOptions,
    *,
    seed: int,
    max_samples: int,
    per_pair: int,
    largest: int,
    tag_sheet: tuple[str, str] | None = None,
    sample_rows: int = SAMPLE_ROWS,
    batch_rows: int | None = None,
    evaluated: frozenset[str] | None = None,
    step: str | None = None,
    only_step: set[str] | None = None,
    splits_only: bool = False,
) -> Streamed:
    """Read the file in batches and fold it: one pass, memory bounded by the kept rows.

    `evaluated` keeps only the rows of those splits (None: every row); `splits_only` reads
    just the labels and the split column and counts the rows of each split (no rows at all
    when there is no split column).
    """
    from reportgen.read.stream import batches as batching

    source = open_source(os.fspath(path), options, digest=not splits_only)
    if splits_only:
        source = narrowed(source)
        if source.columns.split is None:
            return Streamed(source, "", 0, 0, 0)
    fold = Fold(
        seed=seed,
        limits=Limits(sample_rows, max_samples, per_pair, largest),
        marks=tag_marks(tag_sheet, source.columns.id),
        evaluated=evaluated,
        step=step,
        only_step=only_step,
        splits_only=splits_only,
    )
    size = batching.BATCH_ROWS if batch_rows is None else batch_rows
    for table in read_batches(source, options, batch_rows=size):
        fold.add(table)
    return finish(fold, source, options)


def narrowed(source: Source) -> Source:
    """The same source reading only the labels and the split column."""
    from dataclasses import replace

    cols = source.columns
    return replace(source, columns=ColumnMap(cols.y_true, cols.y_pred, split=cols.split))
