"""The CLI's shared options: compare's --model, --slice and gates, the short and old names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pandas as pd
import pytest
from click.testing import CliRunner, Result

import reportgen
import reportgen.api
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.gates import GateSpec, parse_gate_line


def _frame(wrong: int) -> pd.DataFrame:
    """Forty rows of two labels with `wrong` errors among the first rows."""
    truth = ["cat", "dog"] * 20
    guess = [("dog" if t == "cat" else "cat") if i < wrong else t for i, t in enumerate(truth)]
    return pd.DataFrame({"id": range(40), "y_true": truth, "y_pred": guess, "group": ["a"] * 40})


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A baseline and a candidate file in an empty working folder."""
    monkeypatch.chdir(tmp_path)
    _frame(8).to_csv("a.csv", index=False)
    _frame(4).to_csv("b.csv", index=False)
    return "a.csv", "b.csv"


def _capture(monkeypatch: pytest.MonkeyPatch, name: str) -> dict[str, Any]:
    """Replace reportgen.api's `name` by one that keeps its arguments and refuses."""
    seen: dict[str, Any] = {}

    def fake(*args: Any, **kwargs: Any) -> None:
        seen.update(kwargs, args=args)
        raise ReportgenError("stopped by the test")

    monkeypatch.setattr(reportgen.api, name, fake)
    return seen


def _compare(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Result, dict[str, Any]]:
    """Run compare with a.csv and b.csv up to the library call; return what it was given."""
    seen = _capture(monkeypatch, "compare_reports")
    result = CliRunner().invoke(main, ["compare", "a.csv", "b.csv", "-o", "c.html", *args])
    return result, seen


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--model", "old", "--model", "new"], ("old", "new")),
        (["--model", "new"], (None, "new")),
        (["--name-a", "old", "--name-b", "new"], ("old", "new")),
        (["--model", "new", "--name-a", "old"], ("old", "new")),
        ([], (None, None)),
    ],
)
def test_compare_model_names(
    files: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    names: tuple[str | None, str | None],
) -> None:
    result, seen = _compare(monkeypatch, *args)
    assert result.exit_code == 2 and "stopped by the test" in result.output
    assert (seen["name_a"], seen["name_b"]) == names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "a", "--model", "b", "--model", "c"], "--model was given 3 times"),
        (["--model", "a", "--model", "b", "--name-a", "x"], "--name-a is the old name of --model"),
    ],
)
def test_compare_model_names_refused(
    files: tuple[str, str], monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    result, seen = _compare(monkeypatch, *args)
    assert result.exit_code == 2 and message in result.output
    assert seen == {}  # refused before the library call


def test_compare_takes_slices_and_gates(
    files: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result, seen = _compare(
        monkeypatch,
        "--slice", "group", "--slice-all",
        "--fail-under", "accuracy=0.9", "--fail-over", "error_rate=0.2",
        "--max-drop", "macro_f1=0.01", "--gate", "recall[cat] >= 50%",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert seen["slices"] == ("group",) and seen["slice_all"] is True
    gates = [(g.kind, g.name, g.threshold) for g in seen["gates"]]
    assert gates == [
        ("fail-under", "accuracy", 0.9),
        ("fail-over", "error_rate", 0.2),
        ("max-drop", "macro_f1", 0.01),
        ("fail-under", "recall[cat]", 0.5),
    ]


def test_compare_without_gates_or_slices_passes_none(
    files: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, seen = _compare(monkeypatch)
    assert "gates" not in seen and "slices" not in seen and "slice_all" not in seen


def test_compare_exit_code_is_1_when_a_gate_fails(
    files: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a report whose gate failed stands in for compare_reports: the exit code is the CLI's
    failing = reportgen.build_report(_frame(8), fail_under={"accuracy": 0.95})
    monkeypatch.setattr(reportgen.api, "compare_reports", lambda *a, **k: failing)
    result = CliRunner().invoke(main, ["compare", "a.csv", "b.csv", "-o", "c.html"])
    assert result.exit_code == 1, result.output
    assert "gate failed: accuracy" in result.output and Path("c.html").exists()


def test_compare_gates_end_to_end(files: tuple[str, str]) -> None:
    args = ["compare", "a.csv", "b.csv", "-o", "c.html", "--slice", "group"]
    result = CliRunner().invoke(main, [*args, "--fail-under", "accuracy=0.95"])
    assert result.exit_code == 1, result.output
    assert "gate failed: accuracy" in result.output


@pytest.mark.parametrize("command", ["build", "compare", "sample-errors"])
@pytest.mark.parametrize("option", ["-n", "--max-samples"])
def test_max_samples_has_one_name_and_a_short_form(
    files: tuple[str, str], monkeypatch: pytest.MonkeyPatch, command: str, option: str
) -> None:
    function = {"build": "build_report", "compare": "compare_reports"}.get(command)
    seen = _capture(monkeypatch, function or "sample_errors")
    inputs = ["a.csv", "b.csv"] if command == "compare" else ["a.csv"]
    result = CliRunner().invoke(main, [command, *inputs, "-o", "out.x", option, "7"])
    assert result.exit_code == 2 and "stopped by the test" in result.output
    assert seen["max_samples"] == 7


@pytest.mark.parametrize("command", ["build", "compare", "sample-errors"])
def test_in_split_is_a_hidden_alias_of_eval_split(
    files: tuple[str, str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    function = {"build": "build_report", "compare": "compare_reports"}.get(command)
    seen = _capture(monkeypatch, function or "sample_errors")
    inputs = ["a.csv", "b.csv"] if command == "compare" else ["a.csv"]
    runner = CliRunner()
    result = runner.invoke(main, [command, *inputs, "-o", "out.x", "--in-split", "test"])
    assert "--in-split is now called --eval-split" in result.output
    assert seen["eval_split"] == "test" and "in_split" not in seen
    help_text = runner.invoke(main, [command, "--help"]).output
    assert "--eval-split" in help_text and "--in-split" not in help_text


def test_the_same_option_has_the_same_help_on_every_command() -> None:
    helps: dict[str, set[str]] = {}
    for command in ("build", "compare", "sample-errors"):
        for param in main.commands[command].params:  # type: ignore[attr-defined]
            # what is written, how many rows are drawn or shown, one model or two: these differ
            if isinstance(param, click.Option) and param.name not in (
                "output",
                "max_samples",
                "task",
                "model",
            ):
                helps.setdefault(str(param.name), set()).add(str(param.help))
    assert {name: texts for name, texts in helps.items() if len(texts) > 1} == {}


@pytest.mark.parametrize(
    ("text", "kind", "name", "threshold"),
    [
        ("accuracy >= 0.9", "fail-under", "accuracy", 0.9),
        ("mae<=3.5", "fail-over", "mae", 3.5),
        ("macro_f1 drop <= 0.01", "max-drop", "macro_f1", 0.01),
        ("recall[tube defect] >= 80%", "fail-under", "recall[tube defect]", 0.8),
    ],
)
def test_gate_line_reads_what_the_report_writes(
    text: str, kind: str, name: str, threshold: float
) -> None:
    spec = parse_gate_line(text)
    assert (spec.kind, spec.name, spec.threshold) == (kind, name, threshold)
    again = parse_gate_line(spec.gate)  # the one-line form the record shows reads back
    assert isinstance(again, GateSpec) and again.gate == spec.gate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accuracy = 0.9", "is not a gate"),
        ("accuracy drop >= 0.1", "a drop is limited with <="),
        ("mae >= 3", "lower mae is better"),
        ("accurcy >= 0.9", "Did you mean accuracy"),
    ],
)
def test_gate_line_refusals(text: str, message: str) -> None:
    with pytest.raises(ReportgenError, match=message):
        parse_gate_line(text)
