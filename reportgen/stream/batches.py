"""Read a prediction file in record batches (pyarrow), each checked and coded like a whole file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError
from reportgen.load import LoadOptions, _map_columns, _validate
from reportgen.readers import (
    check_file,
    clean_name,
    numeric_categories,
    plain_numbers,
    read_names,
    sha256_of,
)
from reportgen.table import ColumnMap, PredictionTable, SourceInfo

BATCH_ROWS = 262_144


@dataclass(frozen=True)
class Source:
    """A file about to be streamed: where it is, its format, columns and provenance."""

    path: Path
    format: str
    columns: ColumnMap
    original: dict[str, str]  # cleaned column name -> name in the file
    info: SourceInfo
    where: str


def open_source(path: str | Path, options: LoadOptions, *, digest: bool = True) -> Source:
    """Check the file and map its columns without reading its rows (digest: hash it too)."""
    target = Path(path)
    where = str(path)
    fmt = check_file(target, options.format, where)
    if fmt not in ("csv", "tsv", "parquet"):
        raise ReportgenError(
            f"{where}: streaming reads Parquet, CSV and TSV files; JSON Lines is read whole "
            "(leave out --stream, or convert the file to Parquet)."
        )
    names = read_names(target, fmt, where)
    original = {clean_name(n): n for n in names}
    columns = _map_columns(list(original), options, where)
    info = SourceInfo(
        path=target.name,
        format=fmt,
        size=target.stat().st_size,
        sha256=sha256_of(target) if digest else None,
    )
    return Source(target, fmt, columns, original, info, where)


def _frames(source: Source, batch_rows: int) -> Iterator[pd.DataFrame]:
    """Yield the needed columns in batches, named as cleaned."""
    needed = list(source.columns.needed())
    wanted = [source.original[c] for c in needed]
    rename = {source.original[c]: c for c in needed}
    try:
        if source.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pq.read_schema(source.path)
            labels = {source.original[c] for c in (source.columns.y_true, source.columns.y_pred)}
            dictionary = [
                n
                for n in labels
                if pa.types.is_string(schema.field(n).type)
                or pa.types.is_large_string(schema.field(n).type)
            ]
            # not memory-mapped: mapped pages of a large file would count in the resident size
            parquet = pq.ParquetFile(source.path, read_dictionary=dictionary, memory_map=False)
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=wanted):
                yield batch.to_pandas().rename(columns=rename)
            return
        import pyarrow as pa
        import pyarrow.csv as pacsv

        # every cell read as text, then typed per batch the way pandas types a column
        reader = pacsv.open_csv(
            source.path,
            read_options=pacsv.ReadOptions(block_size=_block_size(batch_rows), encoding="utf8"),
            parse_options=pacsv.ParseOptions(delimiter="\t" if source.format == "tsv" else ","),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={name: pa.string() for name in wanted},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
        for batch in reader:
            yield _typed(batch.to_pandas().rename(columns=rename), source.columns)
    except ReportgenError:
        raise
    except Exception as exc:  # pyarrow's readers raise their own types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportgenError(
            f"{source.where}: could not be read as {source.format.upper()} in batches: {reason}"
        ) from exc


def _block_size(batch_rows: int) -> int:
    """Bytes per CSV block: about batch_rows rows of 64 bytes, within 4 KB and 64 MB."""
    return max(1 << 12, min(1 << 26, batch_rows * 64))


def _typed(frame: pd.DataFrame, columns: ColumnMap) -> pd.DataFrame:
    """Give text columns numbers where every cell is one, as pandas' CSV reader does."""
    keep_text = {columns.id, columns.sample}
    # labels are numbers only when written plainly, as the in-memory reader decides
    plain_only = {columns.y_true, columns.y_pred, columns.split}
    for name in frame.columns:
        if name in keep_text:
            continue
        values = frame[name]
        present = values.notna()
        if name in plain_only and not plain_numbers(values[present]):
            frame[name] = numeric_categories(values.astype("category"))
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        if bool((numbers.notna() == present).all()):
            whole = numbers.dropna()
            is_int = bool((whole == np.round(whole)).all()) and not present.eq(False).any()
            frame[name] = numbers.astype("int64") if is_int and len(whole) else numbers
    return frame


def read_batches(
    source: Source, options: LoadOptions, *, batch_rows: int = BATCH_ROWS
) -> Iterator[PredictionTable]:
    """Yield each batch as a checked, coded table with the file's own row numbers."""
    first_row = 1
    task = options.task
    for frame in _frames(source, batch_rows):
        n = len(frame)
        if n == 0:
            continue
        table = _validate(
            frame,
            source.columns,
            source.info,
            replace(options, task=task),
            source.where,
            first_row=first_row,
            batch=True,
        )
        # the first batch decides the task; the others are read as that task
        task = table.task
        first_row += n
        yield table
    if first_row == 1:
        raise ReportgenError(
            f"{source.where}: has column names but no rows; there is nothing to report on."
        )
