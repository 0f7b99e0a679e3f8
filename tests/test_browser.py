"""Every example report as readers see it: Chromium (no JavaScript, a phone, print), vnu, axe-core.

Needs Debian's chromium, a Java runtime and vnu.jar (see the README's Tests section). Without
them these tests skip locally and fail under CI=true. Pictures and PDFs go to tests/output/NAME/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest

from tests import browser as b
from tests.conftest import ROOT, embedded_record
from tests.example_reports import EXAMPLES, build

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser
NAMES = sorted(EXAMPLES)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def reports() -> dict[str, Path]:
    """Build every example report once, into tests/output/NAME/report.html."""
    paths = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        for name, spec in EXAMPLES.items():
            folder = b.OUTPUT / name
            folder.mkdir(parents=True, exist_ok=True)
            paths[name] = folder / "report.html"
            build(spec).save(paths[name])
    return paths


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Debian Chromium for the session (never a downloaded browser build)."""
    executable = b.chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=b.CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def vnu_messages(reports: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    """Run the Nu HTML Checker once over all example reports; its messages by example name."""
    by_path = {path.resolve(): name for name, path in reports.items()}
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in reports}
    for m in b.run_vnu(list(reports.values())):
        # vnu names files as file:/abs/path, percent-encoded
        path = Path(unquote(str(m.get("url", "")).removeprefix("file:"))).resolve()
        grouped.setdefault(by_path.get(path, "?"), []).append(m)
    return grouped


def record_of(path: Path) -> dict[str, Any]:
    return embedded_record(path.read_text(encoding="utf-8"))


def test_a_missing_tool_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no chromium here"):
        b.unavailable("no chromium here")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no chromium here.*CI=true"):
        b.unavailable("no chromium here")


def test_missing_chromium_or_vnu_names_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(b, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        b.chromium()
    monkeypatch.setenv("VNU_JAR", str(tmp_path / "vnu.jar"))
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/java")
    with pytest.raises(pytest.skip.Exception, match=r"npm install .*vnu-jar@"):
        b.vnu_command()


def test_the_request_guard_catches_what_a_report_must_not_load(chromium: Browser) -> None:
    page = b.OUTPUT / "guard-probe.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(
        '<!DOCTYPE html><html lang="en"><title>probe</title>'
        '<link rel="stylesheet" href="https://example.invalid/a.css">'
        '<img src="http://example.invalid/b.png" alt=""><img src="c.png" alt="">',
        encoding="utf-8",
    )
    with b.visit(chromium, page, java_script_enabled=False, strict=False) as seen:
        assert sorted(seen.requests) == sorted(
            [
                "https://example.invalid/a.css",
                "http://example.invalid/b.png",
                (page.parent / "c.png").as_uri(),
            ]
        )
        assert seen.console_errors


@pytest.mark.parametrize("name", NAMES)
def test_everything_shows_without_javascript(
    name: str, reports: dict[str, Path], chromium: Browser
) -> None:
    record = record_of(reports[name])
    with b.visit(chromium, reports[name], viewport=DESKTOP, java_script_enabled=False) as seen:
        page = seen.page
        for section in record["sections"]:
            assert page.locator(f"#{section}").is_visible(), f"section #{section} is not visible"
            box = page.locator(f"#{section}").bounding_box()
            assert box and box["height"] > 0, f"section #{section} has no height"
        figures = page.locator("figure, figure svg:not(svg svg), figure img")
        assert figures.count() > 0, "no figures"
        for i in range(figures.count()):
            box = figures.nth(i).bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0, f"figure element {i} is empty"
        for card in record["summary"]["headline"]:
            shown = page.locator(f"#card-{card['id']}")
            assert shown.is_visible(), f"headline card {card['id']} is not visible"
            text = shown.inner_text()
            assert card["value"] in text and card["label"].casefold() in text.casefold(), card
        page.screenshot(path=b.OUTPUT / name / "desktop.png", full_page=True)


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_has_a_caption_and_a_text_alternative(
    name: str, reports: dict[str, Path], chromium: Browser
) -> None:
    named = re.compile(r"\w")  # the accessible name the browser computes has some text
    with b.visit(chromium, reports[name], java_script_enabled=False) as seen:
        figures = seen.page.locator("figure")
        assert figures.count() > 0, "no figures"
        for i in range(figures.count()):
            figure = figures.nth(i)
            caption = " ".join(figure.locator("figcaption").all_inner_texts()).strip()
            where = f"figure {i + 1} ({caption[:60]!r})"
            assert caption, f"{where} has no caption"
            pictures = figure.locator("svg:not(svg svg), img").count()
            assert pictures > 0, f"{where} holds no picture"
            assert figure.get_by_role("img", name=named).count() == pictures, (
                f"{where}: a picture has no text alternative (alt, or an svg title / aria-label)"
            )


@pytest.mark.parametrize("javascript", [False, True], ids=["nojs", "js"])
@pytest.mark.parametrize("name", NAMES)
def test_no_network_request_and_no_console_error(
    name: str, javascript: bool, reports: dict[str, Path], chromium: Browser
) -> None:
    with b.visit(
        chromium, reports[name], viewport=DESKTOP, java_script_enabled=javascript, strict=False
    ) as seen:
        # a full-page screenshot lays out and paints everything, lazy content included
        seen.page.screenshot(full_page=True)
        assert seen.requests == [], "the report tried to load other files"
        assert seen.console_errors == [], "the browser logged errors"


@pytest.mark.parametrize("name", NAMES)
def test_a_phone_does_not_scroll_sideways(
    name: str, reports: dict[str, Path], chromium: Browser
) -> None:
    options: dict[str, Any] = {"viewport": PHONE, "is_mobile": True, "has_touch": True}
    with b.visit(chromium, reports[name], java_script_enabled=False, **options) as seen:
        page = seen.page
        page.screenshot(path=b.OUTPUT / name / "phone.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (
            f"the page is {width} px wide at {PHONE['width']} px: "
            f"{page.evaluate(b.OVERFLOWING, PHONE['width'])}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_printed_on_a4_no_figure_is_cut(
    name: str, reports: dict[str, Path], chromium: Browser
) -> None:
    viewport = {"width": int(b.PRINTABLE_WIDTH), "height": int(b.PRINTABLE_HEIGHT)}
    with b.visit(chromium, reports[name], viewport=viewport, java_script_enabled=False) as seen:
        page = seen.page
        page.emulate_media(media="print", color_scheme="light")
        figures = page.evaluate(b.FIGURE_BOXES)
        assert figures, "no figures"
        for fig in figures:
            where = fig["name"]
            assert fig["breakInside"] == "avoid", f"{where} may break across pages"
            assert fig["box"]["height"] <= b.PRINTABLE_HEIGHT, (
                f"{where} is {fig['box']['height']:.0f} px tall; an A4 page holds "
                f"{b.PRINTABLE_HEIGHT:.0f} px"
            )
            for item in [fig, *fig["pictures"]]:
                box = item["box"]
                assert box["left"] >= -0.5 and box["right"] <= b.PRINTABLE_WIDTH + 0.5, (
                    f"{where}: {item.get('name', 'figure')} spans {box['left']:.0f}–"
                    f"{box['right']:.0f} px; an A4 page is {b.PRINTABLE_WIDTH:.0f} px wide"
                )
            assert fig["clipped"] == [], f"{where} is clipped: {fig['clipped']}"
        pdf, m = b.OUTPUT / name / "print.pdf", b.PRINT_MARGIN
        page.pdf(
            path=pdf,
            format="A4",
            print_background=True,
            margin={"top": m, "right": m, "bottom": m, "left": m},
        )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]", data), "not A4"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", NAMES)
def test_axe_finds_no_accessibility_violation(
    name: str, scheme: str, reports: dict[str, Path], chromium: Browser
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    with b.visit(chromium, reports[name], viewport=DESKTOP, color_scheme=scheme) as seen:
        if scheme == "dark":
            seen.page.screenshot(path=b.OUTPUT / name / "dark.png", full_page=True)
        options = {"runOnly": {"type": "tag", "values": b.AXE_TAGS}, "resultTypes": ["violations"]}
        result: dict[str, Any] = Axe().run(seen.page, options=options).response
    assert len(result["passes"]) > 10, "axe-core checked next to nothing"
    for item in result["incomplete"]:
        print(f"axe could not decide {item['id']} on {len(item['nodes'])} elements")
    problems = [
        f"[{v['impact']}] {v['id']}: {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['failureSummary']}" for n in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_the_nu_html_checker_finds_no_error(
    name: str, vnu_messages: dict[str, list[dict[str, Any]]]
) -> None:
    assert "?" not in vnu_messages, f"vnu messages for no known file: {vnu_messages.get('?')}"
    lines = [
        f"{m['type']}{'/' + m['subType'] if 'subType' in m else ''} at line "
        f"{m.get('lastLine', '?')}: {m['message']}"
        for m in vnu_messages[name]
    ]
    for line in lines:
        print(line)
    errors = [line for line in lines if not line.startswith("info")]
    assert errors == [], "\n".join(errors)


def test_the_docs_screenshot_script_works(chromium: Browser) -> None:
    out = b.OUTPUT / "docs-report.png"
    subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_screenshot.py"), "-o", str(out)], check=True
    )
    assert out.read_bytes().startswith(b"\x89PNG")
    assert out.stat().st_size < 150_000
