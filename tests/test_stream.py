"""The streamed build (--stream) against the in-memory one and against scikit-learn.

Contract: counts equal the in-memory record exactly, sums to 1e-9; when the file has no more rows
than sample_rows the whole record equals the in-memory one; when sampled, only the sections named
in record["stream"]["from_sample"] may differ. BATCH_ROWS is monkeypatched small so that the
example files are read in many batches.
"""

from __future__ import annotations

import copy
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    max_error,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
)

import reportgen
import reportgen.read.stream.batches
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.read.load import LoadOptions
from reportgen.read.stream.batches import open_source, read_batches
from tests.example_reports import EXAMPLES

PARITY = [
    n
    for n in EXAMPLES
    if n not in ("digits-training", "inspection-compare") and EXAMPLES[n].get("kind") != "detection"
]
IGNORED = {("stream",), ("provenance", "fingerprint"), ("provenance", "page_sha256")}


def differences(a: Any, b: Any, path: tuple[str, ...] = ()) -> list[str]:
    """Where two records differ: exact for ints, text, bools and None; floats to 1e-9."""
    if path in IGNORED:
        return []
    where = "/".join(path) or "(record)"
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            sub = (*path, str(key))
            if sub in IGNORED:
                continue
            if key not in a or key not in b:
                out.append(f"{'/'.join(sub)}: only in {'first' if key in a else 'second'}")
            else:
                out.extend(differences(a[key], b[key], sub))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)} items"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, (*path, str(i)))]
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return []
        if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return []
        return [f"{where}: {a!r} != {b!r}"]
    if type(a) is not type(b) or a != b:
        return [f"{where}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})"]
    return []


def test_differences_catches_what_it_should() -> None:
    """The comparison itself fails on a changed count, a float past 1e-9, a type or a key."""
    record = {"n": 3, "x": 0.5, "rows": [{"a": "x"}], "stream": {"sampled": False}}
    assert differences(record, copy.deepcopy(record)) == []
    assert differences(record, {**record, "stream": {"sampled": True}}) == []
    assert differences(record, {**record, "n": 4}) == ["n: 3 (int) != 4 (int)"]
    assert differences(record, {**record, "x": 0.5 + 1e-6}) != []
    assert differences(record, {**record, "x": 0.5 + 1e-14}) == []
    assert differences(record, {**record, "n": 3.0}) != []
    assert differences(record, {**record, "rows": [{"a": "x"}, {}]}) != []
    assert differences(record, {k: v for k, v in record.items() if k != "x"}) != []


@cache
def _in_memory(name: str) -> dict[str, Any]:
    spec = EXAMPLES[name]
    record: dict[str, Any] = reportgen.build_report(spec["data"], **spec["options"]).record
    return record


def in_memory(name: str) -> dict[str, Any]:
    """An example's in-memory record (built once per session, handed out as a copy)."""
    return copy.deepcopy(_in_memory(name))


def streamed(name: str, **extra: Any) -> reportgen.Report:
    spec = EXAMPLES[name]
    return reportgen.build_report(spec["data"], stream=True, **spec["options"], **extra)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def message(result: Result) -> str:
    return " ".join(result.stderr.split())


# --- 1. parity on the examples -------------------------------------------------------------


@pytest.mark.parametrize("batch_rows", [37, 1000])
@pytest.mark.parametrize("name", PARITY)
def test_streamed_record_equals_in_memory(
    name: str, batch_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", batch_rows)
    record = streamed(name).record
    assert record["stream"]["batch_rows"] == batch_rows
    assert record["stream"]["sampled"] is False
    assert record["stream"]["from_sample"] == []
    assert "stream" not in _in_memory(name)
    assert differences(in_memory(name), record) == []


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"at_step": "5"},
        {"steps": ["2", "4"], "columns": ["step"]},
        {"eval_split": None},
    ],
)
def test_step_streamed_equals_in_memory(
    options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 97)
    data = EXAMPLES["digits-training"]["data"]
    want = reportgen.build_report(data, step="step", **options).record
    got = reportgen.build_report(data, step="step", stream=True, **options).record
    assert differences(want, got) == []
    assert got["evolution"]["steps"] == want["evolution"]["steps"]


def test_step_on_a_regression_file_is_refused_when_streamed(tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLES["diabetes"]["data"]).assign(step=1)
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "report.html"
    streamed_run = invoke("build", path, "--stream", "--step", "step", "-o", out)
    whole_run = invoke("build", path, "--step", "step", "-o", out)
    assert streamed_run.exit_code == whole_run.exit_code == 2
    assert message(streamed_run) == message(whole_run)
    assert "training evolution applies to classification files" in message(streamed_run)
    assert not out.exists()


# --- 2. Parquet ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["inspection", "diabetes"])
def test_streamed_parquet_equals_in_memory_parquet(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = EXAMPLES[name]
    path = tmp_path / "predictions.parquet"
    pd.read_csv(spec["data"]).to_parquet(path, row_group_size=100)
    whole = reportgen.build_report(path, **spec["options"]).record
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 37)
    record = reportgen.build_report(path, stream=True, **spec["options"]).record
    assert record["provenance"]["input"]["format"] == "parquet"
    assert record["stream"]["sampled"] is False
    assert differences(whole, record) == []


# --- 3. sampled mode -----------------------------------------------------------------------


EXACT_CLASSIFICATION = [
    ("classification", "labels"),
    ("classification", "confusion_matrix"),
    ("classification", "n"),
    ("classification", "errors"),
    ("classification", "accuracy"),
    ("classification", "accuracy_ci"),
    ("classification", "per_class"),
    ("classification", "macro_avg"),
    ("classification", "weighted_avg"),
    ("classification", "top_confusions"),
    ("classification", "confidence"),
    ("splits",),
    ("buckets",),
    ("samples", "misclassified"),
    ("samples", "confusion_strips"),
]


def _at(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        value = value[key]
    return value


@pytest.mark.parametrize("batch_rows", [37, 1000])
def test_sampled_classification_keeps_counts_exact(
    batch_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", batch_rows)
    whole = in_memory("inspection")
    report = streamed("inspection", sample_rows=100)
    record = report.record
    assert record["stream"]["sampled"] is True
    assert record["stream"]["rows_in_sample"] == 100
    assert "thresholds" in record["stream"]["from_sample"]
    assert "calibration" not in record["stream"]["from_sample"]
    # the dev split's rows, the ones the report describes by default
    assert record["calibration"]["n"] == 125  # from exact per-bin sums
    assert whole["classification"]["n"] == 125
    for path in EXACT_CLASSIFICATION:
        assert differences(_at(whole, path), _at(record, path), path) == [], path
    shown = record["samples"]["misclassified"]
    assert shown["total"] == 36 and len(shown["rows"]) == shown["shown"] == 36
    page = report.to_html()
    assert '<span class="badge badge-warn">sampled</span>' in page
    assert "come from a seeded sample of 100 rows" in page
    assert 'badge-warn">sampled' not in streamed("inspection").to_html()


def test_sampled_provenance_counts_every_row() -> None:
    report = streamed("inspection", sample_rows=100)
    assert report.record["provenance"]["input"]["rows"] == 125  # the dev split's
    assert report.record["provenance"]["evaluation"]["rows_total"] == 600
    assert "cover all 125 rows" in report.to_html()


# the intervals too: from the moments of r, |r| and r² over every row, not from the sample
REGRESSION_EXACT = ["n", "mae", "rmse", "r2", "max_error", "mean_residual", "intervals"]


def test_sampled_regression_keeps_error_sums_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 37)
    whole = in_memory("diabetes")
    record = streamed("diabetes", sample_rows=100).record
    assert record["stream"]["sampled"] is True
    assert record["stream"]["from_sample"] == [
        "median absolute error",
        "residual figures and quantiles",
        "slices",
    ]
    got = record["regression"]
    for key in REGRESSION_EXACT:
        assert differences(whole["regression"][key], got[key], (key,)) == [], key
    frame = pd.read_csv(EXAMPLES["diabetes"]["data"])
    yt, yp = frame["y_true"].to_numpy(float), frame["y_pred"].to_numpy(float)
    assert got["n"] == len(frame) == 442
    assert got["mae"] == pytest.approx(mean_absolute_error(yt, yp), rel=1e-9)
    assert got["rmse"] == pytest.approx(math.sqrt(mean_squared_error(yt, yp)), rel=1e-9)
    assert got["r2"] == pytest.approx(r2_score(yt, yp), rel=1e-9)
    assert got["max_error"] == pytest.approx(max_error(yt, yp), rel=1e-9)
    assert got["mean_residual"] == pytest.approx(float(np.mean(yt - yp)), rel=1e-9, abs=1e-12)
    for side in ("under_predicted", "over_predicted"):
        want, got_side = whole["samples"][side], record["samples"][side]
        assert differences(want["rows"], got_side["rows"], (side,)) == []
        assert got_side["total"] == want["total"]
    under = record["samples"]["under_predicted"]
    assert under["total"] == int((yt > yp).sum())
    assert under["rows"][0]["residual"] == pytest.approx(float((yt - yp).max()))


def test_streamed_regression_totals_are_ints() -> None:
    samples = streamed("diabetes", sample_rows=100).record["samples"]
    assert type(samples["under_predicted"]["total"]) is int
    assert type(samples["over_predicted"]["total"]) is int


# --- 4. metrics against scikit-learn on a generated multi-batch file ------------------------


def _labels_file(tmp_path: Path, y_true: np.ndarray, y_pred: np.ndarray) -> Path:
    path = tmp_path / "predictions.csv"
    pd.DataFrame(
        {"id": [f"r{i:05d}" for i in range(len(y_true))], "y_true": y_true, "y_pred": y_pred}
    ).to_csv(path, index=False)
    return path


def _generated(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """5,000 rows; two labels first appear only after row 3,000 (in late batches)."""
    rng = np.random.default_rng(7)
    n = 5000
    if kind == "text":
        early = np.array(["zebra", "mouse", "cat"], dtype=object)  # object: no width limit
        late = np.array(["aardvark", "dog"], dtype=object)
    else:
        early = np.array([12, 3, 7])
        late = np.array([100, 1])
    y_true = rng.choice(early, n)
    y_true[3000:] = rng.choice(np.concatenate([early, late]), n - 3000)
    y_pred = y_true.copy()
    flip = rng.random(n) < 0.3
    y_pred[flip] = rng.choice(early, int(flip.sum()))
    y_pred[4500:4600] = late[0]  # a label predicted late
    return y_true, y_pred


@pytest.mark.parametrize("kind", ["text", "integers"])
def test_generated_file_metrics_match_sklearn(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    y_true, y_pred = _generated(kind)
    path = _labels_file(tmp_path, y_true, y_pred)
    whole = reportgen.build_report(path).record
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 200)
    batches = list(read_batches(open_source(path, LoadOptions()), LoadOptions(), batch_rows=200))
    assert len(batches) >= 3
    assert len(batches[0].labels) == 3  # the late labels are discovered in later batches
    record = reportgen.build_report(path, stream=True).record
    assert differences(whole, record) == []
    result = record["classification"]
    labels = result["labels"]
    if kind == "text":
        assert labels == ["aardvark", "cat", "dog", "mouse", "zebra"]
        order: list[Any] = labels
    else:
        assert result["label_order"] == "numeric"
        assert [str(x) for x in labels] == ["1", "3", "7", "12", "100"]
        order = [int(x) for x in labels]
    assert result["n"] == 5000
    assert result["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=order).tolist()
    assert result["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred), rel=1e-12)
    macro = f1_score(y_true, y_pred, labels=order, average="macro", zero_division=0)
    assert result["macro_avg"]["f1"] == pytest.approx(macro, rel=1e-9)


# --- 5. a label column numeric in early batches, text later --------------------------------


def test_label_column_turning_to_text_in_a_late_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    y_true = rng.choice(np.array(["1", "2", "10"]), 3000).astype(object)
    y_true[2900:2950] = "cat"
    y_pred = y_true.copy()
    y_pred[rng.random(3000) < 0.2] = "2"
    path = _labels_file(tmp_path, y_true, y_pred)
    whole = reportgen.build_report(path).record
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 64)
    source = open_source(path, LoadOptions())
    batches = list(read_batches(source, LoadOptions(), batch_rows=64))
    assert len(batches) > 3
    assert batches[0].label_kind == "numeric"  # the first batch saw numbers only
    assert "cat" in batches[-1].labels
    record = reportgen.build_report(path, stream=True).record
    assert whole["classification"]["labels"] == ["1", "10", "2", "cat"]
    assert record["classification"]["labels"] == whole["classification"]["labels"]
    assert record["classification"]["label_order"] == whole["classification"]["label_order"]
    assert differences(whole, record) == []


# --- 6. bad input in a late batch ----------------------------------------------------------


def test_bad_cell_in_a_late_batch_names_the_file_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    y_true, y_pred = _generated("text")
    y_pred = y_pred.astype(object)
    y_pred[3999] = None  # data row 4,000 (counted from 1 after the header)
    path = _labels_file(tmp_path, y_true, y_pred)
    assert path.read_text().splitlines()[4000].endswith(",")  # line 4,001 with the header
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 1000)
    out_whole, out_stream = tmp_path / "whole.html", tmp_path / "stream.html"
    whole = invoke("build", path, "--no-stream", "-o", out_whole)
    result = invoke("build", path, "--stream", "-o", out_stream)
    assert whole.exit_code == 2, whole.output
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "4000" in message(result) or "4,000" in message(result)
    assert "3999" not in message(result) and "4001" not in message(result)
    assert message(result) == message(whole)
    assert not out_stream.exists() and not out_whole.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predictions.csv"]


# --- 7. what --stream cannot read ----------------------------------------------------------


def test_stream_refuses_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "predictions.jsonl"
    pd.read_csv(EXAMPLES["cancer"]["data"]).to_json(path, orient="records", lines=True)
    out = tmp_path / "report.html"
    result = invoke("build", path, "--stream", "-o", out)
    assert result.exit_code == 2, result.output
    assert message(result) == (
        f"reportgen: error: {path}: streaming reads Parquet, CSV and TSV files; JSON Lines is "
        "read whole (leave out --stream, or convert the file to Parquet)."
    )
    assert not out.exists()
    assert invoke("build", path, "-o", out).exit_code == 0  # the same file reads whole


def test_stream_refuses_a_dataframe() -> None:
    frame = pd.read_csv(EXAMPLES["cancer"]["data"])
    with pytest.raises(ReportgenError, match="a DataFrame is already in memory"):
        reportgen.build_report(frame, stream=True)
    dev = frame[frame["split"] == "dev"]  # the rows a report describes by default
    assert reportgen.build_report(frame).record["classification"]["n"] == len(dev)


@pytest.mark.parametrize("split", ["test", "dev", "train"])
def test_eval_split_streamed_equals_in_memory(split: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 53)
    spec = EXAMPLES["inspection"]
    options = {"tags": spec["options"]["tags"], "eval_split": split}
    want = reportgen.build_report(spec["data"], **options).record
    got = reportgen.build_report(spec["data"], stream=True, **options).record
    assert differences(want, got) == []
    # the split check still counts every row of every split
    assert sum(m["n"] for m in got["splits"]["metrics"].values()) == 600
    assert got["provenance"]["input"]["rows"] == want["provenance"]["input"]["rows"] < 600


def test_eval_split_without_such_rows_is_refused_when_streamed() -> None:
    data = EXAMPLES["inspection"]["data"]
    with pytest.raises(ReportgenError) as streamed_error:
        reportgen.build_report(data, stream=True, eval_split="holdout")
    with pytest.raises(ReportgenError) as memory_error:
        reportgen.build_report(data, eval_split="holdout")
    assert streamed_error.value.message == memory_error.value.message


@pytest.mark.parametrize(
    ("name", "drop", "options"),
    [
        ("cancer", None, {"pos_label": "malignant"}),
        ("cancer", None, {"pos_label": "benign"}),
        ("inspection", None, {}),
        ("digits", None, {}),
    ],
)
def test_calibration_is_exact_when_sampled(
    name: str,
    drop: str | None,
    options: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 41)
    frame = pd.read_csv(EXAMPLES[name]["data"], keep_default_na=False, na_values=[""])
    if drop is not None:
        frame = frame.drop(columns=[drop])
    path = tmp_path / "p.parquet"
    frame.to_parquet(path, index=False)
    want = reportgen.build_report(path, **options).record
    got = reportgen.build_report(path, stream=True, sample_rows=30, **options).record
    assert got["stream"]["sampled"] is True
    assert "calibration" not in got["stream"]["from_sample"]
    assert differences(want["calibration"], got["calibration"]) == []


def test_categorical_slices_are_exact_when_sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 41)
    data = EXAMPLES["inspection"]["data"]
    options: dict[str, Any] = {"slices": ["camera", "split"]}
    want = reportgen.build_report(data, **options).record
    got = reportgen.build_report(data, stream=True, sample_rows=30, **options).record
    assert "slices" not in got["stream"]["from_sample"]
    assert "error tree" in got["stream"]["from_sample"]
    for key in ("overall_error_rate", "columns", "items", "tested"):
        assert differences(want["slices"][key], got["slices"][key]) == [], key


def test_numeric_slices_come_from_the_sample_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 41)
    data = EXAMPLES["inspection"]["data"]
    got = reportgen.build_report(data, stream=True, sample_rows=30, slices=["brightness"]).record
    assert "slices" in got["stream"]["from_sample"]
    assert sum(g["n"] for g in got["slices"]["columns"][0]["groups"]) == 30


def test_findings_from_the_sample_say_so() -> None:
    options: dict[str, Any] = {
        "pos_label": "malignant",
        "slices": ["radius", "texture"],
        "eval_split": "all",
    }
    data = EXAMPLES["cancer"]["data"]
    got = reportgen.build_report(data, stream=True, sample_rows=300, **options).record
    (finding,) = [f for f in got["summary"]["findings"] if f.startswith("Errors concentrate")]
    assert "in a seeded sample of 300 of the 569 rows" in finding
    whole = reportgen.build_report(data, **options).record
    assert not any("seeded sample" in f for f in whole["summary"]["findings"])


def test_files_over_the_threshold_stream_unless_json_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    import reportgen.read.stream

    monkeypatch.setattr(reportgen.read.stream, "STREAM_ABOVE", 0)
    csv_path = tmp_path / "p.csv.gz"
    csv_path.write_bytes(gzip.compress(Path(EXAMPLES["cancer"]["data"]).read_bytes()))
    auto = reportgen.build_report(csv_path).record
    assert "stream" in auto  # over the (patched) threshold: read in batches, gzip and all
    assert "stream" not in reportgen.build_report(csv_path, stream=False).record
    frame = pd.read_csv(EXAMPLES["cancer"]["data"])
    jsonl = tmp_path / "p.jsonl"
    frame.to_json(jsonl, orient="records", lines=True)
    assert "stream" not in reportgen.build_report(jsonl).record
    assert "stream" not in reportgen.build_report(jsonl, format="jsonl").record
    assert (
        differences(reportgen.build_report(jsonl).record["classification"], auto["classification"])
        == []
    )


@pytest.mark.parametrize("pos_label", ["malignant", "benign"])
def test_binary_thresholds_are_exact_when_sampled(
    pos_label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 41)
    data = EXAMPLES["cancer"]["data"]
    want = reportgen.build_report(data, pos_label=pos_label).record
    got = reportgen.build_report(data, stream=True, sample_rows=30, pos_label=pos_label).record
    assert got["stream"]["from_sample"] == ["threshold suggestions"]
    assert differences(want["thresholds"], got["thresholds"]) == []
    # confident errors are counted over every row: the file's figure, not the sample's
    review = [s for s in got["suggestions"] if s["kind"] == "review-labels"]
    assert review == [s for s in want["suggestions"] if s["kind"] == "review-labels"]
    assert review and review[0]["from_sample"] is False


def test_only_sections_the_report_has_are_named_as_sampled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 41)
    frame = pd.read_csv(EXAMPLES["cancer"]["data"])[["id", "y_true", "y_pred"]]
    got = reportgen.build_report(frame.pipe(_saved), stream=True, sample_rows=30)
    assert got.record["stream"]["sampled"] is True
    assert got.record["stream"]["from_sample"] == []
    assert 'badge-warn">sampled' not in got.to_html()


def _saved(frame: pd.DataFrame) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "labels.csv"
    frame.to_csv(path, index=False)
    return path
