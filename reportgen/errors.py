"""The project's own error type, and how messages show the values a user wrote.

A message echoes a value as the user wrote it: 75.04, not np.float64(75.04); 3, not 3.0 when a
column of whole numbers was read as floats; 'cat', not "np.str_('cat')". Messages format values
with `as_written` (bare) or `quoted` ('in quotes'), never with !r or repr().
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# control characters are made visible, so that a stray newline cannot hide in a message
_VISIBLE = {c: f"\\x{c:02x}" for c in range(32)} | {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
    0x7F: "\\x7f",
}


class ReportgenError(Exception):
    """Bad input or usage; the message is one readable paragraph (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputWarning(UserWarning):
    """The input was read, but not exactly as written (the CLI prints it on stderr)."""


def format_rows(rows: list[int], *, limit: int = 5) -> str:
    """Describe 1-based row numbers as 'row 4' or 'rows 4, 78, 151, ... (first 5 shown)'."""
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) == 1:
        return f"row {shown}"
    more = f", … (first {limit} of {len(rows)})" if len(rows) > limit else ""
    return f"rows {shown}{more}"


def as_written(value: Any) -> str:
    """Write a value as its user wrote it: numbers plainly, whole floats as integers, text as is.

    Numpy and pandas scalars count as the Python values they hold; lists and mappings show
    their items the same way.
    """
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        dtype = getattr(value, "dtype", None)
        if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
            return str(value)  # a float32 reads back from numpy's own shortest text
        value = item()  # a numpy scalar: its Python value
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)  # the shortest text that reads back as the same number
    if isinstance(value, str):
        return value.translate(_VISIBLE)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(quoted(v) for v in items) + "]"
    return str(value).translate(_VISIBLE)


def quoted(value: Any) -> str:
    """Write a value as `as_written` does, text in single quotes: 'cat', 3, 0.5."""
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    if isinstance(value, str):
        return f"'{as_written(value)}'"
    return as_written(value)
