"""The email's pictures on their matplotlib objects, against the record they were drawn from;
and the email built from a record in memory equals the one built from the archived page."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import StepPatch

import reportgen
from reportgen.deliver.archive import record_from_html
from reportgen.deliver.mail import build_message
from reportgen.figures.email import (
    ACCENT,
    MAX_CONFUSION_CLASSES,
    RISE,
    SECOND,
    WIDTH,
    Picture,
    email_pictures,
)
from reportgen.figures.svg import png_size
from reportgen.render import environment
from tests.figure_parts import bars, ticks


def pictures(record: dict[str, Any], **limits: int) -> dict[str, Picture]:
    """The email's pictures of a record, with the email's limits unless told otherwise."""
    return email_pictures(
        record,
        max_buckets=limits.get("max_buckets", 10),
        max_classes=limits.get("max_classes", 15),
    )


def classification_record(k: int = 3, *, big: bool = False) -> dict[str, Any]:
    """A classification record of k classes (counts in the thousands when big), with buckets
    and a training evolution."""
    labels = [f"class_{i}" for i in range(k)]
    matrix = [
        [(1500 if big else 5) if i == j else (i + 2 * j) % 3 for j in range(k)] for i in range(k)
    ]
    return {
        "classification": {
            "labels": labels,
            "confusion_matrix": matrix,
            "top_confusions": [{"true": labels[2], "pred": labels[1], "count": 2}],
        },
        "buckets": {
            "items": [
                {"name": "blurred_or_out_of_focus_images", "count": 9},
                {"name": "glare", "count": 4},
                {"name": "label_noise", "count": 1},
            ]
        },
        "evolution": {
            "column": "epoch",
            "best": "2",
            "per_step": [
                {"step": "1", "accuracy": 0.5, "accuracy_ci": [0.4, 0.6], "macro_f1": 0.45},
                {"step": "2", "accuracy": 0.8, "accuracy_ci": [0.7, 0.9], "macro_f1": 0.75},
                {"step": "3", "accuracy": 0.78, "accuracy_ci": None, "macro_f1": 0.74},
            ],
        },
    }


def test_a_classification_email_shows_evolution_matrix_and_buckets_in_reading_order() -> None:
    got = pictures(classification_record())
    assert list(got) == ["evolution", "confusion-matrix", "error-buckets"]
    for picture in got.values():
        width, height = (round(v * 100) for v in picture.figure.get_size_inches())
        assert (picture.png.width, picture.png.height) == (width, height)
        assert png_size(picture.png.data) == (2 * width, 2 * height)  # sharp on a 2x screen
        assert picture.cid.startswith(picture.name + ".")


def test_confusion_picture_is_the_pages_matrix_with_counts_only() -> None:
    record = classification_record()
    c = record["classification"]
    picture = pictures(record)["confusion-matrix"]
    (ax,) = picture.figure.axes  # no colour bar: the caption says what the shade means
    assert ticks(ax, "x") == c["labels"] and ticks(ax) == c["labels"]
    matrix = np.array(c["confusion_matrix"])
    np.testing.assert_allclose(
        ax.get_images()[0].get_array(), matrix / matrix.sum(axis=1, keepdims=True)
    )
    cells = sorted(t.get_text() for t in ax.texts)
    assert cells == sorted(str(n) for n in matrix.ravel() if n)
    # long labels turn, and take room
    assert picture.figure.get_size_inches()[0] * 100 == pytest.approx(220 + 34 * 3 + 70)
    assert picture.alt == (
        "Confusion matrix of 3 classes: counts of true labels (rows) against predicted labels "
        "(columns); the largest confusion is class_2 → class_1, 2 times."
    )
    assert picture.caption.endswith("shaded by the share of the true class.")


def test_many_large_counts_are_written_short_and_the_caption_says_so() -> None:
    record = classification_record(MAX_CONFUSION_CLASSES, big=True)
    picture = pictures(record)["confusion-matrix"]
    (ax,) = picture.figure.axes
    assert len(ticks(ax)) == MAX_CONFUSION_CLASSES
    assert sum(t.get_text() == "1.5k" for t in ax.texts) == MAX_CONFUSION_CLASSES
    assert tuple(picture.figure.get_size_inches() * 100) == (WIDTH, WIDTH - 40)
    assert picture.caption.endswith("; 1.2k means about 1,200.")


def test_too_many_classes_get_no_matrix_picture() -> None:
    record = classification_record(MAX_CONFUSION_CLASSES + 1)
    assert "confusion-matrix" not in pictures(record)
    record["classification"]["classes"] = {"total": 40}  # the record keeps only some
    record["classification"]["labels"] = record["classification"]["labels"][:5]
    assert "confusion-matrix" not in pictures(record)


def test_bucket_picture_has_one_bar_per_bucket_at_its_count() -> None:
    record = classification_record()
    items = record["buckets"]["items"]
    picture = pictures(record)["error-buckets"]
    (ax,) = picture.figure.axes
    assert ticks(ax) == ["blurred_or_out_of_focus…", "glare", "label_noise"]
    assert [bar.get_width() for bar in bars(ax)] == [i["count"] for i in items]
    assert {to_hex(bar.get_facecolor()) for bar in bars(ax)} == {ACCENT}
    assert [t.get_text() for t in ax.texts] == ["9", "4", "1"]
    assert ax.yaxis_inverted() and ax.get_xlabel() == "Errors"
    assert picture.alt == (
        "Bar chart of errors per bucket: blurred_or_out_of_focus_images 9, glare 4, label_noise 1."
    )


def test_bucket_picture_keeps_the_largest_and_says_of_how_many() -> None:
    picture = pictures(classification_record(), max_buckets=2)["error-buckets"]
    (ax,) = picture.figure.axes
    assert len(bars(ax)) == 2
    assert picture.caption == "Errors per bucket, largest first (the 2 largest of 3)."


def test_evolution_picture_is_the_pages_accuracy_panel() -> None:
    record = classification_record()
    steps = record["evolution"]["per_step"]
    picture = pictures(record)["evolution"]
    (ax,) = picture.figure.axes
    accuracy, macro_f1, best = ax.get_lines()
    assert list(accuracy.get_ydata()) == [s["accuracy"] for s in steps]
    assert list(macro_f1.get_ydata()) == [s["macro_f1"] for s in steps]
    assert list(best.get_xdata()) == [1, 1]  # step "2", the record's best
    assert [t.get_text() for t in ax.texts] == ["best: 2"]
    assert ticks(ax, "x") == ["1", "2", "3"] and ax.get_xlabel() == "epoch"
    assert ax.get_title() == "Accuracy and macro F1"
    assert picture.figure.get_size_inches()[0] * 100 == pytest.approx(WIDTH)
    assert picture.alt == (
        "Line chart of accuracy and macro F1 over 3 steps: accuracy 50.0% at step 1, "
        "78.0% at step 3."
    )


def regression_record(*, below: int = 0) -> dict[str, Any]:
    """A regression record with a four-bin residual histogram."""
    return {
        "regression": {
            "n": 20 + below,
            "mean_residual": 0.25,
            "histogram": {
                "edges": [-2.0, -1.0, 0.0, 1.0, 2.0],
                "counts": [2, 7, 8, 3],
                "below": below,
                "above": 0,
            },
        }
    }


def test_residual_picture_is_the_pages_histogram_of_the_record() -> None:
    record = regression_record(below=3)
    picture = pictures(record)["residuals"]
    (ax,) = picture.figure.axes
    (stairs,) = [p for p in ax.patches if isinstance(p, StepPatch)]
    values, edges, _ = stairs.get_data()
    assert values.tolist() == [2, 7, 8, 3] and edges.tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    zero, mean = ax.get_lines()
    assert zero.get_xdata()[0] == 0.0 and mean.get_xdata()[0] == 0.25
    assert "3 rows beyond" in ax.get_title()
    assert picture.alt == ("Histogram of residuals (true − predicted) over 23 rows, mean +0.2500.")
    assert picture.caption.endswith("; 3 rows lie beyond the axis.")


def test_a_regression_record_without_a_histogram_has_no_picture() -> None:
    record = regression_record()
    record["regression"]["histogram"]["counts"] = []
    assert pictures(record) == {}


def comparison_record() -> dict[str, Any]:
    """A classifier comparison of four classes."""

    def row(label: str, delta: float, ci: list[float] | None) -> dict[str, Any]:
        return {"label": label, "delta": {"f1": delta}, "f1_delta_ci": ci}

    return {
        "comparison": {
            "names": ["old", "new"],
            "per_class": [
                row("ant", 0.2, [0.1, 0.3]),
                row("bee", -0.05, [-0.2, 0.1]),
                row("cow", 0.01, None),
                row("dog", -0.3, [-0.4, -0.2]),
            ],
        }
    }


def test_f1_change_picture_has_a_bar_and_interval_per_class() -> None:
    record = comparison_record()
    rows = record["comparison"]["per_class"]
    picture = pictures(record)["f1-change"]
    (ax,) = picture.figure.axes
    assert ticks(ax) == ["ant", "bee", "cow", "dog"]
    shown = bars(ax)
    assert [bar.get_width() for bar in shown] == [0.2, -0.05, 0.01, -0.3]
    assert [to_hex(bar.get_facecolor()) for bar in shown] == [RISE, SECOND, RISE, SECOND]
    intervals = [line for line in ax.get_lines() if len(line.get_xdata()) == 2][:3]
    assert [list(line.get_xdata()) for line in intervals] == [
        r["f1_delta_ci"] for r in rows if r["f1_delta_ci"]
    ]
    assert [line.get_ydata()[0] for line in intervals] == [0, 1, 3]  # cow has none
    assert picture.alt == (
        "Bar chart of the change in F1 from old to new for 4 classes: 2 rose, 2 did not."
    )


def test_f1_change_picture_keeps_the_largest_changes_in_record_order() -> None:
    picture = pictures(comparison_record(), max_classes=2)["f1-change"]
    (ax,) = picture.figure.axes
    assert ticks(ax) == ["ant", "dog"]
    assert "the 2 classes whose F1 changed most, of 4" in picture.alt


def test_text_environment_has_the_pages_filters_and_no_escaping() -> None:
    text, page = environment(html=False), environment()
    assert text is environment(html=False)  # built once
    assert set(text.filters) == set(page.filters)
    template = "{{ label }} {{ n|count }} {{ x|pct }}"
    values = {"label": "<b>&", "n": 12345, "x": 0.25}
    assert text.from_string(template).render(**values) == "<b>& 12,345 25.0%"
    assert page.from_string(template).render(**values) == "&lt;b&gt;&amp; 12,345 25.0%"


@pytest.mark.slow
def test_the_email_from_the_built_record_equals_the_one_from_its_page() -> None:
    frame = pd.DataFrame(
        {"y_true": list("aaabbbccca") * 3, "y_pred": list("aabbbcccaa") + list("aaabbbccca") * 2}
    )
    report = reportgen.build_report(frame, created="2026-01-02T03:04:05Z")
    page = report.to_html()
    held = copy.deepcopy(report.record)
    direct = build_message(report.record, page.encode("utf-8"), to=["a@example.org"])
    assert report.record == held  # the email only reads the record
    archived = build_message(record_from_html(page), page.encode("utf-8"), to=["a@example.org"])
    assert direct.as_bytes() == archived.as_bytes()
