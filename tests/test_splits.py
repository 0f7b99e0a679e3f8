"""Split checks and --eval-split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import accuracy_score, f1_score

from reportgen.analysis.splits import analyze_splits, split_order
from reportgen.cli import main
from tests.conftest import embedded_record


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 900
    split = rng.choice(["test", "train", "dev"], size=n, p=[0.2, 0.6, 0.2])
    y = rng.choice(["ok", "fin", "tube"], size=n)
    y = np.where((split != "train") & (rng.random(n) < 0.1), "severe", y)
    y = np.where((split == "train") & (y == "tube") & (rng.random(n) < 0.85), "ok", y)
    pred = np.where(rng.random(n) < 0.8, y, "ok")
    return pd.DataFrame(
        {"id": [f"i{k}" for k in range(n)], "y_true": y, "y_pred": pred, "split": split}
    )


def test_split_order_puts_train_first() -> None:
    assert split_order(["test", "zeta", "dev", "train", "alpha"]) == [
        "train",
        "dev",
        "test",
        "alpha",
        "zeta",
    ]


def test_counts_metrics_and_warnings_per_split() -> None:
    df = frame()
    labels = sorted(set(df.y_true) | set(df.y_pred))
    codes = {label: i for i, label in enumerate(labels)}
    result = analyze_splits(
        df.split, df.y_true.map(codes).to_numpy(), df.y_pred.map(codes).to_numpy(), labels
    )
    assert [s.name for s in result.splits] == ["train", "dev", "test"]
    for s in result.splits:
        part = df[df.split == s.name]
        assert s.n == len(part)
        assert s.counts == [int((part.y_true == label).sum()) for label in labels]
        assert s.accuracy == pytest.approx(accuracy_score(part.y_true, part.y_pred))
        assert s.macro_f1 == pytest.approx(
            f1_score(part.y_true, part.y_pred, average="macro", zero_division=0)
        )
    text = " ".join(result.warnings)
    assert "'severe' never occurs in 'train'" in text
    assert "'tube' is far rarer in 'train'" in text


def test_eval_split_restricts_the_report_but_not_the_check(tmp_path: Path) -> None:
    df = frame()
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["build", str(path), "-o", str(out), "--eval-split", "dev"])
    assert result.exit_code == 0, result.output
    record = embedded_record(out.read_text(encoding="utf-8"))
    dev = df[df.split == "dev"]
    assert record["classification"]["n"] == len(dev)
    assert record["classification"]["accuracy"] == pytest.approx(
        accuracy_score(dev.y_true, dev.y_pred)
    )
    assert record["classification"]["labels"] == sorted(set(dev.y_true) | set(dev.y_pred))
    assert set(record["splits"]["counts"]) == {"train", "dev", "test"}
    assert record["splits"]["eval_split"] == "dev"
    assert "splits" in record["sections"]


def test_eval_split_errors(tmp_path: Path) -> None:
    df = frame()
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    runner = CliRunner()
    result = runner.invoke(
        main, ["build", str(path), "-o", str(tmp_path / "r.html"), "--eval-split", "val"]
    )
    assert result.exit_code == 2
    assert "p.csv: --eval-split val: no row of split column 'split' has the value 'val'" in (
        result.output
    )
    assert "'dev' (164 rows)" in result.output
    df.drop(columns="split").to_csv(path, index=False)
    result = runner.invoke(
        main, ["build", str(path), "-o", str(tmp_path / "r.html"), "--eval-split", "dev"]
    )
    assert result.exit_code == 2 and "no split column" in result.output
    assert not (tmp_path / "r.html").exists()
