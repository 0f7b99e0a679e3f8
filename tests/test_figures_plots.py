"""The page's figures on their matplotlib objects: every bar, cell, line and label against the
numbers it was drawn from, computed here independently (numpy, pandas, scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import StepPatch
from sklearn.metrics import f1_score

from reportgen.analysis.compare import compare_classification
from reportgen.analysis.evolution import analyze_evolution
from reportgen.analysis.regression import analyze_regression
from reportgen.analysis.slices import ErrorGroup, ResidualGroup, ResidualSlice, SliceResult
from reportgen.analysis.splits import analyze_splits
from reportgen.figures.compare import BETTER, WORSE, plot_f1_change, plot_paired_errors
from reportgen.figures.confusion import plot_confusion_counts
from reportgen.figures.evolution import (
    plot_accuracy_over_steps,
    plot_evolution,
    plot_step_confusions,
)
from reportgen.figures.residuals import plot_residual_distribution, plot_residual_slice
from reportgen.figures.slices import plot_worst_slices
from reportgen.figures.splits import COLOURS as SPLIT_COLOURS
from reportgen.figures.splits import MAX_CLASSES as SPLIT_CLASSES
from reportgen.figures.splits import plot_split_shares
from reportgen.figures.svg import figure_and_axes, new_figure, short_label
from reportgen.read.table import encode_labels
from tests.figure_parts import bars, ticks

# ---------------------------------------------------------------- splits


def split_frame() -> pd.DataFrame:
    """Three splits whose label mixes differ: train mostly 'cat', test mostly 'dog'."""
    rows = (
        [("train", "cat")] * 6
        + [("train", "dog")] * 2
        + [("dev", "cat")] * 2
        + [("dev", "dog")] * 2
        + [("dev", "eel")] * 1
        + [("test", "dog")] * 3
        + [("test", "eel")] * 1
    )
    return pd.DataFrame(rows, columns=["split", "y_true"])


def test_split_shares_draw_one_bar_per_class_and_split_at_its_share() -> None:
    frame = split_frame()
    labels = ["cat", "dog", "eel"]
    codes = frame.y_true.map({lab: i for i, lab in enumerate(labels)}).to_numpy()
    result = analyze_splits(frame.split, codes, codes, labels)
    ax = plot_split_shares(result).axes[0]
    assert ticks(ax) == labels
    assert ax.get_title() == "True labels per split"
    assert ax.get_xlabel() == "Share of the split's rows"
    assert [c.get_label() for c in ax.containers] == [
        "train (8 rows)",
        "dev (5 rows)",
        "test (4 rows)",
    ]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["train (8 rows)", "dev (5 rows)", "test (4 rows)"]
    expected = pd.crosstab(frame.split, frame.y_true, normalize="index").reindex(
        index=["train", "dev", "test"], columns=labels, fill_value=0.0
    )
    for j, (container, split) in enumerate(zip(ax.containers, expected.index, strict=True)):
        assert len(container) == len(labels)  # a missing class still has its (empty) bar
        widths = [bar.get_width() for bar in container]
        np.testing.assert_allclose(widths, expected.loc[split].to_numpy())
        assert {to_hex(bar.get_facecolor()) for bar in container} == {SPLIT_COLOURS[j]}
    # within a class the splits sit side by side, in split order, around the class's row
    for i in range(len(labels)):
        centres = [c[i].get_y() + c[i].get_height() / 2 for c in ax.containers]
        assert centres == sorted(centres)
        assert np.mean(centres) == pytest.approx(i)


def test_split_shares_keep_the_first_classes_when_there_are_many() -> None:
    labels = [f"c{i:02d}" for i in range(SPLIT_CLASSES + 5)]
    true = np.arange(len(labels)).repeat(2)
    splits = pd.Series(["train", "test"] * len(labels))
    result = analyze_splits(splits, true, true, labels)
    ax = plot_split_shares(result).axes[0]
    assert ticks(ax) == labels[:SPLIT_CLASSES]
    assert all(len(c) == SPLIT_CLASSES for c in ax.containers)


# ---------------------------------------------------------------- F1 change


def f1_comparison() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, Any]:
    """Two classifiers of three classes, and what they were made of."""
    labels = ["ant", "bee", "cow"]
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    pred_a = np.array([0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 0, 2])  # ant poor, bee good
    pred_b = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 0, 2])  # ant perfect, bee worse
    comparison = compare_classification(y_true, pred_a, pred_b, labels, resamples=50)
    return labels, y_true, pred_a, pred_b, comparison


def test_f1_change_draws_both_models_f1_per_class_joined_by_the_change() -> None:
    labels, y_true, pred_a, pred_b, comparison = f1_comparison()
    f1_a = f1_score(y_true, pred_a, average=None, labels=[0, 1, 2], zero_division=0)
    f1_b = f1_score(y_true, pred_b, average=None, labels=[0, 1, 2], zero_division=0)
    ax = plot_f1_change(comparison, names=("old", "new")).axes[0]
    assert ticks(ax) == labels
    assert ax.get_title() == "F1 per class: hollow old, filled new"
    assert ax.get_xlabel() == "F1"
    hollow, filled = ax.collections
    assert hollow.get_label() == "old" and filled.get_label() == "new"
    np.testing.assert_allclose(hollow.get_offsets(), np.column_stack([f1_a, [0, 1, 2]]))
    np.testing.assert_allclose(filled.get_offsets(), np.column_stack([f1_b, [0, 1, 2]]))
    # one segment per class, from A's F1 to B's, purple where it rose and orange where it fell
    assert len(ax.lines) == 3
    for i, line in enumerate(ax.lines):
        np.testing.assert_allclose(line.get_xdata(), [f1_a[i], f1_b[i]])
        assert list(line.get_ydata()) == [i, i]
        rose = f1_b[i] > f1_a[i]
        assert line.get_color() == (BETTER if rose else WORSE)
    assert ax.yaxis_inverted()  # the first class on top, as in the table


def test_f1_change_keeps_the_classes_that_changed_most() -> None:
    labels, y_true, pred_a, pred_b, comparison = f1_comparison()
    changes = np.abs(
        f1_score(y_true, pred_b, average=None, labels=[0, 1, 2], zero_division=0)
        - f1_score(y_true, pred_a, average=None, labels=[0, 1, 2], zero_division=0)
    )
    ax = plot_f1_change(comparison, max_classes=2).axes[0]
    kept = sorted(np.argsort(-changes, kind="stable")[:2])
    assert ticks(ax) == [labels[i] for i in kept]
    assert len(ax.lines) == 2


# ---------------------------------------------------------------- paired errors


def paired_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = rng.normal(size=200)
    return y, y + rng.normal(scale=1.0, size=200), y + rng.normal(scale=0.5, size=200)


def test_paired_errors_draw_each_row_and_the_histogram_of_its_change() -> None:
    y, a, b = paired_rows()
    fig = plot_paired_errors(y, a, b, names=("ridge", "forest"))
    left, right = fig.axes
    points = left.collections[0].get_offsets()
    np.testing.assert_allclose(points, np.column_stack([np.abs(y - a), np.abs(y - b)]))
    assert left.get_title() == "Paired absolute errors\n200 rows, one point each"
    assert left.get_xlabel() == "Absolute error, ridge"
    assert left.get_ylabel() == "Absolute error, forest"
    diagonal = left.get_lines()[0]
    high = max(np.abs(y - a).max(), np.abs(y - b).max())
    np.testing.assert_allclose(diagonal.get_xdata(), [0, high])
    np.testing.assert_allclose(diagonal.get_ydata(), [0, high])
    assert [t.get_text() for t in left.texts] == [
        "below the line: forest closer",
        "above: forest further off",
    ]
    change = np.abs(y - b) - np.abs(y - a)
    columns = bars(right)
    assert len(columns) == 40
    # every row is in one bar (the 0.1% tails are clipped onto the outer bars)
    assert sum(bar.get_height() for bar in columns) == len(y)
    lo, hi = np.quantile(change, [0.001, 0.999])
    bound = max(abs(lo), abs(hi))
    edges = np.linspace(-bound, bound, 41)
    expected, _ = np.histogram(np.clip(change, -bound, bound), bins=edges)
    assert [bar.get_height() for bar in columns] == expected.tolist()
    for bar in columns:
        centre = bar.get_x() + bar.get_width() / 2
        assert to_hex(bar.get_facecolor()) == (BETTER if centre < 0 else WORSE)
    assert right.get_xlabel() == "Change in absolute error (forest − ridge)"
    assert right.get_ylabel() == "Rows"


def test_paired_errors_as_density_count_every_row_once() -> None:
    y, a, b = paired_rows()
    fig = plot_paired_errors(y, a, b, density=True)
    left = fig.axes[0]
    image = left.get_images()[0]
    assert np.nansum(image.get_array()) == len(y)
    assert left.get_title() == "Paired absolute errors\n200 rows; colour: rows per cell (log)"
    assert len(fig.axes) == 3  # and the colour bar of counts


# ---------------------------------------------------------------- residual distribution


def test_residual_distribution_draws_the_histogram_its_mean_and_the_qq_points() -> None:
    rng = np.random.default_rng(5)
    y_true = rng.normal(10.0, 3.0, size=500)
    y_pred = y_true + rng.normal(0.4, 1.0, size=500)
    y_true[0] += 1000.0  # one row far beyond the histogram's range
    result = analyze_regression(y_true, y_pred)
    residual = y_true - y_pred
    hist, qq = plot_residual_distribution(result).axes
    (stairs,) = [p for p in hist.patches if isinstance(p, StepPatch)]
    counts, edges, _baseline = stairs.get_data()
    np.testing.assert_allclose(edges, result.histogram_edges)
    inside = residual[(residual >= edges[0]) & (residual <= edges[-1])]
    assert counts.tolist() == np.histogram(inside, bins=edges)[0].tolist()
    assert counts.sum() + result.histogram_below + result.histogram_above == len(residual)
    zero, mean = hist.get_lines()
    assert list(zero.get_xdata()) == [0.0, 0.0]
    assert mean.get_xdata()[0] == pytest.approx(residual.mean())
    assert mean.get_label() == f"mean {residual.mean():.3g}"
    outside = result.histogram_below + result.histogram_above
    assert outside >= 1
    assert hist.get_title() == (
        f"Residual distribution ({outside:,} rows beyond the 0.1–99.9% range not shown)"
    )
    assert hist.get_xlabel() == "Residual (true − predicted)" and hist.get_ylabel() == "Rows"
    points, reference = qq.get_lines()
    np.testing.assert_allclose(points.get_xdata(), result.qq_theoretical)
    np.testing.assert_allclose(points.get_ydata(), result.qq_sample)
    assert reference.get_label() == "normal residuals"
    assert qq.get_title() == "Normal Q-Q plot"


# ---------------------------------------------------------------- shared pieces


def test_confusion_counts_draw_the_given_matrix_shaded_by_the_full_support() -> None:
    # two of three classes shown: the shares are of each class's rows in all
    matrix = np.array([[6, 2], [1, 3]])
    support = np.array([10, 4])
    fig = plot_confusion_counts(["north", "south"], matrix, support)
    ax = fig.axes[0]
    assert ticks(ax, "x") == ["north", "south"] and ticks(ax) == ["north", "south"]
    np.testing.assert_allclose(ax.get_images()[0].get_array(), matrix / support[:, None])
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        ["6\n60%", "2\n20%", "1\n25%", "3\n75%"]
    )
    assert len(fig.axes) == 2  # and its colour bar


def test_accuracy_over_steps_marks_the_best_step_and_the_interval() -> None:
    steps = ["1", "2", "3"]
    accuracy, macro_f1 = [0.5, 0.75, 0.7], [0.4, 0.7, 0.65]
    intervals = [(0.4, 0.6), None, (0.6, 0.8)]
    ax = plot_accuracy_over_steps(
        steps, accuracy, macro_f1, intervals=intervals, best="2", column="epoch"
    ).axes[0]
    acc, f1, best = ax.get_lines()
    assert (acc.get_label(), f1.get_label()) == ("Accuracy", "Macro F1")
    assert list(acc.get_ydata()) == accuracy and list(f1.get_ydata()) == macro_f1
    assert list(best.get_xdata()) == [1, 1]
    assert [t.get_text() for t in ax.texts] == ["best: 2"]
    band = ax.collections[0].get_paths()[0].vertices
    # the band's lower and upper edges: the intervals, the point itself where there is none
    assert {0.4, 0.75, 0.6} <= {round(v, 6) for v in band[:, 1]}
    assert {0.8} <= {round(v, 6) for v in band[:, 1]}
    assert ticks(ax, "x") == steps and ax.get_xlabel() == "epoch"


def residual_group(
    value: str, q: tuple[float, float, float, float, float], mean: float
) -> ResidualGroup:
    """A group with the given 5th, 25th, 50th, 75th and 95th percentiles and mean."""
    q05, q25, median, q75, q95 = q
    return ResidualGroup(
        value=value,
        name=f"site = {value}",
        n=10,
        mean_residual=mean,
        mean_residual_ci=None,
        mae=1.0,
        rmse=1.0,
        median=median,
        q05=q05,
        q25=q25,
        q75=q75,
        q95=q95,
        residual_sd=1.0,
        rest_mean_residual=0.0,
    )


def test_residual_slice_draws_one_box_per_group_at_its_percentiles() -> None:
    groups = [
        residual_group("a", (-2.0, -1.0, 0.0, 1.0, 2.0), 0.1),
        residual_group("b" * 45, (1.0, 2.0, 3.0, 4.0, 6.0), 3.2),
    ]
    ax = plot_residual_slice(ResidualSlice("site", "category", groups)).axes[0]
    assert ticks(ax) == ["a", "b" * 39 + "…"]
    assert ax.get_title() == "Residuals by site (category)"
    boxes = [p for p in ax.patches if p.get_facecolor() != (1.0, 1.0, 1.0, 1.0)]
    assert len(boxes) == 2
    for box, group in zip(boxes, groups, strict=True):
        xs = box.get_path().vertices[:, 0]
        assert (xs.min(), xs.max()) == (group.q25, group.q75)
    means = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert [(m.get_xdata()[0], m.get_ydata()[0]) for m in means] == [(0.1, 1), (3.2, 2)]
    ends = sorted({x for line in ax.get_lines() for x in line.get_xdata()})
    assert {-2.0, 2.0, 1.0, 6.0, 0.0, 3.0} <= set(ends)  # whiskers at 5-95%, medians


def test_figure_and_axes_draws_on_the_callers_axes() -> None:
    fig = new_figure(4.0, 3.0)
    mine = fig.add_subplot()
    assert figure_and_axes(mine, 9.0, 9.0) == (fig, mine)
    made, ax = figure_and_axes(None, 5.0, 2.0, margins={"left": 0.2})
    assert tuple(made.get_size_inches()) == (5.0, 2.0) and ax.figure is made
    assert made.subplotpars.left == 0.2 and made.get_layout_engine() is None
    assert short_label("abcdef", 4) == "abc…" and short_label("abc", 4) == "abc"


# ---------------------------------------------------------------- slices and evolution


def error_group(name: str, errors: int, n: int, ci: tuple[float, float] | None) -> ErrorGroup:
    """A ranked slice with its errors among n rows."""
    return ErrorGroup(
        column="camera",
        value=name,
        name=name,
        n=n,
        errors=errors,
        error_rate=errors / n,
        error_rate_ci=ci,
        lift=None,
        p_value=None,
        p_adjusted=None,
    )


def test_worst_slices_draw_each_rate_its_interval_and_the_overall_rate() -> None:
    worst = [
        error_group("camera = cam_3", 30, 100, (0.22, 0.4)),
        error_group("camera = " + "x" * 60, 20, 100, None),
    ]
    result = SliceResult(
        overall_error_rate=0.1,
        columns=[],
        worst=worst,
        tested=5,
        pairs_tried=False,
        above_overall=4,
    )
    ax = plot_worst_slices(result).axes[0]
    assert ticks(ax) == ["camera = cam_3", short_label("camera = " + "x" * 60, 48)]
    assert [bar.get_width() for bar in bars(ax)] == pytest.approx([0.3, 0.2])
    # whiskers: the interval where there is one, none (zero length) where there is not
    (whiskers,) = [c for c in ax.collections if len(c.get_segments()) == 2]
    ends = [sorted(seg[:, 0]) for seg in whiskers.get_segments()]
    assert ends[0] == pytest.approx([0.22, 0.4]) and ends[1] == pytest.approx([0.2, 0.2])
    (overall,) = [line for line in ax.get_lines() if line.get_label().startswith("overall")]
    assert overall.get_label() == "overall error rate 10.0%"
    assert list(overall.get_xdata()) == [0.1, 0.1]
    assert ax.get_title() == "Slices above the overall error rate, by adjusted p (2 of 4)"


def test_evolution_draws_each_class_recall_and_each_chosen_steps_matrix() -> None:
    from sklearn.metrics import confusion_matrix, recall_score

    rng = np.random.default_rng(4)
    y_true = pd.Series(rng.choice(["ant", "bee", "cow"], 240))
    noise = pd.Series(rng.choice(["ant", "bee", "cow"], 240))
    y_pred = y_true.where(rng.random(240) < 0.6, noise)
    steps = pd.Series(np.repeat([1, 2, 3], 80))
    t, p, labels, _ = encode_labels(y_true, y_pred)
    result = analyze_evolution(steps, t, p, labels, column="epoch", steps=["1", "3"])
    left, right = plot_evolution(result).axes[:2]
    accuracy = [float((y_true == y_pred)[steps == s].mean()) for s in (1, 2, 3)]
    assert list(left.get_lines()[0].get_ydata()) == pytest.approx(accuracy)
    assert [line.get_label() for line in right.get_lines()] == labels
    for i, line in enumerate(right.get_lines()):
        recall = [
            recall_score(y_true[steps == s], y_pred[steps == s], labels=[labels[i]], average=None)[
                0
            ]
            for s in (1, 2, 3)
        ]
        assert list(line.get_ydata()) == pytest.approx(recall)
    matrices = [ax for ax in plot_step_confusions(result).axes if ax.get_images()]
    assert [ax.get_title().split("\n")[0].split(" (")[0] for ax in matrices] == [
        "epoch 1",
        "epoch 3",
    ]
    for ax, step in zip(matrices, (1, 3), strict=True):
        cm = confusion_matrix(y_true[steps == step], y_pred[steps == step], labels=labels)
        assert [t.get_text() for t in ax.texts] == [f"{v:,}" for v in cm.ravel() if v]
        share = cm / cm.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(ax.get_images()[0].get_array(), share)
