"""Split checks: the label distribution and the metrics of each split, and what is missing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen.analysis.classification import confusion_matrix, from_matrix
from reportgen.analysis.suggestions import RARER_FACTOR, TRAIN_NAMES

ORDER = ("train", "training", "trn", "val", "valid", "validation", "dev", "test", "holdout")


@dataclass(frozen=True)
class SplitSummary:
    """One split: its rows per true class and how the model does on it."""

    name: str
    n: int
    counts: list[int]  # per label, in label order
    accuracy: float
    accuracy_ci: tuple[float, float] | None
    macro_f1: float


@dataclass(frozen=True)
class SplitResult:
    """Every split in a stable order, the warnings, and the split the report is about."""

    labels: list[str]
    splits: list[SplitSummary]
    warnings: list[str]
    eval_split: str | None


def split_order(names: list[str]) -> list[str]:
    """Train first, then validation, dev and test, then the rest alphabetically."""

    def key(name: str) -> tuple[int, str]:
        lowered = name.casefold()
        return (ORDER.index(lowered) if lowered in ORDER else len(ORDER), name)

    return sorted(names, key=key)


def analyze_splits(
    splits: pd.Series,
    true_codes: np.ndarray,
    pred_codes: np.ndarray,
    labels: list[str],
    *,
    eval_split: str | None = None,
) -> SplitResult:
    """Count labels and compute metrics per split; warn about classes a split lacks."""
    return splits_from_matrices(
        split_matrices(splits, true_codes, pred_codes, len(labels)), labels, eval_split=eval_split
    )


def split_text(splits: pd.Series) -> np.ndarray:
    """Each row's split as its file writes it (1, not 1.0); an empty cell is '(missing)'."""
    from reportgen.table import factorize, label_text

    codes, uniques = factorize(splits)
    texts = np.array([label_text(u) for u in uniques] + ["(missing)"], dtype=object)
    return np.asarray(texts[np.where(codes < 0, len(uniques), codes)].astype(str))


def split_matrices(
    splits: pd.Series, true_codes: np.ndarray, pred_codes: np.ndarray, k: int
) -> dict[str, np.ndarray]:
    """One confusion matrix per split value."""
    text = split_text(splits)
    return {
        str(name): confusion_matrix(true_codes[text == name], pred_codes[text == name], k)
        for name in pd.unique(text)
    }


def splits_from_matrices(
    matrices: dict[str, np.ndarray], labels: list[str], *, eval_split: str | None = None
) -> SplitResult:
    """Summarise each split from its confusion matrix (rows true), in split order."""
    k = len(labels)
    out = []
    for name in split_order(list(matrices)):
        cm = matrices[name]
        counts, predicted = cm.sum(axis=1), cm.sum(axis=0)
        # metrics over the labels this split has, as scikit-learn computes them by default
        used = np.flatnonzero(counts + predicted)
        result = from_matrix(cm[np.ix_(used, used)], [labels[i] for i in used])
        out.append(
            SplitSummary(
                name=name,
                n=int(counts.sum()),
                counts=[int(c) for c in counts[:k]],
                accuracy=result.accuracy,
                accuracy_ci=result.accuracy_ci,
                macro_f1=result.macro_avg.f1,
            )
        )
    return SplitResult(
        labels=list(labels),
        splits=out,
        warnings=_warnings(out, labels, eval_split),
        eval_split=eval_split,
    )


def _warnings(splits: list[SplitSummary], labels: list[str], eval_split: str | None) -> list[str]:
    train = next((s for s in splits if s.name.casefold() in TRAIN_NAMES), None)
    others = [s for s in splits if s is not train]
    warnings = []
    for i, label in enumerate(labels):
        elsewhere = sum(s.counts[i] for s in others)
        if train is not None and elsewhere:
            if train.counts[i] == 0:
                where = ", ".join(s.name for s in others if s.counts[i])
                warnings.append(
                    f"'{label}' never occurs in '{train.name}' but has {elsewhere:,} rows in "
                    f"{where}: the model cannot learn it."
                )
            else:
                share_train = train.counts[i] / train.n
                other_n = sum(s.n for s in others)
                share_other = elsewhere / other_n if other_n else 0.0
                if share_train < RARER_FACTOR * share_other:
                    warnings.append(
                        f"'{label}' is far rarer in '{train.name}' ({share_train:.1%}) than in the "
                        f"other splits ({share_other:.1%})."
                    )
        for s in splits:
            if s is train or s.counts[i] or not sum(x.counts[i] for x in splits):
                continue
            if eval_split is not None and s.name == eval_split:
                warnings.append(
                    f"'{label}' is missing from the evaluated split '{s.name}': its recall "
                    "there cannot be measured."
                )
    return warnings
