"""Labels written as numbers: which texts are plain numbers, read as one label however spelled."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reportgen.read.table import label_text

# A number as programs write one: no leading zero, no plus sign. Such a label is its number
# ('3', '3.0' and '3.00' are one label, 3: pandas writes a float column as 3.0); anything else
# is text, kept as written ('01' and '+1' are codes, not 1). The rule looks at one spelling at
# a time, so a file read whole and one read in batches agree.
PLAIN_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"


def plain_numbers(texts: pd.Series) -> bool:
    """Tell whether every text (surrounding spaces aside) is a number written plainly."""
    stripped = texts.astype("str").str.strip()
    return bool(stripped.str.fullmatch(PLAIN_NUMBER).all())


def numeric_categories(values: pd.Series) -> pd.Series:
    """Read a text categorical's plain numbers as numbers (see PLAIN_NUMBER).

    When every category is one, the categories become numbers; otherwise the plain ones are
    written as labels write numbers (3.0 as '3') and the others kept as they are.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values
    categories = values.cat.categories
    if pd.api.types.is_numeric_dtype(categories.dtype) or len(categories) == 0:
        return values
    texts = pd.Series(categories.astype("str"))
    stripped = texts.str.strip()
    plain = stripped.str.fullmatch(PLAIN_NUMBER).to_numpy(dtype=bool)
    numbers = pd.to_numeric(stripped.where(plain), errors="coerce").to_numpy(dtype="float64")
    plain = plain & np.isfinite(numbers)  # a number past float's range: the text is all there is
    codes = values.cat.codes.to_numpy()
    if plain.all():
        if not pd.Series(numbers).duplicated().any():
            return values.cat.rename_categories(pd.Index(numbers))
        merged = numbers[codes]  # '1' and '1.0': one number written two ways
        merged[codes < 0] = float("nan")
        return pd.Series(merged, index=values.index, name=values.name)
    if not plain.any():
        return values
    spelled = [label_text(n) if p else t for n, p, t in zip(numbers, plain, texts, strict=True)]
    if len(set(spelled)) == len(spelled):
        return values.cat.rename_categories(spelled)
    order = {t: i for i, t in enumerate(dict.fromkeys(spelled))}
    position = np.array([order[t] for t in spelled] + [-1], dtype=np.int64)
    merged_codes = position[codes]  # code -1 (empty) picks the last entry, -1
    return pd.Series(
        pd.Categorical.from_codes(merged_codes, categories=pd.Index(list(order), dtype=object)),
        index=values.index,
        name=values.name,
    )
