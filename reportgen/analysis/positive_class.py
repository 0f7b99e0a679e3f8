"""The positive class of a binary task: which label it is, and its probability on each row."""

from __future__ import annotations

import numpy as np

from reportgen.errors import ReportgenError

# labels that name the positive class of a binary task when --pos-label is not given
POSITIVE_NAMES = ("1", "true", "yes", "positive", "pos")


def resolve_pos_label(labels: list[str], pos_label: str | None) -> int:
    """Return the positive class's index: pos_label if given, else the documented default.

    The default is the first label (in label order) named 1, true, yes, positive or pos, in any
    case; failing that the second label, as scikit-learn takes 1 of {0, 1}.
    """
    if pos_label is not None:
        if pos_label not in labels:
            shown = ", ".join(f"'{lab}'" for lab in labels[:20])
            raise ReportgenError(
                f"--pos-label '{pos_label}' is not one of the labels in the file ({shown}"
                f"{', …' if len(labels) > 20 else ''}). Name the positive class exactly as "
                "it is written in the label columns."
            )
        return labels.index(pos_label)
    for i, lab in enumerate(labels):
        if lab.strip().lower() in POSITIVE_NAMES:
            return i
    return 1 if len(labels) > 1 else 0


def score_source(labels: list[str], pos: int, present: list[int]) -> str:
    """Say where the positive-class probability comes from: its column, or 1 minus the other's."""
    if pos in present:
        return "its probability column"
    return f"1 − the probability of '{labels[1 - pos]}'"


def positive_score(
    proba: np.ndarray, pos: int, present: list[int], labels: list[str]
) -> tuple[np.ndarray, str]:
    """Return the positive-class probability of a binary task and where it comes from.

    Without a column for the positive class, 1 minus the other class's probability.
    """
    if pos in present:
        score = np.asarray(proba[:, pos], dtype=np.float64)
    elif 1 - pos in present:
        score = 1.0 - np.asarray(proba[:, 1 - pos], dtype=np.float64)
    else:
        raise ValueError("a binary task needs a probability column for one of its two labels")
    return score, score_source(labels, pos, present)
