"""The built report: its record, and the page made from it."""

from __future__ import annotations

import html
import os
from typing import Any

from reportgen.deliver.budget import DEFAULT_MAX_BYTES
from reportgen.deliver.files import write_atomic
from reportgen.record.blocks import dumps
from reportgen.render import Section


class Report:
    """A built report: the record, and the HTML made from it on demand."""

    def __init__(
        self,
        record: dict[str, Any],
        figures: dict[str, str],
        sections: list[Section],
        thumbnails: dict[str, dict[str, Any]] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.record = record
        self.max_bytes = max_bytes
        self._figures = figures
        self._sections = sections
        self._thumbnails = thumbnails or {}
        self._html: str | None = None

    def to_html(self) -> str:
        """Render the self-contained HTML page."""
        from reportgen.deliver.archive import fingerprint

        prov = self.record["provenance"]
        if self._html is None or fingerprint(self.record) != prov.get("fingerprint"):
            from reportgen.deliver.archive import seal
            from reportgen.deliver.budget import fit
            from reportgen.render import render_html

            def render() -> str:
                prov.pop("page_sha256", None)
                prov.pop("fingerprint", None)
                page = render_html(
                    self.record, self._sections, figures=self._figures, thumbnails=self._thumbnails
                )
                return seal(page, self.record)

            self._html = fit(render, self.record, self._thumbnails, self.max_bytes)
        return self._html

    def to_json(self) -> str:
        """Serialise the sealed record (what --json writes and the page embeds)."""
        self.to_html()
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
