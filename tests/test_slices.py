"""Classification slices: error rates by metadata, significance, the error tree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import binomtest

from reportgen.analysis.error_tree import fit_error_tree
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


def test_significance_is_a_one_sided_binomial_test_with_bonferroni() -> None:
    frame, wrong = planted()
    result = error_slices(frame, ["source", "brightness", "tiny"], wrong)
    assert result.pairs_tried
    top = result.worst[0]
    assert "cam_3" in top.value and top.p_adjusted is not None and top.p_adjusted < 1e-6
    p = binomtest(top.errors, top.n, result.overall_error_rate, alternative="greater").pvalue
    assert top.p_value == pytest.approx(p, rel=1e-9)
    assert top.p_adjusted == pytest.approx(min(1.0, p * result.tested), rel=1e-9)
    # groups too small to test are shown per column but never ranked
    tiny = next(c for c in result.columns if c.column == "tiny")
    rare = next(g for g in tiny.groups if g.value == "rare")
    assert rare.n < MIN_RANKED_SUPPORT and rare.p_value is None
    assert all(g.value != "rare" for g in result.worst)
    assert all(g.error_rate > result.overall_error_rate for g in result.worst)


def test_error_tree_recovers_the_planted_rule() -> None:
    frame, wrong = planted()
    tree = fit_error_tree(frame, ["source", "brightness"], wrong)
    assert tree is not None and tree.depth <= 3
    rule = tree.rules[0]
    assert "source = cam_3" in rule.conditions
    bound = next(c for c in rule.conditions if c.startswith("brightness ≤ "))
    assert 0.25 <= float(bound.split("≤ ")[1]) <= 0.35  # the plant is brightness < 0.3
    assert rule.error_rate > 0.35
    assert sum(r.n for r in tree.rules) == len(frame)
    assert sum(r.errors for r in tree.rules) == int(wrong.sum())


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


@pytest.mark.parametrize(
    ("k", "n", "p"), [(0, 10, 0.3), (5, 10, 0.3), (10, 10, 0.3), (43, 90, 0.07), (300, 10**6, 2e-4)]
)
def test_binomial_tail_equals_scipy(k: int, n: int, p: float) -> None:
    from scipy.stats import binom

    from reportgen.analysis.slices import binomial_tail

    assert binomial_tail(k, n, p) == pytest.approx(float(binom.sf(k - 1, n, p)), rel=1e-10)
