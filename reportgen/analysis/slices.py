"""Slices: residuals (regression) and error rates (classification) per group of each metadata
column, tested against the rest of the rows; the worst groups and pairs of groups."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reportgen.analysis.chance import ALPHA, holm, hypergeom_tail, welch_test
from reportgen.analysis.grouping import ColumnSlice, group_rows
from reportgen.analysis.stats import Interval, interval_of, power_of_two_scale, wilson_interval

MIN_TESTED_ROWS = 10  # smaller groups are shown but not tested: nothing is stated about them


@dataclass(frozen=True)
class ResidualGroup:
    """The residual distribution within one group (residual = y_true - y_pred)."""

    value: str
    name: str  # the group as a condition: 'sex = 2', '26.9 ≤ bmi < 30.3'
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
    residual_sd: float | None  # sample standard deviation (ddof=1); None below two rows
    rest_mean_residual: float | None  # the mean residual of every other row
    p_value: float | None = None  # Welch's t-test: group mean residual against the rest's
    p_adjusted: float | None = None  # Holm over the report's family (chance.regression_family)


class ResidualSlice(ColumnSlice[ResidualGroup]):
    """Residual statistics per group of one metadata column."""


def residual_slices(
    frame: pd.DataFrame, columns: list[str], residual: np.ndarray
) -> list[ResidualSlice]:
    """Summarise the residuals per group of each named column, beside the rest of the rows.

    Each group gets the raw p-value of Welch's t-test of its mean residual against the other
    rows' (groups of fewer than MIN_TESTED_ROWS rows are not tested); the adjustment over the
    report's family is chance's job.
    """
    out = []
    # residuals beyond 1e72 are summarised divided by a power of two (exact), then scaled back
    scale = power_of_two_scale(residual)
    residual = residual / scale if scale != 1.0 else residual
    total, squares, n_all = float(residual.sum()), float((residual**2).sum()), residual.size
    for column in columns:
        grouping = group_rows(frame[column], column)
        groups = []
        for index, name in enumerate(grouping.names):
            r = residual[grouping.codes == index]
            if r.size == 0:
                continue
            q05, q25, median, q75, q95 = np.quantile(r, [0.05, 0.25, 0.5, 0.75, 0.95])
            rest_n = n_all - r.size
            rest_mean = (total - float(r.sum())) / rest_n if rest_n else None
            var = float(r.var(ddof=1)) if r.size > 1 else None
            p = None
            if var is not None and rest_mean is not None and r.size >= MIN_TESTED_ROWS:
                rest_ss = squares - float((r**2).sum()) - rest_n * rest_mean * rest_mean
                rest_var = max(rest_ss, 0.0) / (rest_n - 1) if rest_n > 1 else 0.0
                p = welch_test(r.size, float(r.mean()), var, rest_n, rest_mean, rest_var)
            ci = interval_of(r)
            groups.append(
                ResidualGroup(
                    value=name,
                    name=grouping.conditions[index],
                    n=int(r.size),
                    mean_residual=float(r.mean()) * scale,
                    mean_residual_ci=None if ci is None else ci.scaled(scale),
                    mae=float(np.abs(r).mean()) * scale,
                    rmse=float(np.sqrt(np.mean(r**2))) * scale,
                    median=float(median) * scale,
                    q05=float(q05) * scale,
                    q25=float(q25) * scale,
                    q75=float(q75) * scale,
                    q95=float(q95) * scale,
                    residual_sd=None if var is None else math.sqrt(var) * scale,
                    rest_mean_residual=None if rest_mean is None else rest_mean * scale,
                    p_value=p,
                )
            )
        out.append(ResidualSlice.of(grouping, groups))
    return out


# ---------------------------------------------------------------- classification slices

MIN_RANKED_SUPPORT = MIN_TESTED_ROWS  # smaller groups are shown per column but not ranked
MAX_PAIR_COLUMNS = 6  # pairs of columns are tried when there are at most this many
RANKED = 15


@dataclass(frozen=True)
class ErrorGroup:
    """Errors within one group of rows, against the overall error rate."""

    column: str  # the (first) column
    value: str  # the group in its column's table; for a pair, the whole condition
    name: str  # the slice as a condition: 'camera = cam_1 and 85.6 ≤ brightness < 90.4'
    n: int
    errors: int
    error_rate: float
    error_rate_ci: tuple[float, float] | None
    lift: float | None  # error rate / overall error rate
    p_value: float | None  # Fisher's exact one-sided test: more errors than its share?
    p_adjusted: float | None  # Holm over the slices tested, on the slices' share of ALPHA


class ErrorSlice(ColumnSlice[ErrorGroup]):
    """Error rates per group of one metadata column."""


@dataclass(frozen=True)
class SliceResult:
    """Per-column error rates and the worst groups over all columns (and pairs)."""

    overall_error_rate: float
    columns: list[ErrorSlice]
    worst: list[ErrorGroup]  # the first RANKED of the tested groups above the overall rate
    tested: int  # slices (and pairs) tested
    pairs_tried: bool
    above_overall: int = 0  # tested groups above the overall rate: the true total of `worst`
    significant: int = 0  # tested groups with an adjusted p below ALPHA
    reserved: int = 0  # tests of the same family made elsewhere (the error tree's rules)

    @property
    def share(self) -> float:
        """The slices' part of ALPHA: in proportion to their number of tests."""
        family = self.tested + self.reserved
        return self.tested / family if family else 1.0


def _error_groups(
    column: str,
    names: list[str],
    conditions: list[str],
    codes: np.ndarray,
    wrong: np.ndarray,
    overall: float,
    weights: np.ndarray | None = None,
) -> list[ErrorGroup]:
    """Count rows and errors per group; the groups with rows, untested."""
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
                name=conditions[i],
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


def _with_tests(groups: list[ErrorGroup], rows: int, errors: int, share: float) -> list[ErrorGroup]:
    """Test each group's errors against its share of all errors; adjust with Holm."""
    p_values = [hypergeom_tail(g.errors, g.n, errors, rows) for g in groups]
    adjusted = holm(p_values, share=share)
    return [
        replace(g, p_value=p, p_adjusted=q)
        for g, p, q in zip(groups, p_values, adjusted, strict=True)
    ]


def error_slices(
    frame: pd.DataFrame,
    columns: list[str],
    wrong: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    reserved: int = 0,
) -> SliceResult:
    """Error rate per group of each column, and the groups (and pairs) that stand out most.

    Each group of at least MIN_RANKED_SUPPORT rows is tested with Fisher's exact one-sided
    test (its errors against its share of all errors); Holm's step-down adjusts over every
    group and pair tested. reserved: how many more tests share the report's ALPHA with these
    (the error tree's rules): the slices spend tested / (tested + reserved) of it, so the
    whole family stays at ALPHA whatever the other tests find.
    weights: how many rows each row of the frame stands for, when rows with the same values
    were summed up (categorical columns only).
    """
    w = np.ones(wrong.size) if weights is None else weights.astype(np.float64)
    n = int(np.rint(w.sum()))
    total_errors = int(np.rint((wrong * w).sum()))
    overall = total_errors / n if n else 0.0
    groupings = [group_rows(frame[c], c, weights) for c in columns]
    per_column = [
        (
            g,
            _error_groups(g.column, g.names, g.conditions, g.codes, wrong, overall, weights),
        )
        for g in groupings
    ]
    candidates = [grp for _, groups in per_column for grp in groups]
    pairs_tried = 1 < len(groupings) <= MAX_PAIR_COLUMNS
    if pairs_tried:
        for a_index, a in enumerate(groupings):
            for b in groupings[a_index + 1 :]:
                combined = a.codes * len(b.names) + b.codes
                names = [f"{x} and {y}" for x in a.conditions for y in b.conditions]
                pair_groups = _error_groups(
                    a.column, names, names, combined, wrong, overall, weights
                )
                candidates += [g for g in pair_groups if g.n >= max(MIN_RANKED_SUPPORT, n // 100)]
    ranked = [g for g in candidates if g.n >= MIN_RANKED_SUPPORT]
    tested = len(ranked)
    family = SliceResult(
        overall_error_rate=overall,
        columns=[],
        worst=[],
        tested=tested,
        pairs_tried=pairs_tried,
        reserved=reserved,
    )
    tested_groups = _with_tests(ranked, n, total_errors, family.share) if tested else []
    above = sorted(
        (g for g in tested_groups if g.error_rate > overall),
        key=lambda g: (g.p_adjusted if g.p_adjusted is not None else 1.0, -g.error_rate, g.name),
    )
    tested_lookup = {(g.column, g.value): g for g in tested_groups}
    columns_out = [
        ErrorSlice.of(grouping, [tested_lookup.get((g.column, g.value), g) for g in groups])
        for grouping, groups in per_column
    ]
    return replace(
        family,
        columns=columns_out,
        worst=above[:RANKED],
        above_overall=len(above),
        significant=sum(g.p_adjusted is not None and g.p_adjusted < ALPHA for g in tested_groups),
    )
