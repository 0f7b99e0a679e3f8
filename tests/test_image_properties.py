"""Measured picture properties against independent computations (scipy, numpy, Pillow)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from reportgen.analysis import image_properties as ip


def scene(seed: int, size: int = 256) -> np.ndarray:
    """A picture with large shapes and fine texture: smoothed noise, a disc and a bar."""
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), size / 16)
    base = (base - base.min()) / (base.max() - base.min()) * 160 + 40
    y, x = np.mgrid[0:size, 0:size]
    cx, cy = rng.uniform(0.3, 0.7, 2) * size
    base[(x - cx) ** 2 + (y - cy) ** 2 < (size / 6) ** 2] += 50
    base[:, int(rng.uniform(0.1, 0.9) * size) :][:, : size // 20] -= 60
    base += rng.normal(0, 6, base.shape)
    return np.clip(np.rint(base), 0, 255).astype(np.uint8)


def jpeg_copy(luma: np.ndarray, quality: int = 75) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(luma, mode="L").save(out, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("L"))


def test_sharpness_is_scipy_laplace_variance_on_the_interior() -> None:
    luma = scene(1)
    expected = ndimage.laplace(luma.astype(np.float64))[1:-1, 1:-1].var()
    assert ip.sharpness(luma) == pytest.approx(expected, rel=1e-12)
    assert ip.sharpness(np.zeros((2, 5), dtype=np.uint8)) == 0.0


def test_blurred_copy_is_less_sharp_and_darkened_copy_darker() -> None:
    luma = scene(2)
    blurred = np.clip(np.rint(ndimage.gaussian_filter(luma.astype(float), 1.5)), 0, 255)
    assert ip.sharpness(blurred.astype(np.uint8)) < 0.3 * ip.sharpness(luma)
    darker = np.rint(luma * 0.4).astype(np.uint8)
    assert ip.brightness(darker) < ip.brightness(luma) - 40
    assert ip.contrast(darker) < ip.contrast(luma)


def test_brightness_contrast_and_clipping_against_numpy() -> None:
    rng = np.random.default_rng(3)
    luma = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    assert ip.brightness(luma) == pytest.approx(float(np.mean(luma)))
    assert ip.contrast(luma) == pytest.approx(float(np.std(luma)))
    flat = luma.ravel().tolist()
    assert ip.underexposure(luma) == pytest.approx(sum(v <= 5 for v in flat) / len(flat))
    assert ip.overexposure(luma) == pytest.approx(sum(v >= 250 for v in flat) / len(flat))
    props = ip.picture_properties(luma, 106, 74)
    assert (props.width, props.height) == (106, 74)
    assert props.aspect_ratio == pytest.approx(106 / 74)


def test_measure_size_makes_the_longer_side_256() -> None:
    assert ip.measure_size(1024, 768) == (256, 192)
    assert ip.measure_size(64, 64) == (256, 256)
    assert ip.measure_size(3000, 10) == (256, 1)


def test_dhash_against_a_loop_over_the_grid() -> None:
    luma = scene(4, size=70)  # not a multiple of the grid: cells of unequal width
    a = luma.astype(np.float64)
    bits = []
    for r in range(8):
        r0, r1 = (r * 70) // 8, ((r + 1) * 70) // 8
        cells = []
        for c in range(9):
            c0, c1 = (c * 70) // 9, ((c + 1) * 70) // 9
            cells.append(a[r0:r1, c0:c1].mean())
        bits += [cells[c] > cells[c + 1] for c in range(8)]
    expected = int("".join("1" if b else "0" for b in bits), 2)
    assert ip.dhash(luma) == expected
    # smaller than the grid: pixels repeated; a left-to-right ramp darkens nowhere
    assert ip.dhash(np.array([[9, 5, 1]] * 2, dtype=np.uint8)) != 0
    assert ip.dhash(np.array([[1, 5, 9]] * 2, dtype=np.uint8)) == 0
    assert ip.cell_means(np.array([[1, 5, 9]], dtype=np.uint8), 9, 8).shape == (8, 9)


def test_one_histogram_gives_the_same_summary_as_numpy() -> None:
    for seed in range(3):
        luma = scene(seed, size=97)
        luma[:5, :5], luma[-3:, -3:] = 0, 255
        mean, spread, under, over = ip.luma_summary(luma)
        assert mean == pytest.approx(ip.brightness(luma), rel=1e-12)
        assert spread == pytest.approx(ip.contrast(luma), rel=1e-9)
        assert under == ip.underexposure(luma) and over == ip.overexposure(luma)
        floats = luma.astype(np.float64)
        assert ip.sharpness(luma) == pytest.approx(ip.sharpness(floats), rel=1e-9)


def test_jpeg_copy_is_a_near_duplicate_and_other_pictures_are_far() -> None:
    luma = scene(5)
    original, copy = ip.dhash(luma), ip.dhash(jpeg_copy(luma, quality=60))
    assert bin(original ^ copy).count("1") <= ip.NEAR_DUPLICATE_BITS
    for seed in range(6, 12):
        assert bin(original ^ ip.dhash(scene(seed))).count("1") > 2 * ip.NEAR_DUPLICATE_BITS


def test_hamming_distances_against_python_popcount() -> None:
    rng = np.random.default_rng(6)
    h = rng.integers(0, 2**63, 40, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, 40).astype(
        np.uint64
    )
    got = ip.hamming_distances(h, h)
    for i in range(40):
        for j in range(40):
            assert got[i, j] == bin(int(h[i]) ^ int(h[j])).count("1")


def test_near_duplicates_groups_transitively_and_skips_invalid() -> None:
    base = [0, (1 << 63) | 0xFFFF, 0x0F0F0F0F0F0F0F0F]
    hashes = np.array(
        [
            base[0],
            base[1],
            base[0] | 0b111,  # 3 bits from base 0
            base[0] | 0b111111111,  # 6 bits from the previous one, 9 from base 0: linked
            base[2],
            base[1] ^ 1,  # 1 bit from base 1, but not measured
            base[2] ^ (1 << 40),
        ],
        dtype=np.uint64,
    )
    valid = np.array([True, True, True, True, True, False, True])
    groups = ip.near_duplicates(hashes, valid=valid)
    assert groups == [[0, 2, 3], [4, 6]]
    assert ip.near_duplicates(hashes, max_distance=0) == []
    flags = ip.near_duplicate_flags(hashes, valid=valid)
    np.testing.assert_array_equal(flags[[0, 1, 2, 3, 4, 6]], [1, 0, 1, 1, 1, 1])
    assert np.isnan(flags[5])


def test_near_duplicates_blocks_agree_with_brute_force() -> None:
    rng = np.random.default_rng(7)
    seeds = rng.integers(0, 2**64, 30, dtype=np.uint64)
    # 2,500 hashes: copies of 30 seeds with a few flipped bits, so groups span blocks
    picks = rng.integers(0, 30, 2500)
    flips = np.zeros(2500, dtype=np.uint64)
    for _ in range(2):
        flips |= np.left_shift(np.uint64(1), rng.integers(0, 64, 2500).astype(np.uint64))
    hashes = seeds[picks] ^ flips
    groups = ip.near_duplicates(hashes, max_distance=4)
    # brute force: pictures are linked when their seeds' copies are within 4 bits; seeds
    # are about 32 bits apart, so the groups are exactly the seeds used more than once
    expected: dict[int, list[int]] = {}
    for i, p in enumerate(picks.tolist()):
        expected.setdefault(p, []).append(i)
    want = sorted((g for g in expected.values() if len(g) > 1), key=lambda g: g[0])
    assert groups == want
