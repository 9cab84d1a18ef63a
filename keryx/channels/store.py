"""Saving a verified connection: the credentials are stored encrypted. A reconnect of the same
account (same network and remote id in the workspace) updates the existing Channel row, so its
posts and history stay attached."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from keryx.channels.errors import ChannelError
from keryx.channels.models import Channel, ChannelStatus
from keryx.core import audit
from keryx.core.models import Workspace
from keryx.networks.base import AccountInfo


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


def clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if len(name) > 120:
        raise ChannelError(_("A channel name can be at most 120 characters."), code="bad_name")
    return name


def save_connection(
    workspace: Workspace,
    user: Any,
    network: str,
    info: AccountInfo,
    credentials: dict[str, Any],
    channel_settings: dict[str, Any],
    name: str | None,
) -> Channel:
    name = clean_name(name)
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
