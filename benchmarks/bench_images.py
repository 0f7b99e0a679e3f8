"""Benchmark measuring pictures (read/image_measure.py) against decoding them once with Pillow.

Usage::

    python benchmarks/bench_images.py [--pictures 10000] [--side 256] [--out-dir benchmarks/data]
                                      [--json-out FILE] [--check]

Generates seeded pictures of side x side pixels, half PNG and half JPEG (quality 90), RGB:
a 16 x 16 grid of random colours enlarged bicubically (smooth shapes) with a little normal
grain, one picture per file under ``<out-dir>/images_v1_n<pictures>_s<side>/`` (reused when
it already holds them all; bump GENERATOR_VERSION if the generator changes).

Then runs fresh child processes, one run each, interleaved by format (PNG, then JPEG, then
all the pictures together), each timing its own work after its imports:

- ``decode``: ``Image.open(path).load()`` for every picture: decoding each one once;
- ``measure``: ``measure_images(root, sources, cache=False)``, with its default threads (one
  per CPU, up to 4);
- ``measure, 1 thread``: the same with ``workers=1``;
- ``first build``: ``measure_images`` with an empty cache folder, which it fills;
- ``rebuild``: ``measure_images`` again with that cache: it checks each file's size and
  mtime and decodes nothing.

Targets (issue 17): measuring takes no longer than decoding once; the rebuild is at least 10x
faster than measuring without the cache. ``--check`` exits 1 when the all-pictures row misses
either.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1
HERE = Path(__file__).resolve().parent


def picture_names(pictures: int) -> list[str]:
    """Half PNG, half JPEG, alternating, so either half is spread over the folder."""
    return [f"p{k:05d}.{'png' if k % 2 == 0 else 'jpg'}" for k in range(pictures)]


def child_generate(folder: str, pictures: str, side: str) -> dict[str, Any]:
    import numpy as np
    from PIL import Image

    root, n, size = Path(folder), int(pictures), int(side)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in picture_names(n):
        grid = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        smooth = np.asarray(Image.fromarray(grid).resize((size, size), Image.Resampling.BICUBIC))
        grain = rng.normal(0.0, 6.0, smooth.shape)
        pixels = np.clip(np.rint(smooth + grain), 0, 255).astype(np.uint8)
        temporary = root / f".{name}.tmp"
        fmt = "PNG" if name.endswith(".png") else "JPEG"
        Image.fromarray(pixels).save(temporary, format=fmt, quality=90)
        os.replace(temporary, root / name)
    return {"generated": n}


def child_decode(folder: str, listing: str) -> dict[str, Any]:
    from PIL import Image

    names = Path(listing).read_text().split("\n")
    start = time.perf_counter()
    for name in names:
        with Image.open(Path(folder) / name) as image:
            image.load()
    return {"seconds": time.perf_counter() - start, "pictures": len(names)}


def child_measure(folder: str, listing: str, cache: str, workers: str) -> dict[str, Any]:
    from reportgen.read.image_measure import measure_images

    names = Path(listing).read_text().split("\n")
    threads = None if workers == "-" else int(workers)
    start = time.perf_counter()
    where = False if cache == "-" else Path(cache)
    got = measure_images(folder, names, cache=where, workers=threads)
    seconds = time.perf_counter() - start
    assert got.measured.all(), got.problems
    return {
        "seconds": seconds,
        "pictures": len(names),
        "from_cache": got.from_cache,
        "measured": got.newly_measured,
    }


CHILDREN = {"generate": child_generate, "decode": child_decode, "measure": child_measure}


def run_child(kind: str, *args: str) -> dict[str, Any]:
    """Run one fresh process; return its own timing and the wall time around it."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench_images: {kind} failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def ensure_pictures(out_dir: Path, pictures: int, side: int) -> Path:
    folder = out_dir / f"images_v{GENERATOR_VERSION}_n{pictures}_s{side}"
    names = picture_names(pictures)
    if not all((folder / n).is_file() for n in names):
        print(f"generating {pictures:,} pictures in {folder} ...", flush=True)
        run_child("generate", str(folder), str(pictures), str(side))
    return folder


def run(folder: Path, pictures: int) -> dict[str, dict[str, Any]]:
    names = picture_names(pictures)
    groups = {
        "PNG": [n for n in names if n.endswith(".png")],
        "JPEG": [n for n in names if n.endswith(".jpg")],
        "all": names,
    }
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_images_") as scratch:
        for group, chosen in groups.items():
            listing = Path(scratch) / f"{group}.txt"
            listing.write_text("\n".join(chosen))
            cache = Path(scratch) / f"cache-{group}"
            row = {
                "decode": run_child("decode", str(folder), str(listing)),
                "measure": run_child("measure", str(folder), str(listing), "-", "-"),
                "measure, 1 thread": run_child("measure", str(folder), str(listing), "-", "1"),
                "first build": run_child("measure", str(folder), str(listing), str(cache), "-"),
                "rebuild": run_child("measure", str(folder), str(listing), str(cache), "-"),
            }
            assert row["rebuild"]["from_cache"] == len(chosen), row["rebuild"]
            shutil.rmtree(cache, ignore_errors=True)
            rows[group] = row
            print_row(group, len(chosen), row)
    return rows


def print_row(group: str, count: int, row: dict[str, dict[str, Any]]) -> None:
    decode, measure, rebuild = (row[k]["seconds"] for k in ("decode", "measure", "rebuild"))
    first, single = row["first build"]["seconds"], row["measure, 1 thread"]["seconds"]
    print(
        f"{group:>5} {count:>6,} pictures: decode {decode:6.2f} s | measure {measure:6.2f} s "
        f"({measure / decode:4.2f}x decode; 1 thread {single:6.2f} s, {single / decode:4.2f}x) "
        f"| first build {first:6.2f} s | rebuild {rebuild:5.2f} s "
        f"({measure / rebuild:5.1f}x faster than measuring)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        print(json.dumps(CHILDREN[args[1]](*args[2:])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=10_000)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--out-dir", type=Path, default=HERE / "data")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args(args)
    folder = ensure_pictures(options.out_dir, options.pictures, options.side)
    rows = run(folder, options.pictures)
    if options.json_out is not None:
        options.json_out.write_text(json.dumps(rows, indent=2) + "\n")
    every = rows["all"]
    measure = every["measure"]["seconds"]
    met = measure <= every["decode"]["seconds"] and measure >= 10 * every["rebuild"]["seconds"]
    return 0 if met or not options.check else 1


if __name__ == "__main__":
    sys.exit(main())
