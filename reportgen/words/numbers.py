"""How numbers are written on the page: one style per kind of quantity, implemented once.

The rule (the README repeats it under "How numbers are written"):

- Counts: whole numbers with thousands separators: 1,204.
- Rates (accuracy, precision, recall, error rates, shares, coverage, MAPE): percentages with
  one decimal: 84.8%. A difference of two rates is in percentage points: +1.8 pt.
- Scores (F1, ROC AUC, average precision, Brier score, calibration errors, log loss, R²,
  probabilities, confidences and thresholds): three decimals: 0.736. In the calibration bins the
  observed frequency is written as a score too, beside the mean probability it is compared with.
- Values in the data's units (regression metrics, residuals, true and predicted values): one
  resolution for the whole page, the decimals that give two significant digits of the
  half-width of the headline interval (the MAE's 95% interval), and never fewer than whole
  units. A page without that interval writes four significant digits. From 1e15 up, or too
  small for twelve decimals, four significant digits in scientific notation: 3.924e+299.
- p-values: three decimals, and '< 0.001' below that.
- An interval and its point share one format: the same decimals for the point and both ends.
  When the printed ends would be equal although the ends differ, or would not contain the
  printed point although the interval contains the point, both get more decimals (up to
  three more).
- A rate or score strictly between 0 and 1 is never printed as 0 or 1: an accuracy of 0.9996 is
  99.96%, not 100.0%. (Up to three more decimals, as above.)
- Negative numbers take a true minus sign (−), as in the figures; a change or a residual takes
  an explicit sign: +2.1, −0.4 pt; one that rounds to zero has none (0.0 pt), while an
  interval's end keeps its sign (−0.0 to +7.2 pt reaches below zero).
- Numbers are first rounded to 12 significant digits, so that a last-bit float difference
  between machines or library versions never changes a printed digit.

The page's resolution for values in data units is set for a block of code with
`units_of(record)`: rendering and the words of a report are written inside one, so every `num`
on a page, in whichever template or sentence, follows the same rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

RATE_DECIMALS = 1  # percentages
SCORE_DECIMALS = 3
MORE_DECIMALS = 3  # the most decimals added to fit an interval or keep off a bound
UNIT_DIGITS = 2  # significant digits of the headline interval's half-width
PLAIN_DIGITS = 4  # significant digits of a value in data units when the page has no interval
MAX_UNIT_DECIMALS = 12
MINUS = "\u2212"
NONE = "–"  # what a missing number shows as

Interval = Sequence[float] | Mapping[str, Any] | None

# the decimals of values in data units on the page being written (None: significant digits)
_UNITS: ContextVar[int | None] = ContextVar("reportgen_unit_decimals", default=None)


def ends(ci: Interval) -> tuple[float, float] | None:
    """Return an interval's ends, from [low, high] or {"low": ..., "high": ...}."""
    if ci is None:
        return None
    if isinstance(ci, Mapping):
        return float(ci["low"]), float(ci["high"])
    return float(ci[0]), float(ci[1])


def _steady(x: float) -> float:
    """x to 12 significant digits: a last-bit difference (0.6375 against 0.6375000000000001,
    from another BLAS kernel or summation order) never changes a printed digit."""
    return float(f"{x:.12g}")


def _fixed(x: float, decimals: int) -> str:
    """Write x with these decimals, thousands separators and a true minus sign."""
    return f"{_steady(x):,.{decimals}f}".replace("-", MINUS)


# values in data units from 1e15 up, or too small for MAX_UNIT_DECIMALS, are written as
# 3.861e+299: in fixed decimals one would take a hundred digits and the other read as 0
SCIENTIFIC_FROM = 1e15


def _unit_fixed(x: float, decimals: int) -> str:
    """Write a value in data units with these decimals, or in scientific notation past them."""
    tiny = decimals >= MAX_UNIT_DECIMALS and x != 0 and _shown(x, decimals) == 0
    if math.isfinite(x) and (abs(x) >= SCIENTIFIC_FROM or tiny):
        return f"{_steady(x):.{PLAIN_DIGITS - 1}e}".replace("-", MINUS)
    return _fixed(x, decimals)


def _shown(x: float, decimals: int) -> float:
    """The number a reader sees when x is written with these decimals."""
    return float(f"{_steady(x):.{decimals}f}")


def _fits(
    decimals: int,
    scale: float,
    point: float | None,
    span: tuple[float, float] | None,
    bounded: bool,
) -> bool:
    """Say whether these decimals show the interval truthfully and the point off its bounds."""
    if span is not None:
        low, high = span
        shown_low, shown_high = _shown(scale * low, decimals), _shown(scale * high, decimals)
        if low != high and shown_low == shown_high:
            return False
        inside = point is not None and low <= point <= high
        if inside and not shown_low <= _shown(scale * (point or 0.0), decimals) <= shown_high:
            return False
    # a value strictly between the bounds is not written as one of them
    return not (
        bounded
        and point is not None
        and 0 < point < 1
        and _shown(scale * point, decimals) in (0.0, scale)
    )


def fit_decimals(
    start: int,
    point: float | None,
    ci: Interval = None,
    *,
    scale: float = 1.0,
    bounded: bool = False,
) -> int:
    """Return the fewest decimals from `start` (up to MORE_DECIMALS more) that show the truth."""
    span = ends(ci)
    for decimals in range(start, start + MORE_DECIMALS + 1):
        if _fits(decimals, scale, point, span, bounded):
            return decimals
    return start + MORE_DECIMALS


# ---------------------------------------------------------------- counts and p-values


def count(n: int) -> str:
    """Format a count with thousands separators: 1204 -> '1,204'."""
    return f"{n:,}"


def signed_count(n: int) -> str:
    """Format a change in a count with its sign: '+3', '−12', '0'."""
    if n > 0:
        return f"+{n:,}"
    if n < 0:
        return f"{MINUS}{-n:,}"
    return "0"


def pvalue(p: float | None) -> str:
    """Format a p-value: '< 0.001', '0.032', '1'."""
    if p is None:
        return NONE
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}".rstrip("0").rstrip(".") if p < 1 else "1"


# ---------------------------------------------------------------- rates


def _rate_decimals(digits: int, point: float | None, ci: Interval) -> int:
    # callers that once asked for whole percentages get the page's one decimal
    return fit_decimals(max(digits, RATE_DECIMALS), point, ci, scale=100, bounded=True)


def pct(x: float | None, digits: int = RATE_DECIMALS, *, ci: Interval = None) -> str:
    """Format a rate as a percentage: 0.9312 -> '93.1%' (with `ci`, in its interval's format)."""
    if x is None:
        return NONE
    return _fixed(100 * x, _rate_decimals(digits, x, ci)) + "%"


def interval_pct(ci: Interval, digits: int = RATE_DECIMALS, *, point: float | None = None) -> str:
    """Format an interval of rates: [0.904, 0.951] -> '90.4–95.1%', in its point's format."""
    span = ends(ci)
    if span is None:
        return NONE
    decimals = _rate_decimals(digits, point, ci)
    return f"{_fixed(100 * span[0], decimals)}–{_fixed(100 * span[1], decimals)}%"


def points(x: float | None, digits: int = RATE_DECIMALS) -> str:
    """Format a difference of rates in percentage points, unsigned: 0.018 -> '1.8 pt'."""
    if x is None:
        return NONE
    return _fixed(100 * x, max(digits, RATE_DECIMALS)) + " pt"


def _sign(text: str, x: float) -> str:
    return text if text.startswith(MINUS) else ("+" + text if x >= 0 else text)


def _signed_point(text: str, x: float) -> str:
    """A change's sign; one that rounds to zero has none ('0.0', not '+0.0' or '−0.0').

    Interval ends keep theirs (_sign): '−0.0 to +7.2' says the interval reaches below zero.
    """
    if not text.strip(MINUS + "0.,"):
        return text.lstrip(MINUS)
    return _sign(text, x)


def signed_points(x: float | None, *, ci: Interval = None) -> str:
    """Format a change of a rate in percentage points: 0.083 -> '+8.3 pt'."""
    if x is None:
        return NONE
    decimals = fit_decimals(RATE_DECIMALS, x, ci, scale=100)
    return _signed_point(_fixed(100 * x, decimals), x) + " pt"


def interval_points(ci: Interval, *, point: float | None = None) -> str:
    """Format an interval of a change in percentage points: '−0.5 to +4.1 pt'."""
    span = ends(ci)
    if span is None:
        return NONE
    decimals = fit_decimals(RATE_DECIMALS, point, ci, scale=100)
    low, high = (_sign(_fixed(100 * v, decimals), v) for v in span)
    return f"{low} to {high} pt"


# ---------------------------------------------------------------- scores


def score(x: float | None, *, ci: Interval = None) -> str:
    """Format a score, probability or threshold with three decimals: 0.73214 -> '0.732'."""
    if x is None:
        return NONE
    return _fixed(x, fit_decimals(SCORE_DECIMALS, x, ci, bounded=True))


def signed_score(x: float | None, *, ci: Interval = None) -> str:
    """Format a change of a score with its sign: 0.012 -> '+0.012'."""
    if x is None:
        return NONE
    return _signed_point(_fixed(x, fit_decimals(SCORE_DECIMALS, x, ci)), x)


def interval_score(ci: Interval, *, point: float | None = None, signed: bool = False) -> str:
    """Format an interval of scores (of changes, with signed): '0.701 to 0.764'."""
    span = ends(ci)
    if span is None:
        return NONE
    decimals = fit_decimals(SCORE_DECIMALS, point, ci, bounded=not signed)
    low, high = (_fixed(v, decimals) for v in span)
    if signed:
        low, high = _sign(low, span[0]), _sign(high, span[1])
    return f"{low} to {high}"


# ---------------------------------------------------------------- values in data units


def decimals_for_half_width(half: float) -> int | None:
    """Decimals that give UNIT_DIGITS significant digits of an interval's half-width (>= 0)."""
    if not math.isfinite(half) or half <= 0:
        return None
    decimals = UNIT_DIGITS - 1 - math.floor(math.log10(half))
    return min(max(decimals, 0), MAX_UNIT_DECIMALS)


def unit_decimals(record: Mapping[str, Any] | None) -> int | None:
    """The page's decimals for values in data units, from its headline (MAE) interval."""
    if not record:
        return None
    blocks = [record.get("regression")]
    comparison = record.get("comparison") or {}
    if comparison.get("task") == "regression":
        blocks += [comparison.get("a"), comparison.get("b")]
    found = []
    for block in blocks:
        span = ends(((block or {}).get("intervals") or {}).get("mae"))
        if span is not None:
            decimals = decimals_for_half_width((span[1] - span[0]) / 2)
            if decimals is not None:
                found.append(decimals)
    return max(found) if found else None


@contextmanager
def units_of(record: Mapping[str, Any] | None) -> Iterator[int | None]:
    """Write values in data units at this record's resolution inside the block."""
    token = _UNITS.set(unit_decimals(record))
    try:
        yield _UNITS.get()
    finally:
        _UNITS.reset(token)


def _significant(x: float, digits: int = PLAIN_DIGITS) -> int:
    """Decimals that give x this many significant digits (none for large numbers)."""
    if x == 0 or not math.isfinite(x):
        return 0
    return min(max(digits - 1 - math.floor(math.log10(abs(x))), 0), MAX_UNIT_DECIMALS)


def _unit_decimals(x: float, decimals: int | None, ci: Interval) -> int:
    """Decimals for a value in data units: given, else the page's, else its interval's."""
    if decimals is None:
        decimals = _UNITS.get()
    span = ends(ci)
    if decimals is None and span is not None:
        decimals = decimals_for_half_width((span[1] - span[0]) / 2)
    if decimals is None:
        return _significant(x)
    return fit_decimals(decimals, x, ci)


def num(x: float | None, decimals: int | None = None, *, ci: Interval = None) -> str:
    """Format a value in the data's units: 43.27 -> '43.3' on a page whose resolution is 0.1."""
    if x is None:
        return NONE
    return _unit_fixed(x, _unit_decimals(x, decimals, ci))


def signed(x: float | None, decimals: int | None = None, *, ci: Interval = None) -> str:
    """Format a residual or a change in data units with its sign: '+2.1' or '−2.1'."""
    if x is None:
        return NONE
    return _signed_point(_unit_fixed(x, _unit_decimals(x, decimals, ci)), x)


def interval_num(
    ci: Interval,
    decimals: int | None = None,
    *,
    point: float | None = None,
    signed: bool = False,
) -> str:
    """Format an interval in data units, in its point's format: '40.1 to 46.5', '−5.0 to +5.2'."""
    span = ends(ci)
    if span is None:
        return NONE
    if decimals is None:
        decimals = _UNITS.get()
    if decimals is None:
        decimals = decimals_for_half_width((span[1] - span[0]) / 2)
    if decimals is None:  # an interval of width zero
        decimals = _significant(max(abs(span[0]), abs(span[1])))
    decimals = fit_decimals(decimals, point, ci)
    low, high = (_unit_fixed(v, decimals) for v in span)
    if signed:
        low, high = _sign(low, span[0]), _sign(high, span[1])
    return f"{low} to {high}"


def plain(x: float | None) -> str:
    """Format a number with no page context: up to four significant digits, 30.2 -> '30.2'."""
    if x is None:
        return NONE
    text = _unit_fixed(x, _significant(x))
    if "e" in text:
        return text
    return text.rstrip("0").rstrip(".") if "." in text else text


def compact_count(n: int) -> str:
    """Write a count in at most four characters, for a small figure cell: 987, 1.9k, 12k, 3.4M."""
    if n < 1000:
        return str(n)
    if n < 9950:
        return f"{n / 1000:.1f}k"
    if n < 999_500:
        return f"{n / 1000:.0f}k"
    return f"{n / 1e6:.1f}M"


def tick_count(value: float) -> str:
    """Write a count on a figure's log-scale axis plainly: 1, 10, 1k, 2.5M."""
    if value >= 1e6:
        return f"{value / 1e6:g}M"
    if value >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"
