"""Bad input in the columns themselves (issue 14, items 5, 11 and 12).

- Item 5, cells that are not plain values: Parquet list, struct, map and binary columns and
  JSON Lines objects and arrays, in every role a column can play (labels, id, split, buckets,
  step, slices, probabilities; --columns and --sample only show theirs, as JSON), in memory
  and with --stream, in build, compare and sample-errors.
- Item 11, duplicate column names: CSV headers (read before pandas renames the second
  'y_true' to 'y_true.1'), Parquet schemas, DataFrames, JSON Lines keys, and probability
  columns that name one label twice.
- Item 12, label spellings: '01' and '1' are two classes, '3' and '3.0' one, in memory and
  streamed, and probability columns match the labels as written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.read.load import load_predictions
from tests.refusals import assert_refused as _assert_refused


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # relative paths, as users type them: a word in pytest's folder name cannot pass a check
    monkeypatch.chdir(tmp_path)


def _run(tmp_path: Path, *args: str) -> tuple[Result, Path]:
    """Run a command whose output is out/report.html (or the -o given)."""
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    result = CliRunner().invoke(main, list(args))
    return result, out_dir / "report.html"


def _build(tmp_path: Path, data: Path, *args: str) -> tuple[Result, Path]:
    return _run(tmp_path, "build", data.name, "-o", "out/report.html", *args)


def _assert_built(result: Result, out: Path) -> None:
    assert result.exit_code == 0, result.output
    assert out.exists()


BASE: dict[str, Any] = {
    "id": ["r1", "r2", "r3", "r4"],
    "y_true": ["cat", "dog", "cat", "dog"],
    "y_pred": ["cat", "cat", "cat", "dog"],
}


def _parquet(tmp_path: Path, name: str = "preds.parquet", **columns: Any) -> Path:
    path = tmp_path / name
    pq.write_table(pa.table({**BASE, **columns}), path)
    return path


def _jsonl(tmp_path: Path, rows: list[dict[str, Any]], name: str = "preds.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# ------------------------------------------------- item 5: lists, structs, maps, bytes

LISTS = [["cat"], ["dog"], ["cat"], ["dog"]]
STRUCTS = [{"x": 1}, {"x": 2}, {"x": 1}, {"x": 2}]
MAPS = pa.array([[("k", 1)]] * 4, pa.map_(pa.string(), pa.int64()))
BINARY = pa.array([b"cat", b"dog", b"cat", b"dog"], pa.binary())
KINDS = {"list": (LISTS, "a list"), "struct": (STRUCTS, "a struct/object"),
         "map": (MAPS, "a map"), "binary": (BINARY, "binary")}  # fmt: skip


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("column", ["y_true", "y_pred"])
def test_label_column_of_containers_or_bytes_is_refused(
    tmp_path: Path, column: str, kind: str, stream: bool
) -> None:
    values, words = KINDS[kind]
    data = _parquet(tmp_path, **{column: values})
    result, out = _build(tmp_path, data, *(["--stream"] if stream else []))
    message = _assert_refused(result, out)
    assert message.startswith(f"reportgen: error: {data.name}: column '{column}'")
    assert f"holds {words} in 4 cells (rows 1, 2, 3, 4)" in message
    assert "takes text, numbers or booleans" in message


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("column", "args", "role"),
    [
        ("id", (), "the id column"),
        ("split", (), "the split column"),
        ("buckets", (), "the error-bucket column"),
        ("epoch", ("--step", "epoch"), "the step column"),
        ("meta", ("--slice", "meta"), "sliced by with --slice"),
        ("meta", ("--slice-all",), "sliced by with --slice-all"),
        ("proba_cat", (), "a probability column"),
    ],
)
def test_grouping_column_of_structs_is_refused(
    tmp_path: Path, column: str, args: tuple[str, ...], role: str, stream: bool
) -> None:
    extra: dict[str, Any] = {column: STRUCTS}
    if column == "proba_cat":
        extra["proba_dog"] = [0.5] * 4
    data = _parquet(tmp_path, **extra)
    result, out = _build(tmp_path, data, *args, *(["--stream"] if stream else []))
    message = _assert_refused(result, out)
    assert f"column '{column}' ({role}) holds a struct/object in 4 cells" in message
    if column == "meta" and "--slice-all" in args:
        assert "name the slices with --slice" in message


def test_binary_id_is_refused_not_shown_as_python_bytes(tmp_path: Path) -> None:
    # b'r1' was shown as "b'r1'" and never matched a tag sheet's r1
    data = _parquet(tmp_path, id=pa.array([b"r1", b"r2", b"r3", b"r4"], pa.binary()))
    message = _assert_refused(*_build(tmp_path, data))
    assert "column 'id' (the id column) holds binary" in message
    assert "decode it to text" in message


@pytest.mark.parametrize("stream", [False, True])
def test_shown_columns_may_hold_structs_and_lists_written_as_json(
    tmp_path: Path, stream: bool
) -> None:
    data = _parquet(tmp_path, meta=STRUCTS, sample=LISTS)
    result, out = _build(
        tmp_path, data, "--columns", "meta", "--json", "out/r.json",
        *(["--stream"] if stream else []),
    )  # fmt: skip
    _assert_built(result, out)
    record = (tmp_path / "out" / "r.json").read_text(encoding="utf-8")
    assert '{\\"x\\": 2}' in record and '[\\"cat\\"]' in record
    assert "{'x'" not in record and "array(" not in record


def test_shown_column_of_bytes_is_refused(tmp_path: Path) -> None:
    data = _parquet(tmp_path, meta=BINARY)
    message = _assert_refused(*_build(tmp_path, data, "--columns", "meta"))
    assert "column 'meta' (named with --columns) holds binary" in message


def test_dictionary_and_date_columns_keep_working(tmp_path: Path) -> None:
    data = _parquet(
        tmp_path,
        y_true=pa.array(BASE["y_true"]).dictionary_encode(),
        y_pred=pa.array(BASE["y_pred"]).dictionary_encode(),
        day=pa.array([0, 1, 0, 1], pa.date32()),
        at=pa.array([0, 1, 0, 1], pa.timestamp("s")),
    )
    for stream in ([], ["--stream"]):
        result, out = _build(tmp_path, data, "--slice", "day", "--slice", "at", *stream)
        _assert_built(result, out)
        out.unlink()


@pytest.mark.parametrize(
    ("value", "words"), [({"a": 1}, "a struct/object"), (["cat"], "a list"), ([], "a list")]
)
def test_jsonl_objects_and_arrays_in_labels_are_refused(
    tmp_path: Path, value: Any, words: str
) -> None:
    rows = [{"id": i, "y_true": "cat", "y_pred": "cat"} for i in range(4)]
    rows[2]["y_true"] = value
    data = _jsonl(tmp_path, rows)
    message = _assert_refused(*_build(tmp_path, data))
    assert f"column 'y_true' (the true labels) holds {words} in 1 cell (row 3)" in message
    assert "Rows are the file's JSON objects" in message


def test_jsonl_object_in_slice_is_refused_and_in_columns_shown(tmp_path: Path) -> None:
    rows = [{"id": i, "y_true": "cat", "y_pred": "dog", "meta": {"k": i}} for i in range(4)]
    data = _jsonl(tmp_path, rows)
    message = _assert_refused(*_build(tmp_path, data, "--slice", "meta"))
    assert "column 'meta' (sliced by with --slice) holds a struct/object" in message
    _assert_built(*_build(tmp_path, data, "--columns", "meta"))


def test_compare_and_sample_errors_refuse_struct_labels(tmp_path: Path) -> None:
    good = _parquet(tmp_path, name="a.parquet")
    bad = _parquet(tmp_path, name="b.parquet", y_pred=STRUCTS)
    result, out = _run(tmp_path, "compare", good.name, bad.name, "-o", "out/report.html")
    assert "column 'y_pred' (the predicted labels) holds a struct/object" in _assert_refused(
        result, out
    )
    result, out = _run(tmp_path, "sample-errors", bad.name, "-o", "out/report.html")
    assert "holds a struct/object" in _assert_refused(result, out)


def test_dataframe_with_list_labels_is_refused() -> None:
    frame = pd.DataFrame({"y_true": [[1], [2]], "y_pred": [1, 2]})
    with pytest.raises(ReportgenError, match=r"column 'y_true' \(the true labels\) holds a list"):
        load_predictions(frame)


# ------------------------------------------------------------ item 11: duplicate names


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("header", "name", "at"),
    [
        ("id,y_true,y_pred,y_true", "y_true", "columns 2 and 4"),
        ("id,y_true,y_pred,y_pred", "y_pred", "columns 3 and 4"),
        ("id,y_true,y_pred,id", "id", "columns 1 and 4"),
        ("id,y_true,y_pred,note,note", "note", "columns 4 and 5"),  # unused, still ambiguous
        ("id,y_true,y_pred,y_true,y_true", "y_true", "3 times (columns 2, 4 and 5)"),
    ],
)
def test_csv_header_naming_a_column_twice_is_refused(
    tmp_path: Path, header: str, name: str, at: str, stream: bool
) -> None:
    # pandas reads the second 'y_true' as 'y_true.1', and the first was used without a word
    width = header.count(",") + 1
    rows = "".join(",".join(["1", "cat", "dog", "cat", "dog"][:width]) + "\n" for _ in range(3))
    data = tmp_path / "preds.csv"
    data.write_text(header + "\n" + rows, encoding="utf-8")
    message = _assert_refused(*_build(tmp_path, data, *(["--stream"] if stream else [])))
    assert message.startswith(f"reportgen: error: {data.name}: the header names a column")
    assert f"'{name}'" in message and at in message
    assert "rename or remove the others" in message


def test_a_column_named_like_pandas_renaming_is_not_a_duplicate(tmp_path: Path) -> None:
    # a file may have a column literally named 'y_true.1'; blank names from spreadsheets too
    data = tmp_path / "preds.csv"
    data.write_text("id,y_true,y_pred,y_true.1,,\n1,cat,cat,dog,,\n2,dog,dog,cat,,\n")
    _assert_built(*_build(tmp_path, data))


@pytest.mark.parametrize("stream", [False, True])
def test_parquet_schema_naming_a_column_twice_is_refused(tmp_path: Path, stream: bool) -> None:
    data = tmp_path / "preds.parquet"
    arrays = [pa.array(v) for v in (BASE["id"], BASE["y_true"], BASE["y_pred"], BASE["y_pred"])]
    pq.write_table(pa.Table.from_arrays(arrays, names=["id", "y_true", "y_pred", "y_true"]), data)
    args = ["--y-true", "y_true", *(["--stream"] if stream else [])]
    message = _assert_refused(*_build(tmp_path, data, *args))
    assert "the schema names a column more than once: 'y_true' twice (columns 2 and 4" in message


def test_dataframe_with_two_columns_of_one_name_is_refused() -> None:
    frame = pd.DataFrame([["cat", "cat", "dog"]], columns=["y_true", "y_pred", "y_true"])
    with pytest.raises(ReportgenError, match=r"'y_true' twice \(columns 1 and 3"):
        load_predictions(frame)


def test_jsonl_object_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    # json.loads keeps the last value; the report showed 0% where the first was meant
    data = tmp_path / "preds.jsonl"
    data.write_text(
        '{"id": 1, "y_true": "cat", "y_pred": "cat", "y_true": "dog"}\n'
        '{"id": 2, "y_true": "dog", "y_pred": "dog", "y_true": "cat"}\n'
    )
    message = _assert_refused(*_build(tmp_path, data))
    assert "line 1 gives the key 'y_true' more than once in one object" in message


def test_nested_objects_may_repeat_keys_of_the_row(tmp_path: Path) -> None:
    rows = [{"id": i, "y_true": "cat", "y_pred": "cat", "meta": {"id": i}} for i in range(3)]
    _assert_built(*_build(tmp_path, _jsonl(tmp_path, rows)))


@pytest.mark.parametrize("stream", [False, True])
def test_two_probability_columns_for_one_label_are_refused(tmp_path: Path, stream: bool) -> None:
    # the default prefixes ignore case: proba_cat and PROBA_cat both named label 'cat'
    data = tmp_path / "preds.csv"
    data.write_text(
        "id,y_true,y_pred,proba_cat,PROBA_cat,proba_dog\n"
        "1,cat,cat,0.9,0.2,0.1\n2,dog,dog,0.2,0.9,0.8\n"
    )
    message = _assert_refused(*_build(tmp_path, data, *(["--stream"] if stream else [])))
    assert "two probability columns for label 'cat': 'proba_cat' and 'PROBA_cat'" in message


def test_names_differing_in_case_or_spaces_are_ambiguous_for_detection(tmp_path: Path) -> None:
    for header in ("id,y_true,y_pred,Y_TRUE", "id,y_true,y_pred, y_true"):
        data = tmp_path / "preds.csv"
        data.write_text(header + "\n1,cat,cat,dog\n2,dog,dog,cat\n")
        message = _assert_refused(*_build(tmp_path, data))
        assert "could be the true-label column" in message and "--y-true" in message
        # named exactly, the column is not ambiguous
        result, out = _build(tmp_path, data, "--y-true", "y_true")
        _assert_built(result, out)
        out.unlink()


def test_tag_sheet_naming_its_tags_column_twice_is_refused(tmp_path: Path) -> None:
    from reportgen.read.tags import read_tag_sheet

    sheet = tmp_path / "tags.csv"
    sheet.write_text("sample,note,note\nr1,blur,edge\n")
    with pytest.raises(ReportgenError, match=r"column 'note' 2 times \(columns 2 and 3"):
        read_tag_sheet(sheet, id_column="sample", buckets_column="note")


# ------------------------------------------------------ item 12: how labels are spelled


def _record(tmp_path: Path, data: Path, *args: str) -> dict[str, Any]:
    result, out = _build(tmp_path, data, "--json", "out/r.json", *args)
    _assert_built(result, out)
    record: dict[str, Any] = json.loads((tmp_path / "out" / "r.json").read_text("utf-8"))
    for written in (out, tmp_path / "out" / "r.json"):
        written.unlink()
    return record


@pytest.mark.parametrize("stream", [False, True])
def test_leading_zero_codes_are_not_merged_with_numbers(tmp_path: Path, stream: bool) -> None:
    # the case: '01' and '1' were one class, and the report said 100% accuracy
    data = tmp_path / "z.csv"
    data.write_text("id,y_true,y_pred\n1,01,1\n2,1,1\n3,02,2\n")
    record = _record(tmp_path, data, *(["--stream"] if stream else []))
    assert record["classification"]["labels"] == ["01", "02", "1", "2"]
    assert record["classification"]["errors"] == 2


@pytest.mark.parametrize("stream", [False, True])
def test_codes_with_leading_zeros_are_shown_as_written(tmp_path: Path, stream: bool) -> None:
    data = tmp_path / "codes.csv"
    data.write_text("id,y_true,y_pred\n1,01,01\n2,02,02\n3,02,01\n4,010,010\n")
    record = _record(tmp_path, data, *(["--stream"] if stream else []))
    assert record["classification"]["labels"] == ["01", "010", "02"]
    assert record["classification"]["errors"] == 1


@pytest.mark.parametrize("stream", [False, True])
def test_a_float_column_and_an_integer_column_still_agree(tmp_path: Path, stream: bool) -> None:
    # pandas writes a float column as 3.0: that is the number 3, as the other column says
    data = tmp_path / "f.csv"
    data.write_text("id,y_true,y_pred\n1,3.0,3\n2,1.0,1\n3,2.0,1\n4,2,2.0\n")
    record = _record(tmp_path, data, *(["--stream"] if stream else []))
    assert record["classification"]["labels"] == ["1", "2", "3"]
    assert record["classification"]["errors"] == 1


def test_a_code_in_a_later_batch_is_kept_apart_as_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reportgen.read.stream.batches

    rows = [f"{i},1,1" for i in range(1, 8)] + ["8,01,1", "9,2,2"]
    data = tmp_path / "late.csv"
    data.write_text("id,y_true,y_pred\n" + "\n".join(rows) + "\n")
    in_memory = _record(tmp_path, data)
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 3)
    streamed = _record(tmp_path, data, "--stream")
    for record in (in_memory, streamed):
        assert record["classification"]["labels"] == ["01", "1", "2"]
        assert record["classification"]["errors"] == 1


@pytest.mark.parametrize("stream", [False, True])
def test_probability_columns_match_labels_as_written(tmp_path: Path, stream: bool) -> None:
    data = tmp_path / "p.csv"
    data.write_text(
        "id,y_true,y_pred,proba_01,proba_1\n1,01,01,0.8,0.2\n2,1,1,0.3,0.7\n3,01,1,0.4,0.6\n"
    )
    record = _record(tmp_path, data, *(["--stream"] if stream else []))
    assert record["classification"]["labels"] == ["01", "1"]
    assert record["classification"]["errors"] == 1


@pytest.mark.parametrize("stream", [False, True])
def test_split_names_are_spelled_as_labels_are(tmp_path: Path, stream: bool) -> None:
    # split '01' and split '1' were one split; now they are two (1.0 is 1), and
    # --eval-split 01 finds one
    data = tmp_path / "s.csv"
    data.write_text("id,y_true,y_pred,split\n1,a,a,01\n2,b,b,1\n3,a,b,01\n4,b,b,1.0\n")
    record = _record(tmp_path, data, "--eval-split", "01", *(["--stream"] if stream else []))
    assert set(record["splits"]["counts"]) == {"01", "1"}
    assert record["classification"]["n"] == 2


def test_compare_joins_float_ids_with_text_ids_as_written(tmp_path: Path) -> None:
    # Parquet ids 1.0, 2.0 and CSV ids 1, 2 are the same rows ('1.0' != '1' as text)
    pq.write_table(
        pa.table({"id": [1.0, 2.0, 3.0], "y_true": ["a", "b", "a"], "y_pred": ["a", "a", "a"]}),
        tmp_path / "a.parquet",
    )
    (tmp_path / "b.csv").write_text("id,y_true,y_pred\n1,a,a\n2,b,b\n3,a,b\n")
    result, out = _run(tmp_path, "compare", "a.parquet", "b.csv", "-o", "out/report.html")
    _assert_built(result, out)


@pytest.mark.parametrize("stream", [False, True])
def test_one_spelling_at_a_time_beside_codes(tmp_path: Path, stream: bool) -> None:
    # beside a code, 3.0 is still the number 3 (one rule per spelling, whatever else is there)
    data = tmp_path / "m.csv"
    data.write_text("id,y_true,y_pred\n1,01,01\n2,3.0,3\n3,cat,cat\n4,+1,1\n")
    record = _record(tmp_path, data, *(["--stream"] if stream else []))
    assert record["classification"]["labels"] == ["+1", "01", "1", "3", "cat"]
    assert record["classification"]["errors"] == 1


def test_many_codes_stay_codes_and_many_integers_a_regression(tmp_path: Path) -> None:
    # more than 50 distinct integers in the first rows read as numbers, unless they are codes
    codes = tmp_path / "codes.csv"
    codes.write_text("id,y_true,y_pred\n" + "".join(f"{i},{i:03d},{i:03d}\n" for i in range(1, 61)))
    record = _record(tmp_path, codes)
    assert record["task"] == "classification"
    assert record["classification"]["labels"][:2] == ["001", "002"]
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("id,y_true,y_pred\n" + "".join(f"{i},{i},{i + 1}\n" for i in range(60)))
    assert _record(tmp_path, numbers)["task"] == "regression"


def test_compare_and_sample_errors_refuse_a_header_naming_a_column_twice(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,y_true,y_pred\n1,cat,cat\n2,dog,cat\n")
    (tmp_path / "b.csv").write_text("id,y_true,y_pred,y_pred\n1,cat,cat,dog\n2,dog,dog,cat\n")
    result, out = _run(tmp_path, "compare", "a.csv", "b.csv", "-o", "out/report.html")
    message = _assert_refused(result, out)
    assert "b.csv: the header names a column more than once: 'y_pred' twice" in message
    result, out = _run(tmp_path, "sample-errors", "b.csv", "-o", "out/report.html")
    assert "'y_pred' twice (columns 3 and 4" in _assert_refused(result, out)
