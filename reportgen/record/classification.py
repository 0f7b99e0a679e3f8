"""The classification report: analysis, figures and sections for predicted class labels."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from reportgen.analysis import suggestions as suggest
from reportgen.analysis.buckets import BucketResult, Tags, analyze_buckets, tags_from_column
from reportgen.analysis.calibration import CalibrationResult
from reportgen.analysis.classification import ClassificationResult, analyze_classification
from reportgen.analysis.evolution import EvolutionResult
from reportgen.analysis.samples import (
    MAX_TEXT,
    ConfusionStrip,
    confusion_strips,
    misclassified_samples,
)
from reportgen.analysis.slices import SliceResult
from reportgen.analysis.splits import SplitResult
from reportgen.analysis.thresholds import ThresholdResult
from reportgen.playbook import load_playbook
from reportgen.read.images import ImageLoader
from reportgen.read.table import PredictionTable
from reportgen.record import Assembled, Meta, attach_thumbnails, provenance_section
from reportgen.record.blocks import (
    base_record,
    buckets_block,
    calibration_block,
    classification_block,
    error_slices_block,
    evolution_block,
    samples_block,
    splits_block,
    suggestions_block,
    thresholds_block,
)
from reportgen.record.probabilities import (
    probability_analyses,
    probability_figures,
    probability_sections,
)
from reportgen.render import Section
from reportgen.words.describe import classification_findings, classification_headline

TOP_CONFUSIONS_SHOWN = 20
STRIPS = 5  # confusions shown with examples
STRIP_ERRORS = 4  # misclassified examples per confusion
MATRIX_TABLE_LIMIT = 40
HOW_TO_TAG = (
    "Draw a review sheet of errors with: reportgen sample-errors PREDICTIONS -n 100 -o "
    "review.csv. Write one or more causes per row in its buckets column (for example "
    "blurry; dark; edge), then pass the sheet back with --tags review.csv. A buckets column "
    "in the prediction file works too."
)


@dataclass(frozen=True)
class LoopOptions:
    """Where the error tags come from and which playbook turns them into experiments."""

    tags: str | None = None  # a tag sheet joined on the id column
    separators: str = ";|,"
    playbook: str | None = None
    image_root: str | None = None  # sample paths are images below this folder
    # the evaluated splits as a review sheet's marker names them (None: every row), so that a
    # sheet is taken for a random sample only of the errors of the rows the report describes
    evaluated: str | None = None
    # the file's rows outside the evaluated ones: sheet ids on them are counted apart, not as
    # ids that match nothing (a streamed read finds them itself: Exact.tagged_outside)
    others: PredictionTable | None = None


def make_figures(
    result: ClassificationResult, buckets: BucketResult | None = None
) -> tuple[dict[str, str], dict[str, Any]]:
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
    figures = {"confusion-matrix": svg}
    if buckets is not None and buckets.buckets:
        from reportgen.figures.buckets import plot_pareto

        figures["pareto"] = figure_to_svg(
            plot_pareto(buckets),
            fig_id="pareto",
            title="Error buckets, largest first",
            description=(
                f"Bars: tagged errors per bucket for {len(buckets.buckets)} buckets, largest "
                "first, the ones to address first darker; line: cumulative share of all tags. "
                "The table below lists the same counts."
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
    return figures, info


def evolution_figures(result: EvolutionResult) -> tuple[dict[str, str], dict[str, Any]]:
    """Draw the metrics over steps and the chosen steps' confusion matrices."""
    from reportgen.figures.evolution import (
        choose_recall_classes,
        plot_evolution,
        plot_step_confusions,
    )
    from reportgen.figures.svg import figure_to_svg

    view = choose_recall_classes(result)
    k = len(result.labels)
    classes = (
        f"the {len(view.labels)} classes whose recall changed most, of {k}"
        if view.truncated
        else f"all {k} classes"
    )
    figures = {
        "evolution": figure_to_svg(
            plot_evolution(result, view=view),
            fig_id="evo",
            title=f"Accuracy, macro F1 and recall per class over {result.column}",
            description=(
                f"Two line charts over the {len(result.steps)} values of '{result.column}'. "
                "Left: accuracy with its 95% interval as a band, and macro F1; a dotted line "
                f"marks the best step, {result.best}. Right: recall of {classes}, one line "
                "style and marker per class. The tables below hold the same numbers."
            ),
        ),
        "evolution-confusion": figure_to_svg(
            plot_step_confusions(result),
            fig_id="evo-cm",
            title=f"Confusion matrices at {result.column} {', '.join(result.chosen)}",
            description=(
                f"{len(result.chosen)} confusion matrices side by side, one per chosen step "
                f"({', '.join(result.chosen)}): rows are true labels, columns predicted "
                "labels, each cell shaded by its share of the true class. The counts are in "
                "the tables below and in the embedded record."
            ),
        ),
    }
    info = {"recall_labels_shown": view.labels, "recall_truncated": view.truncated}
    return figures, info


def classification_sections(record: dict[str, Any]) -> list[Section]:
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
        provenance_section(record),
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


def strip_block(strip: ConfusionStrip) -> dict[str, Any]:
    """Describe one confusion's examples as plain JSON data."""
    return {
        "true": strip.true,
        "pred": strip.pred,
        "count": strip.count,
        "errors": samples_block(strip.errors),
        "true_example": samples_block(strip.true_example),
        "pred_example": samples_block(strip.pred_example),
    }


def attach_images(samples: dict[str, Any], images: ImageLoader) -> dict[str, dict[str, Any]]:
    """Give every shown row its thumbnail, in page order (strips first), so the budget is fair."""
    tables = [
        t
        for strip in samples["confusion_strips"]
        for t in (strip["errors"], strip["true_example"], strip["pred_example"])
    ]
    tables.append(samples["misclassified"])
    return attach_thumbnails(tables, images)


def attach_tags(samples: dict[str, Any], tags: Tags, table: PredictionTable) -> None:
    """Show each sample row's tags, as written, beside it."""
    tables = [
        t
        for strip in samples["confusion_strips"]
        for t in (strip["errors"], strip["true_example"], strip["pred_example"])
    ]
    tables.append(samples["misclassified"])
    for sample_table in tables:
        for row in sample_table["rows"]:
            pos = int(np.searchsorted(table.row_numbers, row["row"]))
            row["tags"] = tags.by_row.get(pos, [])


@dataclass(frozen=True)
class Exact:
    """What a streamed read counted over every row, beside the rows it kept to show."""

    result: ClassificationResult  # from the exact confusion matrix
    sample: PredictionTable  # the analysis sample: calibration, thresholds, slices, tree
    calibration: CalibrationResult | None = None  # from exact per-bin sums
    slices: SliceResult | None = None  # from exact counts by slice values
    thresholds: ThresholdResult | None = None  # binary, from exact counts by score
    confident_errors: int | None = None  # errors with confidence >= CONFIDENT, exact
    tagged_outside: frozenset[str] = frozenset()  # sheet keys on rows outside the evaluated ones


def collect_tags(
    table: PredictionTable, loop: LoopOptions, exact: Exact | None = None
) -> Tags | None:
    """Read the error tags from the tag sheet, else from the bucket column, else None."""
    if loop.tags is not None:
        from reportgen.analysis.buckets import tags_from_sheet

        return tags_from_sheet(
            table,
            loop.tags,
            loop.separators,
            evaluated=loop.evaluated,
            errors=None if exact is None else exact.result.errors,
            others=loop.others,
            outside_keys=None if exact is None else exact.tagged_outside,
        )
    column = table.columns.buckets
    if column is None:
        return None
    return tags_from_column(list(table.frame[column]), column, loop.separators)


def data_suggestions(
    table: PredictionTable,
    result: ClassificationResult,
    splits: SplitResult | None = None,
    *,
    exact: Exact | None = None,
) -> list[suggest.Suggestion]:
    """The experiments the data points to without any tags.

    The split suggestions compare the train split with the others, so they count every
    split (`splits`), whichever rows the rest of the report describes. With `exact` (a
    streamed read), `table` is the analysis sample: what it can count for every row comes
    from the exact counts, and a sentence counted in a smaller sample says so.
    """
    out: list[suggest.Suggestion] = []
    if splits is not None:
        out += suggest.split_suggestions(splits)
    out += suggest.rare_class_suggestions(result)
    if table.confidence is not None:
        if exact is not None and table.n < result.n:
            # thresholds need every row's confidence: counted in the sample, on its own metrics
            on_sample = analyze_classification(table.true_codes, table.pred_codes, table.labels)
            out += suggest.threshold_suggestions(
                on_sample,
                table.pred_codes,
                table.true_codes,
                table.confidence,
                sample=f"the analysis sample of {table.n:,} rows (of {result.n:,})",
            )
        else:
            out += suggest.threshold_suggestions(
                result, table.pred_codes, table.true_codes, table.confidence
            )
        if exact is not None and exact.confident_errors is not None:
            out += suggest.confident_error_suggestion(exact.confident_errors, result.errors)
        else:
            out += suggest.confident_error_suggestions(
                table.true_codes, table.pred_codes, table.confidence
            )
    return out


def assemble(
    table: PredictionTable,
    meta: Meta,
    *,
    max_samples: int,
    seed: int,
    loop: LoopOptions | None = None,
    splits: SplitResult | None = None,
    pos_label: str | None = None,
    evolution: EvolutionResult | None = None,
    exact: Exact | None = None,
) -> Assembled:
    """Analyse coded labels and lay out the classification report.

    With `exact` (a streamed read), `table` holds only the rows kept to be shown: the metrics
    come from the exact counts, and what needs every row from the analysis sample.
    """
    loop = loop or LoopOptions()
    rows = table if exact is None else exact.sample
    result = (
        analyze_classification(
            table.true_codes, table.pred_codes, table.labels, confidence=table.confidence
        )
        if exact is None
        else exact.result
    )
    playbook = load_playbook(loop.playbook)
    tags = collect_tags(table, loop, exact)
    buckets: BucketResult | None = None
    if tags is not None:
        buckets = analyze_buckets(
            tags,
            true_codes=table.true_codes,
            pred_codes=table.pred_codes,
            labels=table.labels,
            row_numbers=table.row_numbers,
            playbook=playbook,
            whole=None if exact is None else (result.n, result.errors),
        )
    images = (
        None
        if loop.image_root is None or table.columns.sample is None
        else ImageLoader(loop.image_root)
    )
    max_text = None if images is not None else MAX_TEXT
    misclassified = misclassified_samples(
        table, max_samples=max_samples, seed=seed, max_text=max_text
    )
    if exact is not None:
        misclassified = replace(misclassified, total=result.errors)
    strips: list[ConfusionStrip] = []
    if table.columns.sample is not None:
        pairs = [(c.true, c.pred, c.count) for c in result.top_confusions[:STRIPS]]
        strips = confusion_strips(table, pairs, per_pair=STRIP_ERRORS, seed=seed, max_text=max_text)
    slice_result, tree = None, None
    if table.columns.slices:
        from reportgen.analysis.families import classification_family

        slice_result, tree = classification_family(
            rows.frame,
            list(rows.columns.slices),
            rows.true_codes != rows.pred_codes,
            seed=seed,
            row_numbers=rows.row_numbers,
            slices=None if exact is None else exact.slices,
        )
    figures, figure_info = make_figures(result, buckets)
    calibration: CalibrationResult | None
    thresholds: ThresholdResult | None
    if exact is not None and exact.calibration is not None and exact.thresholds is not None:
        calibration, thresholds = exact.calibration, exact.thresholds
    else:
        calibration, thresholds = probability_analyses(rows, pos_label)
        if exact is not None and exact.calibration is not None:
            calibration = exact.calibration
    figures.update(probability_figures(calibration, thresholds))
    if splits is not None:
        from reportgen.figures.splits import plot_split_shares
        from reportgen.figures.svg import figure_to_svg

        figures["splits"] = figure_to_svg(
            plot_split_shares(splits),
            fig_id="splits",
            title="True labels per split",
            description=(
                f"Grouped bars: each class's share of the rows of each of the "
                f"{len(splits.splits)} splits. The table beside it has the counts."
            ),
        )
    if slice_result is not None and slice_result.worst:
        from reportgen.figures.slices import plot_worst_slices
        from reportgen.figures.svg import figure_to_svg

        shown = (
            f"{len(slice_result.worst)} of the {slice_result.above_overall:,}"
            if len(slice_result.worst) < slice_result.above_overall
            else f"the {slice_result.above_overall:,}"
        )
        figures["worst-slices"] = figure_to_svg(
            plot_worst_slices(slice_result),
            fig_id="slices",
            title="Slices above the overall error rate, ranked by adjusted p",
            description=(
                f"Horizontal bars: error rate of {shown} slices above the overall error rate, "
                "ranked by adjusted p, with 95% intervals; dashed line: the overall error rate. "
                "The table below has the numbers and the adjusted p-values."
            ),
        )
    record = base_record(
        table, title=meta.title, model=meta.model, created=meta.created, options=meta.options
    )
    if exact is not None:  # the table holds the kept rows; the file had these
        record["provenance"]["input"]["rows"] = result.n
    record["classification"] = classification_block(result, table.label_kind)
    record["buckets"] = buckets_block(buckets, how_to_tag=HOW_TO_TAG)
    record["suggestions"] = suggestions_block(data_suggestions(rows, result, splits, exact=exact))
    record["calibration"] = calibration_block(calibration)
    record["thresholds"] = thresholds_block(thresholds)
    record["slices"] = error_slices_block(slice_result, tree)
    record["splits"] = splits_block(splits)
    record["samples"] = {
        "confusion_strips": [strip_block(s) for s in strips],
        "misclassified": samples_block(misclassified),
    }
    if evolution is not None:
        evo_figures, figure_info["evolution"] = evolution_figures(evolution)
        figures.update(evo_figures)
        record["evolution"] = evolution_block(evolution)
    record["figures"] = figure_info
    if tags is not None:
        attach_tags(record["samples"], tags, table)
    thumbnails: dict[str, dict[str, Any]] = {}
    if images is not None:
        thumbnails = attach_images(record["samples"], images)
        record["images"] = asdict(images.summary())
    record["summary"] = {
        "headline": classification_headline(record),
        "findings": classification_findings(record),
    }
    sections = classification_sections(record)
    record["sections"] = [s.id for s in sections]
    return Assembled(record, figures, sections, thumbnails)
