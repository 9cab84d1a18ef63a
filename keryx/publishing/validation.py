"""Whether a post can be scheduled as it is: every problem, per channel.

The composer, the publishing actions, the approvals, the planner and the bulk import all ask
here; the verdicts themselves are each provider's validate(), given the request exactly as
requests.py would build it for sending.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_for
from keryx.composer.variants import apply_variant
from keryx.core.models import Workspace
from keryx.core.timeutil import is_aware
from keryx.networks.base import Problem, PublishRequest
from keryx.publishing.errors import PostRejected
from keryx.publishing.models import Media
from keryx.publishing.requests import media_item, variant_for, with_extras

logger = logging.getLogger(__name__)

# A time a few seconds in the past is "now" typed slowly, not a mistake.
PAST_GRACE = timedelta(minutes=1)


def check_future(when: datetime) -> None:
    """Raise PostRejected if `when` (an aware datetime) has passed, give or take PAST_GRACE."""
    if not is_aware(when):
        raise ValueError("the time must be an aware datetime")
    if when < timezone.now() - PAST_GRACE:
        raise PostRejected(
            {None: [Problem("scheduled_in_past", _("The scheduled time is in the past."),
                            "scheduled_at")]}
        )


def _provider_problems(channel: Channel, request: PublishRequest) -> list[Problem]:
    try:
        provider = provider_for(channel)
    except (KeyError, ImportError) as exc:
        logger.warning("no provider for channel %s: %s", channel.pk, exc)
        return [
            Problem(
                "unknown_network",
                _("Keryx cannot publish to %(network)s.") % {"network": channel.network},
                field="channel",
            )
        ]
    return list(provider.validate(request))


def validate_post(
    *,
    workspace: Workspace,
    text: str,
    channels: Sequence[Channel],
    media: Sequence[Media] = (),
    content_warning: str = "",
    variants: Mapping[Any, Mapping[str, Any]] | None = None,
    scheduled_at: datetime | None = None,
    check_content: bool = True,
) -> dict[Channel | None, list[Problem]]:
    """Every problem with this post, per channel. An empty dict means it can be scheduled.

    Problems of the post as a whole (no channel at all) sit under the key None.
    """
    problems: dict[Channel | None, list[Problem]] = {}
    if not channels:
        problems[None] = [Problem("no_channels", _("Choose at least one channel."), "channels")]
        return problems
    media = list(media)
    foreign_media = [m for m in media if m.workspace_id != workspace.pk]
    past = False
    if scheduled_at is not None:
        if not is_aware(scheduled_at):
            raise ValueError("scheduled_at must be an aware datetime")
        past = scheduled_at < timezone.now() - PAST_GRACE
    items = tuple(media_item(m) for m in media) if check_content else ()
    for channel in channels:
        found: list[Problem] = []
        if channel.workspace_id != workspace.pk:
            # Said the same way as a channel that does not exist, so ids reveal nothing.
            found.append(Problem("unknown_channel", _("No such channel."), "channels"))
            problems[channel] = found
            continue
        if channel.status != ChannelStatus.ACTIVE:
            found.append(
                Problem(
                    "channel_inactive",
                    _("%(name)s needs reconnecting before it can publish.")
                    % {"name": channel.name},
                    "channels",
                )
            )
        if foreign_media:
            found.append(Problem("unknown_media", _("No such media."), "media"))
        if past:
            found.append(
                Problem("scheduled_in_past", _("The scheduled time is in the past."),
                        "scheduled_at")
            )
        variant = variant_for(variants, channel)
        if any(m.workspace_id != workspace.pk for m in variant.get("media") or ()):
            found.append(Problem("unknown_media", _("No such media."), "media"))
        if check_content:
            # The files this channel's network will really get (adapted per network).
            adapted = tuple(media_item(m, channel) for m in media) if items else ()
            # The channel's variant (text, media, link, first comment, thread) applied exactly
            # as request_for applies it when publishing.
            request = apply_variant(
                PublishRequest(text=text, media=adapted, content_warning=content_warning,
                               scheduled_at=scheduled_at),
                variant, channel.network, lambda m, ch=channel: media_item(m, ch),
            )
            if not request.text.strip() and not request.media:
                found.append(Problem("empty", _("Write some text or attach media."), "text"))
            else:
                request = with_extras(channel.workspace_id, channel.network, request)
                found.extend(_provider_problems(channel, request))
        if found:
            problems[channel] = found
    return problems
