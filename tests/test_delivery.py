"""What `build` and `compare` deliver besides the HTML: gates, summaries, JUnit, email, PDF."""

from __future__ import annotations

import email
import email.policy
import os
import stat
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
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
    assert [line.split(": ")[0] for line in output.splitlines() if line.startswith("wrote")] == [
        f"wrote {tmp_path / name}" for name in ("c.html", "c.md", "c.eml")
    ]
    assert (tmp_path / "c.md").read_text(encoding="utf-8").startswith("## ")
    message = email.message_from_bytes(
        (tmp_path / "c.eml").read_bytes(), policy=email.policy.default
    )
    assert any(p.get_filename() == "c.html" for p in message.iter_attachments())


def _fake_chromium(folder: Path) -> Path:
    """A stand-in for Chromium that writes a tiny PDF where --print-to-pdf= says."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fake-chromium"
    path.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "out = next(a for a in sys.argv if a.startswith('--print-to-pdf=')).split('=', 1)[1]\n"
        "open(out, 'wb').write(b'%PDF-1.4 fake')\n",
        encoding="utf-8",
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_every_output_is_listed_on_stdout(tmp_path: Path) -> None:
    step = tmp_path / "step.md"
    out = tmp_path / "out"
    out.mkdir()
    env = {
        "GITHUB_STEP_SUMMARY": str(step),
        "REPORTGEN_CHROMIUM": str(_fake_chromium(tmp_path / "bin")),
    }
    result = CliRunner().invoke(
        main,
        ["build", str(CANCER), "-o", f"{out}/r.html", "--json", f"{out}/r.json",
         "--summary-md", f"{out}/s.md", "--junit", f"{out}/j.xml", "--email", f"{out}/r.eml",
         "--to", "team@example.com", "--from", "ci@example.com", "--pdf", f"{out}/r.pdf",
         "--created", "2026-11-22T10:00:00Z", "--fail-under", "accuracy=0.9",
         "--fail-under", "macro_f1=0.5"],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # a gate failed: everything is still written
    assert result.stdout.splitlines() == [
        f"wrote {out}/r.html: dev split: 256 of 569 rows, accuracy 73.8%, ROC AUC 0.826, "
        "average precision 0.745",
        f"wrote {out}/r.json: the record (JSON)",
        f"wrote {out}/s.md: the job summary (Markdown)",
        f"appended {step}: the job summary ($GITHUB_STEP_SUMMARY)",
        f"wrote {out}/j.xml: the gates as JUnit XML (2 test cases)",
        f"wrote {out}/r.eml: the email, the report attached",
        f"wrote {out}/r.pdf: the report as PDF",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "j.xml", "r.eml", "r.html", "r.json", "r.pdf", "s.md"
    ]  # fmt: skip
    # gate lines stay on stderr, and nothing else: the addresses and the date are set
    assert result.stderr.splitlines() == [
        "reportgen: gate failed: accuracy is 73.8%, under the 90.0% floor",
        "reportgen: gate passed: macro_f1 is 0.712, at or above the 0.500 floor",
    ]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_failed_output_still_lists_what_was_written(tmp_path: Path) -> None:
    # the job summary cannot be appended (/dev/full: the disk is full): the files before it
    # exist (a missing folder is refused before any work: see test_bad_input_data_loss.py)
    env = {"GITHUB_STEP_SUMMARY": "/dev/full"}
    result = CliRunner().invoke(
        main,
        ["build", str(CANCER), "-o", str(tmp_path / "r.html"), "--summary-md",
         str(tmp_path / "s.md")],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 2
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        f"wrote {tmp_path}/r.html",
        f"wrote {tmp_path}/s.md",
    ]
    assert result.stderr.startswith("reportgen: error: GITHUB_STEP_SUMMARY=")


def test_email_without_addresses_warns_and_keeps_the_exit_code(tmp_path: Path) -> None:
    eml = tmp_path / "r.eml"
    result = CliRunner().invoke(
        main, ["build", str(CANCER), "-o", str(tmp_path / "r.html"), "--email", str(eml)]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {eml}: the email, the report attached" in result.stdout
    assert result.stderr.splitlines() == [
        f"reportgen: warning: {eml} has no recipient (--to) and no sender (--from); add them "
        "before sending it.",
        f"reportgen: warning: {eml} is dated 1 January 1970: the report has no creation time; "
        "build it with --created or SOURCE_DATE_EPOCH to date the message.",
    ]
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Date"] == "Thu, 01 Jan 1970 00:00:00 +0000" and message["Message-ID"]
    # with a failing gate the warnings come too, and the exit code is still the gate's
    result = CliRunner().invoke(
        main,
        ["build", str(CANCER), "-o", str(tmp_path / "r.html"), "--email", str(eml),
         "--to", "team@example.com", "--fail-under", "accuracy=0.9"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"reportgen: warning: {eml} has no sender (--from); add it" in result.stderr


# ------------------------------------------------------- no output over the gate's baseline


@pytest.fixture()
def baseline(tmp_path: Path) -> Path:
    """A record to gate against, as the last run wrote it."""
    path = tmp_path / "base" / "record.json"
    path.parent.mkdir()
    result = CliRunner().invoke(
        main, ["build", str(CANCER), "-o", str(path.with_suffix(".html")), "--json", str(path)]
    )
    assert result.exit_code == 0, result.output
    return path


def _refused(result: Result, baseline: Path, before: bytes) -> str:
    """Exit 2, one line on stderr, nothing on stdout, the baseline untouched."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("reportgen: error: ")
    assert baseline.read_bytes() == before
    return result.stderr.removeprefix("reportgen: error: ").strip()


@pytest.mark.parametrize(
    ("option", "name"),
    [("-o", "-o"), ("--json", "--json"), ("--summary-md", "--summary-md"),
     ("--junit", "--junit"), ("--email", "--email"), ("--pdf", "--pdf")],
)  # fmt: skip
def test_no_output_may_overwrite_the_baseline(
    tmp_path: Path, baseline: Path, option: str, name: str
) -> None:
    before = baseline.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    args = ["build", str(CANCER), "--max-drop", "accuracy=0.01", "--baseline", str(baseline)]
    if option != "-o":
        args += ["-o", str(out / "r.html")]
    env = {"REPORTGEN_CHROMIUM": str(_fake_chromium(tmp_path / "bin"))}
    result = CliRunner().invoke(main, [*args, option, str(baseline)], env=env)
    message = _refused(result, baseline, before)
    assert message == (
        f"{baseline} is both {name} and --baseline: this run would overwrite the record its "
        "gates compare with. Give one of them another file."
    )
    assert list(out.iterdir()) == []  # refused before any work


def test_the_baseline_under_another_name_is_still_the_baseline(
    tmp_path: Path, baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = baseline.read_bytes()
    monkeypatch.chdir(baseline.parent)
    # a relative path, a path through '..', a symbolic link and a hard link to the same file
    (tmp_path / "link.json").symlink_to(baseline)
    os.link(baseline, tmp_path / "hard.json")
    for given in ("record.json", f"../base/{baseline.name}", "../link.json", "../hard.json"):
        result = CliRunner().invoke(
            main,
            ["build", str(CANCER), "-o", "r.html", "--json", given, "--baseline", str(baseline)],
        )
        message = _refused(result, baseline, before)
        assert message.startswith(
            f"--json {given} and --baseline {baseline} are one file: this run would overwrite "
            "the record its gates compare with."
        ), message
    assert not (baseline.parent / "r.html").exists()
    # the job summary GitHub appends to is an output too
    result = CliRunner().invoke(
        main,
        ["build", str(CANCER), "-o", "r.html", "--summary-md", "s.md", "--baseline", "record.json"],
        env={"GITHUB_STEP_SUMMARY": str(baseline)},
    )
    message = _refused(result, baseline, before)
    assert message.startswith(
        f"$GITHUB_STEP_SUMMARY (where --summary-md is appended) {baseline} and --baseline "
        "record.json are one file"
    )
    # a different file is fine, and the gate reads the baseline
    result = CliRunner().invoke(
        main, ["build", str(CANCER), "-o", "r.html", "--json", "new.json",
               "--baseline", "record.json", "--max-drop", "accuracy=0"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert baseline.read_bytes() == before
