"""Group rows by a metadata column: categories as they are, numbers in quantile bins, with
names that are exactly true of the rows in each group."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Generic, Self, TypeVar

import numpy as np
import pandas as pd

QUANTILE_BINS = 5
MAX_GROUPS = 20
# A numeric column with at most this many distinct values is treated as categories.
FEW_VALUES = 10
MISSING = "(missing)"

GroupT = TypeVar("GroupT")


@dataclass(frozen=True)
class Grouping:
    """Rows assigned to the groups of one column, in display order."""

    column: str
    kind: str  # "categorical" or "quantile bins"
    names: list[str]  # the group as its column's table shows it: 'cam_1', '18 ≤ bmi < 22.6'
    codes: np.ndarray  # group index per row
    conditions: list[str]  # the group as a condition on its own: 'camera = cam_1'
    values: int  # distinct non-missing values in the column
    other: int  # values folded into the 'other' group (categories past MAX_GROUPS)


@dataclass(frozen=True)
class ColumnSlice(Generic[GroupT]):
    """Statistics per group of one metadata column (the groups' type says which statistics)."""

    column: str
    kind: str
    groups: list[GroupT]
    values: int = 0  # distinct non-missing values in the column
    other: int = 0  # values folded into the 'other' group

    @classmethod
    def of(cls, grouping: Grouping, groups: list[GroupT]) -> Self:
        """Hold the groups of a grouping with what it says about its column."""
        return cls(grouping.column, grouping.kind, groups, grouping.values, grouping.other)

    def with_groups(self, groups: list[GroupT]) -> Self:
        """The same column's slice with other statistics per group (adjusted p-values)."""
        return replace(self, groups=groups)


def number_text(x: float) -> str:
    """The shortest text of at least 4 significant digits that reads back as x exactly."""
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    for digits in range(4, 18):
        text = f"{x:.{digits}g}"
        if float(text) == x:
            break
    return text.replace("-", "−")


def _shortest_in(candidates: list[float], low: float, high: float) -> float:
    """The first candidate, rounded to the fewest digits (at least 4), in low < x <= high."""
    for digits in range(4, 18):
        for c in candidates:
            x = float(f"{c:.{digits}g}")
            if math.isinf(x) != math.isinf(c):  # 1.7975e308 rounds up past the largest float
                continue
            # one unit of the last digit either way, when rounding crossed a bound
            finite = x and math.isfinite(x)
            unit = 10.0 ** (math.floor(math.log10(abs(x))) - digits + 1) if finite else 0.0
            for y in (x, x - unit, x + unit):
                y = float(f"{y:.{digits}g}")
                if low < y <= high and math.isinf(y) == math.isinf(c):
                    return y
    return candidates[-1]


def readable_edges(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Round bin edges to short decimals that put every one of values in the same bin.

    Bins take a row when lower edge ≤ value < upper edge (the last bin: ≤ both), as
    searchsorted(inner edges, side="right") assigns them, so that a printed name such as
    '22.62 ≤ bmi < 24.7' is exactly true of the rows counted in it.
    """
    ordered = np.sort(values)
    out = []
    for i, e in enumerate(edges.tolist()):
        if i == 0:  # the smallest value: the printed lower edge must not be above it
            out.append(_shortest_in([e], -np.inf, e))
        elif i == len(edges) - 1:  # the largest: the printed upper edge not below it
            out.append(_shortest_in([e], float(np.nextafter(e, -np.inf)), np.inf))
        else:
            at = int(np.searchsorted(ordered, e, side="left"))
            below = float(ordered[at - 1]) if at > 0 else -np.inf
            above = float(ordered[at]) if at < ordered.size else np.inf
            # any d with below < d <= above assigns every value as e does; above itself does
            out.append(_shortest_in([e, above], below, above))
    return np.asarray(out, dtype=np.float64)


def bin_names(edges: np.ndarray, what: str) -> list[str]:
    """Name quantile bins as inequalities: a bin holds its lower edge, the last both edges.

    '18 ≤ bmi < 22.62', …, '30.3 ≤ bmi ≤ 42.2': rows are assigned with
    searchsorted(side="right") on the inner edges, so a value equal to an edge goes up.
    Edges are printed exactly (`readable_edges` makes them short).
    """
    texts = [number_text(float(e)) for e in edges]
    last = len(edges) - 2
    return [
        f"{texts[i]} ≤ {what} {'≤' if i == last else '<'} {texts[i + 1]}"
        for i in range(len(edges) - 1)
    ]


def group_rows(values: pd.Series, column: str, weights: np.ndarray | None = None) -> Grouping:
    """Assign each row to a group: quantile bins for many-valued numbers, else categories.

    weights: how many rows each row stands for (rows summed up by value); categories only.
    """
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    )
    missing = values.isna().to_numpy()
    distinct = int(values.nunique(dropna=True))
    other = 0
    if numeric and distinct > FEW_VALUES:
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        present = numbers[~missing]
        finite = present[np.isfinite(present)]
        # quantiles of the finite values: an infinite one would make every edge inf or NaN;
        # an infinite value joins the end bin, whose printed edge then says so (−∞, ∞)
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, QUANTILE_BINS + 1)))
        edges = readable_edges(edges, finite)
        if (present == -np.inf).any():
            edges[0] = -np.inf
        if (present == np.inf).any():
            edges[-1] = np.inf
        inner = edges[1:-1]
        codes = np.searchsorted(inner, numbers, side="right")
        names = bin_names(edges, column)
        conditions = list(names)
        kind = "quantile bins"
    else:
        found, uniques = pd.factorize(values, use_na_sentinel=True)
        counts = np.bincount(
            found[found >= 0],
            weights=None if weights is None else weights[found >= 0],
            minlength=len(uniques),
        )
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
            other = len(order) - len(keep)
            names.append(f"other ({other} values)")
        conditions = [f"{column} = {name}" for name in names]
        kind = "categorical"
    codes = np.asarray(codes, dtype=np.int64)
    if missing.any():
        codes[missing] = len(names)
        names.append(MISSING)
        conditions.append(f"{column} = {MISSING}")
    return Grouping(
        column=column,
        kind=kind,
        names=names,
        codes=codes,
        conditions=conditions,
        values=distinct,
        other=other,
    )


def _scalar_text(value: object) -> str:
    """Write a category as text: a whole float without its '.0'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)
