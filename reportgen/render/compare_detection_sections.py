"""The detection comparison's sections as data, in reading order: id, title, lead, its partial."""

from __future__ import annotations

from reportgen.record.compare_detection_types import DetectionComparisonRecord
from reportgen.render import Section
from reportgen.render.sections import provenance_section, setting_text
from reportgen.words.compare_detection import thresholds_text


def detection_comparison_sections(record: DetectionComparisonRecord) -> list[Section]:
    """The sections of a comparison of two detectors, in reading order."""
    c = record["comparison"]
    na, nb = c["names"]
    closing = provenance_section(record)
    options = record["provenance"]["options"]
    return [
        Section("summary", "Summary", "", partial="dcompare-summary"),
        Section(
            "changes",
            "Metrics",
            f"COCOeval's numbers (bbox) for {na} and {nb} on the same images and ground truth, "
            f"and the change ({nb} − {na}) in percentage points. Then each detector at its own "
            "operating point: the counts at IoU 0.5 and its confidence threshold.",
            partial="dcompare-changes",
        ),
        Section(
            "error-types",
            "Error types",
            "TIDE's error types (Bolya et al., 2020; tidecv 1.0.1) for both detectors: the "
            "errors of each type and its dAP, the AP50 a detector would reach with the errors "
            "of that type fixed, minus its AP50, in points of TIDE's 0–100 scale. A type whose "
            "dAP shrank costs the candidate less than it cost the baseline.",
            partial="dcompare-error-types",
        ),
        Section(
            "per-class",
            "Per class",
            f"Each class's AP and AP50 (COCOeval) and its recall at each detector's threshold "
            f"({thresholds_text(c)}), the largest AP50 change (either way) first.",
            partial="dcompare-per-class",
        ),
        Section(
            "images",
            "Images that got better or worse",
            "Each image's errors for each detector at its own threshold: its false positives "
            "plus the boxes it missed. An image got better when the candidate makes fewer, "
            "worse when it makes more; the sign test asks whether better and worse images "
            "could be a coin's split.",
            partial="dcompare-images",
        ),
        Section(
            closing.id,
            closing.title,
            closing.lead,
            {"settings": [(key, setting_text(value)) for key, value in options.items()]},
            partial="dcompare-provenance",
        ),
    ]
