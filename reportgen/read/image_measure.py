"""Measure every sample picture below the image root once, with a cache keyed by size and mtime.

Each distinct source is located and read with read/images.py's rules (only below the root,
no symbolic link out of it, regular files within the size limit, no SVG, raster formats only,
the pixel limit), decoded at a reduced size where the format allows it (JPEG's `draft`
decodes at 1/2, 1/4 or 1/8 scale; Pillow's `reducing_gap` reduces others by whole factors
first), turned by its EXIF orientation, flattened on white and converted to luma once, then
resized to the measure size of analysis/image_properties.py (longer side 256 px).

The cache of measures is read/image_cache.py's: a rebuild decodes only new or changed
files.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reportgen.analysis.image_properties import (
    MEASURE_SIDE,
    NEAR_DUPLICATE_BITS,
    PictureProperties,
    measure_size,
    near_duplicate_flags,
    picture_properties,
)
from reportgen.errors import ReportgenError
from reportgen.read.image_cache import (
    CACHE_FORMAT,
    CACHE_VERSION,
    COLUMNS,
    cache_file,
    cacheable,
    default_cache_folder,
    from_entry,
    load_cache,
    to_entry,
    write_cache,
)
from reportgen.read.images import (
    ALPHA_MODES,
    DAMAGED,
    HIGH_DEPTH_MODES,
    SVG,
    SVG_SUFFIXES,
    ImageLoader,
    ImageProblem,
    _flatten,
    _oriented,
    looks_like_svg,
    open_picture,
)

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "CACHE_FORMAT",
    "CACHE_VERSION",
    "COLUMNS",
    "ImageProperties",
    "cache_file",
    "default_cache_folder",
    "measure_images",
]

# A progress bar is drawn only on a terminal, and only once a run proves long.
PROGRESS_AFTER_SECONDS = 2.0
PROGRESS_AFTER_PICTURES = 500
CHUNK = 32  # pictures per task given to a thread
MAX_WORKERS = 4  # threads by default: decoding more at once gains little on most disks


@dataclass(frozen=True)
class ImageProperties:
    """Per-source measures, in the order of `sources`: NaN (hash 0) where not measured."""

    sources: list[str]
    width: np.ndarray
    height: np.ndarray
    aspect_ratio: np.ndarray
    sharpness: np.ndarray
    brightness: np.ndarray
    contrast: np.ndarray
    underexposure: np.ndarray
    overexposure: np.ndarray
    dhash: np.ndarray  # uint64
    measured: np.ndarray  # bool: the picture was read and measured
    problems: dict[str, ImageProblem] = field(default_factory=dict)  # source -> why not
    from_cache: int = 0  # distinct pictures whose measures came from the cache
    newly_measured: int = 0  # distinct pictures decoded in this run

    def column(self, name: str) -> np.ndarray:
        """One measure by name (one of COLUMNS)."""
        if name not in COLUMNS:
            raise KeyError(name)
        return np.asarray(getattr(self, name))

    def row_columns(self, max_distance: int = NEAR_DUPLICATE_BITS) -> dict[str, np.ndarray]:
        """Every measure by name, plus near_duplicate (1.0 in a group of near-duplicates).

        Near-duplicates are found among the distinct sources, so a picture named by two rows
        is not its own duplicate; rows whose picture was not measured get NaN.
        """
        columns = {name: self.column(name) for name in COLUMNS}
        first: dict[str, int] = {}  # each distinct source -> the first row naming it
        for row, source in enumerate(self.sources):
            first.setdefault(source, row)
        index = {source: k for k, source in enumerate(first)}
        where = np.array(list(first.values()), dtype=np.int64)
        flags = near_duplicate_flags(self.dhash[where], max_distance, valid=self.measured[where])
        rows = np.array([index[s] for s in self.sources], dtype=np.int64)
        columns["near_duplicate"] = flags[rows] if rows.size else np.zeros(0)
        return columns

    def reason(self, source: str) -> str | None:
        """Why a source was not measured (the problem's message), None when it was."""
        problem = self.problems.get(source)
        return None if problem is None else problem.message


def measure_images(
    root: str | Path,
    sources: Sequence[str],
    *,
    cache: bool | str | Path = True,
    progress: bool | None = None,
    workers: int | None = None,
    max_pixels: int = 50_000_000,
    max_file_bytes: int = 50_000_000,
) -> ImageProperties:
    """Measure each distinct source below root once (see the module docstring).

    cache: True for the default folder, a folder to use another, False for none.
    progress: None draws a bar on stderr only when it is a terminal, CI is not set and the
    run is long; False never; True whenever the run is long.
    workers: threads that read, decode and measure (None: up to MAX_WORKERS, one per CPU).
    Pillow's decoders and numpy release the GIL, so threads share the cores; each picture's
    numbers depend on its file alone, so they are the same for any number of workers.
    """
    loader = ImageLoader(root, budget_bytes=0, max_pixels=max_pixels, max_file_bytes=max_file_bytes)
    folder = None if cache is False else default_cache_folder() if cache is True else Path(cache)
    path = None if folder is None else cache_file(loader.root, folder)
    entries, stale = load_cache(path, loader.root)
    distinct = list(dict.fromkeys(sources))
    found: dict[str, PictureProperties | ImageProblem] = {}
    hits = measured = 0
    bar = _Progress(len(distinct), progress)
    threads = workers if workers is not None else min(MAX_WORKERS, os.cpu_count() or 1)
    if threads < 1:
        raise ReportgenError(f"the number of workers must be 1 or more, got {threads}.")

    def some(chunk: list[str]) -> list[_Outcome]:
        return [_look_up_or_measure(loader, source, entries) for source in chunk]

    # chunks of pictures per task: one future per picture costs more than a JPEG's decoding
    chunks = [distinct[k : k + CHUNK] for k in range(0, len(distinct), CHUNK)]

    fresh: dict[str, list[Any]] = {}  # new entries, merged once the threads are done
    from PIL import Image

    # One filter for every thread (warnings.catch_warnings is process-wide, not per thread):
    # Pillow's decompression-bomb warning refuses the picture, as thumbnails do.
    with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=threads) as pool:
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # map yields in the order of the sources, whatever order the threads finish in
        done = 0
        for outcomes in pool.map(some, chunks) if threads > 1 else map(some, chunks):
            for source, result, key, stamp, hit in outcomes:
                found[source] = result
                hits += hit
                if key is not None and not hit:
                    measured += 1
                    if stamp is not None and cacheable(result):
                        fresh[key] = stamp + to_entry(result)
            done += len(outcomes)
            bar.update(done)
    entries.update(fresh)
    bar.close()
    if path is not None and (measured or stale):
        write_cache(path, loader.root, entries)
    return _columns(list(sources), found, hits, measured)


# (source, result, cache key when the file was found, [size, mtime_ns], from the cache)
_Outcome = tuple[str, "PictureProperties | ImageProblem", str | None, list[int] | None, bool]


def _look_up_or_measure(
    loader: ImageLoader, source: str, entries: dict[str, list[Any]]
) -> _Outcome:
    """Locate one source, then take its cached measures or measure it (entries: read only)."""
    located = loader._locate(source)
    if isinstance(located, ImageProblem):
        return source, located, None, None, False
    if located.suffix.lower() in SVG_SUFFIXES:
        return source, ImageProblem(source, SVG), None, None, False
    key = located.relative_to(loader.root).as_posix()
    try:
        info = located.stat()
        stamp: list[int] | None = [info.st_size, info.st_mtime_ns]
    except OSError:
        stamp = None
    cached = entries.get(key)
    if stamp is not None and cached is not None and cached[:2] == stamp:
        return source, from_entry(source, cached[2:]), key, stamp, True
    return source, _measure_one(loader, source, located), key, stamp, False


def _measure_one(loader: ImageLoader, source: str, path: Path) -> PictureProperties | ImageProblem:
    """Read, decode at a reduced size, orient, flatten, luma, resize and measure one picture."""
    from PIL import Image

    data = loader._read(source, path)
    if isinstance(data, ImageProblem):
        return data
    if looks_like_svg(data):
        return ImageProblem(source, SVG, "the content is SVG whatever the file name")
    image = open_picture(source, data, loader.max_pixels)
    if isinstance(image, ImageProblem):
        return image
    with image:
        width, height = image.size
        try:
            if image.format == "JPEG":
                # the smallest 1/2^k scale still at least the measure size
                image.draft("L", (MEASURE_SIDE, MEASURE_SIDE))
            image.load()
            stored = image.size  # after draft(): a reduced size, the same sides
            oriented = _oriented(image)
            if oriented.size != stored and oriented.size == stored[::-1]:
                width, height = height, width  # an EXIF turn by a quarter
            luma = _luma(oriented)
            size = measure_size(luma.width, luma.height)
            if size != luma.size:
                enlarge = size[0] > luma.width or size[1] > luma.height
                method = Image.Resampling.BILINEAR if enlarge else Image.Resampling.BOX
                luma = luma.resize(size, method, reducing_gap=None if enlarge else 2.0)
            pixels = np.asarray(luma, dtype=np.uint8)
        except Exception as exc:
            return ImageProblem(source, DAMAGED, type(exc).__name__)
    return picture_properties(pixels, width, height)


def _luma(image: Image.Image) -> Image.Image:
    """8-bit luma; transparency laid on white and deep greys stretched, as thumbnails are."""
    if image.mode in HIGH_DEPTH_MODES or image.mode in ALPHA_MODES or "transparency" in image.info:
        return _flatten(image).convert("L")
    return image.convert("L")  # one conversion, where _flatten would add an RGB copy


def _columns(
    sources: list[str],
    found: dict[str, PictureProperties | ImageProblem],
    hits: int,
    measured: int,
) -> ImageProperties:
    n = len(sources)
    values = {name: np.full(n, np.nan) for name in COLUMNS}
    hashes = np.zeros(n, dtype=np.uint64)
    ok = np.zeros(n, dtype=bool)
    problems: dict[str, ImageProblem] = {}
    for i, source in enumerate(sources):
        result = found[source]
        if isinstance(result, ImageProblem):
            problems[source] = result
            continue
        ok[i] = True
        hashes[i] = result.dhash
        for name in COLUMNS:
            values[name][i] = getattr(result, name)
    return ImageProperties(
        sources=sources,
        dhash=hashes,
        measured=ok,
        problems=problems,
        from_cache=hits,
        newly_measured=measured,
        **values,
    )


class _Progress:
    """A one-line bar on stderr, shown only on a terminal and once the run proves long."""

    def __init__(self, total: int, wanted: bool | None) -> None:
        self.total = total
        self.start = time.monotonic()
        self.shown = False
        self.last = 0.0
        if wanted is None:
            wanted = sys.stderr.isatty() and not os.environ.get("CI")
        self.enabled = bool(wanted) and total > 0
        self.write: Callable[[str], object] = sys.stderr.write

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = now - self.start
        if not self.shown and elapsed < PROGRESS_AFTER_SECONDS and done < PROGRESS_AFTER_PICTURES:
            return
        if self.shown and now - self.last < 0.1 and done < self.total:
            return
        self.shown, self.last = True, now
        filled = round(30 * done / self.total)
        bar = "#" * filled + "-" * (30 - filled)
        self.write(f"\rmeasuring pictures [{bar}] {done:,}/{self.total:,}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            self.write("\n")
            sys.stderr.flush()
