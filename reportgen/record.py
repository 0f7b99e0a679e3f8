"""Assemble the record (schema reportgen/1): the plain-data truth that the page shows and embeds."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from reportgen import __version__
from reportgen.analysis.classification import SMALL_SUPPORT, ClassificationResult
from reportgen.analysis.samples import SampleTable
from reportgen.describe import classification_findings, classification_headline
from reportgen.table import PredictionTable

SCHEMA = "reportgen/1"


def _interval(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


def classification_block(result: ClassificationResult, label_kind: str) -> dict[str, Any]:
    """Describe a ClassificationResult as plain JSON data."""
    return {
        "labels": list(result.labels),
        "label_order": label_kind,
        "confusion_matrix": result.confusion_matrix.tolist(),
        "n": result.n,
        "errors": result.errors,
        "accuracy": result.accuracy,
        "accuracy_ci": _interval(result.accuracy_ci),
        "per_class": [
            {
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
            for m in result.per_class
        ],
        "small_support_below": SMALL_SUPPORT,
        "macro_avg": asdict(result.macro_avg),
        "weighted_avg": asdict(result.weighted_avg),
        "top_confusions": [asdict(c) for c in result.top_confusions],
        "confidence": None if result.confidence is None else asdict(result.confidence),
    }


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


def build_record(
    table: PredictionTable,
    result: ClassificationResult,
    misclassified: SampleTable,
    *,
    title: str,
    model: str | None,
    created: str | None,
    options: dict[str, Any],
    figures: dict[str, Any],
) -> dict[str, Any]:
    """Put every number the report shows into one JSON-serialisable dict."""
    source = table.source
    classification = classification_block(result, table.label_kind)
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "task": table.task,
        "title": title,
        "model": model,
        "provenance": {
            "generator": f"reportgen {__version__}",
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
        },
        "summary": {},
        "classification": classification,
        "samples": {"misclassified": samples_block(misclassified)},
        "figures": figures,
        "sections": [
            "summary",
            "confusion-matrix",
            "classification-report",
            "top-confusions",
            "misclassified",
            "provenance",
        ],
    }
    record["summary"] = {
        "headline": classification_headline(record),
        "findings": classification_findings(record),
    }
    return record


def dumps(record: dict[str, Any]) -> str:
    """Serialise the record the same way every time (the --json file and the embedded copy)."""
    return json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
