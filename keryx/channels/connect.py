"""Connecting without a browser: Bluesky (app password), Mastodon (pasted token), and any
network from its connect fields or tokens made elsewhere.

Every connect first asks the network who the credentials belong to (provider.verify()), then
stores them encrypted.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from keryx.channels.access import require
from keryx.channels.errors import ChannelError
from keryx.channels.flows import split_values
from keryx.channels.models import Channel
from keryx.channels.providers import check_server_url, verify
from keryx.channels.store import save_connection
from keryx.core.models import Workspace
from keryx.core.permissions import Action
from keryx.networks.registry import get_provider_class

BLUESKY_DEFAULT_SERVICE = "https://bsky.social"


def connect_bluesky(
    workspace: Workspace,
    user: Any,
    handle: str,
    app_password: str,
    service: str | None = None,
    name: str | None = None,
) -> Channel:
    require(workspace, user, Action.CONNECT_CHANNEL)
    handle = (handle or "").strip().lstrip("@")
    if not handle:
        raise ChannelError(_("Enter your Bluesky handle, e.g. alice.bsky.social."), "bad_handle")
    if not (app_password or "").strip():
        raise ChannelError(_("Enter an app password (Settings → App passwords)."), "bad_password")
    service = (service or "").strip().rstrip("/") or BLUESKY_DEFAULT_SERVICE
    if "://" not in service:
        service = "https://" + service
    if not service.startswith(("https://", "http://")):
        raise ChannelError(_("The server address must start with https://."), "bad_server")
    check_server_url(service)
    credentials = {"identifier": handle, "app_password": app_password.strip()}
    channel_settings = {"service": service}
    info, credentials = verify("bluesky", credentials, channel_settings)
    return save_connection(workspace, user, "bluesky", info, credentials, channel_settings, name)


def mastodon_instance(instance: str) -> str:
    normalize = get_provider_class("mastodon").normalize_instance
    try:
        url = normalize(instance)
    except ValueError as exc:
        raise ChannelError(str(exc), code="bad_server") from exc
    check_server_url(url)
    return url


def connect_mastodon_token(
    workspace: Workspace,
    user: Any,
    instance: str,
    access_token: str,
    name: str | None = None,
) -> Channel:
    require(workspace, user, Action.CONNECT_CHANNEL)
    instance = mastodon_instance(instance)
    access_token = (access_token or "").strip()
    if not access_token:
        raise ChannelError(_("Paste an access token."), code="bad_token")
    channel_settings = {"instance": instance}
    info, credentials = verify("mastodon", {"access_token": access_token}, channel_settings)
    return save_connection(workspace, user, "mastodon", info, credentials, channel_settings, name)


def connect_with_credentials(
    workspace: Workspace,
    user: Any,
    network: str,
    values: dict[str, Any],
    name: str | None = None,
) -> Channel:
    """Connect without a browser: the network's connect_fields (bot token, webhook URL, page
    id ...) and/or tokens got elsewhere, checked with the network before they are stored."""
    if network == "bluesky":
        return connect_bluesky(workspace, user, values.get("handle", ""),
                               values.get("app_password", ""), values.get("service"), name)
    if network == "mastodon":
        return connect_mastodon_token(workspace, user, values.get("instance", ""),
                                      values.get("access_token", ""), name)
    require(workspace, user, Action.CONNECT_CHANNEL)
    try:
        get_provider_class(network)
    except KeyError as exc:
        raise ChannelError(
            _("Keryx does not know the network %(network)s.") % {"network": network},
            code="unknown_network",
        ) from exc
    credentials, channel_settings = split_values(network, values)
    info, credentials = verify(network, credentials, channel_settings)
    return save_connection(workspace, user, network, info, credentials, channel_settings, name)
