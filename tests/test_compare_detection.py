"""compare of two detectors on one ground truth: changes equal to two builds, the sign test, CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scipy.stats import binomtest

from reportgen.analysis.detection_compare import largest_changes, sign_test
from reportgen.api import build_report, compare_reports
from reportgen.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "inspection_detection"
RESULTS = EXAMPLE / "detections.json"
TRUTH = EXAMPLE / "instances.json"
CREATED = "2026-01-01"


def make_candidate(path: Path) -> None:
    """The baseline's detections without the background ones below 0.2, and boxes for a third of
    the val boxes (shifted by a pixel): fewer misses, and some duplicates."""
    dets = json.loads(RESULTS.read_text())
    truth = json.loads(TRUTH.read_text())
    rng = random.Random(1)
    out = [d for d in dets if d["score"] >= 0.2]
    val = {im["id"] for im in truth["images"] if im.get("split") == "val"}
    for a in truth["annotations"]:
        if a["image_id"] in val and a["id"] % 3 == 0:
            x, y, w, h = a["bbox"]
            out.append(
                {
                    "image_id": a["image_id"],
                    "category_id": a["category_id"],
                    "bbox": [x + 1, y + 1, w, h],
                    "score": round(rng.uniform(0.5, 0.95), 3),
                }
            )
    path.write_text(json.dumps(out))


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The candidate file, the comparison's record and both sides' build records."""
    folder = tmp_path_factory.mktemp("dcmp")
    candidate = folder / "candidate.json"
    make_candidate(candidate)
    report = compare_reports(
        RESULTS, candidate, ground_truth=TRUTH, name_a="v1", name_b="v2", created=CREATED
    )
    return {
        "candidate": candidate,
        "record": report.record,
        "a": build_report(RESULTS, ground_truth=TRUTH, created=CREATED).record,
        "b": build_report(candidate, ground_truth=TRUTH, created=CREATED).record,
    }


def test_metrics_equal_the_two_builds(case: dict[str, Any]) -> None:
    c = case["record"]["comparison"]
    assert case["record"]["task"] == "comparison" and c["task"] == "detection"
    coco_a, coco_b = case["a"]["detection"]["coco"], case["b"]["detection"]["coco"]
    assert [m["key"] for m in c["metrics"]] == ["ap", "ap50", "ap75", "ar100"]
    for m in c["metrics"]:
        assert m["a"] == pytest.approx(coco_a[m["key"]], abs=1e-12)
        assert m["b"] == pytest.approx(coco_b[m["key"]], abs=1e-12)
        assert m["delta"] == pytest.approx(coco_b[m["key"]] - coco_a[m["key"]], abs=1e-12)
    assert c["a"]["coco"] == coco_a and c["b"]["coco"] == coco_b
    assert c["a"]["operating_point"] == case["a"]["detection"]["operating_point"]
    assert c["b"]["operating_point"] == case["b"]["detection"]["operating_point"]
    # the perturbation moved the numbers: the test can fail
    assert c["metrics"][1]["delta"] > 0.01


def test_error_types_equal_the_two_builds(case: dict[str, Any]) -> None:
    rows = {r["type"]: r for r in case["record"]["comparison"]["error_types"]}
    ea, eb = case["a"]["error_types"], case["b"]["error_types"]
    assert list(rows) == ["Cls", "Loc", "Both", "Dupe", "Bkg", "Miss", "FalsePos", "FalseNeg"]
    for t, r in rows.items():
        assert r["dap_a"] == pytest.approx(ea["dap"][t]) and r["dap_b"] == pytest.approx(
            eb["dap"][t]
        )
        assert r["dap_delta"] == pytest.approx(eb["dap"][t] - ea["dap"][t])
        if t in ea["counts"]:
            assert (r["count_a"], r["count_b"]) == (ea["counts"][t], eb["counts"][t])
            assert r["count_delta"] == eb["counts"][t] - ea["counts"][t]
        else:
            assert r["count_a"] is None and r["count_delta"] is None
    assert rows["Dupe"]["count_delta"] > 0  # the shifted copies of found boxes


def test_per_class_equals_the_two_builds(case: dict[str, Any]) -> None:
    rows = case["record"]["comparison"]["classes"]
    by_a = {r["label"]: r for r in case["a"]["detection"]["per_class"]}
    by_b = {r["label"]: r for r in case["b"]["detection"]["per_class"]}
    assert sorted(r["label"] for r in rows) == sorted(by_a)
    for r in rows:
        a, b = by_a[r["label"]], by_b[r["label"]]
        for key, field in (("ap", "ap"), ("ap50", "ap50"), ("recall", "recall")):
            assert r[f"{key}_a"] == pytest.approx(a[field])
            assert r[f"{key}_b"] == pytest.approx(b[field])
            assert r[f"{key}_delta"] == pytest.approx(b[field] - a[field])
    changes = [abs(r["ap50_delta"]) for r in rows]
    assert changes == sorted(changes, reverse=True)


def _iou(p: list[float], q: list[float]) -> float:
    """IoU of two x, y, w, h boxes."""
    w = max(0.0, min(p[0] + p[2], q[0] + q[2]) - max(p[0], q[0]))
    h = max(0.0, min(p[1] + p[3], q[1] + q[3]) - max(p[1], q[1]))
    inter = w * h
    return inter / (p[2] * p[3] + q[2] * q[3] - inter)


def brute_errors(results: Path, conf: float, images: set[int]) -> dict[int, int]:
    """Each image's false positives + missed boxes at IoU 0.5 and `conf`, by plain loops
    (COCO's greedy rule per image and class, best score first; no crowd boxes here)."""
    truth = json.loads(TRUTH.read_text())
    dets = [d for d in json.loads(results.read_text()) if d["image_id"] in images]
    boxes = [a for a in truth["annotations"] if a["image_id"] in images]
    assert not any(a.get("iscrowd") for a in boxes)
    errors = dict.fromkeys(images, 0)
    used: set[int] = set()  # boxes matched by any detection
    found: set[int] = set()  # boxes matched by a detection at or above the threshold
    order = sorted(range(len(dets)), key=lambda i: -dets[i]["score"])
    for i in order:
        d = dets[i]
        best, best_iou = None, 0.5
        for a in boxes:
            if a["id"] in used or a["image_id"] != d["image_id"]:
                continue
            if a["category_id"] != d["category_id"]:
                continue
            iou = _iou(d["bbox"], a["bbox"])
            if iou >= best_iou:
                best, best_iou = a["id"], iou
        if best is not None:
            used.add(best)
            if d["score"] >= conf:
                found.add(best)
        elif d["score"] >= conf:
            errors[d["image_id"]] += 1
    for a in boxes:
        if a["id"] not in found:
            errors[a["image_id"]] += 1
    return errors


def test_image_errors_equal_a_brute_force_count(case: dict[str, Any]) -> None:
    record = case["record"]
    c = record["comparison"]
    truth = json.loads(TRUTH.read_text())
    val = {im["id"] for im in truth["images"] if im.get("split") == "val"}
    want_a = brute_errors(RESULTS, c["a"]["operating_point"]["conf"], val)
    want_b = brute_errors(case["candidate"], c["b"]["operating_point"]["conf"], val)
    i = c["image_changes"]
    assert i["images"] == len(val) == 96
    assert i["errors_a"] == sum(want_a.values())
    assert i["errors_b"] == sum(want_b.values())
    op_a, op_b = c["a"]["operating_point"], c["b"]["operating_point"]
    assert i["errors_a"] == op_a["fp"] + op_a["fn"] and i["errors_b"] == op_b["fp"] + op_b["fn"]
    better = sum(want_b[k] < want_a[k] for k in val)
    worse = sum(want_b[k] > want_a[k] for k in val)
    assert (i["better"], i["worse"], i["unchanged"]) == (better, worse, 96 - better - worse)
    for key in ("worse", "better"):
        table = record["samples"][key]
        assert table["total"] == (worse if key == "worse" else better)
        for row in table["rows"]:
            k = row["image_id"]
            assert (row["errors_a"], row["errors_b"]) == (want_a[k], want_b[k])
            assert row["change"] == want_b[k] - want_a[k]
            assert row["errors_a"] == row["fp_a"] + row["missed_a"]
        sizes = [abs(r["change"]) for r in table["rows"]]
        assert sizes == sorted(sizes, reverse=True) and len(sizes) == min(20, table["total"])
    test = i["sign_test"]
    assert test["exact_p"] == pytest.approx(binomtest(better, better + worse).pvalue, rel=1e-9)


@pytest.mark.parametrize("k, n", [(0, 1), (3, 10), (5, 10), (10, 10), (26, 70), (44, 70), (1, 30)])
def test_sign_test_equals_scipy(k: int, n: int) -> None:
    found = sign_test(k, n - k)
    assert found.exact_p == pytest.approx(binomtest(k, n, 0.5).pvalue, rel=1e-9, abs=1e-15)
    assert 0.0 <= found.mid_p <= found.exact_p
    assert sign_test(0, 0).exact_p == 1.0


def test_largest_changes_order() -> None:
    import numpy as np

    change = np.array([0, 2, -1, 3, 2, -3, 0, 1])
    assert largest_changes(change, limit=3, worse=True).tolist() == [3, 1, 4]
    assert largest_changes(change, limit=5, worse=False).tolist() == [5, 2]
    assert largest_changes(change, limit=0, worse=True).tolist() == []


def test_words_follow_the_sign_test(case: dict[str, Any]) -> None:
    record = case["record"]
    i = record["comparison"]["image_changes"]
    text = " ".join(record["summary"]["findings"])
    beyond = i["sign_test"]["exact_p"] < 0.05
    assert ("beyond chance" in text) == beyond
    assert ("cannot tell from chance" in text) == (not beyond)
    ids = [card["id"] for card in record["summary"]["headline"]]
    assert ids[:2] == ["ap-change", "ap50-change"] and ids[-1] == "images"
    assert record["sections"] == [
        "summary", "changes", "error-types", "per-class", "images", "provenance"
    ]  # fmt: skip


def test_a_file_compared_with_itself_shows_no_change() -> None:
    record = compare_reports(RESULTS, RESULTS, ground_truth=TRUTH, created=CREATED).record
    c = record["comparison"]
    assert c["same_file"] is True
    assert all(m["delta"] == 0 for m in c["metrics"])
    assert all(r["dap_delta"] == 0 and r["count_delta"] in (0, None) for r in c["error_types"])
    assert all(r["ap50_delta"] == 0 and r["recall_delta"] == 0 for r in c["classes"])
    i = c["image_changes"]
    assert (i["better"], i["worse"], i["unchanged"]) == (0, 0, 96)
    assert i["sign_test"]["exact_p"] == 1.0
    assert record["samples"]["worse"]["rows"] == [] and record["samples"]["better"]["rows"] == []
    assert "same detections file" in " ".join(record["summary"]["findings"])


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, ["compare", *args], catch_exceptions=False)


def test_cli_writes_the_same_bytes_twice_and_gates(case: dict[str, Any], tmp_path: Path) -> None:
    pages = []
    for n in (1, 2):
        out = tmp_path / f"c{n}.html"
        result = _cli(
            str(RESULTS), str(case["candidate"]), "--ground-truth", str(TRUTH),
            "--image-root", str(EXAMPLE), "-n", "1", "--created", CREATED,
            "--max-drop", "ap50=0.0", "-o", str(out),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]
    page = pages[0].decode()
    assert 'id="images"' in page and "data:image/png;base64," in page
    # the candidate is worse than the baseline when the two are swapped: the gate fails
    result = _cli(
        str(case["candidate"]), str(RESULTS), "--ground-truth", str(TRUTH),
        "--max-drop", "ap50=0.02", "-o", str(tmp_path / "swapped.html"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "gate failed: ap50 dropped" in result.output


def test_cli_gate_floor_reads_the_candidate(case: dict[str, Any], tmp_path: Path) -> None:
    ap_b = case["b"]["detection"]["coco"]["ap"]
    out = str(tmp_path / "c.html")
    args = [str(RESULTS), str(case["candidate"]), "--ground-truth", str(TRUTH), "-o", out]
    assert _cli(*args, "--fail-under", f"ap={ap_b - 0.001:.4f}").exit_code == 0
    assert _cli(*args, "--fail-under", f"ap={ap_b + 0.001:.4f}").exit_code == 1


@pytest.mark.parametrize(
    "extra, says",
    [
        (["--y-true", "label"], "--y-true: not available for comparing detectors"),
        (["--slice", "x", "--dropna"], "--slice, --dropna: not available"),
        (["--tags", str(TRUTH)], "--tags: not available"),
    ],
)
def test_cli_refuses_options_that_do_not_apply(extra: list[str], says: str, tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    result = _cli(str(RESULTS), str(RESULTS), "--ground-truth", str(TRUTH), *extra, "-o", str(out))
    assert result.exit_code == 2
    assert says in result.output
    assert not out.exists()


def test_cli_asks_for_the_ground_truth(tmp_path: Path) -> None:
    out = str(tmp_path / "c.html")
    result = _cli(str(RESULTS), str(RESULTS), "-o", out)
    assert result.exit_code == 2
    assert "COCO detection results" in result.output and "--ground-truth" in result.output
    result = _cli(str(RESULTS), str(RESULTS), "--task", "detection", "-o", out)
    assert result.exit_code == 2 and "needs the ground truth" in result.output
    result = _cli(str(RESULTS), str(RESULTS), "--conf", "0.5", "-o", out)
    assert result.exit_code == 2 and "--conf applies to detection results" in result.output


def test_given_conf_is_used_by_both_sides(case: dict[str, Any]) -> None:
    record = compare_reports(RESULTS, case["candidate"], ground_truth=TRUTH, conf=0.3).record
    c = record["comparison"]
    for side in ("a", "b"):
        assert c[side]["operating_point"]["conf"] == 0.3
        assert c[side]["operating_point"]["chosen"] == "given"
    assert "given with --conf" in " ".join(record["summary"]["findings"])


def test_budget_cuts_rows_then_pictures(case: dict[str, Any]) -> None:
    report = compare_reports(
        RESULTS, case["candidate"], ground_truth=TRUTH, image_root=EXAMPLE, max_samples=4,
        max_bytes="120KB",
    )  # fmt: skip
    record = report.record
    assert len(report.to_html().encode()) <= 120_000
    assert record["budget"]["cuts"]
    rows = record["samples"]["worse"]["rows"] + record["samples"]["better"]["rows"]
    assert rows and all(r["image"] is not None and not r["image"]["shown"] for r in rows)
    assert any("thumbnail" in cut for cut in record["budget"]["cuts"])


def test_email_and_job_summary_of_a_detection_comparison(
    case: dict[str, Any], tmp_path: Path
) -> None:
    from reportgen.api import email_message

    out = tmp_path / "c.html"
    summary = tmp_path / "s.md"
    result = _cli(
        str(RESULTS), str(case["candidate"]), "--ground-truth", str(TRUTH), "-o", str(out),
        "--summary-md", str(summary), "--model", "v1", "--model", "v2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = summary.read_text()
    assert "v2 (" in text and "instances.json (" not in text  # the two detectors, not the truth
    message = email_message(out, to=["a@example.org"], sender="b@example.org")
    body = message.get_body(("plain",))
    assert body is not None and "AP change" in body.get_content()


def test_a_bad_candidate_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    dets = json.loads(RESULTS.read_text())
    dets[3]["category_id"] = 99
    bad.write_text(json.dumps(dets))
    result = _cli(str(RESULTS), str(bad), "--ground-truth", str(TRUTH), "-o", str(tmp_path / "c"))
    assert result.exit_code == 2
    assert "the candidate's detections" in result.output and "99" in result.output


def test_reads_of_different_images_are_refused() -> None:
    from reportgen.api.compare_detection import _check_same_images
    from reportgen.errors import ReportgenError
    from reportgen.read.detection_result import read_detection_result
    from reportgen.read.result import ReadOptions

    val = read_detection_result(RESULTS, ReadOptions(ground_truth=str(TRUTH)))
    every = read_detection_result(RESULTS, ReadOptions(ground_truth=str(TRUTH), eval_split="all"))
    _check_same_images(val, val)
    with pytest.raises(ReportgenError, match=r"chose different images \(96 and 240\)"):
        _check_same_images(val, every)


def test_a_dataframe_is_refused() -> None:
    import pandas as pd

    from reportgen.errors import ReportgenError

    with pytest.raises(ReportgenError, match="give their paths, not a DataFrame"):
        compare_reports(pd.DataFrame({"a": [1]}), RESULTS, ground_truth=TRUTH)


def test_the_record_matches_its_type(case: dict[str, Any]) -> None:
    from reportgen.record.compare_detection_types import (
        DetectionComparisonBlock,
        DetectionComparisonSamples,
    )
    from tests.test_record_types import problems

    # the blocks this kind adds (the shared provenance's types are checked on the gold records)
    record = json.loads(json.dumps(case["record"]))
    assert problems(record["comparison"], DetectionComparisonBlock) == []
    assert problems(record["samples"], DetectionComparisonSamples) == []
    assert record["samples"]["worse"]["rows"]  # the rows' type was checked too
