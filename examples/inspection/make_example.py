"""Regenerate the visual-inspection example: images, predictions and review sheet.

An inspection camera looks at finned tubes (a horizontal tube with thin vertical fins) and a
model sorts each picture into ok, fin_defect, tube_defect or severe_tube_defect. The images
are drawn here, small and grayscale; the model is simulated, and it fails for the reasons
real ones do: blurry pictures, dark pictures (one camera is darker), defects at the edge of
the frame, small defects, a class that never reached the train split, and a few labels that
are simply wrong.

    python examples/inspection/make_example.py            # writes everything beside this file
    python examples/inspection/make_example.py -o FILE    # predictions to FILE, the rest beside it

Writes predictions.csv, images/insp-NNNN.png and review.csv: a review sheet drawn by the real
`reportgen sample-errors` command, with its buckets column filled in as a team would hand it
back. Needs numpy, pandas and Pillow, and reportgen itself for the review sheet.

Everything is drawn from one seeded numpy generator, so the same library versions give the
same bytes; tests/test_examples.py checks a rerun by its ids, labels and numbers (within one
unit of the last decimal written), its review sheet, and the pixels of its images.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

HERE = Path(__file__).resolve().parent
SEED = 20240611
ROWS = 600
SIZE = 64
CLASSES = ("ok", "fin_defect", "tube_defect", "severe_tube_defect")
CLASS_SHARE = (0.55, 0.20, 0.17, 0.08)
SPLIT_SHARE = {"train": 0.6, "dev": 0.2, "test": 0.2}
CAMERAS = ("cam_1", "cam_2", "cam_3")
CAMERA_GAIN = {"cam_1": 1.0, "cam_2": 0.92, "cam_3": 0.68}  # cam_3 is the darker one
# of the 36 errors in the dev split: the rows a report (and sample-errors) describes by default
REVIEW_ROWS = 30

# How a reviewer writes each cause: mostly the first spelling, sometimes another case, spacing
# or separator, as people do; reportgen counts them case- and space-insensitively.
SPELLINGS = {
    "blurry": ("blurry", "Blurry", "BLURRY"),
    "dark": ("dark", "Dark", " dark "),
    "defect at edge": ("defect at edge", "Defect at edge", "defect_at_edge", "defect at  edge"),
    "small defect": ("small defect", "Small defect", "small-defect"),
    "rare class": ("rare class", "Rare class", "rare  class"),
    "label noise": ("label noise", "Label noise", "label-noise"),
}


@dataclass
class Item:
    """One picture: what it shows, how it was taken, and why the model gets it wrong."""

    id: str
    split: str
    camera: str
    shows: str  # the class the picture really shows
    label: str  # the class it was labelled with (differs for label noise)
    blurry: bool = False
    dark: bool = False
    at_edge: bool = False
    small: bool = False
    pred: str = ""
    causes: list[str] = field(default_factory=list)  # why the prediction went wrong


def plan_items(rng: np.random.Generator) -> list[Item]:
    """Draw each row's class, split, camera and the conditions its picture was taken under."""
    shows = rng.choice(len(CLASSES), size=ROWS, p=CLASS_SHARE)
    items = []
    splits = list(SPLIT_SHARE)
    for i, c in enumerate(shows):
        label = CLASSES[int(c)]
        if label == "severe_tube_defect":
            split = str(rng.choice(["dev", "test"]))  # it never reached the train split
        else:
            split = str(rng.choice(splits, p=list(SPLIT_SHARE.values())))
        camera = str(rng.choice(CAMERAS))
        defect = label != "ok"
        item = Item(f"insp-{i + 1:04d}", split, camera, label, label)
        item.blurry = bool(rng.random() < 0.13)
        item.dark = bool(rng.random() < (0.30 if camera == "cam_3" else 0.05))
        item.at_edge = defect and bool(rng.random() < 0.14)
        item.small = label in ("fin_defect", "tube_defect") and bool(rng.random() < 0.12)
        items.append(item)
    return items


def simulate_model(items: list[Item], rng: np.random.Generator) -> None:
    """Predict every item: each condition it was taken under may make the model fail."""
    for item in items:
        scale = 0.5 if item.split == "train" else 1.0  # the model fits its training data better
        # (cause, chance of failing, what the model then predicts)
        risks: list[tuple[str, float, str]] = []
        if item.shows == "severe_tube_defect":
            risks.append(("rare class", 0.62, "tube_defect"))
        if item.blurry:
            wrong = {"ok": "fin_defect", "severe_tube_defect": "tube_defect"}.get(item.shows, "ok")
            chance = {"fin_defect": 0.75, "ok": 0.05}.get(item.shows, 0.35)
            risks.append(("blurry", chance, wrong))
        if item.dark:
            risks.append(("dark", 0.03 if item.shows == "ok" else 0.5, _miss(item.shows)))
        if item.at_edge:
            risks.append(("defect at edge", 0.75, "ok"))
        if item.small:
            risks.append(("small defect", 0.5, "ok"))
        fired = [r for r in risks if rng.random() < r[1] * scale]
        if fired:
            item.pred = fired[0][2]
            item.causes = [r[0] for r in fired][:2]
        elif rng.random() < 0.025 * scale:  # errors no one can put a cause to
            others = [c for c in CLASSES[:3] if c != item.shows]
            item.pred = str(rng.choice(others))
        else:
            item.pred = item.shows


def _miss(shows: str) -> str:
    """What a dark picture is taken for: a missed defect, or an ok tube seen as faulty."""
    return "fin_defect" if shows == "ok" else "ok"


def add_label_noise(items: list[Item], rng: np.random.Generator) -> None:
    """Relabel a few correctly predicted dev and test pictures: confident 'errors' that are not."""
    candidates = [
        k
        for k, it in enumerate(items)
        if it.split != "train"
        and it.pred == it.shows
        and it.shows != "severe_tube_defect"
        and not (it.blurry or it.dark or it.at_edge or it.small)
    ]
    for k in rng.choice(candidates, size=7, replace=False):
        item = items[int(k)]
        wrong = {"ok": "fin_defect", "fin_defect": "ok", "tube_defect": "fin_defect"}
        item.label = wrong[item.shows]
        item.causes = ["label noise"]


def probabilities(items: list[Item], rng: np.random.Generator) -> np.ndarray:
    """Class probabilities (3 decimals, rows sum to 1) whose argmax is each item's prediction."""
    proba = np.zeros((len(items), len(CLASSES)))
    for r, item in enumerate(items):
        p = CLASSES.index(item.pred)
        if item.causes == ["label noise"]:
            top = rng.uniform(0.93, 0.99)
        elif item.pred != item.label:
            top = rng.uniform(0.45, 0.85)
        else:
            top = 1.0 - rng.beta(1.2, 8.0)
            if item.blurry or item.dark:
                top -= rng.uniform(0.0, 0.2)
        top = max(top, 0.42)
        rest = rng.dirichlet(np.ones(len(CLASSES) - 1)) * (1.0 - top)
        if rest.max() > top - 0.02:  # keep the prediction the clear argmax
            rest = (rest + (1.0 - top) / len(rest)) / 2
        if item.pred == "tube_defect":  # a tube defect looks most like a severe one
            largest = int(np.argmax(rest))
            rest[[largest, 2]] = rest[[2, largest]]
        others = np.round(rest, 3)
        row = np.insert(others, p, 0.0)
        row[p] = round(1.0 - float(others.sum()), 3)
        assert row[p] > max(others), (item.id, row)
        proba[r] = row
    return proba


class Canvas:
    """A grayscale picture drawn with numpy alone, so its pixels never depend on Pillow."""

    def __init__(self, size: int, background: float) -> None:
        self.pixels = np.full((size, size), background)
        centres = np.arange(size) + 0.5
        self.y, self.x = centres[:, None], centres[None, :]

    def rows(self, top: float, bottom: float, value: np.ndarray) -> None:
        """Fill whole rows top..bottom with one value per row."""
        inside = (self.y >= top) & (self.y < bottom)
        self.pixels = np.where(inside, value, self.pixels)

    def rectangle(self, left: float, top: float, right: float, bottom: float, fill: float) -> None:
        inside = (self.x >= left) & (self.x < right) & (self.y >= top) & (self.y < bottom)
        self.pixels[inside] = fill

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: float) -> None:
        inside = ((self.x - cx) / rx) ** 2 + ((self.y - cy) / ry) ** 2 <= 1.0
        self.pixels[inside] = fill

    def line(self, points: list[tuple[float, float]], width: float, fill: float) -> None:
        """A polyline: every pixel within width/2 of a segment."""
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            dx, dy = x1 - x0, y1 - y0
            t = ((self.x - x0) * dx + (self.y - y0) * dy) / max(dx * dx + dy * dy, 1e-9)
            t = np.clip(t, 0.0, 1.0)
            near = (self.x - x0 - t * dx) ** 2 + (self.y - y0 - t * dy) ** 2 <= (width / 2) ** 2
            self.pixels[near] = fill

    def shrink(self, factor: int) -> np.ndarray:
        """Average factor x factor blocks (a box filter), summed in a fixed order."""
        total = sum(self.pixels[i::factor, j::factor] for i in range(factor) for j in range(factor))
        return np.asarray(total) / (factor * factor)


def gaussian_blur(pixels: np.ndarray, sigma: float) -> np.ndarray:
    """Blur with a separable Gaussian kernel, edges repeated, in a fixed summation order."""
    reach = int(np.ceil(3 * sigma))
    offsets = np.arange(-reach, reach + 1)
    weights = np.exp(-(offsets**2) / (2 * sigma * sigma))
    weights /= weights.sum()
    for axis in (0, 1):
        padded = np.pad(pixels, [(reach, reach) if a == axis else (0, 0) for a in (0, 1)], "edge")
        size = pixels.shape[axis]
        pixels = sum(
            w * np.take(padded, np.arange(k, k + size), axis=axis) for k, w in enumerate(weights)
        )
    return np.asarray(pixels)


def draw(item: Item, rng: np.random.Generator) -> Image.Image:
    """Draw the picture: a lit tube with fins, the defect, then blur, darkness and grain."""
    s = 4  # draw at 4x and shrink, so edges are smooth
    canvas = Canvas(SIZE * s, 48.0)
    centre = SIZE * s // 2 + int(rng.integers(-3, 4)) * s
    radius = 9 * s  # the tube's half height
    # the tube: shaded like a cylinder, brightest a little above its axis
    dy = canvas.y - centre
    light = np.cos(np.clip((dy + radius * 0.3) / (radius * 1.3), -1.5, 1.5))
    canvas.rows(centre - radius, centre + radius, np.rint(70 + 120 * light))
    # fins: thin vertical plates standing above and below the tube, lit from the left
    pitch = 6 * s
    phase = int(rng.integers(0, pitch))
    fin_top, fin_bottom = centre - 22 * s, centre + 22 * s
    for x in range(phase - pitch, SIZE * s + pitch, pitch):
        canvas.rectangle(x, fin_top, x + s + 2, fin_bottom, 165.0)
        canvas.rectangle(x + s + 2, fin_top, x + 2 * s + 1, fin_bottom, 120.0)
    if item.shows != "ok":
        _draw_defect(canvas, item, rng, centre, fin_top, fin_bottom, pitch, phase)
    pixels = canvas.shrink(s)
    if item.blurry:
        pixels = gaussian_blur(pixels, float(rng.uniform(1.4, 2.0)))
    gain = CAMERA_GAIN[item.camera] * (rng.uniform(0.32, 0.42) if item.dark else 1.0)
    pixels = pixels * gain * rng.uniform(0.95, 1.05)
    # a little sensor grain, quantised so the PNGs stay small
    pixels = pixels + rng.normal(0.0, 2.0, pixels.shape)
    pixels = np.rint(np.clip(pixels, 0, 255) / 4) * 4
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def _draw_defect(
    canvas: Canvas,
    item: Item,
    rng: np.random.Generator,
    centre: int,
    fin_top: int,
    fin_bottom: int,
    pitch: int,
    phase: int,
) -> None:
    """Mark the defect: a dark dent on a fin, a crack on the tube, or a large burst."""
    s = canvas.pixels.shape[0] // SIZE
    if item.at_edge:
        x = int(rng.choice([rng.integers(1, 5), rng.integers(SIZE - 5, SIZE - 1)])) * s
    else:
        x = int(rng.integers(14, SIZE - 14)) * s
    if item.shows == "fin_defect":
        x = phase + round((x - phase) / pitch) * pitch + s  # on a fin
        above = bool(rng.random() < 0.5)
        y = (fin_top + 5 * s if above else fin_bottom - 5 * s) + int(rng.integers(-2, 3)) * s
        if item.at_edge:
            y = fin_top + 2 * s if above else fin_bottom - 2 * s
        r = (1.2 if item.small else rng.uniform(2.5, 3.5)) * s
        canvas.ellipse(x, y, r, r * 1.6, 20.0)
        canvas.line([(x, y - 3 * r), (x + r * 1.5, y + 3 * r)], s, 30.0)  # a bent fin
    elif item.shows == "tube_defect":
        y = centre + int(rng.integers(-4, 5)) * s
        length = (2.5 if item.small else rng.uniform(5, 8)) * s
        points = [(x - length, float(y))]
        for k in range(1, 5):
            points.append((x - length + k * length / 2, float(y + int(rng.integers(-2, 3)) * s)))
        canvas.line(points, s * (1.0 if item.small else 1.6), 15.0)
        r = (1.0 if item.small else 1.8) * s
        canvas.ellipse(x, y, r, r, 15.0)
    else:  # severe: a large burst on the tube, crack lines running into the fins
        y = centre + int(rng.integers(-3, 4)) * s
        r = rng.uniform(7, 10) * s
        canvas.ellipse(x, y, r, r * 0.8, 10.0)
        for _ in range(3):
            angle = rng.uniform(0, 2 * np.pi)
            end = (x + np.cos(angle) * r * 1.8, y + np.sin(angle) * r * 1.5)
            canvas.line([(float(x), float(y)), end], s, 20.0)


def make_rows(items: list[Item], proba: np.ndarray, brightness: list[float]) -> pd.DataFrame:
    """The prediction file: ids, image paths, split, labels, probabilities and metadata."""
    frame = pd.DataFrame(
        {
            "id": [it.id for it in items],
            "image": [f"images/{it.id}.png" for it in items],
            "split": [it.split for it in items],
            "y_true": [it.label for it in items],
            "y_pred": [it.pred for it in items],
        }
    )
    for k, name in enumerate(CLASSES):
        frame[f"proba_{name}"] = [f"{v:.3f}" for v in proba[:, k]]
    frame["camera"] = [it.camera for it in items]
    frame["brightness"] = [f"{b:.2f}" for b in brightness]
    return frame


def png_bytes(image: Image.Image) -> bytes:
    """Encode without metadata at a fixed compression level, so reruns give the same bytes."""
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=9)
    return out.getvalue()


def fill_review(path: Path, items: list[Item], rng: np.random.Generator) -> None:
    """Fill the sheet's buckets column with the causes, keeping its bytes otherwise as written."""
    by_id = {it.id: it for it in items}
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff"), "sample-errors writes a byte-order mark"
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    header = rows[0]
    id_col, buckets_col, notes_col = (header.index(n) for n in ("id", "buckets", "notes"))
    for row in rows[1:]:
        item = by_id[row[id_col]]
        spelled = [_spell(c, rng) for c in item.causes]
        row[buckets_col] = str(rng.choice(["; ", ";", " | "])).join(spelled)
        if item.causes == ["label noise"]:
            row[notes_col] = f"the picture shows {item.shows}"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))


def _spell(cause: str, rng: np.random.Generator) -> str:
    """Write a cause as a reviewer might: usually one way, now and then another."""
    first, *others = SPELLINGS[cause]
    return first if rng.random() < 0.7 else str(rng.choice(others))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "predictions.csv")
    args = parser.parse_args()
    output = args.output.resolve()
    folder = output.parent
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    for old in images.glob("insp-*.png"):
        old.unlink()

    rng = np.random.default_rng(SEED)
    items = plan_items(rng)
    simulate_model(items, rng)
    add_label_noise(items, rng)
    proba = probabilities(items, rng)
    brightness = []
    for item in items:
        image = draw(item, rng)
        brightness.append(float(np.asarray(image, dtype=np.float64).mean()))
        (images / f"{item.id}.png").write_bytes(png_bytes(image))
    frame = make_rows(items, proba, brightness)
    frame.to_csv(output, index=False, lineterminator="\n")

    review = folder / "review.csv"
    command = [sys.executable, "-m", "reportgen", "sample-errors", output.name]
    command += ["-n", str(REVIEW_ROWS), "-o", review.name, "--seed", "0"]
    subprocess.run(command, cwd=folder, check=True)
    fill_review(review, items, rng)


if __name__ == "__main__":
    main()
