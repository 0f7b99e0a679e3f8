"""Read prediction files into a PredictionTable: find the columns, validate, explain bad input."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError, as_written, format_rows, quoted
from reportgen.read.readers import (
    check_file,
    clean_name,
    read_columns,
    read_jsonl,
    read_names,
    refuse_duplicate_names,
    sha256_of,
)
from reportgen.read.table import (
    ColumnMap,
    PredictionTable,
    SourceInfo,
    encode_labels,
)
from reportgen.read.textin import check_cells, scan_file, show_controls, warn_controls

ALIASES = {
    "y_true": ("y_true", "label", "target", "actual", "truth", "ground_truth"),
    "y_pred": ("y_pred", "prediction", "pred", "predicted"),
    "id": ("id", "sample_id", "image_id", "uid"),
    "sample": ("sample", "text", "image", "image_path", "path", "filepath"),
    "buckets": ("buckets", "bucket", "tags"),
    "split": ("split",),
}
PROBA_PREFIXES = ("proba_", "prob_", "score_")
OPTION_FOR = {
    "y_true": "--y-true",
    "y_pred": "--y-pred",
    "id": "--id",
    "sample": "--sample",
    "buckets": "--buckets",
    "split": "--split",
}
DESCRIPTION = {
    "y_true": "true-label",
    "y_pred": "predicted-label",
    "id": "id",
    "sample": "sample",
    "buckets": "error-bucket (tags)",
    "split": "split",
}
# Classification labels are few; a numeric column with more distinct values is a regression target.
MAX_CLASSES_FOR_INTEGERS = 50
PROBA_TOLERANCE = 1e-6
# the (rows, labels) probability matrix is refused past this many cells (1.6 GB of float64)
# when most labels have no probability column, so that it would be mostly empty and larger
# than the data: 2M rows and 50,000 labels, ten of them with a column, would need 800 GB
MAX_PROBA_CELLS = 200_000_000


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
        columns = _map_columns(list(frame.columns), options, where)
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
            columns = _map_columns(list(whole.columns), options, where)
            frame = whole[list(columns.needed())]
            for name in frame.columns:
                if not pd.api.types.is_numeric_dtype(frame[name].dtype):
                    check_cells(frame[name], name, where, np.arange(1, len(frame) + 1))
        else:
            names = read_names(path, fmt, where)
            columns = _map_columns([clean_name(n) for n in names], options, where)
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
    return _validate(frame, columns, source, options, where)


def _map_columns(names: list[str], options: LoadOptions, where: str) -> ColumnMap:
    found = {
        role: _find_column(
            names, getattr(options, role), role, where, required=role.startswith("y_")
        )
        for role in ("y_true", "y_pred", "id", "sample", "buckets")
    }
    found["split"] = (
        None
        if options.split_optional and options.split is not None and options.split not in names
        else _find_column(names, options.split, "split", where, required=False)
    )
    taken = {v for v in found.values() if v is not None}
    prefix, proba = _find_proba(names, options.proba_prefix, taken, where)
    extra: list[str] = []
    for col in options.columns:
        if col not in names:
            raise ReportgenError(
                f"{where}: no column '{col}' (named with --columns). "
                f"The file has columns: {_list_names(names)}."
            )
        if col not in taken and col not in extra:
            extra.append(col)
    y_true, y_pred = found["y_true"], found["y_pred"]
    assert y_true is not None and y_pred is not None
    slices: list[str] = []
    for col in options.slices:
        if col not in names:
            raise ReportgenError(
                f"{where}: no column '{col}' (named with --slice). "
                f"The file has columns: {_list_names(names)}."
            )
        if col in (y_true, y_pred):
            raise ReportgenError(
                f"{where}: --slice {col} names the {'true' if col == y_true else 'predicted'} "
                "column; slice by a metadata column instead."
            )
        if col not in slices:
            slices.append(col)
    step = options.step
    if step is not None:
        if step not in names:
            raise ReportgenError(
                f"{where}: no column '{step}' (named with --step). "
                f"The file has columns: {_list_names(names)}."
            )
        if step in (y_true, y_pred) or step in proba.values():
            raise ReportgenError(
                f"{where}: --step {step} names a label or probability column; name the column "
                "that holds the epoch or training step."
            )
        # the step column travels with the shown columns; the report drops it once restricted
        if step not in taken and step not in extra:
            extra.append(step)
    if options.slice_all:
        roles = {*taken, *proba.values(), *([step] if step is not None else [])}
        slices += [c for c in names if c not in roles and c not in slices]
    if y_true == y_pred:
        raise ReportgenError(
            f"{where}: column '{y_true}' was named for both the true and the predicted labels."
        )
    return ColumnMap(
        y_true=y_true,
        y_pred=y_pred,
        id=found["id"],
        sample=found["sample"],
        buckets=found["buckets"],
        split=found["split"],
        proba=proba,
        proba_prefix=prefix,
        extra=tuple(extra),
        slices=tuple(slices),
    )


def _list_names(names: Sequence[str], limit: int = 40) -> str:
    if not names:
        return "(none)"
    shown = ", ".join(quoted(n) for n in names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")


def _find_column(
    names: list[str], explicit: str | None, role: str, where: str, *, required: bool
) -> str | None:
    option = OPTION_FOR[role]
    if explicit is not None:
        if explicit in names:
            return explicit
        raise ReportgenError(
            f"{where}: no column '{explicit}' (named with {option}). "
            f"The file has columns: {_list_names(names)}."
        )
    aliases = ALIASES[role]
    matches = [n for n in names if n.strip().lower() in aliases]
    if len(matches) > 1:
        both = " and ".join(quoted(m) for m in matches)
        raise ReportgenError(
            f"{where}: both {both} could be the {DESCRIPTION[role]} column. "
            f"Name the right one with {option} COLUMN."
        )
    if matches:
        return matches[0]
    if required:
        raise ReportgenError(
            f"{where}: no {DESCRIPTION[role]} column found; looked for "
            f"{', '.join(aliases)}. The file has columns: {_list_names(names)}. "
            f"Name it with {option} COLUMN."
        )
    return None


def _find_proba(
    names: list[str], explicit: str | None, taken: set[str], where: str
) -> tuple[str | None, dict[str, str]]:
    # a prefix the user names is matched exactly; the default prefixes ignore case, as aliases do
    prefixes = (explicit,) if explicit is not None else PROBA_PREFIXES

    def starts(name: str, prefix: str) -> bool:
        head = name[: len(prefix)]
        return head == prefix if explicit is not None else head.lower() == prefix

    by_prefix = {
        p: [n for n in names if starts(n, p) and len(n) > len(p) and n not in taken]
        for p in prefixes
    }
    used = [p for p, cols in by_prefix.items() if cols]
    if explicit is not None and not used:
        raise ReportgenError(
            f"{where}: no column starts with '{explicit}' (named with --proba-prefix). "
            f"The file has columns: {_list_names(names)}."
        )
    if len(used) > 1:
        raise ReportgenError(
            f"{where}: probability columns with two prefixes: "
            + " and ".join(
                f"{quoted(p)} ({', '.join(map(quoted, by_prefix[p][:3]))})" for p in used
            )
            + ". Name the right one with --proba-prefix PREFIX."
        )
    if not used:
        return None, {}
    prefix = used[0]
    proba: dict[str, str] = {}
    for n in by_prefix[prefix]:
        label = n[len(prefix) :]
        if label in proba:  # 'proba_a' and 'PROBA_a': the default prefixes ignore case
            raise ReportgenError(
                f"{where}: two probability columns for label '{label}': '{proba[label]}' and "
                f"'{n}'; which one was meant cannot be told. Rename or remove one, or name the "
                "prefix with --proba-prefix (matched exactly)."
            )
        proba[label] = n
    return by_prefix[prefix][0][: len(prefix)], proba


def _cells(n: int, kind: str) -> str:
    """Say '1 empty cell' or '3 empty cells'."""
    return f"{n} {kind} {'cell' if n == 1 else 'cells'}"


def _empty_mask(values: pd.Series) -> np.ndarray:
    if isinstance(values.dtype, pd.CategoricalDtype):
        # look at the few categories, not the million rows
        codes = values.cat.codes.to_numpy()
        blank = np.asarray(values.cat.categories.astype("str").str.strip() == "", dtype=bool)
        if len(blank) == 0:  # every cell empty: no category to look up
            return np.asarray(codes < 0, dtype=bool)
        return np.asarray((codes < 0) | blank[np.maximum(codes, 0)] & (codes >= 0), dtype=bool)
    mask = values.isna().to_numpy()
    if pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_object_dtype(values.dtype):
        text = values.astype("str")
        mask = mask | text.str.strip().eq("").to_numpy()
    return np.asarray(mask, dtype=bool)


def _row_note(source: SourceInfo) -> str:
    """Say what the row numbers in a message count."""
    if source.path is None:
        return "Rows are positions in the DataFrame, counted from 1."
    if source.format == "jsonl":
        return "Rows are the file's JSON objects, counted from 1."
    if source.format == "parquet":
        return "Rows are counted from 1."
    return "Rows are counted from 1 after the header."


def _validate(
    frame: pd.DataFrame,
    columns: ColumnMap,
    source: SourceInfo,
    options: LoadOptions,
    where: str,
    *,
    first_row: int = 1,
    batch: bool = False,
    row_numbers: np.ndarray | None = None,
) -> PredictionTable:
    """Check and code one table; with batch, one batch of a file read in parts.

    A batch numbers its rows from first_row (or takes row_numbers, a part read by Spark) and
    leaves out the checks that need every row
    (probability columns of labels that never occur; ids repeated across batches).
    """
    rows_read = len(frame)
    if rows_read == 0 and not batch:
        what = "has no rows" if source.path is None else "has column names but no rows"
        raise ReportgenError(f"{where}: {what}; there is nothing to report on.")
    if row_numbers is None:
        row_numbers = np.arange(first_row, first_row + rows_read, dtype=np.int64)
    frame = _check_cell_types(frame, columns, options, row_numbers, source, where)

    empties = {c: _empty_mask(frame[c]) for c in (columns.y_true, columns.y_pred)}
    any_empty = empties[columns.y_true] | empties[columns.y_pred]
    dropped = int(any_empty.sum())
    if dropped and not options.dropna:
        parts = []
        for col, mask in empties.items():
            if mask.any():
                rows = row_numbers[mask].tolist()
                parts.append(
                    f"column '{col}' has {_cells(len(rows), 'empty')} ({format_rows(rows)})"
                )
        raise ReportgenError(
            f"{where}: {'; '.join(parts)}. Fill them in, or pass --dropna to leave those rows "
            f"out (the report states how many). {_row_note(source)}"
        )
    if dropped:
        keep = ~any_empty
        frame = frame.loc[keep].reset_index(drop=True)
        row_numbers = row_numbers[keep]
        if len(frame) == 0 and not batch:
            raise ReportgenError(
                f"{where}: every row has an empty true or predicted label; nothing is left "
                "after --dropna."
            )

    y_true = frame[columns.y_true]
    y_pred = frame[columns.y_pred]
    task = _detect_task(y_true, y_pred, columns, options.task, where)
    if options.step is not None:
        _check_steps(frame[options.step], options.step, row_numbers, where)
    if columns.id is not None:
        if options.step is None:
            _check_ids(frame[columns.id], columns.id, row_numbers, where)
        else:
            _check_ids_per_step(
                frame[columns.id], columns.id, frame[options.step], options.step, row_numbers, where
            )
    table = PredictionTable(
        source=source,
        columns=columns,
        task=task,
        # a batch keeps its raw probability cells: a label missing from it may occur elsewhere
        frame=frame[columns.shown() + (list(columns.proba.values()) if batch else [])],
        row_numbers=row_numbers,
        rows_read=rows_read,
        rows_dropped=dropped,
    )
    if task == "regression":
        table.y_true_values = _regression_values(y_true, columns.y_true, row_numbers, where)
        table.y_pred_values = _regression_values(y_pred, columns.y_pred, row_numbers, where)
        _check_residuals(table.y_true_values, table.y_pred_values, columns, row_numbers, where)
        return table
    table.true_codes, table.pred_codes, table.labels, table.label_kind = encode_labels(
        y_true, y_pred
    )
    probabilities = _confidence(
        frame, columns, table.labels, table.pred_codes, row_numbers, where, batch=batch
    )
    if probabilities is not None:
        table.confidence, table.proba, table.proba_columns = probabilities
    return table


# infer_dtype's answers for columns of plain values: nothing in them can be a list or bytes
_SCALAR_KINDS = frozenset(
    {
        "string", "empty", "integer", "floating", "mixed-integer-float", "boolean", "decimal",
        "datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "period", "complex",
    }
)  # fmt: skip


def _cell_kind(value: object) -> str | None:
    """Name a cell that is not a plain value (None for text, numbers, dates and the like)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "binary"
    if isinstance(value, dict):
        return "a struct/object"
    if isinstance(value, (list, tuple, np.ndarray)):
        # Parquet maps come from Arrow as lists of (key, value) pairs
        pairs = len(value) > 0 and all(isinstance(v, tuple) and len(v) == 2 for v in value)
        return "a map" if pairs else "a list"
    return None


def _odd_cells(values: pd.Series) -> dict[str, np.ndarray]:
    """Find the cells that hold lists, structs, maps or bytes: kind -> mask of rows."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if pd.api.types.infer_dtype(categories, skipna=True) in _SCALAR_KINDS:
            return {}
        kinds = np.array([_cell_kind(c) for c in categories] + [None], dtype=object)
        found = kinds[values.cat.codes.to_numpy()]  # code -1 (empty) picks the last, None
    else:
        if not pd.api.types.is_object_dtype(values.dtype):
            return {}  # numbers, booleans, dates and typed text hold no containers
        if pd.api.types.infer_dtype(values, skipna=True) in _SCALAR_KINDS:
            return {}
        found = np.array([_cell_kind(v) for v in values.to_numpy()], dtype=object)
    return {str(k): np.asarray(found == k) for k in pd.unique(found[found != None])}  # noqa: E711


def _json_text(value: object) -> object:
    """Write a list, struct or map cell as JSON text, for a column that is only shown."""
    if _cell_kind(value) is None:
        return value

    def plain(v: object) -> object:
        if isinstance(v, np.ndarray):
            return [plain(x) for x in v.tolist()]
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, np.generic):
            return v.item()
        return v

    return json.dumps(plain(value), ensure_ascii=False, default=str)


def _roles(columns: ColumnMap, options: LoadOptions) -> dict[str, tuple[str, str, bool]]:
    """Each loaded column's role: (what it is, the values it takes, whether it is only shown)."""
    labels = "text, numbers or booleans"
    roles: dict[str, tuple[str, str, bool]] = {}
    as_json = "(lists and structs are shown as JSON)"
    for col in columns.extra:
        roles[col] = ("named with --columns", f"any value {as_json}", True)
    if columns.sample is not None:
        roles[columns.sample] = ("the sample column", f"text {as_json}", True)
    for col in columns.proba.values():
        roles[col] = ("a probability column", "numbers", False)
    for col in columns.slices:
        how = "--slice-all" if col not in options.slices else "--slice"
        roles[col] = (f"sliced by with {how}", "text, numbers, booleans or dates", False)
    grouped: tuple[tuple[str | None, str], ...] = (
        (columns.split, "the split column"),
        (options.step, "the step column"),
    )
    for named, what in grouped:
        if named is not None:
            roles[named] = (what, "text or numbers", False)
    if columns.buckets is not None:
        tags = "text (several tags in one cell separated by ; | or ,)"
        roles[columns.buckets] = ("the error-bucket column", tags, False)
    if columns.id is not None:
        roles[columns.id] = ("the id column", "text or numbers", False)
    roles[columns.y_pred] = ("the predicted labels", labels, False)
    roles[columns.y_true] = ("the true labels", labels, False)
    return roles


def _check_cell_types(
    frame: pd.DataFrame,
    columns: ColumnMap,
    options: LoadOptions,
    row_numbers: np.ndarray,
    source: SourceInfo,
    where: str,
) -> pd.DataFrame:
    """Refuse lists, structs, maps and bytes where values are compared or grouped.

    A column that is only shown (--columns, --sample) may hold lists, structs and maps:
    they are written as JSON text. Bytes are refused everywhere: they have no one text.
    """
    for col, (role, accepted, shown) in _roles(columns, options).items():
        if col not in frame.columns:
            continue
        odd = _odd_cells(frame[col])
        if not odd or (shown and "binary" not in odd):
            if odd:
                frame = frame.assign(**{col: frame[col].map(_json_text)})
            continue
        kind, mask = next((k, m) for k, m in odd.items() if k == "binary" or not shown)
        rows = row_numbers[mask].tolist()
        cells = f"{len(rows)} {'cell' if len(rows) == 1 else 'cells'}"
        fix = (
            "decode it to text (or leave the column out)"
            if kind == "binary"
            else "write one plain value per cell (flatten or join the values), or name "
            "another column"
        )
        if role.startswith("sliced by with --slice-all"):
            fix += "; --slice-all slices by every other column, so name the slices with --slice"
        raise ReportgenError(
            f"{where}: column '{col}' ({role}) holds {kind} in {cells} "
            f"({format_rows(rows)}); {'it' if role.startswith('the') else 'such a column'} "
            f"takes {accepted}. To use it, {fix}. {_row_note(source)}"
        )
    return frame


def _numbers(values: pd.Series) -> np.ndarray | None:
    """The numeric values a label column holds (a categorical's distinct ones), else None."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if pd.api.types.is_numeric_dtype(categories.dtype) and not pd.api.types.is_bool_dtype(
            categories.dtype
        ):
            return np.asarray(categories, dtype="float64")
        return None
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype="float64")
    return None


def _check_residuals(
    y_true: np.ndarray, y_pred: np.ndarray, columns: ColumnMap, rows: np.ndarray, where: str
) -> None:
    """Refuse rows whose residual is beyond floating point (1.7e308 minus -1.7e308 is inf)."""
    with np.errstate(over="ignore"):
        beyond = ~np.isfinite(y_true - y_pred)
    if beyond.any():
        found = rows[beyond].tolist()
        raise ReportgenError(
            f"{where}: '{columns.y_true}' minus '{columns.y_pred}' is beyond floating-point "
            f"range (about ±1.8e308) in {format_rows(found)}. Rescale both columns (divide them "
            "by a power of ten) and build again."
        )


def _detect_task(
    y_true: pd.Series, y_pred: pd.Series, columns: ColumnMap, task: str, where: str
) -> str:
    """Decide classification or regression: see README, 'Task detection'."""
    if task in ("classification", "regression"):
        return task
    numbers = {columns.y_true: _numbers(y_true), columns.y_pred: _numbers(y_pred)}
    if any(v is None for v in numbers.values()):
        return "classification"
    for values in numbers.values():
        assert values is not None
        if np.any(values != np.round(values)):
            return "regression"  # a non-integer number is never a class label here
    distinct = len(pd.unique(np.concatenate([v for v in numbers.values() if v is not None])))
    return "regression" if distinct > MAX_CLASSES_FOR_INTEGERS else "classification"


def _regression_values(
    values: pd.Series, col: str, row_numbers: np.ndarray, where: str
) -> np.ndarray:
    """Return a column of a regression file as floats, or explain the cells that are not."""
    numbers = _numbers(values)
    if numbers is not None and isinstance(values.dtype, pd.CategoricalDtype):
        numbers = numbers[values.cat.codes.to_numpy()]
    if numbers is None:
        text = values.astype("str")
        coerced = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(dtype="float64")
        bad = np.isnan(coerced)
        if bad.any():
            rows = row_numbers[bad].tolist()
            example = text.iloc[int(np.flatnonzero(bad)[0])]
            raise ReportgenError(
                f"{where}: column '{col}' has {_cells(len(rows), 'non-numeric')} "
                f"({format_rows(rows)}, such as {quoted(example)}); a regression report needs "
                "numbers in the true and predicted columns. If these are class labels, pass "
                "--task classification."
            )
        numbers = coerced
    infinite = np.isinf(numbers)
    if infinite.any():
        rows = row_numbers[infinite].tolist()
        raise ReportgenError(
            f"{where}: column '{col}' has {len(rows)} infinite "
            f"{'value' if len(rows) == 1 else 'values'} ({format_rows(rows)}). Infinite "
            "predictions or targets usually come from an overflow upstream; fix or remove "
            "those rows (--dropna only drops empty cells)."
        )
    return np.asarray(numbers, dtype=np.float64)


def _confidence(
    frame: pd.DataFrame,
    columns: ColumnMap,
    labels: list[str],
    pred_codes: np.ndarray,
    row_numbers: np.ndarray,
    where: str,
    *,
    batch: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[int]] | None:
    """Validate the probability columns.

    Returns each row's predicted-class probability, the (rows, labels) probability matrix in
    label order (columns without a probability column hold NaN) and the labels that have one.
    """
    if not columns.proba:
        return None
    known = set(labels)
    strangers = [(lab, col) for lab, col in columns.proba.items() if lab not in known]
    if strangers and not batch:
        named = ", ".join(f"'{col}' (label '{lab}')" for lab, col in strangers[:5])
        raise ReportgenError(
            f"{where}: probability columns name labels that never occur in "
            f"'{columns.y_true}' or '{columns.y_pred}': {named}. Labels in the file: "
            f"{', '.join(labels[:20])}{', …' if len(labels) > 20 else ''}. "
            "Rename or drop those columns, or choose the prefix with --proba-prefix."
        )
    predicted = {labels[c] for c in np.unique(pred_codes)}
    missing = sorted(predicted - set(columns.proba), key=labels.index)
    if missing:
        code_of_missing = [labels.index(m) for m in missing]
        rows = row_numbers[np.isin(pred_codes, code_of_missing)].tolist()
        raise ReportgenError(
            f"{where}: no probability column for predicted "
            f"{'label' if len(missing) == 1 else 'labels'} "
            f"{', '.join(quoted(m) for m in missing[:10])} (expected "
            f"{', '.join(quoted(f'{columns.proba_prefix}{m}') for m in missing[:3])}), which "
            f"'{columns.y_pred}' predicts in {format_rows(rows)}. Each predicted label needs "
            "a probability column; name the prefix with --proba-prefix if it is another one."
        )
    if len(frame) * len(labels) > MAX_PROBA_CELLS and len(labels) > 2 * len(columns.proba):
        from reportgen.deliver.budget import size_text

        raise ReportgenError(
            f"{where}: {len(frame):,} rows and {len(labels):,} labels make a probability "
            f"matrix of {size_text(len(frame) * len(labels) * 8)}, too large to hold (the "
            f"file has probability columns for {len(columns.proba):,} labels). "
            + (
                "Leave the probability columns out (drop them, or name another prefix with "
                "--proba-prefix) to report on the labels alone."
                if batch
                else "Pass --stream to read the file in batches, or leave the probability "
                "columns out (drop them, or name another prefix with --proba-prefix)."
            )
        )
    confidence = np.full(len(frame), np.nan)
    proba = np.full((len(frame), len(labels)), np.nan, order="F")
    code_of = {lab: i for i, lab in enumerate(labels)}
    for lab, col in columns.proba.items():
        if lab not in code_of:
            continue  # a batch without this label: the column is checked where it occurs
        values = _proba_values(frame[col], col, row_numbers, where)
        proba[:, code_of[lab]] = values
        chosen = pred_codes == code_of[lab]
        confidence[chosen] = values[chosen]
    return confidence, proba, sorted(code_of[lab] for lab in columns.proba if lab in code_of)


def _proba_values(series: pd.Series, col: str, row_numbers: np.ndarray, where: str) -> np.ndarray:
    example: Any = None
    if pd.api.types.is_bool_dtype(series.dtype):
        bad = np.ones(len(series), dtype=bool)
    elif pd.api.types.is_numeric_dtype(series.dtype):
        bad = np.zeros(len(series), dtype=bool)
    else:
        coerced = pd.to_numeric(series, errors="coerce")
        bad = (coerced.isna() & series.notna()).to_numpy()
        if bad.any():
            example = series.iloc[int(np.flatnonzero(bad)[0])]
        series = coerced
    if bad.any():
        rows = row_numbers[bad].tolist()
        shown = f", such as {quoted(example)}" if example is not None else ""
        raise ReportgenError(
            f"{where}: probability column '{col}' has {_cells(len(rows), 'non-numeric')} "
            f"({format_rows(rows)}{shown}). Probabilities must be numbers between 0 and 1."
        )
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    empty = np.isnan(values)
    if empty.any():
        rows = row_numbers[empty].tolist()
        raise ReportgenError(
            f"{where}: probability column '{col}' has {_cells(len(rows), 'empty')} "
            f"({format_rows(rows)}). Every row needs a probability for each class."
        )
    outside = (values < -PROBA_TOLERANCE) | (values > 1 + PROBA_TOLERANCE)
    if outside.any():
        rows = row_numbers[outside].tolist()
        first = values[outside][0]
        raise ReportgenError(
            f"{where}: probability column '{col}' has {len(rows)} "
            f"{'value' if len(rows) == 1 else 'values'} outside [0, 1] "
            f"({format_rows(rows)}, such as {as_written(first)}). If these are scores or logits, "
            "convert them to probabilities first, or rename the columns so that they are not "
            "taken as probabilities."
        )
    clipped: np.ndarray = np.clip(values, 0.0, 1.0)
    return clipped


def _has_duplicates(ids: pd.Series) -> bool:
    """Tell whether any id repeats, by sorting: far lighter than hashing a million strings."""
    if len(ids) < 2:
        return False
    if pd.api.types.is_numeric_dtype(ids.dtype) and not pd.api.types.is_bool_dtype(ids.dtype):
        values = np.sort(ids.to_numpy())
        return bool((values[1:] == values[:-1]).any())
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        array = pa.array(ids)  # no copy for Arrow-backed strings
        ordered = array.take(pc.sort_indices(array))
        return bool(pc.any(pc.equal(ordered[:-1], ordered[1:])).as_py())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return bool(ids.duplicated().any())  # mixed types: let pandas compare them


def _check_ids(ids: pd.Series, col: str, row_numbers: np.ndarray, where: str) -> None:
    empty = _empty_mask(ids)
    if empty.any():
        rows = row_numbers[empty].tolist()
        raise ReportgenError(
            f"{where}: id column '{col}' has {_cells(len(rows), 'empty')} "
            f"({format_rows(rows)}). "
            "Every row needs an id, or name another column with --id."
        )
    if not _has_duplicates(ids):
        return
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        dup_rows = np.flatnonzero(dup)
        groups: dict[str, list[int]] = {}
        for i in dup_rows:
            groups.setdefault(str(ids.iloc[int(i)]), []).append(int(row_numbers[i]))
        shown = "; ".join(
            f"{quoted(k)} ({format_rows(v, limit=3)})" for k, v in list(groups.items())[:3]
        )
        raise ReportgenError(
            f"{where}: id column '{col}' has {len(groups)} duplicated "
            f"{'id' if len(groups) == 1 else 'ids'}: {shown}"
            f"{' …' if len(groups) > 3 else ''}. Ids must be unique; name another column with "
            "--id if this one is not an id."
        )


def _check_steps(steps: pd.Series, col: str, row_numbers: np.ndarray, where: str) -> None:
    empty = _empty_mask(steps)
    if empty.any():
        rows = row_numbers[empty].tolist()
        raise ReportgenError(
            f"{where}: step column '{col}' (named with --step) has "
            f"{_cells(len(rows), 'empty')} ({format_rows(rows)}). Every row needs its epoch or "
            "step."
        )


def _check_ids_per_step(
    ids: pd.Series,
    col: str,
    steps: pd.Series,
    step_col: str,
    row_numbers: np.ndarray,
    where: str,
) -> None:
    """Check ids as _check_ids does, but within each step: across steps they repeat by design."""
    empty = _empty_mask(ids)
    if empty.any():
        _check_ids(ids, col, row_numbers, where)
    pairs = pd.DataFrame({"id": ids.to_numpy(), "step": steps.to_numpy()})
    dup = pairs.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    groups: dict[tuple[str, str], list[int]] = {}
    for i in np.flatnonzero(dup):
        key = (str(ids.iloc[int(i)]), str(steps.iloc[int(i)]))
        groups.setdefault(key, []).append(int(row_numbers[i]))
    shown = "; ".join(
        f"'{k[0]}' at {step_col} {k[1]} ({format_rows(v, limit=3)})"
        for k, v in list(groups.items())[:3]
    )
    raise ReportgenError(
        f"{where}: id column '{col}' has {len(groups)} "
        f"{'id' if len(groups) == 1 else 'ids'} repeated within one step of '{step_col}': "
        f"{shown}{' …' if len(groups) > 3 else ''}. Each id may occur once per step; name "
        "another column with --id if this one is not an id."
    )
