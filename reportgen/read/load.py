"""Read prediction files into a PredictionTable: find the columns, validate, explain bad input."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.read.columns import map_columns
from reportgen.read.jsonl import read_jsonl
from reportgen.read.readers import (
    check_file,
    clean_name,
    read_columns,
    read_names,
    refuse_duplicate_names,
    sha256_of,
)
from reportgen.read.scan import check_cells, scan_file
from reportgen.read.table import PredictionTable, SourceInfo
from reportgen.read.textin import show_controls, warn_controls
from reportgen.read.validate import validate_frame


@dataclass(frozen=True)
class LoadOptions:
    """How to read and interpret a prediction file; None means auto-detect."""

    format: str | None = None
    y_true: str | None = None
    y_pred: str | None = None
    proba_prefix: str | None = None
    id: str | None = None
    sample: str | None = None
    buckets: str | None = None
    split: str | None = None
    columns: tuple[str, ...] = ()
    slices: tuple[str, ...] = ()
    slice_all: bool = False
    task: str = "auto"
    dropna: bool = False
    step: str | None = None  # epoch or step column: ids repeat across steps, once within each
    # compare: a --split column one of the two files lacks is read as none (the other's serves)
    split_optional: bool = False


def load_predictions(
    data: str | os.PathLike[str] | pd.DataFrame, options: LoadOptions | None = None
) -> PredictionTable:
    """Load, map and validate predictions from a file path or a DataFrame."""
    options = options or LoadOptions()
    controls = True  # whether the text may hold control characters (files: found by the scan)
    if isinstance(data, pd.DataFrame):
        where = "the DataFrame"
        refuse_duplicate_names([str(c) for c in data.columns], where, place="the DataFrame")
        frame = data.copy()
        frame.columns = [clean_name(str(c)) for c in frame.columns]
        source = SourceInfo(path=None, format=None, size=None, sha256=None)
        columns = map_columns(list(frame.columns), options, where)
        frame = frame[list(columns.needed())]
    else:
        path = Path(data)
        where = str(data)
        fmt = check_file(path, options.format, where)
        digest = None
        if fmt != "parquet":
            # bounded cells and lines before any parser sees the text (a decompression bomb)
            scan = scan_file(path, fmt, where)
            # JSON can write a control character as an escape (\u0000) the scan cannot see
            digest, controls = scan.sha256, scan.controls or fmt == "jsonl"
        if fmt == "jsonl":
            whole = read_jsonl(path, where)
            columns = map_columns(list(whole.columns), options, where)
            frame = whole[list(columns.needed())]
            for name in frame.columns:
                if not pd.api.types.is_numeric_dtype(frame[name].dtype):
                    check_cells(frame[name], name, where, np.arange(1, len(frame) + 1))
        else:
            names = read_names(path, fmt, where)
            columns = map_columns([clean_name(n) for n in names], options, where)
            frame = read_columns(path, fmt, names, columns, where)
        source = SourceInfo(
            path=path.name,
            format=fmt,
            size=path.stat().st_size,
            sha256=digest if digest is not None else sha256_of(path),
        )
    if controls:
        frame = frame.copy() if isinstance(data, pd.DataFrame) else frame
        warn_controls(show_controls(frame, where, (columns.y_true, columns.y_pred)), where)
    return validate_frame(frame, columns, source, options, where)
