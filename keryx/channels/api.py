"""/api/v1/channels: list, connect (Bluesky app password, Mastodon token, any network with
credentials made elsewhere, or the start of an OAuth sign-in), delete.

Credentials go in, never out: the response schema has no field that could carry them."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from keryx.api_errors import ApiError
from keryx.channels import access, connect, errors, flows, health, oauth
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Workspace

router = Router(tags=["channels"])


class ChannelOut(Schema):
    id: int
    workspace: int
    network: str
    name: str
    handle: str
    display_name: str
    profile_url: str
    status: str
    status_message: str
    server: str
    created_at: datetime | None


class BlueskyIn(Schema):
    workspace: int | None = None
    handle: str
    app_password: str
    service: str | None = None
    name: str | None = None


class MastodonTokenIn(Schema):
    workspace: int | None = None
    instance: str
    access_token: str
    name: str | None = None


class CredentialsIn(Schema):
    workspace: int | None = None
    name: str | None = None
    # The network's connect fields (access_token, refresh_token, expires_at, page_id, ...).
    values: dict[str, str]


class OAuthBeginIn(Schema):
    workspace: int | None = None
    name: str | None = None
    reconnect_channel: int | None = None
    values: dict[str, str] = {}


class OAuthBeginOut(Schema):
    authorize_url: str
    redirect_uri: str


def _workspace(request: HttpRequest, workspace_id: int | None) -> Workspace:
    """The workspace named, or the caller's only one."""
    if workspace_id is not None:
        return membership_for(request.user, workspace_id).workspace
    memberships = memberships_of(request.user)
    if len(memberships) == 1:
        return memberships[0].workspace
    raise ApiError(
        400, "workspace_required",
        _("You belong to several workspaces; say which one with 'workspace'."),
    )


def _channel_error(exc: errors.ChannelError) -> ApiError:
    return ApiError(400, exc.code, exc.message)


@router.get("", response=list[ChannelOut], summary="List channels")
def list_channels(request: HttpRequest, workspace: int | None = None) -> list[dict]:
    """The channels of one workspace (?workspace=ID), or of all the caller's workspaces."""
    chosen = membership_for(request.user, workspace).workspace if workspace else None
    return [access.describe_channel(c) for c in access.channels_for(request.user, chosen)]


@router.get("/{int:channel_id}", response=ChannelOut, summary="Show a channel")
def get_channel(request: HttpRequest, channel_id: int) -> dict:
    return access.describe_channel(access.get_channel(request.user, channel_id))


@router.post("/bluesky", response={201: ChannelOut}, summary="Connect a Bluesky account")
def connect_bluesky(request: HttpRequest, payload: BlueskyIn) -> Status:
    workspace = _workspace(request, payload.workspace)
    try:
        channel = connect.connect_bluesky(
            workspace, request.user, payload.handle, payload.app_password,
            service=payload.service, name=payload.name,
        )
    except errors.ChannelError as exc:
        raise _channel_error(exc) from exc
    return Status(201, access.describe_channel(channel))


@router.post("/mastodon", response={201: ChannelOut}, summary="Connect a Mastodon account")
def connect_mastodon(request: HttpRequest, payload: MastodonTokenIn) -> Status:
    """With an access token made on the server (Preferences → Development), scopes read+write.
    The OAuth flow needs a browser: use the web UI for it."""
    workspace = _workspace(request, payload.workspace)
    try:
        channel = connect.connect_mastodon_token(
            workspace, request.user, payload.instance, payload.access_token, name=payload.name
        )
    except errors.ChannelError as exc:
        raise _channel_error(exc) from exc
    return Status(201, access.describe_channel(channel))


@router.post(
    "/oauth/{network}/begin", response=OAuthBeginOut, summary="Start an OAuth sign-in"
)
def begin_oauth(request: HttpRequest, network: str, payload: OAuthBeginIn) -> dict:
    """The URL to open in a browser signed in to Keryx as the same user; the network sends
    it back to /channels/oauth/{network}/callback/, which stores the channel."""
    workspace = _workspace(request, payload.workspace)
    channel = (
        access.get_channel(request.user, payload.reconnect_channel)
        if payload.reconnect_channel else None
    )
    try:
        url = oauth.begin_oauth(
            workspace, request.user, network, name=payload.name,
            reconnect_channel=channel, values=payload.values,
        )
    except errors.ChannelError as exc:
        raise _channel_error(exc) from exc
    return {"authorize_url": url, "redirect_uri": flows.oauth_redirect_uri(network)}


@router.post("/{network}", response={201: ChannelOut}, summary="Connect any network")
def connect_network(request: HttpRequest, network: str, payload: CredentialsIn) -> Status:
    """Headless: tokens made elsewhere and the network's fields, checked with the network
    before they are stored (e.g. {"values": {"bot_token": "...", "chat_id": "@news"}})."""
    workspace = _workspace(request, payload.workspace)
    try:
        channel = connect.connect_with_credentials(
            workspace, request.user, network, payload.values, name=payload.name
        )
    except errors.ChannelError as exc:
        raise _channel_error(exc) from exc
    return Status(201, access.describe_channel(channel))


@router.delete("/{int:channel_id}", response={204: None}, summary="Delete a channel")
def delete_channel(request: HttpRequest, channel_id: int) -> Status:
    channel = access.get_channel(request.user, channel_id)
    try:
        health.delete_channel(channel, request.user)
    except errors.ChannelError as exc:
        raise ApiError(409, exc.code, exc.message) from exc
    return Status(204, None)
