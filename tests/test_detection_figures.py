"""Detection figures (error types, confusion with background, recall by bin), boxed thumbnails."""

from __future__ import annotations

import base64
import io
import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from matplotlib.lines import Line2D
from PIL import Image

from reportgen.figures.detection_boxes import (
    DASH,
    EMPHASIS_WIDTH,
    GAP,
    LEGEND,
    LINE_WIDTH,
    PREDICTION_COLOUR,
    TRUTH_COLOUR,
    DrawnBox,
    boxed_thumbnail,
    label_text,
    legend_png,
)
from reportgen.figures.detection_plots import (
    Panel,
    detection_confusion_description,
    error_types_description,
    plot_detection_confusion,
    plot_error_types,
    plot_recall_breakdown,
    recall_breakdown_description,
)
from reportgen.figures.svg import figure_to_svg
from reportgen.read.images import ImageLoader, Thumbnail
from tests.figure_parts import bars, ticks

DAP = {"Cls": 3.1, "Loc": 6.42, "Both": 0.5, "Dupe": 0.0, "Bkg": 4.0, "Miss": 7.3}
COUNTS = {"Cls": 120, "Loc": 830, "Both": 40, "Dupe": 0, "Bkg": 1504, "Miss": 977}
SPECIAL = {"FalsePos": 15.2, "FalseNeg": 22.45}
PANELS: list[Panel] = [
    ("Object size", [("small", 0.42, (0.38, 0.46), 1234), ("large", 0.93, (0.9, 0.95), 800)]),
    ("Distance from the border", [("edge", 0.35, (0.2, 0.52), 40), ("inside", None, None, 0)]),
]


def _svg(fig, title: str = "T", desc: str = "D") -> str:  # type: ignore[no-untyped-def]
    return figure_to_svg(fig, fig_id="f", title=title, description=desc)


# ---------------------------------------------------------------- error types


def test_error_types_draw_each_dap_largest_first_with_value_and_count() -> None:
    fig = plot_error_types(DAP, COUNTS, SPECIAL)
    main, extra = fig.axes
    # sorted by hand: Miss 7.3, Loc 6.42, Bkg 4.0, Cls 3.1, Both 0.5, Dupe 0.0
    assert ticks(main) == [
        "Missed",
        "Localisation",
        "Background",
        "Classification",
        "Both cls and loc",
        "Duplicate",
    ]
    np.testing.assert_allclose([b.get_width() for b in bars(main)], [7.3, 6.42, 4.0, 3.1, 0.5, 0])
    texts = [t.get_text() for t in main.texts]
    assert texts[0] == "7.30  (977 errors)" and "4.00  (1,504 errors)" in texts
    assert "0.00  (0 errors)" in texts
    assert ticks(extra) == ["all false positives", "all false negatives"]
    np.testing.assert_allclose([b.get_width() for b in bars(extra)], [15.2, 22.45])
    assert [t.get_text() for t in extra.texts] == ["15.20", "22.45"]
    # one scale for both panels, room at the end of the longest bar for its text
    assert main.get_xlim() == extra.get_xlim() and main.get_xlim()[1] > 22.45 * 1.2
    colours = {tuple(b.get_facecolor()) for b in bars(main) + bars(extra)}
    assert len(colours) == 8


def test_error_types_svg_has_title_description_values_and_is_deterministic() -> None:
    desc = error_types_description(DAP, COUNTS, SPECIAL)
    one = _svg(plot_error_types(DAP, COUNTS, SPECIAL), "Error types", desc)
    two = _svg(plot_error_types(DAP, COUNTS, SPECIAL), "Error types", desc)
    assert one == two
    assert '<title id="f-title">Error types</title>' in one and "<desc id=" in one
    for text in ("7.30  (977 errors)", "all false negatives", "22.45", "Localisation"):
        assert text in one
    # the alt text names the largest first
    assert desc.index("Missed 7.30 (977 errors)") < desc.index("Localisation 6.42")
    assert "all false negatives 22.45" in desc


def test_negative_special_dap_is_drawn_left_of_zero_with_a_true_minus() -> None:
    fig = plot_error_types(DAP, COUNTS, {"FalsePos": -1.5, "FalseNeg": 2.0})
    extra = fig.axes[1]
    assert extra.get_xlim()[0] < -1.5
    assert extra.texts[0].get_text() == "\u22121.50"


# ---------------------------------------------------------------- confusion with background


def test_confusion_draws_background_last_set_apart_by_lines() -> None:
    cm = np.array([[5, 1, 2], [0, 7, 3], [4, 0, 0]])
    fig = plot_detection_confusion(cm, ["cat", "dog"])
    ax = fig.axes[0]
    assert ticks(ax, "x") == ["cat", "dog", "background"] == ticks(ax, "y")
    cells = sorted(t.get_text().split("\n")[0] for t in ax.texts)
    assert cells == sorted(["5", "1", "2", "7", "3", "4"])
    # a horizontal and a vertical line between the classes and background
    lines = [ln for ln in ax.lines if isinstance(ln, Line2D)]
    ys = {float(ln.get_ydata()[0]) for ln in lines if ln.get_ydata()[0] == ln.get_ydata()[1]}
    xs = {float(ln.get_xdata()[0]) for ln in lines if ln.get_xdata()[0] == ln.get_xdata()[1]}
    assert 1.5 in ys and 1.5 in xs
    # K+1 names, the last naming background, are taken as given
    named = plot_detection_confusion(cm, ["cat", "dog", "nothing"])
    assert ticks(named.axes[0], "x")[-1] == "nothing"
    with pytest.raises(ValueError, match="labels"):
        plot_detection_confusion(cm, ["cat"])


def _eighty_classes() -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(7)
    k = 80
    cm = rng.poisson(0.2, (k + 1, k + 1))
    cm[np.arange(k), np.arange(k)] = rng.integers(50, 500, k)
    cm[:k, k] = rng.integers(0, 40, k)
    cm[k, :k] = rng.integers(0, 40, k)
    cm[k, k] = 0
    return cm, [f"class {i:02d}" for i in range(k)]


def test_eighty_classes_show_the_thirty_in_most_errors_and_background_legibly() -> None:
    cm, labels = _eighty_classes()
    fig = plot_detection_confusion(cm, labels)
    ax = fig.axes[0]
    shown = ticks(ax, "x")
    assert len(shown) == 31 and shown[-1] == "background" and ticks(ax, "y") == shown
    # brute force: every off-diagonal count in a class's row and column
    involved = []
    for c in range(80):
        total = sum(int(cm[c, j]) for j in range(81) if j != c)
        total += sum(int(cm[i, c]) for i in range(81) if i != c)
        involved.append((-total, c))
    expected = sorted(c for _, c in sorted(involved)[:30])
    assert shown[:-1] == [labels[c] for c in expected]
    for tick in ax.get_xticklabels() + ax.get_yticklabels():
        assert tick.get_fontsize() >= 7.0
    assert min(t.get_fontsize() for t in ax.texts) >= 5.5
    desc = detection_confusion_description(cm, labels, iou=0.45, confidence=0.25)
    assert "the 30 classes in most errors, of 80, and background" in desc
    assert "IoU 0.45 and confidence 0.25" in desc
    assert "<text" in _svg(fig, "Confusion", desc)


def test_confusion_description_names_the_largest_errors() -> None:
    cm = np.array([[5, 6, 2], [1, 7, 9], [4, 3, 0]])
    desc = detection_confusion_description(cm, ["cat", "dog"])
    assert "all 2 classes and background" in desc
    assert "cat taken for dog 6 times" in desc
    assert "most missed: dog (9 boxes)" in desc
    assert "most detected on background: cat (4 boxes)" in desc


# ---------------------------------------------------------------- recall by bin


def test_recall_breakdown_draws_each_bin_with_interval_count_and_no_boxes() -> None:
    fig = plot_recall_breakdown(PANELS)
    size, border = fig.axes
    assert size.get_title(loc="left") == "Object size" and ticks(size) == ["small", "large"]
    dots = [ln for ln in size.lines if ln.get_marker() == "o"]
    np.testing.assert_allclose([ln.get_xdata()[0] for ln in dots], [0.42, 0.93])
    np.testing.assert_allclose([ln.get_ydata()[0] for ln in dots], [0, 1])
    spans = [tuple(ln.get_xdata()) for ln in size.lines if ln.get_marker() != "o"]
    np.testing.assert_allclose(spans, [(0.38, 0.46), (0.9, 0.95)])
    assert [t.get_text() for t in size.texts] == ["1,234 boxes", "800 boxes"]
    assert [t.get_text() for t in border.texts] == ["no boxes", "40 boxes", "0 boxes"]
    assert size.get_xlim() == border.get_xlim() == (0.0, 1.0)
    assert border.xaxis.get_major_formatter()(0.5, 0) == "50%"
    svg = _svg(fig)
    assert "1,234 boxes" in svg and "no boxes" in svg and svg == _svg(plot_recall_breakdown(PANELS))
    desc = recall_breakdown_description(PANELS)
    assert (
        "Object size: lowest recall 42.0% in small (95% interval 38.0–46.0%, 1,234 boxes)" in desc
    )
    assert "Distance from the border: lowest recall 35.0% in edge" in desc


def test_a_dimension_without_bins_says_no_boxes() -> None:
    fig = plot_recall_breakdown([("Size", []), ("Border", [("edge", 0.5, None, 10)])])
    assert [t.get_text() for t in fig.axes[0].texts] == ["no boxes"]
    assert "Size: no boxes" in recall_breakdown_description([("Size", [])])


def test_recall_breakdown_refuses_percentages() -> None:
    with pytest.raises(ValueError, match="0-1"):
        plot_recall_breakdown([("Size", [("small", 42.0, None, 10)])])


# ---------------------------------------------------------------- boxed thumbnails

GREY = (128, 128, 128)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _thumb(tmp_path: Path, size: tuple[int, int] = (400, 200), mode: str = "RGB") -> Thumbnail:
    """A flat grey picture, read by the loader into a thumbnail of half its size."""
    Image.new(mode, size, GREY if mode == "RGB" else 128).save(tmp_path / "p.png")
    thumb = ImageLoader(tmp_path, max_side=size[0] // 2).thumbnail("p.png")
    assert isinstance(thumb, Thumbnail)
    return thumb


def _pixels(thumb: Thumbnail) -> np.ndarray:
    data = base64.b64decode(thumb.data_uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_outline_pixels_have_the_colour_at_the_scaled_place(tmp_path: Path) -> None:
    thumb = _thumb(tmp_path)
    box = DrawnBox(40, 60, 80, 40, "", None, "truth")  # half size: columns 20-59, rows 30-49
    out = boxed_thumbnail(thumb, [box])
    px = _pixels(out)
    blue = _rgb(TRUTH_COLOUR)
    for x, y in [(20, 30), (40, 30), (40, 31), (59, 40), (20, 49), (40, 48)]:
        assert tuple(px[y, x]) == blue, (x, y)
    # a light edge of one pixel either side of the dark line's two, then the picture
    assert tuple(px[29, 40]) == tuple(px[32, 40]) == (255, 255, 255)
    assert tuple(px[33, 40]) == GREY
    assert tuple(px[10, 100]) == GREY
    assert (out.width, out.height, out.original_width, out.original_height) == (200, 100, 400, 200)
    assert out.nbytes == len(out.data_uri) and out.data_uri != thumb.data_uri


def test_prediction_outline_is_dashed_and_the_emphasised_box_thicker(tmp_path: Path) -> None:
    thumb = _thumb(tmp_path)
    box = DrawnBox(40, 60, 160, 40, "", 0.5, "prediction")  # columns 20-99, rows 30-49
    px = _pixels(boxed_thumbnail(thumb, [box]))
    orange = _rgb(PREDICTION_COLOUR)
    # the top side up to the right side's two columns (whose first dash starts at the corner)
    top = [tuple(px[30, x]) == orange for x in range(20, 98)]
    expected = [(i % (DASH + GAP)) < DASH for i in range(78)]
    assert top == expected  # dashes from the corner, gaps between
    assert not all(tuple(px[30, x]) == orange for x in range(20, 100))
    # a gap shows the picture between the dark edges of the dashes on either side
    assert tuple(px[30, 20 + DASH + 1]) == GREY
    solid = _pixels(boxed_thumbnail(thumb, [DrawnBox(40, 60, 160, 40, "", None, "truth")]))
    assert all(tuple(solid[30, x]) == _rgb(TRUTH_COLOUR) for x in range(20, 100))

    def rows_drawn(picture: np.ndarray) -> int:
        return sum(tuple(picture[y, 40]) == _rgb(TRUTH_COLOUR) for y in range(30, 40))

    thick = _pixels(boxed_thumbnail(thumb, [DrawnBox(40, 60, 160, 40, "", None, "truth", True)]))
    assert (rows_drawn(solid), rows_drawn(thick)) == (LINE_WIDTH, EMPHASIS_WIDTH)


def test_label_is_written_on_a_filled_band_above_the_box(tmp_path: Path) -> None:
    thumb = _thumb(tmp_path)
    box = DrawnBox(40, 80, 80, 40, "tube defect", 0.834, "prediction")  # rows 40-59
    px = _pixels(boxed_thumbnail(thumb, [box]))
    band = px[27:40, 20 : 20 + 6 * len("tube defect 0.83")]
    colours = {tuple(c) for c in band.reshape(-1, 3)}
    assert colours == {_rgb(PREDICTION_COLOUR), (0, 0, 0)}  # band and black text only
    assert label_text(box, 200) == "tube defect 0.83"
    assert label_text(DrawnBox(0, 0, 1, 1, "severe tube defect", 0.5, "prediction"), 60) == (
        "seve. 0.50"  # ten characters of six pixels
    )
    assert label_text(DrawnBox(0, 0, 1, 1, "缺陷 a", None, "truth"), 100) == "?? a"


def test_a_label_with_no_clear_place_is_left_out_unless_emphasised(tmp_path: Path) -> None:
    thumb = _thumb(tmp_path, size=(400, 80))  # 200 x 40: room for two bands inside a full box
    whole = (0.0, 0.0, 400.0, 80.0)
    boxes = [
        DrawnBox(*whole, "a much longer class name", None, "truth"),
        DrawnBox(*whole, "dent", 0.3, "prediction"),
        DrawnBox(*whole, "dent", 0.9, "prediction", emphasis=True),
    ]
    px = _pixels(boxed_thumbnail(thumb, boxes))
    # emphasised first (inside the top), then predictions (inside the bottom); the truth's
    # label finds no clear place and is left out, not drawn under the others
    orange = _rgb(PREDICTION_COLOUR)
    for rows in (slice(0, 13), slice(27, 40)):
        assert {tuple(c) for c in px[rows, 4:56].reshape(-1, 3)} == {orange, (0, 0, 0)}
    wide = 6 * len("dent 0.90") + 10
    assert all(tuple(px[y, x]) == GREY for y in (6, 33) for x in range(wide, 150))


def test_boxed_thumbnail_bytes_are_deterministic_without_time_or_text(tmp_path: Path) -> None:
    thumb = _thumb(tmp_path)
    boxes = [
        DrawnBox(10, 10, 100, 80, "fin defect", None, "truth"),
        DrawnBox(14, 12, 96, 90, "fin defect", 0.91, "prediction", emphasis=True),
    ]
    one, two = boxed_thumbnail(thumb, boxes), boxed_thumbnail(thumb, boxes)
    assert one == two
    data = base64.b64decode(one.data_uri.split(",", 1)[1])
    assert data.startswith(b"\x89PNG") and not re.search(rb"tIME|tEXt|iTXt|zTXt|eXIf", data)
    legend = legend_png()
    assert legend == legend_png() and legend.startswith(b"\x89PNG")
    assert [name for name, _c, _s in LEGEND] == ["ground truth", "prediction, with its score"]
    assert zlib.crc32(legend) == zlib.crc32(legend_png())


def test_boxes_partly_or_wholly_outside_are_clipped(tmp_path: Path) -> None:
    thumb = _thumb(tmp_path)
    partly = DrawnBox(-60, -40, 160, 100, "fin defect", 0.7, "prediction")  # to column 49, row 29
    px = _pixels(boxed_thumbnail(thumb, [partly]))
    orange = _rgb(PREDICTION_COLOUR)
    assert tuple(px[29, 0]) == orange and tuple(px[0, 48]) == orange  # bottom and right sides
    beyond = DrawnBox(500, 300, 50, 50, "fin defect", 0.7, "prediction")
    assert np.array_equal(_pixels(boxed_thumbnail(thumb, [beyond])), _pixels(thumb))
    edge = DrawnBox(380, 180, 100, 100, "x", None, "truth")  # over the bottom-right corner
    assert tuple(_pixels(boxed_thumbnail(thumb, [edge]))[99, 190]) == _rgb(TRUTH_COLOUR)


def test_grey_thumbnail_gets_coloured_boxes(tmp_path: Path) -> None:
    thumb = _thumb(tmp_path, mode="L")
    px = _pixels(boxed_thumbnail(thumb, [DrawnBox(40, 60, 80, 40, "", None, "truth")]))
    assert tuple(px[30, 40]) == _rgb(TRUTH_COLOUR)


def test_the_two_colours_stay_apart_in_greyscale() -> None:
    def luminance(hex_colour: str) -> float:
        r, g, b = _rgb(hex_colour)
        return 0.299 * r + 0.587 * g + 0.114 * b

    assert abs(luminance(TRUTH_COLOUR) - luminance(PREDICTION_COLOUR)) > 60


def test_a_box_of_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="truth"):
        DrawnBox(0, 0, 1, 1, "a", None, "guess")
    with pytest.raises(ValueError, match="sizes"):
        DrawnBox(0, 0, -1, 1, "a", None, "truth")
