"""Regression reports: metrics equal scikit-learn's, residual summaries, figures, samples."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn import metrics

import reportgen
from reportgen.analysis.grouping import group_rows
from reportgen.analysis.regression import DENSITY_ABOVE, analyze_regression
from reportgen.analysis.slices import residual_slices
from reportgen.figures.residuals import plot_residual_slice, plot_residuals
from tests.conftest import ROOT, embedded_record

DIABETES = ROOT / "examples" / "diabetes" / "predictions.csv"
TOL = 1e-9

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def r2_reference(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """scikit-learn's R², or the exact one where scikit-learn's own sums underflow.

    R² is scale-free, so scikit-learn sees the data times a power of two (exact). Where a sum
    of squares is still below the normal floats (residuals of 1e-42 against deviations of
    1e-179), its float sums lose it and reportgen's, each scaled apart, do not: there the
    reference is R² in exact rational arithmetic (below -1.8e308 it is -inf).
    """
    top = float(np.max(np.abs(np.concatenate([y_true, y_pred])), initial=0.0))
    shift = -math.frexp(top)[1] if top > 0 else 0
    t, p = np.ldexp(y_true, shift), np.ldexp(y_pred, shift)
    exact_t, exact_p = [Fraction(float(v)) for v in t], [Fraction(float(v)) for v in p]
    mean = sum(exact_t, Fraction(0)) / len(exact_t)
    ss_tot = sum(((v - mean) ** 2 for v in exact_t), Fraction(0))
    ss_res = sum(((a - b) ** 2 for a, b in zip(exact_t, exact_p, strict=True)), Fraction(0))
    tiny = Fraction(np.finfo(float).tiny) * 2**40 * len(exact_t)  # what underflows is negligible
    if (ss_tot == 0 or ss_tot > tiny) and (ss_res == 0 or ss_res > tiny):
        return float(metrics.r2_score(t, p))
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    try:
        return float(1 - ss_res / ss_tot)
    except OverflowError:
        return -math.inf


def check_against_sklearn(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    result = analyze_regression(y_true, y_pred)
    assert result.mae == pytest.approx(
        metrics.mean_absolute_error(y_true, y_pred), rel=TOL, abs=TOL
    )
    assert result.rmse == pytest.approx(
        metrics.root_mean_squared_error(y_true, y_pred), rel=TOL, abs=TOL
    )
    assert result.r2 == pytest.approx(r2_reference(y_true, y_pred), rel=1e-7, abs=1e-7)
    assert result.median_ae == pytest.approx(
        metrics.median_absolute_error(y_true, y_pred), rel=TOL, abs=TOL
    )
    assert result.max_error == pytest.approx(metrics.max_error(y_true, y_pred), rel=TOL, abs=TOL)
    assert result.mean_residual == pytest.approx(float(np.mean(y_true - y_pred)), rel=TOL, abs=TOL)
    if np.all(y_true != 0):
        assert result.mape == pytest.approx(
            metrics.mean_absolute_percentage_error(y_true, y_pred), rel=TOL
        )
    else:
        zeros = int(np.count_nonzero(y_true == 0))
        assert result.mape is None and result.mape_note is not None
        assert result.mape_note.startswith(f"MAPE is left out: {zeros:,} true value")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=60))
@example([(0.0, 0.0), (0.0, 1.8028772614845244e-187)])  # scikit-learn's squares underflow
@example([(0.0, 4.39411187652704e-42), (7.896001765030465e-179, 0.0)])  # its total sum too
@example([(0.0, 0.0), (0.0, 2.2250738585e-313)])  # subnormal: no power of two overflows
def test_metrics_match_sklearn(pairs: list[tuple[float, float]]) -> None:
    y_true = np.array([t for t, _ in pairs])
    y_pred = np.array([p for _, p in pairs])
    check_against_sklearn(y_true, y_pred)


def test_constant_target_r2_as_sklearn() -> None:
    y = np.array([3.0, 3.0, 3.0])
    check_against_sklearn(y, y)
    check_against_sklearn(y, np.array([3.0, 2.0, 4.0]))


def test_mape_left_out_when_a_true_value_is_zero() -> None:
    result = analyze_regression(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 2.5]))
    assert result.mape is None
    assert result.mape_note == (
        "MAPE is left out: 1 true value is zero, where a percentage error is undefined."
    )


def test_intervals_cover_the_estimate_and_shrink_with_n() -> None:
    rng = np.random.default_rng(1)
    small = analyze_regression(rng.normal(size=100), rng.normal(size=100))
    large = analyze_regression(rng.normal(size=10000), rng.normal(size=10000))
    for result in (small, large):
        for name, value in (
            ("mae", result.mae),
            ("rmse", result.rmse),
            ("mean_residual", result.mean_residual),
        ):
            ci = result.intervals[name]
            assert ci.low <= value <= ci.high
    width = lambda r: r.intervals["mae"].high - r.intervals["mae"].low  # noqa: E731
    assert width(large) < width(small) / 5


def test_trend_finds_a_bias_that_grows_with_the_prediction() -> None:
    rng = np.random.default_rng(2)
    y_pred = rng.uniform(0, 100, size=2000)
    y_true = y_pred * 1.2 + rng.normal(scale=1.0, size=2000)  # under-predicts more when large
    result = analyze_regression(y_true, y_pred)
    assert len(result.trend) == 20
    assert sum(t.n for t in result.trend) == 2000
    assert result.trend[-1].mean_residual > result.trend[0].mean_residual + 10
    pred_means = [t.pred_mean for t in result.trend]
    assert pred_means == sorted(pred_means)


def test_fast_histogram2d_equals_numpys() -> None:
    from reportgen.figures.residuals import histogram2d

    rng = np.random.default_rng(11)
    x, y = rng.normal(size=20000), rng.gamma(2.0, size=20000)
    ours, xe, ye = histogram2d(x, y, 80)
    theirs, txe, tye = np.histogram2d(x, y, bins=80)
    np.testing.assert_allclose(xe, txe)
    np.testing.assert_allclose(ye, tye)
    # floating-point rounding may put a point on an edge into the neighbouring cell
    assert np.abs(ours - theirs).sum() <= 4
    assert ours.sum() == 20000


def test_sorted_quantiles_equal_numpys() -> None:
    from reportgen.analysis.regression import sorted_quantiles

    rng = np.random.default_rng(9)
    for n in (1, 2, 7, 1000):
        values = rng.normal(size=n)
        probs = np.linspace(0, 1, 23)
        np.testing.assert_allclose(
            sorted_quantiles(np.sort(values), probs), np.quantile(values, probs), rtol=1e-12
        )


def test_histogram_and_qq_summaries() -> None:
    rng = np.random.default_rng(3)
    result = analyze_regression(rng.normal(size=3000), np.zeros(3000))
    shown = sum(result.histogram_counts)
    assert shown + result.histogram_below + result.histogram_above == 3000
    assert 2990 <= shown < 3000  # the outermost 0.1% on each side are counted apart
    assert len(result.histogram_edges) == len(result.histogram_counts) + 1
    # standardised normal residuals lie on the identity line of the Q-Q plot
    assert np.allclose(result.qq_sample[50:150], result.qq_theoretical[50:150], atol=0.15)


def test_density_plot_above_the_threshold() -> None:
    rng = np.random.default_rng(4)
    for n, density in ((DENSITY_ABOVE, False), (DENSITY_ABOVE + 1, True)):
        y_pred = rng.normal(size=n)
        y_true = y_pred + rng.normal(size=n)
        result = analyze_regression(y_true, y_pred)
        assert result.density is density
        fig = plot_residuals(result, y_true, y_pred)
        left, right = fig.axes[:2]
        assert ("colour: rows per cell" in left.get_title()) is density
        assert f"{n:,}" in left.get_title()
        assert bool(left.get_images()) is density  # a 2-D histogram image, not points
        assert bool(left.collections) is not density
        assert [line.get_label() for line in left.get_lines()][
            -1
        ] == "mean residual per prediction bin"
        assert right.get_xlabel() == "Actual (true)"


def test_slices_group_categories_and_numeric_quantile_bins() -> None:
    frame = pd.DataFrame(
        {
            "site": ["a", "b", "a", None, "c", "a"] * 50,
            "size": np.arange(300, dtype=float),
        }
    )
    residual = np.where(frame["site"] == "a", 5.0, -1.0)
    slices = residual_slices(frame, ["site", "size"], residual)
    site = slices[0]
    assert site.kind == "categorical"
    assert [g.value for g in site.groups] == ["a", "b", "c", "(missing)"]
    assert [g.n for g in site.groups] == [150, 50, 50, 50]
    assert site.groups[0].mean_residual == 5.0 and site.groups[1].mean_residual == -1.0
    size = slices[1]
    assert size.kind == "quantile bins"
    assert len(size.groups) == 5 and sum(g.n for g in size.groups) == 300
    assert size.groups[0].value.startswith("0 ≤ size < ")
    assert size.groups[-1].value.endswith(" ≤ size ≤ 299")
    fig = plot_residual_slice(site)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b", "c", "(missing)"]


def test_many_categories_fold_into_other() -> None:
    values = pd.Series([f"v{i % 40}" for i in range(400)] + ["v0"] * 10)
    grouping = group_rows(values, "v")
    assert len(grouping.names) == 20
    assert grouping.names[0] == "v0"
    assert grouping.names[-1] == "other (21 values)"
    assert int((grouping.codes == 19).sum()) == 21 * 10


def build(args: list[str], tmp_path: Path) -> tuple[str, dict]:  # type: ignore[type-arg]
    from click.testing import CliRunner

    from reportgen.cli import main

    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["build", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    return page, embedded_record(page)


def test_diabetes_report_matches_sklearn_and_has_the_sections(tmp_path: Path) -> None:
    page, record = build(
        [str(DIABETES), "--slice", "bmi", "--slice", "sex", "--columns", "age"], tmp_path
    )
    frame = pd.read_csv(DIABETES)
    reg = record["regression"]
    assert record["task"] == "regression"
    assert reg["mae"] == pytest.approx(
        metrics.mean_absolute_error(frame.y_true, frame.y_pred), abs=1e-12
    )
    assert reg["r2"] == pytest.approx(metrics.r2_score(frame.y_true, frame.y_pred), abs=1e-12)
    assert re.findall(r'<section id="([^"]+)"', page) == [
        "summary",
        "residuals",
        "largest-errors",
        "slices",
        "provenance",
    ]
    assert record["sections"] == ["summary", "residuals", "largest-errors", "slices", "provenance"]
    assert page.count("<svg") == 4  # two residual figures, one per slice column
    cards = {c["id"]: c["value"] for c in record["summary"]["headline"]}
    # the page's resolution: two significant digits of the MAE interval's half-width
    ci = reg["intervals"]["mae"]
    decimals = max(0, 1 - math.floor(math.log10((ci["high"] - ci["low"]) / 2)))
    assert cards["mae"] == f"{reg['mae']:.{decimals}f}" and cards["mae"] in page
    assert (
        f"mean absolute error; 95% CI {ci['low']:.{decimals}f} to {ci['high']:.{decimals}f}" in page
    )


def test_largest_errors_are_the_extremes_in_each_direction(tmp_path: Path) -> None:
    _, record = build([str(DIABETES)], tmp_path)
    frame = pd.read_csv(DIABETES)
    residual = frame.y_true - frame.y_pred
    under = record["samples"]["under_predicted"]
    over = record["samples"]["over_predicted"]
    assert under["total"] == int((residual > 0).sum()) and over["total"] == int(
        (residual < 0).sum()
    )
    assert [r["residual"] for r in under["rows"]] == pytest.approx(
        sorted(residual[residual > 0], reverse=True)[:20]
    )
    assert [r["residual"] for r in over["rows"]] == pytest.approx(
        sorted(residual[residual < 0])[:20]
    )
    first = under["rows"][0]
    assert frame.id[first["row"] - 1] == first["id"]
    assert first["true"] - first["pred"] == pytest.approx(first["residual"])


def test_a_million_rows_give_a_report_the_size_of_a_small_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    sizes = []
    for n in (20_000, 400_000):
        y_pred = rng.normal(100, 20, size=n)
        frame = pd.DataFrame({"y_true": y_pred + rng.normal(0, 5, size=n), "y_pred": y_pred})
        report = reportgen.build_report(frame)
        assert report.record["regression"]["density"] is True
        sizes.append(len(report.to_html()))
    assert sizes[1] < sizes[0] * 1.1


def test_regression_report_is_deterministic(tmp_path: Path) -> None:
    first = reportgen.build_report(DIABETES, slices=["bmi"]).to_html()
    second = reportgen.build_report(DIABETES, slices=["bmi"]).to_html()
    assert first == second
    assert not math.isnan(embedded_record(first)["regression"]["r2"])


def test_groups_bins_and_trend_are_tested_against_the_rest_with_holm() -> None:
    from scipy.stats import ttest_ind

    from reportgen.analysis.families import regression_tests

    rng = np.random.default_rng(4)
    n = 1200
    frame = pd.DataFrame({"site": rng.choice(["a", "b", "c"], n), "size": rng.random(n)})
    y_pred = rng.uniform(0, 100, n)
    residual = rng.normal(0, 5 + y_pred / 10, n) + np.where(frame["site"] == "c", 3.0, 0.0)
    result, family = regression_tests(
        analyze_regression(y_pred + residual, y_pred), frame, ["site", "size"], residual
    )
    p_values = []
    for s in family.slices:
        codes = group_rows(frame[s.column], s.column).codes
        for index, g in enumerate(s.groups):
            inside = codes == index
            want = ttest_ind(residual[inside], residual[~inside], equal_var=False).pvalue
            assert g.p_value == pytest.approx(want, rel=1e-9)
            assert g.rest_mean_residual == pytest.approx(residual[~inside].mean())
            p_values.append(g.p_value)
    edges = [t.pred_low for t in result.trend[1:]]
    codes = np.searchsorted(edges, y_pred, side="right")
    for index, t in enumerate(result.trend):
        inside = codes == index
        assert t.n == int(inside.sum())
        want = ttest_ind(residual[inside], residual[~inside], equal_var=False).pvalue
        assert t.p_value == pytest.approx(want, rel=1e-9)
        p_values.append(t.p_value)
    mae = result.trend_mae
    assert mae is not None and mae.high_mae > mae.low_mae
    low, high = np.abs(residual[codes == 0]), np.abs(residual[codes == len(result.trend) - 1])
    assert mae.p_value == pytest.approx(ttest_ind(high, low, equal_var=False).pvalue, rel=1e-9)
    p_values.append(mae.p_value)
    # one family: Holm over every group, bin and the trend together
    assert family.tested == len(p_values) == family.groups + family.bins + 1
    adjusted = [g.p_adjusted for s in family.slices for g in s.groups]
    adjusted += [t.p_adjusted for t in result.trend] + [mae.p_adjusted]
    order = np.argsort(p_values, kind="stable")
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        assert adjusted[i] == pytest.approx(running, rel=1e-9)
    c = next(g for g in family.slices[0].groups if g.value == "c")
    assert c.p_adjusted is not None and c.p_adjusted < 0.05  # the planted bias
    assert mae.p_adjusted is not None and mae.p_adjusted < 0.05  # the growing spread


def test_a_biased_group_is_named_relative_to_the_rest(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    n = 800
    frame = pd.DataFrame({"site": rng.choice(["a", "b", "c", "d"], n)})
    frame["y_pred"] = rng.uniform(0, 100, n)
    frame["y_true"] = frame["y_pred"] + rng.normal(0, 5, n) - 4.0 * (frame["site"] == "d")
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    _, record = build([str(path), "--slice", "site"], tmp_path)
    (finding,) = [f for f in record["summary"]["findings"] if f.startswith("By site")]
    d = next(g for g in record["slices"]["columns"][0]["groups"] if g["value"] == "d")
    assert d["p_adjusted"] < 0.05 and d["mean_residual"] < d["rest_mean_residual"]
    assert "the mean residual for site = d is" in finding
    assert "the model over-predicts there, relative to the rest" in finding
    # the other kinds tested and quiet get one sentence
    assert any(
        f.startswith("No prediction range and no trend in the error size stands out")
        for f in record["summary"]["findings"]
    )
