"""Benchmark the detection report against pycocotools' evaluate() + accumulate() (issue 16, Scale).

Usage::

    python benchmarks/bench_detection.py [--images 5000] [--repeat 3] [--out-dir benchmarks/data]
                                         [--sides {both,pycocotools,reportgen}] [--verify]
                                         [--json-out FILE] [--check]

Generates (once, reused by file name) a seeded COCO-val-sized pair: ``instances.json`` (COCO
ground truth) and ``results.json`` (a COCO results list), described in benchmarks/README.md,
"Detection". Then, in every repetition and interleaved, it runs two fresh child processes:

- ``pycocotools``: ``COCO(instances)``, ``loadRes(results)``, ``COCOeval(..., "bbox")``,
  ``evaluate()``, ``accumulate()``, ``summarize()``, each phase timed inside the child; the
  issue's reference is evaluate + accumulate alone;
- ``reportgen``: ``python -m reportgen build results.json --ground-truth instances.json -o
  out.html`` with ``PYTHONPATH`` set to this repository, timed from process start to exit.

Wall time of a child is measured here around it (start-up and imports included); peak RSS is
that child's own, from ``os.wait4``. Targets: reportgen's whole process takes at most
pycocotools' evaluate + accumulate (median over the runs), with peak RSS under 2 GiB.
``--verify`` instead checks that ``reportgen.analysis.detection.coco_metrics`` and pycocotools
agree on the generated files (twelve summary numbers and per-class AP, to 1e-6).

As in bench_build.py, this parent imports only the standard library and generates the data in
a child: Linux copies the parent's RSS high-water mark into a child at exec.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_detection_data import (  # beside this file
    BACKGROUND_PER_IMAGE,
    GENERATOR_VERSION,
    SEED,
    generate,
)

TIME_RATIO_TARGET = 1.0  # reportgen whole process / pycocotools evaluate + accumulate
MB = 1024 * 1024
RSS_TARGET = 2048 * MB  # the "under 2 GB"
VERIFY_TOLERANCE = 1e-6
DEFAULT_OUT_DIR = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parent.parent
SIDES = ("pycocotools", "reportgen")


def data_paths(out_dir: Path, images: int, background: float) -> tuple[Path, Path]:
    dense = "" if background == BACKGROUND_PER_IMAGE else f"_b{background:g}"
    stem = f"detection_v{GENERATOR_VERSION}_i{images}{dense}_seed{SEED}"
    return out_dir / f"{stem}_instances.json", out_dir / f"{stem}_results.json"


# --------------------------------------------------------------------------- children


def quiet_cocoeval(instances: Path, results: Path) -> tuple[Any, dict[str, float]]:
    """pycocotools from the files to summarize(), its printing swallowed, each phase timed."""
    import contextlib
    import io

    from pycocotools.coco import COCO  # type: ignore[import-untyped]
    from pycocotools.cocoeval import COCOeval  # type: ignore[import-untyped]

    phases: dict[str, float] = {}
    start = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal start
        now = time.perf_counter()
        phases[name] = now - start
        start = now

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(instances))
        lap("load_s")
        dt = gt.loadRes(str(results))
        lap("load_res_s")
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        lap("evaluate_s")
        ev.accumulate()
        lap("accumulate_s")
        ev.summarize()
        lap("summarize_s")
    return ev, phases


def child_pycocotools(instances: Path, results: Path) -> dict[str, Any]:
    ev, phases = quiet_cocoeval(instances, results)
    return {**phases, "stats": [float(v) for v in ev.stats]}


def child_verify(instances: Path, results: Path) -> dict[str, Any]:
    """reportgen's coco_metrics against pycocotools on the files: the largest differences."""
    import numpy as np

    from reportgen.analysis.detection import Detections, GroundTruth, coco_metrics

    ev, phases = quiet_cocoeval(instances, results)
    start = time.perf_counter()
    doc, res = json.loads(instances.read_text()), json.loads(results.read_text())
    anns = doc["annotations"]
    gt = GroundTruth.of(
        [a["image_id"] for a in anns],
        [a["category_id"] for a in anns],
        np.array([a["bbox"] for a in anns], dtype=float).reshape(-1, 4),
        [a["iscrowd"] for a in anns],
        [a["area"] for a in anns],
        categories=tuple(c["id"] for c in doc["categories"]),
    )
    dt = Detections.of(
        [r["image_id"] for r in res],
        [r["category_id"] for r in res],
        np.array([r["bbox"] for r in res], dtype=float).reshape(-1, 4),
        [r["score"] for r in res],
    )
    read_s = time.perf_counter() - start
    metrics = coco_metrics(gt, dt)
    metrics_s = time.perf_counter() - start - read_s
    # COCOeval's per-class AP: precision at area all, maxDets 100, over entries > -1
    precision = ev.eval["precision"][:, :, :, 0, 2]
    class_diff = 0.0
    for k, cls in enumerate(metrics.per_class):
        valid = precision[:, :, k][precision[:, :, k] > -1]
        ours = -1.0 if cls.ap is None else cls.ap
        class_diff = max(class_diff, abs(ours - (float(valid.mean()) if valid.size else -1.0)))
    stats_diff = float(np.max(np.abs(np.array(metrics.stats) - ev.stats)))
    return {
        "pycocotools_stats": [float(v) for v in ev.stats],
        "reportgen_stats": list(metrics.stats),
        "max_stats_diff": stats_diff,
        "max_class_ap_diff": class_diff,
        "pycocotools_evaluate_accumulate_s": phases["evaluate_s"] + phases["accumulate_s"],
        "reportgen_read_s": read_s,
        "reportgen_coco_metrics_s": metrics_s,
    }


# --------------------------------------------------------------------------- running


def run_child(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Run one process; return wall seconds, its own peak RSS in bytes and its stdout."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's rusage, not all children's
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if code != 0:
        sys.exit(f"bench_detection: command failed ({code}): {' '.join(cmd)}\n{stderr}")
    rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)  # Linux reports KiB
    return seconds, rss, stdout


def child_cmd(kind: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]


def measure(side: str, instances: Path, results: Path, work: Path) -> dict[str, Any]:
    if side == "pycocotools":
        cmd = child_cmd("pycocotools", str(instances), str(results))
    else:
        html = work / "report_detection.html"
        cmd = [
            sys.executable,
            "-m",
            "reportgen",
            "build",
            str(results),
            "--ground-truth",
            str(instances),
            "-o",
            str(html),
        ]
    seconds, rss, stdout = run_child(cmd, REPO)
    output = json.loads(stdout) if side == "pycocotools" else {"html_bytes": html.stat().st_size}
    return {"side": side, "seconds": seconds, "peak_rss_bytes": rss, "output": output}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of wall time (and of pycocotools' phases), the largest peak RSS, the ratios."""
    summary: dict[str, Any] = {}
    for side in SIDES:
        mine = [r for r in runs if r["side"] == side]
        if not mine:
            continue
        summary[side] = {
            "seconds": statistics.median(r["seconds"] for r in mine),
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in mine),
        }
        if side == "pycocotools":
            for phase in ("load_s", "load_res_s", "evaluate_s", "accumulate_s", "summarize_s"):
                summary[side][phase] = statistics.median(r["output"][phase] for r in mine)
            summary[side]["evaluate_accumulate_s"] = statistics.median(
                r["output"]["evaluate_s"] + r["output"]["accumulate_s"] for r in mine
            )
    if "reportgen" in summary:
        rss = summary["reportgen"]["peak_rss_bytes"]
        summary["rss_met"] = rss < RSS_TARGET
        if "pycocotools" in summary:
            ratio = (
                summary["reportgen"]["seconds"] / summary["pycocotools"]["evaluate_accumulate_s"]
            )
            summary["time_ratio"] = ratio
            summary["time_ratio_whole"] = (
                summary["reportgen"]["seconds"] / summary["pycocotools"]["seconds"]
            )
            summary["time_met"] = ratio <= TIME_RATIO_TARGET
    return summary


def print_table(summary: dict[str, Any], info: dict[str, Any], repeat: int) -> None:
    print(
        f"\nDetection: {info['images']:,} images, {info['boxes']:,} boxes "
        f"({info['crowd']} crowd), {info['detections']:,} detections; "
        f"median of {repeat} run(s), max peak RSS (MB = MiB)"
    )
    print(f"{'measure':<44}{'seconds':>9}{'peak RSS MB':>13}")
    py, rg = summary.get("pycocotools"), summary.get("reportgen")
    if py is not None:
        print(f"{'pycocotools evaluate() + accumulate()':<44}{py['evaluate_accumulate_s']:9.2f}")
        print(
            f"{'pycocotools whole process':<44}{py['seconds']:9.2f}"
            f"{py['peak_rss_bytes'] / MB:13.0f}"
        )
        phases = ", ".join(
            f"{name[:-2].replace('_', ' ')} {py[name]:.2f}"
            for name in ("load_s", "load_res_s", "evaluate_s", "accumulate_s", "summarize_s")
        )
        print(f"  (in-process phases, s: {phases})")
    if rg is not None:
        print(
            f"{'reportgen build, whole process':<44}{rg['seconds']:9.2f}"
            f"{rg['peak_rss_bytes'] / MB:13.0f}"
        )
        verdict = "met" if summary["rss_met"] else "MISSED"
        print(
            f"peak RSS {rg['peak_rss_bytes'] / MB:,.0f} MB (target < {RSS_TARGET / MB:,.0f}): "
            f"{verdict}"
        )
    if "time_ratio" in summary:
        verdict = "met" if summary["time_met"] else "MISSED"
        print(
            f"reportgen whole / pycocotools evaluate+accumulate: {summary['time_ratio']:.2f} "
            f"(target <= {TIME_RATIO_TARGET:.2f}): {verdict}; "
            f"/ pycocotools whole process: {summary['time_ratio_whole']:.2f}"
        )


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--images", type=int, default=5000, help="images to generate")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side")
    parser.add_argument(
        "--background",
        type=float,
        default=BACKGROUND_PER_IMAGE,
        help="mean low-scored background boxes an image (default %(default)s; about 90 fills "
        "most images to the 100-detection cap, as a detector run at a 0.001 threshold does)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="where the generated data and the report go (gitignored)",
    )
    parser.add_argument(
        "--sides",
        choices=(*SIDES, "both"),
        default="both",
        help="which processes to time (default: both)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="only check coco_metrics against pycocotools on the generated files (exit 1 if "
        f"they differ by more than {VERIFY_TOLERANCE:g})",
    )
    parser.add_argument("--json-out", type=Path, default=None, help="dump measurements here")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--child", choices=("generate", "pycocotools", "verify"), help=argparse.SUPPRESS
    )
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is None and (args.images < 1 or args.repeat < 1):
        parser.error("need --images >= 1 and --repeat >= 1")
    return args


def ensure_data(out_dir: Path, images: int, background: float) -> tuple[Path, Path, dict[str, Any]]:
    """Generate the pair in a child unless it exists; what it holds, from a side file."""
    instances, results = data_paths(out_dir, images, background)
    about = instances.with_name(instances.name.replace("_instances.json", "_about.json"))
    if instances.exists() and results.exists() and about.exists():
        print(f"reusing {instances} and {results}", file=sys.stderr)
        return instances, results, json.loads(about.read_text())
    print(f"generating {images:,} images of boxes in {out_dir} ...", file=sys.stderr)
    cmd = child_cmd("generate", str(instances), str(results), str(images), f"{background:g}")
    _, _, stdout = run_child(cmd, REPO)
    about.write_text(stdout)
    info: dict[str, Any] = json.loads(stdout)
    print("  " + ", ".join(f"{k} {v:,}" for k, v in info.items()), file=sys.stderr)
    return instances, results, info


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        instances, results = Path(args.child_args[0]), Path(args.child_args[1])
        if args.child == "generate":
            made = generate(instances, results, int(args.child_args[2]), float(args.child_args[3]))
            print(json.dumps(made))
        else:
            child = child_pycocotools if args.child == "pycocotools" else child_verify
            print(json.dumps(child(instances, results)))
        return 0

    out_dir: Path = args.out_dir.resolve()
    instances, results, info = ensure_data(out_dir, args.images, args.background)
    if args.verify:
        _, _, stdout = run_child(child_cmd("verify", str(instances), str(results)), REPO)
        found = json.loads(stdout)
        print(json.dumps(found, indent=2))
        agree = max(found["max_stats_diff"], found["max_class_ap_diff"]) <= VERIFY_TOLERANCE
        print(f"coco_metrics {'agrees' if agree else 'DISAGREES'} with pycocotools")
        return 0 if agree else 1

    sides = SIDES if args.sides == "both" else (args.sides,)
    for path in (instances, results):  # warm the page cache: no side pays the first read
        with path.open("rb") as fh:
            while fh.read(1 << 20):  # small reads: this parent's peak RSS passes to children
                pass
    runs: list[dict[str, Any]] = []
    for rep in range(args.repeat):
        for side in sides:  # interleaved: A, B, A, B, ...
            run = measure(side, instances, results, out_dir)
            runs.append(run)
            print(
                f"  [{rep + 1}/{args.repeat}] {side:<12} {run['seconds']:7.2f} s "
                f"{run['peak_rss_bytes'] / MB:7.1f} MB",
                file=sys.stderr,
            )
    summary = summarize(runs)
    print_table(summary, info, args.repeat)
    if args.json_out is not None:
        payload = {
            "params": {
                "images": args.images,
                "repeat": args.repeat,
                "seed": SEED,
                "generator_version": GENERATOR_VERSION,
            },
            "data": info,
            "files": {p.name: p.stat().st_size for p in (instances, results)},
            "environment": {
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
            "targets": {"time_ratio": TIME_RATIO_TARGET, "peak_rss_bytes": RSS_TARGET},
            "summary": summary,
            "runs": runs,
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")
    missed = summary.get("time_met") is False or summary.get("rss_met") is False
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
