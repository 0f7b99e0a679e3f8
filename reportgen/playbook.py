"""The playbook: match error-bucket names to small, isolated experiments."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.config import parse_toml, read_toml_bytes
from reportgen.errors import ReportgenError
from reportgen.read.tags import normalize_tag
from reportgen.read.textin import refuse_controls

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BUILTIN = Path(__file__).with_name("playbook.toml")
ENTRY_KEYS = {"name", "aliases", "experiments", "why"}


@dataclass(frozen=True)
class Entry:
    """One cause of errors, the tags that name it, and what to try."""

    name: str
    aliases: tuple[str, ...]
    experiments: tuple[str, ...]
    why: str
    source: str  # "built-in" or the user's playbook file name


def words(text: str) -> tuple[str, ...]:
    """Normalise a name into words, as tags are counted: case, spaces, '_' and '-' do not matter."""
    return tuple(normalize_tag(text).split())


def _entries(data: dict[str, Any], source: str, where: str) -> list[Entry]:
    unknown = set(data) - {"entry"}
    if unknown:
        raise ReportgenError(
            f"{where}: unknown top-level keys {sorted(unknown)}; a playbook holds [[entry]] tables."
        )
    raw = data.get("entry", [])
    if not isinstance(raw, list):
        raise ReportgenError(f"{where}: 'entry' must be a list of tables ([[entry]]).")
    out = []
    for number, item in enumerate(raw, start=1):
        bad = set(item) - ENTRY_KEYS
        if bad:
            raise ReportgenError(
                f"{where}: entry {number} has unknown keys {sorted(bad)}; allowed: "
                f"{', '.join(sorted(ENTRY_KEYS))}."
            )
        name = item.get("name")
        experiments = item.get("experiments")
        if not isinstance(name, str) or not name.strip():
            raise ReportgenError(f"{where}: entry {number} needs a 'name' (text).")
        if (
            not isinstance(experiments, list)
            or not experiments
            or not all(isinstance(e, str) and e.strip() for e in experiments)
        ):
            raise ReportgenError(
                f"{where}: entry {number} ('{name}') needs 'experiments', a list of texts."
            )
        aliases = item.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ReportgenError(
                f"{where}: entry {number} ('{name}'): 'aliases' must be a list of texts."
            )
        why = item.get("why", "")
        if not isinstance(why, str):
            raise ReportgenError(f"{where}: entry {number} ('{name}'): 'why' must be text.")
        out.append(
            Entry(
                name=name.strip(),
                aliases=tuple(
                    dict.fromkeys([name.strip(), *(a.strip() for a in aliases if a.strip())])
                ),
                experiments=tuple(e.strip() for e in experiments),
                why=why.strip(),
                source=source,
            )
        )
    return out


def load_playbook(user: str | os.PathLike[str] | None = None) -> list[Entry]:
    """Read the built-in playbook and, if given, the user's, whose entries replace by name."""
    with BUILTIN.open("rb") as fh:
        entries = _entries(tomllib.load(fh), "built-in", "the built-in playbook")
    if user is None:
        return entries
    path = Path(user)
    where = str(user)
    if not path.is_file():
        raise ReportgenError(f"{where}: no such playbook file (named with --playbook).")
    try:
        raw = read_toml_bytes(path, where)
    except OSError as exc:
        raise ReportgenError(f"{where}: cannot read: {exc.strerror}.") from exc
    data = parse_toml(raw, where)
    refuse_controls(data, where)
    mine = _entries(data, path.name, where)
    replaced = {words(e.name) for e in mine}
    return [e for e in entries if words(e.name) not in replaced] + mine


def match(bucket: str, entries: list[Entry]) -> Entry | None:
    """Find the entry for a bucket: an alias equal to it, else the longest alias inside it."""
    tag = words(bucket)
    if not tag:
        return None
    best: tuple[int, int, int] | None = None
    found: Entry | None = None
    for order, entry in enumerate(entries):
        for alias in entry.aliases:
            a = words(alias)
            if not a:
                continue
            if a == tag:
                score = (2, len(a), -order)
            elif any(tag[i : i + len(a)] == a for i in range(len(tag) - len(a) + 1)):
                score = (1, len(a), -order)
            else:
                continue
            if best is None or score > best:
                best, found = score, entry
    return found
