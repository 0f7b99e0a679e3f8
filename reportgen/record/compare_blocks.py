"""The comparison record's blocks: analysis results of two models written as plain JSON data."""

from __future__ import annotations

from dataclasses import asdict
from typing import cast

from reportgen.analysis.buckets import BucketResult
from reportgen.analysis.chance import ALPHA
from reportgen.analysis.classification import SMALL_SUPPORT
from reportgen.analysis.compare import (
    BucketChange,
    ClassDelta,
    ClassificationComparison,
    Delta,
    RegressionComparison,
    RegressionDelta,
)
from reportgen.analysis.compare_join import Joined
from reportgen.analysis.compare_rows import PairedRow, PairedTable
from reportgen.analysis.compare_slices import SliceComparison
from reportgen.analysis.compare_stats import PairedTest
from reportgen.analysis.slices import MIN_TESTED_ROWS
from reportgen.read.table import PredictionTable
from reportgen.record.blocks import classification_block, regression_block
from reportgen.record.compare_types import (
    BucketsBlock,
    BucketsSide,
    ClassificationComparisonBlock,
    ClassMetrics,
    ClassRow,
    ClassSide,
    ComparisonSlicesBlock,
    DeltaBlock,
    IntervalBlock,
    JoinBlock,
    McNemarBlock,
    PairedBlock,
    PairedRowBlock,
    PairedTestBlock,
    RegressionComparisonBlock,
    RegressionDeltaBlock,
    SignTestBlock,
)
from reportgen.record.samples import RowExtras
from reportgen.record.types import InputBlock

MCNEMAR_TEXT = (
    "McNemar's test on the rows only one model gets right: two-sided exact binomial "
    "test of fixed against broken with p = 1/2; the mid-p subtracts the probability of "
    "the observed split once"
)
SIGN_TEST_TEXT = (
    "two-sided exact sign test of rows whose absolute error shrank against rows "
    "whose absolute error grew (ties left out)"
)


def _delta_block(d: Delta) -> DeltaBlock:
    """A metric of both models and its change, the interval as [low, high]."""
    return {"a": d.a, "b": d.b, "delta": d.delta, "ci": None if d.ci is None else list(d.ci)}


def _regression_delta_block(d: RegressionDelta) -> RegressionDeltaBlock:
    """A regression metric of both models and its change, the interval with its method."""
    ci: IntervalBlock | None = None
    if d.ci is not None:
        ci = {"low": d.ci.low, "high": d.ci.high, "method": d.ci.method}
    return {"a": d.a, "b": d.b, "delta": d.delta, "ci": ci}


def _buckets_side(result: BucketResult | None, outside: int) -> BucketsSide | None:
    """One model's tagged errors (None without tags)."""
    if result is None:
        return None
    return {
        "source": result.source,
        "total_errors": result.total_errors,
        "tagged_errors": result.tagged_errors,
        "untagged_errors": result.untagged_errors,
        "tagged_correct": result.tagged_correct,
        "tagged_outside": outside,
    }


def buckets_block(
    a: BucketResult | None,
    b: BucketResult | None,
    changes: list[BucketChange],
    *,
    shared: bool,
    outside: tuple[int, int] = (0, 0),
) -> BucketsBlock | None:
    """Describe the bucket counts of both sides (None when neither side has tags).

    `outside` counts each side's tagged rows that the comparison leaves out (rows outside the
    evaluated splits): they are not counted anywhere else.
    """
    if a is None and b is None:
        return None
    return {
        "a": _buckets_side(a, outside[0]),
        "b": _buckets_side(b, outside[1]),
        "shared_sheet": shared,
        "items": [
            {
                "name": ch.name,
                "a": ch.a,
                "b": ch.b,
                "change": None if ch.a is None or ch.b is None else ch.b - ch.a,
            }
            for ch in changes
        ],
    }


def _class_row(row: ClassDelta, predicted_a: int, predicted_b: int) -> ClassRow:
    """One class in both models and the change."""
    p, r, f = row.precision, row.recall, row.f1
    side_a: ClassSide = {"precision": p.a, "recall": r.a, "f1": f.a, "predicted": predicted_a}
    side_b: ClassSide = {"precision": p.b, "recall": r.b, "f1": f.b, "predicted": predicted_b}
    delta: ClassMetrics = {"precision": p.delta, "recall": r.delta, "f1": f.delta}
    return {
        "label": row.label,
        "support": row.support,
        "small_support": row.small_support,
        "a": side_a,
        "b": side_b,
        "delta": delta,
        "f1_delta_ci": None if f.ci is None else list(f.ci),
    }


def _p_values(test: PairedTest, text: str) -> PairedTestBlock:
    """A paired test's exact and mid p-values, and what the test is."""
    return {"exact_p": test.exact_p, "mid_p": test.mid_p, "words_use": "exact_p", "test": text}


def _mcnemar_block(test: PairedTest) -> McNemarBlock:
    """McNemar's exact test of fixed against broken rows."""
    return {"fixed": test.b, "broken": test.c, **_p_values(test, MCNEMAR_TEXT)}


def _sign_test_block(test: PairedTest) -> SignTestBlock:
    """The exact sign test of rows closer against rows further off."""
    return {"shrank": test.b, "grew": test.c, **_p_values(test, SIGN_TEST_TEXT)}


def _share(part: int, n: int) -> float:
    """part / n, 0 for no rows."""
    return part / n if n else 0.0


def comparison_block(
    comp: ClassificationComparison,
    joined: Joined,
    names: tuple[str, str],
    buckets: BucketsBlock | None,
) -> ClassificationComparisonBlock:
    """Describe a classifier comparison as plain JSON data."""
    return {
        "task": "classification",
        "names": list(names),
        "n": comp.n,
        "join": join_block(joined),
        "fixed": comp.fixed,
        "broken": comp.broken,
        "mcnemar_p": comp.test.exact_p,
        "mcnemar": _mcnemar_block(comp.test),
        "both_correct": comp.both_correct,
        "both_wrong": comp.both_wrong,
        "both_wrong_same": comp.both_wrong_same,
        "both_wrong_different": comp.both_wrong_different,
        "shares": {
            "both_correct": _share(comp.both_correct, comp.n),
            "fixed": _share(comp.fixed, comp.n),
            "broken": _share(comp.broken, comp.n),
            "both_wrong_same": _share(comp.both_wrong_same, comp.n),
            "both_wrong_different": _share(comp.both_wrong_different, comp.n),
        },
        "labels": list(joined.labels),
        "label_order": joined.label_kind,
        "deltas": {
            "accuracy": _delta_block(comp.accuracy),
            "macro_f1": _delta_block(comp.macro_f1),
            "weighted_f1": _delta_block(comp.weighted_f1),
            "errors": {
                "a": comp.a.errors,
                "b": comp.b.errors,
                "delta": comp.b.errors - comp.a.errors,
            },
        },
        "intervals": {
            "level": 0.95,
            "method": (
                f"paired bootstrap: {comp.resamples:,} resamples of the rows (both models' "
                f"predictions kept together), percentile intervals, seed {comp.seed}"
            ),
            "resamples": comp.resamples,
            "seed": comp.seed,
        },
        "per_class": [
            _class_row(row, ma.predicted, mb.predicted)
            for row, ma, mb in zip(comp.per_class, comp.a.per_class, comp.b.per_class, strict=True)
        ],
        "small_support_below": SMALL_SUPPORT,
        "confusion_difference": comp.confusion_difference.tolist(),
        "a": classification_block(comp.a, joined.label_kind),
        "b": classification_block(comp.b, joined.label_kind),
        "buckets": buckets,
    }


def join_block(joined: Joined) -> JoinBlock:
    """Say how the rows of the two files were matched."""
    return {
        "method": joined.method,
        "id_columns": [joined.a.columns.id, joined.b.columns.id],
        "rows": joined.matched,  # every row the files share; `n` counts the compared ones
    }


def regression_comparison_block(
    comp: RegressionComparison, joined: Joined, names: tuple[str, str]
) -> RegressionComparisonBlock:
    """Describe a regression comparison as plain JSON data."""
    return {
        "task": "regression",
        "names": list(names),
        "n": comp.n,
        "join": join_block(joined),
        "fixed": None,
        "broken": None,
        "mcnemar_p": None,
        "residual": "y_true - y_pred",
        "deltas": {
            "mae": _regression_delta_block(comp.mae),
            "rmse": _regression_delta_block(comp.rmse),
            "r2": _regression_delta_block(comp.r2),
            "mean_residual": _regression_delta_block(comp.mean_residual),
            "median_ae": _regression_delta_block(comp.median_ae),
            "max_error": _regression_delta_block(comp.max_error),
        },
        "changes": {
            "shrank": comp.shrank,
            "grew": comp.grew,
            "unchanged": comp.unchanged,
            "share_shrank": _share(comp.shrank, comp.n),
            "share_grew": _share(comp.grew, comp.n),
            "share_unchanged": _share(comp.unchanged, comp.n),
            "sign_test": _sign_test_block(comp.test),
        },
        "a": regression_block(comp.a),
        "b": regression_block(comp.b),
    }


def input_block(table: PredictionTable, name: str, role: str) -> InputBlock:
    """One compared file's identity, as provenance.inputs lists it."""
    s = table.source
    return {
        "role": role,
        "name": name,
        "path": s.path,
        "format": s.format,
        "size": s.size,
        "sha256": s.sha256,
        "rows": table.n,
        "rows_read": table.rows_read,
        "rows_dropped": table.rows_dropped,
        "columns": table.columns.as_record(),
    }


REGRESSION_ONLY = ("residual_a", "residual_b", "change")
CLASSIFICATION_ONLY = ("confidence_a", "confidence_b")


def _paired_row(row: PairedRow, drop: tuple[str, ...], extras: RowExtras | None) -> PairedRowBlock:
    """One row: its fields as PairedRow declares them, less the other task's; tags, image."""
    block = cast(PairedRowBlock, {k: v for k, v in asdict(row).items() if k not in drop})
    if extras is not None and extras.tags is not None:
        block["tags"] = extras.tags(row.row)
    if extras is not None and extras.images is not None:
        block["image"] = extras.image(row.sample)
    return block


def paired_block(table: PairedTable, extras: RowExtras | None = None) -> PairedBlock:
    """Describe paired rows as plain JSON data, with the fields of their task only."""
    regression = any(r.change is not None for r in table.rows)
    drop = CLASSIFICATION_ONLY if regression else REGRESSION_ONLY
    return {
        "total": table.total,
        "shown": len(table.rows),
        "seed": table.seed,
        "sample_column": table.sample_column,
        "columns": list(table.extra_columns),
        "rows": [_paired_row(r, drop, extras) for r in table.rows],
    }


SLICE_TESTS = {
    "error_rate": "McNemar's exact test in each slice: fixed against broken rows, as for the "
    "whole set",
    "mae": "exact sign test in each slice: rows closer against rows further off (ties left "
    "out), as for the whole set",
}


def slices_block(found: SliceComparison, *, measure: str) -> ComparisonSlicesBlock:
    """Describe the per-slice changes as plain JSON data, worst change first."""
    assert measure in ("error_rate", "mae")
    return {
        "measure": "error_rate" if measure == "error_rate" else "mae",
        "test": SLICE_TESTS[measure],
        "adjustment": "Holm's step-down over every slice tested",
        "alpha": ALPHA,
        "min_tested_rows": MIN_TESTED_ROWS,
        "tested": found.tested,
        "significant": len(found.significant),
        "columns": [
            {"column": c.column, "kind": c.kind, "values": c.values, "other": c.other}
            for c in found.columns
        ],
        "items": [
            {
                "column": s.column,
                "value": s.value,
                "name": s.name,
                "n": s.n,
                "a": s.a,
                "b": s.b,
                "change": s.change,
                "better": s.better,
                "worse": s.worse,
                "p_value": s.p_value,
                "p_adjusted": s.p_adjusted,
                "significant": s.significant,
            }
            for s in found.items
        ],
    }
