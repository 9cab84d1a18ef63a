"""LinkedIn's `little` commentary format: reserved characters escaped to stay plain text."""

from __future__ import annotations

import regex

from keryx.networks.text import find_hashtags, find_urls

RESERVED = frozenset("\\|{}@[]()<>#*_~")
# An explicit mention element, @[Name](urn:li:person:ID), is kept as it is.
_MENTION_ELEMENT = regex.compile(r"@\[[^\]\n]*\]\(urn:li:(?:person|organization):[^)\s]+\)")
_ESCAPED = regex.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def escape_commentary(text: str) -> str:
    """Plain text as LinkedIn `little` commentary: a backslash before each reserved character
    ( \\ | { } @ [ ] ( ) < > # * _ ~ ), except inside URLs (so they still link), in #hashtags
    (so they stay hashtags) and in explicit @[Name](urn:li:...) mention elements."""
    keep: list[tuple[int, int]] = [(s.start, s.end) for s in find_urls(text)]
    keep += [(m.start(), m.end()) for m in _MENTION_ELEMENT.finditer(text)]
    keep += [(s.start, s.end) for s in find_hashtags(text)]
    keep.sort()
    out: list[str] = []
    cursor = 0
    for start, end in keep:
        if start < cursor:
            continue  # overlapping spans: the earlier one already kept it
        out.append(_escape_plain(text[cursor:start]))
        out.append(text[start:end])
        cursor = end
    out.append(_escape_plain(text[cursor:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return "".join("\\" + ch if ch in RESERVED else ch for ch in text)


def unescape_commentary(text: str) -> str:
    return _ESCAPED.sub(r"\1", text or "")
