"""analysis/label_issues against cleanlab: exact under stable sorts, up to ties as installed."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any
from unittest import mock

import numpy as np
import pytest

from reportgen.analysis.label_issues import LabelIssues, find_label_issues
from tests.test_label_issues import palette_case, random_case

# cleanlab is the oracle (the test extras pin it); without it these tests skip
_numpy_argsort = np.argsort


def cleanlab_filter() -> Any:
    """cleanlab.filter, or a skip saying why."""
    return cleanlab_module("filter")


def cleanlab_module(name: str) -> Any:
    """cleanlab.<name> (untyped, hence imported as a value), or a skip saying why."""
    return pytest.importorskip(
        f"cleanlab.{name}", reason="cleanlab (the oracle, in the test extras) is not installed"
    )


def _stable_argsort(a: Any, axis: int = -1, kind: Any = None, order: Any = None) -> Any:
    return _numpy_argsort(a, axis=axis, kind="stable", order=order)


@contextmanager
def stable_sorts() -> Iterator[None]:
    """cleanlab's np.argsort calls (pruning cut, ranking, rounding) made stable: our tie rule."""
    with mock.patch.object(np, "argsort", _stable_argsort):
        yield


def cleanlab_results(labels: np.ndarray, probs: np.ndarray, stable: bool) -> dict[str, np.ndarray]:
    """cleanlab's mask, ranked indices, calibrated confident joint and thresholds (defaults)."""
    filt = cleanlab_filter()
    count = cleanlab_module("count")

    with warnings.catch_warnings(), stable_sorts() if stable else nullcontext():
        warnings.simplefilter("ignore")  # its "too few examples" warnings for tiny classes
        return {
            # n_jobs=1 gives the result of its default (a process per core) without starting
            # a pool for each case; the default itself is checked where asked
            "issues": filt.find_label_issues(labels, probs, n_jobs=1),
            "ranked": filt.find_label_issues(
                labels, probs, n_jobs=1, return_indices_ranked_by="self_confidence"
            ),
            "joint": count.compute_confident_joint(labels, probs),
            "thresholds": count.get_confident_thresholds(labels, probs),
        }


def assert_exactly(found: LabelIssues, oracle: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(found.issues, oracle["issues"])
    np.testing.assert_array_equal(found.ranked, oracle["ranked"])
    np.testing.assert_array_equal(found.confident_joint, oracle["joint"])
    np.testing.assert_allclose(found.thresholds, oracle["thresholds"], rtol=0, atol=1e-12)


def calibrated_floats(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """cleanlab's calibrated confident joint before rounding (to find ties in its rounding)."""
    joint = cleanlab_module("count").compute_confident_joint(labels, probs, calibrate=False)
    raw = np.asarray(joint, dtype=float)
    counts = np.bincount(labels, minlength=probs.shape[1])[:, None]
    scaled = raw / raw.sum(axis=1, keepdims=True) * counts
    return np.asarray(scaled / scaled.sum() * len(labels), dtype=float)


def tied_remainder(row: np.ndarray) -> float | None:
    """The remainder (value - rounded) at which rounding a row of the joint meets a tie: the
    units it moves go to the largest (or smallest) remainders, and an equal remainder lies on
    each side of the last one moved (within 1e-9); None without such a tie."""
    missing = int(round(row.sum()) - np.round(row).sum())
    if not 0 < abs(missing) < len(row):
        return None
    remainders = np.sort(row - np.round(row))[:: -1 if missing > 0 else 1]
    last, after = remainders[abs(missing) - 1], remainders[abs(missing)]
    return float(last) if abs(last - after) < 1e-9 else None


def sort_ties(labels: np.ndarray, probs: np.ndarray) -> bool:
    """Whether a sort cleanlab does may meet equal keys: equal margins p_j - p_k within a class,
    equal self-confidences, a tie in rounding a row of the calibrated joint."""
    n, k = probs.shape
    self_confidence = probs[np.arange(n), labels]
    if len(np.unique(self_confidence)) < n:
        return True
    for c in range(k):
        rows = probs[labels == c]
        margins = rows - rows[:, [c]]
        if any(len(np.unique(margins[:, j])) < len(rows) for j in range(k) if j != c):
            return True
    return any(tied_remainder(row) is not None for row in calibrated_floats(labels, probs))


def assert_equal_up_to_ties(
    labels: np.ndarray, probs: np.ndarray, found: LabelIssues, oracle: dict[str, np.ndarray]
) -> None:
    """Every difference from cleanlab as installed is a choice among tied rows or classes."""
    np.testing.assert_allclose(found.thresholds, oracle["thresholds"], rtol=0, atol=1e-12)
    assert (np.diff(found.self_confidence[oracle["ranked"]]) >= 0).all()
    assert sorted(oracle["ranked"].tolist()) == np.flatnonzero(oracle["issues"]).tolist()
    joint = oracle["joint"]
    if (joint != found.confident_joint).any():
        # a unit moved between entries of one row whose calibrated values round alike
        np.testing.assert_array_equal(joint.sum(axis=1), found.confident_joint.sum(axis=1))
        floats = calibrated_floats(labels, probs)
        for row in np.flatnonzero((joint != found.confident_joint).any(axis=1)):
            tie = tied_remainder(floats[row])
            moved = (floats[row] - np.round(floats[row]))[joint[row] != found.confident_joint[row]]
            assert tie is not None and np.abs(moved - tie).max() < 1e-9, f"joint row {row}"
        return  # other prune counts: the rows flagged are not comparable one by one
    for i in np.flatnonzero(found.issues != oracle["issues"]):
        # a row flagged by one and not the other ties on a margin with a row of its class
        rows = probs[labels == labels[i]]
        margins = rows - rows[:, [labels[i]]]
        row_margin = probs[i] - probs[i, labels[i]]
        ties = (margins == row_margin).sum(axis=0)
        assert (np.delete(ties, labels[i]) >= 2).any(), f"row {i} differs with no tie"
    if (found.issues == oracle["issues"]).all():
        # the same rows: the same self-confidences in order, the same set within each value
        ours, theirs = found.self_confidence[found.ranked], found.self_confidence[oracle["ranked"]]
        np.testing.assert_array_equal(ours, theirs)
        for value in np.unique(ours):
            assert set(found.ranked[ours == value]) == set(oracle["ranked"][theirs == value])


def assert_equals_cleanlab(
    labels: np.ndarray, probs: np.ndarray, default_jobs: bool = False
) -> LabelIssues:
    """Exactly cleanlab's result with stable sorts (our tie rule; mask, ranking, confident
    joint, thresholds); cleanlab as installed exactly without ties, else up to ties."""
    found = find_label_issues(labels, probs)
    assert_exactly(found, cleanlab_results(labels, probs, stable=True))
    installed = cleanlab_results(labels, probs, stable=False)
    if default_jobs:  # its pool (workers may not inherit the patch): as installed, in process
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pooled = cleanlab_filter().find_label_issues(labels, probs)
        np.testing.assert_array_equal(pooled, installed["issues"])
    if sort_ties(labels, probs):
        assert_equal_up_to_ties(labels, probs, found, installed)
    else:
        assert_exactly(found, installed)
    return found


@pytest.mark.parametrize("seed", range(12))
def test_random_cases_match_cleanlab(seed: int) -> None:
    """Several K, small and missing classes; half the cases rounded to 0.1 (ties everywhere)."""
    rng = np.random.default_rng(100 + seed)
    k = int(rng.integers(2, 12))
    labels, probs = random_case(seed, k, int(rng.integers(k + 2, 400)))
    if seed % 3 == 0:
        labels[labels == k - 1] = 0  # a class never given
    if seed % 4 == 1:
        labels[: 1 + seed % 3] = k - 1  # a class of few rows
        labels[1 + seed % 3 :][labels[1 + seed % 3 :] == k - 1] = 0
    if seed % 2 == 0:
        probs = np.round(probs, 1)
        probs /= probs.sum(axis=1, keepdims=True)
    assert_equals_cleanlab(labels, probs, default_jobs=seed == 0)


def test_many_random_small_cases_match_cleanlab() -> None:
    """Hundreds of small inputs, where rounding, clipping and ties matter most."""
    cleanlab_filter()
    rng = np.random.default_rng(1)
    tie_free = 0
    for _ in range(150):
        k, n = int(rng.integers(2, 8)), int(rng.integers(3, 60))
        labels = rng.integers(0, k, n)
        labels[:2] = [0, 1]  # at least two classes (cleanlab refuses fewer)
        probs = rng.dirichlet(np.ones(k) * rng.uniform(0.2, 3), n)
        if rng.random() < 0.5:
            probs = np.round(probs, 1)
            probs /= probs.sum(axis=1, keepdims=True)
        tie_free += not sort_ties(labels, probs)
        assert_equals_cleanlab(labels, probs)
    assert tie_free > 20  # both branches of the comparison are taken


def test_edge_cases_match_cleanlab() -> None:
    """A class of one row, a class never given, identical rows, probabilities of 0 and 1."""
    cleanlab_filter()
    one_row = np.array([0, 0, 0, 1, 1, 1, 2])
    one_probs = np.array([[0.9, 0.1, 0.0]] * 3 + [[0.1, 0.9, 0.0]] * 3 + [[0.95, 0.05, 0.0]])
    assert_equals_cleanlab(one_row, one_probs)
    labels, probs = random_case(8, 5, 80)
    labels[labels == 4] = 1
    assert_equals_cleanlab(labels, probs)
    same = np.tile([[0.5, 0.3, 0.2]], (30, 1))
    assert_equals_cleanlab(np.arange(30) % 3, same)
    hard = np.eye(3)[np.arange(30) % 3]
    assert_equals_cleanlab((np.arange(30) + (np.arange(30) % 7 == 0)) % 3, hard)


@pytest.mark.slow
def test_a_large_case_matches_cleanlab() -> None:
    """200,000 rows, 10 classes, ties at most cuts: exact under stable sorts, else up to ties."""
    cleanlab_filter()
    labels, probs, _ = palette_case(200_000, 9)
    found = assert_equals_cleanlab(labels, probs)
    assert found.issues.sum() > 10_000
