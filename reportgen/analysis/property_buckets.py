"""Error rates by measured property, and the named conditions that become measured buckets.

For each measured property (one value per row, NaN where the picture was not measured; only
the measured rows count, for the bins and for "the rest"):

- quantile bins: quintiles of the property's values, named as inequalities that are exactly
  true of their rows ('1.47 ≤ sharpness < 1.92'), as analysis/grouping.py names slice bins;
  a property with at most FEW_VALUES distinct values gets one bin per value
  ('near_duplicate = 1');
- named conditions (CONDITIONS), each a documented threshold on one property:
  - "blurry": sharpness in the lowest 10% of the measured pictures; "dark": brightness in
    the lowest 10%; "bright": brightness in the highest 10%; "low contrast": contrast in the
    lowest 10%. Relative, not absolute: the Laplacian variance grows with the square of the
    contrast and depends on the content and the noise of a data set, so no single value
    means "blurry" across data sets, while the lowest tenth of one data set is where its
    blurriest pictures are. A quantile condition takes the rows at or below the numpy
    (linear) 10th percentile (at or above the 90th), and is written with a short edge that
    is exactly true of those rows ('sharpness < 1.918');
  - "underexposed", "overexposed": at least 5% of the picture's pixels clipped to black
    (luma <= 5) or to white (luma >= 250): absolute, since a clipped share means the same in
    every data set, and most pictures clip nothing, which leaves no lowest tenth to speak of;
  - "near-duplicate": the picture is in a near-duplicate group (its dHash within 6 bits of
    another picture's, analysis/image_properties.py).

Each bin and condition gets its error rate with a Wilson 95% interval, the rest's rate, and
Fisher's one-sided exact test of "this bin errs more than the rest" (chance.hypergeom_tail),
when it and the rest each hold at least MIN_TESTED_ROWS rows. Holm's step-down adjusts every
tested bin and condition of every property together (chance.holm): on data whose errors do
not depend on any property, the chance that any one is declared is at most ALPHA. A
condition whose adjusted p-value is below ALPHA becomes a MeasuredBucket.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from reportgen.analysis.chance import ALPHA, holm, hypergeom_tail
from reportgen.analysis.grouping import (
    FEW_VALUES,
    QUANTILE_BINS,
    _shortest_in,
    bin_names,
    number_text,
    readable_edges,
)
from reportgen.analysis.stats import wilson_interval

MIN_TESTED_ROWS = 10  # smaller bins (or rests) are shown but not tested, as slices do
LOWEST, HIGHEST, AT_LEAST = "lowest", "highest", "at least"


@dataclass(frozen=True)
class Condition:
    """A named condition on one property: its lowest or highest share, or a fixed threshold."""

    name: str
    property: str
    side: str  # LOWEST, HIGHEST (value: a share of the measured pictures) or AT_LEAST (value)
    value: float


CONDITIONS: tuple[Condition, ...] = (
    Condition("blurry", "sharpness", LOWEST, 0.10),
    Condition("dark", "brightness", LOWEST, 0.10),
    Condition("bright", "brightness", HIGHEST, 0.10),
    Condition("low contrast", "contrast", LOWEST, 0.10),
    Condition("underexposed", "underexposure", AT_LEAST, 0.05),
    Condition("overexposed", "overexposure", AT_LEAST, 0.05),
    Condition("near-duplicate", "near_duplicate", AT_LEAST, 1.0),
)


@dataclass(frozen=True)
class PropertyBin:
    """One quantile bin or named condition of a property, against the property's other rows."""

    property: str
    text: str  # the bin as a condition: '1.47 ≤ sharpness < 1.92', 'sharpness < 1.918'
    condition: str | None  # the named condition's name; None for a quantile bin
    rows: int
    errors: int
    error_rate: float
    interval: tuple[float, float] | None  # Wilson 95% of error_rate
    rest_rows: int
    rest_errors: int
    rest_rate: float | None  # None when no measured row is outside the bin
    p_value: float | None = None  # Fisher one-sided: more errors than the rest; None: untested
    p_adjusted: float | None = None  # Holm over every tested bin of every property


@dataclass(frozen=True)
class PropertyBins:
    """A property's bins and conditions over its measured rows."""

    property: str
    measured_rows: int
    errors: int  # among the measured rows
    kind: str  # "quantile bins", "values" (few distinct values) or "constant"
    bins: list[PropertyBin]
    conditions: list[PropertyBin]


@dataclass(frozen=True)
class MeasuredBucket:
    """A named condition whose rows err significantly more than the other measured rows."""

    name: str
    property: str
    condition: str  # its text, e.g. 'sharpness < 1.918'
    rows: int
    errors: int
    error_rate: float
    rest_rate: float
    p: float
    p_adjusted: float
    error_rows: list[int]  # positions of its erring rows, ascending


@dataclass(frozen=True)
class PropertyBucketResult:
    """Every property's bins, and the measured buckets (in the order of CONDITIONS)."""

    properties: list[PropertyBins]
    buckets: list[MeasuredBucket]
    tested: int  # bins and conditions in the Holm family


def property_buckets(
    properties: Mapping[str, np.ndarray],
    errors: np.ndarray,
    *,
    conditions: Sequence[Condition] = CONDITIONS,
    quantile_bins: int = QUANTILE_BINS,
) -> PropertyBucketResult:
    """Bin each property (in the mapping's order), test every bin, and name the buckets.

    properties: name -> one float per row (NaN: not measured); errors: one bool per row.
    """
    wrong = np.asarray(errors, dtype=bool)
    results: list[PropertyBins] = []
    masks: dict[tuple[int, int], np.ndarray] = {}  # (property, condition) -> rows, for buckets
    for name, column in properties.items():
        values = np.asarray(column, dtype=np.float64)
        if values.shape != wrong.shape:
            raise ValueError(f"property {name!r} has {values.size} values for {wrong.size} rows")
        measured = np.isfinite(values)
        total, bad = int(measured.sum()), int((wrong & measured).sum())
        kind, bin_masks, texts = _bins(name, values, measured, quantile_bins)
        pairs = zip(texts, bin_masks, strict=True)
        bins = [_counted(name, t, None, m, measured, wrong) for t, m in pairs]
        named: list[PropertyBin] = []
        for c in conditions:
            if c.property != name:
                continue
            made = _condition(c, values, measured)
            if made is None:
                continue
            text, mask = made
            masks[(len(results), len(named))] = mask
            named.append(_counted(name, text, c.name, mask, measured, wrong))
        results.append(PropertyBins(name, total, bad, kind, bins, named))
    results = _adjusted(results)
    buckets = []
    for p_index, prop in enumerate(results):
        for c_index, b in enumerate(prop.conditions):
            if b.p_adjusted is None or b.p_adjusted >= ALPHA:
                continue
            assert b.p_value is not None and b.rest_rate is not None and b.condition is not None
            rows = np.flatnonzero(masks[(p_index, c_index)] & wrong)
            buckets.append(
                MeasuredBucket(
                    name=b.condition,
                    property=prop.property,
                    condition=b.text,
                    rows=b.rows,
                    errors=b.errors,
                    error_rate=b.error_rate,
                    rest_rate=b.rest_rate,
                    p=b.p_value,
                    p_adjusted=b.p_adjusted,
                    error_rows=[int(r) for r in rows],
                )
            )
    order = {c.name: k for k, c in enumerate(conditions)}
    buckets.sort(key=lambda b: order[b.name])
    tested = sum(b.p_value is not None for p in results for b in p.bins + p.conditions)
    return PropertyBucketResult(results, buckets, tested)


def _bins(
    name: str, values: np.ndarray, measured: np.ndarray, quantile_bins: int
) -> tuple[str, list[np.ndarray], list[str]]:
    """Quantile bins of a many-valued property, one bin per value of a few-valued one."""
    present = values[measured]
    distinct = np.unique(present)
    if distinct.size <= 1:
        texts = [f"{name} = {number_text(float(v))}" for v in distinct]
        return "constant", [measured.copy() for _ in texts], texts
    if distinct.size <= FEW_VALUES:
        masks = [measured & (values == v) for v in distinct]
        return "values", masks, [f"{name} = {number_text(float(v))}" for v in distinct]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, quantile_bins + 1)))
    edges = readable_edges(edges, present)
    codes = np.searchsorted(edges[1:-1], values, side="right")
    masks = [measured & (codes == k) for k in range(edges.size - 1)]
    return "quantile bins", masks, bin_names(edges, name)


def _condition(
    c: Condition, values: np.ndarray, measured: np.ndarray
) -> tuple[str, np.ndarray] | None:
    """The condition's text and rows; None when no picture is measured."""
    present = values[measured]
    if present.size == 0:
        return None
    if c.side == AT_LEAST:
        return f"{c.property} ≥ {number_text(c.value)}", measured & (values >= c.value)
    ordered = np.sort(present)
    share = c.value if c.side == LOWEST else 1.0 - c.value
    cut = float(np.quantile(present, share))
    if c.side == LOWEST:
        k = int(np.searchsorted(ordered, cut, side="right"))  # rows at or below the cut
        if k >= ordered.size:
            return f"{c.property} ≤ {number_text(float(ordered[-1]))}", measured.copy()
        # any edge in (largest taken, smallest left] takes the same rows with '<'
        edge = _shortest_in([cut, float(ordered[k])], float(ordered[k - 1]), float(ordered[k]))
        return f"{c.property} < {number_text(edge)}", measured & (values < edge)
    k = int(np.searchsorted(ordered, cut, side="left"))  # rows below the cut are left out
    if k == 0:
        return f"{c.property} ≥ {number_text(float(ordered[0]))}", measured.copy()
    edge = _shortest_in([cut, float(ordered[k])], float(ordered[k - 1]), float(ordered[k]))
    return f"{c.property} ≥ {number_text(edge)}", measured & (values >= edge)


def _counted(
    name: str,
    text: str,
    condition: str | None,
    mask: np.ndarray,
    measured: np.ndarray,
    wrong: np.ndarray,
) -> PropertyBin:
    rows, errors = int(mask.sum()), int((mask & wrong).sum())
    rest = measured & ~mask
    rest_rows, rest_errors = int(rest.sum()), int((rest & wrong).sum())
    p = None
    if rows >= MIN_TESTED_ROWS and rest_rows >= MIN_TESTED_ROWS:
        p = hypergeom_tail(errors, rows, errors + rest_errors, rows + rest_rows)
    return PropertyBin(
        property=name,
        text=text,
        condition=condition,
        rows=rows,
        errors=errors,
        error_rate=errors / rows if rows else math.nan,
        interval=wilson_interval(errors, rows),
        rest_rows=rest_rows,
        rest_errors=rest_errors,
        rest_rate=rest_errors / rest_rows if rest_rows else None,
        p_value=p,
    )


def _adjusted(results: list[PropertyBins]) -> list[PropertyBins]:
    """Holm over every tested bin and condition of every property."""
    flat = [b for prop in results for b in prop.bins + prop.conditions]
    adjusted = iter(holm([b.p_value for b in flat]))
    out = []
    for prop in results:
        bins = [replace(b, p_adjusted=next(adjusted)) for b in prop.bins]
        named = [replace(b, p_adjusted=next(adjusted)) for b in prop.conditions]
        out.append(replace(prop, bins=bins, conditions=named))
    return out
