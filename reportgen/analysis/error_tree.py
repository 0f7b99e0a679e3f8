"""The error tree: a shallow decision tree on the metadata that predicts 'is an error'."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen.analysis.sampling import bottom_k, row_keys

MAX_DEPTH = 3
MAX_ROWS = 200_000  # the tree is fitted on a seeded sample of at most this many rows
TOP_CATEGORIES = 20
MIN_LEAF_SHARE = 0.02


@dataclass(frozen=True)
class Rule:
    """One leaf of the tree read as a rule: conditions, error rate and coverage."""

    conditions: list[str]
    n: int
    errors: int
    error_rate: float
    coverage: float  # share of the rows the tree was fitted on


@dataclass(frozen=True)
class ErrorTree:
    """Rules worst first, and how the tree was fitted."""

    rules: list[Rule]
    depth: int
    min_leaf: int
    rows_used: int
    rows_total: int
    features: list[str]


def _features(
    frame: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, list[tuple[str, str, object]]]:
    """Encode metadata as numbers: numbers as they are, categories one-hot (top values)."""
    blocks = []
    described: list[tuple[str, str, object]] = []  # (column, kind, value)
    for column in columns:
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype
        )
        if numeric and values.nunique(dropna=True) > 10:
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            fill = float(np.nanmedian(numbers)) if np.isfinite(numbers).any() else 0.0
            blocks.append(np.where(np.isnan(numbers), fill, numbers)[:, None])
            described.append((column, "number", None))
            continue
        text = values.astype("str").where(values.notna(), "(missing)")
        top = text.value_counts().index[:TOP_CATEGORIES]
        for value in sorted(top, key=str):
            blocks.append((text == value).to_numpy(dtype=np.float64)[:, None])
            described.append((column, "category", value))
    if not blocks:
        return np.zeros((len(frame), 0)), []
    return np.hstack(blocks), described


Step = tuple[tuple[str, str, object], float, bool]  # (feature, threshold, went left)


def _conditions(path: list[Step]) -> list[str]:
    """Read a path as conditions, merging the bounds on one number: '0.3 < x ≤ 0.65'."""
    bounds: dict[str, list[float | None]] = {}
    categories: list[str] = []
    for (column, kind, value), threshold, left in path:
        if kind == "number":
            low, high = bounds.setdefault(column, [None, None])
            if left:
                bounds[column][1] = threshold if high is None else min(high, threshold)
            else:
                bounds[column][0] = threshold if low is None else max(low, threshold)
        else:
            categories.append(f"{column} {'≠' if left else '='} {value}")
    numbers = []
    for column, (low, high) in bounds.items():
        if low is not None and high is not None:
            numbers.append(f"{low:.4g} < {column} ≤ {high:.4g}")
        elif high is not None:
            numbers.append(f"{column} ≤ {high:.4g}")
        else:
            numbers.append(f"{column} > {low:.4g}")
    # an equality says more than the inequalities that led to it
    equal = [c for c in categories if " = " in c]
    return equal + [c for c in categories if " = " not in c] + numbers


def fit_error_tree(
    frame: pd.DataFrame,
    columns: list[str],
    wrong: np.ndarray,
    *,
    seed: int = 0,
    row_numbers: np.ndarray | None = None,
) -> ErrorTree | None:
    """Fit the tree and read its leaves as rules; None when there is nothing to split on.

    Past MAX_ROWS rows the tree sees the rows with the smallest keys (`sampling.row_keys`
    of row_numbers, the 1-based file rows; positions + 1 when not given), in file order.
    """
    from sklearn.tree import DecisionTreeClassifier

    n = int(wrong.size)
    if n == 0 or wrong.all() or not wrong.any() or not columns:
        return None
    numbers = np.arange(1, n + 1) if row_numbers is None else row_numbers
    rows = bottom_k(row_keys(numbers, seed), MAX_ROWS, tiebreak=numbers)
    x, described = _features(frame.iloc[rows], columns)
    if x.shape[1] == 0:
        return None
    y = wrong[rows]
    min_leaf = max(10, int(MIN_LEAF_SHARE * rows.size))
    tree = DecisionTreeClassifier(max_depth=MAX_DEPTH, min_samples_leaf=min_leaf, random_state=seed)
    tree.fit(x, y)
    t = tree.tree_
    leaves = tree.apply(x)
    counts = np.bincount(leaves, minlength=t.node_count)
    errs = np.bincount(leaves, weights=y.astype(np.float64), minlength=t.node_count)
    rules: list[Rule] = []

    def walk(node: int, path: list[Step]) -> None:
        if t.children_left[node] == -1:
            if counts[node]:
                rules.append(
                    Rule(
                        conditions=_conditions(path),
                        n=int(counts[node]),
                        errors=int(errs[node]),
                        error_rate=float(errs[node] / counts[node]),
                        coverage=float(counts[node] / rows.size),
                    )
                )
            return
        feature = described[int(t.feature[node])]
        threshold = float(t.threshold[node])
        walk(int(t.children_left[node]), [*path, (feature, threshold, True)])
        walk(int(t.children_right[node]), [*path, (feature, threshold, False)])

    walk(0, [])
    rules.sort(key=lambda r: (-r.error_rate, -r.n))
    return ErrorTree(
        rules=rules,
        depth=int(tree.get_depth()),
        min_leaf=min_leaf,
        rows_used=int(rows.size),
        rows_total=n,
        features=sorted({c for c, _, _ in described}),
    )
