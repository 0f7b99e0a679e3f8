"""Confident learning of analysis/label_issues: a hand-worked case, a loop reference, cleanlab."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from reportgen.analysis.label_issues import LabelIssues, find_label_issues

# cleanlab is the oracle (the test extras pin it); without it those tests skip, the rest run


def cleanlab_filter() -> Any:
    """cleanlab.filter, or a skip saying why."""
    return pytest.importorskip(
        "cleanlab.filter", reason="cleanlab (the oracle, in the test extras) is not installed"
    )


def cleanlab_results(
    labels: np.ndarray, probs: np.ndarray, default_jobs: bool
) -> dict[str, np.ndarray]:
    """cleanlab's mask, ranked indices, calibrated confident joint and thresholds (defaults)."""
    filt = cleanlab_filter()
    from cleanlab.count import compute_confident_joint, get_confident_thresholds

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its "too few examples" warnings for tiny classes
        return {
            # n_jobs=1 gives the result of its default (a process per core) without starting
            # a pool for each case; the default itself is checked where asked
            "issues": filt.find_label_issues(labels, probs, n_jobs=1),
            "default_jobs": filt.find_label_issues(
                labels, probs, n_jobs=None if default_jobs else 1
            ),
            "ranked": filt.find_label_issues(
                labels, probs, n_jobs=1, return_indices_ranked_by="self_confidence"
            ),
            "joint": compute_confident_joint(labels, probs),
            "thresholds": get_confident_thresholds(labels, probs),
        }


def assert_equals_cleanlab(
    labels: np.ndarray, probs: np.ndarray, default_jobs: bool = False
) -> LabelIssues:
    """Mask, ranking, confident joint and thresholds all equal to cleanlab's."""
    found = find_label_issues(labels, probs)
    oracle = cleanlab_results(labels, probs, default_jobs)
    np.testing.assert_array_equal(found.issues, oracle["issues"])
    np.testing.assert_array_equal(found.issues, oracle["default_jobs"])
    np.testing.assert_array_equal(found.ranked, oracle["ranked"])
    np.testing.assert_array_equal(found.confident_joint, oracle["joint"])
    np.testing.assert_allclose(found.thresholds, oracle["thresholds"], rtol=0, atol=1e-12)
    return found


# --- an independent reference: the paper's steps as loops over rows ------------------------


def _round_rows(matrix: list[list[float]]) -> list[list[int]]:
    """Each row rounded half to even, then the largest remainders moved to keep its total."""
    out = []
    for row in matrix:
        ints = [round(v) for v in row]
        missing = round(sum(row)) - sum(ints)
        step = 1 if missing > 0 else -1
        by_remainder = sorted(range(len(row)), key=lambda i: (row[i] - ints[i]) * step)
        for i in by_remainder[::-1][: abs(missing)]:
            ints[i] += step
        out.append(ints)
    return out


def reference(labels: list[int], probs: list[list[float]]) -> tuple[list[int], list[list[int]]]:
    """Ranked issues and the calibrated joint, by loops (for inputs without ties)."""
    n, k = len(labels), len(probs[0])
    counts = [labels.count(c) for c in range(k)]
    thresholds = [
        max(math.fsum(probs[i][c] for i in range(n) if labels[i] == c) / counts[c], 2e-6)
        if counts[c]
        else 2.0
        for c in range(k)
    ]
    joint = [[0] * k for _ in range(k)]
    for i in range(n):
        confident = [c for c in range(k) if probs[i][c] >= thresholds[c] - 1e-6]
        if len(confident) == 1:
            joint[labels[i]][confident[0]] += 1
        elif confident:
            joint[labels[i]][max(range(k), key=lambda c: (probs[i][c], -c))] += 1
    for c in range(k):
        joint[c][c] = max(joint[c][c], 1)
    scaled = [[v / sum(joint[r]) * counts[r] for v in joint[r]] for r in range(k)]
    total = sum(map(sum, scaled))
    calibrated = _round_rows([[v / total * n for v in row] for row in scaled])
    issues = set()
    for given in range(k):
        rows = [i for i in range(n) if labels[i] == given]
        if len(rows) <= 1:
            continue
        column: list[float] = [calibrated[given][j] for j in range(k)]
        if column[given] < 1:  # keep one row: lower the others (cleanlab's count, nonzero - 1)
            others = max(sum(1 for v in column if v) - 1, 1)
            column = [max(v - (1 - column[given]) / others, 0.0) for v in column]
        for j in range(k):
            remove = int(column[j])
            if j != given and remove > 0:
                by_margin = sorted(rows, key=lambda i: probs[i][given] - probs[i][j])
                issues.update(by_margin[:remove])
    kept = []
    for i in sorted(issues):
        boosted = [p + (1e-6 if c == labels[i] else 0.0) for c, p in enumerate(probs[i])]
        if max(range(k), key=lambda c: (boosted[c], -c)) != labels[i]:
            kept.append(i)
    return sorted(kept, key=lambda i: probs[i][labels[i]]), calibrated


def random_case(seed: int, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy labels and Dirichlet probabilities leaning to a true class."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    probs = rng.dirichlet(np.full(k, rng.uniform(0.3, 2.0)), n) + 2.0 * np.eye(k)[truth]
    probs /= probs.sum(axis=1, keepdims=True)
    flip = rng.random(n) < 0.2
    labels = np.where(flip, (truth + rng.integers(1, k, n)) % k, truth)
    return labels, probs


# --- hand-worked, properties, edge cases (no cleanlab needed) ----------------------------


def test_hand_worked_two_classes() -> None:
    """Thresholds 19/30 each; one row of each class confidently the other; both flagged."""
    labels = np.array([0, 0, 0, 1, 1, 1])
    p0 = np.array([0.9, 0.8, 0.2, 0.1, 0.3, 0.7])
    found = find_label_issues(labels, np.column_stack([p0, 1 - p0]))
    np.testing.assert_allclose(found.thresholds, [19 / 30, 19 / 30])
    np.testing.assert_array_equal(found.confident_joint, [[2, 1], [1, 2]])
    np.testing.assert_array_equal(found.issues, [False, False, True, False, False, True])
    np.testing.assert_array_equal(found.ranked, [2, 5])  # self-confidence 0.2, then 0.3
    np.testing.assert_allclose(found.self_confidence, [0.9, 0.8, 0.2, 0.9, 0.7, 0.3])
    np.testing.assert_array_equal(found.suggested, [0, 0, 1, 1, 1, 0])


@pytest.mark.parametrize(("seed", "k", "n"), [(0, 2, 40), (1, 3, 90), (2, 5, 200), (3, 8, 300)])
def test_matches_the_loop_reference(seed: int, k: int, n: int) -> None:
    labels, probs = random_case(seed, k, n)
    found = find_label_issues(labels, probs)
    ranked, joint = reference(labels.tolist(), probs.tolist())
    assert len(ranked) > 0  # the case has issues to find
    np.testing.assert_array_equal(found.confident_joint, joint)
    np.testing.assert_array_equal(found.ranked, ranked)
    np.testing.assert_array_equal(np.flatnonzero(found.issues), sorted(ranked))


def test_flagged_rows_disagree_with_the_model_and_rank_by_self_confidence() -> None:
    labels, probs = random_case(5, 6, 500)
    found = find_label_issues(labels, probs)
    flagged = np.flatnonzero(found.issues)
    assert len(flagged) > 10
    assert (probs[flagged].argmax(axis=1) != labels[flagged]).all()
    assert set(found.ranked.tolist()) == set(flagged.tolist())
    assert (np.diff(found.self_confidence[found.ranked]) >= 0).all()
    assert found.confident_joint.sum() == len(labels)
    np.testing.assert_array_equal(found.confident_joint.sum(axis=1), np.bincount(labels))


def test_same_input_same_output() -> None:
    labels, probs = random_case(6, 4, 300)
    probs = np.round(probs, 1)  # many ties
    first, second = find_label_issues(labels, probs), find_label_issues(labels, probs)
    np.testing.assert_array_equal(first.issues, second.issues)
    np.testing.assert_array_equal(first.ranked, second.ranked)


def test_a_class_of_one_row_is_never_pruned() -> None:
    """min_examples_per_class=1: the only row labelled 2 is kept, however unlikely its label."""
    labels = np.array([0, 0, 0, 1, 1, 1, 2])
    probs = np.array([[0.9, 0.1, 0.0]] * 3 + [[0.1, 0.9, 0.0]] * 3 + [[0.95, 0.05, 0.0]])
    found = find_label_issues(labels, probs)
    assert not found.issues[6]
    assert found.ranked.tolist() == []


def test_a_class_never_given_has_an_unreachable_threshold() -> None:
    labels, probs = random_case(7, 4, 120)
    labels[labels == 3] = 0
    found = find_label_issues(labels, probs)
    assert found.thresholds[3] == 2.0
    assert found.confident_joint[3].sum() == 0
    assert found.confident_joint[:, 3].sum() == 0


def test_one_class_given_and_no_rows_give_no_issues() -> None:
    """cleanlab refuses fewer than two classes; its steps give no off-diagonal count."""
    probs = np.array([[0.2, 0.8], [0.9, 0.1], [0.6, 0.4]])
    found = find_label_issues(np.zeros(3, dtype=int), probs)
    assert not found.issues.any() and found.ranked.tolist() == []
    empty = find_label_issues(np.zeros(0, dtype=int), np.zeros((0, 3)))
    assert empty.issues.shape == (0,) and empty.ranked.shape == (0,)
    assert empty.confident_joint.shape == (3, 3)


@pytest.mark.parametrize(
    ("labels", "probs", "message"),
    [
        ([0, 1], [0.5, 0.5], "shape"),
        ([0, 1, 0], [[0.5, 0.5], [0.5, 0.5]], "one code per row"),
        ([0.0, 1.0], [[0.5, 0.5], [0.5, 0.5]], "integer"),
        ([0, 2], [[0.5, 0.5], [0.5, 0.5]], "label 2 of row 1"),
        ([0, 1], [[0.5, 0.5], [np.nan, 0.5]], "row 1 are not all finite"),
        ([0, 1], [[1.5, -0.5], [0.5, 0.5]], "row 0 are not all between 0 and 1"),
    ],
)
def test_bad_inputs_are_refused(labels: list[Any], probs: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        find_label_issues(np.array(labels), np.array(probs))


# --- cleanlab itself (the test extras install it) -----------------------------------------


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
    for _ in range(150):
        k, n = int(rng.integers(2, 8)), int(rng.integers(3, 60))
        labels = rng.integers(0, k, n)
        labels[:2] = [0, 1]  # at least two classes (cleanlab refuses fewer)
        probs = rng.dirichlet(np.ones(k) * rng.uniform(0.2, 3), n)
        if rng.random() < 0.5:
            probs = np.round(probs, 1)
            probs /= probs.sum(axis=1, keepdims=True)
        assert_equals_cleanlab(labels, probs)


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
    """200,000 rows, 10 classes, each row one of 200 distributions: equal margins straddle the
    cuts, where the choice is numpy's sort's."""
    cleanlab_filter()
    labels, _ = random_case(9, 10, 200_000)
    rng = np.random.default_rng(10)
    # some flat rows are confident in no class, so calibration moves the counts off the
    # boundaries of groups of equal rows (81 of the 90 cuts fall inside such a group)
    boost = rng.uniform(0.0, 3.0, 200)[:, None]
    palette = rng.dirichlet(np.ones(10), 200) + boost * np.eye(10)[np.arange(200) % 10]
    palette /= palette.sum(axis=1, keepdims=True)
    truth = np.where(rng.random(len(labels)) < 0.8, labels, rng.integers(0, 10, len(labels)))
    probs = palette[truth + 10 * rng.integers(0, 20, len(labels))]
    found = assert_equals_cleanlab(labels, probs)
    assert found.issues.sum() > 10_000
