"""Place the record into the HTML templates (jinja2, autoescape on, StrictUndefined)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from reportgen.bidi import json_escaped, visible_markup
from reportgen.deliver.archive import require_finite
from reportgen.deliver.budget import size_text
from reportgen.read.cells import label_cells
from reportgen.record.types import Cell, PageThumbnail, RecordBase
from reportgen.words import buckets, numbers


@dataclass(frozen=True)
class Section:
    """One report section: a stable id, a heading, a lead sentence and what its partial shows."""

    id: str
    title: str
    lead: str
    # what the section's partial reads: its own shape for each section (rows, figures, notes)
    context: Mapping[str, object] = field(default_factory=dict)
    # the partial, when it is not named after the id (a kind's own layout of a shared id)
    partial: str | None = None

    @property
    def template(self) -> str:
        return f"sections/{self.partial or self.id}.html.j2"


def templates_dir() -> Path:
    """Find the templates: inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent.parent  # the reportgen package
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "report.html.j2").is_file():
            return candidate
    raise FileNotFoundError(f"reportgen templates not found next to {here}")


def embed_json(record: Mapping[str, object]) -> Markup:
    """Serialise data for a <script type="application/json"> element that no text can close."""
    require_finite(record)
    text = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    text = (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    # the page's one pass over bidirectional controls must leave the record's values intact
    return Markup(json_escaped(text))


def _card_value(text: object) -> Markup:
    """Escape a headline card's value so that it breaks only at spaces, and an arrow starts a line.

    A label such as 'severe_tube_defect' is never split inside (the CSS breaks a word only when
    it alone is wider than the card); in 'a → b' the line may break before the arrow only: the
    arrow and what follows sit in one inline block, and the text stays as written.
    """
    first, arrow, rest = str(text).partition(" → ")
    if not arrow:
        return Markup(escape(first))
    return Markup(f'{escape(first)} <span class="card-then">→ {escape(rest)}</span>')


def _wrap_points(text: object) -> Markup:
    """Escape a label and let it wrap after '_', '/' and '-' rather than anywhere (email tables)."""
    escaped = str(escape(str(text)))
    for mark in ("_", "/", "-"):
        escaped = escaped.replace(mark, mark + "<wbr>")
    return Markup(escaped)


def _fixed(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _cell(value: Cell) -> str:
    """Show a metadata cell: numbers to four significant digits, the rest as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return numbers.plain(value)
    return str(value)


@cache
def environment(*, html: bool = True) -> jinja2.Environment:
    """Build the jinja environment once: for HTML, or (html=False) for plain text, unescaped.

    Both have the same filters, so the email's text part writes numbers as the page does.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        count=numbers.count,
        signed_count=numbers.signed_count,
        pvalue=numbers.pvalue,
        pct=numbers.pct,
        interval_pct=numbers.interval_pct,
        points=numbers.points,
        signed_points=numbers.signed_points,
        interval_points=numbers.interval_points,
        score=numbers.score,
        signed_score=numbers.signed_score,
        interval_score=numbers.interval_score,
        num=numbers.num,
        signed=numbers.signed,
        interval_num=numbers.interval_num,
        plain=numbers.plain,
        bucket_basis=buckets.bucket_basis,
        bucket_pairs=buckets.bucket_pairs,
        ceiling_text=buckets.ceiling_text,
        fixed=_fixed,
        cell=_cell,
        embed_json=embed_json,
        card_value=_card_value,
        wrap_points=_wrap_points,
        filesize=size_text,
    )
    return env


def render_html(
    record: RecordBase,
    sections: list[Section],
    *,
    figures: dict[str, str],
    thumbnails: Mapping[str, PageThumbnail] | None = None,
) -> str:
    """Render the whole page; figures maps a figure id to SVG markup our own code produced."""
    env = environment()
    css = (templates_dir() / "style.css").read_text(encoding="utf-8")
    template = env.get_template("report.html.j2")
    with numbers.units_of(record):
        page = template.render(
            record=record,
            sections=sections,
            figures={k: Markup(v) for k, v in figures.items()},
            thumbnails=thumbnails or {},
            css=Markup(css),
        )
    # user text cannot reorder the page around it: every bidirectional control is shown as
    # its code point, in element text, attributes and figures alike (the record keeps it)
    return label_cells(visible_markup(page))
