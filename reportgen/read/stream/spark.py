"""The Spark engine: fold each partition of Parquet data on the executors, merge the folds.

Every partition runs the same checks and the same Fold as the local streaming reader, on
pandas batches that Spark hands over through Arrow (`mapInPandas`); the partial folds are
merged in a tree (`treeReduce`), so the driver only ever holds a couple of them. Row numbers
are the rows' positions in the files, taken in path order (`_metadata.row_index` plus the row
counts of the files before), so the shown samples are the ones the local paths show.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError
from reportgen.read.columns import map_columns
from reportgen.read.load import LoadOptions
from reportgen.read.readers import clean_name, refuse_duplicate_names, sha256_of
from reportgen.read.stream import narrowed
from reportgen.read.stream.batches import Source
from reportgen.read.stream.finish import finish
from reportgen.read.stream.fold import Fold
from reportgen.read.stream.streamed import Limits, Streamed
from reportgen.read.stream.tagged import tag_marks
from reportgen.read.table import SourceInfo
from reportgen.read.validate import validate_frame

INSTALL = "pip install 'reportgen[spark]' (PySpark, with Java 17 or newer)"
_FILE, _INDEX = "_reportgen_file", "_reportgen_row_index"


def session() -> Any:
    """The active Spark session, or a local one using every core."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ReportgenError(f"--engine spark needs PySpark: {INSTALL}.") from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # local workers must run this interpreter, where reportgen is installed
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder: Any = SparkSession.builder
    return (
        builder.appName("reportgen")
        .master(os.environ.get("REPORTGEN_SPARK_MASTER", "local[*]"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )


def _info(paths: list[str]) -> SourceInfo:
    """Name, size and hash of local inputs; remote ones are named only."""
    local = [Path(p) for p in paths if "://" not in p or p.startswith("file:")]
    files: list[Path] = []
    for path in local:
        path = Path(str(path).removeprefix("file:"))
        files += sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    name = ", ".join(Path(p).name for p in paths)
    if len(local) != len(paths) or not files:
        return SourceInfo(path=name, format="parquet", size=None, sha256=None)
    if len(files) == 1:
        digest = sha256_of(files[0])
    else:  # a folder of parts: the hash of the parts' hashes, in path order
        digest = hashlib.sha256("".join(sha256_of(f) for f in files).encode()).hexdigest()
    return SourceInfo(
        path=name, format="parquet", size=sum(f.stat().st_size for f in files), sha256=digest
    )


def read_spark(
    paths: list[str],
    options: LoadOptions,
    *,
    seed: int,
    limits: Limits,
    tag_sheet: tuple[str, str] | None = None,
    evaluated: frozenset[str] | None = None,
    step: str | None = None,
    only_step: set[str] | None = None,
    splits_only: bool = False,
) -> Streamed:
    """Fold Parquet data with Spark: one pass over the rows, plus a count per file.

    `evaluated` and `splits_only` as for the local reader (read_streamed).
    """
    spark = session()  # first: without PySpark, it says how to install it
    from pyspark.sql import functions as F

    where = ", ".join(paths)
    try:
        frame = spark.read.parquet(*paths)
    except Exception as exc:
        raise ReportgenError(
            f"{where}: Spark could not read it as Parquet: {_reason(exc)}"
        ) from exc
    refuse_duplicate_names(list(frame.columns), where, place="the schema")
    original = {clean_name(c): c for c in frame.columns}
    columns = map_columns(list(original), options, where)
    source = Source(Path(paths[0]), "parquet", columns, original, _info(paths), where)
    if splits_only:
        source = narrowed(source)
        columns = source.columns
        if columns.split is None:
            return Streamed(source, "", 0, 0, 0)
    wanted = [original[c] for c in columns.needed()]
    data = frame.select(
        *[F.col(f"`{c}`") for c in wanted],
        F.col("_metadata.file_path").alias(_FILE),
        F.col("_metadata.row_index").alias(_INDEX),
    )
    counts = {r[_FILE]: int(r["count"]) for r in data.groupBy(_FILE).count().collect()}
    offsets, total = {}, 0
    for name in sorted(counts):
        offsets[name] = total
        total += counts[name]
    if total == 0:
        raise ReportgenError(
            f"{where}: has column names but no rows; there is nothing to report on."
        )
    task = options.task
    if task == "auto":  # the first rows decide, as for the local reader
        first = sorted(counts)[0]
        from reportgen.read.stream import batches as batching

        rows = batching.BATCH_ROWS  # the local reader's first batch
        head = data.where(F.col(_FILE) == first).orderBy(_INDEX).limit(rows).toPandas()
        task = _part(head, source, options, offsets).task
    settings = replace(options, task=task)
    marks = tag_marks(tag_sheet, columns.id)

    def fold_part(parts: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        fold = Fold(
            seed=seed,
            limits=limits,
            marks=marks,
            evaluated=evaluated,
            step=step,
            only_step=only_step,
            splits_only=splits_only,
        )
        for part in parts:
            fold.add(_part(part, source, settings, offsets))
        yield pd.DataFrame({"fold": [pickle.dumps(fold, protocol=pickle.HIGHEST_PROTOCOL)]})

    try:
        folds = data.mapInPandas(fold_part, schema="fold binary").rdd
        merged: Fold = folds.map(lambda row: pickle.loads(row.fold)).treeReduce(
            lambda a, b: a.merge(b)
        )
    except Exception as exc:
        found = re.search(r"ReportgenError: (.*)", str(exc))
        if found:
            raise ReportgenError(found.group(1).strip()) from None
        raise ReportgenError(f"{where}: the Spark job failed: {_reason(exc)}") from exc
    return finish(merged, source, options)


def _part(part: pd.DataFrame, source: Source, options: LoadOptions, offsets: dict[str, int]) -> Any:
    """Check and code one Arrow batch of a partition, numbered by its rows in the files."""
    files = part[_FILE].map(offsets).to_numpy(dtype=np.int64)
    rows = files + part[_INDEX].to_numpy(dtype=np.int64) + 1
    cells = part.drop(columns=[_FILE, _INDEX])
    cells.columns = [clean_name(str(c)) for c in cells.columns]
    return validate_frame(
        cells.reset_index(drop=True),
        source.columns,
        source.info,
        options,
        source.where,
        batch=True,
        row_numbers=rows,
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
