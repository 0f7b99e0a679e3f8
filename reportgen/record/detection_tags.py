"""Reviewer tags on a detection report: a sheet of causes per image or per ground-truth box.

A tag sheet (CSV or TSV, as for classification) names an `annotation_id` column (tags per
ground-truth box) or an `image_id` (or `id`) column (tags per image), and a buckets column.
At the report's operating point, a tag on a box counts that box when it was missed; a tag on
an image counts the image's errors (its false positives and missed boxes). Each cause becomes
a bucket beside the measured ones, marked as tagged, with the playbook's experiment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from reportgen.analysis.detection_operating import Matching, OperatingPoint, errors_at
from reportgen.errors import ReportgenError
from reportgen.playbook import load_playbook, match
from reportgen.read.detection import DetectionInput
from reportgen.read.sheet_text import sheet_text
from reportgen.read.tags import normalize_tag, read_tag_sheet
from reportgen.record.detection_types import DetectionBucketItem, DetectionTagsBlock

BOX_ID = "annotation_id"
UNMATCHED_SHOWN = 5


def tag_buckets(
    path: str, separators: str, found: DetectionInput, matching: Matching, point: OperatingPoint
) -> tuple[list[DetectionBucketItem], DetectionTagsBlock]:
    """Count the errors each reviewer tag covers, at the operating point; say what joined."""
    where = str(path)
    header = re.split(r"\r\n|\r|\n", sheet_text(Path(path), where), maxsplit=1)[0]
    per_box = BOX_ID in re.split(r"[,;\t]", header.replace('"', ""))
    sheet = read_tag_sheet(path, id_column=BOX_ID if per_box else None, separators=separators)
    if sheet.id_column == "row":
        raise ReportgenError(
            f"{where}: a detection tag sheet joins on 'annotation_id' (tags per ground-truth "
            "box) or 'image_id' (tags per image); this sheet has neither."
        )
    errors_of, known = _errors(found, matching, point, per_box)
    counted: dict[str, set[int]] = {}
    names: dict[str, str] = {}
    unmatched: list[str] = []
    for key, cell in zip(sheet.ids, sheet.tags, strict=True):
        ident = _as_int(key)
        if ident is None or ident not in known:
            unmatched.append(key)
            continue
        for tag in cell:
            norm = normalize_tag(tag)
            names.setdefault(norm, tag)
            counted.setdefault(norm, set()).update(errors_of.get(ident, ()))
    total = int(point.fp + point.fn)
    entries = load_playbook()
    items: list[DetectionBucketItem] = []
    for norm in sorted(counted, key=lambda n: (-len(counted[n]), n)):
        entry = match(names[norm], entries)
        items.append(
            {
                "key": f"tag:{norm}",
                "name": names[norm],
                "count": len(counted[norm]),
                "share": len(counted[norm]) / total if total else None,
                "base": "the errors at the threshold",
                "dap": None,
                "measured": False,
                "experiments": [] if entry is None else list(entry.experiments),
                "why": None if entry is None else entry.why,
            }
        )
    block: DetectionTagsBlock = {
        "source": Path(path).name,
        "unit": "box" if per_box else "image",
        "id_column": sheet.id_column,
        "rows": len(sheet.ids),
        "unmatched_ids": len(unmatched),
        "unmatched_first": unmatched[:UNMATCHED_SHOWN],
    }
    return items, block


def _as_int(text: str) -> int | None:
    """An id as the ground truth writes it (an integer), or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _errors(
    found: DetectionInput, matching: Matching, point: OperatingPoint, per_box: bool
) -> tuple[Mapping[int, list[int]], set[int]]:
    """The errors each id covers (numbered: detections first, then boxes), and every id."""
    gt, dt = found.ground_truth, found.detections
    fp, missed = errors_at(gt, dt, matching, point.conf)
    offset = len(dt.score)
    if per_box:
        ids = found.gt_ids.tolist()
        return {int(ids[g]): [offset + int(g)] for g in missed.tolist()}, {int(i) for i in ids}
    out: dict[int, list[int]] = {}
    for d in fp.tolist():
        out.setdefault(int(dt.image_id[d]), []).append(int(d))
    for g in missed.tolist():
        out.setdefault(int(gt.image_id[g]), []).append(offset + int(g))
    return out, {int(i) for i in found.images["image_id"].tolist()}
