"""Training evolution: metrics per epoch or step, and the steps worth a closer look."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen.analysis import classification
from reportgen.analysis.classification import confusion_matrix, from_matrix
from reportgen.errors import ReportgenError
from reportgen.read.table import label_text

MAX_CHOSEN = 6  # confusion matrices side by side stay legible up to this many


@dataclass(frozen=True)
class StepMetrics:
    """How the model does at one step; recall per label is None where the step has no sample."""

    step: str
    n: int
    accuracy: float
    accuracy_ci: tuple[float, float] | None
    macro_f1: float
    recall: list[float | None]


@dataclass(frozen=True)
class EvolutionResult:
    """Metrics at every step, the chosen steps' confusion matrices, and the step shown."""

    column: str
    labels: list[str]  # the union over all steps, in label order
    steps: list[str]  # in step order
    per_step: list[StepMetrics]
    best: str  # highest accuracy, earliest on ties
    chosen: list[str]  # in step order
    chosen_by: str  # "default" (first, best, last) or "option"
    shown_step: str
    confusion_matrices: dict[str, np.ndarray]  # chosen step -> (labels, labels) counts


def step_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Code each row's step by its position in step order: numeric when all are numbers."""
    codes, uniques = pd.factorize(values, sort=False)
    plain = list(uniques)
    numbers = pd.to_numeric(pd.Series(plain, dtype="object"), errors="coerce")
    numeric = not any(isinstance(v, (bool, np.bool_)) for v in plain) and bool(
        numbers.notna().all()
    )
    keys: list[float] = []
    if numeric:
        keys = [float(x) for x in numbers]
        texts = [label_text(float(x)) for x in numbers]
    else:
        texts = [label_text(v) for v in plain]
    order = sorted(range(len(plain)), key=lambda i: (keys[i], texts[i]) if numeric else texts[i])
    # two spellings of one number (5 and 5.0) are one step
    names = list(dict.fromkeys(texts[i] for i in order))
    position = np.array([names.index(t) for t in texts], dtype=np.int64)
    return position[codes], names


def find_step(value: object, steps: list[str], *, option: str, column: str) -> str:
    """Return the step named by an option, matching 5 and 5.0, or explain which steps exist."""
    text = str(value).strip()
    if text in steps:
        return text
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and label_text(number) in steps:
        return label_text(number)
    shown = ", ".join(steps[:30]) + (f", … ({len(steps)} in all)" if len(steps) > 30 else "")
    raise ReportgenError(
        f"{option} {text}: column '{column}' has no step {text}; its steps are {shown}."
    )


def analyze_evolution(
    step_values: pd.Series,
    true_codes: np.ndarray,
    pred_codes: np.ndarray,
    labels: list[str],
    *,
    column: str,
    steps: Sequence[str] = (),
    at_step: str | None = None,
) -> EvolutionResult:
    """Compute accuracy, macro F1 and per-class recall at every step; pick the steps to show."""
    codes, names = step_codes(step_values)
    k = len(labels)
    if k > classification.MANY_CLASSES:
        raise too_many_for_steps(column, k)
    matrices = [
        confusion_matrix(true_codes[codes == s], pred_codes[codes == s], k)
        for s in range(len(names))
    ]
    return evolution_from_matrices(
        names, matrices, labels, column=column, steps=steps, at_step=at_step
    )


def too_many_for_steps(column: str, k: int) -> ReportgenError:
    """Refuse training evolution over more classes than its per-step matrices can hold."""
    return ReportgenError(
        f"--step {column}: the file has {k:,} classes; training evolution keeps a confusion "
        f"matrix per step and shows every class's recall, which works up to "
        f"{classification.MANY_CLASSES} classes. Leave --step out, or report on one step's rows "
        "in a file of their own."
    )


def evolution_from_matrices(
    names: list[str],
    matrices: list[np.ndarray],
    labels: list[str],
    *,
    column: str,
    steps: Sequence[str] = (),
    at_step: str | None = None,
) -> EvolutionResult:
    """The evolution from each step's confusion matrix (steps in order, rows true)."""
    k = len(labels)
    per_step: list[StepMetrics] = []
    for name, cm in zip(names, matrices, strict=True):
        # accuracy and macro F1 over the labels this step has, as scikit-learn does by default
        used = np.flatnonzero(cm.sum(axis=0) + cm.sum(axis=1))
        result = from_matrix(cm[np.ix_(used, used)], [labels[i] for i in used])
        support = cm.sum(axis=1)
        recall = [float(cm[i, i] / support[i]) if support[i] else None for i in range(k)]
        per_step.append(
            StepMetrics(
                step=name,
                n=int(cm.sum()),
                accuracy=result.accuracy,
                accuracy_ci=result.accuracy_ci,
                macro_f1=result.macro_avg.f1,
                recall=recall,
            )
        )
    accuracies = [m.accuracy for m in per_step]
    best = names[int(np.argmax(accuracies))]  # argmax takes the first of equal values
    if steps:
        picked = {find_step(v, names, option="--steps", column=column) for v in steps}
        chosen_by = "option"
    else:
        picked = {names[0], best, names[-1]}
        chosen_by = "default"
    chosen = [n for n in names if n in picked]
    if len(chosen) > MAX_CHOSEN:
        raise ReportgenError(
            f"--steps: {len(chosen)} steps chosen; pick at most {MAX_CHOSEN}, so that their "
            "confusion matrices stay legible side by side."
        )
    shown = (
        names[-1]
        if at_step is None
        else find_step(at_step, names, option="--at-step", column=column)
    )
    return EvolutionResult(
        column=column,
        labels=list(labels),
        steps=names,
        per_step=per_step,
        best=best,
        chosen=chosen,
        chosen_by=chosen_by,
        shown_step=shown,
        confusion_matrices={n: matrices[names.index(n)] for n in chosen},
    )
