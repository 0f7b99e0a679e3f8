"""Image samples as small embedded PNG thumbnails, read only below the image root."""

from __future__ import annotations

import base64
import io
import math
import os
import re
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reportgen.errors import ReportgenError

if TYPE_CHECKING:
    from PIL import Image

# Reasons are fixed strings so refusals can be counted; variable facts go in `detail`.
EMPTY_PATH = "an empty path"
NOT_A_PATH = "not a file path"
A_URL = "a URL, not a file path"
OUTSIDE_ROOT = "outside the image root"
SYMLINK_OUTSIDE = "a symbolic link leading outside the image root"
NOT_FOUND = "not found"
NOT_READABLE = "not readable"
A_FOLDER = "a folder, not a file"
NOT_A_FILE = "not a regular file"
FILE_TOO_LARGE = "file too large"
SVG = "SVG is not accepted"
NOT_AN_IMAGE = "not an image"
TOO_MANY_PIXELS = "too large to decode"
DAMAGED = "could not be decoded"
OVER_BUDGET = "over the image budget"

# Raster formats only: fewer decoders reachable from untrusted files, and no vector formats.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
READABLE_FORMATS = "not a PNG, JPEG, GIF, BMP, TIFF or WebP file"
SVG_SUFFIXES = frozenset({".svg", ".svgz"})
URL_PATTERN = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://|data:)")
HIGH_DEPTH_MODES = frozenset({"I", "F", "I;16", "I;16B", "I;16L", "I;16N"})
GREY_MODES = frozenset({"1", "L", "LA", "La"}) | HIGH_DEPTH_MODES
ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


@dataclass(frozen=True)
class Thumbnail:
    """A re-encoded image ready to embed: a PNG data URI and its displayed size."""

    source: str
    data_uri: str
    width: int
    height: int
    original_width: int
    original_height: int
    nbytes: int  # characters the data URI adds to the report


@dataclass(frozen=True)
class ImageProblem:
    """Why one sample image is not shown; `reason` is one of this module's fixed strings."""

    source: str
    reason: str
    detail: str = ""

    @property
    def message(self) -> str:
        """Return the reason with its detail, e.g. 'too large to decode (60,000,000 pixels ...)'."""
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


@dataclass(frozen=True)
class ImageSummary:
    """What the report says about its images: shown, refused by reason, bytes spent."""

    shown: int
    refused: dict[str, int]
    total_bytes: int
    budget_bytes: int

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())


def check_root(root: str | Path) -> Path:
    """Return the resolved image root, or raise ReportgenError if it is not an existing folder."""
    if not str(root).strip():
        raise ReportgenError("--image-root is empty: name the folder that holds the sample images.")
    path = Path(root)
    if not path.exists():
        raise ReportgenError(
            f"--image-root '{root}' does not exist: name the folder that holds the sample "
            "images; the paths in the --sample column are read relative to it."
        )
    if not path.is_dir():
        raise ReportgenError(
            f"--image-root '{root}' is a file, not a folder: name the folder that holds the "
            "sample images; the paths in the --sample column are read relative to it."
        )
    return path.resolve(strict=True)


def _require_pillow() -> None:
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise ReportgenError(
            "image samples need Pillow, which is not installed: pip install pillow"
        ) from None


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise ReportgenError(f"{name} must be a positive number of pixels or bytes, got {value}.")
    return value


def looks_like_svg(head: bytes) -> bool:
    """Tell whether the first bytes of a file are SVG (or XML that holds SVG)."""
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg"):
        return True
    return text.startswith((b"<?xml", b"<!--", b"<!doctype")) and b"<svg" in text


class ImageLoader:
    """Turn sample paths into thumbnails within a byte budget, reading only below `root`."""

    def __init__(
        self,
        root: str | Path,
        *,
        max_side: int = 96,
        min_side: int = 48,
        budget_bytes: int = 400_000,
        max_pixels: int = 50_000_000,
        max_file_bytes: int = 50_000_000,
        fast_png: bool = False,
    ) -> None:
        _require_pillow()
        self.root = check_root(root)
        self._root_given = Path(os.path.abspath(root))
        self.max_side = _positive("max_side", max_side)
        self.min_side = min(_positive("min_side", min_side), self.max_side)
        if budget_bytes < 0:
            raise ReportgenError(f"the image budget must be 0 or more bytes, got {budget_bytes}.")
        self.budget_bytes = budget_bytes
        self.max_pixels = _positive("max_pixels", max_pixels)
        self.max_file_bytes = _positive("max_file_bytes", max_file_bytes)
        self.fast_png = fast_png  # see png_bytes
        self._results: dict[str, Thumbnail | ImageProblem] = {}
        self._spent = 0
        self._exhausted = False

    def thumbnail(self, source: str) -> Thumbnail | ImageProblem:
        """Return the thumbnail for a path as written in the file, or why it is refused."""
        if source not in self._results:
            self._results[source] = self._make(source)
        return self._results[source]

    def summary(self) -> ImageSummary:
        """Count each distinct source once: thumbnails shown, refusals by reason, bytes spent."""
        refused: dict[str, int] = {}
        for result in self._results.values():
            if isinstance(result, ImageProblem):
                refused[result.reason] = refused.get(result.reason, 0) + 1
        ordered = dict(sorted(refused.items(), key=lambda item: (-item[1], item[0])))
        shown = sum(isinstance(r, Thumbnail) for r in self._results.values())
        return ImageSummary(shown, ordered, self._spent, self.budget_bytes)

    def problems(self) -> list[ImageProblem]:
        """Return every refusal so far, in the order the sources were first asked for."""
        return [r for r in self._results.values() if isinstance(r, ImageProblem)]

    def _make(self, source: str) -> Thumbnail | ImageProblem:
        located = self._locate(source)
        if isinstance(located, ImageProblem):
            return located
        if located.suffix.lower() in SVG_SUFFIXES:
            return ImageProblem(source, SVG)
        if self._exhausted:
            return self._over_budget(source)
        data = self._read(source, located)
        if isinstance(data, ImageProblem):
            return data
        if looks_like_svg(data):
            return ImageProblem(source, SVG, "the content is SVG whatever the file name")
        made = self._encode(source, data)
        if isinstance(made, ImageProblem):
            return made
        if self._spent + made.nbytes > self.budget_bytes:
            # Stop at the first image that does not fit, so "shown" is a prefix of the samples.
            self._exhausted = True
            return self._over_budget(source)
        self._spent += made.nbytes
        return made

    def _over_budget(self, source: str) -> ImageProblem:
        return ImageProblem(source, OVER_BUDGET, f"{self.budget_bytes:,} bytes for all images")

    def _locate(self, source: str) -> Path | ImageProblem:
        """Resolve a written path to a file inside the root, following symlinks before checking."""
        if not source.strip():
            return ImageProblem(source, EMPTY_PATH)
        if "\x00" in source:
            return ImageProblem(source, NOT_A_PATH, "it holds a NUL character")
        if URL_PATTERN.match(source):
            return ImageProblem(source, A_URL, "images are read only from the image root")
        written = Path(source)
        candidate = written if written.is_absolute() else self._root_given / written
        # Refuse lexical escapes before touching the disk: what exists outside is not our business.
        lexical = Path(os.path.normpath(candidate))
        if not (lexical.is_relative_to(self._root_given) or lexical.is_relative_to(self.root)):
            return ImageProblem(source, OUTSIDE_ROOT)
        try:
            resolved = candidate.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError):
            return ImageProblem(source, NOT_FOUND)
        except RuntimeError:  # a symlink loop on Python < 3.13
            return ImageProblem(source, NOT_READABLE, "a symbolic link loop")
        except OSError as exc:
            return ImageProblem(source, NOT_READABLE, exc.strerror or type(exc).__name__)
        if not resolved.is_relative_to(self.root):
            return ImageProblem(source, SYMLINK_OUTSIDE)
        return resolved

    def _read(self, source: str, path: Path) -> bytes | ImageProblem:
        """Read a regular file's bytes, checking the type on the opened descriptor."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        flags |= getattr(os, "O_BINARY", 0)
        if path.is_dir():
            return ImageProblem(source, A_FOLDER)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            return ImageProblem(source, NOT_READABLE, exc.strerror or type(exc).__name__)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                return ImageProblem(source, A_FOLDER)
            if not stat.S_ISREG(info.st_mode):
                return ImageProblem(source, NOT_A_FILE)
            if info.st_size > self.max_file_bytes:
                return ImageProblem(
                    source,
                    FILE_TOO_LARGE,
                    f"{info.st_size:,} bytes, the limit is {self.max_file_bytes:,}",
                )
            try:
                data = handle.read(self.max_file_bytes + 1)
            except OSError as exc:
                return ImageProblem(source, NOT_READABLE, exc.strerror or type(exc).__name__)
        if len(data) > self.max_file_bytes:
            return ImageProblem(source, FILE_TOO_LARGE, f"the limit is {self.max_file_bytes:,}")
        return data

    def _encode(self, source: str, data: bytes) -> Thumbnail | ImageProblem:
        """Decode with Pillow, orient, flatten, resize and re-encode as a metadata-free PNG."""
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = open_picture(source, data, self.max_pixels)
            if isinstance(image, ImageProblem):
                return image
            with image:
                width, height = image.size
                try:
                    if image.format == "JPEG":
                        image.draft(None, (self.max_side, self.max_side))
                    image.load()
                    picture = _fit(_flatten(_oriented(image)), self.max_side, self.min_side)
                except Exception as exc:
                    return ImageProblem(source, DAMAGED, type(exc).__name__)
        png = png_bytes(picture, fast=self.fast_png)
        data_uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        return Thumbnail(
            source=source,
            data_uri=data_uri,
            width=picture.width,
            height=picture.height,
            original_width=width,
            original_height=height,
            nbytes=len(data_uri),
        )


def open_picture(source: str, data: bytes, max_pixels: int) -> Image.Image | ImageProblem:
    """Open untrusted bytes as a picture of at most `max_pixels`, or say why not.

    The caller closes the image, and turns Pillow's DecompressionBombWarning into an error
    (`warnings.simplefilter("error", ...)`) around the call, so that a picture over Pillow's
    own limit is refused here too.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(found.group(1)):,} pixels, " if found else ""
        return ImageProblem(source, TOO_MANY_PIXELS, f"{pixels}the limit is {max_pixels:,}")
    except UnidentifiedImageError:
        return ImageProblem(source, NOT_AN_IMAGE, READABLE_FORMATS)
    # Untrusted files reach many decoder paths; any failure refuses this image only.
    except Exception as exc:
        return ImageProblem(source, NOT_AN_IMAGE, type(exc).__name__)
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        detail = f"{width * height:,} pixels, the limit is {max_pixels:,}"
        return ImageProblem(source, TOO_MANY_PIXELS, detail)
    return image


def _oriented(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a damaged EXIF block leaves the image as stored."""
    from PIL import ImageOps

    try:
        turned = ImageOps.exif_transpose(image)
    except Exception:
        return image
    return turned if turned is not None else image


def _flatten(image: Image.Image) -> Image.Image:
    """Convert to 8-bit L or RGB, laying any transparency on white."""
    from PIL import Image

    if image.mode in HIGH_DEPTH_MODES:
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / (high - low)) if high > low else values * 0.0
        return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8))
    target = "L" if image.mode in GREY_MODES else "RGB"
    has_alpha = image.mode in ALPHA_MODES or "transparency" in image.info
    if not has_alpha:
        return image.convert(target)
    rgba = image.convert("RGBA")
    flat = Image.new(target, rgba.size, "white")
    flat.paste(rgba.convert(target), mask=rgba.getchannel("A"))
    return flat


def _fit(image: Image.Image, max_side: int, min_side: int) -> Image.Image:
    """Shrink smoothly to max_side, or blow tiny pixel art up by a whole factor to min_side."""
    from PIL import Image

    longest = max(image.size)
    if longest > max_side:
        scale = max_side / longest
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if longest < min_side:
        factor = max(1, min(math.ceil(min_side / longest), max_side // longest))
        return image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)
    return image


def png_bytes(image: Image.Image, *, fast: bool = False) -> bytes:
    """Encode as PNG from the bare pixels, so no EXIF, ICC, text or time chunk can ride along.

    `fast`: zlib's default level instead of its smallest output, about 14 times faster for
    some 7% more bytes (a detection report draws and encodes a picture per shown row).
    """
    from PIL import Image

    if image.mode == "RGB":
        red, green, blue = (band.tobytes() for band in image.split())
        if red == green == blue:
            image = image.convert("L")
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if fast:
        bare.save(out, format="PNG", compress_level=6)
    else:
        bare.save(out, format="PNG", optimize=True)
    return out.getvalue()
