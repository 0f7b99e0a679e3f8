"""The command line: entry points, help speed (no heavy imports), version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reportgen import __version__
from reportgen.cli import main
from tests.conftest import DIGITS


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, reportgen.cli\n"
        "from click.testing import CliRunner\n"
        "CliRunner().invoke(reportgen.cli.main, ['--help'])\n"
        "CliRunner().invoke(reportgen.cli.main, ['build', '--help'])\n"
        "heavy = ('pandas', 'numpy', 'matplotlib', 'sklearn', 'pyarrow')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_build_and_options() -> None:
    result = CliRunner().invoke(main, ["build", "--help"])
    assert result.exit_code == 0
    for option in (
        "--y-true",
        "--y-pred",
        "--proba-prefix",
        "--id",
        "--sample",
        "--columns",
        "--task",
        "--dropna",
        "--max-samples",
        "--json",
        "--title",
        "--model",
        "--created",
    ):
        assert option in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_python_dash_m_builds_a_report(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    proc = subprocess.run(
        [sys.executable, "-m", "reportgen", "build", str(DIGITS), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # the files written are listed on stdout, diagnostics stay on stderr
    assert proc.stdout.startswith(f"wrote {out}: ") and "accuracy" in proc.stdout
    assert proc.stderr == ""


def test_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["build", str(DIGITS), "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.output
