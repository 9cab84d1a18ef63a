"""Building a provider for a channel, and asking a network who credentials belong to.

Network modules are reached only through the registry.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from keryx.channels.errors import ChannelError
from keryx.channels.models import Channel
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    Provider,
    ProviderContext,
    ProviderError,
    Transient,
)
from keryx.networks.netguard import BlockedAddress, check_url
from keryx.networks.registry import get_provider_class


def allow_private() -> tuple[str, ...]:
    return tuple(settings.ALLOWED_PRIVATE_HOSTS)


def network_config(network: str) -> dict[str, str]:
    """KERYX_<NETWORK>_API_BASE/_OAUTH_BASE/_CLIENT_ID/_CLIENT_SECRET (empty = not set)."""
    return dict(getattr(settings, "KERYX_NETWORK_CONFIG", {}).get(network) or {})


def provider_context(
    network: str,
    credentials: dict[str, Any],
    channel_settings: dict[str, Any],
    save_credentials: Any = None,
) -> ProviderContext:
    """The one place a ProviderContext is built: credentials and settings of a channel plus
    the deployment's endpoints and app credentials for the network."""
    config = network_config(network)
    return ProviderContext(
        credentials=dict(credentials),
        settings=dict(channel_settings),
        save_credentials=save_credentials,
        timeout=settings.KERYX_HTTP_TIMEOUT,
        allow_private=allow_private(),
        api_base=config.get("api_base", "") or "",
        oauth_base=config.get("oauth_base", "") or "",
        client_id=config.get("client_id", "") or "",
        client_secret=config.get("client_secret", "") or "",
    )


def _credentials_saver(channel: Channel) -> Any:
    channel_pk = channel.pk

    def save_credentials(new_credentials: dict[str, Any]) -> None:
        merged = {**channel.credentials, **new_credentials}
        channel.credentials = merged
        Channel.objects.filter(pk=channel_pk).update(credentials=merged)

    return save_credentials


def provider_for(channel: Channel) -> Provider:
    """A provider instance for this channel, with its decrypted credentials.

    Refreshed credentials (a new Bluesky session, a refreshed OAuth token) are written back
    to the channel, encrypted, through the save_credentials callback.
    """
    context = provider_context(
        channel.network, channel.credentials, channel.settings, _credentials_saver(channel)
    )
    return get_provider_class(channel.network)(context)


def verify(
    network: str, credentials: dict[str, Any], channel_settings: dict[str, Any]
) -> tuple[AccountInfo, dict[str, Any]]:
    """Ask the network who these credentials belong to.

    Returns the account and the credentials to store (a provider may add session tokens while
    verifying). Every failure becomes a ChannelError that says what to fix."""
    collected = dict(credentials)

    def save(new: dict[str, Any]) -> None:
        collected.update(new)

    provider = get_provider_class(network)(
        provider_context(network, credentials, channel_settings, save)
    )
    label = provider.display_name
    try:
        info = provider.verify()
    except AuthExpired as exc:
        raise ChannelError(
            _("%(network)s refused these credentials (%(reason)s). Check them, or create a new "
              "token or app password, and try again.")
            % {"network": label, "reason": exc.message},
            code="auth_refused",
        ) from exc
    except Transient as exc:
        raise ChannelError(
            _("Could not reach %(network)s: %(reason)s")
            % {"network": label, "reason": exc.message},
            code="unreachable",
        ) from exc
    except ProviderError as exc:
        raise ChannelError(
            _("%(network)s did not accept the connection: %(reason)s")
            % {"network": label, "reason": exc.message},
            code="refused",
        ) from exc
    return info, collected


def check_server_url(url: str) -> None:
    """Refuse private addresses up front, with the guard's own explanation."""
    try:
        check_url(url, allow_private())
    except BlockedAddress as exc:
        raise ChannelError(str(exc), code="address_refused") from exc
