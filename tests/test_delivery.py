"""What `build` and `compare` deliver besides the HTML: gates, summaries, JUnit, email, PDF."""

from __future__ import annotations

import email
import email.policy
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.metrics import accuracy_score, recall_score

from reportgen.cli import main
from tests.conftest import DIGITS, ROOT, embedded_record

CANCER = ROOT / "examples" / "cancer" / "predictions.csv"


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


@pytest.fixture()
def cancer_truth() -> tuple[list[str], list[str]]:
    import pandas as pd

    frame = pd.read_csv(CANCER)
    frame = frame[frame["split"] == "dev"]  # the rows a report describes by default
    return frame["y_true"].astype(str).tolist(), frame["y_pred"].astype(str).tolist()


def test_failed_gate_writes_everything_marks_the_summary_and_exits_1(
    tmp_path: Path, cancer_truth: tuple[list[str], list[str]]
) -> None:
    y_true, y_pred = cancer_truth
    accuracy = accuracy_score(y_true, y_pred)
    recall = recall_score(y_true, y_pred, pos_label="malignant")
    out = tmp_path / "r.html"
    code, output = _run(
        "build",
        str(CANCER),
        "-o",
        str(out),
        "--json",
        str(tmp_path / "r.json"),
        "--fail-under",
        f"accuracy={accuracy + 0.01:.4f}",
        "--fail-under",
        f"recall[malignant]={recall - 0.01:.4f}",
        "--summary-md",
        str(tmp_path / "s.md"),
        "--junit",
        str(tmp_path / "j.xml"),
    )
    assert code == 1, output
    assert f"gate failed: accuracy is {accuracy:.1%}" in output
    assert "gate passed: recall[malignant]" in output
    page = out.read_text(encoding="utf-8")
    record = embedded_record(page)
    assert record["gates"]["passed"] is False
    items = {item["metric"]: item for item in record["gates"]["items"]}
    assert items["accuracy"]["value"] == pytest.approx(accuracy)
    assert items["recall"]["value"] == pytest.approx(recall) and items["recall"]["passed"]
    assert "Gates: 1 of 2 failed" in page and 'class="badge badge-fail"' in page
    assert "Gates: 1 of 2 failed" in (tmp_path / "s.md").read_text(encoding="utf-8")
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "1"


def test_passing_gates_exit_0_and_no_gates_means_no_gates_block(tmp_path: Path) -> None:
    code, output = _run(
        "build",
        str(CANCER),
        "-o",
        str(tmp_path / "a.html"),
        "--fail-under",
        "accuracy=0.5",
        "--fail-over",
        "ece=0.5",
    )
    assert code == 0, output
    assert "Gates: all 2 passed" in (tmp_path / "a.html").read_text(encoding="utf-8")
    code, _ = _run("build", str(CANCER), "-o", str(tmp_path / "b.html"))
    assert code == 0
    record = embedded_record((tmp_path / "b.html").read_text(encoding="utf-8"))
    assert "gates" not in record


def test_max_drop_against_a_baseline_report(tmp_path: Path) -> None:
    base = ROOT / "examples" / "inspection" / "predictions.csv"
    cand = ROOT / "examples" / "inspection_retrained" / "predictions.csv"
    assert _run("build", str(base), "-o", str(tmp_path / "base.html"))[0] == 0
    code, output = _run(
        "build",
        str(cand),
        "-o",
        str(tmp_path / "cand.html"),
        "--max-drop",
        "accuracy=0",
        "--baseline",
        str(tmp_path / "base.html"),
    )
    assert code == 0, output
    # the other way round the accuracy drops, and the gate says by how much
    assert _run("build", str(cand), "-o", str(tmp_path / "cand.html"))[0] == 0
    code, output = _run(
        "build",
        str(base),
        "-o",
        str(tmp_path / "b2.html"),
        "--max-drop",
        "accuracy=0.01",
        "--baseline",
        str(tmp_path / "cand.html"),
    )
    assert code == 1 and "accuracy dropped by 3.2 pt" in output  # on the dev split


def test_max_drop_without_baseline_is_a_usage_error_with_no_output(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, output = _run("build", str(CANCER), "-o", str(out), "--max-drop", "accuracy=0.01")
    assert code == 2 and "--max-drop needs --baseline" in output
    assert "Traceback" not in output and not out.exists()


def test_bad_gate_is_exit_2_before_any_output(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, output = _run("build", str(CANCER), "-o", str(out), "--fail-under", "mae=3")
    assert code == 2 and "--fail-over" in output and not out.exists()
    code, output = _run("build", str(CANCER), "-o", str(out), "--fail-under", "recall[cat]=0.8")
    assert code == 2 and "cat" in output and "malignant" in output and not out.exists()


def test_summary_is_appended_to_the_github_step_summary(tmp_path: Path) -> None:
    step = tmp_path / "step.md"
    step.write_text("earlier step\n", encoding="utf-8")
    code, output = _run(
        "build",
        str(CANCER),
        "-o",
        str(tmp_path / "r.html"),
        "--summary-md",
        str(tmp_path / "s.md"),
        env={"GITHUB_STEP_SUMMARY": str(step)},
    )
    assert code == 0 and "$GITHUB_STEP_SUMMARY" in output
    text = step.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n") and (tmp_path / "s.md").read_text() in text


def test_email_from_build_holds_the_report(tmp_path: Path) -> None:
    out, eml = tmp_path / "r.html", tmp_path / "r.eml"
    code, output = _run(
        "build",
        str(DIGITS),
        "-o",
        str(out),
        "--email",
        str(eml),
        "--to",
        "team@example.com",
        "--from",
        "ci@example.com",
    )
    assert code == 0, output
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "team@example.com" and message["From"] == "ci@example.com"
    attached = [p for p in message.iter_attachments() if p.get_filename() == "r.html"]
    assert attached and attached[0].get_content() == out.read_text(encoding="utf-8")


def test_email_headers_need_email(tmp_path: Path) -> None:
    code, output = _run("build", str(DIGITS), "-o", str(tmp_path / "r.html"), "--to", "a@b.c")
    assert code == 2 and "--email" in output and not (tmp_path / "r.html").exists()


def test_two_outputs_to_one_file_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, output = _run("build", str(DIGITS), "-o", str(out), "--json", str(out))
    assert code == 2 and "same file" in output and not out.exists()


def test_pdf_without_chromium_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("REPORTGEN_CHROMIUM", raising=False)
    out, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    code, output = _run("build", str(DIGITS), "-o", str(out), "--pdf", str(pdf))
    assert code == 2 and "apt install chromium" in output
    # checked before any work: nothing is written
    assert not out.exists() and not pdf.exists()


def test_compare_delivers_summary_and_email(tmp_path: Path) -> None:
    base = ROOT / "examples" / "inspection" / "predictions.csv"
    cand = ROOT / "examples" / "inspection_retrained" / "predictions.csv"
    code, output = _run(
        "compare",
        str(base),
        str(cand),
        "-o",
        str(tmp_path / "c.html"),
        "--summary-md",
        str(tmp_path / "c.md"),
        "--email",
        str(tmp_path / "c.eml"),
    )
    assert code == 0, output
    assert (tmp_path / "c.md").read_text(encoding="utf-8").startswith("## ")
    message = email.message_from_bytes(
        (tmp_path / "c.eml").read_bytes(), policy=email.policy.default
    )
    assert any(p.get_filename() == "c.html" for p in message.iter_attachments())
