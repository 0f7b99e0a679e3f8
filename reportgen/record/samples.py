"""Sample tables as record blocks: each shown row with its tags and its image, built once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, cast

from reportgen.analysis.samples import ConfusionStrip, SampleRow, SampleTable
from reportgen.deliver.budget import sample_tables
from reportgen.read.images import ImageLoader, Thumbnail
from reportgen.record.classification_types import ConfusionStripBlock
from reportgen.record.types import ImageBlock, PageThumbnail, SampleRowBlock, SampleTableBlock


@dataclass(frozen=True)
class RowExtras:
    """What a shown row gains beside its cells: its tags as written, and its thumbnail.

    Tables are built in page order, so that the image loader's byte budget goes to the rows
    shown first. The record says whether each image is shown; the data URIs stay in the
    loader, for page_thumbnails.
    """

    tags: Callable[[int], list[str]] | None = None  # file row number -> tags as written
    images: ImageLoader | None = None

    def image(self, source: str | None) -> ImageBlock | None:
        """Load a row's thumbnail, and say whether it is shown (or why not)."""
        if source is None or self.images is None:
            return None
        found = self.images.thumbnail(source)
        if isinstance(found, Thumbnail):
            return {"source": source, "shown": True, "reason": None}
        return {"source": source, "shown": False, "reason": found.reason}


def page_thumbnails(
    record: Mapping[str, Any], images: ImageLoader | None
) -> dict[str, PageThumbnail]:
    """The data URIs of the thumbnails a record's rows show, for the page (not the record)."""
    out: dict[str, PageThumbnail] = {}
    if images is None:
        return out
    for table in sample_tables(record):
        for row in table["rows"]:
            image = row.get("image")
            if isinstance(image, dict) and image["shown"]:
                # loaded while the rows were built: the loader hands back the same thumbnail
                found = images.thumbnail(image["source"])
                assert isinstance(found, Thumbnail)
                out[image["source"]] = {
                    "data_uri": found.data_uri,
                    "width": found.width,
                    "height": found.height,
                }
    return out


def _row(row: SampleRow, extras: RowExtras | None) -> SampleRowBlock:
    block = cast(SampleRowBlock, asdict(row))
    if extras is not None and extras.tags is not None:
        block["tags"] = extras.tags(row.row)
    if extras is not None and extras.images is not None:
        block["image"] = extras.image(row.sample)
    return block


def samples_block(samples: SampleTable, extras: RowExtras | None = None) -> SampleTableBlock:
    """Describe a sample table as plain JSON data, each row with its tags and image."""
    return {
        "total": samples.total,
        "shown": samples.shown,
        "seed": samples.seed,
        "sample_column": samples.sample_column,
        "columns": list(samples.extra_columns),
        "rows": [_row(r, extras) for r in samples.rows],
    }


def strip_block(strip: ConfusionStrip, extras: RowExtras | None = None) -> ConfusionStripBlock:
    """Describe one confusion's examples as plain JSON data."""
    return {
        "true": strip.true,
        "pred": strip.pred,
        "count": strip.count,
        "errors": samples_block(strip.errors, extras),
        "true_example": samples_block(strip.true_example, extras),
        "pred_example": samples_block(strip.pred_example, extras),
    }
