"""Assemble the record (schema reportgen/1): the plain-data truth that the page shows and embeds."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from reportgen import __version__
from reportgen.analysis import classification
from reportgen.analysis.buckets import BucketResult
from reportgen.analysis.calibration import CalibrationResult
from reportgen.analysis.chance import ALPHA
from reportgen.analysis.classification import (
    SMALL_SUPPORT,
    ClassificationResult,
    ClassMetrics,
    kept_classes,
)
from reportgen.analysis.error_tree import ErrorTree
from reportgen.analysis.evaluation import Evaluation
from reportgen.analysis.evolution import EvolutionResult
from reportgen.analysis.families import RegressionFamily
from reportgen.analysis.regression import DENSITY_ABOVE, RegressionResult
from reportgen.analysis.samples import SampleTable
from reportgen.analysis.slices import (
    MIN_RANKED_SUPPORT,
    MIN_TESTED_ROWS,
    ErrorGroup,
    SliceResult,
)
from reportgen.analysis.splits import SplitResult, kept_split_classes
from reportgen.analysis.suggestions import Suggestion
from reportgen.analysis.thresholds import ThresholdResult
from reportgen.deliver.archive import library_versions, require_finite
from reportgen.read.table import PredictionTable

SCHEMA = "reportgen/1"


def _interval(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


def _class_row(m: ClassMetrics) -> dict[str, Any]:
    return {
        "label": m.label,
        "precision": m.precision,
        "recall": m.recall,
        "f1": m.f1,
        "support": m.support,
        "predicted": m.predicted,
        "false_positives": m.false_positives,
        "false_negatives": m.false_negatives,
        "precision_ci": _interval(m.precision_ci),
        "recall_ci": _interval(m.recall_ci),
        "small_support": m.small_support,
    }


def classification_block(result: ClassificationResult, label_kind: str) -> dict[str, Any]:
    """Describe a ClassificationResult as plain JSON data.

    With more than MANY_CLASSES classes, `labels`, `confusion_matrix` and `per_class` keep only
    the classes involved in the most errors (and the weakest class), and `classes` says so; the
    accuracy, the averages and the top confusions still count every class.
    """
    if result.confusion_matrix is not None:
        labels, matrix, rows = list(result.labels), result.confusion_matrix, result.per_class
        classes = None
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
    block = {
        "labels": labels,
        "label_order": label_kind,
        "confusion_matrix": matrix.tolist(),
        "n": result.n,
        "errors": result.errors,
        "accuracy": result.accuracy,
        "accuracy_ci": _interval(result.accuracy_ci),
        "per_class": [_class_row(m) for m in rows],
        "small_support_below": SMALL_SUPPORT,
        "macro_avg": asdict(result.macro_avg),
        "weighted_avg": asdict(result.weighted_avg),
        "top_confusions": [asdict(c) for c in result.top_confusions],
        "confusion_pairs": result.confusion_pairs,
        "confidence": None if result.confidence is None else asdict(result.confidence),
    }
    if classes is not None:
        block["classes"] = classes
    return block


def samples_block(samples: SampleTable) -> dict[str, Any]:
    """Describe a sample table as plain JSON data."""
    return {
        "total": samples.total,
        "shown": samples.shown,
        "seed": samples.seed,
        "sample_column": samples.sample_column,
        "columns": list(samples.extra_columns),
        "rows": [asdict(r) for r in samples.rows],
    }


def base_record(
    table: PredictionTable,
    *,
    title: str,
    model: str | None,
    created: str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Start a record with what every report kind has: names and provenance."""
    source = table.source
    return {
        "schema": SCHEMA,
        "task": table.task,
        "title": title,
        "model": model,
        "provenance": {
            "generator": f"reportgen {__version__}",
            "libraries": library_versions(),
            "input": {
                "path": source.path,
                "format": source.format,
                "size": source.size,
                "sha256": source.sha256,
                "rows": table.n,
                "rows_read": table.rows_read,
                "rows_dropped": table.rows_dropped,
            },
            "created": created,
            "options": options,
            "columns": table.columns.as_record(),
            "config": None,
        },
        "summary": {"headline": [], "findings": []},
    }


def regression_block(result: RegressionResult) -> dict[str, Any]:
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
        "intervals": {k: asdict(v) for k, v in result.intervals.items()},
        "trend": [asdict(t) for t in result.trend],
        "trend_mae": None if result.trend_mae is None else asdict(result.trend_mae),
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


def residual_slices_block(family: RegressionFamily) -> dict[str, Any]:
    """Describe residual statistics per metadata group, and the report's tests, as plain data."""
    slices = family.slices
    items: list[dict[str, Any]] = [
        {
            "column": s.column,
            "value": g.value,
            "n": g.n,
            "mean_residual": g.mean_residual,
            "rest_mean_residual": g.rest_mean_residual,
            "mae": g.mae,
            "p_value": g.p_value,
            "p_adjusted": g.p_adjusted,
        }
        for s in slices
        for g in s.groups
    ]
    items.sort(key=lambda item: -abs(item["mean_residual"]))
    parts = [
        plural_of(family.groups, "group"),
        plural_of(family.bins, "prediction bin"),
        plural_of(family.trends, "trend in the error size", "trends in the error size"),
    ]
    return {
        "residual": "y_true - y_pred",
        "test": (
            "each group's and each prediction bin's mean residual is compared with the other "
            "rows' (Welch's t-test), and the highest prediction bin's absolute errors with the "
            f"lowest bin's; groups of fewer than {MIN_TESTED_ROWS} rows are not tested. The "
            f"p-values are adjusted for all {family.tested:,} tests ({', '.join(parts)}; Holm's "
            "method), so on data with no such pattern the page names one in at most "
            f"{ALPHA:.0%} of cases"
        ),
        "tested": family.tested,
        "family": {"groups": family.groups, "bins": family.bins, "trends": family.trends},
        "alpha": ALPHA,
        "items": items,
        "columns": [
            {
                "column": s.column,
                "kind": s.kind,
                "values": s.values,
                "other": s.other,
                "groups": [asdict(g) for g in s.groups],
            }
            for s in slices
        ],
    }


def plural_of(n: int, word: str, many: str | None = None) -> str:
    """Say '1 group' or '7 groups'."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def dumps(record: dict[str, Any]) -> str:
    """Serialise the record the same way every time (the --json file and the embedded copy)."""
    require_finite(record)  # a message naming the number, not json's ValueError
    return json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def buckets_block(result: BucketResult | None, *, how_to_tag: str) -> dict[str, Any]:
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
                "share_ci": _interval(b.share_ci),
                "ceiling": b.ceiling,
                "ceiling_ci": _interval(b.ceiling_ci),
                "ceiling_gain": b.ceiling - result.accuracy,
                "pairs": [
                    {**asdict(p), "share": p.count / b.count if b.count else 0.0} for p in b.pairs
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


def suggestions_block(suggestions: list[Suggestion]) -> list[dict[str, Any]]:
    """Describe the data-derived suggestions as plain JSON data."""
    return [asdict(s) for s in suggestions]


def error_slices_block(result: SliceResult | None, tree: ErrorTree | None) -> dict[str, Any]:
    """Describe classification error rates by slice, and the error tree, as plain JSON data."""
    if result is None:
        return {"columns": [], "items": [], "tree": None}

    def group(g: ErrorGroup) -> dict[str, Any]:
        out = asdict(g)
        out["error_rate_ci"] = _interval(g.error_rate_ci)
        return out

    family = result.tested + result.reserved
    tree_block = None
    if tree is not None:
        tree_block = asdict(tree)
        for rule, r in zip(tree_block["rules"], tree.rules, strict=True):
            rule["error_rate_ci"] = _interval(r.error_rate_ci)
    return {
        "overall_error_rate": result.overall_error_rate,
        "test": (
            f"each slice of at least {MIN_RANKED_SUPPORT} rows is tested for more errors than "
            "its share of all errors (Fisher's exact test); the p-values are adjusted for the "
            f"{result.tested:,} slices and the error tree's up to {result.reserved:,} rules "
            f"tried (Holm's method, the slices holding {result.tested:,}/{family:,} of the "
            f"{ALPHA:.0%} budget), so on data where errors do not depend on these columns the "
            f"page names a slice or rule in at most {ALPHA:.0%} of cases"
        ),
        "tested": result.tested,
        "reserved": result.reserved,
        "alpha": ALPHA,
        "pairs_tried": result.pairs_tried,
        "above_overall": result.above_overall,
        "significant": result.significant,
        "items": [group(g) for g in result.worst],
        "columns": [
            {
                "column": s.column,
                "kind": s.kind,
                "values": s.values,
                "other": s.other,
                "groups": [group(g) for g in s.groups],
            }
            for s in result.columns
        ],
        "tree": tree_block,
    }


def splits_block(result: SplitResult | None) -> dict[str, Any] | None:
    """Describe the split check as plain JSON data (counts in label order)."""
    if result is None:
        return None
    keep: list[int] | None = None
    if len(result.labels) > classification.MANY_CLASSES:
        # thousands of classes: the record and the page keep some, and say so
        keep = kept_split_classes(result, classification.KEPT_CLASSES)
    block: dict[str, Any] = {
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
                "accuracy_ci": _interval(s.accuracy_ci),
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


def calibration_block(result: CalibrationResult | None) -> dict[str, Any] | None:
    """Describe the calibration as plain JSON data (None without probability columns)."""
    return None if result is None else asdict(result)


def thresholds_block(result: ThresholdResult | None) -> dict[str, Any] | None:
    """Describe the threshold analysis as plain JSON data (None when there is none)."""
    return None if result is None else asdict(result)


def evolution_block(result: EvolutionResult | None) -> dict[str, Any] | None:
    """Describe the training evolution as plain JSON data (None without a step column)."""
    if result is None:
        return None
    return {
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
                "accuracy_ci": _interval(m.accuracy_ci),
                "macro_f1": m.macro_f1,
                "recall": list(m.recall),
            }
            for m in result.per_step
        ],
        "confusion_matrices": {step: cm.tolist() for step, cm in result.confusion_matrices.items()},
    }


def evaluation_block(
    evaluation: Evaluation,
    *,
    split_columns: tuple[str | None, str | None] | None = None,
    names: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Describe which rows the report describes, and why, as plain JSON data (with its words).

    A comparison passes each file's split column (`split_columns`) and the two `names`.
    """
    from reportgen.words.describe import evaluation_words

    block: dict[str, Any] = {
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
    return block | evaluation_words(block, names=names)
