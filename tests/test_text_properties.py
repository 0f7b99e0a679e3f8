"""Measured text properties: hand-made cases, a brute-force check, and buckets they make."""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections import Counter

import numpy as np
import pytest

from reportgen.analysis import text_properties as tp
from reportgen.analysis.property_buckets import property_buckets

NEGATIONS = {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without"}
SCRIPT_OF = {
    "LATIN": "Latin",
    "CYRILLIC": "Cyrillic",
    "GREEK": "Greek",
    "ARABIC": "Arabic",
    "HEBREW": "Hebrew",
    "CJK": "Han",
    "HIRAGANA": "Hiragana/Katakana",
    "KATAKANA": "Hiragana/Katakana",
    "KATAKANA-HIRAGANA": "Hiragana/Katakana",
    "HANGUL": "Hangul",
    "DEVANAGARI": "Devanagari",
    "THAI": "Thai",
}


def slow(texts: list[str | None]) -> list[dict[str, object]]:
    """The definitions of the module's docstring, one character and one token at a time."""
    cells = [t if isinstance(t, str) and t.strip() != "" else None for t in texts]
    folded = [unicodedata.normalize("NFKC", t).casefold() if t else "" for t in cells]
    tokens = [re.findall(r"\w+", f) for f in folded]
    rows_of: Counter[str] = Counter()
    for found in tokens:
        rows_of.update(set(found))
    keys = [" ".join(f.split()) for f in folded]
    out: list[dict[str, object]] = []
    for cell, f, found, key in zip(cells, folded, tokens, keys, strict=True):
        if cell is None:
            out.append({"empty": True})
            continue
        solid = [c for c in cell if not c.isspace()]
        letters = [c for c in solid if unicodedata.category(c)[0] in "LM"]
        scripts: Counter[str] = Counter()
        for c in cell:
            if unicodedata.category(c)[0] == "L":
                words = unicodedata.name(c, "").split() or [""]
                if words[0] in ("FULLWIDTH", "HALFWIDTH"):
                    words = words[1:] or [""]
                scripts[SCRIPT_OF.get(words[0], "other")] += 1
        best = max(scripts.values(), default=0)
        script = next((s for s in tp.SCRIPTS if best and scripts[s] == best), "")
        words = [t for t in found if not t.isdigit()]
        rare = [t for t in words if rows_of[t] < 2]
        out.append(
            {
                "empty": False,
                "tokens": len(found),
                "characters": len(cell),
                "non_alphabetic": 1 - len(letters) / len(solid),
                "out_of_vocabulary": len(rare) / len(words) if words else math.nan,
                "script": script,
                "duplicate": sum(k == key for k in keys) > 1,
                "negation": any(t in NEGATIONS or t == "cannot" for t in found)
                or any(f[i - 1].isalnum() or f[i - 1] == "_" for i in _contractions(f)),
                "number": any(unicodedata.category(c) == "Nd" for c in f),
            }
        )
    return out


def _contractions(f: str) -> list[int]:
    """Where "n't" or "n’t" starts with a word boundary after the t, and a character before."""
    found = []
    for i in range(1, len(f) - 2):
        if f[i] == "n" and f[i + 1] in "'’" and f[i + 2] == "t":
            after = f[i + 3] if i + 3 < len(f) else " "
            if not (after.isalnum() or after == "_"):
                found.append(i)
    return found


def column(props: tp.TextProperties, name: str) -> list[object]:
    return list(getattr(props, name).tolist())


def test_hand_made_values() -> None:
    texts = ["Hello, world!", "abc 123", "the cat sat", "the dog sat", "a zebra zebra 42", "42"]
    p = tp.text_properties(texts)
    assert column(p, "tokens") == [2, 2, 3, 3, 4, 1]
    assert column(p, "characters") == [13, 7, 11, 11, 16, 2]
    # "Hello, world!": 12 non-space characters, 10 letters; "abc 123": 6 and 3; "42": 2 and 0
    expected = [2 / 12, 3 / 6, 0, 0, 2 / 13, 1.0]
    np.testing.assert_allclose(p.non_alphabetic, expected)
    # vocabulary: "the", "sat" are in two rows; digit-only tokens do not count; "zebra" twice
    # in one row is still rare; a row of digits only has no share
    oov = [1.0, 1.0, 1 / 3, 1 / 3, 1.0, math.nan]
    np.testing.assert_allclose(p.out_of_vocabulary, oov)
    assert column(p, "number") == [False, True, False, False, True, True]
    assert column(p, "script") == ["Latin"] * 5 + [""]
    assert not p.duplicate.any() and not p.negation.any()


def test_empty_cells_are_unmeasured() -> None:
    p = tp.text_properties([None, float("nan"), "", "  \t\n", "ok"])  # type: ignore[list-item]
    assert np.isnan(p.tokens[:4]).all() and p.tokens[4] == 1
    for name in ("characters", "non_alphabetic", "out_of_vocabulary"):
        assert np.isnan(getattr(p, name)[:4]).all()
    assert column(p, "script") == ["", "", "", "", "Latin"]
    assert not (p.duplicate | p.negation | p.number).any()  # "" and blanks are no duplicates
    columns = tp.text_columns(p)
    assert list(columns) == [
        "tokens",
        "characters",
        "non_alphabetic",
        "out_of_vocabulary",
        "duplicate",
        "negation",
        "number",
        "script:Latin",
    ]
    for values in columns.values():
        assert values.dtype == np.float64 and np.isnan(values[:4]).all()
    assert columns["script:Latin"][4] == 1.0 and columns["duplicate"][4] == 0.0


def test_scripts_on_mixed_texts() -> None:
    texts = {
        "Hello мир": "Latin",  # 5 Latin letters against 3 Cyrillic
        "ab вгд": "Cyrillic",
        "ab вг": "Latin",  # a tie goes to the earlier script
        "Ｈｅｌｌｏ": "Latin",  # full-width letters
        "Γειά σου κόσμε": "Greek",
        "مرحبا بالعالم": "Arabic",
        "שלום עולם": "Hebrew",
        "東京へ行く": "Han",  # three Han letters, two Hiragana
        "カタカナとひらがな": "Hiragana/Katakana",
        "안녕하세요": "Hangul",
        "नमस्ते दुनिया": "Devanagari",
        "สวัสดีครับ": "Thai",
        "გამარჯობა": "other",  # Georgian
        "12 + 7 = 19 !": "",
    }
    p = tp.text_properties(list(texts))
    assert column(p, "script") == list(texts.values())
    # vowel signs and viramas are marks, so Devanagari and Thai words are all alphabetic
    assert p.non_alphabetic[10] == 0.0 and p.non_alphabetic[11] == 0.0


def test_duplicates_across_case_spacing_and_width() -> None:
    texts = ["Hello  World", "hello world", " HELLO\tworld ", "hello worlds", "ｈｅｌｌｏ", "hello"]
    p = tp.text_properties([*texts, None, "", "once"])
    assert column(p, "duplicate") == [True, True, True, False, True, True, False, False, False]


def test_negation_and_numbers() -> None:
    cases = {
        "I don't know": True,
        "It isn’t": True,  # the typographic apostrophe
        "We CANNOT go": True,
        "not good": True,
        "Nothing, nobody, never.": True,
        "neither this nor that": True,
        "without sugar": True,
        "notable knots": False,
        "dont": False,
        "nonetheless": False,
        "yes": False,
    }
    p = tp.text_properties(list(cases))
    assert column(p, "negation") == list(cases.values())
    numbers = {"room 42": True, "forty-two": False, "x²": True, "٣ تفاحات": True, "v_1": True}
    assert column(tp.text_properties(list(numbers)), "number") == list(numbers.values())


def test_control_characters_and_surrogates_do_not_crash() -> None:
    texts = ["a\x00b\x07c", "\ud800 lone", "\udfff\ud83d", "tab\x1bescape", "\x00"]
    p = tp.text_properties(texts)
    assert column(p, "characters") == [5, 6, 2, 10, 1]
    assert p.non_alphabetic[0] == pytest.approx(2 / 5)  # control characters are not letters
    assert p.non_alphabetic[4] == 1.0 and p.tokens[4] == 0
    tp.text_columns(p)


def random_texts(seed: int, n: int) -> list[str | None]:
    rng = np.random.default_rng(seed)
    pool = list("abcXYZ éß") + list("мирΓειά東京へカタ한글नमस्तेสวัส") + list("0123٣²,.!?'’-_ \t\x00")
    words = ["not", "Don't", "cannot", "no", "the", "cat", "ｆｕｌｌ", "n’t", "12", "a_b"]
    texts: list[str | None] = []
    for _ in range(n):
        kind = rng.integers(0, 10)
        if kind == 0:
            texts.append(None if rng.random() < 0.5 else " ")
        elif kind == 1 and texts:
            texts.append(str(texts[int(rng.integers(0, len(texts)))]).upper())
        else:
            parts = [
                str(rng.choice(words)) if rng.random() < 0.3 else "".join(rng.choice(pool, 5))
                for _ in range(int(rng.integers(1, 8)))
            ]
            texts.append(" ".join(parts))
    return texts


def test_against_a_character_by_character_computation() -> None:
    texts = random_texts(3, 400)
    p = tp.text_properties(texts)
    expected = slow(texts)
    assert p.empty.tolist() == [e["empty"] for e in expected]
    for k, e in enumerate(expected):
        if e["empty"]:
            continue
        for name in ("tokens", "characters", "non_alphabetic", "out_of_vocabulary"):
            got, want = float(getattr(p, name)[k]), float(e[name])  # type: ignore[arg-type]
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want), (
                name,
                texts[k],
            )
        for name in ("script", "duplicate", "negation", "number"):
            assert getattr(p, name)[k] == e[name], (name, texts[k])
    # the same input gives the same output
    again = tp.text_properties(texts)
    for name in ("tokens", "non_alphabetic", "out_of_vocabulary", "script", "duplicate"):
        np.testing.assert_array_equal(getattr(p, name), getattr(again, name))


def test_script_columns_need_five_percent_of_the_rows() -> None:
    five = tp.text_columns(tp.text_properties(["word"] * 95 + ["слово"] * 5 + [None] * 20))
    assert [k for k in five if k.startswith("script:")] == ["script:Latin", "script:Cyrillic"]
    four = tp.text_columns(tp.text_properties(["word"] * 96 + ["слово"] * 4))
    assert [k for k in four if k.startswith("script:")] == ["script:Latin"]


def varied_texts(seed: int, n: int) -> tuple[list[str | None], np.random.Generator]:
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{k}x" for k in range(400)]
    lengths = rng.integers(3, 60, n)
    texts: list[str | None] = [" ".join(rng.choice(vocabulary, m)) for m in lengths]
    return texts, rng


def test_errors_on_short_texts_make_a_short_bucket() -> None:
    texts, rng = varied_texts(5, 800)
    props = tp.text_properties(texts)
    short = props.tokens <= np.quantile(props.tokens, 0.1)
    errors = rng.random(len(texts)) < np.where(short, 0.5, 0.1)
    result = property_buckets(tp.text_columns(props), errors, conditions=tp.TEXT_CONDITIONS)
    assert [b.name for b in result.buckets] == ["short"]
    bucket = result.buckets[0]
    assert bucket.property == "tokens" and bucket.error_rate > 2 * bucket.rest_rate
    assert all(short[r] for r in bucket.error_rows)


def test_a_property_that_does_not_matter_makes_no_bucket() -> None:
    texts, rng = varied_texts(6, 800)
    errors = rng.random(len(texts)) < 0.15
    columns = tp.text_columns(tp.text_properties(texts))
    assert property_buckets(columns, errors, conditions=tp.TEXT_CONDITIONS).buckets == []


def test_conditions_name_columns_that_text_columns_makes() -> None:
    columns = tp.text_columns(tp.text_properties(["a b", "c d e"]))
    names = [c.name for c in tp.TEXT_CONDITIONS]
    assert names == [
        "short",
        "long",
        "symbol-heavy",
        "duplicate",
        "negation",
        "has numbers",
        "rare words",
    ]
    assert all(c.property in columns for c in tp.TEXT_CONDITIONS)


@pytest.mark.slow
def test_timing_of_100000_texts_of_50_tokens() -> None:
    """Prints the time (no timed assertion): 2.5-3.5 s on the shared 2-core machine."""
    rng = np.random.default_rng(0)
    words = np.array([f"word{k}" for k in range(20000)] + ["not", "the", "12"])
    picks = np.minimum(rng.zipf(1.3, 100_000 * 50), words.size) - 1
    texts: list[str | None] = [" ".join(row) + "." for row in words[picks].reshape(-1, 50)]
    start = time.perf_counter()
    props = tp.text_properties(texts)
    tp.text_columns(props)
    print(f"text_properties: 100,000 texts in {time.perf_counter() - start:.2f} s")
    assert props.tokens.shape == (100_000,) and float(props.tokens[0]) == 50
