"""Bottom-k sampling by row key: deterministic, seeded, and the same when read in batches."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.analysis import error_tree
from reportgen.analysis.compare_rows import sample_positions
from reportgen.analysis.samples import confusion_strips, misclassified_samples
from reportgen.analysis.sampling import bottom_k, row_keys
from reportgen.read.load import load_predictions
from reportgen.read.table import PredictionTable, restrict

ROWS = np.arange(1, 10_001)


def _reference(keys: np.ndarray, k: int, tiebreak: np.ndarray | None) -> np.ndarray:
    """Bottom-k by sorting every row on (key, tiebreak, position), in position order."""
    ties = np.zeros(len(keys), dtype=np.int64) if tiebreak is None else tiebreak
    order = sorted(range(len(keys)), key=lambda i: (keys[i], ties[i], i))
    return np.array(sorted(order[:k]), dtype=np.int64)


def _table(n: int = 600, *, seed: int = 3) -> PredictionTable:
    """A three-class table where about a third of the rows are wrong."""
    rng = np.random.default_rng(seed)
    labels = np.array(["cat", "dog", "fox"])
    true = rng.integers(0, 3, n)
    pred = np.where(rng.random(n) < 0.35, rng.integers(0, 3, n), true)
    frame = pd.DataFrame(
        {"id": [f"r{i:04d}" for i in range(n)], "y_true": labels[true], "y_pred": labels[pred]}
    )
    return load_predictions(frame)


def _batches(n: int, cuts: list[int]) -> list[np.ndarray]:
    """Split positions 0..n-1 into contiguous batches at the given cut points."""
    edges = [0, *sorted({c for c in cuts if 0 < c < n}), n]
    return [np.arange(lo, hi) for lo, hi in itertools.pairwise(edges)]


# ---------------------------------------------------------------- keys


def test_keys_are_deterministic_uint64_and_distinct() -> None:
    keys = row_keys(ROWS, 0)
    assert keys.dtype == np.uint64
    assert np.array_equal(keys, row_keys(ROWS.copy(), 0))
    assert np.unique(keys).size == ROWS.size
    # a key depends on the row and the seed only, not on the batch it is computed in
    assert np.array_equal(keys[4321:4400], row_keys(ROWS[4321:4400], 0))
    assert np.array_equal(keys, row_keys(ROWS.astype(np.int32), 0))


def test_keys_depend_on_the_seed_with_unrelated_orders() -> None:
    samples = [set(bottom_k(row_keys(ROWS, seed), 100).tolist()) for seed in range(10)]
    for i in range(10):
        for j in range(i + 1, 10):
            # two independent samples of 100 of 10,000 share one row on average
            assert len(samples[i] & samples[j]) < 10
    ranks = [np.argsort(np.argsort(row_keys(ROWS, seed))) for seed in (0, 1, 2**40 + 7)]
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert abs(np.corrcoef(ranks[a], ranks[b])[0, 1]) < 0.05
    # nor does the order follow the row numbers
    assert abs(np.corrcoef(ranks[0], ROWS)[0, 1]) < 0.05


def test_samples_spread_over_the_file() -> None:
    means = [float(ROWS[bottom_k(row_keys(ROWS, seed), 50)].mean()) for seed in range(10)]
    # one mean of 50 uniform rows has a standard deviation of about 408, ten of them about 129
    assert all(3000 < m < 8000 for m in means)
    assert 4400 < float(np.mean(means)) < 5600
    top_bits = (row_keys(ROWS, 0) >> np.uint64(60)).astype(np.int64)
    assert np.bincount(top_bits, minlength=16).min() > 0.7 * ROWS.size / 16


# ---------------------------------------------------------------- bottom_k

small_keys = st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=60)


@settings(max_examples=150, deadline=None)
@given(keys=small_keys, k=st.integers(min_value=0, max_value=70), data=st.data())
def test_bottom_k_equals_a_sort(keys: list[int], k: int, data: st.DataObject) -> None:
    values = np.array(keys, dtype=np.int64)
    assert np.array_equal(bottom_k(values, k), _reference(values, k, None))
    tiebreak = np.array(data.draw(st.permutations(range(len(keys)))), dtype=np.int64)
    got = bottom_k(values, k, tiebreak=tiebreak)
    assert got.dtype == np.int64
    assert np.array_equal(got, _reference(values, k, tiebreak))


def test_bottom_k_edges() -> None:
    keys = row_keys(np.arange(1, 11), 5)
    assert bottom_k(keys, 0).dtype == np.int64 and bottom_k(keys, 0).size == 0
    assert np.array_equal(bottom_k(keys, 10), np.arange(10))
    assert np.array_equal(bottom_k(keys, 99), np.arange(10))
    assert bottom_k(keys[:0], 3).size == 0
    assert np.array_equal(bottom_k(keys, 3), np.sort(np.argsort(keys)[:3]))


@settings(max_examples=150, deadline=None)
@given(
    keys=small_keys,
    k=st.integers(min_value=0, max_value=20),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=6),
    shuffle=st.booleans(),
)
def test_bottom_k_of_batches_is_bottom_k_of_the_whole(
    keys: list[int], k: int, cuts: list[int], shuffle: bool
) -> None:
    values = np.array(keys, dtype=np.int64)
    n = len(keys)
    rows = np.arange(1, n + 1)
    if shuffle:  # row numbers that do not follow the positions: the tiebreak decides ties
        rows = np.random.default_rng(n + k).permutation(rows)
    kept = [b[bottom_k(values[b], k, tiebreak=rows[b])] for b in _batches(n, cuts)]
    union = np.concatenate([np.zeros(0, dtype=np.int64), *kept])
    merged = union[bottom_k(values[union], k, tiebreak=rows[union])]
    assert np.array_equal(np.sort(merged), bottom_k(values, k, tiebreak=rows))


# ---------------------------------------------------------------- shown samples


def test_misclassified_samples_are_wrong_rows_in_file_order() -> None:
    table = _table()
    wrong = table.true_codes != table.pred_codes
    shown = misclassified_samples(table, max_samples=20, seed=7)
    rows = [r.row for r in shown.rows]
    assert shown.shown == 20 and shown.total == int(wrong.sum()) and shown.seed == 7
    assert rows == sorted(rows)
    wrong_rows = set(table.row_numbers[wrong].tolist())
    assert set(rows) <= wrong_rows
    assert all(r.true != r.pred for r in shown.rows)
    everything = misclassified_samples(table, max_samples=10_000, seed=7)
    assert [r.row for r in everything.rows] == sorted(wrong_rows)
    assert misclassified_samples(table, max_samples=20, seed=8).rows != shown.rows


def test_misclassified_samples_match_a_batch_reader() -> None:
    table = _table()
    seed, k = 11, 25
    kept: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    for batch in _batches(table.n, [90, 91, 250, 599]):
        rows = table.row_numbers[batch][table.true_codes[batch] != table.pred_codes[batch]]
        batch_keys = row_keys(rows, seed)
        pick = bottom_k(batch_keys, k, tiebreak=rows)
        kept.append(rows[pick])
        keys.append(batch_keys[pick])
    rows, all_keys = np.concatenate(kept), np.concatenate(keys)
    expected = rows[bottom_k(all_keys, k, tiebreak=rows)].tolist()
    shown = misclassified_samples(table, max_samples=k, seed=seed)
    assert [r.row for r in shown.rows] == expected


def test_misclassified_samples_keep_their_rows_in_a_restricted_table() -> None:
    table = _table()
    shown = {r.row for r in misclassified_samples(table, max_samples=15, seed=2).rows}
    rng = np.random.default_rng(0)
    for share in (0.2, 0.6):
        mask = np.isin(table.row_numbers, list(shown)) | (rng.random(table.n) < share)
        smaller = restrict(table, mask)
        again = misclassified_samples(smaller, max_samples=15, seed=2)
        assert {r.row for r in again.rows} == shown


def test_confusion_strips_pick_the_smallest_keys_whichever_pairs_are_shown() -> None:
    table = _table()
    seed, keys = 4, row_keys(table.row_numbers, 4)
    pairs = [("cat", "dog", 0), ("fox", "cat", 0), ("dog", "fox", 0)]
    strips = confusion_strips(table, pairs, per_pair=3, seed=seed)
    code = {label: i for i, label in enumerate(table.labels)}
    right = table.true_codes == table.pred_codes
    for strip in strips:
        t, p = code[strip.true], code[strip.pred]
        errors = np.flatnonzero((table.true_codes == t) & (table.pred_codes == p))
        best = np.sort(table.row_numbers[errors[np.argsort(keys[errors])[:3]]])
        assert [r.row for r in strip.errors.rows] == best.tolist()
        for example, c in ((strip.true_example, t), (strip.pred_example, p)):
            correct = np.flatnonzero(right & (table.true_codes == c))
            assert [r.row for r in example.rows] == [
                int(table.row_numbers[correct[np.argmin(keys[correct])]])
            ]
    alone = confusion_strips(table, pairs[1:2], per_pair=3, seed=seed)
    assert alone == strips[1:2]


def test_error_tree_fits_on_the_rows_with_the_smallest_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n, limit = 3000, 500
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"source": rng.choice(["a", "b", "c"], n), "x": rng.random(n)})
    wrong = (frame["source"] == "b").to_numpy() & (rng.random(n) < 0.7)
    seen: list[np.ndarray] = []
    encode = error_tree._encode

    def spy(part: pd.DataFrame, features: list[error_tree.Feature]) -> np.ndarray:
        seen.append(part.index.to_numpy())
        return encode(part, features)

    monkeypatch.setattr(error_tree, "MAX_ROWS", limit)
    monkeypatch.setattr(error_tree, "_encode", spy)
    tree = error_tree.fit_error_tree(frame, ["source", "x"], wrong, seed=9)
    assert tree is not None and tree.rows_total == n
    assert tree.rows_used == limit // 2 and tree.rows_held_out == limit - limit // 2
    # fitted on the smaller half of the smallest keys, tested on the other half
    keys = row_keys(np.arange(1, n + 1), 9)
    fit, held = seen[0], seen[1]
    assert np.array_equal(fit, bottom_k(keys, limit // 2))
    assert np.array_equal(np.sort(np.concatenate([fit, held])), bottom_k(keys, limit))
    numbers = np.arange(1, n + 1) * 2 + 10  # rows of a file with some rows dropped
    error_tree.fit_error_tree(frame, ["source", "x"], wrong, seed=9, row_numbers=numbers)
    assert np.array_equal(seen[2], bottom_k(row_keys(numbers, 9), limit // 2))
    assert np.all(np.diff(seen[2]) > 0) and np.all(np.diff(seen[3]) > 0)


def test_compare_sample_positions_follow_the_row_numbers() -> None:
    rng = np.random.default_rng(8)
    mask = rng.random(400) < 0.4
    numbers = rng.permutation(np.arange(1, 401)) + 3
    found = sample_positions(mask, max_samples=12, seed=1, row_numbers=numbers)
    assert found.size == 12 and mask[found].all() and np.all(np.diff(found) > 0)
    # the same file rows are shown in whatever order the join put them
    order = rng.permutation(400)
    again = sample_positions(mask[order], max_samples=12, seed=1, row_numbers=numbers[order])
    assert set(numbers[order][again].tolist()) == set(numbers[found].tolist())
    plain = sample_positions(mask, max_samples=12, seed=1)
    assert np.array_equal(plain, sample_positions(mask, max_samples=12, seed=1, row_numbers=None))
    assert np.array_equal(sample_positions(mask, max_samples=999, seed=1), np.flatnonzero(mask))
