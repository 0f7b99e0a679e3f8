"""The comparison record: two models' predictions on the same rows, their changes and flips.

analyse_classification / analyse_regression turn the joined tables into a ComparisonAnalysis
(analysis.compare, analysis.compare_slices); build_record lays it out as the complete record
(record.compare_blocks, words.compare), provenance, sections and gates included. Nothing
changes the record after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import cast

import numpy as np

from reportgen.analysis.buckets import BucketResult, Tags, analyze_buckets
from reportgen.analysis.compare import (
    BucketChange,
    ClassificationComparison,
    RegressionComparison,
    compare_buckets,
    compare_classification,
    compare_regression,
    keep_tags,
)
from reportgen.analysis.compare_join import Joined
from reportgen.analysis.compare_rows import (
    PairedTable,
    largest_changes,
    paired_rows,
    sample_positions,
)
from reportgen.analysis.compare_slices import SliceComparison, compare_slices
from reportgen.analysis.samples import MAX_TEXT
from reportgen.read.images import ImageLoader
from reportgen.read.table import PredictionTable
from reportgen.read.tags import normalize_tag
from reportgen.record.blocks import SCHEMA, evaluation_block
from reportgen.record.common import Context, Meta, file_provenance, finish
from reportgen.record.compare_blocks import (
    buckets_block,
    comparison_block,
    input_block,
    paired_block,
    regression_comparison_block,
    slices_block,
)
from reportgen.record.compare_types import (
    ClassificationComparisonBlock,
    ClassificationFigures,
    ComparisonRecord,
    ComparisonSlicesBlock,
    RegressionComparisonBlock,
    RegressionFigures,
)
from reportgen.record.samples import RowExtras
from reportgen.record.types import ImagesBlock, Provenance
from reportgen.render import Section

LARGEST_CHANGES = 20


@dataclass(frozen=True)
class CompareOptions:
    """How to compare: the two names, the sample tables, tags, images and slice columns."""

    names: tuple[str, str]
    max_samples: int = 50
    seed: int = 0
    tags_a: str | None = None  # a tag sheet for A's rows (None: A's buckets column, if any)
    tags_b: str | None = None
    separators: str = ";|,"
    image_root: str | None = None
    slices: bool = False  # compare per slice of the loaded slice columns


@dataclass(frozen=True)
class BucketsFound:
    """Both sides' error buckets, their changes, and the tagged rows left out on each side."""

    a: BucketResult | None
    b: BucketResult | None
    changes: list[BucketChange]
    shared: bool  # one tag sheet for both sides
    outside: tuple[int, int]


@dataclass(frozen=True)
class ComparisonAnalysis:
    """Everything a comparison's record, figures and sections are made from, either task."""

    joined: Joined
    names: tuple[str, str]
    split_columns: tuple[str | None, str | None]  # each side's split column, for provenance
    result: ClassificationComparison | RegressionComparison
    samples: dict[str, PairedTable]  # in page order: fixed, broken or grew, shrank
    slices: SliceComparison | None
    # classification only: each side's tags, where each sample table's rows are, buckets
    tags: tuple[Tags | None, Tags | None] = (None, None)
    positions: dict[str, np.ndarray] | None = None
    buckets: BucketsFound | None = None
    images: ImageLoader | None = None  # loads each shown row's thumbnail as its row is built


def _tags(table: PredictionTable, sheet: str | None, separators: str) -> Tags | None:
    """One side's tags: its sheet, or its buckets column."""
    from reportgen.record.classification import LoopOptions, collect_tags

    return collect_tags(table, LoopOptions(tags=sheet, separators=separators))


def _buckets(
    joined: Joined, options: CompareOptions
) -> tuple[tuple[Tags | None, Tags | None], BucketsFound]:
    """Read both sides' tags and count their buckets; the tags go on to the sample tables."""
    from reportgen.playbook import load_playbook

    # tags are read against every joined row, so a tag on a row left out is counted as such
    # and not taken for an id that matches no prediction
    whole = joined.whole or (joined.a, joined.b)
    kept: list[tuple[Tags, int] | None] = [
        None if t is None else keep_tags(t, joined.kept)
        for t in (
            _tags(whole[0], options.tags_a, options.separators),
            _tags(whole[1], options.tags_b, options.separators),
        )
    ]
    tags = (None if kept[0] is None else kept[0][0], None if kept[1] is None else kept[1][0])
    outside = (0 if kept[0] is None else kept[0][1], 0 if kept[1] is None else kept[1][1])
    playbook = load_playbook(None)
    a, b = (
        None
        if t is None
        else analyze_buckets(
            t,
            true_codes=side.true_codes,
            pred_codes=side.pred_codes,
            labels=joined.labels,
            row_numbers=side.row_numbers,
            playbook=playbook,
        )
        for t, side in zip(tags, (joined.a, joined.b), strict=True)
    )
    shared = options.tags_a is not None and options.tags_a == options.tags_b
    return tags, BucketsFound(a, b, compare_buckets(a, b), shared=shared, outside=outside)


def _slices(
    joined: Joined, options: CompareOptions, loss_a: np.ndarray, loss_b: np.ndarray
) -> SliceComparison | None:
    """Compare the two models in each slice, when slices were asked for."""
    if not options.slices:
        return None
    # a column both files have is read from the baseline's (the rows are the same rows)
    values = {c: joined.a.frame[c] for c in joined.a.columns.slices}
    for c in joined.b.columns.slices:
        values.setdefault(c, joined.b.frame[c])
    return compare_slices(values, loss_a, loss_b)


def analyse_classification(
    joined: Joined, options: CompareOptions, split_columns: tuple[str | None, str | None]
) -> ComparisonAnalysis:
    """Compare two classifiers: the paired test, buckets, slices and the flipped rows."""
    a, b = joined.a, joined.b
    comp = compare_classification(
        a.true_codes,
        a.pred_codes,
        b.pred_codes,
        joined.labels,
        confidence_a=a.confidence,
        confidence_b=b.confidence,
        seed=options.seed,
    )
    tags, buckets = _buckets(joined, options)
    right_a, right_b = a.true_codes == a.pred_codes, b.true_codes == b.pred_codes
    slices = _slices(joined, options, (~right_a).astype(np.float64), (~right_b).astype(np.float64))
    shows_samples = a.columns.sample is not None or b.columns.sample is not None
    root = options.image_root
    images = None if root is None or not shows_samples else ImageLoader(root)
    max_text = None if images is not None else MAX_TEXT  # a path is never cut short
    samples, positions = {}, {}
    # each table samples its rows with its own seed
    for name, mask, total, seed in (
        ("fixed", ~right_a & right_b, comp.fixed, options.seed),
        ("broken", right_a & ~right_b, comp.broken, options.seed + 1),
    ):
        at = sample_positions(
            mask, max_samples=options.max_samples, seed=seed, row_numbers=b.row_numbers
        )
        positions[name] = at
        samples[name] = paired_rows(joined, at, total=total, seed=seed, max_text=max_text)
    return ComparisonAnalysis(
        joined=joined,
        names=options.names,
        split_columns=split_columns,
        result=comp,
        samples=samples,
        slices=slices,
        tags=tags,
        positions=positions,
        buckets=buckets,
        images=images,
    )


def analyse_regression(
    joined: Joined, options: CompareOptions, split_columns: tuple[str | None, str | None]
) -> ComparisonAnalysis:
    """Compare two regressors: the paired test, slices and the rows whose error moved most."""
    y_true, pred_a, pred_b = joined.a.y_true_values, joined.a.y_pred_values, joined.b.y_pred_values
    assert y_true is not None and pred_a is not None and pred_b is not None
    abs_a, abs_b = np.abs(y_true - pred_a), np.abs(y_true - pred_b)
    limit = min(LARGEST_CHANGES, options.max_samples)
    samples = {}
    for name, grew in (("grew", True), ("shrank", False)):
        at, total = largest_changes(abs_b - abs_a, limit=limit, grew=grew)
        samples[name] = paired_rows(joined, at, total=total, seed=0, max_text=MAX_TEXT)
    return ComparisonAnalysis(
        joined=joined,
        names=options.names,
        split_columns=split_columns,
        result=compare_regression(y_true, pred_a, pred_b),
        samples=samples,
        slices=_slices(joined, options, abs_a, abs_b),
    )


def _row_tags(analysis: ComparisonAnalysis) -> Callable[[int], list[str]] | None:
    """A shown row's tags from either side's, as written, each cause once (by A's row)."""
    if all(t is None for t in analysis.tags) or analysis.positions is None:
        return None
    row_numbers = analysis.joined.a.row_numbers
    at = {int(row_numbers[p]): p for where in analysis.positions.values() for p in where.tolist()}

    def tags(row: int) -> list[str]:
        seen: dict[str, str] = {}
        for side in analysis.tags:
            for tag in [] if side is None else side.by_row.get(at[row], []):
                seen.setdefault(normalize_tag(tag), tag)
        return list(seen.values())

    return tags


def _provenance(analysis: ComparisonAnalysis, meta: Meta, context: Context) -> Provenance:
    """Both inputs (the candidate's as the input), the baseline's columns, the other inputs."""
    joined, names = analysis.joined, analysis.names
    return {
        **file_provenance(joined.b, meta, rows=joined.b.n),
        "columns": joined.a.columns.as_record(),
        "config": context.config,
        "inputs": [
            input_block(joined.a, names[0], "baseline"),
            input_block(joined.b, names[1], "candidate"),
        ],
        "other_inputs": context.other_inputs,
        "evaluation": evaluation_block(
            context.evaluation, split_columns=analysis.split_columns, names=names
        ),
    }


def build_record(analysis: ComparisonAnalysis, meta: Meta, context: Context) -> ComparisonRecord:
    """Lay the comparison out as the complete record: blocks, words, sections, gates.

    Nothing changes the record after this: the budget and the seal make new ones.
    """
    from reportgen.figures.compare import classification_figures_block, regression_figures_block
    from reportgen.words import compare as words
    from reportgen.words.numbers import units_of

    a, names, comp = analysis, analysis.names, analysis.result
    measure = "mae" if isinstance(comp, RegressionComparison) else "error_rate"
    slices = None if a.slices is None else slices_block(a.slices, measure=measure)
    block: ClassificationComparisonBlock | RegressionComparisonBlock
    figures: ClassificationFigures | RegressionFigures
    if isinstance(comp, ClassificationComparison):
        found = a.buckets
        assert found is not None
        buckets = buckets_block(
            found.a, found.b, found.changes, shared=found.shared, outside=found.outside
        )
        block = comparison_block(comp, a.joined, names, buckets)
        extras = RowExtras(tags=_row_tags(a), images=a.images)
        figures = classification_figures_block(comp)
    else:
        y_true = a.joined.a.y_true_values
        assert y_true is not None
        block = regression_comparison_block(comp, a.joined, names)
        extras = None
        figures = regression_figures_block(y_true)
    # built in page order: the image loader's byte budget goes to the rows shown first
    samples = {name: paired_block(table, extras) for name, table in a.samples.items()}
    # counted after the rows: they load the thumbnails
    images = None if a.images is None else cast(ImagesBlock, asdict(a.images.summary()))
    record = _with_optional(
        {
            "schema": SCHEMA,
            "task": "comparison",
            "title": meta.title,
            "model": meta.model,
            "provenance": _provenance(a, meta, context),
            "summary": {"headline": [], "findings": []},
            "comparison": block,
            "samples": samples,
            "figures": figures,
        },
        images,
        slices,
    )
    # the words read the blocks above
    also = words.slice_findings(slices)
    if block["task"] == "classification":
        record["summary"] = {
            "headline": words.classification_headline(block),
            "findings": words.classification_findings(block, also),
        }
    else:
        with units_of(record):  # every value in data units at the page's one resolution
            record["summary"] = {
                "headline": words.regression_headline(block),
                "findings": words.regression_findings(block, samples, also),
            }
    record["sections"] = [s.id for s in comparison_sections(record)]
    return finish(record, context)


def _with_optional(
    record: ComparisonRecord, images: ImagesBlock | None, slices: ComparisonSlicesBlock | None
) -> ComparisonRecord:
    """Add the blocks only some comparisons have, where the JSON has always had them."""
    placed: dict[str, object] = {}
    for key, value in record.items():
        if key == "samples" and images is not None:
            placed["images"] = images
        placed[key] = value
        if key == "figures" and slices is not None:
            placed["comparison_slices"] = slices
    return cast(ComparisonRecord, placed)


def comparison_sections(record: ComparisonRecord) -> list[Section]:
    """The comparison's sections, in reading order, from its record."""
    from reportgen.render.compare_sections import classification_sections, regression_sections
    from reportgen.render.sections import provenance_section

    c, slices = record["comparison"], record.get("comparison_slices")
    closing = provenance_section(record)
    if c["task"] == "classification":
        figures = cast(ClassificationFigures, record["figures"])
        return classification_sections(c, figures, slices, closing)
    return regression_sections(c, slices, closing)
