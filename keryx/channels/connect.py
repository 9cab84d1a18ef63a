"""Connecting without a browser: any network from the fields it declares (ConnectField: bot
token, webhook URL, page id, app password, server …) and/or tokens made elsewhere.

Every connect first asks the network who the credentials belong to (provider.verify()), then
stores them encrypted. What each value must look like (a default server, a leading "@" to drop,
the provider's own check, a server address to keep off private networks) is the network's
declaration, applied here in the order it declares its fields.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from keryx.channels.access import require
from keryx.channels.errors import ChannelError
from keryx.channels.flows import connect_fields, split_values
from keryx.channels.models import Channel
from keryx.channels.providers import check_server_url, verify
from keryx.channels.store import save_connection
from keryx.core.models import Workspace
from keryx.core.permissions import Action
from keryx.networks.base import ConnectField
from keryx.networks.registry import get_provider_class


def _prepared(field: ConnectField, value: Any) -> Any:
    """One value as the network wants it stored, or ChannelError saying what is wrong."""
    if isinstance(value, str):
        value = value.strip().lstrip(field.lstrip) if field.lstrip else value.strip()
    if value in (None, "") and field.default:
        value = field.default
    if value in (None, ""):
        if field.required and field.missing:
            raise ChannelError(_(field.missing), code="missing_field")
        if field.normalize is None:
            return value  # split_values names whatever required value is missing
    if field.normalize is not None:
        try:
            value = field.normalize(str(value or ""))
        except ValueError as exc:
            code = "bad_server" if field.server_url else "bad_value"
            raise ChannelError(_(str(exc)), code=code) from exc
    if field.server_url and value:
        check_server_url(str(value))
    return value


def server_url(network: str, value: str) -> str:
    """The network's server address field (a Mastodon instance) checked and normalised as a
    connect would, for flows that start from it (an instance's own OAuth app)."""
    field = next(f for f in connect_fields(network) if f.server_url)
    return str(_prepared(field, value))


def connect_with_credentials(
    workspace: Workspace,
    user: Any,
    network: str,
    values: dict[str, Any],
    name: str | None = None,
) -> Channel:
    """Connect without a browser: the network's connect_fields (bot token, webhook URL, page
    id ...) and/or tokens got elsewhere, checked with the network before they are stored."""
    require(workspace, user, Action.CONNECT_CHANNEL)
    try:
        get_provider_class(network)
    except KeyError as exc:
        raise ChannelError(
            _("Keryx does not know the network %(network)s.") % {"network": network},
            code="unknown_network",
        ) from exc
    values = dict(values)
    fields = connect_fields(network)
    for field in fields:
        values[field.name] = _prepared(field, values.get(field.name))
    credentials, channel_settings = split_values(network, values)
    for field in fields:
        if field.key and field.key != field.name:
            for stored in (credentials, channel_settings):
                if field.name in stored:
                    stored[field.key] = stored.pop(field.name)
    info, credentials = verify(network, credentials, channel_settings)
    return save_connection(workspace, user, network, info, credentials, channel_settings, name)


# The two networks with their own connect pages and API endpoints (an app password; a server's
# own OAuth app or a pasted token) call the generic connect with their declared fields.


def connect_bluesky(
    workspace: Workspace,
    user: Any,
    handle: str,
    app_password: str,
    service: str | None = None,
    name: str | None = None,
) -> Channel:
    values = {"handle": handle, "app_password": app_password, "service": service}
    return connect_with_credentials(workspace, user, "bluesky", values, name)


def mastodon_instance(instance: str) -> str:
    return server_url("mastodon", instance)


def connect_mastodon_token(
    workspace: Workspace,
    user: Any,
    instance: str,
    access_token: str,
    name: str | None = None,
) -> Channel:
    values = {"instance": instance, "access_token": access_token}
    return connect_with_credentials(workspace, user, "mastodon", values, name)
