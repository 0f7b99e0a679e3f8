"""Findings that survive chance: the tests against scipy, and the whole families measured.

The simulations build the findings with the functions the report uses (the families, the
record blocks and the describe functions), without drawing figures:

- null: errors (or residuals) independent of every metadata column; a report may state a
  slice, tree, group, bias or trend finding in at most 5% of data sets. The assertion fails
  only when the rate is really above 5%: when so many of the 200 data sets state a finding
  that a true rate of 5% would give as many in fewer than 1 of 1,000 runs.
- planted: one slice of 10% of the rows errs twice as often as the rest (2,000 rows, 15% base
  error rate), or one group of 10% of the rows is biased by 0.4 residual standard deviations
  (2,000 rows, Student-t residuals); the finding must name it in at least 90% of data sets.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, hypergeom, ttest_ind

from reportgen.analysis.chance import ALPHA, holm, hypergeom_tail, welch_test
from reportgen.analysis.families import classification_family, regression_tests
from reportgen.analysis.regression import analyze_regression
from reportgen.record.blocks import regression_block
from reportgen.record.classification_types import ClassificationRecord
from reportgen.record.slices import error_slices_block, residual_slices_block
from reportgen.words.classification import error_slice_findings
from reportgen.words.regression import regression_pattern_findings

RUNS = 200
COLUMNS = ["site", "device", "age", "score"]


@pytest.mark.parametrize(
    ("k", "n", "successes", "total"),
    [
        (0, 10, 5, 100),
        (1, 10, 5, 100),
        (5, 10, 5, 100),
        (6, 10, 5, 100),
        (60, 200, 330, 2000),
        (20, 200, 330, 2000),
        (300, 10**6, 2000, 10**7),
        (151_000, 500_000, 300_000, 10**6),
        (149_000, 500_000, 300_000, 10**6),
        (10, 10, 10, 10),
    ],
)
def test_hypergeom_tail_equals_scipy(k: int, n: int, successes: int, total: int) -> None:
    want = float(hypergeom.sf(k - 1, total, successes, n))
    assert hypergeom_tail(k, n, successes, total) == pytest.approx(want, rel=1e-7, abs=1e-300)


def test_hypergeom_tail_equals_scipy_on_random_tables() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        total = int(rng.integers(1, 3000))
        successes, n = (int(x) for x in rng.integers(0, total + 1, size=2))
        k = int(rng.integers(0, n + 2))
        want = float(hypergeom.sf(k - 1, total, successes, n))
        assert hypergeom_tail(k, n, successes, total) == pytest.approx(want, rel=1e-7, abs=1e-15)


def test_welch_test_equals_scipy() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        a = rng.normal(0, 1, size=int(rng.integers(2, 60)))
        b = rng.normal(0.5, 3, size=int(rng.integers(2, 90)))
        got = welch_test(a.size, a.mean(), a.var(ddof=1), b.size, b.mean(), b.var(ddof=1))
        want = ttest_ind(a, b, equal_var=False).pvalue
        assert got == pytest.approx(want, rel=1e-9)
    assert welch_test(1, 0.0, 0.0, 5, 1.0, 1.0) is None
    assert welch_test(3, 1.0, 0.0, 3, 1.0, 0.0) == 1.0


def test_holm_rejects_what_the_step_down_rejects() -> None:
    rng = np.random.default_rng(2)
    for _ in range(100):
        p = list(rng.uniform(0, 0.05, size=int(rng.integers(1, 12))) ** rng.uniform(0.5, 3))
        adjusted = holm([*p, None])
        assert adjusted[-1] is None
        for alpha in (0.01, 0.05, 0.2):
            # the step-down as Holm (1979) states it: reject while p_(j) <= alpha / (m - j + 1)
            rejected: set[int] = set()
            for j, i in enumerate(np.argsort(p, kind="stable")):
                if p[i] > alpha / (len(p) - j):
                    break
                rejected.add(int(i))
            assert {i for i, q in enumerate(adjusted[:-1]) if q is not None and q <= alpha} == (
                rejected
            )
    # a share of the budget: the same as Holm at share * alpha
    assert holm([0.01, 0.02], share=0.5) == pytest.approx([0.04, 0.04])


# ---------------------------------------------------------------- simulations


def metadata(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Two categorical and two numeric columns; site 'E' holds 10% of the rows."""
    return pd.DataFrame(
        {
            "site": rng.choice(list("ABCDE"), size=n, p=[0.3, 0.25, 0.2, 0.15, 0.1]),
            "device": rng.choice(["phone", "tablet", "desktop"], size=n),
            "age": rng.integers(18, 90, size=n).astype(float),
            "score": rng.normal(size=n).round(3),
        }
    )


def classification_findings(frame: pd.DataFrame, wrong: np.ndarray, seed: int) -> list[str]:
    """The slice and tree sentences a report on these rows would state."""
    slices, tree = classification_family(frame, COLUMNS, wrong, seed=seed)
    # the words read the rows described from the classification block: the rest is not needed
    partial = {"slices": error_slices_block(slices, tree), "classification": {"n": len(frame)}}
    return error_slice_findings(cast(ClassificationRecord, partial))


def regression_findings(frame: pd.DataFrame, y_true: np.ndarray, y_pred: np.ndarray) -> list[str]:
    """The group, prediction-bin and trend sentences a report on these rows would state."""
    result, family = regression_tests(
        analyze_regression(y_true, y_pred), frame, COLUMNS, y_true - y_pred
    )
    record: dict[str, Any] = {
        "slices": residual_slices_block(family),
        "regression": regression_block(result),
    }
    return regression_pattern_findings(record)


def assert_at_most_alpha(stated: int, runs: int) -> None:
    """Fail only when a true rate of ALPHA would state this many findings less than 0.1% of
    the time (for 200 runs: 22 or more)."""
    assert binom.sf(stated - 1, runs, ALPHA) >= 0.001, f"{stated} of {runs} null reports"


@pytest.mark.slow
def test_null_classification_reports_state_no_slice_or_tree_finding() -> None:
    stated = 0
    for i in range(RUNS):
        rng = np.random.default_rng(1000 + i)
        frame = metadata(rng, 1000)
        wrong = rng.random(1000) < 0.15
        findings = classification_findings(frame, wrong, seed=i)
        nothing = len(findings) == 1 and findings[0].startswith("No slice, pair of columns or")
        stated += not nothing
    # measured: 5 of 200 (2.5%)
    assert_at_most_alpha(stated, RUNS)


@pytest.mark.slow
def test_a_planted_slice_is_found() -> None:
    found = 0
    for i in range(RUNS):
        rng = np.random.default_rng(2000 + i)
        frame = metadata(rng, 2000)
        rate = np.where(frame["site"].to_numpy() == "E", 0.30, 0.15)
        findings = classification_findings(frame, rng.random(2000) < rate, seed=i)
        found += any("site = E" in f for f in findings)
    # measured: 188 of 200 (94%)
    assert found >= 0.9 * RUNS


@pytest.mark.slow
def test_null_regression_reports_state_no_group_bias_or_trend_finding() -> None:
    stated = 0
    for i in range(RUNS):
        rng = np.random.default_rng(5000 + i)
        frame = metadata(rng, 1000)
        y_pred = rng.uniform(0, 100, size=1000)
        y_true = y_pred + 10 * rng.standard_t(5, size=1000)
        findings = regression_findings(frame, y_true, y_pred)
        stated += not (len(findings) == 1 and findings[0].startswith("No group of site"))
    # measured: 9 of 200 (4.5%), 43 of 1,000: near 5%, as Holm over 39 nearly independent tests
    assert_at_most_alpha(stated, RUNS)


@pytest.mark.slow
def test_a_planted_biased_group_is_found() -> None:
    found = 0
    sd = 10 * np.sqrt(5 / 3)  # of 10 * Student-t with 5 degrees of freedom
    for i in range(RUNS):
        rng = np.random.default_rng(6000 + i)
        frame = metadata(rng, 2000)
        y_pred = rng.uniform(0, 100, size=2000)
        biased = frame["site"].to_numpy() == "E"
        y_true = y_pred + 10 * rng.standard_t(5, size=2000) + 0.4 * sd * biased
        findings = regression_findings(frame, y_true, y_pred)
        found += any("site = E" in f and "under-predicts" in f for f in findings)
    # measured: 193 of 200 (96.5%)
    assert found >= 0.9 * RUNS
