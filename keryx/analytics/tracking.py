"""Starting to measure a published delivery: its TrackedPost and its reading schedule.

Dense while the post is young (POST_SCHEDULE after publishing), then no more; each channel
daily. A publish also makes its channel's reading due at once, so the followers at publish
time (the seed's denominator) are measured within a minute or so of the post.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from keryx.analytics.models import CollectionJob, JobKind, TrackedPost
from keryx.publishing.models import PostTarget, TargetState

logger = logging.getLogger(__name__)

POST_SCHEDULE = (
    timedelta(hours=1), timedelta(hours=6), timedelta(hours=24), timedelta(hours=48),
    timedelta(days=7), timedelta(days=30),
)
CHANNEL_EVERY = timedelta(days=1)


def next_step(published_at: datetime, now: datetime,
              after: int = -1) -> tuple[int, datetime] | None:
    """The first reading after step `after` that is still ahead of `now`: a late worker skips
    readings whose time has passed, since the reading it just took stands for them. A post
    never read yet (after = -1) whose every time has passed gets one reading, at once.
    None: no more readings."""
    for index in range(after + 1, len(POST_SCHEDULE)):
        due = published_at + POST_SCHEDULE[index]
        if due > now:
            return index, due
    if after == -1:
        return len(POST_SCHEDULE) - 1, now
    return None


def ensure_channel_job(channel_id: int, due_at: datetime) -> None:
    """A channel's job, made due no later than `due_at`."""
    updated = CollectionJob.objects.filter(
        kind=JobKind.CHANNEL, channel_id=channel_id, due_at__gt=due_at
    ).update(due_at=due_at)
    if updated or CollectionJob.objects.filter(kind=JobKind.CHANNEL,
                                               channel_id=channel_id).exists():
        return
    try:
        with transaction.atomic():
            CollectionJob.objects.create(kind=JobKind.CHANNEL, channel_id=channel_id,
                                         due_at=due_at)
    except IntegrityError:
        pass  # another process made it first


def ensure_tracked(targets: Iterable[PostTarget], *, now: datetime | None = None) -> int:
    """TrackedPost and a reading schedule for each published target not tracked yet (also
    those published before analytics existed). Returns how many were added."""
    now = now or timezone.now()
    targets = [t for t in targets if t.state == TargetState.PUBLISHED and t.remote_id]
    known = set(TrackedPost.objects.filter(target__in=[t.pk for t in targets])
                .values_list("target_id", flat=True))
    added = 0
    for target in targets:
        if target.pk in known:
            continue
        published_at = target.published_at or now
        try:
            with transaction.atomic():
                tracked = TrackedPost.objects.create(
                    target=target, workspace_id=target.workspace_id,
                    channel_id=target.channel_id, published_at=published_at,
                )
                step = next_step(published_at, now)
                CollectionJob.objects.create(
                    kind=JobKind.POST, channel_id=target.channel_id, tracked=tracked,
                    step=step[0] if step else len(POST_SCHEDULE),
                    due_at=step[1] if step else None,
                )
        except IntegrityError:
            continue  # tracked meanwhile by another process
        added += 1
        ensure_channel_job(target.channel_id, now)
    return added


def on_targets_published(sender: Any, target_ids: list[int], **kwargs: Any) -> None:
    """publishing.signals.targets_published: start measuring. Never fails the publish."""
    try:
        ensure_tracked(PostTarget.objects.filter(pk__in=target_ids))
    except Exception:
        logger.exception("could not start measuring targets %s", target_ids)
        raise
