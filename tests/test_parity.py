"""Every classification number equals scikit-learn's on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

from reportgen.analysis.classification import analyze_classification
from reportgen.analysis.stats import wilson_interval
from reportgen.read.table import encode_labels

TOL = 1e-12
pytestmark = pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")


def check_against_sklearn(y_true: list[object], y_pred: list[object]) -> None:
    true_codes, pred_codes, labels, _ = encode_labels(pd.Series(y_true), pd.Series(y_pred))
    result = analyze_classification(true_codes, pred_codes, labels)
    sk_labels = sorted(set(y_true) | set(y_pred))
    assert labels == [str(x) for x in sk_labels]

    expected_cm = confusion_matrix(y_true, y_pred, labels=sk_labels)
    np.testing.assert_array_equal(result.confusion_matrix, expected_cm)
    assert result.accuracy == pytest.approx(accuracy_score(y_true, y_pred), abs=TOL)
    assert result.n == len(y_true)
    assert result.errors == sum(t != p for t, p in zip(y_true, y_pred, strict=True))

    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    for label, metrics in zip(sk_labels, result.per_class, strict=True):
        expected = report[str(label)]
        assert metrics.precision == pytest.approx(expected["precision"], abs=TOL)
        assert metrics.recall == pytest.approx(expected["recall"], abs=TOL)
        assert metrics.f1 == pytest.approx(expected["f1-score"], abs=TOL)
        assert metrics.support == expected["support"]
        assert metrics.false_positives == int(expected_cm[:, sk_labels.index(label)].sum()) - int(
            expected_cm[sk_labels.index(label), sk_labels.index(label)]
        )
        assert metrics.false_negatives == metrics.support - int(
            expected_cm[sk_labels.index(label), sk_labels.index(label)]
        )
    for name, ours in (("macro avg", result.macro_avg), ("weighted avg", result.weighted_avg)):
        assert ours.precision == pytest.approx(report[name]["precision"], abs=TOL)
        assert ours.recall == pytest.approx(report[name]["recall"], abs=TOL)
        assert ours.f1 == pytest.approx(report[name]["f1-score"], abs=TOL)


labels_int = st.integers(min_value=0, max_value=6)
labels_str = st.sampled_from(["cat", "dog", "bird", "Bird", "fish", "ant", "<b>"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(labels_int, labels_int), min_size=1, max_size=80))
def test_integer_labels_match_sklearn(pairs: list[tuple[int, int]]) -> None:
    check_against_sklearn([t for t, _ in pairs], [p for _, p in pairs])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(labels_str, labels_str), min_size=1, max_size=80))
def test_string_labels_match_sklearn(pairs: list[tuple[str, str]]) -> None:
    check_against_sklearn([t for t, _ in pairs], [p for _, p in pairs])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(labels_int, min_size=1, max_size=60),
    st.lists(st.integers(min_value=7, max_value=9), min_size=1, max_size=5),
)
def test_labels_only_in_predictions(y_true: list[int], extra: list[int]) -> None:
    y_pred = list(y_true)
    for i, label in enumerate(extra):
        y_pred[i % len(y_pred)] = label
    check_against_sklearn(y_true, y_pred)


def test_numeric_labels_sort_numerically() -> None:
    y_true = [10, 2, 1, 2, 10]
    y_pred = [2, 2, 1, 10, 10]
    _, _, labels, kind = encode_labels(pd.Series(y_true), pd.Series(y_pred))
    assert labels == ["1", "2", "10"]
    assert kind == "numeric"
    check_against_sklearn(y_true, y_pred)


def test_large_random_case_matches() -> None:
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 12, size=5000)
    y_pred = np.where(rng.random(5000) < 0.7, y_true, rng.integers(0, 13, size=5000))
    check_against_sklearn(y_true.tolist(), y_pred.tolist())


def test_top_confusions_are_ranked_off_diagonal_cells() -> None:
    y_true = ["a"] * 5 + ["b"] * 5 + ["c"] * 3
    y_pred = ["b", "b", "b", "a", "a", "a", "a", "b", "b", "b", "a", "c", "c"]
    codes_t, codes_p, labels, _ = encode_labels(pd.Series(y_true), pd.Series(y_pred))
    result = analyze_classification(codes_t, codes_p, labels)
    top = [(c.true, c.pred, c.count) for c in result.top_confusions]
    assert top == [("a", "b", 3), ("b", "a", 2), ("c", "a", 1)]
    assert result.top_confusions[0].share_of_errors == pytest.approx(3 / 6)
    assert result.top_confusions[0].share_of_true == pytest.approx(3 / 5)


def test_wilson_interval_known_values() -> None:
    # reference values from the closed form (Wilson 1927), e.g. statsmodels proportion_confint
    lo, hi = wilson_interval(81, 263)  # type: ignore[misc]
    assert lo == pytest.approx(0.2553, abs=1e-4)
    assert hi == pytest.approx(0.3662, abs=1e-4)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert wilson_interval(5, 0) is None
    lo, hi = wilson_interval(10, 10)  # type: ignore[misc]
    assert hi == 1.0 and lo == pytest.approx(0.7225, abs=1e-4)


def test_confidence_means() -> None:
    true_codes = np.array([0, 1, 1, 0])
    pred_codes = np.array([0, 1, 0, 0])
    conf = np.array([0.9, 0.8, 0.6, 0.7])
    result = analyze_classification(true_codes, pred_codes, ["a", "b"], confidence=conf)
    assert result.confidence is not None
    assert result.confidence.mean_correct == pytest.approx((0.9 + 0.8 + 0.7) / 3)
    assert result.confidence.mean_wrong == pytest.approx(0.6)
