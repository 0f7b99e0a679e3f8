"""Data loss: a run never loses a user's file (issue 14, items 1, 2, 3 and "Also decide and say").

1. No output over an input or over another output, in every command, refused before any work
   by the one check every command goes through (`FilesCommand` -> `deliver.check_files`).
2. Outputs on a character device (/dev/null), a FIFO, a symbolic link or '-' (standard
   output): written in place or through the link, never replaced by a regular file.
3. A write that fails (disk full, read-only file system, ...) is an exit-2 message naming the
   file and the error, with no traceback and no temp file, the earlier file untouched; no
   failure but a gate's exits 1.
Also: a failed run names each output left from an earlier run, so no one takes it for new.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.config import COMMAND_TABLES
from reportgen.options import NOT_FROM_CONFIG, PATH_OPTIONS, FilePath

PREDS = "id,y_true,y_pred,image\na,cat,cat,cat.png\nb,dog,cat,dog.png\nc,cat,cat,cat.png\n" + (
    "d,dog,dog,dog.png\n"
)
PLAYBOOK = '[[entry]]\nname = "blurry"\nexperiments = ["sharpen"]\nwhy = "x"\n'
OTHER = "id,y_true,y_pred\na,cat,dog\nb,dog,dog\nc,cat,cat\nd,dog,dog\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report (and its record) to feed extract, email and verify."""
    folder = tmp_path_factory.mktemp("built")
    (folder / "p.csv").write_text(PREDS, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", str(folder / "p.csv"), "-o", str(folder / "r.html"), "--no-config"]
    )
    assert result.exit_code == 0, result.output
    return folder / "r.html"


@pytest.fixture(autouse=True)
def _files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: Path) -> None:
    # paths relative to tmp_path, as a user types them; every input a command may read
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    Path("p.csv").write_text(PREDS, encoding="utf-8")
    Path("q.csv").write_text(OTHER, encoding="utf-8")
    Path("t.csv").write_text("id,buckets\nb,blurry\n", encoding="utf-8")
    Path("pb.toml").write_text(PLAYBOOK, encoding="utf-8")
    Path("c.toml").write_text('[build]\ntitle = "T"\n', encoding="utf-8")
    Path("imgs").mkdir()
    Path("imgs/cat.png").write_bytes(b"\x89PNG not really")
    Path("parts").mkdir()
    Path("parts/part-0.parquet").write_bytes(b"PAR1 not really")
    shutil.copy(built, "r.html")


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _snapshot() -> dict[str, bytes]:
    """Every file below the working folder, with its bytes."""
    return {str(p): p.read_bytes() for p in sorted(Path(".").rglob("*")) if p.is_file()}


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any reading or analysing fail loudly: a refusal must come before all of it."""

    def worked(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the command did work before refusing")

    for target in (
        "reportgen.api.build_report",
        "reportgen.api.compare_reports",
        "reportgen.read.load.load_predictions",
        "reportgen.deliver.archive.read_record",
        "reportgen.deliver.archive.verify",
        "reportgen.deliver.mail.build_message",
    ):
        monkeypatch.setattr(target, worked)


def _refused_before_work(result: Result, before: dict[str, bytes]) -> str:
    """Exit 2, one line on stderr, nothing on stdout, no file changed or added."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("reportgen: error: "), result.stderr
    assert _snapshot() == before
    return lines[0].removeprefix("reportgen: error: ")


# ---------------------------------------------------------------- 1. output over an input

INPUT_CASES = [
    # build: the predictions under every output option
    (["build", "p.csv", "-o", "p.csv"], "p.csv is both -o and PREDICTIONS: this run would "
     "overwrite the predictions."),
    (["build", "p.csv", "-o", "r2.html", "--json", "p.csv"], "p.csv is both --json and "
     "PREDICTIONS"),
    (["build", "p.csv", "-o", "r2.html", "--summary-md", "p.csv"], "p.csv is both --summary-md "
     "and PREDICTIONS"),
    (["build", "p.csv", "-o", "r2.html", "--junit", "p.csv"], "p.csv is both --junit and "
     "PREDICTIONS"),
    (["build", "p.csv", "-o", "r2.html", "--email", "p.csv"], "p.csv is both --email and "
     "PREDICTIONS"),
    (["build", "p.csv", "-o", "r2.html", "--pdf", "p.csv"], "p.csv is both --pdf and "
     "PREDICTIONS"),
    # the same file under other names: './', a symbolic link, a hard link
    (["build", "p.csv", "-o", "./p.csv"], "-o ./p.csv and PREDICTIONS p.csv are one file: "
     "this run would overwrite the predictions."),
    (["build", "p.csv", "-o", "soft.csv"], "-o soft.csv and PREDICTIONS p.csv are one file"),
    (["build", "p.csv", "-o", "hard.csv"], "-o hard.csv and PREDICTIONS p.csv are one file"),
    # every other input of build
    (["build", "p.csv", "--tags", "t.csv", "-o", "t.csv"], "t.csv is both -o and --tags: this "
     "run would overwrite the tag sheet."),
    (["build", "p.csv", "--playbook", "pb.toml", "--json", "pb.toml"], "pb.toml is both --json "
     "and --playbook: this run would overwrite the playbook."),
    (["build", "p.csv", "--config", "c.toml", "-o", "c.toml"], "c.toml is both -o and --config: "
     "this run would overwrite the config file."),
    (["build", "p.csv", "--baseline", "r.html", "--junit", "r.html"], "r.html is both --junit "
     "and --baseline: this run would overwrite the record its gates compare with."),
    (["build", "p.csv", "--image-root", "imgs", "--sample", "image", "-o", "imgs/cat.png"],
     "-o imgs/cat.png is an image below --image-root imgs: this run would overwrite a picture "
     "the report may show."),
    # a folder of Parquet parts (--engine spark reads those): no output over a part
    (["build", "parts", "-o", "parts/part-0.parquet"], "-o parts/part-0.parquet is a file in "
     "PREDICTIONS parts: this run would overwrite the predictions."),
    # compare: both prediction files and the tag sheets
    (["compare", "p.csv", "q.csv", "-o", "p.csv"], "p.csv is both -o and BASELINE: this run "
     "would overwrite the baseline's predictions."),
    (["compare", "p.csv", "q.csv", "--json", "q.csv"], "q.csv is both --json and CANDIDATE: "
     "this run would overwrite the candidate's predictions."),
    (["compare", "p.csv", "p.csv", "-o", "p.csv"], "p.csv is both -o and BASELINE"),
    (["compare", "p.csv", "q.csv", "--tags-a", "t.csv", "--summary-md", "t.csv"], "t.csv is both "
     "--summary-md and --tags-a"),
    (["compare", "p.csv", "q.csv", "--tags-b", "t.csv", "--email", "t.csv"], "t.csv is both "
     "--email and --tags-b"),
    (["compare", "p.csv", "q.csv", "--tags", "t.csv", "-o", "t.csv"], "t.csv is both -o and "
     "--tags"),
    # sample-errors, extract, email
    (["sample-errors", "p.csv", "-o", "p.csv"], "p.csv is both -o and PREDICTIONS: this run "
     "would overwrite the predictions."),
    (["sample-errors", "p.csv", "--config", "c.toml", "-o", "c.toml"], "c.toml is both -o and "
     "--config"),
    (["extract", "r.html", "-o", "r.html"], "r.html is both -o and REPORT: this run would "
     "overwrite the report it reads."),
    (["email", "r.html", "-o", "r.html"], "r.html is both -o and REPORT: this run would "
     "overwrite the report it mails."),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), INPUT_CASES)
def test_no_output_over_an_input(args: list[str], message: str, no_work: None) -> None:
    Path("soft.csv").symlink_to("p.csv")
    os.link("p.csv", "hard.csv")
    before = _snapshot()
    said = _refused_before_work(_run(*args), before)
    assert said.startswith(message), said
    assert said.endswith(("Give one of them another file.", "another name or folder."))
    assert Path("soft.csv").is_symlink()


def test_the_config_file_found_in_the_folder_is_an_input(no_work: None) -> None:
    # reportgen.toml and pyproject.toml are read without being named: still inputs
    Path("reportgen.toml").write_text('[build]\ntitle = "T"\n', encoding="utf-8")
    before = _snapshot()
    said = _refused_before_work(_run("build", "p.csv", "-o", "reportgen.toml"), before)
    assert said.startswith(
        "reportgen.toml is both -o and the config file: this run would overwrite the config file."
    )
    Path("reportgen.toml").unlink()
    Path("pyproject.toml").write_text('[tool.reportgen.build]\ntitle = "T"\n', encoding="utf-8")
    before = _snapshot()
    said = _refused_before_work(_run("sample-errors", "p.csv", "-o", "pyproject.toml"), before)
    assert said.startswith("pyproject.toml is both -o and the config file")
    # an output set in the config names the table that set it
    Path("pyproject.toml").write_text(
        '[tool.reportgen.build]\noutput = "p.csv"\n', encoding="utf-8"
    )
    before = _snapshot()
    said = _refused_before_work(_run("build", "p.csv"), before)
    assert said.startswith(
        "p.csv is both -o (set in pyproject.toml [tool.reportgen.build]) and PREDICTIONS"
    ), said


OUTPUT_CASES = [
    (["build", "p.csv", "-o", "r2.html", "--json", "r2.html"], "r2.html is both -o and --json: "
     "two outputs would be written to the same file. Give one of them another file."),
    (["build", "p.csv", "-o", "r2.html", "--junit", "x.xml", "--email", "x.xml"], "x.xml is both "
     "--junit and --email: two outputs"),
    (["build", "p.csv", "-o", "r2.html", "--summary-md", "./r2.html"], "-o r2.html and "
     "--summary-md ./r2.html are one file: two outputs"),
    (["compare", "p.csv", "q.csv", "-o", "x.html", "--pdf", "x.html"], "x.html is both -o and "
     "--pdf: two outputs"),
    (["build", "p.csv", "-o", "-", "--json", "-"], "-o and --json are both - (standard output): "
     "two outputs would be written to the same file. Give one of them a file."),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), OUTPUT_CASES)
def test_no_output_over_another_output(args: list[str], message: str, no_work: None) -> None:
    before = _snapshot()
    said = _refused_before_work(_run(*args), before)
    assert said.startswith(message), said


def test_the_job_summary_github_reads_is_an_output(no_work: None) -> None:
    # --summary-md appends to $GITHUB_STEP_SUMMARY: neither an input nor the summary itself
    before = _snapshot()
    env = {"GITHUB_STEP_SUMMARY": "p.csv"}
    said = _refused_before_work(
        _run("build", "p.csv", "-o", "r2.html", "--summary-md", "s.md", env=env), before
    )
    assert said.startswith(
        "p.csv is both $GITHUB_STEP_SUMMARY (where --summary-md is appended) and PREDICTIONS"
    )
    env = {"GITHUB_STEP_SUMMARY": "s.md"}
    said = _refused_before_work(
        _run("build", "p.csv", "-o", "r2.html", "--summary-md", "s.md", env=env), before
    )
    assert said.startswith(
        "s.md is both --summary-md and $GITHUB_STEP_SUMMARY (where --summary-md is appended): "
        "two outputs"
    )
    # and its folder is checked before any work, like every output's
    env = {"GITHUB_STEP_SUMMARY": "missing/step.md"}
    said = _refused_before_work(
        _run("build", "p.csv", "-o", "r2.html", "--summary-md", "s.md", env=env), before
    )
    assert said == "missing/step.md: cannot write here: the folder 'missing' does not exist."


def test_outputs_elsewhere_are_fine() -> None:
    # the check refuses only what it should: other files, other images, the image root itself
    result = _run(
        "build", "p.csv", "-o", "imgs/report.html", "--json", "rec.json", "--tags", "t.csv",
        "--playbook", "pb.toml", "--image-root", "imgs", "--sample", "image",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert Path("p.csv").read_text(encoding="utf-8") == PREDS


def test_every_option_that_names_a_file_is_checked() -> None:
    # the guard that keeps a new option from slipping past the one check: every parameter of
    # every command is a FilePath (input, output or the image folder) or is listed here
    not_files = {
        "at_step", "buckets", "columns", "conf", "created", "dropna", "engine", "eval_split",
        "fail_over", "fail_under", "format", "gate", "id", "in_split", "max_bytes",
        "max_cell_bytes", "max_drop",
        "max_samples", "model", "n", "name_a", "name_b", "no_config", "oof", "pos_label",
        "proba_prefix", "report_url", "sample", "sample_rows", "seed", "send", "sender",
        "slice_all", "slices", "smtp_host", "smtp_port", "smtp_user", "split", "split_column",
        "ssl", "starttls", "step", "steps", "stream", "subject", "tag_separators", "task",
        "title", "to", "y_pred", "y_true",
    }  # fmt: skip
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param.type, FilePath):
                # a config resolves the paths it sets against its own folder
                settable = isinstance(param, click.Option) and param.name not in NOT_FROM_CONFIG
                if settable and name in COMMAND_TABLES:
                    assert param.name in PATH_OPTIONS, (name, param.name)
                continue
            assert param.name in not_files, (
                f"'reportgen {name}' {param.name}: is it a file? give it type=OUTPUT, "
                "input_file(...) or IMAGE_FOLDER so the file check sees it"
            )


# ---------------------------------------------------------------- 2. devices, FIFOs, links


def _is_char_device(path: str) -> bool:
    return stat.S_ISCHR(os.stat(path).st_mode)


@pytest.fixture
def devices_guarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a rename onto /dev fail, so that a regression fails here instead of replacing
    /dev/null or /dev/full with a regular file (which, as root, breaks the machine)."""
    replace = os.replace

    def guarded(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if os.path.realpath(os.path.dirname(os.path.abspath(dst))) == "/dev":
            raise AssertionError(f"a device was about to be replaced: {dst}")
        replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", guarded)


@pytest.mark.parametrize(
    "args",
    [
        ["build", "p.csv", "-o", "/dev/null", "--json", "/dev/null", "--junit", "/dev/null"],
        ["sample-errors", "p.csv", "-o", "/dev/null"],
        ["extract", "r.html", "-o", "/dev/null"],
        ["email", "r.html", "-o", "/dev/null"],
    ],
)
def test_dev_null_is_written_not_replaced(args: list[str], devices_guarded: None) -> None:
    result = _run(*args)
    assert result.exit_code == 0, result.output
    assert "wrote /dev/null" in result.stdout
    assert _is_char_device("/dev/null")
    assert sorted(p.name for p in Path(".").iterdir() if p.name.startswith(".")) == []


def test_a_fifo_is_written_in_place() -> None:
    os.mkfifo("pipe")
    got: list[bytes] = []

    def read() -> None:
        with open("pipe", "rb") as fh:  # blocks until the writer opens it, as a shell's would
            got.append(fh.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    result = _run("build", "p.csv", "-o", "pipe")
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert got and got[0].startswith(b"<!DOCTYPE html>") and got[0].rstrip().endswith(b"</html>")
    assert stat.S_ISFIFO(os.stat("pipe").st_mode)
    assert result.stdout.startswith("wrote pipe: ")


def test_a_symbolic_link_is_followed_and_stays_a_link() -> None:
    Path("real").mkdir()
    Path("real/report.html").write_text("old", encoding="utf-8")
    Path("link.html").symlink_to("real/report.html")
    Path("new.json").symlink_to("real/record.json")  # a link to a file not there yet
    result = _run("build", "p.csv", "-o", "link.html", "--json", "new.json")
    assert result.exit_code == 0, result.output
    assert Path("link.html").is_symlink() and os.readlink("link.html") == "real/report.html"
    assert Path("new.json").is_symlink() and os.readlink("new.json") == "real/record.json"
    assert Path("real/report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert Path("real/record.json").read_text(encoding="utf-8").startswith("{")
    # the temp file was made beside the target and renamed: none is left in either folder
    assert sorted(p.name for p in Path("real").iterdir()) == ["record.json", "report.html"]
    # a link and its target are one file, as outputs too
    result = _run("build", "p.csv", "-o", "link.html", "--json", "real/report.html")
    assert result.exit_code == 2
    assert "-o link.html and --json real/report.html are one file" in result.stderr


def test_a_link_into_a_missing_folder_says_where_it_points() -> None:
    Path("link.html").symlink_to("gone/report.html")
    result = _run("build", "p.csv", "-o", "link.html")
    assert result.exit_code == 2
    assert result.stderr == (
        "reportgen: error: link.html: cannot write here: it is a link to 'gone/report.html', "
        "whose folder does not exist.\n"
    )
    assert Path("link.html").is_symlink() and not Path("gone").exists()


def test_a_socket_is_refused() -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind("sock")  # relative: a tmp_path can be longer than a socket address
        before = _snapshot()
        said = _refused_before_work(_run("build", "p.csv", "-o", "sock"), before)
    finally:
        server.close()
    assert said.startswith("sock: is not a regular file; an output may be a file, a new path, ")
    assert stat.S_ISSOCK(os.stat("sock").st_mode)


def test_dash_writes_to_stdout_and_the_file_lines_go_to_stderr() -> None:
    result = _run("build", "p.csv", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>") and result.stdout.endswith("</html>\n")
    assert result.stderr.startswith("wrote standard output: 4 rows")
    assert not Path("-").exists()
    # the record too, with the report in a file; and every command's output
    result = _run("build", "p.csv", "-o", "r2.html", "--json", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{") and "wrote r2.html" in result.stderr
    result = _run("sample-errors", "p.csv", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\ufeffid,") and "wrote standard output" in result.stderr
    result = _run("email", "r.html", "-o", "-")
    assert result.exit_code == 0, result.output
    assert "MIME-Version: 1.0" in result.stdout and "wrote standard output" in result.stderr
    result = _run("extract", "r.html", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{") and "wrote standard output" in result.stderr


def test_dash_with_pdf_is_refused_before_any_work(no_work: None) -> None:
    before = _snapshot()
    said = _refused_before_work(_run("build", "p.csv", "-o", "-", "--pdf", "r.pdf"), before)
    assert said.startswith("--pdf r.pdf: Chromium prints the HTML file, and -o - writes it")


def test_the_email_of_a_report_on_stdout_names_it_report_html() -> None:
    result = _run("build", "p.csv", "-o", "-", "--email", "m.eml")
    assert result.exit_code == 0, result.output
    assert 'filename="report.html"' in Path("m.eml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- 3. a write that fails


def _no_space(*_args: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _temp_files() -> list[str]:
    return sorted(str(p) for p in Path(".").rglob(".*.tmp"))


NO_SPACE = "cannot write it: No space left on device (ENOSPC). Nothing was left half-written; "
NO_SPACE += "free some space, or write the output to another disk."


@pytest.mark.parametrize(
    ("args", "failing"),
    [
        (["build", "p.csv", "-o", "old.html"], "old.html"),
        (["build", "p.csv", "-o", "r2.html", "--json", "old.json"], "old.json"),
        (["compare", "p.csv", "q.csv", "-o", "old.html"], "old.html"),
        (["sample-errors", "p.csv", "-o", "old.csv"], "old.csv"),
        (["extract", "r.html", "-o", "old.json"], "old.json"),
        (["email", "r.html", "-o", "old.eml"], "old.eml"),
    ],
)
def test_disk_full_is_a_message_and_the_old_file_stays(
    args: list[str], failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path(failing).write_text("from an earlier run", encoding="utf-8")
    monkeypatch.setattr("reportgen.deliver.files._write_fd", _no_space)
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"reportgen: error: {failing}: {NO_SPACE}",
        f"reportgen: {failing} was left as it was: it is from an earlier run, not this one.",
    ]
    assert Path(failing).read_text(encoding="utf-8") == "from an earlier run"
    assert _temp_files() == []
    assert not Path("r2.html").exists()  # the JSON is written first, then the page


@pytest.mark.parametrize("failing", ["s.md", "j.xml", "m.eml"])
def test_a_later_output_that_fails_lists_the_earlier_ones(
    failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the rename of one output fails (EIO): the outputs before it are listed as written, the
    # one that failed keeps its old bytes and is named as stale
    Path(failing).write_text("old", encoding="utf-8")
    replace = os.replace

    def flaky(src: str, dst: str | os.PathLike[str]) -> None:
        if Path(dst).name == failing:
            raise OSError(errno.EIO, "Input/output error")
        replace(src, dst)

    monkeypatch.setattr("reportgen.deliver.files.os.replace", flaky)
    result = _run(
        "build", "p.csv", "-o", "r2.html", "--summary-md", "s.md", "--junit", "j.xml",
        "--email", "m.eml",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    order = ["r2.html", "s.md", "j.xml", "m.eml"]
    written = order[: order.index(failing)]
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        f"wrote {name}" for name in written
    ]
    assert result.stderr.splitlines() == [
        f"reportgen: error: {failing}: cannot write it: Input/output error (EIO). Nothing was "
        "left half-written.",
        f"reportgen: {failing} was left as it was: it is from an earlier run, not this one.",
    ]
    assert Path(failing).read_text(encoding="utf-8") == "old"
    assert _temp_files() == []


def test_a_read_only_file_system_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("reportgen.deliver.files.tempfile.mkstemp", read_only)
    result = _run("build", "p.csv", "-o", "r2.html")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "reportgen: error: r2.html: cannot write it: Read-only file system (EROFS). Nothing was "
        "left half-written; write the output to a writable folder.\n"
    )
    assert not Path("r2.html").exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_device_is_a_message(devices_guarded: None) -> None:
    # /dev/full answers every write with ENOSPC: the real error, not a simulated one
    result = _run("build", "p.csv", "-o", "/dev/full")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "reportgen: error: /dev/full: cannot write it: No space left on device (ENOSPC).\n"
    )
    assert _is_char_device("/dev/full")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write any file"
)
def test_a_read_only_output_is_left_alone(no_work: None) -> None:
    # an atomic rename would replace a file its owner made read-only; a shell's '>' would not
    Path("ro.html").write_text("keep", encoding="utf-8")
    Path("ro.html").chmod(0o444)
    before = _snapshot()
    said = _refused_before_work(_run("build", "p.csv", "-o", "ro.html"), before)
    assert said.startswith("ro.html: the file is read-only, so it is left as it is")


def _raises(exc: BaseException) -> Callable[..., Any]:
    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return fail


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (OSError(errno.EIO, "Input/output error", "p.csv"), "p.csv: Input/output error (EIO)."),
        (PermissionError(errno.EACCES, "Permission denied"), "Permission denied (EACCES)."),
        (KeyError("x"), "internal error (KeyError: 'x'). This is a bug in reportgen"),
        (MemoryError(), "ran out of memory."),
    ],
)
def test_no_failure_but_a_gate_exits_1(
    exc: BaseException, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what our code did not expect still ends with a message and exit 2: exit 1 is a gate's
    monkeypatch.setattr("reportgen.api.build_report", _raises(exc))
    result = _run("build", "p.csv", "-o", "r2.html")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr.startswith(f"reportgen: error: {message}"), result.stderr
    assert "Traceback" not in result.output


def test_an_interrupt_is_not_a_failed_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("old.html").write_text("old", encoding="utf-8")
    monkeypatch.setattr("reportgen.api.build_report", _raises(KeyboardInterrupt()))
    result = _run("build", "p.csv", "-o", "old.html")
    assert result.exit_code == 130, result.output
    assert result.stderr.splitlines() == [
        "reportgen: error: interrupted; outputs not yet written were left as they were.",
        "reportgen: old.html was left as it was: it is from an earlier run, not this one.",
    ]


def test_usage_errors_exit_2() -> None:
    assert _run("build", "p.csv", "--no-such-option").exit_code == 2
    assert _run("build").exit_code == 2
    assert _run("nosuchcommand").exit_code == 2


# ---------------------------------------------------------------- a failed run's old outputs


def test_a_failed_build_names_the_outputs_it_left_from_an_earlier_run() -> None:
    first = _run("build", "p.csv", "-o", "out.html", "--json", "out.json")
    assert first.exit_code == 0, first.output
    before = _snapshot()
    result = _run(
        "build", "p.csv", "-o", "out.html", "--json", "out.json", "--junit", "new.xml",
        "--y-true", "nope",
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("reportgen: error: p.csv: ") and "nope" in lines[0]
    assert lines[1:] == [
        "reportgen: out.html was left as it was: it is from an earlier run, not this one.",
        "reportgen: out.json was left as it was: it is from an earlier run, not this one.",
    ]
    assert _snapshot() == before and not Path("new.xml").exists()


def test_no_stale_note_without_an_earlier_file_or_after_a_gate() -> None:
    result = _run("build", "p.csv", "-o", "out.html", "--y-true", "nope")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    # a failed gate writes every output anew: nothing is stale
    Path("out.html").write_text("old", encoding="utf-8")
    result = _run("build", "p.csv", "-o", "out.html", "--fail-under", "accuracy=0.99")
    assert result.exit_code == 1, result.output
    assert "earlier run" not in result.stderr
    assert Path("out.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_library_writer_replaces_a_file_whole() -> None:
    # the library's writer: a new file, and over an old one, atomically
    from reportgen.deliver.files import write_atomic

    write_atomic("x.txt", "one")
    write_atomic("x.txt", "two")
    assert Path("x.txt").read_text(encoding="utf-8") == "two"
    assert _temp_files() == []
