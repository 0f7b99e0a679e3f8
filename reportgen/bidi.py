"""Bidirectional controls in user text, shown as visible escapes so they cannot reorder ours.

An unclosed right-to-left override (U+202E) in a label reverses everything after it in the
same line: the rest of a findings sentence, a Markdown table row, an email subject. Our own
words never contain these characters, so each output is made safe in one place, on the
whole text it is about to write: every control becomes `<U+202E>` (the page, the email, the
job summary, JUnit, figure text). The record keeps the values as read.
"""

from __future__ import annotations

# the embeddings and overrides (U+202A-202E), the isolates (U+2066-2069), and the marks
# (U+200E/F, U+061C): the marks cannot leak, but a label that carries one is shown as typed
CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

_TEXT = {ord(c): f"<U+{ord(c):04X}>" for c in CONTROLS}
_MARKUP = {ord(c): f"&lt;U+{ord(c):04X}&gt;" for c in CONTROLS}
_JSON = {ord(c): f"\\u{ord(c):04x}" for c in CONTROLS}


def has_controls(text: str) -> bool:
    """Whether a text holds any bidirectional control."""
    return any(c in text for c in CONTROLS)


def visible(text: str) -> str:
    """Replace each bidirectional control of a plain text with its code point, e.g. <U+202E>."""
    return text.translate(_TEXT)


def visible_markup(markup: str) -> str:
    """Replace each bidirectional control of HTML or XML text with its escaped code point."""
    return markup.translate(_MARKUP)


def json_escaped(text: str) -> str:
    """Write each bidirectional control of a JSON document as a \\u escape (the same value)."""
    return text.translate(_JSON)
