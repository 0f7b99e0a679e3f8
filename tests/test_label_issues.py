"""Confident learning of analysis/label_issues: hand-worked cases, a loop reference, ties."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from reportgen.analysis.label_issues import LabelIssues, find_label_issues

# --- an independent reference: the paper's steps as loops over rows ------------------------


def _round_rows(matrix: list[list[float]]) -> list[list[int]]:
    """Each row rounded half to even, then a unit added to the largest remainders (the last
    class first on ties) or taken from the smallest (the first class first) to keep its total."""
    out = []
    for row in matrix:
        ints = [round(v) for v in row]
        missing = round(sum(row)) - sum(ints)
        by_remainder = sorted(range(len(row)), key=lambda i: row[i] - ints[i])  # stable
        for i in by_remainder[::-1][:missing] if missing > 0 else by_remainder[:-missing]:
            ints[i] += 1 if missing > 0 else -1
        out.append(ints)
    return out


def reference(labels: list[int], probs: list[list[float]]) -> tuple[list[int], list[list[int]]]:
    """Ranked issues and the calibrated joint, by loops; ties by row index (stable sorts)."""
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


# --- ties: broken by row index, the same on every call, layout and row order -------------


def palette_case(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, probabilities and each row's group: every row is one of 200 distributions, so
    the only ties are between identical rows of a class, and they straddle the cuts."""
    labels, _ = random_case(seed, 10, n)
    rng = np.random.default_rng(seed + 1)
    # some flat rows are confident in no class, so calibration moves the counts off the
    # boundaries of groups of equal rows
    boost = rng.uniform(0.0, 3.0, 200)[:, None]
    palette = rng.dirichlet(np.ones(10), 200) + boost * np.eye(10)[np.arange(200) % 10]
    palette /= palette.sum(axis=1, keepdims=True)
    truth = np.where(rng.random(n) < 0.8, labels, rng.integers(0, 10, n))
    which = truth + 10 * rng.integers(0, 20, n)
    return labels, palette[which], labels * 200 + which


def assert_same(first: LabelIssues, second: LabelIssues) -> None:
    for name in ("thresholds", "confident_joint", "issues", "ranked", "self_confidence"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name), name)
    np.testing.assert_array_equal(first.suggested, second.suggested)


def test_ties_go_to_the_lower_row_index() -> None:
    """Worked by hand. Thresholds 0.5, 0.25, 0.25. Rows 3 and 5 (labelled 1) are confidently
    0 and 1, argmax 0: joint row [2, 0, 0], diagonal raised, [4/3, 2/3, 0] rounds to [1, 1, 0],
    so one of the two equal rows is removed as class 0: row 3. Labelled 2, rows 0, 1, 4 guess
    1, 0, 1 (argmax, first on equal): [1, 2, 1] scaled [0.75, 1.5, 0.75] rounds to [1, 2, 1],
    one too many, taken from the smallest remainder (class 1): [1, 1, 1]. By class 0 row 1
    goes (margin 0.5); by class 1 rows 0 and 1 tie at margin 0.5: row 0 goes. Ranking by
    self-confidence 0, 0.25, 0.25: row 1, then rows 0 and 3 in row order."""
    labels = np.array([2, 2, 0, 1, 2, 1])
    probs = np.array([[0, 0.75, 0.25], [0.5, 0.5, 0], [0.5, 0.5, 0], [0.75, 0.25, 0]])
    probs = np.vstack([probs, [[0, 0.5, 0.5], [0.75, 0.25, 0]]])
    found = find_label_issues(labels, probs)
    np.testing.assert_allclose(found.thresholds, [0.5, 0.25, 0.25])
    np.testing.assert_array_equal(found.confident_joint, [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    assert np.flatnonzero(found.issues).tolist() == [0, 1, 3]
    assert found.ranked.tolist() == [1, 0, 3]


@pytest.mark.parametrize(("seed", "k", "n"), [(10, 3, 60), (11, 4, 150), (12, 6, 300)])
def test_ties_match_the_loop_reference(seed: int, k: int, n: int) -> None:
    """Probabilities rounded to 0.1: ties at the cuts, in the ranking and in the rounding."""
    labels, probs = random_case(seed, k, n)
    probs = np.round(probs, 1)
    found = find_label_issues(labels, probs)
    ranked, joint = reference(labels.tolist(), probs.tolist())
    self_confidence = found.self_confidence[found.ranked]
    assert len(np.unique(self_confidence)) < len(ranked)  # the ranking meets ties
    np.testing.assert_array_equal(found.confident_joint, joint)
    np.testing.assert_array_equal(found.ranked, ranked)


def test_same_input_same_output() -> None:
    """Repeated calls, int32 codes and probabilities in Fortran order give identical arrays."""
    labels, probs = random_case(6, 4, 3000)
    probs = np.round(probs, 3)  # many ties
    first = find_label_issues(labels, probs)
    assert_same(first, find_label_issues(labels, probs))
    assert_same(first, find_label_issues(labels.astype(np.int32), np.asfortranarray(probs)))


def tie_preserving(groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random permutation of the rows that keeps the order of the rows of each group."""
    shuffled = rng.permutation(len(groups))
    # the positions of each group, in order, take that group's rows in their original order
    perm = np.empty(len(groups), dtype=np.intp)
    perm[np.argsort(groups[shuffled], kind="stable")] = np.argsort(groups, kind="stable")
    return perm


def test_permuting_rows_permutes_the_result() -> None:
    """Rows moved but tied rows kept in order: the result moves with them, exactly."""
    labels, probs, groups = palette_case(20_000, 3)
    found = find_label_issues(labels, probs)
    flagged = np.bincount(groups[found.issues], minlength=2000)
    assert ((flagged > 0) & (flagged < np.bincount(groups, minlength=2000))).sum() > 5  # ties cut
    perm = tie_preserving(groups, np.random.default_rng(4))
    assert (perm != np.arange(len(perm))).mean() > 0.9
    moved = find_label_issues(labels[perm], probs[perm])
    np.testing.assert_array_equal(moved.issues, found.issues[perm])
    np.testing.assert_array_equal(perm[moved.ranked], found.ranked)
    np.testing.assert_array_equal(moved.confident_joint, found.confident_joint)
    np.testing.assert_allclose(moved.thresholds, found.thresholds, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(moved.suggested, found.suggested[perm])


def test_any_row_order_gives_the_same_result_up_to_ties() -> None:
    """Any permutation: the same number of rows flagged in each group of identical rows, the
    same ranking as a sequence of groups; only which rows of a group, by the tie rule."""
    labels, probs, groups = palette_case(20_000, 5)
    found = find_label_issues(labels, probs)
    perm = np.random.default_rng(6).permutation(len(labels))
    moved = find_label_issues(labels[perm], probs[perm])
    np.testing.assert_array_equal(moved.confident_joint, found.confident_joint)
    np.testing.assert_array_equal(
        np.bincount(groups[perm][moved.issues], minlength=2000),
        np.bincount(groups[found.issues], minlength=2000),
    )
    np.testing.assert_array_equal(groups[perm][moved.ranked], groups[found.ranked])
    # within a group the tie rule takes its first rows in the order given
    for group in np.unique(groups[found.issues])[:50]:
        rows = np.flatnonzero(groups[perm] == group)
        assert moved.issues[rows].tolist() == sorted(moved.issues[rows].tolist(), reverse=True)
