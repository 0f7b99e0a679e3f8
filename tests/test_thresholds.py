"""Thresholds: curves, AUC and average precision equal scikit-learn's; candidate thresholds by
brute force; the current operating point; one-vs-rest curves; figures and partial."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from sklearn import metrics

from reportgen.analysis.curves import MAX_CURVE_POINTS, binary_counts, downsample
from reportgen.analysis.positive_class import resolve_pos_label
from reportgen.analysis.probability_inputs import ProbabilityInputs
from reportgen.analysis.thresholds import (
    TARGET_PRECISIONS,
    TARGET_RECALLS,
    BinaryThresholds,
    OvrThresholds,
    analyze_binary_thresholds,
    analyze_ovr,
    analyze_thresholds,
)
from reportgen.errors import ReportgenError
from reportgen.figures.thresholds import (
    describe_ovr,
    describe_thresholds,
    plot_ovr_precision_recall,
    plot_thresholds,
)
from reportgen.render import Section, environment

TOL = 1e-12
coarse = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 1.0])  # ties on purpose
fine = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def run(y: np.ndarray, score: np.ndarray, pred: np.ndarray | None = None) -> BinaryThresholds:
    if pred is None:
        pred = (score >= 0.5).astype(np.int64)
    proba = np.column_stack([1.0 - score, score])
    return analyze_binary_thresholds(ProbabilityInputs(y, pred, ["0", "1"], proba))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.one_of(coarse, fine)), min_size=2, max_size=80))
def test_binary_values_equal_sklearn(rows: list[tuple[bool, float]]) -> None:
    y = np.array([int(t) for t, _ in rows])
    score = np.array([s for _, s in rows])
    result = run(y, score)
    if 0 < y.sum() < y.size:
        assert result.roc_auc == pytest.approx(metrics.roc_auc_score(y, score), abs=TOL)
    else:
        assert result.roc_auc is None and result.roc_curve is None
    if y.sum() > 0:
        assert result.average_precision == pytest.approx(
            metrics.average_precision_score(y, score), abs=TOL
        )
    else:
        assert result.average_precision is None and result.pr_curve is None

    # the full curves: one count per distinct score, as scikit-learn's
    tps, fps, thr = binary_counts(y == 1, score)
    if y.sum() > 0:
        precision, recall, thresholds = metrics.precision_recall_curve(y, score)
        np.testing.assert_array_equal(thr[::-1], thresholds)
        np.testing.assert_allclose(tps / (tps + fps), precision[:-1][::-1], atol=TOL)
        np.testing.assert_allclose(tps / tps[-1], recall[:-1][::-1], atol=TOL)
    if 0 < y.sum() < y.size:
        fpr, tpr, _ = metrics.roc_curve(y, score, drop_intermediate=False)
        np.testing.assert_allclose(fps / fps[-1], fpr[1:], atol=TOL)
        np.testing.assert_allclose(tps / tps[-1], tpr[1:], atol=TOL)

    p = result.current.point
    cm = metrics.confusion_matrix(y, (score >= 0.5).astype(int), labels=[0, 1])
    assert (p.tn, p.fp, p.fn, p.tp) == tuple(int(v) for v in cm.ravel())


Row = tuple[str, float, "float | None", "int | None", "int | None"]


def brute_force(y: np.ndarray, score: np.ndarray, current_fp: int, current_fn: int) -> list[Row]:
    """Try every distinct score as the threshold (predict positive at score >= t)."""
    positives = int(y.sum())
    tried = []
    for t in sorted(set(score.tolist())):
        predicted = score >= t
        tp = int(np.sum(predicted & (y == 1)))
        fp = int(np.sum(predicted & (y == 0)))
        tried.append((t, tp / (tp + fp), tp / positives, fp, positives - tp))

    def row(goal: str, target: float, best: tuple[float, float, float, int, int] | None) -> Row:
        if best is None:
            return (goal, target, None, None, None)
        return (goal, target, best[0], best[3] - current_fp, best[4] - current_fn)

    out = []
    for target in TARGET_PRECISIONS:
        ok = [r for r in tried if r[1] >= target]
        out.append(row("precision", target, min(ok) if ok else None))  # lowest threshold
    for target in TARGET_RECALLS:
        ok = [r for r in tried if r[2] >= target]
        out.append(row("recall", target, max(ok) if ok else None))  # highest threshold
    return out


@pytest.mark.parametrize("seed", range(6))
def test_candidate_thresholds_equal_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    y = rng.integers(0, 2, size=n)
    y[:2] = [0, 1]
    score = np.round(np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1), 2)
    result = run(y, score)
    current = result.current.point
    expected = brute_force(y, score, current.fp, current.fn)
    got = [
        (
            c.goal,
            c.target,
            c.point.threshold if c.point else None,
            c.fp_change,
            c.fn_change,
        )
        for c in result.candidates
    ]
    assert got == expected
    for c in result.candidates:
        if c.point is not None and c.goal == "precision":
            assert c.point.precision is not None and c.point.precision >= c.target


def test_a_precision_no_threshold_reaches() -> None:
    y = np.array([0, 0, 1, 0, 1])
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5])  # the best scores are negatives
    result = run(y, score)
    precision = {c.target: c for c in result.candidates if c.goal == "precision"}
    assert not precision[0.8].reached and precision[0.8].point is None
    recall = [c for c in result.candidates if c.goal == "recall"]
    assert all(c.reached for c in recall)
    assert recall[-1].point is not None and recall[-1].point.threshold == 0.5


def test_current_point_and_the_threshold_it_implies() -> None:
    y = np.array([0, 0, 1, 1, 1, 0])
    score = np.array([0.1, 0.45, 0.55, 0.7, 0.3, 0.8])
    at_half = run(y, score)
    assert at_half.current.consistent and at_half.current.point.threshold == 0.5
    assert (at_half.current.point.fp, at_half.current.point.fn) == (1, 1)

    # predictions of a 0.6 threshold: consistent, 0.5 outside (0.55, 0.7]
    pred = (score >= 0.6).astype(int)
    other = run(y, score, pred)
    assert other.current.consistent and other.current.point.threshold == 0.7
    assert other.current.disagree_at_default == 1
    assert (other.current.point.fp, other.current.point.fn) == (1, 2)

    # no threshold explains these: 0.3 predicted positive, 0.45 not
    pred = np.array([0, 0, 1, 1, 1, 1])
    odd = run(y, score, pred)
    assert not odd.current.consistent and odd.current.point.threshold is None
    assert "No single threshold" in odd.current.note
    assert odd.current.point.fp == 1 and odd.current.point.fn == 0

    nothing = run(y, score, np.zeros(6, dtype=int))
    assert nothing.current.point.precision is None and nothing.current.point.tp == 0


def test_no_positives_all_positives_and_all_tied() -> None:
    score = np.array([0.2, 0.6, 0.4])
    none = run(np.zeros(3, dtype=int), score)
    assert none.roc_auc is None and none.average_precision is None
    assert none.pr_curve is None and none.roc_curve is None and none.candidates == []
    assert none.undefined and "No row is truly '1'" in none.undefined
    assert none.current.point.recall is None

    every = run(np.ones(3, dtype=int), score)
    assert every.roc_auc is None and every.roc_curve is None
    assert every.average_precision == pytest.approx(
        metrics.average_precision_score(np.ones(3), score)
    )
    assert every.current.point.fpr is None

    y = np.array([0, 1, 1, 0, 1])
    tied = run(y, np.full(5, 0.5))
    assert tied.roc_auc == pytest.approx(0.5) == metrics.roc_auc_score(y, np.full(5, 0.5))
    assert tied.average_precision == pytest.approx(0.6)
    assert tied.pr_curve is not None and tied.pr_curve.points == 2


def test_curves_are_thinned_for_drawing_but_auc_uses_them_all() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    y = rng.integers(0, 2, size=n)
    score = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.2 * y)))
    result = run(y, score)
    assert result.roc_auc == pytest.approx(metrics.roc_auc_score(y, score), abs=TOL)
    assert result.average_precision == pytest.approx(
        metrics.average_precision_score(y, score), abs=TOL
    )
    for curve in (result.pr_curve, result.roc_curve):
        assert curve is not None
        assert curve.points == n + 1
        assert 100 < len(curve.x) <= MAX_CURVE_POINTS
        assert curve.threshold[0] is None and curve.threshold[-1] == pytest.approx(score.min())
        assert curve.threshold[1:] == sorted(curve.threshold[1:], reverse=True)  # type: ignore[type-var]
    roc = result.roc_curve
    assert roc is not None
    assert (roc.x[0], roc.y[0], roc.x[-1], roc.y[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert result.pr_curve is not None and result.pr_curve.x[0] == 0.0
    assert result.pr_curve.x[-1] == 1.0
    json.dumps(asdict(result), allow_nan=False)


def test_downsample_keeps_both_ends_and_short_curves_whole() -> None:
    x = np.linspace(0, 1, 1000) ** 3
    y = np.sqrt(np.linspace(0, 1, 1000))
    keep = downsample(x, y, limit=50)
    assert keep[0] == 0 and keep[-1] == 999 and len(keep) <= 50
    assert np.all(np.diff(keep) > 0)
    assert downsample(x[:30], y[:30], limit=50).tolist() == list(range(30))


def test_default_and_named_positive_labels() -> None:
    assert resolve_pos_label(["0", "1"], None) == 1
    assert resolve_pos_label(["no", "yes"], None) == 1
    assert resolve_pos_label(["True", "False"], None) == 0
    assert resolve_pos_label(["Positive", "negative"], None) == 0
    assert resolve_pos_label(["cat", "dog"], None) == 1
    assert resolve_pos_label(["cat", "dog"], "cat") == 0
    with pytest.raises(ReportgenError, match=r"--pos-label 'bird' is not one of .*'cat', 'dog'"):
        resolve_pos_label(["cat", "dog"], "bird")


def test_named_positive_label_matches_sklearn_pos_label() -> None:
    rng = np.random.default_rng(8)
    n = 300
    y = rng.integers(0, 2, size=n)  # 0 = "cat", 1 = "dog"
    p_cat = np.clip(0.6 - 0.3 * y + rng.normal(scale=0.2, size=n), 0, 1)
    proba = np.column_stack([p_cat, 1 - p_cat])
    pred = np.where(p_cat >= 0.5, 0, 1)
    result = analyze_binary_thresholds(
        ProbabilityInputs(y, pred, ["cat", "dog"], proba, pos_label="cat")
    )
    assert result.pos_label == "cat" and result.pos_label_source == "--pos-label"
    named = np.where(y == 0, "cat", "dog")
    assert result.roc_auc == pytest.approx(metrics.roc_auc_score(y == 0, p_cat), abs=TOL)
    assert result.average_precision == pytest.approx(
        metrics.average_precision_score(named, p_cat, pos_label="cat"), abs=TOL
    )
    # a missing positive column: the score is 1 - p(other)
    only_dog = analyze_binary_thresholds(
        ProbabilityInputs(y, pred, ["cat", "dog"], proba, pos_label="cat", columns_present=[1])
    )
    assert only_dog.roc_auc == pytest.approx(result.roc_auc, abs=TOL)
    assert "1 − the probability of 'dog'" in only_dog.score


def multiclass(seed: int = 4, n: int = 3000, k: int = 6) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    # classes get harder along the label order: more errors for higher codes
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k)) + np.eye(k)[y] * np.linspace(4.0, 0.5, k)[y][:, None]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba.argmax(axis=1), proba


def test_one_vs_rest_for_the_classes_with_most_errors() -> None:
    y, pred, proba = multiclass()
    labels = [f"k{i}" for i in range(6)]
    result = analyze_thresholds(ProbabilityInputs(y, pred, labels, proba))
    assert isinstance(result, OvrThresholds)
    cm = metrics.confusion_matrix(y, pred)
    errors = cm.sum(axis=0) + cm.sum(axis=1) - 2 * np.diag(cm)
    top = [labels[i] for i in np.argsort(-errors, kind="stable")[:4]]
    assert [c.label for c in result.classes] == top
    assert result.classes_with_errors == 6 and result.limit == 4
    for c in result.classes:
        i = labels.index(c.label)
        assert c.errors == errors[i]
        assert c.average_precision == pytest.approx(
            metrics.average_precision_score(y == i, proba[:, i]), abs=TOL
        )
        assert c.precision == pytest.approx(metrics.precision_score(y == i, pred == i))
        assert c.recall == pytest.approx(metrics.recall_score(y == i, pred == i))
        assert c.curve.x[0] == 0.0 and c.curve.x[-1] == 1.0
    json.dumps(asdict(result), allow_nan=False)

    # the class with most errors has no column: listed, the next one takes its place
    worst = labels.index(top[0])
    present = [i for i in range(6) if i != worst]
    partial = analyze_ovr(ProbabilityInputs(y, pred, labels, proba, columns_present=present))
    assert partial is not None and partial.without_column == [top[0]]
    assert [c.label for c in partial.classes] == [
        labels[i] for i in np.argsort(-errors, kind="stable")[1:5]
    ]


def test_one_vs_rest_without_errors_is_none() -> None:
    y = np.array([0, 1, 2, 2])
    proba = np.eye(3)[y]
    assert analyze_ovr(ProbabilityInputs(y, y, ["a", "b", "c"], proba)) is None
    assert (
        analyze_thresholds(
            ProbabilityInputs(np.zeros(3, dtype=int), np.zeros(3, dtype=int), ["a"], proba)
        )
        is None
    )


def test_binary_figure_draws_both_curves_and_the_operating_point() -> None:
    y, pred, proba = multiclass(k=2)
    result = analyze_thresholds(ProbabilityInputs(y, pred, ["0", "1"], proba))
    assert isinstance(result, BinaryThresholds)
    fig = plot_thresholds(result)
    pr, roc = fig.axes
    assert len(pr.get_lines()) == 3 and len(roc.get_lines()) == 3
    legend = [t.get_text() for t in pr.get_legend().get_texts()]
    assert f"model (AP {result.average_precision:.3f})" in legend
    assert "current predictions" in legend
    assert f"model (AUC {result.roc_auc:.3f})" in [
        t.get_text() for t in roc.get_legend().get_texts()
    ]
    point = roc.get_lines()[-1]
    assert list(point.get_xdata()) == [result.current.point.fpr]
    assert list(point.get_ydata()) == [result.current.point.recall]
    assert pr.get_xlabel() == "Recall of '1'" and roc.get_xlabel() == "False positive rate"
    title, text = describe_thresholds(result)
    assert title and f"{result.roc_auc:.3f}" in text


def test_undefined_curves_are_said_not_drawn() -> None:
    result = run(np.zeros(4, dtype=int), np.array([0.1, 0.7, 0.3, 0.2]))
    pr, roc = plot_thresholds(result).axes
    assert not pr.get_lines() and not roc.get_lines()
    assert "undefined" in pr.texts[0].get_text()
    assert "No curve" in describe_thresholds(result)[1]


def test_ovr_figure_has_one_distinct_line_per_class() -> None:
    y, pred, proba = multiclass()
    result = analyze_ovr(ProbabilityInputs(y, pred, [f"k{i}" for i in range(6)], proba))
    assert result is not None
    ax = plot_ovr_precision_recall(result).axes[0]
    curves = [line for line in ax.get_lines() if line.get_linestyle() != "None"]
    assert len(curves) == 4
    assert len({line.get_color() for line in curves}) == 4
    assert len({str(line.get_linestyle()) for line in curves}) == 4
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"{c.label} (AP {c.average_precision:.3f})" for c in result.classes]
    assert len(ax.get_lines()) == 8  # each class's operating point too
    assert "k" in describe_ovr(result)[1]


def render(record: dict[str, Any]) -> str:
    template = environment().get_template("sections/thresholds.html.j2")
    return template.render(
        record=record,
        section=Section("thresholds", "Thresholds", ""),
        figures={
            "thresholds": Markup("<svg id='b'></svg>"),
            "thresholds-ovr": Markup("<svg id='o'></svg>"),
        },
    )


def test_partials_show_the_numbers_of_the_record() -> None:
    y, pred, proba = multiclass(k=2, n=5000)
    binary_result = analyze_thresholds(ProbabilityInputs(y, pred, ["no", "yes"], proba))
    assert isinstance(binary_result, BinaryThresholds)
    page = render({"thresholds": asdict(binary_result)})
    assert "<svg id='b'></svg>" in page
    assert f"{binary_result.roc_auc:.3f}" in page
    assert f"{binary_result.average_precision:.3f}" in page
    assert page.count('<th scope="row">precision ≥') == 4
    assert page.count('<th scope="row">recall ≥') == 4
    for c in binary_result.candidates:
        if c.fp_change:
            sign = "+" if c.fp_change > 0 else "−"
            assert f"{sign}{abs(c.fp_change):,}" in page
    assert "drawn from" in page

    y, pred, proba = multiclass()
    ovr = analyze_thresholds(ProbabilityInputs(y, pred, [f"k{i}" for i in range(6)], proba))
    assert ovr is not None
    page = render({"thresholds": asdict(ovr)})
    assert "<svg id='o'></svg>" in page
    for c in asdict(ovr)["classes"]:
        assert f"{c['average_precision']:.3f}" in page

    none = render({"thresholds": asdict(run(np.zeros(3, dtype=int), np.array([0.2, 0.6, 0.4])))})
    assert "undefined" in none and "Candidate thresholds" not in none
