"""Check a loaded table's cells and code its labels: empty labels, the task, ids, steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError, format_rows, quoted
from reportgen.read.messages import (
    cells_text,
    counted,
    empty_cells,
    listed_groups,
    refuse_empty,
    row_note,
)
from reportgen.read.nested_cells import check_cell_types
from reportgen.read.proba_columns import confidence_of
from reportgen.read.table import ColumnMap, PredictionTable, SourceInfo, encode_labels

if TYPE_CHECKING:
    from reportgen.read.load import LoadOptions

# Classification labels are few; a numeric column with more distinct values is a regression target.
MAX_CLASSES_FOR_INTEGERS = 50


def empty_mask(values: pd.Series) -> np.ndarray:
    """Mark the empty cells: missing, or only blanks."""
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


def validate_frame(
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
    frame = check_cell_types(frame, columns, options, row_numbers, source, where)

    empties = {c: empty_mask(frame[c]) for c in (columns.y_true, columns.y_pred)}
    any_empty = empties[columns.y_true] | empties[columns.y_pred]
    dropped = int(any_empty.sum())
    if dropped and not options.dropna:
        parts = []
        for col, mask in empties.items():
            if mask.any():
                parts.append(empty_cells(f"column '{col}'", mask, row_numbers))
        raise ReportgenError(
            f"{where}: {'; '.join(parts)}. Fill them in, or pass --dropna to leave those rows "
            f"out (the report states how many). {row_note(source)}"
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
    probabilities = confidence_of(
        frame, columns, table.labels, table.pred_codes, row_numbers, where, batch=batch
    )
    if probabilities is not None:
        table.confidence, table.proba, table.proba_columns = probabilities
    return table


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
                f"{where}: column '{col}' has {cells_text(len(rows), 'non-numeric')} "
                f"({format_rows(rows)}, such as {quoted(example)}); a regression report needs "
                "numbers in the true and predicted columns. If these are class labels, pass "
                "--task classification."
            )
        numbers = coerced
    infinite = np.isinf(numbers)
    if infinite.any():
        rows = row_numbers[infinite].tolist()
        raise ReportgenError(
            f"{where}: column '{col}' has {counted(len(rows), 'infinite value')} "
            f"({format_rows(rows)}). Infinite "
            "predictions or targets usually come from an overflow upstream; fix or remove "
            "those rows (--dropna only drops empty cells)."
        )
    return np.asarray(numbers, dtype=np.float64)


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
    refuse_empty(
        where,
        f"id column '{col}'",
        empty_mask(ids),
        row_numbers,
        "Every row needs an id, or name another column with --id.",
    )
    if not _has_duplicates(ids):
        return
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        dup_rows = np.flatnonzero(dup)
        groups: dict[str, list[int]] = {}
        for i in dup_rows:
            groups.setdefault(str(ids.iloc[int(i)]), []).append(int(row_numbers[i]))
        raise ReportgenError(
            f"{where}: id column '{col}' has {counted(len(groups), 'duplicated id')}: "
            f"{listed_groups(groups)}. Ids must be unique; name another column with "
            "--id if this one is not an id."
        )


def _check_steps(steps: pd.Series, col: str, row_numbers: np.ndarray, where: str) -> None:
    refuse_empty(
        where,
        f"step column '{col}' (named with --step)",
        empty_mask(steps),
        row_numbers,
        "Every row needs its epoch or step.",
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
    empty = empty_mask(ids)
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
    shown = listed_groups(groups, lambda k: f"'{k[0]}' at {step_col} {k[1]}")
    raise ReportgenError(
        f"{where}: id column '{col}' has {counted(len(groups), 'id')} "
        f"repeated within one step of '{step_col}': {shown}. Each id may occur once per step; name "
        "another column with --id if this one is not an id."
    )
