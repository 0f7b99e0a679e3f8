"""Find the columns of a prediction file: each role by its option or its usual names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from reportgen.errors import ReportgenError, quoted
from reportgen.read.table import ColumnMap

if TYPE_CHECKING:
    from reportgen.read.load import LoadOptions

ALIASES = {
    "y_true": ("y_true", "label", "target", "actual", "truth", "ground_truth"),
    "y_pred": ("y_pred", "prediction", "pred", "predicted"),
    "id": ("id", "sample_id", "image_id", "uid"),
    "sample": ("sample", "text", "image", "image_path", "path", "filepath"),
    "buckets": ("buckets", "bucket", "tags"),
    "split": ("split",),
}
PROBA_PREFIXES = ("proba_", "prob_", "score_")
OPTION_FOR = {
    "y_true": "--y-true",
    "y_pred": "--y-pred",
    "id": "--id",
    "sample": "--sample",
    "buckets": "--buckets",
    "split": "--split",
}
DESCRIPTION = {
    "y_true": "true-label",
    "y_pred": "predicted-label",
    "id": "id",
    "sample": "sample",
    "buckets": "error-bucket (tags)",
    "split": "split",
}


def map_columns(names: list[str], options: LoadOptions, where: str) -> ColumnMap:
    """Give each role its column: the one the options name, else the one an alias finds."""
    found = {
        role: _find_column(
            names, getattr(options, role), role, where, required=role.startswith("y_")
        )
        for role in ("y_true", "y_pred", "id", "sample", "buckets")
    }
    found["split"] = (
        None
        if options.split_optional and options.split is not None and options.split not in names
        else _find_column(names, options.split, "split", where, required=False)
    )
    taken = {v for v in found.values() if v is not None}
    prefix, proba = _find_proba(names, options.proba_prefix, taken, where)
    extra: list[str] = []
    for col in options.columns:
        if col not in names:
            raise no_such_column(col, "--columns", names, where)
        if col not in taken and col not in extra:
            extra.append(col)
    y_true, y_pred = found["y_true"], found["y_pred"]
    assert y_true is not None and y_pred is not None
    slices: list[str] = []
    for col in options.slices:
        if col not in names:
            raise no_such_column(col, "--slice", names, where)
        if col in (y_true, y_pred):
            raise ReportgenError(
                f"{where}: --slice {col} names the {'true' if col == y_true else 'predicted'} "
                "column; slice by a metadata column instead."
            )
        if col not in slices:
            slices.append(col)
    step = options.step
    if step is not None:
        if step not in names:
            raise no_such_column(step, "--step", names, where)
        if step in (y_true, y_pred) or step in proba.values():
            raise ReportgenError(
                f"{where}: --step {step} names a label or probability column; name the column "
                "that holds the epoch or training step."
            )
        # the step column travels with the shown columns; the report drops it once restricted
        if step not in taken and step not in extra:
            extra.append(step)
    if options.slice_all:
        roles = {*taken, *proba.values(), *([step] if step is not None else [])}
        slices += [c for c in names if c not in roles and c not in slices]
    if y_true == y_pred:
        raise ReportgenError(
            f"{where}: column '{y_true}' was named for both the true and the predicted labels."
        )
    return ColumnMap(
        y_true=y_true,
        y_pred=y_pred,
        id=found["id"],
        sample=found["sample"],
        buckets=found["buckets"],
        split=found["split"],
        proba=proba,
        proba_prefix=prefix,
        extra=tuple(extra),
        slices=tuple(slices),
    )


def no_such_column(name: str, option: str, names: Sequence[str], where: str) -> ReportgenError:
    """Say that the column an option names is not in the file, and list the ones that are."""
    return ReportgenError(
        f"{where}: no column '{name}' (named with {option}). "
        f"The file has columns: {list_names(names)}."
    )


def list_names(names: Sequence[str], limit: int = 40) -> str:
    """List column names for a message, the first `limit` of them."""
    if not names:
        return "(none)"
    shown = ", ".join(quoted(n) for n in names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")


def _find_column(
    names: list[str], explicit: str | None, role: str, where: str, *, required: bool
) -> str | None:
    option = OPTION_FOR[role]
    if explicit is not None:
        if explicit in names:
            return explicit
        raise no_such_column(explicit, option, names, where)
    aliases = ALIASES[role]
    matches = [n for n in names if n.strip().lower() in aliases]
    if len(matches) > 1:
        both = " and ".join(quoted(m) for m in matches)
        raise ReportgenError(
            f"{where}: both {both} could be the {DESCRIPTION[role]} column. "
            f"Name the right one with {option} COLUMN."
        )
    if matches:
        return matches[0]
    if required:
        raise ReportgenError(
            f"{where}: no {DESCRIPTION[role]} column found; looked for "
            f"{', '.join(aliases)}. The file has columns: {list_names(names)}. "
            f"Name it with {option} COLUMN."
        )
    return None


def _find_proba(
    names: list[str], explicit: str | None, taken: set[str], where: str
) -> tuple[str | None, dict[str, str]]:
    # a prefix the user names is matched exactly; the default prefixes ignore case, as aliases do
    prefixes = (explicit,) if explicit is not None else PROBA_PREFIXES

    def starts(name: str, prefix: str) -> bool:
        head = name[: len(prefix)]
        return head == prefix if explicit is not None else head.lower() == prefix

    by_prefix = {
        p: [n for n in names if starts(n, p) and len(n) > len(p) and n not in taken]
        for p in prefixes
    }
    used = [p for p, cols in by_prefix.items() if cols]
    if explicit is not None and not used:
        raise ReportgenError(
            f"{where}: no column starts with '{explicit}' (named with --proba-prefix). "
            f"The file has columns: {list_names(names)}."
        )
    if len(used) > 1:
        raise ReportgenError(
            f"{where}: probability columns with two prefixes: "
            + " and ".join(
                f"{quoted(p)} ({', '.join(map(quoted, by_prefix[p][:3]))})" for p in used
            )
            + ". Name the right one with --proba-prefix PREFIX."
        )
    if not used:
        return None, {}
    prefix = used[0]
    proba: dict[str, str] = {}
    for n in by_prefix[prefix]:
        label = n[len(prefix) :]
        if label in proba:  # 'proba_a' and 'PROBA_a': the default prefixes ignore case
            raise ReportgenError(
                f"{where}: two probability columns for label '{label}': '{proba[label]}' and "
                f"'{n}'; which one was meant cannot be told. Rename or remove one, or name the "
                "prefix with --proba-prefix (matched exactly)."
            )
        proba[label] = n
    return by_prefix[prefix][0][: len(prefix)], proba
