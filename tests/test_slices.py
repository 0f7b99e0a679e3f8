"""Classification slices: error rates by metadata, significance, the error tree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import fisher_exact

from reportgen.analysis.error_tree import _halves, fit_error_tree
from reportgen.analysis.slices import MIN_RANKED_SUPPORT, error_slices
from reportgen.cli import main
from reportgen.figures.slices import plot_worst_slices
from tests.conftest import embedded_record


def planted(n: int = 3000, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Errors at 6% everywhere except camera 3 in the dark, where they are 50%."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "source": rng.choice(["cam_1", "cam_2", "cam_3"], size=n, p=[0.45, 0.45, 0.1]),
            "brightness": rng.uniform(0, 1, n).round(3),
            "tiny": ["rare" if i < 5 else "common" for i in range(n)],
        }
    )
    rate = np.where((frame.source == "cam_3") & (frame.brightness < 0.3), 0.5, 0.06)
    return frame, rng.random(n) < rate


def test_error_rates_per_group_match_a_groupby() -> None:
    frame, wrong = planted()
    result = error_slices(frame, ["source"], wrong)
    expected = pd.Series(wrong).groupby(frame.source).agg(["size", "sum", "mean"])
    (source,) = result.columns
    assert source.kind == "categorical"
    for g in source.groups:
        assert g.n == expected.loc[g.value, "size"]
        assert g.errors == expected.loc[g.value, "sum"]
        assert g.error_rate == pytest.approx(expected.loc[g.value, "mean"])
        assert (
            g.error_rate_ci is not None and g.error_rate_ci[0] <= g.error_rate <= g.error_rate_ci[1]
        )
    assert result.overall_error_rate == pytest.approx(wrong.mean())


def test_significance_is_fishers_exact_test_with_holm_on_the_slices_share() -> None:
    frame, wrong = planted()
    result = error_slices(frame, ["source", "brightness", "tiny"], wrong, reserved=8)
    assert result.pairs_tried and result.reserved == 8
    top = result.worst[0]
    assert "source = cam_3" in top.name and top.p_adjusted is not None and top.p_adjusted < 1e-6
    k, n, errors = top.errors, top.n, int(wrong.sum())
    table = [[k, n - k], [errors - k, len(wrong) - errors - (n - k)]]
    p = fisher_exact(table, alternative="greater").pvalue
    assert top.p_value == pytest.approx(p, rel=1e-9)
    # Holm over the slices tested, divided by their share of the budget (tested / (tested + 8))
    share = result.tested / (result.tested + 8)
    assert top.p_adjusted == pytest.approx(min(1.0, result.tested * p / share), rel=1e-9)
    singles = [g for c in result.columns for g in c.groups if g.p_value is not None]
    assert result.tested > len(singles)  # the pairs are tested too
    assert all(g.p_adjusted is not None and g.p_adjusted >= g.p_value for g in singles)
    # groups too small to test are shown per column but never ranked
    tiny = next(c for c in result.columns if c.column == "tiny")
    rare = next(g for g in tiny.groups if g.value == "rare")
    assert rare.n < MIN_RANKED_SUPPORT and rare.p_value is None
    assert all("tiny = rare" not in g.name for g in result.worst)
    assert all(g.error_rate > result.overall_error_rate for g in result.worst)
    assert result.above_overall >= len(result.worst)
    assert 0 < result.significant <= result.above_overall


def _holds(condition: str, frame: pd.DataFrame) -> np.ndarray:
    """Evaluate one printed condition ('0.3 < x ≤ 0.6', 'x ≤ 2', 'c = a', '1 ≤ x < 2') on rows."""
    text = condition.replace("−", "-")
    for op in (" ≠ ", " = "):
        if op in text:
            column, value = text.split(op)
            same = frame[column].astype(str).to_numpy() == value
            return ~same if op == " ≠ " else same
    parts = text.split(" ")
    if len(parts) == 3:
        column, op, value = parts
        x = frame[column].to_numpy(dtype=float)
        return {"≤": x <= float(value), ">": x > float(value), "<": x < float(value)}[op]
    low, op1, column, op2, high = parts
    x = frame[column].to_numpy(dtype=float)
    above = x > float(low) if op1 == "<" else x >= float(low)
    below = x <= float(high) if op2 == "≤" else x < float(high)
    return np.asarray(above & below)


def test_slice_and_pair_names_say_which_side_an_edge_falls_on() -> None:
    frame = pd.DataFrame({"x": np.repeat(np.arange(20.0), 10), "c": np.tile(["a", "b"], 100)})
    wrong = (np.arange(200) % 7 == 0) | (frame["x"].to_numpy() > 15)
    result = error_slices(frame, ["x", "c"], wrong)
    x = result.columns[0]
    assert [g.value for g in x.groups] == [
        "0 ≤ x < 3.8",
        "3.8 ≤ x < 7.6",
        "7.6 ≤ x < 11.4",
        "11.4 ≤ x < 15.2",
        "15.2 ≤ x ≤ 19",
    ]
    for g in x.groups:  # the names count exactly the rows they hold
        assert g.n == int(_holds(g.name, frame).sum())
    c = result.columns[1]
    assert [g.name for g in c.groups] == ["c = a", "c = b"]
    pairs = [g for g in result.worst if " and " in g.name]
    assert pairs
    for g in pairs:
        first, second = g.name.split(" and ")
        held = _holds(first, frame) & _holds(second, frame)
        assert (g.n, g.errors) == (int(held.sum()), int(wrong[held].sum()))
    # many rows on the quantile edges: each lands in the bin its name says
    edges = pd.DataFrame({"x": np.concatenate([np.arange(1.0, 21.0), [5.0] * 6, [9.0] * 6])})
    grouping = error_slices(edges, ["x"], np.zeros(len(edges), dtype=bool)).columns[0]
    assert grouping.kind == "quantile bins"
    assert sum(g.n for g in grouping.groups) == len(edges)
    for g in grouping.groups:
        assert g.n == int(_holds(g.name, edges).sum())


def test_truncated_groups_say_how_many_values_they_hold() -> None:
    frame = pd.DataFrame({"v": [f"v{i % 40}" for i in range(400)]})
    result = error_slices(frame, ["v"], np.arange(400) % 5 == 0)
    (v,) = result.columns
    assert v.values == 40 and v.other == 21
    assert v.groups[-1].value == "other (21 values)"
    assert len(v.groups) == 20


def test_error_tree_recovers_the_planted_rule_on_held_out_rows() -> None:
    frame, wrong = planted()
    tree = fit_error_tree(frame, ["source", "brightness"], wrong, shared_with=30)
    assert tree is not None and tree.depth <= 3
    assert tree.rows_used + tree.rows_held_out == len(frame) == tree.rows_total
    assert abs(tree.rows_used - tree.rows_held_out) <= 1
    rule = tree.rules[0]
    assert "source = cam_3" in rule.conditions
    bound = next(c for c in rule.conditions if c.startswith("brightness ≤ "))
    assert 0.25 <= float(bound.split("≤ ")[1]) <= 0.35  # the plant is brightness < 0.3
    assert rule.error_rate is not None and rule.error_rate > 0.35
    assert rule.p_adjusted is not None and rule.p_adjusted < 0.05
    assert sum(r.n for r in tree.rules) == tree.rows_held_out
    assert sum(r.fit_n for r in tree.rules) == tree.rows_used


def test_tree_rules_are_counted_and_tested_on_held_out_rows_as_printed() -> None:
    frame, wrong = planted(seed=4)
    tree = fit_error_tree(frame, ["source", "brightness"], wrong, seed=3, shared_with=30)
    assert tree is not None
    fit, held = _halves(np.arange(1, len(frame) + 1), 3)
    assert np.intersect1d(fit, held).size == 0 and fit.size + held.size == len(frame)
    rows, y = frame.iloc[held], wrong[held]
    assert tree.overall_error_rate == pytest.approx(y.mean())
    tested = []
    for rule in tree.rules:
        inside = np.ones(len(rows), dtype=bool)
        for condition in rule.conditions:
            inside &= _holds(condition, rows)
        assert (rule.n, rule.errors) == (int(inside.sum()), int(y[inside].sum()))
        if rule.p_value is None:
            assert rule.n < tree.min_tested or not rule.conditions
            continue
        table = [[rule.errors, rule.n - rule.errors], [int(y.sum()) - rule.errors, 0]]
        table[1][1] = len(rows) - rule.n - table[1][0]
        assert rule.p_value == pytest.approx(
            fisher_exact(table, alternative="greater").pvalue, rel=1e-9
        )
        tested.append(rule)
    # Holm within the rules, on their share of the budget: 8 / (30 + 8)
    ordered = sorted(tested, key=lambda r: r.p_value)
    running = 0.0
    for rank, rule in enumerate(ordered):
        running = max(running, min(1.0, (len(ordered) - rank) * rule.p_value * 38 / 8))
        assert rule.p_adjusted == pytest.approx(running, rel=1e-9)


def test_worst_slices_figure() -> None:
    frame, wrong = planted()
    result = error_slices(frame, ["source", "brightness"], wrong)
    fig = plot_worst_slices(result)
    ax = fig.axes[0]
    assert len(ax.patches) == len(result.worst)
    assert ax.get_yticklabels()[0].get_text().startswith("source = cam_3")
    (overall,) = [line for line in ax.get_lines() if line.get_label().startswith("overall")]
    assert overall.get_xdata()[0] == pytest.approx(result.overall_error_rate)


def test_report_with_slice_all(tmp_path: Path) -> None:
    frame, wrong = planted()
    rng = np.random.default_rng(2)
    y_true = rng.choice(["a", "b"], size=len(frame))
    frame["y_true"] = y_true
    frame["y_pred"] = np.where(wrong, np.where(y_true == "a", "b", "a"), y_true)
    frame["id"] = [f"r{i}" for i in range(len(frame))]
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["build", str(path), "-o", str(out), "--slice-all"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    record = embedded_record(page)
    assert [c["column"] for c in record["slices"]["columns"]] == ["source", "brightness", "tiny"]
    assert "slices" in record["sections"] and '<section id="slices"' in page
    assert any("Errors concentrate in source = cam_3" in f for f in record["summary"]["findings"])
    assert record["slices"]["tree"]["rules"][0]["conditions"][0] == "source = cam_3"


def test_a_report_on_errors_unrelated_to_the_columns_says_nothing_stands_out(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    n = 1500
    frame = pd.DataFrame(
        {
            "site": rng.choice(list("ABCD"), n),
            "alcohol": rng.normal(13, 0.8, n).round(2),
            "age": rng.integers(18, 80, n),
        }
    )
    y_true = rng.choice(["a", "b", "c"], n)
    wrong = rng.random(n) < 0.2
    frame["y_true"] = y_true
    frame["y_pred"] = np.where(wrong, np.where(y_true == "a", "b", "a"), y_true)
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "r.html"
    args = ["build", str(path), "-o", str(out), "--slice-all"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    record = embedded_record(page)
    sl = record["slices"]
    assert sl["significant"] == 0
    tree = sl["tree"]
    assert all(r["p_adjusted"] is None or r["p_adjusted"] >= 0.05 for r in tree["rules"])
    nothing = (
        "No slice, pair of columns or error-tree rule has an error rate that stands out once "
        f"chance is accounted for ({sl['tested']:,} slices and {tree['tested']} rules tested, "
        "every adjusted p ≥ 0.05)."
    )
    assert nothing in record["summary"]["findings"]
    assert not any(
        f.startswith(("Errors concentrate", "The error tree finds"))
        for f in record["summary"]["findings"]
    )
    # the table is headed as exploratory, with its true total
    assert sl["above_overall"] > len(sl["items"]) == 15
    assert (
        "<caption>Exploratory: slices above the overall error rate, over all columns and pairs "
        f"of columns, ranked by adjusted p (showing 15 of {sl['above_overall']})</caption>"
    ) in page
    assert 'badge-warn">stands out' not in page
    assert tree["significant"] == 0 and "<caption>Exploratory: error-tree rules" in page


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_many_valued_column_says_how_many_values_share_the_other_group(
    tmp_path: Path, task: str
) -> None:
    # 30 categories: the 19 most frequent shown apart, the other 11 in one group, on the page
    rng = np.random.default_rng(3)
    n = 600
    site = [f"s{i:02d}" for i in rng.integers(0, 30, n)]
    if task == "regression":
        y = rng.normal(100, 10, n)
        frame = pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(0, 5, n), "site": site})
    else:
        y = rng.integers(0, 3, n)
        pred = np.where(rng.random(n) < 0.2, (y + 1) % 3, y)
        frame = pd.DataFrame({"y_true": y, "y_pred": pred, "site": site})
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        main, ["build", str(path), "--task", task, "--slice", "site", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "19 most frequent" in page and "the other 11" in page
