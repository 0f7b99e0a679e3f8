"""Loading: every format, column aliases and overrides, label order, task detection, --dropna."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reportgen
from reportgen.errors import ReportgenError
from reportgen.read.columns import ALIASES
from reportgen.read.load import LoadOptions, load_predictions
from reportgen.read.table import PredictionTable

Y_TRUE = ["cat", "dog", "bird", "cat", "dog", "cat"]
Y_PRED = ["cat", "cat", "bird", "dog", "dog", "cat"]
LABELS = ["bird", "cat", "dog"]
TRUE_CODES = [1, 2, 0, 1, 2, 1]
PRED_CODES = [1, 1, 0, 2, 2, 1]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"id": ["a1", "a2", "a3", "a4", "a5", "a6"], "y_true": Y_TRUE, "y_pred": Y_PRED}
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def _write_tsv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, sep="\t")


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def _write_jsonl(frame: pd.DataFrame, path: Path) -> None:
    frame.to_json(path, orient="records", lines=True)


def _write_csv_gz(frame: pd.DataFrame, path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, index=False)


def _write_jsonl_gz(frame: pd.DataFrame, path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(frame.to_json(orient="records", lines=True))


WRITERS: dict[str, tuple[str, Callable[[pd.DataFrame, Path], None]]] = {
    "csv": ("preds.csv", _write_csv),
    "tsv": ("preds.tsv", _write_tsv),
    "parquet": ("preds.parquet", _write_parquet),
    "jsonl": ("preds.jsonl", _write_jsonl),
    "csv.gz": ("preds.csv.gz", _write_csv_gz),
    "jsonl.gz": ("preds.jsonl.gz", _write_jsonl_gz),
}
FORMAT_OF = {
    "csv": "csv",
    "tsv": "tsv",
    "parquet": "parquet",
    "jsonl": "jsonl",
    "csv.gz": "csv",
    "jsonl.gz": "jsonl",
}


def _write(frame: pd.DataFrame, tmp_path: Path, kind: str = "csv") -> Path:
    name, writer = WRITERS[kind]
    path = tmp_path / name
    writer(frame, path)
    return path


def _load(data: Path | pd.DataFrame, **options: object) -> PredictionTable:
    return load_predictions(data, LoadOptions(**options))  # type: ignore[arg-type]


def _error(data: Path | pd.DataFrame, **options: object) -> str:
    """The message for bad input, with pytest's folder (named after the test) cut off."""
    with pytest.raises(ReportgenError) as info:
        _load(data, **options)
    message = info.value.message
    if isinstance(data, Path):
        assert message.startswith(f"{data}: "), message
        message = message.replace(f"{data.parent}{os.sep}", "")
    return message


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize("kind", list(WRITERS))
def test_every_format_loads_the_same_labels_and_codes(tmp_path: Path, kind: str) -> None:
    path = _write(_frame(), tmp_path, kind)
    table = _load(path)
    assert table.labels == LABELS
    assert table.true_codes.tolist() == TRUE_CODES
    assert table.pred_codes.tolist() == PRED_CODES
    assert table.task == "classification"
    assert table.columns.id == "id"
    assert table.frame["id"].astype(str).tolist() == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert table.source.format == FORMAT_OF[kind]
    assert table.source.path == path.name
    assert table.source.size == path.stat().st_size
    assert table.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert table.rows_read == 6 and table.rows_dropped == 0


@pytest.mark.parametrize("kind", list(WRITERS))
def test_numeric_labels_keep_their_type_in_every_format(tmp_path: Path, kind: str) -> None:
    frame = pd.DataFrame({"y_true": [10, 2, 1, 2], "y_pred": [2, 2, 10, 1]})
    table = _load(_write(frame, tmp_path, kind))
    assert table.labels == ["1", "2", "10"]
    assert table.label_kind == "numeric"
    assert table.true_codes.tolist() == [2, 1, 0, 1]
    assert table.pred_codes.tolist() == [1, 1, 2, 0]


@pytest.mark.parametrize(
    ("fmt", "kind"), [("csv", "csv"), ("tsv", "tsv"), ("parquet", "parquet"), ("jsonl", "jsonl")]
)
def test_format_option_reads_a_file_with_an_odd_extension(
    tmp_path: Path, fmt: str, kind: str
) -> None:
    written = _write(_frame(), tmp_path, kind)
    odd = written.rename(tmp_path / "predictions.txt")
    table = _load(odd, format=fmt)
    assert table.labels == LABELS
    assert table.true_codes.tolist() == TRUE_CODES
    assert table.source.format == fmt


def test_format_option_reads_gzip_whatever_the_name(tmp_path: Path) -> None:
    written = _write(_frame(), tmp_path, "csv.gz")
    odd = written.rename(tmp_path / "predictions.dat")
    table = _load(odd, format="csv")
    assert table.pred_codes.tolist() == PRED_CODES


def test_format_option_overrides_a_misleading_extension(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv"
    _frame().to_csv(path, index=False, sep="\t")
    table = _load(path, format="tsv")
    assert table.labels == LABELS


def test_odd_extension_without_format_is_refused_with_the_option_named(tmp_path: Path) -> None:
    path = tmp_path / "predictions.txt"
    _frame().to_csv(path, index=False)
    message = _error(path)
    assert "predictions.txt" in message
    assert "--format" in message


def test_unknown_format_through_the_api(tmp_path: Path) -> None:
    message = _error(_write(_frame(), tmp_path), format="xlsx")
    assert "unknown format 'xlsx'" in message
    assert "csv, tsv, parquet, jsonl" in message


@pytest.mark.parametrize(
    ("kind", "note"),
    [
        ("csv", "counted from 1 after the header"),
        ("jsonl", "JSON objects, counted from 1"),
        ("dataframe", "positions in the DataFrame"),
    ],
)
def test_row_numbers_say_what_they_count(tmp_path: Path, kind: str, note: str) -> None:
    frame = pd.DataFrame({"y_true": ["a", None, "b"], "y_pred": ["a", "b", "b"]})
    data: Path | pd.DataFrame = frame if kind == "dataframe" else _write(frame, tmp_path, kind)
    message = _error(data)
    assert "column 'y_true' has 1 empty cell (row 2)" in message
    assert note in message


@pytest.mark.parametrize("ext", [".tab", ".pq", ".ndjson"])
def test_alternative_extensions(tmp_path: Path, ext: str) -> None:
    kind = {".tab": "tsv", ".pq": "parquet", ".ndjson": "jsonl"}[ext]
    path = _write(_frame(), tmp_path, kind).rename(tmp_path / f"preds{ext}")
    assert _load(path).labels == LABELS


def test_uppercase_extension(tmp_path: Path) -> None:
    path = _write(_frame(), tmp_path, "csv").rename(tmp_path / "PREDS.CSV")
    assert _load(path).source.format == "csv"


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("sep", [",", "\t"])
def test_utf8_bom_is_ignored(tmp_path: Path, sep: str) -> None:
    path = tmp_path / ("preds.csv" if sep == "," else "preds.tsv")
    text = (
        sep.join(["y_true", "y_pred"])
        + "\n"
        + "\n".join(f"{t}{sep}{p}" for t, p in zip(Y_TRUE, Y_PRED, strict=True))
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8") + b"\n")
    table = _load(path)
    # the BOM sits right before the first column name: it must not hide 'y_true'
    assert table.columns.y_true == "y_true"
    assert table.labels == LABELS
    assert table.true_codes.tolist() == TRUE_CODES


def test_utf8_bom_in_gzipped_csv(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"\xef\xbb\xbf" + _frame().to_csv(index=False).encode("utf-8"))
    table = _load(path)
    assert table.columns.id == "id"
    assert table.true_codes.tolist() == TRUE_CODES


def test_utf8_bom_in_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _frame().to_json(orient="records", lines=True).encode())
    assert _load(path).true_codes.tolist() == TRUE_CODES


@pytest.mark.parametrize("kind", ["parquet", "jsonl", "dataframe"])
def test_bom_inside_a_column_name_is_dropped(tmp_path: Path, kind: str) -> None:
    # A CSV read upstream without utf-8-sig keeps the BOM in its first column name.
    frame = pd.DataFrame({"\ufefflabel": Y_TRUE, "prediction": Y_PRED})
    data: Path | pd.DataFrame = frame if kind == "dataframe" else _write(frame, tmp_path, kind)
    table = _load(data)
    assert table.columns.y_true == "label"
    assert table.true_codes.tolist() == TRUE_CODES
    # an explicit override names the visible name, not the invisible mark
    assert _load(data, y_true="label").columns.y_true == "label"


def test_non_ascii_labels_and_column_names(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "y_true": ["café", "naïve", "café"],
            "y_pred": ["café", "café", "naïve"],
            "größe": [1, 2, 3],
        }
    )
    path = _write(frame, tmp_path, "csv")
    table = _load(path, columns=("größe",))
    assert table.labels == ["café", "naïve"]
    assert table.frame["größe"].tolist() == [1, 2, 3]


# ---------------------------------------------------------------- column aliases


@pytest.mark.parametrize("alias", ALIASES["y_true"])
def test_every_y_true_alias(tmp_path: Path, alias: str) -> None:
    frame = pd.DataFrame({alias: Y_TRUE, "y_pred": Y_PRED})
    table = _load(_write(frame, tmp_path))
    assert table.columns.y_true == alias
    assert table.true_codes.tolist() == TRUE_CODES


@pytest.mark.parametrize("alias", ALIASES["y_pred"])
def test_every_y_pred_alias(tmp_path: Path, alias: str) -> None:
    frame = pd.DataFrame({"y_true": Y_TRUE, alias: Y_PRED})
    table = _load(_write(frame, tmp_path))
    assert table.columns.y_pred == alias
    assert table.pred_codes.tolist() == PRED_CODES


@pytest.mark.parametrize("alias", ALIASES["id"])
def test_every_id_alias(tmp_path: Path, alias: str) -> None:
    frame = pd.DataFrame({alias: [f"x{i}" for i in range(6)], "y_true": Y_TRUE, "y_pred": Y_PRED})
    table = _load(_write(frame, tmp_path))
    assert table.columns.id == alias
    assert table.frame[alias].tolist() == [f"x{i}" for i in range(6)]


def test_the_documented_aliases() -> None:
    # DESIGN.md and the issue name these lists; the README documents them to users
    assert ALIASES["y_true"] == ("y_true", "label", "target", "actual", "truth", "ground_truth")
    assert ALIASES["y_pred"] == ("y_pred", "prediction", "pred", "predicted")
    assert ALIASES["id"] == ("id", "sample_id", "image_id", "uid")


@pytest.mark.parametrize(
    ("true_name", "pred_name", "id_name"),
    [
        ("Y_TRUE", "Y_Pred", "ID"),
        ("Label", "Prediction", "Sample_ID"),
        (" target ", "PRED ", "Uid"),
    ],
)
def test_alias_matching_ignores_case_and_surrounding_spaces(
    tmp_path: Path, true_name: str, pred_name: str, id_name: str
) -> None:
    frame = pd.DataFrame({id_name: list("abcdef"), true_name: Y_TRUE, pred_name: Y_PRED})
    table = _load(_write(frame, tmp_path))
    assert (table.columns.y_true, table.columns.y_pred, table.columns.id) == (
        true_name,
        pred_name,
        id_name,
    )
    assert table.true_codes.tolist() == TRUE_CODES
    assert table.pred_codes.tolist() == PRED_CODES


def test_no_id_column_is_fine(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": Y_TRUE, "y_pred": Y_PRED})
    table = _load(_write(frame, tmp_path))
    assert table.columns.id is None
    assert table.row_numbers.tolist() == [1, 2, 3, 4, 5, 6]


def test_column_names_that_only_contain_an_alias_are_not_taken(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": Y_TRUE, "y_pred": Y_PRED, "label_source": ["x"] * 6})
    assert _load(_write(frame, tmp_path)).columns.y_true == "y_true"


# ---------------------------------------------------------------- explicit overrides


def test_explicit_column_overrides(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "gold": Y_TRUE,
            "guess": Y_PRED,
            "key": [f"k{i}" for i in range(6)],
            "body": [f"text {i}" for i in range(6)],
            # alias-named decoys that the overrides must win over
            "label": ["zzz"] * 6,
            "pred": ["zzz"] * 6,
            "id": [1] * 6,
        }
    )
    table = _load(_write(frame, tmp_path), y_true="gold", y_pred="guess", id="key", sample="body")
    assert table.columns.y_true == "gold"
    assert table.columns.y_pred == "guess"
    assert table.columns.id == "key"
    assert table.columns.sample == "body"
    assert table.labels == LABELS
    assert table.frame["body"].tolist() == [f"text {i}" for i in range(6)]


def test_override_resolves_an_ambiguity(tmp_path: Path) -> None:
    frame = pd.DataFrame({"label": Y_TRUE, "target": Y_PRED, "y_pred": Y_PRED})
    assert "'label' and 'target'" in _error(_write(frame, tmp_path))
    table = _load(_write(frame, tmp_path), y_true="target")
    assert table.columns.y_true == "target"
    assert table.true_codes.tolist() == PRED_CODES


def test_override_naming_a_missing_column_lists_the_columns(tmp_path: Path) -> None:
    path = _write(_frame(), tmp_path)
    message = _error(path, y_pred="guess")
    assert "'guess'" in message and "--y-pred" in message
    assert "'y_true'" in message and "'y_pred'" in message and "'id'" in message


def test_same_column_for_true_and_pred_is_refused(tmp_path: Path) -> None:
    message = _error(_write(_frame(), tmp_path), y_pred="y_true")
    assert "'y_true'" in message and "both" in message


def test_sample_column_is_detected_and_kept_as_text(tmp_path: Path) -> None:
    frame = _frame().assign(text=["1", "02", "three", "4.0", "five", "6"])
    table = _load(_write(frame, tmp_path))
    assert table.columns.sample == "text"
    assert table.frame["text"].tolist() == ["1", "02", "three", "4.0", "five", "6"]


def test_csv_ids_are_read_as_text(tmp_path: Path) -> None:
    # '007' and '7' are different ids; reading them as numbers would merge them
    frame = pd.DataFrame(
        {"id": ["007", "7", "08"], "y_true": ["a", "b", "a"], "y_pred": ["a", "a", "a"]}
    )
    table = _load(_write(frame, tmp_path))
    assert table.frame["id"].tolist() == ["007", "7", "08"]


# ---------------------------------------------------------------- probabilities


def _proba_frame(prefix: str) -> pd.DataFrame:
    proba = np.array(
        [
            [0.1, 0.8, 0.1],
            [0.2, 0.5, 0.3],
            [0.7, 0.2, 0.1],
            [0.1, 0.3, 0.6],
            [0.0, 0.1, 0.9],
            [0.05, 0.9, 0.05],
        ]
    )
    frame = pd.DataFrame({"y_true": Y_TRUE, "y_pred": Y_PRED})
    for j, lab in enumerate(LABELS):
        frame[f"{prefix}{lab}"] = proba[:, j]
    return frame


# the probability of each row's predicted class (Y_PRED) in _proba_frame
PREDICTED_CONFIDENCE = [0.8, 0.5, 0.7, 0.6, 0.9, 0.9]


@pytest.mark.parametrize("prefix", ["proba_", "prob_", "score_"])
@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_proba_prefixes_give_predicted_class_confidence(
    tmp_path: Path, prefix: str, kind: str
) -> None:
    table = _load(_write(_proba_frame(prefix), tmp_path, kind))
    assert table.columns.proba_prefix == prefix
    assert table.columns.proba == {lab: f"{prefix}{lab}" for lab in LABELS}
    assert table.confidence is not None
    np.testing.assert_allclose(table.confidence, PREDICTED_CONFIDENCE)


def test_custom_proba_prefix(tmp_path: Path) -> None:
    table = _load(_write(_proba_frame("p::"), tmp_path), proba_prefix="p::")
    assert table.columns.proba_prefix == "p::"
    assert table.confidence is not None
    np.testing.assert_allclose(table.confidence, PREDICTED_CONFIDENCE)


def test_custom_proba_prefix_is_not_found_without_the_option(tmp_path: Path) -> None:
    table = _load(_write(_proba_frame("p::"), tmp_path))
    assert table.confidence is None
    assert table.columns.proba == {}


def test_custom_proba_prefix_chooses_between_two_sets(tmp_path: Path) -> None:
    frame = _proba_frame("proba_")
    for lab in LABELS:
        frame[f"score_{lab}"] = 1.0 / 3
    message = _error(_write(frame, tmp_path))
    assert "'proba_'" in message and "'score_'" in message and "--proba-prefix" in message
    table = _load(_write(frame, tmp_path), proba_prefix="score_")
    assert table.confidence is not None
    np.testing.assert_allclose(table.confidence, [1 / 3] * 6)


def test_default_proba_prefix_ignores_case(tmp_path: Path) -> None:
    frame = _proba_frame("Proba_")
    table = _load(_write(frame, tmp_path))
    assert table.columns.proba == {lab: f"Proba_{lab}" for lab in LABELS}
    assert table.confidence is not None
    np.testing.assert_allclose(table.confidence, PREDICTED_CONFIDENCE)


def test_numeric_labels_with_probabilities(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [0, 1, 2, 1], "y_pred": [0, 2, 2, 1]})
    for k in range(3):
        frame[f"proba_{k}"] = [0.9 if p == k else 0.05 for p in frame["y_pred"]]
    table = _load(_write(frame, tmp_path, "parquet"))
    assert table.confidence is not None
    np.testing.assert_allclose(table.confidence, [0.9] * 4)


def test_probabilities_need_not_cover_classes_never_predicted(tmp_path: Path) -> None:
    # 'bird' is true once but only predicted as itself; drop the proba for a never-predicted class
    frame = pd.DataFrame({"y_true": ["a", "b", "c"], "y_pred": ["a", "a", "b"]})
    frame["proba_a"] = [0.6, 0.7, 0.2]
    frame["proba_b"] = [0.4, 0.3, 0.8]
    table = _load(_write(frame, tmp_path))
    assert table.confidence is not None
    np.testing.assert_allclose(table.confidence, [0.6, 0.7, 0.8])


def test_tiny_rounding_outside_unit_interval_is_clipped(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "b"]})
    frame["proba_a"] = [1 + 1e-9, -1e-9]
    frame["proba_b"] = [-1e-9, 1 + 1e-9]
    table = _load(_write(frame, tmp_path, "parquet"))
    assert table.confidence is not None
    assert table.confidence.tolist() == [1.0, 1.0]


def test_proba_columns_are_not_taken_when_they_are_the_label_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"score_true": Y_TRUE, "y_pred": Y_PRED})
    table = _load(_write(frame, tmp_path), y_true="score_true")
    assert table.columns.proba == {}
    assert table.confidence is None


# ---------------------------------------------------------------- --columns


def test_extra_columns_are_kept_for_sample_tables(tmp_path: Path) -> None:
    frame = _frame().assign(source=["web", "app", "web", "app", "web", "app"], score=range(6))
    table = _load(_write(frame, tmp_path, "parquet"), columns=("source", "score"))
    assert table.columns.extra == ("source", "score")
    assert list(table.frame.columns) == ["id", "source", "score"]
    assert table.frame["source"].tolist() == ["web", "app", "web", "app", "web", "app"]
    assert table.frame["score"].tolist() == list(range(6))


def test_extra_columns_are_not_loaded_unless_asked(tmp_path: Path) -> None:
    frame = _frame().assign(source=["web"] * 6)
    table = _load(_write(frame, tmp_path))
    assert "source" not in table.frame.columns
    assert table.columns.extra == ()


def test_extra_column_that_is_already_a_role_is_not_repeated(tmp_path: Path) -> None:
    table = _load(_write(_frame(), tmp_path), columns=("id", "y_true"))
    assert table.columns.extra == ()
    assert list(table.frame.columns) == ["id"]


def test_unknown_extra_column_is_named(tmp_path: Path) -> None:
    message = _error(_write(_frame(), tmp_path), columns=("nope",))
    assert "'nope'" in message and "--columns" in message and "'y_true'" in message


# ---------------------------------------------------------------- label order


def test_numeric_labels_sort_numerically(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [10, 2, 1, 100, 2], "y_pred": [2, 10, 1, 100, 1]})
    table = _load(_write(frame, tmp_path))
    assert table.labels == ["1", "2", "10", "100"]
    assert table.label_kind == "numeric"
    assert table.true_codes.tolist() == [2, 1, 0, 3, 1]


def test_negative_numeric_labels_sort_numerically(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [-1, 1, 0, -10], "y_pred": [1, 1, -1, -10]})
    table = _load(_write(frame, tmp_path))
    assert table.labels == ["-10", "-1", "0", "1"]


def test_string_labels_sort_as_strings(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["b", "a10", "a2", "B"], "y_pred": ["a2", "a10", "b", "B"]})
    table = _load(_write(frame, tmp_path))
    assert table.labels == ["B", "a10", "a2", "b"]
    assert table.label_kind == "string"


def test_mixed_numbers_and_strings_sort_as_strings(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["10", "2", "other"], "y_pred": ["2", "10", "10"]})
    table = _load(_write(frame, tmp_path))
    assert table.labels == ["10", "2", "other"]
    assert table.label_kind == "string"


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_integral_float_labels_become_ints_after_dropna(tmp_path: Path, kind: str) -> None:
    # a blank cell turns an integer column into floats; the labels must still read '1', not '1.0'
    frame = pd.DataFrame({"y_true": [1.0, np.nan, 2.0, 10.0], "y_pred": [1, 2, 10, 10]})
    table = _load(_write(frame, tmp_path, kind), dropna=True)
    assert table.labels == ["1", "2", "10"]
    assert table.label_kind == "numeric"
    assert table.true_codes.tolist() == [0, 1, 2]
    assert table.pred_codes.tolist() == [0, 2, 2]
    assert table.row_numbers.tolist() == [1, 3, 4]
    assert table.task == "classification"


def test_label_only_in_predictions_is_a_label(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["a", "b", "a"], "y_pred": ["a", "zzz", "b"]})
    table = _load(_write(frame, tmp_path))
    assert table.labels == ["a", "b", "zzz"]
    assert table.pred_codes.tolist() == [0, 2, 1]
    assert 2 not in table.true_codes.tolist()


def test_label_only_in_truth_is_a_label(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [3, 1, 2], "y_pred": [1, 1, 1]})
    table = _load(_write(frame, tmp_path))
    assert table.labels == ["1", "2", "3"]
    assert table.true_codes.tolist() == [2, 0, 1]


def test_label_only_in_predictions_reaches_the_record() -> None:
    frame = pd.DataFrame({"y_true": ["a", "b", "a", "b"], "y_pred": ["a", "zzz", "b", "b"]})
    record = reportgen.build_report(frame).record
    c = record["classification"]
    assert c["labels"] == ["a", "b", "zzz"]
    assert c["confusion_matrix"] == [[1, 1, 0], [0, 1, 1], [0, 0, 0]]
    zzz = c["per_class"][2]
    assert zzz["label"] == "zzz" and zzz["support"] == 0 and zzz["precision"] == 0


def test_boolean_labels(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [True, False, True], "y_pred": [True, True, False]})
    table = _load(_write(frame, tmp_path, "parquet"))
    assert table.labels == ["False", "True"]
    assert table.task == "classification"


# ---------------------------------------------------------------- task detection


def test_digit_labels_are_classification(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": list(range(10)) * 3, "y_pred": list(range(10))[::-1] * 3})
    table = _load(_write(frame, tmp_path))
    assert table.task == "classification"
    assert table.labels == [str(k) for k in range(10)]


def test_fifty_distinct_integers_are_still_classification(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": list(range(50)), "y_pred": list(range(50))})
    assert _load(_write(frame, tmp_path)).task == "classification"


def test_fifty_one_distinct_integers_are_regression(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": list(range(51)), "y_pred": list(range(51))})
    table = _load(_write(frame, tmp_path))
    assert table.task == "regression"
    assert table.y_true_values is not None
    assert table.y_true_values.tolist() == [float(v) for v in range(51)]


def test_distinct_count_spans_both_columns(tmp_path: Path) -> None:
    # 30 values in each column, 60 together: the union decides
    frame = pd.DataFrame({"y_true": list(range(30)), "y_pred": list(range(30, 60))})
    assert _load(_write(frame, tmp_path)).task == "regression"
    frame = pd.DataFrame({"y_true": list(range(25)), "y_pred": list(range(25, 50))})
    assert _load(_write(frame, tmp_path)).task == "classification"


@pytest.mark.parametrize("column", ["y_true", "y_pred"])
def test_a_non_integer_float_makes_regression(tmp_path: Path, column: str) -> None:
    frame = pd.DataFrame({"y_true": [1.0, 2.0, 3.0], "y_pred": [1.0, 2.0, 3.0]})
    frame.loc[1, column] = 2.5
    table = _load(_write(frame, tmp_path))
    assert table.task == "regression"
    values = table.y_true_values if column == "y_true" else table.y_pred_values
    assert values is not None and values.tolist() == [1.0, 2.5, 3.0]


def test_task_classification_overrides_detection(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": list(range(60)), "y_pred": list(range(1, 61))})
    table = _load(_write(frame, tmp_path), task="classification")
    assert table.task == "classification"
    assert len(table.labels) == 61
    assert table.labels[:3] == ["0", "1", "2"] and table.labels[-1] == "60"


def test_task_classification_with_float_labels(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [0.5, 1.5, 0.5], "y_pred": [0.5, 0.5, 1.5]})
    table = _load(_write(frame, tmp_path), task="classification")
    assert table.labels == ["0.5", "1.5"]


def test_task_regression_forces_regression(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [1, 2, 3], "y_pred": [1, 2, 2]})
    table = _load(_write(frame, tmp_path), task="regression")
    assert table.task == "regression" and table.labels == []
    assert table.y_pred_values is not None and table.y_pred_values.tolist() == [1.0, 2.0, 2.0]


def test_string_labels_are_classification_however_many(tmp_path: Path) -> None:
    labels = [f"class{k}" for k in range(80)]
    frame = pd.DataFrame({"y_true": labels, "y_pred": labels[::-1]})
    assert _load(_write(frame, tmp_path)).task == "classification"


def test_regression_through_the_api_builds_a_regression_report() -> None:
    frame = pd.DataFrame({"y_true": [0.1, 0.7, 3.2], "y_pred": [0.2, 0.5, 3.0]})
    record = reportgen.build_report(frame).record
    assert record["task"] == "regression"
    assert "classification" not in record
    assert record["regression"]["n"] == 3


# ---------------------------------------------------------------- DataFrame input


def test_build_report_from_a_dataframe() -> None:
    frame = _frame()
    report = reportgen.build_report(frame)
    record = report.record
    c = record["classification"]
    assert c["labels"] == LABELS
    assert c["n"] == 6
    assert c["errors"] == 2
    assert record["provenance"]["input"]["path"] is None
    assert record["provenance"]["input"]["rows"] == 6
    # the caller's frame is not changed
    assert list(frame.columns) == ["id", "y_true", "y_pred"]


def test_dataframe_with_aliases_overrides_and_proba() -> None:
    frame = _proba_frame("prob_").rename(columns={"y_true": "truth", "y_pred": "model_out"})
    table = _load(frame, y_pred="model_out")
    assert table.columns.y_true == "truth"
    assert table.confidence is not None
    np.testing.assert_allclose(table.confidence, PREDICTED_CONFIDENCE)


def test_dataframe_with_non_default_index_and_non_string_column_names() -> None:
    frame = pd.DataFrame({0: ["a", "b", "b"], 1: ["a", "a", "b"]}, index=[10, 5, 7])
    table = _load(frame, y_true="0", y_pred="1")
    assert table.true_codes.tolist() == [0, 1, 1]
    assert table.pred_codes.tolist() == [0, 0, 1]
    assert table.row_numbers.tolist() == [1, 2, 3]


def test_dataframe_with_categorical_and_nullable_columns() -> None:
    frame = pd.DataFrame(
        {
            "y_true": pd.Categorical(["b", "a", "b", "a"]),
            "y_pred": pd.array(["b", "b", None, "a"], dtype="string"),
        }
    )
    table = _load(frame, dropna=True)
    assert table.labels == ["a", "b"]
    assert table.true_codes.tolist() == [1, 0, 0]
    assert table.pred_codes.tolist() == [1, 1, 0]
    assert table.rows_dropped == 1


def test_dataframe_with_nullable_integers_after_dropna() -> None:
    frame = pd.DataFrame(
        {"y_true": pd.array([1, 2, None, 10], dtype="Int64"), "y_pred": [1, 10, 2, 10]}
    )
    table = _load(frame, dropna=True)
    assert table.labels == ["1", "2", "10"]
    assert table.label_kind == "numeric"


def test_dataframe_bad_input_names_the_dataframe() -> None:
    frame = pd.DataFrame({"y_true": ["a", None], "y_pred": ["a", "b"]})
    message = _error(frame)
    assert "DataFrame" in message and "'y_true'" in message and "row 2" in message


# ---------------------------------------------------------------- --dropna


def _with_blanks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(1, 9)],
            "y_true": ["a", "b", None, "a", "b", "a", None, "b"],
            "y_pred": ["a", "a", "b", None, "b", "b", "a", "b"],
        }
    )


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_dropna_drops_rows_with_an_empty_label(tmp_path: Path, kind: str) -> None:
    table = _load(_write(_with_blanks(), tmp_path, kind), dropna=True)
    assert table.rows_read == 8
    assert table.rows_dropped == 3
    assert table.n == 5
    # row numbers still point at the rows of the file, not at positions after dropping
    assert table.row_numbers.tolist() == [1, 2, 5, 6, 8]
    assert table.frame["id"].tolist() == ["r1", "r2", "r5", "r6", "r8"]


def test_whitespace_only_labels_count_as_empty(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": ["a", "  ", "b"], "y_pred": ["a", "b", "b"]})
    path = _write(frame, tmp_path)
    assert "row 2" in _error(path)
    assert _load(path, dropna=True).rows_dropped == 1


def test_na_text_is_a_label_not_an_empty_cell(tmp_path: Path) -> None:
    # 'NA' and 'None' are real class names in some data sets; only blank cells are empty
    path = tmp_path / "preds.csv"
    path.write_text("y_true,y_pred\nNA,NA\nNone,NA\nx,None\n", encoding="utf-8")
    table = _load(path)
    assert table.labels == ["NA", "None", "x"]
    assert table.rows_dropped == 0


def test_dropna_is_recorded_and_stated_in_the_report(tmp_path: Path) -> None:
    path = _write(_with_blanks(), tmp_path)
    report = reportgen.build_report(path, dropna=True)
    record = report.record
    assert record["provenance"]["input"]["rows_dropped"] == 3
    assert record["provenance"]["input"]["rows_read"] == 8
    assert record["provenance"]["input"]["rows"] == 5
    assert record["classification"]["n"] == 5
    findings = record["summary"]["findings"]
    dropped = [f for f in findings if "left out" in f]
    assert dropped == [
        "3 rows with an empty true or predicted label were left out (--dropna) "
        "and are not counted above."
    ]
    html = report.to_html()
    assert "3 dropped" in html


def test_dropna_without_empty_cells_drops_nothing(tmp_path: Path) -> None:
    record = reportgen.build_report(_write(_frame(), tmp_path), dropna=True).record
    assert record["provenance"]["input"]["rows_dropped"] == 0
    assert not [f for f in record["summary"]["findings"] if "left out" in f]


def test_dropna_finding_survives_when_there_are_many_findings(tmp_path: Path) -> None:
    # confidence, a never-true label and small supports each add a finding before --dropna's
    frame = pd.DataFrame(
        {
            "y_true": ["a", "b", None, "a", "b", "a"],
            "y_pred": ["a", "c", "b", "b", "b", "a"],
            "proba_a": [0.9, 0.1, 0.1, 0.2, 0.1, 0.8],
            "proba_b": [0.05, 0.1, 0.8, 0.7, 0.8, 0.1],
            "proba_c": [0.05, 0.8, 0.1, 0.1, 0.1, 0.1],
        }
    )
    findings = reportgen.build_report(_write(frame, tmp_path), dropna=True).record["summary"][
        "findings"
    ]
    assert any("left out" in f for f in findings)
