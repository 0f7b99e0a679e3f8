"""The Spark engine in local mode: the same record as the in-memory path, from Parquet parts.

Spark starts once per module (about half a minute). Under CI=true a missing PySpark or Java
fails these tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import reportgen
from reportgen.cli import main
from reportgen.errors import ReportgenError
from tests.example_reports import EXAMPLES
from tests.test_stream import differences

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local Spark session shared by the module's tests."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("PySpark is not installed; CI must run the Spark engine's tests")
        pytest.skip("PySpark is not installed (pip install 'reportgen[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("Java is not installed; CI must run the Spark engine's tests")
        pytest.skip("Spark needs Java 17 or newer")
    os.environ["REPORTGEN_SPARK_MASTER"] = "local[2]"
    from reportgen.read.stream.spark import session

    active = session()
    yield active
    active.stop()


def _parquet(name: str, folder: Path) -> Path:
    """An example's predictions written as Parquet, read as pandas reads the CSV."""
    frame = pd.read_csv(EXAMPLES[name]["data"], keep_default_na=False, na_values=[""])
    path = folder / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return path


def _options(name: str) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in EXAMPLES[name]["options"].items()}


@pytest.mark.parametrize("name", ["cancer", "inspection", "diabetes", "digits"])
def test_spark_record_equals_in_memory(name: str, spark: Any, tmp_path: Path) -> None:
    path = _parquet(name, tmp_path)
    options = _options(name)
    want = reportgen.build_report(path, created="2026-11-22", **options).record
    got = reportgen.build_report(path, engine="spark", created="2026-11-22", **options).record
    assert got["stream"]["engine"] == "spark" and got["stream"]["sampled"] is False
    assert differences(want, got) == []


def test_a_folder_of_parts_is_numbered_in_path_order(spark: Any, tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLES["inspection"]["data"], keep_default_na=False, na_values=[""])
    parts = tmp_path / "parts"
    parts.mkdir()
    frame.iloc[:250].to_parquet(parts / "part-0.parquet", index=False)
    frame.iloc[250:].to_parquet(parts / "part-1.parquet", index=False)
    whole = tmp_path / "whole.parquet"
    frame.to_parquet(whole, index=False)
    options: dict[str, Any] = {"image_root": str(EXAMPLES["inspection"]["options"]["image_root"])}
    want = reportgen.build_report(whole, created="2026-11-22", **options).record
    got = reportgen.build_report(parts, engine="spark", created="2026-11-22", **options).record
    # the same rows are shown: row numbers run on from one part to the next
    assert differences(want["samples"], got["samples"]) == []
    assert differences(want["classification"], got["classification"]) == []
    # the dev split's rows, chosen by default over every part
    assert got["provenance"]["input"]["rows"] == (frame["split"] == "dev").sum()
    assert got["provenance"]["evaluation"]["rows_total"] == len(frame)
    assert differences(want["provenance"]["evaluation"], got["provenance"]["evaluation"]) == []
    assert got["provenance"]["input"]["path"] == "parts"


def test_sampled_spark_keeps_counts_exact(spark: Any, tmp_path: Path) -> None:
    path = _parquet("inspection", tmp_path)
    options: dict[str, Any] = {"eval_split": "test", "slices": ["camera"]}
    want = reportgen.build_report(path, **options).record
    got = reportgen.build_report(path, engine="spark", sample_rows=50, **options).record
    assert got["stream"]["sampled"] is True and got["stream"]["rows_in_sample"] == 50
    for key in ("confusion_matrix", "per_class", "accuracy", "macro_avg", "top_confusions"):
        assert differences(want["classification"][key], got["classification"][key]) == []
    assert differences(want["splits"], got["splits"]) == []
    assert got["samples"]["misclassified"] == want["samples"]["misclassified"]
    for key in ("calibration", "slices"):
        assert key not in got["stream"]["from_sample"]
    assert differences(want["calibration"], got["calibration"]) == []
    assert differences(want["slices"]["columns"], got["slices"]["columns"]) == []


def test_bad_cell_in_a_partition_names_the_file_row(spark: Any, tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLES["cancer"]["data"])
    frame.loc[400, "y_pred"] = None
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path, index=False)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["build", str(path), "--engine", "spark", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "column 'y_pred' has 1 empty cell (row 401)" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_spark_refuses_what_it_cannot_do(spark: Any, tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLES["cancer"]["data"])
    with pytest.raises(ReportgenError, match="cannot take a DataFrame"):
        reportgen.build_report(frame, engine="spark")
    with pytest.raises(ReportgenError, match="Spark could not read it as Parquet"):
        reportgen.build_report(EXAMPLES["cancer"]["data"], engine="spark")


def test_without_pyspark_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import builtins

    real = builtins.__import__

    def refuse(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("pyspark"):
            raise ImportError(f"No module named '{name}'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    from reportgen.read.stream.spark import session

    with pytest.raises(ReportgenError, match=r"pip install 'reportgen\[spark\]'"):
        session()
    # the whole build says the same, before it touches any other part of PySpark
    data = tmp_path / "p.parquet"
    pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "a"]}).to_parquet(data)
    with pytest.raises(ReportgenError, match=r"pip install 'reportgen\[spark\]'"):
        reportgen.build_report(data, engine="spark")


def test_spark_step_equals_in_memory(spark: Any, tmp_path: Path) -> None:
    path = _parquet("digits-training", tmp_path)
    options: dict[str, Any] = {"step": "step", "at_step": "5", "steps": ["1", "5", "10"]}
    want = reportgen.build_report(path, created="2026-11-22", **options).record
    got = reportgen.build_report(path, engine="spark", created="2026-11-22", **options).record
    assert got["evolution"]["shown_step"] == "5"
    assert differences(want, got) == []
