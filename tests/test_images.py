"""Image samples: thumbnails, what is refused and why, the byte budget."""

from __future__ import annotations

import base64
import io
import os
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from reportgen.errors import ReportgenError
from reportgen.read import images
from reportgen.read.images import ImageLoader, ImageProblem, Thumbnail, check_root

MARKER = "PLANTED-METADATA-7f3a"


def png_of(thumb: Thumbnail | ImageProblem) -> bytes:
    """Return the PNG bytes behind a thumbnail's data URI."""
    assert isinstance(thumb, Thumbnail), thumb
    prefix = "data:image/png;base64,"
    assert thumb.data_uri.startswith(prefix)
    return base64.b64decode(thumb.data_uri[len(prefix) :], validate=True)


def decoded(thumb: Thumbnail | ImageProblem) -> Image.Image:
    """Open a thumbnail's PNG and check it matches the size the thumbnail states."""
    assert isinstance(thumb, Thumbnail), thumb
    image = Image.open(io.BytesIO(png_of(thumb)))
    image.load()
    assert image.format == "PNG"
    assert image.size == (thumb.width, thumb.height)
    return image


def noise(height: int, width: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def png_header_only(path: Path, width: int, height: int) -> None:
    """Write a tiny PNG that declares a huge size (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    noise(200, 300).save(folder / "wide.png")
    noise(300, 200, seed=1).save(folder / "tall.jpg", quality=90)
    return folder


def reason(result: Thumbnail | ImageProblem) -> str:
    assert isinstance(result, ImageProblem), result
    return result.reason


# Thumbnails


def test_png_and_jpeg_become_png_thumbnails_within_max_side(root: Path) -> None:
    loader = ImageLoader(root, max_side=96)
    wide, tall = loader.thumbnail("wide.png"), loader.thumbnail("tall.jpg")
    assert decoded(wide).size == (96, 64)
    assert decoded(tall).size == (64, 96)
    assert isinstance(wide, Thumbnail) and isinstance(tall, Thumbnail)
    assert (wide.original_width, wide.original_height) == (300, 200)
    assert wide.source == "wide.png"
    assert wide.nbytes == len(wide.data_uri)
    assert decoded(wide).mode == "RGB"


def test_a_tiny_image_is_blown_up_with_nearest_to_the_minimum_side(root: Path) -> None:
    pixels = (np.arange(64, dtype=np.uint8).reshape(8, 8) * 4).astype(np.uint8)
    Image.fromarray(pixels).save(root / "digit.png")
    thumb = ImageLoader(root, min_side=48).thumbnail("digit.png")
    image = decoded(thumb)
    assert image.size == (48, 48)
    assert image.mode == "L"
    expected = np.kron(pixels, np.ones((6, 6), dtype=np.uint8))
    assert np.array_equal(np.asarray(image), expected)


def test_a_mid_sized_image_keeps_its_size(root: Path) -> None:
    noise(50, 70).save(root / "mid.png")
    assert decoded(ImageLoader(root).thumbnail("mid.png")).size == (70, 50)


def test_exif_orientation_is_applied(root: Path) -> None:
    stored = np.zeros((60, 120, 3), dtype=np.uint8)
    stored[:, :60] = (255, 0, 0)  # left half red
    stored[:, 60:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.fromarray(stored).save(root / "turned.jpg", exif=exif.tobytes(), quality=95)
    image = decoded(ImageLoader(root).thumbnail("turned.jpg"))
    assert image.size == (48, 96)
    pixels = np.asarray(image.convert("RGB")).astype(int)
    top, bottom = pixels[10, 24], pixels[85, 24]
    assert top[0] > 200 and top[2] < 60, top  # the stored left edge is now the top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_metadata_is_stripped(root: Path) -> None:
    exif = Image.Exif()
    exif[0x010E] = MARKER  # ImageDescription
    exif[0x0112] = 1
    noise(40, 60).save(root / "tagged.jpg", exif=exif.tobytes(), comment=MARKER.encode())
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARKER)
    info.add_itxt("Author", MARKER)
    noise(40, 60, seed=2).save(
        root / "tagged.png", pnginfo=info, icc_profile=MARKER.encode() * 4, dpi=(300, 300)
    )
    assert MARKER.encode() in (root / "tagged.jpg").read_bytes()
    assert MARKER.encode() in (root / "tagged.png").read_bytes()
    loader = ImageLoader(root)
    for name in ("tagged.jpg", "tagged.png"):
        thumb = loader.thumbnail(name)
        raw = png_of(thumb)
        assert MARKER.encode() not in raw
        for chunk in (b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"pHYs", b"tIME"):
            assert chunk not in raw, (name, chunk)
        image = decoded(thumb)
        assert not {"exif", "icc_profile", "dpi", "Comment", "Author", "comment"} & set(image.info)


def test_transparency_is_laid_on_white(root: Path) -> None:
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[:, :10] = (0, 0, 0, 255)  # opaque black left, fully transparent right
    Image.fromarray(rgba).save(root / "alpha.png")
    image = decoded(ImageLoader(root, min_side=1).thumbnail("alpha.png"))
    assert image.mode in ("L", "RGB")
    pixels = np.asarray(image.convert("L"))
    assert pixels[5, 2] == 0
    assert pixels[5, 17] == 255


def test_sixteen_bit_greyscale_is_stretched_to_eight_bits(root: Path) -> None:
    values = np.linspace(1000, 3000, 30 * 30).reshape(30, 30).astype(np.uint16)
    Image.fromarray(values).save(root / "deep.png")
    pixels = np.asarray(decoded(ImageLoader(root, min_side=1).thumbnail("deep.png")))
    assert pixels.dtype == np.uint8
    assert (pixels.min(), pixels.max()) == (0, 255)


def test_same_input_gives_the_same_bytes(root: Path) -> None:
    Image.fromarray(np.eye(8, dtype=np.uint8) * 255).save(root / "eye.png")
    names = ["wide.png", "tall.jpg", "eye.png"]
    first = [ImageLoader(root).thumbnail(n) for n in names]
    second = [ImageLoader(root).thumbnail(n) for n in names]
    assert all(isinstance(t, Thumbnail) for t in first)
    assert first == second


def test_paths_that_stay_inside_the_root_are_accepted(root: Path, tmp_path: Path) -> None:
    (root / "sub").mkdir()
    noise(10, 10).save(root / "sub" / "x.png")
    (root / "inner-link.png").symlink_to(root / "sub" / "x.png")
    via_link = tmp_path / "root-link"
    via_link.symlink_to(root, target_is_directory=True)
    loader = ImageLoader(via_link)
    accepted = [
        "sub/x.png",
        "./sub/../sub/x.png",
        "inner-link.png",
        str(root / "wide.png"),
        str(via_link / "wide.png"),
    ]
    for source in accepted:
        assert isinstance(loader.thumbnail(source), Thumbnail), source


# Refusals


def test_paths_outside_the_root_are_refused(root: Path, tmp_path: Path) -> None:
    noise(10, 10).save(tmp_path / "outside.png")
    (root / "escape.png").symlink_to(tmp_path / "outside.png")
    (root / "escape-dir").symlink_to(tmp_path, target_is_directory=True)
    loader = ImageLoader(root)
    assert reason(loader.thumbnail("../outside.png")) == images.OUTSIDE_ROOT
    assert reason(loader.thumbnail("sub/../../outside.png")) == images.OUTSIDE_ROOT
    assert reason(loader.thumbnail(str(tmp_path / "outside.png"))) == images.OUTSIDE_ROOT
    assert reason(loader.thumbnail("/etc/passwd")) == images.OUTSIDE_ROOT
    assert reason(loader.thumbnail("escape.png")) == images.SYMLINK_OUTSIDE
    assert reason(loader.thumbnail("escape-dir/outside.png")) == images.SYMLINK_OUTSIDE
    # Outside paths are refused the same way whether or not they exist.
    assert reason(loader.thumbnail("../missing.png")) == images.OUTSIDE_ROOT


def test_missing_files_folders_and_odd_paths_are_refused(root: Path) -> None:
    (root / "folder.png").mkdir()
    (root / "loop.png").symlink_to(root / "loop.png")
    loader = ImageLoader(root)
    assert reason(loader.thumbnail("missing.png")) == images.NOT_FOUND
    assert reason(loader.thumbnail("wide.png/inside.png")) == images.NOT_FOUND
    assert reason(loader.thumbnail("folder.png")) == images.A_FOLDER
    assert reason(loader.thumbnail(".")) == images.A_FOLDER
    assert reason(loader.thumbnail("")) == images.EMPTY_PATH
    assert reason(loader.thumbnail("a\x00b.png")) == images.NOT_A_PATH
    assert reason(loader.thumbnail("https://example.com/cat.png")) == images.A_URL
    assert reason(loader.thumbnail("data:image/png;base64,AAAA")) == images.A_URL
    assert reason(loader.thumbnail("loop.png")) == images.NOT_READABLE


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "pipe.png")
    assert reason(ImageLoader(root).thumbnail("pipe.png")) == images.NOT_A_FILE


def test_non_images_and_svg_are_refused(root: Path) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    (root / "notes.png").write_text("just some text, not pixels\n")
    (root / "empty.png").write_bytes(b"")
    (root / "drawing.svg").write_text(svg)
    (root / "drawing-in-disguise.png").write_text(svg)
    (root / "xml-svg.jpg").write_text('<?xml version="1.0"?>\n<!-- hi -->\n' + svg)
    (root / "plain.xml.png").write_text('<?xml version="1.0"?><note>hello</note>')
    noise(10, 10).save(root / "image.ico", format="ICO")
    loader = ImageLoader(root)
    assert reason(loader.thumbnail("notes.png")) == images.NOT_AN_IMAGE
    assert reason(loader.thumbnail("empty.png")) == images.NOT_AN_IMAGE
    assert reason(loader.thumbnail("drawing.svg")) == images.SVG
    assert reason(loader.thumbnail("drawing-in-disguise.png")) == images.SVG
    assert reason(loader.thumbnail("xml-svg.jpg")) == images.SVG
    assert reason(loader.thumbnail("plain.xml.png")) == images.NOT_AN_IMAGE
    assert reason(loader.thumbnail("image.ico")) == images.NOT_AN_IMAGE


def test_a_truncated_image_is_refused(root: Path) -> None:
    whole = (root / "wide.png").read_bytes()
    (root / "cut.png").write_bytes(whole[: len(whole) // 2])
    problem = ImageLoader(root).thumbnail("cut.png")
    assert reason(problem) == images.DAMAGED


def test_decompression_bombs_are_refused_before_decoding(root: Path) -> None:
    png_header_only(root / "huge.png", 20_000, 20_000)  # past Pillow's own hard limit
    png_header_only(root / "large.png", 10_000, 6_000)  # past ours, below Pillow's
    assert (root / "huge.png").stat().st_size < 200
    loader = ImageLoader(root, max_pixels=50_000_000)
    huge, large = loader.thumbnail("huge.png"), loader.thumbnail("large.png")
    assert reason(huge) == images.TOO_MANY_PIXELS
    assert reason(large) == images.TOO_MANY_PIXELS
    assert isinstance(large, ImageProblem)
    assert large.message == "too large to decode (60,000,000 pixels, the limit is 50,000,000)"
    small_limit = ImageLoader(root, max_pixels=100)
    assert reason(small_limit.thumbnail("wide.png")) == images.TOO_MANY_PIXELS


def test_an_oversized_file_is_refused_unread(root: Path) -> None:
    loader = ImageLoader(root, max_file_bytes=1_000)
    assert (root / "wide.png").stat().st_size > 1_000
    assert reason(loader.thumbnail("wide.png")) == images.FILE_TOO_LARGE


# Budget and summary


def test_the_budget_stops_at_the_first_image_that_does_not_fit(root: Path) -> None:
    noise(8, 8).save(root / "small.png")
    one = ImageLoader(root).thumbnail("wide.png")
    assert isinstance(one, Thumbnail)
    loader = ImageLoader(root, budget_bytes=one.nbytes + 100)
    assert loader.thumbnail("wide.png") == one
    assert loader.thumbnail("wide.png") == one  # cached, counted once
    assert reason(loader.thumbnail("tall.jpg")) == images.OVER_BUDGET
    # A smaller image after the cut is refused too, so the shown ones are a prefix.
    assert reason(loader.thumbnail("small.png")) == images.OVER_BUDGET
    summary = loader.summary()
    assert summary.shown == 1
    assert summary.total_bytes == one.nbytes
    assert summary.refused == {images.OVER_BUDGET: 2}
    assert summary.refused_total == 2
    assert summary.budget_bytes == one.nbytes + 100


def test_a_zero_budget_shows_nothing(root: Path) -> None:
    loader = ImageLoader(root, budget_bytes=0)
    assert reason(loader.thumbnail("wide.png")) == images.OVER_BUDGET
    assert loader.summary().total_bytes == 0


def test_summary_counts_each_source_once_by_reason(root: Path) -> None:
    loader = ImageLoader(root)
    for source in ["wide.png", "missing.png", "wide.png", "../x.png", "gone.png", "missing.png"]:
        loader.thumbnail(source)
    summary = loader.summary()
    assert summary.shown == 1
    assert summary.refused == {images.NOT_FOUND: 2, images.OUTSIDE_ROOT: 1}
    assert list(summary.refused) == [images.NOT_FOUND, images.OUTSIDE_ROOT]
    assert [p.source for p in loader.problems()] == ["missing.png", "../x.png", "gone.png"]


# The root


def test_check_root_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ReportgenError, match=r"--image-root '.*nowhere' does not exist"):
        check_root(tmp_path / "nowhere")
    with pytest.raises(ReportgenError, match="does not exist"):
        ImageLoader(tmp_path / "nowhere")


def test_check_root_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ReportgenError, match=r"is a file, not a folder"):
        check_root(tmp_path / "file.txt")
    with pytest.raises(ReportgenError, match="is empty"):
        check_root("")


def test_check_root_returns_the_resolved_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert check_root(tmp_path / "a" / ".." / "a") == (tmp_path / "a").resolve()


def test_bad_settings_are_refused(root: Path) -> None:
    with pytest.raises(ReportgenError, match="max_side"):
        ImageLoader(root, max_side=0)
    with pytest.raises(ReportgenError, match="budget"):
        ImageLoader(root, budget_bytes=-1)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_symlinked_root_still_refuses_escapes(root: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-root"
    link.symlink_to(root, target_is_directory=True)
    noise(10, 10).save(tmp_path / "outside.png")
    loader = ImageLoader(link)
    assert isinstance(loader.thumbnail("wide.png"), Thumbnail)
    assert reason(loader.thumbnail("../outside.png")) == images.OUTSIDE_ROOT
    assert reason(loader.thumbnail(str(link / ".." / "outside.png"))) == images.OUTSIDE_ROOT
