"""Regenerate docs/report.png, the README's picture of the digits example report.

    python docs/make_screenshot.py            # writes docs/report.png

Needs Debian's chromium and the test extras (playwright, Pillow): pip install -e ".[test]".
"""

from __future__ import annotations

import argparse
import importlib
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH, TOP = 1280, 1000  # the desktop page, its first 1000 px
COLUMN = 1100 + 2 * 20  # the report's readable column (max-width plus padding)
SCALE = 0.75
COLOURS = 96


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "report.png")
    args = parser.parse_args(argv)

    # one source of truth for the example and for how the tests launch Chromium
    sys.path.insert(0, str(ROOT))
    examples = importlib.import_module("tests.example_reports").EXAMPLES
    browser = importlib.import_module("tests.browser")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    import reportgen

    spec = examples["digits"]
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp, "report.html")
        reportgen.build_report(spec["data"], **spec["options"]).save(html)
        with sync_playwright() as p:
            chromium = p.chromium.launch(
                executable_path=str(browser.CHROMIUM), args=browser.CHROMIUM_ARGS
            )
            page = chromium.new_page(
                viewport={"width": WIDTH, "height": TOP},
                color_scheme="light",
                java_script_enabled=False,
                offline=True,
            )
            page.goto(html.as_uri(), wait_until="load")
            left = (WIDTH - COLUMN) // 2
            png = page.screenshot(clip={"x": left, "y": 0, "width": COLUMN, "height": TOP})
            chromium.close()

    image = Image.open(io.BytesIO(png)).convert("RGB")
    size = (round(image.width * SCALE), round(image.height * SCALE))
    image = image.resize(size, Image.Resampling.LANCZOS)
    image = image.quantize(
        colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.output, optimize=True)
    print(f"wrote {args.output} ({size[0]}×{size[1]}, {args.output.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
