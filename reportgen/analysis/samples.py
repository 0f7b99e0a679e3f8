"""Pick the rows the report shows: a seeded sample of the misclassified ones."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from reportgen.analysis.sampling import bottom_k, row_keys
from reportgen.read.table import PredictionTable
from reportgen.record.types import Cell  # a pure type: no record code runs here

MAX_TEXT = 200
# the rows a report shows: the read keeps as many, the record lays them out
STRIP_ERRORS = 4  # misclassified examples per confusion
LARGEST_ERRORS = 20  # regression: largest under- and over-predictions


@dataclass(frozen=True)
class SampleRow:
    """One shown row: where it is in the file, its labels and the columns chosen for display."""

    row: int
    id: str | None
    true: str | float
    pred: str | float
    confidence: float | None
    sample: str | None
    sample_truncated: bool
    extra: dict[str, Cell] = field(default_factory=dict)
    residual: float | None = None


@dataclass(frozen=True)
class SampleTable:
    """A bounded, seeded selection of rows with the total it was drawn from."""

    total: int
    seed: int
    sample_column: str | None
    extra_columns: list[str]
    rows: list[SampleRow]

    @property
    def shown(self) -> int:
        return len(self.rows)


def shorten(text: str, limit: int = MAX_TEXT) -> tuple[str, bool]:
    """Cut text to limit characters on a word boundary where possible, marking the cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat, False
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…", True


def json_scalar(value: object) -> Cell:
    """Turn a cell into a JSON-safe scalar: NaN and missing become None, numpy types plain."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    try:
        if value != value:  # pandas NA and NaT compare unequal to themselves
            return None
    except (TypeError, ValueError):
        return None
    return str(value)


def select_rows(
    table: PredictionTable,
    positions: np.ndarray,
    *,
    seed: int,
    total: int,
    max_text: int | None = MAX_TEXT,
) -> SampleTable:
    """Describe the rows at the given positions (already chosen and ordered)."""
    cols = table.columns
    # the split is worth seeing beside every sample, named or not
    shown = [*cols.extra, *([cols.split] if cols.split and cols.split not in cols.extra else [])]
    rows = []
    for pos in positions.tolist():
        record = table.frame.iloc[pos]
        sample_text: str | None = None
        truncated = False
        if cols.sample is not None:
            raw = json_scalar(record[cols.sample])
            if raw is not None:
                # max_text None keeps the value whole: an image path, read later, not shown as text
                sample_text, truncated = (
                    (str(raw), False) if max_text is None else shorten(str(raw), max_text)
                )
        if table.y_true_values is not None and table.y_pred_values is not None:
            true: str | float = float(table.y_true_values[pos])
            pred: str | float = float(table.y_pred_values[pos])
            residual: float | None = float(table.y_true_values[pos] - table.y_pred_values[pos])
        else:
            true = table.labels[int(table.true_codes[pos])]
            pred = table.labels[int(table.pred_codes[pos])]
            residual = None
        rows.append(
            SampleRow(
                row=int(table.row_numbers[pos]),
                id=None if cols.id is None else str(record[cols.id]),
                true=true,
                pred=pred,
                residual=residual,
                confidence=None if table.confidence is None else float(table.confidence[pos]),
                sample=sample_text,
                sample_truncated=truncated,
                extra={c: json_scalar(record[c]) for c in shown},
            )
        )
    return SampleTable(
        total=total,
        seed=seed,
        sample_column=cols.sample,
        extra_columns=shown,
        rows=rows,
    )


def misclassified_samples(
    table: PredictionTable, *, max_samples: int, seed: int, max_text: int | None = MAX_TEXT
) -> SampleTable:
    """Draw a seeded sample of at most max_samples misclassified rows, shown in file order.

    The sample is the misclassified rows with the smallest row keys (`sampling.row_keys`),
    so a reader that sees the file in batches can keep the same rows.
    """
    wrong = np.flatnonzero(table.true_codes != table.pred_codes)
    total = int(wrong.size)
    rows = table.row_numbers[wrong]
    wrong = wrong[bottom_k(row_keys(rows, seed), max_samples, tiebreak=rows)]
    return select_rows(table, wrong, seed=seed, total=total, max_text=max_text)


def largest_errors(
    table: PredictionTable, *, limit: int, under: bool, max_text: int | None = MAX_TEXT
) -> SampleTable:
    """The rows with the largest residuals: under-predictions (y_true > y_pred) or over."""
    assert table.y_true_values is not None and table.y_pred_values is not None
    residual = table.y_true_values - table.y_pred_values
    signed = residual if under else -residual
    candidates = np.flatnonzero(signed > 0)
    total = int(candidates.size)
    if limit == 0:
        candidates = candidates[:0]
    elif total > limit:
        top = np.argpartition(-signed[candidates], limit - 1)[:limit]
        candidates = candidates[top]
    # largest first; ties in file order, so the choice is the same on every run
    order = np.lexsort((candidates, -signed[candidates]))
    return select_rows(table, candidates[order], seed=0, total=total, max_text=max_text)


@dataclass(frozen=True)
class ConfusionStrip:
    """Examples of one confusion beside a correct example of each class involved."""

    true: str
    pred: str
    count: int
    errors: SampleTable
    true_example: SampleTable  # at most one correctly classified row of the true class
    pred_example: SampleTable  # at most one correctly classified row of the predicted class


def confusion_strips(
    table: PredictionTable,
    pairs: list[tuple[str, str, int]],
    *,
    per_pair: int,
    seed: int,
    max_text: int | None = MAX_TEXT,
) -> list[ConfusionStrip]:
    """For each (true, predicted, count) pair, pick seeded examples of it and of both classes.

    Every row has one key for the seed (`sampling.row_keys`): a pair shows its errors with the
    smallest keys and a class its correct row with the smallest key, whichever pairs are shown.
    """
    code = {label: i for i, label in enumerate(table.labels)}
    right = table.true_codes == table.pred_codes
    keys = row_keys(table.row_numbers, seed)

    def smallest(where: np.ndarray, k: int) -> np.ndarray:
        found = np.flatnonzero(where)
        chosen: np.ndarray = found[bottom_k(keys[found], k, tiebreak=table.row_numbers[found])]
        return chosen

    def one_correct(label_code: int) -> SampleTable:
        found = smallest(right & (table.true_codes == label_code), 1)
        return select_rows(table, found, seed=seed, total=1, max_text=max_text)

    strips = []
    for true, pred, count in pairs:
        t, p = code[true], code[pred]
        wrong = smallest((table.true_codes == t) & (table.pred_codes == p), per_pair)
        strips.append(
            ConfusionStrip(
                true=true,
                pred=pred,
                count=count,
                errors=select_rows(table, wrong, seed=seed, total=count, max_text=max_text),
                true_example=one_correct(t),
                pred_example=one_correct(p),
            )
        )
    return strips
