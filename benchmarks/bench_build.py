"""Benchmark `reportgen build` against the floor set in DESIGN.md "Performance targets".

Usage::

    python benchmarks/bench_build.py [--rows 1000000] [--classes 10] [--repeat 3]
                                     [--out-dir benchmarks/data] [--json-out FILE] [--check]

The script generates a seeded classification prediction file (columns ``id``, ``y_true``,
``y_pred``; string labels, ~85% accuracy with structured confusions) as Parquet and CSV,
reusing the files when they already exist for the same parameters. Then, for each format,
it runs three kinds of fresh child processes, interleaved within each repetition:

- ``baseline``: only the imports the floor makes (pandas, numpy, pyarrow.parquet,
  matplotlib.figure and its SVG backend), to subtract interpreter and
  import memory;
- ``floor``: read just ``y_true``/``y_pred``, integer-code them with ``pd.factorize``, one
  ``np.bincount`` for the K x K confusion matrix, one confusion-matrix SVG drawn with the
  matplotlib object API (``Figure``, ``imshow``, one ``text`` per cell);
- ``full``: ``python -m reportgen build FILE -o OUT.html --json OUT.json``.

Wall time is measured by this process around each child (start-up and imports included) and
the median of ``--repeat`` runs is reported. Peak RSS comes from ``os.wait4`` for that one
child; the maximum over the runs is reported.

Linux records the parent's RSS high-water mark in a child when it execs, so this parent
imports only the standard library and generates the data in a child process too; otherwise
the children's peak RSS would include the parent's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SEED = 0
GENERATOR_VERSION = 1  # bump when the generated data changes, so old files are not reused
FORMATS = ("parquet", "csv")
KINDS = ("baseline", "floor", "full")
TIME_RATIO_TARGET = 2.0  # full / floor wall time, on Parquet
MEMORY_RATIO_TARGET = 3.0  # (full peak RSS - baseline RSS) / loaded label columns
TIME_TARGET_FORMATS = ("parquet",)
MB = 1024 * 1024
DEFAULT_OUT_DIR = Path(__file__).resolve().parent / "data"


# --------------------------------------------------------------------------- data


def data_paths(out_dir: Path, rows: int, classes: int) -> dict[str, Path]:
    """File names carry every parameter that changes the content."""
    stem = f"preds_v{GENERATOR_VERSION}_n{rows}_k{classes}_seed{SEED}"
    return {fmt: out_dir / f"{stem}.{fmt}" for fmt in FORMATS}


def label_names(classes: int) -> list[str]:
    width = max(2, len(str(classes - 1)))
    return [f"class_{i:0{width}d}" for i in range(classes)]


def generate(paths: dict[str, Path], rows: int, classes: int) -> dict[str, Any]:
    """Write the prediction file in every format (runs in a child; see the module docstring)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    k = np.arange(classes)
    prior = 0.9**k  # mildly imbalanced: class_00 is the most common
    prior /= prior.sum()
    true = rng.choice(classes, size=rows, p=prior)
    # Per-class error rate from 7.5% (class 0) to 22.5% (last class); ~85% accuracy overall.
    error_rate = 0.15 * (0.5 + k / max(classes - 1, 1))
    wrong = rng.random(rows) < error_rate[true]
    t = true[wrong]
    kind = rng.random(t.size)
    neighbour = (t + 1) % classes  # 60% of errors: "next" class
    partner = np.where((t ^ 1) < classes, t ^ 1, t - 1)  # 25%: a fixed look-alike pair
    anything = (t + rng.integers(1, classes, size=t.size)) % classes  # 15%: any other class
    pred = true.copy()
    pred[wrong] = np.where(kind < 0.60, neighbour, np.where(kind < 0.85, partner, anything))

    labels = np.array(label_names(classes), dtype=object)
    width = max(7, len(str(rows)))
    ids = [f"s{i:0{width}d}" for i in range(1, rows + 1)]
    table = pa.table(
        {
            "id": pa.array(ids, type=pa.string()),
            "y_true": pa.array(labels[true], type=pa.string()),
            "y_pred": pa.array(labels[pred], type=pa.string()),
        }
    )
    for fmt, path in paths.items():
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        if fmt == "parquet":
            pq.write_table(table, tmp)
        else:
            table.to_pandas().to_csv(tmp, index=False)
        os.replace(tmp, path)  # never leave a half-written file that a later run would reuse
    return {"rows": rows, "classes": classes, "accuracy": float(np.mean(true == pred))}


# --------------------------------------------------------------------------- children


def child_baseline() -> dict[str, Any]:
    # the libraries the floor itself loads: their code is not data, so it is subtracted
    import matplotlib.backends.backend_svg
    import matplotlib.figure
    import numpy
    import pandas
    import pyarrow.parquet

    modules = (pandas, numpy, pyarrow.parquet, matplotlib.figure, matplotlib.backends.backend_svg)
    return {"imported": [m.__name__ for m in modules]}


def child_floor(path: Path, fmt: str) -> dict[str, Any]:
    """The least work any report needs: read two columns, code, bincount, one SVG."""
    import io

    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

    phases: dict[str, float] = {}
    start = time.perf_counter()
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(path, columns=["y_true", "y_pred"])
        loaded = int(table.nbytes)
        n = table.num_rows
        both = pa.chunked_array([*table["y_true"].chunks, *table["y_pred"].chunks]).to_pandas()
    else:
        frame = pd.read_csv(path, usecols=["y_true", "y_pred"])
        loaded = int(frame.memory_usage(index=False, deep=True).sum())
        n = len(frame)
        both = pd.concat([frame["y_true"], frame["y_pred"]], ignore_index=True)
    phases["read"] = time.perf_counter() - start

    start = time.perf_counter()
    codes, uniques = pd.factorize(both, sort=True)
    k = len(uniques)
    phases["factorize"] = time.perf_counter() - start

    start = time.perf_counter()
    cm = np.bincount(codes[:n] * k + codes[n:], minlength=k * k).reshape(k, k)
    phases["bincount"] = time.perf_counter() - start

    start = time.perf_counter()
    fig = Figure(figsize=(1.0 + 0.5 * k, 1.0 + 0.5 * k))
    ax = fig.add_subplot()
    ax.imshow(cm, cmap="viridis")
    names = [str(u) for u in uniques]
    ax.set_xticks(range(k), names, rotation=90)
    ax.set_yticks(range(k), names)
    half = cm.max() / 2
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                f"{cm[i, j]:,}",
                ha="center",
                va="center",
                fontsize=6,
                color="black" if cm[i, j] > half else "white",
            )
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    phases["figure"] = time.perf_counter() - start
    return {
        "rows": n,
        "classes": k,
        "accuracy": float(np.trace(cm) / n),
        "loaded_bytes": loaded,
        "svg_bytes": buf.tell(),
        "phases": phases,
    }


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    """One child process: its wall time, its own peak RSS, and what it printed."""

    kind: str
    fmt: str
    seconds: float
    peak_rss_bytes: int
    output: dict[str, Any] = field(default_factory=dict)


def maxrss_bytes(ru_maxrss: int) -> int:
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024  # Linux reports KiB


def run_child(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Run one process; return wall seconds, its own peak RSS in bytes and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's rusage, not all children's
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        sys.exit(f"bench_build: command failed ({proc.returncode}): {' '.join(cmd)}\n{stderr}")
    return seconds, maxrss_bytes(usage.ru_maxrss), stdout


def child_cmd(kind: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]


def measure(kind: str, fmt: str, data: Path, work: Path, repo: Path) -> Run:
    if kind == "full":
        html, record = work / f"report_{fmt}.html", work / f"report_{fmt}.json"
        cmd = [
            sys.executable,
            "-m",
            "reportgen",
            "build",
            str(data),
            "-o",
            str(html),
            "--json",
            str(record),
        ]
        seconds, rss, _ = run_child(cmd, repo)
        output = {"html_bytes": html.stat().st_size, "json_bytes": record.stat().st_size}
    else:
        args = (str(data), fmt) if kind == "floor" else ()
        seconds, rss, stdout = run_child(child_cmd(kind, *args), repo)
        output = json.loads(stdout)
    return Run(kind, fmt, seconds, rss, output)


def warm_page_cache(path: Path) -> None:
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


# --------------------------------------------------------------------------- summary


def summarize(runs: list[Run]) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for fmt in FORMATS:
        mine = {k: [r for r in runs if r.fmt == fmt and r.kind == k] for k in KINDS}
        if not mine["full"]:
            continue
        floor_s = statistics.median(r.seconds for r in mine["floor"])
        full_s = statistics.median(r.seconds for r in mine["full"])
        floor_rss = max(r.peak_rss_bytes for r in mine["floor"])
        full_rss = max(r.peak_rss_bytes for r in mine["full"])
        base_rss = max(r.peak_rss_bytes for r in mine["baseline"])
        loaded = mine["floor"][0].output["loaded_bytes"]
        time_ratio = full_s / floor_s
        mem_ratio = (full_rss - base_rss) / loaded
        phases = {
            name: statistics.median(r.output["phases"][name] for r in mine["floor"])
            for name in mine["floor"][0].output["phases"]
        }
        summary[fmt] = {
            "floor_seconds": floor_s,
            "full_seconds": full_s,
            "time_ratio": time_ratio,
            "time_target": TIME_RATIO_TARGET if fmt in TIME_TARGET_FORMATS else None,
            "time_met": time_ratio <= TIME_RATIO_TARGET if fmt in TIME_TARGET_FORMATS else None,
            "baseline_seconds": statistics.median(r.seconds for r in mine["baseline"]),
            "floor_peak_rss_bytes": floor_rss,
            "full_peak_rss_bytes": full_rss,
            "baseline_rss_bytes": base_rss,
            "loaded_columns_bytes": loaded,
            "memory_ratio": mem_ratio,
            "floor_memory_ratio": (floor_rss - base_rss) / loaded,
            "memory_target": MEMORY_RATIO_TARGET,
            "memory_met": mem_ratio <= MEMORY_RATIO_TARGET,
            "report_html_bytes": mine["full"][-1].output["html_bytes"],
            "report_json_bytes": mine["full"][-1].output["json_bytes"],
            "floor_phases_seconds": phases,
        }
    return summary


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "MISSED")


def print_table(summary: dict[str, dict[str, Any]], rows: int, classes: int, repeat: int) -> None:
    print(
        f"\nreportgen build vs floor: {rows:,} rows, {classes} classes, "
        f"median of {repeat} (time), max of {repeat} (RSS)\n"
    )
    head = (
        f"{'format':<8} {'floor s':>8} {'full s':>8} {'full/floor':>10} {'floor MB':>9} "
        f"{'full MB':>8} {'base MB':>8} {'cols MB':>8} {'mem ratio':>9}  "
        f"{f'time (<={TIME_RATIO_TARGET})':<13} {f'mem (<={MEMORY_RATIO_TARGET})':<11}"
    )
    print(head)
    print("-" * len(head))
    for fmt, s in summary.items():
        print(
            f"{fmt:<8} {s['floor_seconds']:>8.2f} {s['full_seconds']:>8.2f} "
            f"{s['time_ratio']:>10.2f} {s['floor_peak_rss_bytes'] / MB:>9.1f} "
            f"{s['full_peak_rss_bytes'] / MB:>8.1f} {s['baseline_rss_bytes'] / MB:>8.1f} "
            f"{s['loaded_columns_bytes'] / MB:>8.1f} {s['memory_ratio']:>9.2f}  "
            f"{verdict(s['time_met']):<13} {verdict(s['memory_met']):<11}"
        )
    print()
    for fmt, s in summary.items():
        phases = ", ".join(f"{k} {v:.3f}" for k, v in s["floor_phases_seconds"].items())
        print(
            f"{fmt}: report {s['report_html_bytes']:,} bytes HTML, "
            f"{s['report_json_bytes']:,} bytes JSON\n"
            f"  floor in-process phases (s): {phases}\n"
            f"  baseline process {s['baseline_seconds']:.2f} s; "
            f"floor mem ratio (floor peak - baseline) / cols: {s['floor_memory_ratio']:.2f}"
        )
    print(
        "\nmem ratio = (full peak RSS - baseline RSS) / loaded label columns (MB = MiB); "
        f"time target applies to {', '.join(TIME_TARGET_FORMATS)} only."
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate")
    parser.add_argument("--classes", type=int, default=10, help="number of classes (>= 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each process")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="where the generated data and reports go (gitignored)",
    )
    parser.add_argument("--json-out", type=Path, default=None, help="dump measurements here")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--child", choices=("generate", "baseline", "floor"), help=argparse.SUPPRESS
    )
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is None and (args.rows < 1 or args.classes < 2 or args.repeat < 1):
        parser.error("need --rows >= 1, --classes >= 2 and --repeat >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "generate":
        where, rows, classes = Path(args.child_args[0]), *map(int, args.child_args[1:3])
        print(json.dumps(generate(data_paths(where, rows, classes), rows, classes)))
        return 0
    if args.child == "baseline":
        print(json.dumps(child_baseline()))
        return 0
    if args.child == "floor":
        print(json.dumps(child_floor(Path(args.child_args[0]), args.child_args[1])))
        return 0

    repo = Path(__file__).resolve().parent.parent
    out_dir: Path = args.out_dir.resolve()
    paths = data_paths(out_dir, args.rows, args.classes)
    if all(p.exists() for p in paths.values()):
        print(f"reusing {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
    else:
        print(
            f"generating {args.rows:,} rows x {args.classes} classes in {out_dir} ...",
            file=sys.stderr,
        )
        _, _, stdout = run_child(
            child_cmd("generate", str(out_dir), str(args.rows), str(args.classes)), repo
        )
        print(f"  accuracy {json.loads(stdout)['accuracy']:.4f}", file=sys.stderr)

    runs: list[Run] = []
    for path in paths.values():
        warm_page_cache(path)
    for rep in range(args.repeat):
        for fmt, path in paths.items():
            for kind in KINDS:
                run = measure(kind, fmt, path, out_dir, repo)
                runs.append(run)
                print(
                    f"  [{rep + 1}/{args.repeat}] {fmt:<7} {kind:<8} {run.seconds:6.2f} s "
                    f"{run.peak_rss_bytes / MB:7.1f} MB",
                    file=sys.stderr,
                )

    summary = summarize(runs)
    print_table(summary, args.rows, args.classes, args.repeat)

    if args.json_out is not None:
        payload = {
            "params": {
                "rows": args.rows,
                "classes": args.classes,
                "repeat": args.repeat,
                "seed": SEED,
                "generator_version": GENERATOR_VERSION,
            },
            "files": {fmt: {"path": str(p), "bytes": p.stat().st_size} for fmt, p in paths.items()},
            "environment": {
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "parent_peak_rss_bytes": maxrss_bytes(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                ),
            },
            "targets": {
                "time_ratio": TIME_RATIO_TARGET,
                "time_formats": list(TIME_TARGET_FORMATS),
                "memory_ratio": MEMORY_RATIO_TARGET,
            },
            "summary": summary,
            "runs": [asdict(r) for r in runs],
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")

    missed = any(s["time_met"] is False or not s["memory_met"] for s in summary.values())
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
