"""Refuse lists, structs, maps and bytes in columns whose values are compared or grouped."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError, format_rows
from reportgen.read.messages import row_note
from reportgen.read.table import ColumnMap, SourceInfo

if TYPE_CHECKING:
    from reportgen.read.load import LoadOptions


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


def check_cell_types(
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
            f"takes {accepted}. To use it, {fix}. {row_note(source)}"
        )
    return frame
