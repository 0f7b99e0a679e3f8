"""PDF output: headless Chromium prints the report; clear errors and no partial file otherwise."""

from __future__ import annotations

import os
import re
import stat
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import reportgen
from reportgen.deliver.pdf import find_chromium, write_pdf
from reportgen.errors import ReportgenError
from tests import browser as b
from tests.conftest import DIGITS

# Page objects, not the /Pages tree nodes.
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build one small report (the digits example, no images) to print."""
    path = tmp_path_factory.mktemp("pdf") / "report.html"
    reportgen.build_report(DIGITS, title="Digits for print").save(path)
    return path


@pytest.fixture
def no_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave no browser to find: an empty PATH and no REPORTGEN_CHROMIUM."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("REPORTGEN_CHROMIUM", raising=False)


def fake_browser(folder: Path, name: str, body: str) -> Path:
    """Write an executable Python script that stands in for Chromium."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def leftovers(folder: Path, *keep: str) -> list[str]:
    """List the files in folder other than the expected ones (temp files left behind)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def real_chromium() -> str:
    """Return the installed Chromium, or skip (fail under CI=true) when there is none."""
    found = find_chromium()
    if found is None:
        b.unavailable("no Chromium to print with: apt install chromium, or set REPORTGEN_CHROMIUM")
    return found


def test_chromium_prints_the_report_to_a_multi_page_pdf(report: Path, tmp_path: Path) -> None:
    chromium = real_chromium()
    target = tmp_path / "report.pdf"
    write_pdf(report, target, chromium=chromium)
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(PAGE_OBJECT.findall(data))
    assert pages > 1, f"expected sections on pages of their own, got {pages} page(s)"
    assert leftovers(tmp_path, "report.pdf") == [], "a temporary file was left behind"


def test_finds_the_browser_on_path_when_not_told(report: Path, tmp_path: Path) -> None:
    real_chromium()
    target = tmp_path / "out.pdf"
    write_pdf(report, target)
    assert target.read_bytes().startswith(b"%PDF-")


def test_without_a_browser_the_message_says_how_to_get_one(
    report: Path, tmp_path: Path, no_browser: None
) -> None:
    assert find_chromium() is None
    target = tmp_path / "report.pdf"
    with pytest.raises(ReportgenError) as err:
        write_pdf(report, target)
    message = err.value.message
    for part in (
        "Chromium is needed for --pdf",
        "apt install chromium",
        "brew install --cask chromium",
        "REPORTGEN_CHROMIUM",
        "The HTML report was written",
        "Save as PDF",
    ):
        assert part in message
    assert str(report) in message
    assert err.value.exit_code == 2
    assert not target.exists()
    assert leftovers(tmp_path, "empty-bin") == []


def test_a_failing_browser_leaves_no_pdf_and_shows_its_messages(
    report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_browser(
        tmp_path / "bin",
        "broken-chrome",
        'print("[0101/000000:ERROR] cannot open the display", file=sys.stderr)\nsys.exit(1)',
    )
    monkeypatch.setenv("REPORTGEN_CHROMIUM", str(script))
    target = tmp_path / "report.pdf"
    with pytest.raises(ReportgenError) as err:
        write_pdf(report, target)
    message = err.value.message
    assert "exited with code 1" in message
    assert "cannot open the display" in message
    assert str(script) in message
    assert not target.exists()
    assert leftovers(tmp_path, "bin") == []


def test_a_browser_that_writes_no_pdf_is_an_error_and_the_old_file_stays(
    report: Path, tmp_path: Path
) -> None:
    script = fake_browser(tmp_path / "bin", "silent-chrome", "sys.exit(0)")
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF-1.4 the previous report")
    with pytest.raises(ReportgenError, match="wrote no PDF"):
        write_pdf(report, target, chromium=str(script))
    assert target.read_bytes() == b"%PDF-1.4 the previous report"
    assert leftovers(tmp_path, "bin", "report.pdf") == []


def test_a_hanging_browser_is_stopped_with_its_helpers(report: Path, tmp_path: Path) -> None:
    # The helper inherits stderr: unless it is killed too, reading stderr waits for it.
    script = fake_browser(
        tmp_path / "bin",
        "hanging-chrome",
        "import subprocess\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print('still loading', file=sys.stderr, flush=True)\n"
        "time.sleep(60)",
    )
    target = tmp_path / "report.pdf"
    started = time.monotonic()
    with pytest.raises(
        ReportgenError, match=r"did not finish printing .* within 1 s(?s:.*)still loading"
    ):
        write_pdf(report, target, chromium=str(script), timeout=1)
    assert time.monotonic() - started < 20
    assert not target.exists()
    assert leftovers(tmp_path, "bin") == []


def test_the_command_is_headless_offline_and_sandboxed_unless_root(
    report: Path, tmp_path: Path
) -> None:
    args_file = tmp_path / "args.txt"
    script = fake_browser(
        tmp_path / "bin",
        "recording-chrome",
        f"open({str(args_file)!r}, 'w').write('\\n'.join(sys.argv[1:]))\n"
        "out = next(a for a in sys.argv if a.startswith('--print-to-pdf='))\n"
        "open(out.split('=', 1)[1], 'wb').write(b'%PDF-1.4 fake')",
    )
    target = tmp_path / "report.pdf"
    write_pdf(report, target, chromium=str(script))
    assert target.read_bytes() == b"%PDF-1.4 fake"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    args = args_file.read_text(encoding="utf-8").splitlines()
    for flag in ("--headless", "--disable-gpu", "--no-pdf-header-footer"):
        assert flag in args
    assert "--disable-background-networking" in args
    assert ("--no-sandbox" in args) == (os.geteuid() == 0)
    assert args[-1] == report.resolve().as_uri()
    printed_to = next(a for a in args if a.startswith("--print-to-pdf=")).split("=", 1)[1]
    # printed into a folder of its own, then written by the writer every output shares
    assert not Path(printed_to).parent.exists(), "Chromium's folder was left behind"
    assert Path(printed_to) != target.resolve(), "not written to a temporary file first"
    profile = next(a for a in args if a.startswith("--user-data-dir=")).split("=", 1)[1]
    assert not Path(profile).exists(), "the temporary browser profile was not removed"
    assert leftovers(tmp_path, "bin", "args.txt", "report.pdf") == []


def test_find_chromium_prefers_the_variable_then_the_order_of_names(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    for name in ("chrome", "google-chrome", "chromium-browser"):
        fake_browser(bin_dir, name, "sys.exit(0)")
    assert find_chromium({"PATH": str(bin_dir)}) == str(bin_dir / "chromium-browser")
    mine = fake_browser(tmp_path / "mine", "my-chromium", "sys.exit(0)")
    environ = {"PATH": str(bin_dir), "REPORTGEN_CHROMIUM": str(mine)}
    assert find_chromium(environ) == str(mine)
    assert find_chromium({"PATH": str(tmp_path / "nowhere")}) is None


def test_a_variable_naming_no_browser_is_an_error(tmp_path: Path) -> None:
    environ = {"PATH": str(tmp_path), "REPORTGEN_CHROMIUM": str(tmp_path / "no-such-chrome")}
    with pytest.raises(ReportgenError, match=r"REPORTGEN_CHROMIUM is set to .*no-such-chrome"):
        find_chromium(environ)


def test_a_missing_report_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReportgenError, match="no such report"):
        write_pdf(tmp_path / "missing.html", tmp_path / "out.pdf", chromium="/bin/false")
    assert leftovers(tmp_path) == []


def test_a_missing_output_folder_is_an_error(report: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportgenError, match="does not exist"):
        write_pdf(report, tmp_path / "nope" / "out.pdf", chromium="/bin/false")


# What print media makes of the page, read back from Chromium's computed styles.
PRINT_STYLES = """() => {
  const all = (sel, prop) => [...new Set([...document.querySelectorAll(sel)]
    .map((el) => getComputedStyle(el)[prop]))];
  const folded = [...document.querySelectorAll("details:not([open]) table")];
  return {
    thead: all("thead", "display"),
    theadPosition: all("thead th", "position"),
    figure: all("figure", "breakInside"),
    row: all("tr", "breakInside"),
    wrap: all(".table-wrap", "overflowX"),
    heading: all("h2, h3", "breakAfter"),
    section: all("section:not(#summary)", "breakBefore"),
    background: getComputedStyle(document.body).backgroundColor,
    text: getComputedStyle(document.body).color,
    details: folded.length,
    hidden: folded.filter((t) => t.getBoundingClientRect().height === 0).length,
  };
}"""


def print_styles(executable: Path, report: Path) -> dict[str, Any]:
    """Open the report as a dark-scheme reader would print it; return PRINT_STYLES."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=b.CHROMIUM_ARGS)
        try:
            with b.visit(browser, report, java_script_enabled=False, color_scheme="dark") as seen:
                seen.page.emulate_media(media="print", color_scheme="dark")
                styles: dict[str, Any] = seen.page.evaluate(PRINT_STYLES)
        finally:
            browser.close()
    return styles


@pytest.mark.browser
def test_print_media_repeats_table_headers_and_keeps_figures_whole(report: Path) -> None:
    executable = b.chromium()
    # Playwright's sync API refuses to start in a thread whose event loop is already running,
    # which test_browser.py's session-wide browser leaves behind: use a thread of our own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        styles = pool.submit(print_styles, executable, report).result()
    assert styles["thead"] == ["table-header-group"]
    assert styles["theadPosition"] == ["static"], "sticky headers in print"
    assert styles["figure"] == ["avoid"]
    assert styles["row"] == ["avoid"]
    assert styles["wrap"] == ["visible"], "a scrolling box would cut the table on paper"
    assert styles["heading"] == ["avoid"]
    assert styles["section"] == ["page"]
    assert styles["background"] == "rgb(255, 255, 255)", "a dark scheme printed dark"
    assert styles["text"] == "rgb(0, 0, 0)"
    assert styles["details"] > 0, "the report has no folded table to check"
    assert styles["hidden"] == 0, "a table inside a closed <details> does not print"
