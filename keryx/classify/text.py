"""Cleaning a comment before any model sees it.

Comments arrive with HTML (Mastodon sends statuses as HTML), zero-width characters (copied from
apps, or used to dodge word filters), odd Unicode forms and sometimes pages of text. Every
classifier reads the same cleaned text, so a trick that hides a word from one hides it from none.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Long inputs are cut before embedding: e5 reads 512 tokens at most, and the engine windows
# longer texts at a cost that grows with length (10,000 characters took over a minute).
MAX_CHARS = 1000

_TAG = re.compile(r"<[^>]{0,2000}>")
_BREAK_TAG = re.compile(r"<\s*(br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def clean(text: str | None) -> str:
    """Plain text: no tags, entities decoded, invisible characters removed, spaces collapsed."""
    if not text:
        return ""
    text = _BREAK_TAG.sub(" ", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip()


def for_model(text: str) -> str:
    """Cleaned text, cut to what the embedding model reads."""
    return text[:MAX_CHARS]


def letters(text: str) -> list[str]:
    return _LETTER.findall(text)


def greek_share(text: str) -> float:
    """Share of the letters that are Greek (0 when there are no letters)."""
    found = letters(text)
    if not found:
        return 0.0
    greek = sum(1 for ch in found if "\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff")
    return greek / len(found)


def is_emoji_only(text: str) -> bool:
    """True when there is something, but no letter or digit: emoji, symbols, punctuation."""
    stripped = _SPACE.sub("", text)
    if not stripped:
        return False
    return not any(ch.isalnum() for ch in stripped)


def fold(text: str) -> str:
    """Lower case without accents and with one sigma, for keyword rules in Greek and English."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("ς", "σ")
