"""Training evolution (--step): metrics per step against scikit-learn, chosen steps, errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

import reportgen
from reportgen.analysis.evolution import analyze_evolution, step_codes
from reportgen.analysis.stats import wilson_interval
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.figures.evolution import (
    choose_recall_classes,
    plot_evolution,
    plot_step_confusions,
)
from reportgen.read.table import encode_labels
from tests.conftest import ROOT, embedded_record

TRAINING = ROOT / "examples" / "digits_training" / "predictions.csv"


def build(args: list[str], out: Path) -> str:
    result = CliRunner().invoke(main, ["build", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build([str(TRAINING), "--step", "step"], tmp_path_factory.mktemp("evo") / "r.html")


def test_evolution_follows_summary_and_the_rest_shows_the_last_step(page: str) -> None:
    record = embedded_record(page)
    assert record["sections"][:3] == ["summary", "evolution", "confusion-matrix"]
    assert re.findall(r'<section id="([^"]+)"', page) == record["sections"]
    e = record["evolution"]
    assert e["column"] == "step" and e["steps"] == [str(i) for i in range(1, 11)]
    assert e["shown_step"] == "10"
    frame = pd.read_csv(TRAINING)
    last = frame[frame.step == 10]
    c = record["classification"]
    assert c["n"] == len(last) == record["provenance"]["input"]["rows"]
    assert c["accuracy"] == pytest.approx(accuracy_score(last.y_true, last.y_pred), abs=1e-12)
    # the step column was only loaded for the evolution: it is not shown beside samples
    assert record["samples"]["misclassified"]["columns"] == []
    assert record["provenance"]["options"]["step"] == "step"


def test_every_step_equals_scikit_learn(page: str) -> None:
    e = embedded_record(page)["evolution"]
    frame = pd.read_csv(TRAINING)
    labels = [int(v) for v in e["labels"]]
    for m in e["per_step"]:
        rows = frame[frame.step == int(m["step"])]
        correct = int((rows.y_true == rows.y_pred).sum())
        assert m["n"] == len(rows)
        assert m["accuracy"] == pytest.approx(accuracy_score(rows.y_true, rows.y_pred), abs=1e-12)
        interval = wilson_interval(correct, len(rows))
        assert interval is not None and m["accuracy_ci"] == pytest.approx(list(interval))
        assert m["macro_f1"] == pytest.approx(
            f1_score(rows.y_true, rows.y_pred, average="macro", zero_division=0), abs=1e-12
        )
        expected = recall_score(
            rows.y_true, rows.y_pred, labels=labels, average=None, zero_division=0
        )
        assert m["recall"] == pytest.approx(expected.tolist(), abs=1e-12)
    accuracies = [m["accuracy"] for m in e["per_step"]]
    assert e["best"] == e["steps"][accuracies.index(max(accuracies))]  # earliest of the best
    assert e["chosen"] == sorted({"1", e["best"], "10"}, key=int)
    for step, matrix in e["confusion_matrices"].items():
        rows = frame[frame.step == int(step)]
        assert matrix == confusion_matrix(rows.y_true, rows.y_pred, labels=labels).tolist()
    assert set(e["confusion_matrices"]) == set(e["chosen"])


def test_steps_and_at_step_pick_what_is_shown(tmp_path: Path) -> None:
    report = reportgen.build_report(TRAINING, step="step", steps=["2", "5"], at_step=3)
    e = report.record["evolution"]
    assert e["chosen"] == ["2", "5"] and e["chosen_by"] == "option"
    assert e["shown_step"] == "3"
    frame = pd.read_csv(TRAINING)
    third = frame[frame.step == 3]
    assert report.record["classification"]["accuracy"] == pytest.approx(
        accuracy_score(third.y_true, third.y_pred), abs=1e-12
    )
    assert "Every other section of this report shows step <strong>3</strong>" in report.to_html()


def test_same_input_gives_same_bytes(tmp_path: Path) -> None:
    first = build([str(TRAINING), "--step", "step"], tmp_path / "a.html")
    second = build([str(TRAINING), "--step", "step"], tmp_path / "b.html")
    assert first == second
    assert "http://" not in first and "https://" not in first


def _two_steps(tmp_path: Path, **extra: list[object]) -> Path:
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "a", "b", "c"],
            "epoch": [1, 1, 1, 2, 2, 2],
            "y_true": ["x", "y", "x", "x", "y", "x"],
            "y_pred": ["y", "y", "y", "x", "y", "x"],
            **extra,
        }
    )
    path = tmp_path / "preds.csv"
    frame.to_csv(path, index=False)
    return path


def _refused(tmp_path: Path, args: list[str]) -> str:
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir(exist_ok=True)
    result = CliRunner().invoke(main, ["build", *args, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert not out.exists() and list(out.parent.iterdir()) == []
    return " ".join(result.stderr.split())


def test_ids_repeat_across_steps_but_not_within_one(tmp_path: Path) -> None:
    path = _two_steps(tmp_path)
    report = reportgen.build_report(path, step="epoch")
    assert report.record["evolution"]["steps"] == ["1", "2"]
    # without --step the same file has duplicated ids
    message = _refused(tmp_path, [str(path)])
    assert "duplicated ids" in message
    frame = pd.read_csv(path)
    frame.loc[2, "id"] = "a"
    frame.to_csv(path, index=False)
    message = _refused(tmp_path, [str(path), "--step", "epoch"])
    assert (
        "id column 'id' has 1 id repeated within one step of 'epoch': 'a' at epoch 1 (rows 1, 3)"
        in message
    )


def test_unknown_at_step_and_steps_name_the_available_steps(tmp_path: Path) -> None:
    path = _two_steps(tmp_path)
    message = _refused(tmp_path, [str(path), "--step", "epoch", "--at-step", "7"])
    assert "reportgen: error: --at-step 7: column 'epoch' has no step 7; its steps are 1, 2." in (
        message
    )
    message = _refused(tmp_path, [str(path), "--step", "epoch", "--steps", "1,9"])
    assert "--steps 9: column 'epoch' has no step 9; its steps are 1, 2." in message
    message = _refused(tmp_path, [str(path), "--at-step", "1"])
    assert "--at-step needs a step column; name it with --step COLUMN." in message
    message = _refused(tmp_path, [str(path), "--step", "nope"])
    assert "no column 'nope' (named with --step)" in message
    # 2.0 names step 2
    assert (
        reportgen.build_report(path, step="epoch", at_step="2.0").record["evolution"]["shown_step"]
        == "2"
    )


def test_empty_step_cells_are_refused(tmp_path: Path) -> None:
    frame = pd.read_csv(_two_steps(tmp_path))
    frame["epoch"] = frame["epoch"].astype("object")
    frame.loc[4, "epoch"] = None
    frame.to_csv(tmp_path / "preds.csv", index=False)
    message = _refused(tmp_path, [str(tmp_path / "preds.csv"), "--step", "epoch"])
    assert "step column 'epoch' (named with --step) has 1 empty cell (row 5)" in message


def test_steps_sort_numerically_or_as_text() -> None:
    codes, names = step_codes(pd.Series([10, 2, 1, 2, 10]))
    assert names == ["1", "2", "10"] and codes.tolist() == [2, 1, 0, 1, 2]
    codes, names = step_codes(pd.Series(["b", "a", "c10", "c2"]))
    assert names == ["a", "b", "c10", "c2"]
    _, names = step_codes(pd.Series([1.0, 0.5, 1]))
    assert names == ["0.5", "1"]


def test_a_class_absent_at_a_step_has_no_recall_there() -> None:
    t, p, labels, _ = encode_labels(pd.Series(list("abac")), pd.Series(list("abbc")))
    result = analyze_evolution(pd.Series([1, 1, 2, 2]), t, p, labels, column="epoch")
    assert result.per_step[0].recall == [1.0, 1.0, None]
    assert result.per_step[1].recall == [0.0, None, 1.0]
    assert result.best == "1" and result.chosen == ["1", "2"]


@pytest.mark.filterwarnings("ignore:A single label was found")
@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=60
    )
)
def test_per_step_metrics_equal_scikit_learn(rows: list[tuple[int, int, int]]) -> None:
    frame = pd.DataFrame(rows, columns=["y_true", "y_pred", "step"])
    t, p, labels, _ = encode_labels(frame.y_true, frame.y_pred)
    result = analyze_evolution(frame.step, t, p, labels, column="step")
    ints = [int(v) for v in labels]
    for m in result.per_step:
        part = frame[frame.step == int(m.step)]
        assert m.accuracy == pytest.approx(accuracy_score(part.y_true, part.y_pred))
        assert m.macro_f1 == pytest.approx(
            f1_score(part.y_true, part.y_pred, average="macro", zero_division=0)
        )
        recall = recall_score(part.y_true, part.y_pred, labels=ints, average=None, zero_division=0)
        for i, value in enumerate(m.recall):
            if value is not None:
                assert value == pytest.approx(recall[i])
    for step, cm in result.confusion_matrices.items():
        part = frame[frame.step == int(step)]
        assert cm.tolist() == confusion_matrix(part.y_true, part.y_pred, labels=ints).tolist()


def test_figures_draw_one_line_per_class_and_one_matrix_per_chosen_step() -> None:
    rng = np.random.default_rng(0)
    k = 14
    y_true = pd.Series(rng.integers(0, k, 600))
    y_pred = pd.Series(np.where(rng.random(600) < 0.7, y_true, rng.integers(0, k, 600)))
    t, p, labels, _ = encode_labels(y_true, y_pred)
    steps = pd.Series(np.repeat([1, 2, 3], 200))
    result = analyze_evolution(steps, t, p, labels, column="epoch", steps=["1", "3"])
    view = choose_recall_classes(result)
    assert view.truncated and len(view.labels) == 10
    fig = plot_evolution(result, view=view)
    left, right = fig.axes[:2]
    assert [line.get_label() for line in left.get_lines()][:2] == ["Accuracy", "Macro F1"]
    assert len(right.get_lines()) == 10
    assert "changed most" in right.get_title()
    styles = {(line.get_color(), line.get_linestyle(), line.get_marker()) for line in right.lines}
    assert len(styles) == 10
    fig = plot_step_confusions(result)
    matrices = [ax for ax in fig.axes if ax.get_images()]
    assert len(matrices) == 2 and len(fig.axes) == 3  # and the shared colour bar
    assert matrices[0].get_title().startswith("epoch 1")
    assert len(matrices[0].texts) == int(np.count_nonzero(result.confusion_matrices["1"]))


def test_regression_files_refuse_step(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [0.5, 1.5, 2.5], "y_pred": [1.0, 1.2, 2.0], "e": [1, 1, 2]})
    frame.to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(ReportgenError, match="training evolution applies to classification"):
        reportgen.build_report(tmp_path / "r.csv", step="e")
