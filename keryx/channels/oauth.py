"""OAuth 2.0 sign-in for any network (authorization code, PKCE), and the single-use state
every browser sign-in (Mastodon's too) is checked against."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.channels.access import require
from keryx.channels.errors import ChannelError
from keryx.channels.flows import OWN_FLOWS, docs_hint, oauth_redirect_uri, split_values
from keryx.channels.models import Channel, OAuthState
from keryx.channels.providers import provider_context, verify
from keryx.channels.store import clean_name, save_connection
from keryx.core.models import Workspace
from keryx.core.permissions import Action
from keryx.networks import oauth2
from keryx.networks.base import OAuth2Spec, ProviderContext, ProviderError
from keryx.networks.registry import get_provider_class

OAUTH_STATE_TTL = timedelta(minutes=15)


def claim_state(state: str | None, network: str, user: Any) -> OAuthState:
    """The pending authorization this answer belongs to, used up: single use, 15 minutes,
    and only for the user who started it."""
    if not state:
        raise ChannelError(
            _("The sign-in answer has no state; start connecting again."), code="bad_state"
        )
    pending = OAuthState.objects.filter(state=state, network=network).first()
    # Deleting is the claim: of two requests with the same state only one deletes the row.
    if pending is None or OAuthState.objects.filter(pk=pending.pk).delete()[0] == 0:
        raise ChannelError(
            _("This sign-in link is unknown or was already used; start connecting again."),
            code="bad_state",
        )
    if pending.user_id != getattr(user, "pk", None):
        raise ChannelError(
            _("This sign-in was started by another user; start connecting again."),
            code="bad_state",
        )
    if pending.created_at < timezone.now() - OAUTH_STATE_TTL:
        raise ChannelError(
            _("This sign-in took longer than 15 minutes and expired; start connecting again."),
            code="expired_state",
        )
    return pending


def new_state() -> str:
    OAuthState.objects.filter(created_at__lt=timezone.now() - OAUTH_STATE_TTL).delete()
    return secrets.token_urlsafe(32)


def _oauth_app(network: str) -> ProviderContext:
    """The provider context for the app itself (no account yet); refuses when the self-hoster
    has not configured the app's credentials."""
    context = provider_context(network, {}, {})
    if not context.client_id or not context.client_secret:
        prefix = f"KERYX_{network.upper()}"
        raise ChannelError(
            _("Connecting %(network)s needs your own app: set %(prefix)s_CLIENT_ID and "
              "%(prefix)s_CLIENT_SECRET; see %(docs)s.")
            % {"network": get_provider_class(network).display_name, "prefix": prefix,
               "docs": docs_hint(network)},
            code="oauth_not_configured",
        )
    return context


def _oauth_network(network: str) -> Any:
    try:
        cls = get_provider_class(network)
    except KeyError as exc:
        raise ChannelError(
            _("Keryx does not know the network %(network)s.") % {"network": network},
            code="unknown_network",
        ) from exc
    if network in OWN_FLOWS or getattr(cls, "oauth", None) is None:
        raise ChannelError(
            _("%(network)s is not connected through OAuth here.")
            % {"network": cls.display_name},
            code="not_oauth",
        )
    return cls


def begin_oauth(
    workspace: Workspace,
    user: Any,
    network: str,
    name: str | None = None,
    reconnect_channel: Channel | None = None,
    values: dict[str, Any] | None = None,
) -> str:
    """Start connecting (or reconnecting) an account: the URL to send the browser to.

    The state and the PKCE verifier are kept (the verifier encrypted) until the user comes
    back; `values` are the network's settings fields (a page id, a board) for the channel."""
    require(workspace, user, Action.CONNECT_CHANNEL)
    cls = _oauth_network(network)
    spec: OAuth2Spec = cls.oauth
    context = _oauth_app(network)
    name = clean_name(name)
    channel_settings: dict[str, Any] = {}
    if reconnect_channel is not None:
        if reconnect_channel.workspace_id != workspace.pk or reconnect_channel.network != network:
            raise ChannelError(_("No such channel."), code="bad_channel")
        channel_settings = dict(reconnect_channel.settings)
        name = name or reconnect_channel.name
    if values:
        channel_settings.update(split_values(network, values, oauth_only=True)[1])
    verifier, challenge = oauth2.pkce_pair() if spec.pkce else ("", "")
    state = new_state()
    OAuthState.objects.create(
        state=state,
        workspace=workspace,
        user=user,
        network=network,
        channel_name=name,
        secrets={
            "code_verifier": verifier,
            "channel_id": reconnect_channel.pk if reconnect_channel else None,
            "settings": channel_settings,
        },
    )
    redirect_uri = oauth_redirect_uri(network)
    custom = getattr(cls, "build_authorize_url", None)
    if custom is not None:
        # Networks that deviate from RFC 6749 (other parameter names) build their own URL.
        return custom(context, redirect_uri, state, challenge)
    return oauth2.authorize_url(
        spec, context.oauth_base or cls.default_oauth_base, context.client_id,
        redirect_uri, state, challenge,
    )


def finish_oauth(
    state: str | None, code: str | None, user: Any, error: str | None = None,
    *, network: str,
) -> Channel:
    """The user came back from the network: check the state once, trade the code (with the
    PKCE verifier) for tokens, ask who they belong to, and store them encrypted.

    A reconnect keeps the same channel row, and the old refresh token when the network sent
    no new one."""
    cls = _oauth_network(network)
    pending = claim_state(state, network, user)
    label = cls.display_name
    if error:
        raise ChannelError(
            _("%(network)s did not authorize Keryx (%(reason)s).")
            % {"network": label, "reason": error},
            code="denied",
        )
    if not code:
        raise ChannelError(
            _("%(network)s sent no authorization code; start connecting again.")
            % {"network": label},
            code="no_code",
        )
    workspace = pending.workspace
    require(workspace, user, Action.CONNECT_CHANNEL)
    stored = dict(pending.secrets)
    channel_settings = dict(stored.get("settings") or {})
    context = _oauth_app(network)
    try:
        tokens = cls(context).exchange_code(
            code, oauth_redirect_uri(network), stored.get("code_verifier") or ""
        )
    except ProviderError as exc:
        raise ChannelError(
            _("%(network)s refused the authorization code (%(reason)s); start connecting "
              "again.") % {"network": label, "reason": exc.message},
            code="exchange_failed",
        ) from exc
    info, credentials = verify(network, tokens.as_credentials(), channel_settings)
    reconnecting = None
    if stored.get("channel_id"):
        reconnecting = Channel.objects.filter(pk=stored["channel_id"], workspace=workspace).first()
        if reconnecting is not None and reconnecting.remote_id not in ("", info.remote_id):
            raise ChannelError(
                _("You signed in to %(network)s as %(handle)s, but this channel is %(expected)s. "
                  "Sign in with that account, or connect %(handle)s as a new channel.")
                % {"network": label, "handle": info.handle, "expected": reconnecting.handle},
                code="other_account",
            )
    existing = reconnecting or Channel.objects.filter(
        workspace=workspace, network=network, remote_id=info.remote_id
    ).first()
    if existing is not None:
        old_refresh = (existing.credentials or {}).get("refresh_token")
        if old_refresh and not credentials.get("refresh_token"):
            credentials["refresh_token"] = old_refresh
        channel_settings = {**existing.settings, **channel_settings}
        if existing.remote_id == "":
            # Connected headless without an account id: adopt this one so save_connection finds it.
            Channel.objects.filter(pk=existing.pk).update(remote_id=info.remote_id)
    return save_connection(workspace, user, network, info, credentials, channel_settings,
                 pending.channel_name)
