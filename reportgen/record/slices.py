"""Slice blocks: classification error rates and regression residuals by metadata, with tests."""

from __future__ import annotations

from dataclasses import asdict
from typing import cast

from reportgen.analysis.chance import ALPHA
from reportgen.analysis.error_tree import ErrorTree, Rule
from reportgen.analysis.families import RegressionFamily
from reportgen.analysis.slices import (
    MIN_RANKED_SUPPORT,
    MIN_TESTED_ROWS,
    ErrorGroup,
    SliceResult,
)
from reportgen.record.blocks import interval
from reportgen.record.classification_types import (
    ErrorGroupBlock,
    ErrorSlicesBlock,
    ErrorTreeBlock,
    RuleBlock,
)
from reportgen.record.regression_types import (
    ResidualGroupBlock,
    ResidualItem,
    ResidualSlicesBlock,
)


def error_slices_block(result: SliceResult | None, tree: ErrorTree | None) -> ErrorSlicesBlock:
    """Describe classification error rates by slice, and the error tree, as plain JSON data."""
    if result is None:
        return {"columns": [], "items": [], "tree": None}

    def group(g: ErrorGroup) -> ErrorGroupBlock:
        return cast(ErrorGroupBlock, _with_interval(g))

    family = result.tested + result.reserved
    tree_block: ErrorTreeBlock | None = None
    if tree is not None:
        rules = [cast(RuleBlock, _with_interval(rule)) for rule in tree.rules]
        tree_block = cast(ErrorTreeBlock, {**asdict(tree), "rules": rules})
    return {
        "overall_error_rate": result.overall_error_rate,
        "test": (
            f"each slice of at least {MIN_RANKED_SUPPORT} rows is tested for more errors than "
            "its share of all errors (Fisher's exact test); the p-values are adjusted for the "
            f"{result.tested:,} slices and the error tree's up to {result.reserved:,} rules "
            f"tried (Holm's method, the slices holding {result.tested:,}/{family:,} of the "
            f"{ALPHA:.0%} budget), so on data where errors do not depend on these columns the "
            f"page names a slice or rule in at most {ALPHA:.0%} of cases"
        ),
        "tested": result.tested,
        "reserved": result.reserved,
        "alpha": ALPHA,
        "pairs_tried": result.pairs_tried,
        "above_overall": result.above_overall,
        "significant": result.significant,
        "items": [group(g) for g in result.worst],
        "columns": [
            {
                "column": s.column,
                "kind": s.kind,
                "values": s.values,
                "other": s.other,
                "groups": [group(g) for g in s.groups],
            }
            for s in result.columns
        ],
        "tree": tree_block,
    }


def _with_interval(item: ErrorGroup | Rule) -> dict[str, object]:
    """A group's or rule's fields by name (its block's keys), with the interval as the record's."""
    return {**asdict(item), "error_rate_ci": interval(item.error_rate_ci)}


def residual_slices_block(family: RegressionFamily) -> ResidualSlicesBlock:
    """Describe residual statistics per metadata group, and the report's tests, as plain data."""
    slices = family.slices
    items: list[ResidualItem] = [
        {
            "column": s.column,
            "value": g.value,
            "n": g.n,
            "mean_residual": g.mean_residual,
            "rest_mean_residual": g.rest_mean_residual,
            "mae": g.mae,
            "p_value": g.p_value,
            "p_adjusted": g.p_adjusted,
        }
        for s in slices
        for g in s.groups
    ]
    items.sort(key=lambda item: -abs(item["mean_residual"]))
    parts = [
        plural_of(family.groups, "group"),
        plural_of(family.bins, "prediction bin"),
        plural_of(family.trends, "trend in the error size", "trends in the error size"),
    ]
    return {
        "residual": "y_true - y_pred",
        "test": (
            "each group's and each prediction bin's mean residual is compared with the other "
            "rows' (Welch's t-test), and the highest prediction bin's absolute errors with the "
            f"lowest bin's; groups of fewer than {MIN_TESTED_ROWS} rows are not tested. The "
            f"p-values are adjusted for all {family.tested:,} tests ({', '.join(parts)}; Holm's "
            "method), so on data with no such pattern the page names one in at most "
            f"{ALPHA:.0%} of cases"
        ),
        "tested": family.tested,
        "family": {"groups": family.groups, "bins": family.bins, "trends": family.trends},
        "alpha": ALPHA,
        "items": items,
        "columns": [
            {
                "column": s.column,
                "kind": s.kind,
                "values": s.values,
                "other": s.other,
                "groups": [cast(ResidualGroupBlock, asdict(g)) for g in s.groups],
            }
            for s in slices
        ],
    }


def plural_of(n: int, word: str, many: str | None = None) -> str:
    """Say '1 group' or '7 groups'."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
