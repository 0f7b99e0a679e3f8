"""A config file that cannot be trusted is refused, never silently dropped (issue 14, item 13).

- A malformed pyproject.toml in the working folder: it may hold [tool.reportgen] gates, so it
  is refused with the parse error (line and column) and the ways round it, whether or not it
  has our table (that cannot be known when it does not parse).
- A value of the wrong TOML type (`title = 5`, a number in quotes for a number option, a
  list where one value goes, a gate threshold written as text) is refused naming the file,
  the table, the key and the type expected. Values that are naturally numbers or dates
  (a positive label, a split name, a creation time, a size) keep working.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main

COLUMNS = '[columns]\ny-true = "truth"\ny-pred = "guess"\n'


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the config is found in the working folder; each test gets its own
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    pd.DataFrame({"truth": ["cat", "dog"] * 10, "guess": ["cat", "cat", "dog", "dog"] * 5}).to_csv(
        "preds.csv", index=False
    )
    Path("out").mkdir()


def _build(*args: str) -> Result:
    return CliRunner().invoke(
        main, ["build", "preds.csv", "-o", "out/r.html", "--json", "out/r.json", *args]
    )


def _record() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path("out/r.json").read_text(encoding="utf-8"))
    return data


def _assert_refused(result: Result) -> str:
    """Exit 2 from our own handler, one paragraph on stderr, nothing written."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert list(Path("out").iterdir()) == []
    return " ".join(result.stderr.split())


# ------------------------------------------------------- a pyproject.toml that does not parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # gates in a table whose header lost its bracket: dropping them would pass CI
        (
            "[tool.reportgen.gates\nfail-under = { accuracy = 0.99 }\n",
            ["not valid TOML", "line 1, column 22"],
        ),
        ('[project]\nname = "demo\n', ["not valid TOML", "line 2"]),  # no table of ours
        ("[project]\nname = " + "[" * 3000 + "\n", ["nested too deeply"]),
    ],
)
def test_a_pyproject_that_does_not_parse_is_refused(text: str, expected: list[str]) -> None:
    Path("pyproject.toml").write_text(text, encoding="utf-8")
    message = _assert_refused(_build(*COLUMNS_ARGS))
    assert message.startswith("reportgen: error: pyproject.toml: "), message
    for part in [*expected, "[tool.reportgen]", "gates", "--no-config", "--config FILE"]:
        assert part in message, (part, message)


COLUMNS_ARGS = ("--y-true", "truth", "--y-pred", "guess")


def test_a_pyproject_that_is_not_utf8_is_refused() -> None:
    Path("pyproject.toml").write_bytes(b'[project]\nname = "d\xe9mo"\n')
    message = _assert_refused(_build(*COLUMNS_ARGS))
    assert "pyproject.toml: not valid TOML: it is not UTF-8 text (byte 19)" in message


@pytest.mark.parametrize("way_round", [("--no-config",), ("--config", "team.toml")])
def test_the_ways_round_a_broken_pyproject_work(way_round: tuple[str, ...]) -> None:
    Path("pyproject.toml").write_text("[project\n", encoding="utf-8")
    Path("team.toml").write_text(COLUMNS, encoding="utf-8")
    result = _build(*COLUMNS_ARGS, *way_round)
    assert result.exit_code == 0, result.output


def test_a_reportgen_toml_beside_a_broken_pyproject_is_used() -> None:
    # reportgen.toml comes first: the pyproject is not ours to read then
    Path("pyproject.toml").write_text("[project\n", encoding="utf-8")
    Path("reportgen.toml").write_text(COLUMNS, encoding="utf-8")
    result = _build()
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- values of the wrong type


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[build]\ntitle = 5\n", "[build] title: should be text in quotes, not a whole number (5)"),
        ("[build]\nmodel = true\n", "[build] model: should be text in quotes, not true/false"),
        ("[build]\noutput = 5\n", "[build] output: should be text in quotes"),
        ("[build]\ntitle = 2026-11-22\n", "[build] title: should be text in quotes, not a date"),
        ("[build]\nslice = [1, 2]\n", "[build] slice: should be text in quotes, not a whole"),
        ("[columns]\nid = 3\n", "[columns] id: should be text in quotes"),
        ("[build]\ntitle = ['a', 'b']\n", "[build] title: takes one value, not a list"),
        (
            '[build]\nmax-samples = "5"\n',
            "[build] max-samples: should be a whole number, not text ('5'); write it without",
        ),
        ('[build]\nseed = "1"\n', "[build] seed: should be a whole number, not text ('1')"),
        ('[email]\nsmtp-port = "25"\n', "[email] smtp-port: should be a whole number, not text"),
        (
            '[gates]\nfail-under = { accuracy = "0.9" }\n',
            "[gates] fail-under: accuracy should be a number (0.9) or a percentage in quotes "
            "(\"90%\"), not text ('0.9')",
        ),
        (
            "[gates]\nfail-under = { accuracy = [0.9] }\n",
            "[gates] fail-under: accuracy should be a number (0.9)",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_by_file_table_and_key(
    text: str, expected: str
) -> None:
    if text.startswith("[columns]"):
        Path("reportgen.toml").write_text(COLUMNS + text.split("\n", 1)[1], encoding="utf-8")
    else:
        Path("reportgen.toml").write_text(COLUMNS + text, encoding="utf-8")
    message = _assert_refused(_build())
    assert f"reportgen.toml {expected}" in message, message


def test_wrong_types_in_pyproject_name_the_tool_table() -> None:
    Path("pyproject.toml").write_text(
        "[tool.reportgen.columns]\ny-true = 'truth'\ny-pred = 'guess'\n"
        "[tool.reportgen.build]\ntitle = 5\n",
        encoding="utf-8",
    )
    message = _assert_refused(_build())
    assert "pyproject.toml [tool.reportgen.build] title: should be text in quotes" in message


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("created = 2026-11-22T10:00:00Z", ("provenance", "created"), "2026-11-22T10:00:00Z"),
        ("created = 2026-11-22", ("provenance", "created"), "2026-11-22T00:00:00Z"),
        ("created = 1700000000", ("provenance", "created"), "2023-11-14T22:13:20Z"),
        ("max-bytes = 5000000", ("budget", "max_bytes"), 5_000_000),
        ("title = 'Nightly'", ("title",), "Nightly"),
    ],
)
def test_values_that_are_naturally_numbers_or_dates_still_work(
    text: str, key: tuple[str, ...], expected: Any
) -> None:
    Path("reportgen.toml").write_text(COLUMNS + "[build]\n" + text + "\n", encoding="utf-8")
    result = _build()
    assert result.exit_code == 0, result.output
    value: Any = _record()
    for part in key:
        value = value[part]
    assert value == expected


def test_a_numeric_positive_label_and_a_percentage_gate_still_work() -> None:
    pd.DataFrame({"truth": [0, 1] * 10, "guess": [0, 0, 1, 1] * 5}).to_csv("preds.csv", index=False)
    Path("reportgen.toml").write_text(
        COLUMNS + '[build]\npos-label = 1\n[gates]\nfail-under = { accuracy = "40%" }\n',
        encoding="utf-8",
    )
    result = _build()
    assert result.exit_code == 0, result.output
    assert _record()["provenance"]["options"]["pos_label"] == "1"
