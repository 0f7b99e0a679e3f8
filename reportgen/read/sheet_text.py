"""A tag sheet's text: its bytes read within the limits, a workbook refused, the encoding told."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from reportgen.errors import ReportgenError
from reportgen.read.scan import chunk_size, scan_chunks
from reportgen.read.textin import HEAD, open_bytes, sniff_encoding

_WORKBOOKS = {
    b"PK\x03\x04": "a zipped workbook (.xlsx or .ods)",
    b"\xd0\xcf\x11\xe0": "an old-style Excel workbook (.xls)",
}


def sheet_text(path: Path, where: str) -> str:
    """Read a tag sheet's file as text."""
    return _decode(_read_bytes(path, where), where)


def _read_bytes(path: Path, where: str) -> bytes:
    """Read the sheet's bytes, refusing a workbook by its magic bytes."""
    if not path.exists():
        raise ReportgenError(f"{where}: no such file. Check the path.")
    if path.is_dir():
        raise ReportgenError(f"{where}: is a folder, not a tag sheet.")
    try:
        with path.open("rb") as fh:
            start = fh.read(4)
        # a workbook is named before its bytes are read as lines of text
        for magic, kind in _WORKBOOKS.items():
            if start.startswith(magic):
                raise ReportgenError(
                    f"{where}: is {kind}, not a CSV file. Save the sheet as 'CSV UTF-8 (Comma "
                    "delimited)' (Excel) or 'Text CSV' with UTF-8 (LibreOffice) and pass that "
                    "file."
                )
        return _bounded_bytes(path, where)
    except OSError as exc:
        raise ReportgenError(f"{where}: cannot be read ({exc.strerror}).") from exc


def _bounded_bytes(path: Path, where: str) -> bytes:
    """Read the sheet (gunzipped when its content is gzip), refusing a line over the limit."""
    parts: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        with open_bytes(path) as fh:
            for chunk in iter(lambda: fh.read(chunk_size()), b""):
                parts.append(chunk)
                yield chunk

    try:
        # lines only: the delimiter is not known yet; the csv reader bounds each cell
        scan_chunks(chunks(), "jsonl", where)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ReportgenError(f"{where}: is a damaged gzip file ({exc}).") from exc
    return b"".join(parts)


def _decode(data: bytes, where: str) -> str:
    """Decode the sheet: UTF-8, or UTF-16 with a byte-order mark."""
    # UTF-16 with a byte-order mark is Excel's 'Unicode Text' (tabs): read; UTF-32, and
    # UTF-16 without a mark, are refused with what the file looks like
    encoding = sniff_encoding(data[:HEAD], where, utf16_bom_ok=True)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":
            raise ReportgenError(
                f"{where}: starts like UTF-16 text but cannot be read as such. Save the sheet "
                "as 'CSV UTF-8 (Comma delimited)'."
            ) from exc
        line = data[: exc.start].count(b"\n") + 1
        raise ReportgenError(
            f"{where}: is not UTF-8 text: line {line} has the byte 0x{data[exc.start]:02x}, "
            "which UTF-8 does not allow there. Save the sheet as 'CSV UTF-8 (Comma "
            "delimited)' in Excel, or with the character set UTF-8 in LibreOffice."
        ) from exc
    if text.strip() == "":
        raise ReportgenError(f"{where}: the file is empty; expected a header and one row per id.")
    return text
