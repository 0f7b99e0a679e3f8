"""Comparing two models: the join, the paired test, the deltas, the figures and the report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

import reportgen
from reportgen.analysis.compare import compare_classification, compare_regression
from reportgen.analysis.compare_join import join_tables
from reportgen.analysis.compare_stats import mcnemar
from reportgen.api import compare_reports
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.figures.compare import improvement, plot_confusion_difference
from reportgen.read.load import load_predictions
from tests.conftest import ROOT, embedded_record

INSPECTION = ROOT / "examples" / "inspection"
RETRAINED = ROOT / "examples" / "inspection_retrained"


# ---------------------------------------------------------------- helpers


def _frames(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A baseline and a better candidate on the same ids; the candidate alone predicts 'd'."""
    rng = np.random.default_rng(seed)
    labels = np.array(["a", "b", "c"])
    y_true = labels[rng.integers(0, 3, n)]
    pred_a = np.where(rng.random(n) < 0.7, y_true, labels[rng.integers(0, 3, n)])
    pred_b = np.where(rng.random(n) < 0.85, y_true, labels[rng.integers(0, 3, n)])
    pred_b[:3] = "d"
    ids = [f"r{i:04d}" for i in range(n)]
    a = pd.DataFrame({"id": ids, "y_true": y_true, "y_pred": pred_a, "note": "x"})
    b = pd.DataFrame({"id": ids, "y_true": y_true, "y_pred": pred_b, "note": "y"})
    return a, b


def _write(tmp_path: Path, frame: pd.DataFrame, name: str) -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _run(tmp_path: Path, *args: str) -> tuple[Result, Path]:
    out = tmp_path / "out" / "compare.html"
    out.parent.mkdir(exist_ok=True)
    result = CliRunner().invoke(main, ["compare", *args, "-o", str(out)])
    return result, out


def _refused(result: Result, out: Path) -> str:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not out.exists()
    assert list(out.parent.iterdir()) == []
    message = " ".join(result.stderr.split())
    assert message.startswith("reportgen: error: "), message
    return message


# ---------------------------------------------------------------- McNemar


@pytest.mark.parametrize(
    ("b", "c"),
    [(0, 0), (1, 0), (0, 7), (5, 5), (3, 12), (21, 9), (40, 25), (212, 61), (1000, 1100)],
)
def test_mcnemar_exact_and_mid_p_match_scipy(b: int, c: int) -> None:
    from scipy.stats import binom, binomtest

    test = mcnemar(b, c)
    assert (test.b, test.c) == (b, c)
    if b + c == 0:
        assert test.exact_p == test.mid_p == 1.0
        return
    k, n = min(b, c), b + c
    assert test.exact_p == pytest.approx(binomtest(b, n, 0.5).pvalue, rel=1e-9)
    mid = min(1.0, 2 * binom.cdf(k, n, 0.5) - binom.pmf(k, n, 0.5))
    assert test.mid_p == pytest.approx(mid, rel=1e-9, abs=1e-15)
    assert test.mid_p <= test.exact_p


# ---------------------------------------------------------------- classification numbers


def _joined(a: pd.DataFrame, b: pd.DataFrame) -> Any:
    return join_tables(load_predictions(a), load_predictions(b), names=("A", "B"))


def test_each_side_equals_scikit_learn_over_the_union_of_labels() -> None:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
    from sklearn.metrics import precision_recall_fscore_support as prfs

    a, b = _frames()
    joined = _joined(a, b)
    assert joined.labels == ["a", "b", "c", "d"]  # 'd' is predicted by B only
    comp = compare_classification(
        joined.a.true_codes, joined.a.pred_codes, joined.b.pred_codes, joined.labels
    )
    labels = joined.labels
    for frame, result in ((a, comp.a), (b, comp.b)):
        assert result.accuracy == pytest.approx(accuracy_score(frame.y_true, frame.y_pred))
        np.testing.assert_array_equal(
            result.confusion_matrix, confusion_matrix(frame.y_true, frame.y_pred, labels=labels)
        )
        p, r, f, s = prfs(frame.y_true, frame.y_pred, labels=labels, zero_division=0)
        np.testing.assert_allclose([m.precision for m in result.per_class], p)
        np.testing.assert_allclose([m.recall for m in result.per_class], r)
        np.testing.assert_allclose([m.f1 for m in result.per_class], f)
        assert [m.support for m in result.per_class] == s.tolist()
        assert result.macro_avg.f1 == pytest.approx(
            f1_score(frame.y_true, frame.y_pred, labels=labels, average="macro", zero_division=0)
        )


def test_deltas_paired_counts_and_confusion_difference() -> None:
    from sklearn.metrics import confusion_matrix, f1_score

    a, b = _frames()
    joined = _joined(a, b)
    comp = compare_classification(
        joined.a.true_codes, joined.a.pred_codes, joined.b.pred_codes, joined.labels, seed=3
    )
    right_a = (a.y_true == a.y_pred).to_numpy()
    right_b = (b.y_true == b.y_pred).to_numpy()
    assert comp.fixed == int((~right_a & right_b).sum())
    assert comp.broken == int((right_a & ~right_b).sum())
    assert comp.both_correct + comp.both_wrong + comp.fixed + comp.broken == len(a)
    assert comp.accuracy.delta == pytest.approx((comp.fixed - comp.broken) / len(a))
    f1 = [
        f1_score(f.y_true, f.y_pred, labels=joined.labels, average="macro", zero_division=0)
        for f in (a, b)
    ]
    assert comp.macro_f1.delta == pytest.approx(f1[1] - f1[0])
    for d in (comp.accuracy, comp.macro_f1, comp.weighted_f1):
        assert d.ci is not None and d.ci[0] <= d.delta <= d.ci[1]
    # the candidate is clearly better here: the interval excludes zero
    assert comp.accuracy.ci is not None and comp.accuracy.ci[0] > 0
    np.testing.assert_array_equal(
        comp.confusion_difference,
        confusion_matrix(b.y_true, b.y_pred, labels=joined.labels)
        - confusion_matrix(a.y_true, a.y_pred, labels=joined.labels),
    )
    assert comp.test.exact_p < 0.01


def test_identical_predictions_have_zero_deltas_and_p_one() -> None:
    a, _ = _frames()
    joined = _joined(a, a.copy())
    comp = compare_classification(
        joined.a.true_codes, joined.a.pred_codes, joined.b.pred_codes, joined.labels
    )
    assert comp.fixed == comp.broken == 0
    assert comp.test.exact_p == comp.test.mid_p == 1.0
    assert comp.accuracy.ci == (0.0, 0.0) and comp.macro_f1.ci == (0.0, 0.0)
    assert not comp.confusion_difference.any()


def test_numeric_labels_are_ordered_numerically_over_both_files() -> None:
    a = pd.DataFrame({"y_true": [1, 2, 10, 2], "y_pred": [1, 2, 2, 2]})
    b = pd.DataFrame({"y_true": [1, 2, 10, 2], "y_pred": [1, 3, 10, 2]})
    joined = _joined(a, b)
    assert joined.labels == ["1", "2", "3", "10"] and joined.label_kind == "numeric"
    assert joined.method == "row order"


# ---------------------------------------------------------------- regression numbers


def test_regression_comparison_numbers() -> None:
    from scipy.stats import binomtest
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    rng = np.random.default_rng(1)
    y = rng.normal(50, 10, 400)
    pred_a = y + rng.normal(0, 5, 400)
    pred_b = y + rng.normal(0.5, 3, 400)
    comp = compare_regression(y, pred_a, pred_b)
    for pred, side in ((pred_a, "a"), (pred_b, "b")):
        assert getattr(comp.mae, side) == pytest.approx(mean_absolute_error(y, pred))
        assert getattr(comp.rmse, side) == pytest.approx(root_mean_squared_error(y, pred))
        assert getattr(comp.r2, side) == pytest.approx(r2_score(y, pred))
    assert comp.mae.delta == pytest.approx(
        mean_absolute_error(y, pred_b) - mean_absolute_error(y, pred_a)
    )
    assert comp.r2.delta == pytest.approx(r2_score(y, pred_b) - r2_score(y, pred_a))
    for d in (comp.mae, comp.rmse, comp.r2, comp.mean_residual):
        assert d.ci is not None and d.ci.low <= d.delta <= d.ci.high
    assert comp.mae.ci is not None and comp.mae.ci.high < 0  # B is clearly closer
    shrank = int((np.abs(y - pred_b) < np.abs(y - pred_a)).sum())
    grew = int((np.abs(y - pred_b) > np.abs(y - pred_a)).sum())
    assert (comp.shrank, comp.grew, comp.unchanged) == (shrank, grew, 400 - shrank - grew)
    assert comp.test.exact_p == pytest.approx(binomtest(shrank, shrank + grew).pvalue, rel=1e-9)


def test_regression_report_tables_and_record(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(100, 20, 120).round(1)
    a = pd.DataFrame(
        {"id": range(120), "y_true": y, "y_pred": (y + rng.normal(0, 9, 120)).round(1)}
    )
    b = a.assign(y_pred=(y + rng.normal(0, 4, 120)).round(1)).sample(frac=1, random_state=0)
    report = compare_reports(
        _write(tmp_path, a, "a.csv"), _write(tmp_path, b, "b.csv"), max_samples=5
    )
    record = report.record
    assert record["task"] == "comparison" and record["comparison"]["task"] == "regression"
    assert record["sections"] == [
        "comparison",
        "compare-residuals",
        "compare-changes",
        "provenance",
    ]
    grew, shrank = record["samples"]["grew"], record["samples"]["shrank"]
    assert grew["shown"] == shrank["shown"] == 5
    assert grew["total"] + shrank["total"] + record["comparison"]["changes"]["unchanged"] == 120
    changes = [r["change"] for r in grew["rows"]]
    assert changes == sorted(changes, reverse=True) and changes[0] > 0
    top = grew["rows"][0]
    assert top["change"] == pytest.approx(abs(top["residual_b"]) - abs(top["residual_a"]))
    assert record["comparison"]["join"]["method"] == "id"
    page = report.to_html()
    assert f"Showing the 5 largest changes of {grew['total']} rows" in page


# ---------------------------------------------------------------- join errors (CLI)


def test_ids_missing_on_either_side_are_counted_and_named(tmp_path: Path) -> None:
    a, b = _frames(50)
    a_path = _write(tmp_path, a, "base.csv")
    b_path = _write(
        tmp_path, b.iloc[2:].assign(id=lambda f: f.id.str.replace("r0049", "zz")), "cand.csv"
    )
    result, out = _run(tmp_path, str(a_path), str(b_path))
    message = _refused(result, out)
    assert "do not match up" in message
    assert (
        "3 of 50 ids of base.csv are missing from cand.csv ('r0000', 'r0001', 'r0049')" in message
    )
    assert "1 of 48 ids of cand.csv are missing from base.csv ('zz')" in message
    assert "column 'id'" in message


def test_conflicting_true_values_are_refused(tmp_path: Path) -> None:
    a, b = _frames(40)
    b.loc[[5, 9], "y_true"] = "zzz"
    result, out = _run(
        tmp_path, str(_write(tmp_path, a, "a.csv")), str(_write(tmp_path, b, "b.csv"))
    )
    message = _refused(result, out)
    assert "the true values differ" in message
    assert "column 'y_true' disagrees on 2 of 40 rows with the same id" in message
    assert "id 'r0005': a.csv" in message and "b.csv zzz" in message


def test_row_order_join_needs_the_same_length(tmp_path: Path) -> None:
    a, b = _frames(30)
    a, b = a.drop(columns="id"), b.drop(columns="id")
    result, out = _run(
        tmp_path, str(_write(tmp_path, a, "a.csv")), str(_write(tmp_path, b.iloc[:29], "b.csv"))
    )
    message = _refused(result, out)
    assert "neither file has an id column" in message and "30 rows" in message
    assert "29" in message


def test_an_id_column_on_one_side_only_is_refused(tmp_path: Path) -> None:
    a, b = _frames(30)
    result, out = _run(
        tmp_path,
        str(_write(tmp_path, a, "a.csv")),
        str(_write(tmp_path, b.drop(columns="id"), "b.csv")),
    )
    assert "a.csv has an id column ('id') and b.csv has none" in _refused(result, out)


def test_equal_names_and_regression_tags_are_refused(tmp_path: Path) -> None:
    a, b = _frames(30)
    pa, pb = _write(tmp_path, a, "a.csv"), _write(tmp_path, b, "b.csv")
    result, out = _run(tmp_path, str(pa), str(pb), "--name-a", "m", "--name-b", "m")
    assert "give the two models different names" in _refused(result, out)
    ra = pd.DataFrame({"y_true": np.linspace(0, 9, 60), "y_pred": np.linspace(0.5, 9, 60)})
    rpa, rpb = _write(tmp_path, ra, "ra.csv"), _write(tmp_path, ra, "rb.csv")
    result, out = _run(tmp_path, str(rpa), str(rpb), "--tags", str(pa))
    assert "--tags applies to classification comparisons" in _refused(result, out)


def test_a_mix_of_tasks_is_refused() -> None:
    a = pd.DataFrame({"y_true": [1.5, 2.5, 3.5], "y_pred": [1.4, 2.0, 3.9]})
    b = pd.DataFrame({"y_true": ["x", "y", "z"], "y_pred": ["x", "y", "y"]})
    with pytest.raises(ReportgenError, match=r"regression file and .* classification file"):
        join_tables(load_predictions(a), load_predictions(b), names=("A", "B"))


def test_row_order_join_is_said(tmp_path: Path) -> None:
    a, b = _frames(60)
    result, out = _run(
        tmp_path,
        str(_write(tmp_path, a.drop(columns="id"), "a.csv")),
        str(_write(tmp_path, b.drop(columns="id"), "b.csv")),
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    record = embedded_record(page)
    assert record["comparison"]["join"]["method"] == "row order"
    assert any("matched by their order" in f for f in record["summary"]["findings"])
    assert "by their order in the files: neither has an id column" in page


def test_ids_join_in_any_order(tmp_path: Path) -> None:
    a, b = _frames(80)
    shuffled = b.sample(frac=1, random_state=4)
    report = compare_reports(
        _write(tmp_path, a, "a.csv"), _write(tmp_path, shuffled, "b.csv"), max_samples=100
    )
    c = report.record["comparison"]
    right_a = (a.y_true == a.y_pred).to_numpy()
    right_b = (b.y_true == b.y_pred).to_numpy()
    assert c["fixed"] == int((~right_a & right_b).sum())
    fixed_rows = report.record["samples"]["fixed"]["rows"]
    # rows are in A's file order, each with its row in B's file
    assert [r["row"] for r in fixed_rows] == sorted(r["row"] for r in fixed_rows)
    where_b = {v: i + 1 for i, v in enumerate(shuffled.id)}
    assert all(r["row_b"] == where_b[r["id"]] for r in fixed_rows)
    assert all(r["pred_b"] == r["true"] != r["pred_a"] for r in fixed_rows)


# ---------------------------------------------------------------- flipped tables


def test_flipped_tables_count_and_sample(tmp_path: Path) -> None:
    a, b = _frames(400)
    report = compare_reports(a, b, max_samples=7, seed=2, columns=["note"])
    c, samples = report.record["comparison"], report.record["samples"]
    fixed, broken = samples["fixed"], samples["broken"]
    assert (fixed["total"], broken["total"]) == (c["fixed"], c["broken"])
    assert fixed["shown"] == min(7, c["fixed"]) and broken["shown"] == min(7, c["broken"])
    assert all(r["pred_a"] != r["true"] == r["pred_b"] for r in fixed["rows"])
    assert all(r["pred_a"] == r["true"] != r["pred_b"] for r in broken["rows"])
    assert [r["row"] for r in fixed["rows"]] == sorted(r["row"] for r in fixed["rows"])
    assert fixed["rows"][0]["extra"] == {"note": "x"}  # extra columns come from A's file
    page = report.to_html()
    assert f"Showing 7 of {c['fixed']} rows (a random sample, seed 2)" in page
    assert f"Showing 7 of {c['broken']} rows (a random sample, seed 3)" in page


# ---------------------------------------------------------------- figure


def test_confusion_difference_figure_on_its_matplotlib_objects() -> None:
    a = pd.DataFrame({"y_true": list("aaabbc"), "y_pred": list("abbbbb")})
    b = pd.DataFrame({"y_true": list("aaabbc"), "y_pred": list("aaabbc")})
    joined = _joined(a, b)
    comp = compare_classification(
        joined.a.true_codes, joined.a.pred_codes, joined.b.pred_codes, joined.labels
    )
    # B - A: a->a +2, a->b -2, c->b -1, c->c +1
    fig = plot_confusion_difference(comp, names=("old", "new"))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    assert sorted(t.get_text() for t in ax.texts) == sorted(["+2", "−2", "−1", "+1"])
    image = ax.get_images()[0]
    assert image.get_cmap().name == "PuOr"
    assert image.get_clim() == (-2.0, 2.0)  # symmetric around no change
    # shaded by improvement: fewer errors off the diagonal count as better
    expected = np.array([[2, 2, 0], [0, 0, 0], [0, 1, 1]], dtype=float)
    np.testing.assert_array_equal(image.get_array(), expected)
    np.testing.assert_array_equal(improvement(comp.confusion_difference), expected)
    assert "new − old" in ax.get_title()


# ---------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def example() -> reportgen.Report:
    return compare_reports(
        INSPECTION / "predictions.csv",
        RETRAINED / "predictions.csv",
        name_a="baseline",
        name_b="retrained",
        image_root=INSPECTION,
        tags=INSPECTION / "review.csv",
    )


def test_the_example_pair_builds_with_every_section(example: reportgen.Report) -> None:
    page = example.to_html()
    record = embedded_record(page)
    assert record == json.loads(example.to_json())
    assert record["sections"] == [
        "comparison",
        "compare-classes",
        "compare-confusion",
        "compare-flips",
        "compare-buckets",
        "provenance",
    ]
    assert re.findall(r'<section id="([^"]+)"', page) == record["sections"]
    c = record["comparison"]
    # the files share 600 rows; the comparison describes the dev split, as build does
    assert c["names"] == ["baseline", "retrained"] and c["n"] == 125
    assert c["join"]["rows"] == 600
    ev = record["provenance"]["evaluation"]
    assert (ev["rule"], ev["splits"], ev["rows"], ev["rows_total"]) == ("dev", ["dev"], 125, 600)
    assert ev["split_columns"] == ["split", "split"]
    assert "<dt>Rows described</dt><dd>dev split: 125 of 600 rows</dd>" in page
    assert "<dt>Rows compared</dt><dd>dev split: 125 of 600 rows</dd>" in page
    assert "<dt>Rows matched</dt><dd>600, by id" in page
    assert record["task"] == "comparison" and c["task"] == "classification"
    assert c["a"]["accuracy"] < c["b"]["accuracy"]
    dark = next(i for i in c["buckets"]["items"] if i["name"] == "dark")
    # the retrained model fixed the dark pictures it could (not those of the class it never saw)
    assert dark["a"] == 5 and dark["b"] == 3
    assert c["buckets"]["shared_sheet"]
    # the review sheet was drawn from the dev errors: no tag is left out
    assert c["buckets"]["a"]["tagged_outside"] == c["buckets"]["b"]["tagged_outside"] == 0
    # on the dev split alone the 5 fixed against 1 broken could be chance, and the page says so
    assert (c["fixed"], c["broken"]) == (5, 1)
    assert record["summary"]["findings"][0] == (
        "Against baseline, retrained fixes 5 errors and introduces 1; the difference is not "
        "significant (McNemar exact test, p = 0.219): it could be chance."
    )
    assert [i["role"] for i in record["provenance"]["inputs"]] == ["baseline", "candidate"]
    assert page.count('<img class="thumb"') == (
        record["samples"]["fixed"]["shown"] + record["samples"]["broken"]["shown"]
    )
    for card in record["summary"]["headline"]:
        assert f'id="card-{card["id"]}"' in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page)
    assert "http://" not in page and "https://" not in page


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    a, b = _frames(200)
    pa, pb = _write(tmp_path, a, "a.csv"), _write(tmp_path, b, "b.csv")
    pages, records = [], []
    for i in range(2):
        out, js = tmp_path / f"c{i}.html", tmp_path / f"c{i}.json"
        result = CliRunner().invoke(
            main, ["compare", str(pa), str(pb), "-o", str(out), "--json", str(js)]
        )
        assert result.exit_code == 0, result.output
        pages.append(out.read_bytes())
        records.append(js.read_bytes())
    assert pages[0] == pages[1] and records[0] == records[1]
    assert json.loads(records[0]) == embedded_record(pages[0].decode("utf-8"))
    assert "wrote" in result.stdout and "fixes" in result.stdout


def test_names_default_to_file_names_and_are_escaped(tmp_path: Path) -> None:
    a, b = _frames(60)
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    pa, pb = _write(tmp_path / "v1", a, "p.csv"), _write(tmp_path / "v2", b, "p.csv")
    assert compare_reports(pa, pb).record["comparison"]["names"] == ["v1/p.csv", "v2/p.csv"]
    hostile = "<script>alert(1)</script>"
    page = compare_reports(pa, pb, name_b=hostile).to_html()
    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_compare_help_is_fast_and_lists_the_options() -> None:
    code = (
        "import sys, reportgen.cli\n"
        "from click.testing import CliRunner\n"
        "r = CliRunner().invoke(reportgen.cli.main, ['compare', '--help'])\n"
        "heavy = ('pandas', 'numpy', 'matplotlib', 'sklearn', 'pyarrow', 'scipy')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "print(r.output)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    heavy, _, text = out.stdout.partition("\n")
    assert heavy == ""
    for option in ("--model", "--slice", "--gate", "--y-true", "--id", "--tags", "--max-samples"):
        assert option in text
    assert "--name-a" not in text  # the old name of --model still works, unlisted


def test_bucket_counts_are_the_tagged_rows_each_model_gets_wrong(
    example: reportgen.Report,
) -> None:
    from reportgen.read.tags import normalize_tag, split_tags

    sheet = pd.read_csv(INSPECTION / "review.csv", encoding="utf-8-sig")
    dark = {
        i
        for i, cell in zip(sheet.id, sheet.buckets, strict=True)
        if "dark" in {normalize_tag(t) for t in split_tags(cell)}
    }
    for name, side in (("predictions.csv", "a"), ("predictions.csv", "b")):
        folder = INSPECTION if side == "a" else RETRAINED
        frame = pd.read_csv(folder / name)
        frame = frame[frame.split == "dev"]  # the rows the comparison describes
        wrong = set(frame.id[frame.y_true != frame.y_pred])
        items = example.record["comparison"]["buckets"]["items"]
        count = next(i[side] for i in items if i["name"] == "dark")
        assert count == len(dark & wrong)


def test_tags_on_one_side_only_are_said() -> None:
    report = compare_reports(
        INSPECTION / "predictions.csv",
        RETRAINED / "predictions.csv",
        tags_a=INSPECTION / "review.csv",
        max_samples=2,
    )
    buckets = report.record["comparison"]["buckets"]
    assert buckets["b"] is None and all(i["b"] is None for i in buckets["items"])
    assert any(
        "Only inspection/predictions.csv has error tags" in f
        for f in report.record["summary"]["findings"]
    )
    assert "has no error tags, so its side cannot be counted" in report.to_html()


# ---------------------------------------------------------------- the evaluated rows

SPLIT_ACCURACY = {"train": (0.95, 0.97)}  # train rows are easy for both models


def _split_frames(
    splits: tuple[str | None, ...] = ("train", "dev", "test"), rows: int = 80, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A baseline and a better candidate with a split column; a label 'z' only in train."""
    rng = np.random.default_rng(seed)
    labels = np.array(["a", "b", "c"])
    parts: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    for k, name in enumerate(splits):
        y = labels[rng.integers(0, 3, rows)]
        if name == "train":
            y[:4] = "z"
        acc_a, acc_b = SPLIT_ACCURACY.get(str(name), (0.6, 0.8))
        pred_a = np.where(rng.random(rows) < acc_a, y, labels[rng.integers(0, 3, rows)])
        pred_b = np.where(rng.random(rows) < acc_b, y, labels[rng.integers(0, 3, rows)])
        ids = [f"s{k}-{i:03d}" for i in range(rows)]
        common = {"id": ids, "y_true": y, "split": [name] * rows}
        parts.append(
            (
                pd.DataFrame({**common, "y_pred": pred_a}),
                pd.DataFrame({**common, "y_pred": pred_b}),
            )
        )
    a = pd.concat([p[0] for p in parts], ignore_index=True)
    b = pd.concat([p[1] for p in parts], ignore_index=True)
    return a, b


def _check_rows(record: dict[str, Any], a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Every comparison number equals scikit-learn's and scipy's on exactly these rows."""
    from scipy.stats import binomtest
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
    from sklearn.metrics import precision_recall_fscore_support as prfs

    b = b.set_index("id").loc[a["id"]].reset_index()  # b's rows in a's order
    assert (a.y_true.to_numpy() == b.y_true.to_numpy()).all()
    c = record["comparison"]
    labels = sorted(set(a.y_true) | set(a.y_pred) | set(b.y_pred))
    assert c["labels"] == labels
    assert c["n"] == len(a) == c["a"]["n"] == c["b"]["n"]
    for frame, side in ((a, c["a"]), (b, c["b"])):
        assert side["accuracy"] == pytest.approx(accuracy_score(frame.y_true, frame.y_pred))
        assert side["confusion_matrix"] == (
            confusion_matrix(frame.y_true, frame.y_pred, labels=labels).tolist()
        )
        p, r, f, n = prfs(frame.y_true, frame.y_pred, labels=labels, zero_division=0)
        np.testing.assert_allclose([x["precision"] for x in side["per_class"]], p, atol=1e-12)
        np.testing.assert_allclose([x["recall"] for x in side["per_class"]], r, atol=1e-12)
        np.testing.assert_allclose([x["f1"] for x in side["per_class"]], f, atol=1e-12)
        assert [x["support"] for x in side["per_class"]] == n.tolist()
        assert side["macro_avg"]["f1"] == pytest.approx(
            f1_score(frame.y_true, frame.y_pred, labels=labels, average="macro", zero_division=0)
        )
    right_a = (a.y_true == a.y_pred).to_numpy()
    right_b = (b.y_true == b.y_pred).to_numpy()
    fixed, broken = int((~right_a & right_b).sum()), int((right_a & ~right_b).sum())
    assert (c["fixed"], c["broken"]) == (fixed, broken)
    assert (c["mcnemar"]["fixed"], c["mcnemar"]["broken"]) == (fixed, broken)
    assert c["both_correct"] == int((right_a & right_b).sum())
    assert c["mcnemar_p"] == pytest.approx(binomtest(fixed, fixed + broken).pvalue, rel=1e-9)
    assert c["deltas"]["accuracy"]["delta"] == pytest.approx(right_b.mean() - right_a.mean())
    assert c["deltas"]["errors"] == {
        "a": int((~right_a).sum()),
        "b": int((~right_b).sum()),
        "delta": int((~right_b).sum() - (~right_a).sum()),
    }
    samples = record["samples"]
    assert (samples["fixed"]["total"], samples["broken"]["total"]) == (fixed, broken)
    shown = {r["id"] for key in ("fixed", "broken") for r in samples[key]["rows"]}
    assert shown <= set(a["id"].astype(str)) or shown == {None}


@pytest.mark.parametrize("dev", ["dev", "Validation"])
def test_compare_describes_the_development_split_by_default(dev: str, tmp_path: Path) -> None:
    a, b = _split_frames(("train", dev, "test"))
    shuffled = b.sample(frac=1, random_state=1)  # joined by id, in any order
    report = compare_reports(_write(tmp_path, a, "a.csv"), _write(tmp_path, shuffled, "b.csv"))
    record = report.record
    ev = record["provenance"]["evaluation"]
    assert (ev["column"], ev["rule"], ev["splits"], ev["requested"]) == (
        "split",
        "dev",
        [dev],
        None,
    )
    assert (ev["rows"], ev["rows_total"], ev["split_columns"]) == (80, 240, ["split", "split"])
    assert ev["counts"] == {"train": 80, dev: 80, "test": 80}
    assert ev["text"] == f"{dev} split: 80 of 240 rows"
    assert f"The page describes the split '{dev}', chosen by default" in ev["note"]
    _check_rows(record, a[a.split == dev], b[b.split == dev])
    # 'z' is a train-only label: it is not a class of the comparison
    assert "z" not in record["comparison"]["labels"]
    assert record["comparison"]["join"]["rows"] == 240
    inputs = record["provenance"]["inputs"]
    assert [(i["rows"], i["rows_read"]) for i in inputs] == [(80, 240), (80, 240)]
    page = report.to_html()
    header = page[page.index("<header") : page.index("</header>")]
    assert f"<dt>Rows described</dt><dd>{dev} split: 80 of 240 rows</dd>" in header
    assert f"The page describes the split &#39;{dev}&#39;, chosen by default" in header
    assert "<dt>Rows matched</dt><dd>240, by id" in page
    assert "80 rows analysed of 240 read" in page
    assert record["provenance"]["options"]["eval_split"] is None


def test_compare_named_splits_and_all(tmp_path: Path) -> None:
    a, b = _split_frames(("train", "dev", "test", None))
    pa, pb = _write(tmp_path, a, "a.csv"), _write(tmp_path, b, "b.csv")
    for name in ("test", "train"):
        record = compare_reports(pa, pb, eval_split=name).record
        ev = record["provenance"]["evaluation"]
        assert (ev["rule"], ev["splits"], ev["requested"]) == ("named", [name], name)
        assert ev["note"] == (
            f"The page describes the split '{name}', named with --eval-split. 80 rows with an "
            "empty split cell are left out."
        )
        _check_rows(record, a[a.split == name], b[b.split == name])
    record = compare_reports(pa, pb, eval_split="all").record
    ev = record["provenance"]["evaluation"]
    assert (ev["rule"], ev["rows"], ev["empty_split_cells"]) == ("all", 320, 80)
    assert ev["text"] == "all splits: 320 rows"
    _check_rows(record, a, b)
    assert "z" in record["comparison"]["labels"]
    # by default the empty split cells are left out, as build leaves them out
    record = compare_reports(pa, pb).record
    assert record["provenance"]["evaluation"]["note"].endswith(
        "80 rows with an empty split cell are left out."
    )
    _check_rows(record, a[a.split == "dev"], b[b.split == "dev"])
    # from the command line, with the same option name as build
    result, out = _run(tmp_path, str(pa), str(pb), "--eval-split", "test", "--no-config")
    assert result.exit_code == 0, result.output
    record = embedded_record(out.read_text(encoding="utf-8"))
    assert record["provenance"]["evaluation"]["splits"] == ["test"]
    _check_rows(record, a[a.split == "test"], b[b.split == "test"])


def test_a_row_with_two_splits_is_refused(tmp_path: Path) -> None:
    a, b = _split_frames()
    moved = b.index[b.split == "train"][:4]
    b.loc[moved, "split"] = "dev"
    b.loc[b.index[b.split == "test"][0], "split"] = None
    b = b.sample(frac=1, random_state=2)
    result, out = _run(
        tmp_path,
        str(_write(tmp_path, a, "base.csv")),
        str(_write(tmp_path, b, "cand.csv")),
        "--no-config",
    )
    message = _refused(result, out)
    assert message == (
        "reportgen: error: the splits differ between base.csv and cand.csv: split column "
        "'split' disagrees on 5 of 240 rows with the same id (id 's0-000': base.csv 'train', "
        "cand.csv 'dev'; id 's0-001': base.csv 'train', cand.csv 'dev'; id 's0-002': base.csv "
        "'train', cand.csv 'dev'; …). A comparison describes the same rows for both models, so "
        "each row must be in one split: check that both files come from the same split of the "
        "data, or name the right column with --split."
    )
    # even when every row is compared: the files disagree about the data
    result, out = _run(
        tmp_path,
        str(tmp_path / "base.csv"),
        str(tmp_path / "cand.csv"),
        "--eval-split",
        "all",
        "--no-config",
    )
    assert "the splits differ between base.csv and cand.csv" in _refused(result, out)


def test_a_row_with_two_splits_by_row_order(tmp_path: Path) -> None:
    a, b = _split_frames(rows=20)
    a, b = a.drop(columns="id"), b.drop(columns="id")
    b.loc[25, "split"] = "test"
    with pytest.raises(ReportgenError) as info:
        compare_reports(a, b, name_a="old", name_b="new")
    assert "disagrees on 1 of 60 rows in the same position (row 26: old 'dev', new 'test')" in (
        info.value.message
    )
    a.loc[25, "split"] = "test"
    record = compare_reports(a, b).record
    _check_rows(
        record,
        a[a.split == "dev"].assign(id=lambda f: f.index),
        b[b.split == "dev"].assign(id=lambda f: f.index),
    )
    dev_rows = set(np.flatnonzero(a.split == "dev") + 1)
    shown = {r["row"] for key in ("fixed", "broken") for r in record["samples"][key]["rows"]}
    assert shown and shown <= dev_rows


@pytest.mark.parametrize("side", ["baseline", "candidate"])
def test_a_split_column_on_one_side_serves_both(side: str, tmp_path: Path) -> None:
    a, b = _split_frames()
    if side == "baseline":
        b = b.drop(columns="split")
    else:
        a = a.drop(columns="split")
    pa, pb = _write(tmp_path, a, "a.csv"), _write(tmp_path, b, "b.csv")
    report = compare_reports(pa, pb, name_a="old", name_b="new")
    record = report.record
    ev = record["provenance"]["evaluation"]
    has, lacks = ("old", "new") if side == "baseline" else ("new", "old")
    assert ev["split_columns"] == (["split", None] if side == "baseline" else [None, "split"])
    assert ev["note"].endswith(
        f"Only {has}'s file has the split column 'split': a row's split does not depend on the "
        f"model, so it serves {lacks}'s rows too."
    )
    dev = set((a if side == "baseline" else b).query("split == 'dev'")["id"])
    _check_rows(record, a[a.id.isin(dev)], b[b.id.isin(dev)])
    header = report.to_html().split("</header>")[0]
    assert f"Only {has}&#39;s file has the split column &#39;split&#39;" in header
    # a split column named with --split may also be in one file only
    renamed = a.rename(columns={"split": "fold"}) if side == "baseline" else a
    other = b if side == "baseline" else b.rename(columns={"split": "fold"})
    record = compare_reports(renamed, other, split="fold").record
    assert record["provenance"]["evaluation"]["column"] == "fold"
    assert record["comparison"]["n"] == 80


def test_compare_refuses_as_build_does(tmp_path: Path) -> None:
    cases: list[tuple[tuple[str | None, ...], str | None]] = [
        (("train", None), None),  # only train rows
        (("train", "dev", "val"), None),  # two development splits
        (("train", "dev"), "tset"),  # a value no row has
        ((None, None), None),  # a split column without values
    ]
    for splits, requested in cases:
        a, b = _split_frames(splits, rows=10)
        pa, pb = _write(tmp_path, a, "a.csv"), _write(tmp_path, b, "b.csv")
        extra = [] if requested is None else ["--eval-split", requested]
        built = CliRunner().invoke(
            main, ["build", str(pa), "-o", str(tmp_path / "r.html"), "--no-config", *extra]
        )
        assert built.exit_code == 2
        result, out = _run(tmp_path, str(pa), str(pb), "--no-config", *extra)
        message = _refused(result, out)
        # the same words, naming both files where build names one
        assert "a.csv and b.csv: " in message
        assert message.replace("a.csv and b.csv: ", "a.csv: ") == " ".join(built.stderr.split())


def test_no_split_column_in_either_file(tmp_path: Path) -> None:
    a, b = _frames(40)
    pa, pb = _write(tmp_path, a, "a.csv"), _write(tmp_path, b, "b.csv")
    result, out = _run(tmp_path, str(pa), str(pb), "--eval-split", "dev", "--no-config")
    assert _refused(result, out) == (
        "reportgen: error: --eval-split dev: neither a.csv nor b.csv has a split column; name it "
        "with --split COLUMN."
    )
    result, out = _run(tmp_path, str(pa), str(pb), "--split", "fold", "--no-config")
    assert _refused(result, out) == (
        "reportgen: error: no column 'fold' (named with --split) in a.csv or b.csv; name the "
        "split column of one of the two files."
    )
    # every row, as before: the header says how many
    report = compare_reports(pa, pb, eval_split="all")
    ev = report.record["provenance"]["evaluation"]
    assert (ev["rule"], ev["column"], ev["rows"], ev["split_columns"]) == (
        "no-split",
        None,
        40,
        [None, None],
    )
    assert "<dt>Rows</dt><dd>40</dd>" in report.to_html()
    assert "Rows compared" not in report.to_html()
    _check_rows(report.record, a, b)


def test_tags_outside_the_compared_rows_are_not_counted(tmp_path: Path) -> None:
    a, b = _split_frames()
    wrong_a = a[a.y_true != a.y_pred]
    # tag every baseline error, train and test ones included, and give one dev row two tags
    sheet = pd.DataFrame({"id": wrong_a["id"], "buckets": "blurry"})
    sheet.loc[sheet.index[sheet.id.str.startswith("s1-")][0], "buckets"] = "blurry; dark"
    path = tmp_path / "review.csv"
    sheet.to_csv(path, index=False)
    report = compare_reports(
        _write(tmp_path, a, "a.csv"), _write(tmp_path, b, "b.csv"), tags=path, max_samples=500
    )
    buckets = report.record["comparison"]["buckets"]
    dev_a, dev_b = a[a.split == "dev"], b[b.split == "dev"]
    tagged = set(sheet.id)
    outside = int((~sheet.id.isin(dev_a.id)).sum())
    assert outside > 0
    for frame, key in ((dev_a, "a"), (dev_b, "b")):
        side = buckets[key]
        wrong = set(frame.id[frame.y_true != frame.y_pred])
        assert side["total_errors"] == len(wrong)
        assert side["tagged_errors"] == len(wrong & tagged)
        assert side["untagged_errors"] == len(wrong - tagged)
        assert side["tagged_correct"] == len(set(frame.id) & tagged - wrong)
        assert side["tagged_outside"] == outside
    blurry = next(i for i in buckets["items"] if i["name"] == "blurry")
    assert blurry["a"] == len(set(dev_a.id[dev_a.y_true != dev_a.y_pred]) & tagged)
    assert blurry["b"] == len(set(dev_b.id[dev_b.y_true != dev_b.y_pred]) & tagged)
    page = report.to_html()
    assert f"{outside} tagged rows are outside the rows compared and not counted" in page
    # the flip tables show each row's own tags: every baseline error is tagged
    fixed = report.record["samples"]["fixed"]["rows"]
    assert fixed and all(r["tags"] in (["blurry"], ["blurry", "dark"]) for r in fixed)
    two = sheet.id[sheet.buckets == "blurry; dark"].iloc[0]
    assert all((r["tags"] == ["blurry", "dark"]) == (r["id"] == two) for r in fixed)


def test_regression_compare_describes_the_evaluated_rows(tmp_path: Path) -> None:
    from scipy.stats import binomtest
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    rng = np.random.default_rng(3)
    n = 90
    y = rng.normal(50, 10, n)
    split = np.repeat(["train", "valid", "test"], 30)
    noise = np.where(split == "train", 0.5, 6.0)
    a = pd.DataFrame({"id": range(n), "y_true": y, "y_pred": y + rng.normal(0, 1, n) * noise})
    b = a.assign(y_pred=y + rng.normal(0, 1, n) * noise * 0.7)
    a["split"], b["split"] = split, split
    record = compare_reports(a, b).record
    assert record["provenance"]["evaluation"]["splits"] == ["valid"]
    keep = split == "valid"
    yt, pa, pb = y[keep], a.y_pred.to_numpy()[keep], b.y_pred.to_numpy()[keep]
    d = record["comparison"]["deltas"]
    assert record["comparison"]["n"] == 30
    for side, pred in (("a", pa), ("b", pb)):
        assert d["mae"][side] == pytest.approx(mean_absolute_error(yt, pred), rel=1e-12)
        assert d["rmse"][side] == pytest.approx(root_mean_squared_error(yt, pred), rel=1e-12)
        assert d["r2"][side] == pytest.approx(r2_score(yt, pred), rel=1e-12)
    changes = record["comparison"]["changes"]
    shrank = int((np.abs(yt - pb) < np.abs(yt - pa)).sum())
    grew = int((np.abs(yt - pb) > np.abs(yt - pa)).sum())
    assert (changes["shrank"], changes["grew"]) == (shrank, grew)
    assert changes["sign_test"]["exact_p"] == pytest.approx(
        binomtest(shrank, shrank + grew).pvalue, rel=1e-9
    )
    ids = {r["id"] for key in ("grew", "shrank") for r in record["samples"][key]["rows"]}
    assert ids <= {str(i) for i in np.flatnonzero(keep)}


def test_the_compare_config_table_takes_eval_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = _split_frames()
    a.rename(columns={"split": "fold"}).to_csv("a.csv", index=False)
    b.rename(columns={"split": "fold"}).to_csv("b.csv", index=False)
    Path("reportgen.toml").write_text(
        '[columns]\nsplit = "fold"\n\n[compare]\neval-split = "test"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["compare", "a.csv", "b.csv", "-o", "c.html"])
    assert result.exit_code == 0, result.output
    record = embedded_record(Path("c.html").read_text(encoding="utf-8"))
    ev = record["provenance"]["evaluation"]
    assert (ev["column"], ev["splits"], ev["rule"]) == ("fold", ["test"], "named")
    assert record["provenance"]["options"]["eval_split"] == "test"
    _check_rows(record, a[a.split == "test"], b[b.split == "test"])


def test_the_example_on_another_split_leaves_the_review_sheet_out() -> None:
    report = compare_reports(
        INSPECTION / "predictions.csv",
        RETRAINED / "predictions.csv",
        name_a="baseline",
        name_b="retrained",
        tags=INSPECTION / "review.csv",
        eval_split="test",
        max_samples=2,
    )
    record = report.record
    assert record["provenance"]["evaluation"]["text"] == "test split: 141 of 600 rows"
    buckets = record["comparison"]["buckets"]
    # the sheet was drawn from the dev split's errors: none of its 28 tags is on a test row
    sheet = pd.read_csv(INSPECTION / "review.csv", encoding="utf-8-sig")
    tagged = int(sheet.buckets.notna().sum())
    assert tagged == 28
    for side in ("a", "b"):
        assert buckets[side]["tagged_errors"] == 0
        assert buckets[side]["tagged_outside"] == tagged
    assert buckets["items"] == []
    page = report.to_html()
    section = page[page.index('<section id="compare-buckets"') :]
    section = section[: section.index("</section>")]
    assert "baseline: <strong>0</strong> of 31 errors tagged" in section
    assert "28 tagged rows are outside the rows compared and not counted" in section
    assert "<table" not in section  # no empty table
