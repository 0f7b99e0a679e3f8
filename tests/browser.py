"""Helpers for checking reports as readers see them: Chromium via Playwright, vnu and axe-core."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Route

OUTPUT = ROOT / "tests" / "output"
CHROMIUM = Path("/usr/bin/chromium")
# We run as root (no sandbox) and offline: without these flags Chromium keeps trying to reach
# Google's services in the background and logs the refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VNU_VERSION = "26.9.27"
VNU_IN_PACKAGE = Path("node_modules", "vnu-jar", "build", "dist", "vnu.jar")
VNU_PLACES = (
    ROOT / ".ci" / "vnu" / VNU_IN_PACKAGE,
    Path.home() / ".cache" / "reportgen-vnu" / VNU_IN_PACKAGE,
)
VNU_INSTALL = f"npm install --no-save --ignore-scripts --prefix .ci/vnu vnu-jar@{VNU_VERSION}"

# A4 at 96 CSS px per inch, less Chromium's default 1 cm print margins on every side.
PX_PER_MM = 96 / 25.4
PRINT_MARGIN = "1cm"
PRINTABLE_WIDTH = (210 - 20) * PX_PER_MM
PRINTABLE_HEIGHT = (297 - 20) * PX_PER_MM
# WCAG 2.0/2.1 level A and AA, and axe-core's best practices (heading order, landmarks...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def unavailable(reason: str) -> NoReturn:
    """Skip a check whose tool is missing; under CI=true fail instead, so CI always runs it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def chromium() -> Path:
    """Return Debian's Chromium, or skip (fail under CI) when it is not installed."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: install Debian's browser (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("playwright is missing: pip install -e '.[test]'")
    return CHROMIUM


def vnu_command() -> list[str]:
    """Return the command that runs the Nu HTML Checker, or skip (fail under CI)."""
    java = shutil.which("java")
    if java is None:
        unavailable("java is missing: the Nu HTML Checker needs a Java runtime (17 or later)")
    env_jar = os.environ.get("VNU_JAR")
    candidates = [Path(env_jar)] if env_jar else list(VNU_PLACES)
    for jar in candidates:
        if jar.is_file():
            return [java, "-jar", str(jar)]
    unavailable(
        f"vnu.jar not found (looked in {', '.join(map(str, candidates))}): "
        f"run `{VNU_INSTALL}` or set VNU_JAR"
    )


def run_vnu(paths: list[Path]) -> list[dict[str, Any]]:
    """Check HTML files (and their inline SVG) with vnu; return its messages."""
    proc = subprocess.run(
        [*vnu_command(), "--also-check-svg", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # vnu writes its JSON to stderr and exits 1 when it found errors
    try:
        messages: list[dict[str, Any]] = json.loads(proc.stderr)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"vnu gave no JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return messages


@dataclass
class Visit:
    """An open report page and everything it tried that it should not have."""

    page: Page
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@contextmanager
def visit(browser: Browser, path: Path, *, strict: bool = True, **context: Any) -> Iterator[Visit]:
    """Open a report file in a fresh offline context that records and blocks any other request.

    With strict, leaving the block also asserts that the page requested nothing and logged no
    error, so every check doubles as a self-containment check.
    """
    url = path.resolve().as_uri()
    ctx = browser.new_context(offline=True, **context)
    ctx.set_default_timeout(5_000)  # the page is static: anything missing is missing for good
    try:
        page = ctx.new_page()
        seen = Visit(page)

        def guard(route: Route) -> None:
            if route.request.url == url:
                route.continue_()
            else:
                seen.requests.append(route.request.url)
                route.abort()

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                seen.console_errors.append(message.text)

        ctx.route("**/*", guard)
        page.on("console", console)
        page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
        page.goto(url, wait_until="load")
        yield seen
        if strict:
            assert seen.requests == [], f"{path.name} tried to load other files"
            assert seen.console_errors == [], f"{path.name}: the browser logged errors"
    finally:
        ctx.close()


# Elements whose right edge sticks out of the viewport without a scrolling ancestor to hold them.
OVERFLOWING = """(width) => {
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const held = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !held(el))
    .slice(0, 10)
    .map((el) => `${name(el)} ends at ${Math.round(el.getBoundingClientRect().right)} px`);
}"""

# Every figure and the pictures in it: their boxes, which ancestors clip them, how they break.
FIGURE_BOXES = """() => {
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height};
  };
  return [...document.querySelectorAll("figure")].map((fig, i) => {
    const pictures = [...fig.querySelectorAll("svg, img")]
      .filter((p) => !p.parentElement.closest("svg"));
    const clipped = [];
    for (const p of pictures) {
      const r = p.getBoundingClientRect();
      for (let a = p.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX === "visible") continue;
        const c = a.getBoundingClientRect();
        if (r.left < c.left - 0.5 || r.right > c.right + 0.5) {
          clipped.push(`${name(p)} by ${name(a)}`);
        }
      }
    }
    return {
      name: `figure ${i + 1} in #${fig.closest("section")?.id}`,
      box: box(fig),
      pictures: pictures.map((p) => ({name: name(p), box: box(p)})),
      clipped,
      breakInside: getComputedStyle(fig).breakInside,
    };
  });
}"""
