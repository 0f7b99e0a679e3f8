"""Read prediction files (CSV, TSV, Parquet, JSON Lines; gzip) and explain what cannot be read."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from reportgen.errors import ReportgenError, as_written, format_rows
from reportgen.table import ColumnMap

FORMATS = ("csv", "tsv", "parquet", "jsonl")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def clean_name(name: str) -> str:
    # a byte-order mark inside a name comes from a file decoded without utf-8-sig upstream
    return name.replace("\ufeff", "")


def check_file(path: Path, fmt: str | None, where: str) -> str:
    if not path.exists():
        raise ReportgenError(
            f"{where}: no such file. Check the path, or run from the folder it is in."
        )
    if path.is_dir():
        raise ReportgenError(f"{where}: is a folder, not a prediction file.")
    if not os.access(path, os.R_OK):
        raise ReportgenError(f"{where}: the file exists but cannot be read (permission denied).")
    if fmt is not None:
        if fmt not in FORMATS:
            raise ReportgenError(
                f"{where}: unknown format '{fmt}'; --format takes one of {', '.join(FORMATS)}."
            )
        if fmt == "parquet" and _is_gzip(path):
            raise ReportgenError(
                f"{where}: gzip-compressed Parquet is not supported; Parquet compresses itself."
            )
        return fmt
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[: -len(".gz")]
    suffix = Path(name).suffix
    if suffix in EXTENSIONS:
        found = EXTENSIONS[suffix]
        if found == "parquet" and path.name.lower().endswith(".gz"):
            raise ReportgenError(
                f"{where}: gzip-compressed Parquet is not supported; Parquet compresses itself."
            )
        return found
    known = ", ".join(sorted(EXTENSIONS))
    raise ReportgenError(
        f"{where}: cannot tell the format from the file name (known endings: {known}, "
        f"optionally followed by .gz). Name it with --format {{{','.join(FORMATS)}}}."
    )


def _is_gzip(path: Path) -> bool:
    """Tell gzip from plain text by the magic bytes, so that --format works on any file name."""
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_error(where: str, fmt: str, exc: BaseException) -> ReportgenError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # a parser's message may quote the file's bytes: show its control characters, not emit them
    return ReportgenError(f"{where}: could not be read as {fmt.upper()}: {as_written(reason)}")


def _csv_sep(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def _compression(path: Path) -> Literal["gzip"] | None:
    return "gzip" if _is_gzip(path) else None


def _binary_lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as fh:
        yield from fh


def _not_utf8(path: Path, where: str, exc: UnicodeDecodeError) -> ReportgenError:
    """Explain a decoding failure with the line it happened on (found by a second, slow pass)."""
    line_no, bad = 0, exc.object[exc.start : exc.start + 1]
    try:
        for line_no, line in enumerate(_binary_lines(path), start=1):  # noqa: B007
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as inner:
                bad = inner.object[inner.start : inner.start + 1]
                break
        else:
            line_no = 0
    except (OSError, EOFError):
        line_no = 0
    at = f" line {line_no} has the byte 0x{bad.hex()}," if line_no and bad else ""
    return ReportgenError(
        f"{where}: is not UTF-8 text:{at} which UTF-8 does not allow there. Save the file as "
        "UTF-8 (spreadsheets call it 'CSV UTF-8'), or convert it, for example with "
        "'iconv -f latin1 -t utf-8'."
    )


def read_names(path: Path, fmt: str, where: str) -> list[str]:
    """Read only the column names, so that a missing column fails before the data is read."""
    if path.stat().st_size == 0:
        raise ReportgenError(f"{where}: the file is empty (0 bytes); expected a header and rows.")
    try:
        if fmt in ("csv", "tsv"):
            head = pd.read_csv(
                path,
                sep=_csv_sep(fmt),
                nrows=0,
                encoding="utf-8-sig",
                compression=_compression(path),
            )
            return [str(c) for c in head.columns]
        import pyarrow.parquet as pq

        return [str(n) for n in pq.read_schema(path).names]
    except pd.errors.EmptyDataError as exc:
        raise ReportgenError(f"{where}: the file is empty; expected a header and rows.") from exc
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, where, exc) from exc
    except Exception as exc:  # pyarrow and the parsers raise their own types
        raise _read_error(where, fmt, exc) from exc


def read_columns(
    path: Path, fmt: str, names: list[str], columns: ColumnMap, where: str
) -> pd.DataFrame:
    needed = list(columns.needed())
    original = {clean_name(n): n for n in names}
    try:
        if fmt in ("csv", "tsv"):
            frame = _read_delimited(path, fmt, original, columns, where)
        else:
            frame = _read_parquet(path, [original[c] for c in needed], columns, original)
    except ReportgenError:
        raise
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, where, exc) from exc
    except Exception as exc:
        raise _read_error(where, fmt, exc) from exc
    frame.columns = [clean_name(str(c)) for c in frame.columns]
    return frame[needed]


def _read_parquet(
    path: Path, names: list[str], columns: ColumnMap, original: dict[str, str]
) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    labels = {original[c] for c in (columns.y_true, columns.y_pred)}
    # string labels come back dictionary-encoded: pandas categoricals, no per-row strings
    dictionary = [
        n
        for n in labels
        if pa.types.is_string(schema.field(n).type)
        or pa.types.is_large_string(schema.field(n).type)
    ]
    # memory-mapped and without pre-buffering, the read holds fewer copies of the file
    table = pq.read_table(
        path, columns=names, read_dictionary=dictionary, memory_map=True, pre_buffer=False
    )
    frame: pd.DataFrame = table.to_pandas()
    return frame


def numeric_categories(values: pd.Series) -> pd.Series:
    """Give a text categorical numeric categories when every one is a number, as CSV readers do."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values
    categories = values.cat.categories
    if pd.api.types.is_numeric_dtype(categories.dtype):
        return values
    numbers = pd.to_numeric(pd.Series(categories.astype("str")).str.strip(), errors="coerce")
    if numbers.isna().any() or len(categories) == 0:
        return values
    if numbers.duplicated().any():  # '1' and '1.0': merge them by value
        codes = values.cat.codes.to_numpy()
        merged = numbers.to_numpy()[codes]
        merged[codes < 0] = float("nan")
        return pd.Series(merged, index=values.index, name=values.name)
    return values.cat.rename_categories(pd.Index(numbers.to_numpy()))


def _numeric_at_start(path: Path, sep: str, labels: list[str], rows: int = 2000) -> bool:
    """Tell whether the label columns start out numeric (regression, or numeric classes)."""
    try:
        head = pd.read_csv(
            path,
            sep=sep,
            nrows=rows,
            usecols=labels,
            encoding="utf-8-sig",
            compression=_compression(path),
            keep_default_na=False,
            na_values=[""],
        )
    except Exception:
        return False  # the full read reports what is wrong
    return all(
        pd.api.types.is_numeric_dtype(head[c].dtype)
        and not pd.api.types.is_bool_dtype(head[c].dtype)
        for c in labels
    )


def _read_delimited(
    path: Path, fmt: str, original: dict[str, str], columns: ColumnMap, where: str
) -> pd.DataFrame:
    # Every column is read, not just the needed ones: with usecols pandas silently drops the
    # surplus fields of a row whose text holds an unquoted separator, shifting its labels.
    as_text: dict[str, str] = {
        original[c]: "str" for c in (columns.id, columns.sample) if c is not None
    }
    sep = _csv_sep(fmt)
    labels = [original[c] for c in (columns.y_true, columns.y_pred)]
    if not _numeric_at_start(path, sep, labels):
        # class labels are few: as categories, a million rows cost a million small codes
        as_text.update(dict.fromkeys(labels, "category"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                path,
                sep=sep,
                encoding="utf-8-sig",
                compression=_compression(path),
                keep_default_na=False,
                na_values=[""],
                dtype=as_text,
                low_memory=False,
                index_col=False,
            )
        except pd.errors.ParserError as exc:
            if "fields in line" not in str(exc):  # "Expected 4 fields in line 3, saw 5"
                raise
            raise _too_many_fields(path, sep, len(original), where) from exc
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        raise _too_many_fields(path, sep, len(original), where)
    for c in (columns.y_true, columns.y_pred):
        frame[original[c]] = numeric_categories(frame[original[c]])
    return frame


def _too_many_fields(path: Path, sep: str, width: int, where: str) -> ReportgenError:
    """Name the rows with more fields than the header, found by a second, slow pass."""
    rows: list[int] = []
    try:
        with io.TextIOWrapper(
            gzip.open(path, "rb") if _is_gzip(path) else path.open("rb"), encoding="utf-8-sig"
        ) as text:
            reader = csv.reader(text, delimiter=sep)
            next(reader, None)
            number = 0
            for fields in reader:
                if not fields:
                    continue  # pandas skips blank lines, and so do its row numbers
                number += 1
                if len(fields) > width and any(f.strip() for f in fields[width:]):
                    rows.append(number)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error):
        rows = []
    shown = f" ({format_rows(rows)}, counted from 1 after the header)" if rows else ""
    name = "tab" if sep == "\t" else f"'{sep}'"
    return ReportgenError(
        f"{where}: {len(rows) or 'some'} {'row has' if len(rows) == 1 else 'rows have'} more "
        f"fields than the header's {width} columns{shown}. Most often a text value contains a "
        f"{name} without quotes around it; quote such values (or remove the stray separators) "
        "so that every row has one value per column."
    )


def read_jsonl(path: Path, where: str) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise ReportgenError(
            f"{where}: the file is empty (0 bytes); expected one JSON object per line."
        )
    try:
        frame = pd.read_json(
            path, lines=True, dtype=False, compression=_compression(path), encoding="utf-8-sig"
        )
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, where, exc) from exc
    except Exception as exc:
        raise _jsonl_problem(path, where) or _read_error(where, "jsonl", exc) from exc
    if frame.shape[1] == 0:
        raise ReportgenError(f"{where}: the file is empty; expected one JSON object per line.")
    problem = _jsonl_problem(path, where, quick=True)
    if problem is not None:
        raise problem
    frame.columns = [clean_name(str(c)) for c in frame.columns]
    return frame


def _jsonl_problem(path: Path, where: str, *, quick: bool = False) -> ReportgenError | None:
    """Find the first line that is not a JSON object (quick: look at the first line only)."""
    try:
        for number, raw in enumerate(_binary_lines(path), start=1):
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
            if not line:
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return ReportgenError(
                    f"{where}: line {number} is not valid JSON ({exc.msg} at character "
                    f"{exc.colno}). JSON Lines files hold one JSON object per line."
                )
            if not isinstance(value, dict):
                return ReportgenError(
                    f"{where}: line {number} holds {_json_kind(value)}, not an object; "
                    'JSON Lines files hold one object per line, such as {"y_true": "cat", '
                    '"y_pred": "dog"}.'
                )
            if quick:
                return None
    except (OSError, EOFError, UnicodeDecodeError):
        return None
    return None


def _json_kind(value: Any) -> str:
    """Name a parsed JSON value the way JSON does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"
