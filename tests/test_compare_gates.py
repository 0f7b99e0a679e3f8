"""Gates on a comparison: the candidate's metrics against floors and ceilings, and --max-drop
against the baseline side of the same comparison (no baseline file)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, recall_score

from reportgen.api import compare_reports
from reportgen.errors import ReportgenError
from reportgen.gates import parse_gate


def _pair(n: int = 200, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A baseline right on about 80% of rows and a candidate right on about 70%."""
    rng = np.random.default_rng(seed)
    labels = np.array(["cat", "dog", "fox"])
    y_true = labels[rng.integers(0, 3, n)]
    pred_a = np.where(rng.random(n) < 0.8, y_true, labels[rng.integers(0, 3, n)])
    pred_b = np.where(rng.random(n) < 0.7, y_true, labels[rng.integers(0, 3, n)])
    ids = [f"r{i}" for i in range(n)]
    a = pd.DataFrame({"id": ids, "y_true": y_true, "y_pred": pred_a})
    b = pd.DataFrame({"id": ids, "y_true": y_true, "y_pred": pred_b})
    return a, b


def _items(report: object) -> dict[str, dict[str, object]]:
    record = report.record  # type: ignore[attr-defined]
    return {item["gate"]: item for item in record["gates"]["items"]}


def test_floors_and_ceilings_check_the_candidate() -> None:
    a, b = _pair()
    acc_b = accuracy_score(b.y_true, b.y_pred)
    recall_fox = recall_score(b.y_true, b.y_pred, labels=["fox"], average=None)[0]
    report = compare_reports(
        a,
        b,
        fail_under={"accuracy": acc_b - 0.01, "recall[fox]": recall_fox + 0.01},
        fail_over={"error_rate": 1 - acc_b - 0.01},
    )
    gates = report.record["gates"]
    items = _items(report)
    assert items[f"accuracy >= {acc_b - 0.01:g}"]["value"] == pytest.approx(acc_b)
    assert items[f"accuracy >= {acc_b - 0.01:g}"]["passed"] is True
    assert items[f"recall[fox] >= {recall_fox + 0.01:g}"]["value"] == pytest.approx(recall_fox)
    assert items[f"recall[fox] >= {recall_fox + 0.01:g}"]["passed"] is False
    assert items[f"error_rate <= {1 - acc_b - 0.01:g}"]["passed"] is False
    assert gates["passed"] is False
    assert gates["baseline"] is None  # no baseline file: the comparison's own baseline side


def test_max_drop_compares_with_the_baseline_side() -> None:
    a, b = _pair()
    acc_a, acc_b = accuracy_score(a.y_true, a.y_pred), accuracy_score(b.y_true, b.y_pred)
    f1_a = f1_score(a.y_true, a.y_pred, average="macro")
    f1_b = f1_score(b.y_true, b.y_pred, average="macro")
    drop = acc_a - acc_b
    assert drop > 0.02  # the candidate is worse: the gates below test both sides of the drop
    report = compare_reports(
        a,
        b,
        name_a="old",
        name_b="new",
        max_drop={"accuracy": drop - 0.01, "macro_f1": (f1_a - f1_b) + 0.01},
    )
    items = list(report.record["gates"]["items"])
    acc, f1 = items
    assert acc["baseline"] == pytest.approx(acc_a) and acc["value"] == pytest.approx(acc_b)
    assert acc["passed"] is False
    assert "dropped by" in str(acc["reason"])
    assert f1["baseline"] == pytest.approx(f1_a) and f1["value"] == pytest.approx(f1_b)
    assert f1["passed"] is True
    html = report.to_html()
    assert 'id="gates"' in html and "Gates: 1 of 2 failed" in html
    assert "--max-drop compares new with old, the baseline side of this comparison" in html


def test_parsed_gates_and_regression_ceilings() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(50, 10, 150)
    a = pd.DataFrame({"id": range(150), "y_true": y, "y_pred": y + rng.normal(0, 2, 150)})
    b = pd.DataFrame({"id": range(150), "y_true": y, "y_pred": y + rng.normal(0, 3, 150)})
    mae_a = mean_absolute_error(a.y_true, a.y_pred)
    mae_b = mean_absolute_error(b.y_true, b.y_pred)
    report = compare_reports(
        a,
        b,
        fail_over={"mae": mae_b + 0.5},
        gates=[parse_gate("max-drop", "mae=0.01")],
    )
    items = report.record["gates"]["items"]
    by_kind = {item["kind"]: item for item in items}
    assert by_kind["fail-over"]["value"] == pytest.approx(mae_b)
    assert by_kind["fail-over"]["passed"] is True
    # lower is better: the MAE rose from the baseline's by more than 0.01, so the gate fails
    assert by_kind["max-drop"]["baseline"] == pytest.approx(mae_a)
    assert mae_b - mae_a > 0.01 and by_kind["max-drop"]["passed"] is False


def test_without_gates_the_record_and_page_have_none() -> None:
    a, b = _pair(80)
    report = compare_reports(a, b)
    assert "gates" not in report.record
    assert 'id="gates"' not in report.to_html()


def test_a_gate_the_comparison_cannot_answer_is_refused() -> None:
    a, b = _pair(80)
    with pytest.raises(ReportgenError, match="does not apply to this report, a classification"):
        compare_reports(a, b, fail_over={"mae": 1.0})
    with pytest.raises(ReportgenError, match="needs probability columns"):
        compare_reports(a, b, fail_over={"brier": 0.2})
