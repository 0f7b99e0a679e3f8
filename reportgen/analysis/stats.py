"""Small statistics shared by the analyses: intervals for proportions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(successes: int, total: int, *, z: float = Z95) -> tuple[float, float] | None:
    """Return the Wilson score interval for successes/total, or None when total is 0."""
    if total <= 0:
        return None
    p = successes / total
    z2 = z * z
    denom = 1.0 + z2 / total
    centre = (p + z2 / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denom
    # the closed form gives exactly 0 and 1 at the extremes; floating point may not
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == total else min(1.0, centre + half)
    return lo, hi


@dataclass(frozen=True)
class Interval:
    """A 95% interval and how it was computed."""

    low: float
    high: float
    method: str


def mean_interval(values: np.ndarray) -> Interval | None:
    """Normal-approximation 95% interval for a mean (cheap; fine from a few dozen values)."""
    n = values.size
    if n < 2:
        return None
    mean = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(n)
    return Interval(mean - half, mean + half, "normal approximation")
