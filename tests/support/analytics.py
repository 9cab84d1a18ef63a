"""Published posts with one reading each, for the analytics tests (experiments, benchmarks,
suggested queue times): the rows keryx.analytics.collect would have stored."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from keryx.analytics.models import MetricSnapshot, TrackedPost
from keryx.channels.models import Channel
from keryx.publishing.models import Post, PostTarget, TargetState

ATHENS = ZoneInfo("Europe/Athens")


def today() -> date:
    return timezone.now().astimezone(ATHENS).date()


def published(channel: Channel, day: date, engagements: int, followers: int = 1000,
              hour: int = 10, **counts: int | None) -> TrackedPost:
    """A delivery published at `hour` local time on `day`, read once: `engagements` likes."""
    at = datetime.combine(day, time(hour), ATHENS)
    remote = f"{channel.pk}-{day}-{hour}-{TrackedPost.objects.count()}"
    post = Post.objects.create(workspace=channel.workspace, text=f"Ανάρτηση {remote}",
                               scheduled_at=at)
    target = PostTarget.objects.create(
        post=post, channel=channel, workspace=channel.workspace, state=TargetState.PUBLISHED,
        remote_id=remote, remote_url=f"https://masto.example/@acme/{remote}", published_at=at)
    tracked = TrackedPost.objects.create(
        target=target, workspace=channel.workspace, channel=channel, published_at=at,
        remote_id=remote, remote_url=target.remote_url, followers_at_publish=followers)
    parts = {"likes": engagements, "comments": 0, "shares": 0, **counts}
    snap = MetricSnapshot.objects.create(tracked=tracked, taken_at=at + timedelta(hours=6),
                                         **parts)
    TrackedPost.objects.filter(pk=tracked.pk).update(latest=snap)
    return tracked
