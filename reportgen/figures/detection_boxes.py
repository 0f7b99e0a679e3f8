"""Boxes drawn on image thumbnails: ground truth solid, predictions dashed, labelled with scores.

Pixels only, with Pillow: a box's outline is a set of filled rectangles (Pillow draws no dashed
line), laid inside the box's edges with a one-pixel edge of contrast around them, clipped to
the picture; the same boxes give the same bytes. Text uses Pillow's built-in bitmap font (no
font file, no FreeType, whose rendering changes between versions); it covers Latin-1, and
other characters are written as '?'.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from reportgen.read.images import Thumbnail, png_bytes

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

TRUTH = "truth"
PREDICTION = "prediction"
# Okabe-Ito blue and orange: told apart with every colour vision, and as dark against light
# in greyscale (luminance about 87 against 163), so a grey print keeps them apart too
TRUTH_COLOUR = "#0072b2"
PREDICTION_COLOUR = "#e69f00"
TEXT_ON = {TRUTH: "#ffffff", PREDICTION: "#000000"}
HALO = TEXT_ON  # the dark blue line edged in white, the light orange one in black
LINE_WIDTH = 2  # pixels of the thumbnail
EMPHASIS_WIDTH = 4
DASH = 6  # a prediction's outline: DASH pixels drawn, GAP left, from each corner
GAP = 4
LABEL_PAD = 1
INK = "#1f2328"
LABEL_CHARS = 32
DATA_URI_PREFIX = "data:image/png;base64,"
# what a template can say beside the pictures (legend_png draws the same)
LEGEND: tuple[tuple[str, str, str], ...] = (
    ("ground truth", TRUTH_COLOUR, "solid"),
    ("prediction, with its score", PREDICTION_COLOUR, "dashed"),
)


@dataclass(frozen=True)
class DrawnBox:
    """A box to draw, in the original image's pixels (x, y of the top-left corner)."""

    x: float
    y: float
    w: float
    h: float
    label: str
    score: float | None  # None for ground truth
    kind: str  # TRUTH or PREDICTION
    emphasis: bool = False  # the box this row is about (thicker)

    def __post_init__(self) -> None:
        if self.kind not in (TRUTH, PREDICTION):
            raise ValueError(f"a box is '{TRUTH}' or '{PREDICTION}', got '{self.kind}'")
        values = (self.x, self.y, self.w, self.h)
        if not all(math.isfinite(v) for v in values) or self.w < 0 or self.h < 0:
            raise ValueError(f"a box needs finite x, y and sizes >= 0, got {values}")


@dataclass(frozen=True)
class _Rect:
    """Pixel columns left..right and rows top..bottom, both ends included."""

    left: int
    top: int
    right: int
    bottom: int


def boxed_thumbnail(thumb: Thumbnail, boxes: Sequence[DrawnBox]) -> Thumbnail:
    """Draw the boxes on a thumbnail; return a new one with the PNG re-encoded, sizes kept."""
    from PIL import ImageDraw

    picture = _decode(thumb)
    draw = ImageDraw.Draw(picture)
    sx = thumb.width / thumb.original_width if thumb.original_width else 1.0
    sy = thumb.height / thumb.original_height if thumb.original_height else 1.0
    # ground truth first, predictions over it, the emphasised box last, so it is on top
    ordered = sorted(boxes, key=lambda b: (b.emphasis, b.kind == PREDICTION))
    scaled = [(box, _scaled(box, sx, sy)) for box in ordered]
    for box, rect in scaled:
        _outline(draw, rect, box, picture.size)
    # labels over every outline; the emphasised box's label takes its place first
    first = sorted(scaled, key=lambda item: (not item[0].emphasis, item[0].kind == TRUTH))
    labels = _place_labels(first, picture.size)
    for box, band, text in labels[::-1]:
        _write(draw, box, band, text)
    data_uri = DATA_URI_PREFIX + base64.b64encode(png_bytes(picture, fast=True)).decode("ascii")
    return replace(thumb, data_uri=data_uri, nbytes=len(data_uri))


def _decode(thumb: Thumbnail) -> Image.Image:
    """The thumbnail's pixels as RGB (a grey thumbnail gets colours drawn on it)."""
    from PIL import Image

    if not thumb.data_uri.startswith(DATA_URI_PREFIX):
        raise ValueError(f"thumbnail of '{thumb.source}' is not a PNG data URI")
    try:
        data = base64.b64decode(thumb.data_uri[len(DATA_URI_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError(f"thumbnail of '{thumb.source}' is not valid base64") from exc
    with Image.open(io.BytesIO(data), formats=("PNG",)) as image:
        image.load()
        return image.convert("RGB")


def _scaled(box: DrawnBox, sx: float, sy: float) -> _Rect:
    """The thumbnail pixels a box covers: every pixel its scaled area touches."""
    left = math.floor(box.x * sx)
    top = math.floor(box.y * sy)
    right = max(left, math.ceil((box.x + box.w) * sx) - 1)
    bottom = max(top, math.ceil((box.y + box.h) * sy) - 1)
    return _Rect(left, top, right, bottom)


def _runs(start: int, end: int, dashed: bool) -> Iterator[tuple[int, int]]:
    """The drawn stretches of a line from start to end (included): all of it, or the dashes."""
    if not dashed:
        yield start, end
        return
    for a in range(start, end + 1, DASH + GAP):
        yield a, min(a + DASH - 1, end)


def _outline_parts(rect: _Rect, width: int, dashed: bool) -> Iterator[_Rect]:
    """The rectangles that make a box's outline, `width` pixels inside its edges."""
    # a box thinner than two lines is filled rather than drawn with overlapping sides
    inner = min(width, (rect.right - rect.left + 2) // 2, (rect.bottom - rect.top + 2) // 2)
    for top, bottom in ((rect.top, rect.top + inner - 1), (rect.bottom - inner + 1, rect.bottom)):
        for a, b in _runs(rect.left, rect.right, dashed):
            yield _Rect(a, top, b, bottom)
    for left, right in ((rect.left, rect.left + inner - 1), (rect.right - inner + 1, rect.right)):
        for a, b in _runs(rect.top, rect.bottom, dashed):
            yield _Rect(left, a, right, b)


def _clip(rect: _Rect, size: tuple[int, int]) -> _Rect | None:
    """The part of a rectangle inside a picture of this size, or None."""
    left, top = max(rect.left, 0), max(rect.top, 0)
    right, bottom = min(rect.right, size[0] - 1), min(rect.bottom, size[1] - 1)
    if left > right or top > bottom:
        return None
    return _Rect(left, top, right, bottom)


def _colour(box: DrawnBox) -> str:
    return TRUTH_COLOUR if box.kind == TRUTH else PREDICTION_COLOUR


def _outline(draw: ImageDraw.ImageDraw, rect: _Rect, box: DrawnBox, size: tuple[int, int]) -> None:
    """Draw a box's outline; the sides outside the picture are left out, as they are unseen."""
    width = EMPHASIS_WIDTH if box.emphasis else LINE_WIDTH
    parts = list(_outline_parts(rect, width, box.kind == PREDICTION))
    # a one-pixel edge of the opposite lightness keeps the line seen on dark and light pictures
    for part in parts:
        edged = _clip(_Rect(part.left - 1, part.top - 1, part.right + 1, part.bottom + 1), size)
        if edged is not None:
            draw.rectangle((edged.left, edged.top, edged.right, edged.bottom), fill=HALO[box.kind])
    for part in parts:
        shown = _clip(part, size)
        if shown is not None:
            draw.rectangle((shown.left, shown.top, shown.right, shown.bottom), fill=_colour(box))


@cache
def _font() -> ImageFont.ImageFont:
    """Pillow's built-in bitmap font: the same glyphs wherever Pillow runs."""
    from PIL import ImageFont

    bitmap = getattr(ImageFont, "load_default_imagefont", None)
    # Pillow 10.0 has no load_default_imagefont; its load_default is the bitmap font
    font = bitmap() if bitmap is not None else ImageFont.load_default()
    if not isinstance(font, ImageFont.ImageFont):
        raise AssertionError(f"expected Pillow's bitmap font, got {type(font).__name__}")
    return font


def _latin1(text: str) -> str:
    """Keep what the bitmap font can draw: Latin-1 printable characters, others as '?'."""
    return "".join(c if 32 <= ord(c) < 127 or 160 <= ord(c) < 256 else "?" for c in text)


def label_text(box: DrawnBox, max_width: int) -> str:
    """A box's label as drawn: its class and score ('tube defect 0.83'), cut to fit max_width.

    The class is cut before the score, its end marked with a period.
    """
    name = _latin1(" ".join(box.label.split()))
    score = "" if box.score is None else f" {box.score:.2f}"
    if len(name) > LABEL_CHARS:
        name = name[: LABEL_CHARS - 1] + "."
    font = _font()
    text = name + score
    while name and font.getlength(text) > max_width:
        name = name[:-2] + "." if len(name) > 2 else ""
        text = (name + score).strip()
    return text


def _overlaps(a: _Rect, b: _Rect) -> bool:
    return a.left <= b.right and b.left <= a.right and a.top <= b.bottom and b.top <= a.bottom


def _place_labels(
    boxes: Sequence[tuple[DrawnBox, _Rect]], size: tuple[int, int]
) -> list[tuple[DrawnBox, _Rect, str]]:
    """Each label's band and text, for boxes at least partly in the picture.

    The band goes above its box, inside its top, below it or inside its bottom: the first of
    these within the picture and clear of the labels placed before it. Boxes come emphasised
    first; an emphasised box without a clear place takes the first, any other goes unlabelled.
    """
    font = _font()
    placed: list[tuple[DrawnBox, _Rect, str]] = []
    for box, rect in boxes:
        text = label_text(box, size[0] - 2 * LABEL_PAD)
        if not text or _clip(rect, size) is None:
            continue
        left, top, right, bottom = font.getbbox(text)
        band_w = int(right - left) + 2 * LABEL_PAD
        band_h = int(bottom - top) + 2 * LABEL_PAD
        x = min(max(rect.left, 0), max(size[0] - band_w, 0))
        tops = [rect.top - band_h, rect.top, rect.bottom + 1, rect.bottom - band_h + 1]
        # outside the box only where the band fits in the picture, else it would hide the box
        fits = [y for y in tops if 0 <= y <= size[1] - band_h] or [rect.top]
        bands = [_band(x, y, band_w, band_h, size) for y in fits]
        free = [b for b in bands if not any(_overlaps(b, other) for _, other, _ in placed)]
        if free:
            placed.append((box, free[0], text))
        elif box.emphasis:
            placed.append((box, bands[0], text))
        # else left out: a label over another label is read as neither
    return placed


def _band(x: int, y: int, width: int, height: int, size: tuple[int, int]) -> _Rect:
    """A label's band at (x, y), moved inside the picture where it can be."""
    y = min(max(y, 0), max(size[1] - height, 0))
    return _Rect(x, y, x + width - 1, y + height - 1)


def _write(draw: ImageDraw.ImageDraw, box: DrawnBox, band: _Rect, text: str) -> None:
    """Write a label on its band, filled with its box's colour so it reads on any picture."""
    font = _font()
    left, top, _right, _bottom = font.getbbox(text)
    draw.rectangle((band.left, band.top, band.right, band.bottom), fill=_colour(box))
    xy = (band.left + LABEL_PAD - left, band.top + LABEL_PAD - top)
    draw.text(xy, text, font=font, fill=TEXT_ON[box.kind])


def legend_png() -> bytes:
    """A small PNG legend: a solid ground-truth line and a dashed prediction line, named."""
    from PIL import Image, ImageDraw

    font = _font()
    row, sample, gap = 16, 28, 6
    names = [name for name, _colour, _style in LEGEND]
    width = sample + gap + max(int(font.getlength(n)) for n in names) + 4
    picture = Image.new("RGB", (width, row * len(LEGEND) + 2), "white")
    draw = ImageDraw.Draw(picture)
    for i, (name, colour, style) in enumerate(LEGEND):
        middle = 1 + i * row + row // 2
        top = middle - LINE_WIDTH // 2
        for a, b in _runs(2, sample, style == "dashed"):
            draw.rectangle((a, top, b, top + LINE_WIDTH - 1), fill=colour)
        bbox = font.getbbox(name)
        draw.text(
            (sample + gap, middle - (bbox[1] + bbox[3]) // 2), name, font=font, fill="#1f2328"
        )
    return png_bytes(picture)
