"""Posting times suggested from the workspace's own engagement, for a channel's queue.

The times come from keryx.analytics.services.slot_suggestions (the best weekday-and-hour cells of
the last 90 days that have enough posts behind them, in the workspace's time zone); here they are
turned into the schedule's time zone and marked when the schedule already has them. Queues may
ask analytics; analytics never imports queues.

Which posts: the channel's own. A channel with too few posts of its own borrows from the
workspace's channels of the same network (their engagement is counted the same way, so their
rates can be averaged together); `basis` says which was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from keryx.analytics import services as analytics
from keryx.channels.models import Channel
from keryx.core.timeutil import get_zone
from keryx.queues.models import QueueSchedule, QueueSlot, Weekday

CHANNEL = "channel"
NETWORK = "network"


@dataclass(frozen=True)
class SuggestedSlot:
    weekday: int  # Monday = 0, in the schedule's time zone
    time: time
    average: float  # average engagement rate by followers of the posts behind it (%)
    posts: int
    in_schedule: bool

    @property
    def day_name(self) -> str:
        return str(Weekday(self.weekday).label)


@dataclass(frozen=True)
class Suggestions:
    slots: list[SuggestedSlot]
    basis: str  # CHANNEL or NETWORK; "" when nothing could be suggested
    posts: int  # posts with a rate behind the heatmap used
    warning: str  # the heatmap's thin-data warning ("" when there is enough data)


def _in_zone(weekday: int, at: time, source: str, target: str) -> tuple[int, time]:
    """(weekday, time) in one zone as (weekday, time) in another, on the next such day."""
    src, dst = get_zone(source), get_zone(target)
    today = timezone.now().astimezone(src).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    moved = datetime.combine(day, at, src).astimezone(dst)
    return moved.weekday(), moved.time().replace(second=0, microsecond=0)


def for_channel(schedule: QueueSchedule, count: int = 3) -> Suggestions:
    channel = schedule.channel
    workspace = channel.workspace
    found, heat = analytics.slot_suggestions(workspace, [channel], count)
    basis = CHANNEL
    if not found:
        peers = list(Channel.objects.filter(workspace=workspace, network=channel.network))
        if len(peers) > 1:
            found, wider = analytics.slot_suggestions(workspace, peers, count)
            if found:
                heat, basis = wider, NETWORK
    have = set(schedule.slots.values_list("weekday", "time"))
    slots = []
    for s in found:
        weekday, at = _in_zone(s.weekday, s.time, workspace.timezone or "UTC",
                               schedule.timezone)
        slots.append(SuggestedSlot(weekday, at, s.average, s.posts, (weekday, at) in have))
    return Suggestions(slots, basis if slots else "", heat.posts, heat.warning)


def add_slot(schedule: QueueSchedule, weekday: int, at: time) -> bool:
    """Add one slot to the schedule; False when it was already there."""
    if not 0 <= weekday <= 6:
        raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
    try:
        with transaction.atomic():
            QueueSlot.objects.create(schedule=schedule, weekday=weekday,
                                     time=at.replace(second=0, microsecond=0))
    except IntegrityError:
        return False
    return True
