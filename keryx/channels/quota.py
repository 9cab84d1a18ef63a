"""Daily caps: a warning at scheduling time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.channels.models import Channel
from keryx.networks.registry import get_provider_class

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
