"""Read predictions for a report: in memory, in batches or with Spark, into one ReadResult."""

from __future__ import annotations

import os

import pandas as pd

from reportgen.errors import ReportgenError
from reportgen.read.result import ENGINES, ReadOptions, ReadResult


def read_predictions(
    data: str | os.PathLike[str] | pd.DataFrame, options: ReadOptions
) -> ReadResult:
    """Read a file path or DataFrame the way the options and its size ask.

    A DataFrame is read in memory; a file is streamed when asked (`options.stream`), when it
    is larger than STREAM_ABOVE, or with `engine="spark"`.
    """
    from reportgen.read.stream import should_stream

    frame = isinstance(data, pd.DataFrame)
    if options.stream and frame:
        raise ReportgenError("stream reads files in batches; a DataFrame is already in memory.")
    if options.engine not in ENGINES:
        raise ReportgenError(f"engine must be local or spark, not '{options.engine}'.")
    spark = options.engine == "spark"
    if spark and (frame or options.stream is False):
        raise ReportgenError(
            "--engine spark reads Parquet files in parts; it cannot take a DataFrame or "
            "--no-stream."
        )
    if isinstance(data, pd.DataFrame) or not (
        spark or should_stream(data, options.stream, options.load.format)
    ):
        from reportgen.read.in_memory import read_in_memory

        read = read_in_memory(data, options)
    else:
        from reportgen.read.stream.for_report import read_for_report

        read = read_for_report(data, options)
    table, pos_label = read.table, options.pos_label
    if pos_label is not None and table.task == "classification" and len(table.labels) != 2:
        raise ReportgenError(
            f"--pos-label {pos_label}: a positive class applies to files with two labels; this "
            f"one has {len(table.labels)} ({', '.join(table.labels[:10])})."
        )
    return read
