"""PredictionTable: the validated input, with labels integer-coded once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from reportgen.record.types import ColumnsBlock


@dataclass(frozen=True)
class SourceInfo:
    """Where the predictions came from (a file, or a DataFrame passed in Python)."""

    path: str | None
    format: str | None
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class ColumnMap:
    """Which input column plays which role."""

    y_true: str
    y_pred: str
    id: str | None = None
    sample: str | None = None
    buckets: str | None = None
    split: str | None = None
    proba: dict[str, str] = field(default_factory=dict)  # label -> column
    proba_prefix: str | None = None
    extra: tuple[str, ...] = ()
    slices: tuple[str, ...] = ()

    def needed(self) -> dict[str, None]:
        """The columns to load, in role order, each once."""
        cols = [self.y_true, self.y_pred, *self.proba.values(), *self.shown()]
        return dict.fromkeys(c for c in cols if c is not None)

    def shown(self) -> list[str]:
        """The columns kept beside the labels: id, sample, metadata and slice columns."""
        cols = [self.id, self.sample, self.buckets, self.split, *self.extra, *self.slices]
        return list(dict.fromkeys(c for c in cols if c is not None))

    def as_record(self) -> ColumnsBlock:
        """The columns by role, as the record's provenance writes them."""
        return {
            "y_true": self.y_true,
            "y_pred": self.y_pred,
            "id": self.id,
            "sample": self.sample,
            "buckets": self.buckets,
            "split": self.split,
            "proba_prefix": self.proba_prefix,
            "proba": dict(self.proba),
            "columns": list(self.extra),
            "slices": list(self.slices),
        }


@dataclass
class PredictionTable:
    """Validated predictions: coded labels (classification) or numbers (regression).

    The classification fields are empty for a regression table and the regression fields
    None for a classification one; `task` says which.
    """

    source: SourceInfo
    columns: ColumnMap
    task: str
    frame: pd.DataFrame  # only the shown columns (id, sample, extra, slices), in input order
    row_numbers: np.ndarray  # 1-based data row numbers in the input file
    labels: list[str] = field(default_factory=list)
    label_kind: str = ""  # "numeric" or "string"
    true_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pred_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    confidence: np.ndarray | None = None
    proba: np.ndarray | None = None  # (n, k) in label order; columns not in proba_columns unused
    proba_columns: list[int] = field(default_factory=list)  # label indices with a column
    y_true_values: np.ndarray | None = None
    y_pred_values: np.ndarray | None = None
    rows_read: int = 0
    rows_dropped: int = 0

    @property
    def n(self) -> int:
        return int(self.row_numbers.shape[0])


def restrict(table: PredictionTable, mask: np.ndarray) -> PredictionTable:
    """Keep the rows where mask is true; labels that no kept row has are dropped."""
    frame = table.frame.loc[mask].reset_index(drop=True)
    kept = {
        "frame": frame,
        "row_numbers": table.row_numbers[mask],
        "confidence": None if table.confidence is None else table.confidence[mask],
        "y_true_values": None if table.y_true_values is None else table.y_true_values[mask],
        "y_pred_values": None if table.y_pred_values is None else table.y_pred_values[mask],
    }
    if table.labels:
        true_codes, pred_codes = table.true_codes[mask], table.pred_codes[mask]
        used = np.flatnonzero(
            np.bincount(true_codes, minlength=len(table.labels))
            + np.bincount(pred_codes, minlength=len(table.labels))
        )
        remap = np.full(len(table.labels), -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        kept |= {
            "labels": [table.labels[i] for i in used],
            "true_codes": remap[true_codes],
            "pred_codes": remap[pred_codes],
        }
        if table.proba is not None:
            kept |= {
                "proba": table.proba[mask][:, used],
                "proba_columns": [int(remap[i]) for i in table.proba_columns if remap[i] >= 0],
            }
    return replace(table, **kept)


def without_column(table: PredictionTable, column: str) -> PredictionTable:
    """The table without one of its extra columns (one read only to choose rows)."""
    extra = tuple(c for c in table.columns.extra if c != column)
    columns = replace(table.columns, extra=extra)
    return replace(table, columns=columns, frame=table.frame[columns.shown()])


def label_text(value: Any) -> str:
    """Show a label the way users wrote it: 3 as '3', 0.5 as '0.5'."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return str(int(f)) if f.is_integer() else repr(f)
    return str(value)


def _plain(value: Any) -> Any:
    """Make a label value plain Python: integral floats become ints, non-numbers text."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return int(f) if f.is_integer() else f
    return str(value)


def factorize(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Code one column: a categorical keeps its codes, anything else is factorized once."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), list(values.cat.categories)
    codes, uniques = pd.factorize(values, sort=False)
    return codes, list(uniques)


def encode_labels(
    y_true: pd.Series, y_pred: pd.Series
) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """Code both label columns against one shared, ordered label list.

    Numeric labels sort numerically, all others as strings; when either column holds a
    value that is not a number, every label is compared as text. The work is per distinct
    value: the rows are touched once, by the factorization and one lookup.
    """
    t_codes, t_values = factorize(y_true)
    p_codes, p_values = factorize(y_pred)
    t_plain = [_plain(v) for v in t_values]
    p_plain = [_plain(v) for v in p_values]
    numeric = all(not isinstance(v, str) for v in [*t_plain, *p_plain])
    if not numeric:
        t_plain = [label_text(v) for v in t_plain]
        p_plain = [label_text(v) for v in p_plain]
    ordered: list[Any] = sorted(set(t_plain) | set(p_plain), key=float if numeric else None)
    position = {u: i for i, u in enumerate(ordered)}
    t_map = np.array([position[u] for u in t_plain], dtype=np.int64)
    p_map = np.array([position[u] for u in p_plain], dtype=np.int64)
    true_codes = t_map[t_codes] if len(t_map) else np.zeros(0, dtype=np.int64)
    pred_codes = p_map[p_codes] if len(p_map) else np.zeros(0, dtype=np.int64)
    labels = [label_text(u) for u in ordered]
    return true_codes, pred_codes, labels, "numeric" if numeric else "string"
