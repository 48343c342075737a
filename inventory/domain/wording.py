"""Small helpers for words: messages that stay grammatical ("1 line", "2 lines", "an item") and
whether a text a person typed says anything."""

from __future__ import annotations

import unicodedata


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` with its noun: "1 line", "0 lines", "2 lines" (``nouns`` for irregulars)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def article(words: str, *, capital: bool = False) -> str:
    """``words`` after "a" or "an", by the first letter: "an item", "a warehouse" ("An item"
    with ``capital``, to start a sentence)."""
    first = "an" if words[:1].lower() in "aeiou" else "a"
    return f"{first.capitalize() if capital else first} {words}"


def quoted(text: str, longest: int = 40) -> str:
    """``text`` in quotes for a message, cut to ``longest`` characters: a 10,000-character
    scan or a pasted file is named, not repeated."""
    shown = text if len(text) <= longest else text[: longest - 1] + "…"
    return f"“{shown}”"


def blank(text: str | None) -> bool:
    """Nothing a reader would see: only whitespace and invisible format characters (a zero-width
    space or a byte-order mark, which ``str.strip`` keeps)."""
    return not text or all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)
