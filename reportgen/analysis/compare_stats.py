"""The statistics of a paired comparison: McNemar's exact test, the paired bootstrap of the
classification deltas, and the delta-method interval of the RMSE change."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reportgen.analysis.classification import divide_or_zero
from reportgen.analysis.stats import Z95, Interval

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


# ---------------------------------------------------------------- bootstrap


def _sum_by(draws: np.ndarray, cls: np.ndarray, k: int) -> np.ndarray:
    """Add up each resample's cell counts per class: (resamples, cells) -> (resamples, k)."""
    size = draws.shape[0]
    index = (np.arange(size)[:, None] * k + cls[None, :]).ravel()
    return np.bincount(index, weights=draws.ravel(), minlength=size * k).reshape(size, k)


def paired_bootstrap(
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
            f1s.append(divide_or_zero(2.0 * tp, support + _sum_by(draws, p_of, k)))
            accs.append(tp.sum(axis=1) / n)
        out["accuracy"].append(accs[1] - accs[0])
        out["macro_f1"].append(f1s[1].mean(axis=1) - f1s[0].mean(axis=1))
        out["weighted_f1"].append((f1s[1] * weights).sum(axis=1) - (f1s[0] * weights).sum(axis=1))
        out["f1"].append(f1s[1] - f1s[0])
        done += size
    return {key: np.concatenate(parts) for key, parts in out.items()}


def percentile_interval(values: np.ndarray) -> tuple[float, float]:
    """Return the 2.5th and 97.5th percentiles of resampled deltas: a 95% interval."""
    low, high = np.percentile(values, [2.5, 97.5], axis=0)
    return float(low), float(high)


# ---------------------------------------------------------------- regression


def rmse_change_interval(sq_a: np.ndarray, sq_b: np.ndarray) -> Interval | None:
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
