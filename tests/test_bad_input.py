"""Bad input on the command line: exit code 2, a clear message, no traceback, no file left.

This file holds the first round: missing, unreadable and malformed files, columns that are
missing or ambiguous, empty cells, probabilities, ids, regression values, outputs. The
hostile-input round (issue 14) is organised by class, one file each:

- data loss (items 1-3, stale outputs): tests/test_bad_input_data_loss.py
- text drawn and shown as typed: dollar signs, bidi controls, our words only (4, 16, 17):
  tests/test_bad_input_text.py
- cells that are not plain values, duplicate names, label spellings (5, 11, 12):
  tests/test_bad_input_columns.py
- numbers, dates and nesting past what arithmetic or a parser holds; bounded report
  reading (6, 7, 10): tests/test_bad_input_limits.py
- config files that cannot be trusted (13): tests/test_bad_input_config.py
- many labels (8): tests/test_bad_input_resources.py
- the bytes of user files: bombs, gzip, encodings, control characters (9, 14, 15, 16):
  tests/test_bad_input_bytes.py
- all of it at random (Hypothesis: bytes, CSV shapes, label strings, regression values), with
  the reproducers it found: tests/test_fuzz_build.py
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.read.load import load_predictions
from tests.refusals import assert_refused
from tests.refusals import build_in as _build
from tests.refusals import message as _message


def _assert_refused(result: Result, out: Path) -> str:
    """Refused as every bad input is; click's usage errors count too in this file."""
    return assert_refused(result, out, usage=True)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Paths are passed relative to tmp_path, as users type them, so that a word in pytest's
    # folder name (taken from the test name) can never satisfy a check on the message.
    monkeypatch.chdir(tmp_path)


def _says(path: Path) -> str:
    """How a message about an input file in tmp_path begins: it names the file first."""
    return f"reportgen: error: {path.name}: "


def _csv(tmp_path: Path, frame: pd.DataFrame, name: str = "preds.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _good() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "y_true": ["cat", "dog", "cat", "dog"],
            "y_pred": ["cat", "cat", "cat", "dog"],
        }
    )


def test_good_input_writes_the_report(tmp_path: Path) -> None:
    # the baseline the other tests depart from: same helper, exit 0, one file, no temp files
    result, out = _build(tmp_path, _csv(tmp_path, _good()))
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]


# ---------------------------------------------------------------- the file itself


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result, out = _build(tmp_path, missing)
    message = _assert_refused(result, out)
    assert message.startswith(_says(missing))
    assert "no such file" in message


def test_folder_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "preds.csv"
    folder.mkdir()
    result, out = _build(tmp_path, folder)
    message = _assert_refused(result, out)
    assert message.startswith(_says(folder)) and "folder" in message


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_unreadable_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, _good())
    path.chmod(0)
    try:
        result, out = _build(tmp_path, path)
    finally:
        path.chmod(0o644)
    message = _assert_refused(result, out)
    assert "preds.csv" in message
    assert "cannot be read" in message or "is not readable" in message


def test_unreadable_file_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the permission check, simulated so that it also runs as root
    path = _csv(tmp_path, _good())
    real_access = os.access

    def access(target: object, mode: int, *args: object, **kwargs: object) -> bool:
        if Path(str(target)).resolve() == path.resolve():
            return False
        return real_access(target, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert "preds.csv" in message
    # click's own readable-path check may answer before reportgen's does; both are clear
    assert "permission denied" in message or "is not readable" in message
    # and the library says so itself, for callers of the Python API
    with pytest.raises(ReportgenError, match=r"^preds\.csv: .*permission denied"):
        load_predictions("preds.csv")


def test_unknown_extension(tmp_path: Path) -> None:
    path = _csv(tmp_path, _good(), name="preds.txt")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "--format" in message and ".csv" in message


def test_unknown_format_option(tmp_path: Path) -> None:
    path = _csv(tmp_path, _good())
    result, out = _build(tmp_path, path, "--format", "xlsx")
    message = _assert_refused(result, out)
    assert "xlsx" in message and "--format" in message


def test_gzipped_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "preds.parquet.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"PAR1")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "Parquet" in message


@pytest.mark.parametrize("name", ["preds.csv", "preds.tsv", "preds.jsonl", "preds.parquet"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "empty" in message


@pytest.mark.parametrize("name", ["preds.csv.gz", "preds.jsonl.gz"])
def test_empty_gzipped_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with gzip.open(path, "wb") as fh:
        fh.write(b"")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "empty" in message


def test_blank_lines_only_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    path.write_text("\n\n  \n", encoding="utf-8")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "empty" in message


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_header_without_rows(tmp_path: Path, kind: str) -> None:
    frame = pd.DataFrame({"y_true": pd.Series([], dtype=str), "y_pred": pd.Series([], dtype=str)})
    path = tmp_path / f"preds.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "no rows" in message


def test_non_utf8_csv(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv"
    path.write_bytes("y_true,y_pred,text\ncat,cat,ok\ndog,cat,café au lait\n".encode("latin-1"))
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "UTF-8" in message
    assert "line 3" in message  # the header is line 1
    assert "0xe9" in message


def test_non_utf8_header(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv"
    path.write_bytes("y_true,y_pred,catégorie\ncat,cat,x\n".encode("latin-1"))
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert "UTF-8" in message and "line 1" in message


def test_non_utf8_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    path.write_bytes(
        '{"y_true": "a", "y_pred": "a"}\n{"y_true": "é", "y_pred": "a"}\n'.encode("latin-1")
    )
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "UTF-8" in message and "line 2" in message


@pytest.mark.parametrize("cut", ["half", "footer"])
def test_truncated_parquet(tmp_path: Path, cut: str) -> None:
    good = tmp_path / "good.parquet"
    _good().to_parquet(good, index=False)
    data = good.read_bytes()
    path = tmp_path / "preds.parquet"
    path.write_bytes(data[: len(data) // 2] if cut == "half" else data[:-12])
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "PARQUET" in message.upper()


def test_text_file_named_parquet(tmp_path: Path) -> None:
    path = tmp_path / "preds.parquet"
    path.write_text("y_true,y_pred\na,a\n", encoding="utf-8")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))


def test_not_gzip_although_named_gz_still_reads(tmp_path: Path) -> None:
    # the content decides, so a plain CSV that was misnamed .gz works
    path = tmp_path / "preds.csv.gz"
    path.write_text(_good().to_csv(index=False), encoding="utf-8")
    result, out = _build(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv.gz"
    path.write_bytes(gzip.compress(_good().to_csv(index=False).encode())[:20])
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))


def test_invalid_json_line(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    lines = ['{"y_true": "a", "y_pred": "a"}', '{"y_true": "b", "y_pred": ', '{"y_true": "a"}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "line 2" in message and "JSON" in message


def test_json_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    path.write_text('{"y_true": "a", "y_pred": "a"}\n["b", "a"]\n', encoding="utf-8")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path)) and "line 2" in message
    assert "holds an array, not an object" in message


def test_csv_row_with_an_unquoted_separator(tmp_path: Path) -> None:
    # with only the label columns read, pandas would silently shift this row's labels
    path = tmp_path / "preds.csv"
    path.write_text(
        "id,text,y_true,y_pred\n1,fine,cat,cat\n2,hello, world,dog,cat\n3,ok,dog,dog\n",
        encoding="utf-8",
    )
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "row 2" in message
    assert "more fields than the header" in message


def test_rows_with_a_stray_trailing_value(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv"
    path.write_text("y_true,y_pred\ncat,cat,\ndog,cat,oops\ndog,dog,\n", encoding="utf-8")
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert "row 2" in message and "more fields" in message


def test_trailing_separator_on_every_row_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv"
    path.write_text("y_true,y_pred\ncat,cat,\ndog,cat,\n", encoding="utf-8")
    result, _ = _build(tmp_path, path, "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    record = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert '"errors": 1' in record


# ---------------------------------------------------------------- the columns


def test_no_true_label_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, pd.DataFrame({"gold": ["a"], "y_pred": ["a"], "note": ["x"]}))
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "'gold'" in message and "'y_pred'" in message and "'note'" in message
    assert "--y-true" in message
    assert "label" in message and "ground_truth" in message  # the aliases it looked for


def test_no_predicted_label_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, pd.DataFrame({"y_true": ["a"], "output": ["a"]}))
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "'y_true'" in message and "'output'" in message
    assert "--y-pred" in message


def test_named_column_that_does_not_exist(tmp_path: Path) -> None:
    path = _csv(tmp_path, _good())
    result, out = _build(tmp_path, path, "--y-true", "gold")
    message = _assert_refused(result, out)
    assert "'gold'" in message and "--y-true" in message and "'y_true'" in message


def test_ambiguous_true_label_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"label": ["a"], "target": ["a"], "y_pred": ["a"]})
    path = _csv(tmp_path, frame)
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "'label'" in message and "'target'" in message
    assert "--y-true" in message


def test_ambiguous_predicted_label_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["a"], "pred": ["a"], "Predicted": ["a"]})
    result, out = _build(tmp_path, _csv(tmp_path, frame))
    message = _assert_refused(result, out)
    assert "'pred'" in message and "'Predicted'" in message and "--y-pred" in message


def test_ambiguous_id_columns(tmp_path: Path) -> None:
    frame = _good().assign(uid=["w", "x", "y", "z"])
    result, out = _build(tmp_path, _csv(tmp_path, frame))
    message = _assert_refused(result, out)
    assert "'id'" in message and "'uid'" in message and "--id" in message


def test_unknown_extra_column(tmp_path: Path) -> None:
    result, out = _build(tmp_path, _csv(tmp_path, _good()), "--columns", "id,source")
    message = _assert_refused(result, out)
    assert "'source'" in message and "--columns" in message


# ---------------------------------------------------------------- empty label cells


def _blanks(tmp_path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "y_true": ["a", "b", None, "a", "b", None, "a"],
            "y_pred": ["a", None, "b", "a", "b", "a", "b"],
        }
    )
    return _csv(tmp_path, frame)


def test_empty_label_cells(tmp_path: Path) -> None:
    path = _blanks(tmp_path)
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "column 'y_true' has 2 empty cells (rows 3, 6)" in message
    assert "column 'y_pred' has 1 empty cell (row 2)" in message
    assert "--dropna" in message


def test_many_empty_cells_show_the_first_rows_and_the_count(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"y_true": [None if i % 2 else "a" for i in range(40)], "y_pred": ["a"] * 40}
    )
    result, out = _build(tmp_path, _csv(tmp_path, frame))
    message = _assert_refused(result, out)
    assert "20 empty cells (rows 2, 4, 6, 8, 10, … (first 5 of 20))" in message


def test_dropna_builds_the_report_and_says_how_many(tmp_path: Path) -> None:
    path = _blanks(tmp_path)
    json_path = tmp_path / "record.json"
    result, out = _build(tmp_path, path, "--dropna", "--json", str(json_path))
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert '"rows_dropped": 3' in json_path.read_text(encoding="utf-8")
    assert "3 rows with an empty true or predicted label were left out" in out.read_text(
        encoding="utf-8"
    )


def test_all_rows_empty_after_dropna(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [None, "a"], "y_pred": ["a", None]})
    result, out = _build(tmp_path, _csv(tmp_path, frame), "--dropna")
    message = _assert_refused(result, out)
    assert "nothing is left" in message


# ---------------------------------------------------------------- probability columns


def _with_proba(**overrides: list[Any]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "y_true": ["cat", "dog", "cat", "dog"],
            "y_pred": ["cat", "cat", "dog", "dog"],
            "proba_cat": [0.9, 0.6, 0.3, 0.2],
            "proba_dog": [0.1, 0.4, 0.7, 0.8],
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def test_non_numeric_probabilities(tmp_path: Path) -> None:
    path = _csv(tmp_path, _with_proba(proba_dog=[0.1, "high", 0.7, "low"]))
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "'proba_dog'" in message
    assert "2 non-numeric cells (rows 2, 4" in message
    assert "'high'" in message


def test_probabilities_outside_unit_interval(tmp_path: Path) -> None:
    path = _csv(tmp_path, _with_proba(proba_cat=[0.9, 1.7, 0.3, -0.2]))
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "'proba_cat'" in message
    assert "2 values outside [0, 1] (rows 2, 4" in message
    assert "1.7" in message


def test_logits_are_not_taken_for_probabilities(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, _with_proba(proba_cat=[2.1, 0.3, -1.5, -3.0], proba_dog=[-2.1, -0.3, 1.5, 3.0])
    )
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert "outside [0, 1]" in message and "rows 1, 3, 4" in message


def test_empty_probability_cells(tmp_path: Path) -> None:
    path = _csv(tmp_path, _with_proba(proba_dog=[0.1, None, 0.7, 0.8]))
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert "'proba_dog'" in message and "1 empty cell (row 2)" in message


def test_probability_column_for_a_label_that_never_occurs(tmp_path: Path) -> None:
    path = _csv(tmp_path, _with_proba(proba_horse=[0.0, 0.0, 0.0, 0.0]))
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "'proba_horse'" in message and "'horse'" in message
    assert "'y_true'" in message and "'y_pred'" in message
    assert "cat" in message and "dog" in message  # the labels that do occur


def test_predicted_label_without_a_probability_column(tmp_path: Path) -> None:
    frame = _with_proba().drop(columns=["proba_dog"])
    path = _csv(tmp_path, frame)
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert "'dog'" in message and "'proba_dog'" in message
    assert "'y_pred'" in message and "rows 3, 4" in message


def test_missing_proba_prefix(tmp_path: Path) -> None:
    path = _csv(tmp_path, _with_proba())
    result, out = _build(tmp_path, path, "--proba-prefix", "p_")
    message = _assert_refused(result, out)
    assert "'p_'" in message and "--proba-prefix" in message and "'proba_cat'" in message


def test_probability_rows_count_from_the_file_after_dropna(tmp_path: Path) -> None:
    frame = _with_proba(proba_dog=[0.1, 0.4, 0.7, 9.0])
    frame.loc[0, "y_true"] = None
    result, out = _build(tmp_path, _csv(tmp_path, frame), "--dropna")
    message = _assert_refused(result, out)
    assert "(row 4," in message


# ---------------------------------------------------------------- ids


def test_duplicate_ids(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["x1", "x2", "x1", "x3", "x2", "x1"],
            "y_true": ["a"] * 6,
            "y_pred": ["a"] * 6,
        }
    )
    path = _csv(tmp_path, frame)
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert message.startswith(_says(path))
    assert "id column 'id'" in message
    assert "2 duplicated ids" in message
    assert "'x1' (rows 1, 3, 6)" in message
    assert "'x2' (rows 2, 5)" in message
    assert "--id" in message


def test_duplicate_ids_that_differ_only_as_numbers_are_distinct(tmp_path: Path) -> None:
    # ids are text in a CSV: '7' and '007' are not the same sample
    path = tmp_path / "preds.csv"
    path.write_text("id,y_true,y_pred\n7,a,a\n007,a,b\n", encoding="utf-8")
    result, _ = _build(tmp_path, path)
    assert result.exit_code == 0, result.output


def test_empty_ids(tmp_path: Path) -> None:
    frame = _good()
    frame.loc[2, "id"] = None
    result, out = _build(tmp_path, _csv(tmp_path, frame))
    message = _assert_refused(result, out)
    assert "id column 'id'" in message and "1 empty cell (row 3)" in message


# ---------------------------------------------------------------- task


def test_regression_with_text_in_the_true_column(tmp_path: Path) -> None:
    result, out = _build(tmp_path, _csv(tmp_path, _good()), "--task", "regression")
    message = _assert_refused(result, out)
    assert message.startswith(_says(tmp_path / "preds.csv"))
    assert "column 'y_true' has 4 non-numeric cells (rows 1, 2, 3, 4" in message
    assert "'cat'" in message and "--task classification" in message


def test_regression_with_some_non_numeric_cells(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"y_true": [1.5, 2.5, 3.5, 4.5], "y_pred": ["1.4", "n/a", "3.1", "about 4"]}
    )
    result, out = _build(tmp_path, _csv(tmp_path, frame), "--task", "regression")
    message = _assert_refused(result, out)
    assert "column 'y_pred' has 2 non-numeric cells (rows 2, 4" in message
    assert "'n/a'" in message


def test_regression_with_infinite_values(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [1.5, 2.5, 3.5], "y_pred": [1.4, float("inf"), 3.1]})
    path = tmp_path / "preds.parquet"
    frame.to_parquet(path)
    for args in ((), ("--dropna",)):
        result, out = _build(tmp_path, path, *args)
        message = _assert_refused(result, out)
        assert "column 'y_pred' has 1 infinite value (row 2)" in message


def test_regression_with_empty_and_nan_cells(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [1.5, None, 3.5, 4.5], "y_pred": [1.4, 2.2, float("nan"), 4.1]})
    path = _csv(tmp_path, frame)
    result, out = _build(tmp_path, path)
    message = _assert_refused(result, out)
    assert "column 'y_true' has 1 empty cell (row 2)" in message
    assert "column 'y_pred' has 1 empty cell (row 3)" in message
    result, out = _build(tmp_path, path, "--dropna")
    assert result.exit_code == 0, result.output
    assert "2 rows" in out.read_text(encoding="utf-8")


def test_slice_column_that_does_not_exist(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [1.5, 2.5, 3.5], "y_pred": [1.4, 2.2, 3.1]})
    result, out = _build(tmp_path, _csv(tmp_path, frame), "--slice", "region")
    message = _assert_refused(result, out)
    assert "no column 'region' (named with --slice)" in message
    assert "'y_true', 'y_pred'" in message


def test_slice_naming_the_true_column(tmp_path: Path) -> None:
    result, out = _build(tmp_path, _csv(tmp_path, _good()), "--slice", "y_true")
    message = _assert_refused(result, out)
    assert "--slice y_true names the true column" in message


# ---------------------------------------------------------------- the output


def test_output_folder_does_not_exist(tmp_path: Path) -> None:
    path = _csv(tmp_path, _good())
    result = CliRunner().invoke(main, ["build", path.name, "-o", "missing/report.html"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    message = _message(result)
    assert "missing/report.html" in message and "does not exist" in message
    assert not (tmp_path / "missing").exists()


def test_json_folder_does_not_exist_leaves_no_html(tmp_path: Path) -> None:
    path = _csv(tmp_path, _good())
    result, out = _build(tmp_path, path, "--json", str(tmp_path / "missing" / "r.json"))
    message = _assert_refused(result, out)
    assert "r.json" in message and "does not exist" in message


def test_output_is_a_folder(tmp_path: Path) -> None:
    path = _csv(tmp_path, _good())
    target = tmp_path / "out"
    target.mkdir()
    result = CliRunner().invoke(main, ["build", path.name, "-o", "out"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "folder" in _message(result)
    assert list(target.iterdir()) == []


def test_bad_input_keeps_an_existing_report(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "report.html"
    out.write_text("previous report", encoding="utf-8")
    path = _blanks(tmp_path)
    result = CliRunner().invoke(main, ["build", path.name, "-o", "out/report.html"])
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in out_dir.iterdir()] == ["report.html"]


def test_tag_sheet_that_does_not_exist(tmp_path: Path) -> None:
    result, out = _build(tmp_path, _csv(tmp_path, _good()), "--tags", "missing.csv")
    message = _assert_refused(result, out)
    assert "missing.csv" in message


def test_playbook_that_is_not_toml(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[[entry]\nname = 'x'", encoding="utf-8")
    result, out = _build(tmp_path, _csv(tmp_path, _good()), "--playbook", "bad.toml")
    message = _assert_refused(result, out)
    assert "bad.toml" in message and "not valid TOML" in message


def test_image_root_that_does_not_exist(tmp_path: Path) -> None:
    frame = _good().assign(image=["a.png", "b.png", "c.png", "d.png"])
    result, out = _build(tmp_path, _csv(tmp_path, frame), "--image-root", "no-such-folder")
    message = _assert_refused(result, out)
    assert "--image-root" in message and "no-such-folder" in message


def test_classification_options_on_a_regression_file(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [1.5, 2.5, 3.5], "y_pred": [1.4, 2.2, 3.1]})
    (tmp_path / "tags.csv").write_text("id,buckets\n1,blurry\n", encoding="utf-8")
    result, out = _build(tmp_path, _csv(tmp_path, frame), "--tags", "tags.csv")
    message = _assert_refused(result, out)
    assert "--tags applies to classification reports" in message
