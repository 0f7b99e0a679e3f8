"""Two detectors on the same images: each image's errors at each one's threshold, and the sign test.

Errors of an image, for one detector at its operating point (IoU 0.5 and its confidence
threshold, kept = score >= threshold; ``detection_operating`` defines the matching): its false
positives (kept detections that matched no box and no crowd region) plus its missed boxes
(not-crowd ground truths no kept detection matched). These are the rows of the single report's
false-positive and missed tables, counted per image.

Change of an image: the candidate's errors minus the baseline's. The image got *better* when
the change is negative, *worse* when positive, and is *unchanged* at 0.

Sign test: the exact two-sided binomial test of the better images against the worse ones with
p = 1/2, the unchanged images left out: p = min(1, 2 P(X <= min(better, worse))) with
X ~ Bin(better + worse, 1/2), as ``scipy.stats.binomtest(better, better + worse).pvalue``
(McNemar's exact test on the discordant pairs, ``compare_stats.mcnemar``); p = 1 with no
changed image. Its mid-p subtracts P(X = min(better, worse)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.compare_stats import PairedTest, mcnemar
from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_operating import Matching


@dataclass(frozen=True)
class ImageErrors:
    """One detector's errors on each image, in the order of the image ids given."""

    false_positives: np.ndarray  # (I,) int64
    missed: np.ndarray  # (I,) int64

    @property
    def total(self) -> np.ndarray:
        """False positives plus missed boxes, per image."""
        total: np.ndarray = self.false_positives + self.missed
        return total


@dataclass(frozen=True)
class ImageChanges:
    """Both detectors' errors per image, the change, and the sign test on the changed images."""

    a: ImageErrors
    b: ImageErrors
    change: np.ndarray  # (I,) b's errors minus a's
    better: int  # images with fewer errors for b
    worse: int
    unchanged: int
    test: PairedTest  # b = better, c = worse


def image_errors(
    gt: GroundTruth, dt: Detections, matching: Matching, conf: float, image_ids: np.ndarray
) -> ImageErrors:
    """Count each image's false positives and missed boxes at confidence ``conf``.

    Every box and detection must be on one of ``image_ids`` (the evaluated images).
    """
    ids = np.asarray(image_ids)
    order = np.argsort(ids, kind="stable")
    n = len(ids)
    kept = dt.score >= conf
    fp = kept & (matching.detection_gt < 0) & ~matching.detection_ignored
    matched_by = matching.gt_matched_by
    found = (matched_by >= 0) & kept[np.maximum(matched_by, 0)]
    missed = ~gt.iscrowd & ~found

    def per_image(image_id: np.ndarray, mask: np.ndarray) -> np.ndarray:
        where = order[np.searchsorted(ids[order], image_id[mask])] if n else image_id[mask]
        return np.bincount(where, minlength=n).astype(np.int64)

    return ImageErrors(per_image(dt.image_id, fp), per_image(gt.image_id, missed))


def sign_test(better: int, worse: int) -> PairedTest:
    """The exact two-sided sign test of better against worse (p = 1/2), and its mid-p."""
    return mcnemar(better, worse)


def image_changes(a: ImageErrors, b: ImageErrors) -> ImageChanges:
    """Compare the two detectors image by image: the change, the counts and the sign test."""
    change = b.total - a.total
    better, worse = int(np.sum(change < 0)), int(np.sum(change > 0))
    return ImageChanges(
        a=a,
        b=b,
        change=change,
        better=better,
        worse=worse,
        unchanged=int(change.size) - better - worse,
        test=sign_test(better, worse),
    )


def largest_changes(change: np.ndarray, *, limit: int, worse: bool) -> np.ndarray:
    """Positions of the images that got worse (or better), the largest change first.

    Ties keep the images' order; at most ``limit`` positions.
    """
    moved = np.flatnonzero(change > 0 if worse else change < 0)
    size = np.abs(change[moved])
    return moved[np.argsort(-size, kind="stable")][: max(limit, 0)]
