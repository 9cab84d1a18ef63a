"""Analytics data made through the real models: a published delivery, its tracking row, one
reading of its counts, and channel follower readings."""

from __future__ import annotations

from datetime import datetime, timedelta

from keryx.analytics.models import ChannelSnapshot, MetricSnapshot, TrackedPost
from keryx.channels.models import Channel
from keryx.publishing.models import Post, PostTarget, TargetState


def measured(channel: Channel, remote_id: str, at: datetime, followers: int | None,
             text: str = "", **counts: int | None) -> TrackedPost:
    post = Post.objects.create(workspace=channel.workspace, text=text or f"Ανάρτηση {remote_id}",
                               scheduled_at=at)
    target = PostTarget.objects.create(
        post=post, channel=channel, workspace=channel.workspace, state=TargetState.PUBLISHED,
        remote_id=remote_id, remote_url=f"https://masto.example/@acme/{remote_id}",
        published_at=at)
    tracked = TrackedPost.objects.create(target=target, workspace=channel.workspace,
                                         channel=channel, published_at=at,
                                         remote_id=remote_id, remote_url=target.remote_url,
                                         followers_at_publish=followers)
    snap = MetricSnapshot.objects.create(tracked=tracked, taken_at=at + timedelta(hours=1),
                                         **counts)
    TrackedPost.objects.filter(pk=tracked.pk).update(latest=snap)
    return tracked


def followers(channel: Channel, at: datetime, count: int) -> ChannelSnapshot:
    return ChannelSnapshot.objects.create(channel=channel, workspace=channel.workspace,
                                          taken_at=at, followers=count)
