"""Reports read back as records: extract, fingerprint and page seal, verify against inputs."""

from __future__ import annotations

import copy
import importlib.metadata
import json
import platform
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import reportgen
from reportgen.cli import main
from reportgen.deliver.archive import (
    fingerprint,
    library_versions,
    page_digest,
    read_record,
    record_from_html,
    seal,
    verify,
)
from reportgen.errors import ReportgenError
from reportgen.record.blocks import dumps
from reportgen.record.frozen import freeze
from reportgen.render import embed_json
from tests.conftest import DIGITS, ROOT, embedded_record
from tests.example_reports import EXAMPLES

CANCER = ROOT / "examples" / "cancer" / "predictions.csv"
CREATED = "2026-11-22T10:00:00Z"
_BODY = re.compile(r'(<script type="application/json" id="reportgen-data">)(.*?)(</script>)', re.S)


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def _refused(result: Result) -> str:
    """Exit 2 from our own handler, no traceback; the message on one line."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    message = " ".join(result.stderr.split())
    assert message.startswith("reportgen: error: "), message
    return message


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report and its --json record, built once by the command line."""
    folder = tmp_path_factory.mktemp("built")
    result = _run(
        "build", CANCER, "--pos-label", "malignant", "--created", CREATED,
        "-o", folder / "report.html", "--json", folder / "report.json", "--no-config",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture()
def report(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built report, free to be edited."""
    target = tmp_path / "report.html"
    target.write_bytes((built / "report.html").read_bytes())
    return target


def _page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _with_body(page: str, body: str) -> str:
    found = _BODY.search(page)
    assert found
    return page[: found.start(2)] + body + page[found.end(2) :]


# ---------------------------------------------------------------- extract


def test_extract_prints_the_json_file_byte_for_byte(built: Path) -> None:
    result = _run("extract", built / "report.html")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (built / "report.json").read_bytes()


def test_extract_to_a_file(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "record.json"
    result = _run("extract", built / "report.html", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}: the record (JSON)\n" and result.stderr == ""
    assert out.read_bytes() == (built / "report.json").read_bytes()


def test_extract_of_the_json_file_is_the_same_file(built: Path) -> None:
    result = _run("extract", built / "report.json")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (built / "report.json").read_bytes()


def test_read_record_equals_the_built_record(built: Path) -> None:
    from_page = read_record(built / "report.html")
    from_json = read_record(built / "report.json")
    assert from_page == from_json
    assert from_page["provenance"]["created"] == CREATED
    assert from_page["provenance"]["fingerprint"] == fingerprint(from_page)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "page.html",
            "<!DOCTYPE html><html><body><p>hello</p></body></html>",
            "page.html: not a reportgen report: it has no "
            '<script type="application/json" id="reportgen-data"> element.',
        ),
        (
            "page.html",
            '<html><script type="application/json" id="reportgen-data">{"schema": "report'
            "</script></html>",
            "page.html: the embedded record (#reportgen-data) is not valid JSON",
        ),
        (
            "page.html",
            '<html><script type="application/json" id="reportgen-data">'
            '{"schema": "reportgen/9", "provenance": {}}</script></html>',
            "page.html: record schema 'reportgen/9' is not one this version reads (reportgen/1)",
        ),
        (
            "page.html",
            '<html><script type="application/json" id="reportgen-data">[1, 2]</script></html>',
            "page.html: not a reportgen record: it has no 'schema' key.",
        ),
        ("record.json", '{"schema": "reportgen/1", "x": ', "record.json: not valid JSON"),
        ("record.json", '{"title": "no schema"}', "record.json: not a reportgen record"),
        (
            "record.json",
            '{"schema": "reportgen/1", "provenance": {}, "value": NaN}',
            "record.json: not valid JSON: NaN is not JSON",
        ),
        (
            "record.json",
            '{"schema": "reportgen/1", "provenance": [1, 2]}',
            "record.json: not a reportgen record: its provenance is not an object.",
        ),
    ],
)
def test_extract_refuses_what_is_not_a_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(content, encoding="utf-8")
    result = _run("extract", name, "-o", "out.json")
    assert expected in _refused(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    result = _run("verify", name)
    assert expected in _refused(result)


def test_extract_refuses_a_missing_file_a_folder_and_a_binary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert "reportgen: error: nope.html: no such file." in _refused(_run("extract", "nope.html"))
    Path("folder.html").mkdir()
    assert "folder.html: is a folder" in _refused(_run("extract", "folder.html"))
    Path("image.png").write_bytes(bytes(range(256)) * 4)
    message = _refused(_run("extract", "image.png", "-o", "out.json"))
    assert "image.png: not a reportgen report or record: it is not UTF-8 text." in message
    assert not Path("out.json").exists()


def test_extract_a_report_with_its_record_cut_short(report: Path) -> None:
    page = _page(report)
    found = _BODY.search(page)
    assert found
    report.write_text(page[: found.start(2) + 500], encoding="utf-8")  # a download cut short
    message = _refused(_run("extract", report))
    assert f"{report}: the embedded record (#reportgen-data) has no closing </script>" in message
    assert _refused(_run("verify", report)) == message


def test_extract_an_older_record(built: Path, tmp_path: Path) -> None:
    # reportgen 0.1 wrote none of the seal keys nor the library versions
    record = json.loads((built / "report.json").read_text(encoding="utf-8"))
    for key in ("fingerprint", "page_sha256", "libraries", "config"):
        del record["provenance"][key]
    del record["budget"]
    page = tmp_path / "old.html"
    page.write_text(
        "<!DOCTYPE html>\n<html><head><title>old</title></head><body><p>old report</p>\n"
        f'<script id="reportgen-data" type="application/json">{embed_json(record)}</script>\n'
        "</body></html>\n",
        encoding="utf-8",
    )
    result = _run("extract", page)
    assert result.exit_code == 0, result.output
    assert result.stdout == dumps(record)
    # verify says there is nothing to check against, and does not pretend it passed
    result = _run("verify", page)
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("FAILED: the record has no fingerprint")
    assert "page intact" not in result.stdout


def test_extract_a_minimal_record_file(tmp_path: Path) -> None:
    path = tmp_path / "minimal.json"
    path.write_text('\ufeff{"schema": "reportgen/1", "title": "t\u00e9"}\n', encoding="utf-8")
    result = _run("extract", path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"schema": "reportgen/1", "title": "t\u00e9"}
    result = _run("verify", path)
    assert result.exit_code == 1 and "no fingerprint" in result.stdout


def test_record_from_html_takes_attributes_in_any_order() -> None:
    page = (
        "<script id='reportgen-data' type='application/json'>{\"schema\": \"reportgen/1\"}</script>"
    )
    assert record_from_html(page) == {"schema": "reportgen/1"}
    with pytest.raises(ReportgenError, match=r"^the page: not a reportgen report"):
        record_from_html("<script type='application/json' id='other'>{}</script>")


# ---------------------------------------------------------------- verify


def test_verify_a_fresh_report_and_its_json(built: Path) -> None:
    result = _run("verify", built / "report.html")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ok: record intact (sha256:")
    assert lines[1].startswith("ok: page intact (sha256:")
    result = _run("verify", built / "report.json")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [lines[0]]  # a record file has no page to check


def test_verify_fails_when_a_number_in_the_record_is_edited(report: Path) -> None:
    page = _page(report)
    assert page.count('"rows_read":569') == 1
    report.write_text(page.replace('"rows_read":569', '"rows_read":570'), encoding="utf-8")
    result = _run("verify", report)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAILED: record changed after it was written: it hashes to sha256:")
    assert lines[1].startswith("ok: page intact")  # the visible part was left alone


def test_verify_fails_when_the_visible_page_is_edited(report: Path) -> None:
    page = _page(report)
    cell = '">160</td>'  # benign rows of the dev split (attributes vary: class, data-label)
    assert cell in page
    report.write_text(page.replace(cell, '">161</td>', 1), encoding="utf-8")
    result = _run("verify", report)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok: record intact")
    assert lines[1].startswith("FAILED: page changed after it was written: its visible part")


def test_verify_ignores_how_the_record_is_spaced(report: Path) -> None:
    # the fingerprint is of the record, not of its bytes: re-serialising it changes nothing
    page = _page(report)
    record = embedded_record(page)
    report.write_text(_with_body(page, json.dumps(record, indent=2)), encoding="utf-8")
    assert _run("verify", report).exit_code == 0


def test_verify_inputs(built: Path, tmp_path: Path) -> None:
    result = _run("verify", built / "report.html", "--input", CANCER)
    assert result.exit_code == 0, result.output
    assert f"ok: {CANCER} is the prediction file it was built from (SHA-256 " in result.stdout
    result = _run("verify", built / "report.json", "--input", CANCER, "--input", DIGITS)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"ok: {CANCER}")
    assert lines[2].startswith(f"FAILED: {DIGITS} is not a file this report was built from")
    assert "the report records predictions.csv (" in lines[2]
    # the same name with other bytes is another file
    copy_ = tmp_path / "predictions.csv"
    copy_.write_bytes(CANCER.read_bytes() + b"\n")
    result = _run("verify", built / "report.html", "--input", copy_)
    assert result.exit_code == 1
    assert "FAILED" in result.stdout


def test_verify_an_input_that_does_not_exist(built: Path) -> None:
    message = _refused(_run("verify", built / "report.html", "--input", "nope.csv"))
    assert "--input nope.csv: no such file." in message


def test_verify_from_python(built: Path) -> None:
    checks = verify(built / "report.html", [str(CANCER)])
    assert [ok for ok, _ in checks] == [True, True, True]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = EXAMPLES["inspection-compare"]
    folder = tmp_path_factory.mktemp("compare")
    result = _run(
        "compare", spec["baseline"], spec["data"], "-o", folder / "compare.html",
        "--json", folder / "compare.json", "--name-a", "baseline", "--name-b", "retrained",
        "--image-root", spec["options"]["image_root"], "--tags", spec["options"]["tags"],
        "--created", CREATED, "--no-config",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder / "compare.html"


def test_verify_a_comparison_and_both_its_inputs(comparison: Path) -> None:
    spec = EXAMPLES["inspection-compare"]
    result = _run(
        "verify", comparison, "--input", spec["baseline"], "--input", spec["data"],
        "--input", spec["options"]["tags"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert f"ok: {spec['baseline']} is the baseline it was built from" in lines[2]
    assert f"ok: {spec['data']} is the candidate it was built from" in lines[3]
    assert f"ok: {spec['options']['tags']} is the Tag sheet (both)" in lines[4]
    # a third file is none of them
    result = _run("verify", comparison, "--input", DIGITS)
    assert result.exit_code == 1
    assert "the report records predictions.csv (c71736edb4e0…), predictions.csv" in result.stdout


def test_extract_a_comparison(comparison: Path) -> None:
    result = _run("extract", comparison)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == comparison.with_suffix(".json").read_bytes()


# ---------------------------------------------------------------- the seal


def test_same_input_twice_gives_the_same_bytes(built: Path, tmp_path: Path) -> None:
    result = _run(
        "build", CANCER, "--pos-label", "malignant", "--created", CREATED,
        "-o", tmp_path / "again.html", "--json", tmp_path / "again.json", "--no-config",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again.html").read_bytes() == (built / "report.html").read_bytes()
    assert (tmp_path / "again.json").read_bytes() == (built / "report.json").read_bytes()


def test_source_date_epoch_seals_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    pages = [reportgen.build_report(CANCER, pos_label="malignant").to_html() for _ in range(2)]
    assert pages[0] == pages[1]
    record = embedded_record(pages[0])
    assert record["provenance"]["created"] == "2026-09-21T14:13:20Z"
    assert record["provenance"]["page_sha256"] == page_digest(pages[0])
    assert record["provenance"]["fingerprint"] == fingerprint(record)


def test_seal_records_the_page_digest_and_fingerprint() -> None:
    record: dict[str, Any] = {"schema": "reportgen/1", "provenance": {"created": None}}
    page = (
        '<html><p>visible</p><script type="application/json" id="reportgen-data">{}</script>'
        "<p>after</p></html>"
    )
    sealed, record_sealed = seal(page, freeze(record))
    assert sealed.startswith("<html><p>visible</p>") and sealed.endswith("<p>after</p></html>")
    assert record_from_html(sealed) == record_sealed
    prov = record_sealed["provenance"]
    assert prov["page_sha256"] == page_digest(page) == page_digest(sealed)
    assert prov["fingerprint"] == fingerprint(record_sealed)
    # the record given is not edited (frozen: a write would have raised)
    assert record == {"schema": "reportgen/1", "provenance": {"created": None}}
    # sealing a sealed record again replaces its seals, and gives the same ones
    assert seal(page, record_sealed) == (sealed, record_sealed)
    with pytest.raises(ReportgenError, match="no #reportgen-data element"):
        seal("<html></html>", {"provenance": {}})


def test_fingerprint_leaves_out_itself_and_not_key_order() -> None:
    record: dict[str, Any] = {"schema": "reportgen/1", "b": [1, 2.5], "provenance": {"x": "é"}}
    first = fingerprint(record)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", first)
    record["provenance"]["fingerprint"] = first
    assert fingerprint(record) == first
    reordered = {
        "provenance": {"fingerprint": "other", "x": "é"},
        "b": [1, 2.5],
        "schema": "reportgen/1",
    }
    assert fingerprint(reordered) == first
    changed = copy.deepcopy(record)
    changed["b"][1] = 2.50001
    assert fingerprint(changed) != first
    assert "fingerprint" in record["provenance"]  # taking it does not touch the record


def test_libraries_in_the_record(built: Path) -> None:
    record = read_record(built / "report.json")
    libraries = record["provenance"]["libraries"]
    assert libraries["matplotlib"] == importlib.metadata.version("matplotlib")
    assert libraries["scikit-learn"] == importlib.metadata.version("scikit-learn")
    assert libraries["python"] == platform.python_version()
    assert libraries == library_versions()
    page = _page(built / "report.html")
    assert f"matplotlib {importlib.metadata.version('matplotlib')}" in page
