"""Channel actions: build a provider for a channel; connect (Bluesky app password, Mastodon token
or OAuth authorization-code flow), reconnect, disconnect and delete channels.

Every connect first asks the network who the credentials belong to (provider.verify()), then
stores them encrypted. A reconnect of the same account (same network and remote id in the
workspace) updates the existing Channel row, so its posts and history stay attached.
Network modules are reached only through the registry.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keryx.channels.models import Channel, ChannelStatus, OAuthApp, OAuthState
from keryx.core.access import require_role
from keryx.core.models import Membership, Role, Workspace
from keryx.core.netguard import BlockedAddress, check_url
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    Provider,
    ProviderContext,
    ProviderError,
    Transient,
)
from keryx.networks.registry import get_provider_class

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
        allow_private=_allow_private(),
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
        ProviderContext(
            credentials=dict(credentials),
            settings=dict(channel_settings),
            save_credentials=save,
            timeout=settings.KERYX_HTTP_TIMEOUT,
            allow_private=_allow_private(),
        )
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


def channels_for(user: Any, workspace: Workspace | None = None) -> list[Channel]:
    """The channels of one workspace, or of every workspace the user is a member of."""
    queryset = Channel.objects.filter(workspace__memberships__user_id=user.pk)
    if workspace is not None:
        queryset = queryset.filter(workspace=workspace)
    return list(queryset.select_related("workspace").order_by("workspace__name", "name"))


def get_channel(user: Any, channel_id: int) -> Channel:
    """A channel in one of the user's workspaces; anyone else's is reported as missing."""
    from django.http import Http404

    channel = (
        Channel.objects.filter(pk=channel_id, workspace__memberships__user_id=user.pk)
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
    OAuthState.objects.filter(created_at__lt=timezone.now() - OAUTH_STATE_TTL).delete()
    state = secrets.token_urlsafe(32)
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
    if not state:
        raise ChannelError(
            _("The sign-in answer has no state; start connecting again."), code="bad_state"
        )
    pending = OAuthState.objects.filter(state=state, network="mastodon").first()
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
    channel.delete()


__all__ = [
    "ChannelError",
    "begin_mastodon_oauth",
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
