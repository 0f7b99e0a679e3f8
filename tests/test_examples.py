"""The bundled examples: regenerated to what matters, and their reports against gold files.

Update the gold files after an intended change to the report with (from the checkout's root):

    REPORTGEN_UPDATE_GOLD=1 python -m pytest tests/test_examples.py

then read the diff (git diff tests/gold) before committing it. A gold file is rewritten only
when it differs by more than the tolerances below, so a run on another machine does not churn
the last bits of its floats.

What a gold page keeps (see `scrub` in tests/gold.py): everything a reader sees, except

- versions (of reportgen and the libraries) and the hashes over them;
- PNG bytes (thumbnails), which depend on the zlib Pillow was built with (test_images);
- the stylesheet: when the page embeds exactly templates/style.css it becomes the marker
  `<style>[templates/style.css]</style>` (test_report checks the page embeds that file), so a
  CSS edit changes no gold file;
- each figure's drawing: an inline SVG keeps its title and description, and lists the texts
  it draws, one `[text] ...` line each (tick labels, axis labels, titles, annotations, legend
  entries), plus any `[aria-label] ...`; its size and shapes are dropped. A figure whose
  labels or numbers change shows in the gold diff; a drawing-only change (a colour, a line,
  matplotlib's layout) does not: the figure tests check drawings on their matplotlib objects.

What is compared, and why not bytes: floating-point results can differ in their last bits
between BLAS kernels, CPUs and library versions, and a number that moved by a hair can round
to a different last digit. So

- a gold report's visible page (scrubbed as above) must be the same text; its record (the
  JSON gold, and the copy embedded in the page) must have the same structure, keys, strings,
  integers and booleans, and every float within a relative GOLD_REL_TOL (or an absolute
  GOLD_ABS_TOL near zero, both in tests/gold.py, where a last-bit difference is large
  relative to the value, as in a sum of probabilities minus 1);
- a regenerated example file must have the same columns, rows, ids, true labels and other
  text; numbers written with decimals within one unit of the last decimal written (the most
  that rounding a value that moved by a hair can change: 0.001 for probabilities written to 3
  decimals); whole numbers equal; and the same predicted labels, except that a label may flip
  where the regenerated probabilities of the two labels are a near tie (within two such units);
- images by their pixels (PNG bytes depend on the zlib Pillow was built with).

Same input, options and versions on one machine still give the same bytes: the determinism
tests (test_archive, test_report, test_images and others) check that.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.example_reports import EXAMPLES, build
from tests.gold import (
    STYLESHEET,
    STYLESHEET_MARKER,
    check_gold,
    csv_differences,
    fail_with,
    gold_differences,
    scrub,
    scrub_record,
    value_differences,
)

# ---- regenerating the example data ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_data_regenerates(name: str, tmp_path: Path) -> None:
    spec = EXAMPLES[name]
    committed = Path(str(spec["data"])).parent
    if spec.get("kind") == "detection":
        # boxes are written with two decimals: a hair's move may round one unit the other way
        subprocess.run([sys.executable, str(spec["script"]), "-o", str(tmp_path)], check=True)
        problems = []
        for file in ("instances.json", "detections.json"):
            made = json.loads((tmp_path / file).read_text(encoding="utf-8"))
            kept = json.loads((committed / file).read_text(encoding="utf-8"))
            problems += [f"{file} {p}" for p in _json_differences(kept, made, tolerance=0.011)]
    else:
        out = tmp_path / "predictions.csv"
        subprocess.run([sys.executable, str(spec["script"]), "-o", str(out)], check=True)
        problems = csv_differences(committed / "predictions.csv", out)
        if (committed / "review.csv").exists():
            problems += csv_differences(committed / "review.csv", tmp_path / "review.csv")
    fail_with(f"{name}: the regenerated example differs from the committed one", problems)
    # PNG bytes depend on the zlib Pillow was built with: compare what the images show
    if not (committed / "images").exists():
        return
    made = sorted(p.name for p in (tmp_path / "images").glob("*.png"))
    kept = sorted(p.name for p in (committed / "images").glob("*.png"))
    assert made == kept
    from PIL import Image

    for name_ in made[:: max(1, len(made) // 40)]:
        with (
            Image.open(tmp_path / "images" / name_) as a,
            Image.open(committed / "images" / name_) as b,
        ):
            assert a.size == b.size and a.tobytes() == b.tobytes()


def _json_differences(kept: Any, made: Any, *, tolerance: float, at: str = "$") -> list[str]:
    """Where two JSON values differ: structure and text exactly, floats within `tolerance`."""
    if isinstance(kept, dict) and isinstance(made, dict):
        if list(kept) != list(made):
            return [f"{at}: keys {list(kept)} committed, {list(made)} regenerated"]
        return [
            d for k in kept for d in _json_differences(kept[k], made[k], tolerance=tolerance,
                                                      at=f"{at}.{k}")
        ]  # fmt: skip
    if isinstance(kept, list) and isinstance(made, list):
        if len(kept) != len(made):
            return [f"{at}: {len(kept)} items committed, {len(made)} regenerated"]
        return [
            d
            for i, (a, b) in enumerate(zip(kept, made, strict=True))
            for d in _json_differences(a, b, tolerance=tolerance, at=f"{at}[{i}]")
        ]
    if isinstance(kept, float) and isinstance(made, float):
        return [] if abs(kept - made) <= tolerance else [f"{at}: {kept} committed, {made} now"]
    return [] if type(kept) is type(made) and kept == made else [f"{at}: {kept!r} != {made!r}"]


# ---- reports against gold files ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_report_matches_gold(name: str) -> None:
    spec = EXAMPLES[name]
    report = build(spec)
    check_gold(f"{name}.html", scrub(report.to_html()))
    check_gold(f"{name}.json", scrub_record(report.to_json()))


# ---- the comparisons themselves: they pass rounding and fail real changes ------------------


def test_gold_values_tolerate_last_bits_and_nothing_more() -> None:
    gold = {"sum_deviation": 1.1102230246251565e-16, "gap": 0.002000000000000224, "n": 3}
    assert value_differences(gold, gold) == []
    last_bits = {"sum_deviation": 2.220446049250313e-16, "gap": 0.0020000000000000018, "n": 3}
    assert value_differences(gold, last_bits) == []
    assert value_differences({"x": float("nan")}, {"x": float("nan")}) == []
    real_changes: list[tuple[Any, Any]] = [
        ({"ece": 0.097}, {"ece": 0.0970001}),  # a relative change of 1e-6
        ({"p": 1e-9}, {"p": 2e-9}),  # small, but far above the last bits of anything near 1
        ({"n": 3}, {"n": 4}),
        ({"n": 3}, {"n": 3.0}),
        ({"ok": True}, {"ok": 1}),
        ({"label": "cat"}, {"label": "dog"}),
        ({"a": 1, "b": 2}, {"a": 1}),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({"items": [1, 2]}, {"items": [1, 2, 3]}),
        ({"x": None}, {"x": 0.0}),
    ]
    for a, b in real_changes:
        assert value_differences(a, b), (a, b)
    assert value_differences({"c": {"bins": [0.5, 0.25]}}, {"c": {"bins": [0.5, 0.26]}}) == [
        "$.c.bins[1]: 0.25 in the gold, 0.26 now"
    ]


def _page(text: str, record: str) -> str:
    return f'<p>{text}</p>\n<script type="application/json" id="reportgen-data">{record}</script>\n'


def test_gold_page_compares_its_text_exactly_and_its_record_with_tolerance() -> None:
    gold = _page("ECE 0.097", '{"ece": 0.0970000000000001}')
    assert gold_differences("x.html", gold, _page("ECE 0.097", '{"ece": 0.0970000000000002}')) == []
    text = gold_differences("x.html", gold, _page("ECE 0.096", '{"ece": 0.0970000000000001}'))
    assert len(text) == 1 and "-<p>ECE 0.097</p>" in text[0] and "+<p>ECE 0.096</p>" in text[0]
    record = gold_differences("x.html", gold, _page("ECE 0.097", '{"ece": 0.096}'))
    assert record == ["embedded record $.ece: 0.0970000000000001 in the gold, 0.096 now"]


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


COMMITTED = """id,y_true,y_pred,proba_a,proba_b,ink
r1,a,a,0.600,0.400,12
r2,b,a,0.500,0.499,7
"""


@pytest.mark.parametrize(
    ("regenerated", "passes"),
    [
        (COMMITTED, True),
        # one unit of the last decimal: a value that moved by a hair rounded the other way
        (COMMITTED.replace("0.600,0.400", "0.601,0.399"), True),
        (COMMITTED.replace("0.600,0.400", "0.602,0.398"), False),
        # a near tie may flip the predicted label, a clear winner may not
        (COMMITTED.replace("r2,b,a,0.500,0.499", "r2,b,b,0.499,0.500"), True),
        (COMMITTED.replace("r1,a,a", "r1,a,b"), False),
        (COMMITTED.replace("r1,a,a", "r1,b,a"), False),  # a true label
        (COMMITTED.replace("r1,", "r9,"), False),  # an id
        (COMMITTED.replace(",12\n", ",13\n"), False),  # a whole number
        (COMMITTED.replace(",12\n", ",12.0\n"), False),
        (COMMITTED + "r3,a,a,0.9,0.1,3\n", False),
        (COMMITTED.replace("ink", "dark"), False),
        ("\ufeff" + COMMITTED, False),
    ],
)
def test_regenerated_data_passes_rounding_and_fails_real_changes(
    tmp_path: Path, regenerated: str, passes: bool
) -> None:
    committed = _csv(tmp_path, "committed.csv", COMMITTED)
    problems = csv_differences(committed, _csv(tmp_path, "regenerated.csv", regenerated))
    assert (problems == []) == passes, problems


def test_regenerated_regression_predictions_within_their_last_decimal(tmp_path: Path) -> None:
    committed = _csv(tmp_path, "c.csv", "id,y_true,y_pred\np1,151,196.0\np2,75,72.3\n")
    close = _csv(tmp_path, "a.csv", "id,y_true,y_pred\np1,151,196.1\np2,75,72.3\n")
    far = _csv(tmp_path, "b.csv", "id,y_true,y_pred\np1,151,196.3\np2,75,72.3\n")
    assert csv_differences(committed, close) == []
    assert csv_differences(committed, far) == [
        "c.csv line 2 (id p1): y_pred 196.0 committed, 196.3 regenerated "
        "(tolerance 0.1, one unit of the last decimal written)"
    ]


# ---- the scrub: figures by what they say, the stylesheet by reference ----------------------


def _svg(x: list[float], label: str) -> str:
    """A small matplotlib figure as SVG, its words as <text> elements as in the report."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "gold"}):
        figure = Figure(figsize=(3, 2))
        axes = figure.add_subplot()
        axes.plot(x, [0.0, 1.0], label=label)
        axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="Recall", title="Curve")
        axes.legend()
        out = io.StringIO()
        figure.savefig(out, format="svg")
    body = out.getvalue().strip()
    body = body[body.index("<svg") :]
    start = body.index(">") + 1
    return body[:start] + '<title id="t">T</title><desc id="d">D</desc>' + body[start:]


def test_scrub_keeps_a_figures_words_and_drops_its_drawing() -> None:
    page = _svg([0.0, 1.0], "model a")
    summary = scrub(page)
    lines = summary.splitlines()
    assert lines[0].startswith("<svg ") and 'width="…" height="…" viewBox="…"' in lines[0]
    assert lines[0].endswith('<title id="t">T</title><desc id="d">D</desc>')
    assert lines[1:] == [
        *(f"[text] {tick}" for tick in ("0.0", "0.2", "0.4", "0.6", "0.8", "1.0")),
        "[text] Recall",
        *(f"[text] {tick}" for tick in ("0.0", "0.2", "0.4", "0.6", "0.8", "1.0")),
        "[text] Curve",
        "[text] model a",
        "</svg>",
    ]
    # a line drawn elsewhere, with the same words, scrubs the same; a changed label does not
    assert page != _svg([0.3, 0.6], "model a") and scrub(_svg([0.3, 0.6], "model a")) == summary
    assert scrub(_svg([0.0, 1.0], "model b")) == summary.replace("model a", "model b")


def test_scrub_replaces_exactly_the_stylesheet_and_nothing_else() -> None:
    page = f"<head>\n<style>\n{STYLESHEET}\n</style>\n</head>"
    assert scrub(page) == f"<head>\n{STYLESHEET_MARKER}\n</head>"
    # a page with another stylesheet keeps it, so the gold diff shows it
    edited = page.replace("--fg: #1f2328;", "--fg: #000000;")
    assert edited != page and scrub(edited) == edited
