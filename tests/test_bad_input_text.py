"""Text a user can type, drawn and shown as typed (issue 14).

Covers issue 14, items 4 (dollar signs and backslashes in any text drawn in a figure: drawn
literally, never as mathtext, in every page and email figure), 17 (bidirectional controls in
user text cannot reorder the page, the email or the CI summaries around them) and 16, its
messages part (no numpy reprs in our words, no library warnings on stderr).
"""

from __future__ import annotations

import html
import json
import re
import sys
import warnings
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from matplotlib.figure import Figure
from matplotlib.text import Text

from reportgen.bidi import CONTROLS, has_controls, visible
from reportgen.cli import main
from reportgen.deliver.archive import record_from_html
from reportgen.figures import svg as svg_module
from reportgen.figures.svg import ReportFigure, figure_to_svg, new_figure

# ---------------------------------------------------------------------------------------
# helpers

HOSTILE_A = "$x^$"  # invalid mathtext: a traceback before the fix
HOSTILE_B = "a$b$c"  # valid mathtext: silently typeset as mathematics before the fix


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # paths relative to tmp_path, as users type them
    monkeypatch.chdir(tmp_path)


@pytest.fixture()
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Figure]]:
    """Record every figure created and drawn while a command runs (page SVGs and email PNGs)."""
    created: list[Figure] = []
    original_init = Figure.__init__

    def init(self: Figure, *args: Any, **kwargs: Any) -> None:
        created.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "__init__", init)
    yield created


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _figures(page: str) -> dict[str, list[str]]:
    """The drawn texts of each inline SVG figure of a page, by figure id."""
    found: dict[str, list[str]] = {}
    for match in re.finditer(r'<svg[^>]*aria-labelledby="([\w-]+)-title.*?</svg>', page, re.S):
        texts = re.findall(r"<text[^>]*>(.*?)</text>", match.group(0), re.S)
        found[match.group(1)] = [html.unescape(t) for t in texts]
    return found


def _assert_drawn(figures: dict[str, list[str]], fig_id: str, *literals: str) -> None:
    assert fig_id in figures, sorted(figures)
    for literal in literals:
        assert any(literal in text for text in figures[fig_id]), (fig_id, literal)


def _assert_literal_texts(created: list[Figure], *literals: str) -> None:
    """Every figure came from the factory, every text is literal, each literal was drawn."""
    assert created
    assert all(isinstance(fig, ReportFigure) for fig in created), [type(f) for f in created]
    texts = [t for fig in created for t in fig.findobj(Text)]
    assert all(not t.get_parse_math() for t in texts if t.get_text())
    strings = [t.get_text() for t in texts]
    for literal in literals:
        assert any(literal in s for s in strings), literal


def _classification_file(path: Path, *, steps: bool) -> None:
    rng = np.random.default_rng(0)
    n = 60
    y_true = rng.choice([HOSTILE_A, HOSTILE_B], n)
    flip = rng.random(n) < 0.3
    y_pred = np.where(flip, np.where(y_true == HOSTILE_A, HOSTILE_B, HOSTILE_A), y_true)
    p = np.clip(np.where(y_pred == HOSTILE_B, 0.7, 0.3) + rng.normal(0, 0.1, n), 0.01, 0.99)
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "y_true": y_true,
            "y_pred": y_pred,
            f"proba_{HOSTILE_A}": 1 - p,
            f"proba_{HOSTILE_B}": p,
            "buckets": np.where(flip, rng.choice(["$\\frac$", "back\\slash", "two\nlines"], n), ""),
            "$col$": rng.choice(["v$1$", "w\\x"], n),
            "split": rng.choice(["$dev$", "train"], n),
        }
    )
    if steps:
        frame = pd.concat([frame.assign(epoch="ep$1$"), frame.assign(epoch="ep\\2")])
    frame.to_csv(path, index=False)


def _regression_file(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    pd.DataFrame(
        {
            "id": np.arange(n),
            "y_true": np.linspace(-2.0, 2.0, n),  # the same truth for every seed (compare)
            "y_pred": rng.normal(size=n),
            "$reg$": rng.choice(["r$1$", "q\\z"], n),
        }
    ).to_csv(path, index=False)


# ---------------------------------------------------------------------------------------
# item 4: dollar signs and backslashes in figure text


def test_the_reported_label_builds(tmp_path: Path) -> None:
    # the case: a traceback from mathtext before the fix
    (tmp_path / "d.csv").write_text("id,y_true,y_pred\n1,$x^$,a\n2,a,a\n3,a$b$c,a\n")
    result = _invoke("build", "d.csv", "-o", "d.html")
    assert result.exit_code == 0, result.output
    _assert_drawn(
        _figures((tmp_path / "d.html").read_text(encoding="utf-8")), "cm", HOSTILE_A, HOSTILE_B
    )


@pytest.mark.slow
def test_classification_figures_draw_user_text_literally(
    tmp_path: Path, drawn: list[Figure]
) -> None:
    # labels, bucket tags, a slice column and its values, split names, step values: each in
    # the figure that draws it, the email figures too
    _classification_file(tmp_path / "c.csv", steps=True)
    result = _invoke(
        "build", "c.csv", "-o", "c.html", "--step", "epoch", "--slice", "$col$",
        "--eval-split", "all", "--email", "c.eml", "--to", "a@example.org",
        "--from", "b@example.org", "--created", "2024-01-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    figures = _figures((tmp_path / "c.html").read_text(encoding="utf-8"))
    _assert_drawn(figures, "cm", HOSTILE_A, HOSTILE_B)
    _assert_drawn(figures, "evo", "ep$1$", "ep\\2")
    _assert_drawn(figures, "evo-cm", HOSTILE_A, HOSTILE_B, "ep$1$", "ep\\2")
    _assert_drawn(figures, "cal", HOSTILE_B)
    _assert_drawn(figures, "thr", HOSTILE_B)
    _assert_drawn(figures, "pareto", "$\\frac$", "back\\slash", "two", "lines")
    _assert_drawn(figures, "slices", "$col$")
    # the slices drawn are the noteworthy ones: either value may be left out
    assert any("v$1$" in t or "w\\x" in t for t in figures["slices"])
    _assert_drawn(figures, "splits", "$dev$", HOSTILE_A, HOSTILE_B)
    # the page figures and the email's PNG figures alike
    _assert_literal_texts(drawn, HOSTILE_A, HOSTILE_B, "$\\frac$", "two\nlines", "ep$1$")
    assert len(drawn) > len(figures)  # the email drew its own


def test_regression_figures_draw_user_text_literally(tmp_path: Path, drawn: list[Figure]) -> None:
    _regression_file(tmp_path / "r.csv", 0)
    result = _invoke(
        "build", "r.csv", "-o", "r.html", "--slice", "$reg$", "--title", "t$i$tle",
        "--email", "r.eml", "--to", "a@example.org", "--from", "b@example.org",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = _figures((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert {"res", "dist"} <= set(figures)
    _assert_drawn(figures, "slice0", "$reg$", "r$1$", "q\\z")
    _assert_literal_texts(drawn, "r$1$", "q\\z")


def test_compare_figures_draw_names_and_labels_literally(
    tmp_path: Path, drawn: list[Figure]
) -> None:
    _classification_file(tmp_path / "a.csv", steps=False)
    better = pd.read_csv(tmp_path / "a.csv", keep_default_na=False)
    better["y_pred"] = better["y_true"]
    better.to_csv(tmp_path / "b.csv", index=False)
    result = _invoke("compare", "a.csv", "b.csv", "--name-a", "m$a$", "--name-b", "m\\b")
    assert result.exit_code == 0, result.output
    figures = _figures((tmp_path / "compare.html").read_text(encoding="utf-8"))
    _assert_drawn(figures, "cmdiff", HOSTILE_A, HOSTILE_B, "m$a$", "m\\b")
    _assert_drawn(figures, "f1change", HOSTILE_A, HOSTILE_B, "m$a$", "m\\b")
    _assert_literal_texts(drawn, HOSTILE_A, "m$a$")


def test_compare_regression_figures_draw_names_literally(
    tmp_path: Path, drawn: list[Figure]
) -> None:
    _regression_file(tmp_path / "a.csv", 0)
    _regression_file(tmp_path / "b.csv", 1)
    result = _invoke("compare", "a.csv", "b.csv", "--name-a", "$\\frac$", "--name-b", "a$b$c")
    assert result.exit_code == 0, result.output
    figures = _figures((tmp_path / "compare.html").read_text(encoding="utf-8"))
    _assert_drawn(figures, "paired", "$\\frac$", "a$b$c")
    _assert_literal_texts(drawn, "$\\frac$", "a$b$c")


def test_text_added_outside_the_style_is_still_literal() -> None:
    # the factory's figure, not each call site, makes text literal: a text added after the
    # style was left (as a future figure might) is drawn as typed too
    fig = new_figure(3.0, 2.0)
    ax = fig.add_subplot()
    ax.set_title("$x^$")
    ax.text(0.5, 0.5, "a$b$c\n\\n$\\frac$")
    ax.set_xticks([0, 1], labels=["$", "$$"])
    svg = figure_to_svg(fig, fig_id="t", title="t", description="d")
    for literal in ("$x^$", "a$b$c", "\\n$\\frac$", "$$"):
        assert literal in html.unescape(svg), literal
    assert svg_module.RC["text.parse_math"] is False


def test_every_figure_comes_from_the_factory() -> None:
    # the literal-text guarantee lives in new_figure's ReportFigure: no module may build a
    # Figure of its own (or reach for pyplot) and bypass it
    root = Path(__file__).resolve().parents[1] / "reportgen"
    offenders = []
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if path.name != "svg.py" and re.search(r"\bFigure\(", source):
            offenders.append(path.name)
        if re.search(r"import.*\bpyplot\b", source):
            offenders.append(path.name)
    assert offenders == []


def test_density_colour_bars_write_counts_without_mathtext() -> None:
    # a log colour bar labels itself "$\mathdefault{10^{1}}$" by default: with literal text
    # our own labels must be plain numbers, or the dollars would show
    from reportgen.figures.compare import plot_paired_errors

    rng = np.random.default_rng(0)
    y = rng.normal(size=5000)
    fig = plot_paired_errors(y, y + rng.normal(size=5000), y + rng.normal(size=5000), density=True)
    svg = figure_to_svg(fig, fig_id="p", title="t", description="d")
    texts = _figures(svg)["p"]
    assert "10" in texts
    assert not [t for t in texts if "$" in t or "mathdefault" in t]


# ---------------------------------------------------------------------------------------
# item 17: bidirectional controls in user text

RLO = "\u202e"


def _bidi_file(path: Path) -> None:
    path.write_text(
        "id,y_true,y_pred,buckets\n"
        f"1,{RLO}cat,dog,{RLO}blur\n2,dog,dog,\n3,{RLO}cat,{RLO}cat,\n4,dog,{RLO}cat,x\u2067y\n"
        f"5,dog,dog,\n6,{RLO}cat,dog,{RLO}blur\n",
        encoding="utf-8",
    )


def _no_controls(text: str) -> None:
    assert not has_controls(text), [c for c in text if c in CONTROLS]


def test_bidi_controls_in_labels_cannot_reorder_any_output(
    tmp_path: Path, drawn: list[Figure]
) -> None:
    _bidi_file(tmp_path / "b.csv")
    result = _invoke(
        "build", "b.csv", "-o", "b.html", "--json", "b.json", "--summary-md", "b.md",
        "--junit", "b.xml", "--email", "b.eml", "--to", "a@example.org",
        "--from", "b@example.org", "--created", "2024-01-01", "--title", f"model {RLO}v2",
        "--fail-under", f"recall[{RLO}cat]=0.9",
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # the gate failed, as it should
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    _no_controls(page)
    # in tables, findings, headings and figures alike the control shows as its code point
    assert page.count("&lt;U+202E&gt;cat") >= 5
    assert "&lt;U+202E&gt;blur" in page and "x&lt;U+2067&gt;y" in page
    assert "model &lt;U+202E&gt;v2" in page
    assert any("<U+202E>cat" in t for t in _figures(page)["cm"])
    # the record keeps the labels as read: the page's copy equals --json
    record = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert f"{RLO}cat" in record["classification"]["labels"]
    assert record_from_html(page) == record
    verified = _invoke("verify", "b.html")
    assert verified.exit_code == 0, verified.output  # the page's own hash still holds
    for name in ("b.md", "b.xml"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        _no_controls(text)
        assert "U+202E" in text, name
    message = BytesParser(policy=default).parse((tmp_path / "b.eml").open("rb"))
    _no_controls(str(message["Subject"]))
    assert "<U+202E>v2" in str(message["Subject"])
    bodies = {}
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html") and not part.get_filename():
            bodies[part.get_content_type()] = part.get_content()
    assert set(bodies) == {"text/plain", "text/html"}
    for body in bodies.values():
        _no_controls(body)
        assert "U+202E" in body
    # and the email's own figures
    bad = [
        (type(fig).__name__, t.get_text(), type(t).__name__)
        for fig in drawn
        for t in fig.findobj(Text)
        if has_controls(t.get_text())
    ]
    assert not bad, bad


def test_every_bidi_control_is_shown_as_its_code_point() -> None:
    # the embeddings, overrides, isolates and marks of Unicode's bidirectional algorithm
    controls = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
    assert sorted(map(ord, CONTROLS)) == sorted(controls)
    for code in controls:
        shown = visible(f"a{chr(code)}b")
        assert shown == f"a<U+{code:04X}>b"
    assert visible("שלום abc") == "שלום abc"  # right-to-left letters are text, not controls


# ---------------------------------------------------------------------------------------
# item 16, messages: a user reads only our own words on stderr


@pytest.fixture()
def warnings_to_stderr() -> Iterator[None]:
    """Show every Python warning on stderr, as a user's terminal would (pytest records them)."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield


def _odd_inputs(tmp_path: Path) -> dict[str, list[str]]:
    """Files whose reading or drawing made libraries warn (or worse), with the build options."""
    rng = np.random.default_rng(2)
    n = 200
    x = rng.normal(size=n) * 10
    y_true = rng.choice(["a", "b"], n)
    wrong = (x > 5) & (rng.random(n) < 0.9)
    y_pred = np.where(wrong, np.where(y_true == "a", "b", "a"), y_true)
    with_inf = np.where(x > 12, np.inf, np.where(x < -12, -np.inf, x))
    pd.DataFrame(
        {
            "id": range(n),
            "y_true": y_true,
            "y_pred": y_pred,
            "m": with_inf,  # quantile bins of ±inf: NaN edges, a traceback
            "h": x * 1e300,  # beyond float32: the error tree's library refused it
            "c": 3.0,  # constant
            "e": np.nan,  # empty
        }
    ).to_csv(tmp_path / "slices.csv", index=False)
    pd.DataFrame(
        {"id": range(n), "y_true": x, "y_pred": x + rng.normal(size=n), "m": with_inf}
    ).to_csv(tmp_path / "regression.csv", index=False)
    labels = ["猫", "😀 dog", "𝔘"]  # glyphs DejaVu Sans lacks: matplotlib warned per glyph
    pd.DataFrame(
        {"id": range(n), "y_true": rng.choice(labels, n), "y_pred": rng.choice(labels, n)}
    ).to_csv(tmp_path / "glyphs.csv", index=False)
    one = pd.DataFrame({"id": range(20), "y_true": "a", "y_pred": "a", "proba_a": 1.0})
    one.to_csv(tmp_path / "one_class.csv", index=False)
    return {
        "slices.csv": ["--slice-all"],
        "regression.csv": ["--slice", "m"],
        "glyphs.csv": ["--email", "g.eml", "--to", "a@example.org", "--from", "b@example.org"],
        "one_class.csv": [],
    }


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("slices.csv", marks=pytest.mark.slow),  # fits the error tree: 2-4 s
        "regression.csv",
        "glyphs.csv",
        "one_class.csv",
    ],
)
def test_odd_inputs_leave_only_our_words_on_stderr(
    tmp_path: Path, warnings_to_stderr: None, name: str
) -> None:
    options = _odd_inputs(tmp_path)[name]
    before = list(warnings.filters)
    result = _invoke("build", name, "-o", "out.html", "--created", "2024-01-01", *options)
    assert warnings.filters == before  # quiet while the command ran, not after (the API)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(line.startswith("reportgen:") for line in lines), lines
    assert "np." not in result.stderr


def test_infinite_values_are_binned_at_the_ends_and_named_so(tmp_path: Path) -> None:
    # the finite values make the quantile bins; ±inf joins the end bins, whose names say ∞
    _odd_inputs(tmp_path)
    result = _invoke("build", "regression.csv", "-o", "r.html", "--slice", "m", "--json", "r.json")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    text = " | ".join(item["value"] for item in record["slices"]["items"])
    assert "≤ m ≤ ∞" in text and "−∞ ≤ m <" in text, text


def test_compare_findings_quote_labels_as_written(tmp_path: Path) -> None:
    # repr() wrote 'a\\b' and "it's": the page shows a label as the file holds it
    truth = ["a\\b", "it's", "x", "x"] * 5
    pd.DataFrame({"id": range(20), "y_true": truth, "y_pred": "x"}).to_csv(
        tmp_path / "a.csv", index=False
    )
    pd.DataFrame({"id": range(20), "y_true": truth, "y_pred": truth}).to_csv(
        tmp_path / "b.csv", index=False
    )
    result = _invoke("compare", "a.csv", "b.csv", "--json", "c.json")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    findings = " ".join(record["summary"]["findings"])
    assert "predicts 'a\\b', 'it's', which" in findings, findings


@pytest.mark.parametrize("where", ["gate", "input-warning"])
def test_messages_on_stderr_show_bidirectional_controls(where: str) -> None:
    # an error or warning that echoes user text must not let U+202E reverse the terminal line
    rlo = "\u202e"
    Path("p.csv").write_text(f"id,y_true,y_pred\n1,a{rlo}b,a\n2,a,a\n", encoding="utf-8")
    if where == "gate":
        args = ["build", "p.csv", "-o", "r.html", "--fail-under", f"accuracy:class=a{rlo}b:0.9"]
    else:  # a plain file named .gz is read with a warning naming it
        Path(f"p{rlo}.csv.gz").write_bytes(Path("p.csv").read_bytes())
        args = ["build", f"p{rlo}.csv.gz", "-o", "r.html"]
    result = CliRunner().invoke(main, args)
    assert result.stderr.startswith("reportgen: "), result.stderr
    assert rlo not in result.stderr
    assert "<U+202E>" in result.stderr
