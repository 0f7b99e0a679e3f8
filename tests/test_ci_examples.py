"""The CI examples: the GitHub Actions workflow and the GitLab job run as written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

CI = ROOT / "examples" / "ci"


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


def _check_outputs(folder: Path) -> None:
    out = folder / "out"
    for name in ("report.html", "record.json", "summary.md", "junit.xml", "report.eml"):
        assert (out / name).stat().st_size > 0, name
    suite = ET.parse(out / "junit.xml").getroot()
    assert suite.get("tests") == "5" and suite.get("failures") == "0"
    assert "Gates: all 5 passed" in (out / "summary.md").read_text(encoding="utf-8")


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
    done = _run(script, folder, {"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0, done.stderr
    _check_outputs(folder)
    assert "Gates: all 5 passed" in summary.read_text(encoding="utf-8")
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
    done = _run(_commands(job["script"]), folder.parent.parent, {"GITHUB_STEP_SUMMARY": ""})
    assert done.returncode == 0, done.stderr
    _check_outputs(folder)


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_examples_install_the_package(name: str) -> None:
    text = (CI / name).read_text(encoding="utf-8")
    assert "pip install" in text and "reportgen build" in text
