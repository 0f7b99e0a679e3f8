"""Calibration: bins, ECE/MCE, Brier score and log loss equal scikit-learn's; figure and partial."""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from sklearn import metrics
from sklearn.calibration import calibration_curve

from reportgen.analysis.calibration import (
    CalibrationResult,
    analyze_calibration,
    bin_index,
    reliability_bins,
)
from reportgen.analysis.calibration_sums import CalibrationSums
from reportgen.analysis.probability_inputs import ProbabilityInputs
from reportgen.figures.calibration import describe_calibration, plot_calibration
from reportgen.render import Section, environment

TOL = 1e-12
# probabilities that sit on the bin edges, where the lower bin must win, and anywhere else
edge_values = st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0])
any_values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
probabilities = st.one_of(edge_values, any_values)


def binary(y: np.ndarray, p: np.ndarray, pred: np.ndarray | None = None) -> CalibrationResult:
    if pred is None:
        pred = (p >= 0.5).astype(np.int64)
    confidence = np.where(pred == 1, p, 1.0 - p)
    return analyze_calibration(
        ProbabilityInputs(y, pred, ["0", "1"], np.column_stack([1.0 - p, p])), confidence=confidence
    )


def reference_ece(event: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """ECE and MCE from calibration_curve, with counts from a by-hand edge test."""
    prob_true, prob_pred = calibration_curve(event, p, n_bins=10, strategy="uniform")
    inner = np.linspace(0.0, 1.0, 11)[1:-1]
    # a value's bin is the number of inner edges strictly below it
    ids = np.array([sum(1 for e in inner if v > e) for v in p])
    counts = np.array([np.count_nonzero(ids == b) for b in range(10)])
    counts = counts[counts > 0]
    gaps = np.abs(prob_true - prob_pred)
    return float(np.sum(counts / p.size * gaps)), float(gaps.max())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), probabilities), min_size=1, max_size=80))
def test_binary_values_equal_sklearn(rows: list[tuple[bool, float]]) -> None:
    y = np.array([int(t) for t, _ in rows])
    p = np.array([v for _, v in rows])
    result = binary(y, p)
    assert result.target == "positive-class" and result.pos_label == "1"
    assert result.brier == pytest.approx(metrics.brier_score_loss(y, p, pos_label=1), abs=TOL)
    assert result.log_loss == pytest.approx(metrics.log_loss(y, p, labels=[0, 1]), abs=TOL)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, pos_label=1)
    filled = [b for b in result.bins if b.count]
    assert [b.observed for b in filled] == pytest.approx(prob_true, abs=TOL)
    assert [b.mean_predicted for b in filled] == pytest.approx(prob_pred, abs=TOL)
    assert sum(b.count for b in result.bins) == y.size
    ece, mce = reference_ece(y == 1, p)
    assert result.ece == pytest.approx(ece, abs=TOL)
    assert result.mce == pytest.approx(mce, abs=TOL)


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(min_value=3, max_value=6),
    n=st.integers(min_value=1, max_value=60),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    argmax=st.booleans(),
)
def test_multiclass_values_equal_sklearn(k: int, n: int, seed: int, argmax: bool) -> None:
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.full(k, 0.6), size=n)
    y = rng.integers(0, k, size=n)
    pred = proba.argmax(axis=1) if argmax else rng.integers(0, k, size=n)
    confidence = proba[np.arange(n), pred]
    labels = [f"c{i}" for i in range(k)]
    result = analyze_calibration(ProbabilityInputs(y, pred, labels, proba), confidence=confidence)
    assert result.target == "top-label"
    assert result.rows_not_summing_to_one == 0
    assert result.brier == pytest.approx(
        metrics.brier_score_loss(y, proba, labels=list(range(k))), abs=TOL
    )
    assert result.log_loss == pytest.approx(
        metrics.log_loss(y, proba, labels=list(range(k))), abs=TOL
    )
    # the hand formula of the Brier score the record states
    onehot = np.eye(k)[y]
    assert result.brier == pytest.approx(np.mean(((proba - onehot) ** 2).sum(axis=1)), abs=TOL)
    correct = y == pred
    ece, mce = reference_ece(correct, confidence)
    assert result.ece == pytest.approx(ece, abs=TOL)
    assert result.mce == pytest.approx(mce, abs=TOL)
    h = result.confidence_histogram
    assert sum(h.correct) == int(correct.sum()) and sum(h.wrong) == int((~correct).sum())


def test_binning_and_ece_by_hand() -> None:
    # bin 0: 0.0, 0.05, 0.1 (an edge: lower bin); bin 1: 0.15, 0.15; bin 9: four at 0.95
    p = np.array([0.0, 0.05, 0.1, 0.15, 0.15, 0.95, 0.95, 0.95, 0.95])
    event = np.array([0, 0, 1, 0, 1, 1, 1, 1, 0], dtype=bool)
    assert bin_index(p).tolist() == [0, 0, 0, 1, 1, 9, 9, 9, 9]
    assert bin_index(np.array([0.2, 0.2000001, 1.0])).tolist() == [1, 2, 9]
    bins, ece, mce = reliability_bins(p, event)
    assert [b.count for b in bins] == [3, 2, 0, 0, 0, 0, 0, 0, 0, 4]
    assert [b.events for b in bins] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert bins[0].mean_predicted == pytest.approx(0.05)
    assert bins[0].observed == pytest.approx(1 / 3)
    assert bins[2].mean_predicted is None and bins[2].observed is None and bins[2].gap is None
    assert [b.small for b in bins] == [True, True] + [False] * 7 + [True]  # below 30 rows
    assert (bins[3].low, bins[3].high) == pytest.approx((0.3, 0.4))
    gaps = [1 / 3 - 0.05, 0.5 - 0.15, 0.75 - 0.95]
    assert bins[9].gap == pytest.approx(gaps[2])
    assert ece == pytest.approx((3 * abs(gaps[0]) + 2 * abs(gaps[1]) + 4 * abs(gaps[2])) / 9)
    assert mce == pytest.approx(0.35)


def test_all_correct_predictions() -> None:
    y = np.array([0, 1, 2, 2, 1])
    proba = np.array(
        [[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.0, 0.0, 1.0], [0.3, 0.1, 0.6], [0.1, 0.85, 0.05]]
    )
    confidence = proba[np.arange(5), y]
    result = analyze_calibration(
        ProbabilityInputs(y, y, ["a", "b", "c"], proba), confidence=confidence
    )
    h = result.confidence_histogram
    assert h.n_wrong == 0 and h.wrong == [0] * 10 and h.wrong_share == [0.0] * 10
    assert sum(h.correct_share) == pytest.approx(1.0)
    # every bin observes accuracy 1, so the gaps are 1 - confidence
    assert result.ece == pytest.approx(float(np.mean(1 - confidence)))
    assert result.brier == pytest.approx(metrics.brier_score_loss(y, proba, labels=[0, 1, 2]))


def test_a_single_class_present() -> None:
    y = np.zeros(6, dtype=np.int64)
    p = np.array([0.1, 0.2, 0.05, 0.6, 0.0, 0.3])
    result = binary(y, p)
    assert result.brier == pytest.approx(metrics.brier_score_loss(y, p, pos_label=1), abs=TOL)
    assert result.log_loss == pytest.approx(metrics.log_loss(y, p, labels=[0, 1]), abs=TOL)
    prob_true, _ = calibration_curve(y, p, n_bins=10, pos_label=1)
    assert [b.observed for b in result.bins if b.count] == pytest.approx(prob_true)


def test_positive_label_by_name_and_from_the_other_column() -> None:
    y = np.array([0, 1, 1, 0, 1])  # labels "yes" (0) and "no" (1)
    p_yes = np.array([0.8, 0.3, 0.1, 0.6, 0.45])
    pred = np.where(p_yes >= 0.5, 0, 1)
    confidence = np.where(pred == 0, p_yes, 1 - p_yes)
    # only the "no" column exists: p(yes) = 1 - p(no)
    proba = np.column_stack([np.full(5, np.nan), 1 - p_yes])
    result = analyze_calibration(
        ProbabilityInputs(y, pred, ["yes", "no"], proba, columns_present=[1]), confidence=confidence
    )
    assert result.pos_label == "yes"
    assert "1 − the probability of 'no'" in result.probability
    event = (y == 0).astype(int)
    assert result.brier == pytest.approx(metrics.brier_score_loss(event, p_yes), abs=TOL)
    assert result.rows_not_summing_to_one is None
    chosen = analyze_calibration(
        ProbabilityInputs(y, pred, ["yes", "no"], proba, columns_present=[1], pos_label="no"),
        confidence=confidence,
    )
    assert chosen.pos_label == "no"
    assert chosen.brier == pytest.approx(metrics.brier_score_loss(1 - event, 1 - p_yes), abs=TOL)


def test_multiclass_without_every_column_leaves_brier_and_log_loss_out() -> None:
    y = np.array([0, 1, 2, 2])
    pred = np.array([0, 1, 1, 1])
    proba = np.array([[0.7, 0.3, 0], [0.2, 0.8, 0], [0.4, 0.6, 0], [0.1, 0.9, 0]], dtype=float)
    result = analyze_calibration(
        ProbabilityInputs(y, pred, ["a", "b", "c"], proba, columns_present=[0, 1]),
        confidence=proba[np.arange(4), pred],
    )
    assert result.brier is None and result.log_loss is None
    assert result.not_computed is not None and "'c'" in result.not_computed
    assert result.rows_not_summing_to_one is None
    assert result.ece > 0


def flat(value: Any, path: str = "") -> dict[str, Any]:
    """Flatten a nested record block into path -> leaf, for comparing numbers approximately."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{path}.{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in flat(item, f"{path}[{i}]").items()}
    return {path: value}


@pytest.mark.parametrize(
    ("labels", "columns", "pos_label"),
    [
        (["0", "1"], [0, 1], None),
        (["0", "1"], [0], None),  # no column for the positive class: 1 minus the other's
        (["0", "1"], [1], "0"),
        (["a", "b", "c"], [0, 1, 2], None),
        (["a", "b", "c"], [0, 2], None),  # Brier score and log loss left out
    ],
)
def test_sums_added_over_parts_give_the_in_memory_result(
    labels: list[str], columns: list[int], pos_label: str | None
) -> None:
    rng = np.random.default_rng(7)
    n, k = 300, len(labels)
    proba = rng.dirichlet(np.ones(k), size=n)
    y = rng.integers(0, k, n)
    pred = np.where(rng.random(n) < 0.7, proba.argmax(axis=1), y)
    confidence = proba[np.arange(n), pred]
    want = analyze_calibration(
        ProbabilityInputs(y, pred, labels, proba, columns_present=columns, pos_label=pos_label),
        confidence=confidence,
    )
    parts = []
    for rows in np.array_split(np.arange(n), 3):
        part = CalibrationSums()
        part.add(
            {labels[i]: y[rows] == i for i in columns},
            {labels[i]: proba[rows, i] for i in columns},
            confidence[rows],
            y[rows] == pred[rows],
        )
        parts.append(part)
    summed = parts[0]
    for part in parts[1:]:
        summed.merge(part)
    got, expected = flat(asdict(summed.result(labels, pos_label))), flat(asdict(want))
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
        else:
            assert got[key] == value, key
    assert (want.brier is None) == (len(labels) > 2 and len(columns) < len(labels))


def test_unnormalised_rows_are_counted_and_used_as_given_like_sklearn() -> None:
    y = np.array([0, 1, 2, 1])
    proba = np.array([[0.5, 0.3, 0.1], [0.2, 0.6, 0.3], [0.1, 0.1, 0.7], [0.3, 0.3, 0.3]])
    pred = proba.argmax(axis=1)
    result = analyze_calibration(
        ProbabilityInputs(y, pred, ["a", "b", "c"], proba), confidence=proba[np.arange(4), pred]
    )
    assert result.rows_not_summing_to_one == 4
    assert result.largest_sum_deviation == pytest.approx(0.1)
    expected = -np.mean(np.log([0.5, 0.6, 0.7, 0.3]))
    assert result.log_loss == pytest.approx(expected, abs=TOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert result.log_loss == pytest.approx(metrics.log_loss(y, proba, labels=[0, 1, 2]))


def test_extreme_probabilities_are_clipped_as_sklearn_clips() -> None:
    y = np.array([1, 0, 1])
    p = np.array([0.0, 1.0, 1.0])
    result = binary(y, p)
    assert result.log_loss == pytest.approx(metrics.log_loss(y, p, labels=[0, 1]), rel=1e-12)
    assert np.isfinite(result.log_loss or np.nan)


def sample_result(n: int = 2000, seed: int = 0) -> CalibrationResult:
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet([2.0, 1.0, 1.0, 0.5], size=n)
    y = np.array([rng.choice(4, p=row) for row in proba])
    pred = proba.argmax(axis=1)
    return analyze_calibration(
        ProbabilityInputs(y, pred, ["w", "x", "y", "z"], proba),
        confidence=proba[np.arange(n), pred],
    )


def test_figure_draws_the_bins_the_counts_and_both_histograms() -> None:
    result = sample_result()
    fig = plot_calibration(result)
    reliability, counts, confidence = fig.axes
    filled = [b for b in result.bins if b.count]
    diagonal, model = reliability.get_lines()
    assert list(diagonal.get_xdata()) == [0, 1]
    assert list(model.get_xdata()) == pytest.approx([b.mean_predicted for b in filled])
    assert list(model.get_ydata()) == pytest.approx([b.observed for b in filled])
    assert "ECE" in reliability.get_title()
    assert counts.get_xlabel().startswith("Mean confidence")
    assert len(counts.patches) == 10
    assert [t.get_text() for t in counts.texts] == [f"{b.count:,}" for b in filled]
    assert len(confidence.patches) == 20
    h = result.confidence_histogram
    legend = [t.get_text() for t in confidence.get_legend().get_texts()]
    assert legend == [f"correct ({h.n_correct:,})", f"wrong ({h.n_wrong:,})"]
    colours = {p.get_facecolor()[:3] for p in confidence.patches}
    assert len(colours) == 2
    title, text = describe_calibration(result)
    assert title and f"{result.n:,} rows" in text


def render(record: dict[str, Any]) -> str:
    template = environment().get_template("sections/calibration.html.j2")
    section = Section("calibration", "Calibration", "")
    return template.render(
        record=record, section=section, figures={"calibration": Markup("<svg></svg>")}
    )


def test_record_block_is_json_and_the_partial_shows_its_numbers() -> None:
    result = sample_result()
    block = asdict(result)
    json.dumps(block, allow_nan=False)
    assert {"brier", "log_loss", "ece", "bins"} <= set(block)
    page = render({"calibration": block})
    # scores are written with three decimals
    assert f"{result.ece:.3f}" in page and f"{result.brier:.3f}" in page
    assert f"{result.log_loss:.3f}" in page
    assert page.count("<tr>") == 4 + 10 + 10 + 3
    assert "<svg></svg>" in page

    partial = asdict(
        analyze_calibration(
            ProbabilityInputs(
                np.array([0, 1, 2]),
                np.array([0, 1, 1]),
                ["a", "b", "c"],
                np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.3, 0.7, 0.0]]),
                columns_present=[0, 1],
            ),
            confidence=np.array([0.9, 0.8, 0.7]),
        )
    )
    page = render({"calibration": partial})
    assert "not computed" in page and "no probability column" in page
