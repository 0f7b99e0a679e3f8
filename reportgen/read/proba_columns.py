"""Check the probability columns and build the probability matrix in label order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError, as_written, format_rows, quoted
from reportgen.read.messages import cells_text, counted, refuse_empty
from reportgen.read.table import ColumnMap

PROBA_TOLERANCE = 1e-6
# the (rows, labels) probability matrix is refused past this many cells (1.6 GB of float64)
# when most labels have no probability column, so that it would be mostly empty and larger
# than the data: 2M rows and 50,000 labels, ten of them with a column, would need 800 GB
MAX_PROBA_CELLS = 200_000_000


def confidence_of(
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
            f"{where}: probability column '{col}' has {cells_text(len(rows), 'non-numeric')} "
            f"({format_rows(rows)}{shown}). Probabilities must be numbers between 0 and 1."
        )
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    refuse_empty(
        where,
        f"probability column '{col}'",
        np.isnan(values),
        row_numbers,
        "Every row needs a probability for each class.",
    )
    outside = (values < -PROBA_TOLERANCE) | (values > 1 + PROBA_TOLERANCE)
    if outside.any():
        rows = row_numbers[outside].tolist()
        first = values[outside][0]
        raise ReportgenError(
            f"{where}: probability column '{col}' has {counted(len(rows), 'value')} outside [0, 1] "
            f"({format_rows(rows)}, such as {as_written(first)}). If these are scores or logits, "
            "convert them to probabilities first, or rename the columns so that they are not "
            "taken as probabilities."
        )
    clipped: np.ndarray = np.clip(values, 0.0, 1.0)
    return clipped
