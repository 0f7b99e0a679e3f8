"""The HTML report: sections, record, escaping, self-containment, determinism."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import reportgen
from reportgen.cli import main
from tests.conftest import DIGITS, ROOT, embedded_record
from tests.pages import cards, parse_page, table_rows

SECTIONS = [
    "summary",
    "confusion-matrix",
    "classification-report",
    "top-confusions",
    "calibration",
    "thresholds",
    "experiments",  # no "buckets": the digits example has no tags
    "misclassified",
    "provenance",
]


def build(args: list[str], tmp_path: Path, name: str = "report.html") -> tuple[str, Path]:
    out = tmp_path / name
    result = CliRunner().invoke(main, ["build", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8"), out


@pytest.fixture(scope="module")
def digits_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("digits")
    page, _ = build([str(DIGITS), "--columns", "ink"], tmp)
    return page


def test_sections_have_stable_ids_in_order(digits_page: str) -> None:
    ids = re.findall(r'<section id="([^"]+)"', digits_page)
    assert ids == SECTIONS
    assert embedded_record(digits_page)["sections"] == SECTIONS


def test_page_is_self_contained(digits_page: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", digits_page)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", digits_page)
    assert "@import" not in digits_page
    assert "http://" not in digits_page and "https://" not in digits_page
    assert "<link" not in digits_page
    # the only script is the inert JSON record
    scripts = re.findall(r"<script\b[^>]*>", digits_page)
    assert scripts == ['<script type="application/json" id="reportgen-data">']
    assert 'http-equiv="Content-Security-Policy"' in digits_page
    assert '<html lang="en">' in digits_page


def test_page_embeds_exactly_the_stylesheet(digits_page: str) -> None:
    # the gold files leave the stylesheet out (tests/test_examples.py's scrub): this is its test
    css = (ROOT / "templates" / "style.css").read_text(encoding="utf-8")
    head = parse_page(digits_page).find_all("head")[0]
    assert [style.text() for style in head.find_all("style")] == [" ".join(css.split())]
    assert f"<style>\n{css}\n</style>" in digits_page


def test_embedded_record_equals_json_output(tmp_path: Path) -> None:
    page, _ = build([str(DIGITS), "--json", str(tmp_path / "r.json")], tmp_path)
    written = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert embedded_record(page) == written
    assert written["schema"] == "reportgen/1"
    assert written["task"] == "classification"


def test_headline_numbers_are_shown_and_recorded(digits_page: str) -> None:
    # the numbers are computed here from the example file, not read back from the record
    frame = pd.read_csv(DIGITS)
    n = len(frame)
    errors = int((frame.y_true != frame.y_pred).sum())
    shown = cards(digits_page)
    assert list(shown) == ["accuracy", "macro-f1", "errors", "weakest-class", "largest-confusion"]
    assert shown["accuracy"]["value"] == f"{100 * (n - errors) / n:.1f}%"
    assert shown["accuracy"]["detail"].endswith(f"over {n:,} rows")
    assert shown["errors"] == {
        "label": "Errors",
        "value": f"{errors:,}",
        "detail": f"misclassified of {n:,}",
    }
    recall = frame.assign(hit=frame.y_true == frame.y_pred).groupby("y_true")["hit"].mean()
    support = frame.y_true.value_counts()
    weakest = min(recall.index, key=lambda label: (recall[label], -support[label]))
    assert shown["weakest-class"]["value"] == str(weakest)
    assert shown["weakest-class"]["detail"] == (
        f"recall {100 * recall[weakest]:.1f}% on {support[weakest]:,} samples"
    )
    wrong = frame[frame.y_true != frame.y_pred]
    pairs = wrong.groupby(["y_true", "y_pred"]).size().sort_values(ascending=False, kind="stable")
    (true, pred), count = pairs.index[0], int(pairs.iloc[0])
    assert shown["largest-confusion"]["value"] == f"{true} → {pred}"
    assert shown["largest-confusion"]["detail"] == (
        f"{count} times, {100 * count / errors:.1f}% of errors"
    )
    # the record holds the same cards, and the findings name the same confusion
    record = embedded_record(digits_page)
    assert [card["id"] for card in record["summary"]["headline"]] == list(shown)
    assert record["classification"]["errors"] == errors
    assert f"'{true}' predicted as '{pred}'" in " ".join(record["summary"]["findings"])


def test_per_class_table_shows_each_class_numbers_in_its_row(digits_page: str) -> None:
    frame = pd.read_csv(DIGITS)
    section = parse_page(digits_page).by_id("classification-report")
    rows = table_rows(section.find_all("tbody")[0])
    assert list(rows) == [str(label) for label in sorted(frame.y_true.unique())]
    for label in sorted(frame.y_true.unique()):
        true, pred = frame.y_true == label, frame.y_pred == label
        hits = int((true & pred).sum())
        row = rows[str(label)]
        assert row["Support"] == f"{int(true.sum()):,}", label
        assert row["Predicted"] == f"{int(pred.sum()):,}", label
        assert row["Recall"] == f"{100 * hits / true.sum():.1f}%", label
        assert row["Precision"] == f"{100 * hits / pred.sum():.1f}%", label
        assert row["False pos."] == str(int(pred.sum()) - hits), label
        assert row["False neg."] == str(int(true.sum()) - hits), label


def test_record_matches_sklearn_on_the_example(digits_page: str) -> None:
    from sklearn.metrics import accuracy_score, classification_report

    frame = pd.read_csv(DIGITS)
    record = embedded_record(digits_page)["classification"]
    assert record["accuracy"] == pytest.approx(
        accuracy_score(frame.y_true, frame.y_pred), abs=1e-12
    )
    expected = classification_report(frame.y_true, frame.y_pred, output_dict=True, zero_division=0)
    for row in record["per_class"]:
        assert row["f1"] == pytest.approx(expected[row["label"]]["f1-score"], abs=1e-12)
    assert record["confidence"]["mean_wrong"] < record["confidence"]["mean_correct"]


def test_misclassified_table_is_a_bounded_seeded_sample(tmp_path: Path) -> None:
    page, _ = build([str(DIGITS), "--max-samples", "7", "--seed", "3"], tmp_path)
    frame = pd.read_csv(DIGITS)
    record = embedded_record(page)
    s = record["samples"]["misclassified"]
    assert s["shown"] == 7 and len(s["rows"]) == 7
    assert s["total"] == record["classification"]["errors"]
    errors = int((frame.y_true != frame.y_pred).sum())
    note = parse_page(page).by_id("misclassified").find_all("p", "count-note")
    assert [p.text() for p in note] == [
        f"Showing 7 of {errors:,} misclassified rows (a random sample, seed 3), in file order."
    ]
    assert all(r["true"] != r["pred"] for r in s["rows"])
    rows = [r["row"] for r in s["rows"]]
    assert rows == sorted(rows)
    again, _ = build([str(DIGITS), "--max-samples", "7", "--seed", "4"], tmp_path, "other.html")
    assert [r["row"] for r in embedded_record(again)["samples"]["misclassified"]["rows"]] != rows


def test_same_input_gives_same_bytes(tmp_path: Path) -> None:
    first, _ = build([str(DIGITS), "--json", str(tmp_path / "a.json")], tmp_path, "a.html")
    second, _ = build([str(DIGITS), "--json", str(tmp_path / "b.json")], tmp_path, "b.html")
    assert first == second
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_created_time_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page, _ = build([str(DIGITS)], tmp_path, "none.html")
    assert embedded_record(page)["provenance"]["created"] is None
    page, _ = build([str(DIGITS), "--created", "2026-01-02T03:04:05Z"], tmp_path, "opt.html")
    assert embedded_record(page)["provenance"]["created"] == "2026-01-02T03:04:05Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    page, _ = build([str(DIGITS)], tmp_path, "env.html")
    assert embedded_record(page)["provenance"]["created"] == "1970-01-02T00:00:00Z"
    assert '<time datetime="1970-01-02T00:00:00Z">' in page


def test_bad_created_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["build", str(DIGITS), "-o", str(tmp_path / "r.html"), "--created", "yesterday"]
    )
    assert result.exit_code == 2
    assert "--created 'yesterday' is not a date" in result.output
    assert not (tmp_path / "r.html").exists()


def test_title_and_model_name_the_report(tmp_path: Path) -> None:
    page, _ = build([str(DIGITS), "--title", "Digits review", "--model", "logreg-v2"], tmp_path)
    record = embedded_record(page)
    assert record["title"] == "Digits review" and record["model"] == "logreg-v2"
    assert "<title>Digits review</title>" in page
    assert "<h1>Digits review</h1>" in page
    assert "logreg-v2" in page.split("</header>")[0]


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(2)</script>",
    "a&b 'quoted' \u2028line",
]


def test_hostile_strings_are_text_everywhere(tmp_path: Path) -> None:
    n = 40
    frame = pd.DataFrame(
        {
            "id": [f"{HOSTILE[i % 4]}#{i}" for i in range(n)],
            "y_true": [HOSTILE[i % 4] for i in range(n)],
            "y_pred": [HOSTILE[(i + (i % 3 == 0)) % 4] for i in range(n)],
            "text": [HOSTILE[(i + 1) % 4] * 2 for i in range(n)],
            HOSTILE[1]: list(range(n)),
        }
    )
    path = tmp_path / "hostile.csv"
    frame.to_csv(path, index=False)
    page, _ = build(
        [str(path), "--columns", HOSTILE[1], "--title", HOSTILE[0], "--model", HOSTILE[1]], tmp_path
    )
    parser = _TextCollector()
    parser.feed(page)
    assert "img" not in parser.tags
    assert parser.tags.count("script") == 1
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    text = "".join(parser.text)
    assert HOSTILE[0] in text and HOSTILE[1] in text
    record = embedded_record(page)
    assert record["title"] == HOSTILE[0]
    assert set(record["classification"]["labels"]) == set(HOSTILE)
    assert record["provenance"]["columns"]["columns"] == [HOSTILE[1]]
    texts = {r["sample"] for r in record["samples"]["misclassified"]["rows"]}
    assert HOSTILE[0] * 2 in texts or HOSTILE[1] * 2 in texts


def test_python_api_accepts_a_dataframe(tmp_path: Path) -> None:
    frame = pd.DataFrame({"label": ["a", "b", "a", "b"], "pred": ["a", "a", "a", "b"]})
    report = reportgen.build_report(frame, title="From Python")
    assert report.record["classification"]["accuracy"] == 0.75
    assert report.record["provenance"]["input"]["path"] is None
    html = report.to_html()
    assert html.startswith("<!DOCTYPE html>")
    assert "srcdoc=" in report._repr_html_()
    report.save(tmp_path / "api.html", json_path=tmp_path / "api.json")
    assert (tmp_path / "api.html").read_text(encoding="utf-8") == html
    assert json.loads((tmp_path / "api.json").read_text(encoding="utf-8")) == report.record


def test_many_classes_keep_every_class_in_table_and_record(tmp_path: Path) -> None:
    labels = [f"c{i:02d}" for i in range(45)]
    y_true = [labels[i % 45] for i in range(900)]
    y_pred = [labels[(i * 7) % 45] if i % 5 == 0 else labels[i % 45] for i in range(900)]
    path = tmp_path / "many.csv"
    pd.DataFrame({"y_true": y_true, "y_pred": y_pred}).to_csv(path, index=False)
    page, _ = build([str(path)], tmp_path)
    record = embedded_record(page)
    assert len(record["classification"]["labels"]) == 45
    fig = record["figures"]["confusion_matrix"]
    assert fig["truncated"] is True and len(fig["labels_shown"]) == 30
    assert "classes involved in most errors, of 45" in page
    section = parse_page(page).by_id("classification-report")
    # 20 samples each: every class carries the small-support badge in its row header
    assert list(table_rows(section.find_all("tbody")[0])) == [f"{c} small" for c in labels]


def test_small_support_classes_are_marked(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"y_true": ["big"] * 40 + ["tiny"] * 3, "y_pred": ["big"] * 39 + ["tiny"] + ["big"] * 3}
    )
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    page, _ = build([str(path)], tmp_path)
    per_class = {m["label"]: m for m in embedded_record(page)["classification"]["per_class"]}
    assert per_class["tiny"]["small_support"] is True
    assert per_class["big"]["small_support"] is False
    assert re.search(r"tiny <span class=\"badge badge-warn\"", page)


def test_perfect_predictions_say_so(tmp_path: Path) -> None:
    path = tmp_path / "perfect.csv"
    pd.DataFrame({"y_true": [1, 2, 3], "y_pred": [1, 2, 3]}).to_csv(path, index=False)
    page, _ = build([str(path)], tmp_path)
    assert "Every prediction is correct" in page
    # sections with nothing to show are left out, and so are their contents links
    sections = embedded_record(page)["sections"]
    for empty in ("top-confusions", "buckets", "experiments", "misclassified"):
        assert empty not in sections and f'href="#{empty}"' not in page
    assert "confusion-matrix" in sections and "classification-report" in sections


def test_calibration_clause_says_which_way_probabilities_lean() -> None:
    from reportgen.words.classification import _calibration_clause

    def bins(pairs: list[tuple[float, float]]) -> list[dict[str, float]]:
        return [{"count": 100, "mean_predicted": p, "observed": o} for p, o in pairs]

    top = {"target": "top-label", "ece": 0.1, "n_bins": 10}
    assert "over-confident" in _calibration_clause({**top, "bins": bins([(0.9, 0.7), (0.7, 0.6)])})
    assert "under-confident" in _calibration_clause({**top, "bins": bins([(0.6, 0.8)])})
    pos = {"target": "positive-class", "ece": 0.1, "n_bins": 10}
    # predictions more extreme than the truth, on both sides of 0.5
    extreme = bins([(0.05, 0.2), (0.95, 0.8)])
    assert "over-confident" in _calibration_clause({**pos, "bins": extreme})
    timid = bins([(0.3, 0.1), (0.7, 0.9)])
    assert "under-confident" in _calibration_clause({**pos, "bins": timid})
    assert _calibration_clause({**pos, "ece": 0.01, "bins": timid}) == ""
    assert _calibration_clause(None) == ""
