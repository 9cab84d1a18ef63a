"""Entity extraction shared by providers and the composer: links, mentions, hashtags.

Offsets returned here are Python string indices (code points). Networks that want other units
convert: Bluesky facets use UTF-8 byte offsets (`utf8_offset`), Telegram UTF-16 code units.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

# Measures live in counting.py (the one counting home); providers read them from here too.
from keryx.networks.counting import graphemes, utf8_length, utf16_length

__all__ = ["Span", "find_hashtags", "find_mentions", "find_urls", "graphemes", "utf8_length",
           "utf8_offset", "utf16_length"]

# A URL as people type it: scheme, then anything but whitespace; trailing punctuation that ends a
# sentence is not part of it (twitter-text and Mastodon do the same).
_URL = regex.compile(r"https?://[^\s<>\"'\u00a0]+", regex.IGNORECASE)
_URL_TRAILING = ".,;:!?…)»”’\u037e"
# @user or @user@domain.tld (Mastodon); @handle.domain (Bluesky) is matched by the same pattern.
_MENTION = regex.compile(
    r"(?<![\p{L}\p{N}_/@])@([\p{L}\p{N}_](?:[\p{L}\p{N}_.-]*[\p{L}\p{N}_])?)"
    r"(?:@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+))?"
)
# #tag: letters, marks, digits and underscore, not only digits (#1 is not a hashtag).
_HASHTAG = regex.compile(
    r"(?<![\p{L}\p{N}_&/#])[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)"
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    value: str  # the URL, the handle without "@", the tag without "#"
    domain: str = ""


def utf8_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of code-point index `index`."""
    return len(text[:index].encode("utf-8"))


def find_urls(text: str) -> list[Span]:
    spans = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_URL_TRAILING)
        # Keep a closing parenthesis that balances one inside the URL (Wikipedia links).
        end = match.start() + len(url)
        if url.count("(") > url.count(")") and text[end : end + 1] == ")":
            url += ")"
        if len(url) <= len("https://"):
            continue
        spans.append(Span(match.start(), match.start() + len(url), url, url))
    return spans


def _outside(spans: list[Span], start: int, end: int) -> bool:
    return all(end <= s.start or start >= s.end for s in spans)


def find_mentions(text: str) -> list[Span]:
    urls = find_urls(text)
    spans = []
    for match in _MENTION.finditer(text):
        if not _outside(urls, match.start(), match.end()):
            continue
        user, domain = match.group(1), match.group(2) or ""
        spans.append(Span(match.start(), match.end(), match.group(0), user, domain))
    return spans


def find_hashtags(text: str) -> list[Span]:
    urls = find_urls(text)
    spans = []
    for match in _HASHTAG.finditer(text):
        if not _outside(urls, match.start(), match.end()):
            continue
        tag = match.group(1)
        spans.append(Span(match.start(), match.end(), match.group(0), tag))
    return spans
