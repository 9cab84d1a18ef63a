"""A channel's health: marked when the network refuses it, disconnected, or deleted."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keryx.channels.access import require
from keryx.channels.errors import ChannelError
from keryx.channels.models import Channel, ChannelStatus
from keryx.core import audit
from keryx.core.permissions import Action

# Targets still on their way out (failed ones may be retried): deleting their channel would
# silently drop them. Names of publishing.models.TargetState, which sits above this app.
ACTIVE_TARGET_STATES = ("pending_approval", "scheduled", "publishing", "failed", "unknown")


def mark_needs_reconnect(channel: Channel, reason: str) -> None:
    """The network refused the stored credentials (called by the publishing engine)."""
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.NEEDS_RECONNECT, status_message=reason[:1000]
    )
    channel.status, channel.status_message = ChannelStatus.NEEDS_RECONNECT, reason[:1000]


def disconnect_channel(channel: Channel, user: Any) -> Channel:
    """Forget the credentials but keep the channel and its history."""
    require(channel.workspace, user, Action.CONNECT_CHANNEL)
    channel.credentials = {}
    channel.status = ChannelStatus.DISCONNECTED
    channel.status_message = _("Disconnected by %(user)s.") % {"user": user}
    channel.save(update_fields=["credentials", "status", "status_message", "updated_at"])
    return channel


def delete_channel(channel: Channel, user: Any) -> None:
    """Delete a channel with its history. Refused while posts are still on their way to it."""
    require(channel.workspace, user, Action.DELETE_CHANNEL)
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


def rename_channel(channel: Channel, user: Any, name: str) -> Channel:
    """Give a channel the name people see in Keryx (the network's account is untouched).

    Names are unique in a workspace, so two channels stay tellable apart."""
    require(channel.workspace, user, Action.CONNECT_CHANNEL)
    name = name.strip()
    if not name:
        raise ChannelError(_("Give the channel a name."), code="channel_name_empty")
    taken = Channel.objects.filter(workspace=channel.workspace, name=name).exclude(pk=channel.pk)
    if taken.exists():
        raise ChannelError(
            _("Another channel in this workspace is already called %(name)s.") % {"name": name},
            code="channel_name_taken",
        )
    old = channel.name
    if old == name:
        return channel
    with transaction.atomic():
        channel.name = name
        channel.save(update_fields=["name", "updated_at"])
        audit.record(channel.workspace, "channel.renamed", actor=user, obj=channel,
                     summary=f"{old} → {name}", old=old, new=name)
    return channel
