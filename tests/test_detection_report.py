"""The detection report end to end: the record against pycocotools, tidecv's numbers and
scikit-learn, the page's sections, the CLI's exits and messages, determinism and gates."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from sklearn.metrics import precision_recall_fscore_support

import reportgen
from reportgen.cli import main
from tests.conftest import ROOT, embedded_record

DATA = Path(__file__).parent / "data" / "coco"
INSTANCES = DATA / "instances_val2014_100.json"
RESULTS = DATA / "instances_val2014_fakebbox100_results.json"
EXAMPLE = ROOT / "examples" / "inspection_detection"
# the fixture README's tidecv 1.0.1 numbers (AP50 points)
TIDE = {"Cls": 22.25, "Loc": 0.23, "Both": 0.00, "Dupe": 0.02, "Bkg": 0.00, "Miss": 8.52,
        "FalsePos": 6.82, "FalseNeg": 17.68}  # fmt: skip
COCO_KEYS = ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large",
             "ar1", "ar10", "ar100", "ar_small", "ar_medium", "ar_large")  # fmt: skip


@pytest.fixture(scope="module")
def fixture_report() -> reportgen.Report:
    return reportgen.build_report(RESULTS, ground_truth=INSTANCES, created="2026-01-01")


@pytest.fixture(scope="module")
def example_report() -> reportgen.Report:
    return reportgen.build_report(
        EXAMPLE / "detections.json",
        ground_truth=EXAMPLE / "instances.json",
        image_root=EXAMPLE,
        created="2026-01-01",
    )


def _cocoeval() -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(INSTANCES))
        dt = gt.loadRes(str(RESULTS))
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats)


def test_the_record_holds_cocoevals_twelve_numbers(fixture_report: reportgen.Report) -> None:
    coco = fixture_report.record["detection"]["coco"]
    stats = _cocoeval()
    for key, want in zip(COCO_KEYS, stats, strict=True):
        assert coco[key] == pytest.approx(want, abs=1e-6), key


def test_the_record_holds_tides_error_types(fixture_report: reportgen.Report) -> None:
    e = fixture_report.record["error_types"]
    assert e["ap50"] == pytest.approx(64.20, abs=0.01)
    assert e["ap50_gt_classes"] == pytest.approx(69.70, abs=0.01)
    assert (e["classes"], e["gt_classes"]) == (76, 70)
    for key, want in TIDE.items():
        assert e["dap"][key] == pytest.approx(want, abs=0.01), key
    # both conventions named on the page where they differ
    findings = " ".join(fixture_report.record["summary"]["findings"])
    assert "64.2%" in findings and "69.7%" in findings


def test_per_class_counts_at_the_threshold_match_scikit_learn(
    fixture_report: reportgen.Report,
) -> None:
    """Rebuild each detection's fate at the threshold as labels; precision, recall and F1 of
    scikit-learn on those equal the record's per class."""
    from reportgen.analysis.detection_operating import match_at
    from reportgen.read.detection import read_detection

    record = fixture_report.record
    op = record["detection"]["operating_point"]
    found = read_detection(RESULTS, INSTANCES)
    gt, dt = found.ground_truth, found.detections
    m = match_at(gt, dt, 0.5)
    kept = (dt.score >= op["conf"]) & ~m.detection_ignored
    # y_true / y_pred over (detections kept) + (boxes missed): "none" is the other side
    tp = kept & (m.detection_gt >= 0)
    found_box = np.zeros(len(gt.image_id), dtype=bool)
    found_box[m.detection_gt[tp]] = True
    missed = ~gt.iscrowd & ~found_box
    true = [str(c) if t else "none" for c, t in zip(dt.category_id[kept], tp[kept], strict=True)]
    pred = [str(c) for c in dt.category_id[kept]]
    true += [str(c) for c in gt.category_id[missed]]
    pred += ["none"] * int(missed.sum())
    rows = [r for r in record["detection"]["per_class"] if r["boxes"]]
    labels = [str(r["id"]) for r in rows]
    p, r, f, _ = precision_recall_fscore_support(true, pred, labels=labels, zero_division=0)
    for i, row in enumerate(rows):
        assert row["recall"] == pytest.approx(r[i]), row["label"]
        if row["tp"] + row["fp"]:
            assert row["precision"] == pytest.approx(p[i]), row["label"]
            assert row["f1"] == pytest.approx(f[i]), row["label"]
    assert sum(row["tp"] for row in record["detection"]["per_class"]) == op["tp"]
    assert op["chosen"] == "max-f1"


def test_the_confusion_matrix_adds_up(fixture_report: reportgen.Report) -> None:
    record = fixture_report.record
    c = record["confusion"]
    counts = np.asarray(c["counts"])
    k = len(c["labels"]) - 1
    assert c["labels"][-1] == "background" and counts.shape == (k + 1, k + 1)
    assert counts[k, k] == 0
    boxes = [row["boxes"] for row in record["detection"]["per_class"]]
    # every not-crowd box is in its row once: matched to a detection or in the background
    assert counts[:k].sum(axis=1).tolist() == boxes
    assert c["conf"] == record["detection"]["operating_point"]["conf"]
    # 80 categories (70 with boxes): the figure draws the 30 in most errors, and says so
    fig = record["figures"]["confusion_matrix"]
    assert fig["truncated"] and len(fig["labels_shown"]) == 31
    assert fig["labels_shown"][-1] == "background"
    assert "Showing the 30 classes involved in most errors, of 80" in fixture_report.to_html()


def test_capped_buckets_say_their_true_totals(fixture_report: reportgen.Report) -> None:
    from reportgen.analysis.detection_buckets import confusion_pairs
    from reportgen.analysis.detection_errors import detection_errors
    from reportgen.read.detection import read_detection

    found = read_detection(RESULTS, INSTANCES)
    gt, dt = found.ground_truth, found.detections
    errors = detection_errors(gt, dt, found.images["image_id"].tolist())
    b = fixture_report.record["buckets"]
    assert b["confused_pairs"] == len(confusion_pairs(gt, dt, errors)) > 5
    keys = [item["key"] for item in b["items"]]
    assert sum(k.startswith("confusion:") for k in keys) == 5
    assert sum(k.startswith("rare-missed:") for k in keys) == 3 < b["rare_classes_missed"]
    page = fixture_report.to_html()
    assert f"of {b['confused_pairs']} pairs with a classification error" in page
    assert f"of {b['rare_classes_missed']} rare classes with a miss" in page


def test_the_page_has_the_stable_sections(fixture_report: reportgen.Report) -> None:
    record = fixture_report.record
    assert record["task"] == "detection"
    assert record["sections"] == [
        "summary", "error-types", "confusion-matrix", "per-class", "sizes",
        "false-positives", "missed", "buckets", "experiments", "provenance",
    ]  # fmt: skip
    page = fixture_report.to_html()
    for section in record["sections"]:
        assert f'<section id="{section}"' in page
    assert embedded_record(page) == json.loads(fixture_report.to_json())


def test_same_files_same_bytes(fixture_report: reportgen.Report) -> None:
    again = reportgen.build_report(RESULTS, ground_truth=INSTANCES, created="2026-01-01")
    assert again.to_html() == fixture_report.to_html()


def test_the_example_finds_what_was_planted(example_report: reportgen.Report) -> None:
    record = example_report.record
    ev = record["provenance"]["evaluation"]
    assert (ev["rule"], ev["splits"], ev["rows"]) == ("dev", ["val"], 96)
    assert record["splits"]["lacking"] == [
        {"label": "severe tube defect", "split": "val", "train": "train", "boxes": 32}
    ]
    border = next(b for b in record["breakdowns"] if b["dimension"] == "border")
    by_name = {b["name"]: b for b in border["bins"]}
    assert by_name["near"]["p_lower_recall"] < 0.05
    assert by_name["inside"]["recall"] > by_name["near"]["recall"]
    keys = [b["key"] for b in record["buckets"]["items"]]
    assert {"edge-missed", "small-missed", "confusion:3:2"} <= set(keys)
    findings = " ".join(record["summary"]["findings"])
    assert "near the border" in findings and "never saw" in findings
    # every shown row with a picture has its boxed thumbnail on the page
    page = example_report.to_html()
    rows = record["samples"]["false_positives"]["rows"] + record["samples"]["missed"]["rows"]
    shown = [r for r in rows if r["image"] and r["image"]["shown"]]
    assert shown and page.count('class="thumb thumb-boxes"') == len(shown)


def test_a_given_threshold_is_used_and_said(tmp_path: Path) -> None:
    report = reportgen.build_report(RESULTS, ground_truth=INSTANCES, conf=0.5)
    op = report.record["detection"]["operating_point"]
    assert (op["conf"], op["chosen"]) == (0.5, "given")
    assert "given with --conf" in report.record["summary"]["findings"][0]


def test_the_size_budget_cuts_pictures_before_rows(example_report: reportgen.Report) -> None:
    full = example_report.record["samples"]
    small = example_report.with_max_bytes(1_000_000)
    page = small.to_html()
    assert len(page.encode("utf-8")) <= 1_000_000
    cuts = small.record["budget"]["cuts"]
    assert cuts and cuts[0].startswith("thumbnails are shown for the first")
    samples = small.record["samples"]
    for name in ("false_positives", "missed"):
        # every row kept, fewer pictures; the ones kept are the first rows'
        assert samples[name]["rows"] != full[name]["rows"]
        assert len(samples[name]["rows"]) == len(full[name]["rows"])
        shown = [bool(r["image"] and r["image"]["shown"]) for r in samples[name]["rows"]]
        assert shown == sorted(shown, reverse=True) and not all(shown)
    tiny = example_report.with_max_bytes(150_000)
    assert "thumbnails are left out" in tiny.record["budget"]["cuts"]


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_builds_and_gates(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    ok = _run("build", str(RESULTS), "--ground-truth", str(INSTANCES), "-o", str(out),
              "--fail-under", "ap50=0.5")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "100 images" in ok.output and out.exists()
    failed = _run("build", str(RESULTS), "--ground-truth", str(INSTANCES), "-o", str(out),
                  "--fail-under", "ap=0.9")  # fmt: skip
    assert failed.exit_code == 1
    wrong = _run("build", str(RESULTS), "--ground-truth", str(INSTANCES), "-o", str(out),
                 "--fail-under", "accuracy=0.9")  # fmt: skip
    assert wrong.exit_code == 2 and "ap50" in wrong.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((str(RESULTS),), "looks like COCO detection results"),
        ((str(INSTANCES),), "COCO instances file (ground truth)"),
        ((str(RESULTS), "--task", "detection"), "--ground-truth"),
        ((str(RESULTS), "--ground-truth", str(INSTANCES), "--slice", "x"), "--slice"),
    ],
)
def test_cli_refuses_with_a_clear_message(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    out = tmp_path / "r.html"
    result = _run("build", *args, "-o", str(out))
    assert result.exit_code == 2, result.output
    assert said in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_bad_detections_write_nothing(tmp_path: Path) -> None:
    results = json.loads(RESULTS.read_text())
    bad = copy.deepcopy(results)
    bad[3]["image_id"] = 987654321
    path = tmp_path / "results.json"
    path.write_text(json.dumps(bad))
    out = tmp_path / "r.html"
    result = _run("build", str(path), "--ground-truth", str(INSTANCES), "-o", str(out))
    assert result.exit_code == 2
    assert "results.json" in result.output and "987654321" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_verify_checks_both_inputs(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert (
        _run("build", str(RESULTS), "--ground-truth", str(INSTANCES), "-o", str(out)).exit_code == 0
    )
    result = _run("verify", str(out), "--input", str(RESULTS), "--input", str(INSTANCES))
    assert result.exit_code == 0, result.output
    other = _run("verify", str(out), "--input", str(EXAMPLE / "instances.json"))
    assert other.exit_code == 1


def _fates(report: reportgen.Report) -> tuple[Any, np.ndarray, np.ndarray]:
    """The example's input, and which boxes were missed and detections false at the threshold."""
    from reportgen.analysis.detection_operating import match_at
    from reportgen.read.detection import read_detection
    from reportgen.read.detection_result import restrict_images

    whole = read_detection(EXAMPLE / "detections.json", EXAMPLE / "instances.json")
    found = restrict_images(whole, (whole.images["split"] == "val").to_numpy())
    gt, dt = found.ground_truth, found.detections
    m = match_at(gt, dt, 0.5)
    kept = dt.score >= report.record["detection"]["operating_point"]["conf"]
    false = kept & (m.detection_gt < 0) & ~m.detection_ignored
    found_box = np.zeros(len(gt.image_id), dtype=bool)
    found_box[m.detection_gt[kept & (m.detection_gt >= 0)]] = True
    return found, ~gt.iscrowd & ~found_box, false


def test_tags_per_box_count_the_missed_boxes_they_name(
    example_report: reportgen.Report, tmp_path: Path
) -> None:
    found, missed, _ = _fates(example_report)
    ids = found.gt_ids
    tagged_missed = ids[missed][:4].tolist()
    tagged_found = ids[~missed][:2].tolist()
    sheet = tmp_path / "boxes.csv"
    lines = [f"{i},Edge" for i in tagged_missed + tagged_found] + ["123456789,edge"]
    sheet.write_text("annotation_id,buckets\n" + "\n".join(lines) + "\n")
    report = reportgen.build_report(
        EXAMPLE / "detections.json", ground_truth=EXAMPLE / "instances.json", tags=sheet
    )
    record = report.record
    edge = next(b for b in record["buckets"]["items"] if b["key"] == "tag:edge")
    assert (edge["count"], edge["measured"]) == (4, False)
    assert "crop" in edge["experiments"][0]
    assert record["tags"] == {
        "source": "boxes.csv", "unit": "box", "id_column": "annotation_id", "rows": 7,
        "unmatched_ids": 1, "unmatched_first": ["123456789"],
    }  # fmt: skip
    assert "tagged" in report.to_html()


def test_tags_per_image_count_the_images_errors(
    example_report: reportgen.Report, tmp_path: Path
) -> None:
    found, missed, false = _fates(example_report)
    gt, dt = found.ground_truth, found.detections
    images = found.images["image_id"].tolist()[:10]
    want = int(
        np.isin(gt.image_id[missed], images).sum() + np.isin(dt.image_id[false], images).sum()
    )
    sheet = tmp_path / "images.csv"
    sheet.write_text("image_id;buckets\n" + "\n".join(f"{i};dark" for i in images) + "\n")
    record = reportgen.build_report(
        EXAMPLE / "detections.json", ground_truth=EXAMPLE / "instances.json", tags=sheet
    ).record
    dark = next(b for b in record["buckets"]["items"] if b["key"] == "tag:dark")
    assert dark["count"] == want > 0
    op = record["detection"]["operating_point"]
    assert dark["share"] == pytest.approx(want / (op["fp"] + op["fn"]))
    assert record["tags"]["unit"] == "image"


def test_control_characters_in_names_are_shown_not_written(tmp_path: Path) -> None:
    dataset = json.loads(INSTANCES.read_text())
    dataset["categories"][0]["name"] = "person\x07<b>"
    truth = tmp_path / "instances.json"
    truth.write_text(json.dumps(dataset))
    with pytest.warns(UserWarning, match="control characters"):
        report = reportgen.build_report(RESULTS, ground_truth=truth)
    page = report.to_html()
    assert "\x07" not in page and "<b>" not in page
    assert "person\\x07&lt;b&gt;" in page


def test_max_drop_against_a_detection_baseline(tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    first = _run("build", str(RESULTS), "--ground-truth", str(INSTANCES),
                 "-o", str(tmp_path / "a.html"), "--json", str(base))  # fmt: skip
    assert first.exit_code == 0
    # drop a third of the detections: AP falls, the gate against the first run fails
    results = json.loads(RESULTS.read_text())
    worse = tmp_path / "worse.json"
    worse.write_text(json.dumps(results[::3]))
    out = tmp_path / "b.html"
    failed = _run("build", str(worse), "--ground-truth", str(INSTANCES), "-o", str(out),
                  "--max-drop", "ap=0.01", "--baseline", str(base))  # fmt: skip
    assert failed.exit_code == 1, failed.output
    record = embedded_record(out.read_text())
    gate = record["gates"]["items"][0]
    was = json.loads(base.read_text())["detection"]["coco"]["ap"]
    assert gate["baseline"] == pytest.approx(was) and gate["value"] < was - 0.01
    assert not gate["passed"]


def test_the_email_carries_the_cards_findings_and_error_types(tmp_path: Path) -> None:
    import email

    eml = tmp_path / "r.eml"
    out = str(tmp_path / "r.html")
    result = _run("build", str(RESULTS), "--ground-truth", str(INSTANCES), "-o", out,
                  "--email", str(eml), "--created", "2026-01-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(eml.read_bytes())
    parts = {p.get_content_type(): p for p in message.walk() if not p.is_multipart()}
    text = parts["text/plain"].get_payload(decode=True).decode("utf-8")
    assert "AP50" in text and "Largest error type" in text
    pictures = [p.get_filename() for p in message.walk() if p.get_content_type() == "image/png"]
    assert pictures == ["error-types.png"]


def test_coco_yolo_and_voc_give_the_same_report_numbers(tmp_path: Path) -> None:
    from tests import detection_scene as scene

    dt, gt = scene.write_coco(tmp_path / "coco")
    coco = reportgen.build_report(dt, ground_truth=gt).record
    ydt, ygt, root = scene.write_yolo(tmp_path / "yolo")
    out = tmp_path / "yolo.json"
    result = _run("build", str(ydt), "--ground-truth", str(ygt), "--image-root", str(root),
                  "-o", str(tmp_path / "yolo.html"), "--json", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    yolo = json.loads(out.read_text())
    vdt, vgt = scene.write_voc(tmp_path / "voc")
    voc = reportgen.build_report(vdt, ground_truth=vgt).record
    for other in (yolo, voc):
        assert other["detection"]["labels"] == coco["detection"]["labels"]
        for key in COCO_KEYS:
            want = coco["detection"]["coco"][key]
            got = other["detection"]["coco"][key]
            assert got == pytest.approx(want, abs=1e-9) if want is not None else got is None
        assert other["error_types"]["counts"] == coco["error_types"]["counts"]
        assert other["confusion"]["counts"] == coco["confusion"]["counts"]


def test_fast_png_keeps_the_pixels_and_the_bytes_stable() -> None:
    from PIL import Image

    from reportgen.read.images import png_bytes

    picture = Image.open(EXAMPLE / "images" / "tube-0187.png").convert("RGB")
    picture.putpixel((3, 3), (230, 159, 0))  # a colour, so it stays RGB
    fast, small = png_bytes(picture, fast=True), png_bytes(picture)
    assert fast == png_bytes(picture, fast=True)
    with Image.open(io.BytesIO(fast)) as a, Image.open(io.BytesIO(small)) as b:
        assert a.tobytes() == b.tobytes() == picture.tobytes()


def test_a_review_sheet_of_missed_boxes_comes_back_as_tags(
    example_report: reportgen.Report, tmp_path: Path
) -> None:
    import csv

    sheet = tmp_path / "boxes.csv"
    args = [str(EXAMPLE / "detections.json"), "--ground-truth", str(EXAMPLE / "instances.json")]
    result = _run("sample-errors", *args, "-o", str(sheet))
    assert result.exit_code == 0, result.output
    assert "100 of 111 missed boxes at confidence ≥ 0.402" in result.output
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 100 and list(rows[0])[:2] == ["annotation_id", "image_id"]
    # the same seed and count draw the report's missed boxes
    fifty = _run("sample-errors", *args, "-n", "50", "-o", str(tmp_path / "fifty.csv"))
    assert fifty.exit_code == 0
    drawn = list(csv.DictReader(io.StringIO((tmp_path / "fifty.csv").read_text("utf-8-sig"))))
    shown = example_report.record["samples"]["missed"]["rows"]
    assert [(int(r["image_id"]), r["class"]) for r in drawn] == [
        (r["image_id"], r["label"]) for r in shown
    ]
    # the reviewer tags a few, and build counts them as a tagged bucket
    for row, tag in zip(rows[:7], ["blurry"] * 4 + ["edge"] * 3, strict=True):
        row["buckets"] = tag
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "tagged.json"
    built = _run("build", *args, "--tags", str(sheet), "-o", str(tmp_path / "t.html"),
                 "--json", str(out))  # fmt: skip
    assert built.exit_code == 0, built.output
    items = {b["key"]: b for b in json.loads(out.read_text())["buckets"]["items"]}
    assert items["tag:blurry"]["count"] == 4 and items["tag:edge"]["count"] == 3


def test_a_detection_review_sheet_refuses_what_does_not_apply(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    alone = _run("sample-errors", str(RESULTS), "-o", str(out))
    assert alone.exit_code == 2 and "--ground-truth" in alone.output
    stray = _run("sample-errors", str(ROOT / "examples" / "digits" / "predictions.csv"),
                 "--conf", "0.3", "-o", str(out))  # fmt: skip
    assert stray.exit_code == 2 and "--conf" in stray.output
    extra = _run("sample-errors", str(RESULTS), "--ground-truth", str(INSTANCES),
                 "--y-true", "x", "-o", str(out))  # fmt: skip
    assert extra.exit_code == 2 and "--y-true" in extra.output
    assert not out.exists()
