"""Group rows by a metadata column: categories as they are, numbers in quantile bins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen.analysis.stats import Interval, mean_interval

QUANTILE_BINS = 5
MAX_GROUPS = 20
# A numeric column with at most this many distinct values is treated as categories.
FEW_VALUES = 10
MISSING = "(missing)"


@dataclass(frozen=True)
class Grouping:
    """Rows assigned to the groups of one column, in display order."""

    column: str
    kind: str  # "categorical" or "quantile bins"
    names: list[str]
    codes: np.ndarray  # group index per row


@dataclass(frozen=True)
class ResidualGroup:
    """The residual distribution within one group (residual = y_true - y_pred)."""

    value: str
    n: int
    mean_residual: float
    mean_residual_ci: Interval | None
    mae: float
    rmse: float
    median: float
    q05: float
    q25: float
    q75: float
    q95: float


@dataclass(frozen=True)
class ResidualSlice:
    """Residual statistics per group of one metadata column."""

    column: str
    kind: str
    groups: list[ResidualGroup]


def _range(low: float, high: float) -> str:
    return f"{low:.4g} – {high:.4g}"


def group_rows(values: pd.Series, column: str) -> Grouping:
    """Assign each row to a group: quantile bins for many-valued numbers, else categories."""
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    )
    missing = values.isna().to_numpy()
    if numeric and values.nunique(dropna=True) > FEW_VALUES:
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        finite = numbers[~missing]
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, QUANTILE_BINS + 1)))
        inner = edges[1:-1]
        codes = np.searchsorted(inner, numbers, side="right")
        names = [_range(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]
        kind = "quantile bins"
    else:
        found, uniques = pd.factorize(values, use_na_sentinel=True)
        counts = np.bincount(found[found >= 0], minlength=len(uniques))
        texts = [_scalar_text(u) for u in uniques]
        order = sorted(range(len(uniques)), key=lambda i: (-int(counts[i]), texts[i]))
        keep = order[: MAX_GROUPS - 1] if len(order) > MAX_GROUPS else order
        if numeric:
            keep = sorted(keep, key=lambda i: float(np.asarray(uniques)[i]))
        remap = np.full(len(uniques) + 1, len(keep), dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        codes = remap[found]  # -1 (missing) lands on the last slot; overwritten below
        names = [texts[i] for i in keep]
        if len(order) > len(keep):
            names.append(f"other ({len(order) - len(keep)} values)")
        kind = "categorical"
    codes = np.asarray(codes, dtype=np.int64)
    if missing.any():
        codes[missing] = len(names)
        names.append(MISSING)
    return Grouping(column=column, kind=kind, names=names, codes=codes)


def _scalar_text(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def residual_slices(
    frame: pd.DataFrame, columns: list[str], residual: np.ndarray
) -> list[ResidualSlice]:
    """Summarise the residuals per group of each named column."""
    out = []
    for column in columns:
        grouping = group_rows(frame[column], column)
        groups = []
        for index, name in enumerate(grouping.names):
            r = residual[grouping.codes == index]
            if r.size == 0:
                continue
            q05, q25, median, q75, q95 = np.quantile(r, [0.05, 0.25, 0.5, 0.75, 0.95])
            groups.append(
                ResidualGroup(
                    value=name,
                    n=int(r.size),
                    mean_residual=float(r.mean()),
                    mean_residual_ci=mean_interval(r),
                    mae=float(np.abs(r).mean()),
                    rmse=float(np.sqrt(np.mean(r**2))),
                    median=float(median),
                    q05=float(q05),
                    q25=float(q25),
                    q75=float(q75),
                    q95=float(q95),
                )
            )
        out.append(ResidualSlice(column=column, kind=grouping.kind, groups=groups))
    return out
