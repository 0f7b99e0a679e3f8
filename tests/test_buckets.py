"""Error buckets, the playbook and the experiments table."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import reportgen
from reportgen.analysis.buckets import Tags, analyze_buckets
from reportgen.analysis.classification import analyze_classification
from reportgen.analysis.splits import analyze_splits
from reportgen.analysis.suggestions import (
    confident_error_suggestions,
    split_suggestions,
    threshold_for_precision,
    threshold_suggestions,
)
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.figures.buckets import plot_pareto
from reportgen.playbook import load_playbook, match
from tests.conftest import embedded_record

LABELS = ["cat", "dog", "fox"]


def entry_for(name: str) -> str | None:
    found = match(name, load_playbook())
    return None if found is None else found.name


@pytest.mark.parametrize(
    ("tag", "entry", "words"),
    [
        ("blurry", "blurry", "blur augmentation"),
        ("Out of focus", "blurry", "blur augmentation"),
        ("blur", "blurry", "blur augmentation"),
        ("dark", "lighting", "brightness"),
        ("too bright", "lighting", "Normalise brightness"),
        ("defect at the edge", "edge", "random crop"),
        ("corner", "edge", "random shift"),
        ("border_defect", "edge", "random crop"),
        ("FP", "false positive", "confidence threshold"),
        ("rare class", "rare class", "Oversample"),
        ("rare class", "rare class", "Weight the class more in the loss"),
    ],
)
def test_builtin_playbook_covers_the_classic_buckets(tag: str, entry: str, words: str) -> None:
    found = match(tag, load_playbook())
    assert found is not None and found.name == entry
    assert any(words.lower() in e.lower() for e in found.experiments)


def test_unknown_bucket_has_no_entry() -> None:
    assert entry_for("scratches on the lens cap") is None


def test_user_playbook_adds_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[entry]]\nname = "blurry"\naliases = ["smeared"]\nexperiments = ["Clean the lens"]\n'
        '[[entry]]\nname = "scratch"\naliases = ["scratches"]\nexperiments = ["Polish"]\n',
        encoding="utf-8",
    )
    entries = load_playbook(path)
    blurry = match("smeared", entries)
    assert blurry is not None and blurry.experiments == ("Clean the lens",)
    assert blurry.source == "mine.toml"
    assert match("blur", entries) is None  # the replaced entry's aliases are gone
    scratch = match("scratches on the lens", entries)
    assert scratch is not None and scratch.name == "scratch"
    assert sum(e.name == "blurry" for e in entries) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[entry]]\nname = 'x'\n", "needs 'experiments'"),
        ("[[entry]]\nname = 'x'\nexperiments = ['a']\ncost = 3\n", "unknown keys ['cost']"),
        ("[[entry]\nname = 'x'", "not valid TOML"),
        ("title = 'x'\n", "unknown top-level keys"),
    ],
)
def test_bad_user_playbook(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportgenError, match=re.escape(message)):
        load_playbook(path)
    with pytest.raises(ReportgenError, match="no such playbook"):
        load_playbook(tmp_path / "missing.toml")


def codes(values: list[str]) -> np.ndarray:
    return np.array([LABELS.index(v) for v in values])


def test_bucket_counts_shares_and_ceiling() -> None:
    y_true = codes(["cat"] * 6 + ["dog"] * 4)
    y_pred = codes(["dog", "dog", "dog", "fox", "cat", "cat", "dog", "cat", "cat", "dog"])
    # errors at positions 0, 1, 2, 3 (cat->dog x3, cat->fox) and 7, 8 (dog->cat)
    tags = Tags(
        by_row={
            0: ["Blurry"],
            1: ["blurry ", "dark"],
            2: ["BLURRY"],
            3: ["edge"],
            7: ["dark"],
            4: ["blurry"],  # a correct prediction: reported, not counted
        },
        source="test",
    )
    result = analyze_buckets(
        tags,
        true_codes=y_true,
        pred_codes=y_pred,
        labels=LABELS,
        row_numbers=np.arange(1, 11),
        playbook=load_playbook(),
    )
    assert result.total_errors == 6 and result.tagged_errors == 5 and result.untagged_errors == 1
    assert result.tagged_correct == 1 and result.tagged_correct_rows == [5]
    assert result.multi_tagged == 1
    names = [(b.name, b.count) for b in result.buckets]
    assert names == [("Blurry", 3), ("dark", 2), ("edge", 1)]
    blurry = result.buckets[0]
    assert blurry.share == pytest.approx(3 / 5)
    # hand-picked tags (5 of 6 errors, not a random sample): no interval, and the ceiling
    # counts the bucket's tagged errors only: (4 correct + 3) / 10
    assert result.ceiling_kind == "tagged-only"
    assert blurry.share_ci is None and blurry.ceiling_ci is None
    assert blurry.ceiling == pytest.approx(0.7)
    assert [(p.true, p.pred, p.count) for p in blurry.pairs] == [("cat", "dog", 3)]
    assert blurry.playbook == "blurry" and blurry.experiments
    assert [b.address_first for b in result.buckets] == [True, True, False]


def test_ceiling_is_exact_when_every_error_is_tagged() -> None:
    y_true = codes(["cat", "cat", "dog", "dog"])
    y_pred = codes(["dog", "cat", "cat", "dog"])
    tags = Tags(by_row={0: ["edge"], 2: ["dark"]}, source="test")
    result = analyze_buckets(
        tags,
        true_codes=y_true,
        pred_codes=y_pred,
        labels=LABELS,
        row_numbers=np.arange(1, 5),
        playbook=load_playbook(),
    )
    assert [b.ceiling for b in result.buckets] == [pytest.approx(0.75), pytest.approx(0.75)]


def test_pareto_figure_sorted_bars_and_cumulative_line() -> None:
    y_true = codes(["cat"] * 10)
    y_pred = codes(["dog"] * 10)
    tags = Tags(by_row={i: [["a", "b", "c"][min(i // 4, 2)]] for i in range(10)}, source="t")
    result = analyze_buckets(
        tags,
        true_codes=y_true,
        pred_codes=y_pred,
        labels=LABELS,
        row_numbers=np.arange(1, 11),
        playbook=load_playbook(),
    )
    fig = plot_pareto(result)
    ax, twin = fig.axes
    heights = [p.get_height() for p in ax.patches]
    assert heights == [4, 4, 2]
    line = twin.get_lines()[0]
    assert list(line.get_ydata()) == pytest.approx([0.4, 0.8, 1.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]


def test_split_suggestions_find_classes_missing_or_rare_in_train() -> None:
    splits = pd.Series(["train"] * 100 + ["dev"] * 50)
    true = np.array([0] * 90 + [1] * 10 + [0] * 20 + [1] * 20 + [2] * 10)
    found = {
        (s.kind, s.target) for s in split_suggestions(analyze_splits(splits, true, true, LABELS))
    }
    assert found == {("missing-in-train", "fox"), ("rare-in-train", "dog")}
    no_train = analyze_splits(pd.Series(["a"] * 150), true, true, LABELS)
    assert split_suggestions(no_train) == []


def test_threshold_for_precision_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.3, 1.0, size=200).round(2)
    correct = rng.random(200) < conf
    target = 0.9
    found = threshold_for_precision(conf, correct, target)
    assert found is not None
    threshold, precision, kept = found
    best = None
    for t in sorted(set(conf.tolist())):
        keep = conf >= t
        p = correct[keep].mean()
        if p >= target:
            best = (t, p, int(correct[keep].sum()))
            break
    assert best is not None
    assert threshold == best[0] and precision == pytest.approx(best[1]) and kept == best[2]


def test_threshold_suggestion_text_and_numbers() -> None:
    rng = np.random.default_rng(1)
    n = 600
    true = rng.integers(0, 2, size=n)
    wrong = rng.random(n) < 0.15
    pred = np.where(wrong, 1 - true, true)
    # wrong predictions are the less confident ones: a threshold removes them cheaply
    conf = np.where(wrong, rng.uniform(0.5, 0.7, n), rng.uniform(0.6, 1.0, n))
    result = analyze_classification(true, pred, ["neg", "pos"], confidence=conf)
    suggestions = threshold_suggestions(result, pred, true, conf)
    assert suggestions and {s.kind for s in suggestions} == {"threshold"}
    s = suggestions[0]
    assert s.text.startswith(f"Predict '{s.target}' only at confidence ≥ ")
    assert "precision becomes" in s.evidence and "recall goes from" in s.evidence
    # a threshold that would give up most of the recall is not suggested
    flat = rng.uniform(0.5, 1.0, n)
    assert threshold_suggestions(result, pred, true, flat) == []


def test_confident_errors_suggest_a_label_review() -> None:
    true = np.array([0, 0, 1, 1])
    pred = np.array([1, 0, 0, 1])
    conf = np.array([0.95, 0.99, 0.6, 0.9])
    (s,) = confident_error_suggestions(true, pred, conf)
    assert s.kind == "review-labels" and "1 of 2 errors" in s.evidence
    assert confident_error_suggestions(true, pred, conf * 0.5) == []


def test_report_with_a_bucket_column_and_split(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(12)],
            "y_true": ["ok"] * 6 + ["defect"] * 6,
            "y_pred": [
                "ok",
                "ok",
                "defect",
                "defect",
                "ok",
                "ok",
                "defect",
                "ok",
                "ok",
                "ok",
                "defect",
                "defect",
            ],
            "buckets": ["", "", "Edge", "edge | dark", "", "", "", "blurry", "blurry", "", "", ""],
            "split": ["train"] * 6 + ["dev"] * 6,
        }
    )
    path = tmp_path / "preds.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "r.html"
    # every row, train included: the buckets count the tags of every error
    args = ["build", str(path), "-o", str(out), "--eval-split", "all"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    record = embedded_record(page)
    b = record["buckets"]
    assert b["tagged_errors"] == 4 and b["untagged_errors"] == 1
    # ties keep the order in which buckets were first seen
    assert [(i["name"], i["count"]) for i in b["items"]] == [
        ("Edge", 2),
        ("blurry", 2),
        ("dark", 1),
    ]
    assert record["sections"].index("buckets") < record["sections"].index("experiments")
    assert '<section id="buckets"' in page and '<section id="experiments"' in page
    assert "address first" in page
    kinds = {(s["kind"], s["target"]) for s in record["suggestions"]}
    assert ("missing-in-train", "defect") in kinds
    assert any("largest bucket of tagged errors" in f for f in record["summary"]["findings"])


def test_report_without_tags_explains_how_to_tag(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["a", "b", "a"], "y_pred": ["a", "a", "a"]})
    report = reportgen.build_report(frame)
    assert report.record["buckets"]["items"] == []
    page = report.to_html()
    # no empty buckets section: the hint on how to tag sits in the experiments section
    assert "buckets" not in report.record["sections"] and 'href="#buckets"' not in page
    experiments = page[page.index('<section id="experiments"') :]
    assert "No errors are tagged yet" in experiments and "sample-errors" in experiments


def test_review_sheet_round_trip_through_build(tmp_path: Path) -> None:
    from tests.conftest import DIGITS

    sheet = tmp_path / "review.csv"
    runner = CliRunner()
    result = runner.invoke(main, ["sample-errors", str(DIGITS), "-n", "40", "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    filled = pd.read_csv(sheet, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    causes = ["blurry", "thin stroke", "edge"]
    filled["buckets"] = [causes[i % 3] if i < 30 else "" for i in range(len(filled))]
    # a row that is not in the predictions, and a correct prediction tagged by mistake
    extra = filled.iloc[:1].copy()
    extra["id"], extra["buckets"] = "digit-9999", "dark"
    correct = filled.iloc[:1].copy()
    correct["id"], correct["buckets"] = "digit-0000", "dark"
    pd.concat([filled, extra, correct]).to_csv(sheet, index=False, sep=";", encoding="utf-8-sig")
    out = tmp_path / "r.html"
    result = runner.invoke(main, ["build", str(DIGITS), "-o", str(out), "--tags", str(sheet)])
    assert result.exit_code == 0, result.output
    record = embedded_record(out.read_text(encoding="utf-8"))
    b = record["buckets"]
    assert b["tagged_errors"] == 30
    assert b["untagged_errors"] == record["classification"]["errors"] - 30
    assert b["unmatched_ids"] == 1 and b["unmatched_ids_first"] == ["digit-9999"]
    assert b["tagged_correct"] == 1
    assert [i["count"] for i in b["items"]] == [10, 10, 10]
    # the marker rows disagree now (two hand-added rows), so it is not called a random sample
    assert b["sampling"] is None


def test_untouched_review_sheet_is_a_random_sample(tmp_path: Path) -> None:
    from tests.conftest import DIGITS

    sheet = tmp_path / "review.csv"
    runner = CliRunner()
    assert (
        runner.invoke(main, ["sample-errors", str(DIGITS), "-n", "20", "-o", str(sheet)]).exit_code
        == 0
    )
    filled = pd.read_csv(sheet, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    filled["buckets"] = ["blurry"] * 15 + [""] * 5
    filled.to_csv(sheet, index=False, encoding="utf-8-sig")
    report = reportgen.build_report(DIGITS, tags=sheet)
    sampling = report.record["buckets"]["sampling"]
    assert sampling is not None and sampling.startswith("15 of the 20 errors drawn at random")
    assert "random sample" in report.to_html()
