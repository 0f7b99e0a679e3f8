"""Resource exhaustion from what a user can feed: many labels (issue 14, item 8).

The class of bug: a K x K (or N x K) allocation where K is the number of distinct labels, which
a user controls. 50,000 labels made a 20 GB confusion matrix (in memory and streamed) and a
page of tens of megabytes. Beyond `classification.MANY_CLASSES` the counts stay sparse, the
record and the page keep the `KEPT_CLASSES` classes involved in the most errors and say so, and
every metric (accuracy, per-class rows, macro and weighted averages over ALL classes) still
equals scikit-learn's. Tests lower the thresholds so that small data exercise the same path.
"""

from __future__ import annotations

import json
import os
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from reportgen.analysis import classification, splits, suggestions
from reportgen.analysis.classification import (
    analyze_classification,
    confusion_matrix,
    from_matrix,
    from_pairs,
    kept_classes,
)
from reportgen.analysis.confusion_counts import PairCounts
from reportgen.cli import main
from reportgen.read.stream.tallies import PairTally
from reportgen.record.blocks import classification_block

RECORD = re.compile(r'<script type="application/json" id="reportgen-data">(.*?)</script>', re.S)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def few(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat more than 10 classes as many, and keep 6 of them."""
    monkeypatch.setattr(classification, "MANY_CLASSES", 10)
    monkeypatch.setattr(classification, "KEPT_CLASSES", 6)


def _codes(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted codes: 70% right, errors often to the next class, some to any."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    pred = true.copy()
    wrong = rng.random(n) < 0.3
    near = rng.random(n) < 0.5
    pred[wrong & near] = (true[wrong & near] + 1) % k
    anywhere = wrong & ~near
    pred[anywhere] = rng.integers(0, k, int(anywhere.sum()))
    return true, pred


def _labels(k: int) -> list[str]:
    return [f"c{i:03d}" for i in range(k)]


def _frame(n: int, k: int, seed: int = 0) -> pd.DataFrame:
    true, pred = _codes(n, k, seed)
    labels = np.array(_labels(k), dtype=object)
    return pd.DataFrame({"id": np.arange(n), "y_true": labels[true], "y_pred": labels[pred]})


def _build(path: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["build", path, "-o", "report.html", *args])


def _embedded(page: str) -> dict:
    found = RECORD.search(page)
    assert found is not None
    return json.loads(found.group(1).replace("<\\/", "</"))


# ---------------------------------------------------------------- sparse counts


def test_pair_counts_agree_with_the_dense_matrix() -> None:
    true, pred = _codes(2_000, 13)
    dense = confusion_matrix(true, pred, 13)
    pairs = PairCounts.from_codes(true, pred, 13)
    assert pairs.true.dtype == pairs.pred.dtype == pairs.count.dtype == np.int64
    np.testing.assert_array_equal(pairs.dense(), dense)
    np.testing.assert_array_equal(pairs.support(), dense.sum(axis=1))
    np.testing.assert_array_equal(pairs.predicted(), dense.sum(axis=0))
    np.testing.assert_array_equal(pairs.diagonal(), np.diag(dense))
    assert pairs.total() == 2_000
    idx = [1, 4, 7]
    np.testing.assert_array_equal(pairs.dense(idx), dense[np.ix_(idx, idx)])
    # folded in parts, with codes renumbered, as the streamed read does
    tally = PairTally()
    tally.add(true[:700], pred[:700])
    other = PairTally()
    other.add(true[700:], pred[700:])
    tally.merge(other, np.arange(13))
    remap = np.arange(13)[::-1].copy()
    folded = tally.result(remap, 13)
    np.testing.assert_array_equal(folded.dense(), dense[::-1, ::-1])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.lists(
                st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=80
            ),
        )
    )
)
def test_sparse_and_dense_paths_give_the_same_result(case: tuple[int, list]) -> None:
    # every number from the sparse counts equals the dense matrix's, to the last bit
    k, rows = case
    true = np.array([t for t, _ in rows], dtype=np.int64)
    pred = np.array([p for _, p in rows], dtype=np.int64)
    labels = _labels(k)
    dense = from_matrix(confusion_matrix(true, pred, k), labels)
    sparse = from_pairs(PairCounts.from_codes(true, pred, k), labels)
    assert sparse.confusion_matrix is None and sparse.pairs is not None
    for name in ("n", "errors", "accuracy", "accuracy_ci", "per_class", "macro_avg"):
        assert getattr(sparse, name) == getattr(dense, name), name
    assert sparse.weighted_avg == dense.weighted_avg
    assert sparse.top_confusions == dense.top_confusions
    assert sparse.confusion_pairs == dense.confusion_pairs


def test_sparse_counts_stay_small_with_many_labels() -> None:
    # 10,000 labels: a dense matrix would be 800 MB; the sparse counts grow with the pairs
    k, n = 10_000, 20_000
    true, pred = _codes(n, k)
    labels = [f"l{i}" for i in range(k)]
    tracemalloc.start()
    try:
        result = analyze_classification(true, pred, labels)
        block = classification_block(result, "string")
        tally = PairTally()
        for start in range(0, n, 5_000):
            tally.add(true[start : start + 5_000], pred[start : start + 5_000])
        streamed = tally.result(np.arange(k), k)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000, peak
    assert result.confusion_matrix is None
    assert streamed.total() == n
    assert block["classes"]["total"] == k
    assert len(block["per_class"]) == classification.KEPT_CLASSES
    assert len(json.dumps(block)) < 200_000


# ---------------------------------------------------------------- metrics against scikit-learn


@pytest.mark.usefixtures("few")
def test_many_classes_metrics_equal_scikit_learn() -> None:
    k, n = 40, 3_000
    true, pred = _codes(n, k, seed=3)
    pred[:5] = k - 1  # a class that is predicted but never true (code k-1 is kept out)
    true[true == k - 1] = 0
    labels = _labels(k)
    result = analyze_classification(true, pred, labels)
    assert result.confusion_matrix is None  # sparse beyond MANY_CLASSES
    codes = list(range(k))
    assert result.accuracy == pytest.approx(accuracy_score(true, pred), abs=1e-12)
    p, r, f, s = precision_recall_fscore_support(true, pred, labels=codes, zero_division=0)
    for i, m in enumerate(result.per_class):
        assert (m.precision, m.recall, m.f1, m.support) == pytest.approx(
            (p[i], r[i], f[i], s[i]), abs=1e-12
        )
    for average, got in (("macro", result.macro_avg), ("weighted", result.weighted_avg)):
        ps, rs, fs, _ = precision_recall_fscore_support(
            true, pred, labels=codes, average=average, zero_division=0
        )
        assert (got.precision, got.recall, got.f1) == pytest.approx((ps, rs, fs), abs=1e-12)
    dense = sk_confusion_matrix(true, pred, labels=codes)
    off = dense.copy()
    np.fill_diagonal(off, 0)
    assert result.confusion_pairs == int(np.count_nonzero(off))
    top = result.top_confusions[0]
    assert top.count == off.max()
    assert off[labels.index(top.true), labels.index(top.pred)] == top.count

    # the record keeps six classes: their rows and the counts among them, exactly
    block = classification_block(result, "string")
    kept = kept_classes(result)
    assert block["labels"] == [labels[i] for i in kept] and len(kept) == 6
    assert block["confusion_matrix"] == dense[np.ix_(kept, kept)].tolist()
    for row, i in zip(block["per_class"], kept, strict=True):
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (p[i], r[i], f[i], s[i]), abs=1e-12
        )
    # the classes in the most errors (as true or predicted label), and the weakest class
    weakest = min((i for i in codes if s[i]), key=lambda i: (r[i], -s[i], i))
    assert weakest in kept
    involved = off.sum(axis=0) + off.sum(axis=1)
    others = [i for i in kept if i != weakest]
    assert min(involved[others]) >= sorted(involved, reverse=True)[6]
    assert block["classes"] == {
        "total": k,
        "kept": 6,
        "kept_by": "involved in the most errors, and the weakest class",
        "never_true": 1,
        "never_true_first": [labels[k - 1]],
        "small_support": int(sum(0 < x < classification.SMALL_SUPPORT for x in s)),
    }


def test_few_classes_keep_the_whole_matrix() -> None:
    # up to MANY_CLASSES nothing changes: the whole matrix, every class, no 'classes' key
    true, pred = _codes(500, 8)
    block = classification_block(analyze_classification(true, pred, _labels(8)), "string")
    assert "classes" not in block
    assert block["confusion_matrix"] == sk_confusion_matrix(true, pred).tolist()
    assert len(block["per_class"]) == 8


# ---------------------------------------------------------------- the CLI, in memory and streamed


@pytest.mark.usefixtures("few")
@pytest.mark.parametrize("stream", [False, True], ids=["in-memory", "streamed"])
def test_build_with_many_labels_says_what_it_cut(tmp_path: Path, stream: bool) -> None:
    frame = _frame(800, 40, seed=1)
    frame.to_csv("preds.csv", index=False)
    result = _build("preds.csv", "--json", "record.json", *(["--stream"] if stream else []))
    assert result.exit_code == 0, result.output
    page = Path("report.html").read_text(encoding="utf-8")
    record = json.loads(Path("record.json").read_text(encoding="utf-8"))
    embedded = _embedded(page)
    assert embedded["classification"] == record["classification"]
    c = record["classification"]
    assert c["classes"]["total"] == 40 and c["classes"]["kept"] == 6
    assert len(c["labels"]) == len(c["per_class"]) == len(c["confusion_matrix"]) == 6
    # the averages count all 40 classes, not the six kept
    _, _, f, _ = precision_recall_fscore_support(
        frame["y_true"], frame["y_pred"], average="macro", zero_division=0
    )
    assert c["macro_avg"]["f1"] == pytest.approx(f, abs=1e-12)
    assert c["accuracy"] == pytest.approx(accuracy_score(frame["y_true"], frame["y_pred"]))
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    # the figure draws the 30 classes in the most errors; the record keeps 6
    assert "Showing the 30 classes involved in the most errors, of 40." in text
    assert "the embedded record holds the counts among the 6 classes involved in the most" in text
    assert "showing the 6 classes involved in the most errors, and the weakest class, of 40" in (
        text
    )
    assert "unweighted mean over 40 classes" in text


@pytest.mark.slow
@pytest.mark.usefixtures("few")
def test_streamed_and_in_memory_records_agree(tmp_path: Path) -> None:
    _frame(1_500, 30, seed=2).to_csv("preds.csv", index=False)
    blocks = []
    for extra in ([], ["--stream"]):
        result = CliRunner().invoke(
            main, ["build", "preds.csv", "-o", "r.html", "--json", "r.json", *extra]
        )
        assert result.exit_code == 0, result.output
        blocks.append(json.loads(Path("r.json").read_text(encoding="utf-8"))["classification"])
    assert blocks[0] == blocks[1]


@pytest.mark.slow
def test_thousands_of_labels_make_a_small_page(tmp_path: Path) -> None:
    # 3,000 labels with the default thresholds: the page was 9 MB of matrix before
    _frame(9_000, 3_000, seed=4).to_csv("preds.csv", index=False)
    result = _build("preds.csv")
    assert result.exit_code == 0, result.output
    size = os.path.getsize("report.html")
    assert size < 1_000_000, size


# ---------------------------------------------------------------- other places K is used


@pytest.mark.slow
@pytest.mark.usefixtures("few")
def test_split_check_with_many_labels_keeps_some_and_says_so(tmp_path: Path) -> None:
    frame = _frame(2_000, 40, seed=5)
    frame["split"] = np.where(np.arange(2_000) % 3 == 0, "test", "train")
    # ten classes never in train: ten warnings, kept first in the record
    frame.loc[frame["y_true"].isin(_labels(40)[:10]), "split"] = "test"
    monkey_warnings = splits.MAX_WARNINGS
    frame.to_csv("preds.csv", index=False)
    result = _build("preds.csv", "--split", "split", "--json", "record.json")
    assert result.exit_code == 0, result.output
    sp = json.loads(Path("record.json").read_text(encoding="utf-8"))["splits"]
    assert sp["classes"]["total"] == 40 and sp["classes"]["kept"] == 6
    assert len(sp["labels"]) == 6 and all(len(v) == 6 for v in sp["counts"].values())
    truth = frame.groupby(["split", "y_true"]).size()
    for name, counts in sp["counts"].items():
        assert counts == [int(truth.get((name, lab), 0)) for lab in sp["labels"]]
    assert all(sp["counts"]["train"][i] == 0 for i in range(6))  # train's missing come first
    assert len(sp["warnings"]) <= monkey_warnings + 1


def test_per_class_suggestions_are_capped_and_counted() -> None:
    # 200 rare classes whose recall lags: one suggestion each, 200 rows in the page, before
    k = 401
    true = np.r_[np.zeros(20_000, dtype=np.int64), np.repeat(np.arange(1, k), 4)]
    pred = true.copy()
    lagging = np.flatnonzero(true > 200)
    pred[lagging[np.arange(lagging.size) % 4 != 0]] = 0  # three of every four missed
    result = analyze_classification(true, pred, [f"l{i}" for i in range(k)])
    found = suggestions.rare_class_suggestions(result)
    assert len(found) == suggestions.MAX_PER_KIND + 1
    assert found[-1].kind == suggestions.MORE
    assert "200 classes" in found[-1].evidence and "the 20 above" in found[-1].evidence
    assert [s.target for s in found[:-1]] == [f"l{i}" for i in range(201, 221)]


@pytest.mark.usefixtures("few")
def test_compare_with_many_labels_is_refused(tmp_path: Path) -> None:
    frame = _frame(500, 40)
    frame.to_csv("a.csv", index=False)
    frame.assign(y_pred=frame["y_true"]).to_csv("b.csv", index=False)
    result = CliRunner().invoke(main, ["compare", "a.csv", "b.csv", "-o", "cmp.html"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = " ".join(result.stderr.split())
    assert "40 classes" in message and "up to 10 classes" in message
    assert not Path("cmp.html").exists()


@pytest.mark.usefixtures("few")
@pytest.mark.parametrize("stream", [False, True], ids=["in-memory", "streamed"])
def test_step_with_many_labels_is_refused(tmp_path: Path, stream: bool) -> None:
    frame = _frame(600, 40)
    frame["epoch"] = np.arange(600) % 3
    frame.to_csv("preds.csv", index=False)
    result = _build("preds.csv", "--step", "epoch", *(["--stream"] if stream else []))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = " ".join(result.stderr.split())
    assert "--step epoch" in message and "40 classes" in message
    assert not Path("report.html").exists()


@pytest.mark.parametrize("stream", [False, True], ids=["in-memory", "streamed"])
def test_probability_matrix_of_many_labels_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    # rows x labels probabilities, where most labels have no column: refused before allocating
    import reportgen.read.proba_columns as proba_columns

    monkeypatch.setattr(proba_columns, "MAX_PROBA_CELLS", 1_000)
    frame = _frame(200, 40)
    frame["y_pred"] = np.where(np.arange(200) % 2 == 0, "c000", "c001")
    frame["proba_c000"] = np.where(frame["y_pred"] == "c000", 0.8, 0.2)
    frame["proba_c001"] = 1.0 - frame["proba_c000"]
    frame.to_csv("preds.csv", index=False)
    result = _build("preds.csv", *(["--stream"] if stream else []))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = " ".join(result.stderr.split())
    labels = frame["y_true"].nunique() + 0  # every prediction is also a true label here
    assert "preds.csv" in message and f"200 rows and {labels} labels" in message
    assert "probability columns for 2 labels" in message and "--proba-prefix" in message
    assert not Path("report.html").exists()


@pytest.mark.slow
@pytest.mark.usefixtures("few")
def test_gate_on_a_class_the_record_does_not_keep_says_why(tmp_path: Path) -> None:
    frame = _frame(800, 40, seed=1)
    frame.to_csv("preds.csv", index=False)
    first = _build("preds.csv", "--json", "record.json")
    assert first.exit_code == 0, first.output
    c = json.loads(Path("record.json").read_text(encoding="utf-8"))["classification"]
    absent = next(lab for lab in _labels(40) if lab not in c["labels"])
    Path("report.html").unlink()
    result = _build("preds.csv", "--fail-under", f"recall[{absent}]=0.5")
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert f"recall[{absent}]=0.5" in message and "does not keep" in message
    assert "with 40 classes a record keeps the 6 involved in the most errors" in message
    assert "Did you mean" not in message
    assert not Path("report.html").exists()


@pytest.mark.usefixtures("few")
def test_email_with_many_labels_says_what_the_report_keeps(tmp_path: Path) -> None:
    import email

    _frame(800, 40, seed=1).to_csv("preds.csv", index=False)
    result = _build("preds.csv", "--email", "review.eml")
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(Path("review.eml").read_bytes())
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    payload = html.get_payload(decode=True)
    assert isinstance(payload, bytes)
    text = " ".join(re.sub(r"<[^>]+>", " ", payload.decode("utf-8")).split())
    assert "unweighted mean over 40 classes" in text
    assert "The confusion matrix has 40 classes" in text
    assert "the attached report shows those involved in the most errors" in text
