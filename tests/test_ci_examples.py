"""The CI examples: the GitHub Actions workflow and the GitLab job run as written."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from email.policy import default as DEFAULT_POLICY
from pathlib import Path
from typing import Any

import pytest
import xmlschema
import yaml

from tests.conftest import ROOT

CI = ROOT / "examples" / "ci"
JUNIT_XSD = ROOT / "tests" / "data" / "junit-10.xsd"
# what GitHub and GitLab set in a job, for the examples' --report-url
GITHUB_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/inspection",
    "GITHUB_RUN_ID": "4242",
}
JOB_URL = "https://gitlab.example.com/acme/inspection/-/jobs/77"


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


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_examples_install_the_package(name: str) -> None:
    text = (CI / name).read_text(encoding="utf-8")
    assert "pip install" in text and "reportgen build" in text
