"""Values a user can type that reach arithmetic, time conversion or a recursive parser.

Issue 14, items 6, 7 and 10:

- 6: regression values near 1e300 (and 1e-300) give finite metrics equal to scikit-learn's on
  the same values rescaled, in memory, streamed, per group and compared; residuals beyond
  floating point are refused by row; no record is ever serialised with NaN or infinity.
- 7: `--created` and SOURCE_DATE_EPOCH out of range or not a date; TOML and JSON nested
  thousands deep in a config, a pyproject.toml, a playbook, a report, a record, a baseline.
- 10: `verify`, `extract`, `email` and `--baseline` refuse a file larger than any report
  without reading it (a sparse 1 GiB file, in bounded memory).
"""

from __future__ import annotations

import json
import math
import os
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from sklearn.metrics import (
    max_error,
    mean_absolute_error,
    mean_squared_error,
    median_absolute_error,
    r2_score,
)

from reportgen.api import build_report, normalize_created
from reportgen.cli import main
from reportgen.deliver.archive import MAX_REPORT_BYTES, read_record, require_finite
from reportgen.errors import ReportgenError
from reportgen.record.blocks import dumps
from tests.refusals import assert_refused as _assert_refused

HUGE = 1e300
TINY = 1e-300


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # paths relative to tmp_path, as users type them; no SOURCE_DATE_EPOCH from the outside
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (tmp_path / "out").mkdir()


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _regression(scale: float, *, n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Targets and predictions of an ordinary model, multiplied by `scale`."""
    rng = np.random.default_rng(seed)
    y_true = rng.normal(0.0, 1.0, n)
    y_pred = y_true + rng.normal(0.1, 0.5, n)
    return pd.DataFrame(
        {
            "y_true": y_true * scale,
            "y_pred": y_pred * scale,
            "group": rng.choice(["a", "b", "c"], n),
        }
    )


def _record(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def _finite_everywhere(node: Any) -> bool:
    if isinstance(node, float):
        return math.isfinite(node)
    if isinstance(node, dict):
        return all(_finite_everywhere(v) for v in node.values())
    if isinstance(node, list):
        return all(_finite_everywhere(v) for v in node)
    return True


# ---------------------------------------------------------------- item 6: huge and tiny values


@pytest.mark.parametrize("scale", [HUGE, TINY], ids=["1e300", "1e-300"])
@pytest.mark.parametrize("stream", [False, True], ids=["memory", "stream"])
def test_regression_metrics_of_extreme_values_equal_sklearns_on_rescaled_values(
    scale: float, stream: bool
) -> None:
    frame = _regression(scale)
    frame.to_csv("preds.csv", index=False)
    args = ["build", "preds.csv", "-o", "out/r.html", "--json", "out/r.json", "--slice", "group"]
    result = _run(*args, *(["--stream"] if stream else []))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.stderr == ""
    # the page writes them in scientific notation: not 300 digits, nor 0.000000000000
    assert ("MAE 3.924e+299" if scale == HUGE else "MAE 3.924e\u2212301") in result.stdout
    record = _record("out/r.json")
    assert _finite_everywhere(record)
    reg = record["regression"]
    # scikit-learn is the reference on the same values divided by the scale: on the values
    # themselves its squares overflow (1e300) or underflow (1e-300)
    t = frame["y_true"].to_numpy() / scale
    p = frame["y_pred"].to_numpy() / scale
    expected = {
        "mae": mean_absolute_error(t, p),
        "rmse": math.sqrt(mean_squared_error(t, p)),
        "median_ae": median_absolute_error(t, p),
        "max_error": max_error(t, p),
        "mean_residual": float(np.mean(t - p)),
    }
    for key, value in expected.items():
        assert reg[key] / scale == pytest.approx(value, rel=1e-9), key
    assert reg["r2"] == pytest.approx(r2_score(t, p), rel=1e-9)
    for key, interval in reg["intervals"].items():
        assert interval["low"] <= reg[key] <= interval["high"], key
    for group in record["slices"]["columns"][0]["groups"]:
        rows = frame["group"].to_numpy() == group["value"]
        assert group["mae"] / scale == pytest.approx(
            mean_absolute_error(t[rows], p[rows]), rel=1e-9
        )
        assert group["rmse"] / scale == pytest.approx(
            math.sqrt(mean_squared_error(t[rows], p[rows])), rel=1e-9
        )


def test_sklearn_itself_overflows_on_the_unscaled_values() -> None:
    # why the test above rescales before comparing: the reference cannot take 1e300 squared
    frame = _regression(HUGE)
    with np.errstate(over="ignore"):
        assert not math.isfinite(mean_squared_error(frame["y_true"], frame["y_pred"]))


def test_ordinary_values_are_not_rescaled() -> None:
    # the scaling is exact and only kicks in past 1e72: ordinary numbers are computed as before
    from reportgen.analysis.regression import analyze_regression
    from reportgen.analysis.stats import power_of_two_scale

    frame = _regression(1e6)
    t, p = frame["y_true"].to_numpy(), frame["y_pred"].to_numpy()
    assert power_of_two_scale(t - p) == 1.0
    result = analyze_regression(t, p)
    assert result.rmse == math.sqrt(float(np.mean((t - p) ** 2)))
    scaled = analyze_regression(t * 2.0**300, p * 2.0**300)
    assert scaled.rmse == result.rmse * 2.0**300  # powers of two: the very same digits
    assert scaled.intervals["rmse"].high == result.intervals["rmse"].high * 2.0**300


def test_comparing_regressions_near_1e300() -> None:
    _regression(HUGE, seed=0).to_csv("a.csv", index=False)
    b = _regression(HUGE, seed=0)
    b["y_pred"] = b["y_true"] + np.random.default_rng(5).normal(0.0, 0.3, len(b)) * HUGE
    b.to_csv("b.csv", index=False)
    result = _run("compare", "a.csv", "b.csv", "-o", "out/c.html", "--json", "out/c.json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    record = _record("out/c.json")
    assert _finite_everywhere(record)
    deltas = record["comparison"]["deltas"]
    t = b["y_true"].to_numpy() / HUGE
    rmse_a = math.sqrt(mean_squared_error(t, _regression(HUGE)["y_pred"] / HUGE))
    rmse_b = math.sqrt(mean_squared_error(t, b["y_pred"] / HUGE))
    assert deltas["rmse"]["delta"] / HUGE == pytest.approx(rmse_b - rmse_a, rel=1e-9)
    assert deltas["rmse"]["ci"]["low"] <= deltas["rmse"]["delta"] <= deltas["rmse"]["ci"]["high"]


@pytest.mark.parametrize("stream", [False, True], ids=["memory", "stream"])
def test_residuals_beyond_floating_point_are_refused_by_row(stream: bool) -> None:
    # each value is a finite float; their difference is not
    frame = pd.DataFrame({"y_true": [1.0, 1.5e308, 2.5, 3.5], "y_pred": [1.2, -1.5e308, 2.0, 3.9]})
    frame.to_csv("preds.csv", index=False)
    args = ["build", "preds.csv", "-o", "out/r.html", "--task", "regression"]
    message = _assert_refused(_run(*args, *(["--stream"] if stream else [])))
    assert "preds.csv" in message and "'y_true' minus 'y_pred'" in message
    assert "row 2" in message and "floating-point" in message and "Rescale" in message


def test_whole_numbers_past_2_to_the_53_stay_numbers_when_streamed() -> None:
    # 1e300 is a 'whole' float: int64 wrapped it to -9223372036854775808 and merged every row
    frame = _regression(HUGE, n=60)
    frame.to_csv("preds.csv", index=False)
    result = _run("build", "preds.csv", "-o", "out/r.html", "--json", "out/r.json", "--stream")
    assert result.exit_code == 0, result.output
    assert _record("out/r.json")["task"] == "regression"


@pytest.mark.parametrize("stream", [False, True], ids=["memory", "stream"])
def test_slice_columns_beyond_float32_reach_the_error_tree(stream: bool) -> None:
    # the tree's library copies values to float32, where 1e300 is infinite and refused
    rng = np.random.default_rng(0)
    n = 400
    truth = rng.integers(0, 3, n)
    guess = np.where(rng.random(n) < 0.8, truth, rng.integers(0, 3, n))
    big = rng.uniform(-1.0, 1.0, n) * 1.7e308
    guess[big > 1.2e308] = (truth[big > 1.2e308] + 1) % 3  # errors where 'big' is large
    frame = pd.DataFrame({"y_true": truth, "y_pred": guess, "big": big, "tiny": big * 1e-320})
    frame.to_csv("preds.csv", index=False)
    args = ["build", "preds.csv", "-o", "out/r.html", "--json", "out/r.json", "--slice-all"]
    result = _run(*args, *(["--stream"] if stream else []))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    record = _record("out/r.json")
    assert _finite_everywhere(record)
    rules = record["slices"]["tree"]["rules"]
    assert any("big >" in " and ".join(rule["conditions"]) for rule in rules), rules


def test_a_record_with_nan_or_infinity_is_refused_by_name() -> None:
    record: dict[str, Any] = {
        "provenance": {"input": {"path": "preds.csv"}},
        "regression": {"intervals": {"rmse": {"low": 1.0, "high": math.inf}}},
    }
    with pytest.raises(ReportgenError) as caught:
        dumps(record)
    message = caught.value.message
    assert message.startswith("preds.csv: ") and "regression.intervals.rmse.high" in message
    assert "inf" in message and "Rescale" in message
    record["regression"]["intervals"]["rmse"]["high"] = 2.0
    record["x"] = [0.5, math.nan]
    with pytest.raises(ReportgenError, match=r"x\[1\] came out as nan"):
        require_finite(record)
    from reportgen.deliver.archive import canonical
    from reportgen.render import embed_json

    for serialise in (canonical, embed_json):
        with pytest.raises(ReportgenError, match=r"x\[1\]"):
            serialise(record)


# ---------------------------------------------------------------- item 7: time conversion


RANGE = "from -62135596800 to 253402300799"


@pytest.mark.parametrize(
    "created",
    [
        "100000000000000000000",
        "-100000000000000000000",
        "253402300800",  # one second past 9999-12-31T23:59:59Z
        "9999-12-31T23:00:00-05:00",  # in the year 10000 once turned to UTC
    ],
)
@pytest.mark.parametrize("command", ["build", "compare"])
def test_created_out_of_range_says_what_is_accepted(created: str, command: str) -> None:
    _regression(1.0).to_csv("a.csv", index=False)
    files = ["a.csv"] if command == "build" else ["a.csv", "a.csv"]
    message = _assert_refused(_run(command, *files, "-o", "out/r.html", "--created", created))
    assert f"--created '{created}' is out of range" in message
    assert RANGE in message and "ISO 8601" in message


@pytest.mark.parametrize(
    ("epoch", "problem"),
    [("99999999999999999999", "is out of range"), ("yesterday", "is not a date")],
)
def test_source_date_epoch_is_named_when_it_is_wrong(epoch: str, problem: str) -> None:
    _regression(1.0).to_csv("a.csv", index=False)
    result = _run("build", "a.csv", "-o", "out/r.html", env={"SOURCE_DATE_EPOCH": epoch})
    message = _assert_refused(result)
    assert f"SOURCE_DATE_EPOCH '{epoch}' {problem}" in message and RANGE in message


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e300, 10**30, "--5"])
def test_created_from_python_out_of_range_is_refused(value: Any) -> None:
    with pytest.raises(ReportgenError, match="--created"):
        normalize_created(value)


def test_created_at_the_ends_of_the_range() -> None:
    assert normalize_created("253402300799") == "9999-12-31T23:59:59Z"
    assert normalize_created(-62135596800) == "0001-01-01T00:00:00Z"
    assert normalize_created("0001-01-01") == "0001-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("created", "date"),
    [
        ("0001-01-01", "Thu, 01 Jan 1970 00:00:00 +0000"),  # mail readers took 0001 for 2001
        ("9999-12-31T23:59:59Z", "Fri, 31 Dec 9999 23:59:59 +0000"),
    ],
)
def test_the_email_date_at_the_ends_of_the_range(created: str, date: str) -> None:
    _regression(1.0).to_csv("a.csv", index=False)
    args = ["build", "a.csv", "-o", "out/r.html", "--email", "out/r.eml", "--created", created]
    result = _run(*args, "--to", "a@example.com", "--from", "b@example.com")
    assert result.exit_code == 0, result.output
    assert f"\nDate: {date}\n" in Path("out/r.eml").read_text(encoding="utf-8")


def test_build_report_from_python_refuses_an_infinite_created() -> None:
    _regression(1.0).to_csv("a.csv", index=False)
    with pytest.raises(ReportgenError, match="out of range"):
        build_report("a.csv", created=math.inf)


# ---------------------------------------------------------------- item 7: nesting

DEEP = 5000


def _deep_toml() -> str:
    return "a = " + "[" * DEEP + "\n"


@pytest.mark.parametrize("how", ["--config", "pyproject", "playbook"])
def test_deeply_nested_toml_is_refused_naming_the_file(how: str) -> None:
    _regression(1.0).to_csv("a.csv", index=False)
    args = ["build", "a.csv", "-o", "out/r.html"]
    if how == "--config":
        Path("deep.toml").write_text(_deep_toml(), encoding="utf-8")
        args += ["--config", "deep.toml"]
        name = "deep.toml"
    elif how == "pyproject":
        Path("pyproject.toml").write_text(_deep_toml(), encoding="utf-8")
        name = "pyproject.toml"
    else:
        Path("deep.toml").write_text(_deep_toml(), encoding="utf-8")
        pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "a"]}).to_csv("a.csv", index=False)
        args += ["--playbook", "deep.toml"]
        name = "deep.toml"
    message = _assert_refused(_run(*args))
    assert f"{name}: not valid TOML" in message and "nested too deeply" in message


def _page(body: str) -> str:
    return f'<html><script type="application/json" id="reportgen-data">{body}</script></html>'


DEEP_FILES = [
    ("deep.html", _page("[" * DEEP)),
    ("deep.html", _page('{"schema": "reportgen/1", "x": ' + "[" * DEEP + "]" * DEEP + "}")),
    ("deep.json", '{"schema": "reportgen/1", "x": ' + "[" * DEEP),
]


@pytest.mark.parametrize(
    ("name", "text", "command"),
    [
        (name, text, command)
        for command in ("verify", "extract", "email", "baseline")
        for name, text in DEEP_FILES
        if not (command == "email" and name.endswith(".json"))  # email reads pages only
    ],
)
def test_deeply_nested_json_is_refused_naming_the_file(name: str, text: str, command: str) -> None:
    Path(name).write_text(text, encoding="utf-8")
    if command == "email":
        args = ["email", name, "-o", "out/m.eml"]
    elif command == "baseline":
        _regression(1.0).to_csv("a.csv", index=False)
        args = ["build", "a.csv", "-o", "out/r.html", "--baseline", name, "--max-drop", "mae=1"]
    else:
        args = [command, name]
    message = _assert_refused(_run(*args))
    assert name in message and "nested too deeply" in message


@pytest.mark.parametrize(
    "line",
    [
        "[" * DEEP,
        '{"y_true": 1, "y_pred": ' + "[" * DEEP + "]" * DEEP + "}",
    ],
)
def test_deeply_nested_json_lines_are_refused_by_line(line: str) -> None:
    Path("deep.jsonl").write_text('{"y_true": 1, "y_pred": 2}\n' + line + "\n", encoding="utf-8")
    message = _assert_refused(_run("build", "deep.jsonl", "-o", "out/r.html"))
    assert "deep.jsonl: line 2 nests arrays or objects too deeply" in message


@pytest.mark.parametrize("how", ["option", "config"])
def test_a_size_budget_beyond_floating_point_is_refused(how: str) -> None:
    _regression(1.0).to_csv("a.csv", index=False)
    digits = "9" * 400
    args = ["build", "a.csv", "-o", "out/r.html"]
    if how == "option":
        args += ["--max-bytes", digits]
    else:
        Path("reportgen.toml").write_text(f'[build]\nmax-bytes = "{digits}"\n', encoding="utf-8")
    message = _assert_refused(_run(*args))
    assert "max-bytes" in message and "too large" in message and "0 for no limit" in message


# ---------------------------------------------------------------- item 10: huge files


def _sparse(name: str, size: int = 1 << 30) -> Path:
    """A file of `size` bytes that takes no disk and no time to make."""
    path = Path(name)
    with path.open("wb") as fh:
        fh.truncate(size)
    return path


@pytest.mark.parametrize("command", ["verify", "extract", "email", "baseline"])
def test_a_file_larger_than_any_report_is_refused_unread(command: str) -> None:
    _sparse("big.html")
    if command == "email":
        args = ["email", "big.html", "-o", "out/m.eml"]
    elif command == "baseline":
        _regression(1.0).to_csv("a.csv", index=False)
        args = [
            "build",
            "a.csv",
            "-o",
            "out/r.html",
            "--baseline",
            "big.html",
            "--max-drop",
            "mae=1",
        ]
    else:
        args = [command, "big.html"]
    # a build traced whole would be slow: its baseline is read by the same function as verify's
    tracing = command != "baseline"
    if tracing:
        tracemalloc.start()
    try:
        result = _run(*args)
        peak = tracemalloc.get_traced_memory()[1] if tracing else 0
    finally:
        tracemalloc.stop()
    message = _assert_refused(result)
    assert "big.html" in message and "larger than any report" in message and "200 MB" in message
    assert peak < 50_000_000, peak  # reading it whole took 2-3 GB


@pytest.mark.parametrize("how", ["--config", "pyproject", "playbook"])
def test_a_toml_file_larger_than_any_config_is_refused_unread(how: str) -> None:
    pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "a"]}).to_csv("a.csv", index=False)
    name = "pyproject.toml" if how == "pyproject" else "big.toml"
    _sparse(name)
    args = ["build", "a.csv", "-o", "out/r.html"]
    args += {"--config": ["--config", name], "pyproject": [], "playbook": ["--playbook", name]}[how]
    message = _assert_refused(_run(*args))
    assert f"{name}: larger than any config reportgen reads (10 MB)" in message


def test_the_limit_has_room_above_the_default_budget() -> None:
    from reportgen.deliver.budget import DEFAULT_MAX_BYTES

    assert MAX_REPORT_BYTES >= 40 * DEFAULT_MAX_BYTES


def test_a_file_at_the_limit_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # the limit is on size, not on content: a record just under it reads; one byte over does not
    import reportgen.deliver.archive as archive

    text = json.dumps({"schema": "reportgen/1", "provenance": {}})
    Path("r.json").write_text(text, encoding="utf-8")
    monkeypatch.setattr(archive, "MAX_REPORT_BYTES", len(text))
    assert read_record("r.json")["schema"] == "reportgen/1"
    monkeypatch.setattr(archive, "MAX_REPORT_BYTES", len(text) - 1)
    with pytest.raises(ReportgenError, match="larger than any report"):
        read_record("r.json")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_without_a_size_is_read_only_up_to_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reportgen.deliver.archive as archive

    monkeypatch.setattr(archive, "MAX_REPORT_BYTES", 1_000_000)
    with pytest.raises(ReportgenError, match="larger than any report"):
        read_record("/dev/zero")


# The largest floats, found by the fuzz test after the merge: the scale, bin edges and figures


def test_the_scale_of_the_largest_float_is_a_float() -> None:
    from reportgen.analysis.stats import power_of_two_scale

    top = np.array([np.finfo(float).max, -np.finfo(float).max])
    scale = power_of_two_scale(top)
    assert math.isfinite(scale)
    assert np.all(np.abs(top / scale) < 2.0)
    assert (top / scale * scale == top).all()  # exact: a power of two


def test_bin_edges_near_the_largest_float_stay_finite_and_true() -> None:
    from reportgen.analysis.grouping import readable_edges

    values = np.array([0.0, 1.0, 1.7975e308])
    edges = readable_edges(np.array([0.0, 0.5, 1.7975e308]), values)
    assert np.all(np.isfinite(edges))
    assert edges[-1] >= values.max()  # the printed upper edge is not below the largest value


def test_residual_figures_draw_values_near_the_largest_float() -> None:
    from reportgen.analysis.regression import analyze_regression
    from reportgen.figures.residuals import plot_residual_distribution, plot_residuals

    y_true = np.array([1.0e307, 2.0e307, 0.0, 5.0e306])
    y_pred = np.array([0.0, 1.5e307, 1.0e307, 5.0e306])
    result = analyze_regression(y_true, y_pred)
    for fig in (plot_residuals(result, y_true, y_pred), plot_residual_distribution(result)):
        fig.canvas.draw()  # a singular transform or an endless tick range raised here
        xlabel = fig.axes[0].get_xlabel()
        assert "(×1e307)" in xlabel or "(×1e306)" in xlabel, xlabel
    # ordinary values keep their plain labels
    plain = analyze_regression(np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.0]))
    fig = plot_residuals(plain, np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.0]))
    assert fig.axes[0].get_xlabel() == "Predicted"
