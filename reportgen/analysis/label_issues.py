"""Suspected label errors by confident learning, equal to cleanlab's ``find_label_issues``.

Summary
-------
``find_label_issues(labels, pred_probs)`` returns a ``LabelIssues``: the rows whose given label
confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in
Dataset Labels", JAIR 70, 2021) suspects, ranked, with the numbers they come from. It equals
``cleanlab.filter.find_label_issues(labels, pred_probs)`` of cleanlab 2.9.0 with its defaults
(``filter_by="prune_by_noise_rate"``, ``frac_noise=1.0``, ``num_to_remove_per_class=None``,
``min_examples_per_class=1``, the calibrated confident joint, not multi-label; ``n_jobs`` does
not change the result) and its ``return_indices_ranked_by="self_confidence"`` order. cleanlab
is the tests' oracle, never imported here.

Definitions (n rows, K classes = the columns of ``pred_probs``; each step is cleanlab's, kept to
the operation so the results agree exactly):

- Self-confidence of a row: the probability of its given label.
- Threshold t_k: the mean self-confidence of the rows labelled k, at least 2e-6; 2.0 for a class
  no row is labelled (no probability reaches it).
- A row is confidently in class j when p_j >= t_j - 1e-6; its guessed true label is that class,
  or the argmax of its probabilities when it is confidently in several (first on ties). Rows
  confidently in no class are left out.
- Confident joint C[i, j]: rows labelled i guessed j, the diagonal raised to at least 1, then
  calibrated: each row scaled to the count of rows labelled i, the whole to n, and rounded to
  integers keeping each row's total (cleanlab's ``round_preserving_row_totals``).
- Prune counts: for each given label k and other class j, C[k, j] rows of class k to remove.
  A class whose calibrated diagonal is 0 keeps one row: each other count of its row is lowered
  by 1 / max(m - 1, 1), m its number of non-zero counts (cleanlab's arithmetic), floored at 0
  and truncated to an integer.
- Pruning by noise rate: in the rows labelled k (only when there are more than one), for each
  j != k the C[k, j] rows with the largest margin p_j - p_k are flagged; a row is flagged if any
  j flags it.
- A flagged row is then cleared when its given label is its argmax after adding 1e-6 to the
  given label's probability (the model agrees with the label).
- Ranking: flagged rows by self-confidence, lowest first.

Ties are broken by index, never by the sort the numpy build picks:

- pruning: where equal margins straddle the cut of the C[k, j] largest, the rows of lower row
  index are flagged (``np.argsort(-margin, kind="stable")[:C[k, j]]``);
- ranking: equal self-confidences in row order (a stable sort of the flagged rows);
- rounding the calibrated joint: among equal remainders, cleanlab's expression on a stable
  sort, so the last class first when a row's total needs a unit more, the first class first
  when it needs one less.

cleanlab calls numpy's default (unstable) argsort at these three places, so its choice among
tied rows or classes depends on the numpy build and the CPU (SIMD sorts such as AVX-512's
order equal keys differently from the portable introsort); ours does not. With a stable sort
in place of its argsort, cleanlab gives exactly this result (the tests check it); without
ties at those places, it gives this result whatever its sort. Ties are not rare: rounded
probabilities tie margins and self-confidences, and equal counts in a row of the joint tie its
rounding even with continuous probabilities (on the digits below, logistic regression
in-sample: 121 rows flagged here, 122 by cleanlab under this machine's AVX-512 sort, three
joint rows differing by a unit moved between tied entries; the same 115 flipped labels are
among them). Otherwise the output depends on the row order only through these rules:
permuting the rows permutes the result, up to the choice among tied rows (and the last bits
of the class means, summed in row order).

Departures from cleanlab, outside what it accepts: cleanlab refuses labels with fewer than two
distinct classes, while here they give no issues (what its steps give: no off-diagonal count);
no rows give empty results. ``pred_probs`` is read as float64.

The probabilities must be out-of-sample (out-of-fold, or from a model that never saw the rows):
a model that fits its training rows agrees with their wrong labels. Measured (numpy 2.4.6,
scikit-learn 1.9.1) on scikit-learn's digits, 1,797 rows, with 179 labels (10%) each flipped
to another digit at random (numpy default_rng(0); tests/test_label_issues_digits.py):

- extra trees (100 trees, random_state 0): in-sample probabilities (fit on every row,
  predicted on the same rows) flag 0 rows, so 0 of the 179 flipped labels are found; 5-fold
  out-of-fold probabilities (stratified, shuffled, random_state 0) flag 159 rows, 156 of
  them flipped: 156 of 179 found (87%).
- logistic regression (standardised pixels, C 1.0), which does not fit its rows as closely:
  in-sample 115 of 179 found (121 flagged); out-of-fold 156 of 179 (201 flagged).

Speed: numpy over whole columns; loops run over classes and class pairs, never over rows. One
million rows and 10 classes with 10% of labels flipped take 0.4 s on the 2-core development
machine, against 1.4 s for cleanlab 2.9.0 itself (n_jobs=1), with the same result
(``python -m reportgen.analysis.label_issues``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# cleanlab.internal.constants
FLOATING_POINT_COMPARISON = 1e-6
CONFIDENT_THRESHOLDS_LOWER_BOUND = 2 * FLOATING_POINT_COMPARISON
TINY_VALUE = 1e-100
# the threshold of a class no row is labelled: above any probability
ABSENT_CLASS_THRESHOLD = 2.0


@dataclass(frozen=True)
class LabelIssues:
    """Confident learning's suspected label errors and the numbers they come from."""

    thresholds: NDArray[np.float64]  # (K,) mean self-confidence per class (2.0 when absent)
    confident_joint: NDArray[np.int64]  # (K, K) calibrated: [given label, guessed true label]
    issues: NDArray[np.bool_]  # (n,) the rows flagged as suspected label errors
    ranked: NDArray[np.int64]  # flagged rows, lowest self-confidence first
    self_confidence: NDArray[np.float64]  # (n,) probability of the given label
    suggested: NDArray[np.int64]  # (n,) argmax of the probabilities (first on ties)


def find_label_issues(labels: NDArray[np.integer], pred_probs: NDArray[np.floating]) -> LabelIssues:
    """Suspected label errors of ``labels`` (codes 0..K-1) under out-of-sample ``pred_probs``."""
    y, probs = _checked(labels, pred_probs)
    n, k = probs.shape
    self_confidence = probs[np.arange(n), y]
    suggested = probs.argmax(axis=1).astype(np.int64) if k else np.zeros(n, dtype=np.int64)
    # rows of each class, in row order (a stable sort keeps cleanlab's probs[labels == k] order)
    order = np.argsort(y, kind="stable")
    bounds = np.searchsorted(y[order], np.arange(k + 1))
    members = [order[bounds[c] : bounds[c + 1]] for c in range(k)]
    thresholds = _thresholds(self_confidence[order], bounds, k)
    joint = _confident_joint(y, probs, thresholds)
    prune = _keep_at_least_one_per_class(joint.T.copy())
    issues = np.zeros(n, dtype=bool)
    for c in range(k):
        issues[_pruned(probs, members[c], prune[:, c], c)] = True
    flagged = np.flatnonzero(issues)
    # the model agrees with the label (within 1e-6): not an issue after all
    sub = probs[flagged].copy()
    sub[np.arange(len(flagged)), y[flagged]] += FLOATING_POINT_COMPARISON
    agrees = sub.argmax(axis=1) == y[flagged] if len(flagged) else np.zeros(0, dtype=bool)
    issues[flagged[agrees]] = False
    flagged = np.flatnonzero(issues)
    # cleanlab's order_label_issues, with a stable sort: equal self-confidences by row index
    ranked = flagged[np.argsort(self_confidence[flagged], kind="stable")].astype(np.int64)
    return LabelIssues(
        thresholds=thresholds,
        confident_joint=joint,
        issues=issues,
        ranked=ranked,
        self_confidence=self_confidence,
        suggested=suggested,
    )


def _checked(
    labels: NDArray[np.integer], pred_probs: NDArray[np.floating]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The inputs as int64 codes and float64 probabilities, or ValueError naming what is wrong."""
    probs = np.asarray(pred_probs, dtype=np.float64)
    raw = np.asarray(labels)
    if probs.ndim != 2:
        raise ValueError(f"pred_probs must be (rows, classes), got shape {probs.shape}")
    if raw.ndim != 1 or len(raw) != len(probs):
        raise ValueError(f"labels must be one code per row of pred_probs, got shape {raw.shape}")
    if len(raw) and not np.issubdtype(raw.dtype, np.integer):
        raise ValueError(f"labels must be integer class codes, got dtype {raw.dtype}")
    y = raw.astype(np.int64)
    if len(y) and (y.min() < 0 or y.max() >= probs.shape[1]):
        bad = int(np.flatnonzero((y < 0) | (y >= probs.shape[1]))[0])
        raise ValueError(f"label {y[bad]} of row {bad} is not a class code 0..{probs.shape[1] - 1}")
    if not np.isfinite(probs).all():
        bad = int(np.flatnonzero(~np.isfinite(probs).all(axis=1))[0])
        raise ValueError(f"pred_probs of row {bad} are not all finite")
    out = (probs < -FLOATING_POINT_COMPARISON) | (probs > 1 + FLOATING_POINT_COMPARISON)
    if out.any():
        bad = int(np.flatnonzero(out.any(axis=1))[0])
        raise ValueError(f"pred_probs of row {bad} are not all between 0 and 1")
    return y, probs


def _thresholds(
    sorted_confidence: NDArray[np.float64], bounds: NDArray[np.intp], k: int
) -> NDArray[np.float64]:
    """Mean self-confidence per class (cleanlab's get_confident_thresholds)."""
    # np.mean of the same contiguous values in the same order: the same pairwise sum, bit for bit
    means = [
        float(np.mean(sorted_confidence[bounds[c] : bounds[c + 1]]))
        if bounds[c + 1] > bounds[c]
        else ABSENT_CLASS_THRESHOLD
        for c in range(k)
    ]
    return np.clip(np.array(means, dtype=np.float64), CONFIDENT_THRESHOLDS_LOWER_BOUND, None)


def _confident_joint(
    y: NDArray[np.int64], probs: NDArray[np.float64], thresholds: NDArray[np.float64]
) -> NDArray[np.int64]:
    """cleanlab's compute_confident_joint(labels, pred_probs) with calibrate=True."""
    k = probs.shape[1]
    confident = probs >= thresholds - FLOATING_POINT_COMPARISON
    count = confident.sum(axis=1)
    guess = np.where(count > 1, probs.argmax(axis=1), confident.argmax(axis=1))
    kept = count > 0
    # [guess, label] transposed, as cleanlab's confusion_matrix(...).T: the same memory order
    # makes its later sums add in the same order, hence the same floats and the same rounding
    joint = np.bincount(guess[kept] * k + y[kept], minlength=k * k).reshape(k, k).T
    np.fill_diagonal(joint, joint.diagonal().clip(min=1))
    return _calibrate(joint, np.bincount(y, minlength=k))


def _calibrate(joint: NDArray[np.int64], label_counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """cleanlab's calibrate_confident_joint, written as it is (same operations, same floats)."""
    calibrated = (
        joint.T / np.clip(joint.sum(axis=1), a_min=TINY_VALUE, a_max=None) * label_counts
    ).T
    calibrated = (
        calibrated
        / np.clip(np.sum(calibrated), a_min=TINY_VALUE, a_max=None)
        * int(label_counts.sum())
    )
    return _round_preserving_row_totals(calibrated)


def _round_preserving_row_totals(matrix: NDArray[np.float64]) -> NDArray[np.int64]:
    """cleanlab's round_preserving_row_totals: each row rounded, keeping its rounded total."""
    rows = [_round_preserving_sum(np.array(row, dtype=np.float64)) for row in matrix]
    return np.array(rows, dtype=np.int64).reshape(matrix.shape)


def _round_preserving_sum(floats: NDArray[np.float64]) -> NDArray[np.int64]:
    """cleanlab's round_preserving_sum (from iteround): round half to even, then move the
    largest remainders by one until the total is the rounded total."""
    ints = floats.round()
    orig_sum = np.sum(floats).round()
    int_sum = np.sum(ints).round()
    while abs(int_sum - orig_sum) > FLOATING_POINT_COMPARISON:
        diff = np.round(orig_sum - int_sum)
        increment = -1 if int(diff < 0.0) else 1
        changes = min(int(abs(diff)), len(floats))
        # cleanlab's expression with a stable sort: among equal remainders, the last class
        # first when adding, the first class first when subtracting (not the build's choice)
        indices = np.argsort(floats - ints, kind="stable")[::-increment][:changes]
        for i in indices:  # at most K entries
            ints[i] = ints[i] + increment
        int_sum = np.sum(ints).round()
    return ints.astype(np.int64)


def _keep_at_least_one_per_class(prune: NDArray[np.int64]) -> NDArray[np.int64]:
    """cleanlab's _keep_at_least_n_per_class(joint.T, n=1, frac_noise=1.0): [j, k] is how many
    rows labelled k to remove as truly j."""
    diagonal = np.diagonal(prune)
    new_diagonal = np.maximum(diagonal, 1)
    diff_per_col = new_diagonal - diagonal
    noise_rates_per_col = np.maximum(np.count_nonzero(prune, axis=0) - 1.0, 1.0)
    new: NDArray[np.float64] = prune - diff_per_col / noise_rates_per_col
    new[new < 0] = 0
    np.fill_diagonal(new, new_diagonal)
    # frac_noise = 1 keeps the counts; cleanlab's astype(int) truncates the fractions (its
    # rounding of the rows that follows leaves integers as they are)
    return new.astype(np.int64)


def _pruned(
    probs: NDArray[np.float64], rows: NDArray[np.intp], counts: NDArray[np.int64], k: int
) -> NDArray[np.intp]:
    """Rows labelled k flagged by pruning by noise rate (cleanlab's _prune_by_count)."""
    if len(rows) <= 1:  # min_examples_per_class = 1: a class of one row is never pruned
        return np.zeros(0, dtype=np.intp)
    sub = probs[rows]
    flagged = np.zeros(len(rows), dtype=bool)
    for j in np.flatnonzero(counts):
        if j == k:
            continue
        flagged[_largest(sub[:, j] - sub[:, k], int(counts[j]))] = True
    return rows[flagged]


def _largest(margin: NDArray[np.float64], m: int) -> NDArray[np.intp]:
    """Positions of the m largest margins, equal margins by position: the set
    ``np.argsort(-margin, kind="stable")[:m]`` chooses."""
    if m >= len(margin):
        return np.arange(len(margin))
    negated = -margin
    # the m-th smallest of -margin in O(n): every row beyond it, then the first rows equal to it
    cut = np.partition(negated, m - 1)[m - 1]
    beyond = negated < cut
    at_cut = np.flatnonzero(negated == cut)[: m - int(beyond.sum())]
    beyond[at_cut] = True
    return np.flatnonzero(beyond)


def _timing() -> None:  # pragma: no cover - `python -m reportgen.analysis.label_issues`
    """Time one million rows and 10 classes with 10% of labels flipped."""
    import time

    rng = np.random.default_rng(0)
    n, k = 1_000_000, 10
    truth = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 3.0 * np.eye(k)[truth]
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = np.where(rng.random(n) < 0.1, (truth + rng.integers(1, k, n)) % k, truth)
    start = time.perf_counter()
    found = find_label_issues(labels, probs)
    took = time.perf_counter() - start
    print(f"{n:,} rows, {k} classes: {int(found.issues.sum()):,} flagged in {took:.2f} s")


if __name__ == "__main__":  # pragma: no cover
    _timing()
