"""Measuring pictures below the image root: the same numbers as the analysis, refusals, cache."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reportgen.analysis import image_properties as ip
from reportgen.errors import ReportgenError
from reportgen.read import image_measure as im
from reportgen.read.images import NOT_AN_IMAGE, NOT_FOUND, OUTSIDE_ROOT, SVG, TOO_MANY_PIXELS


def picture(seed: int, width: int = 256, height: int = 256) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = 120 + 60 * np.sin(x / (7 + seed)) * np.cos(y / 11) + rng.normal(0, 8, (height, width))
    return np.clip(np.rint(base), 0, 255).astype(np.uint8)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    for k in range(3):
        Image.fromarray(picture(k), mode="L").save(folder / f"p{k}.png")
    Image.fromarray(picture(5), mode="L").convert("RGB").save(folder / "rgb.png")
    (folder / "vector.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (folder / "text.png").write_bytes(b"not a picture at all")
    (tmp_path / "outside.png").write_bytes((folder / "p0.png").read_bytes())
    return folder


def test_measures_equal_the_analysis_on_the_decoded_luma(root: Path, tmp_path: Path) -> None:
    sources = ["p0.png", "p1.png", "p2.png", "rgb.png"]
    got = im.measure_images(root, sources, cache=False)
    assert got.measured.all() and got.problems == {}
    for i, name in enumerate(sources):
        luma = np.asarray(Image.open(root / name).convert("L"))
        want = ip.picture_properties(luma, 256, 256)
        assert got.sharpness[i] == pytest.approx(want.sharpness, rel=1e-9)
        assert got.brightness[i] == pytest.approx(want.brightness, rel=1e-9)
        assert got.contrast[i] == pytest.approx(want.contrast, rel=1e-9)
        assert got.overexposure[i] == pytest.approx(want.overexposure)
        assert int(got.dhash[i]) == want.dhash
        assert (got.width[i], got.height[i], got.aspect_ratio[i]) == (256, 256, 1.0)


def test_refusals_are_nan_with_the_reason(root: Path) -> None:
    sources = ["p0.png", "vector.svg", "text.png", "../outside.png", "missing.png", "p0.png"]
    got = im.measure_images(root, sources, cache=False)
    np.testing.assert_array_equal(got.measured, [True, False, False, False, False, True])
    assert np.isnan(got.sharpness[1:5]).all() and (got.dhash[1:5] == 0).all()
    assert got.problems["vector.svg"].reason == SVG
    assert got.problems["text.png"].reason == NOT_AN_IMAGE
    assert got.problems["../outside.png"].reason == OUTSIDE_ROOT
    assert got.problems["missing.png"].reason == NOT_FOUND
    assert got.reason("p0.png") is None and got.reason("missing.png") == NOT_FOUND
    assert got.newly_measured == 2  # read and decoded: p0.png once, text.png


def test_large_jpeg_is_measured_at_the_measure_size_and_keeps_its_size(tmp_path: Path) -> None:
    big = picture(7, 1024, 768)
    Image.fromarray(big, mode="L").save(tmp_path / "big.jpg", quality=95)
    got = im.measure_images(tmp_path, ["big.jpg"], cache=False)
    assert (got.width[0], got.height[0]) == (1024, 768)
    reduced = Image.fromarray(big, mode="L").resize((256, 192), Image.Resampling.BOX)
    want = ip.picture_properties(np.asarray(reduced), 1024, 768)
    assert got.brightness[0] == pytest.approx(want.brightness, abs=1.0)
    assert got.contrast[0] == pytest.approx(want.contrast, rel=0.05)
    assert got.sharpness[0] == pytest.approx(want.sharpness, rel=0.25)


def test_exif_orientation_turns_width_and_height(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(picture(8, 300, 200), mode="L").save(tmp_path / "turned.jpg", exif=exif)
    got = im.measure_images(tmp_path, ["turned.jpg"], cache=False)
    assert (got.width[0], got.height[0]) == (200, 300)


def test_a_rebuild_reads_the_cache_and_decodes_nothing(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    sources = ["p0.png", "p1.png", "text.png", "missing.png"]
    first = im.measure_images(root, sources, cache=cache)
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0] == im.cache_file(root.resolve(), cache)

    def refuse(*args: object) -> None:
        raise AssertionError("decoded although cached")

    with monkeypatch.context() as patch:
        patch.setattr(im, "_measure_one", refuse)
        again = im.measure_images(root, sources, cache=cache)
    assert (again.from_cache, again.newly_measured) == (3, 0)
    for name in im.COLUMNS:
        np.testing.assert_array_equal(again.column(name), first.column(name))
    np.testing.assert_array_equal(again.dhash, first.dhash)
    assert again.problems["text.png"].reason == NOT_AN_IMAGE


def test_a_changed_file_is_measured_again(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    im.measure_images(root, ["p0.png"], cache=cache)
    Image.fromarray(picture(9), mode="L").save(root / "p0.png")
    stat = (root / "p0.png").stat()
    os.utime(root / "p0.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    got = im.measure_images(root, ["p0.png"], cache=cache)
    assert got.newly_measured == 1 and got.from_cache == 0
    assert got.brightness[0] == pytest.approx(ip.brightness(picture(9)))


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff not json",
        b'{"format": "something else", "version": 1}',
        b"[1, 2, 3]",
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored_and_rewritten(
    root: Path, tmp_path: Path, content: bytes
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    path = im.cache_file(root.resolve(), cache)
    path.write_bytes(content)
    got = im.measure_images(root, ["p0.png"], cache=cache)
    assert got.newly_measured == 1 and got.measured.all()
    data = json.loads(path.read_text())
    assert data["format"] == im.CACHE_FORMAT and list(data["entries"]) == ["p0.png"]


def test_a_tampered_entry_is_dropped(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    im.measure_images(root, ["p0.png", "p1.png"], cache=cache)
    path = im.cache_file(root.resolve(), cache)
    data = json.loads(path.read_text())
    data["entries"]["p0.png"][3] = "many"
    path.write_text(json.dumps(data))
    got = im.measure_images(root, ["p0.png", "p1.png"], cache=cache)
    assert (got.newly_measured, got.from_cache) == (1, 1)
    assert np.isfinite(got.width).all()


def test_another_roots_cache_is_not_used(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    im.measure_images(root, ["p0.png"], cache=cache)
    path = im.cache_file(root.resolve(), cache)
    data = json.loads(path.read_text())
    data["root"] = "/somewhere/else"
    path.write_text(json.dumps(data))
    assert im.measure_images(root, ["p0.png"], cache=cache).newly_measured == 1


def test_no_cache_writes_nothing_and_the_default_follows_xdg(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    im.measure_images(root, ["p0.png"], cache=False)
    assert not (tmp_path / "xdg").exists()
    im.measure_images(root, ["p0.png"])
    assert im.cache_file(root.resolve(), tmp_path / "xdg" / "reportgen").is_file()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert im.default_cache_folder() == tmp_path / "home" / ".cache" / "reportgen"


def test_an_unwritable_cache_folder_changes_nothing(root: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    got = im.measure_images(root, ["p0.png"], cache=blocker / "cache")
    assert got.measured.all()


def test_progress_only_when_asked_or_on_a_terminal(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(im, "PROGRESS_AFTER_PICTURES", 1)
    im.measure_images(root, ["p0.png", "p1.png"], cache=False)
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal
    im.measure_images(root, ["p0.png", "p1.png"], cache=False, progress=True)
    err = capsys.readouterr().err
    assert "measuring pictures" in err and "2/2" in err and err.endswith("\n")
    buffer = io.StringIO()
    assert not buffer.isatty()


def test_row_columns_find_near_duplicates_among_distinct_pictures(root: Path) -> None:
    got = im.measure_images(root, ["p0.png", "p0.png", "p1.png"], cache=False)
    columns = got.row_columns()
    assert list(columns) == [*im.COLUMNS, "near_duplicate"]
    np.testing.assert_array_equal(columns["near_duplicate"], [0, 0, 0])  # not its own copy
    Image.open(root / "p0.png").save(root / "copy.jpg", quality=70)
    sources = ["p0.png", "p0.png", "p1.png", "copy.jpg", "missing.png"]
    columns = im.measure_images(root, sources, cache=False).row_columns()
    np.testing.assert_array_equal(columns["near_duplicate"], [1, 1, 0, 1, np.nan])
    np.testing.assert_array_equal(columns["brightness"][:3], got.brightness)


def test_transparency_is_laid_on_white_and_colour_weighted_as_luma(tmp_path: Path) -> None:
    clear = np.zeros((40, 60, 4), dtype=np.uint8)  # black, fully transparent
    Image.fromarray(clear, mode="RGBA").save(tmp_path / "clear.png")
    red = np.zeros((40, 60, 3), dtype=np.uint8)
    red[..., 0] = 200
    Image.fromarray(red, mode="RGB").save(tmp_path / "red.png")
    got = im.measure_images(tmp_path, ["clear.png", "red.png"], cache=False)
    assert got.brightness[0] == 255.0 and got.overexposure[0] == 1.0
    assert got.brightness[1] == pytest.approx(200 * 299 / 1000, abs=1.0)  # ITU-R 601 luma
    assert (got.width[0], got.height[0], got.aspect_ratio[0]) == (60, 40, 1.5)


def test_any_number_of_workers_gives_the_same_numbers(root: Path) -> None:
    sources = ["p2.png", "p0.png", "text.png", "p1.png", "rgb.png", "missing.png", "p0.png"]
    one = im.measure_images(root, sources, cache=False, workers=1)
    many = im.measure_images(root, sources, cache=False, workers=3)
    for name in im.COLUMNS:
        np.testing.assert_array_equal(one.column(name), many.column(name))
    np.testing.assert_array_equal(one.dhash, many.dhash)
    assert one.problems == many.problems and one.newly_measured == many.newly_measured
    with pytest.raises(ReportgenError, match="workers"):
        im.measure_images(root, sources, cache=False, workers=0)


@pytest.mark.parametrize("limit", [40_000, 5_000])  # Pillow warns above it, errs above twice it
def test_decompression_bombs_are_refused_in_threads(
    root: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    import warnings

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        got = im.measure_images(root, ["p0.png", "p1.png", "p2.png"], cache=False, workers=2)
    assert {p.reason for p in got.problems.values()} == {TOO_MANY_PIXELS}
    assert len(got.problems) == 3 and not got.measured.any()
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
    small = im.measure_images(root, ["p0.png"], cache=False, max_pixels=1_000)
    assert small.problems["p0.png"].reason == TOO_MANY_PIXELS
