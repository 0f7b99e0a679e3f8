"""Error buckets: count tagged errors by cause, with intervals and the accuracy ceiling."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reportgen.analysis.stats import wilson_interval
from reportgen.errors import ReportgenError
from reportgen.playbook import Entry, match
from reportgen.read.table import PredictionTable
from reportgen.read.tags import normalize_tag, read_tag_sheet, split_tags

# The second bucket is highlighted with the first only when it is at least this large
# relative to it: otherwise the first is clearly the one to address.
SECOND_BUCKET_RATIO = 1 / 3
TOP_PAIRS = 3

# How a ceiling was computed, which decides how the page may word it:
EXACT = "exact"  # every error tagged or reviewed: (correct + the bucket's errors) / rows
ESTIMATE = "estimate"  # tags on a random review sample: projected to all errors, with intervals
TAGGED_ONLY = "tagged-only"  # hand-picked tags: (correct + the bucket's tagged errors) / rows


@dataclass(frozen=True)
class Tags:
    """Tags per table row (positions), where they came from, and what could not be joined."""

    by_row: dict[int, list[str]]
    source: str  # e.g. "column 'buckets'" or "tag sheet review.csv"
    unmatched_ids: list[str] = field(default_factory=list)
    sampling: str | None = None  # how the tagged errors were drawn, when known to be random
    reviewed: frozenset[int] = frozenset()  # rows a random review sheet drew, tagged or not
    sampling_mismatch: str | None = None  # why a sample-errors sheet is not random for these
    outside: int = 0  # sheet ids that are rows of the file outside the rows the report describes


@dataclass(frozen=True)
class PairCount:
    """How often a bucket holds one (true, predicted) pair."""

    true: str
    pred: str
    count: int


@dataclass(frozen=True)
class Bucket:
    """One cause of errors: its size among tagged errors and what fixing it is worth."""

    name: str  # as written (the most common spelling)
    key: str  # normalised, for counting
    count: int
    share: float  # of tagged errors
    share_ci: tuple[float, float] | None  # only for a random review sample
    ceiling: float  # accuracy if every error of this bucket were fixed (see ceiling_kind)
    ceiling_ci: tuple[float, float] | None  # only for a random review sample
    pairs: list[PairCount]  # the TOP_PAIRS largest
    pairs_total: int  # distinct (true, predicted) pairs among the bucket's errors
    address_first: bool
    playbook: str | None  # the matching playbook entry's name
    experiments: list[str]
    why: str


@dataclass(frozen=True)
class BucketResult:
    """Buckets in order of size, with coverage and what the join left over."""

    source: str
    total_errors: int
    tagged_errors: int
    untagged_errors: int
    reviewed_untagged: int  # errors drawn for review and left without a tag: no cause found
    share_base: int  # what bucket shares are shares of: tagged (and reviewed-blank) errors
    tagged_correct: int
    tagged_correct_rows: list[int]
    unmatched_ids: list[str]
    outside_rows: int  # sheet ids on rows outside the evaluated ones
    sampling: str | None
    sampling_mismatch: str | None  # a sample-errors sheet drawn from other errors than these
    multi_tagged: int  # tagged errors with two or more tags
    accuracy: float
    ceiling_kind: str  # EXACT, ESTIMATE or TAGGED_ONLY
    buckets: list[Bucket]


def analyze_buckets(
    tags: Tags,
    *,
    true_codes: np.ndarray,
    pred_codes: np.ndarray,
    labels: list[str],
    row_numbers: np.ndarray,
    playbook: list[Entry],
    whole: tuple[int, int] | None = None,
) -> BucketResult:
    """Count tagged errors per bucket and estimate each bucket's accuracy ceiling.

    whole: (rows, errors) of the whole file when the codes are only the rows kept from it.
    """
    n = int(true_codes.size)
    wrong = true_codes != pred_codes
    total_errors = int(wrong.sum())
    if whole is not None:
        n, total_errors = whole
    accuracy = (n - total_errors) / n if n else 0.0
    tagged = {pos: t for pos, t in tags.by_row.items() if t and wrong[pos]}
    on_correct = sorted(pos for pos, t in tags.by_row.items() if t and not wrong[pos])

    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    first_seen: dict[str, int] = {}
    pairs: dict[str, Counter[tuple[int, int]]] = {}
    multi = 0
    for pos in sorted(tagged):
        keys_here = []
        for written in tagged[pos]:
            key = normalize_tag(written)
            if not key or key in keys_here:
                continue
            keys_here.append(key)
            counts[key] += 1
            spellings.setdefault(key, Counter())[written.strip()] += 1
            first_seen.setdefault(key, len(first_seen))
            pairs.setdefault(key, Counter())[(int(true_codes[pos]), int(pred_codes[pos]))] += 1
        multi += len(keys_here) > 1

    n_tagged = len(tagged)
    # a random sample's blank rows were looked at and given no cause: they count in shares
    reviewed_blank = (
        sum(1 for pos in tags.reviewed if wrong[pos] and pos not in tagged) if tags.sampling else 0
    )
    base = n_tagged + reviewed_blank
    untagged = total_errors - n_tagged - reviewed_blank
    kind = ceiling_kind(untagged, random_sample=tags.sampling is not None)
    error_rate = total_errors / n if n else 0.0
    order = sorted(counts, key=lambda k: (-counts[k], first_seen[k]))
    buckets = []
    for rank, key in enumerate(order):
        count = counts[key]
        share = count / base
        share_ci: tuple[float, float] | None = None
        ceiling_ci: tuple[float, float] | None = None
        if kind == ESTIMATE:
            # the sample's share projected onto every error; its interval carried along
            share_ci = wilson_interval(count, base)
            ceiling = accuracy + share * error_rate
            if share_ci is not None:
                ceiling_ci = (
                    accuracy + share_ci[0] * error_rate,
                    accuracy + share_ci[1] * error_rate,
                )
        else:
            # counted, not estimated: these errors fixed, nothing else assumed
            ceiling = (n - total_errors + count) / n if n else 0.0
        name = max(spellings[key].items(), key=lambda kv: (kv[1], -len(kv[0])))[0]
        entry = match(name, playbook)
        top = counts[order[0]]
        address_first = rank == 0 or (rank == 1 and count >= top * SECOND_BUCKET_RATIO)
        buckets.append(
            Bucket(
                name=name,
                key=key,
                count=count,
                share=share,
                share_ci=share_ci,
                ceiling=ceiling,
                ceiling_ci=ceiling_ci,
                pairs=[
                    PairCount(labels[t], labels[p], c)
                    for (t, p), c in sorted(pairs[key].items(), key=lambda kv: (-kv[1], kv[0]))[
                        :TOP_PAIRS
                    ]
                ],
                pairs_total=len(pairs[key]),
                address_first=address_first,
                playbook=None if entry is None else entry.name,
                experiments=[] if entry is None else list(entry.experiments),
                why="" if entry is None else entry.why,
            )
        )
    return BucketResult(
        source=tags.source,
        total_errors=total_errors,
        tagged_errors=n_tagged,
        untagged_errors=untagged,
        reviewed_untagged=reviewed_blank,
        share_base=base,
        tagged_correct=len(on_correct),
        tagged_correct_rows=[int(row_numbers[p]) for p in on_correct[:10]],
        unmatched_ids=list(tags.unmatched_ids),
        outside_rows=tags.outside,
        sampling=tags.sampling,
        sampling_mismatch=tags.sampling_mismatch,
        multi_tagged=multi,
        accuracy=accuracy,
        ceiling_kind=kind,
        buckets=buckets,
    )


def ceiling_kind(untagged_errors: int, *, random_sample: bool) -> str:
    """Say how ceilings can be computed: exact, estimated from a random sample, or tagged only.

    With every error tagged or reviewed nothing is left to estimate; a random review sample
    speaks for the errors it was drawn from; hand-picked tags speak only for themselves.
    """
    if untagged_errors <= 0:
        return EXACT
    return ESTIMATE if random_sample else TAGGED_ONLY


def tags_from_column(cells: list[object], column: str, separators: str) -> Tags:
    """Read the tags of each row from the bucket column of the prediction file."""
    by_row = {}
    for pos, cell in enumerate(cells):
        found = split_tags(cell, separators)
        if found:
            by_row[pos] = found
    return Tags(by_row=by_row, source=f"column '{column}' of the prediction file")


def tags_from_sheet(
    table: PredictionTable,
    path: str,
    separators: str,
    *,
    evaluated: str | None = None,
    errors: int | None = None,
    others: PredictionTable | None = None,
    outside_keys: Collection[str] | None = None,
) -> Tags:
    """Join a tag sheet to the predictions on the id column (or on row numbers).

    evaluated: the splits the report describes, as a sheet's marker names them (None: every
    row). errors: the errors of the rows the report describes, when the table holds only some
    of them. others: the file's rows outside the ones described, so that a sheet id on one of
    them is counted apart rather than as an id that matches nothing; outside_keys: the sheet
    keys a streamed read found on such rows.
    """
    sheet = read_tag_sheet(path, separators=separators, id_fallback=table.columns.id)
    if sheet.id_column != "row" and table.columns.id is None:
        raise ReportgenError(
            f"{path}: the tag sheet is joined on ids, but the prediction file has no id "
            "column; name it with --id COLUMN."
        )
    lookup = _sheet_keys(table, sheet.id_column)
    elsewhere: Collection[str] = (
        _sheet_keys(others, sheet.id_column) if others is not None else outside_keys or ()
    )
    by_row: dict[int, list[str]] = {}
    unmatched: list[str] = []
    outside = 0
    reviewed: set[int] = set()
    for key, written in zip(sheet.ids, sheet.tags, strict=True):
        pos = lookup.get(key)
        if pos is None:
            if key in elsewhere:
                outside += 1
            else:
                unmatched.append(key)
            continue
        reviewed.add(pos)
        if written:
            by_row[pos] = written
    sampling, mismatch = None, None
    if sheet.sampling is not None:
        described = errors
        if described is None:
            described = int((table.true_codes != table.pred_codes).sum())
        split = sheet.sampling.split
        total = sheet.sampling.total_errors
        # a sample speaks for the errors it was drawn from: a sheet drawn from other rows or
        # other predictions is not a random sample of these errors; it must name the splits
        # the report describes and count as many errors
        if split == evaluated and total == described:
            tagged_rows = sum(1 for t in sheet.tags if t)
            sampling = (
                f"{tagged_rows:,} of the {len(sheet.ids):,} errors drawn at random by "
                f"sample-errors ({sheet.sampling.marker()})"
            )
        else:
            where = f" of split '{split}'" if split is not None else ""
            here = f" of split '{evaluated}'" if evaluated is not None else ""
            mismatch = (
                f"the sheet was drawn at random from {total:,} errors{where}, but this report "
                f"describes {described:,} errors{here}"
            )
    return Tags(
        by_row=by_row,
        source=f"tag sheet {Path(path).name}",
        unmatched_ids=unmatched,
        sampling=sampling,
        reviewed=frozenset(reviewed),
        sampling_mismatch=mismatch,
        outside=outside,
    )


def _sheet_keys(table: PredictionTable, id_column: str) -> dict[str, int]:
    """Each row's key as a tag sheet writes it (its id, or its row number), to its position."""
    if id_column == "row":
        return {str(int(r)): pos for pos, r in enumerate(table.row_numbers)}
    assert table.columns.id is not None
    ids = table.frame[table.columns.id].astype("str").tolist()
    return {value: pos for pos, value in enumerate(ids)}
