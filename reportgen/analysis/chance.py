"""The tests that decide whether a pattern is stated: exact tails, Welch's t-test, Holm's step-down.

A report states a slice, a tree rule, a group's bias or a trend only when its p-value, adjusted
over every candidate of the report that could have produced such a finding, is below ALPHA.
Holm's step-down controls that family-wise error rate under any dependence between the tests
(the slices, their pairs and the tree's rules overlap heavily), and rejects at least what
Bonferroni rejects. scipy.special is used rather than scipy.stats: it loads in a fraction of
the time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

ALPHA = 0.05  # the chance, on data with no pattern, that a report states any finding of a kind


def hypergeom_tail(k: int, n: int, successes: int, total: int) -> float:
    """P(X >= k) for X hypergeometric: n rows drawn from total, of which successes are errors.

    Fisher's exact one-sided test of "this group has more errors than its share": the exact
    null distribution of a group's errors when errors are unrelated to group membership,
    given the total number of errors (as scipy.stats.hypergeom.sf(k - 1, total, successes, n)).
    """
    from scipy.special import gammaln

    low, high = max(0, n - (total - successes)), min(n, successes)
    if k <= low:
        return 1.0
    if k > high:
        return 0.0

    def log_pmf(x: np.ndarray) -> np.ndarray:
        return np.asarray(
            gammaln(successes + 1)
            - gammaln(x + 1)
            - gammaln(successes - x + 1)
            + gammaln(total - successes + 1)
            - gammaln(n - x + 1)
            - gammaln(total - successes - n + x + 1)
            - gammaln(total + 1)
            + gammaln(n + 1)
            + gammaln(total - n + 1),
            dtype=np.float64,
        )

    # The pmf is unimodal: sum the tail away from the mode, where its terms only shrink, and
    # stop once they no longer matter; above the mode the upper tail is the complement.
    mode = (n + 1) * (successes + 1) // (total + 2)
    upper = k > mode
    step = 1 if upper else -1
    position = k if upper else k - 1
    total_sum = 0.0
    while True:
        xs = (
            np.arange(position, min(position + 4096, high + 1))
            if upper
            else np.arange(position, max(position - 4096, low - 1), -1)
        )
        if xs.size == 0:
            break
        terms = np.exp(log_pmf(xs.astype(np.float64)))
        total_sum += float(terms.sum())
        if terms[-1] <= 1e-18 * total_sum:
            break
        position = int(xs[-1]) + step
    tail = total_sum if upper else 1.0 - total_sum
    return min(1.0, max(0.0, tail))


def welch_test(
    n1: int, mean1: float, var1: float, n2: int, mean2: float, var2: float
) -> float | None:
    """Two-sided p-value of Welch's t-test of two means from their summary statistics.

    var1, var2: sample variances (ddof=1). None when a side has fewer than two values.
    Equal to scipy.stats.ttest_ind(a, b, equal_var=False).pvalue.
    """
    from scipy.special import stdtr

    if n1 < 2 or n2 < 2:
        return None
    a, b = var1 / n1, var2 / n2
    se2 = a + b
    diff = mean1 - mean2
    if se2 <= 0.0:
        # both sides constant: any difference is certain, none is no evidence
        return 1.0 if diff == 0.0 else 0.0
    df = se2 * se2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    t = abs(diff) / math.sqrt(se2)
    return float(min(1.0, 2.0 * stdtr(df, -t)))


def holm(p_values: Sequence[float | None], *, share: float = 1.0) -> list[float | None]:
    """Holm's step-down adjusted p-values (None stays None: not tested).

    share: the part of ALPHA this family may spend when it shares the budget with others (a
    weighted Bonferroni split between families, Holm within): adjusted p-values are divided
    by it, so comparing them with ALPHA keeps every family together at ALPHA.
    """
    tested = [(p, i) for i, p in enumerate(p_values) if p is not None]
    m = len(tested)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(tested)):
        running = max(running, min(1.0, (m - rank) * p / share))
        out[i] = running
    return out
