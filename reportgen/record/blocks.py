"""Assemble the record (schema reportgen/1): the plain-data truth that the page shows and embeds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, cast

from reportgen.analysis import classification
from reportgen.analysis.buckets import BucketResult
from reportgen.analysis.calibration import CalibrationResult
from reportgen.analysis.classification import (
    SMALL_SUPPORT,
    ClassificationResult,
    ClassMetrics,
    kept_classes,
)
from reportgen.analysis.evaluation import Evaluation
from reportgen.analysis.evolution import EvolutionResult
from reportgen.analysis.regression import DENSITY_ABOVE, RegressionResult
from reportgen.analysis.splits import SplitResult, kept_split_classes
from reportgen.analysis.suggestions import Suggestion
from reportgen.analysis.thresholds import ThresholdResult
from reportgen.deliver.archive import require_finite
from reportgen.record.classification_types import (
    Averages,
    BucketsBlock,
    ClassificationBlock,
    ClassRow,
    ConfidenceSummary,
    EvolutionBlock,
    ManyClasses,
    SplitsBlock,
    SuggestionBlock,
    TopConfusion,
)
from reportgen.record.probability_types import CalibrationBlock, ThresholdsBlock
from reportgen.record.regression_types import RegressionBlock, TrendBin, TrendMaeBlock
from reportgen.record.types import EvaluationBlock, EvaluationFacts, IntervalBlock

SCHEMA = "reportgen/1"


def interval(ci: tuple[float, float] | None) -> list[float] | None:
    """An interval as the record writes it: [low, high], or None."""
    return None if ci is None else [ci[0], ci[1]]


def _class_row(m: ClassMetrics) -> ClassRow:
    return {
        "label": m.label,
        "precision": m.precision,
        "recall": m.recall,
        "f1": m.f1,
        "support": m.support,
        "predicted": m.predicted,
        "false_positives": m.false_positives,
        "false_negatives": m.false_negatives,
        "precision_ci": interval(m.precision_ci),
        "recall_ci": interval(m.recall_ci),
        "small_support": m.small_support,
    }


def _confidence(result: ClassificationResult) -> ConfidenceSummary | None:
    """The mean confidence of right and wrong predictions (None without a confidence)."""
    summary = result.confidence
    return None if summary is None else cast(ConfidenceSummary, asdict(summary))


def classification_block(result: ClassificationResult, label_kind: str) -> ClassificationBlock:
    """Describe a ClassificationResult as plain JSON data.

    With more than MANY_CLASSES classes, `labels`, `confusion_matrix` and `per_class` keep only
    the classes involved in the most errors (and the weakest class), and `classes` says so; the
    accuracy, the averages and the top confusions still count every class.
    """
    if result.confusion_matrix is not None:
        labels, matrix, rows = list(result.labels), result.confusion_matrix, result.per_class
        classes: ManyClasses | None = None
    else:
        kept = kept_classes(result)
        labels = [result.labels[i] for i in kept]
        matrix = result.counts.dense(kept)
        rows = [result.per_class[i] for i in kept]
        never_true = [m.label for m in result.per_class if m.support == 0]
        classes = {
            "total": len(result.labels),
            "kept": len(kept),
            "kept_by": "involved in the most errors, and the weakest class",
            "never_true": len(never_true),
            "never_true_first": never_true[:5],
            "small_support": sum(m.small_support and m.support > 0 for m in result.per_class),
        }
    block: ClassificationBlock = {
        "labels": labels,
        "label_order": label_kind,
        "confusion_matrix": matrix.tolist(),
        "n": result.n,
        "errors": result.errors,
        "accuracy": result.accuracy,
        "accuracy_ci": interval(result.accuracy_ci),
        "per_class": [_class_row(m) for m in rows],
        "small_support_below": SMALL_SUPPORT,
        "macro_avg": cast(Averages, asdict(result.macro_avg)),
        "weighted_avg": cast(Averages, asdict(result.weighted_avg)),
        "top_confusions": [cast(TopConfusion, asdict(c)) for c in result.top_confusions],
        "confusion_pairs": result.confusion_pairs,
        "confidence": _confidence(result),
    }
    if classes is not None:
        block["classes"] = classes
    return block


def regression_block(result: RegressionResult) -> RegressionBlock:
    """Describe a RegressionResult as plain JSON data."""
    return {
        "n": result.n,
        "residual": "y_true - y_pred",
        "mae": result.mae,
        "rmse": result.rmse,
        "r2": result.r2,
        "median_ae": result.median_ae,
        "max_error": result.max_error,
        "mean_residual": result.mean_residual,
        "residual_std": result.residual_std,
        "mape": result.mape,
        "mape_note": result.mape_note,
        "intervals": {k: cast(IntervalBlock, asdict(v)) for k, v in result.intervals.items()},
        "trend": [cast(TrendBin, asdict(t)) for t in result.trend],
        "trend_mae": (
            None if result.trend_mae is None else cast(TrendMaeBlock, asdict(result.trend_mae))
        ),
        "histogram": {
            "edges": result.histogram_edges,
            "counts": result.histogram_counts,
            "below": result.histogram_below,
            "above": result.histogram_above,
        },
        "qq": {"theoretical": result.qq_theoretical, "sample": result.qq_sample},
        "density": result.density,
        "density_above": DENSITY_ABOVE,
    }


def dumps(record: Mapping[str, Any]) -> str:
    """Serialise the record the same way every time (the --json file and the embedded copy)."""
    require_finite(record)  # a message naming the number, not json's ValueError
    return json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def buckets_block(result: BucketResult | None, *, how_to_tag: str) -> BucketsBlock:
    """Describe the error buckets as plain JSON data (an empty block when nothing is tagged)."""
    if result is None:
        return {
            "source": None,
            "total_errors": None,
            "tagged_errors": 0,
            "untagged_errors": None,
            "ceiling_kind": None,
            "items": [],
            "how_to_tag": how_to_tag,
        }
    return {
        "source": result.source,
        "total_errors": result.total_errors,
        "tagged_errors": result.tagged_errors,
        "untagged_errors": result.untagged_errors,
        "reviewed_untagged": result.reviewed_untagged,
        "share_base": result.share_base,
        "coverage": result.tagged_errors / result.total_errors if result.total_errors else None,
        "sampling": result.sampling,
        "sampling_mismatch": result.sampling_mismatch,
        "ceiling_kind": result.ceiling_kind,
        "tagged_correct": result.tagged_correct,
        "tagged_correct_rows": result.tagged_correct_rows,
        "unmatched_ids": len(result.unmatched_ids),
        "unmatched_ids_first": result.unmatched_ids[:10],
        "outside_rows": result.outside_rows,
        "multi_tagged": result.multi_tagged,
        "accuracy": result.accuracy,
        "items": [
            {
                "name": b.name,
                "count": b.count,
                "share": b.share,
                "share_ci": interval(b.share_ci),
                "ceiling": b.ceiling,
                "ceiling_ci": interval(b.ceiling_ci),
                "ceiling_gain": b.ceiling - result.accuracy,
                "pairs": [
                    {
                        "true": p.true,
                        "pred": p.pred,
                        "count": p.count,
                        "share": p.count / b.count if b.count else 0.0,
                    }
                    for p in b.pairs
                ],
                "pairs_total": b.pairs_total,
                "address_first": b.address_first,
                "playbook": b.playbook,
                "experiments": b.experiments,
                "why": b.why,
            }
            for b in result.buckets
        ],
        "how_to_tag": how_to_tag,
    }


def suggestions_block(suggestions: list[Suggestion]) -> list[SuggestionBlock]:
    """Describe the data-derived suggestions as plain JSON data."""
    return [cast(SuggestionBlock, asdict(s)) for s in suggestions]


def splits_block(result: SplitResult | None) -> SplitsBlock | None:
    """Describe the split check as plain JSON data (counts in label order)."""
    if result is None:
        return None
    keep: list[int] | None = None
    if len(result.labels) > classification.MANY_CLASSES:
        # thousands of classes: the record and the page keep some, and say so
        keep = kept_split_classes(result, classification.KEPT_CLASSES)
    block: SplitsBlock = {
        "labels": list(result.labels) if keep is None else [result.labels[i] for i in keep],
        "order": [s.name for s in result.splits],
        "counts": {
            s.name: list(s.counts) if keep is None else [s.counts[i] for i in keep]
            for s in result.splits
        },
        "metrics": {
            s.name: {
                "n": s.n,
                "accuracy": s.accuracy,
                "accuracy_ci": interval(s.accuracy_ci),
                "macro_f1": s.macro_f1,
            }
            for s in result.splits
        },
        "warnings": list(result.warnings),
        "eval_split": result.eval_split,
        "evaluated": list(result.evaluated),
    }
    if keep is not None:
        block["classes"] = {
            "total": len(result.labels),
            "kept": len(keep),
            "kept_by": "missing from the train split first, then the most rows",
        }
    return block


def calibration_block(result: CalibrationResult | None) -> CalibrationBlock | None:
    """Describe the calibration as plain JSON data (None without probability columns)."""
    return None if result is None else cast(CalibrationBlock, asdict(result))


def thresholds_block(result: ThresholdResult | None) -> ThresholdsBlock | None:
    """Describe the threshold analysis as plain JSON data (None when there is none)."""
    return None if result is None else cast(ThresholdsBlock, asdict(result))


def evolution_block(result: EvolutionResult | None) -> EvolutionBlock | None:
    """Describe the training evolution as plain JSON data (None without a step column)."""
    if result is None:
        return None
    block: EvolutionBlock = {
        "column": result.column,
        "steps": list(result.steps),
        "chosen": list(result.chosen),
        "chosen_by": result.chosen_by,
        "best": result.best,
        "shown_step": result.shown_step,
        "labels": list(result.labels),
        "per_step": [
            {
                "step": m.step,
                "n": m.n,
                "accuracy": m.accuracy,
                "accuracy_ci": interval(m.accuracy_ci),
                "macro_f1": m.macro_f1,
                "recall": list(m.recall),
            }
            for m in result.per_step
        ],
        "confusion_matrices": {step: cm.tolist() for step, cm in result.confusion_matrices.items()},
    }
    return block


def evaluation_block(
    evaluation: Evaluation,
    *,
    split_columns: tuple[str | None, str | None] | None = None,
    names: tuple[str, str] | None = None,
    unit: str = "row",
) -> EvaluationBlock:
    """Describe which rows the report describes, and why, as plain JSON data (with its words).

    A comparison passes each file's split column (`split_columns`) and the two `names`.
    """
    from reportgen.words.common import evaluation_words

    block: EvaluationFacts = {
        "column": evaluation.column,
        "rule": evaluation.rule,
        "requested": evaluation.requested,
        "splits": list(evaluation.splits),
        "rows": evaluation.rows,
        "rows_total": evaluation.total,
        "counts": dict(evaluation.counts),
        "empty_split_cells": evaluation.empty,
    }
    if split_columns is not None:
        block["split_columns"] = list(split_columns)
    words = evaluation_words(block, names=names, unit=unit)
    return {**block, "text": words["text"], "note": words["note"]}
