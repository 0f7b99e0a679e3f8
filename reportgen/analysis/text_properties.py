"""Measured properties of text samples: length, symbols, rare words, script, duplicates, negation.

A cell is **empty** when it is not a string (None, a pandas NaN) or holds only white space;
an empty cell gets NaN in every numeric property, "" as its script and False in every flag,
and text_columns leaves it unmeasured (NaN) in every column.

Each text is first **normalised**: Unicode NFKC, then casefolded (str.casefold). Then:

- tokens: the number of tokens of the normalised text, a token being a run of Unicode word
  characters (Python's `\\w+`: letters, marks, digits, underscore), so "don't" is two
  tokens ("don", "t") and "e-mail" two ("e", "mail").
- characters: the number of code points of the cell as given (a lone surrogate counts one).
- non_alphabetic: of the cell's characters that are not white space (str.isspace), the
  share that are not letters; letters are Unicode categories L* and the combining marks M*
  (which belong to the letter they follow: the vowel signs of Devanagari and Thai, accents).
  Digits, punctuation, symbols, emoji and control characters all count as non-alphabetic.
  NaN when the cell has no character other than white space (which makes it empty).
- out_of_vocabulary: no word list ships, so the vocabulary is the column's own: a token is
  out of vocabulary when it occurs in fewer than VOCABULARY_ROWS (2) rows of the column, i.e.
  in no other row (its document frequency, so a word repeated inside one row is still
  rare). Rows rather than occurrences, because repetition inside one text says nothing about
  the word being common; 2 rather than a larger k, because it needs no tuning to the size
  of the column: a word no other text uses is a typo, a name, a foreign or garbled word.
  Tokens of digits only (str.isdigit) are left out of both counts (every order number would
  otherwise be "rare"; numbers have their own flag). The share is NaN when a row has no other
  token. The share depends on the size of the column: in a small column more words are
  seen once, so "rare words" reads as relative to the data set.
- script: the dominant script of the cell's letters (category L*), a letter's script being
  the first word of its unicodedata.name (after a leading FULLWIDTH or HALFWIDTH): LATIN,
  CYRILLIC, GREEK, ARABIC, HEBREW, CJK (Han), HIRAGANA / KATAKANA / KATAKANA-HIRAGANA
  ("Hiragana/Katakana"), HANGUL, DEVANAGARI, THAI; any other letter is "other". The script
  with the most letters wins, a tie going to the earlier one in SCRIPTS; "" when the cell has
  no letter (digits or symbols only) or is empty.
- duplicate: the normalised text with its white space collapsed to single spaces and
  stripped occurs in another non-empty row (so "Hello  World" and "hello world" are
  duplicates of each other).
- negation: a token of the normalised text is an English negation word (not, no, never,
  none, nobody, nothing, neither, nor, without, cannot), or the normalised text holds "n't"
  or "n’t" after a word character (don't, can’t, won't). English only: negation in other
  languages is not seen, and "no" is counted wherever it is a word ("no. 5" included).
- number: the normalised text holds a decimal digit (Unicode category Nd, Python's `\\d`;
  NFKC has already turned "²" into "2").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from reportgen.analysis.property_buckets import AT_LEAST, HIGHEST, LOWEST, Condition

SCRIPTS: tuple[str, ...] = (
    "Latin",
    "Cyrillic",
    "Greek",
    "Arabic",
    "Hebrew",
    "Han",
    "Hiragana/Katakana",
    "Hangul",
    "Devanagari",
    "Thai",
    "other",
)
# a letter's first name word (after FULLWIDTH / HALFWIDTH) -> its script in SCRIPTS
_SCRIPT_WORDS = {
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
VOCABULARY_ROWS = 2  # a token in fewer rows than this is out of vocabulary
SCRIPT_COLUMN_SHARE = 0.05  # a script gets a column when it dominates this share of rows
SYMBOL_HEAVY = 0.25  # "symbol-heavy": at least this share of non-space characters
RARE_WORDS = 0.20  # "rare words": at least this share of a row's tokens out of vocabulary

TEXT_CONDITIONS: tuple[Condition, ...] = (
    Condition("short", "tokens", LOWEST, 0.10),
    Condition("long", "tokens", HIGHEST, 0.10),
    Condition("symbol-heavy", "non_alphabetic", AT_LEAST, SYMBOL_HEAVY),
    Condition("duplicate", "duplicate", AT_LEAST, 1.0),
    Condition("negation", "negation", AT_LEAST, 1.0),
    Condition("has numbers", "number", AT_LEAST, 1.0),
    Condition("rare words", "out_of_vocabulary", AT_LEAST, RARE_WORDS),
)

_TOKEN = re.compile(r"\w+")
_NEGATION_WORDS = frozenset(
    ("not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "cannot")
)
_CONTRACTED_NOT = re.compile(r"\wn['’]t\b")  # don't, can’t: "n't" after a word character
_DIGIT = re.compile(r"\d")
_BLOCK = 1 << 22  # code points classified at a time: keeps the per-character arrays small
_NO_SCRIPT = 255  # the script code of a character that is not a letter


@dataclass(frozen=True)
class TextProperties:
    """Per-row measures of a text column (see the module docstring for their definitions)."""

    tokens: np.ndarray  # float64, NaN where empty
    characters: np.ndarray  # float64, NaN where empty
    non_alphabetic: np.ndarray  # float64 share, NaN where empty
    out_of_vocabulary: np.ndarray  # float64 share, NaN where empty or no non-digit token
    script: np.ndarray  # str (a name of SCRIPTS), "" where empty or without letters
    duplicate: np.ndarray  # bool, False where empty
    negation: np.ndarray  # bool, False where empty
    number: np.ndarray  # bool, False where empty

    @property
    def empty(self) -> np.ndarray:
        """The rows whose cell is empty (not measured)."""
        return np.asarray(np.isnan(self.tokens))


def text_properties(texts: Sequence[str | None]) -> TextProperties:
    """Measure every text of a column (a None, NaN or blank cell is empty)."""
    n = len(texts)
    raw = [t if isinstance(t, str) and not t.isspace() and t else "" for t in texts]
    empty = np.array([not t for t in raw], dtype=bool)
    folded = [unicodedata.normalize("NFKC", t).casefold() for t in raw]
    token_lists = [_TOKEN.findall(t) for t in folded]
    tokens = np.array([len(t) for t in token_lists], dtype=np.float64)
    characters = np.array([len(t) for t in raw], dtype=np.float64)
    non_alphabetic, script = _characters(raw)
    out_of_vocabulary, negation, number = _token_measures(token_lists)
    negation |= np.array([_CONTRACTED_NOT.search(t) is not None for t in folded], dtype=bool)
    keys = [" ".join(t.split()) for t in folded]
    seen = Counter(k for k in keys if k)
    duplicate = np.array([bool(k) and seen[k] > 1 for k in keys], dtype=bool)
    for column in (tokens, characters, non_alphabetic, out_of_vocabulary):
        column[empty] = math.nan
    script[empty] = ""
    assert tokens.shape == (n,)
    return TextProperties(
        tokens=tokens,
        characters=characters,
        non_alphabetic=non_alphabetic,
        out_of_vocabulary=out_of_vocabulary,
        script=script,
        duplicate=duplicate,
        negation=negation,
        number=number,
    )


def text_columns(props: TextProperties) -> dict[str, np.ndarray]:
    """Numeric columns for property_buckets: NaN where empty, flags as 0/1, and one 0/1
    column "script:<name>" per script that dominates at least SCRIPT_COLUMN_SHARE of the
    non-empty rows (in the order of SCRIPTS)."""
    empty = props.empty
    columns: dict[str, np.ndarray] = {}
    for name in ("tokens", "characters", "non_alphabetic", "out_of_vocabulary"):
        columns[name] = np.asarray(getattr(props, name), dtype=np.float64).copy()
    for name in ("duplicate", "negation", "number"):
        flag = np.asarray(getattr(props, name), dtype=np.float64)
        columns[name] = np.where(empty, math.nan, flag)
    measured = int((~empty).sum())
    for name in SCRIPTS:
        is_script = props.script == name
        if measured and int(is_script.sum()) >= SCRIPT_COLUMN_SHARE * measured:
            columns[f"script:{name}"] = np.where(empty, math.nan, is_script.astype(np.float64))
    return columns


def _characters(raw: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's non-alphabetic share and dominant script, classified per code point in
    numpy (each distinct code point is looked up in unicodedata once)."""
    n = len(raw)
    non_space = np.zeros(n, dtype=np.int64)
    letters_or_marks = np.zeros(n, dtype=np.int64)
    per_script = np.zeros((n, len(SCRIPTS)), dtype=np.int64)
    start = 0
    while start < n:
        stop, size = start, 0
        while stop < n and (stop == start or size + len(raw[stop]) <= _BLOCK):
            size += len(raw[stop])
            stop += 1
        block = raw[start:stop]
        # UTF-32 gives one unit per code point; surrogatepass keeps a lone surrogate as one
        codes = np.frombuffer("".join(block).encode("utf-32-le", "surrogatepass"), np.uint32)
        lengths = np.array([len(t) for t in block], dtype=np.int64)
        row = np.repeat(np.arange(stop - start), lengths)
        space, alphabetic, script = _classes(codes)
        rows = stop - start
        non_space[start:stop] = np.bincount(row[~space], minlength=rows)
        letters_or_marks[start:stop] = np.bincount(row[alphabetic & ~space], minlength=rows)
        lettered = script != _NO_SCRIPT
        key = row[lettered] * len(SCRIPTS) + script[lettered]
        counts = np.bincount(key, minlength=rows * len(SCRIPTS))
        per_script[start:stop] = counts.reshape(rows, len(SCRIPTS))
        start = stop
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(non_space > 0, (non_space - letters_or_marks) / non_space, math.nan)
    names = np.array(SCRIPTS, dtype=f"<U{max(map(len, SCRIPTS))}")
    # argmax takes the first of equal counts: ties go to the earlier script in SCRIPTS
    script_names = np.where(per_script.sum(axis=1) > 0, names[per_script.argmax(axis=1)], "")
    return share.astype(np.float64), script_names.astype(names.dtype)


def _classes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code point: white space, letter or mark, and the script code of a letter."""
    top = int(codes.max()) + 1 if codes.size else 1
    present = np.flatnonzero(np.bincount(codes, minlength=top))
    # tables indexed by code point, filled only where a code point occurs
    space = np.zeros(top, dtype=bool)
    alphabetic = np.zeros(top, dtype=bool)
    script = np.full(top, _NO_SCRIPT, dtype=np.int64)
    for code in present.tolist():
        space[code], alphabetic[code], script[code] = _code_class(code)
    return space[codes], alphabetic[codes], script[codes]


_CLASS_CACHE: dict[int, tuple[bool, bool, int]] = {}


def _code_class(code: int) -> tuple[bool, bool, int]:
    """A code point's (white space, letter or mark, script code), cached across calls."""
    found = _CLASS_CACHE.get(code)
    if found is None:
        char = chr(code)
        category = unicodedata.category(char)
        script = _NO_SCRIPT
        if category.startswith("L"):
            words = unicodedata.name(char, "").split()
            if words and words[0] in ("FULLWIDTH", "HALFWIDTH"):
                words = words[1:]
            first = words[0] if words else ""
            script = SCRIPTS.index(_SCRIPT_WORDS.get(first, "other"))
        found = (char.isspace(), category[0] in "LM", script)
        _CLASS_CACHE[code] = found
    return found


def _token_measures(
    token_lists: list[list[str]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's share of rare non-digit tokens, and whether it holds a negation word or a
    digit, from per-token attributes computed once per distinct token."""
    n = len(token_lists)
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=n)
    every = list(chain.from_iterable(token_lists))
    vocabulary = {t: k for k, t in enumerate(dict.fromkeys(every))}  # first-seen order
    word = np.fromiter(map(vocabulary.__getitem__, every), dtype=np.int64, count=len(every))
    row = np.repeat(np.arange(n, dtype=np.int64), lengths)
    distinct = list(vocabulary)
    digits_only = np.array([t.isdigit() for t in distinct], dtype=bool)
    negating = np.array([t in _NEGATION_WORDS for t in distinct], dtype=bool)
    with_digit = np.array([_DIGIT.search(t) is not None for t in distinct], dtype=bool)
    size = max(len(distinct), 1)
    # document frequency: each (row, token) pair counted once
    pairs = np.sort(row * size + word)
    first = np.ones(pairs.size, dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    frequency = np.bincount(pairs[first] % size, minlength=len(distinct))
    counted = ~digits_only[word]
    rare = counted & (frequency[word] < VOCABULARY_ROWS)
    counted_per_row = np.bincount(row[counted], minlength=n)
    rare_per_row = np.bincount(row[rare], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            counted_per_row > 0, rare_per_row / np.maximum(counted_per_row, 1), math.nan
        )
    negation = np.bincount(row[negating[word]], minlength=n) > 0
    number = np.bincount(row[with_digit[word]], minlength=n) > 0
    return share.astype(np.float64), negation, number
