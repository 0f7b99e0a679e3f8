"""Measured properties of a picture's luma: sharpness, brightness, contrast, clipping, hash.

Every measure takes the picture's luma (ITU-R 601 grey, 0-255, as Pillow's "L" mode makes it)
at the **measure size**: the picture resized so that its longer side is MEASURE_SIDE (256) px,
reduced by area averaging or enlarged bilinearly (read/image_measure.py does that), so that a
measure describes the picture as it would be shown at one common size, not the file's
resolution.

- sharpness: the variance of the 3x3 Laplacian (kernel [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
  as scipy.ndimage.laplace) over the interior pixels of the luma (the one-pixel border is left
  out rather than padded). Blur removes fine detail, so a blurred copy scores lower; the
  value grows with the square of the contrast, so it ranks pictures of one data set and has
  no absolute meaning across data sets.
- brightness: the mean luma (0-255). contrast: the standard deviation of the luma (ddof=0).
- underexposure, overexposure: the share of pixels at or below UNDER_LEVEL (5), and at or
  above OVER_LEVEL (250): clipped to black or to white.
- width, height: the picture's own size in pixels (after its EXIF orientation);
  aspect_ratio = width / height.
- perceptual hash: a 64-bit difference hash (dHash): the luma averaged over a 9 x 8 grid of
  cells (columns x rows; cell j of a side of n pixels spans pixels floor(j * n / cells) up to
  floor((j + 1) * n / cells)), and bit 8*r + c set when cell (r, c) is brighter than cell
  (r, c + 1), the first bit being the most significant. It survives re-encoding, resizing and
  small changes of brightness; the Hamming distance between two hashes counts differing bits.
- near-duplicates: pictures whose hashes differ in at most NEAR_DUPLICATE_BITS (6) of the 64
  bits, grouped transitively (connected components). Re-encoded or resized copies of one
  picture typically differ in 0-4 bits, unrelated pictures in about 32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MEASURE_SIDE = 256  # the longer side of the luma every measure reads
UNDER_LEVEL = 5  # luma at or below this is clipped to black
OVER_LEVEL = 250  # luma at or above this is clipped to white
HASH_COLUMNS, HASH_ROWS = 9, 8  # dHash grid: 8 comparisons per row, 8 rows, 64 bits
NEAR_DUPLICATE_BITS = 6  # at most this many differing bits of 64 make two pictures duplicates
_BLOCK = 1024  # hashes compared at a time: a 1024 x n block of distances stays small


@dataclass(frozen=True)
class PictureProperties:
    """The measures of one picture (see the module docstring for their definitions)."""

    width: int
    height: int
    aspect_ratio: float
    sharpness: float
    brightness: float
    contrast: float
    underexposure: float
    overexposure: float
    dhash: int  # 64 bits, 0 <= dhash < 2**64


def measure_size(width: int, height: int, side: int = MEASURE_SIDE) -> tuple[int, int]:
    """The (width, height) a picture is measured at: its longer side made `side` px."""
    longest = max(width, height)
    scale = side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def sharpness(luma: np.ndarray) -> float:
    """Variance of the 3x3 Laplacian over the interior pixels (0.0 below 3 x 3 pixels)."""
    a = np.asarray(luma)
    if a.ndim != 2 or a.shape[0] < 3 or a.shape[1] < 3:
        return 0.0
    if a.dtype == np.uint8:
        # small integers: exact sums, in int16 (|Laplacian| <= 1020) for a quarter of the
        # memory traffic of float64, in place where possible
        a = a.astype(np.int16)
        lap = a[:-2, 1:-1] + a[2:, 1:-1]
        lap += a[1:-1, :-2]
        lap += a[1:-1, 2:]
        lap -= 4 * a[1:-1, 1:-1]
        n = int(lap.size)
        total = int(lap.sum(dtype=np.int64))
        wide = lap.astype(np.int32)
        squares = int((wide * wide).sum(dtype=np.int64))
        return (squares * n - total * total) / (n * n)  # exact until this one division
    a = a.astype(np.float64)
    lap = a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] - 4.0 * a[1:-1, 1:-1]
    return float(lap.var())


def brightness(luma: np.ndarray) -> float:
    """Mean luma, 0-255."""
    return float(np.asarray(luma, dtype=np.float64).mean())


def contrast(luma: np.ndarray) -> float:
    """Standard deviation of the luma (population, ddof=0)."""
    return float(np.asarray(luma, dtype=np.float64).std())


def underexposure(luma: np.ndarray) -> float:
    """Share of pixels at or below UNDER_LEVEL: clipped to black."""
    a = np.asarray(luma)
    return float(np.count_nonzero(a <= UNDER_LEVEL) / a.size)


def overexposure(luma: np.ndarray) -> float:
    """Share of pixels at or above OVER_LEVEL: clipped to white."""
    a = np.asarray(luma)
    return float(np.count_nonzero(a >= OVER_LEVEL) / a.size)


def luma_summary(luma: np.ndarray) -> tuple[float, float, float, float]:
    """(brightness, contrast, underexposure, overexposure) of uint8 luma from one histogram."""
    counts = np.bincount(np.asarray(luma, dtype=np.uint8).ravel(), minlength=256)
    levels = np.arange(256, dtype=np.int64)
    n = int(counts.sum())
    total = int(np.dot(counts, levels))
    squares = int(np.dot(counts, levels * levels))
    mean = total / n
    variance = (squares * n - total * total) / (n * n)  # exact integer sums, one division
    under = int(counts[: UNDER_LEVEL + 1].sum()) / n
    over = int(counts[OVER_LEVEL:].sum()) / n
    return mean, variance**0.5, under, over


def cell_means(luma: np.ndarray, columns: int, rows: int) -> np.ndarray:
    """The luma averaged over a rows x columns grid of cells.

    Cell j of n pixels spans pixels floor(j * n / cells) up to, not including,
    floor((j + 1) * n / cells); a side shorter than its cells is first repeated pixel by pixel
    (each pixel k times, k the smallest whole number making it long enough).
    """
    a = np.asarray(luma)
    if a.shape[0] < rows:
        a = np.repeat(a, -(-rows // a.shape[0]), axis=0)
    if a.shape[1] < columns:
        a = np.repeat(a, -(-columns // a.shape[1]), axis=1)
    h, w = a.shape
    r0 = (np.arange(rows) * h) // rows
    c0 = (np.arange(columns) * w) // columns
    # along the rows first (contiguous in memory), then the few partial sums down the columns
    sums = np.add.reduceat(np.add.reduceat(a, c0, axis=1, dtype=np.int64), r0, axis=0)
    heights = np.diff(np.append(r0, h))
    widths = np.diff(np.append(c0, w))
    return np.asarray(sums / np.outer(heights, widths))


def dhash(luma: np.ndarray) -> int:
    """The 64-bit difference hash of the luma (definition in the module docstring)."""
    cells = cell_means(luma, HASH_COLUMNS, HASH_ROWS)
    bits = (cells[:, :-1] > cells[:, 1:]).ravel()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def picture_properties(luma: np.ndarray, width: int, height: int) -> PictureProperties:
    """Every measure of one picture: uint8 luma at the measure size, width and height as stored."""
    mean, spread, under, over = luma_summary(luma)
    return PictureProperties(
        width=width,
        height=height,
        aspect_ratio=width / height,
        sharpness=sharpness(luma),
        brightness=mean,
        contrast=spread,
        underexposure=under,
        overexposure=over,
        dhash=dhash(luma),
    )


def hamming_distances(hashes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Differing bits between each of hashes and each of others (uint64): len x len matrix."""
    a = np.asarray(hashes, dtype=np.uint64)
    b = np.asarray(others, dtype=np.uint64)
    return np.asarray(np.bitwise_count(a[:, None] ^ b[None, :]), dtype=np.int64)


def near_duplicates(
    hashes: np.ndarray,
    max_distance: int = NEAR_DUPLICATE_BITS,
    *,
    valid: np.ndarray | None = None,
) -> list[list[int]]:
    """Groups of positions whose hashes lie within max_distance bits, linked transitively.

    valid: which positions have a hash (unmeasured pictures join no group). Groups of two or
    more, each sorted, in the order of their first position. Compares blocks of _BLOCK hashes
    against all later ones, so 10,000 pictures take a fraction of a second and little memory.
    """
    h = np.asarray(hashes, dtype=np.uint64)
    n = h.size
    keep = np.ones(n, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    positions = np.flatnonzero(keep)
    values = h[positions]
    parent = np.arange(positions.size)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for start in range(0, values.size, _BLOCK):
        block = values[start : start + _BLOCK]
        close = hamming_distances(block, values[start:]) <= max_distance
        rows, cols = np.nonzero(close)
        for i, j in zip((rows + start).tolist(), (cols + start).tolist(), strict=True):
            if j > i:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(values.size):
        groups.setdefault(find(i), []).append(int(positions[i]))
    found = [g for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: g[0])


def near_duplicate_flags(
    hashes: np.ndarray,
    max_distance: int = NEAR_DUPLICATE_BITS,
    *,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """1.0 for a picture in a near-duplicate group, 0.0 otherwise, NaN where not valid."""
    h = np.asarray(hashes, dtype=np.uint64)
    out = np.zeros(h.size, dtype=np.float64)
    for group in near_duplicates(h, max_distance, valid=valid):
        out[group] = 1.0
    if valid is not None:
        out[~np.asarray(valid, dtype=bool)] = np.nan
    return out
