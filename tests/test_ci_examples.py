"""The CI examples: the GitHub Actions workflow and the GitLab job run as written."""

from __future__ import annotations

import email
import os
import re
import shlex
import shutil
import string
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from email.policy import default as DEFAULT_POLICY
from pathlib import Path
from typing import Any

import click
import pytest
import xmlschema
import yaml
from packaging.specifiers import SpecifierSet

from reportgen.cli import main
from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CI = ROOT / "examples" / "ci"
JUNIT_XSD = ROOT / "tests" / "data" / "junit-10.xsd"
# what GitHub and GitLab set in a job, for the examples' --report-url
GITHUB_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/inspection",
    "GITHUB_RUN_ID": "4242",
}
JOB_URL = "https://gitlab.example.com/acme/inspection/-/jobs/77"


def _toml(path: Path) -> dict[str, Any]:
    """A TOML file, parsed."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


REQUIRES_PYTHON = _toml(ROOT / "pyproject.toml")["project"]["requires-python"]


def _workspace(tmp_path: Path) -> Path:
    """A checkout-like folder: the CI example and the two prediction examples it reads."""
    for name in ("inspection", "inspection_retrained"):
        (tmp_path / "examples").mkdir(exist_ok=True)
        (tmp_path / "examples" / name).symlink_to(ROOT / "examples" / name)
    shutil.copytree(CI, tmp_path / "examples" / "ci", ignore=shutil.ignore_patterns("out"))
    return tmp_path / "examples" / "ci"


def _run(script: str, cwd: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **extra_env}
    # the reportgen under test, first on PATH, as `pip install` would put it
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True
    )


def _commands(lines: list[str]) -> str:
    """The job's shell lines without the install step (the package is installed already)."""
    return "\n".join(line for line in lines if not line.strip().startswith("pip install"))


def _check_outputs(folder: Path, done: subprocess.CompletedProcess[str], link: str) -> None:
    out = folder / "out"
    for name in ("report.html", "record.json", "summary.md", "junit.xml", "report.eml"):
        assert (out / name).stat().st_size > 0, name
        # every file the report step wrote is listed on stdout
        assert f"wrote out/{name}: " in done.stdout, done.stdout
    # the JUnit file is one Jenkins and GitLab accept, not only a lenient parser
    xmlschema.XMLSchema10(str(JUNIT_XSD)).validate(str(out / "junit.xml"))
    suite = ET.parse(out / "junit.xml").getroot()
    assert suite.get("tests") == "5" and suite.get("failures") == "0"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "Gates: all 5 passed" in summary
    assert summary.endswith(f"Full report: [report.html]({link})\n")
    message = email.message_from_bytes((out / "report.eml").read_bytes(), policy=DEFAULT_POLICY)
    assert message["To"] == "model-review@example.com" and message["From"]
    assert not message["Date"].startswith("Thu, 01 Jan 1970")  # dated by --created
    assert "warning" not in done.stderr, done.stderr


def test_github_workflow_runs_and_uploads_even_when_gates_fail(tmp_path: Path) -> None:
    flow: dict[Any, Any] = yaml.safe_load((CI / "github-actions.yml").read_text(encoding="utf-8"))
    job = flow["jobs"]["report"]
    assert job["defaults"]["run"]["working-directory"] == "examples/ci"
    steps = job["steps"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "examples/ci/out/"
    folder = _workspace(tmp_path)
    summary = tmp_path / "step-summary.md"
    script = _commands([s["run"] for s in steps if "run" in s])
    done = _run(script, folder, {"GITHUB_STEP_SUMMARY": str(summary), **GITHUB_ENV})
    assert done.returncode == 0, done.stderr
    _check_outputs(folder, done, "https://github.com/acme/inspection/actions/runs/4242")
    assert "Gates: all 5 passed" in summary.read_text(encoding="utf-8")
    assert f"appended {summary}: the job summary" in done.stdout
    assert "gate passed: accuracy is 81.6%" in done.stderr
    # a stricter floor on the command line fails the job, and the report is still there
    (folder / "out" / "report.html").unlink()
    failed = _run(
        "reportgen build ../inspection_retrained/predictions.csv --fail-under accuracy=0.9",
        folder,
        {"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert failed.returncode == 1
    assert "gate failed: accuracy is 81.6%, under the 90.0% floor" in failed.stderr
    assert (folder / "out" / "report.html").exists()


def test_gitlab_job_runs_and_keeps_artifacts_and_junit(tmp_path: Path) -> None:
    jobs: dict[Any, Any] = yaml.safe_load((CI / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = jobs["model-report"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "examples/ci/out/junit.xml"
    folder = _workspace(tmp_path)
    # GitLab runs the script from the checkout's root
    env = {"GITHUB_STEP_SUMMARY": "", "CI_JOB_URL": JOB_URL}
    done = _run(_commands(job["script"]), folder.parent.parent, env)
    assert done.returncode == 0, done.stderr
    _check_outputs(folder, done, f"{JOB_URL}/artifacts/file/examples/ci/out/report.html")


# ---- the workflows' structure, without running them (quick lane) ----------------------------

# what the shell turns `$(date -u +FORMAT)` into, at a fixed time
DATE_COMMAND = re.compile(r"\$\(date -u \+([^)]*)\)")
NOW = time.gmtime(1_780_000_000)


def _command_lines(script: str, env: dict[str, str]) -> list[list[str]]:
    """A shell script's commands as the CI shell runs them: variables expanded, split in words.

    A variable the CI service does not set (not in `env`) fails the test, as it would expand to
    nothing in the job."""
    lines = []
    for line in script.splitlines():
        if line.strip():
            line = DATE_COMMAND.sub(lambda m: time.strftime(m.group(1), NOW), line)
            lines.append(shlex.split(string.Template(line).substitute(env)))
    return lines


def _build_options(words: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Parse a `reportgen build ...` command line with the CLI's own parser, as run in `cwd`.

    An unknown option, a missing value or a bad config file next to it fails here the way it
    would fail the job; the result is every option's value, the config file's included."""
    assert words[:2] == ["reportgen", "build"], words
    monkeypatch.chdir(cwd)
    parent = click.Context(main, info_name="reportgen")
    command = main.get_command(parent, "build")
    assert command is not None
    with command.make_context("build", words[2:], parent=parent) as ctx:
        return dict(ctx.params)


def _check_report_commands(
    lines: list[list[str]], cwd: Path, monkeypatch: pytest.MonkeyPatch, report_url: str
) -> None:
    """The two reportgen commands: a baseline record, then the report the gates compare with it."""
    baseline, report = (_build_options(w, cwd, monkeypatch) for w in lines)
    assert baseline["predictions"] == "../inspection/predictions.csv"
    assert (cwd / baseline["predictions"]).is_file()
    assert baseline["eval_split"] == "test" and baseline["output"] == "out/baseline.html"
    gates = _toml(CI / "reportgen.toml")["gates"]
    assert baseline["json_path"] == gates["baseline"] == "out/baseline.json"
    assert report["predictions"] == "../inspection_retrained/predictions.csv"
    assert (cwd / report["predictions"]).is_file()
    assert report["report_url"] == report_url
    assert report["created"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", NOW)
    # the outputs the upload keeps come from reportgen.toml, next to the command
    assert {k: report[k] for k in ("output", "json_path", "junit", "summary_md", "email")} == {
        "output": "out/report.html",
        "json_path": "out/record.json",
        "junit": "out/junit.xml",
        "summary_md": "out/summary.md",
        "email": "out/report.eml",
    }


def test_github_workflow_steps_run_real_reportgen_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    flow: dict[Any, Any] = yaml.safe_load((CI / "github-actions.yml").read_text(encoding="utf-8"))
    assert flow["name"] == "model report"
    # PyYAML reads the key `on` as True (YAML 1.1)
    assert set(flow[True]) == {"pull_request", "push", "workflow_dispatch"}
    job = flow["jobs"]["report"]
    cwd = ROOT / job["defaults"]["run"]["working-directory"]
    steps = job["steps"]
    assert [s.get("uses", "run") for s in steps] == [
        "actions/checkout@v4",
        "actions/setup-python@v5",
        "run",
        "run",
        "run",
        "actions/upload-artifact@v4",
    ]
    assert steps[1]["with"]["python-version"] in SpecifierSet(REQUIRES_PYTHON)
    install, baseline, report = (_command_lines(s["run"], GITHUB_ENV) for s in steps[2:5])
    # the install step installs this checkout: the folder two levels up holds pyproject.toml
    assert install == [["pip", "install", "../.."]]
    assert (cwd / "../.." / "pyproject.toml").resolve() == ROOT / "pyproject.toml"
    assert baseline[0] == ["mkdir", "-p", "out"]
    url = "https://github.com/acme/inspection/actions/runs/4242"
    _check_report_commands(baseline[1:] + report, cwd, monkeypatch, url)
    upload = steps[5]
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == f"{cwd.relative_to(ROOT)}/out/"


def test_gitlab_job_script_runs_real_reportgen_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs: dict[Any, Any] = yaml.safe_load((CI / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = jobs["model-report"]
    version = job["image"].removeprefix("python:")
    assert version in SpecifierSet(REQUIRES_PYTHON)
    lines = _command_lines("\n".join(job["script"]), {"CI_JOB_URL": JOB_URL})
    assert lines[:3] == [["pip", "install", "."], ["cd", "examples/ci"], ["mkdir", "-p", "out"]]
    cwd = ROOT / lines[1][1]
    url = f"{JOB_URL}/artifacts/file/examples/ci/out/report.html"
    _check_report_commands(lines[3:], cwd, monkeypatch, url)
    assert job["artifacts"] == {
        "when": "always",
        "expose_as": "model report",
        "paths": ["examples/ci/out/"],
        "reports": {"junit": "examples/ci/out/junit.xml"},
    }
