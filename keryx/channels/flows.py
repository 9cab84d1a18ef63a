"""How each network connects: its own flow (Bluesky, Mastodon), OAuth 2.0, or the fields a
headless connect asks for; the redirect URIs; checking the values a user gives."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from keryx.channels.errors import ChannelError
from keryx.channels.providers import network_config
from keryx.networks.base import ConnectField, OAuth2Spec
from keryx.networks.registry import get_provider_class
from keryx.networks.registry import names as registry_names

logger = logging.getLogger(__name__)

# The token fields every network takes on the command line and in the API, besides its own
# connect_fields (--access-token, --refresh-token, --expires-at).
TOKEN_FIELDS = (
    ConnectField("access_token", "Access token", secret=True, required=False),
    ConnectField("refresh_token", "Refresh token", secret=True, required=False),
    ConnectField("expires_at", "Access token expiry (ISO 8601)", required=False),
)
# Networks with their own connect flows (instance-specific OAuth apps, app passwords).
OWN_FLOWS = frozenset({"mastodon", "bluesky"})


def oauth_spec(network: str) -> OAuth2Spec | None:
    return getattr(get_provider_class(network), "oauth", None)


def is_oauth(network: str) -> bool:
    try:
        return network not in OWN_FLOWS and oauth_spec(network) is not None
    except (KeyError, ImportError):
        return False


def connect_fields(network: str) -> tuple[ConnectField, ...]:
    """What connecting this network without a browser asks for: its own fields, then tokens."""
    cls = get_provider_class(network)
    own = tuple(getattr(cls, "connect_fields", ()) or ())
    names = {f.name for f in own}
    # A network connected with an app password takes no tokens made elsewhere.
    takes_tokens = cls.capabilities.connect != "app_password"
    tokens = tuple(f for f in TOKEN_FIELDS if f.name not in names and takes_tokens)
    if getattr(cls, "oauth", None) is not None and "access_token" not in names:
        # An OAuth network connected headless needs at least the access token.
        tokens = tuple(
            dataclasses.replace(f, required=True) if f.name == "access_token" else f
            for f in tokens
        )
    return own + tokens


def docs_hint(network: str) -> str:
    return f"docs/networks/{network}.md"


def mastodon_redirect_uri() -> str:
    return settings.BASE_URL + reverse("channels:mastodon_callback")


def oauth_redirect_uri(network: str) -> str:
    if network == "mastodon":
        return mastodon_redirect_uri()
    return settings.BASE_URL + reverse("channels:oauth_callback", args=[network])


def split_values(
    network: str, values: dict[str, Any], *, oauth_only: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(credentials, settings) from user-given values, checked against the network's fields.
    With oauth_only, only the fields kept in settings are taken (tokens come from OAuth)."""
    fields = connect_fields(network)
    known = {f.name: f for f in fields}
    unknown = sorted(k for k, v in values.items() if k not in known and v not in (None, ""))
    if unknown:
        raise ChannelError(
            _("%(network)s does not take %(fields)s.")
            % {"network": get_provider_class(network).display_name, "fields": ", ".join(unknown)},
            code="unknown_field",
        )
    credentials: dict[str, Any] = {}
    channel_settings: dict[str, Any] = {}
    missing = []
    for f in fields:
        if oauth_only and (f.store != "settings" or f in TOKEN_FIELDS):
            continue
        value = values.get(f.name)
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            # Through OAuth the provider may find the value itself (the account's only page).
            if f.required and not oauth_only:
                missing.append(f.name)
            continue
        if f.name == "expires_at":
            value = _parse_expiry(str(value))
        (channel_settings if f.store == "settings" else credentials)[f.name] = value
    if missing:
        raise ChannelError(
            _("%(network)s also needs: %(fields)s.")
            % {"network": get_provider_class(network).display_name,
               "fields": ", ".join(missing)},
            code="missing_field",
        )
    return credentials, channel_settings


def _parse_expiry(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ChannelError(
            _("The expiry %(value)s is not an ISO 8601 time (e.g. 2026-05-01T12:00:00Z).")
            % {"value": value},
            code="bad_expiry",
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def connect_option(network: str) -> dict[str, Any]:
    """How a network connects, for the connect page: OAuth (configured or not) and/or the
    credential fields. KeyError for an unknown network."""
    cls = get_provider_class(network)
    spec = getattr(cls, "oauth", None)
    config = network_config(network)
    fields = connect_fields(network) if network not in OWN_FLOWS else ()
    return {
        "network": network,
        "display_name": cls.display_name,
        "own_flow": network in OWN_FLOWS,
        "oauth": spec is not None and network not in OWN_FLOWS,
        "oauth_configured": bool(config.get("client_id") and config.get("client_secret")),
        "connect": cls.capabilities.connect,
        "fields": fields,
        # What the page lists as needed (joined there, so no stray separator).
        "required_labels": [str(f.label) for f in fields if f.required],
        "docs": docs_hint(network),
        "env_prefix": f"KERYX_{network.upper()}",
        "redirect_uri": oauth_redirect_uri(network),
    }


def connect_options() -> list[dict[str, Any]]:
    options = []
    for network in registry_names():
        try:
            options.append(connect_option(network))
        except (KeyError, ImportError):
            logger.exception("network %s cannot be loaded", network)
    return sorted(options, key=lambda o: o["display_name"].lower())
