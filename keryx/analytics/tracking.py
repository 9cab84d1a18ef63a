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

from django.utils import timezone

from keryx.analytics.models import CollectionJob, JobKind, TrackedPost
from keryx.publishing.models import PostTarget, TargetState
from keryx.publishing.scheduler import engine_write

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


def ensure_channel_jobs(channel_ids: Iterable[int], due_at: datetime) -> None:
    """Each channel's job, made due no later than `due_at` (a few queries for any number)."""
    ids = sorted(set(channel_ids))
    if not ids:
        return
    CollectionJob.objects.filter(kind=JobKind.CHANNEL, channel_id__in=ids,
                                 due_at__gt=due_at).update(due_at=due_at)
    have = set(CollectionJob.objects.filter(kind=JobKind.CHANNEL, channel_id__in=ids)
               .values_list("channel_id", flat=True))
    # ignore_conflicts: another process may make the same channel's job meanwhile.
    CollectionJob.objects.bulk_create(
        [CollectionJob(kind=JobKind.CHANNEL, channel_id=c, due_at=due_at)
         for c in ids if c not in have], ignore_conflicts=True)


def ensure_tracked(targets: Iterable[PostTarget], *, now: datetime | None = None) -> int:
    """TrackedPost and a reading schedule for each published target not tracked yet (also
    those published before analytics existed), in a few queries for the whole batch (this
    runs after every publishing batch). Returns how many were added."""
    now = now or timezone.now()
    targets = [t for t in targets if t.state == TargetState.PUBLISHED and t.remote_id]
    if not targets:
        return 0
    known = set(TrackedPost.objects.filter(target__in=[t.pk for t in targets])
                .values_list("target_id", flat=True))
    fresh = [t for t in targets if t.pk not in known]
    if not fresh:
        return 0
    TrackedPost.objects.bulk_create(
        [TrackedPost(target=t, workspace_id=t.workspace_id, channel_id=t.channel_id,
                     remote_id=t.remote_id[:500], remote_url=t.remote_url,
                     published_at=t.published_at or now) for t in fresh],
        ignore_conflicts=True)
    made = list(TrackedPost.objects.filter(target__in=[t.pk for t in fresh], job__isnull=True))
    schedule(made, now)
    # The channel's reading at once: its followers now are the new posts' followers at
    # publish time.
    ensure_channel_jobs((t.channel_id for t in fresh), now)
    return len(made)


def schedule(made: list[TrackedPost], now: datetime) -> None:
    """The reading schedule of newly tracked posts."""
    jobs = []
    for tracked in made:
        step = next_step(tracked.published_at, now)
        jobs.append(CollectionJob(
            kind=JobKind.POST, channel_id=tracked.channel_id, tracked=tracked,
            step=step[0] if step else len(POST_SCHEDULE), due_at=step[1] if step else None))
    CollectionJob.objects.bulk_create(jobs, ignore_conflicts=True)


def on_targets_published(sender: Any, target_ids: list[int], **kwargs: Any) -> None:
    """publishing.signals.targets_published: start measuring. Never fails the publish."""
    try:
        # On SQLite, one writer of the engine at a time (publishing.scheduler.engine_write).
        with engine_write():
            ensure_tracked(PostTarget.objects.filter(pk__in=target_ids))
    except Exception:
        logger.exception("could not start measuring targets %s", target_ids)
        raise
