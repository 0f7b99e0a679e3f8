"""The classification record: analyse predicted class labels, then lay the results out as blocks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import cast

import numpy as np

from reportgen.analysis import suggestions as suggest
from reportgen.analysis.buckets import BucketResult, Tags, analyze_buckets, tags_from_column
from reportgen.analysis.calibration import CalibrationResult
from reportgen.analysis.classification import ClassificationResult, analyze_classification
from reportgen.analysis.error_tree import ErrorTree
from reportgen.analysis.evolution import EvolutionResult
from reportgen.analysis.probabilities import probability_analyses
from reportgen.analysis.samples import (
    MAX_TEXT,
    STRIP_ERRORS,
    ConfusionStrip,
    SampleTable,
    confusion_strips,
    misclassified_samples,
)
from reportgen.analysis.slices import SliceResult
from reportgen.analysis.splits import SplitResult
from reportgen.analysis.thresholds import ThresholdResult
from reportgen.playbook import load_playbook
from reportgen.read.exact import ClassificationExact, classification_in_memory
from reportgen.read.images import ImageLoader
from reportgen.read.table import PredictionTable
from reportgen.record.blocks import (
    SCHEMA,
    buckets_block,
    calibration_block,
    classification_block,
    evolution_block,
    splits_block,
    suggestions_block,
    thresholds_block,
)
from reportgen.record.classification_types import ClassificationRecord, EvolutionBlock
from reportgen.record.common import Context, Meta, finish, provenance
from reportgen.record.label_issues import (
    LabelIssueFindings,
    check_oof,
    find_findings,
    label_issues_block,
    label_noise_suggestion,
)
from reportgen.record.label_issues_types import LabelIssuesBlock
from reportgen.record.samples import RowExtras, samples_block, strip_block
from reportgen.record.slices import error_slices_block
from reportgen.record.types import ImagesBlock

STRIPS = 5  # confusions shown with examples
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
    # ids that match nothing (a streamed read finds them itself: ClassificationExact.tagged_outside)
    others: PredictionTable | None = None
    oof: bool = False  # the probability columns are out-of-sample: review the labels


def collect_tags(
    table: PredictionTable, loop: LoopOptions, exact: ClassificationExact | None = None
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
    exact: ClassificationExact,
    oof: bool = False,
) -> list[suggest.Suggestion]:
    """The experiments the data points to without any tags.

    The split suggestions compare the train split with the others, so they count every
    split (`splits`), whichever rows the rest of the report describes. `table` is the
    analysis sample of `exact` (every row, unless streamed): what it cannot count for every
    row comes from the exact counts, and a sentence counted in a smaller sample says so.
    """
    out: list[suggest.Suggestion] = []
    if splits is not None:
        out += suggest.split_suggestions(splits)
    out += suggest.rare_class_suggestions(result)
    if table.confidence is not None:
        if table.n < result.n:
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
        if exact.confident_errors is not None:
            out += suggest.confident_error_suggestion(
                exact.confident_errors, result.errors, oof=oof
            )
        else:
            out += suggest.confident_error_suggestions(
                table.true_codes, table.pred_codes, table.confidence, oof=oof
            )
    return out


@dataclass(frozen=True)
class ClassificationAnalysis:
    """Everything the classification record, its figures and its sections are made from."""

    table: PredictionTable  # the rows kept to be shown (every row, unless streamed)
    rows: PredictionTable  # the rows the analyses that need every row count: the sample
    result: ClassificationResult
    tags: Tags | None
    buckets: BucketResult | None
    misclassified: SampleTable
    strips: list[ConfusionStrip]
    slices: SliceResult | None
    tree: ErrorTree | None
    calibration: CalibrationResult | None
    thresholds: ThresholdResult | None
    suggestions: list[suggest.Suggestion]
    splits: SplitResult | None = None
    evolution: EvolutionResult | None = None
    images: ImageLoader | None = None  # loads each shown row's thumbnail as its row is built
    label_issues: LabelIssueFindings | None = None  # with --oof: suspected label errors


def analyse(
    table: PredictionTable,
    *,
    max_samples: int,
    seed: int,
    loop: LoopOptions | None = None,
    splits: SplitResult | None = None,
    pos_label: str | None = None,
    evolution: EvolutionResult | None = None,
    exact: ClassificationExact | None = None,
) -> ClassificationAnalysis:
    """Analyse coded labels: metrics, tags and buckets, sample rows, slices, probabilities.

    With `exact` (a streamed read), `table` holds only the rows kept to be shown: the metrics
    come from the exact counts, and what needs every row from the analysis sample. Without,
    the table is counted here the same way, so that one path serves both.
    """
    loop = loop or LoopOptions()
    streamed = exact is not None
    exact = exact or classification_in_memory(table)
    result, rows = exact.result, exact.sample
    # read even without tags: a playbook that does not parse is refused, not ignored
    playbook = load_playbook(loop.playbook)
    tags = collect_tags(table, loop, exact)
    buckets = None
    if tags is not None:
        buckets = analyze_buckets(
            tags,
            true_codes=table.true_codes,
            pred_codes=table.pred_codes,
            labels=table.labels,
            row_numbers=table.row_numbers,
            playbook=playbook,
            whole=(result.n, result.errors),
        )
    images = None
    if loop.image_root is not None and table.columns.sample is not None:
        images = ImageLoader(loop.image_root)
    max_text = None if images is not None else MAX_TEXT
    misclassified = misclassified_samples(
        table, max_samples=max_samples, seed=seed, max_text=max_text
    )
    strips: list[ConfusionStrip] = []
    if table.columns.sample is not None:
        pairs = [(c.true, c.pred, c.count) for c in result.top_confusions[:STRIPS]]
        strips = confusion_strips(table, pairs, per_pair=STRIP_ERRORS, seed=seed, max_text=max_text)
    slices, tree = None, None
    if table.columns.slices:
        from reportgen.analysis.families import classification_family

        slices, tree = classification_family(
            rows.frame,
            list(rows.columns.slices),
            rows.true_codes != rows.pred_codes,
            seed=seed,
            row_numbers=rows.row_numbers,
            slices=exact.slices,
        )
    suggestions = data_suggestions(rows, result, splits, exact=exact, oof=loop.oof)
    label_issues = None
    if loop.oof:
        check_oof(table, streamed=streamed)
        label_issues = find_findings(table, max_samples=max_samples, max_text=max_text)
        # the measured "label noise" bucket leads: relabel these first
        suggestions = label_noise_suggestion(label_issues, result.errors, playbook) + suggestions
    calibration, thresholds = exact.calibration, exact.thresholds
    if calibration is None or thresholds is None:
        # what the read could not count exactly comes from the rows at hand
        sampled = probability_analyses(rows, pos_label)
        calibration, thresholds = calibration or sampled[0], sampled[1]
    return ClassificationAnalysis(
        table=table,
        rows=rows,
        result=result,
        tags=tags,
        buckets=buckets,
        misclassified=replace(misclassified, total=result.errors),
        strips=strips,
        slices=slices,
        tree=tree,
        calibration=calibration,
        thresholds=thresholds,
        suggestions=suggestions,
        splits=splits,
        evolution=evolution,
        images=images,
        label_issues=label_issues,
    )


def _row_tags(analysis: ClassificationAnalysis) -> RowExtras:
    """Tags and thumbnails for the shown rows, from the tags read and the image loader."""
    tags, positions = analysis.tags, analysis.table.row_numbers
    if tags is None:
        return RowExtras(images=analysis.images)

    def tags_of(row: int) -> list[str]:
        return tags.by_row.get(int(np.searchsorted(positions, row)), [])

    return RowExtras(tags=tags_of, images=analysis.images)


def _with_optional(
    record: ClassificationRecord,
    evolution: EvolutionBlock | None,
    images: ImagesBlock | None,
    label_issues: LabelIssuesBlock | None = None,
) -> ClassificationRecord:
    """Add the blocks only some records have, where the JSON has always had them."""
    placed: dict[str, object] = {}
    for key, value in record.items():
        if key == "figures" and evolution is not None:
            placed["evolution"] = evolution
        placed[key] = value
        if key == "samples" and label_issues is not None:
            placed["label_issues"] = label_issues
    if images is not None:
        placed["images"] = images
    return cast(ClassificationRecord, placed)


def build_record(
    analysis: ClassificationAnalysis, meta: Meta, context: Context
) -> ClassificationRecord:
    """Lay the analysis out as the complete record: blocks, words, sections, stream, gates.

    Nothing changes the record after this: the budget and the seal make new ones.
    """
    from reportgen.figures.classification import figures_block
    from reportgen.render.sections import classification_sections
    from reportgen.words.classification import classification_findings, classification_headline

    a, result = analysis, analysis.result
    extras = _row_tags(a)
    # strips first: the page shows them first, and thumbnails are loaded in page order
    strips = [strip_block(s, extras) for s in a.strips]
    record: ClassificationRecord = {
        "schema": SCHEMA,
        "task": a.table.task,
        "title": meta.title,
        "model": meta.model,
        "provenance": provenance(a.table, meta, context, rows=result.n),
        "summary": {"headline": [], "findings": []},
        "classification": classification_block(result, a.table.label_kind),
        "buckets": buckets_block(a.buckets, how_to_tag=HOW_TO_TAG),
        "suggestions": suggestions_block(a.suggestions),
        "calibration": calibration_block(a.calibration),
        "thresholds": thresholds_block(a.thresholds),
        "slices": error_slices_block(a.slices, a.tree),
        "splits": splits_block(a.splits),
        "samples": {
            "confusion_strips": strips,
            "misclassified": samples_block(a.misclassified, extras),
        },
        "figures": figures_block(result, a.evolution),
    }
    # after the misclassified rows: the page shows them first, and thumbnails load in page order
    issues = None if a.label_issues is None else label_issues_block(a.label_issues, extras)
    evolution = evolution_block(a.evolution)
    # after the rows: the summary counts the thumbnails they loaded
    images = None if a.images is None else cast(ImagesBlock, asdict(a.images.summary()))
    record = _with_optional(record, evolution, images, issues)
    # the words and the sections read the blocks above
    record["summary"] = {
        "headline": classification_headline(record),
        "findings": classification_findings(record),
    }
    record["sections"] = [s.id for s in classification_sections(record)]
    return finish(record, context)
