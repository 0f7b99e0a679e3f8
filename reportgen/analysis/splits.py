"""Split checks: the label distribution and the metrics of each split, and what is missing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen.analysis.classification import from_counts
from reportgen.analysis.confusion_counts import PairCounts
from reportgen.analysis.suggestions import RARER_FACTOR, TRAIN_NAMES
from reportgen.read.table import factorize, label_text

ORDER = ("train", "training", "trn", "val", "valid", "validation", "dev", "test", "holdout")
MISSING = "(missing)"  # the split of a row whose split cell is empty
MAX_WARNINGS = 20  # warnings kept (thousands of classes could each have one); the rest counted


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
    """Every split in a stable order, the warnings, and the splits the report describes."""

    labels: list[str]
    splits: list[SplitSummary]
    warnings: list[str]
    evaluated: tuple[str, ...]  # the splits the rest of the report describes

    @property
    def eval_split(self) -> str | None:
        """The one split the report describes, or None when it describes several."""
        return self.evaluated[0] if len(self.evaluated) == 1 else None


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
    evaluated: tuple[str, ...] = (),
) -> SplitResult:
    """Count labels and compute metrics per split; warn about classes a split lacks."""
    return splits_from_matrices(
        split_matrices(splits, true_codes, pred_codes, len(labels)), labels, evaluated=evaluated
    )


def split_text(splits: pd.Series) -> np.ndarray:
    """Each row's split as text, written as labels are (3.0 is '3'); an empty cell is MISSING."""
    codes, uniques = factorize(splits)
    texts = [label_text(u) for u in uniques]
    # the last entry is what code -1 (an empty cell) picks
    names = np.array([t if t.strip() else MISSING for t in texts] + [MISSING], dtype=object)
    return np.asarray(names[codes])


def split_matrices(
    splits: pd.Series, true_codes: np.ndarray, pred_codes: np.ndarray, k: int
) -> dict[str, PairCounts]:
    """The confusion counts (sparse) of each split value."""
    text = split_text(splits)
    return {
        str(name): PairCounts.from_codes(true_codes[text == name], pred_codes[text == name], k)
        for name in pd.unique(text)
    }


def splits_from_matrices(
    matrices: dict[str, PairCounts], labels: list[str], *, evaluated: tuple[str, ...] = ()
) -> SplitResult:
    """Summarise each split from its confusion counts, in split order."""
    k = len(labels)
    out = []
    for name in split_order(list(matrices)):
        pairs = matrices[name]
        counts, predicted = pairs.support(), pairs.predicted()
        # metrics over the labels this split has, as scikit-learn computes them by default
        used = np.flatnonzero(counts + predicted)
        position = np.full(pairs.k, -1, dtype=np.int64)
        position[used] = np.arange(used.size)
        result = from_counts(pairs.remapped(position, int(used.size)), [labels[i] for i in used])
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
        warnings=_capped(_warnings(out, labels, evaluated)),
        evaluated=tuple(evaluated),
    )


def _capped(warnings: list[str]) -> list[str]:
    """Keep the first MAX_WARNINGS warnings and count the rest."""
    if len(warnings) <= MAX_WARNINGS:
        return warnings
    more = len(warnings) - MAX_WARNINGS
    return [*warnings[:MAX_WARNINGS], f"{more:,} more warnings like these are left out."]


def kept_split_classes(result: SplitResult, limit: int) -> list[int]:
    """The codes of the `limit` classes a record keeps: train's missing first, then the largest."""
    train = next((s for s in result.splits if s.name.casefold() in TRAIN_NAMES), None)
    total = np.sum([np.asarray(s.counts) for s in result.splits], axis=0)
    lacking = np.zeros(total.shape, dtype=bool) if train is None else np.asarray(train.counts) == 0
    order = np.lexsort((np.arange(total.size), -total, ~lacking))[:limit]
    return sorted(int(i) for i in order)


def _warnings(
    splits: list[SplitSummary], labels: list[str], evaluated: tuple[str, ...]
) -> list[str]:
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
        described = [s for s in splits if s.name in evaluated]
        if described and len(described) < len(splits) and not sum(s.counts[i] for s in described):
            where = ", ".join(f"'{s.name}'" for s in described)
            if sum(s.counts[i] for s in splits):
                warnings.append(
                    f"'{label}' is missing from the evaluated "
                    f"{'split' if len(described) == 1 else 'splits'} {where}: its recall there "
                    "cannot be measured."
                )
    return warnings
