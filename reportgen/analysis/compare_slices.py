"""Per-slice change between two models on the same rows, each tested paired, Holm over all.

A slice is one value (or quantile bin) of a metadata column, grouped as a build report groups
it (analysis.slices.group_rows). In each slice the two models' losses are compared row by row:
for classification the loss is 1 for a wrong prediction, and the rows one model gets right and
the other wrong are tested with McNemar's exact test, as the comparison tests the whole set;
for regression the loss is the absolute error, and rows closer for the candidate against rows
further off are tested with the exact sign test, as the whole set is (ties left out). Slices
of at least MIN_TESTED_ROWS rows are tested, and Holm's step-down adjusts over every slice
tested (DESIGN.md "Claims"): a slice is named in the findings only when its adjusted p is
below ALPHA.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reportgen.analysis.chance import ALPHA, holm
from reportgen.analysis.compare_stats import mcnemar
from reportgen.analysis.grouping import group_rows
from reportgen.analysis.slices import MIN_TESTED_ROWS


@dataclass(frozen=True)
class SliceChange:
    """One slice: both models' mean loss, the change and the paired test."""

    column: str
    value: str  # as the column's table shows it: 'cam_1', '18 ≤ bmi < 22.6'
    name: str  # as a condition: 'camera = cam_1'
    n: int
    a: float  # mean loss of the baseline: error rate or mean absolute error
    b: float
    better: int  # rows whose loss fell (fixed; closer)
    worse: int  # rows whose loss rose (broken; further off)
    p_value: float | None  # None: fewer than MIN_TESTED_ROWS rows, not tested
    p_adjusted: float | None = None

    @property
    def change(self) -> float:
        """The candidate's mean loss minus the baseline's: positive is worse."""
        return self.b - self.a

    @property
    def significant(self) -> bool:
        """Whether the change survives the adjustment over every slice tested."""
        return self.p_adjusted is not None and self.p_adjusted < ALPHA


@dataclass(frozen=True)
class SliceColumn:
    """How one column was grouped."""

    column: str
    kind: str  # "categorical" or "quantile bins"
    values: int  # distinct non-missing values
    other: int  # values folded into the 'other' group


@dataclass(frozen=True)
class SliceComparison:
    """Every slice of every column, worst change first, with adjusted p-values."""

    columns: list[SliceColumn]
    items: list[SliceChange]
    tested: int

    @property
    def significant(self) -> list[SliceChange]:
        """The slices whose change survives, worst first."""
        return [s for s in self.items if s.significant]


def _column_changes(
    values: pd.Series, column: str, loss_a: np.ndarray, loss_b: np.ndarray
) -> tuple[SliceColumn, list[SliceChange]]:
    """The slices of one column, untested."""
    grouping = group_rows(values, column)
    k = len(grouping.names)
    codes = grouping.codes
    n = np.bincount(codes, minlength=k)
    # each row's share of its slice's mean, summed: a sum of errors near 1e308 would overflow
    per_row = 1.0 / n[codes]
    mean_a = np.bincount(codes, weights=loss_a * per_row, minlength=k)
    mean_b = np.bincount(codes, weights=loss_b * per_row, minlength=k)
    better = np.bincount(codes, weights=loss_b < loss_a, minlength=k)
    worse = np.bincount(codes, weights=loss_b > loss_a, minlength=k)
    changes = []
    for i in range(k):
        if n[i] == 0:
            continue
        tested = n[i] >= MIN_TESTED_ROWS
        changes.append(
            SliceChange(
                column=column,
                value=grouping.names[i],
                name=grouping.conditions[i],
                n=int(n[i]),
                a=float(mean_a[i]),
                b=float(mean_b[i]),
                better=int(better[i]),
                worse=int(worse[i]),
                p_value=mcnemar(int(better[i]), int(worse[i])).exact_p if tested else None,
            )
        )
    info = SliceColumn(column, grouping.kind, grouping.values, grouping.other)
    return info, changes


def compare_slices(
    frames: dict[str, pd.Series], loss_a: np.ndarray, loss_b: np.ndarray
) -> SliceComparison:
    """Compare two models' losses in every slice of the given columns (name -> values per row).

    loss_a, loss_b: per row, 1.0 for an error and 0.0 for a right prediction (classification)
    or the absolute error (regression), in the same row order as the values.
    """
    columns: list[SliceColumn] = []
    items: list[SliceChange] = []
    for column, values in frames.items():
        info, changes = _column_changes(values, column, loss_a, loss_b)
        columns.append(info)
        items.extend(changes)
    adjusted = holm([s.p_value for s in items])
    items = [replace(s, p_adjusted=q) for s, q in zip(items, adjusted, strict=True)]
    # worst change first; equal changes by how sure the test is, then as the columns list them
    order = sorted(
        range(len(items)),
        key=lambda i: (
            -items[i].change,
            items[i].p_adjusted if items[i].p_adjusted is not None else 2.0,
            i,
        ),
    )
    tested = sum(s.p_value is not None for s in items)
    return SliceComparison(columns=columns, items=[items[i] for i in order], tested=tested)
