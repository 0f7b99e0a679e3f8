"""The layers import downwards only: read/ knows nothing of the record but its types."""

from __future__ import annotations

import ast
from pathlib import Path

import reportgen

PACKAGE = Path(reportgen.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_read_imports_no_record_module_but_its_types() -> None:
    """A reader builds what it counted (read/exact.py), not the record's blocks."""
    wrong = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in sorted((PACKAGE / "read").rglob("*.py"))
        for name in _imports(path)
        if name.startswith("reportgen.record") and not name.startswith("reportgen.record.types")
    }
    assert not wrong, sorted(wrong)
