"""How a post will look on each network, as data the composer draws: the text cut into plain
text, links, mentions and hashtags (shown as the network shows them), where the network folds
long text behind "… more", the content warning, media count and the thread's parts.

Approximate by nature (each app draws its own way); what it gets right is what users trip on:
shortened links, folded captions, hidden text behind a content warning, the thread split.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from keryx.networks import registry
from keryx.networks.base import PreviewRules
from keryx.networks.text import Span, find_hashtags, find_mentions, find_urls


def _rules(network: str) -> PreviewRules:
    """Where the network's app folds a long text, how it shortens links (declared by it)."""
    declared = registry.capabilities(network)
    return declared.preview if declared is not None else PreviewRules()


def _display_url(url: str, width: int | None) -> str:
    shown = url.split("://", 1)[-1]
    if width is None or len(shown) <= width:
        return shown
    return shown[: width - 1] + "…"


@lru_cache(maxsize=64)
def _entities(text: str) -> tuple[tuple[int, int, str, Span], ...]:
    """Links, mentions and tags of a text: the same for every network, so found once."""
    spans = [(s.start, s.end, "link", s) for s in find_urls(text)]
    spans += [(s.start, s.end, "mention", s) for s in find_mentions(text)]
    spans += [(s.start, s.end, "tag", s) for s in find_hashtags(text)]
    return tuple(sorted(spans, key=lambda item: item[0]))


def segments(text: str, network: str) -> list[dict[str, Any]]:
    """The text as [{"kind": "text"|"link"|"mention"|"tag", "text", "href"?}], in order."""
    spans = _entities(text)
    link_width = _rules(network).link_width
    out: list[dict[str, Any]] = []
    cursor = 0
    for start, end, kind, span in spans:
        if start < cursor:
            continue
        if start > cursor:
            out.append({"kind": "text", "text": text[cursor:start]})
        if kind == "link":
            out.append({"kind": "link", "text": _display_url(span.value, link_width),
                        "href": span.value})
        else:
            out.append({"kind": kind, "text": span.text})
        cursor = end
    if cursor < len(text):
        out.append({"kind": "text", "text": text[cursor:]})
    return out


def preview(network: str, display_name: str, *, text: str, content_warning: str = "",
            media_count: int = 0, thread: list[str] | None = None,
            first_comment: str = "") -> dict[str, Any]:
    parts = [text, *(thread or [])]
    return {
        "network": network,
        "name": display_name,
        "content_warning": content_warning,
        "media_count": media_count,
        "fold_at": _rules(network).fold_at,
        "parts": [{"segments": segments(part, network), "length": len(part)} for part in parts],
        "first_comment": first_comment,
    }
