"""Report kinds: each turns a validated table into a record, its figures and its sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reportgen.read.images import ImageLoader, Thumbnail
from reportgen.render import Section


@dataclass
class Assembled:
    """What a report kind hands to the Report: the record, figure SVG by id, the sections."""

    record: dict[str, Any]
    figures: dict[str, str]
    sections: list[Section]
    thumbnails: dict[str, dict[str, Any]] = field(default_factory=dict)  # image path -> data URI


@dataclass(frozen=True)
class Meta:
    """What names and dates a report, whatever its kind."""

    title: str
    model: str | None
    created: str | None
    options: dict[str, Any]


def setting_text(value: Any) -> str:
    """Show an option's value in the provenance table."""
    if value is None:
        return "auto / none"
    if isinstance(value, dict):
        return ", ".join(f"{k} → {v}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def provenance_section(record: dict[str, Any]) -> Section:
    """The closing section every report has."""
    prov = record["provenance"]
    settings = [(key, setting_text(value)) for key, value in prov["columns"].items()]
    settings += [(key, setting_text(value)) for key, value in prov["options"].items()]
    return Section(
        "provenance",
        "Provenance",
        "What this report was built from, so that it can be checked and rebuilt.",
        {"settings": settings},
    )


def attach_thumbnails(
    tables: list[dict[str, Any]], images: ImageLoader
) -> dict[str, dict[str, Any]]:
    """Give every shown row its thumbnail (or why not), in page order; data URIs go to the page."""
    thumbnails: dict[str, dict[str, Any]] = {}
    for table in tables:
        for row in table["rows"]:
            source = row["sample"]
            if source is None:
                row["image"] = None
                continue
            found = images.thumbnail(source)
            if isinstance(found, Thumbnail):
                thumbnails[source] = {
                    "data_uri": found.data_uri,
                    "width": found.width,
                    "height": found.height,
                }
                row["image"] = {"source": source, "shown": True, "reason": None}
            else:
                row["image"] = {"source": source, "shown": False, "reason": found.reason}
    return thumbnails
