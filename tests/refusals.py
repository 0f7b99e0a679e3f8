"""What every refused input shares, for the bad-input tests: exit 2, our words, nothing left."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner, Result

from reportgen.cli import main


def build_in(tmp_path: Path, data: Path | str, *args: str) -> tuple[Result, Path]:
    """Run `reportgen build DATA -o out/report.html ARGS` from tmp_path, DATA given relative."""
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    relative = os.path.relpath(data, tmp_path)
    result = CliRunner().invoke(main, ["build", relative, "-o", "out/report.html", *args])
    return result, out_dir / "report.html"


def message(result: Result) -> str:
    """The messages on stderr, joined into one line."""
    return " ".join(result.stderr.split())


def assert_refused(result: Result, out: Path | None = None, *, usage: bool = False) -> str:
    """Check the shape every refusal shares, and return the message for specific checks.

    out: the output that must not exist, in a folder that must stay empty (default: ./out);
    usage: click's own usage errors ('Usage: ...') count too.
    """
    assert result.exit_code == 2, result.output
    # sys.exit(2) from our own handler, not an exception that escaped and was caught by click
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    said = message(result)
    starts = ("reportgen: error: ", "Usage:") if usage else ("reportgen: error: ",)
    assert said.startswith(starts), said
    folder = out.parent if out is not None else Path("out")
    if out is not None:
        assert not out.exists()
    leftovers = sorted(p.name for p in folder.iterdir())
    assert leftovers == [], leftovers
    return said
