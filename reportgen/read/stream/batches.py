"""Read a prediction file in record batches (pyarrow), each checked and coded like a whole file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError, as_written
from reportgen.read.columns import map_columns
from reportgen.read.load import LoadOptions
from reportgen.read.plain_numbers import numeric_categories, plain_numbers
from reportgen.read.readers import (
    check_file,
    clean_name,
    read_names,
    sha256_of,
)
from reportgen.read.scan import scan_chunks
from reportgen.read.table import ColumnMap, PredictionTable, SourceInfo
from reportgen.read.textin import (
    GZIP_ERRORS,
    LINE_FACTOR,
    MAX_CELL_BYTES,
    is_gzip,
    limit_text,
    max_cell_bytes,
    max_line_bytes,
    open_bytes,
    raised,
    show_controls,
    warn_controls,
)
from reportgen.read.validate import validate_frame

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
    if fmt != "parquet":
        # the header and the first lines within the limits before pandas reads the header
        try:
            with open_bytes(target) as fh:
                head = fh.read(max_line_bytes() + 1)
        except GZIP_ERRORS as exc:
            raise ReportgenError(
                f"{where}: could not be read as {fmt.upper()}: its gzip data is corrupt "
                f"({as_written(str(exc) or type(exc).__name__)})."
            ) from exc
        scan_chunks([head], fmt, where)
    names = read_names(target, fmt, where)
    original = {clean_name(n): n for n in names}
    columns = map_columns(list(original), options, where)
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

        # a line longer than a block is refused; with the default batch a block holds two of
        # the longest lines allowed, and a raised --max-cell-bytes raises the block with it
        block = _block_size(batch_rows)
        if max_cell_bytes() > MAX_CELL_BYTES:
            block = max(block, 2 * max_line_bytes())
        # every cell read as text, then typed per batch the way pandas types a column;
        # compressed or not by the content, not the name (pyarrow would go by the name)
        compression = "gzip" if is_gzip(source.path) else None
        with pa.input_stream(str(source.path), compression=compression) as stream:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=block, encoding="utf8"),
                parse_options=pacsv.ParseOptions(delimiter="\t" if source.format == "tsv" else ","),
                convert_options=pacsv.ConvertOptions(
                    include_columns=wanted,
                    column_types={name: pa.string() for name in wanted},
                    strings_can_be_null=True,
                    null_values=[""],
                ),
            )
            first = 1
            for batch in reader:
                _check_batch(batch, source, first)
                first += batch.num_rows
                yield _typed(batch.to_pandas().rename(columns=rename), source.columns)
    except ReportgenError:
        raise
    except Exception as exc:  # pyarrow's readers raise their own types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "straddl" in reason:  # a line longer than a block
            raise ReportgenError(
                f"{source.where}: holds a line longer than {limit_text(block)}, the most a "
                "streamed read takes (twice the limit per line, which is "
                f"{LINE_FACTOR} times the cell limit of {limit_text(max_cell_bytes())}); reading "
                "stopped there. A compressed file can hold a line far larger than "
                "the file looks (a decompression bomb), so lines are bounded. If the data is "
                "meant to be this long, raise the limit with --max-cell-bytes."
            ) from exc
        raise ReportgenError(
            f"{source.where}: could not be read as {source.format.upper()} in batches: {reason}"
        ) from exc


def _check_batch(batch: Any, source: Source, first: int) -> None:
    """Refuse a cell over the limit in one batch of text columns (first: its first row)."""
    import pyarrow.compute as pc

    limit = max_cell_bytes()
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        lengths = pc.binary_length(column)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limit:
            row = first + int(pc.index(pc.greater(lengths, limit), True).as_py())
            raise ReportgenError(
                f"{source.where}: column '{clean_name(name)}' row {row} has a cell longer than "
                f"{limit_text(limit)}, the limit per cell; reading stopped there. A compressed "
                "file can hold a cell far larger than the file looks (a decompression bomb), "
                "so cells are bounded. If the data is meant to be this long, raise the limit "
                f"with --max-cell-bytes (e.g. --max-cell-bytes {raised(limit)}). Rows "
                "are counted from 1 after the header."
            )


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
            # beyond 2**53 a float is always 'whole' and int64 wraps past 2**63 (1e300 became
            # -9223372036854775808): such columns stay floats, as pandas' reader keeps them
            is_int = (
                bool((whole == np.round(whole)).all())
                and bool((whole.abs() <= 2**53).all())
                and not present.eq(False).any()
            )
            frame[name] = numbers.astype("int64") if is_int and len(whole) else numbers
    return frame


def read_batches(
    source: Source, options: LoadOptions, *, batch_rows: int = BATCH_ROWS
) -> Iterator[PredictionTable]:
    """Yield each batch as a checked, coded table with the file's own row numbers."""
    first_row = 1
    task = options.task
    controls: dict[str, int] = {}
    for frame in _frames(source, batch_rows):
        n = len(frame)
        if n == 0:
            continue
        together = (source.columns.y_true, source.columns.y_pred)
        for name, count in show_controls(frame, source.where, together).items():
            controls[name] = controls.get(name, 0) + count
        table = validate_frame(
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
    warn_controls(controls, source.where)
    if first_row == 1:
        raise ReportgenError(
            f"{source.where}: has column names but no rows; there is nothing to report on."
        )
