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
from reportgen.analysis.compare import (
    compare_classification,
    compare_regression,
    join_tables,
    mcnemar,
)
from reportgen.api import compare_reports
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.figures.compare import improvement, plot_confusion_difference
from reportgen.load import load_predictions
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
    assert c["names"] == ["baseline", "retrained"] and c["n"] == 600
    assert record["task"] == "comparison" and c["task"] == "classification"
    assert c["a"]["accuracy"] < c["b"]["accuracy"]
    dark = next(i for i in c["buckets"]["items"] if i["name"] == "dark")
    # the retrained model fixed the dark pictures it could (not those of the class it never saw)
    assert dark["a"] == 5 and dark["b"] == 3
    assert c["buckets"]["shared_sheet"]
    # the headline words, as the issue asks for them
    assert record["summary"]["findings"][0].startswith(
        f"Against baseline, retrained fixes {c['fixed']} errors and introduces {c['broken']}; "
        "the difference is significant"
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
    for option in ("--name-a", "--name-b", "--y-true", "--id", "--tags", "--max-samples", "--json"):
        assert option in text


def test_bucket_counts_are_the_tagged_rows_each_model_gets_wrong(
    example: reportgen.Report,
) -> None:
    from reportgen.tags import normalize_tag, split_tags

    sheet = pd.read_csv(INSPECTION / "review.csv", encoding="utf-8-sig")
    dark = {
        i
        for i, cell in zip(sheet.id, sheet.buckets, strict=True)
        if "dark" in {normalize_tag(t) for t in split_tags(cell)}
    }
    for name, side in (("predictions.csv", "a"), ("predictions.csv", "b")):
        folder = INSPECTION if side == "a" else RETRAINED
        frame = pd.read_csv(folder / name)
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
