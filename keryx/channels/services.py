"""Channel actions: build a provider for a channel; connect (Bluesky app password, Mastodon token
or OAuth authorization-code flow), reconnect, disconnect and delete channels.

Every connect first asks the network who the credentials belong to (provider.verify()), then
stores them encrypted. A reconnect of the same account (same network and remote id in the
workspace) updates the existing Channel row, so its posts and history stay attached.
Network modules are reached only through the registry.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keryx.channels.models import Channel, ChannelStatus, OAuthApp, OAuthState
from keryx.core import audit
from keryx.core.access import require_role
from keryx.core.models import Membership, Role, Workspace
from keryx.core.netguard import BlockedAddress, check_url
from keryx.networks import oauth2
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    ConnectField,
    OAuth2Spec,
    Provider,
    ProviderContext,
    ProviderError,
    Transient,
)
from keryx.networks.registry import get_provider_class
from keryx.networks.registry import names as registry_names

logger = logging.getLogger(__name__)

BLUESKY_DEFAULT_SERVICE = "https://bsky.social"
OAUTH_STATE_TTL = timedelta(minutes=15)
# Targets still on their way out (failed ones may be retried): deleting their channel would
# silently drop them. Names of publishing.models.TargetState, which sits above this app.
ACTIVE_TARGET_STATES = ("pending_approval", "scheduled", "publishing", "failed", "unknown")


class ChannelError(Exception):
    """Bad input or a refused connection, with a message fit to show the user."""

    def __init__(self, message: str, code: str = "channel_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------------------------------------
# Providers
# ---------------------------------------------------------------------------------------------


def _allow_private() -> tuple[str, ...]:
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
        allow_private=_allow_private(),
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


def _verify(
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


def _check_server_url(url: str) -> None:
    """Refuse private addresses up front, with the guard's own explanation."""
    try:
        check_url(url, _allow_private())
    except BlockedAddress as exc:
        raise ChannelError(str(exc), code="address_refused") from exc


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------


def _membership(workspace: Workspace, user: Any) -> Membership:
    membership = (
        Membership.objects.filter(workspace=workspace, user_id=getattr(user, "pk", None))
        .select_related("workspace")
        .first()
    )
    if membership is None:
        raise PermissionDenied(_("You are not a member of this workspace."))
    return membership


def require(workspace: Workspace, user: Any, minimum: str) -> Membership:
    membership = _membership(workspace, user)
    require_role(membership, minimum)
    return membership


TEAM_ROLES = [r for r in Role if r != Role.CLIENT_APPROVER]


def channels_for(user: Any, workspace: Workspace | None = None) -> list[Channel]:
    """The channels of one workspace, or of every workspace the user is a member of."""
    # Client approvers see only the posts sent to them, never the workspace's channels.
    queryset = Channel.objects.filter(
        workspace__memberships__user_id=user.pk, workspace__memberships__role__in=TEAM_ROLES
    )
    if workspace is not None:
        queryset = queryset.filter(workspace=workspace)
    return list(queryset.select_related("workspace").order_by("workspace__name", "name"))


def get_channel(user: Any, channel_id: int) -> Channel:
    """A channel in one of the user's workspaces; anyone else's is reported as missing."""
    from django.http import Http404

    channel = (
        Channel.objects.filter(pk=channel_id, workspace__memberships__user_id=user.pk,
                               workspace__memberships__role__in=TEAM_ROLES)
        .select_related("workspace")
        .first()
    )
    if channel is None:
        raise Http404(_("No such channel."))
    return channel


def describe_channel(channel: Channel) -> dict[str, Any]:
    """What the API and the CLI show of a channel. Never the credentials."""
    return {
        "id": channel.pk,
        "workspace": channel.workspace_id,
        "network": channel.network,
        "name": channel.name,
        "handle": channel.handle,
        "display_name": channel.display_name,
        "profile_url": channel.profile_url,
        "status": channel.status,
        "status_message": channel.status_message,
        "server": channel.settings.get("instance") or channel.settings.get("service") or "",
        "created_at": channel.created_at.isoformat() if channel.created_at else None,
    }


# ---------------------------------------------------------------------------------------------
# Saving a verified connection
# ---------------------------------------------------------------------------------------------


def _free_name(workspace: Workspace, wanted: str, network: str) -> str:
    taken = set(Channel.objects.filter(workspace=workspace).values_list("name", flat=True))
    if wanted not in taken:
        return wanted
    candidate = f"{wanted} ({network})"
    number = 2
    while candidate in taken:
        candidate = f"{wanted} ({network} {number})"
        number += 1
    return candidate


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if len(name) > 120:
        raise ChannelError(_("A channel name can be at most 120 characters."), code="bad_name")
    return name


def _save(
    workspace: Workspace,
    user: Any,
    network: str,
    info: AccountInfo,
    credentials: dict[str, Any],
    channel_settings: dict[str, Any],
    name: str | None,
) -> Channel:
    name = _clean_name(name)
    with transaction.atomic():
        channel = (
            Channel.objects.select_for_update()
            .filter(workspace=workspace, network=network, remote_id=info.remote_id)
            .first()
        )
        if name and Channel.objects.filter(workspace=workspace, name=name).exclude(
            pk=channel.pk if channel else None
        ).exists():
            raise ChannelError(
                _("This workspace already has a channel named “%(name)s”; choose another name.")
                % {"name": name},
                code="name_taken",
            )
        if channel is None:
            channel = Channel(
                workspace=workspace,
                network=network,
                remote_id=info.remote_id,
                created_by=user if getattr(user, "pk", None) else None,
                name=name or _free_name(workspace, info.handle or network, network),
            )
        elif name:
            channel.name = name
        channel.handle = info.handle
        channel.display_name = info.display_name[:255]
        channel.profile_url = info.url[:500]
        channel.credentials = credentials
        channel.settings = {**channel_settings, **info.settings}
        channel.status = ChannelStatus.ACTIVE
        channel.status_message = ""
        try:
            with transaction.atomic():
                channel.save()
        except IntegrityError as exc:
            # Two connects raced for the same default name.
            raise ChannelError(
                _("A channel with this name was just created; try again with another name."),
                code="name_taken",
            ) from exc
        audit.record(workspace, "channel.connected", actor=user, obj=channel,
                     summary=f"{channel.name} ({network})")
    return channel


# ---------------------------------------------------------------------------------------------
# Bluesky
# ---------------------------------------------------------------------------------------------


def connect_bluesky(
    workspace: Workspace,
    user: Any,
    handle: str,
    app_password: str,
    service: str | None = None,
    name: str | None = None,
) -> Channel:
    require(workspace, user, Role.EDITOR)
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
    _check_server_url(service)
    credentials = {"identifier": handle, "app_password": app_password.strip()}
    channel_settings = {"service": service}
    info, credentials = _verify("bluesky", credentials, channel_settings)
    return _save(workspace, user, "bluesky", info, credentials, channel_settings, name)


# ---------------------------------------------------------------------------------------------
# Mastodon
# ---------------------------------------------------------------------------------------------


def _mastodon_instance(instance: str) -> str:
    normalize = get_provider_class("mastodon").normalize_instance
    try:
        url = normalize(instance)
    except ValueError as exc:
        raise ChannelError(str(exc), code="bad_server") from exc
    _check_server_url(url)
    return url


def connect_mastodon_token(
    workspace: Workspace,
    user: Any,
    instance: str,
    access_token: str,
    name: str | None = None,
) -> Channel:
    require(workspace, user, Role.EDITOR)
    instance = _mastodon_instance(instance)
    access_token = (access_token or "").strip()
    if not access_token:
        raise ChannelError(_("Paste an access token."), code="bad_token")
    channel_settings = {"instance": instance}
    info, credentials = _verify("mastodon", {"access_token": access_token}, channel_settings)
    return _save(workspace, user, "mastodon", info, credentials, channel_settings, name)


def mastodon_redirect_uri() -> str:
    return settings.BASE_URL + reverse("channels:mastodon_callback")


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
            allow_private=_allow_private(),
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
    require(workspace, user, Role.EDITOR)
    instance = _mastodon_instance(instance)
    name = _clean_name(name)
    client = _oauth_client(instance)
    state = _new_state()
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


def _claim_state(state: str | None, network: str, user: Any) -> OAuthState:
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


def _new_state() -> str:
    OAuthState.objects.filter(created_at__lt=timezone.now() - OAUTH_STATE_TTL).delete()
    return secrets.token_urlsafe(32)


def finish_mastodon_oauth(
    state: str | None, code: str | None, *, user: Any, error: str | None = None
) -> Channel:
    """The user came back from the server: check the state once, trade the code for a token,
    and connect the account."""
    pending = _claim_state(state, "mastodon", user)
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
    require(workspace, user, Role.EDITOR)
    instance = pending.server_url
    client = _oauth_client(instance)
    try:
        credentials = get_provider_class("mastodon").exchange_code(
            instance,
            client,
            mastodon_redirect_uri(),
            code,
            timeout=settings.KERYX_HTTP_TIMEOUT,
            allow_private=_allow_private(),
        )
    except ProviderError as exc:
        raise ChannelError(
            _("%(server)s refused the authorization code (%(reason)s); start connecting again.")
            % {"server": instance, "reason": exc.message},
            code="exchange_failed",
        ) from exc
    channel_settings = {"instance": instance}
    info, credentials = _verify("mastodon", credentials, channel_settings)
    return _save(
        workspace, user, "mastodon", info, credentials, channel_settings, pending.channel_name
    )


# ---------------------------------------------------------------------------------------------
# Any network: OAuth 2.0 (authorization code, PKCE) and headless credentials
# ---------------------------------------------------------------------------------------------

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


def connect_fields(network: str) -> tuple[ConnectField, ...]:
    """What connecting this network without a browser asks for: its own fields, then tokens."""
    cls = get_provider_class(network)
    own = tuple(getattr(cls, "connect_fields", ()) or ())
    names = {f.name for f in own}
    tokens = tuple(f for f in TOKEN_FIELDS if f.name not in names)
    if getattr(cls, "oauth", None) is not None and "access_token" not in names:
        # An OAuth network connected headless needs at least the access token.
        tokens = tuple(
            dataclasses.replace(f, required=True) if f.name == "access_token" else f
            for f in tokens
        )
    return own + tokens


def docs_hint(network: str) -> str:
    return f"docs/networks/{network}.md"


def oauth_redirect_uri(network: str) -> str:
    if network == "mastodon":
        return mastodon_redirect_uri()
    return settings.BASE_URL + reverse("channels:oauth_callback", args=[network])


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


def _split_values(
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


def token_expiry(channel: Channel) -> datetime | None:
    value = (channel.credentials or {}).get("expires_at")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def connect_option(network: str) -> dict[str, Any]:
    """How a network connects, for the connect page: OAuth (configured or not) and/or the
    credential fields. KeyError for an unknown network."""
    cls = get_provider_class(network)
    spec = getattr(cls, "oauth", None)
    config = network_config(network)
    return {
        "network": network,
        "display_name": cls.display_name,
        "own_flow": network in OWN_FLOWS,
        "oauth": spec is not None and network not in OWN_FLOWS,
        "oauth_configured": bool(config.get("client_id") and config.get("client_secret")),
        "connect": cls.capabilities.connect,
        "fields": connect_fields(network) if network not in OWN_FLOWS else (),
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
    require(workspace, user, Role.EDITOR)
    cls = _oauth_network(network)
    spec: OAuth2Spec = cls.oauth
    context = _oauth_app(network)
    name = _clean_name(name)
    channel_settings: dict[str, Any] = {}
    if reconnect_channel is not None:
        if reconnect_channel.workspace_id != workspace.pk or reconnect_channel.network != network:
            raise ChannelError(_("No such channel."), code="bad_channel")
        channel_settings = dict(reconnect_channel.settings)
        name = name or reconnect_channel.name
    if values:
        channel_settings.update(_split_values(network, values, oauth_only=True)[1])
    verifier, challenge = oauth2.pkce_pair() if spec.pkce else ("", "")
    state = _new_state()
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
    pending = _claim_state(state, network, user)
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
    require(workspace, user, Role.EDITOR)
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
    info, credentials = _verify(network, tokens.as_credentials(), channel_settings)
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
            # Connected headless without an account id: adopt this one so _save finds it.
            Channel.objects.filter(pk=existing.pk).update(remote_id=info.remote_id)
    return _save(workspace, user, network, info, credentials, channel_settings,
                 pending.channel_name)


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
    require(workspace, user, Role.EDITOR)
    try:
        get_provider_class(network)
    except KeyError as exc:
        raise ChannelError(
            _("Keryx does not know the network %(network)s.") % {"network": network},
            code="unknown_network",
        ) from exc
    credentials, channel_settings = _split_values(network, values)
    info, credentials = _verify(network, credentials, channel_settings)
    return _save(workspace, user, network, info, credentials, channel_settings, name)


# ---------------------------------------------------------------------------------------------
# Keeping OAuth tokens fresh
# ---------------------------------------------------------------------------------------------

REFRESH_WITHIN = timedelta(minutes=30)
# Shown as "expiring" in the channel list when no refresh can renew it in time.
EXPIRY_WARNING = timedelta(days=3)
_refresh_locks: dict[int, threading.Lock] = {}
_refresh_locks_guard = threading.Lock()


def _lock_for(channel_pk: int) -> threading.Lock:
    with _refresh_locks_guard:
        return _refresh_locks.setdefault(channel_pk, threading.Lock())


def refresh_channel(channel: Channel, *, mark: bool = True) -> bool:
    """Trade the stored refresh token for new tokens and store them; True if renewed.

    The refresh token is never dropped: a network that does not rotate it keeps the old one,
    and a refused refresh only marks the channel needs_reconnect (the stored tokens stay, so
    a reconnect can still use them). Raises AuthExpired after marking, and the taxonomy's
    other errors unchanged (try again later)."""
    cls = get_provider_class(channel.network)
    if getattr(cls, "oauth", None) is None or not channel.credentials.get("refresh_token"):
        return False
    with _lock_for(channel.pk):
        channel.refresh_from_db(fields=["credentials", "status", "status_message"])
        sent = channel.credentials.get("refresh_token")
        try:
            tokens = cls(provider_context(channel.network, channel.credentials,
                                          channel.settings)).refresh()
        except AuthExpired as exc:
            # Another process may have refreshed (and rotated) at the same moment.
            channel.refresh_from_db(fields=["credentials"])
            if channel.credentials.get("refresh_token") != sent:
                return True
            if mark:
                mark_needs_reconnect(
                    channel,
                    _("%(network)s refused to renew access (%(reason)s); reconnect the channel.")
                    % {"network": cls.display_name, "reason": exc.message},
                )
            raise
        merged = {**channel.credentials, **tokens.as_credentials()}
        merged["refresh_token"] = tokens.refresh_token or sent
        if not tokens.expires_at:
            # No expiry given: the old, passed one must not trigger refreshes forever.
            merged.pop("expires_at", None)
        channel.credentials = merged
        Channel.objects.filter(pk=channel.pk).update(credentials=merged)
    return True


def refresh_expiring_tokens(
    within: timedelta = REFRESH_WITHIN, now: datetime | None = None
) -> dict[str, int]:
    """Renew every active OAuth channel whose access token expires within `within`.

    Run periodically by the background workers (keryx.channels.tasks). Credentials are
    encrypted, so the expiry is read in Python; channels are few."""
    now = now or timezone.now()
    oauth_networks = [n for n in registry_names() if _is_oauth(n)]
    counts = {"refreshed": 0, "refused": 0, "failed": 0}
    channels = Channel.objects.filter(
        status=ChannelStatus.ACTIVE, network__in=oauth_networks
    ).order_by("pk")
    for channel in channels:
        expiry = token_expiry(channel)
        if expiry is None or expiry > now + within:
            continue
        try:
            if refresh_channel(channel):
                counts["refreshed"] += 1
        except AuthExpired:
            counts["refused"] += 1
        except ProviderError as exc:
            counts["failed"] += 1
            logger.warning("refreshing channel %s failed: %s", channel.pk, exc.message)
        except Exception:
            counts["failed"] += 1
            logger.exception("refreshing channel %s failed", channel.pk)
    return counts


def fresh_provider(channel: Channel, provider: Provider) -> Provider:
    """Before publishing: the same provider if its access token is still good, else a new one
    built after a refresh. A refused refresh raises AuthExpired (the channel is marked)."""
    expiry = token_expiry(channel)
    if expiry is None or expiry > timezone.now() + timedelta(seconds=60):
        return provider
    if refresh_channel(channel):
        return provider_for(channel)
    return provider


def _is_oauth(network: str) -> bool:
    try:
        return network not in OWN_FLOWS and oauth_spec(network) is not None
    except (KeyError, ImportError):
        return False


def channel_warning(channel: Channel, now: datetime | None = None) -> str:
    """What the channel list says about a channel's connection, or ""."""
    if channel.status == ChannelStatus.NEEDS_RECONNECT:
        return _("The network no longer accepts this channel's credentials; posts to it will "
                 "fail until you reconnect.")
    if channel.status != ChannelStatus.ACTIVE:
        return ""
    expiry = token_expiry(channel)
    if expiry is None or channel.credentials.get("refresh_token"):
        return ""
    now = now or timezone.now()
    if expiry <= now:
        return _("The access token expired; reconnect the channel.")
    if expiry <= now + EXPIRY_WARNING:
        return _("The access token expires on %(when)s and cannot be renewed automatically; "
                 "reconnect before then.") % {"when": timezone.localtime(expiry).strftime(
                     "%Y-%m-%d %H:%M")}
    return ""


# ---------------------------------------------------------------------------------------------
# Daily caps: a warning at scheduling time
# ---------------------------------------------------------------------------------------------

QUOTA_WINDOW = timedelta(hours=24)
# Targets that count against a network's cap: gone out, or on their way (publishing app states).
COUNTED_TARGET_STATES = ("pending_approval", "scheduled", "publishing", "published", "unknown")


def daily_post_cap(network: str) -> int | None:
    """The network's posts-per-24-hours cap (Instagram API posts, TikTok, YouTube uploads), a
    provider class attribute; None when the network declares none."""
    try:
        cls = get_provider_class(network)
    except (KeyError, ImportError):
        return None
    cap = getattr(cls, "daily_post_cap", None)
    if cap is None:
        cap = getattr(cls.capabilities, "daily_post_cap", None)
    return int(cap) if cap else None


def quota_warnings(
    channel: Channel, when: datetime | None, *, exclude_post_id: int | None = None
) -> list[str]:
    """Warnings (not errors: the network decides) when one more post at `when` would exceed
    the network's rolling 24-hour cap on this channel, counting what is already scheduled or
    published around that time."""
    cap = daily_post_cap(channel.network)
    if not cap:
        return []
    when = when or timezone.now()
    times = []
    targets = channel.targets.filter(state__in=COUNTED_TARGET_STATES).filter(
        models.Q(due_at__gt=when - QUOTA_WINDOW, due_at__lt=when + QUOTA_WINDOW)
        | models.Q(published_at__gt=when - QUOTA_WINDOW, published_at__lt=when + QUOTA_WINDOW)
    )
    if exclude_post_id is not None:
        targets = targets.exclude(post_id=exclude_post_id)
    for published_at, due_at in targets.values_list("published_at", "due_at"):
        times.append(published_at or due_at)
    # The busiest 24-hour window that contains `when`: it starts at `when` or at an earlier post.
    starts = [when] + [t for t in times if when - QUOTA_WINDOW < t <= when]
    busiest = max(
        sum(1 for t in times if start <= t < start + QUOTA_WINDOW) for start in starts
    ) if starts else 0
    if busiest + 1 <= cap:
        return []
    return [
        _("%(channel)s: %(network)s accepts at most %(cap)d posts in 24 hours, and %(count)d "
          "are already planned around this time; this one may be refused.")
        % {"channel": channel.name, "network": get_provider_class(channel.network).display_name,
           "cap": cap, "count": busiest}
    ]


def schedule_warnings(
    channels: list[Channel], when: datetime | None, *, exclude_post_id: int | None = None
) -> list[dict[str, Any]]:
    """quota_warnings for each channel of a post, as the composer and the API show them."""
    return [
        {"channel": channel.name, "channel_id": channel.pk, "code": "daily_cap",
         "message": message}
        for channel in channels
        for message in quota_warnings(channel, when, exclude_post_id=exclude_post_id)
    ]


# ---------------------------------------------------------------------------------------------
# Health, disconnect, delete
# ---------------------------------------------------------------------------------------------


def mark_needs_reconnect(channel: Channel, reason: str) -> None:
    """The network refused the stored credentials (called by the publishing engine)."""
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.NEEDS_RECONNECT, status_message=reason[:1000]
    )
    channel.status, channel.status_message = ChannelStatus.NEEDS_RECONNECT, reason[:1000]


def disconnect_channel(channel: Channel, user: Any) -> Channel:
    """Forget the credentials but keep the channel and its history."""
    require(channel.workspace, user, Role.EDITOR)
    channel.credentials = {}
    channel.status = ChannelStatus.DISCONNECTED
    channel.status_message = _("Disconnected by %(user)s.") % {"user": user}
    channel.save(update_fields=["credentials", "status", "status_message", "updated_at"])
    return channel


def delete_channel(channel: Channel, user: Any) -> None:
    """Delete a channel with its history. Refused while posts are still on their way to it."""
    require(channel.workspace, user, Role.ADMIN)
    pending = channel.targets.filter(state__in=ACTIVE_TARGET_STATES).count()
    if pending:
        raise ChannelError(
            ngettext(
                "%(count)d post is still scheduled or being published to this channel; cancel "
                "it first.",
                "%(count)d posts are still scheduled or being published to this channel; cancel "
                "them first.",
                pending,
            ) % {"count": pending},
            code="channel_in_use",
        )
    with transaction.atomic():
        audit.record(channel.workspace, "channel.deleted", actor=user, obj=channel,
                     summary=f"{channel.name} ({channel.network})")
        channel.delete()


__all__ = [
    "ChannelError",
    "begin_mastodon_oauth",
    "begin_oauth",
    "connect_with_credentials",
    "finish_oauth",
    "provider_context",
    "quota_warnings",
    "refresh_expiring_tokens",
    "schedule_warnings",
    "channels_for",
    "connect_bluesky",
    "connect_mastodon_token",
    "delete_channel",
    "describe_channel",
    "disconnect_channel",
    "finish_mastodon_oauth",
    "get_channel",
    "provider_for",
]
