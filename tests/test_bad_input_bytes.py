"""The bytes of user files: issue 14, items 9, 14, 15 and the UTF-16 part of 16.

Class: every reader of user bytes (predictions in memory and with --stream, tag sheets, the
playbook, the config) takes the bytes apart the same way (reportgen/read/textin.py and scan.py):

- 9: cells and lines are bounded (--max-cell-bytes), so a small .gz cannot expand into
  gigabytes: CSV, TSV and JSON Lines, plain and gzip, in memory and streamed, tag sheets;
- 14: gzip or not is told by the content (a plain file named .gz is read, with a warning);
  UTF-16/32 predictions, playbooks and configs are refused by name, UTF-16 tag sheets with a
  byte-order mark are read (Excel's 'Unicode Text');
- 16: a UTF-16 file without a byte-order mark is refused as "looks like UTF-16", not with a
  list of columns such as 'i d ';
- 15: control characters (NUL, ESC, ...) are shown as escapes (\\x00) with a warning naming
  the column and the count, and a value that would then read as another is refused.
"""

from __future__ import annotations

import gzip
import os
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import InputWarning, ReportgenError
from reportgen.read.load import load_predictions
from reportgen.read.textin import MAX_CELL_BYTES
from tests.refusals import assert_refused as _assert_refused
from tests.refusals import build_in as _build
from tests.refusals import message as _message

HEADER = "id,y_true,y_pred,text\n"
ROWS = "a,cat,cat,one\nb,dog,cat,two\nc,cat,cat,three\nd,dog,dog,four\n"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # paths are passed relative to tmp_path, so the test's folder name cannot satisfy a check
    monkeypatch.chdir(tmp_path)


def _write(path: Path, data: bytes, *, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data, compresslevel=1) if gz else data)
    return path


# ----------------------------------------------------------------------------- 9: bombs

# a 4 MB run of one byte compresses to a few kilobytes: a bomb, scaled to a 64 KiB limit
RUN = 4 << 20
LOW = ("--max-cell-bytes", "64KiB")


@pytest.mark.parametrize(
    ("name", "gz", "stream"),
    [
        ("preds.csv.gz", True, False),
        ("preds.csv.gz", True, True),
        ("preds.csv", False, False),
        ("preds.tsv.gz", True, False),
        ("preds.tsv", False, True),
    ],
)
def test_bomb_cell_in_a_delimited_file_is_refused(
    tmp_path: Path, name: str, gz: bool, stream: bool
) -> None:
    sep = b"\t" if ".tsv" in name else b","
    data = HEADER.encode().replace(b",", sep) + b"a" + sep + b"cat" + sep + b"cat" + sep
    path = _write(tmp_path / name, data + b"x" * RUN + b"\n", gz=gz)
    result, out = _build(tmp_path, path, *LOW, *(["--stream"] if stream else []))
    message = _assert_refused(result, out)
    assert message.startswith(f"reportgen: error: {name}: line 2 has a cell longer than 64KiB")
    assert "--max-cell-bytes" in message and "decompression bomb" in message


@pytest.mark.parametrize("command", ["compare", "sample-errors"])
def test_bomb_is_refused_by_every_command_that_reads_predictions(
    tmp_path: Path, command: str
) -> None:
    good = _write(tmp_path / "good.csv", (HEADER + ROWS).encode())
    data = HEADER.encode() + b"a,cat,cat," + b"x" * RUN + b"\n"
    _write(tmp_path / "bomb.csv.gz", data, gz=True)
    (tmp_path / "out").mkdir()
    inputs = [good.name, "bomb.csv.gz"] if command == "compare" else ["bomb.csv.gz"]
    out = tmp_path / "out" / ("c.html" if command == "compare" else "review.csv")
    args = [command, *inputs, "-o", os.path.relpath(out, tmp_path), *LOW]
    result = CliRunner().invoke(main, args)
    message = _assert_refused(result, out)
    assert "bomb.csv.gz: line 2 has a cell longer than 64KiB" in message


def test_a_stray_quote_that_runs_past_the_limit_is_named(tmp_path: Path) -> None:
    rows = "".join(f"r{i},cat,dog,t\n" for i in range(20_000))
    path = _write(tmp_path / "preds.csv", (HEADER + 'a,cat,cat,"oops\n' + rows).encode())
    result, out = _build(tmp_path, path, *LOW)
    message = _assert_refused(result, out)
    assert "line 2 has a cell longer than 64KiB" in message
    assert "double quotes that do not close" in message


def test_bomb_deep_in_a_streamed_file_names_the_row(tmp_path: Path) -> None:
    # past the first lines the streamed reader checks each batch's cells
    rows = "".join(f"r{i},cat,dog,t\n" for i in range(60_000))
    data = (HEADER + rows + "last,cat,cat,").encode() + b"x" * (1 << 20) + b"\n"
    path = _write(tmp_path / "preds.csv.gz", data, gz=True)
    result, out = _build(tmp_path, path, *LOW, "--stream")
    message = _assert_refused(result, out)
    assert "column 'text' row 60001 has a cell longer than 64KiB" in message


@pytest.mark.parametrize("gz", [True, False])
def test_bomb_json_line_is_refused(tmp_path: Path, gz: bool) -> None:
    data = b'{"y_true": "a", "y_pred": "a"}\n{"y_true": "a", "y_pred": "' + b"b" * RUN + b'"}\n'
    path = _write(tmp_path / ("preds.jsonl.gz" if gz else "preds.jsonl"), data, gz=gz)
    result, out = _build(tmp_path, path, *LOW)
    message = _assert_refused(result, out)
    assert "line 2 holds a JSON record longer than 512KiB" in message


def test_long_json_cell_within_the_line_limit_is_refused(tmp_path: Path) -> None:
    # a JSON record of 100 KB is within the line limit (8 cells), its one cell is not
    data = b'{"y_true": "a", "y_pred": "a", "text": "' + b"t" * 100_000 + b'"}\n'
    path = _write(tmp_path / "preds.jsonl", data)
    result, out = _build(tmp_path, path, *LOW)
    message = _assert_refused(result, out)
    assert "column 'text' row 1 has a cell longer than 64KiB" in message


def test_bomb_in_a_tag_sheet_is_refused(tmp_path: Path) -> None:
    preds = _write(tmp_path / "preds.csv", (HEADER + ROWS).encode())
    sheet = _write(tmp_path / "tags.csv.gz", b"id,buckets\nb," + b"x" * RUN + b"\n", gz=True)
    result, out = _build(tmp_path, preds, "--tags", "tags.csv.gz", *LOW)
    message = _assert_refused(result, out)
    assert message.startswith(f"reportgen: error: {sheet.name}: line 2 ")
    assert "--max-cell-bytes" in message


@pytest.mark.parametrize("value", ["abc", "0", "-5", "100"])
def test_a_limit_that_is_no_size_is_a_usage_error(tmp_path: Path, value: str) -> None:
    path = _write(tmp_path / "preds.csv", (HEADER + ROWS).encode())
    result, out = _build(tmp_path, path, "--max-cell-bytes", value)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    assert "--max-cell-bytes" in _message(result) and "at least 1KiB" in _message(result)


def test_a_raised_limit_reads_the_long_cell(tmp_path: Path) -> None:
    data = (HEADER + ROWS + "e,cat,cat,").encode() + b"x" * 200_000 + b"\n"
    path = _write(tmp_path / "preds.csv.gz", data, gz=True)
    result, out = _build(tmp_path, path, "--max-cell-bytes", "1MiB")
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_default_limit_stops_a_cell_one_byte_over_in_bounded_memory(tmp_path: Path) -> None:
    # the cell runs on for 32 MB: read whole it would take that much and more
    data = HEADER.encode() + b"a,cat,cat," + b"x" * (32 << 20) + b"\n"
    path = _write(tmp_path / "bomb.csv.gz", data, gz=True)
    tracemalloc.start()
    try:
        with pytest.raises(ReportgenError) as caught:
            load_predictions(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "line 2 has a cell longer than 1MiB" in caught.value.message
    assert peak < 16 << 20, peak
    # a cell at the limit is read
    ok = HEADER.encode() + b"z,cat,cat," + b"x" * MAX_CELL_BYTES + b"\n" + ROWS.encode()
    table = load_predictions(_write(tmp_path / "ok.csv.gz", ok, gz=True))
    assert table.rows_read == 5


# ----------------------------------------------------------------------------- 14: gzip names


@pytest.mark.parametrize("stream", [False, True])
def test_plain_csv_named_gz_is_read_with_a_warning(tmp_path: Path, stream: bool) -> None:
    path = _write(tmp_path / "preds.csv.gz", (HEADER + ROWS).encode())
    result, out = _build(tmp_path, path, *(["--stream"] if stream else []))
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert "4 rows, accuracy 75.0%" in result.stdout
    assert _message(result).count("warning: preds.csv.gz: is named .gz but is not gzip") == 1


def test_gzip_named_csv_is_read_by_its_content_when_streamed(tmp_path: Path) -> None:
    path = _write(tmp_path / "preds.csv", (HEADER + ROWS).encode(), gz=True)
    result, out = _build(tmp_path, path, "--stream")
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert "4 rows, accuracy 75.0%" in result.stdout
    assert result.stderr == ""


# ----------------------------------------------------------------------------- 14, 16: encodings


@pytest.mark.parametrize(
    ("encoding", "said"),
    [
        ("utf-16", "is UTF-16 text (it starts with a UTF-16 byte-order mark)"),
        ("utf-32", "is UTF-32 text"),
        ("utf-16-le", "looks like UTF-16 (little-endian) text without a byte-order mark"),
        ("utf-16-be", "looks like UTF-16 (big-endian) text without a byte-order mark"),
        ("utf-32-le", "looks like UTF-32 (little-endian) text"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_wide_encodings_of_predictions_are_named(
    tmp_path: Path, encoding: str, said: str, stream: bool
) -> None:
    path = _write(tmp_path / "preds.csv", (HEADER + ROWS).encode(encoding))
    result, out = _build(tmp_path, path, *(["--stream"] if stream else []))
    message = _assert_refused(result, out)
    assert message.startswith(f"reportgen: error: preds.csv: {said}"), message
    assert "UTF-8" in message and "iconv" in message
    assert "no true-label column" not in message  # not the columns 'i d ', ' y _ t r u e '


def test_utf16_inside_gzip_is_named(tmp_path: Path) -> None:
    text = '{"y_true": "a", "y_pred": "a"}\n'.encode("utf-16-le")
    path = _write(tmp_path / "preds.jsonl.gz", text, gz=True)
    result, out = _build(tmp_path, path)
    assert "looks like UTF-16 (little-endian)" in _assert_refused(result, out)


def test_utf8_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "preds.csv", (HEADER + ROWS).encode("utf-8-sig"))
    result, _ = _build(tmp_path, path, "--stream")
    assert result.exit_code == 0, result.output


def _tagged(tmp_path: Path, sheet: bytes, name: str = "tags.csv") -> tuple[Result, Path]:
    preds = _write(tmp_path / "preds.csv", (HEADER + ROWS).encode())
    _write(tmp_path / name, sheet)
    return _build(tmp_path, preds, "--tags", name)


def test_utf16_tag_sheet_without_a_mark_is_named(tmp_path: Path) -> None:
    result, out = _tagged(tmp_path, "id,buckets\nb,blur\n".encode("utf-16-le"))
    message = _assert_refused(result, out)
    assert message.startswith("reportgen: error: tags.csv: looks like UTF-16 (little-endian)")
    assert "save as UTF-8" in message.lower() or "Save it as UTF-8" in message


def test_utf16_tag_sheet_with_a_mark_is_read(tmp_path: Path) -> None:
    result, out = _tagged(tmp_path, "id\tbuckets\r\nb\tblur\r\n".encode("utf-16"))
    assert result.exit_code == 0, result.output
    assert "blur" in out.read_text(encoding="utf-8")


def test_gzipped_tag_sheet_is_read(tmp_path: Path) -> None:
    result, out = _tagged(tmp_path, gzip.compress(b"id,buckets\nb,blur\n"), "tags.csv.gz")
    assert result.exit_code == 0, result.output
    assert "blur" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_playbook_and_config_are_named(tmp_path: Path, encoding: str) -> None:
    preds = _write(tmp_path / "preds.csv", (HEADER + ROWS).encode())
    book = '[[entry]]\nname = "blur"\nexperiments = ["sharpen"]\n'
    _write(tmp_path / "book.toml", book.encode(encoding))
    result, out = _build(tmp_path, preds, "--playbook", "book.toml")
    message = _assert_refused(result, out)
    assert message.startswith("reportgen: error: book.toml: ") and "UTF-16" in message
    assert "CSV UTF-8" not in message  # a TOML file is not a spreadsheet
    _write(tmp_path / "reportgen.toml", '[build]\ntitle = "x"\n'.encode(encoding))
    result, out = _build(tmp_path, preds)
    message = _assert_refused(result, out)
    assert "reportgen.toml: " in message and "UTF-16" in message


# ----------------------------------------------------------------------------- 15: controls


def _controls_file(tmp_path: Path, name: str = "preds.csv") -> Path:
    rows = (
        "id,y_true,y_pred,text\n"
        "a,c\x00t,c\x00t,bell\x07 and escape\x1b[31m\n"
        "b,dog,c\x00t,tab\tkept\n"
        "c,dog,dog,plain\n"
    )
    return _write(tmp_path / name, rows.encode())


@pytest.mark.parametrize("stream", [False, True])
def test_control_characters_are_shown_as_escapes_with_a_warning(
    tmp_path: Path, stream: bool
) -> None:
    path = _controls_file(tmp_path)
    result, out = _build(
        tmp_path,
        path,
        "--junit",
        "out/junit.xml",
        "--fail-under",
        "accuracy=0.1",
        "--json",
        "out/record.json",
        *(["--stream"] if stream else []),
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    for raw in ("\x00", "\x07", "\x1b"):
        assert raw not in page
        assert raw not in (tmp_path / "out" / "record.json").read_text(encoding="utf-8")
    assert "c\\x00t" in page
    ET.parse(tmp_path / "out" / "junit.xml")  # still well-formed XML
    message = _message(result)
    assert message.count("reportgen: warning: preds.csv: control characters") == 1
    assert "'y_true' (1 cell)" in message and "'y_pred' (2 cells)" in message
    assert "'text' (1 cell)" in message  # the tab of row b is not a control to hide


def test_a_label_that_would_read_as_another_is_refused(tmp_path: Path) -> None:
    # 'a' NUL would be shown as the text a\x00, which another row writes out literally
    path = _write(tmp_path / "preds.csv", b"y_true,y_pred\na\x00,b\nb,a\\x00\n")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert "column 'y_true' holds 'a\\x00' (with a control character) and 'a\\x00'" in message
    assert "rename one" in message


def test_control_characters_in_a_tag_sheet_are_shown(tmp_path: Path) -> None:
    result, out = _tagged(tmp_path, b"id,buckets\nb,bl\x00ur\n")
    assert result.exit_code == 0, result.output
    assert "\x00" not in out.read_text(encoding="utf-8")
    message = _message(result)
    assert "warning: tags.csv: control characters (such as NUL) in column 'buckets' (1 cell)" in (
        message
    )


def test_control_characters_in_a_dataframe_warn(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["a\x00", "b"], "y_pred": ["b", "b"], "n\x01": [1, 2]})
    with pytest.warns(InputWarning, match="'y_true' \\(1 cell\\)"):
        table = load_predictions(frame)
    assert table.labels == ["a\\x00", "b"]
    assert frame["y_true"][0] == "a\x00"  # the caller's frame is left as it was


def test_control_characters_escaped_in_json_lines_are_shown(tmp_path: Path) -> None:
    # JSON writes NUL as the escape \u0000: no NUL byte in the file, one in the label
    data = b'{"y_true": "c\\u0000t", "y_pred": "dog"}\n{"y_true": "dog", "y_pred": "dog"}\n'
    path = _write(tmp_path / "preds.jsonl", data)
    result, out = _build(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert "\x00" not in out.read_text(encoding="utf-8")
    assert "'y_true' (1 cell)" in _message(result)


def test_a_workbook_named_as_a_tag_sheet_is_named_before_it_is_read(tmp_path: Path) -> None:
    result, out = _tagged(tmp_path, b"PK\x03\x04" + b"x" * (1 << 20), "tags.csv")
    message = _assert_refused(result, out)
    assert "zipped workbook" in message


def test_control_characters_in_a_config_or_playbook_are_refused(tmp_path: Path) -> None:
    # TOML writes them as escapes; the title would reach the page and the XML raw
    preds = _write(tmp_path / "preds.csv", (HEADER + ROWS).encode())
    _write(tmp_path / "book.toml", b'[[entry]]\nname = "blur"\nexperiments = ["a\\u001bb"]\n')
    result, out = _build(tmp_path, preds, "--playbook", "book.toml")
    message = _assert_refused(result, out)
    assert "book.toml [entry] #1 experiments #1: the text 'a\\x1bb' holds a control" in message
    _write(tmp_path / "reportgen.toml", b'[build]\ntitle = "bad\\u0000title"\n')
    result, out = _build(tmp_path, preds)
    message = _assert_refused(result, out)
    assert "reportgen.toml [build] title: the text 'bad\\x00title'" in message


def test_control_characters_in_column_names_are_shown(tmp_path: Path) -> None:
    path = _write(tmp_path / "preds.csv", b"y_true,y_pred,re\x1bgion\na,a,x\nb,a,y\n")
    result, out = _build(tmp_path, path, "--slice-all")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "\x1b" not in page and "re\\x1bgion" in page


@pytest.mark.parametrize("stream", [False, True])
def test_corrupt_gzip_data_is_named(tmp_path: Path, stream: bool) -> None:
    # a gzip header, then bytes that are no deflate data: zlib.error is not an OSError
    data = tmp_path / "p.csv.gz"
    data.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 16)
    result, out = _build(tmp_path, data, *(["--stream"] if stream else []))
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "p.csv.gz: could not be read as CSV" in said and "internal error" not in said
    assert not out.exists()
