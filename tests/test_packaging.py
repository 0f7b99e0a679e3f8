"""The wheel carries the templates, and an installed copy builds a report from them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_contains_templates_and_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("reportgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(
        p.relative_to(ROOT / "templates").as_posix()
        for p in (ROOT / "templates").rglob("*")
        if p.is_file()
    )
    assert templates, "no templates in the source tree"
    for rel in templates:
        assert f"reportgen/templates/{rel}" in names
    for module in (
        "reportgen/__init__.py",
        "reportgen/cli.py",
        "reportgen/py.typed",
        "reportgen/playbook.toml",
    ):
        assert module in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "reportgen = reportgen.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()

    # unpacked on its own (no source tree beside it), the package finds its templates
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from reportgen.render import templates_dir; print(templates_dir())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(out.stdout.strip()) == site / "reportgen" / "templates"
