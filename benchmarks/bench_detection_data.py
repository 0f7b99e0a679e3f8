"""The seeded COCO-val-sized detection pair of bench_detection.py (see benchmarks/README.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SEED = 0
GENERATOR_VERSION = 1  # bump when the generated files change, so old ones are not reused
# COCO's 80 category ids (1..90 with gaps) and picture shapes of val2017-like images
COCO_CATEGORY_IDS = tuple(
    i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)
)
IMAGE_SHAPES = ((640, 480), (480, 640), (640, 427), (427, 640), (640, 360), (500, 375))
IMAGE_SHAPE_SHARES = (0.45, 0.15, 0.2, 0.1, 0.05, 0.05)
BOXES_PER_IMAGE = 7.3  # COCO val2017: 36,781 boxes on 5,000 images
EMPTY_IMAGES = 0.01  # images without boxes (val2017: 48)
SIZE_SHARES = (0.41, 0.34, 0.25)  # small, medium, large by the `area` field, as in COCO val
CROWD_SHARE = 0.01
EDGE_SHARE = 0.15  # boxes touching the image border
SAME_CATEGORY = 0.5  # share of boxes of their image's main category (COCO: ~3 classes an image)
DETECTED = (0.5, 0.8, 0.9)  # chance a ground truth is found, by size
CLASS_SWAP, LOCALISATION, DUPLICATE = 0.08, 0.06, 0.05  # of the found boxes
BACKGROUND_PER_IMAGE = 18.0  # Poisson mean of low-scored boxes on nothing
MAX_DETECTIONS = 100


def clip_boxes(box: Any, width: Any, height: Any) -> Any:
    """Boxes moved inside their image with w, h >= about 1, x, y, w, h rounded to 2 decimals."""
    import numpy as np

    x0 = np.clip(box[:, 0], 0, width - 1)
    y0 = np.clip(box[:, 1], 0, height - 1)
    x1 = np.clip(box[:, 0] + box[:, 2], x0 + 1, width)
    y1 = np.clip(box[:, 1] + box[:, 3], y0 + 1, height)
    x0, y0, x1, y1 = (np.round(v, 2) for v in (x0, y0, x1, y1))
    w, h = np.round(x1 - x0, 2), np.round(y1 - y0, 2)
    # the rounded sum may pass the border by a float ulp: take a hundredth off there
    w = np.where(x0 + w > width, np.round(w - 0.01, 2), w)
    h = np.where(y0 + h > height, np.round(h - 0.01, 2), h)
    return np.stack([x0, y0, w, h], axis=1)


def ground_truth(rng: Any, images: int) -> dict[str, Any]:
    """Images, categories and boxes as arrays (see benchmarks/README.md, Detection)."""
    import numpy as np

    shape = np.array(IMAGE_SHAPES, dtype=float)[
        rng.choice(len(IMAGE_SHAPES), images, p=IMAGE_SHAPE_SHARES)
    ]
    image_ids = np.sort(rng.choice(600_000, images, replace=False) + 1)  # sparse, as COCO's
    # 1 + a negative binomial (skewed: a few crowded images), and about 1% without boxes
    more = rng.negative_binomial(1.5, 1.5 / (1.5 + BOXES_PER_IMAGE - 1), images)
    per_image = np.where(rng.random(images) < EMPTY_IMAGES, 0, np.minimum(1 + more, 60))
    image = np.repeat(np.arange(images), per_image)
    n = len(image)
    freq = 1.0 / np.arange(1, len(COCO_CATEGORY_IDS) + 1) ** 1.2  # a few common, a long tail
    category = rng.choice(len(COCO_CATEGORY_IDS), n, p=freq / freq.sum())
    # objects come in groups (people, cars): about half of an image's boxes share one category
    main = rng.choice(len(COCO_CATEGORY_IDS), images, p=freq / freq.sum())[image]
    category = np.where(rng.random(n) < SAME_CATEGORY, main, category)
    size = rng.choice(3, n, p=SIZE_SHARES)
    width, height = shape[image, 0], shape[image, 1]
    low = np.array([10.0, 32.0**2, 96.0**2])[size]
    high = np.minimum(np.array([32.0**2, 96.0**2, np.inf])[size], 0.6 * width * height)
    area = np.exp(rng.uniform(np.log(low), np.log(high)))  # the `area` field (a mask's)
    fill = rng.uniform(0.55, 0.95, n)  # mask area / box area
    aspect = np.exp(np.clip(rng.normal(0.0, 0.6, n), -1.6, 1.6))
    w = np.clip(np.sqrt(area / fill * aspect), 1.0, width)
    h = np.clip(np.sqrt(area / fill / aspect), 1.0, height)
    x, y = rng.uniform(0, 1, n) * (width - w), rng.uniform(0, 1, n) * (height - h)
    edge = np.where(rng.random(n) < EDGE_SHARE, rng.integers(0, 4, n), -1)
    x = np.select([edge == 0, edge == 1], [0.0, width - w], x)
    y = np.select([edge == 2, edge == 3], [0.0, height - h], y)
    box = clip_boxes(np.stack([x, y, w, h], axis=1), width, height)
    area = np.round(np.minimum(area, box[:, 2] * box[:, 3] * fill), 2)
    crowd = rng.random(n) < CROWD_SHARE
    return {
        "shape": shape,
        "image_ids": image_ids,
        "image": image,
        "category": category,
        "box": box,
        "area": area,
        "crowd": crowd,
    }


def detections(
    rng: Any, gt: dict[str, Any], background: float = BACKGROUND_PER_IMAGE
) -> dict[str, Any]:
    """Found boxes (jittered), class swaps, poor localisations, duplicates and background."""
    import numpy as np

    size = np.searchsorted([32.0**2, 96.0**2], gt["area"], side="right")
    found = ~gt["crowd"] & (rng.random(len(size)) < np.array(DETECTED)[size])
    image, category, box = gt["image"][found], gt["category"][found], gt["box"][found]
    n = len(image)
    wh = np.repeat(box[:, 2:], 2, axis=1)  # jitter in proportion to the box: w, h, w, h
    jitter = rng.normal(0.0, 0.06, (n, 4)) * wh
    kind = rng.choice(3, n, p=(1 - CLASS_SWAP - LOCALISATION, CLASS_SWAP, LOCALISATION))
    # a poor localisation: shifted by 30-70% of the box in a random direction
    angle = rng.uniform(0, 2 * np.pi, n)
    shift = rng.uniform(0.3, 0.7, n)[:, None] * box[:, 2:] * np.c_[np.cos(angle), np.sin(angle)]
    jitter[:, :2] += np.where(kind[:, None] == 2, shift, 0.0)
    swapped = (category + rng.integers(1, len(COCO_CATEGORY_IDS), n)) % len(COCO_CATEGORY_IDS)
    category = np.where(kind == 1, swapped, category)
    score = np.where(kind == 0, rng.beta(6, 2, n), rng.beta(3, 3, n))
    dup = (kind == 0) & (rng.random(n) < DUPLICATE / (1 - CLASS_SWAP - LOCALISATION))
    parts = [(image, category, box + jitter, score)]
    dup_box = box[dup] + rng.normal(0.0, 0.1, (int(dup.sum()), 4)) * wh[dup]
    parts.append(
        (image[dup], category[dup], dup_box, score[dup] * rng.uniform(0.3, 0.9, dup.sum()))
    )
    # background: random boxes of any category on images, at low scores
    images = len(gt["shape"])
    bg_image = np.repeat(np.arange(images), rng.poisson(background, images))
    m = len(bg_image)
    wh_img = gt["shape"][bg_image]
    bg_area = np.exp(rng.uniform(np.log(16.0), np.log(0.25 * wh_img[:, 0] * wh_img[:, 1])))
    aspect = np.exp(rng.normal(0.0, 0.5, m))
    bg_wh = np.c_[np.sqrt(bg_area * aspect), np.sqrt(bg_area / aspect)]
    bg_xy = rng.uniform(0, 1, (m, 2)) * np.maximum(wh_img - bg_wh, 0.0)
    freq = 1.0 / np.arange(1, len(COCO_CATEGORY_IDS) + 1) ** 1.2
    bg_cat = rng.choice(len(COCO_CATEGORY_IDS), m, p=freq / freq.sum())
    parts.append((bg_image, bg_cat, np.c_[bg_xy, bg_wh], rng.beta(1.2, 8, m)))
    image, category, raw, score = (np.concatenate(p) for p in zip(*parts, strict=True))
    shape = gt["shape"][image]
    box = clip_boxes(raw, shape[:, 0], shape[:, 1])
    score = np.clip(np.round(score, 5), 1e-5, 1.0)  # in (0, 1] after rounding
    # by image, highest score first (stable); each image's top 100 kept
    order = np.lexsort((-score, image))
    image, category, box, score = image[order], category[order], box[order], score[order]
    starts = np.searchsorted(image, image, side="left")
    keep = np.arange(len(image)) - starts < MAX_DETECTIONS
    return {
        "image": image[keep],
        "category": category[keep],
        "box": box[keep],
        "score": score[keep],
    }


def generate(
    instances: Path, results: Path, images: int, background: float = BACKGROUND_PER_IMAGE
) -> dict[str, Any]:
    """Write both files (atomically) and return what they hold."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    gt = ground_truth(rng, images)
    dt = detections(rng, gt, background)
    cats = np.array(COCO_CATEGORY_IDS)
    ids = gt["image_ids"]
    instances_doc = {
        "info": {"description": f"reportgen bench_detection v{GENERATOR_VERSION}, seed {SEED}"},
        "images": [
            {"id": int(i), "file_name": f"{int(i):012d}.jpg", "width": int(w), "height": int(h)}
            for i, (w, h) in zip(ids.tolist(), gt["shape"].tolist(), strict=True)
        ],
        "annotations": [
            {"id": k + 1, "image_id": i, "category_id": c, "bbox": b, "area": a, "iscrowd": int(r)}
            for k, (i, c, b, a, r) in enumerate(
                zip(
                    ids[gt["image"]].tolist(),
                    cats[gt["category"]].tolist(),
                    gt["box"].tolist(),
                    gt["area"].tolist(),
                    gt["crowd"].tolist(),
                    strict=True,
                )
            )
        ],
        "categories": [
            {"id": c, "name": f"category_{c:02d}", "supercategory": "thing"}
            for c in COCO_CATEGORY_IDS
        ],
    }
    results_doc = [
        {"image_id": i, "category_id": c, "bbox": b, "score": s}
        for i, c, b, s in zip(
            ids[dt["image"]].tolist(),
            cats[dt["category"]].tolist(),
            dt["box"].tolist(),
            dt["score"].tolist(),
            strict=True,
        )
    ]
    for path, doc in ((instances, instances_doc), (results, results_doc)):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(doc, separators=(",", ":")))
        os.replace(tmp, path)  # never leave a half-written file that a later run would reuse
    area = gt["area"]
    per_image = np.bincount(dt["image"], minlength=images)
    return {
        "images": images,
        "boxes": len(area),
        "crowd": int(gt["crowd"].sum()),
        "small": round(float(np.mean(area < 32**2)), 3),
        "medium": round(float(np.mean((area >= 32**2) & (area < 96**2))), 3),
        "large": round(float(np.mean(area >= 96**2)), 3),
        "detections": len(dt["score"]),
        "max_per_image": int(per_image.max()),
    }
