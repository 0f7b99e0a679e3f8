"""The detection report's sections as data, in reading order: id, title, lead, its partial."""

from __future__ import annotations

from reportgen.record.detection_types import DetectionRecord
from reportgen.render import Section
from reportgen.render.sections import provenance_section, setting_text
from reportgen.words.detection import MAIN_TYPES, TYPE_TITLES, threshold_words
from reportgen.words.numbers import score

MATRIX_TABLE_LIMIT = 40  # classes up to which the matrix is also given as a table

ERROR_TYPES_LEAD = (
    "Every false positive and every missed box, sorted into TIDE's error types (Bolya et al., "
    "2020; tidecv 1.0.1), at IoU 0.5 over every detection (up to 100 an image, no confidence "
    "threshold): classification (right place, wrong class), localisation (right class, IoU "
    "0.1-0.5), both, duplicate (a second box on a found object), background (IoU ≤ 0.1 with "
    "every box) and missed (a box no detection found that no classification or localisation "
    "error points at). The bar is each type's dAP: the AP50 "
    "the detector would reach with the errors of that type fixed, minus its AP50; fixes do not "
    "add up."
)
PER_CLASS_LEAD = (
    "COCO's numbers per class, as pycocotools' COCOeval computes them: AP, the mean precision "
    "over IoU 0.50:0.95 and 101 recall points; AP50 at IoU 0.5; AR100, the mean recall over the "
    "ten IoU thresholds with up to 100 detections an image. Then the counts at the threshold: "
    "precision, recall and F1 with 95% intervals (Wilson)."
)
SIZES_LEAD = (
    "Recall of the boxes in each group, and the share of false positives among the detections "
    "in it, at the threshold, with 95% intervals. Size follows COCO (small below 32² pixels of "
    "area, large from 96²); distance from the border is the box's nearest edge to the image's. "
    "A group is called out only when its recall is lower than the rest's beyond chance, every "
    "group of the three breakdowns accounted for (Holm)."
)


def detection_sections(record: DetectionRecord) -> list[Section]:
    """The sections of a detection report, in reading order."""
    k = len(record["detection"]["labels"])
    threshold = threshold_words(record)
    matrix = record["confusion"]
    sections = [
        Section("summary", "Summary", ""),
        Section(
            "error-types",
            "Error types",
            ERROR_TYPES_LEAD,
            {"types": [(t, TYPE_TITLES[t]) for t in (*MAIN_TYPES, "FalsePos", "FalseNeg")]},
        ),
        Section(
            "confusion-matrix",
            "Confusion matrix",
            "Detections matched to boxes whatever their class (Ultralytics' convention: IoU "
            f"above {score(matrix['iou'])}, the highest IoU first, each box and detection once), "
            f"at confidence ≥ {score(matrix['conf'])}: rows are the true class, "
            "columns the predicted one. The background column holds the boxes no detection "
            "matched; the background row the detections that matched no box.",
            {"table_limit": MATRIX_TABLE_LIMIT, "many": k > MATRIX_TABLE_LIMIT},
            partial="detection-confusion",
        ),
        Section("per-class", "Per class", PER_CLASS_LEAD),
        Section("sizes", "Sizes and borders", SIZES_LEAD),
        Section(
            "false-positives",
            "False positives",
            f"Detections at {threshold} that match no box, the most confident first: the ones a "
            "higher threshold would not remove. Ground truth is drawn solid, detections dashed; "
            "the row's own box is thicker.",
        ),
        Section(
            "missed",
            "Missed boxes",
            f"Boxes no detection matched at {threshold}, a random sample. What the nearest "
            "detection did instead: another class (Cls), a loose box (Loc), or nothing (Miss).",
        ),
        Section(
            "buckets",
            "Error buckets",
            "The errors measured from the boxes themselves, before anyone tags, counted as TIDE "
            "counts them (every detection, no confidence threshold): each with its count, its "
            "share of the false positives or of the missed boxes, and TIDE's dAP where the "
            "bucket is one of its error types. A reviewer's tags (--tags) count at the "
            "threshold.",
            partial="detection-buckets",
        ),
        Section(
            "experiments",
            "Small isolated experiments",
            "What to try next, for the buckets with the most errors: each experiment changes one "
            "thing, so its effect can be measured by comparing the retrained detector with this "
            "one on the same ground truth.",
            partial="detection-experiments",
        ),
    ]
    if record["splits"] is not None:
        sections.append(
            Section(
                "splits",
                "Splits",
                "Boxes per class in each split of the ground truth: a class with no box in the "
                "train split is one the detector could not learn.",
                partial="detection-splits",
            )
        )
    sections.append(_provenance(record))
    return sections


def _provenance(record: DetectionRecord) -> Section:
    """The closing section, listing both files."""
    section = provenance_section(record)
    options = record["provenance"]["options"]
    settings = [(key, setting_text(value)) for key, value in options.items()]
    return Section(
        section.id, section.title, section.lead, {"settings": settings}, "detection-provenance"
    )
