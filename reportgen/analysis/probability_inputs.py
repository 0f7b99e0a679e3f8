"""What the probability analyses (calibration, thresholds) read: one typed value, built once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ProbabilityInputs:
    """The rows' true and predicted label codes, the labels, and their probability columns.

    proba: (n, k) probabilities in label order. columns_present: the label indices that have
    a probability column (None: all of them); the other columns are never read. pos_label:
    the positive class of a binary task (None: the usual choice).
    """

    true_codes: np.ndarray
    pred_codes: np.ndarray
    labels: list[str]
    proba: np.ndarray
    columns_present: list[int] | None = None
    pos_label: str | None = None

    def present(self) -> list[int]:
        """Return the label indices that have a probability column, in label order."""
        if self.columns_present is None:
            return list(range(len(self.labels)))
        return sorted(set(self.columns_present))
