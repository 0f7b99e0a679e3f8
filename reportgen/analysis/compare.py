"""Compare two models on the same rows: join their tables, paired tests and metric deltas."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis import classification
from reportgen.analysis.buckets import BucketResult, Tags
from reportgen.analysis.classification import (
    SMALL_SUPPORT,
    ClassificationResult,
    analyze_classification,
)
from reportgen.analysis.evaluation import ALL, Evaluation, choose_evaluation, count_texts
from reportgen.analysis.regression import RegressionResult, analyze_regression
from reportgen.analysis.samples import select_rows
from reportgen.analysis.sampling import bottom_k, row_keys
from reportgen.analysis.splits import MISSING, split_text
from reportgen.analysis.stats import Z95, Interval, interval_of, power_of_two_scale
from reportgen.errors import ReportgenError, as_written
from reportgen.read.table import PredictionTable, label_text, restrict

RESAMPLES = 2000  # paired bootstrap resamples for the classification deltas
SHOWN_IDS = 5  # ids quoted in a join error
# True values of a regression file written by two tools may differ in the last digits.
TRUE_RTOL = 1e-9


# ---------------------------------------------------------------- join


@dataclass(frozen=True)
class Joined:
    """Both tables on the same rows in the same order, labels coded against their union."""

    a: PredictionTable
    b: PredictionTable  # row i of b is row i of a
    method: str  # "id" or "row order"
    labels: list[str]  # the union, in display order (classification)
    label_kind: str
    # every joined row, when a and b keep only some of them (the evaluated rows); else None
    whole: tuple[PredictionTable, PredictionTable] | None = None
    kept: np.ndarray | None = None  # which of the whole rows a and b keep

    @property
    def matched(self) -> int:
        """How many rows the two files share (before any are left out)."""
        return self.a.n if self.whole is None else self.whole[0].n


def take(table: PredictionTable, order: np.ndarray) -> PredictionTable:
    """Reorder (or select) a table's rows by position."""

    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[order]

    return replace(
        table,
        frame=table.frame.iloc[order].reset_index(drop=True),
        row_numbers=table.row_numbers[order],
        true_codes=table.true_codes[order] if table.labels else table.true_codes,
        pred_codes=table.pred_codes[order] if table.labels else table.pred_codes,
        confidence=pick(table.confidence),
        proba=None if table.proba is None else table.proba[order],
        y_true_values=pick(table.y_true_values),
        y_pred_values=pick(table.y_pred_values),
    )


def union_labels(a: PredictionTable, b: PredictionTable) -> tuple[list[str], str]:
    """Order the labels of both tables as loading does: numbers numerically, else as text."""
    every = set(a.labels) | set(b.labels)
    if a.label_kind == "numeric" and b.label_kind == "numeric":
        return sorted(every, key=float), "numeric"
    return sorted(every), "string"


def recode(table: PredictionTable, labels: list[str], kind: str) -> PredictionTable:
    """Code a table's labels against a larger label list (probability columns are dropped)."""
    position = {lab: i for i, lab in enumerate(labels)}
    remap = np.array([position[lab] for lab in table.labels], dtype=np.int64)
    return replace(
        table,
        labels=list(labels),
        label_kind=kind,
        true_codes=remap[table.true_codes],
        pred_codes=remap[table.pred_codes],
        proba=None,
        proba_columns=[],
    )


def _quote_ids(ids: list[str]) -> str:
    shown = ", ".join(f"'{as_written(i)}'" for i in ids[:SHOWN_IDS])
    return shown + (", …" if len(ids) > SHOWN_IDS else "")


def _where(name: str, table: PredictionTable) -> str:
    """Name a side for a message: its name, and its file when the name does not say it."""
    path = table.source.path
    if not path or name == path or name.endswith(f"/{path}"):
        return name
    return f"{name} ({path})"


def _join_keys(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The id values to match: numbers as numbers when both columns hold them, else text."""

    def numeric(values: pd.Series) -> bool:
        dtype = values.dtype
        return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)

    if numeric(a) and numeric(b):
        return a.to_numpy(), b.to_numpy()

    def text(values: pd.Series) -> np.ndarray:
        if not numeric(values):
            return values.astype("str").to_numpy(dtype=object)
        # a number as labels write it (1.0 is '1'), once per distinct value
        codes, uniques = pd.factorize(values)
        texts = np.array([label_text(u) for u in uniques] + [""], dtype=object)
        return np.asarray(texts[codes])

    return text(a), text(b)


def join_tables(a: PredictionTable, b: PredictionTable, *, names: tuple[str, str]) -> Joined:
    """Align b's rows to a's by id (or by row order when neither has ids); check the truths."""
    name_a, name_b = names
    if a.task != b.task:
        raise ReportgenError(
            f"{_where(name_a, a)} looks like a {a.task} file and {_where(name_b, b)} like a "
            f"{b.task} file; both must be the same kind. Pass --task classification or --task "
            "regression to read both the same way."
        )
    id_a, id_b = a.columns.id, b.columns.id
    if id_a is not None and id_b is not None:
        ids_a, ids_b = _join_keys(a.frame[id_a], b.frame[id_b])
        if ids_a.size == ids_b.size and np.array_equal(ids_a, ids_b):
            where_b = np.arange(ids_a.size)  # the same ids in the same order: nothing to hash
        else:
            where_b = pd.Index(ids_b).get_indexer(pd.Index(ids_a))
        only_a, only_b = [], []
        # ids are unique on each side (loading checks), so b has extras only if a misses some
        if (where_b < 0).any() or ids_a.size != ids_b.size:
            where_a = pd.Index(ids_a).get_indexer(pd.Index(ids_b))
            only_a = [str(v) for v in ids_a[where_b < 0]]
            only_b = [str(v) for v in ids_b[where_a < 0]]
        if only_a or only_b:
            parts = []
            if only_a:
                parts.append(
                    f"{len(only_a):,} of {a.n:,} ids of {name_a} are missing from {name_b} "
                    f"({_quote_ids(only_a)})"
                )
            if only_b:
                parts.append(
                    f"{len(only_b):,} of {b.n:,} ids of {name_b} are missing from {name_a} "
                    f"({_quote_ids(only_b)})"
                )
            raise ReportgenError(
                f"the ids of {_where(name_a, a)}, column '{id_a}', and of {_where(name_b, b)}, "
                f"column '{id_b}', do not match up: {'; '.join(parts)}. A comparison needs "
                "predictions for the same rows: keep only the shared ids in both files, or name "
                "the right id column with --id."
            )
        b = take(b, where_b)
        method = "id"
    elif id_a is None and id_b is None:
        if a.n != b.n or not np.array_equal(a.row_numbers, b.row_numbers):
            raise ReportgenError(
                f"neither file has an id column, so rows can only be matched by their order, "
                f"and {_where(name_a, a)} has {a.n:,} rows while {_where(name_b, b)} has "
                f"{b.n:,}{' (after --dropna)' if a.rows_dropped or b.rows_dropped else ''}. "
                "Add an id column to both files (name it with --id), or compare files with the "
                "same rows in the same order."
            )
        method = "row order"
    else:
        has, lacks = (name_a, name_b) if id_a is not None else (name_b, name_a)
        raise ReportgenError(
            f"{has} has an id column ('{id_a or id_b}') and {lacks} has none, so the rows "
            f"cannot be matched by id. Add the same ids to {lacks}, or name its id column "
            "with --id."
        )
    labels: list[str] = []
    kind = ""
    if a.task == "classification":
        labels, kind = union_labels(a, b)
        a, b = recode(a, labels, kind), recode(b, labels, kind)
        differ = a.true_codes != b.true_codes
        shown_a = [labels[int(c)] for c in a.true_codes[differ][:3]]
        shown_b = [labels[int(c)] for c in b.true_codes[differ][:3]]
    else:
        assert a.y_true_values is not None and b.y_true_values is not None
        differ = ~np.isclose(a.y_true_values, b.y_true_values, rtol=TRUE_RTOL, atol=0.0)
        shown_a = [as_written(v) for v in a.y_true_values[differ][:3]]
        shown_b = [as_written(v) for v in b.y_true_values[differ][:3]]
    if differ.any():
        rows = np.flatnonzero(differ)
        which = _which(a, method, rows[:3])
        examples = "; ".join(
            f"{w}: {name_a} {ta}, {name_b} {tb}"
            for w, ta, tb in zip(which, shown_a, shown_b, strict=True)
        )
        column = (
            f"'{a.columns.y_true}'"
            if a.columns.y_true == b.columns.y_true
            else f"'{a.columns.y_true}' ({name_a}) and '{b.columns.y_true}' ({name_b})"
        )
        matched = "with the same id" if method == "id" else "in the same position"
        raise ReportgenError(
            f"the true values differ between {_where(name_a, a)} and {_where(name_b, b)}: "
            f"column {column} disagrees on {int(differ.sum()):,} of {a.n:,} rows {matched} "
            f"({examples}{'; …' if rows.size > 3 else ''}). A comparison needs both models "
            "scored against the same truth; check that the files come from the same data set "
            "and version, or name the right column with --y-true."
        )
    return Joined(a=a, b=b, method=method, labels=labels, label_kind=kind)


def _which(a: PredictionTable, method: str, rows: np.ndarray) -> list[str]:
    """Name joined rows for a message: by id, or by row number when joined by order."""
    if method == "id":
        ids = a.frame[a.columns.id].astype("str").to_numpy()[rows]
        return [f"id '{as_written(k)}'" for k in ids]
    return [f"row {int(r)}" for r in a.row_numbers[rows]]


# ---------------------------------------------------------------- the evaluated rows


@dataclass(frozen=True)
class JoinedSplits:
    """Each side's split column and each joined row's split, when either file has one."""

    columns: tuple[str | None, str | None]  # the baseline's and the candidate's split column
    text: np.ndarray | None  # per joined row, as split_text writes it; None without a column

    @property
    def where(self) -> int | None:
        """Which side the split column comes from: 0, 1, or None when both have one (or none)."""
        has = [c is not None for c in self.columns]
        return has.index(True) if sum(has) == 1 else None


def joined_splits(joined: Joined, *, names: tuple[str, str]) -> JoinedSplits:
    """Read the split of each joined row; refuse two files that split the same row differently.

    A split column on one side only serves both: the rows are the same rows (same ids, same
    truth), so a row's split is a property of the row, not of the model.
    """
    a, b = joined.a, joined.b
    col_a, col_b = a.columns.split, b.columns.split
    text_a = None if col_a is None else split_text(a.frame[col_a])
    text_b = None if col_b is None else split_text(b.frame[col_b])
    if text_a is not None and text_b is not None:
        differ = text_a != text_b
        if differ.any():
            rows = np.flatnonzero(differ)
            name_a, name_b = names

            def shown(value: str) -> str:
                return "an empty cell" if value == MISSING else f"'{value}'"

            examples = "; ".join(
                f"{w}: {name_a} {shown(ta)}, {name_b} {shown(tb)}"
                for w, ta, tb in zip(
                    _which(a, joined.method, rows[:3]),
                    text_a[rows[:3]],
                    text_b[rows[:3]],
                    strict=True,
                )
            )
            column = (
                f"'{col_a}'" if col_a == col_b else f"'{col_a}' ({name_a}) and '{col_b}' ({name_b})"
            )
            matched = "with the same id" if joined.method == "id" else "in the same position"
            raise ReportgenError(
                f"the splits differ between {_where(name_a, a)} and {_where(name_b, b)}: split "
                f"column {column} disagrees on {int(differ.sum()):,} of {a.n:,} rows {matched} "
                f"({examples}{'; …' if rows.size > 3 else ''}). A comparison describes the same "
                "rows for both models, so each row must be in one split: check that both files "
                "come from the same split of the data, or name the right column with --split."
            )
    return JoinedSplits((col_a, col_b), text_a if text_a is not None else text_b)


def keep_rows(joined: Joined, kept: np.ndarray) -> Joined:
    """Keep the joined rows where `kept` holds, labels coded against the union of those rows."""
    if kept.all():
        return joined
    a, b = restrict(joined.a, kept), restrict(joined.b, kept)
    labels, kind = joined.labels, joined.label_kind
    if a.task == "classification":
        # as a report on these rows alone would: a label no kept row has is not shown
        labels, kind = union_labels(a, b)
        a, b = recode(a, labels, kind), recode(b, labels, kind)
    return replace(
        joined, a=a, b=b, labels=labels, label_kind=kind, whole=(joined.a, joined.b), kept=kept
    )


def evaluated_rows(
    joined: Joined, *, names: tuple[str, str], requested: str | None, named: str | None
) -> tuple[Joined, Evaluation, JoinedSplits]:
    """Choose the joined rows a comparison describes, by build's rule, and keep only those.

    `requested` is --eval-split as given, `named` the --split column as given (None: the
    auto-detected one). The split column may come from either file, or both when they agree.
    """
    splits = joined_splits(joined, names=names)
    column = splits.columns[0] if splits.columns[0] is not None else splits.columns[1]
    tables = (joined.a, joined.b)
    sides = [_where(n, t) for n, t, c in zip(names, tables, splits.columns, strict=True) if c]
    if column is None or splits.text is None:
        both = (_where(names[0], joined.a), _where(names[1], joined.b))
        if named is not None:
            raise ReportgenError(
                f"no column '{named}' (named with --split) in {both[0]} or {both[1]}; name the "
                "split column of one of the two files."
            )
        if requested not in (None, ALL):
            raise ReportgenError(
                f"--eval-split {requested}: neither {both[0]} nor {both[1]} has a split column; "
                "name it with --split COLUMN."
            )
        evaluation = choose_evaluation(
            {}, 0, column=None, requested=requested, where="", total=joined.a.n
        )
        return joined, evaluation, splits
    counts, empty = count_texts(splits.text)
    evaluation = choose_evaluation(
        counts, empty, column=column, requested=requested, where=" and ".join(sides)
    )
    return keep_rows(joined, evaluation.keeps(splits.text)), evaluation, splits


def keep_tags(tags: Tags, kept: np.ndarray | None) -> tuple[Tags, int]:
    """The tags of the kept rows at their new positions, and how many tagged rows were left out.

    A comparison counts tagged rows and projects nothing from a review sample, so the
    sample's description is not carried over: a blank row of the sheet counts as untagged.
    """
    if kept is None:
        return replace(tags, sampling=None, sampling_mismatch=None), 0
    position = np.cumsum(kept) - 1
    by_row = {int(position[p]): t for p, t in tags.by_row.items() if kept[p]}
    return (
        replace(
            tags,
            by_row=by_row,
            reviewed=frozenset(int(position[p]) for p in tags.reviewed if kept[p]),
            sampling=None,
            sampling_mismatch=None,
        ),
        len(tags.by_row) - len(by_row),
    )


# ---------------------------------------------------------------- paired tests


@dataclass(frozen=True)
class PairedTest:
    """An exact two-sided sign test on discordant pairs (McNemar's exact test), and its mid-p."""

    b: int  # pairs that went A's way -> B's way (fixed; shrank)
    c: int  # pairs the other way (broken; grew)
    exact_p: float
    mid_p: float


def mcnemar(b: int, c: int) -> PairedTest:
    """Test b against c with X ~ Bin(b + c, 1/2).

    exact: min(1, 2 P(X <= min(b, c))); mid-p: that minus P(X = min(b, c)), which keeps the
    test's size closer to its nominal level (Fagerland, Lydersen and Laake, 2013).
    """
    # scipy.special loads in a fraction of the time scipy.stats takes
    from scipy.special import bdtr, gammaln

    n, k = b + c, min(b, c)
    if n == 0:
        return PairedTest(b, c, 1.0, 1.0)
    tail = float(bdtr(k, n, 0.5))
    point = math.exp(float(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)) - n * math.log(2))
    exact = min(1.0, 2.0 * tail)
    mid = min(1.0, 2.0 * tail - point)
    return PairedTest(b, c, exact, max(0.0, mid))


# ---------------------------------------------------------------- classification


@dataclass(frozen=True)
class Delta:
    """One metric for both models, their difference (B - A) and its 95% interval."""

    a: float
    b: float
    delta: float
    ci: tuple[float, float] | None


@dataclass(frozen=True)
class ClassDelta:
    """One class's precision, recall and F1 for both models and the F1 change's interval."""

    label: str
    support: int
    small_support: bool
    precision: Delta
    recall: Delta
    f1: Delta


@dataclass(frozen=True)
class ClassificationComparison:
    """Two classifiers on the same rows: both results, paired counts, test and deltas."""

    a: ClassificationResult
    b: ClassificationResult
    n: int
    both_correct: int
    both_wrong: int
    both_wrong_same: int  # wrong on both sides with the same prediction
    test: PairedTest  # b = fixed (A wrong, B right), c = broken (A right, B wrong)
    accuracy: Delta
    macro_f1: Delta
    weighted_f1: Delta
    per_class: list[ClassDelta]
    confusion_difference: np.ndarray  # B - A, rows true, columns predicted
    resamples: int
    seed: int

    @property
    def fixed(self) -> int:
        return self.test.b

    @property
    def broken(self) -> int:
        return self.test.c

    @property
    def both_wrong_different(self) -> int:
        return self.both_wrong - self.both_wrong_same


def _f1(tp: np.ndarray, support: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    den = support + predicted
    out = np.zeros(tp.shape, dtype=np.float64)
    np.divide(2.0 * tp, den, out=out, where=den != 0)
    return out


def _sum_by(draws: np.ndarray, cls: np.ndarray, k: int) -> np.ndarray:
    """Add up each resample's cell counts per class: (resamples, cells) -> (resamples, k)."""
    size = draws.shape[0]
    index = (np.arange(size)[:, None] * k + cls[None, :]).ravel()
    return np.bincount(index, weights=draws.ravel(), minlength=size * k).reshape(size, k)


def _bootstrap(
    true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, k: int, *, resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """Resample rows with replacement and return the deltas of each resample.

    A row is one of the (true, A, B) cells, so a resample of the rows is one multinomial
    draw over the occupied cells: the work grows with the cells, not with the rows.
    """
    flat = (true.astype(np.int64) * k + pred_a) * k + pred_b
    cells, counts = np.unique(flat, return_counts=True)
    n = int(true.size)
    t_of, a_of, b_of = cells // (k * k), (cells // k) % k, cells % k
    rng = np.random.default_rng(seed)
    batch = max(1, min(resamples, 2_000_000 // max(1, cells.size)))
    out: dict[str, list[np.ndarray]] = {"accuracy": [], "macro_f1": [], "weighted_f1": [], "f1": []}
    done = 0
    while done < resamples:
        size = min(batch, resamples - done)
        draws = rng.multinomial(n, counts / n, size=size).astype(np.float64)
        support = _sum_by(draws, t_of, k)
        weights = support / n
        f1s, accs = [], []
        for p_of in (a_of, b_of):
            # a cell off the diagonal adds to no class's true positives
            tp = _sum_by(draws * (t_of == p_of)[None, :], t_of, k)
            f1s.append(_f1(tp, support, _sum_by(draws, p_of, k)))
            accs.append(tp.sum(axis=1) / n)
        out["accuracy"].append(accs[1] - accs[0])
        out["macro_f1"].append(f1s[1].mean(axis=1) - f1s[0].mean(axis=1))
        out["weighted_f1"].append((f1s[1] * weights).sum(axis=1) - (f1s[0] * weights).sum(axis=1))
        out["f1"].append(f1s[1] - f1s[0])
        done += size
    return {key: np.concatenate(parts) for key, parts in out.items()}


def _percentile(values: np.ndarray) -> tuple[float, float]:
    low, high = np.percentile(values, [2.5, 97.5], axis=0)
    return float(low), float(high)


def compare_classification(
    true_codes: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    labels: list[str],
    *,
    confidence_a: np.ndarray | None = None,
    confidence_b: np.ndarray | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> ClassificationComparison:
    """Compare two sets of predictions of the same true labels (all coded against `labels`)."""
    limit = classification.MANY_CLASSES
    if len(labels) > limit:
        # the per-class bootstrap holds resamples x classes numbers, and the record both K x K
        # matrices: refuse plainly rather than run out of memory
        raise ReportgenError(
            f"compare: the files have {len(labels):,} classes; comparing two models works up "
            f"to {limit} classes. Build a report of each model instead (reportgen "
            "build), which handles any number of classes."
        )
    ra = analyze_classification(true_codes, pred_a, labels, confidence=confidence_a)
    rb = analyze_classification(true_codes, pred_b, labels, confidence=confidence_b)
    right_a, right_b = true_codes == pred_a, true_codes == pred_b
    fixed = int((~right_a & right_b).sum())
    broken = int((right_a & ~right_b).sum())
    both_wrong = ~right_a & ~right_b
    k = len(labels)
    boot = (
        _bootstrap(true_codes, pred_a, pred_b, k, resamples=resamples, seed=seed)
        if resamples > 0 and true_codes.size
        else None
    )

    def delta(a: float, b: float, key: str, column: int | None = None) -> Delta:
        ci = None
        if boot is not None:
            values = boot[key] if column is None else boot[key][:, column]
            ci = _percentile(values)
        return Delta(a, b, b - a, ci)

    per_class = []
    for i, (ma, mb) in enumerate(zip(ra.per_class, rb.per_class, strict=True)):
        per_class.append(
            ClassDelta(
                label=ma.label,
                support=ma.support,
                small_support=ma.support < SMALL_SUPPORT,
                precision=Delta(ma.precision, mb.precision, mb.precision - ma.precision, None),
                recall=Delta(ma.recall, mb.recall, mb.recall - ma.recall, None),
                f1=delta(ma.f1, mb.f1, "f1", i),
            )
        )
    return ClassificationComparison(
        a=ra,
        b=rb,
        n=ra.n,
        both_correct=int((right_a & right_b).sum()),
        both_wrong=int(both_wrong.sum()),
        both_wrong_same=int((both_wrong & (pred_a == pred_b)).sum()),
        test=mcnemar(fixed, broken),
        accuracy=delta(ra.accuracy, rb.accuracy, "accuracy"),
        macro_f1=delta(ra.macro_avg.f1, rb.macro_avg.f1, "macro_f1"),
        weighted_f1=delta(ra.weighted_avg.f1, rb.weighted_avg.f1, "weighted_f1"),
        per_class=per_class,
        confusion_difference=rb.counts.dense() - ra.counts.dense(),  # few classes: see above
        resamples=resamples if boot is not None else 0,
        seed=seed,
    )


# ---------------------------------------------------------------- regression


@dataclass(frozen=True)
class RegressionDelta:
    """One error metric for both models, its change (B - A) and the change's 95% interval."""

    a: float
    b: float
    delta: float
    ci: Interval | None


@dataclass(frozen=True)
class RegressionComparison:
    """Two regressors on the same rows: both results, metric changes, rows better and worse."""

    a: RegressionResult
    b: RegressionResult
    n: int
    mae: RegressionDelta
    rmse: RegressionDelta
    r2: RegressionDelta
    mean_residual: RegressionDelta
    median_ae: RegressionDelta
    max_error: RegressionDelta
    shrank: int  # rows whose absolute error is smaller for B
    grew: int
    unchanged: int
    test: PairedTest  # sign test: b = shrank, c = grew


def _rmse_change(sq_a: np.ndarray, sq_b: np.ndarray) -> Interval | None:
    """Delta-method interval for sqrt(mean(sq_b)) - sqrt(mean(sq_a)) on paired rows."""
    n = sq_a.size
    rmse_a, rmse_b = math.sqrt(float(sq_a.mean())), math.sqrt(float(sq_b.mean()))
    if n < 2 or rmse_a == 0.0 or rmse_b == 0.0:
        return None
    cov = np.cov(np.vstack([sq_a, sq_b]), ddof=1)
    g = np.array([-0.5 / rmse_a, 0.5 / rmse_b])
    var = float(g @ cov @ g) / n
    half = Z95 * math.sqrt(max(var, 0.0))
    change = rmse_b - rmse_a
    return Interval(change - half, change + half, "normal approximation (delta method)")


def compare_regression(
    y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray
) -> RegressionComparison:
    """Compare two sets of numeric predictions of the same targets, pairing rows."""
    ra, rb = analyze_regression(y_true, pred_a), analyze_regression(y_true, pred_b)
    res_a, res_b = y_true - pred_a, y_true - pred_b
    # values near 1e300: the changes' intervals are computed on values divided by a power of
    # two (exact) and scaled back; ordinary values are not scaled (scale 1)
    scale = power_of_two_scale(res_a, res_b, y_true)
    if scale != 1.0:
        y_true, res_a, res_b = y_true / scale, res_a / scale, res_b / scale
    abs_a, abs_b = np.abs(res_a), np.abs(res_b)
    sq_a, sq_b = res_a**2, res_b**2
    paired = "t interval corrected for skew (Hall 1992) on the paired differences"

    def relabel(ci: Interval | None, method: str = paired) -> Interval | None:
        return None if ci is None else Interval(ci.low * scale, ci.high * scale, method)

    rmse_ci = _rmse_change(sq_a, sq_b)
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    r2_ci = None
    if ss_tot > 0:
        # R² differs only in the residual sum of squares: same truth, same denominator
        msd = interval_of(sq_a - sq_b)
        if msd is not None:
            r2_ci = Interval(
                msd.low * y_true.size / ss_tot,
                msd.high * y_true.size / ss_tot,
                paired + " (squared errors, over the fixed total sum of squares)",
            )
    shrank = int((abs_b < abs_a).sum())
    grew = int((abs_b > abs_a).sum())
    return RegressionComparison(
        a=ra,
        b=rb,
        n=ra.n,
        mae=RegressionDelta(ra.mae, rb.mae, rb.mae - ra.mae, relabel(interval_of(abs_b - abs_a))),
        rmse=RegressionDelta(
            ra.rmse, rb.rmse, rb.rmse - ra.rmse, None if rmse_ci is None else rmse_ci.scaled(scale)
        ),
        r2=RegressionDelta(ra.r2, rb.r2, rb.r2 - ra.r2, r2_ci),
        mean_residual=RegressionDelta(
            ra.mean_residual,
            rb.mean_residual,
            rb.mean_residual - ra.mean_residual,
            relabel(interval_of(res_b - res_a)),
        ),
        median_ae=RegressionDelta(ra.median_ae, rb.median_ae, rb.median_ae - ra.median_ae, None),
        max_error=RegressionDelta(ra.max_error, rb.max_error, rb.max_error - ra.max_error, None),
        shrank=shrank,
        grew=grew,
        unchanged=ra.n - shrank - grew,
        test=mcnemar(shrank, grew),
    )


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


# ---------------------------------------------------------------- samples and buckets


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
    extra: dict[str, Any]
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


@dataclass(frozen=True)
class BucketChange:
    """One error bucket's size for each model (None: that side has no tags)."""

    name: str
    key: str
    a: int | None
    b: int | None


def compare_buckets(a: BucketResult | None, b: BucketResult | None) -> list[BucketChange]:
    """Pair the buckets of both sides by their normalised name, largest on A's side first."""
    names: dict[str, str] = {}
    count_a = {x.key: x.count for x in a.buckets} if a is not None else {}
    count_b = {x.key: x.count for x in b.buckets} if b is not None else {}
    for result in (a, b):
        for bucket in result.buckets if result is not None else []:
            names.setdefault(bucket.key, bucket.name)
    order = sorted(names, key=lambda key: (-count_a.get(key, 0), -count_b.get(key, 0), key))
    return [
        BucketChange(
            name=names[key],
            key=key,
            a=None if a is None else count_a.get(key, 0),
            b=None if b is None else count_b.get(key, 0),
        )
        for key in order
    ]
