"""Figures, tested on their matplotlib objects and on the cleaned SVG text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from reportgen.analysis.classification import analyze_classification
from reportgen.figures.confusion import choose_classes, plot_confusion_matrix
from reportgen.figures.svg import clean_svg, figure_to_svg
from reportgen.read.table import encode_labels


def result_for(y_true: list[str], y_pred: list[str]):  # type: ignore[no-untyped-def]
    t, p, labels, _ = encode_labels(pd.Series(y_true), pd.Series(y_pred))
    return analyze_classification(t, p, labels)


def test_confusion_figure_shows_counts_and_row_shares() -> None:
    result = result_for(["a", "a", "a", "b", "b", "c"], ["a", "a", "b", "b", "b", "a"])
    fig = plot_confusion_matrix(result)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    cells = sorted(t.get_text() for t in ax.texts)
    # a->a 2 of 3, a->b 1 of 3, b->b 2 of 2, c->a 1 of 1; empty cells carry no text
    assert cells == sorted(["2\n67%", "1\n33%", "2\n100%", "1\n100%"])
    image = ax.get_images()[0]
    np.testing.assert_allclose(image.get_array()[0], [2 / 3, 1 / 3, 0])


def test_more_than_30_classes_show_those_with_most_errors() -> None:
    labels = [f"k{i:02d}" for i in range(40)]
    y_true = [lab for lab in labels for _ in range(5)]
    # only the last 12 classes make errors
    y_pred = [
        labels[(i + 1) % 40] if i >= 28 and j == 0 else labels[i]
        for i in range(40)
        for j in range(5)
    ]
    result = result_for(y_true, y_pred)
    view = choose_classes(result)
    assert view.truncated and len(view.labels) == 30
    assert {f"k{i:02d}" for i in range(28, 40)} <= set(view.labels)
    assert view.labels == sorted(view.labels)
    fig = plot_confusion_matrix(result, view=view)
    assert len(fig.axes[0].get_xticklabels()) == 30


def test_svg_is_cleaned_for_inline_use() -> None:
    result = result_for(["a", "b", "b"], ["a", "a", "b"])
    svg = figure_to_svg(
        plot_confusion_matrix(result), fig_id="cm", title="T <1>", description="D & d"
    )
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<metadata" not in svg
    assert "http" not in svg
    assert 'role="img"' in svg and 'aria-labelledby="cm-title cm-desc"' in svg
    assert '<title id="cm-title">T &lt;1&gt;</title>' in svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("cm-") for i in ids)
    for ref in re.findall(r"url\(#([^)]+)\)", svg) + re.findall(r'href="#([^"]+)"', svg):
        assert ref in ids
    assert "<text" in svg  # text stays text (searchable, selectable)


def test_two_figures_do_not_share_ids() -> None:
    result = result_for(["a", "b", "b"], ["a", "a", "b"])
    one = figure_to_svg(plot_confusion_matrix(result), fig_id="f1", title="1", description="1")
    two = figure_to_svg(plot_confusion_matrix(result), fig_id="f2", title="2", description="2")
    assert not set(re.findall(r'id="([^"]+)"', one)) & set(re.findall(r'id="([^"]+)"', two))


def test_svg_bytes_are_deterministic() -> None:
    result = result_for(["a", "b", "b", "c"], ["a", "a", "b", "c"])
    first = figure_to_svg(plot_confusion_matrix(result), fig_id="x", title="t", description="d")
    second = figure_to_svg(plot_confusion_matrix(result), fig_id="x", title="t", description="d")
    assert first == second


def test_clean_svg_rejects_non_svg() -> None:
    try:
        clean_svg("<html></html>", fig_id="x", title="t", description="d")
    except ValueError:
        return
    raise AssertionError("expected ValueError")


def test_two_panels_gives_a_left_and_a_right_axes_with_the_margins_asked() -> None:
    from reportgen.figures.panels import two_panels

    fig, left, right = two_panels(10.0, 4.0, left=0.1, right=0.9, wspace=0.3)
    assert list(fig.axes) == [left, right]
    assert tuple(fig.get_size_inches()) == (10.0, 4.0)
    assert left.get_position().x0 == pytest.approx(0.1)
    assert right.get_position().x1 == pytest.approx(0.9)
    assert left.get_position().x1 < right.get_position().x0
