"""Label every table cell with its column's header, so that a phone can show rows as cards.

Applied once to the rendered page rather than in every template: each body cell gains a
`data-label` (the header of its column, or of the columns it spans), a cell holding a list, a
picture or long text the class `cell-long` (shown under its label rather than beside it), and
a table of four columns or more the class `reflow`, which the stylesheet lays out one card per
row on narrow screens. Confusion matrices stay tables (a matrix is read in two directions; it
scrolls inside its box). A cell that already has a `data-label` keeps it; a row header, the
card's title, needs none.

The page is our own template output, so a few regular expressions suffice: tables are not
nested, and every cell is closed.
"""

from __future__ import annotations

import html
import re

REFLOW_FROM = 4  # columns: narrower tables fit a phone as they are
LONG_TEXT = 32  # characters: a longer cell shows under its label rather than beside it

_TABLE = re.compile(r"(<table\b)([^>]*)(>)(.*?)(</table>)", re.S)
_SECTION = re.compile(r"(<(thead|tbody|tfoot)\b[^>]*>)(.*?)(</\2>)", re.S)
_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.S)
_CELL = re.compile(r"<(th|td)\b([^>]*)>(.*?)</\1>", re.S)
_SPAN = re.compile(r'\b(colspan|rowspan)="(\d+)"')
_CLASS = re.compile(r'\bclass="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"<(ul|ol|img|p|div|br|figure)\b")


def _text(cell_html: str) -> str:
    """The words of a header cell, without markup."""
    return " ".join(html.unescape(_TAG.sub(" ", cell_html)).split())


def _spans(attrs: str) -> tuple[int, int]:
    found = dict(_SPAN.findall(attrs))
    return int(found.get("colspan", 1)), int(found.get("rowspan", 1))


def header_labels(thead: str) -> list[str]:
    """One label per column: the texts of the header cells above it, joined by ' · '."""
    grid: list[list[str]] = []
    taken: dict[tuple[int, int], str] = {}  # (row, column) filled by a rowspan from above
    for r, row in enumerate(_ROW.finditer(thead)):
        line: list[str] = []
        col = 0
        for cell in _CELL.finditer(row.group(2)):
            while (r, col) in taken:
                line.append(taken[(r, col)])
                col += 1
            colspan, rowspan = _spans(cell.group(2))
            text = _text(cell.group(3))
            for c in range(col, col + colspan):
                line.append(text)
                for below in range(r + 1, r + rowspan):
                    taken[(below, c)] = text
            col += colspan
        while (r, col) in taken:
            line.append(taken[(r, col)])
            col += 1
        grid.append(line)
    width = max((len(line) for line in grid), default=0)
    labels = []
    for c in range(width):
        parts: list[str] = []
        for line in grid:
            if c < len(line) and line[c] and (not parts or parts[-1] != line[c]):
                parts.append(line[c])
        labels.append(" · ".join(parts))
    return labels


def _label_row(row: str, labels: list[str]) -> str:
    """Give each cell of one body row the label of its column(s)."""
    col = 0
    out: list[str] = []
    last = 0
    for cell in _CELL.finditer(row):
        attrs = cell.group(2)
        colspan, _ = _spans(attrs)
        spanned = [x for x in labels[col : col + colspan] if x]
        col += colspan
        out.append(row[last : cell.start()])
        last = cell.end()
        whole = cell.group(0)
        # a row header is the title of its card: it needs no label
        if cell.group(1) == "th" or "data-label=" in attrs or not spanned:
            out.append(whole)
            continue
        label = " / ".join(dict.fromkeys(spanned))
        if _BLOCK.search(cell.group(3)) or len(_text(cell.group(3))) > LONG_TEXT:
            attrs = _add_class(attrs, "cell-long")
        head = f"<{cell.group(1)}{cell.group(2)}"
        rest = whole[len(head) :]
        out.append(f'<{cell.group(1)}{attrs} data-label="{html.escape(label, quote=True)}"{rest}')
    out.append(row[last:])
    return "".join(out)


def _add_class(attrs: str, name: str) -> str:
    """Add a class to a start tag's attributes."""
    found = _CLASS.search(attrs)
    if found is None:
        return f'{attrs} class="{name}"'
    names = found.group(1).split()
    if name in names:
        return attrs
    return attrs.replace(found.group(0), f'class="{" ".join([*names, name])}"', 1)


def _label_table(match: re.Match[str]) -> str:
    start, attrs, close, body, end = match.groups()
    sections = list(_SECTION.finditer(body))
    thead = next((s.group(3) for s in sections if s.group(2) == "thead"), None)
    if thead is None:
        return match.group(0)
    labels = header_labels(thead)

    def body_section(section: re.Match[str]) -> str:
        if section.group(2) == "thead":
            return section.group(0)
        rows = _ROW.sub(
            lambda r: r.group(1) + _label_row(r.group(2), labels) + r.group(3), section.group(3)
        )
        return section.group(1) + rows + section.group(4)

    body = _SECTION.sub(body_section, body)
    classes = _CLASS.search(attrs)
    if len(labels) >= REFLOW_FROM and "matrix" not in (classes.group(1).split() if classes else []):
        attrs = _add_class(attrs, "reflow")
    return start + attrs + close + body + end


def label_cells(page: str) -> str:
    """Label the body cells of every table on the page and mark the wide tables to reflow."""
    return _TABLE.sub(_label_table, page)
