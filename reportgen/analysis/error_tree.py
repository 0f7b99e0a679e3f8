"""The error tree: a shallow decision tree on the metadata that predicts 'is an error'.

The tree is fitted on a seeded half of the rows and its leaves, read as rules, are counted and
tested on the other half, which it never saw: a leaf chosen because it looked bad on the rows
it was fitted on would look bad there by construction. Each rule's held-out errors are tested
like a slice's (Fisher's exact one-sided test), with Holm's step-down over the leaves on the
tree's share of the report's ALPHA (chance.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reportgen.analysis.chance import ALPHA, holm, hypergeom_tail
from reportgen.analysis.grouping import number_text
from reportgen.analysis.sampling import bottom_k, row_keys
from reportgen.analysis.stats import wilson_interval

MAX_DEPTH = 3
MAX_RULES = 2**MAX_DEPTH  # leaves of a tree of MAX_DEPTH: the tree's tests in the family
MAX_ROWS = 200_000  # the tree sees a seeded sample of at most this many rows, half to fit
TOP_CATEGORIES = 20
MIN_LEAF_SHARE = 0.02
MIN_TESTED_ROWS = 10  # a leaf with fewer held-out rows is shown, not tested


@dataclass(frozen=True)
class Rule:
    """One leaf of the tree read as a rule: its held-out errors, test and coverage."""

    conditions: list[str]
    n: int  # held-out rows the rule covers
    errors: int
    error_rate: float | None
    error_rate_ci: tuple[float, float] | None
    lift: float | None  # error rate / the held-out rows' overall error rate
    coverage: float  # share of the held-out rows
    fit_n: int  # rows of the fitting half in the leaf
    fit_errors: int
    p_value: float | None  # Fisher's exact one-sided test on the held-out rows
    p_adjusted: float | None  # Holm over the rules, on the tree's share of ALPHA


@dataclass(frozen=True)
class ErrorTree:
    """Rules worst first, and how the tree was fitted and tested."""

    rules: list[Rule]
    depth: int
    min_leaf: int
    rows_used: int  # rows the tree was fitted on
    rows_held_out: int  # rows its rules were counted and tested on
    rows_total: int
    features: list[str]
    overall_error_rate: float  # on the held-out rows
    tested: int  # rules tested
    reserved: int  # the tree's tests in the family: MAX_RULES, whatever the leaves
    shared_with: int  # the other tests of the family (the slices)
    min_tested: int = MIN_TESTED_ROWS  # held-out rows a rule needs to be tested
    significant: int = 0  # rules above the held-out rate with an adjusted p below ALPHA


FLOAT32_SAFE = 1e30  # float32 holds 3.4e38; the library sums a column, so leave room
Feature = tuple[str, str, object, float]  # (column, "number" or "category", value, fill)


def _encoding(frame: pd.DataFrame, columns: list[str]) -> list[Feature]:
    """Choose the features on the fitting rows: numbers as they are, top categories one-hot."""
    described: list[Feature] = []
    for column in columns:
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype
        )
        if numeric and values.nunique(dropna=True) > 10:
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            finite = numbers[np.isfinite(numbers)]
            fill = float(np.median(finite)) if finite.size else 0.0
            described.append((column, "number", None, fill))
            continue
        text = values.astype("str").where(values.notna(), "(missing)")
        top = text.value_counts().index[:TOP_CATEGORIES]
        described += [(column, "category", value, 0.0) for value in sorted(top, key=str)]
    return described


def _encode(frame: pd.DataFrame, features: list[Feature]) -> np.ndarray:
    """Encode rows with features chosen on the fitting rows (missing numbers: their median)."""
    blocks = []
    texts: dict[str, np.ndarray] = {}  # each categorical column as text, once
    for column, kind, value, fill in features:
        values = frame[column]
        if kind == "number":
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            # the library fits float32 copies of finite numbers: beyond ±FLOAT32_SAFE (and ±inf)
            # a value stands at that bound, where a split printed as '≤ t' or '> t' between
            # ordinary values still holds for it as written
            filled = np.where(np.isnan(numbers), fill, numbers)
            blocks.append(np.clip(filled, -FLOAT32_SAFE, FLOAT32_SAFE))
            continue
        if column not in texts:
            texts[column] = values.astype("str").where(values.notna(), "(missing)").to_numpy()
        blocks.append((texts[column] == value).astype(np.float64))
    return np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))


@dataclass(frozen=True)
class Fitted:
    """A fitted binary tree as arrays: node i splits x[:, feature[i]] <= threshold[i]."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray  # -1 for a leaf
    right: np.ndarray
    depth: int


def _fit(x: np.ndarray, y: np.ndarray, *, min_leaf: int, seed: int) -> Fitted:
    """Fit the tree; the only place that knows which library grows it.

    The library copies x to float32, where a value past 3.4e38 is infinite and refused: such
    columns are grown on their ranks (a split depends only on the order), and a threshold
    between ranks k and k + 1 becomes the k-th distinct value, which splits the rows alike.
    """
    from sklearn.tree import DecisionTreeClassifier

    f32 = float(np.finfo(np.float32).max) / 2
    wide = [j for j in range(x.shape[1]) if np.abs(x[:, j]).max(initial=0.0) > f32]
    uniques = {j: np.unique(x[:, j]) for j in wide}
    grown = x.copy() if wide else x
    for j, u in uniques.items():
        grown[:, j] = np.searchsorted(u, x[:, j])
    tree = DecisionTreeClassifier(max_depth=MAX_DEPTH, min_samples_leaf=min_leaf, random_state=seed)
    tree.fit(grown, y)
    t = tree.tree_
    threshold = np.asarray(t.threshold, dtype=np.float64).copy()
    for node in np.flatnonzero(np.asarray(t.children_left) != -1):
        found = uniques.get(int(t.feature[node]))
        if found is not None:
            threshold[node] = found[min(int(np.floor(threshold[node])), found.size - 1)]
    return Fitted(
        feature=np.asarray(t.feature, dtype=np.int64),
        threshold=threshold,
        left=np.asarray(t.children_left, dtype=np.int64),
        right=np.asarray(t.children_right, dtype=np.int64),
        depth=int(tree.get_depth()),
    )


def _apply(tree: Fitted, x: np.ndarray) -> np.ndarray:
    """The leaf each row lands in, under the tree's (displayed) thresholds."""
    node = np.zeros(x.shape[0], dtype=np.int64)
    rows = np.arange(x.shape[0])
    for _ in range(tree.depth):
        inner = tree.left[node] != -1
        if not inner.any():
            break
        feature = np.where(inner, tree.feature[node], 0)
        go_left = x[rows, feature] <= tree.threshold[node]
        node = np.where(inner, np.where(go_left, tree.left[node], tree.right[node]), node)
    return node


def _shown_thresholds(tree: Fitted, x: np.ndarray, features: list[Feature]) -> Fitted:
    """Replace each number threshold by the shortest decimal that splits the fitting rows alike.

    A threshold is a midpoint between two neighbouring values; '≤ 15.05' must mean exactly what
    the rule counts, so the rule is applied with the number it prints.
    """
    threshold = tree.threshold.copy()
    for node in np.flatnonzero(tree.left != -1):
        f = int(tree.feature[node])
        if features[f][1] != "number":
            continue
        t = float(threshold[node])
        column = x[:, f]
        below, above = column[column <= t], column[column > t]
        low = float(below.max()) if below.size else -np.inf
        high = float(above.min()) if above.size else np.inf
        candidates = [t]
        if np.isfinite(low) and np.isfinite(high):
            # the library may have split float32 copies; low itself always splits alike
            candidates = [low + (high - low) / 2, low]
        for digits in range(4, 18):
            shown = [float(f"{c:.{digits}g}") for c in candidates]
            fits = [x for x in shown if low <= x < high]
            if fits:
                threshold[node] = fits[0]
                break
    return replace(tree, threshold=threshold)


Step = tuple[Feature, float, bool]  # (feature, threshold, went left)


def _conditions(path: list[Step]) -> list[str]:
    """Read a path as conditions, merging the bounds on one number: '0.3 < x ≤ 0.65'."""
    bounds: dict[str, list[float | None]] = {}
    categories: list[str] = []
    for (column, kind, value, _), threshold, left in path:
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
            numbers.append(f"{number_text(low)} < {column} ≤ {number_text(high)}")
        elif high is not None:
            numbers.append(f"{column} ≤ {number_text(high)}")
        elif low is not None:
            numbers.append(f"{column} > {number_text(low)}")
    # an equality says more than the inequalities that led to it
    equal = [c for c in categories if " = " in c]
    return equal + [c for c in categories if " = " not in c] + numbers


def _halves(numbers: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split a seeded sample of at most MAX_ROWS rows into a fitting and a held-out half.

    Both by the rows' keys (`sampling.row_keys` of the file row numbers): the smaller keys fit,
    the larger are held out; each half in file order.
    """
    keys = row_keys(numbers, seed)
    chosen = bottom_k(keys, MAX_ROWS, tiebreak=numbers)
    order = chosen[np.lexsort((numbers[chosen], keys[chosen]))]
    half = chosen.size // 2
    return np.sort(order[:half]), np.sort(order[half:])


def fit_error_tree(
    frame: pd.DataFrame,
    columns: list[str],
    wrong: np.ndarray,
    *,
    seed: int = 0,
    row_numbers: np.ndarray | None = None,
    shared_with: int = 0,
) -> ErrorTree | None:
    """Fit the tree on half the rows, test its rules on the other half; None without a split.

    row_numbers: the 1-based file rows (positions + 1 when not given), which seed the split.
    shared_with: the other tests of the report's family (the slices tested): the tree's rules
    spend MAX_RULES / (shared_with + MAX_RULES) of ALPHA.
    """
    n = int(wrong.size)
    if n < 2 or wrong.all() or not wrong.any() or not columns:
        return None
    numbers = np.arange(1, n + 1) if row_numbers is None else np.asarray(row_numbers)
    fit_rows, held_rows = _halves(numbers, seed)
    features = _encoding(frame.iloc[fit_rows], columns)
    if not features:
        return None
    x_fit = _encode(frame.iloc[fit_rows], features)
    x_held = _encode(frame.iloc[held_rows], features)
    y_fit, y_held = wrong[fit_rows], wrong[held_rows]
    min_leaf = max(10, int(MIN_LEAF_SHARE * fit_rows.size))
    tree = _shown_thresholds(_fit(x_fit, y_fit, min_leaf=min_leaf, seed=seed), x_fit, features)
    nodes = tree.left.size
    fit_leaf, held_leaf = _apply(tree, x_fit), _apply(tree, x_held)
    fit_n = np.bincount(fit_leaf, minlength=nodes)
    fit_err = np.bincount(fit_leaf, weights=y_fit.astype(np.float64), minlength=nodes)
    held_n = np.bincount(held_leaf, minlength=nodes)
    held_err = np.bincount(held_leaf, weights=y_held.astype(np.float64), minlength=nodes)
    held_total, held_errors = int(held_rows.size), int(y_held.sum())
    overall = held_errors / held_total if held_total else 0.0
    rules: list[Rule] = []

    def walk(node: int, path: list[Step]) -> None:
        if tree.left[node] == -1:
            k, m = int(held_err[node]), int(held_n[node])
            conditions = _conditions(path)
            tested = bool(conditions) and m >= MIN_TESTED_ROWS
            rate = k / m if m else None
            rules.append(
                Rule(
                    conditions=conditions,
                    n=m,
                    errors=k,
                    error_rate=rate,
                    error_rate_ci=wilson_interval(k, m),
                    lift=None if rate is None or overall == 0 else rate / overall,
                    coverage=m / held_total if held_total else 0.0,
                    fit_n=int(fit_n[node]),
                    fit_errors=int(fit_err[node]),
                    p_value=hypergeom_tail(k, m, held_errors, held_total) if tested else None,
                    p_adjusted=None,
                )
            )
            return
        feature = features[int(tree.feature[node])]
        threshold = float(tree.threshold[node])
        walk(int(tree.left[node]), [*path, (feature, threshold, True)])
        walk(int(tree.right[node]), [*path, (feature, threshold, False)])

    walk(0, [])
    adjusted = holm([r.p_value for r in rules], share=MAX_RULES / (shared_with + MAX_RULES))
    rules = [replace(r, p_adjusted=q) for r, q in zip(rules, adjusted, strict=True)]
    rules.sort(key=lambda r: (-(r.error_rate if r.error_rate is not None else -1.0), -r.n))
    return ErrorTree(
        rules=rules,
        depth=tree.depth,
        min_leaf=min_leaf,
        rows_used=int(fit_rows.size),
        rows_held_out=held_total,
        rows_total=n,
        features=sorted({c for c, _, _, _ in features}),
        overall_error_rate=overall,
        tested=sum(r.p_value is not None for r in rules),
        reserved=MAX_RULES,
        shared_with=shared_with,
        significant=sum(
            r.p_adjusted is not None
            and r.p_adjusted < ALPHA
            and r.error_rate is not None
            and r.error_rate > overall
            for r in rules
        ),
    )
