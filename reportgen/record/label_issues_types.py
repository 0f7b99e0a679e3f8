"""The suspected-label-errors block as types: method, counts, pairs and the ranked rows."""

from __future__ import annotations

from typing import TypedDict

from reportgen.record.types import SampleRowBlock


class LabelIssueRowBlock(SampleRowBlock):
    """A flagged row: the shown row, the label confident learning suggests, its confidence."""

    suggested: str  # the class of highest probability (first on ties)
    self_confidence: float  # the probability of the given label


class LabelIssueTableBlock(TypedDict):
    """The flagged rows shown, most likely first (a ranking: no seed, the budget keeps the top)."""

    total: int
    shown: int
    sample_column: str | None
    columns: list[str]
    rows: list[LabelIssueRowBlock]


class LabelIssuePair(TypedDict):
    """Flagged rows of one given label whose suggested label is another."""

    given: str
    suggested: str
    count: int


class LabelIssuesBlock(TypedDict):
    """Suspected label errors by confident learning (only with --oof and every class's column)."""

    method: str
    rows: int  # rows examined
    flagged: int  # rows flagged as suspected label errors
    flagged_errors: int  # of them, rows the model's prediction differs from the given label
    pairs: list[LabelIssuePair]  # most flagged first, then given and suggested label order
    samples: LabelIssueTableBlock
