"""The evaluated rows: dev, else test, else every split but train; never train unless asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    precision_recall_fscore_support,
    root_mean_squared_error,
)

import reportgen
import reportgen.read.stream.batches
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.read.tags import read_tag_sheet
from tests.conftest import ROOT, embedded_record
from tests.test_stream import differences

LABELS = ["ant", "bee", "cat"]
# how often the model is right on each kind of split: train rows are the easy ones
ACCURACY = {"train": 0.95, "dev": 0.7, "test": 0.75}


def frame(splits: list[str | None], *, rows: int = 40, seed: int = 0) -> pd.DataFrame:
    """`rows` predictions per split value (None: an empty split cell), ids unique."""
    rng = np.random.default_rng(seed)
    parts = []
    for k, name in enumerate(splits):
        y = rng.choice(LABELS, size=rows)
        right = rng.random(rows) < ACCURACY.get(str(name).casefold(), 0.6)
        pred = np.where(right, y, rng.choice(LABELS, size=rows))
        part = pd.DataFrame({"y_true": y, "y_pred": pred, "split": [name] * rows})
        part.insert(0, "id", [f"r{k}-{i}" for i in range(rows)])
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def regression_frame(splits: list[str | None], *, rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    parts = []
    for name in splits:
        y = rng.normal(50.0, 10.0, rows)
        scale = 1.0 if name == "train" else 6.0
        pred = y + rng.normal(0.0, scale, rows)
        parts.append(pd.DataFrame({"y_true": y, "y_pred": pred, "split": [name] * rows}))
    return pd.concat(parts, ignore_index=True)


def described(df: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return df[df["split"].isin(names)]


def check_metrics(record: dict[str, Any], rows: pd.DataFrame) -> None:
    """The headline metrics equal scikit-learn's on exactly these rows."""
    c = record["classification"]
    y_true, y_pred = rows["y_true"].to_numpy(), rows["y_pred"].to_numpy()
    labels = c["labels"]
    assert labels == sorted(set(y_true) | set(y_pred))
    assert c["n"] == len(rows)
    assert c["errors"] == int((y_true != y_pred).sum())
    assert c["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    assert c["macro_avg"]["f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="macro", zero_division=0), abs=1e-12
    )
    assert c["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=labels).tolist()
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    for k, item in enumerate(c["per_class"]):
        assert item["precision"] == pytest.approx(p[k], abs=1e-12)
        assert item["recall"] == pytest.approx(r[k], abs=1e-12)
        assert item["f1"] == pytest.approx(f[k], abs=1e-12)
        assert item["support"] == s[k]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result: Result, *outputs: Path) -> str:
    """Exit 2, one readable message, no traceback and no output file left behind."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for path in outputs:
        assert not path.exists()
    return " ".join(result.stderr.split())


# ---------------------------------------------------------------- the default rule


@pytest.mark.parametrize(
    "dev", ["dev", "DEV", "val", "Val", "valid", "VALID", "validation", "Validation"]
)
def test_the_development_split_is_described_by_default(dev: str) -> None:
    df = frame(["train", dev, "test"])
    record = reportgen.build_report(df).record
    ev = record["provenance"]["evaluation"]
    assert (ev["rule"], ev["splits"], ev["requested"]) == ("dev", [dev], None)
    assert (ev["rows"], ev["rows_total"], ev["empty_split_cells"]) == (40, 120, 0)
    assert ev["counts"] == {"train": 40, dev: 40, "test": 40}
    assert ev["text"] == f"{dev} split: 40 of 120 rows"
    assert f"The page describes the split '{dev}', chosen by default" in ev["note"]
    check_metrics(record, described(df, [dev]))
    assert record["provenance"]["input"]["rows"] == 40
    assert record["samples"]["misclassified"]["total"] == record["classification"]["errors"]


@pytest.mark.parametrize("test", ["test", "Test"])
def test_without_a_development_split_the_test_split(test: str) -> None:
    df = frame(["train", test, "holdout"])
    record = reportgen.build_report(df).record
    ev = record["provenance"]["evaluation"]
    assert (ev["rule"], ev["splits"]) == ("test", [test])
    assert "there is no development split" in ev["note"]
    check_metrics(record, described(df, [test]))


def test_without_dev_or_test_every_split_but_train() -> None:
    df = frame(["train", "holdout", "training", "extra"])
    record = reportgen.build_report(df).record
    ev = record["provenance"]["evaluation"]
    # train and training are both training rows; the others in split order (holdout first)
    assert (ev["rule"], ev["splits"]) == ("not-train", ["holdout", "extra"])
    assert ev["text"] == "splits holdout and extra: 80 of 160 rows"
    assert "every split but train ('holdout' and 'extra')" in ev["note"]
    check_metrics(record, described(df, ["extra", "holdout"]))
    assert record["splits"]["evaluated"] == ["holdout", "extra"]
    assert record["splits"]["eval_split"] is None  # several splits


def test_empty_split_cells_are_left_out_and_said() -> None:
    df = frame(["train", None, "holdout"])
    record = reportgen.build_report(df).record
    ev = record["provenance"]["evaluation"]
    assert (ev["rule"], ev["splits"], ev["empty_split_cells"]) == ("not-train", ["holdout"], 40)
    assert (ev["rows"], ev["rows_total"]) == (40, 120)
    assert ev["note"].endswith("40 rows with an empty split cell are left out.")
    check_metrics(record, described(df, ["holdout"]))
    # the split check counts them as a split of their own
    assert record["splits"]["metrics"]["(missing)"]["n"] == 40


def test_a_file_of_train_rows_only_is_refused(tmp_path: Path) -> None:
    df = frame(["train", None])
    with pytest.raises(ReportgenError) as info:
        reportgen.build_report(df)
    message = info.value.message
    assert (
        "split column 'split' holds only training rows ('train' (40 rows), 40 rows with an "
        "empty cell)" in message
    )
    assert "--eval-split all" in message and "--eval-split train" in message
    path, out = tmp_path / "p.csv", tmp_path / "r.html"
    df.to_csv(path, index=False)
    text = refused(run("build", path, "-o", out), out)
    assert text.startswith("reportgen: error: p.csv: split column 'split' holds only training rows")
    # asked for, they are reported on
    assert run("build", path, "-o", out, "--eval-split", "train").exit_code == 0
    assert embedded_record(out.read_text(encoding="utf-8"))["classification"]["n"] == 40


def test_a_split_column_without_values_is_refused() -> None:
    df = frame([None, None])
    with pytest.raises(ReportgenError, match="split column 'split' is empty in all 80 rows"):
        reportgen.build_report(df)
    record = reportgen.build_report(df, eval_split="all").record
    assert record["provenance"]["evaluation"]["text"] == "all splits: 80 rows"
    check_metrics(record, df)


@pytest.mark.parametrize(("names", "both"), [(["dev", "val", "test"], "'val' and 'dev'")])
def test_two_development_splits_are_refused(names: list[str], both: str, tmp_path: Path) -> None:
    df = frame(["train", *names])
    path, out = tmp_path / "p.csv", tmp_path / "r.html"
    df.to_csv(path, index=False)
    text = refused(run("build", path, "-o", out), out)
    assert f"split column 'split' has 2 development splits, {both}" in text
    assert "name it with --eval-split val" in text
    assert run("build", path, "-o", out, "--eval-split", "dev").exit_code == 0


def test_two_test_splits_are_refused() -> None:
    with pytest.raises(ReportgenError, match="has 2 test splits, 'Test' and 'test'"):
        reportgen.build_report(frame(["train", "test", "Test"]))


def test_eval_split_all_describes_every_row() -> None:
    df = frame(["train", "dev", None])
    record = reportgen.build_report(df, eval_split="all").record
    ev = record["provenance"]["evaluation"]
    assert (ev["rule"], ev["splits"], ev["rows"]) == ("all", ["train", "dev"], 120)
    assert ev["text"] == "all splits: 120 rows"
    assert "train rows included" in ev["note"] and "40 rows with an empty split cell" in ev["note"]
    check_metrics(record, df)


def test_a_named_split_even_train() -> None:
    df = frame(["train", "dev", "test"])
    record = reportgen.build_report(df, eval_split="train").record
    ev = record["provenance"]["evaluation"]
    assert (ev["rule"], ev["splits"], ev["requested"]) == ("named", ["train"], "train")
    assert ev["note"] == "The page describes the split 'train', named with --eval-split."
    check_metrics(record, described(df, ["train"]))


def test_an_unknown_split_name_is_refused(tmp_path: Path) -> None:
    path, out = tmp_path / "p.csv", tmp_path / "r.html"
    frame(["train", "dev", None]).to_csv(path, index=False)
    text = refused(run("build", path, "-o", out, "--eval-split", "tset"), out)
    assert text == (
        "reportgen: error: p.csv: --eval-split tset: no row of split column 'split' has the "
        "value 'tset'; its values are 'dev' (40 rows), 'train' (40 rows), 40 rows with an "
        "empty cell. Name one of those, or pass --eval-split all for every row."
    )
    path.write_text("y_true,y_pred\na,b\n", encoding="utf-8")
    text = refused(run("build", path, "-o", out, "--eval-split", "dev"), out)
    assert "p.csv: --eval-split dev: the file has no split column" in text
    # all is every row, with or without a split column
    assert run("build", path, "-o", out, "--eval-split", "all").exit_code == 0


def test_numeric_split_values_are_named_as_written() -> None:
    df = frame(["x", "y", None])
    # a float column, as a column with blanks is read: 1.0 and 2.0 are named 1 and 2
    df["split"] = df["split"].map({"x": 1.0, "y": 2.0})
    record = reportgen.build_report(df, eval_split="1").record
    assert record["provenance"]["evaluation"]["splits"] == ["1"]
    assert record["classification"]["n"] == 40
    assert set(record["splits"]["counts"]) == {"1", "2", "(missing)"}


def test_a_file_without_splits_is_described_whole() -> None:
    df = frame(["train"]).drop(columns="split")
    report = reportgen.build_report(df)
    ev = report.record["provenance"]["evaluation"]
    assert (ev["rule"], ev["column"], ev["rows"], ev["note"]) == ("no-split", None, 40, "")
    assert "<dt>Rows</dt><dd>40</dd>" in report.to_html()


def test_regression_describes_the_evaluated_rows_too() -> None:
    df = regression_frame(["train", "valid", "test"])
    record = reportgen.build_report(df).record
    assert record["provenance"]["evaluation"]["splits"] == ["valid"]
    rows = described(df, ["valid"])
    reg = record["regression"]
    assert reg["n"] == len(rows)
    assert reg["mae"] == pytest.approx(mean_absolute_error(rows.y_true, rows.y_pred), rel=1e-12)
    assert reg["rmse"] == pytest.approx(
        root_mean_squared_error(rows.y_true, rows.y_pred), rel=1e-12
    )


# ---------------------------------------------------------------- what the page says


def test_the_header_and_the_splits_section_say_which_rows() -> None:
    df = frame(["train", "dev", "test"])
    report = reportgen.build_report(df)
    page = report.to_html()
    header = page[page.index("<header") : page.index("</header>")]
    assert "<dt>Rows described</dt><dd>dev split: 40 of 120 rows</dd>" in header
    assert "The page describes the split &#39;dev&#39;, chosen by default" in header
    record = embedded_record(page)
    # the split check still counts every split, and marks the evaluated one
    assert set(record["splits"]["counts"]) == {"train", "dev", "test"}
    assert sum(m["n"] for m in record["splits"]["metrics"].values()) == 120
    section = page[page.index('<section id="splits"') :]
    section = section[: section.index("</section>")]
    assert section.count("evaluated</span>") == 1
    assert '<th scope="row">dev <span class="badge badge-accent">evaluated</span></th>' in section
    assert "the rest of the page describes only the rows marked evaluated (dev split" in section


def test_split_suggestions_still_compare_train_with_the_others() -> None:
    df = frame(["train", "dev", "test"])
    df.loc[(df.split != "train") & (df.y_true == "cat"), "y_true"] = "dog"  # never in train
    record = reportgen.build_report(df).record
    kinds = {(s["kind"], s["target"]) for s in record["suggestions"]}
    assert ("missing-in-train", "dog") in kinds
    evidence = next(s["evidence"] for s in record["suggestions"] if s["target"] == "dog")
    assert "examples in dev, test" in evidence  # counted over every split


def test_the_evolution_follows_the_evaluated_rows() -> None:
    df = frame(["train", "dev", "test"], rows=30)
    # the same samples at every step
    steps = pd.concat([df.assign(step=s) for s in (1, 2, 3)], ignore_index=True)
    record = reportgen.build_report(steps, step="step").record
    assert [m["n"] for m in record["evolution"]["per_step"]] == [30, 30, 30]
    ev = record["provenance"]["evaluation"]
    # counted over the step the report shows
    assert (ev["splits"], ev["rows"], ev["rows_total"]) == (["dev"], 30, 90)
    check_metrics(record, described(df, ["dev"]))


# ---------------------------------------------------------------- streamed and in memory


@pytest.mark.parametrize(
    ("splits", "options"),
    [
        (["train", "Val", "test", None], {}),
        (["train", "holdout", None, "extra"], {}),
        (["train", "dev"], {"eval_split": "all"}),
    ],
)
def test_streamed_record_equals_in_memory(
    splits: list[str | None],
    options: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 23)
    path = tmp_path / "p.csv"
    frame(splits, rows=50).to_csv(path, index=False)
    want = reportgen.build_report(path, **options).record
    got = reportgen.build_report(path, stream=True, **options).record
    assert differences(want, got) == []


def test_streamed_steps_follow_the_evaluated_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 29)
    df = frame(["train", "dev", "test"], rows=30)
    path = tmp_path / "p.csv"
    pd.concat([df.assign(step=s) for s in (1, 2, 3)], ignore_index=True).to_csv(path, index=False)
    want = reportgen.build_report(path, step="step").record
    got = reportgen.build_report(path, step="step", stream=True).record
    assert [m["n"] for m in got["evolution"]["per_step"]] == [30, 30, 30]
    assert differences(want, got) == []


def test_streamed_regression_equals_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 37)
    path = tmp_path / "p.csv"
    regression_frame(["train", "dev", "test"]).to_csv(path, index=False)
    want = reportgen.build_report(path).record
    got = reportgen.build_report(path, stream=True).record
    assert want["provenance"]["evaluation"]["splits"] == ["dev"]
    assert differences(want, got) == []


@pytest.mark.parametrize(
    ("splits", "expected"),
    [(["train"], "holds only training rows"), (["dev", "val"], "2 development splits")],
)
def test_streamed_refusals_equal_in_memory(
    splits: list[str], expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    frame(splits).to_csv(path, index=False)
    with pytest.raises(ReportgenError) as streamed_error:
        reportgen.build_report(path, stream=True)
    with pytest.raises(ReportgenError) as memory_error:
        reportgen.build_report(path)
    assert streamed_error.value.message == memory_error.value.message
    assert expected in memory_error.value.message


# ---------------------------------------------------------------- sample-errors


def test_sample_errors_draws_from_the_rows_build_describes(tmp_path: Path) -> None:
    df = frame(["train", "dev", "test"])
    path, sheet = tmp_path / "p.csv", tmp_path / "review.csv"
    df.to_csv(path, index=False)
    result = run("sample-errors", path, "-n", "5", "-o", sheet)
    assert result.exit_code == 0, result.output
    dev_errors = df[(df.split == "dev") & (df.y_true != df.y_pred)]
    assert f"5 of {len(dev_errors)} errors in split 'dev'" in result.stdout
    assert "chosen by default as the development split" in result.stderr
    drawn = read_tag_sheet(sheet)
    assert set(drawn.ids) <= set(dev_errors["id"])
    assert drawn.sampling is not None and drawn.sampling.split == "dev"
    assert drawn.sampling.total_errors == len(dev_errors)
    # filled in untouched, build knows it for a random sample of the errors it describes
    filled = pd.read_csv(sheet, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    filled["buckets"] = "blurry"
    filled.to_csv(sheet, index=False, encoding="utf-8-sig")
    record = json.loads(reportgen.build_report(path, tags=sheet).to_json())
    assert record["buckets"]["sampling"] == (
        f"5 of the 5 errors drawn at random by sample-errors (random n=5 of {len(dev_errors)} "
        "errors seed=0 stratified by confusion pair split=dev)"
    )
    assert record["buckets"]["total_errors"] == len(dev_errors)
    # a report on every row is not what the sheet was drawn from
    assert (
        reportgen.build_report(path, tags=sheet, eval_split="all").record["buckets"]["sampling"]
        is None
    )


def test_sample_errors_all_and_named_splits(tmp_path: Path) -> None:
    df = frame(["train", "dev", "test"])
    path, sheet = tmp_path / "p.csv", tmp_path / "review.csv"
    df.to_csv(path, index=False)
    errors = df[df.y_true != df.y_pred]
    assert (
        run("sample-errors", path, "-n", "500", "-o", sheet, "--eval-split", "all").exit_code == 0
    )
    drawn = read_tag_sheet(sheet)
    assert sorted(drawn.ids) == sorted(errors["id"])
    assert drawn.sampling is not None and drawn.sampling.split is None
    record = json.loads(reportgen.build_report(path, tags=sheet, eval_split="all").to_json())
    # the sheet's rows are not filled in: none of the drawn errors is tagged yet
    assert record["buckets"]["sampling"] == (
        f"0 of the {len(errors)} errors drawn at random by sample-errors "
        f"(random n={len(errors)} of {len(errors)} errors seed=0)"
    )
    # the old name still works, and says it is the old name
    result = run("sample-errors", path, "-n", "3", "-o", sheet, "--in-split", "test")
    assert result.exit_code == 0, result.output
    assert "--in-split is now called --eval-split" in result.stderr
    assert set(read_tag_sheet(sheet).ids) <= set(errors[errors.split == "test"]["id"])
    assert "--in-split" not in run("sample-errors", "--help").output
    out = tmp_path / "other.csv"
    result = run("sample-errors", path, "-o", out, "--in-split", "test", "--eval-split", "dev")
    assert "name different splits" in refused(result, out)


def test_sample_errors_refuses_as_build_does(tmp_path: Path) -> None:
    path, sheet = tmp_path / "p.csv", tmp_path / "review.csv"
    frame(["train"]).to_csv(path, index=False)
    built = refused(run("build", path, "-o", tmp_path / "r.html"))
    drawn = refused(run("sample-errors", path, "-o", sheet), sheet)
    assert drawn == built


def test_config_tables_take_eval_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    df = frame(["train", "dev", "test"])
    df.to_csv("p.csv", index=False)
    Path("reportgen.toml").write_text(
        '[build]\neval-split = "test"\n\n[sample-errors]\neval-split = "test"\n', encoding="utf-8"
    )
    assert run("build", "p.csv", "-o", "r.html").exit_code == 0
    record = embedded_record(Path("r.html").read_text(encoding="utf-8"))
    assert record["provenance"]["evaluation"]["splits"] == ["test"]
    check_metrics(record, described(df, ["test"]))
    result = run("sample-errors", "p.csv", "-o", "review.csv")
    assert result.exit_code == 0, result.output
    sampling = read_tag_sheet("review.csv").sampling
    assert sampling is not None and sampling.split == "test"


@pytest.mark.parametrize("stream", [False, True])
def test_sheet_ids_of_other_splits_are_counted_apart_not_as_unknown(
    tmp_path: Path, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the inspection sheet was drawn from the dev split; the report on test names those rows
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 97)
    data = ROOT / "examples" / "inspection" / "predictions.csv"
    sheet = ROOT / "examples" / "inspection" / "review.csv"
    record = reportgen.build_report(data, tags=sheet, eval_split="test", stream=stream).record
    drawn = read_tag_sheet(sheet)
    frame = pd.read_csv(data)
    in_test = set(frame.loc[frame.split == "test", "id"].astype(str))
    assert not set(drawn.ids) & in_test
    assert record["buckets"]["outside_rows"] == len(drawn.ids)
    assert record["buckets"]["unmatched_ids"] == 0
    page = reportgen.build_report(data, tags=sheet, eval_split="test").to_html()
    assert f"{len(drawn.ids)} ids in the tag sheet are rows of the file outside the rows" in page
    assert "match no prediction" not in page
    # an id the file does not hold at all is still unknown
    extra = tmp_path / "review.csv"
    extra.write_text("id,buckets\nno-such-id,blurry\n", encoding="utf-8")
    record = reportgen.build_report(data, tags=extra, eval_split="test", stream=stream).record
    assert record["buckets"]["unmatched_ids"] == 1 and record["buckets"]["outside_rows"] == 0
