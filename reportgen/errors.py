"""The project's own error type: bad input or usage, shown to users without a traceback."""

from __future__ import annotations


class ReportgenError(Exception):
    """Bad input or usage; the message is one readable paragraph (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def format_rows(rows: list[int], *, limit: int = 5) -> str:
    """Describe 1-based row numbers as 'row 4' or 'rows 4, 78, 151, ... (first 5 shown)'."""
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) == 1:
        return f"row {shown}"
    more = f", … (first {limit} of {len(rows)})" if len(rows) > limit else ""
    return f"rows {shown}{more}"
