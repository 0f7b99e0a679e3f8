"""Words every kind of report uses: plurals, labels in a sentence, which rows are described."""

from __future__ import annotations

from reportgen.record.types import EvaluationFacts
from reportgen.words.numbers import count


def in_sentence(label: str) -> str:
    """A card's label inside a sentence: 'Accuracy' -> 'accuracy'; 'MAE', 'ROC AUC' stay."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def plural(n: int, word: str, many: str | None = None) -> str:
    """Say '1 error' or '31 errors'."""
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def stands_out(p_adjusted: float | None, alpha: float) -> bool:
    """Whether an adjusted p-value names a pattern: below alpha (None: not tested)."""
    return p_adjusted is not None and p_adjusted < alpha


def in_sample(seen: int, rows: int) -> str:
    """Say that counts come from a seeded sample when they cover fewer rows than described."""
    return f" in a seeded sample of {seen:,} of the {rows:,} rows" if seen < rows else ""


def and_list(items: list[str]) -> str:
    """Join 'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def default_reason(rule: str) -> str:
    """Why the default rule chose the evaluated splits, to follow 'chosen by default'."""
    return {
        "dev": " as the development split",
        "test": ": there is no development split (dev, val, valid or validation)",
        "not-train": ": there is neither a development split (dev, val, valid or validation) "
        "nor a test split",
    }[rule]


def evaluation_words(
    ev: EvaluationFacts, *, names: tuple[str, str] | None = None, unit: str = "row"
) -> dict[str, str]:
    """Say which rows the page describes: a short `text` for the header, a `note` on why.

    For a comparison (`names` and `ev["split_columns"]`), the note says when the split column
    comes from one of the two files only. `unit` is what the split column splits: rows, or a
    detection report's images.
    """
    words = _evaluation_words(ev, unit)
    columns = ev.get("split_columns")
    if names is not None and columns is not None and ev["rule"] != "no-split":
        has = [i for i, c in enumerate(columns) if c is not None]
        if len(has) == 1:
            side, other = names[has[0]], names[1 - has[0]]
            words["note"] += (
                f" Only {side}'s file has the split column '{columns[has[0]]}': a row's split "
                f"does not depend on the model, so it serves {other}'s rows too."
            )
    return words


def _evaluation_words(ev: EvaluationFacts, unit: str = "row") -> dict[str, str]:
    """Say which rows the page describes (a file's words, shared by every kind of report)."""
    rule, names = ev["rule"], list(ev["splits"])
    rows, total = ev["rows"], ev["rows_total"]
    if rule == "no-split":
        return {"text": count(total), "note": ""}
    if rule == "all":
        text = f"all splits: {plural(total, unit)}"
        note = f"The page describes every {unit}, train {unit}s included (--eval-split all)."
        if ev["empty_split_cells"]:
            note = note[:-1] + f", and the {plural(ev['empty_split_cells'], unit)} with an empty "
            note += "split cell."
        return {"text": text, "note": note}
    quoted = and_list([f"'{n}'" for n in names])
    which = f"{names[0]} split" if len(names) == 1 else f"splits {and_list(names)}"
    text = f"{which}: {count(rows)} of {plural(total, unit)}"
    if rule == "named":
        note = f"The page describes the split {quoted}, named with --eval-split."
    else:
        why = default_reason(rule)
        chosen = (
            f"every split but train ({quoted})" if rule == "not-train" else f"the split {quoted}"
        )
        note = (
            f"The page describes {chosen}, chosen by default{why}. Train {unit}s are never pooled "
            f"in; --eval-split names another split, or all for every {unit}."
        )
    if ev["empty_split_cells"]:
        empty = ev["empty_split_cells"]
        note += f" {plural(empty, unit)} with an empty split cell {'is' if empty == 1 else 'are'}"
        note += " left out."
    return {"text": text, "note": note}
