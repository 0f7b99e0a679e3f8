"""Comparing what the code makes with what is committed, beyond rounding: the example reports
against their gold files (scrubbed of what varies or is tested elsewhere) and regenerated
example data against the committed files. tests/test_examples.py describes the rules."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

import reportgen
from tests.conftest import ROOT

GOLD = ROOT / "tests" / "gold"
GOLD_REL_TOL = 1e-9
GOLD_ABS_TOL = 1e-12
SHOWN_DIFFERENCES = 30  # at most this many differences are listed in a failure message
STYLESHEET = (ROOT / "templates" / "style.css").read_text(encoding="utf-8")
STYLESHEET_MARKER = "<style>[templates/style.css]</style>"
RECORD = re.compile(r'(<script type="application/json" id="reportgen-data">)(.*?)(</script>)', re.S)


# ---- regenerated example data against the committed files ----------------------------------


def _decimals(text: str) -> int | None:
    """The decimals written in a number ("0.040" -> 3, "12" -> 0), or None if not a number."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _column_kinds(header: list[str], rows: list[list[str]]) -> list[int | None]:
    """Per column: the most decimals its committed numbers are written with, None for text."""
    kinds: list[int | None] = []
    for k in range(len(header)):
        cells = [row[k] for row in rows if row[k] != ""]
        decimals = [_decimals(cell) for cell in cells]
        kinds.append(None if not cells or None in decimals else max(d or 0 for d in decimals))
    return kinds


def _read_csv(path: Path) -> tuple[bool, list[list[str]]]:
    """Whether the file starts with a byte-order mark, and its rows."""
    text = path.read_bytes().decode("utf-8")
    bom = text.startswith("\ufeff")
    return bom, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def csv_differences(committed: Path, regenerated: Path) -> list[str]:
    """What differs between a committed example file and a regenerated one, beyond rounding."""
    bom_a, rows_a = _read_csv(committed)
    bom_b, rows_b = _read_csv(regenerated)
    name = committed.name
    if bom_a != bom_b:
        return [f"{name}: byte-order mark {'kept' if bom_a else 'absent'} in the committed file"]
    if not rows_a or not rows_b or rows_a[0] != rows_b[0]:
        return [f"{name}: columns {rows_a[:1]} committed, {rows_b[:1]} regenerated"]
    header, body_a, body_b = rows_a[0], rows_a[1:], rows_b[1:]
    if len(body_a) != len(body_b):
        return [f"{name}: {len(body_a)} rows committed, {len(body_b)} regenerated"]
    kinds = _column_kinds(header, body_a)
    proba = {
        col.removeprefix("proba_"): k for k, col in enumerate(header) if col.startswith("proba_")
    }
    proba_unit = 10.0 ** -max((kinds[k] or 0 for k in proba.values()), default=0)
    id_col = header.index("id") if "id" in header else None
    problems: list[str] = []
    for r, (a, b) in enumerate(zip(body_a, body_b, strict=True), start=2):
        where = f"{name} line {r}" + (f" (id {a[id_col]})" if id_col is not None else "")
        if len(a) != len(b):
            problems.append(f"{where}: {len(a)} cells committed, {len(b)} regenerated")
            continue
        for k, col in enumerate(header):
            if a[k] == b[k]:
                continue
            decimals = kinds[k]
            if col == "y_pred" and proba:
                # a predicted label may flip only where its two probabilities are a near tie
                if a[k] in proba and b[k] in proba:
                    gap = abs(float(b[proba[a[k]]]) - float(b[proba[b[k]]]))
                    if gap <= 2 * proba_unit + 1e-9:
                        continue
                problems.append(f"{where}: {col} {a[k]!r} committed, {b[k]!r} regenerated")
            elif decimals is None or decimals == 0 or _decimals(b[k]) is None:
                problems.append(f"{where}: {col} {a[k]!r} committed, {b[k]!r} regenerated")
            elif abs(float(a[k]) - float(b[k])) > 10.0**-decimals + 1e-9:
                problems.append(
                    f"{where}: {col} {a[k]} committed, {b[k]} regenerated "
                    f"(tolerance {10.0**-decimals:g}, one unit of the last decimal written)"
                )
    return problems


# ---- reports against gold files ------------------------------------------------------------


def scrub_record(text: str) -> str:
    """Replace what varies between machines in a record: versions, and the hashes over them."""
    text = text.replace(f"reportgen {reportgen.__version__}", "reportgen VERSION")
    text = re.sub(r'"libraries": ?\{[^}]*\}', '"libraries": "…"', text)
    text = re.sub(r'"(fingerprint|page_sha256)": ?"sha256:[0-9a-f]+"', r'"\1": "…"', text)
    return re.sub(r'"total_bytes": ?\d+', '"total_bytes": "…"', text)


def figure_summary(svg: re.Match[str]) -> str:
    """A figure as the words it shows: its title and description, every text it draws (tick,
    axis and legend labels, annotations, one a line) and any aria-label; not its drawing."""
    opening, inner, closing = svg.groups()
    # the size comes from matplotlib's tight layout, which moves by a hair between versions
    opening = re.sub(r'(width|height|viewBox)="[^"]*"', r'\1="…"', opening)
    described = re.match(r".*?(<title\b.*?</title>)\s*(<desc\b.*?</desc>)?", inner, flags=re.S)
    head = "".join(g or "" for g in described.groups()) if described else ""
    texts = [
        " ".join(re.sub(r"<[^>]*>", "", text).split())
        for text in re.findall(r"<text\b[^>]*>(.*?)</text>", inner, flags=re.S)
    ]
    lines = [f"[text] {text}" for text in texts]
    lines += [f"[aria-label] {label}" for label in re.findall(r'aria-label="([^"]*)"', inner)]
    return opening + head + "".join(f"\n{line}" for line in lines) + "\n" + closing


def scrub(page: str) -> str:
    """Replace what legitimately varies or is tested elsewhere: versions, PNG bytes, the
    stylesheet, and each figure's drawing (kept: the words the figure shows)."""
    page = scrub_record(page)
    page = re.sub(r'(<dd class="libraries">).*?(</dd>)', r"\1…\2", page)
    # re-encoded thumbnails depend on the zlib Pillow was built with (tested in test_images)
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,…", page)
    # the stylesheet, when it is exactly templates/style.css (test_report checks the page embeds
    # it): a CSS edit then changes no gold file, while any other stylesheet shows in the diff
    page = page.replace(f"<style>\n{STYLESHEET}\n</style>", STYLESHEET_MARKER, 1)
    # figure drawings change between matplotlib versions and are tested on their matplotlib
    # objects; what a figure says (labels, numbers, title) is compared here
    return re.sub(r"(<svg\b[^>]*>)(.*?)(</svg>)", figure_summary, page, flags=re.S)


def value_differences(gold: Any, now: Any, path: str = "$") -> list[str]:
    """Where two parsed JSON values differ: structure, keys, text, integers and booleans
    exactly, floats beyond GOLD_REL_TOL (or GOLD_ABS_TOL near zero)."""
    if type(gold) is not type(now):
        return [f"{path}: {gold!r} in the gold, {now!r} now"]
    if isinstance(gold, dict):
        if list(gold) != list(now):
            missing, added = [k for k in gold if k not in now], [k for k in now if k not in gold]
            what = f"missing {missing}, added {added}" if missing or added else "order changed"
            return [f"{path}: keys {what}"]
        return [d for k in gold for d in value_differences(gold[k], now[k], f"{path}.{k}")]
    if isinstance(gold, list):
        if len(gold) != len(now):
            return [f"{path}: {len(gold)} items in the gold, {len(now)} now"]
        return [
            d
            for i, (a, b) in enumerate(zip(gold, now, strict=True))
            for d in value_differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(gold, float):
        if (math.isnan(gold) and math.isnan(now)) or math.isclose(
            gold, now, rel_tol=GOLD_REL_TOL, abs_tol=GOLD_ABS_TOL
        ):
            return []
        return [f"{path}: {gold!r} in the gold, {now!r} now"]
    return [] if gold == now else [f"{path}: {gold!r} in the gold, {now!r} now"]


def _split_page(page: str) -> tuple[str, Any]:
    """The page with its embedded record cut out, and the record parsed."""
    match = RECORD.search(page)
    assert match, "no embedded record"
    return page[: match.start(2)] + "…" + page[match.end(2) :], json.loads(match.group(2))


def gold_differences(name: str, expected: str, actual: str) -> list[str]:
    """What differs between a gold file and what the code makes now, beyond float rounding."""
    if name.endswith(".json"):
        return value_differences(json.loads(expected), json.loads(actual))
    text_gold, record_gold = _split_page(expected)
    text_now, record_now = _split_page(actual)
    problems = [f"embedded record {d}" for d in value_differences(record_gold, record_now)]
    if text_gold != text_now:
        import difflib

        diff = difflib.unified_diff(
            text_gold.splitlines(keepends=True),
            text_now.splitlines(keepends=True),
            "gold",
            "now",
            n=2,
        )
        problems.insert(0, "the visible page (embedded record cut out):\n" + "".join(diff)[:6000])
    return problems


def fail_with(title: str, problems: list[str]) -> None:
    """Fail listing the first differences, if there are any."""
    if problems:
        more = len(problems) - SHOWN_DIFFERENCES
        shown = problems[:SHOWN_DIFFERENCES] + ([f"... and {more} more"] if more > 0 else [])
        pytest.fail(f"{title}:\n" + "\n".join(shown), pytrace=False)


def check_gold(name: str, actual: str) -> None:
    """Compare with the gold file; with REPORTGEN_UPDATE_GOLD set, rewrite it if it differs."""
    path = GOLD / name
    expected = path.read_text(encoding="utf-8") if path.exists() else None
    problems = [] if expected is None else gold_differences(name, expected, actual)
    if os.environ.get("REPORTGEN_UPDATE_GOLD") and (expected is None or problems):
        GOLD.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert expected is not None, f"no gold file {path}; make it with REPORTGEN_UPDATE_GOLD=1"
    fail_with(f"{name} differs from the gold file (update: REPORTGEN_UPDATE_GOLD=1)", problems)
