"""Claiming due targets and reaping expired leases: the only two statements that decide who
works on what. Both are single guarded UPDATEs, so any number of workers and schedulers can run
them at once (PostgreSQL: rows picked with FOR UPDATE SKIP LOCKED; SQLite: the IMMEDIATE
transaction serialises writers)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from keryx.publishing.models import CLAIMABLE_STATES, PostTarget, TargetEvent, TargetState

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
) -> list[Claim]:
    """Lease up to `limit` due targets (state scheduled/failed/unknown, due_at <= now).

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
            claimed_until=lease,
            updated_at=now,
        )
        won = list(
            PostTarget.objects.filter(pk__in=list(picked), claim_token=token)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)
        )
    return [Claim(pk, token, picked[pk]) for pk in won]


def reap_expired(*, now: datetime | None = None, actor: str = "scheduler") -> int:
    """Expired leases go to `unknown`, never back to `scheduled`: the worker may have sent the
    post before it died, so the next attempt looks it up on the network first."""
    now = now or timezone.now()
    expired = PostTarget.objects.filter(state=TargetState.PUBLISHING, claimed_until__lt=now)
    with engine_write():
        candidates = expired
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        rows = list(candidates.values_list("pk", "attempts", "claimed_by")[:1000])
        if not rows:
            return 0
        ids = [pk for pk, _attempts, _by in rows]
        count = expired.filter(pk__in=ids).update(
            state=TargetState.UNKNOWN,
            due_at=now,
            claim_token="",
            claimed_until=None,
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
                message=f"Lease held by {by or 'a worker'} expired",
            )
            for pk, attempts, by in rows
        )
    return count


def next_due_at() -> datetime | None:
    """When the next claimable target falls due, so the dispatcher can wake for it."""
    return (
        PostTarget.objects.filter(state__in=CLAIMABLE_STATES, due_at__isnull=False)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
