"""The rows a comparison shows: seeded samples of joined rows, the rows that changed most, and
both models' predictions for each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.compare_join import Joined
from reportgen.analysis.samples import select_rows
from reportgen.analysis.sampling import bottom_k, row_keys
from reportgen.record.types import Cell  # a pure type: no record code runs here


def largest_changes(change: np.ndarray, *, limit: int, grew: bool) -> tuple[np.ndarray, int]:
    """Positions of the rows whose absolute error grew (or shrank) most, largest first."""
    signed = change if grew else -change
    candidates = np.flatnonzero(signed > 0)
    total = int(candidates.size)
    if limit == 0:
        return candidates[:0], total
    if total > limit:
        candidates = candidates[np.argpartition(-signed[candidates], limit - 1)[:limit]]
    # largest first; ties in file order, so the choice is the same on every run
    return candidates[np.lexsort((candidates, -signed[candidates]))], total


@dataclass(frozen=True)
class PairedRow:
    """One shown row with both models' predictions (and residuals, for regression)."""

    row: int  # in A's file
    row_b: int  # in B's file
    id: str | None
    true: str | float
    pred_a: str | float
    pred_b: str | float
    sample: str | None
    sample_truncated: bool
    extra: dict[str, Cell]
    confidence_a: float | None = None
    confidence_b: float | None = None
    residual_a: float | None = None
    residual_b: float | None = None
    change: float | None = None  # |residual_b| - |residual_a|


@dataclass(frozen=True)
class PairedTable:
    """A bounded selection of paired rows with the total it was drawn from."""

    total: int
    seed: int
    sample_column: str | None
    extra_columns: list[str]
    rows: list[PairedRow]


def paired_rows(
    joined: Joined, positions: np.ndarray, *, total: int, seed: int, max_text: int | None
) -> PairedTable:
    """Describe the rows at the given positions for both models: labels, sample, extras."""
    a, b = joined.a, joined.b
    shown = select_rows(a, positions, seed=seed, total=total, max_text=max_text)
    # the sample comes from A's file, or from B's when only B names one
    samples = (
        shown
        if a.columns.sample is not None
        else select_rows(b, positions, seed=seed, total=total, max_text=max_text)
    )
    regression = b.y_pred_values is not None and b.y_true_values is not None
    rows = []
    for pos, ra, rs in zip(positions.tolist(), shown.rows, samples.rows, strict=True):
        confidence_b = residual_b = change = None
        if regression:
            assert b.y_pred_values is not None and b.y_true_values is not None
            pred_b: str | float = float(b.y_pred_values[pos])
            residual_b = float(b.y_true_values[pos]) - float(pred_b)
            change = abs(residual_b) - abs(float(ra.residual or 0.0))
        else:
            pred_b = joined.labels[int(b.pred_codes[pos])]
            confidence_b = None if b.confidence is None else float(b.confidence[pos])
        rows.append(
            PairedRow(
                row=ra.row,
                row_b=int(b.row_numbers[pos]),
                id=ra.id,
                true=ra.true,
                pred_a=ra.pred,
                pred_b=pred_b,
                sample=rs.sample,
                sample_truncated=rs.sample_truncated,
                extra=ra.extra,
                confidence_a=ra.confidence,
                confidence_b=confidence_b,
                residual_a=ra.residual,
                residual_b=residual_b,
                change=change,
            )
        )
    return PairedTable(total, seed, samples.sample_column, list(shown.extra_columns), rows)


def sample_positions(
    mask: np.ndarray, *, max_samples: int, seed: int, row_numbers: np.ndarray | None = None
) -> np.ndarray:
    """Sample at most max_samples of the positions where mask holds, in joined order.

    The sample is the positions with the smallest keys (`sampling.row_keys`) of row_numbers,
    the candidate's file rows of the joined rows (`joined.b.row_numbers`); without them, of
    the 1-based joined positions.
    """
    found = np.flatnonzero(mask)
    numbers = found + 1 if row_numbers is None else row_numbers[found]
    chosen: np.ndarray = found[bottom_k(row_keys(numbers, seed), max_samples, tiebreak=numbers)]
    return chosen
