"""Compare two models on the same rows: metric changes with their intervals, the paired
counts and test, and how the error buckets changed."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from reportgen.analysis import classification
from reportgen.analysis.buckets import BucketResult, Tags
from reportgen.analysis.classification import (
    SMALL_SUPPORT,
    ClassificationResult,
    analyze_classification,
)
from reportgen.analysis.compare_stats import (
    PairedTest,
    mcnemar,
    paired_bootstrap,
    percentile_interval,
    rmse_change_interval,
)
from reportgen.analysis.regression import RegressionResult, analyze_regression
from reportgen.analysis.stats import Interval, interval_of, power_of_two_scale
from reportgen.errors import ReportgenError

RESAMPLES = 2000  # paired bootstrap resamples for the classification deltas

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
        """Rows A got wrong and B right."""
        return self.test.b

    @property
    def broken(self) -> int:
        """Rows A got right and B wrong."""
        return self.test.c

    @property
    def both_wrong_different(self) -> int:
        """Rows both got wrong with different predictions."""
        return self.both_wrong - self.both_wrong_same


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
        paired_bootstrap(true_codes, pred_a, pred_b, k, resamples=resamples, seed=seed)
        if resamples > 0 and true_codes.size
        else None
    )

    def delta(a: float, b: float, key: str, column: int | None = None) -> Delta:
        ci = None
        if boot is not None:
            values = boot[key] if column is None else boot[key][:, column]
            ci = percentile_interval(values)
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

    rmse_ci = rmse_change_interval(sq_a, sq_b)
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


# ---------------------------------------------------------------- tags and buckets


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
