"""CI outputs: the Markdown job summary, the GITHUB_STEP_SUMMARY file and the JUnit XML."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xmlschema
from click.testing import CliRunner

import reportgen
from reportgen.cli import main
from reportgen.deliver.ci import append_step_summary, junit_xml, md, summary_markdown
from reportgen.errors import ReportgenError
from reportgen.gate_checks import evaluate_gates
from reportgen.gates import parse_gate
from tests.conftest import ROOT

# the JUnit schema Jenkins and Surefire follow; tests/data/README.md says where it comes from
JUNIT_XSD = ROOT / "tests" / "data" / "junit-10.xsd"
CANCER = ROOT / "examples" / "cancer" / "predictions.csv"
HOSTILE = ["a|b", "<script>alert(1)</script>", "*[x](http://e.test)*", "new\nline", "`t`_&$"]


def unescaped(line: str) -> str:
    """Drop backslash escapes, leaving only the characters Markdown reads as syntax."""
    return re.sub(r"\\.", "", line)


def table_rows(text: str) -> list[list[str]]:
    return [unescaped(line).strip("|").split("|") for line in text.splitlines() if line[:1] == "|"]


@pytest.fixture(scope="module")
def cancer() -> dict[str, Any]:
    return reportgen.build_report(
        ROOT / "examples" / "cancer" / "predictions.csv",
        pos_label="malignant",
        title="Breast-cancer screening",
        model="logreg-3features",
        eval_split="all",  # both splits, dev and test
    ).record


@pytest.fixture(scope="module")
def hostile() -> dict[str, Any]:
    rng = np.random.default_rng(3)
    y_true = rng.choice(HOSTILE, size=200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.choice(HOSTILE, size=200))
    frame = pd.DataFrame({"y_true": y_true, "y_pred": y_pred})
    frame["buckets"] = np.where(y_true != y_pred, "<b>bold</b>|x", "")
    record = copy.deepcopy(reportgen.build_report(frame, title="<img src=x> | *t*").record)
    specs = [parse_gate("fail-under", f"recall[{label}]=0.99") for label in HOSTILE]
    record["gates"] = evaluate_gates(record, specs)
    return record


def test_cancer_summary(cancer: dict[str, Any]) -> None:
    record = copy.deepcopy(cancer)
    record["gates"] = evaluate_gates(
        record,
        [parse_gate("fail-under", "accuracy=0.9"), parse_gate("fail-under", "macro_f1=0.7")],
    )
    text = summary_markdown(record)
    lines = text.splitlines()
    assert lines[0] == "## Breast-cancer screening"
    assert lines[2] == (
        "predictions.csv · model logreg-3features · all splits: 569 rows · classification"
    )
    assert "| Accuracy | 75.7% | 95% CI 72.1–79.1% over 569 rows |" in lines
    assert "| Largest confusion | malignant → benign | 84 times, 60.9% of errors |" in lines
    assert "### Gates: 1 of 2 failed" in lines
    assert "- ❌ **accuracy \\>= 0.9**: accuracy is 75.7%, under the 90.0% floor" in lines
    assert "- ✅ **macro\\_f1 \\>= 0.7**: macro\\_f1 is 0.732, at or above the 0.700 floor" in lines
    total = len(record["summary"]["findings"])
    assert total > 3 and f"### Findings (the first 3 of {total})" in lines
    findings = [line for line in lines if re.match(r"\d\. ", line)]
    assert len(findings) == 3
    assert findings[0] == "1. Accuracy is 75.7% (95% CI 72.1–79.1%) on 569 rows: 138 errors."
    assert "Error buckets" not in text  # nothing is tagged
    # no dead relative link: the report is in the run's artifacts, not beside the summary
    assert lines[-1] == "Full report: report.html, in this run's artifacts."
    assert "](" not in text
    assert text.endswith("\n") and "\n\n\n" not in text


def test_report_url_is_linked(cancer: dict[str, Any]) -> None:
    text = summary_markdown(
        cancer, report_name="report_1.html", report_url="https://ci.test/run/7/report (1).html"
    )
    assert text.splitlines()[-1] == (
        "Full report: [report\\_1.html](https://ci.test/run/7/report%20%281%29.html)"
    )
    # the URL's own escapes are kept, not escaped twice
    text = summary_markdown(cancer, report_url="https://ci.test/a%20b?x=1&y=2#top")
    assert text.splitlines()[-1].endswith("(https://ci.test/a%20b?x=1&y=2#top)")


@pytest.mark.parametrize(
    "url",
    [
        "report.html",  # relative: dead in a job summary
        "/actions/runs/1",
        "//actions/runs/",  # what the GitHub example gives with its variables unset
        "javascript:alert(1)",
        "file:///tmp/report.html",
        "https://",
        "https://ci.test/a\nb",
        "http://[::1",
    ],
)
def test_report_url_must_be_an_http_url(cancer: dict[str, Any], url: str) -> None:
    with pytest.raises(ReportgenError) as info:
        summary_markdown(cancer, report_url=url)
    assert info.value.message.startswith(f"--report-url {url!r} is not an http(s) URL: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--report-url", "out/report.html"], "--report-url 'out/report.html' is not an http(s)"),
        (["--report-url", "https://ci.test/r"], "--report-url is the link in the job summary; "
         "add --summary-md FILE."),
    ],
)  # fmt: skip
def test_report_url_mistakes_are_refused_before_any_work(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["build", str(CANCER), "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"reportgen: error: {message}") and result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_report_url_from_the_command_line_and_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    run = "https://github.com/o/r/actions/runs/42"
    result = CliRunner().invoke(
        main, ["build", str(CANCER), "--summary-md", "s.md", "--report-url", run]
    )
    assert result.exit_code == 0, result.output
    assert Path("s.md").read_text(encoding="utf-8").endswith(f"Full report: [report.html]({run})\n")
    Path("reportgen.toml").write_text(
        f'[build]\nsummary-md = "c.md"\nreport-url = "{run}/c"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["build", str(CANCER)])
    assert result.exit_code == 0, result.output
    assert Path("c.md").read_text(encoding="utf-8").endswith(f"]({run}/c)\n")
    Path("reportgen.toml").write_text('[build]\nreport-url = "report.html"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(CANCER), "--summary-md", "d.md"])
    assert result.exit_code == 2 and "--report-url 'report.html' is not" in result.stderr
    assert not Path("d.md").exists()


def test_buckets_table() -> None:
    record = reportgen.build_report(
        ROOT / "examples" / "inspection" / "predictions.csv",
        tags=ROOT / "examples" / "inspection" / "review.csv",
    ).record
    lines = summary_markdown(record).splitlines()
    # the sheet is a random sample of the dev split's errors, the rows the report describes
    assert "### Error buckets (top 3 of 6) of 30 reviewed errors" in lines
    assert "| Bucket | Errors | Share | Try first |" in lines
    assert "| rare class | 15 | 50.0% | Add or collect more examples of the class |" in lines
    start = lines.index("| Bucket | Errors | Share | Try first |")
    assert [line[:1] for line in lines[start : start + 6]] == ["|"] * 5 + [""]
    # what the shares are: the same sentence as on the page
    assert lines[start + 6].startswith("The tags come from a random review sample")
    assert "estimates for all 36 errors, with 95% intervals" in lines[start + 6]


def test_regression_summary() -> None:
    record = copy.deepcopy(
        reportgen.build_report(ROOT / "examples" / "diabetes" / "predictions.csv").record
    )
    record["gates"] = evaluate_gates(record, [parse_gate("fail-over", "mae=50")])
    lines = summary_markdown(record).splitlines()
    assert lines[2] == "predictions.csv · 442 rows · regression"
    assert "| MAE | 44.5 | mean absolute error; 95% CI 41.6 to 47.5 |" in lines
    assert "### Gates: all 1 passed" in lines
    assert "- ✅ **mae \\<= 50**: mae is 44.49, at or below the 50 ceiling" in lines


def test_comparison_summary() -> None:
    rng = np.random.default_rng(1)
    y = rng.choice(["ok", "bad"], size=300)
    a = np.where(rng.random(300) < 0.7, y, "ok")
    b = np.where(rng.random(300) < 0.85, y, "ok")
    report = reportgen.compare_reports(
        pd.DataFrame({"y_true": y, "y_pred": a}),
        pd.DataFrame({"y_true": y, "y_pred": b}),
        name_a="old",
        name_b="new",
    )
    record = copy.deepcopy(report.record)
    record["gates"] = evaluate_gates(record, [parse_gate("max-drop", "accuracy=0")])
    lines = summary_markdown(record).splitlines()
    assert lines[2] == "new against old · 300 rows · classification comparison"
    assert lines[4] == "| Metric | Value | Detail |"
    assert any(line.startswith("| Accuracy change | +") for line in lines)
    assert "### Gates: all 1 passed" in lines
    assert sum(bool(re.match(r"\d\. ", line)) for line in lines) == 3


def test_hostile_labels_cannot_break_the_markdown(hostile: dict[str, Any]) -> None:
    text = summary_markdown(hostile)
    for row in table_rows(text):
        assert len(row) == 3 or len(row) == 4, row  # every row keeps its columns
    # all but our own bold marks and the report link
    visible = unescaped(text.rsplit("\n", 2)[0]).replace("**", "")
    for syntax in ("<", ">", "[", "]", "*", "`", "_", "&", "$"):
        assert syntax not in visible, syntax
    assert text.splitlines()[0] == r"## \<img src=x\> \| \*t\*"
    assert "new line" in text  # the newline inside a label became a space
    assert "\\<script\\>alert(1)\\</script\\>" in text
    gates = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(gates) == len(HOSTILE)


def test_md_escapes() -> None:
    assert md("a|b") == "a\\|b"
    assert md("x\r\ny") == "x y"
    assert md("<b>&amp;</b>") == "\\<b\\>\\&amp;\\</b\\>"
    assert md("\\|") == "\\\\\\|"


def test_append_step_summary(tmp_path: Path) -> None:
    assert append_step_summary("hello", environ={}) is None
    assert append_step_summary("hello", environ={"GITHUB_STEP_SUMMARY": ""}) is None
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(target)}
    assert append_step_summary("## one", environ=env) == str(target)
    assert append_step_summary("## two\n", environ=env) == str(target)
    assert target.read_text(encoding="utf-8") == "earlier step\n## one\n## two\n"


def test_append_step_summary_unwritable(tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path)}  # a folder
    with pytest.raises(ReportgenError) as info:
        append_step_summary("x", environ=env)
    assert info.value.message.startswith(
        f"GITHUB_STEP_SUMMARY={tmp_path}: cannot append the job summary: "
    )
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "summary.md")}
    with pytest.raises(ReportgenError, match=r"GITHUB_STEP_SUMMARY=.*missing"):
        append_step_summary("x", environ=env)


def test_junit(cancer: dict[str, Any]) -> None:
    record = copy.deepcopy(cancer)
    record["gates"] = evaluate_gates(
        record,
        [
            parse_gate("fail-under", "accuracy=0.9"),
            parse_gate("fail-under", "recall[malignant]=0.6"),
            parse_gate("fail-over", "ece=0.03"),
        ],
    )
    text = junit_xml(record)
    assert text == junit_xml(record)  # the same bytes every time
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text)
    suite = root.find("testsuite")
    assert suite is not None
    for element in (root, suite):
        assert element.get("name") == "reportgen gates"
        assert (element.get("tests"), element.get("failures")) == ("3", "2")
        assert (element.get("errors"), element.get("time")) == ("0", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "accuracy >= 0.9",
        "recall[malignant] >= 0.6",
        "ece <= 0.03",
    ]
    assert {c.get("classname") for c in cases} == {"reportgen.gates"}
    failures = [c.find("failure") for c in cases]
    assert failures[1] is None
    assert failures[0] is not None and failures[2] is not None
    assert failures[0].get("message") == "accuracy is 75.7%, under the 90.0% floor"
    assert failures[0].get("type") == "GateFailed"
    assert failures[2].get("message") == "ece is 0.035, over the 0.030 ceiling"
    assert "timestamp" not in text


def test_junit_escapes_labels() -> None:
    frame = pd.DataFrame({"y_true": ['<&"x', '<&"x', "ok"], "y_pred": ['<&"x', "ok", "ok"]})
    record = copy.deepcopy(reportgen.build_report(frame).record)
    record["gates"] = evaluate_gates(
        record,
        [parse_gate("fail-under", 'recall[<&"x]=0.9'), parse_gate("fail-under", "recall[ok]=1")],
    )
    root = ET.fromstring(junit_xml(record, suite='suite <&">'))
    assert root.get("name") == 'suite <&">'
    cases = root.findall("testsuite/testcase")
    assert cases[0].get("name") == 'recall[<&"x] >= 0.9'
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == 'recall[<&"x] is 50.0%, under the 90.0% floor'
    # a control character XML cannot carry is replaced, not left to break the file
    record["gates"]["items"][1]["gate"] = "recall[bell\x07] >= 1"
    cases = ET.fromstring(junit_xml(record)).findall("testsuite/testcase")
    assert cases[1].get("name") == "recall[bell\ufffd] >= 1"


def test_junit_without_gates(cancer: dict[str, Any]) -> None:
    root = ET.fromstring(junit_xml(cancer))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("0", "0")
    assert suite.findall("testcase") == []


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(JUNIT_XSD))


def test_the_schema_is_strict(junit_schema: xmlschema.XMLSchema10) -> None:
    # what reportgen wrote before: a lenient parser took it, the schema does not
    old = '<testsuites name="g" tests="0" failures="0" errors="0" skipped="0" time="0" />'
    assert not junit_schema.is_valid(old)
    assert junit_schema.is_valid(old.replace(' skipped="0"', ""))


def test_junit_follows_the_jenkins_schema(
    cancer: dict[str, Any], hostile: dict[str, Any], junit_schema: xmlschema.XMLSchema10
) -> None:
    record = copy.deepcopy(cancer)
    record["gates"] = evaluate_gates(
        record, [parse_gate("fail-under", "accuracy=0.9"), parse_gate("fail-over", "ece=0.5")]
    )
    for each in (record, hostile, cancer):  # failed and passed gates, hostile labels, no gates
        text = junit_xml(each)
        junit_schema.validate(text)
        root = ET.fromstring(text)
        assert "skipped" not in root.attrib
        assert root.get("tests") == str(len((each.get("gates") or {}).get("items", [])))


@pytest.mark.parametrize(("floor", "code", "failures"), [("0.5", 0, "0"), ("0.9", 1, "1")])
def test_junit_of_a_passing_and_a_failing_run_validates(
    tmp_path: Path, junit_schema: xmlschema.XMLSchema10, floor: str, code: int, failures: str
) -> None:
    junit = tmp_path / "junit.xml"
    result = CliRunner().invoke(
        main,
        ["build", str(CANCER), "-o", str(tmp_path / "r.html"), "--junit", str(junit),
         "--fail-under", f"accuracy={floor}", "--fail-over", "ece=0.5"],
    )  # fmt: skip
    assert result.exit_code == code, result.output
    junit_schema.validate(str(junit))
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", failures)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("skipped") == "0"
    assert len(suite.findall("testcase/failure")) == int(failures)
