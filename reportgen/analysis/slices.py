"""Group rows by a metadata column: categories as they are, numbers in quantile bins."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reportgen.analysis.stats import Interval, mean_interval, wilson_interval

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


def group_rows(values: pd.Series, column: str, weights: np.ndarray | None = None) -> Grouping:
    """Assign each row to a group: quantile bins for many-valued numbers, else categories.

    weights: how many rows each row stands for (rows summed up by value); categories only.
    """
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


# ---------------------------------------------------------------- classification slices

MIN_RANKED_SUPPORT = 10  # smaller groups are shown per column but not ranked
MAX_PAIR_COLUMNS = 6  # pairs of columns are tried when there are at most this many
RANKED = 15


@dataclass(frozen=True)
class ErrorGroup:
    """Errors within one group of rows, against the overall error rate."""

    column: str
    value: str
    n: int
    errors: int
    error_rate: float
    error_rate_ci: tuple[float, float] | None
    lift: float | None  # error rate / overall error rate
    p_value: float | None  # one-sided binomial test: more errors than the overall rate?
    p_adjusted: float | None  # Bonferroni: p times the number of groups tested


@dataclass(frozen=True)
class ErrorSlice:
    """Error rates per group of one metadata column."""

    column: str
    kind: str
    groups: list[ErrorGroup]


@dataclass(frozen=True)
class SliceResult:
    """Per-column error rates and the worst groups over all columns (and pairs)."""

    overall_error_rate: float
    columns: list[ErrorSlice]
    worst: list[ErrorGroup]
    tested: int
    pairs_tried: bool


def _error_groups(
    column: str,
    names: list[str],
    codes: np.ndarray,
    wrong: np.ndarray,
    overall: float,
    weights: np.ndarray | None = None,
) -> list[ErrorGroup]:
    k = len(names)
    w = np.ones(codes.size) if weights is None else weights.astype(np.float64)
    n = np.rint(np.bincount(codes, weights=w, minlength=k)).astype(np.int64)
    errors = np.rint(np.bincount(codes, weights=wrong * w, minlength=k)).astype(np.int64)
    out = []
    for i, name in enumerate(names):
        if n[i] == 0:
            continue
        rate = float(errors[i] / n[i])
        out.append(
            ErrorGroup(
                column=column,
                value=name,
                n=int(n[i]),
                errors=int(errors[i]),
                error_rate=rate,
                error_rate_ci=wilson_interval(int(errors[i]), int(n[i])),
                lift=rate / overall if overall > 0 else None,
                p_value=None,
                p_adjusted=None,
            )
        )
    return out


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): the one-sided test's p-value.

    Through the regularised incomplete beta function, as scipy.stats.binom.sf computes it;
    scipy.special loads in a fraction of the time scipy.stats takes.
    """
    from scipy.special import betainc

    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    return float(betainc(k, n - k + 1, p))


def _with_tests(groups: list[ErrorGroup], overall: float, tested: int) -> list[ErrorGroup]:
    out = []
    for g in groups:
        p = binomial_tail(g.errors, g.n, overall) if g.n >= MIN_RANKED_SUPPORT else None
        out.append(replace(g, p_value=p, p_adjusted=None if p is None else min(1.0, p * tested)))
    return out


def error_slices(
    frame: pd.DataFrame, columns: list[str], wrong: np.ndarray, weights: np.ndarray | None = None
) -> SliceResult:
    """Error rate per group of each column, and the groups (and pairs) that stand out most.

    weights: how many rows each row of the frame stands for, when rows with the same values
    were summed up (categorical columns only).
    """
    w = np.ones(wrong.size) if weights is None else weights.astype(np.float64)
    n = int(np.rint(w.sum()))
    overall = float((wrong * w).sum() / n) if n else 0.0
    groupings = [group_rows(frame[c], c, weights) for c in columns]
    per_column = [
        (g, _error_groups(g.column, g.names, g.codes, wrong, overall, weights)) for g in groupings
    ]
    candidates = [grp for _, groups in per_column for grp in groups]
    pairs_tried = 1 < len(groupings) <= MAX_PAIR_COLUMNS
    if pairs_tried:
        for a_index, a in enumerate(groupings):
            for b in groupings[a_index + 1 :]:
                combined = a.codes * len(b.names) + b.codes
                names = [f"{x} & {b.column} = {y}" for x in a.names for y in b.names]
                pair_groups = _error_groups(a.column, names, combined, wrong, overall, weights)
                candidates += [g for g in pair_groups if g.n >= max(MIN_RANKED_SUPPORT, n // 100)]
    ranked = [g for g in candidates if g.n >= MIN_RANKED_SUPPORT]
    tested = len(ranked)
    tested_groups = _with_tests(ranked, overall, tested) if tested else []
    worst = sorted(
        (g for g in tested_groups if g.error_rate > overall),
        key=lambda g: (g.p_adjusted if g.p_adjusted is not None else 1.0, -g.error_rate, g.value),
    )[:RANKED]
    tested_lookup = {(g.column, g.value): g for g in tested_groups}
    columns_out = [
        ErrorSlice(
            column=grouping.column,
            kind=grouping.kind,
            groups=[tested_lookup.get((g.column, g.value), g) for g in groups],
        )
        for grouping, groups in per_column
    ]
    return SliceResult(
        overall_error_rate=overall,
        columns=columns_out,
        worst=worst,
        tested=tested,
        pairs_tried=pairs_tried,
    )
