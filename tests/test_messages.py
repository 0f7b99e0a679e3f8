"""Messages show values as the user wrote them: 75.04, never np.float64(75.04); 1, not 1.0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

import reportgen
from reportgen.cli import main
from reportgen.errors import ReportgenError, as_written, quoted


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["build", *args, "-o", "report.html"])


def _message(result: Result) -> str:
    return " ".join(result.stderr.split())


def _binary(path: Path, **changes: object) -> Path:
    """A two-label file with probabilities and a split column with one empty cell."""
    rng = np.random.default_rng(0)
    p = rng.random(40).round(3)
    frame = pd.DataFrame(
        {
            "y_true": rng.integers(0, 2, 40),
            "y_pred": (p > 0.5).astype(int),
            "proba_0": (1 - p).round(3),
            "proba_1": p,
            "split": ["1", "2"] * 20,
        }
    )
    frame.loc[3, "split"] = ""  # pandas reads the column as floats: 1.0, 2.0, NaN
    for key, value in changes.items():
        row, column = key.split("__")
        frame.loc[int(row), column] = value
    frame.to_csv(path, index=False)
    return path


def test_the_helper_writes_numbers_and_text_as_written() -> None:
    assert as_written(np.float64(75.04123)) == "75.04123"
    assert as_written(np.float32(0.1)) == "0.1"
    assert as_written(np.int64(3)) == as_written(3.0) == "3"
    assert as_written(np.bool_(True)) == "True"
    assert as_written([np.float64(2.5), "a"]) == "[2.5, 'a']"
    assert quoted(np.str_("cat")) == "'cat'" and quoted(0.5) == "0.5"
    assert quoted("a\nb") == "'a\\nb'"  # a newline cannot hide in a message


def test_a_probability_out_of_range_is_shown_as_written(tmp_path: Path) -> None:
    result = _run(_binary(tmp_path / "p.csv", **{"5__proba_1": 1.5004}).name)
    assert result.exit_code == 2
    message = _message(result)
    assert "outside [0, 1] (row 6, such as 1.5004)" in message
    assert "np." not in message and "float64" not in message
    assert not (tmp_path / "report.html").exists()


def test_a_gate_threshold_from_numpy_reads_as_written() -> None:
    frame = pd.DataFrame({"y_true": ["a", "b", "a"], "y_pred": ["a", "b", "b"]})
    with pytest.raises(ReportgenError) as err:
        reportgen.build_report(frame, fail_under={"accuracy": np.float64(75.04123)})
    assert str(err.value) == (
        "--fail-under: accuracy=75.04123 is not a fraction: did you mean 0.7504123 or 75.04123%?"
    )
    # a float32 is a number too, not 'no number after ='
    expected = r"accuracy=1\.5 is not a fraction: did you mean 0\.015 or 1\.5%"
    with pytest.raises(ReportgenError, match=expected):
        reportgen.build_report(frame, fail_under={"accuracy": np.float32(1.5)})


def test_an_eval_split_matches_the_file_as_written(tmp_path: Path) -> None:
    data = _binary(tmp_path / "s.csv").name
    assert _run(data, "--eval-split", "1").exit_code == 0  # the file says 1, not 1.0
    result = _run(data, "--eval-split", "3")
    assert result.exit_code == 2
    message = _message(result)
    assert "its values are '1' (20 rows), '2' (19 rows)" in message
    assert "1.0" not in message


def test_a_pos_label_message_lists_labels_as_written(tmp_path: Path) -> None:
    data = _binary(tmp_path / "l.csv", **{"2__y_true": None}).name  # labels read as 0.0, 1.0
    result = _run(data, "--dropna", "--pos-label", "yes")
    assert result.exit_code == 2
    message = _message(result)
    assert "--pos-label 'yes' is not one of the labels in the file ('0', '1')" in message
    assert "1.0" not in message


def test_numeric_true_values_that_differ_are_shown_as_written() -> None:
    a = pd.DataFrame({"id": ["r1", "r2"], "y_true": [75.04, 12.5], "y_pred": [70.0, 13.0]})
    b = a.assign(y_true=[75.05, 12.5], y_pred=[71.0, 12.0])
    with pytest.raises(ReportgenError) as err:
        reportgen.compare_reports(a, b, name_a="old", name_b="new", task="regression")
    assert "id 'r1': old 75.04, new 75.05" in str(err.value)
    assert "np." not in str(err.value)


def test_the_shared_wording_counts_lists_groups_and_names_empty_rows() -> None:
    from reportgen.read.messages import counted, empty_cells, listed_groups, refuse_empty

    assert counted(1, "value") == "1 value" and counted(3, "duplicated id") == "3 duplicated ids"
    groups = {"a": [2, 5], "b": [3, 4], "c": [6, 7], "d": [8, 9]}
    assert listed_groups(dict(list(groups.items())[:1])) == "'a' (rows 2, 5)"
    assert listed_groups(groups).endswith("'c' (rows 6, 7) …")
    assert listed_groups({("x", "1"): [1, 2]}, lambda k: f"{k[0]}@{k[1]}") == "x@1 (rows 1, 2)"
    rows = np.array([10, 11, 12])
    mask = np.array([True, False, True])
    assert empty_cells("column 'y'", mask, rows) == "column 'y' has 2 empty cells (rows 10, 12)"
    refuse_empty("f.csv", "column 'y'", np.zeros(3, dtype=bool), rows, "Fill them in.")
    with pytest.raises(
        ReportgenError, match=r"^f\.csv: column 'y' has 2 empty cells .*Fill them in\.$"
    ):
        refuse_empty("f.csv", "column 'y'", mask, rows, "Fill them in.")
