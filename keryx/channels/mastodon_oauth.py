"""Connecting Mastodon through the browser: Keryx registers its own OAuth app on each instance
(on first use), then runs the authorization-code flow against it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from keryx.channels.access import require
from keryx.channels.connect import mastodon_instance
from keryx.channels.errors import ChannelError
from keryx.channels.flows import mastodon_redirect_uri
from keryx.channels.models import Channel, OAuthApp, OAuthState
from keryx.channels.oauth import claim_state, new_state
from keryx.channels.providers import allow_private, verify
from keryx.channels.store import clean_name, save_connection
from keryx.core.models import Workspace
from keryx.core.permissions import Action
from keryx.networks.base import ProviderError
from keryx.networks.registry import get_provider_class


def _oauth_client(instance: str) -> dict[str, str]:
    """Keryx's OAuth app on this server, registered on first use and reused after."""
    redirect_uri = mastodon_redirect_uri()
    app = OAuthApp.objects.filter(
        network="mastodon", server_url=instance, redirect_uri=redirect_uri
    ).first()
    if app is not None:
        return dict(app.secrets)
    provider_class = get_provider_class("mastodon")
    try:
        client = provider_class.register_app(
            instance,
            redirect_uri,
            website=settings.BASE_URL,
            timeout=settings.KERYX_HTTP_TIMEOUT,
            allow_private=allow_private(),
        )
    except ProviderError as exc:
        raise ChannelError(
            _("Could not register Keryx on %(server)s: %(reason)s")
            % {"server": instance, "reason": exc.message},
            code="unreachable",
        ) from exc
    try:
        with transaction.atomic():
            OAuthApp.objects.create(
                network="mastodon", server_url=instance, redirect_uri=redirect_uri, secrets=client
            )
    except IntegrityError:
        # Another request registered at the same moment: use theirs, drop ours.
        app = OAuthApp.objects.get(
            network="mastodon", server_url=instance, redirect_uri=redirect_uri
        )
        return dict(app.secrets)
    return client


def begin_mastodon_oauth(
    workspace: Workspace, user: Any, instance: str, name: str | None = None
) -> str:
    """Start connecting a Mastodon account: the URL to send the user's browser to."""
    require(workspace, user, Action.CONNECT_CHANNEL)
    instance = mastodon_instance(instance)
    name = clean_name(name)
    client = _oauth_client(instance)
    state = new_state()
    OAuthState.objects.create(
        state=state,
        workspace=workspace,
        user=user,
        network="mastodon",
        server_url=instance,
        channel_name=name,
    )
    return get_provider_class("mastodon").authorize_url(
        instance, client["client_id"], mastodon_redirect_uri(), state
    )


def finish_mastodon_oauth(
    state: str | None, code: str | None, *, user: Any, error: str | None = None
) -> Channel:
    """The user came back from the server: check the state once, trade the code for a token,
    and connect the account."""
    pending = claim_state(state, "mastodon", user)
    if error:
        raise ChannelError(
            _("%(server)s did not authorize Keryx (%(reason)s).")
            % {"server": pending.server_url, "reason": error},
            code="denied",
        )
    if not code:
        raise ChannelError(
            _("The server sent no authorization code; start connecting again."), code="no_code"
        )
    workspace = pending.workspace
    require(workspace, user, Action.CONNECT_CHANNEL)
    instance = pending.server_url
    client = _oauth_client(instance)
    try:
        credentials = get_provider_class("mastodon").exchange_code(
            instance,
            client,
            mastodon_redirect_uri(),
            code,
            timeout=settings.KERYX_HTTP_TIMEOUT,
            allow_private=allow_private(),
        )
    except ProviderError as exc:
        raise ChannelError(
            _("%(server)s refused the authorization code (%(reason)s); start connecting again.")
            % {"server": instance, "reason": exc.message},
            code="exchange_failed",
        ) from exc
    channel_settings = {"instance": instance}
    info, credentials = verify("mastodon", credentials, channel_settings)
    return save_connection(
        workspace, user, "mastodon", info, credentials, channel_settings, pending.channel_name
    )
