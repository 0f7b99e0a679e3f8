"""The built report: its final record, and the page made from it."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from reportgen.deliver.budget import DEFAULT_MAX_BYTES
from reportgen.deliver.files import write_atomic
from reportgen.record.blocks import dumps
from reportgen.record.frozen import freeze
from reportgen.record.types import PageThumbnail, RecordBase
from reportgen.render import Section

# the record's kind (ClassificationRecord, RegressionRecord); covariant: a Report of either is a
# Report[RecordBase], what the code shared by kinds takes
R = TypeVar("R", bound=RecordBase, covariant=True)


@dataclass(frozen=True)
class _Final(Generic[R]):
    """The page under its budget, and the sealed record it embeds."""

    page: str
    record: R


class Report(Generic[R]):
    """A built report: the record, and the HTML made from it.

    The page is rendered, cut to `max_bytes` and sealed once, the first time the record or the
    page is asked for; `record` is that final record (with its `budget` block and seals), the
    same value every time, and read-only: `copy.deepcopy(report.record)` gives one to edit.
    The record's type is its kind's, for a type checker: `build_report` decides the kind from
    the data, so it returns `Report[Any]`, and `report: Report[ClassificationRecord] =
    build_report(...)` has every key of `report.record` checked.
    """

    def __init__(
        self,
        record: R,
        figures: dict[str, str],
        sections: list[Section],
        thumbnails: Mapping[str, PageThumbnail] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        pictures_first: bool = False,
    ) -> None:
        # a frozen copy: the caller's dict may change later, this report's never does
        self._built: R = freeze(record)
        self._figures = figures
        self._sections = sections
        self._thumbnails = dict(thumbnails or {})
        self._max_bytes = max_bytes
        self._pictures_first = pictures_first  # the budget cuts pictures before rows
        self._final: _Final[R] | None = None

    @property
    def max_bytes(self) -> int:
        """The page's size budget in bytes (0: none)."""
        return self._max_bytes

    @property
    def record(self) -> R:
        """The final record: what the page embeds and --json writes."""
        return self._finish().record

    def with_max_bytes(self, max_bytes: int) -> Report[R]:
        """The same report under another size budget (the analysis is not run again)."""
        return Report(
            self._built,
            self._figures,
            self._sections,
            self._thumbnails,
            max_bytes=max_bytes,
            pictures_first=self._pictures_first,
        )

    def _finish(self) -> _Final[R]:
        """Render under the budget and seal, once."""
        if self._final is None:
            from reportgen.deliver.archive import seal
            from reportgen.deliver.budget import fit
            from reportgen.render import render_html

            def render(record: RecordBase, thumbnails: dict[str, PageThumbnail]) -> str:
                # sealed, so that the budget counts the seals' bytes too
                page = render_html(
                    record, self._sections, figures=self._figures, thumbnails=thumbnails
                )
                return seal(page, record)[0]

            fitted = fit(
                render,
                self._built,
                self._thumbnails,
                self._max_bytes,
                pictures_first=self._pictures_first,
            )
            # the page's digest leaves out the embedded record: sealing the sealed page again
            # gives the same page, and the sealed record to keep
            page, sealed = seal(fitted.page, fitted.record)
            self._final = _Final(page, freeze(sealed))
        return self._final

    def to_html(self) -> str:
        """Render the self-contained HTML page."""
        return self._finish().page

    def to_json(self) -> str:
        """Serialise the sealed record (what --json writes and the page embeds)."""
        return dumps(self.record)

    def save(
        self, path: str | os.PathLike[str], *, json_path: str | os.PathLike[str] | None = None
    ) -> None:
        """Write the HTML (and optionally the JSON record) atomically."""
        page = self.to_html()
        if json_path is not None:
            write_atomic(json_path, self.to_json())
        write_atomic(path, page)

    def _repr_html_(self) -> str:
        # an iframe keeps the report's styles from leaking into the notebook
        return (
            '<iframe title="reportgen report" '
            'style="width:100%;height:640px;border:1px solid #ccc" '
            f'srcdoc="{html.escape(self.to_html(), quote=True)}"></iframe>'
        )
