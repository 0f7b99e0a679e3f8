"""Read a JSON Lines prediction file whole, and explain the first line that is not an object."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen.errors import ReportgenError, quoted
from reportgen.read.readers import binary_lines, clean_name, compression_of, not_utf8, read_error


def read_jsonl(path: Path, where: str) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise ReportgenError(
            f"{where}: the file is empty (0 bytes); expected one JSON object per line."
        )
    try:
        frame = pd.read_json(
            path, lines=True, dtype=False, compression=compression_of(path), encoding="utf-8-sig"
        )
    except UnicodeDecodeError as exc:
        raise not_utf8(path, where, exc) from exc
    except Exception as exc:
        raise _jsonl_problem(path, where) or read_error(where, "jsonl", exc) from exc
    if frame.shape[1] == 0:
        raise ReportgenError(f"{where}: the file is empty; expected one JSON object per line.")
    problem = _jsonl_problem(path, where, quick=True)
    if problem is not None:
        raise problem
    frame.columns = [clean_name(str(c)) for c in frame.columns]
    return frame


def _jsonl_problem(path: Path, where: str, *, quick: bool = False) -> ReportgenError | None:
    """Find the first line that is not a JSON object (quick: look at the first line only)."""
    try:
        for number, raw in enumerate(binary_lines(path), start=1):
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
            if not line:
                continue
            doubled: list[str] = []

            def keys_once(pairs: list[tuple[str, Any]], doubled: list[str] = doubled) -> Any:
                # the outermost object is hooked last: its repeated keys are what stays here
                seen: set[str] = set()
                doubled[:] = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
                return dict(pairs)

            try:
                value = json.loads(line, object_pairs_hook=keys_once)
            except json.JSONDecodeError as exc:
                return ReportgenError(
                    f"{where}: line {number} is not valid JSON ({exc.msg} at character "
                    f"{exc.colno}). JSON Lines files hold one JSON object per line."
                )
            except RecursionError:  # thousands of '[' run the decoder out of stack
                return ReportgenError(
                    f"{where}: line {number} nests arrays or objects too deeply to read. JSON "
                    'Lines files hold one flat object per line, such as {"y_true": "cat", '
                    '"y_pred": "dog"}.'
                )
            if not isinstance(value, dict):
                return ReportgenError(
                    f"{where}: line {number} holds {_json_kind(value)}, not an object; "
                    'JSON Lines files hold one object per line, such as {"y_true": "cat", '
                    '"y_pred": "dog"}.'
                )
            if doubled:
                # json.loads keeps the last value and pandas another: refuse, as for a header
                return ReportgenError(
                    f"{where}: line {number} gives the key {quoted(doubled[0])} more than once "
                    "in one object; which value was meant cannot be told. Write each key once "
                    "per line."
                )
            if quick:
                return None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None
    return None


def _json_kind(value: Any) -> str:
    """Name a parsed JSON value the way JSON does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"
