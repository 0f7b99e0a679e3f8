"""Breakdowns of analysis/detection_breakdown against a plain loop and scipy's Fisher test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import fisher_exact

from reportgen.analysis.detection import Detections, GroundTruth
from reportgen.analysis.detection_breakdown import Bin, Breakdown, breakdowns
from reportgen.analysis.detection_operating import match_at, operating_point
from reportgen.analysis.stats import wilson_interval


def size_name(area: float) -> str:
    return "small" if area < 1024 else "medium" if area < 9216 else "large"


def border_name(box: np.ndarray, w: float, h: float) -> str:
    x, y, bw, bh = box
    d = min(x, y, w - x - bw, h - y - bh)
    return "touching" if d <= 1 else "near" if d < 0.05 * min(w, h) else "inside"


def objects_name(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2-4" if n < 5 else "5-9" if n < 10 else "10+"


def random_case(seed: int) -> tuple[GroundTruth, Detections, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = np.arange(10, 10 + int(rng.integers(3, 12)))
    width = rng.integers(50, 400, len(images)).astype(float)
    height = rng.integers(50, 400, len(images)).astype(float)
    n_gt = int(rng.integers(0, 60))
    on = rng.integers(0, len(images), n_gt)
    size = rng.uniform(5, 150, (n_gt, 2))
    pos = rng.uniform(0, 1, (n_gt, 2)) * np.maximum(np.c_[width[on], height[on]] - size, 0)
    pos = np.where(rng.random((n_gt, 2)) < 0.2, 0.0, pos)  # some at the edge
    gt_box = np.c_[pos, size]
    gt = GroundTruth.of(
        images[on], rng.integers(1, 4, n_gt), gt_box, rng.random(n_gt) < 0.05, categories=(1, 2, 3)
    )
    n_dt = int(rng.integers(0, 90))
    src = rng.integers(0, max(n_gt, 1), n_dt)
    if n_gt:
        box = np.abs(gt_box[src] + rng.normal(0, 4, (n_dt, 4))) + np.array([0, 0, 1, 1])
        image = gt.image_id[src]
        cat = np.where(rng.random(n_dt) < 0.8, gt.category_id[src], rng.integers(1, 4, n_dt))
    else:
        box = np.c_[rng.uniform(0, 40, (n_dt, 2)), rng.uniform(5, 40, (n_dt, 2))]
        image = images[rng.integers(0, len(images), n_dt)]
        cat = rng.integers(1, 4, n_dt)
    dt = Detections.of(image, cat, box, rng.random(n_dt))
    return gt, dt, images, width, height


def holm_by_hand(ps: list[float | None]) -> list[float | None]:
    tested = sorted((p, i) for i, p in enumerate(ps) if p is not None)
    out: list[float | None] = [None] * len(ps)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        out[i] = running
    return out


@pytest.mark.parametrize("seed", range(30))
def test_equals_a_plain_loop(seed: int) -> None:
    gt, dt, images, width, height = random_case(seed)
    m = match_at(gt, dt)
    point = operating_point(gt, dt, m)
    got = breakdowns(gt, dt, m, point, images, width, height)
    assert [b.dimension for b in got] == ["size", "border", "objects"]
    size_of = {int(i): (w, h) for i, w, h in zip(images, width, height, strict=True)}
    count = {int(i): 0 for i in images}
    for g in range(len(gt.iscrowd)):
        if not gt.iscrowd[g]:
            count[int(gt.image_id[g])] += 1
    want: dict[tuple[str, str], dict[str, int]] = {}

    def add(dim: str, name: str, key: str) -> None:
        want.setdefault((dim, name), {}).setdefault(key, 0)
        want[(dim, name)][key] += 1

    for g in range(len(gt.iscrowd)):
        if gt.iscrowd[g]:
            continue
        image = int(gt.image_id[g])
        d = int(m.gt_matched_by[g])
        hit = d >= 0 and dt.score[d] >= point.conf
        names = (
            ("size", size_name(gt.area[g])),
            ("border", border_name(gt.box[g], *size_of[image])),
            ("objects", objects_name(count[image])),
        )
        for dim, name in names:
            add(dim, name, "boxes")
            if hit:
                add(dim, name, "matched")
    for d in range(len(dt.score)):
        if m.detection_ignored[d] or dt.score[d] < point.conf:
            continue
        image = int(dt.image_id[d])
        names = (
            ("size", size_name(dt.box[d, 2] * dt.box[d, 3])),
            ("border", border_name(dt.box[d], *size_of[image])),
            ("objects", objects_name(count[image])),
        )
        for dim, name in names:
            add(dim, name, "detections")
            if m.detection_gt[d] < 0:
                add(dim, name, "false_positives")
    total = int((~gt.iscrowd).sum())
    missed_total = total - sum(
        want.get(("size", n), {}).get("matched", 0) for n in ("small", "medium", "large")
    )
    raw: list[float | None] = []
    for breakdown in got:
        for b in breakdown.bins:
            w = want.get((breakdown.dimension, b.name), {})
            assert b.boxes == w.get("boxes", 0)
            assert b.matched == w.get("matched", 0)
            assert b.detections == w.get("detections", 0)
            assert b.false_positives == w.get("false_positives", 0)
            assert b.recall_ci == wilson_interval(b.matched, b.boxes)
            if b.boxes:
                assert b.recall == pytest.approx(b.matched / b.boxes)
            if breakdown.dimension == "objects":
                assert b.images == sum(objects_name(n) == b.name for n in count.values())
            else:
                assert b.images is None
            if b.boxes == 0 or b.boxes == total:
                raw.append(None)
            else:
                missed = b.boxes - b.matched
                rest_missed = missed_total - missed
                table = [[missed, b.matched], [rest_missed, total - b.boxes - rest_missed]]
                raw.append(float(fisher_exact(table, alternative="greater")[1]))
    adjusted = holm_by_hand(raw)
    flat = [b.p_lower_recall for breakdown in got for b in breakdown.bins]
    for mine, theirs in zip(flat, adjusted, strict=True):
        if theirs is None:
            assert mine is None
        else:
            assert mine == pytest.approx(theirs, rel=1e-6, abs=1e-12)


def by_name(result: tuple[Breakdown, ...], dimension: str) -> dict[str, Bin]:
    return {b.name: b for d in result if d.dimension == dimension for b in d.bins}


def test_hand_worked_bins() -> None:
    """Small boxes at the edge all missed; a large inside box found; a background FP."""
    gt = GroundTruth.of(
        [1, 1, 1, 2],
        [1, 1, 1, 1],
        [[0, 0, 10, 10], [2.5, 50, 10, 10], [40, 40, 100, 100], [60, 60, 40, 40]],
    )
    dt = Detections.of(
        [1, 2, 3],
        [1, 1, 1],
        [[40, 40, 100, 100], [60, 60, 40, 40], [10, 10, 5, 5]],
        [0.9, 0.8, 0.7],
    )
    images, width, height = (
        np.array([1, 2, 3]),
        np.array([200.0, 200, 200]),
        np.array([200.0, 200, 200]),
    )
    m = match_at(gt, dt)
    point = operating_point(gt, dt, m, conf=0.5)
    result = breakdowns(gt, dt, m, point, images, width, height)
    size = by_name(result, "size")
    assert (size["small"].boxes, size["small"].matched) == (2, 0)
    assert (size["medium"].boxes, size["medium"].matched) == (1, 1)
    assert (size["large"].boxes, size["large"].matched) == (1, 1)
    assert size["small"].false_positives == 1
    border = by_name(result, "border")
    assert border["touching"].boxes == 1 and border["near"].boxes == 1
    assert border["inside"].matched == 2
    objects = by_name(result, "objects")
    assert objects["0"].images == 1 and objects["0"].false_positives == 1
    assert objects["0"].fp_per_image == 1.0
    assert objects["0"].recall is None and objects["0"].p_lower_recall is None
    assert objects["2-4"].boxes == 3 and objects["1"].boxes == 1


def test_a_strongly_worse_bin_survives_holm() -> None:
    """Forty small boxes all missed among eighty large ones all found: small's p is tiny."""
    n_small, n_large = 40, 80
    boxes = [[i * 3.0 + 5, 5, 10, 10] for i in range(n_small)] + [[5, 30, 100, 100]] * n_large
    image = list(range(n_small)) + list(range(100, 100 + n_large))
    gt = GroundTruth.of(image, [1] * len(image), boxes)
    dt = Detections.of(image[n_small:], [1] * n_large, boxes[n_small:], [0.9] * n_large)
    ids = np.array(sorted(set(image)))
    m = match_at(gt, dt)
    result = breakdowns(
        gt,
        dt,
        m,
        operating_point(gt, dt, m),
        ids,
        np.full(len(ids), 400.0),
        np.full(len(ids), 400.0),
    )
    small = by_name(result, "size")["small"]
    assert small.p_lower_recall is not None and small.p_lower_recall < 1e-10
    assert by_name(result, "size")["large"].p_lower_recall == pytest.approx(1.0)


def test_an_image_missing_from_the_table_is_refused() -> None:
    gt = GroundTruth.of([5], [1], [[0, 0, 10, 10]])
    dt = Detections.of([], [], np.zeros((0, 4)), [])
    m = match_at(gt, dt)
    with pytest.raises(ValueError, match="image 5"):
        breakdowns(
            gt, dt, m, operating_point(gt, dt, m), np.array([1]), np.array([9.0]), np.array([9.0])
        )
