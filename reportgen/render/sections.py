"""The report's sections as data, in reading order: id, title, lead sentence, what to show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportgen.record.classification_types import ClassificationRecord
from reportgen.record.regression_types import RegressionRecord
from reportgen.record.types import RecordBase
from reportgen.render import Section

TOP_CONFUSIONS_SHOWN = 20
MATRIX_TABLE_LIMIT = 40
CALIBRATION_LEAD = (
    "Whether the probabilities can be taken at their word: of the rows given about 0.8, about "
    "80% should turn out so. Points below the diagonal are over-confident, above it "
    "under-confident; ECE is the row-weighted mean gap."
)
THRESHOLDS_LEAD = (
    "How precision and recall trade off as the threshold on the positive class's probability "
    "moves, where the file's own predictions sit, and what a threshold chosen for a target "
    "precision or recall would cost in false positives and false negatives."
)
OVR_LEAD = (
    "For the classes with the most errors, how each class's precision and recall against all "
    "other classes trade off as the threshold on its probability moves; dots mark the file's "
    "own predictions."
)


def setting_text(value: Any) -> str:
    """Show an option's value in the provenance table."""
    if value is None:
        return "auto / none"
    if isinstance(value, dict):
        return ", ".join(f"{k} → {v}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def provenance_section(record: RecordBase | Mapping[str, Any]) -> Section:
    """The closing section every report has."""
    prov = record["provenance"]
    settings = [(key, setting_text(value)) for key, value in prov["columns"].items()]
    settings += [(key, setting_text(value)) for key, value in prov["options"].items()]
    return Section(
        "provenance",
        "Provenance",
        "What this report was built from, so that it can be checked and rebuilt.",
        {"settings": settings},
    )


def classification_sections(record: ClassificationRecord) -> list[Section]:
    """The sections of a classification report, in reading order."""
    c = record["classification"]
    fig = record["figures"]["confusion_matrix"]
    k = len(c["labels"])
    many = c.get("classes")
    if many is not None:
        # the note under the figure says what the record keeps
        caption = (
            f"Showing the {len(fig['labels_shown'])} classes involved in the most errors, of "
            f"{many['total']:,}. Shade: share of the true class."
        )
    elif fig["truncated"]:
        caption = (
            f"Showing the {len(fig['labels_shown'])} classes involved in most errors, of {k}; "
            "the table and the embedded record keep all of them. Shade: share of the true class."
        )
    else:
        caption = (
            "Each cell: count, and its share of the true class (row percentage), which sets the "
            "shade. The diagonal holds the correct predictions."
        )
    evolution = record.get("evolution")
    buckets, errors = record["buckets"], c["errors"]
    # a section with nothing to show is left out; the ones present keep their anchors
    return [
        Section("summary", "Summary", ""),
        *(
            [
                Section(
                    "evolution",
                    "Training evolution",
                    f"How the model learned over '{evolution['column']}': accuracy, macro F1 "
                    "and the recall of each class at every step, and the confusion matrices "
                    "of a few steps side by side. The rest of the report shows "
                    f"{evolution['column']} {evolution['shown_step']}.",
                    {"table_limit": MATRIX_TABLE_LIMIT},
                )
            ]
            if evolution is not None
            else []
        ),
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
            "the samples of a class, the share found. Each comes with its 95% interval, wide "
            "where a class has few samples.",
        ),
        *(
            [
                Section(
                    "top-confusions",
                    "Top confusions",
                    "The pairs of true and predicted labels that account for most errors: fixing "
                    "the top few moves accuracy most.",
                    {"limit": TOP_CONFUSIONS_SHOWN},
                )
            ]
            if errors
            else []
        ),
        *probability_sections(record),
        *(
            [Section("buckets", "Error buckets", _buckets_lead(buckets["ceiling_kind"]))]
            if buckets["source"] is not None
            else []
        ),
        *(
            [
                Section(
                    "experiments",
                    "Small isolated experiments",
                    "What to try next, biggest bucket first: each experiment changes one thing, "
                    "so its effect can be measured by comparing the retrained model with this "
                    "one. Suggestions that need no tags, derived from the data, follow with "
                    "their evidence.",
                )
            ]
            if buckets["items"] or record["suggestions"] or (buckets["source"] is None and errors)
            else []
        ),
        *(
            [
                Section(
                    "slices",
                    "Slices: error rates by metadata",
                    "Error rates per value (or quantile bin) of each metadata column named with "
                    "--slice and per pair of columns, and an error tree that looks for "
                    "combinations. A slice or rule is called out only when its adjusted p-value, "
                    "which accounts for every slice and rule tried, is below 5%: then chance "
                    "alone is an unlikely explanation.",
                )
            ]
            if record["slices"]["columns"]
            else []
        ),
        *(
            [
                Section(
                    "splits",
                    "Splits",
                    "The true labels of each split and how the model does on each: a class that "
                    "is missing from, or much rarer in, the train split than in the others is "
                    "one the model could not learn.",
                )
            ]
            if record["splits"] is not None
            else []
        ),
        *(
            [
                Section(
                    "misclassified",
                    "Misclassified samples",
                    "Rows the model got wrong, to read and tag with a cause (blurry, rare class, "
                    "label noise...). Row numbers count from 1 after the header.",
                )
            ]
            if errors
            else []
        ),
        *label_issue_sections(record),
        provenance_section(record),
    ]


def label_issue_sections(record: ClassificationRecord) -> list[Section]:
    """The suspected-label-errors section, with --oof: suspected, never called wrong."""
    block = record.get("label_issues")
    if block is None:
        return []
    flagged, rows = block["flagged"], block["rows"]
    return [
        Section(
            "label-issues",
            "Suspected label errors",
            f"Rows whose given label is suspected, not known, to be an error: {flagged:,} of "
            f"{rows:,} rows, found by confident learning (Northcutt et al., 2021) from the "
            "out-of-sample probabilities (--oof); the same rows as cleanlab's find_label_issues "
            "with its defaults. The lower the given label's probability, the likelier the error: "
            "the likeliest come first. The suggested label is the class of highest probability; "
            "a reviewer decides each.",
        )
    ]


def _buckets_lead(kind: str | None) -> str:
    """Say how to read the buckets section, and what its ceilings may claim."""
    lead = (
        "Tagged errors counted by cause. A row may carry several tags, so shares can add up to "
        "more than 100%. The ceiling is the accuracy the model would reach if "
    )
    if kind == "estimate":
        return lead + (
            "every error in the bucket were fixed, estimated from a random review sample with "
            "its 95% interval."
        )
    if kind == "tagged-only":
        return lead + (
            "the bucket's tagged errors were fixed; untagged errors of the same cause would add "
            "to it."
        )
    return lead + (
        "every error in the bucket were fixed: the most any experiment aimed at it can gain."
    )


def probability_sections(record: ClassificationRecord) -> list[Section]:
    """The calibration and thresholds sections, for the files that have what they need."""
    out: list[Section] = []
    if record["calibration"] is not None:
        out.append(Section("calibration", "Calibration", CALIBRATION_LEAD))
    thresholds = record["thresholds"]
    if thresholds is not None:
        lead = THRESHOLDS_LEAD if thresholds["kind"] == "binary" else OVR_LEAD
        out.append(Section("thresholds", "Thresholds", lead))
    return out


def regression_sections(record: RegressionRecord) -> list[Section]:
    """The sections of a regression report, in reading order."""
    reg = record["regression"]
    density = (
        f"With more than {reg['density_above']:,} rows the scatters are drawn as density "
        "plots (2-D histograms with a log colour scale), so the page stays small."
        if reg["density"]
        else "Each point is one row."
    )
    sections = [
        Section("summary", "Summary", ""),
        Section(
            "residuals",
            "Residuals",
            "A residual is the true value minus the prediction: positive where the model "
            "under-predicts. An unbiased model scatters evenly around zero at every prediction; "
            "a trend away from zero shows where it is biased, a widening band where its errors "
            "grow.",
            {"density_note": density},
        ),
        Section(
            "largest-errors",
            "Largest errors",
            "The rows the model missed by most, in each direction: the first place to look for "
            "label errors, outliers and inputs the model has not learned.",
        ),
    ]
    if record["slices"]["columns"]:
        sections.append(
            Section(
                "slices",
                "Residuals by metadata",
                "The residual distribution per value of each column named with --slice "
                "(numbers in quantile bins). A group whose mean residual differs from the other "
                "rows' by more than chance explains, once every group and prediction bin tried "
                "is accounted for, is one where the model is biased relative to the rest.",
            )
        )
    sections.append(provenance_section(record))
    return sections
