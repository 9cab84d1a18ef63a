"""Reading Bluesky text: a post's or a message's text with its facets resolved, as plain text.

The text of a post is already plain text; facets (app.bsky.richtext.facet) only annotate
UTF-8 byte ranges of it. Mentions and hashtags keep the text they cover ("@bob.test", "#tag").
A link keeps its text too, except where the app showed a shortened form ("example.com/a-lo...")
of the facet's address: that range becomes the full address, so what a person (and the
moderation rules' link condition) reads is the real link. Facets whose ranges are out of the
text, overlap, or cut a character in two are ignored (a client wrote them wrong).
"""

from __future__ import annotations

from typing import Any

LINK = "app.bsky.richtext.facet#link"
ELLIPSES = ("...", "…")


def _shortened(shown: str, uri: str) -> bool:
    """Whether `shown` is the app's short form of `uri` (scheme dropped, cut with an ellipsis)."""
    if shown == uri:
        return False
    bare = uri.split("://", 1)[-1]
    for ellipsis in ELLIPSES:
        if shown.endswith(ellipsis):
            head = shown[: -len(ellipsis)]
            return bool(head) and (bare.startswith(head) or uri.startswith(head))
    return shown in (bare, bare.removeprefix("www."))


def plain_text(text: Any, facets: Any = None) -> str:
    """`text` with shortened link facets written out in full (see the module docstring)."""
    if not isinstance(text, str):
        return ""
    if not isinstance(facets, list) or not facets:
        return text
    data = text.encode("utf-8")
    replacements: list[tuple[int, int, bytes]] = []
    for facet in facets:
        if not isinstance(facet, dict):
            continue
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data)):
            continue
        for feature in facet.get("features") or []:
            if not isinstance(feature, dict) or feature.get("$type") != LINK:
                continue
            uri = feature.get("uri")
            try:
                shown = data[start:end].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if isinstance(uri, str) and uri and _shortened(shown, uri):
                replacements.append((start, end, uri.encode("utf-8")))
    replacements.sort()
    out, position = [], 0
    for start, end, value in replacements:
        if start < position:
            continue  # overlapping facets: the first one wins
        out.append(data[position:start])
        out.append(value)
        position = end
    out.append(data[position:])
    return b"".join(out).decode("utf-8", errors="replace")
