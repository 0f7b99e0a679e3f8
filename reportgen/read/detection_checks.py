"""Checks shared by the detection readers: refusal messages, box and id checks, vectorised.

Every refusal names the file, the first few offending records and how many there are:
"results.json: 3 detections name image ids the ground truth does not list: record 12
(image_id 999), record 40 (image_id 1000), record 41 (image_id 1000)." A record is a 1-based
position in file order ("record 12" in a JSON list, "a.txt line 3" in a YOLO or VOC folder,
"a.xml object 2" in a VOC XML file).

Box rules (x, y, w, h in pixels):

- every number finite, and w > 0 and h > 0;
- ground truth: no edge more than EDGE_TOLERANCE (1 px) beyond its image (rounding in
  conversions puts real boxes a fraction of a pixel out; more is a wrong image size or a
  wrong box);
- detections: not entirely outside the image (no overlap with it). Detectors such as DETR
  do not clip their boxes to the image and COCOeval scores them as they are, so a box that
  only reaches past an edge is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from reportgen.errors import ReportgenError, as_written, quoted

SHOWN = 3  # offending records named in a message
EDGE_TOLERANCE = 1.0  # pixels a ground-truth box may reach beyond its image


@dataclass(frozen=True)
class Places:
    """How to name record i of a side: 'record 12', or 'labels/a.txt line 3'."""

    files: Sequence[str] | None = None  # per record, the file it is in (folders)
    lines: np.ndarray | None = None  # per record, its line or object number in that file
    unit: str = "line"  # "line" or "object"

    def name(self, i: int) -> str:
        if self.files is None or self.lines is None:
            return f"record {i + 1}"
        return f"{self.files[i]} {self.unit} {int(self.lines[i])}"


def refuse(
    where: str,
    bad: np.ndarray,
    noun: str,
    what: str,
    places: Places,
    value: Callable[[int], str] | None = None,
    advice: str = "",
    one: str = "",
) -> NoReturn:
    """Raise for the records in `bad` (a mask or indices): count, first few, their values.

    `what` is written for several records ("have a box ..."); `one`, when given, for one.
    """
    index = np.flatnonzero(bad) if bad.dtype == bool else np.asarray(bad)
    count = len(index)
    shown = []
    for i in index[:SHOWN].tolist():
        shown.append(places.name(i) + (f" ({value(i)})" if value is not None else ""))
    more = f", … (first {SHOWN} of {count:,})" if count > SHOWN else ""
    nouns = noun if count == 1 else plural(noun)
    verb = what if count != 1 else one or _singular_verb(what)
    tail = f" {advice}" if advice else ""
    raise ReportgenError(f"{where}: {count:,} {nouns} {verb}: {', '.join(shown)}{more}.{tail}")


def plural(noun: str) -> str:
    if noun.endswith("y") and not noun.endswith("ey"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x")) else "s")


def _singular_verb(what: str) -> str:
    # the messages are written in the plural: "name", "have", "lack", "are", "repeat"
    first, _, rest = what.partition(" ")
    singular = {"name": "names", "have": "has", "lack": "lacks", "are": "is", "repeat": "repeats"}
    return f"{singular.get(first, first)} {rest}".strip()


def fail(where: str, message: str) -> NoReturn:
    raise ReportgenError(f"{where}: {message}")


# ----------------------------------------------------------------------------- values


def numbers(values: list[Any]) -> np.ndarray | None:
    """A list of JSON numbers as a float array; None when any is not a number (or is a bool)."""
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):
        return None
    if array.dtype.kind not in "iuf" or array.ndim != 1:
        return None
    if bool in set(map(type, values)):  # numpy reads true as 1 beside numbers
        return None
    return array.astype(float)


def integers(values: list[Any]) -> np.ndarray | None:
    """A list of JSON integers (or whole-number floats) as int64; None when any is not."""
    array = numbers(values)
    if array is None or not np.isfinite(array).all() or (array != np.round(array)).any():
        return None
    if len(array) and np.abs(array).max() >= 2.0**53:
        return None
    return array.astype(np.int64)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    return (
        is_number(value)
        and bool(np.isfinite(value))
        and float(value).is_integer()
        and abs(value) < 2**53
    )


def show(value: Any) -> str:
    """A value as the user wrote it, text quoted, long text cut."""
    text = quoted(value)
    return text if len(text) <= 60 else text[:57] + "…"


# ----------------------------------------------------------------------------- ids


def check_unique(ids: np.ndarray, where: str, noun: str, field: str, places: Places) -> None:
    """Refuse ids that repeat an earlier record's (the later records are named)."""
    if len(ids) == 0:
        return
    order = np.argsort(ids, kind="stable")
    repeated = np.zeros(len(ids), dtype=bool)
    same = ids[order][1:] == ids[order][:-1]
    repeated[order[1:][same]] = True
    if repeated.any():
        refuse(
            where,
            repeated,
            noun,
            f"repeat the {field} of an earlier record",
            places,
            lambda i: f"{field} {as_written(ids[i])}",
            f"Each {noun} needs its own {field}.",
        )


def lookup(ids: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each id is in `known` (unique ids), and which ids are not there at all."""
    order = np.argsort(known, kind="stable")
    sorted_known = known[order]
    at = np.searchsorted(sorted_known, ids)
    at = np.minimum(at, max(len(known) - 1, 0))
    found = (sorted_known[at] == ids) if len(known) else np.zeros(len(ids), dtype=bool)
    index = order[at] if len(known) else np.zeros(len(ids), dtype=np.int64)
    return index, ~found


# ----------------------------------------------------------------------------- boxes


def check_boxes(
    box: np.ndarray,
    width: np.ndarray,
    height: np.ndarray,
    where: str,
    noun: str,
    places: Places,
    *,
    ground_truth: bool,
    advice: str = "Check the image sizes and that boxes are x, y, width, height in pixels.",
) -> None:
    """Refuse non-finite numbers, a zero or negative size, and a box outside its image."""
    shown = _box_text(box)
    bad = ~np.isfinite(box).all(axis=1)
    if bad.any():
        refuse(where, bad, noun, "have a box with a number that is not finite", places, shown)
    bad = (box[:, 2] <= 0) | (box[:, 3] <= 0)
    if bad.any():
        refuse(
            where,
            bad,
            noun,
            "have a box of zero or negative width or height",
            places,
            shown,
            "A box is x, y, width, height; both sizes must be above 0.",
        )
    x0, y0 = box[:, 0], box[:, 1]
    x1, y1 = x0 + box[:, 2], y0 + box[:, 3]
    if ground_truth:
        tol = EDGE_TOLERANCE
        bad = (x0 < -tol) | (y0 < -tol) | (x1 > width + tol) | (y1 > height + tol)
        what = f"have a box reaching more than {tol:g} px beyond its image"
    else:
        bad = (x0 >= width) | (y0 >= height) | (x1 <= 0) | (y1 <= 0)
        what = "have a box entirely outside its image"
    if bad.any():
        refuse(
            where,
            bad,
            noun,
            what,
            places,
            lambda i: f"{shown(i)}, image {as_written(width[i])} × {as_written(height[i])}",
            advice,
        )


def _box_text(box: np.ndarray) -> Callable[[int], str]:
    return lambda i: "box [" + ", ".join(as_written(float(v)) for v in box[i]) + "]"


# ----------------------------------------------------------------------------- folders


@dataclass(frozen=True)
class FolderRead:
    """What a YOLO or VOC pair reads into, and the files it read (for the sources)."""

    ground_truth: Any  # analysis.detection.GroundTruth
    detections: Any  # analysis.detection.Detections
    gt_ids: np.ndarray
    categories: dict[int, str]
    images: Any  # pd.DataFrame
    gt_files: list[Path]
    dt_files: list[Path]


@dataclass(frozen=True)
class Lines:
    """The fields of every non-empty line of some text files, with where each line is."""

    tokens: list[str]  # count fields a line, line after line
    count: int
    file_index: np.ndarray  # (n,) int: which file each line is in
    places: Places

    def __len__(self) -> int:
        return len(self.file_index)

    def column(self, j: int) -> list[str]:
        return self.tokens[j :: self.count]

    def line(self, i: int) -> list[str]:
        return self.tokens[i * self.count : (i + 1) * self.count]


def text_of(path: Path, where: str) -> str:
    """A small text file of a folder, UTF-8 (a byte-order mark allowed)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(
            f"{where}/{path.name}" if where else path.name,
            f"is not UTF-8 text (byte 0x{data[exc.start : exc.start + 1].hex()} at byte "
            f"{exc.start + 1:,}).",
        )


def read_lines(files: list[Path], where: str, count: int, noun: str, layout: str) -> Lines:
    """Split every non-empty line of the files into fields; refuse lines of another length.

    A file of well-formed lines (count fields each, no blank line) is checked by one regular
    expression and split in one call; any other file is split line by line.
    """
    tokens: list[str] = []
    index: list[int] = []
    names: list[str] = []
    numbers_: list[int] = []
    wrong: list[int] = []
    shape = re.compile(r"(?:[ \t]*\S+(?:[ \t]+\S+){" + str(count - 1) + r"}[ \t]*\r?\n)*")
    for k, path in enumerate(files):
        text = text_of(path, where)
        if text and not text.endswith("\n"):
            text += "\n"
        if shape.fullmatch(text):
            parts = text.split()
            kept = list(range(1, len(parts) // count + 1))
        else:
            split = [line.split() for line in text.splitlines()]
            kept = [no for no, fields in enumerate(split, start=1) if fields]
            split = [fields for fields in split if fields]
            start = len(index)
            wrong.extend(start + j for j, fields in enumerate(split) if len(fields) != count)
            # a wrong line is padded or cut to count fields, only to keep the layout
            parts = [f for fields in split for f in (fields + [""] * count)[:count]]
        tokens.extend(parts)
        index.extend([k] * len(kept))
        names.extend([path.name] * len(kept))
        numbers_.extend(kept)
    places = Places(files=names, lines=np.asarray(numbers_, dtype=np.int64))
    if wrong:
        lengths = _lengths(files, wrong, index, numbers_, where)
        refuse(
            where,
            np.asarray(wrong),
            noun,
            f"are on lines without {count} fields ({layout})",
            places,
            lambda i: f"{lengths[i]} fields",
            one=f"is on a line without {count} fields ({layout})",
        )
    return Lines(tokens, count, np.asarray(index, dtype=np.int64), places)


def _lengths(
    files: list[Path], wrong: list[int], index: list[int], numbers_: list[int], where: str
) -> dict[int, int]:
    """The field counts of the first few wrong lines, read again for the message."""
    out = {}
    for i in wrong[:SHOWN]:
        lines = text_of(files[index[i]], where).splitlines()
        out[i] = len(lines[numbers_[i] - 1].split())
    return out


def to_floats(lines: Lines, columns: range, where: str, noun: str) -> np.ndarray:
    """Some fields of every line as floats, (n, len(columns)); refuse lines with a non-number."""
    try:
        return np.column_stack([np.array(lines.column(j), dtype=float) for j in columns]).reshape(
            len(lines), len(columns)
        )
    except ValueError:
        bad = np.array(
            [not _parses([lines.line(i)[j] for j in columns]) for i in range(len(lines))],
            dtype=bool,
        )
        if not bad.any():
            bad = np.ones(len(lines), dtype=bool)
        refuse(
            where,
            bad,
            noun,
            "have a field that is not a number",
            lines.places,
            lambda i: " ".join(show(lines.line(i)[j]) for j in columns),
        )


def _parses(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True


def class_list(path: Path, where: str) -> list[str]:
    """A class-name list, one name a line; trailing empty lines are ignored."""
    names = [n.strip() for n in text_of(path, "").splitlines()]
    while names and not names[-1]:
        names.pop()
    empty = [i + 1 for i, n in enumerate(names) if not n]
    if empty:
        fail(where, f"line {empty[0]} of the class list is empty; give one class name a line.")
    if not names:
        fail(where, "the class list is empty; give one class name a line.")
    return names
