"""sample-errors: a seeded, stratified sample of errors as a sheet that comes back as tags."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.deliver.review import allocate, draw_errors, write_review_sheet
from reportgen.errors import ReportgenError
from reportgen.read.load import LoadOptions, load_predictions
from reportgen.read.table import PredictionTable
from reportgen.read.tags import Sampling, read_tag_sheet
from tests.conftest import DIGITS

BOM = codecs.BOM_UTF8
DIGITS_ERRORS = 116
DIGITS_PAIRS = 35
DIABETES = DIGITS.parent.parent / "diabetes" / "predictions.csv"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def digits() -> PredictionTable:
    return load_predictions(DIGITS)


def _pairs(table: PredictionTable, positions: np.ndarray) -> Counter[tuple[str, str]]:
    return Counter(
        (table.labels[t], table.labels[p])
        for t, p in zip(table.true_codes[positions], table.pred_codes[positions], strict=True)
    )


def _errors_table(sizes: dict[tuple[str, str], int], right: int = 10) -> PredictionTable:
    """A table with the given number of errors per (true, predicted) pair, shuffled."""
    pairs = [pair for pair, size in sizes.items() for _ in range(size)] + [("a", "a")] * right
    order = np.random.default_rng(1).permutation(len(pairs))
    frame = pd.DataFrame(
        {
            "id": [f"s{i:04d}" for i in range(len(pairs))],
            "y_true": [pairs[i][0] for i in order],
            "y_pred": [pairs[i][1] for i in order],
        }
    )
    return load_predictions(frame)


def _sheet_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


# ---------------------------------------------------------------- allocation


def test_allocation_is_proportional_by_largest_remainder() -> None:
    assert allocate(np.array([50, 30, 20]), 10).tolist() == [5, 3, 2]
    # quotas 3.5, 2.1, 1.4: the two units left over by the floors go to .5 and .4
    assert allocate(np.array([50, 30, 20]), 7).tolist() == [4, 2, 1]


def test_allocation_gives_every_stratum_one_when_it_can() -> None:
    take = allocate(np.array([58, 10, 5, 1, 1, 1]), 10)
    assert take.sum() == 10 and (take >= 1).all()
    assert take.tolist() == [5, 1, 1, 1, 1, 1]  # the units come from the biggest one


def test_allocation_favours_big_strata_when_n_is_below_their_number() -> None:
    assert allocate(np.array([58, 10, 5, 1, 1, 1]), 2).tolist() == [2, 0, 0, 0, 0, 0]


def test_allocation_never_exceeds_a_stratum() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        sizes = rng.integers(1, 30, size=rng.integers(1, 12))
        n = int(rng.integers(1, sizes.sum() + 5))
        take = allocate(sizes, n)
        assert take.sum() == min(n, sizes.sum())
        assert (take <= sizes).all() and (take >= 0).all()
        if n >= len(sizes):
            assert (take >= 1).all()


# ---------------------------------------------------------------- sampling


def test_sample_is_reproducible(digits: PredictionTable) -> None:
    first = draw_errors(digits, n=30, seed=4)
    again = draw_errors(digits, n=30, seed=4)
    assert first.positions.tolist() == again.positions.tolist()


def test_another_seed_draws_other_rows(digits: PredictionTable) -> None:
    a = draw_errors(digits, n=30, seed=0).positions.tolist()
    b = draw_errors(digits, n=30, seed=1).positions.tolist()
    assert a != b
    assert len(a) == len(b) == 30


def test_sample_holds_distinct_errors_in_file_order(digits: PredictionTable) -> None:
    sample = draw_errors(digits, n=40, seed=0)
    positions = sample.positions
    assert positions.tolist() == sorted(set(positions.tolist()))
    assert (digits.true_codes[positions] != digits.pred_codes[positions]).all()
    assert sample.sampling == Sampling(seed=0, n=40, total_errors=DIGITS_ERRORS, stratified=True)


def test_strata_describe_the_draw(digits: PredictionTable) -> None:
    sample = draw_errors(digits, n=40, seed=0)
    assert len(sample.strata) == DIGITS_PAIRS
    assert sum(s.errors for s in sample.strata) == DIGITS_ERRORS
    drawn = _pairs(digits, sample.positions)
    assert {(s.true, s.pred): s.sampled for s in sample.strata if s.sampled} == dict(drawn)
    assert [s.errors for s in sample.strata] == sorted(
        (s.errors for s in sample.strata), reverse=True
    )
    assert (sample.strata[0].true, sample.strata[0].pred, sample.strata[0].errors) == ("1", "9", 17)


def test_a_pair_with_half_the_errors_gets_half_the_sample() -> None:
    table = _errors_table({("a", "b"): 100, ("b", "a"): 60, ("a", "c"): 40})
    sample = draw_errors(table, n=20, seed=0)
    assert _pairs(table, sample.positions) == {("a", "b"): 10, ("b", "a"): 6, ("a", "c"): 4}


def test_every_pair_is_represented_when_n_allows(digits: PredictionTable) -> None:
    sample = draw_errors(digits, n=DIGITS_PAIRS, seed=0)
    drawn = _pairs(digits, sample.positions)
    assert len(drawn) == DIGITS_PAIRS and set(drawn.values()) == {1}


def test_n_larger_than_the_errors_takes_them_all(digits: PredictionTable) -> None:
    sample = draw_errors(digits, n=500, seed=0)
    wrong = np.flatnonzero(digits.true_codes != digits.pred_codes)
    assert sample.positions.tolist() == wrong.tolist()
    assert sample.sampling.n == DIGITS_ERRORS and not sample.sampling.stratified
    assert (
        sample.describe() == f"all {DIGITS_ERRORS} errors ({DIGITS_PAIRS} confusion pairs), seed 0"
    )


def test_describe(digits: PredictionTable) -> None:
    expected = f"20 of {DIGITS_ERRORS} errors, stratified by {DIGITS_PAIRS} confusion pairs, seed 3"
    assert draw_errors(digits, n=20, seed=3).describe() == expected


def _split_table() -> PredictionTable:
    rows = [
        ("a", "b", "test"),
        ("a", "a", "test"),
        ("b", "a", "test"),
        ("b", "b", "test"),
        ("a", "b", "val"),
        ("b", "a", "val"),
        ("a", "a", "train"),
        ("a", "b", "test"),
        ("b", "b", "val"),
        ("b", "b", "train"),
        ("a", "a", "train"),
        ("a", "a", "train"),
    ]
    frame = pd.DataFrame(rows, columns=["y_true", "y_pred", "split"])
    frame.insert(0, "id", [f"r{i}" for i in range(len(rows))])
    return load_predictions(frame)


def test_restricted_to_one_split() -> None:
    table = _split_table()
    sample = draw_errors(table, n=10, seed=0, eval_split="test")
    ids = table.frame["id"].to_numpy()[sample.positions].tolist()
    assert ids == ["r0", "r2", "r7"]  # the errors of 'test' only
    assert sample.sampling.split == "test" and sample.sampling.total_errors == 3
    assert "in split 'test'" in sample.describe()


def test_numeric_split_values_compare_as_text() -> None:
    frame = pd.DataFrame({"y_true": ["a", "a", "b"], "y_pred": ["b", "b", "a"], "split": [1, 2, 1]})
    sample = draw_errors(load_predictions(frame), n=5, seed=0, eval_split="1")
    assert sample.positions.tolist() == [0, 2]


def test_split_value_that_does_not_occur() -> None:
    with pytest.raises(ReportgenError) as info:
        draw_errors(_split_table(), n=5, seed=0, eval_split="tset")
    message = info.value.message
    assert "split column 'split'" in message and "'tset'" in message
    assert "'test' (5 rows), 'train' (4 rows), 'val' (3 rows)" in message


def test_split_without_a_split_column(digits: PredictionTable) -> None:
    with pytest.raises(ReportgenError) as info:
        draw_errors(digits, n=5, seed=0, eval_split="test")
    assert "no split column" in info.value.message and "--split" in info.value.message
    assert info.value.message.startswith("predictions.csv: ")


def test_split_without_errors() -> None:
    with pytest.raises(ReportgenError, match="no errors in split 'train'"):
        draw_errors(_split_table(), n=5, seed=0, eval_split="train")


def test_no_errors_at_all() -> None:
    frame = pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "b"]})
    with pytest.raises(ReportgenError, match="no errors in the file"):
        draw_errors(load_predictions(frame), n=5, seed=0)


def test_regression_is_refused() -> None:
    table = load_predictions(DIABETES)
    assert table.task == "regression"
    with pytest.raises(ReportgenError, match="sample-errors needs class labels"):
        draw_errors(table, n=5, seed=0)


@pytest.mark.parametrize(("n", "seed", "word"), [(0, 0, "sample size"), (5, -1, "seed")])
def test_bad_n_or_seed(digits: PredictionTable, n: int, seed: int, word: str) -> None:
    with pytest.raises(ReportgenError, match=word):
        draw_errors(digits, n=n, seed=seed)


# ---------------------------------------------------------------- the sheet


def test_sheet_bytes_are_deterministic(digits: PredictionTable, tmp_path: Path) -> None:
    write_review_sheet(digits, draw_errors(digits, n=25, seed=2), "a.csv")
    write_review_sheet(digits, draw_errors(digits, n=25, seed=2), "b.csv")
    write_review_sheet(digits, draw_errors(digits, n=25, seed=3), "c.csv")
    a, b, c = ((tmp_path / f"{x}.csv").read_bytes() for x in "abc")
    assert a == b and a != c


def test_sheet_layout(digits: PredictionTable, tmp_path: Path) -> None:
    sample = draw_errors(digits, n=5, seed=0)
    write_review_sheet(digits, sample, "review.csv")
    data = (tmp_path / "review.csv").read_bytes()
    # the digits example has an image column: the sample reference comes before the tags
    assert data.startswith(
        BOM + b"id,true,predicted,confidence,image,buckets,notes,review_sample\r\n"
    )
    assert data.count(b"\r\n") == 6 and b"\n" not in data.replace(b"\r\n", b"")
    rows = _sheet_rows(tmp_path / "review.csv")
    first = sample.positions[0]
    assert rows[1][:3] == [
        digits.frame["id"].iloc[first],
        digits.labels[digits.true_codes[first]],
        digits.labels[digits.pred_codes[first]],
    ]
    assert digits.confidence is not None
    assert rows[1][3] == f"{digits.confidence[first]:.3f}" and len(rows[1][3].split(".")[1]) == 3
    assert rows[1][4] == digits.frame["image"].iloc[first]
    assert all(r[5] == "" and r[6] == "" for r in rows[1:])
    marker = f"random n=5 of {DIGITS_ERRORS} errors seed=0 stratified by confusion pair"
    assert {r[7] for r in rows[1:]} == {marker}
    assert [p.name for p in tmp_path.iterdir()] == ["review.csv"]  # no temp file left


def test_formula_cells_are_guarded(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ['=HYPERLINK("http://x")', "+1-1", "ok"],
            "y_true": ["-1", "1", "@cmd"],
            "y_pred": ["1", "-1", "a"],
            "text": ["@SUM(A1)", "\tpadded", "plain, with comma"],
        }
    )
    table = load_predictions(frame)
    write_review_sheet(table, draw_errors(table, n=5, seed=0), "review.csv")
    raw = (tmp_path / "review.csv").read_bytes().decode("utf-8-sig")
    rows = _sheet_rows(tmp_path / "review.csv")
    assert rows[0] == ["id", "true", "predicted", "text", "buckets", "notes", "review_sample"]
    assert rows[1][:4] == ['\'=HYPERLINK("http://x")', "-1", "1", "'@SUM(A1)"]  # -1: a number
    assert rows[2][:4] == ["'+1-1", "1", "-1", "'\tpadded"]
    assert rows[3][:4] == ["ok", "'@cmd", "a", "plain, with comma"]
    assert '"plain, with comma"' in raw


def test_sheet_without_ids_names_file_rows(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv"
    path.write_text("y_true,y_pred\na,b\n,a\na,a\nb,a\n", encoding="utf-8")
    table = load_predictions(path, LoadOptions(dropna=True))
    write_review_sheet(table, draw_errors(table, n=5, seed=0), "review.csv")
    rows = _sheet_rows(tmp_path / "review.csv")
    assert rows[0][:3] == ["row", "true", "predicted"]
    assert [r[0] for r in rows[1:]] == ["1", "4"]  # the file's rows, the dropped one skipped


def test_sample_column_keeps_its_name_unless_it_would_be_misread(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["a"], "y_pred": ["b"], "uid": ["x"], "caption": ["hi"]})
    table = load_predictions(frame, LoadOptions(id="uid", sample="caption"))
    write_review_sheet(table, draw_errors(table, n=1, seed=0), "a.csv")
    assert _sheet_rows(tmp_path / "a.csv")[0][:4] == ["id", "true", "predicted", "caption"]
    frame = pd.DataFrame({"y_true": ["a"], "y_pred": ["b"], "tags": ["x"]})
    table = load_predictions(frame, LoadOptions(sample="tags"))
    write_review_sheet(table, draw_errors(table, n=1, seed=0), "b.csv")
    header = _sheet_rows(tmp_path / "b.csv")[0]
    assert header[:4] == ["row", "true", "predicted", "sample"] and header.count("buckets") == 1


# ---------------------------------------------------------------- the round trip


def _fill(rows: list[list[str]], tags: list[str]) -> list[list[str]]:
    column = rows[0].index("buckets")
    filled = [list(rows[0])]
    for row, tag in zip(rows[1:], tags, strict=True):
        filled.append([*row[:column], tag, *row[column + 1 :]])
    return filled


def _save(rows: list[list[str]], path: Path, *, delimiter: str) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(BOM + out.getvalue().encode("utf-8"))


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_filled_sheet_comes_back_as_tags(
    digits: PredictionTable, tmp_path: Path, delimiter: str
) -> None:
    sample = draw_errors(digits, n=12, seed=5)
    write_review_sheet(digits, sample, "review.csv")
    rows = _sheet_rows(tmp_path / "review.csv")
    tags = ["blur; thin stroke", "", "Label noise", "rare|blur", *["dark"] * 8]
    # European Excel saves with ';' and decimal commas; the BOM stays
    if delimiter == ";":
        for row in rows[1:]:
            row[3] = row[3].replace(".", ",")
    _save(_fill(rows, tags), tmp_path / "filled.csv", delimiter=delimiter)
    sheet = read_tag_sheet("filled.csv")
    assert sheet.ids == digits.frame["id"].to_numpy()[sample.positions].tolist()
    assert sheet.tags[:4] == [["blur", "thin stroke"], [], ["Label noise"], ["rare", "blur"]]
    assert sheet.sampling == sample.sampling


def test_round_trip_keeps_guarded_ids_and_the_split(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["=1+1", "-x", "007", "a"],
            "y_true": ["a", "a", "b", "b"],
            "y_pred": ["b", "b", "a", "a"],
            "split": ["test", "test", "test", "val"],
        }
    )
    table = load_predictions(frame)
    sample = draw_errors(table, n=10, seed=0, eval_split="test")
    write_review_sheet(table, sample, "review.csv")
    rows = _sheet_rows(tmp_path / "review.csv")
    _save(_fill(rows, ["x", "y", "z"]), tmp_path / "filled.csv", delimiter=";")
    sheet = read_tag_sheet("filled.csv")
    assert sheet.ids == ["=1+1", "-x", "007"]
    assert sheet.sampling is not None and sheet.sampling.split == "test"
    assert sheet.sampling == sample.sampling


def test_rows_without_ids_round_trip(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["a", "a", "b"], "y_pred": ["b", "a", "a"]})
    table = load_predictions(frame)
    write_review_sheet(table, draw_errors(table, n=10, seed=0), "review.csv")
    sheet = read_tag_sheet("review.csv")
    assert sheet.id_column == "row" and sheet.ids == ["1", "3"]


# ---------------------------------------------------------------- the command


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["sample-errors", *args])


def _refused(result: Result, out_dir: Path) -> str:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert list(out_dir.iterdir()) == []
    return " ".join(result.stderr.split())


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_cli_writes_the_sheet_and_says_so(out_dir: Path) -> None:
    result = _run(str(DIGITS), "-n", "20", "-o", "out/review.csv", "--seed", "3")
    assert result.exit_code == 0, result.output
    expected = f"20 of {DIGITS_ERRORS} errors, stratified by {DIGITS_PAIRS} confusion pairs, seed 3"
    assert result.stdout.strip() == f"wrote out/review.csv: {expected}"
    assert [p.name for p in out_dir.iterdir()] == ["review.csv"]
    sheet = read_tag_sheet("out/review.csv")
    assert len(sheet.ids) == 20 and sheet.sampling == Sampling(3, 20, DIGITS_ERRORS)


def test_cli_matches_the_library(digits: PredictionTable, tmp_path: Path, out_dir: Path) -> None:
    assert _run(str(DIGITS), "-n", "15", "-o", "out/cli.csv").exit_code == 0
    write_review_sheet(digits, draw_errors(digits, n=15, seed=0), "lib.csv")
    assert (out_dir / "cli.csv").read_bytes() == (tmp_path / "lib.csv").read_bytes()


def test_cli_in_split(tmp_path: Path, out_dir: Path) -> None:
    frame = pd.DataFrame(
        {
            "y_true": ["a", "a", "b", "b"],
            "y_pred": ["b", "b", "a", "a"],
            "fold": ["x", "y", "x", "y"],
        }
    )
    frame.to_csv(tmp_path / "preds.csv", index=False)
    args = ["preds.csv", "-o", "out/review.csv", "--split", "fold", "--in-split", "y"]
    result = _run(*args)
    assert result.exit_code == 0, result.output
    assert "2 errors in split 'y'" in result.stdout
    assert read_tag_sheet("out/review.csv").ids == ["2", "4"]


def test_cli_split_names_a_column_not_a_value(tmp_path: Path, out_dir: Path) -> None:
    _split_table().frame.assign(y_true="a", y_pred="b").to_csv(tmp_path / "p.csv", index=False)
    message = _refused(_run("p.csv", "-o", "out/review.csv", "--split", "test"), out_dir)
    assert message.startswith("reportgen: error: p.csv: no column 'test' (named with --split)")
    assert "--eval-split VALUE" in message


def test_cli_unknown_split_value(tmp_path: Path, out_dir: Path) -> None:
    _split_table().frame.assign(y_true="a", y_pred="b").to_csv(tmp_path / "p.csv", index=False)
    message = _refused(_run("p.csv", "-o", "out/review.csv", "--in-split", "tset"), out_dir)
    assert "'tset'" in message and "'test' (5 rows)" in message


def test_cli_refuses_regression(out_dir: Path) -> None:
    message = _refused(_run(str(DIABETES), "-o", "out/review.csv"), out_dir)
    assert message.startswith("reportgen: error: predictions.csv: sample-errors needs class labels")


def test_cli_missing_file(out_dir: Path) -> None:
    message = _refused(_run("nope.csv", "-o", "out/review.csv"), out_dir)
    assert message.startswith("reportgen: error: nope.csv: no such file")


def test_cli_bad_predictions(tmp_path: Path, out_dir: Path) -> None:
    (tmp_path / "p.csv").write_text("y_true,y_pred\na,\nb,a\n", encoding="utf-8")
    message = _refused(_run("p.csv", "-o", "out/review.csv"), out_dir)
    assert "column 'y_pred' has 1 empty cell (row 1)" in message


def test_cli_output_folder_missing(tmp_path: Path) -> None:
    result = _run(str(DIGITS), "-o", "missing/review.csv")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "missing" in result.stderr and "does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(("option", "value"), [("-n", "0"), ("--seed", "-1"), ("-n", "many")])
def test_cli_bad_numbers(out_dir: Path, option: str, value: str) -> None:
    result = _run(str(DIGITS), "-o", "out/review.csv", option, value)
    message = _refused(result, out_dir)
    assert option in message and value in message


def test_cli_keeps_an_existing_sheet_on_bad_input(out_dir: Path) -> None:
    (out_dir / "review.csv").write_text("filled in by hand", encoding="utf-8")
    result = _run(str(DIABETES), "-o", "out/review.csv")
    assert result.exit_code == 2
    assert (out_dir / "review.csv").read_text(encoding="utf-8") == "filled in by hand"
    assert [p.name for p in out_dir.iterdir()] == ["review.csv"]
