"""Export every figure of reportgen: deterministic SVG for the page, PNG for the email body.

Every figure comes from `new_figure` (the report's style, text always literal) and leaves
through `figure_to_svg` or `figure_to_png`; the plot functions in the other modules only draw.
"""

from __future__ import annotations

import html
import io
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, Formatter, FuncFormatter

from reportgen.bidi import visible

FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"
# Raster parts of a figure (dense scatters, density images) at twice the SVG's 72 units/inch.
RASTER_DPI = 144
# Email pictures are sized in display pixels at this many per inch and saved at twice it.
PX_PER_INCH = 100
RC: dict[str, object] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "reportgen",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "axes.edgecolor": "#4a4f57",
    "axes.labelcolor": "#1f2328",
    "xtick.color": "#1f2328",
    "ytick.color": "#1f2328",
    "text.color": "#1f2328",
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "path.simplify": True,
    # Text from the input (labels, tags, names, values) is drawn as typed: "$x^$" must not
    # be read as mathematics (a traceback) nor "a$b$c" silently typeset. Our own texts use
    # Unicode (R², −) rather than mathtext, so nothing of ours needs it.
    "text.parse_math": False,
}


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply the report's fixed matplotlib settings (deterministic ids, text as text)."""
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        yield


def figure_to_svg(fig: Figure, *, fig_id: str, title: str, description: str) -> str:
    """Render a figure to SVG and clean it for inline use."""
    buf = io.StringIO()
    # a figure with fixed margins is saved as laid out: no second pass to measure it
    tight = fig.get_layout_engine() is not None
    with figure_style():
        fig.savefig(
            buf,
            format="svg",
            metadata={"Date": None},
            bbox_inches="tight" if tight else None,
            pad_inches=0.08,
            dpi=RASTER_DPI,
        )
    return clean_svg(buf.getvalue(), fig_id=fig_id, title=title, description=description)


@dataclass(frozen=True)
class Png:
    """A rendered figure: PNG bytes and the size to display it at (half its pixels)."""

    data: bytes
    width: int
    height: int


def figure_to_png(fig: Figure) -> Png:
    """Render a figure as PNG at twice its display size, without metadata that varies."""
    buf = io.BytesIO()
    with figure_style():
        fig.savefig(buf, format="png", dpi=2 * PX_PER_INCH, metadata={"Software": None})
    data = buf.getvalue()
    inches = fig.get_size_inches()
    width, height = (round(float(v) * PX_PER_INCH) for v in inches)
    # a rounding in figsize * dpi must not make the picture blurry
    if png_size(data) != (2 * width, 2 * height):
        raise AssertionError(f"PNG is {png_size(data)}, expected {(2 * width, 2 * height)}")
    return Png(data, width, height)


def png_size(data: bytes) -> tuple[int, int]:
    """Read a PNG's pixel width and height from its IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def short_label(text: str, limit: int) -> str:
    """Cut a label from the input to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_svg(svg: str, *, fig_id: str, title: str, description: str) -> str:
    """Drop prolog and metadata, prefix ids, use system fonts, add role and text alternative."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("not an SVG document")
    svg = svg[start:]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = re.sub(r'\s+version="[^"]*"', "", svg, count=1)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{fig_id}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{fig_id}-{m.group(1)})", svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{fig_id}-{m.group(1)}"', svg)
    svg = svg.replace("'DejaVu Sans'", FONT_STACK)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    opening_end = svg.index(">")
    head = svg[:opening_end]
    alt = (
        f'<title id="{fig_id}-title">{html.escape(title)}</title>'
        f'<desc id="{fig_id}-desc">{html.escape(description)}</desc>'
    )
    head += f' role="img" aria-labelledby="{fig_id}-title {fig_id}-desc" class="figure-svg"'
    return head + ">" + alt + svg[opening_end + 1 :].strip() + "\n"


class ReportFigure(Figure):
    """A figure whose texts are always drawn literally, in the report's style."""

    def draw(self, renderer: Any) -> None:
        """Draw in the report's style with every text literal, wherever it was created."""
        with figure_style():
            # a text added outside figure_style would still parse "$...$" as mathtext
            for text in self.findobj(Text):
                text.set_parse_math(False)
                # a right-to-left override in a label would reverse the text after it
                text.set_text(visible(text.get_text()))
            # tick labels are written from their formatter while the axes draw, after this
            for axis in (axis for ax in self.axes for axis in (ax.xaxis, ax.yaxis)):
                for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
                    _show_controls(formatter)
            super().draw(renderer)


def _show_controls(formatter: Formatter) -> None:
    """Make the tick labels a formatter writes show bidirectional controls as code points."""
    if isinstance(formatter, FixedFormatter):
        formatter.seq = [visible(str(label)) for label in formatter.seq]
    elif isinstance(formatter, FuncFormatter) and not hasattr(formatter.func, "shows_controls"):
        inner = formatter.func

        def shown(value: Any, pos: Any = None) -> str:
            return visible(str(inner(value, pos)))

        shown.shows_controls = True  # type: ignore[attr-defined]
        formatter.func = shown


def figure_and_axes(
    ax: Axes | None, width: float, height: float, *, margins: dict[str, float] | None = None
) -> tuple[Figure, Axes]:
    """Return the axes to draw on and its figure: the caller's, or a new figure of this size.

    margins: fixed margins (fig.subplots_adjust) for a new figure, instead of a layout engine.
    """
    if ax is not None:
        return cast(Figure, ax.get_figure()), ax
    fig = new_figure(width, height, fixed=margins is not None)
    new = fig.add_subplot()
    if margins is not None:
        fig.subplots_adjust(**margins)
    return fig, new


def new_figure(width: float, height: float, *, fixed: bool = False, **kwargs: Any) -> Figure:
    """Create a figure outside pyplot's global state (every figure of reportgen comes from here).

    fixed: the caller sets the margins itself (fig.subplots_adjust). Constrained layout
    measures every tick label, which costs more than drawing a dense figure; figures
    whose labels are known in advance skip it.
    """
    with figure_style():
        if fixed:
            return ReportFigure(figsize=(width, height), **kwargs)
        return ReportFigure(figsize=(width, height), layout="constrained", **kwargs)
