"""The comparison on the record pattern: build_record returns the complete record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.compare_join import evaluated_rows, join_tables
from reportgen.analysis.evaluation import Evaluation
from reportgen.api import compare_reports
from reportgen.api.common import gate_check, load_options
from reportgen.read.load import load_predictions
from reportgen.record import compare
from reportgen.record.common import Context, Meta
from reportgen.record.frozen import thaw

NAMES = ("old", "new")


def _frames(n: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two classifiers on the same ids, with a tag column on the baseline's rows."""
    rng = np.random.default_rng(4)
    labels = np.array(["a", "b", "c"])
    y_true = labels[rng.integers(0, 3, n)]
    pred_a = np.where(rng.random(n) < 0.7, y_true, labels[rng.integers(0, 3, n)])
    pred_b = np.where(rng.random(n) < 0.85, y_true, labels[rng.integers(0, 3, n)])
    ids = [f"r{i:04d}" for i in range(n)]
    tags = np.where(pred_a != y_true, "blurry; dark", "")
    a = pd.DataFrame({"id": ids, "y_true": y_true, "y_pred": pred_a, "buckets": tags})
    b = pd.DataFrame({"id": ids, "y_true": y_true, "y_pred": pred_b})
    return a, b


def _direct(a: pd.DataFrame, b: pd.DataFrame, context: Any) -> dict[str, Any]:
    """Build the record with analyse and build_record alone, as compare_reports would."""
    options = load_options({}, split_optional=True)
    joined = join_tables(load_predictions(a, options), load_predictions(b, options), names=NAMES)
    joined, evaluation, splits = evaluated_rows(joined, names=NAMES, requested=None, named=None)
    settings = compare.CompareOptions(names=NAMES, max_samples=5)
    analysis = compare.analyse_classification(joined, settings, splits.columns)
    meta = Meta(title="t", model=NAMES[1], created="2026-01-01T00:00:00Z", options={})
    return dict(compare.build_record(analysis, meta, context(evaluation)))


def test_build_record_is_the_record_the_report_keeps() -> None:
    """Gates, provenance and tags come out of build_record: the Report only adds its budget."""
    a, b = _frames()

    def context(evaluation: Evaluation) -> Context:
        return Context(
            evaluation=evaluation,
            gates=gate_check({"accuracy": 0.99}, None, None, (), None),
        )

    built = _direct(a, b, context)
    report = compare_reports(
        a,
        b,
        name_a="old",
        name_b="new",
        max_samples=5,
        title="t",
        created="2026-01-01",
        fail_under={"accuracy": 0.99},
    )
    kept = thaw(report.record)
    kept.pop("budget")
    for seal in ("page_sha256", "fingerprint"):
        kept["provenance"].pop(seal)
    built["provenance"]["options"] = kept["provenance"]["options"]  # the entry point's own
    assert built == kept
    assert built["gates"]["passed"] is False
    assert [i["role"] for i in built["provenance"]["inputs"]] == ["baseline", "candidate"]
    # each shown row's tags: the baseline's buckets cell, every cause once
    fixed = built["samples"]["fixed"]["rows"]
    assert fixed and all(r["tags"] == ["blurry", "dark"] for r in fixed)


def test_no_gates_no_gates_block(tmp_path: Path) -> None:
    """Without gates the record has none, and the other inputs name the tag sheet once."""
    a, b = _frames()
    sheet = tmp_path / "sheet.csv"
    pd.DataFrame({"id": ["r0000"], "buckets": ["blurry"]}).to_csv(sheet, index=False)
    report = compare_reports(a.drop(columns="buckets"), b, tags=sheet, max_samples=5)
    assert "gates" not in report.record
    others = report.record["provenance"]["other_inputs"]
    assert [o["role"] for o in others] == ["Tag sheet (both)"]
