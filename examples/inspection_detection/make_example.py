"""Regenerate the detection inspection example: tube pictures, defect boxes, a detector's output.

The story of ``examples/inspection`` told as object detection: a camera looks at finned tubes
and defects are boxed as "fin defect", "tube defect" or "severe tube defect". The pictures are
drawn here; the detector is simulated and fails as real ones do: small defects and defects at
the edge of the frame are missed, severe tube defects (never in the train split) are taken for
tube defects or missed, some boxes are off target or doubled, fin reflections draw low scores.

    python examples/inspection_detection/make_example.py [--all-images]

Writes beside this file instances.json (COCO instances, a ``split`` on every image),
detections.json (COCO results, val images only) and images/tube-NNNN.png (val only, unless
--all-images), and prints what was planted: the truth to check the report's findings against.
Needs numpy and Pillow. The plan comes from one seeded generator and each picture from its
own (seeded by its id), so the same library versions give the same bytes.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
SEED = 20261203
IMAGES, VAL_IMAGES = 240, 96
WIDTH, HEIGHT = 256, 160
FIN, TUBE, SEVERE = 1, 2, 3
NAMES = {FIN: "fin defect", TUBE: "tube defect", SEVERE: "severe tube defect"}
DEFECTS_PER_IMAGE = (0.03, 0.08, 0.22, 0.32, 0.35)  # chance of 0, 1, 2, 3, 4 defects
CLASS_SHARE = {"train": (0.54, 0.46, 0.0), "val": (0.46, 0.42, 0.12)}  # severe never in train
SMALL_SHARE = {FIN: 0.55, TUBE: 0.4, SEVERE: 0.0}  # small: COCO's small, area < 32²
EDGE_SHARE = 0.2
EDGE_MAX = 6  # px: an edge defect lies this close to the border or closer (5% of 160 is 8)
INSIDE_MIN = 16  # px: every other defect at least this far (10% of the smaller side)
TUBE_HALF = 18  # the tube's half height
# width and height ranges (low, high exclusive) by category and smallness: a small fin defect
# is one dented fin, a larger one bends several; small ones stay under COCO's 32² area
SIZES = {
    (FIN, True): (5, 10, 10, 21),
    (FIN, False): (31, 41, 34, 43),
    (TUBE, True): (10, 23, 5, 10),
    (TUBE, False): (40, 62, 26, 35),
    (SEVERE, False): (56, 91, 40, 57),
}

# The simulated detector: the chance it finds a fin or tube defect, and what goes wrong.
DETECT, SMALL_FACTOR, EDGE_FACTOR = 0.97, 0.62, 0.35
OFF_TARGET, DUPLICATE = 0.06, 0.08  # of the found defects: box IoU 0.15-0.45; a second box
SEVERE_OUTCOME = {"severe": 0.2, "as tube": 0.45, "as tube, off target": 0.15, "missed": 0.2}
GLINT_DETECTED = 0.45  # a bright reflection on a fin taken for a fin defect, at a low score
MAX_PER_IMAGE = 10
OUTCOMES = tuple(dict.fromkeys(["found", "found, doubled", "off target", *SEVERE_OUTCOME]))


@dataclass
class Defect:
    """One ground-truth box, the conditions that make it hard, and what the detector did."""

    category: int
    box: tuple[int, int, int, int]  # x, y, w, h in whole pixels
    small: bool
    edge: bool
    outcome: str = ""


@dataclass
class Picture:
    """One image: its split, the tube and fins drawn in it, its defects and reflections."""

    id: int
    split: str
    centre: int  # the tube's axis, y
    pitch: int  # distance between fins
    phase: int  # x of the first fin
    defects: list[Defect] = field(default_factory=list)
    glints: list[tuple[int, int, int]] = field(default_factory=list)  # x, y, length
    glints_detected: int = 0


def plan(rng: np.random.Generator) -> list[Picture]:
    """Draw every image's split, tube, defects and reflections."""
    val = set((rng.permutation(IMAGES)[:VAL_IMAGES] + 1).tolist())
    pictures = []
    for image_id in range(1, IMAGES + 1):
        split = "val" if image_id in val else "train"
        centre, pitch = 80 + int(rng.integers(-5, 6)), int(rng.integers(9, 12))
        pic = Picture(image_id, split, centre, pitch, int(rng.integers(pitch)))
        for _ in range(int(rng.choice(len(DEFECTS_PER_IMAGE), p=DEFECTS_PER_IMAGE))):
            category = int(rng.choice([FIN, TUBE, SEVERE], p=CLASS_SHARE[split]))
            small = bool(rng.random() < SMALL_SHARE[category])
            edge = bool(rng.random() < EDGE_SHARE)
            box = place(pic, category, small, edge, rng)
            if box is not None:  # no room left in the picture: the defect is dropped
                pic.defects.append(Defect(category, box, small, edge))
        for _ in range(int(rng.integers(0, 4))):
            fin = pic.phase + pitch * int(rng.integers(2, WIDTH // pitch - 2))
            length = int(rng.integers(8, 15))
            y = pic.centre + TUBE_HALF + 4 + int(rng.integers(0, 30))  # below the tube
            if rng.random() < 0.5:  # or above it
                y = 2 * pic.centre - y - length
            if all(_apart((fin - 2, y - 2, 6, length + 4), d.box, 6) for d in pic.defects):
                pic.glints.append((fin, y, length))
        pictures.append(pic)
    return pictures


def place(
    pic: Picture, category: int, small: bool, edge: bool, rng: np.random.Generator
) -> tuple[int, int, int, int] | None:
    """A box for a new defect: its size by category, on a fin or the tube, clear of the others."""
    for _ in range(60):
        low_w, high_w, low_h, high_h = SIZES[(category, small)]
        w, h = int(rng.integers(low_w, high_w)), int(rng.integers(low_h, high_h))
        x = int(rng.integers(0, WIDTH - w + 1))
        if category == FIN:  # above or below the tube, a small one centred on a fin
            if small:
                fin = pic.phase + pic.pitch * round((x - pic.phase) / pic.pitch)
                x = min(max(fin - w // 2 + 1, 0), WIDTH - w)
            if rng.random() < 0.5:
                y = int(rng.integers(0, pic.centre - TUBE_HALF - h + 1))
            else:
                y = int(rng.integers(pic.centre + TUBE_HALF, HEIGHT - h + 1))
        else:  # centred on the tube, give or take
            y = pic.centre - h // 2 + int(rng.integers(-3, 4))
        if edge:
            gap = int(rng.integers(0, EDGE_MAX + 1))
            moves = [(gap, y), (WIDTH - w - gap, y)]  # left, right; top, bottom for a fin
            moves += [(x, gap if y < pic.centre else HEIGHT - h - gap)] if category == FIN else []
            x, y = moves[int(rng.integers(len(moves)))]
        box = (x, y, w, h)
        if (_border(box) > EDGE_MAX) if edge else (_border(box) < INSIDE_MIN):
            continue
        if all(_apart(box, d.box, 4) for d in pic.defects):
            return box
    return None


def _border(box: tuple[int, int, int, int]) -> int:
    """The box's smallest distance to an edge of the image, in pixels."""
    x, y, w, h = box
    return min(x, y, WIDTH - x - w, HEIGHT - y - h)


def _apart(a: tuple[int, ...], b: tuple[int, ...], margin: int) -> bool:
    """Whether two boxes keep at least ``margin`` pixels between them."""
    gap = max(b[0] - a[0] - a[2], a[0] - b[0] - b[2], b[1] - a[1] - a[3], a[1] - b[1] - b[3])
    return gap >= margin


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two x, y, w, h boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return float(ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy))


def clipped(box: np.ndarray) -> np.ndarray:
    """An x, y, w, h box cut to the image and rounded to 2 decimals, staying inside it."""
    x1, y1 = max(box[0], 0.0), max(box[1], 0.0)
    x2, y2 = min(box[0] + box[2], WIDTH), min(box[1] + box[3], HEIGHT)
    out = np.round([x1, y1, x2 - x1, y2 - y1], 2)
    out[2:] = np.minimum(out[2:], np.floor(([WIDTH, HEIGHT] - out[:2]) * 100) / 100)  # rounded
    return out


def jittered(
    box: np.ndarray, spread: float, lowest: float, highest: float, rng: np.random.Generator
) -> np.ndarray:
    """The box with each side moved at random, inside the image, its IoU within the bounds."""
    for _ in range(100):
        d = rng.normal(0.0, 1.0, 4) * (spread * box[[2, 3, 2, 3]] + 0.4)
        out = clipped(box + np.array([d[0], d[1], d[2] - d[0], d[3] - d[1]]))
        if out[2] >= 1 and out[3] >= 1 and lowest <= iou(out, box) <= highest:
            return out
    raise AssertionError(f"no jittered box for {box}")


def off_target(box: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A box overlapping the defect with IoU 0.15-0.45: shifted along it, or a part of it."""
    x, y, w, h = box
    target = rng.uniform(0.15, 0.45)
    for _ in range(20):
        if rng.random() < 0.6:  # shifted: IoU (w - dx) / (w + dx) along one axis
            step = (1 - target) / (1 + target) * rng.choice([-1.0, 1.0])
            dx, dy = (step * w, 0.0) if rng.random() < 0.6 else (0.0, step * h)
            moved = np.array([x + dx, y + dy, w, h])
        else:  # a part of it: IoU is the part's share of the area
            a = rng.uniform(target, 1.0)
            pw, ph = w * a, h * target / a
            moved = np.array([x + rng.uniform(0, w - pw), y + rng.uniform(0, h - ph), pw, ph])
        out = clipped(moved)
        if out[2] >= 1 and out[3] >= 1 and 0.12 <= iou(out, box) <= 0.48:
            return out
    return jittered(box, 0.3, 0.15, 0.45, rng)


def score(ab: tuple[float, float], rng: np.random.Generator, lo: float = 0, hi: float = 1) -> float:
    """A confidence in (0, 1], beta(a, b) scaled into [lo, hi], 3 decimals."""
    return float(min(max(round(lo + (hi - lo) * rng.beta(*ab), 3), 0.001), 1.0))


def detect(pictures: list[Picture], rng: np.random.Generator) -> list[dict[str, Any]]:
    """Simulate the detector on the val images: a COCO results list, and each defect's outcome."""
    results: list[dict[str, Any]] = []
    for pic in (p for p in pictures if p.split == "val"):
        found: list[tuple[int, np.ndarray, float]] = []  # category, box, score
        for d in pic.defects:
            box = np.array(d.box, dtype=float)
            if d.category == SEVERE:
                d.outcome = str(rng.choice(list(SEVERE_OUTCOME), p=list(SEVERE_OUTCOME.values())))
                if d.outcome == "severe":
                    found.append((SEVERE, jittered(box, 0.05, 0.6, 1.0, rng), score((2.5, 3), rng)))
                elif d.outcome == "as tube":
                    found.append((TUBE, jittered(box, 0.05, 0.6, 1.0, rng), score((4, 2.2), rng)))
                elif d.outcome == "as tube, off target":
                    found.append((TUBE, off_target(box, rng), score((4, 2), rng)))
                continue
            chance = DETECT * (SMALL_FACTOR if d.small else 1.0) * (EDGE_FACTOR if d.edge else 1.0)
            if rng.random() >= chance:
                d.outcome = "missed"
                continue
            first = score((2.5, 2.5) if d.edge else (3.5, 2.2) if d.small else (6, 1.6), rng)
            if rng.random() < OFF_TARGET:
                d.outcome = "off target"
                found.append((d.category, off_target(box, rng), score((2.5, 2.5), rng)))
                continue
            d.outcome = "found"
            found.append((d.category, jittered(box, 0.05, 0.55, 1.0, rng), first))
            if rng.random() < DUPLICATE:
                d.outcome = "found, doubled"
                second = max(round(first * rng.uniform(0.35, 0.8), 3), 0.001)
                found.append((d.category, jittered(box, 0.1, 0.5, 0.85, rng), second))
        for gx, gy, length in pic.glints:
            if rng.random() < GLINT_DETECTED:
                pad = rng.uniform(2, 4, 4)
                box = clipped(np.array([gx - pad[0], gy - pad[1], 2 + pad[0] + pad[2], 0]))
                box[3] = round(min(length + pad[1] + pad[3], HEIGHT - box[1]), 2)
                found.append((FIN, box, score((1.2, 2.5), rng, 0.03, 0.6)))
                pic.glints_detected += 1
        for category, box, conf in sorted(found, key=lambda f: -f[2])[:MAX_PER_IMAGE]:  # stable
            bbox = [float(v) for v in box]
            results.append(
                {"image_id": pic.id, "category_id": category, "bbox": bbox, "score": conf}
            )
    return results


class Canvas:
    """A grayscale picture drawn with numpy alone at ``scale`` times the size, then shrunk."""

    def __init__(self, scale: int, background: float) -> None:
        self.s = scale
        self.pixels = np.full((HEIGHT * scale, WIDTH * scale), background)
        self.y = (np.arange(HEIGHT * scale)[:, None] + 0.5) / scale
        self.x = (np.arange(WIDTH * scale)[None, :] + 0.5) / scale

    def rectangle(self, x: float, y: float, w: float, h: float, fill: float) -> None:
        inside = (self.x >= x) & (self.x < x + w) & (self.y >= y) & (self.y < y + h)
        self.pixels[inside] = fill

    def darken(self, cx: float, cy: float, rx: float, ry: float, factor: float) -> None:
        """Scale the pixels inside an ellipse: a dent keeps the shading around it."""
        inside = ((self.x - cx) / rx) ** 2 + ((self.y - cy) / ry) ** 2 <= 1.0
        self.pixels[inside] *= factor

    def line(self, points: list[tuple[float, float]], width: float, fill: float) -> None:
        """A polyline: every pixel within width / 2 of a segment."""
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            dx, dy = x1 - x0, y1 - y0
            length = max(dx * dx + dy * dy, 1e-9)
            t = np.clip(((self.x - x0) * dx + (self.y - y0) * dy) / length, 0, 1)
            near = (self.x - x0 - t * dx) ** 2 + (self.y - y0 - t * dy) ** 2 <= (width / 2) ** 2
            self.pixels[near] = fill

    def shrink(self) -> np.ndarray:
        """Average scale x scale blocks, summed in a fixed order."""
        s = self.s
        total = sum(self.pixels[i::s, j::s] for i in range(s) for j in range(s))
        return np.asarray(total) / (s * s)


def draw(pic: Picture) -> Image.Image:
    """The picture: fins, a shaded tube over them, reflections, defects, then grain."""
    rng = np.random.default_rng([SEED, pic.id])
    canvas = Canvas(2, 40.0)
    for x in range(pic.phase - pic.pitch, WIDTH + pic.pitch, pic.pitch):
        canvas.rectangle(x, 0, 2, HEIGHT, 150.0)  # the fin's lit face
        canvas.rectangle(x + 2, 0, 1, HEIGHT, 105.0)  # and its side in shadow
    dy = canvas.y - pic.centre  # the tube, brightest a little above its axis
    light = np.cos(np.clip((dy + TUBE_HALF * 0.3) / (TUBE_HALF * 1.3), -1.5, 1.5))
    band = (canvas.y >= pic.centre - TUBE_HALF) & (canvas.y < pic.centre + TUBE_HALF)
    canvas.pixels = np.where(band, np.rint(75 + 115 * light), canvas.pixels)
    for gx, gy, length in pic.glints:
        canvas.rectangle(gx, gy, 2, length, 245.0)
    for d in pic.defects:
        x, y, w, h = d.box
        cx, cy = x + w / 2, y + h / 2
        if d.category == FIN:  # fins bent sideways, dented where they bend
            canvas.rectangle(x, y, w, h, 40.0)
            first = pic.phase + pic.pitch * int(np.ceil((x - 2 - pic.phase) / pic.pitch))
            bend = w * float(rng.uniform(0.25, 0.4)) * float(rng.choice([-1.0, 1.0]))
            for fx in range(first, x + w, pic.pitch):
                points = [(fx + 1.0, float(y)), (fx + 1 + bend, cy), (fx + 1.0, float(y + h))]
                canvas.line([(min(max(px, x + 1), x + w - 1), py) for px, py in points], 2, 150.0)
            canvas.darken(cx, cy, max(w * 0.3, 2.0), max(h * 0.2, 2.0), 0.35)
        elif d.category == TUBE:  # a dent with a crack running along the tube
            canvas.darken(cx, cy, w / 2, h / 2, 0.6)
            reach = h / 2 - 1.5
            jags = [(x + w * k / 4, cy + reach * float(rng.uniform(-1, 1))) for k in range(5)]
            canvas.line(jags, max(1.2, h / 8), 30.0)
        else:  # a large dark burst, ragged, with cracks running out of it
            for _ in range(3):
                ox, oy = rng.uniform(-0.12, 0.12) * w, rng.uniform(-0.12, 0.12) * h
                canvas.darken(cx + ox, cy + oy, w * 0.36, h * 0.36, 0.35)
            for _ in range(4):
                angle = rng.uniform(0, 2 * np.pi)
                end = (cx + np.cos(angle) * w * 0.48, cy + np.sin(angle) * h * 0.48)
                canvas.line([(cx, cy), end], 2.0, 18.0)
    pixels = canvas.shrink() * rng.uniform(0.95, 1.05) + rng.normal(0.0, 2.0, (HEIGHT, WIDTH))
    pixels = np.rint(np.clip(pixels, 0, 255) / 4) * 4  # quantised, so the PNGs stay small
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def instances(pictures: list[Picture]) -> dict[str, Any]:
    """The COCO instances file: images with their split, annotations, the three categories."""
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for pic in pictures:
        name = f"images/tube-{pic.id:04d}.png"
        size = {"width": WIDTH, "height": HEIGHT}
        images.append({"id": pic.id, "file_name": name, **size, "split": pic.split})
        for d in pic.defects:
            x, y, w, h = (float(v) for v in d.box)
            box = {"bbox": [x, y, w, h], "area": w * h, "iscrowd": 0}
            ids = {"id": len(annotations) + 1, "image_id": pic.id, "category_id": d.category}
            annotations.append({**ids, **box})
    categories = [{"id": k, "name": v, "supercategory": "defect"} for k, v in NAMES.items()]
    info = {"description": "finned-tube inspection, generated by make_example.py", "year": 2026}
    return {"info": info, "images": images, "annotations": annotations, "categories": categories}


def dump(value: Any) -> str:
    """JSON with one record a line, so a regenerated file diffs line by line."""
    if isinstance(value, list):
        return "[\n" + ",\n".join(map(json.dumps, value)) + "\n]"
    if isinstance(value, dict):
        return "{\n" + ",\n".join(f"{json.dumps(k)}: {dump(v)}" for k, v in value.items()) + "\n}"
    return json.dumps(value)


def truth(pictures: list[Picture], results: list[dict[str, Any]]) -> str:
    """What was planted in the val split: each kind of defect, and what the detector did."""
    rows: Counter[tuple[str, str]] = Counter()
    for d in (d for p in pictures if p.split == "val" for d in p.defects):
        where = ("small" if d.small else "not small") + (", edge" if d.edge else ", inside")
        kind = NAMES[d.category] + ("" if d.category == SEVERE else f", {where}")
        rows[(kind, d.outcome)] += 1
    outcomes = [o for o in OUTCOMES if any(o == out for _, out in rows)]
    lines = ["| val boxes | total | " + " | ".join(outcomes) + " |", "|---" * (2 + len(outcomes))]
    for kind in sorted({k for k, _ in rows}):
        counts = [rows[(kind, o)] for o in outcomes]
        lines.append(f"| {kind} | {sum(counts)} | " + " | ".join(map(str, counts)) + " |")
    for split in ("train", "val"):
        boxes = Counter(NAMES[d.category] for p in pictures if p.split == split for d in p.defects)
        lines.append(f"{split} boxes: {dict(sorted(boxes.items()))}")
    glints = sum(len(p.glints) for p in pictures if p.split == "val")
    seen = sum(p.glints_detected for p in pictures)
    lines.append(f"{len(results)} detections; {seen} of the {glints} reflections in val detected")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all-images", action="store_true", help="draw the train pictures too")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    pictures = plan(rng)
    results = detect(pictures, rng)
    (HERE / "instances.json").write_text(dump(instances(pictures)) + "\n", encoding="utf-8")
    (HERE / "detections.json").write_text(dump(results) + "\n", encoding="utf-8")
    images = HERE / "images"
    images.mkdir(exist_ok=True)
    for old in sorted(images.glob("tube-*.png")):
        old.unlink()
    for pic in pictures:
        if pic.split == "val" or args.all_images:
            draw(pic).save(images / f"tube-{pic.id:04d}.png", optimize=True)  # no metadata
    print(truth(pictures, results))


if __name__ == "__main__":
    main()
