"""What a target sends: its post, adapted by the channel's variant, media and composer extras.

The one builder of a PublishRequest, used when validating (validation.py, with fetch=False) and
when publishing (the engine's preparation step, delivery.prepare), so what is checked is what
goes out. Nothing here changes a target.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from keryx.channels.models import Channel
from keryx.classify.language import UNDETERMINED, detect
from keryx.composer.variants import apply_variant, model_variant
from keryx.contacts.extras import apply_extras
from keryx.library.public import public_media_url
from keryx.library.services import item_for
from keryx.networks.base import MediaItem, PublishRequest
from keryx.publishing.models import Media, PostMedia, PostTarget, PostVariant


def media_item(media: Media, channel: Channel | None = None) -> MediaItem:
    """What is sent for this media. For a channel: the file adapted to its network (cropped,
    converted, compressed, metadata stripped, cached; see keryx.library), else the upload."""
    if channel is not None:
        return item_for(media, channel.network, channel.settings)
    return MediaItem(
        path=media.file.path,
        mime_type=media.mime_type,
        size=media.size,
        alt_text=media.alt_text,
        width=media.width,
        height=media.height,
        url=public_media_url(media),
    )


def variant_for(variants: Mapping[Any, Mapping[str, Any]] | None, channel: Channel) -> dict:
    """The variant given for this channel (keyed by its id, as int or str), or {}."""
    if not variants:
        return {}
    for key, value in variants.items():
        if str(key) == str(channel.pk):
            return dict(value or {})
    return {}


def with_extras(workspace_id: int, network: str, request: PublishRequest, *,
                fetch: bool = False) -> PublishRequest:
    """The composer's extras (@{Name} mentions, closing hashtags in a first comment, link cards,
    as each network declares them): applied when validating and when sending, so both see the
    same text. fetch=True (publishing only) may fetch a link card from the web."""
    return apply_extras(workspace_id, network, request, fetch=fetch)


_UNREAD: Any = object()


def request_for(target: PostTarget, *, idempotency_key: str | None = None,
                variant: PostVariant | None = _UNREAD,
                media: Sequence[Media] | None = None) -> PublishRequest:
    """What this target sends: the post adapted by its channel's variant, if any.

    The engine reads a whole batch's variants and media in two queries and passes each
    target's in: `variant` (its PostVariant, or None for none) and `media` (the post's, in
    order). Left out, they are read here."""
    post = target.post
    if variant is _UNREAD:
        variant = PostVariant.objects.filter(post_id=post.pk, channel_id=target.channel_id).first()
    if media is None:
        media = [pm.media for pm in
                 PostMedia.objects.filter(post_id=post.pk).select_related("media")]
    items = tuple(media_item(m, target.channel) for m in media)
    request = PublishRequest(
        text=post.text,
        media=items,
        content_warning=post.content_warning,
        idempotency_key=target.idempotency_key if idempotency_key is None else idempotency_key,
        scheduled_at=post.scheduled_at,
    )
    if variant is not None:
        # The same overrides validate_post checked (keryx.composer.variants).
        request = apply_variant(request, model_variant(variant), target.channel.network,
                                lambda m: media_item(m, target.channel))
    request = with_extras(target.workspace_id, target.channel.network, request, fetch=True)
    return dataclasses.replace(request, language=language_of(post.language, request.text))


def language_of(chosen: str, text: str) -> str:
    """The author's choice, else the language detected offline in the text that goes out (a
    variant's own text is detected on its own); "" when it cannot be told."""
    if chosen:
        return chosen
    guess = detect(text)
    return "" if guess.code == UNDETERMINED else guess.code
