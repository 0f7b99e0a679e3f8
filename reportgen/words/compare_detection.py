"""The words of a detection comparison: headline cards and findings, from its comparison block."""

from __future__ import annotations

from reportgen.analysis.chance import ALPHA
from reportgen.record.compare_detection_types import (
    ClassChange,
    DetectionComparisonBlock,
    ErrorTypeChange,
)
from reportgen.record.types import HeadlineCard
from reportgen.words.common import plural
from reportgen.words.compare import p_words
from reportgen.words.detection import MAIN_TYPES, TYPE_PHRASES, dap_text
from reportgen.words.numbers import count, pct, pvalue, score, signed_count, signed_points

CLASSES_NAMED = 3  # the most classes the findings name


def dap_change(value: float) -> str:
    """A change of dAP (TIDE's 0-100 AP50 points): '+2.4 pt'."""
    return signed_points(value / 100)


def thresholds_text(c: DetectionComparisonBlock) -> str:
    """'v1 at confidence ≥ 0.402 and v2 at ≥ 0.377, each its own F1 maximum', or the given one."""
    na, nb = c["names"]
    oa, ob = c["a"]["operating_point"], c["b"]["operating_point"]
    if oa["chosen"] == "given" and ob["chosen"] == "given" and oa["conf"] == ob["conf"]:
        return f"both at confidence ≥ {score(oa['conf'])}, given with --conf"
    return (
        f"{na} at confidence ≥ {score(oa['conf'])} and {nb} at ≥ {score(ob['conf'])}, each its "
        "own F1 maximum"
    )


def most_changed_type(c: DetectionComparisonBlock) -> ErrorTypeChange | None:
    """The main error type whose dAP changed most either way (None: none changed)."""
    rows = [r for r in c["error_types"] if r["type"] in MAIN_TYPES]
    best = max(rows, key=lambda r: (abs(r["dap_delta"]), -MAIN_TYPES.index(r["type"])))
    return best if abs(best["dap_delta"]) >= 0.05 else None


def images_significant(c: DetectionComparisonBlock) -> bool:
    """Whether better and worse images differ beyond chance (the sign test, p < ALPHA)."""
    return c["image_changes"]["sign_test"]["exact_p"] < ALPHA


def comparison_headline(c: DetectionComparisonBlock) -> list[HeadlineCard]:
    """AP change, AP50 change, the error type that changed most, images better and worse."""
    by_key = {m["key"]: m for m in c["metrics"]}
    ap, ap50 = by_key["ap"], by_key["ap50"]
    cards: list[HeadlineCard] = [
        {
            "id": "ap-change",
            "label": "AP change",
            "value": signed_points(ap["delta"]),
            "detail": f"{pct(ap['a'])} → {pct(ap['b'])} (COCO, IoU .50:.95)",
        },
        {
            "id": "ap50-change",
            "label": "AP50 change",
            "value": signed_points(ap50["delta"]),
            "detail": f"{pct(ap50['a'])} → {pct(ap50['b'])}; AR100 "
            f"{signed_points(by_key['ar100']['delta'])}",
        },
    ]
    top = most_changed_type(c)
    if top is not None:
        cards.append(
            {
                "id": "error-type-change",
                "label": "Error type that changed most",
                "value": top["title"],
                "detail": f"dAP {dap_text(top['dap_a'])} → {dap_text(top['dap_b'])} AP50 "
                f"({dap_change(top['dap_delta'])}); {count(top['count_a'] or 0)} → "
                f"{count(top['count_b'] or 0)} errors",
            }
        )
    i = c["image_changes"]
    test = i["sign_test"]
    verdict = "beyond chance" if images_significant(c) else "within chance"
    cards.append(
        {
            "id": "images",
            "label": "Images better / worse",
            "value": f"{count(i['better'])} / {count(i['worse'])}",
            "detail": f"of {count(i['images'])}; sign test p {pvalue(test['exact_p'])}, {verdict}",
        }
    )
    return cards


def comparison_findings(c: DetectionComparisonBlock) -> list[str]:
    """What a reviewer should read first, each claim held to the numbers' standard."""
    na, nb = c["names"]
    by_key = {m["key"]: m for m in c["metrics"]}
    ap, ap50 = by_key["ap"], by_key["ap50"]
    out: list[str] = []
    out.append(
        f"On the same {plural(c['images'], 'image')} ({plural(c['boxes'], 'box', 'boxes')}), "
        f"{nb}'s AP is {pct(ap['b'])} against {na}'s {pct(ap['a'])} "
        f"({signed_points(ap['delta'])}) and its AP50 {pct(ap50['b'])} against "
        f"{pct(ap50['a'])} ({signed_points(ap50['delta'])})."
    )
    if c["same_file"]:
        out.append(
            f"{na} and {nb} are the same detections file: every change on this page is zero by "
            "construction."
        )
    out.append(_images_finding(c))
    top = most_changed_type(c)
    if top is not None:
        phrase = TYPE_PHRASES[top["type"]]
        out.append(
            f"Among TIDE's error types, {phrase} changed most: fixing them would add "
            f"{top['dap_b']:.1f} AP50 points for {nb} against {top['dap_a']:.1f} for {na} "
            f"({dap_change(top['dap_delta'])}), {_counts(top)}."
        )
    moved = _moved_classes(c["classes"])
    if moved:
        parts = [
            f"{r['label']} ({pct(r['ap50_a'])} → {pct(r['ap50_b'])}, "
            f"{signed_points(r['ap50_delta'])})"
            for r in moved
        ]
        out.append(
            "AP50 changed most for " + ", then ".join(parts) + "; per-class AP has no interval "
            "here, so a small class's change may be chance."
        )
    out.append(_operating_finding(c))
    return out


def _counts(row: ErrorTypeChange) -> str:
    """'from 14 errors to 20', or 'with 14 errors for both'."""
    a, b = row["count_a"] or 0, row["count_b"] or 0
    if a == b:
        return f"with {plural(a, 'error')} for both"
    return f"from {plural(a, 'error')} to {count(b)}"


def _operating_finding(c: DetectionComparisonBlock) -> str:
    """Recall and precision at each side's own threshold, and the thresholds said."""
    oa, ob = c["a"]["operating_point"], c["b"]["operating_point"]

    def moved(what: str, a: float | None, b: float | None) -> str:
        change = "" if a is None or b is None else f" ({signed_points(b - a)})"
        return f"{what} from {pct(a)} to {pct(b)}{change}"

    return (
        f"At each detector's operating point, {moved('recall goes', oa['recall'], ob['recall'])} "
        f"and {moved('precision', oa['precision'], ob['precision'])}: {thresholds_text(c)}, "
        "IoU ≥ 0.5. The errors per image are counted there."
    )


def _images_finding(c: DetectionComparisonBlock) -> str:
    """Better and worse images, with a direction claimed only when the sign test allows it."""
    na, nb = c["names"]
    i = c["image_changes"]
    test = i["sign_test"]
    errors = (
        f"{count(i['errors_a'])} errors (false positives + missed boxes) for {na}, "
        f"{count(i['errors_b'])} for {nb} ({signed_count(i['errors_b'] - i['errors_a'])})"
    )
    if i["better"] + i["worse"] == 0:
        return f"No image's error count changed: {errors}."
    if images_significant(c):
        way = "better than worse" if i["better"] > i["worse"] else "worse than better"
        return (
            f"More images got {way} for {nb}, beyond chance: {count(i['better'])} with fewer "
            f"errors, {count(i['worse'])} with more, {count(i['unchanged'])} unchanged (sign "
            f"test, {p_words(test['exact_p'])}); {errors}."
        )
    return (
        f"{count(i['better'])} images got better for {nb} and {count(i['worse'])} worse "
        f"({count(i['unchanged'])} unchanged): a split the sign test cannot tell from chance "
        f"({p_words(test['exact_p'])}); {errors}."
    )


def _moved_classes(rows: list[ClassChange]) -> list[ClassChange]:
    """The classes whose AP50 changed by at least 0.05 points, largest first."""
    moved = [r for r in rows if r["ap50_delta"] is not None and abs(r["ap50_delta"]) >= 0.0005]
    return moved[:CLASSES_NAMED]
