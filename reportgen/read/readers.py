"""Read prediction files (CSV, TSV, Parquet, JSON Lines; gzip) and explain what cannot be read."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError, as_written, format_rows
from reportgen.read.plain_numbers import numeric_categories, plain_numbers
from reportgen.read.table import ColumnMap
from reportgen.read.textin import GZIP_ERRORS, check_gzip_name, check_text_head, is_gzip, visible

FORMATS = ("csv", "tsv", "parquet", "jsonl")
_RENAMED = re.compile(r"\.\d+$")  # how pandas renames the second 'x' of a header: 'x.1'
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
    """A column name as messages and the report show it: no byte-order mark, no controls."""
    # a byte-order mark inside a name comes from a file decoded without utf-8-sig upstream
    return visible(name.replace("\ufeff", ""))


def refuse_duplicate_names(names: list[str], where: str, *, place: str = "the header") -> None:
    """Refuse a column name given twice: which of the two columns was meant cannot be told.

    Names are compared exactly, as written (pandas would read the second 'y_true' as
    'y_true.1' and the first would be used without a word); blank names, as spreadsheets leave
    after the last column, are not names anyone can ask for and are let through.
    """
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(names, start=1):
        if clean_name(name).strip():
            positions.setdefault(clean_name(name), []).append(i)
    doubled = {n: at for n, at in positions.items() if len(at) > 1}
    if not doubled:
        return
    shown = "; ".join(
        f"'{n}' {'twice' if len(at) == 2 else f'{len(at)} times'} (columns "
        f"{', '.join(str(i) for i in at[:-1])} and {at[-1]})"
        for n, at in list(doubled.items())[:5]
    )
    raise ReportgenError(
        f"{where}: {place} names {'a column' if len(doubled) == 1 else 'columns'} more than "
        f"once: {shown}, counted from 1. Only one column can go by a name, and which one was "
        "meant cannot be told; rename or remove the others."
    )


def _raw_header(path: Path, fmt: str) -> list[str]:
    """The header's names as written, before pandas renames a repeated 'x' to 'x.1'."""
    first = pd.read_csv(
        path,
        sep=_csv_sep(fmt),
        header=None,
        nrows=1,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
        compression=compression_of(path),
    )
    return [str(v) for v in first.iloc[0].tolist()] if len(first) else []


def check_file(path: Path, fmt: str | None, where: str) -> str:
    """Check that a prediction file can be read, and return its format.

    Text formats are read by their content: gzip or not by the magic bytes (a plain file
    named .gz is read with a warning), and anything but UTF-8 is refused here.
    """
    found = _check_file(path, fmt, where)
    if found != "parquet":
        check_gzip_name(path, where)
        check_text_head(path, where)
    return found


def _check_file(path: Path, fmt: str | None, where: str) -> str:
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
        if fmt == "parquet" and is_gzip(path):
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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_error(where: str, fmt: str, exc: BaseException) -> ReportgenError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # a parser's message may quote the file's bytes: show its control characters, not emit them
    return ReportgenError(f"{where}: could not be read as {fmt.upper()}: {as_written(reason)}")


def _csv_sep(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def compression_of(path: Path) -> Literal["gzip"] | None:
    return "gzip" if is_gzip(path) else None


def binary_lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as fh:
        yield from fh


def not_utf8(path: Path, where: str, exc: UnicodeDecodeError) -> ReportgenError:
    """Explain a decoding failure with the line it happened on (found by a second, slow pass)."""
    line_no, bad = 0, exc.object[exc.start : exc.start + 1]
    try:
        for line_no, line in enumerate(binary_lines(path), start=1):  # noqa: B007
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as inner:
                bad = inner.object[inner.start : inner.start + 1]
                break
        else:
            line_no = 0
    except GZIP_ERRORS:
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
                compression=compression_of(path),
            )
            names = [str(c) for c in head.columns]
            if any(_RENAMED.search(n) for n in names):  # only a repeated name is renamed
                refuse_duplicate_names(_raw_header(path, fmt), where)
            return names
        import pyarrow.parquet as pq

        names = [str(n) for n in pq.read_schema(path).names]
        refuse_duplicate_names(names, where, place="the schema")
        return names
    except ReportgenError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise ReportgenError(f"{where}: the file is empty; expected a header and rows.") from exc
    except UnicodeDecodeError as exc:
        raise not_utf8(path, where, exc) from exc
    except Exception as exc:  # pyarrow and the parsers raise their own types
        raise read_error(where, fmt, exc) from exc


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
        raise not_utf8(path, where, exc) from exc
    except Exception as exc:
        raise read_error(where, fmt, exc) from exc
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


# as validate.MAX_CLASSES_FOR_INTEGERS: more distinct integers than this make a regression target
_HEAD_CLASSES = 50


def _label_dtypes(path: Path, sep: str, labels: list[str], rows: int = 2000) -> dict[str, str]:
    """Choose how to read the label columns, from their first rows.

    A regression target (plain numbers in both, a non-integral one or many distinct
    integers) is read as numbers straight away. Otherwise a column is read as categories,
    and one that starts out numeric first as text: pandas would make '01' and '1' one
    category before anyone could see that they are written differently (numeric_categories
    then decides).
    """
    try:
        head = pd.read_csv(
            path,
            sep=sep,
            nrows=rows,
            usecols=labels,
            dtype=str,
            encoding="utf-8-sig",
            compression=compression_of(path),
            keep_default_na=False,
        )
    except Exception:
        return dict.fromkeys(labels, "category")  # the full read reports what is wrong
    plain: dict[str, bool] = {}
    numbers: dict[str, bool] = {}  # every cell reads as a number, however written
    for c in labels:
        present = head[c][head[c].str.strip() != ""]
        plain[c] = len(present) > 0 and plain_numbers(present)
        numbers[c] = bool(pd.to_numeric(present.str.strip(), errors="coerce").notna().all())
    if all(plain.values()):
        values = pd.to_numeric(
            pd.concat([head[c] for c in labels]).str.strip().replace("", None), errors="coerce"
        ).to_numpy(dtype="float64")
        finite = values[np.isfinite(values)]
        if (finite != np.round(finite)).any() or len(np.unique(finite)) > _HEAD_CLASSES:
            return {}
    # class labels are few: as categories, a million rows cost a million small codes; but
    # pandas turns categories that all read as numbers into numbers, so such a column is
    # read as text first
    return {c: "str" if numbers[c] else "category" for c in labels}


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
    as_text.update(_label_dtypes(path, sep, labels))
    split = [original[c] for c in (columns.split,) if c is not None and original[c] not in as_text]
    for c in split:
        as_text[c] = "str"  # split names are read as labels are: '01' stays '01', 1.0 is 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                path,
                sep=sep,
                encoding="utf-8-sig",
                compression=compression_of(path),
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
    for c in dict.fromkeys([*labels, *split]):
        if not isinstance(frame[c].dtype, pd.CategoricalDtype) and as_text.get(c) == "str":
            frame[c] = frame[c].astype("category")
        frame[c] = numeric_categories(frame[c])
    return frame


def _too_many_fields(path: Path, sep: str, width: int, where: str) -> ReportgenError:
    """Name the rows with more fields than the header, found by a second, slow pass."""
    rows: list[int] = []
    try:
        with io.TextIOWrapper(
            gzip.open(path, "rb") if is_gzip(path) else path.open("rb"), encoding="utf-8-sig"
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
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error):
        rows = []
    shown = f" ({format_rows(rows)}, counted from 1 after the header)" if rows else ""
    name = "tab" if sep == "\t" else f"'{sep}'"
    return ReportgenError(
        f"{where}: {len(rows) or 'some'} {'row has' if len(rows) == 1 else 'rows have'} more "
        f"fields than the header's {width} columns{shown}. Most often a text value contains a "
        f"{name} without quotes around it; quote such values (or remove the stray separators) "
        "so that every row has one value per column."
    )
