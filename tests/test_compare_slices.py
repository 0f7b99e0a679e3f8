"""Per-slice comparison: error rate (or MAE) per slice value for both models, paired tests,
Holm's adjustment, and the findings that name only a slice that survives it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from reportgen.api import compare_reports
from reportgen.errors import ReportgenError


def _holm(p: list[float]) -> list[float]:
    """Holm's adjusted p-values, written out from the definition."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def _pair(n: int = 400, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two classifiers alike everywhere but on camera cam_3, where the candidate breaks rows."""
    rng = np.random.default_rng(seed)
    labels = np.array(["ok", "dent", "scratch"])
    y_true = labels[rng.integers(0, 3, n)]
    camera = np.array(["cam_1", "cam_2", "cam_3", "cam_4"])[rng.integers(0, 4, n)]
    camera[:5] = "cam_5"  # a slice too small to test
    right_a = rng.random(n) < 0.85
    right_b = right_a.copy()
    flip = rng.random(n) < 0.04  # a few rows flip either way everywhere
    right_b[flip] = ~right_b[flip]
    broken = (camera == "cam_3") & right_a & (rng.random(n) < 0.6)
    right_b[broken] = False
    # a wrong label that is surely not the true one
    wrong = np.array([labels[(list(labels).index(t) + 1) % 3] for t in y_true])
    ids = [f"r{i}" for i in range(n)]
    weight = rng.normal(50, 10, n).round(1)
    a = pd.DataFrame(
        {
            "id": ids,
            "y_true": y_true,
            "y_pred": np.where(right_a, y_true, wrong),
            "camera": camera,
            "weight": weight,
        }
    )
    b = a.assign(y_pred=np.where(right_b, y_true, wrong))
    return a, b


def _expected(a: pd.DataFrame, b: pd.DataFrame, column: str) -> dict[str, dict[str, float]]:
    """Per value of a categorical column: rows, both error rates, fixed, broken, exact p."""
    out = {}
    wrong_a, wrong_b = a.y_true != a.y_pred, b.y_true != b.y_pred
    for value, rows in a.groupby(column).groups.items():
        fixed = int((wrong_a[rows] & ~wrong_b[rows]).sum())
        broken = int((~wrong_a[rows] & wrong_b[rows]).sum())
        n = len(rows)
        p = binomtest(min(fixed, broken), fixed + broken, 0.5).pvalue if fixed + broken else 1.0
        out[f"{column} = {value}"] = {
            "n": n,
            "a": float(wrong_a[rows].mean()),
            "b": float(wrong_b[rows].mean()),
            "fixed": fixed,
            "broken": broken,
            "p": float(p) if n >= 10 else None,
        }
    return out


@pytest.fixture(scope="module")
def pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _pair()


@pytest.fixture(scope="module")
def sliced(pair: tuple[pd.DataFrame, pd.DataFrame]) -> dict[str, object]:
    a, b = pair
    report = compare_reports(a, b, name_a="old", name_b="new", slices=["camera", "weight"])
    return {"record": report.record, "html": report.to_html()}


def test_each_slice_matches_an_independent_count_and_test(
    pair: tuple[pd.DataFrame, pd.DataFrame], sliced: dict[str, object]
) -> None:
    a, b = pair
    block = sliced["record"]["comparison_slices"]  # type: ignore[index]
    expected = _expected(a, b, "camera")
    found = {item["name"]: item for item in block["items"] if item["column"] == "camera"}
    assert set(found) == set(expected)
    for name, want in expected.items():
        item = found[name]
        assert item["n"] == want["n"]
        assert item["a"] == pytest.approx(want["a"]) and item["b"] == pytest.approx(want["b"])
        assert item["change"] == pytest.approx(want["b"] - want["a"])
        assert (item["better"], item["worse"]) == (want["fixed"], want["broken"])
        if want["p"] is None:
            assert item["p_value"] is None and item["p_adjusted"] is None
        else:
            assert item["p_value"] == pytest.approx(want["p"], rel=1e-9)
    # Holm over every slice tested, of both columns
    tested = [item for item in block["items"] if item["p_value"] is not None]
    assert block["tested"] == len(tested)
    adjusted = _holm([item["p_value"] for item in tested])
    assert [item["p_adjusted"] for item in tested] == pytest.approx(adjusted)
    assert block["significant"] == sum(q < 0.05 for q in adjusted)


def test_slices_come_worst_change_first(sliced: dict[str, object]) -> None:
    items = sliced["record"]["comparison_slices"]["items"]  # type: ignore[index]
    changes = [item["change"] for item in items]
    assert changes == sorted(changes, reverse=True)
    assert items[0]["name"] == "camera = cam_3"
    assert {c["column"]: c["kind"] for c in sliced["record"]["comparison_slices"]["columns"]} == {  # type: ignore[index]
        "camera": "categorical",
        "weight": "quantile bins",
    }


def test_a_finding_names_only_a_slice_that_survives(sliced: dict[str, object]) -> None:
    record = sliced["record"]
    items = record["comparison_slices"]["items"]  # type: ignore[index]
    survivors = [item["name"] for item in items if item["significant"]]
    # of the cameras only cam_3 changed; weight bins share its broken rows and may survive too
    assert [s for s in survivors if s.startswith("camera")] == ["camera = cam_3"]
    findings = record["summary"]["findings"]  # type: ignore[index]
    named = [f for f in findings if f.startswith("In the slice ")]
    assert named[0].startswith("In the slice camera = cam_3 (") and " rises " in named[0]
    for item in items:
        if not item["significant"]:
            assert not any(item["name"] in f for f in findings)


def test_the_page_has_a_slices_section_with_its_table(sliced: dict[str, object]) -> None:
    html = str(sliced["html"])
    assert '<section id="slices"' in html
    assert "camera = cam_3" in html and "changed</span>" in html
    assert "slices" in sliced["record"]["sections"]  # type: ignore[index]


def test_no_survivor_is_said_in_one_sentence() -> None:
    a, b = _pair(300, seed=5)
    b = b.assign(y_pred=a.y_pred)  # identical predictions: no slice can change
    record = compare_reports(a, b, slices=["camera"]).record
    assert record["comparison_slices"]["significant"] == 0
    said = [f for f in record["summary"]["findings"] if "slice" in f]
    assert said == [
        "No slice's change in error rate stands out from chance once adjusted over the "
        "4 slices tested (McNemar exact test, Holm at 5%)."
    ]


def test_without_slices_nothing_is_added() -> None:
    a, b = _pair(120)
    record = compare_reports(a, b).record
    assert "comparison_slices" not in record and "slices" not in record["sections"]


def test_slice_all_takes_the_other_columns_of_either_file() -> None:
    a, b = _pair(120)
    b = b.drop(columns=["weight"]).assign(site="s1")
    block = compare_reports(a, b, slice_all=True).record["comparison_slices"]
    assert [c["column"] for c in block["columns"]] == ["camera", "weight", "site"]


def test_a_slice_column_missing_from_a_file_is_refused(tmp_path: Path) -> None:
    a, b = _pair(60)
    with pytest.raises(ReportgenError, match="no column 'weight' \\(named with --slice\\)"):
        compare_reports(a, b.drop(columns=["weight"]), slices=["weight"])


def test_regression_slices_compare_mean_absolute_errors() -> None:
    rng = np.random.default_rng(2)
    n = 300
    y = rng.normal(100, 20, n)
    site = np.array(["north", "south", "east"])[rng.integers(0, 3, n)]
    pred_a = y + rng.normal(0, 5, n)
    pred_b = pred_a + np.where(site == "south", rng.normal(0, 15, n), 0.0)
    a = pd.DataFrame({"id": range(n), "y_true": y, "y_pred": pred_a, "site": site})
    b = a.assign(y_pred=pred_b)
    report = compare_reports(a, b, slices=["site"])
    record = report.record
    block = record["comparison_slices"]
    assert block["measure"] == "mae"
    err_a, err_b = np.abs(y - pred_a), np.abs(y - pred_b)
    for item in block["items"]:
        rows = site == item["value"]
        assert item["a"] == pytest.approx(err_a[rows].mean())
        assert item["b"] == pytest.approx(err_b[rows].mean())
        closer = int((err_b[rows] < err_a[rows]).sum())
        further = int((err_b[rows] > err_a[rows]).sum())
        assert (item["better"], item["worse"]) == (closer, further)
        p = binomtest(min(closer, further), closer + further, 0.5).pvalue if closer + further else 1
        assert item["p_value"] == pytest.approx(p, rel=1e-9)
    assert block["items"][0]["value"] == "south" and block["items"][0]["significant"]
    assert any("In the slice site = south" in f for f in record["summary"]["findings"])
    html = report.to_html()
    assert '<section id="slices"' in html and '<th scope="col" class="num">Closer</th>' in html


def test_slices_too_small_to_test_are_shown_and_not_stated() -> None:
    a, b = _pair(30, seed=4)
    a = a.assign(camera=[f"cam_{i % 5}" for i in range(30)])  # 6 rows each: below 10
    record = compare_reports(a, b.assign(camera=a.camera), slices=["camera"]).record
    block = record["comparison_slices"]
    assert block["tested"] == 0 and len(block["items"]) == 5
    assert all(item["p_value"] is None for item in block["items"])
    assert (
        "No slice has the 10 rows a test needs, so no slice's change is stated; the slice table "
        "is exploratory." in record["summary"]["findings"]
    )
