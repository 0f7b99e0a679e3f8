"""The words of a detection report: headline cards and findings, from its record."""

from __future__ import annotations

from reportgen.analysis.chance import ALPHA
from reportgen.record.detection_types import (
    BreakdownBin,
    BreakdownBlock,
    DetectionBucketItem,
    DetectionClassRow,
    DetectionRecord,
)
from reportgen.record.types import HeadlineCard
from reportgen.words.common import and_list, plural, stands_out
from reportgen.words.numbers import count, interval_pct, pct, points, pvalue, score

TYPE_TITLES = {
    "Cls": "Classification",
    "Loc": "Localisation",
    "Both": "Both cls and loc",
    "Dupe": "Duplicate",
    "Bkg": "Background",
    "Miss": "Missed",
    "FalsePos": "All false positives",
    "FalseNeg": "All false negatives",
}
MAIN_TYPES = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
TYPE_PHRASES = {
    "Cls": "classification errors",
    "Loc": "localisation errors",
    "Both": "errors of both class and place",
    "Dupe": "duplicate detections",
    "Bkg": "background detections",
    "Miss": "missed boxes",
}
BORDER_WORDS = {
    "touching": "touching the border (within 1 px)",
    "near": "near the border (within 5% of the image's shorter side)",
    "inside": "away from the border",
}


def dap_text(value: float) -> str:
    """A dAP, in AP50 points (TIDE's 0-100 scale): '6.4 pt'."""
    return points(value / 100)


def threshold_words(record: DetectionRecord) -> str:
    """Say the operating point: 'confidence ≥ 0.412 (the threshold that maximises F1), IoU 0.5'."""
    op = record["detection"]["operating_point"]
    why = "given with --conf" if op["chosen"] == "given" else "the threshold that maximises F1"
    return f"confidence ≥ {score(op['conf'])} ({why}) and IoU ≥ {score(op['iou'])}"


def largest_type(record: DetectionRecord) -> str | None:
    """The error type whose fix gains most AP50 (None when no fix gains anything)."""
    dap = record["error_types"]["dap"]
    best = max(MAIN_TYPES, key=lambda t: (dap[t], -MAIN_TYPES.index(t)))
    return best if dap[best] > 0 else None


def weakest_class(record: DetectionRecord) -> DetectionClassRow | None:
    """The class with boxes whose AP50 is lowest (ties: more boxes first, then by name)."""
    rows = [r for r in record["detection"]["per_class"] if r["ap50"] is not None]
    if len(rows) < 2:
        return None
    return min(rows, key=lambda r: (r["ap50"], -r["boxes"], r["label"]))


def detection_headline(record: DetectionRecord) -> list[HeadlineCard]:
    """AP, AP50, F1 at the threshold, the largest error type, the weakest class, the misses."""
    d, e = record["detection"], record["error_types"]
    coco, op = d["coco"], d["operating_point"]
    cards: list[HeadlineCard] = [
        {
            "id": "ap",
            "label": "AP (COCO)",
            "value": pct(coco["ap"]),
            "detail": "IoU .50:.95, mean over classes with boxes",
        },
        {
            "id": "ap50",
            "label": "AP50",
            "value": pct(coco["ap50"]),
            "detail": f"AR100 {pct(coco['ar100'])}; {plural(d['boxes'], 'box', 'boxes')} on "
            f"{plural(d['images'], 'image')}",
        },
        {
            "id": "f1",
            "label": "F1 at the threshold",
            "value": score(op["f1"]),
            "detail": f"precision {pct(op['precision'])}, recall {pct(op['recall'])} at "
            f"confidence ≥ {score(op['conf'])}",
        },
    ]
    top = largest_type(record)
    if top is not None:
        cards.append(
            {
                "id": "largest-error",
                "label": "Largest error type",
                "value": TYPE_TITLES[top],
                "detail": f"fixing it adds {dap_text(e['dap'][top])} AP50; "
                f"{plural(e['counts'][top], 'error')}",
            }
        )
    weak = weakest_class(record)
    if weak is not None:
        cards.append(
            {
                "id": "weakest-class",
                "label": "Weakest class",
                "value": weak["label"],
                "detail": f"AP50 {pct(weak['ap50'])}, recall {pct(weak['recall'])} "
                f"({plural(weak['boxes'], 'box', 'boxes')})",
            }
        )
    miss = _biggest_miss_bucket(record)
    if miss is not None:
        cards.append(
            {
                "id": "miss-bucket",
                "label": "Biggest miss bucket",
                "value": miss["name"],
                "detail": f"{count(miss['count'])} of the {count(e['counts']['Miss'])} boxes no "
                f"detection found ({pct(miss['share'])}, as TIDE counts them)",
            }
        )
    return cards


def _biggest_miss_bucket(record: DetectionRecord) -> DetectionBucketItem | None:
    """The measured miss bucket with the most boxes (None: no misses)."""
    misses = [
        b
        for b in record["buckets"]["items"]
        if "missed" in b["key"] and b["key"] != "missed" and b["count"]
    ]
    return max(misses, key=lambda b: b["count"]) if misses else None


def detection_findings(record: DetectionRecord) -> list[str]:
    """What a reviewer should read first, each sentence held to the numbers' standard."""
    d, e = record["detection"], record["error_types"]
    out: list[str] = []
    op = d["operating_point"]
    out.append(
        f"At {threshold_words(record)}, the detector finds {plural(op['tp'], 'box', 'boxes')} of "
        f"{count(op['tp'] + op['fn'])} (recall {pct(op['recall'])}) with "
        f"{plural(op['fp'], 'false positive')} (precision {pct(op['precision'])})."
    )
    ranked = sorted(
        (t for t in MAIN_TYPES if e["dap"][t] > 0),
        key=lambda t: (-e["dap"][t], MAIN_TYPES.index(t)),
    )
    if ranked:
        parts = [f"{TYPE_PHRASES[t]} ({dap_text(e['dap'][t])})" for t in ranked[:3]]
        out.append(
            f"Fixing {parts[0]} would gain the most AP50"
            + (f", then {and_list(parts[1:])}" if parts[1:] else "")
            + ": TIDE's dAP, the AP50 with the errors of one type fixed, minus the AP50."
        )
    if abs(e["ap50"] - e["ap50_gt_classes"]) >= 0.05:
        out.append(
            f"AP50 is {pct(e['ap50'] / 100)} averaged as TIDE does (over the {e['classes']} "
            f"classes with boxes or detections) and {pct(e['ap50_gt_classes'] / 100)} as COCOeval "
            "does (over the "
            f"{e['gt_classes']} with boxes): classes detected but absent from the ground truth "
            "count as AP 0 in TIDE's."
        )
    out += _breakdown_findings(record["breakdowns"])
    out += _confusion_findings(record)
    splits = record["splits"]
    if splits is not None and splits["lacking"]:
        lacking = splits["lacking"]
        named = and_list(
            [
                f"{x['label']} ({plural(x['boxes'], 'box', 'boxes')} in {x['split']})"
                for x in lacking[:5]
            ]
        )
        more = f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""
        out.append(
            f"No box of {named}{more} in the '{lacking[0]['train']}' split: the detector could "
            "not learn what it never saw."
        )
    return out


def _rest_recall(part: BreakdownBlock, bin_: BreakdownBin) -> float | None:
    """The recall of every box outside one bin of a breakdown."""
    boxes = sum(b["boxes"] for b in part["bins"] if b is not bin_)
    matched = sum(b["matched"] for b in part["bins"] if b is not bin_)
    return matched / boxes if boxes else None


def _breakdown_findings(parts: list[BreakdownBlock]) -> list[str]:
    """The bins whose recall is lower than the rest's beyond chance (Holm over every bin)."""
    out = []
    for part in parts:
        for b in part["bins"]:
            if not stands_out(b["p_lower_recall"], ALPHA):
                continue
            rest = _rest_recall(part, b)
            out.append(
                f"{part['title']}: recall is {pct(b['recall'], ci=b['recall_ci'])} (95% CI "
                f"{interval_pct(b['recall_ci'], point=b['recall'])}) for the "
                f"{plural(b['boxes'], 'box', 'boxes')} {_bin_words(part, b)}, against "
                f"{pct(rest)} for the other boxes (adjusted p {pvalue(b['p_lower_recall'])})."
            )
    return out


def _bin_words(part: BreakdownBlock, b: BreakdownBin) -> str:
    """Name a bin in a sentence: 'that are small', 'at the border', 'in images with 5-9'."""
    if part["dimension"] == "size":
        return f"that are {b['name']}"
    if part["dimension"] == "border":
        return BORDER_WORDS.get(b["name"], b["name"])
    return f"in images with {b['name']} objects"


def _confusion_findings(record: DetectionRecord) -> list[str]:
    """The largest off-diagonal cell between two classes, when there is one."""
    c = record["confusion"]
    k = len(c["labels"]) - 1
    best, where = 0, None
    for i in range(k):
        for j in range(k):
            if i != j and c["counts"][i][j] > best:
                best, where = c["counts"][i][j], (i, j)
    if where is None:
        return []
    i, j = where
    found = sum(c["counts"][i])
    return [
        f"{plural(best, 'box', 'boxes')} of {c['labels'][i]} (of {count(found)}) were detected "
        f"as {c['labels'][j]}: the largest confusion between two classes at the threshold."
    ]
