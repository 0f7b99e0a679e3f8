"""The size budget: sizes parse strictly, pages are cut level by level and say so."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import reportgen
from reportgen.cli import main
from reportgen.deliver.budget import DEFAULT_MAX_BYTES, DROPPED, fit, parse_size, size_text
from reportgen.errors import ReportgenError
from reportgen.record.frozen import freeze
from tests.conftest import DIGITS, embedded_record
from tests.example_reports import EXAMPLES, build

Render = Callable[[dict[str, Any], dict[str, dict[str, Any]]], str]
NOTE = re.compile(r'<p class="budget-note" role="note">(.*?)</p>', re.S)
THUMB = 'class="thumb" src="data:image/'


def _size(page: str) -> int:
    return len(page.encode("utf-8"))


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5MB", 5_000_000),
        ("800KB", 800_000),
        ("800kb", 800_000),
        ("800 KB", 800_000),
        ("2MiB", 2 * 1024 * 1024),
        ("1KiB", 1024),
        ("1.5MB", 1_500_000),
        ("5M", 5_000_000),
        ("1234", 1234),
        ("1234B", 1234),
        (" 7 kb ", 7000),
        ("1GB", 1_000_000_000),
        ("0", 0),
        ("0KB", 0),
        (1234, 1234),
        (0, 0),
    ],
)
def test_parse_size(text: str | int, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lots", "--max-bytes lots: not a size; give bytes or a unit, e.g. 5MB, 800KB"),
        ("", "not a size"),
        ("5TB", "not a size"),
        ("5 M B", "not a size"),
        ("1e6", "not a size"),
        ("-1", "--max-bytes -1: a size cannot be negative."),
        ("-5MB", "--max-bytes -5MB: a size cannot be negative."),
        (-1, "--max-bytes -1: a size cannot be negative."),
        # rounding down to 0 would silently turn the budget off
        ("0.0001KB", "--max-bytes 0.0001KB: less than one byte; 0 means no limit."),
    ],
)
def test_parse_size_refuses(text: str | int, message: str) -> None:
    with pytest.raises(ReportgenError) as caught:
        parse_size(text)
    assert message in caught.value.message


def test_size_text() -> None:
    assert size_text(5_000_000) == "5 MB"
    assert size_text(1_500_000) == "1.5 MB"
    assert size_text(820_000) == "820 KB"
    assert size_text(999) == "999 bytes"
    assert size_text(1) == "1 byte"


# ---------------------------------------------------------------- the cutting, on a model page


def _table(rows: list[int], *, seed: bool, total: int) -> dict[str, Any]:
    table: dict[str, Any] = {
        "total": total,
        "shown": len(rows),
        "rows": [
            {"row": r, "image": {"source": f"img/{r}.png", "shown": True, "reason": None}}
            for r in rows
        ],
    }
    if seed:
        table["seed"] = 0
    return table


def _model() -> tuple[dict[str, Any], dict[str, dict[str, Any]], Render]:
    """A record with a random sample (file order) and a ranking, and a page whose size is
    1000 bytes, 100 per row and 500 per thumbnail."""
    record: dict[str, Any] = {
        "provenance": {"options": {"max_samples": 20}},
        "samples": {
            "random": _table(list(range(0, 200, 10)), seed=True, total=90),
            "ranked": _table(
                [507, 503, 509, 501, 508, 502, 506, 500, 505, 504, 511, 510], seed=False, total=12
            ),
        },
    }
    thumbnails = {
        row["image"]["source"]: {"data_uri": "data:", "width": 8, "height": 8}
        for table in record["samples"].values()
        for row in table["rows"]
    }

    def render(record: dict[str, Any], thumbnails: dict[str, dict[str, Any]]) -> str:
        rows = sum(len(t["rows"]) for t in record["samples"].values())
        return "x" * (1000 + 100 * rows + 500 * len(thumbnails))

    return freeze(record), freeze(thumbnails), render


def test_under_budget_nothing_is_cut() -> None:
    record, thumbnails, render = _model()
    fitted = fit(render, record, thumbnails, 100_000)
    assert _size(fitted.page) == 1000 + 100 * 32 + 500 * 32
    assert fitted.record["budget"] == {"max_bytes": 100_000, "cuts": [], "over": None}
    assert len(fitted.record["samples"]["random"]["rows"]) == 20 and len(fitted.thumbnails) == 32
    assert "budget" not in record


def test_no_budget_never_cuts() -> None:
    record, thumbnails, render = _model()
    fitted = fit(render, record, thumbnails, 0)
    assert fitted.record["budget"] == {"max_bytes": 0, "cuts": [], "over": None}
    assert len(fitted.thumbnails) == 32


def test_rows_are_halved_first() -> None:
    record, thumbnails, render = _model()
    # 20+12 rows with thumbnails are 20,200 bytes; 10+10 are 13,000
    fitted = fit(render, record, thumbnails, 13_000)
    assert _size(fitted.page) == 13_000
    assert fitted.record["budget"] == {
        "max_bytes": 13_000,
        "cuts": ["sample tables show at most 10 rows each (asked for 20)"],
        "over": None,
    }
    random, ranked = fitted.record["samples"]["random"], fitted.record["samples"]["ranked"]
    # a random sample keeps rows spread over it, first and last included, in file order
    assert [r["row"] for r in random["rows"]] == [0, 20, 40, 60, 80, 110, 130, 150, 170, 190]
    assert random["shown"] == 10 and random["total"] == 90
    # a ranking keeps its top rows, in rank order
    assert [r["row"] for r in ranked["rows"]] == [507, 503, 509, 501, 508, 502, 506, 500, 505, 504]
    assert ranked["shown"] == 10
    # thumbnails of rows no longer shown leave the page
    assert set(fitted.thumbnails) == {
        r["image"]["source"] for t in (random, ranked) for r in t["rows"]
    }
    # the record and thumbnails given are as they were (frozen: a write would have raised)
    assert len(record["samples"]["random"]["rows"]) == 20 and len(thumbnails) == 32


def test_rows_are_halved_down_to_five() -> None:
    record, thumbnails, render = _model()
    fitted = fit(render, record, thumbnails, 1000 + 100 * 10 + 500 * 10)
    assert fitted.record["budget"]["cuts"] == [
        "sample tables show at most 5 rows each (asked for 20)"
    ]
    assert [r["row"] for r in fitted.record["samples"]["random"]["rows"]] == [0, 40, 80, 150, 190]
    assert _size(fitted.page) == 7000


def test_then_thumbnails_are_dropped_with_a_reason() -> None:
    record, thumbnails, render = _model()
    fitted = fit(render, record, thumbnails, 3000)
    assert _size(fitted.page) == 2000
    assert fitted.record["budget"] == {
        "max_bytes": 3000,
        "cuts": [
            "sample tables show at most 5 rows each (asked for 20)",
            "thumbnails are left out",
        ],
        "over": None,
    }
    assert fitted.thumbnails == {}
    images = [r["image"] for t in fitted.record["samples"].values() for r in t["rows"]]
    assert len(images) == 10
    assert all(not image["shown"] and image["reason"] == DROPPED for image in images)
    assert all(r["image"]["shown"] for t in record["samples"].values() for r in t["rows"])


def test_then_sample_rows_and_a_budget_too_small() -> None:
    record, thumbnails, render = _model()
    fitted = fit(render, record, thumbnails, 1000)
    assert _size(fitted.page) == 1000
    assert fitted.record["budget"] == {
        "max_bytes": 1000,
        "cuts": ["sample tables are left out", "thumbnails are left out"],
        "over": None,
    }
    fitted = fit(render, record, thumbnails, 999)
    assert _size(fitted.page) == 1000  # written all the same
    assert fitted.record["budget"]["over"] == (
        "Even so, the page is 1 KB, over the 999 bytes budget (size 20 KB before the cuts): "
        "its figures and tables alone are that large"
    )
    assert all(t["rows"] == [] and t["shown"] == 0 for t in fitted.record["samples"].values())


def test_a_page_without_thumbnails_never_says_it_dropped_them() -> None:
    record, _thumbnails, render = _model()
    record = copy.deepcopy(record)
    for table in record["samples"].values():
        for row in table["rows"]:
            row["image"] = None
    fitted = fit(render, record, {}, 1)
    assert fitted.record["budget"]["cuts"] == ["sample tables are left out"]
    assert fitted.record["budget"]["over"].startswith(
        "Even so, the page is 1 KB, over the 1 byte budget"
    )


def test_a_page_with_nothing_to_cut() -> None:
    record, _thumbnails, render = _model()
    record = copy.deepcopy(record)
    for table in record["samples"].values():
        table["rows"], table["shown"] = [], 0
    fitted = fit(render, record, {}, 10)
    assert _size(fitted.page) == 1000
    assert fitted.record["budget"]["cuts"] == []
    assert fitted.record["budget"]["over"] == (
        "The page is 1 KB, over the 10 bytes budget, and it has no sample rows or thumbnails to "
        "cut: its figures and tables alone are that large"
    )


def test_a_second_fit_keeps_the_cuts_and_drops_the_old_verdict() -> None:
    record, thumbnails, render = _model()
    first = fit(render, record, thumbnails, 999)
    assert first.record["budget"]["over"]
    second = fit(render, first.record, first.thumbnails, 5000)
    assert second.record["budget"]["over"] is None
    assert second.record["budget"]["max_bytes"] == 5000
    assert second.record["budget"]["cuts"] == first.record["budget"]["cuts"]
    assert first.record["budget"]["over"]  # the first result is as it was


# ---------------------------------------------------------------- on a real report


@pytest.fixture(scope="module")
def digits() -> reportgen.Report:
    """The digits example (50 misclassified rows, thumbnails), built but not yet rendered."""
    return build(EXAMPLES["digits"])


def _fitted(report: reportgen.Report, max_bytes: int) -> tuple[dict[str, Any], str]:
    resized = report.with_max_bytes(max_bytes)
    return resized.record, resized.to_html()


def test_the_default_budget_keeps_the_digits_page_whole(digits: reportgen.Report) -> None:
    record, page = _fitted(digits, DEFAULT_MAX_BYTES)
    assert record["budget"] == {"max_bytes": 5_000_000, "cuts": [], "over": None}
    assert NOTE.search(page) is None
    assert record["samples"]["misclassified"]["shown"] == 50
    assert page.count(THUMB) > 50


def test_cut_level_by_level(digits: reportgen.Report) -> None:
    """Each budget just under the last page's size takes the page one level further."""
    full_record, full = _fitted(digits, 0)
    full_ids = [r["id"] for r in full_record["samples"]["misclassified"]["rows"]]
    expected = [
        (["sample tables show at most 25 rows each (asked for 50)"], 25, True),
        (["sample tables show at most 12 rows each (asked for 50)"], 12, True),
        (["sample tables show at most 6 rows each (asked for 50)"], 6, True),
        (["sample tables show at most 5 rows each (asked for 50)"], 5, True),
        (["sample tables show at most 5 rows each (asked for 50)", "thumbnails are left out"], 5,
         False),
        (["sample tables are left out", "thumbnails are left out"], 0, False),
    ]  # fmt: skip
    size = _size(full)
    for cuts, rows, thumbs in expected:
        budget = size - 50
        record, page = _fitted(digits, budget)
        size = _size(page)
        assert record["budget"] == {"max_bytes": budget, "cuts": cuts, "over": None}
        assert size <= budget
        # the record embedded in the page says the same
        assert embedded_record(page)["budget"] == record["budget"]
        table = record["samples"]["misclassified"]
        assert table["shown"] == rows == len(table["rows"]) and table["total"] == 116
        ids = [r["id"] for r in table["rows"]]
        # cut rows of the random sample stay in file order, and are rows it had
        assert ids == [i for i in full_ids if i in ids]
        if rows:
            assert ids[0] == full_ids[0] and ids[-1] == full_ids[-1]
            assert f"Showing {rows} of 116 misclassified rows" in page
        # the page header says what was cut, and for which budget
        note = NOTE.search(page)
        assert note
        assert "cut to size" in note.group(1)
        assert f"To keep this page under {size_text(budget)}" in note.group(1)
        assert "; ".join(cuts) in note.group(1)
        assert (page.count(THUMB) > 0) is thumbs
        if rows and not thumbs:
            assert page.count(f'not shown</span> <span class="muted">{DROPPED}') >= rows
    # and one byte less than everything cut away can give
    record, page = _fitted(digits, size - 50)
    assert record["budget"]["over"].startswith(f"Even so, the page is {size_text(_size(page))}")
    note = NOTE.search(page)
    assert note and record["budget"]["over"] in note.group(1)


def test_build_report_takes_max_bytes(digits: reportgen.Report) -> None:
    report = reportgen.build_report(DIGITS, max_bytes="100KB", **EXAMPLES["digits"]["options"])
    assert report.max_bytes == 100_000
    page = report.to_html()
    assert report.record["budget"]["cuts"] == [
        "sample tables are left out",
        "thumbnails are left out",
    ]
    assert report.record["budget"]["over"] and _size(page) > 100_000
    with pytest.raises(ReportgenError, match="--max-bytes lots: not a size"):
        reportgen.build_report(DIGITS, max_bytes="lots")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_default_budget_changes_nothing_on_the_examples(name: str) -> None:
    report = build(EXAMPLES[name])
    page = report.to_html()
    assert report.record["budget"] == {"max_bytes": DEFAULT_MAX_BYTES, "cuts": [], "over": None}
    assert NOTE.search(page) is None
    assert DROPPED not in page


def test_comparison_rows_are_cut_in_file_order() -> None:
    spec = EXAMPLES["inspection-compare"]
    # every split: the dev split alone has 5 fixed rows, too few to be cut
    options = {**spec["options"], "eval_split": "all"}
    whole = reportgen.compare_reports(spec["baseline"], spec["data"], max_bytes=0, **options)
    size = _size(whole.to_html())
    cut = reportgen.compare_reports(spec["baseline"], spec["data"], max_bytes=size - 50, **options)
    page = cut.to_html()
    assert _size(page) <= size - 50
    fixed = [r["row"] for r in cut.record["samples"]["fixed"]["rows"]]
    every = [r["row"] for r in whole.record["samples"]["fixed"]["rows"]]
    assert len(fixed) == len(every) // 2
    assert fixed == sorted(fixed) and set(fixed) <= set(every)
    assert fixed[0] == every[0] and fixed[-1] == every[-1]
    note = NOTE.search(page)
    assert note and f"at most {len(every) // 2} rows each (asked for 50)" in note.group(1)


# ---------------------------------------------------------------- the command line


def test_cli_max_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    image_root = EXAMPLES["digits"]["options"]["image_root"]
    args = ["build", str(DIGITS), "--image-root", str(image_root), "--no-config"]
    result = CliRunner().invoke(main, [*args, "-o", "small.html", "--max-bytes", "250KB"])
    assert result.exit_code == 0, result.output
    page = Path("small.html").read_text(encoding="utf-8")
    assert _size(page) <= 250_000
    record = embedded_record(page)
    assert record["budget"]["max_bytes"] == 250_000
    assert record["budget"]["cuts"][0].startswith("sample tables show at most")
    assert record["samples"]["misclassified"]["shown"] < 50
    # the seal is taken over the page as cut
    assert CliRunner().invoke(main, ["verify", "small.html"]).exit_code == 0
    # too small to meet: the page is written all the same, and says so
    result = CliRunner().invoke(main, [*args, "-o", "tiny.html", "--max-bytes", "10KB"])
    assert result.exit_code == 0, result.output
    record = embedded_record(Path("tiny.html").read_text(encoding="utf-8"))
    assert record["budget"]["over"] and "over the 10 KB budget" in record["budget"]["over"]
    # no budget at all
    result = CliRunner().invoke(main, [*args, "-o", "whole.html", "--max-bytes", "0"])
    assert result.exit_code == 0, result.output
    record = embedded_record(Path("whole.html").read_text(encoding="utf-8"))
    assert record["budget"] == {"max_bytes": 0, "cuts": [], "over": None}


@pytest.mark.parametrize(
    ("size", "message"), [("lots", "not a size"), ("-1", "a size cannot be negative")]
)
def test_cli_bad_max_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["build", str(DIGITS), "-o", "r.html", "--no-config", f"--max-bytes={size}"]
    )
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"reportgen: error: --max-bytes {size}: {message}" in result.stderr
    assert list(tmp_path.iterdir()) == []
