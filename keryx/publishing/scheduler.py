"""Claiming due targets and reaping lost claims: the only two statements that decide who works
on what. Both are single guarded UPDATEs, so any number of workers and schedulers can run them
at once (PostgreSQL: rows picked with FOR UPDATE SKIP LOCKED; SQLite: the IMMEDIATE transaction
serialises writers).

A claim is lost when the worker holding it stopped or fell silent (keryx.publishing.workers:
its heartbeat is older than KERYX_WORKER_DEAD_SECONDS), or, for a claim without a registered
worker, when its lease ran out. A live worker renews the leases of what it has in flight
(renew_leases), so the lease is only the backstop."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from keryx.publishing.models import (
    CLAIMABLE_STATES,
    PostTarget,
    TargetEvent,
    TargetState,
    Worker,
)

# SQLite lets one writer in at a time, and a writer that finds the database locked sleeps in
# growing steps (up to 100 ms) before it looks again: with dozens of publishing threads queuing,
# the lock sat idle much of the time (bench/throughput.py: about 120 -> 160 posts/s with this
# lock). Within one process a Python lock hands it over at once. The timeout keeps a stuck
# holder from blocking the others for ever; SQLite's own busy timeout still applies after it.
_sqlite_writes = threading.RLock()


@contextmanager
def engine_write() -> Iterator[None]:
    """A write transaction of the engine; on SQLite, one thread of this process at a time."""
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    acquired = _sqlite_writes.acquire(timeout=30)
    try:
        with transaction.atomic():
            yield
    finally:
        if acquired:
            _sqlite_writes.release()


@dataclass(frozen=True)
class Claim:
    """A target this worker leased: only writes carrying `token` are applied to it."""

    target_id: int
    token: str
    from_state: str


def claim_due(
    worker_id: str,
    *,
    limit: int | None = None,
    now: datetime | None = None,
    ids: list[int] | None = None,
    worker: int | None = None,
) -> list[Claim]:
    """Lease up to `limit` due targets (state scheduled/failed/unknown, due_at <= now) for the
    registered process `worker` (a Worker's id; None: the lease alone protects the claim).

    One token per batch: the guard on every later write is (id, token, state=publishing).
    """
    now = now or timezone.now()
    limit = limit or settings.KERYX_CLAIM_BATCH
    token = str(uuid.uuid4())
    lease = now + timedelta(seconds=settings.KERYX_LEASE_SECONDS)
    due = PostTarget.objects.filter(state__in=CLAIMABLE_STATES, due_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    with engine_write():
        candidates = due.order_by("due_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        picked = dict(candidates.values_list("pk", "state")[:limit])
        if not picked:
            return []
        # The same condition again: the UPDATE is the claim, the SELECT only chose rows.
        due.filter(pk__in=list(picked)).update(
            state=TargetState.PUBLISHING,
            claim_token=token,
            claimed_by=worker_id[:120],
            claimed_worker_id=worker,
            claimed_until=lease,
            updated_at=now,
        )
        won = list(
            PostTarget.objects.filter(pk__in=list(picked), claim_token=token)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)
        )
    return [Claim(pk, token, picked[pk]) for pk in won]


def dead_workers(now: datetime | None = None) -> QuerySet[Worker]:
    """Workers that stopped, or whose heartbeat is older than KERYX_WORKER_DEAD_SECONDS."""
    now = now or timezone.now()
    silent_since = now - timedelta(seconds=settings.KERYX_WORKER_DEAD_SECONDS)
    return Worker.objects.filter(Q(stopped_at__isnull=False) | Q(heartbeat_at__lt=silent_since))


def lost_claims(now: datetime | None = None) -> QuerySet[PostTarget]:
    """Targets in `publishing` whose worker is dead or whose lease ran out."""
    now = now or timezone.now()
    return PostTarget.objects.filter(state=TargetState.PUBLISHING).filter(
        Q(claimed_until__lt=now) | Q(claimed_worker__in=dead_workers(now).values("pk"))
    )


def reap_expired(*, now: datetime | None = None, actor: str = "scheduler") -> int:
    """Lost claims go to `unknown`, never back to `scheduled`: the worker may have sent the
    post before it died, so the next attempt looks it up on the network first.

    Cheap enough for every loop of every worker: when nothing is lost it is one read on the
    (state, claimed_until) index and the small worker table, with no write transaction."""
    now = now or timezone.now()
    lost = lost_claims(now)
    if not lost.exists():
        return 0
    with engine_write():
        candidates = lost
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        rows = list(candidates.values_list(
            "pk", "attempts", "claimed_by", "claimed_until")[:1000])
        if not rows:
            return 0
        ids = [pk for pk, *_rest in rows]
        count = lost.filter(pk__in=ids).update(
            state=TargetState.UNKNOWN,
            due_at=now,
            claim_token="",
            claimed_until=None,
            claimed_worker=None,
            error_code="lease_expired",
            error_message="The worker stopped while publishing; checking the network first.",
            updated_at=now,
        )
        TargetEvent.objects.bulk_create(
            TargetEvent(
                target_id=pk,
                from_state=TargetState.PUBLISHING,
                to_state=TargetState.UNKNOWN,
                attempt=attempts,
                actor=actor,
                message=(f"Lease held by {by or 'a worker'} expired"
                         if until is not None and until < now
                         else f"{by or 'The worker'} stopped while publishing"),
            )
            for pk, attempts, by, until in rows
        )
    return count


def renew_leases(worker: int, *, now: datetime | None = None) -> int:
    """Extend the leases of this worker's claims that are past half their length, so a slow
    network never makes a live worker's claim look lost. Returns how many were renewed."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.KERYX_LEASE_SECONDS)
    with engine_write():
        return PostTarget.objects.filter(
            state=TargetState.PUBLISHING, claimed_worker_id=worker,
            claimed_until__lt=now + lease / 2,
        ).update(claimed_until=now + lease)


def next_due_at() -> datetime | None:
    """When the next claimable target falls due, so the dispatcher can wake for it."""
    return (
        PostTarget.objects.filter(state__in=CLAIMABLE_STATES, due_at__isnull=False)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
