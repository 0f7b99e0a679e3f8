"""The classification report: analysis, figures and sections for predicted class labels."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.classification import ClassificationResult, analyze_classification
from reportgen.analysis.samples import misclassified_samples
from reportgen.describe import classification_findings, classification_headline
from reportgen.kinds import Assembled, Meta, provenance_section
from reportgen.record import base_record, classification_block, samples_block
from reportgen.render import Section
from reportgen.table import PredictionTable

TOP_CONFUSIONS_SHOWN = 20
MATRIX_TABLE_LIMIT = 40


def make_figures(result: ClassificationResult) -> tuple[dict[str, str], dict[str, Any]]:
    """Draw the figures; return their SVG by figure id and what the record says of them."""
    from reportgen.figures.confusion import choose_classes, plot_confusion_matrix
    from reportgen.figures.svg import figure_to_svg

    view = choose_classes(result)
    fig = plot_confusion_matrix(result, view=view)
    k = len(result.labels)
    shown = (
        f"the {len(view.labels)} classes involved in most errors, of {k}"
        if view.truncated
        else f"all {k} classes"
    )
    svg = figure_to_svg(
        fig,
        fig_id="cm",
        title="Confusion matrix",
        description=(
            f"Confusion matrix of {result.n:,} predictions over {shown}: rows are true labels, "
            "columns predicted labels; each cell shows the count, shaded by its share of the "
            "true class. The same numbers are in the table below and in the embedded record."
        ),
    )
    info = {
        "confusion_matrix": {
            "labels_shown": view.labels,
            "truncated": view.truncated,
            "shading": "share of the true class (row-normalised)",
            "colormap": "Blues",
        }
    }
    return {"confusion-matrix": svg}, info


def classification_sections(record: dict[str, Any]) -> list[Section]:
    """The sections of a classification report, in reading order."""
    c = record["classification"]
    fig = record["figures"]["confusion_matrix"]
    k = len(c["labels"])
    if fig["truncated"]:
        caption = (
            f"Showing the {len(fig['labels_shown'])} classes involved in most errors, of {k}; "
            "the table and the embedded record keep all of them. Shade: share of the true class."
        )
    else:
        caption = (
            "Each cell: count, and its share of the true class (row percentage), which sets the "
            "shade. The diagonal holds the correct predictions."
        )
    return [
        Section("summary", "Summary", ""),
        Section(
            "confusion-matrix",
            "Confusion matrix",
            "Read across a row to see where the samples of one true class went; off-diagonal "
            "cells are errors.",
            {"caption": caption, "table_limit": MATRIX_TABLE_LIMIT},
        ),
        Section(
            "classification-report",
            "Classification report",
            "Precision: of the samples predicted as a class, the share that truly are. Recall: of "
            "the samples of a class, the share found. Intervals are 95% Wilson intervals.",
        ),
        Section(
            "top-confusions",
            "Top confusions",
            "The pairs of true and predicted labels that account for most errors: fixing the top "
            "few moves accuracy most.",
            {"limit": TOP_CONFUSIONS_SHOWN},
        ),
        Section(
            "misclassified",
            "Misclassified samples",
            "Rows the model got wrong, to read and tag with a cause (blurry, rare class, label "
            "noise...). Row numbers count from 1 after the header.",
        ),
        provenance_section(record),
    ]


def assemble(table: PredictionTable, meta: Meta, *, max_samples: int, seed: int) -> Assembled:
    """Analyse coded labels and lay out the classification report."""
    result = analyze_classification(
        table.true_codes, table.pred_codes, table.labels, confidence=table.confidence
    )
    misclassified = misclassified_samples(table, max_samples=max_samples, seed=seed)
    figures, figure_info = make_figures(result)
    record = base_record(
        table, title=meta.title, model=meta.model, created=meta.created, options=meta.options
    )
    record["classification"] = classification_block(result, table.label_kind)
    record["samples"] = {"misclassified": samples_block(misclassified)}
    record["figures"] = figure_info
    record["summary"] = {
        "headline": classification_headline(record),
        "findings": classification_findings(record),
    }
    sections = classification_sections(record)
    record["sections"] = [s.id for s in sections]
    return Assembled(record, figures, sections)
