"""What the page may claim about buckets, suggestions and truncated lists (issue 13).

Ceilings in three cases (every error tagged, a random review sample, hand-picked tags) against
hand computation; "mostly" only for a majority; every truncation with its true total; sampled
sentences that say so; a relative recall limit for threshold suggestions; no empty sections.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix, precision_score, recall_score

import reportgen
import reportgen.read.stream.batches
from reportgen.analysis.classification import analyze_classification
from reportgen.analysis.suggestions import MIN_RECALL_KEPT, threshold_suggestions
from reportgen.cli import main
from reportgen.deliver.archive import record_from_html
from reportgen.deliver.ci import summary_markdown
from reportgen.deliver.mail import build_message
from reportgen.words.buckets import bucket_pairs
from tests.example_reports import EXAMPLES


def text_of(page: str, section: str | None = None) -> str:
    """The visible text of a page (or of one section), tags dropped, spaces collapsed."""
    if section is not None:
        found = re.search(rf'<section id="{section}".*?</section>', page, re.S)
        assert found, f"no section {section}"
        page = found.group(0)
    page = re.sub(r"<svg.*?</svg>|<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def email_parts(page: str) -> tuple[str, str]:
    """The plain-text and HTML bodies of the review email of a report."""
    msg = build_message(record_from_html(page), page.encode("utf-8"))
    plain = msg.get_body(("plain",))
    body = msg.get_body(("html",))
    assert plain is not None and body is not None
    return plain.get_content(), text_of(body.get_content())


def tagged_frame(n: int, correct: int, tags: list[str]) -> pd.DataFrame:
    """n rows of two classes: the first `correct` right, the rest wrong, tagged in order."""
    y_true = ["cat" if i % 2 else "dog" for i in range(n)]
    flip = {"cat": "dog", "dog": "cat"}
    y_pred = [t if i < correct else flip[t] for i, t in enumerate(y_true)]
    cells = [""] * correct + tags + [""] * (n - correct - len(tags))
    return pd.DataFrame(
        {"id": [f"r{i}" for i in range(n)], "y_true": y_true, "y_pred": y_pred, "buckets": cells}
    )


# --- 1. the ceiling, in its three cases -----------------------------------------------------


def test_exact_ceiling_when_every_error_is_tagged() -> None:
    # 20 rows, 12 right, all 8 errors tagged: 5 edge, 3 dark
    frame = tagged_frame(20, 12, ["edge"] * 5 + ["dark"] * 3)
    report = reportgen.build_report(frame)
    b = report.record["buckets"]
    assert b["ceiling_kind"] == "exact"
    edge, dark = b["items"]
    assert edge["ceiling"] == pytest.approx((12 + 5) / 20)
    assert dark["ceiling"] == pytest.approx((12 + 3) / 20)
    assert edge["share"] == pytest.approx(5 / 8)
    # counted, not estimated: no interval anywhere
    assert edge["share_ci"] is None and edge["ceiling_ci"] is None
    finding = next(f for f in report.record["summary"]["findings"] if "'edge'" in f)
    assert "5 of all 8 errors (62.5%)" in finding
    assert "would lift accuracy from 60.0% to 85.0%" in finding
    page = report.to_html()
    buckets = text_of(page, "buckets")
    assert "Every error is tagged: shares and ceilings are exact for these 8 errors." in buckets
    assert "95% CI" not in buckets and "at most" not in text_of(page)


def test_tagged_only_ceiling_counts_the_tagged_errors_of_the_bucket() -> None:
    # the case the issue found: 947 of 1,223 errors tagged by hand, 466 of them 'edge'; the
    # projection gave 79.3%, while fixing all 466 gives (1,781 + 466) / 3,004 = 74.8%
    n, correct = 3004, 1781
    frame = tagged_frame(n, correct, ["edge"] * 466 + ["dark"] * 300 + ["blurry"] * 181)
    report = reportgen.build_report(frame)
    record = report.record
    assert record["classification"]["errors"] == 1223
    b = record["buckets"]
    assert b["ceiling_kind"] == "tagged-only"
    assert (b["tagged_errors"], b["untagged_errors"]) == (947, 276)
    edge = b["items"][0]
    assert edge["ceiling"] == pytest.approx((correct + 466) / n)
    assert f"{100 * (correct + 466) / n:.1f}%" == "74.8%"
    projection = correct / n + 466 / 947 * 1223 / n
    assert f"{100 * projection:.1f}%" == "79.3%"
    # hand-picked tags are no random sample: no interval is put on them
    assert edge["share_ci"] is None and edge["ceiling_ci"] is None
    finding = next(f for f in record["summary"]["findings"] if "'edge'" in f)
    assert f"fixing those 466 would lift accuracy from {100 * correct / n:.1f}% to 74.8%" in finding
    assert "not counting the 276 untagged errors" in finding
    page = report.to_html()
    assert "79.3%" not in page and "at most" not in text_of(page)
    buckets = text_of(page, "buckets")
    assert "the 276 untagged errors are not counted" in buckets
    assert "95% CI" not in buckets
    # the email and the job summary say the same
    plain, body = email_parts(page)
    assert "74.8%" in body and "79.3%" not in body and "untagged errors are not counted" in body
    assert "not counting the 276 untagged errors" in plain.replace("\n   ", " ")
    summary = summary_markdown(record)
    assert "the 276 untagged errors are not counted" in summary


def _review_sheet(tmp_path: Path, frame: pd.DataFrame, n: int) -> tuple[Path, pd.DataFrame]:
    path = tmp_path / "predictions.csv"
    frame.to_csv(path, index=False)
    sheet = tmp_path / "review.csv"
    result = CliRunner().invoke(
        main, ["sample-errors", str(path), "-n", str(n), "-o", str(sheet), "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    return path, pd.read_csv(sheet, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_estimated_ceiling_from_a_random_review_sample(tmp_path: Path) -> None:
    # 400 rows, 300 right; a random sheet of 40 of the 100 errors: 16 edge, 20 dark, 4 blank
    frame = tagged_frame(400, 300, []).drop(columns="buckets")
    path, filled = _review_sheet(tmp_path, frame, 40)
    filled["buckets"] = ["edge"] * 16 + ["dark"] * 20 + [""] * 4
    filled.to_csv(tmp_path / "review.csv", index=False, encoding="utf-8-sig")
    report = reportgen.build_report(path, tags=tmp_path / "review.csv")
    b = report.record["buckets"]
    assert b["ceiling_kind"] == "estimate"
    assert (b["share_base"], b["reviewed_untagged"], b["untagged_errors"]) == (40, 4, 60)
    dark, edge = b["items"]
    accuracy, error_rate = 300 / 400, 100 / 400
    for item, count in ((dark, 20), (edge, 16)):
        wilson = binomtest(count, 40).proportion_ci(confidence_level=0.95, method="wilson")
        assert item["share"] == pytest.approx(count / 40)
        assert item["share_ci"] == pytest.approx([wilson.low, wilson.high], rel=1e-9)
        assert item["ceiling"] == pytest.approx(accuracy + count / 40 * error_rate)
        assert item["ceiling_ci"] == pytest.approx(
            [accuracy + wilson.low * error_rate, accuracy + wilson.high * error_rate], rel=1e-9
        )
        assert item["ceiling_ci"][0] < item["ceiling"] < item["ceiling_ci"][1]
    # worded as an estimate with its interval; never "at most" beside an interval
    finding = next(f for f in report.record["summary"]["findings"] if "'dark'" in f)
    low, high = (f"{100 * x:.1f}" for x in dark["ceiling_ci"])
    assert f"fixing it would lift accuracy to an estimated 87.5% (95% CI {low}–{high}%)" in finding
    page = report.to_html()
    assert "at most" not in text_of(page)
    buckets = text_of(page, "buckets")
    assert "shares and ceilings are estimates for all 100 errors, with 95% intervals" in buckets
    assert f"87.5% ({low}–{high}%)" in buckets
    _, body = email_parts(page)
    assert f"87.5% ({low}–{high}%)" in body and "estimates for all 100 errors" in body
    assert "estimates for all 100 errors" in summary_markdown(report.record)


def test_a_sheet_drawn_from_other_errors_is_not_a_random_sample_of_these(tmp_path: Path) -> None:
    frame = tagged_frame(400, 300, []).drop(columns="buckets")
    path, filled = _review_sheet(tmp_path, frame, 40)
    filled["buckets"] = "edge"
    filled.to_csv(tmp_path / "review.csv", index=False, encoding="utf-8-sig")
    # the model changed since the sheet was drawn: two more rows are wrong now
    changed = frame.copy()
    changed.loc[:1, "y_pred"] = changed.loc[:1, "y_true"].map({"cat": "dog", "dog": "cat"})
    changed.to_csv(path, index=False)
    report = reportgen.build_report(path, tags=tmp_path / "review.csv")
    b = report.record["buckets"]
    assert b["sampling"] is None and b["ceiling_kind"] == "tagged-only"
    assert b["sampling_mismatch"] == (
        "the sheet was drawn at random from 100 errors, but this report describes 102 errors"
    )
    assert b["items"][0]["ceiling"] == pytest.approx((298 + 40) / 400)
    assert "is not a random sample of these errors" in text_of(report.to_html(), "buckets")


# --- 2. "mostly" means a majority -----------------------------------------------------------


def _item(count: int, pairs: list[tuple[str, str, int]], total: int) -> dict[str, Any]:
    return {
        "count": count,
        "pairs": [{"true": t, "pred": p, "count": c} for t, p, c in pairs],
        "pairs_total": total,
    }


def test_mostly_only_for_a_majority() -> None:
    # the case: the largest pair is 13% of the bucket
    pairs = [("ant", "fox", 13), ("bee", "cow", 11), ("cat", "dog", 9)]
    spread = bucket_pairs(_item(100, pairs, 20))
    assert "mostly" not in spread
    assert spread == (
        "spread over 20 confusion pairs; the largest: ant → fox (13.0%), bee → cow (11.0%), "
        "cat → dog (9.0%)"
    )
    assert bucket_pairs(_item(10, [("ant", "fox", 6), ("bee", "cow", 4)], 2)) == (
        "mostly ant → fox (6 of 10)"
    )
    # half is not a majority
    assert "mostly" not in bucket_pairs(_item(10, [("ant", "fox", 5), ("bee", "cow", 5)], 2))
    assert bucket_pairs(_item(4, [("ant", "fox", 4)], 1)) == "all ant → fox"


def test_experiments_evidence_says_mostly_only_for_a_majority() -> None:
    labels = [f"c{i}" for i in range(8)]
    rows = []
    # 'edge': 30 errors over 10 pairs of 3 (10% each); 'dark': 7 of its 10 errors one pair
    for k in range(10):
        rows += [(labels[k % 8], labels[(k + 1 + k // 8) % 8], "edge")] * 3
    rows += [("c0", "c5", "dark")] * 7 + [("c1", "c6", "dark")] * 3
    rows += [(lab, lab, "") for lab in labels for _ in range(5)]
    frame = pd.DataFrame(rows, columns=["y_true", "y_pred", "buckets"])
    page = reportgen.build_report(frame).to_html()
    experiments = text_of(page, "experiments")
    edge = re.search(r"30 of all 40 errors \(75\.0%\), ([^.]*)\.", experiments)
    assert edge and edge.group(1).startswith("spread over 10 confusion pairs; the largest: ")
    assert "mostly c0 → c5 (7 of 10)" in experiments
    assert "(3 of 10 pairs)" in text_of(page, "buckets")


# --- 3. every truncation with its true total ------------------------------------------------


def test_truncated_lists_state_their_true_totals(tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    k, n = 60, 6000
    labels = [f"class_{i:02d}" for i in range(k)]
    y_true = rng.integers(0, k, n)
    wrong = rng.random(n) < 0.4
    y_pred = np.where(wrong, (y_true + rng.integers(1, k, n)) % k, y_true)
    frame = pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(n)],
            "y_true": [labels[i] for i in y_true],
            "y_pred": [labels[i] for i in y_pred],
            "text": [f"sample {i}" for i in range(n)],
        }
    )
    cm = confusion_matrix(frame["y_true"], frame["y_pred"], labels=labels)
    pairs = int(np.count_nonzero(cm) - np.count_nonzero(np.diag(cm)))
    errors = int(n - np.trace(cm))
    assert pairs > 1000
    # a tag sheet: 31 tags on correct rows, 25 ids that match nothing, one bucket of errors
    correct_ids = frame["id"][~wrong][:31].tolist()
    error_ids = frame["id"][wrong][:40].tolist()
    sheet = pd.DataFrame(
        {
            "id": correct_ids + error_ids + [f"nobody{i}" for i in range(25)],
            "buckets": ["blurry"] * 31 + ["dark"] * 40 + ["edge"] * 25,
        }
    )
    sheet.to_csv(tmp_path / "tags.csv", index=False)
    report = reportgen.build_report(frame, tags=tmp_path / "tags.csv")
    record = report.record
    c = record["classification"]
    assert c["confusion_pairs"] == pairs and c["errors"] == errors
    assert len(c["top_confusions"]) == 50  # the record keeps the largest 50 ...
    page = report.to_html()
    top = text_of(page, "top-confusions")
    # ... and the page says how many there are
    assert f"The 20 largest of {pairs:,} confusion pairs ({errors:,} errors)" in top
    assert f"For each of the 5 largest of {pairs:,} confusion pairs" in top
    assert "recorded confusions" not in page
    buckets = text_of(page, "buckets")
    assert "31 tagged rows are correct predictions" in buckets
    assert "the first 10 of 31" in buckets
    assert "25 ids in the tag sheet match no prediction" in buckets
    assert "the first 10 of 25" in buckets
    dark = record["buckets"]["items"][0]
    tagged = frame[frame["id"].isin(error_ids)]
    assert dark["pairs_total"] == len(set(zip(tagged["y_true"], tagged["y_pred"], strict=True)))
    assert len(dark["pairs"]) == 3 < dark["pairs_total"]
    assert f"(3 of {dark['pairs_total']} pairs)" in buckets
    # the email and the job summary
    _, body = email_parts(page)
    assert f"Showing the 10 largest of {pairs:,} confusion pairs ({errors:,} errors)" in body
    findings = record["summary"]["findings"]
    assert f"### Findings (the first 3 of {len(findings)})" in summary_markdown(record)


def test_email_of_a_comparison_says_how_many_buckets_it_leaves_out(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(30)],
            "y_true": ["a"] * 30,
            "y_pred": ["b"] * 30,
            "buckets": [f"cause {i}" for i in range(15)] * 2,
        }
    )
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.assign(y_pred=["a"] * 10 + ["b"] * 20).to_csv(tmp_path / "b.csv", index=False)
    page = reportgen.compare_reports(tmp_path / "a.csv", tmp_path / "b.csv").to_html()
    _, body = email_parts(page)
    assert "Showing the first 10 of 15 buckets" in body


# --- 4. threshold suggestions keep most of the recall ----------------------------------------


def _rare_positives(high_tp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """200 true positives of which 42 are found; 60 false positives between two groups."""
    true = np.array([1] * 200 + [0] * 2000)
    pred = np.array([1] * 42 + [0] * 158 + [1] * 60 + [0] * 1940)
    conf = np.full(true.size, 0.8)
    conf[:high_tp] = 0.99  # the confident true positives
    conf[high_tp:42] = 0.6  # the others, below every false positive
    conf[200:260] = 0.7
    return true, pred, conf


def test_threshold_that_keeps_little_of_a_rare_class_recall_is_not_suggested() -> None:
    # the case: recall 0.21 -> 0.025 (5 of 42 true positives kept); the old absolute
    # limit (0.2) let it through, a relative one does not
    true, pred, conf = _rare_positives(5)
    result = analyze_classification(true, pred, ["neg", "pos"], confidence=conf)
    pos = result.per_class[1]
    assert pos.recall == pytest.approx(recall_score(true, pred))
    assert round(pos.recall, 2) == 0.21
    kept_recall = recall_score(true, (pred == 1) & (conf >= 0.99))
    assert kept_recall == pytest.approx(5 / 200) and kept_recall > pos.recall - 0.2
    assert kept_recall < MIN_RECALL_KEPT * pos.recall
    assert [s for s in threshold_suggestions(result, pred, true, conf) if s.target == "pos"] == []


def test_threshold_within_the_relative_limit_says_what_the_limit_is() -> None:
    true, pred, conf = _rare_positives(40)  # 40 of 42 true positives sit above the FPs
    result = analyze_classification(true, pred, ["neg", "pos"], confidence=conf)
    (s,) = [s for s in threshold_suggestions(result, pred, true, conf) if s.target == "pos"]
    kept = (pred == 1) & (conf >= 0.99)
    precision, recall = precision_score(true, kept), recall_score(true, kept)
    assert recall >= MIN_RECALL_KEPT * recall_score(true, pred)
    assert s.text == "Predict 'pos' only at confidence ≥ 0.990"
    assert (
        f"precision becomes {100 * precision:.1f}% and recall goes from "
        f"{100 * recall_score(true, pred):.1f}% to {100 * recall:.1f}%"
    ) in s.evidence
    assert "(a suggested threshold keeps at least 80% of the current recall)" in s.evidence
    assert s.from_sample is False


# --- 5. sentences from the streamed analysis sample say so ----------------------------------


def test_sampled_suggestions_say_so_and_confident_errors_count_every_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 53)
    data = EXAMPLES["inspection"]["data"]
    whole = reportgen.build_report(data, eval_split="all").record
    report = reportgen.build_report(data, stream=True, sample_rows=300, eval_split="all")
    record = report.record
    assert record["stream"]["sampled"] and record["stream"]["rows_in_sample"] == 300
    assert "threshold suggestions" in record["stream"]["from_sample"]
    thresholds = [s for s in record["suggestions"] if s["kind"] == "threshold"]
    assert thresholds
    for s in thresholds:
        assert s["from_sample"] is True
        assert s["evidence"].startswith(
            f"In the analysis sample of 300 rows (of 600), '{s['target']}' has "
        )
    # the label-review suggestion is counted over the whole file: the file's figure
    review = [s for s in record["suggestions"] if s["kind"] == "review-labels"]
    assert review == [s for s in whole["suggestions"] if s["kind"] == "review-labels"]
    assert "of 91 errors" in review[0]["evidence"]
    assert "In the analysis sample of 300 rows (of 600)" in text_of(report.to_html(), "experiments")
    # a finding quoting a sampled suggestion carries its words along
    digits = reportgen.build_report(EXAMPLES["digits"]["data"], stream=True, sample_rows=800)
    quoted = [f for f in digits.record["summary"]["findings"] if f.startswith("Predict ")]
    assert quoted and ": in the analysis sample of 800 rows (of 1,597), " in quoted[0]


def test_sampled_probability_sum_check_names_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    # train has no 'severe_tube_defect', whose column the row sums then leave out: the check
    # runs on the analysis sample, and the sentence counts the sample's rows, not the file's
    monkeypatch.setattr(reportgen.read.stream.batches, "BATCH_ROWS", 41)
    data = EXAMPLES["inspection"]["data"]
    whole = reportgen.build_report(data, eval_split="train").record["calibration"]
    report = reportgen.build_report(data, stream=True, sample_rows=50, eval_split="train")
    c = report.record["calibration"]
    assert whole["sum_checked_rows"] is None and whole["n"] == c["n"] == 334
    assert c["sum_checked_rows"] == 50 and 0 < c["rows_not_summing_to_one"] <= 50
    assert "the check that probabilities add up to 1" in report.record["stream"]["from_sample"]
    words = text_of(report.to_html(), "calibration")
    assert f"In {c['rows_not_summing_to_one']} of 50 rows of the analysis sample" in words
    assert "of 334 rows the class probabilities" not in words


# --- 6. sections with nothing to show are left out ------------------------------------------


def test_tags_on_no_error_keep_the_buckets_section_with_its_warnings(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": ["a", "b", "c"], "y_true": [1, 2, 3], "y_pred": [1, 2, 1]})
    pd.DataFrame({"id": ["a", "zz"], "buckets": ["blurry", "dark"]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    report = reportgen.build_report(frame, tags=tmp_path / "t.csv")
    page = report.to_html()
    # the buckets section shows the warnings and the hint; no experiment has anything to show
    assert "buckets" in report.record["sections"]
    assert "experiments" not in report.record["sections"]
    buckets = text_of(page, "buckets")
    assert "No error carries a tag yet." in buckets
    assert "1 tagged row is a correct prediction" in buckets
    assert 'href="#buckets"' in page


def test_estimated_ceiling_interval_covers_the_true_ceiling() -> None:
    """Coverage by simulation: stratified review samples of a finite set of errors."""
    from reportgen.analysis.buckets import Tags, analyze_buckets
    from reportgen.deliver.review import allocate
    from reportgen.playbook import load_playbook

    rng = np.random.default_rng(2024)
    n, errors = 1000, 300
    true = np.zeros(n, dtype=np.int64)
    pred = np.zeros(n, dtype=np.int64)
    pred[:200], pred[200:errors] = 1, 2  # two confusion pairs: 0 -> 1 (200), 0 -> 2 (100)
    # the cause hides unevenly: 90 of the first pair's errors and 10 of the second's
    cause = np.zeros(n, dtype=bool)
    cause[:90] = cause[200:210] = True
    truth = (n - errors + int(cause.sum())) / n
    strata = [np.arange(0, 200), np.arange(200, errors)]
    playbook, covered, runs = load_playbook(), 0, 2000
    for _ in range(runs):
        take = allocate(np.array([200, 100]), 40)
        drawn = np.concatenate(
            [rng.choice(s, size=int(k), replace=False) for s, k in zip(strata, take, strict=True)]
        )
        tags = Tags(
            by_row={int(p): ["edge"] for p in drawn if cause[p]},
            source="simulation",
            sampling="a random review sample",
            reviewed=frozenset(int(p) for p in drawn),
        )
        result = analyze_buckets(
            tags,
            true_codes=true,
            pred_codes=pred,
            labels=["a", "b", "c"],
            row_numbers=np.arange(1, n + 1),
            playbook=playbook,
        )
        if not result.buckets:
            continue
        (edge,) = result.buckets
        assert result.ceiling_kind == "estimate" and edge.ceiling_ci is not None
        covered += edge.ceiling_ci[0] <= truth <= edge.ceiling_ci[1]
    # about 98% here: the Wilson interval ignores that the sample is drawn without
    # replacement from a finite set of errors, which only makes it wider
    assert covered / runs >= 0.93
