"""Benchmark `reportgen build` against the floor set in DESIGN.md "Performance targets".

Usage::

    python benchmarks/bench_build.py [--task {classification,regression,both}] [--rows 1000000]
                                     [--classes 10] [--repeat 3] [--out-dir benchmarks/data]
                                     [--variants NAME,...] [--json-out FILE] [--check]
    python benchmarks/bench_build.py --stream-rows 10000000,50000000 [--stream-in-memory-max N]
                                     [--task ...] [--repeat 1] [--json-out FILE] [--check]

With ``--stream-rows`` it instead benchmarks ``reportgen build --stream`` on chunk-written
Parquet files of those sizes against the floor and (up to ``--stream-in-memory-max`` rows) the
in-memory build: wall time, seconds per million rows and peak RSS (target: under 1 GiB).

The script generates seeded prediction files as Parquet and CSV, reusing them when they
already exist for the same parameters:

- classification: columns ``id``, ``y_true``, ``y_pred``; string labels, ~85% accuracy with
  structured confusions;
- regression: columns ``id``, ``y_true`` (gamma-distributed positive values), ``y_pred``
  (``y_true`` plus noise that grows with it, and a bias per region), ``region`` (4 strings)
  and ``size`` (uniform floats); ``y_true`` and ``y_pred`` rounded to 2 decimals;
- classification extras (Parquet only, for the ``classification+extras`` variant): the
  classification columns (errors more frequent for one ``source``), ``proba_<label>`` per
  class (3 decimals, argmax = ``y_pred``), ``split`` (train/dev/test), ``source`` (4 strings)
  and ``brightness`` (uniform floats);
- classification candidate (Parquet only, for the ``compare`` variant): a second model's
  predictions for the classification file's rows (same ``id`` and ``y_true``, same order), with
  ~40% of its errors fixed and a few new ones.

Then, for each task and format, it runs fresh child processes, interleaved within each
repetition:

- ``baseline``: only the imports the floors make (pandas, numpy, pyarrow.parquet,
  matplotlib.figure and its SVG backend), to subtract interpreter and
  import memory;
- ``floor``: the least work any report of that task needs. Classification: read just
  ``y_true``/``y_pred``, integer-code them with ``pd.factorize``, one ``np.bincount`` for the
  K x K confusion matrix, one confusion-matrix SVG drawn with the matplotlib object API
  (``Figure``, ``imshow``, one ``text`` per cell). Regression: read just ``y_true``/``y_pred``,
  MAE, RMSE and R² with numpy, one SVG of residuals against predictions as an 80 x 80
  ``np.histogram2d`` shown with a rasterized ``imshow``;
- ``full``: ``python -m reportgen build FILE -o OUT.html --json OUT.json``;
- informational variants, against the same floor, no target: ``regression+slices``, the same
  build with ``--slice region --slice size``; ``classification+extras``, the build of the extras
  file with ``--slice source --slice brightness`` (calibration, thresholds, slices, error tree,
  splits); ``compare``, ``python -m reportgen compare A B`` of the classification file and the
  candidate file, against a floor of its own (read ids and labels of both files, check that the
  ids line up, count fixed and broken rows, one confusion-difference SVG).

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
# bump a data set's version when its generated data changes, so old files are not reused
GENERATOR_VERSIONS = {
    "classification": 1,
    "regression": 1,
    "classification_extras": 1,
    "classification_compare": 1,  # its file name also carries the classification version
}
TASKS = ("classification", "regression")
FORMATS = ("parquet", "csv")
KINDS = ("baseline", "floor", "full")


@dataclass(frozen=True)
class Variant:
    """An informational extra run of reportgen: its options, on which data, which formats.

    ``dataset`` names a generated file of its own (a key of ``GENERATOR_VERSIONS``); ``None``
    uses the task's own file. ``command`` is the reportgen subcommand; ``compare`` also takes
    the ``candidate`` data set as its second file. ``floor`` names a floor of its own (a key of
    ``CHILD_FLOORS``, run as the kind ``<name>_floor``); ``None`` measures it against the task's
    floor. The baseline is always the task's.
    """

    options: tuple[str, ...]
    dataset: str | None = None
    formats: tuple[str, ...] = FORMATS
    command: str = "build"
    candidate: str | None = None
    floor: str | None = None

    def datasets(self) -> tuple[str, ...]:
        return tuple(d for d in (self.dataset, self.candidate) if d is not None)


# informational extra builds, per task: name -> variant
VARIANTS = {
    "classification": {
        # probabilities, a split and two metadata columns: calibration, one-vs-rest thresholds,
        # slices, the error tree and the splits section. Parquet only: a 17-column CSV would
        # mostly time pandas' CSV reader.
        "extras": Variant(
            ("--slice", "source", "--slice", "brightness"),
            dataset="classification_extras",
            formats=("parquet",),
        ),
        # `reportgen compare` of the classification file (A) and a second model's predictions
        # on the same rows (B), against its own floor: two files to read and join
        "compare": Variant(
            (),
            formats=("parquet",),
            command="compare",
            candidate="classification_compare",
            floor="compare",
        ),
    },
    "regression": {"slices": Variant(("--slice", "region", "--slice", "size"))},
}
TIME_RATIO_TARGET = 2.0  # full / floor wall time, on Parquet
MEMORY_RATIO_TARGET = 3.0  # (full peak RSS - baseline RSS) / loaded label columns
TIME_TARGET_FORMATS = ("parquet",)
REGIONS = ("north", "south", "east", "west")
# classification_extras: where each row came from (one source errs twice as often), and splits
SOURCES = ("camera_a", "camera_b", "camera_c", "camera_d")
SOURCE_SHARES = (0.4, 0.3, 0.2, 0.1)
SOURCE_ERROR_SCALE = (0.8, 0.9, 1.0, 2.0)  # weighted mean 0.99: accuracy stays about 85%
SPLITS = ("train", "dev", "test")
SPLIT_SHARES = (0.7, 0.15, 0.15)
# classification_compare (B, from the classification file A): its own seed, the share of A's
# errors it fixes and the share of A's right rows it gets wrong
COMPARE_SEED = 1
COMPARE_FIX_SHARE = 0.4
COMPARE_BREAK_SHARE = 0.015
DENSITY_BINS = 80  # the regression floor's 2-D histogram, as reportgen's density plots
MB = 1024 * 1024
DEFAULT_OUT_DIR = Path(__file__).resolve().parent / "data"


# --------------------------------------------------------------------------- data


def dataset_formats(dataset: str) -> tuple[str, ...]:
    """The formats a data set is written in: a variant's own data only in the formats it runs."""
    for named in VARIANTS.values():
        for variant in named.values():
            if dataset in variant.datasets():
                return variant.formats
    return FORMATS


def data_paths(out_dir: Path, dataset: str, rows: int, classes: int) -> dict[str, Path]:
    """File names carry every parameter that changes the content."""
    version = GENERATOR_VERSIONS[dataset]
    if dataset == "classification":
        stem = f"preds_v{version}_n{rows}_k{classes}_seed{SEED}"
    elif dataset == "classification_extras":
        stem = f"preds_extras_v{version}_n{rows}_k{classes}_seed{SEED}"
    elif dataset == "classification_compare":
        of = GENERATOR_VERSIONS["classification"]  # B is derived from A: A's version too
        stem = f"preds_b_v{version}_of_v{of}_n{rows}_k{classes}_seed{SEED}-{COMPARE_SEED}"
    else:
        stem = f"regression_v{version}_n{rows}_seed{SEED}"
    return {fmt: out_dir / f"{stem}.{fmt}" for fmt in dataset_formats(dataset)}


def label_names(classes: int) -> list[str]:
    width = max(2, len(str(classes - 1)))
    return [f"class_{i:0{width}d}" for i in range(classes)]


def sample_ids(rows: int) -> list[str]:
    width = max(7, len(str(rows)))
    return [f"s{i:0{width}d}" for i in range(1, rows + 1)]


def class_codes(rng: Any, rows: int, classes: int, error_scale: Any = None) -> tuple[Any, Any]:
    """True and predicted class codes, ~85% accuracy with structured confusions.

    ``error_scale`` (one factor per row) multiplies the error rate; without it the draws are
    exactly those of generator version 1 of the classification file.
    """
    import numpy as np

    k = np.arange(classes)
    prior = 0.9**k  # mildly imbalanced: class_00 is the most common
    prior /= prior.sum()
    true = rng.choice(classes, size=rows, p=prior)
    # Per-class error rate from 7.5% (class 0) to 22.5% (last class); ~85% accuracy overall.
    error_rate = 0.15 * (0.5 + k / max(classes - 1, 1))
    rate = error_rate[true] if error_scale is None else error_rate[true] * error_scale
    wrong = rng.random(rows) < rate
    t = true[wrong]
    kind = rng.random(t.size)
    neighbour = (t + 1) % classes  # 60% of errors: "next" class
    partner = np.where((t ^ 1) < classes, t ^ 1, t - 1)  # 25%: a fixed look-alike pair
    anything = (t + rng.integers(1, classes, size=t.size)) % classes  # 15%: any other class
    pred = true.copy()
    pred[wrong] = np.where(kind < 0.60, neighbour, np.where(kind < 0.85, partner, anything))
    return true, pred


def classification_table(rows: int, classes: int) -> tuple[Any, dict[str, Any]]:
    """The classification columns as a pyarrow table, and what to say about them."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(SEED)
    true, pred = class_codes(rng, rows, classes)
    labels = np.array(label_names(classes), dtype=object)
    table = pa.table(
        {
            "id": pa.array(sample_ids(rows), type=pa.string()),
            "y_true": pa.array(labels[true], type=pa.string()),
            "y_pred": pa.array(labels[pred], type=pa.string()),
        }
    )
    info = {"rows": rows, "classes": classes, "accuracy": float(np.mean(true == pred))}
    return table, info


def classification_compare_table(rows: int, classes: int) -> tuple[Any, dict[str, Any]]:
    """A second model's predictions for the classification file's rows, as a pyarrow table.

    Same ``id`` and ``y_true`` in the same order as the classification file (its codes are
    drawn again from the same seed, exactly as that file's generator does); ``y_pred`` fixes
    ``COMPARE_FIX_SHARE`` of its errors and gets ``COMPARE_BREAK_SHARE`` of its right rows
    wrong (60% to the next class, 40% to any other), with a generator seeded ``COMPARE_SEED``.
    """
    import numpy as np
    import pyarrow as pa

    true, pred_a = class_codes(np.random.default_rng(SEED), rows, classes)
    rng = np.random.default_rng(COMPARE_SEED)
    right_a = true == pred_a
    draw = rng.random(rows)
    fix = ~right_a & (draw < COMPARE_FIX_SHARE)
    brk = right_a & (draw < COMPARE_BREAK_SHARE)
    t = true[brk]
    neighbour = (t + 1) % classes
    anything = (t + rng.integers(1, classes, size=t.size)) % classes
    pred = pred_a.copy()
    pred[fix] = true[fix]
    pred[brk] = np.where(rng.random(t.size) < 0.6, neighbour, anything)
    labels = np.array(label_names(classes), dtype=object)
    table = pa.table(
        {
            "id": pa.array(sample_ids(rows), type=pa.string()),
            "y_true": pa.array(labels[true], type=pa.string()),
            "y_pred": pa.array(labels[pred], type=pa.string()),
        }
    )
    right = true == pred
    info = {
        "rows": rows,
        "classes": classes,
        "accuracy_a": float(np.mean(right_a)),
        "accuracy": float(np.mean(right)),
        "fixed": int(np.count_nonzero(~right_a & right)),
        "broken": int(np.count_nonzero(right_a & ~right)),
    }
    return table, info


def class_probabilities(rng: Any, true: Any, pred: Any, classes: int) -> Any:
    """Rows of probabilities rounded to 3 decimals whose argmax is ``pred``.

    Softmax of normal logits in which the predicted class leads the runner-up by a margin,
    wide on right rows and narrow on wrong ones (where the true class is the runner-up), so
    confidence tracks correctness. The margin is at least 0.05, so the predicted probability
    (at least 1/classes) beats every other by more than the rounding can undo.
    """
    import numpy as np

    rows = true.size
    right = true == pred
    logits = rng.standard_normal((rows, classes))
    at = np.arange(rows)
    others = logits.copy()
    others[at, pred] = -np.inf
    second = others.argmax(axis=1)
    runner_up = others[at, second]
    del others
    # on wrong rows the true class becomes the runner-up: swap its logit with the runner-up's
    w = np.flatnonzero(~right)
    logits[w, second[w]], logits[w, true[w]] = logits[w, true[w]], runner_up[w]
    margin = np.where(
        right, 2.0 + rng.exponential(2.5, size=rows), 0.05 + rng.exponential(1.0, size=rows)
    )
    logits[at, pred] = runner_up + margin
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    proba = np.round(proba, 3)
    if not np.array_equal(proba.argmax(axis=1), pred):
        raise AssertionError("rounded probabilities lost the predicted class's lead")
    return proba


def classification_extras_table(rows: int, classes: int) -> tuple[Any, dict[str, Any]]:
    """Classification with probabilities, a split and metadata, as a pyarrow table."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(SEED)
    source = rng.choice(len(SOURCES), size=rows, p=SOURCE_SHARES)
    true, pred = class_codes(rng, rows, classes, np.array(SOURCE_ERROR_SCALE)[source])
    proba = class_probabilities(rng, true, pred, classes)
    split = rng.choice(len(SPLITS), size=rows, p=SPLIT_SHARES)
    brightness = rng.uniform(0.0, 1.0, size=rows)

    names = label_names(classes)
    labels = np.array(names, dtype=object)
    columns = {
        "id": pa.array(sample_ids(rows), type=pa.string()),
        "y_true": pa.array(labels[true], type=pa.string()),
        "y_pred": pa.array(labels[pred], type=pa.string()),
        **{
            f"proba_{name}": pa.array(proba[:, i], type=pa.float64())
            for i, name in enumerate(names)
        },
        "split": pa.array(np.array(SPLITS, dtype=object)[split], type=pa.string()),
        "source": pa.array(np.array(SOURCES, dtype=object)[source], type=pa.string()),
        "brightness": pa.array(brightness, type=pa.float64()),
    }
    right = true == pred
    sums = proba.sum(axis=1)
    info = {
        "rows": rows,
        "classes": classes,
        "accuracy": float(np.mean(right)),
        "worst_source_accuracy": float(np.mean(right[source == len(SOURCES) - 1])),
        "mean_confidence": float(proba.max(axis=1).mean()),
        "max_abs_row_sum_error": float(np.abs(sums - 1.0).max()),
    }
    return pa.table(columns), info


def regression_table(rows: int) -> tuple[Any, dict[str, Any]]:
    """The regression columns as a pyarrow table, and what to say about them."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(SEED)
    true = np.round(rng.gamma(shape=2.0, scale=50.0, size=rows), 2)  # positive, mean 100
    region = rng.choice(len(REGIONS), size=rows, p=[0.4, 0.3, 0.2, 0.1])
    bias = np.array([0.0, 2.0, -3.0, 8.0])[region]  # one region clearly over-predicted
    noise = rng.standard_normal(rows) * (4.0 + 0.15 * true)  # errors grow with the value
    pred = np.round(true + bias + noise, 2)
    size = rng.uniform(0.0, 100.0, size=rows)
    table = pa.table(
        {
            "id": pa.array(sample_ids(rows), type=pa.string()),
            "y_true": pa.array(true, type=pa.float64()),
            "y_pred": pa.array(pred, type=pa.float64()),
            "region": pa.array(np.array(REGIONS, dtype=object)[region], type=pa.string()),
            "size": pa.array(size, type=pa.float64()),
        }
    )
    residual = true - pred
    info = {
        "rows": rows,
        "mae": float(np.mean(np.abs(residual))),
        "r2": float(1.0 - np.sum(residual**2) / np.sum((true - true.mean()) ** 2)),
    }
    return table, info


def generate(paths: dict[str, Path], dataset: str, rows: int, classes: int) -> dict[str, Any]:
    """Write the prediction file in every format (runs in a child; see the module docstring)."""
    import pyarrow.parquet as pq

    if dataset == "classification":
        table, info = classification_table(rows, classes)
    elif dataset == "classification_extras":
        table, info = classification_extras_table(rows, classes)
    elif dataset == "classification_compare":
        table, info = classification_compare_table(rows, classes)
    else:
        table, info = regression_table(rows)
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
    return info


# --------------------------------------------------------------------------- children


def child_baseline() -> dict[str, Any]:
    # the libraries the floors themselves load: their code is not data, so it is subtracted
    import matplotlib.backends.backend_svg
    import matplotlib.figure
    import numpy
    import pandas
    import pyarrow.parquet

    modules = (pandas, numpy, pyarrow.parquet, matplotlib.figure, matplotlib.backends.backend_svg)
    return {"imported": [m.__name__ for m in modules]}


def child_floor_classification(path: Path, fmt: str) -> dict[str, Any]:
    """Classification floor: read two columns, code them, one bincount, one confusion SVG."""
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


def child_floor_regression(path: Path, fmt: str) -> dict[str, Any]:
    """Regression floor: read two columns, MAE, RMSE and R², one residual-density SVG."""
    import io

    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

    phases: dict[str, float] = {}
    start = time.perf_counter()
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path, columns=["y_true", "y_pred"])
        loaded = int(table.nbytes)
        y_true = table["y_true"].to_numpy()
        y_pred = table["y_pred"].to_numpy()
    else:
        frame = pd.read_csv(path, usecols=["y_true", "y_pred"])
        loaded = int(frame.memory_usage(index=False, deep=True).sum())
        y_true = frame["y_true"].to_numpy()
        y_pred = frame["y_pred"].to_numpy()
    n = len(y_true)
    phases["read"] = time.perf_counter() - start

    start = time.perf_counter()
    residual = y_true - y_pred
    mae = float(np.mean(np.abs(residual)))
    ss_res = float(np.sum(residual**2))
    rmse = float(np.sqrt(ss_res / n))
    r2 = 1.0 - ss_res / float(np.sum((y_true - y_true.mean()) ** 2))
    phases["metrics"] = time.perf_counter() - start

    start = time.perf_counter()
    counts, xedges, yedges = np.histogram2d(y_pred, residual, bins=DENSITY_BINS)
    fig = Figure(figsize=(5.0, 4.0))
    ax = fig.add_subplot()
    ax.imshow(
        counts.T,
        origin="lower",
        extent=(xedges[0], xedges[-1], yedges[0], yedges[-1]),
        aspect="auto",
        cmap="viridis",
        interpolation="nearest",
        rasterized=True,
    )
    ax.set_xlabel("Predicted")
    ax.set_ylabel("Residual (true - predicted)")
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    phases["figure"] = time.perf_counter() - start
    return {
        "rows": n,
        "mae": mae,
        "rmse": rmse,
        "r2": r2,
        "loaded_bytes": loaded,
        "svg_bytes": buf.tell(),
        "phases": phases,
    }


def child_floor_compare(path: Path, fmt: str, candidate: Path) -> dict[str, Any]:
    """Compare floor: read ids and labels of two files, line them up, count fixed and broken
    rows, one confusion-difference SVG (B - A)."""
    import io

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from matplotlib.figure import Figure

    if fmt != "parquet":
        raise ValueError("the compare floor reads Parquet only")
    columns = ["id", "y_true", "y_pred"]
    phases: dict[str, float] = {}
    start = time.perf_counter()
    a = pq.read_table(path, columns=columns)
    b = pq.read_table(candidate, columns=columns)
    loaded = int(a.nbytes + b.nbytes)
    n = a.num_rows
    phases["read"] = time.perf_counter() - start

    # the join on id: assume the same order, and check it with one vectorised equality
    start = time.perf_counter()
    if b.num_rows != n or not a["id"].equals(b["id"]):
        raise ValueError("the two files' ids differ or are not in the same order")
    phases["join"] = time.perf_counter() - start

    start = time.perf_counter()
    labels = [a["y_true"], a["y_pred"], b["y_true"], b["y_pred"]]
    both = pa.chunked_array([c for col in labels for c in col.chunks]).to_pandas()
    codes, uniques = pd.factorize(both, sort=True)
    k = len(uniques)
    phases["factorize"] = time.perf_counter() - start

    start = time.perf_counter()
    true_a, pred_a, true_b, pred_b = (codes[i * n : (i + 1) * n] for i in range(4))
    right_a = true_a == pred_a
    right_b = true_b == pred_b
    fixed = int(np.count_nonzero(~right_a & right_b))
    broken = int(np.count_nonzero(right_a & ~right_b))
    cm_a = np.bincount(true_a * k + pred_a, minlength=k * k).reshape(k, k)
    cm_b = np.bincount(true_b * k + pred_b, minlength=k * k).reshape(k, k)
    diff = cm_b - cm_a
    phases["count"] = time.perf_counter() - start

    start = time.perf_counter()
    fig = Figure(figsize=(1.0 + 0.5 * k, 1.0 + 0.5 * k))
    ax = fig.add_subplot()
    span = max(int(np.abs(diff).max()), 1)
    ax.imshow(diff, cmap="RdBu", vmin=-span, vmax=span)
    names = [str(u) for u in uniques]
    ax.set_xticks(range(k), names, rotation=90)
    ax.set_yticks(range(k), names)
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                f"{diff[i, j]:+,}",
                ha="center",
                va="center",
                fontsize=6,
                color="white" if abs(diff[i, j]) > span / 2 else "black",
            )
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    phases["figure"] = time.perf_counter() - start
    return {
        "rows": n,
        "classes": k,
        "accuracy_a": float(np.mean(right_a)),
        "accuracy_b": float(np.mean(right_b)),
        "fixed": fixed,
        "broken": broken,
        "loaded_bytes": loaded,
        "svg_bytes": buf.tell(),
        "phases": phases,
    }


# floors by name: each task's own, and those of variants with a floor of their own
CHILD_FLOORS = {
    "classification": child_floor_classification,
    "regression": child_floor_regression,
    "compare": child_floor_compare,
}


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    """One child process: its wall time, its own peak RSS, and what it printed."""

    task: str
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


def task_variants(task: str, only: tuple[str, ...] | None = None) -> dict[str, Variant]:
    """A task's variants: all of them, or those named in `only`."""
    named = VARIANTS.get(task, {})
    return {n: v for n, v in named.items() if only is None or n in only}


def floor_kind(name: str) -> str:
    """The kind of process that runs a variant's own floor."""
    return f"{name}_floor"


def task_kinds(
    task: str, fmt: str | None = None, only: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """The kinds of process run for a task: all of them, or those that run in format `fmt`.

    A variant with a floor of its own runs it just before itself.
    """
    kinds: list[str] = list(KINDS)
    for name, variant in task_variants(task, only).items():
        if fmt is None or fmt in variant.formats:
            kinds += [floor_kind(name)] if variant.floor is not None else []
            kinds.append(name)
    return tuple(kinds)


def task_datasets(task: str, only: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The data sets a task needs: its own file, then any its variants generate."""
    own = tuple(d for v in task_variants(task, only).values() for d in v.datasets())
    return (task, *dict.fromkeys(own))


def kind_variant(task: str, kind: str) -> tuple[str, Variant] | None:
    """The variant a kind of process belongs to (its run or its own floor), if any."""
    for name, variant in VARIANTS.get(task, {}).items():
        if kind in (name, floor_kind(name)):
            return name, variant
    return None


def kind_dataset(task: str, kind: str) -> str:
    """The data set a kind of process reads: the task's own file unless a variant has its own."""
    found = kind_variant(task, kind)
    return found[1].dataset if found is not None and found[1].dataset is not None else task


def kind_candidate(task: str, kind: str) -> str | None:
    """The second data set a kind of process reads (`compare` and its floor), if any."""
    found = kind_variant(task, kind)
    return found[1].candidate if found is not None else None


def measure(
    task: str,
    kind: str,
    fmt: str,
    data: Path,
    work: Path,
    repo: Path,
    candidate: Path | None = None,
) -> Run:
    found = kind_variant(task, kind)
    if kind == "baseline":
        seconds, rss, stdout = run_child(child_cmd("baseline"), repo)
        return Run(task, kind, fmt, seconds, rss, json.loads(stdout))
    if kind == "floor" or (found is not None and kind == floor_kind(found[0])):
        floor = task if found is None else str(found[1].floor)  # a CHILD_FLOORS key
        second = () if candidate is None else (str(candidate),)
        seconds, rss, stdout = run_child(child_cmd("floor", floor, str(data), fmt, *second), repo)
        return Run(task, kind, fmt, seconds, rss, json.loads(stdout))
    variant = found[1] if found is not None else None
    extra = variant.options if variant is not None else ()
    command = variant.command if variant is not None else "build"
    stem = f"report_{task}_{fmt}" + ("" if kind == "full" else f"_{kind}")
    html, record = work / f"{stem}.html", work / f"{stem}.json"
    files = [str(data)] + ([str(candidate)] if candidate is not None else [])
    cmd = [
        sys.executable,
        "-m",
        "reportgen",
        command,
        *files,
        "-o",
        str(html),
        "--json",
        str(record),
        *extra,
    ]
    seconds, rss, _ = run_child(cmd, repo)
    output = {"html_bytes": html.stat().st_size, "json_bytes": record.stat().st_size}
    return Run(task, kind, fmt, seconds, rss, output)


def warm_page_cache(path: Path) -> None:
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


# --------------------------------------------------------------------------- summary


def build_summary(
    builds: list[Run],
    floor_s: float,
    base_rss: int,
    loaded: int,
    *,
    time_checked: bool,
    memory_checked: bool,
) -> dict[str, Any]:
    """Time and memory of one kind of full build, against the floor and the baseline."""
    full_s = statistics.median(r.seconds for r in builds)
    full_rss = max(r.peak_rss_bytes for r in builds)
    time_ratio = full_s / floor_s
    mem_ratio = (full_rss - base_rss) / loaded
    return {
        "full_seconds": full_s,
        "time_ratio": time_ratio,
        "time_target": TIME_RATIO_TARGET if time_checked else None,
        "time_met": time_ratio <= TIME_RATIO_TARGET if time_checked else None,
        "full_peak_rss_bytes": full_rss,
        "memory_ratio": mem_ratio,
        "memory_target": MEMORY_RATIO_TARGET if memory_checked else None,
        "memory_met": mem_ratio <= MEMORY_RATIO_TARGET if memory_checked else None,
        "report_html_bytes": builds[-1].output["html_bytes"],
        "report_json_bytes": builds[-1].output["json_bytes"],
    }


def floor_summary(floors: list[Run], base_rss: int) -> dict[str, Any]:
    """A floor's median time, peak RSS, loaded columns and in-process phases."""
    floor_rss = max(r.peak_rss_bytes for r in floors)
    loaded = floors[0].output["loaded_bytes"]
    return {
        "floor_seconds": statistics.median(r.seconds for r in floors),
        "floor_peak_rss_bytes": floor_rss,
        "loaded_columns_bytes": loaded,
        "floor_memory_ratio": (floor_rss - base_rss) / loaded,
        "floor_phases_seconds": {
            name: statistics.median(r.output["phases"][name] for r in floors)
            for name in floors[0].output["phases"]
        },
    }


def variant_summary(
    task: str,
    name: str,
    variant: Variant,
    mine: dict[str, list[Run]],
    own: dict[str, Any],
    base_rss: int,
) -> dict[str, Any]:
    """An informational variant against the task's floor (`own`), or against its own floor."""
    floor = own
    if variant.floor is not None:
        floor = {**floor_summary(mine[floor_kind(name)], base_rss), "own_floor": variant.floor}
    return {
        "command": variant.command,
        "options": list(variant.options),
        "dataset": kind_dataset(task, name),
        **({"candidate": variant.candidate} if variant.candidate is not None else {}),
        **({} if floor is own else floor),
        **build_summary(
            mine[name],
            floor["floor_seconds"],
            base_rss,
            floor["loaded_columns_bytes"],
            time_checked=False,
            memory_checked=False,
        ),
    }


def summarize(runs: list[Run]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per task and format: the full build against its floor, and any informational variants."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for task in TASKS:
        for fmt in FORMATS:
            mine = {
                k: [r for r in runs if r.task == task and r.fmt == fmt and r.kind == k]
                for k in task_kinds(task)
            }
            if not mine["full"]:
                continue
            base_rss = max(r.peak_rss_bytes for r in mine["baseline"])
            own = floor_summary(mine["floor"], base_rss)
            entry = {
                "floor_seconds": own["floor_seconds"],
                **build_summary(
                    mine["full"],
                    own["floor_seconds"],
                    base_rss,
                    own["loaded_columns_bytes"],
                    time_checked=fmt in TIME_TARGET_FORMATS,
                    memory_checked=True,
                ),
                "baseline_seconds": statistics.median(r.seconds for r in mine["baseline"]),
                "baseline_rss_bytes": base_rss,
                **own,
                "variants": {
                    name: variant_summary(task, name, variant, mine, own, base_rss)
                    for name, variant in VARIANTS.get(task, {}).items()
                    if mine[name]
                },
            }
            summary.setdefault(task, {})[fmt] = entry
    return summary


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "MISSED")


LABEL_WIDTH = 24


def table_head() -> str:
    return (
        f"{'task':<{LABEL_WIDTH}} {'format':<8} {'floor s':>8} {'full s':>8} {'full/floor':>10} "
        f"{'floor MB':>9} {'full MB':>8} {'base MB':>8} {'cols MB':>8} {'mem ratio':>9}  "
        f"{f'time (<={TIME_RATIO_TARGET})':<13} {f'mem (<={MEMORY_RATIO_TARGET})':<11}"
    )


def table_row(task: str, fmt: str, s: dict[str, Any], build: dict[str, Any]) -> str:
    """One line: `s` holds the floor and baseline, `build` the full build measured against it."""
    return (
        f"{task:<{LABEL_WIDTH}} {fmt:<8} {s['floor_seconds']:>8.2f} {build['full_seconds']:>8.2f} "
        f"{build['time_ratio']:>10.2f} {s['floor_peak_rss_bytes'] / MB:>9.1f} "
        f"{build['full_peak_rss_bytes'] / MB:>8.1f} {s['baseline_rss_bytes'] / MB:>8.1f} "
        f"{s['loaded_columns_bytes'] / MB:>8.1f} {build['memory_ratio']:>9.2f}  "
        f"{verdict(build['time_met']):<13} {verdict(build['memory_met']):<11}"
    )


def print_table(
    summary: dict[str, dict[str, dict[str, Any]]], rows: int, classes: int, repeat: int
) -> None:
    what = f"{rows:,} rows" + (f", {classes} classes" if "classification" in summary else "")
    print(f"\nreportgen build vs floor: {what}, median of {repeat} (time), max of {repeat} (RSS)\n")
    head = table_head()
    print(head)
    print("-" * len(head))
    for task, formats in summary.items():
        for fmt, s in formats.items():
            print(table_row(task, fmt, s, s))

    ran = {  # (task, variant name) in the order they ran, as a dict to keep that order
        (task, name): None
        for task, formats in summary.items()
        for s in formats.values()
        for name in s["variants"]
    }
    if ran:
        print(
            "\ninformational, no target (baseline as above; floor as above unless the row "
            "says own floor):\n"
        )
        print(head)
        print("-" * len(head))
        for task, formats in summary.items():
            for fmt, s in formats.items():
                for name, build in s["variants"].items():
                    if "own_floor" in build:
                        print(table_row(f"{name} (own floor)", fmt, {**s, **build}, build))
                    else:
                        print(table_row(f"{task}+{name}", fmt, s, build))
        for task, name in ran:
            variant = VARIANTS[task][name]
            only = "" if variant.formats == FORMATS else f", {', '.join(variant.formats)} only"
            if variant.command == "compare":
                print(
                    f"  {name} (own floor): reportgen compare of the {task} file (A) and its "
                    f"{variant.candidate} file (B){only};\n    floor s, floor MB, cols MB and "
                    "both ratios are its own floor's (ids and labels of both files)"
                )
                continue
            on = "" if variant.dataset is None else f" on its own file ({variant.dataset})"
            print(f"  {task}+{name}: the full build{on} with {' '.join(variant.options)}{only}")

    print()
    for task, formats in summary.items():
        for fmt, s in formats.items():
            phases = ", ".join(f"{k} {v:.3f}" for k, v in s["floor_phases_seconds"].items())
            sizes = "".join(
                f"; +{name} {v['report_html_bytes']:,} bytes HTML"
                for name, v in s["variants"].items()
            )
            own_floors = "".join(
                f"\n  {name} own floor in-process phases (s): "
                + ", ".join(f"{k} {t:.3f}" for k, t in v["floor_phases_seconds"].items())
                + f"; own floor mem ratio: {v['floor_memory_ratio']:.2f}"
                for name, v in s["variants"].items()
                if "own_floor" in v
            )
            print(
                f"{task} {fmt}: report {s['report_html_bytes']:,} bytes HTML, "
                f"{s['report_json_bytes']:,} bytes JSON{sizes}\n"
                f"  floor in-process phases (s): {phases}\n"
                f"  baseline process {s['baseline_seconds']:.2f} s; "
                f"floor mem ratio (floor peak - baseline) / cols: {s['floor_memory_ratio']:.2f}"
                f"{own_floors}"
            )
    print(
        "\nmem ratio = (full peak RSS - baseline RSS) / loaded label columns (MB = MiB); "
        f"time target applies to {', '.join(TIME_TARGET_FORMATS)} only."
    )


# --------------------------------------------------------------------------- streaming

# `--stream-rows`: large files written in chunks (so generating 50M rows needs little memory),
# built with `reportgen build --stream`, against the in-memory build (up to
# `--stream-in-memory-max` rows) and the task's floor. Their own data sets, since a chunked
# generator draws differently from the one-shot one above.
STREAM_CHUNK_ROWS = 5_000_000
STREAM_DATASETS = {"classification": "classification_chunked", "regression": "regression_chunked"}
STREAM_GENERATOR_VERSION = 1
STREAM_RSS_TARGET = 1024 * MB  # the target: peak RSS under 1 GB at any size
STREAM_KINDS = ("baseline", "floor", "stream", "in_memory")


def stream_data_path(out_dir: Path, task: str, rows: int, classes: int) -> Path:
    v = STREAM_GENERATOR_VERSION
    chunk = f"c{STREAM_CHUNK_ROWS}"
    if task == "classification":
        return out_dir / f"preds_chunked_v{v}_n{rows}_k{classes}_{chunk}_seed{SEED}.parquet"
    return out_dir / f"regression_chunked_v{v}_n{rows}_{chunk}_seed{SEED}.parquet"


def chunk_ids(start: int, stop: int, width: int) -> Any:
    """`s0000001`-style ids for rows start+1 .. stop, built in Arrow (no Python strings)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.utf8_lpad(
        pc.cast(pa.array(np.arange(start + 1, stop + 1)), pa.string()), width, "0"
    )
    return pc.binary_join_element_wise("s", digits, "")


def generate_chunked(path: Path, task: str, rows: int, classes: int) -> dict[str, Any]:
    """Write a large prediction file chunk by chunk (one row group each), each chunk seeded
    `(SEED, chunk index)`: the classification generator's `id`, `y_true`, `y_pred`, or the
    regression generator's columns."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    width = max(7, len(str(rows)))
    labels = pa.array(label_names(classes), type=pa.string())
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    right = 0
    abs_err = 0.0
    for index, start in enumerate(range(0, rows, STREAM_CHUNK_ROWS)):
        stop = min(rows, start + STREAM_CHUNK_ROWS)
        n = stop - start
        rng = np.random.default_rng([SEED, index])
        columns: dict[str, Any] = {"id": chunk_ids(start, stop, width)}
        if task == "classification":
            true, pred = class_codes(rng, n, classes)
            right += int(np.count_nonzero(true == pred))
            columns["y_true"] = pc.take(labels, pa.array(true))
            columns["y_pred"] = pc.take(labels, pa.array(pred))
        else:
            t = np.round(rng.gamma(shape=2.0, scale=50.0, size=n), 2)
            region = rng.choice(len(REGIONS), size=n, p=[0.4, 0.3, 0.2, 0.1])
            bias = np.array([0.0, 2.0, -3.0, 8.0])[region]
            p = np.round(t + bias + rng.standard_normal(n) * (4.0 + 0.15 * t), 2)
            abs_err += float(np.abs(t - p).sum())
            columns["y_true"] = pa.array(t, type=pa.float64())
            columns["y_pred"] = pa.array(p, type=pa.float64())
            columns["region"] = pc.take(pa.array(REGIONS, type=pa.string()), pa.array(region))
            columns["size"] = pa.array(rng.uniform(0.0, 100.0, size=n), type=pa.float64())
        table = pa.table(columns)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table, row_group_size=n)
        del table, columns
    assert writer is not None
    writer.close()
    os.replace(tmp, path)
    if task == "classification":
        return {"rows": rows, "classes": classes, "accuracy": right / rows}
    return {"rows": rows, "mae": abs_err / rows}


def ensure_stream_data(out_dir: Path, task: str, rows: int, classes: int, repo: Path) -> Path:
    path = stream_data_path(out_dir, task, rows, classes)
    if path.exists():
        print(f"reusing {path}", file=sys.stderr)
        return path
    print(f"generating {rows:,} {task} rows in chunks into {path} ...", file=sys.stderr)
    seconds, rss, stdout = run_child(
        child_cmd("generate_chunked", task, str(path), str(rows), str(classes)), repo
    )
    print(f"  {stdout.strip()} ({seconds:.1f} s, peak {rss / MB:.0f} MB)", file=sys.stderr)
    return path


def measure_stream(task: str, kind: str, path: Path, rows: int, work: Path, repo: Path) -> Run:
    if kind == "baseline":
        seconds, rss, stdout = run_child(child_cmd("baseline"), repo)
        return Run(task, kind, "parquet", seconds, rss, json.loads(stdout))
    if kind == "floor":
        seconds, rss, stdout = run_child(child_cmd("floor", task, str(path), "parquet"), repo)
        return Run(task, kind, "parquet", seconds, rss, json.loads(stdout))
    flag = "--stream" if kind == "stream" else "--no-stream"
    html = work / f"report_{task}_n{rows}_{kind}.html"
    record = html.with_suffix(".json")
    cmd = [sys.executable, "-m", "reportgen", "build", str(path), flag]
    seconds, rss, _ = run_child([*cmd, "-o", str(html), "--json", str(record)], repo)
    output = {"html_bytes": html.stat().st_size, "json_bytes": record.stat().st_size}
    return Run(task, kind, "parquet", seconds, rss, output)


def run_stream(args: argparse.Namespace, repo: Path, out_dir: Path) -> int:
    """Streamed builds at each of `--stream-rows`, against the floor and the in-memory build."""
    tasks = TASKS if args.task == "both" else (args.task,)
    results: list[dict[str, Any]] = []
    for task in tasks:
        for rows in args.stream_rows:
            path = ensure_stream_data(out_dir, task, rows, args.classes, repo)
            warm_page_cache(path)
            kinds = [
                k for k in STREAM_KINDS if k != "in_memory" or rows <= args.stream_in_memory_max
            ]
            for rep in range(args.repeat):
                for kind in kinds:
                    run = measure_stream(task, kind, path, rows, out_dir, repo)
                    print(
                        f"  [{rep + 1}/{args.repeat}] {task:<14} {rows:>11,} {kind:<10} "
                        f"{run.seconds:7.2f} s {run.peak_rss_bytes / MB:8.1f} MB",
                        file=sys.stderr,
                    )
                    results.append({"rows": rows, **asdict(run)})
    print(f"\nreportgen build --stream: median of {args.repeat} (time), max (RSS); MB = MiB\n")
    head = (
        f"{'task':<15} {'rows':>11} {'mode':<10} {'wall s':>8} {'s/M rows':>9} {'peak MB':>8} "
        f"{'vs floor':>8}  {'RSS < 1 GiB':<11}"
    )
    print(head)
    print("-" * len(head))
    summary: list[dict[str, Any]] = []
    for task in tasks:
        for rows in args.stream_rows:
            mine = [r for r in results if r["task"] == task and r["rows"] == rows]
            floor_s = statistics.median(r["seconds"] for r in mine if r["kind"] == "floor")
            for kind in STREAM_KINDS:
                runs = [r for r in mine if r["kind"] == kind]
                if not runs:
                    continue
                s = statistics.median(r["seconds"] for r in runs)
                rss = max(r["peak_rss_bytes"] for r in runs)
                row = {
                    "task": task,
                    "rows": rows,
                    "kind": kind,
                    "seconds": s,
                    "seconds_per_million_rows": s / (rows / 1e6),
                    "peak_rss_bytes": rss,
                    "time_vs_floor": s / floor_s,
                }
                summary.append(row)
                ok = verdict(rss < STREAM_RSS_TARGET) if kind == "stream" else "-"
                print(
                    f"{task:<15} {rows:>11,} {kind:<10} {s:>8.2f} "
                    f"{row['seconds_per_million_rows']:>9.3f} {rss / MB:>8.1f} "
                    f"{row['time_vs_floor']:>8.2f}  {ok:<11}"
                )
    if args.json_out is not None:
        payload = {
            "params": {
                "stream_rows": args.stream_rows,
                "classes": args.classes,
                "repeat": args.repeat,
                "chunk_rows": STREAM_CHUNK_ROWS,
            },
            "environment": {"python": sys.version.split()[0], "cpus": os.cpu_count()},
            "summary": summary,
            "runs": results,
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")
    missed = any(
        r["kind"] == "stream" and r["peak_rss_bytes"] >= STREAM_RSS_TARGET for r in summary
    )
    return 1 if args.check and missed else 0


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--task",
        choices=(*TASKS, "both"),
        default="both",
        help="which prediction file(s) to benchmark (default: both)",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate")
    parser.add_argument(
        "--classes", type=int, default=10, help="number of classes (>= 2; classification)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each process")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="where the generated data and reports go (gitignored)",
    )
    parser.add_argument(
        "--variants",
        default=None,
        help="comma-separated informational variants to run (e.g. compare; 'none' for none; "
        "default: all)",
    )
    parser.add_argument("--json-out", type=Path, default=None, help="dump measurements here")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--child",
        choices=("generate", "generate_chunked", "baseline", "floor"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument(
        "--stream-rows",
        default=None,
        help="comma-separated row counts (e.g. 10000000,50000000): benchmark `build --stream` "
        "on chunk-written Parquet files of these sizes instead of the usual run",
    )
    parser.add_argument(
        "--stream-in-memory-max",
        type=int,
        default=10_000_000,
        help="with --stream-rows: also run the in-memory build (--no-stream) up to this many "
        "rows (default: 10,000,000)",
    )
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is None and (args.rows < 1 or args.classes < 2 or args.repeat < 1):
        parser.error("need --rows >= 1, --classes >= 2 and --repeat >= 1")
    if args.variants is not None:
        names = tuple(v for v in args.variants.split(",") if v and v != "none")
        known = {n for named in VARIANTS.values() for n in named}
        unknown = sorted(set(names) - known)
        if unknown:
            parser.error(
                f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        args.variants = names
    if args.stream_rows is not None:
        args.stream_rows = [int(r.replace("_", "")) for r in args.stream_rows.split(",") if r]
        if not args.stream_rows or min(args.stream_rows) < 1:
            parser.error("--stream-rows needs row counts >= 1")
    return args


def ensure_data(
    dataset: str, out_dir: Path, rows: int, classes: int, repo: Path
) -> dict[str, Path]:
    """Generate a data set's prediction files in a child unless they already exist."""
    paths = data_paths(out_dir, dataset, rows, classes)
    if all(p.exists() for p in paths.values()):
        print(f"reusing {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
        return paths
    shape = f" x {classes} classes" if dataset.startswith("classification") else ""
    print(f"generating {rows:,} {dataset} rows{shape} in {out_dir} ...", file=sys.stderr)
    _, _, stdout = run_child(
        child_cmd("generate", dataset, str(out_dir), str(rows), str(classes)), repo
    )
    info = json.loads(stdout)
    said = ", ".join(
        f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v:,}"
        for k, v in info.items()
        if isinstance(v, (float, int)) and k not in ("rows", "classes")
    )
    print(f"  {said}", file=sys.stderr)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "generate":
        dataset, where = args.child_args[0], Path(args.child_args[1])
        rows, classes = map(int, args.child_args[2:4])
        paths = data_paths(where, dataset, rows, classes)
        print(json.dumps(generate(paths, dataset, rows, classes)))
        return 0
    if args.child == "generate_chunked":
        task, where = args.child_args[0], Path(args.child_args[1])
        rows, classes = map(int, args.child_args[2:4])
        print(json.dumps(generate_chunked(where, task, rows, classes)))
        return 0
    if args.child == "baseline":
        print(json.dumps(child_baseline()))
        return 0
    if args.child == "floor":
        floor, path, fmt = args.child_args[0], Path(args.child_args[1]), args.child_args[2]
        more = [Path(a) for a in args.child_args[3:]]  # the compare floor's second file
        print(json.dumps(CHILD_FLOORS[floor](path, fmt, *more)))
        return 0

    repo = Path(__file__).resolve().parent.parent
    out_dir: Path = args.out_dir.resolve()
    if args.stream_rows is not None:
        return run_stream(args, repo, out_dir)
    tasks = TASKS if args.task == "both" else (args.task,)
    # by data set: each task's own file, then any file of its variants
    files = {
        dataset: ensure_data(dataset, out_dir, args.rows, args.classes, repo)
        for task in tasks
        for dataset in task_datasets(task, args.variants)
    }

    runs: list[Run] = []
    for paths in files.values():
        for path in paths.values():
            warm_page_cache(path)
    for rep in range(args.repeat):
        for task in tasks:
            for fmt in files[task]:
                for kind in task_kinds(task, fmt, args.variants):
                    path = files[kind_dataset(task, kind)][fmt]
                    second = kind_candidate(task, kind)
                    candidate = None if second is None else files[second][fmt]
                    run = measure(task, kind, fmt, path, out_dir, repo, candidate)
                    runs.append(run)
                    print(
                        f"  [{rep + 1}/{args.repeat}] {task:<14} {fmt:<7} {kind:<13} "
                        f"{run.seconds:6.2f} s {run.peak_rss_bytes / MB:7.1f} MB",
                        file=sys.stderr,
                    )

    summary = summarize(runs)
    print_table(summary, args.rows, args.classes, args.repeat)

    if args.json_out is not None:
        payload = {
            "params": {
                "tasks": list(tasks),
                "rows": args.rows,
                "classes": args.classes,
                "repeat": args.repeat,
                "seed": SEED,
                "generator_versions": {name: GENERATOR_VERSIONS[name] for name in files},
            },
            "files": {
                task: {fmt: {"path": str(p), "bytes": p.stat().st_size} for fmt, p in paths.items()}
                for task, paths in files.items()
            },
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

    missed = any(
        s["time_met"] is False or s["memory_met"] is False
        for formats in summary.values()
        for s in formats.values()
    )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
