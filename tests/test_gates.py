"""CI gates: metrics equal scikit-learn's, thresholds parse strictly, boundaries pass."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    max_error,
    mean_absolute_error,
    median_absolute_error,
    precision_recall_fscore_support,
    r2_score,
    root_mean_squared_error,
)

import reportgen
from reportgen.analysis.classification import analyze_classification
from reportgen.deliver.archive import fingerprint
from reportgen.errors import ReportgenError
from reportgen.gate_checks import evaluate_gates, load_baseline, metric_value, reason_lines
from reportgen.gates import METRICS, GateSpec, gate_spec, parse_gate
from reportgen.read.readers import sha256_of
from reportgen.read.table import encode_labels
from reportgen.record.blocks import classification_block
from tests.conftest import ROOT

TOL = 1e-12
CANCER = ROOT / "examples" / "cancer" / "predictions.csv"
DIABETES = ROOT / "examples" / "diabetes" / "predictions.csv"


@pytest.fixture(scope="module")
def cancer() -> dict[str, Any]:
    # every row (dev and test): these tests are about the gates, not the evaluated split
    return reportgen.build_report(CANCER, pos_label="malignant", eval_split="all").record


@pytest.fixture(scope="module")
def diabetes() -> dict[str, Any]:
    return reportgen.build_report(DIABETES).record


@pytest.fixture(scope="module")
def three_class() -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = np.random.default_rng(7)
    n, labels = 400, ["ant", "bee", "cat"]
    proba = rng.dirichlet([2.0, 2.0, 2.0], size=n)
    proba /= proba.sum(axis=1, keepdims=True)
    y_true = rng.choice(labels, size=n)
    y_pred = np.array(labels)[proba.argmax(axis=1)]
    frame = pd.DataFrame({"y_true": y_true, "y_pred": y_pred})
    for k, label in enumerate(labels):
        frame[f"proba_{label}"] = proba[:, k]
    return frame, reportgen.build_report(frame).record


def value(record: dict[str, Any], text: str, kind: str = "fail-under") -> float:
    return metric_value(record, parse_gate(kind, text))


def direction(metric: str) -> str:
    return "fail-under" if METRICS[metric].higher_is_better else "fail-over"


def check_classification(record: dict[str, Any], y_true: list[str], y_pred: list[str]) -> None:
    labels = record["classification"]["labels"]
    assert value(record, "accuracy=0") == pytest.approx(accuracy_score(y_true, y_pred), abs=TOL)
    assert value(record, "error_rate=1", "fail-over") == pytest.approx(
        1 - accuracy_score(y_true, y_pred), abs=TOL
    )
    errors = sum(t != p for t, p in zip(y_true, y_pred, strict=True))
    assert value(record, "errors=0", "fail-over") == errors
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        assert value(record, f"{average}_precision=0") == pytest.approx(p, abs=TOL)
        assert value(record, f"{average}_recall=0") == pytest.approx(r, abs=TOL)
        assert value(record, f"{average}-F1=0") == pytest.approx(f, abs=TOL)
    p, r, f, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    for k, label in enumerate(labels):
        assert value(record, f"precision[{label}]=0") == pytest.approx(p[k], abs=TOL)
        assert value(record, f"recall[{label}]=0") == pytest.approx(r[k], abs=TOL)
        assert value(record, f"f1[{label}]=0") == pytest.approx(f[k], abs=TOL)


def test_cancer_metrics_equal_sklearn(cancer: dict[str, Any]) -> None:
    frame = pd.read_csv(CANCER)
    y_true, y_pred = list(frame["y_true"]), list(frame["y_pred"])
    check_classification(cancer, y_true, y_pred)
    p = frame["proba_malignant"].to_numpy()
    event = (frame["y_true"] == "malignant").to_numpy()
    assert value(cancer, "brier=1", "fail-over") == pytest.approx(
        brier_score_loss(event, p), abs=TOL
    )
    assert value(cancer, "log_loss=1", "fail-over") == pytest.approx(log_loss(event, p), abs=TOL)
    # expected calibration error over the bins scikit-learn's calibration_curve uses
    bins = np.searchsorted(np.linspace(0, 1, 11)[1:-1], p)
    ece = sum(
        abs(event[bins == b].mean() - p[bins == b].mean()) * (bins == b).sum()
        for b in np.unique(bins)
    ) / len(p)
    assert value(cancer, "ece=1", "fail-over") == pytest.approx(ece, abs=TOL)


def test_multiclass_metrics_equal_sklearn(three_class: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    frame, record = three_class
    check_classification(record, list(frame["y_true"]), list(frame["y_pred"]))
    proba = frame[["proba_ant", "proba_bee", "proba_cat"]].to_numpy()
    onehot = (frame["y_true"].to_numpy()[:, None] == np.array(["ant", "bee", "cat"])).astype(float)
    assert value(record, "log_loss=1", "fail-over") == pytest.approx(
        log_loss(frame["y_true"], proba, labels=["ant", "bee", "cat"]), abs=TOL
    )
    # the record's Brier score is the unhalved multiclass sum, as its definition says
    assert value(record, "brier=2", "fail-over") == pytest.approx(
        float(((proba - onehot) ** 2).sum(axis=1).mean()), abs=TOL
    )


def test_regression_metrics_equal_sklearn(diabetes: dict[str, Any]) -> None:
    frame = pd.read_csv(DIABETES)
    y, p = frame["y_true"].to_numpy(float), frame["y_pred"].to_numpy(float)
    expected = {
        "mae": mean_absolute_error(y, p),
        "rmse": root_mean_squared_error(y, p),
        "r2": r2_score(y, p),
        "median_ae": median_absolute_error(y, p),
        "max_error": max_error(y, p),
    }
    for metric, want in expected.items():
        assert value(diabetes, f"{metric}=0", direction(metric)) == pytest.approx(want, abs=1e-9)


def minimal_record(y_true: list[str], y_pred: list[str]) -> dict[str, Any]:
    true_codes, pred_codes, labels, kind = encode_labels(pd.Series(y_true), pd.Series(y_pred))
    block = classification_block(analyze_classification(true_codes, pred_codes, labels), kind)
    return {"schema": "reportgen/1", "task": "classification", "classification": block}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcde")), min_size=1, max_size=60)
)
def test_metrics_equal_sklearn_on_any_labels(pairs: list[tuple[str, str]]) -> None:
    y_true, y_pred = [t for t, _ in pairs], [p for _, p in pairs]
    check_classification(minimal_record(y_true, y_pred), y_true, y_pred)


def test_f1_score_parity_spot_check(cancer: dict[str, Any]) -> None:
    frame = pd.read_csv(CANCER)
    want = f1_score(frame["y_true"], frame["y_pred"], average="macro")
    assert value(cancer, "MACRO_F1=0") == pytest.approx(want, abs=TOL)


# parsing


def test_parse_forms() -> None:
    spec = parse_gate("fail-under", "recall[tube_defect]=0.8")
    assert spec == GateSpec(
        "fail-under", "recall", "tube_defect", 0.8, "recall[tube_defect]=0.8", "--fail-under"
    )
    assert spec.gate == "recall[tube_defect] >= 0.8"
    assert parse_gate("fail-under", "accuracy=90%").threshold == pytest.approx(0.9)
    assert parse_gate("fail-over", "mae=40").gate == "mae <= 40"
    assert parse_gate("max-drop", "macro-f1=0.01").gate == "macro_f1 drop <= 0.01"
    # the last '=' splits; the label lies between the first '[' and the last ']'
    odd = parse_gate("fail-under", "f1[a=b]c]=0.5")
    assert (odd.label, odd.threshold) == ("a=b]c", 0.5)
    assert parse_gate("--fail_under", "accuracy=1").kind == "fail-under"


def test_config_pairs() -> None:
    assert gate_spec("fail-under", "recall[tube_defect]", 0.8).threshold == 0.8
    assert gate_spec("fail-under", "accuracy", "95%").threshold == pytest.approx(0.95)
    assert gate_spec("fail-over", "errors", 10).threshold == 10
    with pytest.raises(ReportgenError, match=r"^reportgen.toml \[gates\]: accuracy=True has no"):
        gate_spec("fail-under", "accuracy", True, where="reportgen.toml [gates]")


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (
            "fail-under",
            "mae=5",
            "--fail-under: mae=5 sets a floor on mae, but lower mae is better; "
            "use --fail-over mae=5 to fail when it is higher.",
        ),
        (
            "fail-over",
            "accuracy=0.9",
            "--fail-over: accuracy=0.9 sets a ceiling on accuracy, but higher accuracy is "
            "better; use --fail-under accuracy=0.9 to fail when it is lower.",
        ),
        (
            "fail-under",
            "accuracy=90",
            "--fail-under: accuracy=90 is not a fraction: did you mean 0.9 or 90%?",
        ),
        (
            "fail-under",
            "accuracy=150%",
            "--fail-under: accuracy=150% is not a fraction between 0 and 1 (or 0% and 100%).",
        ),
        ("fail-under", "accuracy=-0.1", "accuracy=-0.1 is not a fraction between 0 and 1"),
        ("fail-under", "acuracy=0.9", "names no metric 'acuracy'. Did you mean accuracy?"),
        ("fail-under", "accuracy", "--fail-under: accuracy is not metric=value"),
        ("fail-under", "=0.9", "--fail-under: =0.9 is not metric=value"),
        ("fail-under", "accuracy=high", "--fail-under: accuracy=high has no number after '='"),
        ("fail-under", "accuracy=", "--fail-under: accuracy= has no number after '='"),
        ("fail-under", "accuracy=nan", "--fail-under: accuracy=nan is not a finite number."),
        ("fail-over", "mae=inf", "--fail-over: mae=inf is not a finite number."),
        ("fail-over", "mae=5%", "mae=5% is a percentage, but mae is not a fraction"),
        ("fail-over", "mae=-1", "--fail-over: mae=-1 is negative; a ceiling on mae is at least 0."),
        ("max-drop", "r2=-0.1", "--max-drop: r2=-0.1 is negative; an allowed drop is at least 0."),
        ("fail-under", "r2=1.5", "--fail-under: r2=1.5 is above 1, the largest r2 there is."),
        ("fail-under", "recall=0.9", "recall=0.9 needs a class, such as recall[LABEL]=...; "),
        ("fail-under", "accuracy[cat]=0.9", "accuracy has no per-class form"),
        ("fail-under", "recall[cat]x=0.9", "recall[cat]x=0.9 has a malformed class"),
        ("fail-under", "recall]cat[=0.9", "recall]cat[=0.9 has a malformed class"),
        ("fail-sideways", "accuracy=0.9", "gate kind 'fail-sideways' is not one of"),
    ],
)
def test_parse_errors(kind: str, text: str, message: str) -> None:
    with pytest.raises(ReportgenError) as info:
        parse_gate(kind, text)
    assert message in info.value.message


# evaluation against a record


def test_unknown_label_lists_the_labels() -> None:
    labels = [f"class_{i:02d}" for i in range(25)]
    record = minimal_record(labels, labels)
    with pytest.raises(ReportgenError) as info:
        evaluate_gates(record, [parse_gate("fail-under", "recall[Class_03]=0.5")])
    text = info.value.message
    assert text.startswith("--fail-under: recall[Class_03]=0.5 names no class 'Class_03'")
    assert "Did you mean 'class_03'?" in text
    assert "'class_19' (first 20 of 25)." in text
    assert "class_20" not in text


def test_metric_of_another_task(cancer: dict[str, Any], diabetes: dict[str, Any]) -> None:
    with pytest.raises(
        ReportgenError,
        match=r"mae=5 does not apply to this report, a "
        r"classification record; its metrics are: accuracy, .*, ece\.",
    ):
        evaluate_gates(cancer, [parse_gate("fail-over", "mae=5")])
    with pytest.raises(
        ReportgenError, match="its metrics are: mae, rmse, r2, median_ae, max_error"
    ):
        evaluate_gates(diabetes, [parse_gate("fail-under", "accuracy=0.5")])


def test_probability_metrics_need_probabilities() -> None:
    record = minimal_record(["a", "b"], ["a", "a"])
    with pytest.raises(
        ReportgenError,
        match=r"brier=0.2 needs probability columns; this report "
        r"has none \(no calibration section\)\.",
    ):
        evaluate_gates(record, [parse_gate("fail-over", "brier=0.2")])
    record["calibration"] = {"ece": 0.1, "brier": None, "not_computed": "One class has none."}
    assert evaluate_gates(record, [parse_gate("fail-over", "ece=0.1")])["passed"]
    with pytest.raises(ReportgenError, match=r"has no brier\. One class has none\."):
        evaluate_gates(record, [parse_gate("fail-over", "brier=0.2")])


def test_boundaries() -> None:
    record = minimal_record(list("aaaaaaaaab"), list("aaaaaaaaaa"))  # accuracy 0.9
    items = evaluate_gates(
        record,
        [
            parse_gate("fail-under", "accuracy=0.9"),
            parse_gate("fail-under", "accuracy=0.9000000000000001"),
            parse_gate("fail-under", "accuracy=0.9000001"),
            parse_gate("fail-over", "error_rate=0.1"),
            parse_gate("fail-over", "error_rate=0.0999999"),
            parse_gate("fail-over", "errors=1"),
            parse_gate("fail-over", "errors=0"),
        ],
    )["items"]
    assert [item["passed"] for item in items] == [True, True, False, True, False, True, False]
    # numbers that differ are shown with the digits that tell them apart
    assert items[2]["reason"] == "accuracy is 90.00000%, under the 90.00001% floor"


def test_max_drop_boundaries(cancer: dict[str, Any]) -> None:
    base = copy.deepcopy(cancer)
    acc = cancer["classification"]["accuracy"]
    base["classification"]["accuracy"] = acc + 0.01
    base["classification"]["errors"] = cancer["classification"]["errors"] - 5
    specs = [
        parse_gate("max-drop", "accuracy=0.01"),
        parse_gate("max-drop", "accuracy=0.0099"),
        parse_gate("max-drop", "errors=5"),
        parse_gate("max-drop", "errors=4"),
        parse_gate("max-drop", "macro_f1=0"),
    ]
    gates = evaluate_gates(cancer, specs, baseline=base, baseline_source="base.json")
    assert [item["passed"] for item in gates["items"]] == [True, False, True, False, True]
    assert gates["items"][0]["baseline"] == pytest.approx(acc + 0.01)
    assert gates["items"][1]["reason"] == (
        "accuracy dropped by 1.00 pt from the baseline's 76.7% to 75.7%; at most 0.99 pt allowed"
    )
    assert gates["items"][3]["reason"] == (
        "errors rose by 5 from the baseline's 133 to 138; at most 4 allowed"
    )
    assert gates["items"][4]["reason"] == (
        "macro_f1 is unchanged from the baseline's 0.732; a worsening of up to 0.000 is allowed"
    )
    assert not gates["passed"]


def test_max_drop_follows_the_direction(diabetes: dict[str, Any]) -> None:
    better = copy.deepcopy(diabetes)
    better["regression"]["mae"] -= 2.0
    better["regression"]["r2"] += 0.05
    gates = evaluate_gates(
        diabetes,
        [parse_gate("max-drop", "mae=1.5"), parse_gate("max-drop", "r2=0.1")],
        baseline=better,
    )
    mae, r2 = gates["items"]
    assert not mae["passed"]
    assert mae["reason"] == "mae rose by 2 from the baseline's 42.49 to 44.49; at most 1.5 allowed"
    assert r2["passed"]
    assert r2["reason"].startswith("r2 dropped by 0.050 from the baseline's 0.546 to 0.496")
    # an improvement passes and says so
    gates = evaluate_gates(better, [parse_gate("max-drop", "mae=0")], baseline=diabetes)
    assert gates["items"][0]["reason"] == (
        "mae dropped by 2 from the baseline's 44.49 to 42.49; a worsening of up to 0 is allowed"
    )


def test_reasons_for_each_kind(cancer: dict[str, Any], diabetes: dict[str, Any]) -> None:
    gates = evaluate_gates(
        cancer,
        [
            parse_gate("fail-under", "accuracy=0.9"),
            parse_gate("fail-under", "recall[malignant]=0.6"),
            parse_gate("fail-over", "ece=0.03"),
        ],
    )
    assert reason_lines(gates) == [
        "gate failed: accuracy is 75.7%, under the 90.0% floor",
        "gate passed: recall[malignant] is 60.4%, at or above the 60.0% floor",
        "gate failed: ece is 0.035, over the 0.030 ceiling",
    ]
    gates = evaluate_gates(diabetes, [parse_gate("fail-over", "rmse=60")])
    assert gates["items"][0]["reason"] == "rmse is 54.64, at or below the 60 ceiling"
    assert gates["passed"] and gates["baseline"] is None


def test_item_shape(cancer: dict[str, Any]) -> None:
    gates = evaluate_gates(cancer, [parse_gate("fail-under", "recall[malignant]=80%")])
    assert gates == {
        "passed": False,
        "baseline": None,
        "items": [
            {
                "gate": "recall[malignant] >= 0.8",
                "kind": "fail-under",
                "metric": "recall",
                "label": "malignant",
                "threshold": 0.8,
                "value": pytest.approx(128 / 212),
                "baseline": None,
                "passed": False,
                "reason": "recall[malignant] is 60.4%, under the 80.0% floor",
            }
        ],
    }
    assert evaluate_gates(cancer, []) == {"passed": True, "baseline": None, "items": []}


def test_max_drop_needs_a_baseline(cancer: dict[str, Any]) -> None:
    with pytest.raises(ReportgenError, match=r"^--max-drop needs --baseline FILE: accuracy=0.01"):
        evaluate_gates(cancer, [parse_gate("max-drop", "accuracy=0.01")])


def test_baseline_of_another_task(cancer: dict[str, Any], diabetes: dict[str, Any]) -> None:
    with pytest.raises(ReportgenError) as info:
        evaluate_gates(
            cancer,
            [parse_gate("fail-under", "accuracy=0.5")],
            baseline=diabetes,
            baseline_source="old/diabetes.json",
        )
    assert info.value.message == (
        "--baseline old/diabetes.json: a regression record, but this report is classification; "
        "a baseline must be of the same task."
    )


def test_baseline_lacking_label_or_metric(cancer: dict[str, Any]) -> None:
    base = minimal_record(["x", "y"], ["x", "x"])
    with pytest.raises(ReportgenError) as info:
        evaluate_gates(
            cancer,
            [parse_gate("max-drop", "recall[malignant]=0.1")],
            baseline=base,
            baseline_source="base.json",
        )
    assert info.value.message == (
        "--max-drop: recall[malignant]=0.1 names no class 'malignant' in the baseline "
        "(base.json). Its classes: 'x', 'y'."
    )
    with pytest.raises(
        ReportgenError,
        match=r"brier=0.01 needs probability columns; the "
        r"baseline \(base.json\) has none",
    ):
        evaluate_gates(
            cancer,
            [parse_gate("max-drop", "brier=0.01")],
            baseline=base,
            baseline_source="base.json",
        )


def test_baseline_from_report_and_record(tmp_path: Path, cancer: dict[str, Any]) -> None:
    report = reportgen.build_report(DIABETES)
    html, record_file = tmp_path / "base.html", tmp_path / "base.json"
    report.save(html, json_path=record_file)
    for path in (html, record_file):
        base = load_baseline(path)
        gates = evaluate_gates(
            report.record,
            [parse_gate("max-drop", "mae=0")],
            baseline=base,
            baseline_source=str(path),
        )
        assert gates["passed"]
        assert gates["baseline"]["path"] == path.name
        assert gates["baseline"]["fingerprint"] == fingerprint(base)
        assert gates["baseline"]["sha256"] == sha256_of(path)
        assert gates["baseline"]["created"] == base["provenance"]["created"]
    with pytest.raises(ReportgenError, match="no such file"):
        load_baseline(tmp_path / "missing.json")


def test_comparison_gates_the_candidate() -> None:
    a = minimal_record(list("aabb"), list("abbb"))["classification"]
    b = minimal_record(list("aabb"), list("aabb"))["classification"]
    record: dict[str, Any] = {
        "task": "comparison",
        "comparison": {"task": "classification", "names": ["old", "new"], "a": a, "b": b},
    }
    gates = evaluate_gates(
        record, [parse_gate("fail-under", "accuracy=1"), parse_gate("max-drop", "recall[a]=0")]
    )
    assert gates["passed"]
    assert gates["items"][1]["baseline"] == 0.5
    record["comparison"]["a"], record["comparison"]["b"] = b, a
    gates = evaluate_gates(record, [parse_gate("max-drop", "accuracy=0.1")])
    assert gates["items"][0]["reason"] == (
        "accuracy dropped by 25.0 pt from the baseline's 100.0% to 75.0%; at most 10.0 pt allowed"
    )


def test_precision_recall_and_f1_come_as_macro_weighted_and_per_class_in_message_order() -> None:
    names = list(METRICS)
    assert names[3:12] == [
        "macro_precision",
        "macro_recall",
        "macro_f1",
        "weighted_precision",
        "weighted_recall",
        "weighted_f1",
        "precision",
        "recall",
        "f1",
    ]
    for name in names[3:12]:
        m = METRICS[name]
        assert m.task == "classification" and m.higher_is_better and m.fraction
        assert m.per_class == (name in ("precision", "recall", "f1"))
        assert m.unit == ("decimal" if name.endswith("f1") else "percent")
