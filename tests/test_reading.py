"""What a reader sees: headline cards, labels that do not break inside, tables that reflow."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pandas as pd
import pytest
from sklearn import metrics

import reportgen
from reportgen.read.cells import label_cells
from tests.conftest import ROOT
from tests.example_reports import EXAMPLES, build

CANCER = ROOT / "examples" / "cancer" / "predictions.csv"


class Tables(HTMLParser):
    """Collect every table: its classes, header rows and body rows of (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self.part = ""
        self.cell: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"class": (a.get("class") or "").split(), "head": [], "body": []})
        elif tag in ("thead", "tbody", "tfoot"):
            self.part = tag
        elif tag == "tr" and self.tables:
            self.tables[-1]["head" if self.part == "thead" else "body"].append([])
        elif tag in ("td", "th") and self.tables:
            self.cell = {"tag": tag, "attrs": a, "text": ""}
            self.tables[-1]["head" if self.part == "thead" else "body"][-1].append(self.cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self.cell = None
        elif tag in ("thead", "tbody", "tfoot"):
            self.part = ""

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell["text"] += data


def tables_of(page: str) -> list[dict[str, Any]]:
    """Parse the tables of a page with the standard library's HTML parser."""
    parser = Tables()
    parser.feed(page)
    return parser.tables


def width(row: list[dict[str, Any]]) -> int:
    return sum(int(c["attrs"].get("colspan") or 1) for c in row)


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return {
        name: build(EXAMPLES[name]).to_html()
        for name in ("inspection", "inspection-compare", "diabetes")
    }


# ---------------------------------------------------------------- tables on a phone


@pytest.mark.parametrize("name", ["inspection", "inspection-compare", "diabetes"])
def test_every_body_cell_of_every_table_has_its_column_label(
    name: str, pages: dict[str, str]
) -> None:
    tables = tables_of(pages[name])
    assert len(tables) >= 5
    for table in tables:
        assert table["head"], "every table has a header row"
        columns = width(table["head"][0])  # its rowspans and colspans cover every column
        # four columns or more reflow to cards on a phone; a confusion matrix keeps its grid
        assert ("reflow" in table["class"]) == (columns >= 4 and "matrix" not in table["class"])
        headers = [" ".join(c["text"].split()) for c in table["head"][-1]]
        for row in table["body"]:
            col = 0
            for cell in row:
                span = int(cell["attrs"].get("colspan") or 1)
                if cell["tag"] == "td":
                    label = cell["attrs"].get("data-label")
                    assert label, f"{name}: a cell without a label: {cell}"
                    if len(table["head"]) == 1 and span == 1:
                        assert label == headers[col], (label, headers, cell["text"])
                col += span


def test_two_header_rows_make_one_label() -> None:
    page = (
        "<table><thead><tr><th rowspan='2'>Class</th><th colspan='2'>F1</th></tr>"
        "<tr><th>a &amp; b</th><th>c</th></tr></thead>"
        "<tbody><tr><th scope='row'>x</th><td>1</td><td colspan='1'>2</td></tr></tbody></table>"
    )
    (table,) = tables_of(label_cells(page.replace("'", '"')))
    labels = [c["attrs"].get("data-label") for c in table["body"][0]]
    assert labels == [None, "F1 · a & b", "F1 · c"]  # a row header titles its card
    assert table["class"] == []  # three columns fit a phone


def test_the_stylesheet_lays_out_labelled_cells_as_cards_on_a_phone(pages: dict[str, str]) -> None:
    page = pages["inspection"]
    narrow = page[page.index("@media screen and (max-width: 600px)") :]
    assert "content: attr(data-label)" in narrow[: narrow.index("@media print")]
    # figures shrink with the page instead of keeping a minimum width
    assert "min-width: 520px" not in page


# ---------------------------------------------------------------- headline cards


def test_long_labels_break_only_at_spaces(pages: dict[str, str]) -> None:
    page = pages["inspection"]
    card = page[page.index('id="card-largest-confusion"') :]
    card = card[: card.index("</li>")]
    # a break only before the arrow: it starts an inline block with the label after it
    assert 'severe_tube_defect <span class="card-then">→ tube_defect</span>' in card
    assert "<wbr>" not in page


def test_a_binary_report_with_scores_heads_with_roc_auc_and_average_precision() -> None:
    frame = pd.read_csv(CANCER).drop(columns=["split"])
    record = reportgen.build_report(frame, pos_label="malignant").record
    cards = {c["id"]: c for c in record["summary"]["headline"]}
    assert list(cards)[:3] == ["accuracy", "roc-auc", "average-precision"]
    truth = frame["y_true"] == "malignant"
    auc = metrics.roc_auc_score(truth, frame["proba_malignant"])
    ap = metrics.average_precision_score(truth, frame["proba_malignant"])
    assert cards["roc-auc"]["value"] == f"{auc:.3f}"
    assert cards["average-precision"]["value"] == f"{ap:.3f}"
    assert f"{truth.mean():.3f} by chance" in cards["average-precision"]["detail"]
    assert "macro-f1" not in cards  # two classes: the ranking scores say more


def test_a_multiclass_or_scoreless_report_keeps_macro_f1() -> None:
    frame = pd.read_csv(CANCER)[["y_true", "y_pred"]]
    ids = [c["id"] for c in reportgen.build_report(frame).record["summary"]["headline"]]
    assert ids[:2] == ["accuracy", "macro-f1"] and "roc-auc" not in ids
