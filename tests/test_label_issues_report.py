"""Suspected label errors in the report (--oof): digits with 10% of labels flipped, out of fold."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_digits
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import StratifiedKFold, cross_val_predict

import reportgen
from reportgen.analysis.label_issues import find_label_issues
from reportgen.cli import main
from reportgen.record.classification_types import ClassificationRecord
from tests.test_record_types import problems

CLASSES = [str(k) for k in range(10)]


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A prediction CSV of 5-fold out-of-fold probabilities, and the rows whose label flipped.

    179 of 1,797 labels (10%) each flipped to another digit (numpy default_rng(0)), as in
    tests/test_label_issues_digits.py; a shrunk linear discriminant fits in a blink.
    """
    pixels, truth = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    flipped = np.sort(rng.choice(len(truth), size=len(truth) // 10, replace=False))
    labels = truth.copy()
    labels[flipped] = (truth[flipped] + rng.integers(1, 10, len(flipped))) % 10
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    model = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=0.1)
    probs = cross_val_predict(model, pixels / 16, labels, cv=folds, method="predict_proba")
    frame = pd.DataFrame(
        {"id": [f"d{i}" for i in range(len(labels))], "y_true": labels, "y_pred": probs.argmax(1)}
    )
    for k in range(10):
        frame[f"proba_{k}"] = probs[:, k]
    path = tmp_path_factory.mktemp("oof") / "digits.csv"
    frame.to_csv(path, index=False)
    return path, flipped


@pytest.fixture(scope="module")
def built(digits: tuple[Path, np.ndarray]) -> reportgen.Report[Any]:
    return reportgen.build_report(digits[0], oof=True, max_samples=1000)


@pytest.fixture(scope="module")
def in_sample_said(digits: tuple[Path, np.ndarray]) -> reportgen.Report[Any]:
    return reportgen.build_report(digits[0], max_samples=5)


def test_the_flagged_rows_are_find_label_issues_on_the_same_columns(
    digits: tuple[Path, np.ndarray], built: reportgen.Report[Any]
) -> None:
    frame = pd.read_csv(digits[0])
    probs = frame[[f"proba_{k}" for k in range(10)]].to_numpy()
    expected = find_label_issues(frame["y_true"].to_numpy(), probs)
    block = built.record["label_issues"]
    rows = block["samples"]["rows"]
    # every flagged row is shown (max_samples 1000), in find_label_issues' ranking
    assert block["flagged"] == len(expected.ranked) == block["samples"]["total"] == len(rows)
    assert [r["row"] for r in rows] == (expected.ranked + 1).tolist()  # rows count from 1
    assert [r["id"] for r in rows] == [f"d{i}" for i in expected.ranked]
    assert [r["true"] for r in rows] == [
        str(v) for v in frame["y_true"].to_numpy()[expected.ranked]
    ]
    assert [r["suggested"] for r in rows] == [str(v) for v in probs[expected.ranked].argmax(1)]
    np.testing.assert_allclose(
        [r["self_confidence"] for r in rows], expected.self_confidence[expected.ranked], rtol=1e-12
    )
    assert sum(p["count"] for p in block["pairs"]) == block["flagged"]
    wrong = (frame["y_pred"] != frame["y_true"]).to_numpy()[expected.ranked]
    assert block["flagged_errors"] == int(wrong.sum())
    # out of fold, most of the flipped labels are found, and most flagged rows were flipped
    caught = np.isin(expected.ranked, digits[1]).sum()
    assert caught > 0.8 * len(digits[1]) and caught > 0.8 * len(expected.ranked)
    assert problems(json.loads(built.to_json()), ClassificationRecord) == []


def test_the_page_says_suspected_and_suggests_relabelling(built: reportgen.Report[Any]) -> None:
    record = built.record
    sections = record["sections"]
    assert sections.index("label-issues") == sections.index("misclassified") + 1
    page = built.to_html()
    section = page[page.index('id="label-issues"') :]
    assert "Suspected label errors" in section and "suspected" in section
    assert "cleanlab" in section and "Northcutt" in section
    assert "wrong label" not in page.lower()
    found = [s for s in record["suggestions"] if s["kind"] == "label-issues"]
    assert len(found) == 1 and found[0]["target"] == "label noise"
    assert f"{record['label_issues']['flagged_errors']:,} suspected" in found[0]["text"]
    assert "Review and correct these labels" in found[0]["text"]  # the playbook's experiment
    assert found[0]["text"] in page.replace("&#39;", "'")
    assert record["provenance"]["options"]["oof"] is True
    # with --oof the confident-errors suggestion does not ask for --oof
    assert all("--oof" not in s["evidence"] for s in record["suggestions"])


def test_without_oof_no_section_and_the_suggestion_names_oof(
    in_sample_said: reportgen.Report[Any],
) -> None:
    record = in_sample_said.record
    assert "label_issues" not in record and "label-issues" not in record["sections"]
    assert "oof" not in record["provenance"]["options"]
    assert 'id="label-issues"' not in in_sample_said.to_html()
    review = [s for s in record["suggestions"] if s["kind"] == "review-labels"]
    assert len(review) == 1 and "--oof" in review[0]["evidence"]
    assert "0 of the 179 flipped labels" in review[0]["evidence"]
    assert "156 of 179" in review[0]["evidence"]
    assert not any(s["kind"] == "label-issues" for s in record["suggestions"])


def test_the_shown_rows_are_the_likeliest_and_the_build_is_deterministic(
    digits: tuple[Path, np.ndarray], built: reportgen.Report[Any]
) -> None:
    few = reportgen.build_report(digits[0], oof=True, max_samples=7)
    again = reportgen.build_report(digits[0], oof=True, max_samples=7)
    assert few.to_json() == again.to_json() and few.to_html() == again.to_html()
    rows = few.record["label_issues"]["samples"]["rows"]
    assert rows == built.record["label_issues"]["samples"]["rows"][:7]
    assert few.record["label_issues"]["samples"]["shown"] == 7
    html = few.to_html()
    assert re.search(r"Showing the 7 likeliest", html)


def _cli(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_exit_codes(digits: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = _cli("build", digits[0], "--oof", "-n", "3", "-o", out, "--json", tmp_path / "r.json")
    assert done.exit_code == 0, done.output
    assert json.loads((tmp_path / "r.json").read_text())["label_issues"]["samples"]["shown"] == 3
    frame = pd.read_csv(digits[0]).head(300)
    bare = tmp_path / "bare.csv"
    frame[["id", "y_true", "y_pred"]].to_csv(bare, index=False)
    refused = _cli("build", bare, "--oof", "-o", out)
    assert refused.exit_code == 2
    assert "bare.csv" in refused.output and "--oof" in refused.output
    assert "probability columns" in refused.output
    partial = tmp_path / "partial.csv"
    frame.drop(columns=["proba_7"]).to_csv(partial, index=False)
    refused = _cli("build", partial, "--oof", "-o", out)
    assert refused.exit_code == 2
    assert "partial.csv" in refused.output and "'7'" in refused.output
    # a regression file refuses it like the other classification-only options
    numbers = tmp_path / "numbers.csv"
    pd.DataFrame({"y_true": np.linspace(0, 9, 50), "y_pred": np.linspace(0.5, 9.5, 50)}).to_csv(
        numbers, index=False
    )
    refused = _cli("build", numbers, "--oof", "-o", out)
    assert refused.exit_code == 2 and "--oof" in refused.output


def test_a_config_key_says_oof(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("reportgen.toml").write_text("[build]\noof = true\n", encoding="utf-8")
    assert reportgen.load_config().options == {"oof": True}
