"""The cache of measured picture properties: one JSON file per image root, keyed by file.

The file is `image-properties-<16 hex digits of the SHA-256 of the resolved root>.json` in
`$XDG_CACHE_HOME/reportgen/` (else `~/.cache/reportgen/`), or in the folder given as
`cache=`. An entry is keyed by the path relative to the root and holds the file's size and
st_mtime_ns: a picture whose size or mtime changed is measured again. Refusals of a file
that could be read (not an image, damaged, too many pixels) are cached too; a missing file
is not. The file is written atomically (a temporary file in the same folder, then
os.replace) and only when something new was measured; a corrupt file, or one of another
format, version, measure size or root, is ignored and rewritten, and so is an entry of the
wrong shape. `cache=False` turns it off; a cache that cannot be written is left alone (the
numbers are the same without it).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from reportgen.analysis.image_properties import MEASURE_SIDE, PictureProperties
from reportgen.read.images import DAMAGED, NOT_AN_IMAGE, SVG, TOO_MANY_PIXELS, ImageProblem

CACHE_FORMAT = "reportgen-image-properties"
CACHE_VERSION = 1  # bump when a measure's definition changes: old entries are then ignored
COLUMNS = (
    "width",
    "height",
    "aspect_ratio",
    "sharpness",
    "brightness",
    "contrast",
    "underexposure",
    "overexposure",
)


def default_cache_folder() -> Path:
    """$XDG_CACHE_HOME/reportgen, else ~/.cache/reportgen."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "reportgen"


def cache_file(root: Path, folder: Path) -> Path:
    """The cache file of one (resolved) image root in a cache folder."""
    digest = hashlib.sha256(str(root).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return folder / f"image-properties-{digest}.json"


def cacheable(result: PictureProperties | ImageProblem) -> bool:
    """Measures and refusals of the file's content are cached; reading failures are not."""
    if isinstance(result, PictureProperties):
        return True
    return result.reason in (NOT_AN_IMAGE, DAMAGED, TOO_MANY_PIXELS, SVG)


def to_entry(result: PictureProperties | ImageProblem) -> list[Any]:
    if isinstance(result, ImageProblem):
        return [None, result.reason, result.detail]
    values = [getattr(result, name) for name in COLUMNS]
    return [f"{result.dhash:016x}", *values]


def from_entry(source: str, entry: list[Any]) -> PictureProperties | ImageProblem:
    if entry[0] is None:
        return ImageProblem(source, str(entry[1]), str(entry[2]))
    values = dict(zip(COLUMNS, entry[1:], strict=True))
    return PictureProperties(
        width=int(values["width"]),
        height=int(values["height"]),
        aspect_ratio=float(values["aspect_ratio"]),
        sharpness=float(values["sharpness"]),
        brightness=float(values["brightness"]),
        contrast=float(values["contrast"]),
        underexposure=float(values["underexposure"]),
        overexposure=float(values["overexposure"]),
        dhash=int(entry[0], 16),
    )


def valid_entry(entry: object) -> bool:
    """An entry as _to_entry writes it, behind [size, mtime_ns]: anything else is dropped."""
    if not isinstance(entry, list) or len(entry) < 3:
        return False
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in entry[:2]):
        return False
    body = entry[2:]
    if body[0] is None:
        return len(body) == 3 and all(isinstance(v, str) for v in body[1:])
    if not isinstance(body[0], str) or len(body[0]) != 16 or len(body) != len(COLUMNS) + 1:
        return False
    try:
        int(body[0], 16)
    except ValueError:
        return False
    numbers = body[1:]
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in numbers
    )


def load_cache(path: Path | None, root: Path) -> tuple[dict[str, list[Any]], bool]:
    """The cache's entries, and whether the file must be rewritten (corrupt or foreign)."""
    if path is None:
        return {}, False
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, False
    except (OSError, UnicodeDecodeError):
        return {}, True
    try:
        data = json.loads(text)
    except ValueError:
        return {}, True
    if not (
        isinstance(data, dict)
        and data.get("format") == CACHE_FORMAT
        and data.get("version") == CACHE_VERSION
        and data.get("measure_side") == MEASURE_SIDE
        and data.get("root") == str(root)
        and isinstance(data.get("entries"), dict)
    ):
        return {}, True
    entries = {k: v for k, v in data["entries"].items() if isinstance(k, str) and valid_entry(v)}
    return entries, len(entries) != len(data["entries"])


def write_cache(path: Path, root: Path, entries: dict[str, list[Any]]) -> None:
    """Write the cache atomically; a folder that cannot be written leaves it unwritten."""
    payload = {
        "format": CACHE_FORMAT,
        "version": CACHE_VERSION,
        "measure_side": MEASURE_SIDE,
        "root": str(root),
        "entries": dict(sorted(entries.items())),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, separators=(",", ":"))
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
