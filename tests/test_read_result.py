"""One reader interface: in memory, streamed and Spark return the same ReadResult for a file."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix, mean_absolute_error

import reportgen.read.stream.batches
from reportgen.errors import ReportgenError
from reportgen.read.exact import ClassificationExact, RegressionExact
from reportgen.read.load import LoadOptions
from reportgen.read.predictions import read_predictions
from reportgen.read.result import ReadOptions, ReadResult
from tests.conftest import ROOT
from tests.test_stream import differences

INSPECTION = ROOT / "examples" / "inspection" / "predictions.csv"
REVIEW = ROOT / "examples" / "inspection" / "review.csv"
DIABETES = ROOT / "examples" / "diabetes" / "predictions.csv"


def _plain(value: Any) -> Any:
    """A dataclass as nested plain data, arrays as lists, for `differences`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _both(
    data: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> tuple[ReadResult, ReadResult]:
    """Read one file in memory and streamed in small batches, with the same options."""
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 97)
    whole = read_predictions(data, ReadOptions(stream=False, **options))
    streamed = read_predictions(data, ReadOptions(stream=True, **options))
    return whole, streamed


def test_evaluated_rows_are_counted_the_same_in_memory_and_streamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole, streamed = _both(INSPECTION, monkeypatch, tags=str(REVIEW))
    # the default evaluation of a file with a split column: the dev split
    frame = pd.read_csv(INSPECTION)
    dev = frame[frame["split"] == "dev"]
    assert whole.evaluation == streamed.evaluation
    assert whole.evaluation.splits == ("dev",) and whole.evaluation.rows == len(dev)
    # in memory the table is every evaluated row; streamed, the exact counts are
    assert whole.exact is None and whole.table.n == len(dev)
    assert isinstance(streamed.exact, ClassificationExact)
    result = streamed.exact.result
    labels = list(result.labels)
    expected = confusion_matrix(dev["y_true"], dev["y_pred"], labels=labels)
    np.testing.assert_array_equal(np.asarray(result.confusion_matrix), expected)
    assert whole.table.labels == labels
    # the streamed table holds only rows of the evaluated split, and the ones it keeps
    shown = set(streamed.table.frame[streamed.table.columns.split])
    assert shown == {"dev"} and 0 < streamed.table.n <= len(dev)


def test_split_check_is_the_same_in_memory_and_streamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole, streamed = _both(INSPECTION, monkeypatch)
    assert whole.splits is not None and streamed.splits is not None
    assert differences(_plain(whole.splits), _plain(streamed.splits)) == []
    names = [s.name for s in whole.splits.splits]
    counts = pd.read_csv(INSPECTION)["split"].value_counts()
    assert sorted(names) == sorted(counts.index)
    assert {s.name: s.n for s in whole.splits.splits} == counts.to_dict()


def test_evolution_and_the_step_shown_are_the_same_in_memory_and_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    labels = np.array(["cat", "dog", "owl"])
    parts = []
    for step in (1, 2, 3):
        truth = labels[rng.integers(0, 3, 90)]
        wrong = rng.random(90) < 0.5 / step  # the model improves step by step
        guess = np.where(wrong, labels[rng.integers(0, 3, 90)], truth)
        parts.append(
            pd.DataFrame({"id": range(90), "step": step, "y_true": truth, "y_pred": guess})
        )
    frame = pd.concat(parts, ignore_index=True)
    path = tmp_path / "training.csv"
    frame.to_csv(path, index=False)
    load = LoadOptions(step="step")
    whole, streamed = _both(path, monkeypatch, load=load, steps=("1", "3"))
    assert whole.evolution is not None and streamed.evolution is not None
    assert differences(_plain(whole.evolution), _plain(streamed.evolution)) == []
    assert whole.evolution.shown_step == "3" and whole.evolution.chosen == ["1", "3"]
    last = frame[frame["step"] == 3]
    accuracy = [m.accuracy for m in whole.evolution.per_step]
    expected = [float((p["y_true"] == p["y_pred"]).mean()) for p in parts]
    assert accuracy == pytest.approx(expected, abs=1e-12)
    assert whole.table.n == len(last) and whole.evaluation.rows == len(last)
    assert streamed.evaluation == whole.evaluation
    # the step column was read only to choose the rows: neither table keeps it
    assert "step" not in whole.table.frame and "step" not in streamed.table.frame


def test_streamed_regression_sums_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    whole, streamed = _both(DIABETES, monkeypatch)
    frame = pd.read_csv(DIABETES)
    assert isinstance(streamed.exact, RegressionExact)
    assert streamed.exact.result.n == len(frame) == whole.table.n
    expected = mean_absolute_error(frame["y_true"], frame["y_pred"])
    assert streamed.exact.result.mae == pytest.approx(expected, rel=1e-12)
    assert whole.splits is None and streamed.splits is None
    assert whole.evaluation == streamed.evaluation


def test_what_came_from_a_sample_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    whole, streamed = _both(INSPECTION, monkeypatch, sample_rows=20)
    assert not whole.sampled and whole.from_sample == () and whole.stream is None
    assert whole.sample is whole.table
    assert streamed.sampled and streamed.stream is not None
    assert streamed.stream["rows_in_sample"] == 20 == streamed.sample.n
    assert streamed.stream["engine"] == "local" and streamed.stream["batch_rows"] == 97
    # the file has probability columns and slices: their sections come from the sample
    assert "threshold suggestions" in streamed.from_sample
    # every row fits in the sample: nothing is said to come from it
    _, full = _both(INSPECTION, monkeypatch)
    assert not full.sampled and full.from_sample == ()


def test_step_options_without_a_step_column_are_refused_once() -> None:
    with pytest.raises(ReportgenError, match="--steps needs a step column"):
        ReadOptions(steps=("1",))
    with pytest.raises(ReportgenError, match="--at-step needs a step column"):
        ReadOptions(at_step="3")
    assert ReadOptions(load=LoadOptions(step="step"), at_step="3").at_step == "3"


def test_read_predictions_refuses_what_its_reader_cannot_do() -> None:
    frame = pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "a"]})
    with pytest.raises(ReportgenError, match="a DataFrame is already in memory"):
        read_predictions(frame, ReadOptions(stream=True))
    with pytest.raises(ReportgenError, match="engine must be local or spark, not 'dask'"):
        read_predictions(frame, ReadOptions(engine="dask"))
    with pytest.raises(ReportgenError, match="--pos-label b: a positive class applies"):
        read_predictions(
            pd.DataFrame({"y_true": list("abc"), "y_pred": list("abc")}),
            ReadOptions(pos_label="b"),
        )
    read = read_predictions(frame, ReadOptions())
    assert read.table.n == 2 and read.exact is None and read.evaluation.rule == "no-split"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="needs pyspark")
def test_spark_reads_the_same_result(tmp_path: Path) -> None:
    path = tmp_path / "inspection.parquet"
    pd.read_csv(INSPECTION).to_parquet(path)
    whole = read_predictions(path, ReadOptions(stream=False))
    spark = read_predictions(path, ReadOptions(engine="spark"))
    assert spark.stream is not None and spark.stream["engine"] == "spark"
    assert spark.evaluation == whole.evaluation
    assert differences(_plain(whole.splits), _plain(spark.splits)) == []
    assert isinstance(spark.exact, ClassificationExact)
    frame = pd.read_csv(INSPECTION)
    dev = frame[frame["split"] == "dev"]
    labels = list(spark.exact.result.labels)
    expected = confusion_matrix(dev["y_true"], dev["y_pred"], labels=labels)
    np.testing.assert_array_equal(np.asarray(spark.exact.result.confusion_matrix), expected)
