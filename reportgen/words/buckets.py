"""Words about error buckets: what their shares and ceilings describe, the largest bucket."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportgen.record.classification_types import BucketItem, BucketsBlock, ClassificationRecord
from reportgen.words.common import plural
from reportgen.words.numbers import count, interval_pct, pct, points

ESTIMATE, TAGGED_ONLY = "estimate", "tagged-only"  # buckets.ceiling_kind (else "exact")
MISSING_SHOWN = 2  # classes missing from train named among the findings


def bucket_basis(buckets: BucketsBlock | Mapping[str, Any]) -> str:
    # a record read back from a file (the job summary, the email) comes as a Mapping
    """Say in one sentence what the bucket shares and ceilings describe, and what they leave out."""
    kind = buckets.get("ceiling_kind")
    total = buckets.get("total_errors") or 0
    tagged = buckets.get("tagged_errors") or 0
    untagged = buckets.get("untagged_errors") or 0
    if kind == ESTIMATE:
        return (
            f"The tags come from a random review sample, {buckets['sampling']}: shares and "
            f"ceilings are estimates for all {plural(total, 'error')}, with 95% intervals."
        )
    if kind == TAGGED_ONLY:
        if buckets.get("sampling_mismatch"):
            why = (
                "The tag sheet is not a random sample of these errors "
                f"({buckets['sampling_mismatch']})"
            )
        else:
            why = "The tagged errors were hand-picked or their selection is unknown"
        return (
            f"{why}: shares describe the {plural(tagged, 'tagged error')} only, and a ceiling "
            f"counts only a bucket's tagged errors; the {plural(untagged, 'untagged error')} "
            f"{'is' if untagged == 1 else 'are'} not counted."
        )
    if kind is None:
        return ""  # a record from before ceilings said how they were made
    reviewed = " or was reviewed" if buckets.get("reviewed_untagged") else ""
    return (
        f"Every error is tagged{reviewed}: shares and ceilings are exact for these "
        f"{plural(total, 'error')}."
    )


def ceiling_text(item: BucketItem, kind: str | None) -> str:
    """A bucket's ceiling for a table cell: with its interval when estimated, else its gain."""
    if item.get("ceiling") is None:
        return "–"
    if kind == ESTIMATE and item.get("ceiling_ci"):
        return f"{pct(item['ceiling'])} ({interval_pct(item['ceiling_ci'])})"
    if kind is None:
        return pct(item["ceiling"])
    return f"{pct(item['ceiling'])} (+{points(item['ceiling_gain'])})"


def bucket_pairs(item: BucketItem) -> str:
    """Name the confusions a bucket holds: 'mostly A → B' only when that pair is a majority."""
    pairs = item.get("pairs") or []
    if not pairs:
        return ""
    top, n = pairs[0], item["count"]
    total = item.get("pairs_total", len(pairs))
    if total == 1:
        return f"all {top['true']} → {top['pred']}"
    if 2 * top["count"] > n:
        return f"mostly {top['true']} → {top['pred']} ({count(top['count'])} of {count(n)})"
    shown = ", ".join(f"{p['true']} → {p['pred']} ({pct(p['count'] / n)})" for p in pairs)
    if total > len(pairs):
        return f"spread over {count(total)} confusion pairs; the largest: {shown}"
    return f"spread over {count(total)} confusion pairs: {shown}"


def _top_bucket_finding(buckets: BucketsBlock, top: BucketItem) -> str:
    """The largest bucket's share and ceiling, worded as exact, estimated or tagged-only."""
    kind = buckets.get("ceiling_kind")
    acc = buckets["accuracy"]
    # a block with buckets has tags, so both counts are known
    total, untagged = buckets["total_errors"] or 0, buckets["untagged_errors"] or 0
    if kind == ESTIMATE:
        what = "reviewed error" if buckets["reviewed_untagged"] else "tagged error"
        return (
            f"'{top['name']}' is the largest error bucket: {count(top['count'])} of "
            f"{plural(buckets['share_base'], what)} ({pct(top['share'])}; among all "
            f"{plural(total, 'error')}, 95% CI {interval_pct(top['share_ci'])}); "
            f"fixing it would lift accuracy to an estimated {pct(top['ceiling'])} (95% CI "
            f"{interval_pct(top['ceiling_ci'])})"
        )
    if kind == TAGGED_ONLY:
        return (
            f"'{top['name']}' is the largest bucket of tagged errors: {count(top['count'])} of "
            f"{plural(buckets['tagged_errors'], 'tagged error')} ({pct(top['share'])}); fixing "
            f"{'it' if top['count'] == 1 else 'those ' + count(top['count'])} would lift accuracy "
            f"from {pct(acc)} to {pct(top['ceiling'])}, not counting the "
            f"{plural(untagged, 'untagged error')}"
        )
    return (
        f"'{top['name']}' is the largest error bucket: {count(top['count'])} of all "
        f"{plural(total, 'error')} ({pct(top['share'])}); fixing "
        f"{'it' if top['count'] == 1 else 'them'} would lift accuracy from {pct(acc)} to "
        f"{pct(top['ceiling'])}"
    )


def bucket_findings(record: ClassificationRecord) -> list[str]:
    """The largest error bucket and its first experiment; a class train lacks; else a hint."""
    buckets = record.get("buckets") or {}
    items = buckets.get("items") or []
    suggestions = record.get("suggestions") or []
    out = []
    if items:
        top = items[0]
        text = _top_bucket_finding(buckets, top)
        if top["experiments"]:
            text += f". Try first: {top['experiments'][0][0].lower()}{top['experiments'][0][1:]}"
        out.append(text + ".")
    # a class the model never saw in training matters whether or not errors were tagged
    missing = [s for s in suggestions if s["kind"] == "missing-in-train"]
    out.extend(s["evidence"] for s in missing[:MISSING_SHOWN])
    if any(s["kind"] == "more-classes" for s in suggestions) and len(missing) > MISSING_SHOWN:
        # with many classes the experiments section keeps only the weightiest suggestions
        out.append(
            "More classes never occur in the train split or are far rarer there; the "
            "experiments section lists those with the most examples and counts the rest."
        )
    elif len(missing) > MISSING_SHOWN:
        more = len(missing) - MISSING_SHOWN
        out.append(
            f"{plural(more, 'more class', 'more classes')} ({len(missing)} in all) never "
            f"{'occurs' if more == 1 else 'occur'} in the train split; the experiments "
            "section lists them all."
        )
    if not out and suggestions:
        order = ("rare-in-train", "threshold", "rare-class-recall", "review-labels")
        ranked = sorted(
            suggestions, key=lambda s: order.index(s["kind"]) if s["kind"] in order else 99
        )
        evidence = ranked[0]["evidence"]
        # 'In the analysis sample of ...' continues the sentence after the colon
        out.append(f"{ranked[0]['text']}: {evidence[:1].lower()}{evidence[1:]}")
    return out
