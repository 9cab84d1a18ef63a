"""Who may act on a workspace's channels, which channels a user sees, and what of a channel
is shown."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from keryx.channels.models import Channel
from keryx.core import permissions
from keryx.core.models import Membership, Role, Workspace
from keryx.core.permissions import Action


def _membership(workspace: Workspace, user: Any) -> Membership:
    membership = (
        Membership.objects.filter(workspace=workspace, user_id=getattr(user, "pk", None))
        .select_related("workspace")
        .first()
    )
    if membership is None:
        raise PermissionDenied(_("You are not a member of this workspace."))
    return membership


def require(workspace: Workspace, user: Any, action: Action) -> Membership:
    """The user's membership in `workspace`, if it may do `action` (keryx.core.permissions)."""
    membership = _membership(workspace, user)
    permissions.require(membership, action)
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
