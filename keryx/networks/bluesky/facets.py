"""Rich text facets: the links, mentions and hashtags of a post, which the PDS does not detect
itself (app.bsky.richtext.facet)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keryx.networks.bluesky.lexicon import MAX_TAG_BYTES, MAX_TAG_GRAPHEMES
from keryx.networks.text import (
    find_hashtags,
    find_mentions,
    find_urls,
    graphemes,
    utf8_length,
    utf8_offset,
)


def looks_like_handle(value: str) -> bool:
    # A handle is a domain name: at least two labels.
    labels = value.split(".")
    return len(labels) >= 2 and all(labels)


def facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Rich text the server does not detect: links, mentions and hashtags, each indexed by
    UTF-8 byte offsets (byteStart inclusive, byteEnd exclusive). `resolve_handle` turns a
    handle into its DID (None: no such account, the mention stays plain text)."""
    found: list[tuple[int, dict[str, Any]]] = []

    def add(start: int, end: int, feature: dict[str, Any]) -> None:
        index = {"byteStart": utf8_offset(text, start), "byteEnd": utf8_offset(text, end)}
        found.append((start, {"index": index, "features": [feature]}))

    for span in find_urls(text):
        add(span.start, span.end, {"$type": "app.bsky.richtext.facet#link", "uri": span.value})
    resolved: dict[str, str | None] = {}
    for span in find_mentions(text):
        # "@user@instance" is a fediverse address, not a Bluesky handle.
        if span.domain or not looks_like_handle(span.value):
            continue
        handle = span.value.lower()
        if handle not in resolved:
            resolved[handle] = resolve_handle(handle)
        did = resolved[handle]
        if did:
            add(span.start, span.end, {"$type": "app.bsky.richtext.facet#mention", "did": did})
    for span in find_hashtags(text):
        tag = span.value
        if graphemes(tag) > MAX_TAG_GRAPHEMES or utf8_length(tag) > MAX_TAG_BYTES:
            continue  # The lexicon would refuse the whole post; the word stays plain text.
        add(span.start, span.end, {"$type": "app.bsky.richtext.facet#tag", "tag": tag})
    return [facet for _, facet in sorted(found, key=lambda pair: pair[0])]
