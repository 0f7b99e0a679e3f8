"""The config file: discovery, each table applied, command line wins, every mistake refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.config import find_config, read_config
from reportgen.errors import ReportgenError
from tests.conftest import DIGITS, embedded_record

N = 40


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the config is found in the working folder; each test gets its own
    monkeypatch.chdir(tmp_path)
    _small(tmp_path / "preds.csv")
    (tmp_path / "out").mkdir()


def _small(path: Path, *, fixed: int = 0) -> Path:
    """Forty rows whose columns none of the default names find: only a config can name them."""
    guess = ["cat", "cat", "dog", "dog"] * (N // 4)
    for i in range(fixed):  # the candidate of a comparison gets its first errors right
        guess[i] = ["cat", "dog"][i % 2]
    frame = pd.DataFrame(
        {
            "key": [f"r{i:02d}" for i in range(N)],
            "truth": ["cat", "dog"] * (N // 2),
            "guess": guess,
            "group": ["a", "b", "c", "d", "e"] * (N // 5),
        }
    )
    frame.to_csv(path, index=False)
    return path


COLUMNS = '[columns]\ny-true = "truth"\ny-pred = "guess"\nid = "key"\n'


def _write(path: Path | str, text: str) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _build(*args: str) -> Result:
    return _run("build", "preds.csv", "-o", "out/report.html", "--json", "out/report.json", *args)


def _record() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path("out/report.json").read_text(encoding="utf-8"))
    return data


def _message(result: Result) -> str:
    return " ".join(result.stderr.split())


def _assert_refused(result: Result) -> str:
    """Exit 2 from our own handler, one paragraph on stderr, nothing written."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("reportgen: error: "), result.stderr
    assert list(Path("out").iterdir()) == []
    return _message(result)


# ---------------------------------------------------------------- discovery


def test_no_config_anywhere_means_defaults() -> None:
    # without a config the renamed columns are not found: the baseline the others depart from
    message = _assert_refused(_build())
    assert "preds.csv: no predicted-label column found" in message


def test_reportgen_toml_is_found() -> None:
    _write("reportgen.toml", COLUMNS)
    result = _build()
    assert result.exit_code == 0, result.output
    record = _record()
    assert record["provenance"]["columns"]["y_true"] == "truth"
    assert record["provenance"]["columns"]["id"] == "key"
    assert record["provenance"]["config"]["path"] == "reportgen.toml"
    assert record["provenance"]["config"]["table"] is None


def test_reportgen_toml_beats_pyproject() -> None:
    _write("reportgen.toml", COLUMNS + '[build]\ntitle = "from reportgen.toml"\n')
    _write("pyproject.toml", '[tool.reportgen.build]\ntitle = "from pyproject"\n')
    assert find_config(".") == Path("reportgen.toml")
    result = _build()
    assert result.exit_code == 0, result.output
    assert _record()["title"] == "from reportgen.toml"


def test_pyproject_tool_table_is_found() -> None:
    _write(
        "pyproject.toml",
        '[project]\nname = "demo"\n\n[tool.reportgen.columns]\ny-true = "truth"\n'
        'y-pred = "guess"\n\n[tool.reportgen.build]\ntitle = "from pyproject"\n',
    )
    result = _build()
    assert result.exit_code == 0, result.output
    record = _record()
    assert record["title"] == "from pyproject"
    assert record["provenance"]["config"]["path"] == "pyproject.toml"
    assert record["provenance"]["config"]["table"] == "tool.reportgen"
    page = Path("out/report.html").read_text(encoding="utf-8")
    assert "<code>pyproject.toml</code> (table <code>[tool.reportgen]</code>)" in page


def test_pyproject_without_our_table_is_ignored() -> None:
    _write("pyproject.toml", '[project]\nname = "demo"\n\n[tool.black]\nline-length = 100\n')
    assert find_config(".") is None
    result = _build("--y-true", "truth", "--y-pred", "guess")
    assert result.exit_code == 0, result.output
    assert _record()["provenance"]["config"] is None


def test_a_broken_pyproject_is_refused_unless_told_to_ignore_it() -> None:
    # it may hold our gates: ignoring it would drop them (issue 14 item 13)
    _write("pyproject.toml", "[project\nname = ")
    message = _assert_refused(_build("--y-true", "truth", "--y-pred", "guess"))
    assert "pyproject.toml" in message and "line 1" in message and "--no-config" in message
    result = _build("--no-config", "--y-true", "truth", "--y-pred", "guess")
    assert result.exit_code == 0, result.output


def test_only_the_working_folder_is_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write("reportgen.toml", "[nonsense]\n")
    below = tmp_path / "below"
    below.mkdir()
    monkeypatch.chdir(below)
    assert find_config(".") is None


def test_config_option_names_the_file() -> None:
    _write("reportgen.toml", "[broken\n")  # would refuse the build if it were read
    _write("team/settings.toml", COLUMNS + '[build]\ntitle = "team"\n')
    result = _build("--config", "team/settings.toml")
    assert result.exit_code == 0, result.output
    record = _record()
    assert record["title"] == "team"
    assert record["provenance"]["config"]["path"] == "settings.toml"
    # the --config=FILE spelling too
    result = _build("--config=team/settings.toml", "--title", "again")
    assert result.exit_code == 0, result.output
    assert _record()["provenance"]["config"]["path"] == "settings.toml"


def test_no_config_ignores_a_broken_config() -> None:
    _write("reportgen.toml", "[nonsense]\n")
    result = _build("--no-config", "--y-true", "truth", "--y-pred", "guess")
    assert result.exit_code == 0, result.output
    assert _record()["provenance"]["config"] is None


def test_no_config_ignores_a_good_config() -> None:
    _write("reportgen.toml", COLUMNS + "[build]\nmax-samples = 3\n")
    result = _build("--no-config", "--y-true", "truth", "--y-pred", "guess")
    assert result.exit_code == 0, result.output
    record = _record()
    assert record["provenance"]["options"]["max_samples"] == 50
    assert record["provenance"]["columns"]["id"] is None


def test_config_and_no_config_together_are_refused() -> None:
    _write("team.toml", COLUMNS)
    message = _assert_refused(_build("--config", "team.toml", "--no-config"))
    assert "--config" in message and "--no-config" in message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--config", "nope.toml"), "reportgen: error: --config nope.toml: no such file."),
        (("--config", ""), "reportgen: error: --config needs a file name."),
        (("--config", "out"), "reportgen: error: out: cannot read: Is a directory."),
        (("--config", "binary.toml"), "binary.toml: not valid TOML: it is not UTF-8 text (byte 1)"),
    ],
)
def test_config_file_that_cannot_be_read(args: tuple[str, ...], expected: str) -> None:
    _write("reportgen.toml", COLUMNS)  # never a silent fallback to the discovered one
    Path("binary.toml").write_bytes(b"#\xff\xfe\n")
    assert expected in _assert_refused(_build(*args))


def test_config_pointing_at_a_pyproject_without_our_table() -> None:
    _write("other/pyproject.toml", '[project]\nname = "demo"\n')
    message = _assert_refused(_build("--config", "other/pyproject.toml"))
    assert "other/pyproject.toml" in message and "[tool.reportgen]" in message


@pytest.mark.parametrize("command", ["build", "compare", "sample-errors", "email"])
def test_help_works_with_a_broken_config(command: str) -> None:
    _write("reportgen.toml", "[nonsense]\nnot toml at all = = =\n")
    for flag in ("--help", "-h"):
        result = _run(command, flag)
        assert result.exit_code == 0, result.output
        assert "--config" in result.output and "--no-config" in result.output


# ---------------------------------------------------------------- each table applies


def test_columns_apply_to_build_compare_and_sample_errors() -> None:
    _write("reportgen.toml", COLUMNS + "[build]\nslice = ['group']\n[sample-errors]\nn = 4\n")
    _small(Path("candidate.csv"), fixed=8)

    assert _build().exit_code == 0
    assert _record()["provenance"]["columns"]["y_pred"] == "guess"

    result = _run(
        "compare", "preds.csv", "candidate.csv", "-o", "out/c.html", "--json", "out/c.json"
    )
    assert result.exit_code == 0, result.output
    compared = json.loads(Path("out/c.json").read_text(encoding="utf-8"))
    assert [side["columns"]["y_true"] for side in compared["provenance"]["inputs"]] == [
        "truth",
        "truth",
    ]
    assert "fixes 4 errors" in result.stdout  # rows 1 and 2 of each four were wrong

    result = _run("sample-errors", "preds.csv", "-o", "out/review.csv")
    assert result.exit_code == 0, result.output
    sheet = pd.read_csv("out/review.csv", encoding="utf-8-sig")
    assert len(sheet) == 4  # n from [sample-errors]
    assert set(sheet["id"]) <= {f"r{i:02d}" for i in range(N)}  # the id column from [columns]


def test_a_command_table_beats_columns() -> None:
    _write("reportgen.toml", '[columns]\ny-true = "nope"\ny-pred = "guess"\n'
           '[build]\ny-true = "truth"\n')  # fmt: skip
    result = _build()
    assert result.exit_code == 0, result.output
    assert _record()["provenance"]["columns"]["y_true"] == "truth"
    # and compare, without a y-true of its own, takes the one in [columns]
    result = _run("compare", "preds.csv", "preds.csv", "--name-a", "a", "--name-b", "b")
    assert result.exit_code == 2
    assert "preds.csv: no column 'nope' (named with --y-true)" in result.stderr


def test_columns_keys_apply_only_where_the_option_exists() -> None:
    # [columns] slice and columns are build options; sample-errors has neither and still runs
    _write("reportgen.toml", COLUMNS + "slice = ['group']\ncolumns = 'group'\n")
    assert _build().exit_code == 0
    record = _record()
    assert record["provenance"]["columns"]["slices"] == ["group"]
    assert record["provenance"]["columns"]["columns"] == ["group"]
    result = _run("sample-errors", "preds.csv", "-o", "out/review.csv")
    assert result.exit_code == 0, result.output


def test_build_table() -> None:
    _write(
        "reportgen.toml",
        COLUMNS + '[build]\nmax-samples = 3\ntitle = "From the config"\nslice = ["group"]\n'
        'seed = 7\ndropna = true\nmax-bytes = "2MB"\n',
    )
    result = _build()
    assert result.exit_code == 0, result.output
    record = _record()
    assert record["title"] == "From the config"
    assert record["samples"]["misclassified"]["shown"] == 3
    assert record["provenance"]["options"]["max_samples"] == 3
    assert record["provenance"]["options"]["seed"] == 7
    assert record["provenance"]["options"]["dropna"] is True
    assert record["provenance"]["columns"]["slices"] == ["group"]
    assert record["budget"]["max_bytes"] == 2_000_000


def test_snake_case_keys_and_comma_lists() -> None:
    _write("reportgen.toml", '[columns]\ny_true = "truth"\ny_pred = "guess"\n'
           '[build]\nmax_samples = 2\nslice = "group,key"\n')  # fmt: skip
    result = _build()
    assert result.exit_code == 0, result.output
    record = _record()
    assert record["samples"]["misclassified"]["shown"] == 2
    assert record["provenance"]["columns"]["slices"] == ["group", "key"]


def test_command_line_overrides_the_config() -> None:
    _write(
        "reportgen.toml",
        '[columns]\ny-true = "nope"\ny-pred = "guess"\n'
        '[build]\nmax-samples = 3\ntitle = "config title"\nslice = ["key"]\n',
    )
    result = _build("--y-true", "truth", "--max-samples", "5", "--title", "cli", "--slice", "group")
    assert result.exit_code == 0, result.output
    record = _record()
    assert record["title"] == "cli"
    assert record["samples"]["misclassified"]["shown"] == 5
    assert record["provenance"]["columns"]["y_true"] == "truth"
    assert record["provenance"]["columns"]["y_pred"] == "guess"  # the config's, not overridden
    assert record["provenance"]["columns"]["slices"] == ["group"]  # a list is replaced whole


def test_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    # the digits example's first 30 rows and their images, in a data folder beside the config's
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    rows = pd.read_csv(DIGITS).head(30)
    rows.to_csv(data / "digits.csv", index=False)
    for name in rows["image"]:
        shutil.copy(DIGITS.parent / name, data / name)
    _write(
        "conf/reportgen.toml",
        '[build]\nimage-root = "../data"\noutput = "site/digits.html"\njson = "site/digits.json"\n',
    )
    (tmp_path / "conf" / "site").mkdir()
    result = _run("build", "data/digits.csv", "--config", "conf/reportgen.toml")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "conf" / "site" / "digits.html").read_text(encoding="utf-8")
    assert not Path("report.html").exists()
    record = embedded_record(page)
    assert record["provenance"]["options"]["image_root"] == "data"
    shown = [r["image"]["shown"] for r in record["samples"]["misclassified"]["rows"]]
    assert shown and all(shown)
    assert 'class="thumb" src="data:image/png;base64,' in page
    assert (tmp_path / "conf" / "site" / "digits.json").exists()


def test_relative_output_from_the_command_line_stays_relative_to_the_working_folder() -> None:
    _write("conf/reportgen.toml", COLUMNS + '[build]\noutput = "elsewhere.html"\n')
    result = _run("build", "preds.csv", "--config", "conf/reportgen.toml", "-o", "out/here.html")
    assert result.exit_code == 0, result.output
    assert Path("out/here.html").exists() and not Path("conf/elsewhere.html").exists()


def test_email_table_and_compare_table() -> None:
    _write(
        "reportgen.toml",
        COLUMNS + '[compare]\nname-a = "old"\nname-b = "new"\nmax-samples = 2\n'
        '[email]\nto = "team@example.com"\nfrom = "ci@example.com"\noutput = "out/mail.eml"\n',
    )
    _small(Path("candidate.csv"), fixed=8)
    result = _run(
        "compare", "preds.csv", "candidate.csv", "-o", "out/c.html", "--json", "out/c.json"
    )
    assert result.exit_code == 0, result.output
    record = json.loads(Path("out/c.json").read_text(encoding="utf-8"))
    assert record["provenance"]["options"]["names"] == ["old", "new"]
    assert record["provenance"]["options"]["max_samples"] == 2
    result = _run("email", "out/c.html")
    assert result.exit_code == 0, result.output
    message = Path("out/mail.eml").read_text(encoding="utf-8")
    assert "To: team@example.com" in message and "From: ci@example.com" in message


# ---------------------------------------------------------------- provenance


def test_provenance_keeps_the_config_hash() -> None:
    config = _write("reportgen.toml", COLUMNS + "# a comment changes the hash too\n")
    result = _build()
    assert result.exit_code == 0, result.output
    kept = _record()["provenance"]["config"]
    raw = config.read_bytes()
    assert kept == {
        "path": "reportgen.toml",
        "table": None,
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    page = Path("out/report.html").read_text(encoding="utf-8")
    assert embedded_record(page)["provenance"]["config"] == kept
    assert "<dt>Config file</dt><dd><code>reportgen.toml</code>" in page
    assert kept["sha256"] in page
    # and verify recognises the config as one of the inputs
    result = _run("verify", "out/report.html", "--input", "reportgen.toml")
    assert result.exit_code == 0, result.output
    assert "reportgen.toml is the config file it was built from" in result.output


def test_comparison_provenance_shows_the_config() -> None:
    _write("reportgen.toml", COLUMNS)
    _small(Path("candidate.csv"), fixed=4)
    result = _run("compare", "preds.csv", "candidate.csv", "-o", "out/c.html")
    assert result.exit_code == 0, result.output
    page = Path("out/c.html").read_text(encoding="utf-8")
    sha = hashlib.sha256(Path("reportgen.toml").read_bytes()).hexdigest()
    assert embedded_record(page)["provenance"]["config"]["sha256"] == sha
    assert "<dt>Config file</dt><dd><code>reportgen.toml</code>" in page


# ---------------------------------------------------------------- gates


def test_config_gates_fail_with_the_report_written() -> None:
    _write("reportgen.toml", COLUMNS + "[gates]\nfail-under = { accuracy = 0.9 }\n")
    result = _build()
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert Path("out/report.html").exists() and Path("out/report.json").exists()
    assert "reportgen: gate failed: accuracy is 50.0%, under the 90.0% floor" in result.stderr
    gates = _record()["gates"]
    assert gates["passed"] is False
    assert [item["gate"] for item in gates["items"]] == ["accuracy >= 0.9"]


def test_config_gates_passing_exit_0() -> None:
    _write("reportgen.toml", COLUMNS + '[gates]\nfail-over = { error_rate = 0.6, "errors" = 25 }\n')
    result = _build()
    assert result.exit_code == 0, result.output
    assert result.stderr.count("gate passed") == 2


def test_command_line_gate_replaces_its_twin_and_keeps_the_others() -> None:
    _write(
        "reportgen.toml",
        COLUMNS + "[gates]\nfail-under = { accuracy = 0.9, macro_f1 = 0.1 }\n"
        "fail-over = { error_rate = 0.6 }\n",
    )
    result = _build("--fail-under", "accuracy=0.4")
    assert result.exit_code == 0, result.output
    items = {item["gate"]: item for item in _record()["gates"]["items"]}
    assert set(items) == {"accuracy >= 0.4", "macro_f1 >= 0.1", "error_rate <= 0.6"}
    assert all(item["passed"] for item in items.values())
    assert "0.9" not in result.stderr


def test_config_baseline_resolves_against_the_config_folder() -> None:
    Path("conf").mkdir()
    first = _run("build", "preds.csv", "--y-true", "truth", "--y-pred", "guess",
                 "--json", "conf/base.json", "-o", "conf/base.html")  # fmt: skip
    assert first.exit_code == 0, first.output
    _write(
        "conf/reportgen.toml",
        COLUMNS + '[gates]\nbaseline = "base.json"\nmax-drop = { accuracy = 0.01 }\n',
    )
    result = _build("--config", "conf/reportgen.toml")
    assert result.exit_code == 0, result.output
    gates = _record()["gates"]
    assert gates["baseline"]["path"] == "base.json"
    assert gates["items"][0]["kind"] == "max-drop" and gates["items"][0]["passed"]


def _last_record() -> bytes:
    """Write last run's record to out/record.json, as the config's baseline."""
    result = _run("build", "preds.csv", "--no-config", "--y-true", "truth", "--y-pred", "guess",
                  "-o", "out/last.html", "--json", "out/record.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    return Path("out/record.json").read_bytes()


@pytest.mark.parametrize(
    ("config", "args", "named"),
    [
        # the slip this guards against: this run's record goes where the last one's is read
        ('[build]\njson = "out/record.json"\n[gates]\nbaseline = "out/record.json"\n', [],
         "out/record.json is both --json (set in reportgen.toml [build]) and --baseline (set in "
         "reportgen.toml [gates] baseline)"),
        ('[build]\njson = "out/record.json"\n', ["--baseline", "out/record.json"],
         "out/record.json is both --json (set in reportgen.toml [build]) and --baseline"),
        ('[gates]\nbaseline = "out/record.json"\n', ["--json", "out/record.json"],
         "out/record.json is both --json and --baseline (set in reportgen.toml [gates] baseline)"),
        ('[build]\noutput = "out/last.html"\n', ["--baseline", "out/last.html"],
         "out/last.html is both -o (set in reportgen.toml [build]) and --baseline"),
    ],
)  # fmt: skip
def test_a_config_never_overwrites_the_baseline(config: str, args: list[str], named: str) -> None:
    before = _last_record()
    _write("reportgen.toml", COLUMNS + config + ("" if "[gates]" in config else "[gates]\n")
           + "max-drop = { accuracy = 0.01 }\n")  # fmt: skip
    result = _run("build", "preds.csv", *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert _message(result) == (
        f"reportgen: error: {named}: this run would overwrite the record its gates compare "
        "with. Give one of them another file."
    )
    assert Path("out/record.json").read_bytes() == before
    assert sorted(p.name for p in Path("out").iterdir()) == ["last.html", "record.json"]


def test_pyproject_config_never_overwrites_the_baseline() -> None:
    before = _last_record()
    _write(
        "pyproject.toml",
        "[tool.reportgen.columns]\ny-true = 'truth'\ny-pred = 'guess'\n"
        "[tool.reportgen.build]\njson = 'out/record.json'\n"
        "[tool.reportgen.gates]\nbaseline = 'out/record.json'\n",
    )
    result = _run("build", "preds.csv")
    assert result.exit_code == 2, result.output
    assert (
        "out/record.json is both --json (set in pyproject.toml [tool.reportgen.build]) and "
        "--baseline (set in pyproject.toml [tool.reportgen.gates] baseline)" in _message(result)
    )
    assert Path("out/record.json").read_bytes() == before
    # the config's baseline apart from its outputs: the gates run against it
    _write(
        "pyproject.toml",
        "[tool.reportgen.columns]\ny-true = 'truth'\ny-pred = 'guess'\n"
        "[tool.reportgen.build]\njson = 'out/new.json'\n"
        "[tool.reportgen.gates]\nbaseline = 'out/record.json'\n"
        "max-drop = { accuracy = 0 }\n",
    )
    result = _run("build", "preds.csv")
    assert result.exit_code == 0, result.output
    assert Path("out/record.json").read_bytes() == before
    assert "wrote out/new.json: the record (JSON)" in result.stdout


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[colums]\n", ["reportgen.toml [colums]", "unknown table", "did you mean 'columns'"]),
        (
            "[build]\nmax-sample = 3\n",
            [
                "reportgen.toml [build] max-sample",
                "no option --max-sample",
                "did you mean 'max-samples'",
            ],
        ),
        (
            '[columns]\ny_ture = "a"\n',
            ["reportgen.toml [columns] y_ture", "unknown column option", "did you mean 'y-true'"],
        ),
        (
            '[build]\nmax-samples = "many"\n',
            ["reportgen.toml [build] max-samples", "'many'"],
        ),
        ("[build]\nmax-samples = 2.5\n", ["[build] max-samples", "whole number", "2.5"]),
        ("[build]\nmax-samples = true\n", ["[build] max-samples", "whole number"]),
        ("[build]\nmax-samples = -1\n", ["[build] max-samples", "-1"]),
        ('[build]\ndropna = "yes"\n', ["reportgen.toml [build] dropna", "true or false", "'yes'"]),
        ('[build]\ntask = "regresion"\n', ["[build] task", "'regresion'"]),
        ('[build]\ntitle = { text = "x" }\n', ["[build] title", "not a table"]),
        ('[columns]\nsample = ["image", "other"]\n', ["[columns] sample", "one value", "list"]),
        ('[build]\nmax-bytes = "lots"\n', ["reportgen.toml [build] max-bytes", "not a size"]),
        ('[build]\nmax-bytes = "-5MB"\n', ["[build] max-bytes", "negative"]),
        ('[build]\nfail-under = "accuracy=0.9"\n', ["[build] fail-under", "[gates]"]),
        ("[build]\nconfig = 'x.toml'\n", ["[build] config", "no option --config"]),
        ("[email]\nsend = true\n", ["[email] send", "no option --send"]),
        ("build = 3\n", ["reportgen.toml [build]", "should be a table"]),
        ("[build\n", ["reportgen.toml", "not valid TOML", "line 1"]),
        ("[gates]\nfail-under = 0.9\n", ["[gates] fail-under", "table of metric = number"]),
        (
            "[gates]\nfail_under = { accuracy = 0.9 }\n",
            ["[gates] fail_under", "unknown key", "did you mean 'fail-under'"],
        ),
        ("[gates]\nfail-under = { accuracy = true }\n", ["[gates] fail-under", "accuracy"]),
        ('[gates]\nfail-under = { accuracy = "high" }\n', ["[gates] fail-under", "high"]),
        (
            "[gates]\nfail-under = { acuracy = 0.9 }\n",
            ["[gates] fail-under", "acuracy", "accuracy"],
        ),
        ("[gates]\nbaseline = 3\n", ["[gates] baseline", "file path"]),
        ("[gates]\nmax-drop = { accuracy = 0.01 }\n", ["--max-drop", "baseline"]),
    ],
)
def test_config_mistakes_are_refused(text: str, expected: list[str]) -> None:
    if text.startswith("[columns]\n"):
        _write("reportgen.toml", COLUMNS + text.removeprefix("[columns]\n"))
    else:
        _write("reportgen.toml", text + "\n" + COLUMNS)
    message = _assert_refused(_build())
    for part in expected:
        assert part in message, (part, message)


def test_a_mistake_in_another_commands_table_refuses_this_one_too() -> None:
    # a typo anywhere is caught on the first run, not on the day that command runs
    _write("reportgen.toml", COLUMNS + "[sample-errors]\ncount = 4\n")
    message = _assert_refused(_build())
    assert "[sample-errors] count" in message and "'reportgen sample-errors'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[tool]\nreportgen = 3\n", "[tool.reportgen]: should be a table"),
        ("[tool.reportgen]\nbuild = 3\n", "pyproject.toml [tool.reportgen.build]: should be a"),
        (
            "[tool.reportgen.build]\nmax-sample = 3\n",
            "pyproject.toml [tool.reportgen.build] max-sample: 'reportgen build' has no option",
        ),
    ],
)
def test_pyproject_mistakes_name_the_tool_table(text: str, expected: str) -> None:
    _write("pyproject.toml", text)
    message = _assert_refused(_build())
    assert expected in message, message


def test_mistakes_in_other_commands_are_refused_before_any_output() -> None:
    _write("reportgen.toml", COLUMNS + "[build]\nmax-sample = 3\n")
    result = _run("sample-errors", "preds.csv", "-o", "out/review.csv")
    message = _assert_refused(result)
    assert "[build] max-sample" in message
    _small(Path("candidate.csv"), fixed=4)
    message = _assert_refused(_run("compare", "preds.csv", "candidate.csv", "-o", "out/c.html"))
    assert "[build] max-sample" in message


def test_read_config_from_python(tmp_path: Path) -> None:
    path = _write(tmp_path / "reportgen.toml", COLUMNS + '[build]\nimage-root = "imgs"\n')
    config = read_config(path)
    assert config.tables["columns"]["y-true"] == "truth"
    assert config.resolve("imgs") == str(tmp_path / "imgs")
    assert config.resolve("/abs/imgs") == "/abs/imgs"
    assert config.where("build", "image-root") == f"{path} [build] image-root"
    with pytest.raises(ReportgenError, match=r"nope\.toml: no such file"):
        read_config(tmp_path / "nope.toml")
