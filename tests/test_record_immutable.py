"""The record is built once: rendering, fitting, sealing and delivering never change it."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import reportgen
from reportgen.analysis.evaluation import choose_rows
from reportgen.deliver.archive import fingerprint, page_digest, seal
from reportgen.deliver.budget import fit
from reportgen.deliver.mail import build_message
from reportgen.figures.classification import classification_figures
from reportgen.read.load import LoadOptions, load_predictions
from reportgen.record import classification
from reportgen.record.common import Context, Meta
from reportgen.record.frozen import FrozenDict, FrozenList, freeze, thaw
from reportgen.record.samples import page_thumbnails
from reportgen.render import Section, render_html
from reportgen.render.sections import classification_sections
from reportgen.report import Report
from tests.conftest import DIGITS, embedded_record
from tests.example_reports import EXAMPLES


@pytest.fixture(scope="module")
def small() -> Report:
    """The digits example under a 150 KB budget: its 50 misclassified rows do not all fit."""
    return reportgen.build_report(DIGITS, max_bytes="150KB", **EXAMPLES["digits"]["options"])


def test_the_record_is_final_before_the_page_is_asked_for(small: Report) -> None:
    before = copy.deepcopy(small.record)
    page = small.to_html()
    # the record the caller got first is the one the page embeds, cut and sealed
    assert small.record == before == embedded_record(page)
    assert before["budget"]["max_bytes"] == 150_000 and before["budget"]["cuts"]
    table = before["samples"]["misclassified"]
    assert table["shown"] == len(table["rows"]) < 50 and table["total"] == 116
    assert before["provenance"]["fingerprint"] == fingerprint(before)
    assert before["provenance"]["page_sha256"] == page_digest(page)
    assert small.record is small.record and small.to_html() is page


def test_the_record_is_read_only(small: Report) -> None:
    record = small.record
    with pytest.raises(TypeError, match="read-only"):
        record["title"] = "changed"
    with pytest.raises(TypeError, match="read-only"):
        record["samples"]["misclassified"]["rows"].clear()
    with pytest.raises(TypeError, match="read-only"):
        record["provenance"].pop("fingerprint")
    with pytest.raises(AttributeError):
        small.record = {}  # type: ignore[misc]
    # a deep copy is the caller's own to edit
    mine = copy.deepcopy(record)
    mine["title"] = "changed"
    assert type(mine) is dict and small.record["title"] != "changed"


def test_delivering_changes_nothing(small: Report, tmp_path: Path) -> None:
    before = copy.deepcopy(small.record)
    small.save(tmp_path / "r.html", json_path=tmp_path / "r.json")
    build_message(small.record, small.to_html().encode("utf-8"))
    assert json.loads(small.to_json()) == before
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == before
    assert small.record == before


@pytest.fixture(scope="module")
def parts() -> tuple[dict[str, Any], dict[str, str], list[Section], dict[str, Any]]:
    """A classification record built by its build function, and what the page needs beside it."""
    table = load_predictions(DIGITS, LoadOptions(columns=("ink", "dark_pixels")))
    loop = classification.LoopOptions(image_root=str(DIGITS.parent))
    analysis = classification.analyse(table, max_samples=50, seed=0, loop=loop)
    meta = Meta(title="digits", model=None, created=None, options={"max_samples": 50})
    seen: list[dict[str, Any]] = []

    def gates(record: Any) -> Any:
        seen.append(copy.deepcopy(record))
        return {"passed": True, "baseline": None, "items": []}

    context = Context(evaluation=choose_rows(table, None), gates=gates)
    record = classification.build_record(analysis, meta, context)
    # the gates are checked on the finished record, and added as a new value
    assert seen and "gates" not in seen[0] and seen[0]["summary"]["findings"]
    assert seen[0]["sections"] == record["sections"]
    assert list(record)[-1] == "gates" and record["provenance"]["evaluation"]["rows"] == table.n
    figures = classification_figures(analysis)
    return (
        dict(record),
        figures,
        classification_sections(record),
        dict(page_thumbnails(record, analysis.images)),
    )


def test_the_callers_dict_is_copied(
    parts: tuple[dict[str, Any], dict[str, str], list[Section], dict[str, Any]],
) -> None:
    record, figures, sections, thumbnails = parts
    draft = copy.deepcopy(record)
    report = Report(draft, figures, sections, thumbnails, max_bytes=0)
    draft["title"] = "changed after"
    draft["samples"]["misclassified"]["rows"].clear()
    assert report.record["title"] == "digits"
    assert len(report.record["samples"]["misclassified"]["rows"]) == 50
    assert "budget" not in record and "fingerprint" not in record["provenance"]


def test_render_fit_and_seal_leave_their_argument_alone(
    parts: tuple[dict[str, Any], dict[str, str], list[Section], dict[str, Any]],
) -> None:
    """Each step runs on a frozen record: any write would raise, and the result is new."""
    record, figures, sections, thumbnails = parts
    draft, shown_before = freeze(record), freeze(thumbnails)
    expected = copy.deepcopy(draft)

    def render(record: dict[str, Any], shown: dict[str, Any]) -> str:
        return render_html(freeze(record), sections, figures=figures, thumbnails=dict(shown))

    fitted = fit(render, draft, shown_before, 150_000)
    assert fitted.record["samples"]["misclassified"]["shown"] < 50
    assert "budget" not in draft and len(shown_before) == len(thumbnails)
    page, sealed = seal(fitted.page, freeze(fitted.record))
    assert "fingerprint" not in fitted.record["provenance"]
    assert sealed["provenance"]["fingerprint"] == fingerprint(sealed)
    assert embedded_record(page) == sealed
    assert draft == expected


def test_resizing_gives_a_new_report(small: Report) -> None:
    whole = small.with_max_bytes(0)
    assert whole.max_bytes == 0 and small.max_bytes == 150_000
    assert whole.record["samples"]["misclassified"]["shown"] == 50
    assert small.record["samples"]["misclassified"]["shown"] < 50


def test_frozen_containers_read_as_plain_ones() -> None:
    frozen = freeze({"a": [1, {"b": (2, 3)}], "c": None})
    assert isinstance(frozen, FrozenDict) and isinstance(frozen["a"], FrozenList)
    assert frozen == {"a": [1, {"b": [2, 3]}], "c": None}
    assert json.dumps(frozen) == '{"a": [1, {"b": [2, 3]}], "c": null}'
    assert pickle.loads(pickle.dumps(frozen)) == frozen
    assert isinstance(frozen["a"][:1], FrozenList)
    for write in (
        lambda: frozen.update(c=1),
        lambda: frozen.setdefault("d", 1),
        lambda: frozen["a"].append(4),
        lambda: frozen["a"][1].__setitem__("b", 0),
        lambda: frozen["a"].sort(),
    ):
        with pytest.raises(TypeError, match="read-only"):
            write()
    assert type(thaw(frozen)["a"]) is list
