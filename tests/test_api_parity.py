"""Everything the CLI does, Python does: each command and its Python function give the same output.

Same bytes for every file written, the same record for what is read back, on the bundled
examples.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import reportgen
from reportgen.cli import main
from tests.conftest import DIGITS, ROOT

CREATED = "2026-01-02T03:04:05Z"
INSPECTION = ROOT / "examples" / "inspection" / "predictions.csv"
RETRAINED = ROOT / "examples" / "inspection_retrained" / "predictions.csv"
TO, SENDER = "team@example.com", "ci@example.com"


def _cli(*args: str | Path) -> str:
    """Run the CLI; return its output, failing on an exit code other than 0."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _fake_chromium(folder: Path) -> Path:
    """A stand-in for Chromium that 'prints' the page's bytes behind a PDF header."""
    script = folder / "chromium"
    script.write_text(
        f"#!{sys.executable}\nimport sys, urllib.parse, urllib.request\n"
        "out = next(a.split('=', 1)[1] for a in sys.argv if a.startswith('--print-to-pdf='))\n"
        "page = urllib.request.urlopen(sys.argv[-1]).read()\n"
        "open(out, 'wb').write(b'%PDF-1.4\\n' + page)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The digits report and every file build delivers, written by the CLI."""
    folder = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        patch.setenv("REPORTGEN_CHROMIUM", str(_fake_chromium(folder)))
        _cli(
            "build", DIGITS, "-o", folder / "r.html", "--json", folder / "r.json",
            "--created", CREATED, "--fail-under", "accuracy=0.9",
            "--junit", folder / "r.xml", "--summary-md", folder / "r.md",
            "--email", folder / "r.eml", "--to", TO, "--from", SENDER, "--pdf", folder / "r.pdf",
            "--no-config",
        )  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def report() -> reportgen.Report:
    """The same report, built from Python."""
    return reportgen.build_report(DIGITS, created=CREATED, fail_under={"accuracy": 0.9})


def test_build_report_writes_the_same_page_and_record(
    built: Path, report: reportgen.Report, tmp_path: Path
) -> None:
    report.save(tmp_path / "r.html", json_path=tmp_path / "r.json")
    assert (tmp_path / "r.html").read_bytes() == (built / "r.html").read_bytes()
    assert (tmp_path / "r.json").read_bytes() == (built / "r.json").read_bytes()
    assert report.record["gates"]["items"][0]["metric"] == "accuracy"


def test_write_junit_and_write_summary(
    built: Path, report: reportgen.Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert reportgen.write_junit(report, tmp_path / "r.xml") == 1
    assert (tmp_path / "r.xml").read_bytes() == (built / "r.xml").read_bytes()
    assert reportgen.write_summary(report, tmp_path / "r.md", report_name="r.html") is None
    assert (tmp_path / "r.md").read_bytes() == (built / "r.md").read_bytes()
    # a record read back from the page delivers the same files
    record = reportgen.read_record(built / "r.html")
    reportgen.write_junit(record, tmp_path / "again.xml")
    assert (tmp_path / "again.xml").read_bytes() == (built / "r.xml").read_bytes()


def test_write_summary_appends_to_the_job_summary(
    report: reportgen.Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = tmp_path / "step.md"
    step.write_text("earlier\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    assert reportgen.write_summary(report, tmp_path / "r.md") == str(step)
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert step.read_text(encoding="utf-8") == "earlier\n" + text
    assert reportgen.write_summary(report, tmp_path / "r.md", step_summary=False) is None
    assert step.read_text(encoding="utf-8") == "earlier\n" + text


def test_write_email_from_a_report_or_its_page(
    built: Path, report: reportgen.Report, tmp_path: Path
) -> None:
    given = {"to": [TO], "sender": SENDER, "report_name": "r.html"}
    assert reportgen.write_email(report, tmp_path / "a.eml", **given) == []
    assert (tmp_path / "a.eml").read_bytes() == (built / "r.eml").read_bytes()
    # the email command mails a page file: the same message as build's --email
    _cli("email", built / "r.html", "-o", tmp_path / "cli.eml", "--to", TO, "--from", SENDER)
    assert (tmp_path / "cli.eml").read_bytes() == (built / "r.eml").read_bytes()


def test_read_record_and_extract(built: Path, tmp_path: Path) -> None:
    written = (built / "r.json").read_text(encoding="utf-8")
    assert reportgen.read_record(built / "r.html") == json.loads(written)
    assert reportgen.read_record(built / "r.json") == json.loads(written)
    assert reportgen.extract(built / "r.html") == written
    _cli("extract", built / "r.html", "-o", tmp_path / "cli.json")
    assert reportgen.extract(built / "r.html", tmp_path / "py.json") == written
    assert (tmp_path / "py.json").read_bytes() == (tmp_path / "cli.json").read_bytes()


def test_verify(built: Path, tmp_path: Path) -> None:
    output = CliRunner().invoke(main, ["verify", str(built / "r.html"), "--input", str(DIGITS)])
    checks = reportgen.verify(built / "r.html", inputs=[DIGITS])
    assert output.exit_code == 0 and all(check.ok for check in checks)
    assert output.output.splitlines() == [f"ok: {check.text}" for check in checks]
    other = tmp_path / "other.csv"
    other.write_text("y_true,y_pred\n1,1\n", encoding="utf-8")
    changed = reportgen.verify(built / "r.html", inputs=[other])
    assert not all(check.ok for check in changed)


def test_sample_errors(tmp_path: Path) -> None:
    _cli("sample-errors", DIGITS, "-n", "20", "--seed", "3", "-o", tmp_path / "cli.csv")
    sheet = reportgen.sample_errors(DIGITS, max_samples=20, seed=3)
    sheet.save(tmp_path / "py.csv")
    assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    assert sheet.to_csv().encode("utf-8") == (tmp_path / "cli.csv").read_bytes()
    # twenty errors, each one a row of the file whose prediction is wrong
    rows = sheet.to_csv().lstrip("\ufeff").splitlines()[1:]
    assert len(rows) == 20 and all(row.split(",")[1] != row.split(",")[2] for row in rows)


def test_write_pdf(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTGEN_CHROMIUM", str(built / "chromium"))
    reportgen.write_pdf(built / "r.html", tmp_path / "py.pdf")
    assert (tmp_path / "py.pdf").read_bytes() == (built / "r.pdf").read_bytes()
    assert (built / "r.pdf").read_bytes() == b"%PDF-1.4\n" + (built / "r.html").read_bytes()


@pytest.mark.slow
def test_compare_reports(tmp_path: Path) -> None:
    _cli(
        "compare", INSPECTION, RETRAINED, "-o", tmp_path / "cli.html", "--json",
        tmp_path / "cli.json", "--model", "old", "--model", "new", "--created", CREATED,
        "--no-config",
    )  # fmt: skip
    report = reportgen.compare_reports(
        INSPECTION, RETRAINED, name_a="old", name_b="new", created=CREATED
    )
    report.save(tmp_path / "py.html", json_path=tmp_path / "py.json")
    assert (tmp_path / "py.html").read_bytes() == (tmp_path / "cli.html").read_bytes()
    assert (tmp_path / "py.json").read_bytes() == (tmp_path / "cli.json").read_bytes()


CONFIG = """\
[columns]
y-true = "y_true"
[build]
max-samples = 5
seed = 4
title = "Digits, from the config"
json = "out/r.json"
[sample-errors]
n = 7
[gates]
fail-under = { accuracy = 0.9 }
"""


def test_load_config_gives_the_options_the_cli_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("reportgen.toml").write_text(CONFIG, encoding="utf-8")
    config = reportgen.load_config()
    assert config.command == "build"
    assert {k: v for k, v in config.options.items() if k != "gates"} == {
        "y_true": "y_true",
        "max_samples": 5,
        "seed": 4,
        "title": "Digits, from the config",
    }
    assert [g.gate for g in config.options["gates"]] == ["accuracy >= 0.9"]
    assert config.outputs == {"json_path": "out/r.json"}  # against the config's folder
    sheet = reportgen.load_config("reportgen.toml", command="sample-errors")
    assert sheet.options == {"y_true": "y_true", "max_samples": 7}


@pytest.mark.slow
def test_load_config_builds_what_the_cli_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("reportgen.toml").write_text(CONFIG, encoding="utf-8")
    Path("out").mkdir()
    _cli("build", DIGITS, "-o", "out/r.html", "--created", CREATED)
    config = reportgen.load_config()
    report = reportgen.build_report(DIGITS, **config.options, config=config, created=CREATED)
    assert report.to_json().encode("utf-8") == Path("out/r.json").read_bytes()
    assert report.to_html().encode("utf-8") == Path("out/r.html").read_bytes()


def test_load_config_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(reportgen.ReportgenError, match="no config file here"):
        reportgen.load_config()
    Path("reportgen.toml").write_text("[build]\nmax-sample = 5\n", encoding="utf-8")
    with pytest.raises(reportgen.ReportgenError, match="has no option --max-sample"):
        reportgen.load_config()
    with pytest.raises(reportgen.ReportgenError, match="command must be one of"):
        reportgen.load_config(command="extract")


def test_every_public_function_is_listed_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in reportgen.API if name[0].islower() and f"{name}(" not in section]
    assert missing == []
