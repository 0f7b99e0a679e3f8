"""ARCHITECTURE.md stays true: every module it names exists, and the layers keep their imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reportgen"
NAMED = re.compile(r"`((?:[a-z_]+/)*[a-z_]+\.(?:py|css|j2))`")


def _named_paths() -> list[str]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return sorted({m.group(1) for m in NAMED.finditer(text)})


def _where(name: str) -> Path | None:
    for base in (PACKAGE, ROOT):
        if (base / name).exists():
            return base / name
    return None


def test_architecture_names_modules() -> None:
    assert len(_named_paths()) >= 15  # the map names the modules a newcomer starts from


@pytest.mark.parametrize("name", _named_paths())
def test_every_named_module_exists(name: str) -> None:
    assert _where(name) is not None, f"ARCHITECTURE.md names {name}, which does not exist"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            # `from reportgen.record import compare` imports reportgen.record.compare too
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


# what each layer must never import: the arrows of the flow only point one way
FORBIDDEN = {
    "analysis": (
        "matplotlib",
        "jinja2",
        "reportgen.figures",
        "reportgen.render",
        "reportgen.words",
        "reportgen.record",
        "reportgen.deliver",
        "reportgen.api",
    ),
    "words": ("matplotlib", "jinja2", "reportgen.figures", "reportgen.render", "reportgen.api"),
    "record": ("matplotlib", "jinja2", "reportgen.api", "reportgen.cli"),
    "read": (
        "matplotlib",
        "jinja2",
        "reportgen.figures",
        "reportgen.render",
        "reportgen.words",
        "reportgen.api",
        "reportgen.cli",
        # a reader builds what it counted (read/exact.py): of the record it knows the types only
        "reportgen.record",
    ),
}


# known exceptions, each with its reason (to be moved, not to grow)
ALLOWED = {
    # a data suggestion's text and evidence are written where the suggestion is found
    ("reportgen/analysis/suggestions.py", "reportgen.words.numbers"),
}
# the record's types are pure typing (TypedDicts and aliases): any layer may name them
TYPES = "reportgen.record.types"


def _known(path: Path, module: str) -> bool:
    where = str(path.relative_to(ROOT))
    return module.startswith(TYPES) or any(
        where == file and module.startswith(prefix) for file, prefix in ALLOWED
    )


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_downstream(layer: str) -> None:
    wrong = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for module in sorted(_imports(path)):
            if module.startswith(FORBIDDEN[layer]) and not _known(path, module):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_the_layer_check_can_fail(tmp_path: Path) -> None:
    module = tmp_path / "reader.py"
    module.write_text("from reportgen.record import compare\nimport matplotlib\n", "utf-8")
    found = _imports(module)
    assert "reportgen.record.compare" in found and "matplotlib" in found
    assert all(m.startswith(FORBIDDEN["read"]) for m in found - {"reportgen.record"})
