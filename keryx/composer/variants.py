"""A channel's variant applied to what it publishes: its own text, media, link, first comment
and thread. One function, used both when validating (publishing.services.validate_post) and when
publishing (publishing.services.request_for), so the composer checks exactly what will be sent.

A variant is a plain mapping; absent keys (or None) mean "as in the post":
    {"text": str, "content_warning": str, "media": [Media, ...], "link": str,
     "first_comment": str, "thread": [str, ...]}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from keryx.networks import registry
from keryx.networks.base import MediaItem, PublishRequest

VARIANT_FIELDS = ("text", "content_warning", "media", "link", "first_comment", "thread")


def link_option(network: str) -> str:
    """The request option carrying a link as its own field (a link card) on this network, or ""
    where the link goes into the text (declared by the provider: RequestExtras.link_option)."""
    declared = registry.capabilities(network)
    return declared.extras.link_option if declared is not None else ""


def with_link(text: str, link: str) -> str:
    """The text carrying the link: appended on its own paragraph unless already there."""
    if not link or link in text:
        return text
    return f"{text.rstrip()}\n\n{link}" if text.strip() else link


def apply_variant(
    request: PublishRequest,
    variant: Mapping[str, Any] | None,
    network: str,
    media_item: Callable[[Any], MediaItem],
) -> PublishRequest:
    """The request as this channel sends it."""
    if not variant:
        return request
    text = request.text if variant.get("text") is None else str(variant["text"])
    cw = request.content_warning
    if variant.get("content_warning") is not None:
        cw = str(variant["content_warning"])
    media: Iterable[MediaItem] = request.media
    if variant.get("media") is not None:
        media = tuple(media_item(m) for m in variant["media"])
    options = dict(request.options)
    link = str(variant.get("link") or "").strip()
    if link:
        if link_option(network):
            options[link_option(network)] = link
        else:
            text = with_link(text, link)
    if variant.get("first_comment"):
        options["first_comment"] = str(variant["first_comment"])
    thread = [str(part) for part in (variant.get("thread") or [])]
    if thread:
        options["thread"] = thread
    return dataclasses.replace(
        request, text=text, content_warning=cw, media=tuple(media), options=options
    )


def deviations(variant: Mapping[str, Any] | None) -> list[str]:
    """Which fields a channel overrides (shown in the composer: "text, link differ")."""
    if not variant:
        return []
    return [name for name in VARIANT_FIELDS
            if variant.get(name) not in (None, "", []) or
            (name in ("text", "media") and variant.get(name) is not None)]


def model_variant(variant: Any) -> dict[str, Any]:
    """A stored PostVariant as the mapping above."""
    out: dict[str, Any] = {}
    if variant.override_text:
        out["text"] = variant.text
    if variant.content_warning:
        out["content_warning"] = variant.content_warning
    if variant.override_media:
        out["media"] = list(variant.media.all())
    if variant.link:
        out["link"] = variant.link
    if variant.first_comment:
        out["first_comment"] = variant.first_comment
    if variant.thread:
        out["thread"] = list(variant.thread)
    return out
