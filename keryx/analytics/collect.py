"""Reading counts from the networks: the periodic collector and `keryx metrics collect`.

collect_due() is periodic background work (keryx.queues.periodic, once a minute in every
process that runs the engine). It claims due CollectionJobs with one guarded UPDATE that moves
their due_at past a lease, so however many processes run it, each reading is taken once per
period; a process that dies mid-way leaves its jobs due again when the lease runs out.

Per channel: a channel that needs reconnecting is skipped and its jobs say so; an OAuth token
that expired is refreshed once before the channel's readings (keryx.channels.tokens); a rate
limit puts the channel's remaining jobs off until the network's reset time, and a limit of the
whole app (RateLimited.scope "app") every channel's of that network (keryx.analytics.ratelimit,
which also paces every request against the app's declared budget); a missing permission is
recorded with the permission to grant; a post deleted on the network is marked gone and keeps
its history.

Channels are read concurrently (KERYX_COLLECT_THREADS, 8 by default): a claimed batch is
grouped by channel and a small pool of threads takes one channel at a time, so one channel's
jobs still run in order on one thread and the per-app budgets (keryx.analytics.ratelimit,
thread-safe) still apply to every request. A call keeps claiming batches while they come back
full, for DRAIN_SECONDS at most, so the once-a-minute loop is not capped at one batch a minute.
Called inside an open transaction (whose rows other threads cannot see), it reads on the
calling thread only.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from keryx.analytics import ratelimit
from keryx.analytics.models import (
    ChannelSnapshot,
    CollectionJob,
    JobKind,
    JobStatus,
    MetricSnapshot,
    TrackedPost,
)
from keryx.analytics.tracking import (
    CHANNEL_EVERY,
    POST_SCHEDULE,
    ensure_channel_jobs,
    ensure_tracked,
    next_step,
    schedule,
)
from keryx.channels.health import mark_needs_reconnect
from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_for
from keryx.channels.tokens import fresh_provider
from keryx.networks.base import (
    AuthExpired,
    MissingPermission,
    NotSupported,
    ProviderError,
    RateLimited,
)
from keryx.networks.community import POST_METRIC_FIELDS, PostGone, PostMetrics
from keryx.networks.registry import get_provider_class
from keryx.publishing.models import PostTarget, TargetState

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
CLAIM_BATCH = 200
# One collect_due() call claims batch after batch for this long at most (the loop is 60 s).
DRAIN_SECONDS = 40.0
RETRY_AFTER_ERROR = timedelta(minutes=30)
RETRY_AFTER_REFUSAL = timedelta(days=1)
RATE_LIMIT_DEFAULT = timedelta(minutes=15)
# How far back `keryx metrics collect` reads posts (the "90 days at most").
COLLECT_NOW_DAYS = 90
# How far back posts published outside Keryx are imported (the issue: 90 days at most).
IMPORT_DAYS = 90
# A channel reading counts as "followers at publish time" for posts up to this much older.
PUBLISH_FOLLOWERS_WINDOW = timedelta(days=1)


def figures_given(network: str) -> dict[str, frozenset[str]] | None:
    """What `network` gives analytics, from its provider's declaration: {"post": PostMetrics
    fields, "channel": ChannelMetrics fields}; a figure not listed is "not given by this
    network" (None: the network declares nothing). For pages and exports."""
    try:
        spec = get_provider_class(network).capabilities.metrics_spec
    except KeyError:
        return None
    if spec is None:
        return None
    return {"post": spec.post, "channel": spec.channel}


class NoMetrics(Exception):
    """The channel's network offers no metrics through its API."""


# ---------------------------------------------------------------------------------------------
# One reading
# ---------------------------------------------------------------------------------------------


def _provider(channel: Channel) -> Any:
    """The channel's provider for collecting: its token refreshed first if it expired (once
    per channel and batch, not per post; a refused refresh raises AuthExpired and marks the
    channel), its requests paced by the network app's budget and pauses."""
    provider = provider_for(channel)
    if not provider.capabilities.metrics or not hasattr(provider, "fetch_metrics"):
        raise NoMetrics(f"{provider.display_name} gives no metrics through its API.")
    provider = fresh_provider(channel, provider)
    if hasattr(provider, "http"):
        ratelimit.meter(provider, channel.network,
                        ratelimit.budget_for(channel.network, provider.capabilities))
    return provider


def _app_limited(channel: Channel, exc: Exception, now: datetime) -> None:
    """A rate limit puts off every due job it concerns until the network's reset: the whole
    app's limit (scope "app") every channel's of the network, a token's own limit the
    channel's (the jobs of the batch at hand are finished by the caller)."""
    if not isinstance(exc, RateLimited):
        return
    wait = exc.retry_after if exc.retry_after is not None else \
        RATE_LIMIT_DEFAULT.total_seconds()
    if exc.scope == "app":
        ratelimit.pause(channel.network, wait, exc.message, now=now)
        return
    until = now + timedelta(seconds=max(1.0, wait))
    CollectionJob.objects.filter(channel=channel, due_at__isnull=False, due_at__lt=until,
                                 claim_token="").update(
        due_at=until, last_status=JobStatus.RATE_LIMITED, last_message=exc.message[:2000])


def read_channel(provider: Any, channel: Channel, now: datetime) -> ChannelSnapshot:
    if not hasattr(provider, "fetch_channel_metrics"):
        raise NoMetrics(f"{provider.display_name} gives no account counts through its API.")
    try:
        counts = provider.fetch_channel_metrics()
    except NotSupported as exc:
        raise NoMetrics(exc.message) from exc
    snapshot = ChannelSnapshot.objects.create(
        channel=channel, workspace_id=channel.workspace_id, taken_at=now,
        followers=counts.followers, following=counts.following, posts=counts.posts,
    )
    if counts.followers is not None:
        # The first reading after a publish is that post's "followers at publish time".
        TrackedPost.objects.filter(
            channel=channel, followers_at_publish__isnull=True,
            published_at__lte=now, published_at__gte=now - PUBLISH_FOLLOWERS_WINDOW,
        ).update(followers_at_publish=counts.followers, followers_measured_at=now)
    return snapshot


def read_post(provider: Any, tracked: TrackedPost, now: datetime) -> MetricSnapshot | PostGone:
    result = provider.fetch_metrics(tracked.remote_id)
    if isinstance(result, PostGone):
        TrackedPost.objects.filter(pk=tracked.pk, gone_at__isnull=True).update(
            gone_at=now, gone_reason=result.reason[:2000])
        return result
    if not isinstance(result, PostMetrics):
        raise TypeError(f"fetch_metrics answered {type(result).__name__}, not PostMetrics")
    metrics = result
    snapshot = MetricSnapshot.objects.create(
        tracked=tracked, taken_at=now,
        **{name: getattr(metrics, name) for name in POST_METRIC_FIELDS},
    )
    TrackedPost.objects.filter(pk=tracked.pk).update(latest=snapshot)
    return snapshot


def import_recent(provider: Any, channel: Channel, now: datetime) -> int:
    """Track the account's own posts of the last IMPORT_DAYS that Keryx did not publish, so
    the figures cover the account. Returns how many were added. Networks that cannot list an
    account's posts are left as they are."""
    if not hasattr(provider, "list_recent_posts"):
        return 0
    try:
        found = provider.list_recent_posts(now - timedelta(days=IMPORT_DAYS))
    except NotSupported:
        return 0  # this kind of account cannot be listed (LinkedIn members)
    if not found:
        return 0
    ids = [p.remote_id[:500] for p in found]
    known = set(TrackedPost.objects.filter(channel=channel, remote_id__in=ids)
                .values_list("remote_id", flat=True))
    # Keryx's own deliveries are tracked from their targets, never imported twice.
    known |= set(PostTarget.objects.filter(channel=channel, remote_id__in=ids)
                 .values_list("remote_id", flat=True))
    fresh = [p for p in found if p.remote_id[:500] not in known]
    TrackedPost.objects.bulk_create(
        [TrackedPost(workspace_id=channel.workspace_id, channel=channel, imported=True,
                     remote_id=p.remote_id[:500], remote_url=p.url[:1000], text=p.text,
                     published_at=p.published_at) for p in fresh],
        ignore_conflicts=True)
    made = list(TrackedPost.objects.filter(channel=channel, imported=True,
                                           remote_id__in=[p.remote_id[:500] for p in fresh],
                                           job__isnull=True))
    schedule(made, now)
    return len(made)


@dataclass(frozen=True)
class Refusal:
    status: str
    message: str
    wait: timedelta | None


def classify(exc: Exception) -> Refusal:
    """What a failed reading means for its job: the status to record and when to try again
    (None: never, the network has no such figures)."""
    if isinstance(exc, NoMetrics):
        return Refusal(JobStatus.DONE, str(exc), None)
    message = getattr(exc, "message", "") or str(exc)
    if isinstance(exc, AuthExpired):
        return Refusal(JobStatus.SKIPPED, message, RETRY_AFTER_REFUSAL)
    if isinstance(exc, MissingPermission):
        return Refusal(JobStatus.MISSING_PERMISSION, message, RETRY_AFTER_REFUSAL)
    if isinstance(exc, RateLimited):
        wait = (timedelta(seconds=exc.retry_after) if exc.retry_after is not None
                else RATE_LIMIT_DEFAULT)
        return Refusal(JobStatus.RATE_LIMITED, message, wait)
    return Refusal(JobStatus.ERROR, message, RETRY_AFTER_ERROR)


def needs_reconnect_message(channel: Channel) -> str:
    reason = f" ({channel.status_message})" if channel.status_message else ""
    return f"Skipped: the channel needs reconnecting{reason}."


# ---------------------------------------------------------------------------------------------
# The periodic collector
# ---------------------------------------------------------------------------------------------


def claim_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> tuple[str, list[int]]:
    """Lease up to `limit` due jobs; returns the batch's token and the ids this process won."""
    now = now or timezone.now()
    token = str(uuid.uuid4())
    due = CollectionJob.objects.filter(due_at__lte=now)
    picked = list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])
    if not picked:
        return token, []
    # The UPDATE is the claim: its own condition (still due) loses to any process that moved
    # due_at first, so each job goes to one process only.
    due.filter(pk__in=picked).update(claim_token=token, due_at=now + LEASE)
    won = list(CollectionJob.objects.filter(pk__in=picked, claim_token=token)
               .order_by("pk").values_list("pk", flat=True))
    return token, won


def _finish(job: CollectionJob, token: str, now: datetime, status: str, *, message: str = "",
            due_at: datetime | None, step: int | None = None) -> bool:
    fields: dict[str, Any] = {"claim_token": "", "last_run_at": now, "last_status": status,
                              "last_message": message[:2000], "due_at": due_at}
    if step is not None:
        fields["step"] = step
    return bool(CollectionJob.objects.filter(pk=job.pk, claim_token=token).update(**fields))


def _post_done(job: CollectionJob, now: datetime) -> tuple[int, datetime | None]:
    tracked = job.tracked
    assert tracked is not None
    step = next_step(tracked.published_at, now, after=job.step)
    return (step[0], step[1]) if step else (len(POST_SCHEDULE), None)


def _run_channel_jobs(channel: Channel, jobs: list[CollectionJob], token: str,
                      now: datetime) -> int:
    if channel.status != ChannelStatus.ACTIVE:
        message = needs_reconnect_message(channel)
        for job in jobs:
            _finish(job, token, now, JobStatus.SKIPPED, message=message,
                    due_at=now + RETRY_AFTER_REFUSAL)
        return 0
    # Channel readings first: they give the followers at publish time of new posts.
    jobs = sorted(jobs, key=lambda j: (j.kind != JobKind.CHANNEL, j.pk))
    done = 0
    provider: Any = None
    stop: Exception | None = None
    try:
        provider = _provider(channel)
    except (ProviderError, NoMetrics) as exc:
        stop = exc
        _app_limited(channel, exc, now)
    for job in jobs:
        if stop is not None:
            refusal = classify(stop)
            _finish(job, token, now, refusal.status, message=refusal.message,
                    due_at=now + refusal.wait if refusal.wait else None)
            continue
        try:
            if job.kind == JobKind.CHANNEL:
                read_channel(provider, channel, now)
                imported = import_recent(provider, channel, now)
                _finish(job, token, now, JobStatus.OK, due_at=now + CHANNEL_EVERY,
                        message=f"{imported} posts published outside Keryx added"
                        if imported else "")
            else:
                assert job.tracked is not None
                result = read_post(provider, job.tracked, now)
                if isinstance(result, PostGone):
                    _finish(job, token, now, JobStatus.GONE, message=result.reason, due_at=None)
                else:
                    step, due_at = _post_done(job, now)
                    _finish(job, token, now, JobStatus.OK if due_at else JobStatus.DONE,
                            due_at=due_at, step=step)
            done += 1
        except (ProviderError, NoMetrics) as exc:
            refusal = classify(exc)
            _finish(job, token, now, refusal.status, message=refusal.message,
                    due_at=now + refusal.wait if refusal.wait else None)
            if isinstance(exc, AuthExpired):
                mark_needs_reconnect(channel, refusal.message)
            _app_limited(channel, exc, now)
            if isinstance(exc, (AuthExpired, RateLimited)):
                stop = exc  # the rest of this channel's batch waits as well
    return done


_pool_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def collect_threads() -> int:
    return max(1, int(getattr(settings, "KERYX_COLLECT_THREADS", 8)))


def _executor(threads: int) -> ThreadPoolExecutor:
    """The process's collecting threads, kept between batches (each keeps its pooled HTTP
    client; its database connection is closed after every batch)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != threads:
            if _pool is not None:
                _pool[1].shutdown(wait=False)
            _pool = (threads, ThreadPoolExecutor(threads, thread_name_prefix="keryx-collect"))
        return _pool[1]


def _run_channel(channel: Channel, jobs: list[CollectionJob], token: str,
                 now: datetime) -> int:
    try:
        return _run_channel_jobs(channel, jobs, token, now)
    except Exception:
        # Unexpected: the jobs keep their lease and come back when it runs out.
        logger.exception("collecting channel %s failed", channel.pk)
        return 0


def _run_batch(token: str, ids: list[int], now: datetime) -> int:
    jobs = CollectionJob.objects.filter(pk__in=ids).select_related(
        "channel", "tracked")
    by_channel: dict[int, list[CollectionJob]] = defaultdict(list)
    channels: dict[int, Channel] = {}
    for job in jobs:
        by_channel[job.channel_id].append(job)
        channels[job.channel_id] = job.channel
    threads = min(collect_threads(), len(by_channel))
    if threads <= 1 or connection.in_atomic_block:
        return sum(_run_channel(channels[c], channel_jobs, token, now)
                   for c, channel_jobs in by_channel.items())
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for channel_id in by_channel:
        work.put(channel_id)

    def drain() -> int:
        done = 0
        try:
            while True:
                try:
                    channel_id = work.get_nowait()
                except queue.Empty:
                    return done
                done += _run_channel(channels[channel_id], by_channel[channel_id], token, now)
        finally:
            connections.close_all()  # this thread's connection, not kept between batches

    pool = _executor(collect_threads())
    return sum(f.result() for f in [pool.submit(drain) for _ in range(threads)])


def collect_due(*, now: datetime | None = None) -> int:
    """Take every reading whose time has come (claimed, see module doc). Returns readings."""
    fixed = now
    now = now or timezone.now()
    # A newly connected channel gets its daily job (and so its first reading and import).
    ensure_channel_jobs(Channel.objects.exclude(
        pk__in=CollectionJob.objects.filter(kind=JobKind.CHANNEL).values("channel_id")
    ).values_list("pk", flat=True), now)
    deadline = time.monotonic() + DRAIN_SECONDS
    done = 0
    while True:
        token, ids = claim_due(now=now)
        if not ids:
            return done
        done += _run_batch(token, ids, now)
        # A full batch: more may be due. Another process's share, or the time is up: stop.
        if len(ids) < CLAIM_BATCH or time.monotonic() > deadline:
            return done
        now = fixed or timezone.now()


# ---------------------------------------------------------------------------------------------
# `keryx metrics collect`: everything now, synchronously
# ---------------------------------------------------------------------------------------------


@dataclass
class ChannelReport:
    channel: str
    network: str
    status: str = JobStatus.OK
    message: str = ""
    followers: int | None = None
    posts_collected: int = 0
    posts_gone: int = 0
    posts_imported: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "network": self.network, "status": str(self.status),
                "message": self.message, "followers": self.followers,
                "posts_collected": self.posts_collected, "posts_gone": self.posts_gone,
                "posts_imported": self.posts_imported, "errors": self.errors}


def _record_channel_status(channel: Channel, status: str, message: str, now: datetime) -> None:
    CollectionJob.objects.filter(kind=JobKind.CHANNEL, channel=channel).update(
        last_status=status, last_message=message[:2000], last_run_at=now)


def collect_channel_now(channel: Channel, *, now: datetime | None = None) -> ChannelReport:
    """Read the channel and each of its published posts of the last 90 days, now."""
    now = now or timezone.now()
    report = ChannelReport(channel.name, channel.network)
    ensure_tracked(PostTarget.objects.filter(channel=channel, state=TargetState.PUBLISHED),
                   now=now)
    if channel.status != ChannelStatus.ACTIVE:
        report.status, report.message = JobStatus.SKIPPED, needs_reconnect_message(channel)
        _record_channel_status(channel, report.status, report.message, now)
        return report
    try:
        provider = _provider(channel)
    except (ProviderError, NoMetrics) as exc:
        refusal = classify(exc)
        _app_limited(channel, exc, now)
        report.status, report.message = refusal.status, refusal.message
        _record_channel_status(channel, report.status, report.message, now)
        return report
    try:
        snapshot = read_channel(provider, channel, now)
        report.followers = snapshot.followers
        report.posts_imported = import_recent(provider, channel, now)
    except NoMetrics as exc:
        report.message = str(exc)  # no account counts; the posts' counts may still come
    except ProviderError as exc:
        refusal = classify(exc)
        if isinstance(exc, AuthExpired):
            mark_needs_reconnect(channel, refusal.message)
        _app_limited(channel, exc, now)
        report.status, report.message = refusal.status, refusal.message
        if not isinstance(exc, MissingPermission):
            _record_channel_status(channel, report.status, report.message, now)
            return report
        # No permission for the account's counts: the posts may still be readable.
    tracked = TrackedPost.objects.filter(
        channel=channel, gone_at__isnull=True,
        published_at__gte=now - timedelta(days=COLLECT_NOW_DAYS),
    ).order_by("published_at")
    for post in tracked:
        try:
            result = read_post(provider, post, now)
        except ProviderError as exc:
            refusal = classify(exc)
            report.errors.append(f"{post.remote_id}: {refusal.message}")
            if isinstance(exc, (AuthExpired, RateLimited)):
                if isinstance(exc, AuthExpired):
                    mark_needs_reconnect(channel, refusal.message)
                _app_limited(channel, exc, now)
                report.status, report.message = refusal.status, refusal.message
                break
            if isinstance(exc, MissingPermission):
                report.status, report.message = refusal.status, refusal.message
            continue
        if isinstance(result, PostGone):
            report.posts_gone += 1
            CollectionJob.objects.filter(tracked=post).update(
                due_at=None, last_status=JobStatus.GONE, last_message=result.reason[:2000],
                last_run_at=now)
        else:
            report.posts_collected += 1
    if report.status == JobStatus.OK and report.errors:
        report.status = JobStatus.ERROR
        report.message = f"{len(report.errors)} posts could not be read"
    _record_channel_status(channel, report.status, report.message, now)
    return report


def collect_now(channels: list[Channel], *, now: datetime | None = None) -> list[ChannelReport]:
    return [collect_channel_now(c, now=now) for c in channels]


