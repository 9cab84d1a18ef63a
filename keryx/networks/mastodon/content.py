"""Mastodon's text: how it counts characters, how a status's HTML reads as text, and what a
sent text and a shown one have in common (to recognise our own statuses)."""

from __future__ import annotations

import html
from typing import Any

import regex

from keryx.networks.base import Counter, PublishRequest
from keryx.networks.mastodon.server import DEFAULT_URL_LENGTH
from keryx.networks.text import find_mentions, find_urls, graphemes


def mastodon_length(text: str, url_length: int = DEFAULT_URL_LENGTH) -> int:
    """Characters as Mastodon counts them: grapheme clusters, every URL as `url_length`,
    a remote mention @user@domain as @user."""
    pieces: list[tuple[int, int, int]] = []  # (start, end, counted length)
    for span in find_urls(text):
        pieces.append((span.start, span.end, url_length))
    urls = list(pieces)
    for span in find_mentions(text):
        if span.domain and all(span.end <= s or span.start >= e for s, e, _ in urls):
            pieces.append((span.start, span.end, graphemes("@" + span.value)))
    pieces.sort()
    total, cursor = 0, 0
    for start, end, counted in pieces:
        total += graphemes(text[cursor:start]) + counted
        cursor = end
    return total + graphemes(text[cursor:])


_TAG = regex.compile(r"<[^>]*>")
_BREAK = regex.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", regex.IGNORECASE)



def length_for(settings: Any) -> Counter:
    """Mastodon's count with the server's own link length (learnt at connect time)."""
    url_length = int(settings.get("characters_reserved_per_url") or DEFAULT_URL_LENGTH)
    return lambda text: mastodon_length(text, url_length)

def html_to_text(content: str) -> str:
    """A status's HTML as plain text: Mastodon wraps paragraphs, links mentions and hides
    URL parts in invisible spans, but the text nodes keep every character."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content or "")))


def comparable(text: str) -> str:
    """Normalised for matching a sent text against what the server shows: whitespace collapsed,
    @user@domain reduced to @user (Mastodon renders local-looking mentions)."""
    spans = [s for s in find_mentions(text) if s.domain]
    for span in reversed(spans):
        text = text[: span.start] + "@" + span.value + text[span.end :]
    return " ".join(text.split())


def follow_ups(request: PublishRequest) -> list[str]:
    """The replies a request makes after its root: the thread's parts, then the first comment."""
    texts = [str(part) for part in request.options.get("thread") or []]
    first_comment = request.options.get("first_comment")
    if first_comment:
        texts.append(str(first_comment))
    return texts
