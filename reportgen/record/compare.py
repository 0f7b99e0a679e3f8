"""The comparison report: two models' predictions on the same rows, their changes and flips.

One function per task turns the joined tables into the record, its figures and its sections:
analysis (analysis.compare, analysis.compare_slices) -> blocks (record.compare_blocks) ->
words (words.compare) -> sections (render.compare_sections). Nothing after it edits the record
but the entry point's provenance and gates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np

from reportgen.analysis.buckets import BucketResult, Tags, analyze_buckets
from reportgen.analysis.compare import (
    compare_buckets,
    compare_classification,
    compare_regression,
    keep_tags,
)
from reportgen.analysis.compare_join import Joined
from reportgen.analysis.compare_rows import largest_changes, paired_rows, sample_positions
from reportgen.analysis.compare_slices import compare_slices
from reportgen.analysis.samples import MAX_TEXT
from reportgen.read.images import ImageLoader
from reportgen.read.table import PredictionTable
from reportgen.read.tags import normalize_tag
from reportgen.record.common import Meta
from reportgen.record.compare_blocks import (
    buckets_block,
    comparison_block,
    input_block,
    paired_block,
    regression_comparison_block,
    slices_block,
)
from reportgen.record.compare_types import BucketsBlock, ComparisonSlicesBlock, PairedBlock
from reportgen.record.samples import attach_thumbnails
from reportgen.render.compare_sections import classification_sections, regression_sections
from reportgen.render.sections import provenance_section
from reportgen.report import Assembled
from reportgen.words import compare as words
from reportgen.words.numbers import units_of

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


def attach_tags(
    tables: list[PairedBlock], positions: list[np.ndarray], tags: list[Tags | None]
) -> None:
    """Show each row's tags from either side's tags, as written, each cause once."""
    for table, where in zip(tables, positions, strict=True):
        for row, pos in zip(table["rows"], where.tolist(), strict=True):
            seen: dict[str, str] = {}
            for side in tags:
                for tag in [] if side is None else side.by_row.get(pos, []):
                    seen.setdefault(normalize_tag(tag), tag)
            row["tags"] = list(seen.values())


def base_record(joined: Joined, meta: Meta, names: tuple[str, str]) -> dict[str, Any]:
    """Start the record: names and the provenance of both inputs (the candidate's as input)."""
    from reportgen.record.common import base_record as single

    record = single(
        joined.b, title=meta.title, model=meta.model, created=meta.created, options=meta.options
    )
    record["task"] = "comparison"
    record["provenance"]["inputs"] = [
        input_block(joined.a, names[0], "baseline"),
        input_block(joined.b, names[1], "candidate"),
    ]
    record["provenance"]["columns"] = joined.a.columns.as_record()
    return record


def _tags(table: PredictionTable, sheet: str | None, separators: str) -> Tags | None:
    """One side's tags: its sheet, or its buckets column."""
    from reportgen.record.classification import LoopOptions, collect_tags

    return collect_tags(table, LoopOptions(tags=sheet, separators=separators))


def _buckets(
    joined: Joined, options: CompareOptions
) -> tuple[list[Tags | None], BucketsBlock | None]:
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
    tags = [None if k is None else k[0] for k in kept]
    outside = (0 if kept[0] is None else kept[0][1], 0 if kept[1] is None else kept[1][1])
    playbook = load_playbook(None)
    results: list[BucketResult | None] = [
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
    ]
    shared = options.tags_a is not None and options.tags_a == options.tags_b
    block = buckets_block(
        results[0],
        results[1],
        compare_buckets(results[0], results[1]),
        shared=shared,
        outside=outside,
    )
    return tags, block


def _slices(
    joined: Joined, options: CompareOptions, loss_a: np.ndarray, loss_b: np.ndarray, measure: str
) -> ComparisonSlicesBlock | None:
    """Compare the two models in each slice, when slices were asked for."""
    if not options.slices:
        return None
    # a column both files have is read from the baseline's (the rows are the same rows)
    values = {c: joined.a.frame[c] for c in joined.a.columns.slices}
    for c in joined.b.columns.slices:
        values.setdefault(c, joined.b.frame[c])
    return slices_block(compare_slices(values, loss_a, loss_b), measure=measure)


def _flips(
    joined: Joined, options: CompareOptions, fixed: int, broken: int, max_text: int | None
) -> tuple[list[PairedBlock], list[np.ndarray]]:
    """Sample the fixed and the broken rows, each with its own seed, and where they are."""
    a, b = joined.a, joined.b
    right_a, right_b = a.true_codes == a.pred_codes, b.true_codes == b.pred_codes
    tables, where = [], []
    for mask, total, seed in (
        (~right_a & right_b, fixed, options.seed),
        (right_a & ~right_b, broken, options.seed + 1),
    ):
        at = sample_positions(
            mask, max_samples=options.max_samples, seed=seed, row_numbers=b.row_numbers
        )
        where.append(at)
        tables.append(
            paired_block(paired_rows(joined, at, total=total, seed=seed, max_text=max_text))
        )
    return tables, where


def assemble_classification(joined: Joined, meta: Meta, options: CompareOptions) -> Assembled:
    """Compare two classifiers and lay out the report."""
    from reportgen.figures.compare import classification_figures

    a, b, names = joined.a, joined.b, options.names
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
    record = base_record(joined, meta, names)
    c = comparison_block(comp, joined, names, buckets)
    record["comparison"] = c
    wrong_a = (a.true_codes != a.pred_codes).astype(np.float64)
    wrong_b = (b.true_codes != b.pred_codes).astype(np.float64)
    slices = _slices(joined, options, wrong_a, wrong_b, "error_rate")

    has_images = options.image_root is not None and (
        a.columns.sample is not None or b.columns.sample is not None
    )
    tables, where = _flips(
        joined, options, comp.fixed, comp.broken, None if has_images else MAX_TEXT
    )
    if any(t is not None for t in tags):
        attach_tags(tables, where, tags)
    thumbnails: dict[str, dict[str, Any]] = {}
    if has_images:
        assert options.image_root is not None
        images = ImageLoader(options.image_root)
        # attach_thumbnails is typed for a build report's sample tables: the same row shape
        thumbnails = attach_thumbnails(cast(list[dict[str, Any]], tables), images)
        record["images"] = asdict(images.summary())
    record["samples"] = {"fixed": tables[0], "broken": tables[1]}

    figures, drawn = classification_figures(comp, names=names)
    record["figures"] = drawn
    if slices is not None:
        record["comparison_slices"] = slices
    record["summary"] = {
        "headline": words.classification_headline(c),
        "findings": words.classification_findings(c, words.slice_findings(slices)),
    }
    sections = classification_sections(c, drawn, slices, provenance_section(record))
    record["sections"] = [s.id for s in sections]
    return Assembled(record, figures, sections, thumbnails)


def assemble_regression(joined: Joined, meta: Meta, options: CompareOptions) -> Assembled:
    """Compare two regressors and lay out the report."""
    from reportgen.figures.compare import regression_figures

    a, b, names = joined.a, joined.b, options.names
    y_true, pred_a, pred_b = a.y_true_values, a.y_pred_values, b.y_pred_values
    assert y_true is not None and pred_a is not None and pred_b is not None
    comp = compare_regression(y_true, pred_a, pred_b)
    abs_a, abs_b = np.abs(y_true - pred_a), np.abs(y_true - pred_b)
    limit = min(LARGEST_CHANGES, options.max_samples)
    grew, n_grew = largest_changes(abs_b - abs_a, limit=limit, grew=True)
    shrank, n_shrank = largest_changes(abs_b - abs_a, limit=limit, grew=False)
    record = base_record(joined, meta, names)
    c = regression_comparison_block(comp, joined, names)
    record["comparison"] = c
    samples = {
        "grew": paired_block(paired_rows(joined, grew, total=n_grew, seed=0, max_text=MAX_TEXT)),
        "shrank": paired_block(
            paired_rows(joined, shrank, total=n_shrank, seed=0, max_text=MAX_TEXT)
        ),
    }
    record["samples"] = samples
    figures, record["figures"] = regression_figures(y_true, pred_a, pred_b, names=names)
    slices = _slices(joined, options, abs_a, abs_b, "mae")
    if slices is not None:
        record["comparison_slices"] = slices
    with units_of(record):
        record["summary"] = {
            "headline": words.regression_headline(c),
            "findings": words.regression_findings(c, samples, words.slice_findings(slices)),
        }
    sections = regression_sections(c, slices, provenance_section(record))
    record["sections"] = [s.id for s in sections]
    return Assembled(record, figures, sections)
