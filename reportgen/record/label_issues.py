"""Suspected label errors in a classification report: found, shown, and turned into a suggestion.

With --oof the user says the probability columns are out-of-sample; confident learning
(analysis/label_issues.py) then ranks the rows whose given label is least likely. The rows are
shown as suspected, never as wrong: a reviewer confirms each. The flagged rows the model gets
wrong form a "label noise" measured bucket, suggested with the playbook's experiment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reportgen.analysis.label_issues import find_label_issues
from reportgen.analysis.samples import SampleTable, select_rows
from reportgen.analysis.suggestions import Suggestion
from reportgen.errors import ReportgenError
from reportgen.playbook import Entry, match
from reportgen.read.table import PredictionTable
from reportgen.record.label_issues_types import (
    LabelIssueRowBlock,
    LabelIssuesBlock,
    LabelIssueTableBlock,
)
from reportgen.record.samples import RowExtras, samples_block
from reportgen.words.numbers import pct

KIND = "label-issues"  # the suggestion's kind
BUCKET = "label noise"  # the playbook entry whose experiments the suggestion carries
METHOD = (
    "Confident learning (Northcutt, Jiang and Chuang, 2021) on the out-of-sample probabilities "
    "(--oof): per-class thresholds, the confident joint, pruning by noise rate, ranked by the "
    "probability of the given label, lowest first; equal to cleanlab's find_label_issues with "
    "its defaults (ties broken by row index)."
)


@dataclass(frozen=True)
class LabelIssueFindings:
    """The flagged rows of a table, counted, and the most likely ones to show."""

    rows: int  # rows examined
    flagged: int
    flagged_errors: int  # flagged rows whose prediction differs from the given label
    pairs: list[tuple[str, str, int]]  # (given, suggested, count), most first
    shown: SampleTable  # the first max_samples flagged rows, most likely first
    suggested: list[str]  # per shown row
    self_confidence: list[float]  # per shown row


def check_oof(table: PredictionTable, *, streamed: bool) -> None:
    """Refuse --oof where it cannot run: no probability for some class, or a streamed read."""
    name = table.source.path or "the DataFrame"
    if table.proba is None or not table.proba_columns:
        raise ReportgenError(
            f"{name}: --oof says the probability columns are out-of-sample, but the file has "
            "none: give one column per class (named with --proba-prefix), or leave out --oof."
        )
    missing = [label for i, label in enumerate(table.labels) if i not in table.proba_columns]
    if missing:
        named = ", ".join(f"'{m}'" for m in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ReportgenError(
            f"{name}: --oof needs a probability column for every class, and {len(missing):,} "
            f"{'class has' if len(missing) == 1 else 'classes have'} none ({named}); "
            "add them, or leave out --oof."
        )
    if streamed:
        raise ReportgenError(
            f"{name}: --oof reviews every row's probabilities at once, and this build reads "
            "the file in batches (--stream, or a file over 1 GB); pass --no-stream."
        )


def find_findings(
    table: PredictionTable, *, max_samples: int, max_text: int | None
) -> LabelIssueFindings:
    """Flag the table's suspected label errors (check_oof first) and pick the rows to show."""
    assert table.proba is not None
    try:
        found = find_label_issues(table.true_codes, table.proba)
    except ValueError as exc:  # the reader checks the probabilities: a last guard
        raise ReportgenError(f"{table.source.path or 'the DataFrame'}: --oof: {exc}.") from exc
    ranked = found.ranked
    given, suggested = table.true_codes[ranked], found.suggested[ranked]
    counts = Counter(zip(given.tolist(), suggested.tolist(), strict=True))
    # most flagged first, then label order: no dict-order surprises
    pairs = [
        (table.labels[g], table.labels[s], n)
        for (g, s), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    top = ranked[:max_samples]
    shown = select_rows(table, top, seed=0, total=int(ranked.size), max_text=max_text)
    return LabelIssueFindings(
        rows=table.n,
        flagged=int(ranked.size),
        flagged_errors=int((table.pred_codes[ranked] != table.true_codes[ranked]).sum()),
        pairs=pairs,
        shown=shown,
        suggested=[table.labels[int(s)] for s in found.suggested[top]],
        self_confidence=[float(c) for c in found.self_confidence[top]],
    )


def label_issues_block(
    findings: LabelIssueFindings, extras: RowExtras | None = None
) -> LabelIssuesBlock:
    """Describe the findings as plain JSON data, each shown row with its tags and image."""
    table = samples_block(findings.shown, extras)
    rows: list[LabelIssueRowBlock] = []
    for row, suggested, confidence in zip(
        table["rows"], findings.suggested, findings.self_confidence, strict=True
    ):
        rows.append({**row, "suggested": suggested, "self_confidence": confidence})
    # no seed: a ranking, which the size budget cuts from the end
    shown: LabelIssueTableBlock = {
        "total": table["total"],
        "shown": table["shown"],
        "sample_column": table["sample_column"],
        "columns": table["columns"],
        "rows": rows,
    }
    return {
        "method": METHOD,
        "rows": findings.rows,
        "flagged": findings.flagged,
        "flagged_errors": findings.flagged_errors,
        "pairs": [{"given": g, "suggested": s, "count": n} for g, s, n in findings.pairs],
        "samples": shown,
    }


def label_noise_suggestion(
    findings: LabelIssueFindings, errors: int, playbook: list[Entry]
) -> list[Suggestion]:
    """The "label noise" measured bucket: flagged rows the model gets wrong, relabelled first."""
    m = findings.flagged_errors
    if m == 0:
        return []
    entry = match(BUCKET, playbook)
    experiments = "" if entry is None else " " + " ".join(f"{e}." for e in entry.experiments)
    top = findings.pairs[0]
    return [
        Suggestion(
            KIND,
            BUCKET,
            f"Relabel these first: review the {m:,} suspected label errors the model gets wrong "
            f"(Suspected label errors).{experiments}",
            f"Confident learning flags {findings.flagged:,} of {findings.rows:,} rows as "
            f"suspected label errors; the model's prediction differs from the given label in "
            f"{m:,} of them ({pct(m / max(1, errors))} of all {errors:,} errors). Most flagged: "
            f"given '{top[0]}', suggested '{top[1]}' ({top[2]:,}).",
        )
    ]
