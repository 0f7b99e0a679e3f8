"""What a streamed read knows (Streamed) and how many rows each kept set holds (Limits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reportgen.analysis.calibration_sums import CalibrationSums
from reportgen.analysis.confusion_counts import PairCounts
from reportgen.read.stream.batches import Source
from reportgen.read.table import PredictionTable


@dataclass
class Streamed:
    """What a streamed read knows: exact counts and sums, and the rows it kept."""

    source: Source
    task: str
    rows_read: int
    rows_dropped: int
    n: int
    labels: list[str] = field(default_factory=list)
    label_kind: str = ""
    pairs: PairCounts | None = None  # exact confusion counts (sparse), final label order
    split_matrices: dict[str, PairCounts] = field(default_factory=dict)  # every row's
    split_rows: dict[str, int] = field(default_factory=dict)  # every row's, by split text
    split_labels: list[str] = field(default_factory=list)  # the labels of every row
    confidence_sums: tuple[float, int, float, int] | None = None  # right sum, n, wrong sum, n
    confident_errors: int | None = None  # errors with confidence >= suggestions.CONFIDENT
    # tag-sheet keys (ids or row numbers) found on rows outside the evaluated ones
    tagged_outside: frozenset[str] = frozenset()
    calibration: CalibrationSums | None = None
    slice_counts: pd.Series | None = None  # rows by slice values and wrong, when few enough
    score_counts: pd.Series | None = None  # binary: rows by labels and scores, when few enough
    step_matrices: dict[str, PairCounts] = field(default_factory=dict)  # by step value's text
    step_values: dict[str, Any] = field(default_factory=dict)  # a value as written, per text
    regression: dict[str, Any] = field(default_factory=dict)
    shown: PredictionTable | None = None  # every kept row: samples to show pick from these
    sample: PredictionTable | None = None  # the analysis sample
    sampled: bool = False  # True when the analysis sample is not every row


@dataclass(frozen=True)
class Limits:
    """How many rows each kept set holds."""

    sample: int
    errors: int
    per_pair: int
    largest: int
