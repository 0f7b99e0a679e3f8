"""Label issues on scikit-learn's digits with 10% of labels flipped: in-sample hides them."""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from reportgen.analysis.label_issues import find_label_issues
from tests.test_label_issues_cleanlab import assert_equals_cleanlab

# fitting the models takes a few seconds: the whole module is in the slow lane (CI runs it)
pytestmark = pytest.mark.slow


@cache
def flipped_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels, flipped labels and the flipped rows: 179 of 1,797 (10%), each to another digit."""
    pixels, digits = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    flipped = np.sort(rng.choice(len(digits), size=len(digits) // 10, replace=False))
    labels = digits.copy()
    labels[flipped] = (digits[flipped] + rng.integers(1, 10, len(flipped))) % 10
    return pixels, labels, flipped


def extra_trees() -> ExtraTreesClassifier:
    return ExtraTreesClassifier(n_estimators=100, random_state=0, n_jobs=1)


def logistic() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


@cache
def probabilities(model: str, out_of_fold: bool) -> np.ndarray:
    """In-sample (fit on every row, predicted on the same rows) or 5-fold out-of-fold."""
    pixels, labels, _ = flipped_digits()
    estimator = extra_trees() if model == "trees" else logistic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the logistic regression's convergence notes
        if not out_of_fold:
            return np.asarray(estimator.fit(pixels, labels).predict_proba(pixels))
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        return np.asarray(
            cross_val_predict(estimator, pixels, labels, cv=folds, method="predict_proba")
        )


def found(model: str, out_of_fold: bool) -> tuple[int, int]:
    """(flipped labels found, rows flagged)."""
    _, labels, flipped = flipped_digits()
    issues = find_label_issues(labels, probabilities(model, out_of_fold)).issues
    return int(issues[flipped].sum()), int(issues.sum())


def test_the_setup_flips_179_labels() -> None:
    pixels, labels, flipped = flipped_digits()
    truth = load_digits().target
    assert pixels.shape == (1797, 64) and len(flipped) == 179
    assert (labels[flipped] != truth[flipped]).all()
    assert (np.delete(labels, flipped) == np.delete(truth, flipped)).all()


def test_in_sample_probabilities_hide_flipped_labels() -> None:
    """A model that fits its training rows agrees with their wrong labels: few are found."""
    in_sample, _ = found("trees", out_of_fold=False)
    out_of_fold, flagged = found("trees", out_of_fold=True)
    # margins wide of the measured 0 and 156 of 179 (label_issues.py's docstring)
    assert in_sample < 0.2 * 179
    assert out_of_fold > 0.8 * 179
    assert out_of_fold > 0.8 * flagged  # and most of what is flagged was flipped


def test_out_of_fold_logistic_regression_finds_most_flipped_labels() -> None:
    out_of_fold, flagged = found("logistic", out_of_fold=True)
    assert out_of_fold > 0.8 * 179 and out_of_fold > 0.6 * flagged


@pytest.mark.parametrize(
    ("model", "out_of_fold"), [("logistic", True), ("trees", True), ("trees", False)]
)
def test_digits_match_cleanlab(model: str, out_of_fold: bool) -> None:
    """cleanlab's mask, order, confident joint and thresholds on the same probabilities."""
    _, labels, _ = flipped_digits()
    assert_equals_cleanlab(labels, probabilities(model, out_of_fold))
