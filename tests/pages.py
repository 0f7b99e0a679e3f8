"""Read a report page as a tree, so a test finds a number in its own cell, card or sentence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

# elements that never have an end tag: they must not be pushed on the open-element stack
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    """One element of the page: its tag, attributes and children (elements and text)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        """The element's class names."""
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        """The element's text, whitespace runs collapsed to one space."""
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        """Every text node under the element, in page order."""
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()

    def iter(self) -> Iterator[Element]:
        """The element and every element under it, in page order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        """The elements under this one (itself included) with this tag and/or class."""
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)
        ]

    def by_id(self, element_id: str) -> Element:
        """The one element with this id; fails the test if there is none."""
        found = [e for e in self.iter() if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
        return found[0]


class _TreeBuilder(HTMLParser):
    """Builds the Element tree; an end tag closes the nearest open element of its name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document")
        self.open: list[Element] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse_page(page: str) -> Element:
    """The page as a tree of elements."""
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder.root


def cards(page: str | Element) -> dict[str, dict[str, str]]:
    """The headline cards by id ("accuracy", "errors", ...): their label, value and detail."""
    root = parse_page(page) if isinstance(page, str) else page
    found: dict[str, dict[str, str]] = {}
    for card in root.find_all("li", "card"):
        parts = {
            part: " ".join(e.text() for e in card.find_all(cls=f"card-{part}"))
            for part in ("label", "value", "detail")
        }
        found[card.attrs["id"].removeprefix("card-")] = parts
    return found


def table_rows(table: Element) -> dict[str, dict[str, str]]:
    """A table's body rows by their row header: each cell's text by its data-label."""
    rows: dict[str, dict[str, str]] = {}
    for row in table.find_all("tr"):
        header = row.find_all("th")
        if not header or header[0].attrs.get("scope") != "row":
            continue
        rows[header[0].text()] = {
            td.attrs.get("data-label", str(k)): td.text() for k, td in enumerate(row.find_all("td"))
        }
    return rows
