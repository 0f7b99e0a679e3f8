"""The bytes of a user's text file: compression, encoding, size limits and control characters.

Every reader of user text (predictions in memory and streamed, tag sheets, playbook, config)
asks this module three things before it parses: is the file gzip (by its bytes, not its
name), what encoding is it in (UTF-8, or a clear refusal), and are its cells and lines within
the documented limits (so that a small compressed file cannot expand into gigabytes).
Control characters that HTML and XML cannot hold are made visible here, in one function.
"""

from __future__ import annotations

import codecs
import gzip
import re
import warnings
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

import numpy as np

from reportgen.errors import InputWarning, ReportgenError

# A text sample may be long (a document, a transcript), but one cell of a megabyte is already
# far beyond what a report shows; a line may hold several such cells.
MAX_CELL_BYTES = 1 << 20
LINE_FACTOR = 8
CHUNK = 1 << 22  # bytes scanned at a time: memory stays bounded whatever the file holds
HEAD = 4096  # bytes looked at to tell the encoding
GZIP_MAGIC = b"\x1f\x8b"

_limit: ContextVar[int] = ContextVar("max_cell_bytes", default=MAX_CELL_BYTES)

# C0 controls and DEL, but not tab, newline or carriage return: XML 1.0 cannot hold them at
# all, and HTML shows them as nothing or as garbage
CONTROL_TEXT = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_RE = re.compile(CONTROL_TEXT)
# the same controls as bytes: a lookup table over 0..255
CONTROL_BYTES = np.zeros(256, dtype=bool)
CONTROL_BYTES[[c for c in range(32) if c not in (9, 10, 13)] + [127]] = True
# each control is shown as its escape, NUL as the four characters \x00: plain ASCII, so every
# font of every figure draws it (DejaVu Sans has no control pictures such as U+2400 '␀')
_ESCAPES = {c: f"\\x{c:02x}" for c in range(0x20) if c not in (9, 10, 13)} | {0x7F: "\\x7f"}


def max_cell_bytes() -> int:
    """The largest cell a reader accepts, in bytes (see --max-cell-bytes)."""
    return _limit.get()


def max_line_bytes() -> int:
    """The longest line (or JSON record) a reader accepts: LINE_FACTOR cells."""
    return _limit.get() * LINE_FACTOR


@contextmanager
def cell_limit(limit: int) -> Iterator[None]:
    """Read with another cell limit inside a with-block (for library use and tests)."""
    token = _limit.set(limit or MAX_CELL_BYTES)
    try:
        yield
    finally:
        _limit.reset(token)


def raised(limit: int) -> str:
    """A limit to suggest when one was hit: sixteen times it, in whole MiB."""
    return f"{-(-limit * 16 // (1 << 20))}MiB"


def limit_text(n: int) -> str:
    """Write a byte count the way the option takes it: 1MiB, 64KiB, 1500 bytes."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n:,} bytes"


# What reading a corrupt gzip raises: zlib.error is not an OSError
GZIP_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error)


def is_gzip(path: Path) -> bool:
    """Tell gzip from plain text by the magic bytes, whatever the file is named."""
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def named_gzip(path: Path) -> bool:
    """Whether the file's name says gzip."""
    return path.name.lower().endswith((".gz", ".gzip"))


def warn(message: str) -> None:
    """Tell the user something was read other than exactly as written (stderr in the CLI)."""
    warnings.warn(message, InputWarning, stacklevel=2)


def check_gzip_name(path: Path, where: str) -> None:
    """Warn when a file is named .gz but is plain text: it is read by its content."""
    if named_gzip(path) and not is_gzip(path):
        warn(
            f"{where}: is named .gz but is not gzip-compressed; it was read as plain text. "
            "Rename it without .gz so that other tools read it too."
        )


# ----------------------------------------------------------------------------- encoding


def sniff_encoding(
    head: bytes, where: str, *, utf16_bom_ok: bool = False, sheet: bool = True
) -> str:
    """Return the codec to read a text file with, or refuse one that is not UTF-8.

    UTF-8 with or without a byte-order mark is read ('utf-8-sig'). UTF-16 with a byte-order
    mark is read only where utf16_bom_ok (tag sheets: Excel's 'Unicode Text'); UTF-32, and
    UTF-16 without a mark (found by its NUL bytes), are refused with what the file looks like.
    sheet: the file is a table a spreadsheet may have saved (the advice names its menu item).
    """
    save = (
        "Save it as UTF-8"
        + (" (spreadsheets call it 'CSV UTF-8')" if sheet else "")
        + ", or convert it, for example with 'iconv -f {enc} -t utf-8'."
    )
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise ReportgenError(
            f"{where}: is UTF-32 text (it starts with a UTF-32 byte-order mark); reportgen "
            "reads UTF-8. " + save.format(enc="utf-32")
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if utf16_bom_ok:
            return "utf-16"
        raise ReportgenError(
            f"{where}: is UTF-16 text (it starts with a UTF-16 byte-order mark); reportgen "
            "reads UTF-8 here. " + save.format(enc="utf-16")
        )
    looks = looks_like(head)
    if looks is not None:
        raise ReportgenError(
            f"{where}: looks like {looks} text without a byte-order mark (NUL bytes between "
            "its first characters), not UTF-8, which reportgen reads. "
            + save.format(enc=looks.split()[0].lower() + looks.split()[1][1].upper() + "E")
        )
    return "utf-8-sig"


def looks_like(head: bytes) -> str | None:
    """Name the wide encoding a start of text without a byte-order mark looks like, if any.

    Text in UTF-16 is mostly ASCII with a NUL beside each character; a UTF-8 file with a few
    NUL bytes in a label does not look like that.
    """
    data = np.frombuffer(head[: len(head) // 4 * 4], dtype=np.uint8)
    if len(data) < 8:
        return None
    zero = data == 0
    if zero.mean() < 0.3:
        return None
    quads = zero.reshape(-1, 4)
    if quads[:, 1:].all(axis=1).mean() > 0.6 and not quads[:, 0].any():
        return "UTF-32 (little-endian)"
    if quads[:, :3].all(axis=1).mean() > 0.6 and not quads[:, 3].any():
        return "UTF-32 (big-endian)"
    odd, even = zero[1::2].mean(), zero[0::2].mean()
    if odd > 0.6 and even < 0.1:
        return "UTF-16 (little-endian)"
    if even > 0.6 and odd < 0.1:
        return "UTF-16 (big-endian)"
    return None


def check_text_head(path: Path, where: str) -> None:
    """Refuse a text file (plain or gzip) that is not UTF-8, from its first bytes."""
    try:
        with open_bytes(path) as fh:
            head = fh.read(HEAD)
    except GZIP_ERRORS:
        return  # a corrupt gzip: the reader says so in its own words
    sniff_encoding(head, where)


def open_bytes(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, decompressing it when its content is gzip."""
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


# ----------------------------------------------------------------------------- controls


def visible(text: str) -> str:
    """Show each control character of a text as its escape (NUL as the text \\x00)."""
    return text.translate(_ESCAPES)


def has_controls(text: str) -> bool:
    """Whether a text holds a control character that HTML and XML cannot show."""
    return _CONTROL_RE.search(text) is not None


def show_controls(frame: Any, where: str, together: Iterable[str] = ()) -> dict[str, int]:
    """Show control characters in every text column of a DataFrame as control pictures.

    Changes the frame in place and returns, per column, how many cells changed. Columns in
    `together` (the true and predicted labels) share one set of values. A changed value that
    equals one written with the picture itself ('a' NUL and 'a␀') is refused, not merged.
    """
    import pandas as pd

    counts: dict[str, int] = {}
    new_values: dict[str, set[str]] = {}
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = values.cat.categories
            if pd.api.types.is_numeric_dtype(categories.dtype):
                continue
            if not _may_hold_controls(pd.Series(categories)):
                continue
            text = pd.Series(categories, dtype="object")
            hit = text.map(lambda v: isinstance(v, str) and has_controls(v)).to_numpy(bool)
            if not hit.any():
                continue
            counts[name] = int(np.isin(values.cat.codes.to_numpy(), np.flatnonzero(hit)).sum())
            changed = {v: visible(v) for v in text[hit]}
            new_values[name] = set(changed.values())
            _refuse_clash(name, changed, text[~hit], where)
            frame[name] = values.cat.rename_categories(
                [changed.get(v, v) if isinstance(v, str) else v for v in categories]
            )
        elif pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_object_dtype(
            values.dtype
        ):
            if not _may_hold_controls(values):
                continue
            try:  # vectorised, and only for a column that holds one
                found = values.str.contains(CONTROL_TEXT, regex=True, na=False)
            except (AttributeError, TypeError):  # an object column without strings
                found = values.map(lambda v: isinstance(v, str) and has_controls(v))
            mask = found.fillna(False).to_numpy(bool)
            if not mask.any():
                continue
            counts[name] = int(mask.sum())
            changed = {v: visible(v) for v in values[mask]}
            new_values[name] = set(changed.values())
            _refuse_clash(name, changed, values[~mask], where)
            fixed = values.astype("object").copy()
            fixed[mask] = [changed[v] for v in values[mask]]
            frame[name] = fixed.astype(values.dtype)
    # the labels of both columns are one set of classes: 'a' NUL in one, 'a␀' in the other
    pair = [c for c in together if c in frame.columns]
    for name in pair:
        for other in pair:
            if other != name and name in new_values:
                clash = frame[other].isin(list(new_values[name])).to_numpy(bool)
                if clash.any() and other not in counts:
                    value = frame[other][clash].iloc[0]
                    _refuse_clash(name, {value: value}, pd.Series([value]), where)
    return counts


def _may_hold_controls(values: Any) -> bool:
    """Whether a text column may hold a control character, from its bytes at memchr speed.

    Arrow-backed strings are looked at in their data buffers (a control character is one
    byte in UTF-8, never part of another character); other columns as one joined text.
    """
    arrow = getattr(values.array, "_pa_array", None)
    if arrow is None:
        try:
            joined = "".join(values.dropna().tolist())
        except TypeError:  # not all text: look at the texts one by one
            joined = "".join(v for v in values if isinstance(v, str))
        return has_controls(joined)
    for chunk in getattr(arrow, "chunks", [arrow]):
        buffers = chunk.buffers()
        data = buffers[2] if len(buffers) > 2 else None
        if data is None:
            continue
        view = np.frombuffer(data, dtype=np.uint8)
        if np.count_nonzero(view < 32) and bool(CONTROL_BYTES[view].any()):
            return True  # below space and not only tabs and line ends
        if np.count_nonzero(view == 127):
            return True
    return False


def _refuse_clash(column: str, changed: dict[str, str], others: Any, where: str) -> None:
    """Refuse when a value made visible equals a value the file holds already, or another."""
    from reportgen.errors import quoted

    shown = set(changed.values())
    if len(shown) < len(changed):
        seen: dict[str, str] = {}
        for before, after in changed.items():
            if after in seen:
                raise ReportgenError(
                    f"{where}: column '{column}' holds {quoted(seen[after])} and "
                    f"{quoted(before)}, which read as one value once their control characters "
                    "are shown as escapes. Remove the control characters."
                )
            seen[after] = before
    found = others[others.isin(list(shown))] if len(shown) else others[:0]
    if len(found) == 0:
        return
    same = str(found.iloc[0])
    original = next((k for k, v in changed.items() if v == same), same)
    raise ReportgenError(
        f"{where}: column '{column}' holds {quoted(original)} (with a control character) and "
        f"'{same}'; control characters are shown as escapes (NUL as \\x00), so the two "
        "would read as one value. Remove the control characters, or rename one of the values."
    )


def warn_controls(counts: dict[str, int], where: str) -> None:
    """Warn once per file about the cells whose control characters were made visible."""
    if not counts:
        return
    parts = ", ".join(
        f"'{visible(c)}' ({n:,} {'cell' if n == 1 else 'cells'})" for c, n in counts.items()
    )
    warn(
        f"{where}: control characters (such as NUL) in column{'s' if len(counts) > 1 else ''} "
        f"{parts} are shown as escapes (NUL as \\x00, ESC as \\x1b); a web page or XML file "
        "cannot hold them as they are."
    )


def refuse_controls(data: Any, where: str, place: str = "") -> None:
    """Refuse a control character in any text of a parsed TOML file (config, playbook).

    TOML lets one be written as an escape ("\\u0000"); a hand-written file has no use for
    one, and the page and XML outputs cannot hold it. The place is named as
    'reportgen.toml [build] title' or 'playbook.toml [entry] #2 name'.
    """
    from reportgen.errors import quoted

    if isinstance(data, str) and has_controls(data):
        raise ReportgenError(
            f"{where}{place}: the text {quoted(data)} holds a control character, which a web "
            "page or XML file cannot hold; remove it."
        )
    if isinstance(data, dict):
        for key, value in data.items():
            refuse_controls(key, where, place)
            refuse_controls(value, where, f"{place} {key}" if place else f" [{key}]")
    elif isinstance(data, list):
        for i, value in enumerate(data, start=1):
            refuse_controls(value, where, f"{place} #{i}")
