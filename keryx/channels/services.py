"""Channel actions: build a provider for a channel, and (later in this module) connect, verify
and disconnect channels."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from keryx.channels.models import Channel
from keryx.networks.base import Provider, ProviderContext
from keryx.networks.registry import get_provider_class


def provider_for(channel: Channel) -> Provider:
    """A provider instance for this channel, with its decrypted credentials.

    Refreshed credentials (a new Bluesky session, a refreshed OAuth token) are written back
    to the channel, encrypted, through the save_credentials callback.
    """
    channel_pk = channel.pk

    def save_credentials(new_credentials: dict[str, Any]) -> None:
        merged = {**channel.credentials, **new_credentials}
        channel.credentials = merged
        Channel.objects.filter(pk=channel_pk).update(
            credentials=Channel._meta.get_field("credentials").get_prep_value(merged)
        )

    context = ProviderContext(
        credentials=dict(channel.credentials),
        settings=dict(channel.settings),
        save_credentials=save_credentials,
        timeout=settings.KERYX_HTTP_TIMEOUT,
        allow_private=tuple(settings.ALLOWED_PRIVATE_HOSTS),
    )
    return get_provider_class(channel.network)(context)
