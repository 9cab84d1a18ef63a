"""Engine processes declare themselves alive, so a crash costs seconds rather than a lease.

Every `keryx serve`, `keryx worker` and `keryx scheduler` process registers a Worker row on
start, writes a heartbeat every KERYX_HEARTBEAT_SECONDS from a thread of its own (renewing the
leases of the claims it still has in flight on the way) and sets `stopped_at` when it exits
cleanly. The reaper (scheduler.reap_expired) treats a worker that stopped, or whose heartbeat
is older than KERYX_WORKER_DEAD_SECONDS, as dead and hands its claims to a lookup.

On start a process also marks as stopped the rows of earlier processes on the same host whose
process is gone (or whose pid is now its own, as in a container where every start gets the
same pid): a process restarted a second after a crash need not wait for the heartbeat to age.
That check trusts the host name to name one pid namespace; give replicas distinct host names.

Heartbeats are written with this machine's clock and the reaper compares them with its own:
the clocks of the machines running Keryx must agree (NTP) to well under
KERYX_WORKER_DEAD_SECONDS; check_clock() measures this process's clock against the database's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from keryx.publishing.models import Worker
from keryx.publishing.scheduler import dead_workers, engine_write, renew_leases

logger = logging.getLogger(__name__)

# Rows of workers stopped this long ago are deleted by the heartbeat thread now and then.
FORGET_AFTER = timedelta(days=7)
# A clock further than this from the database's is logged as a warning.
CLOCK_SKEW_WARNING_SECONDS = 1.0
CLOCK_CHECK_EVERY_SECONDS = 60.0


def register(role: str = "worker") -> Worker:
    """A Worker row for this process."""
    now = timezone.now()
    return Worker.objects.create(host=socket.gethostname()[:255], pid=os.getpid(), role=role,
                                 started_at=now, heartbeat_at=now)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return True  # cannot tell: leave it to the heartbeat
    return True


def mark_gone_on_this_host(me: Worker) -> int:
    """Mark as stopped the other rows of this host whose process no longer runs (or whose pid
    is this process's own). Returns how many."""
    gone = [
        pk for pk, pid in Worker.objects.filter(host=me.host, stopped_at__isnull=True)
        .exclude(pk=me.pk).values_list("pk", "pid")
        if pid == me.pid or not _process_exists(pid)
    ]
    if not gone:
        return 0
    with engine_write():
        return Worker.objects.filter(pk__in=gone, stopped_at__isnull=True).update(
            stopped_at=timezone.now())


def beat(worker: Worker) -> int:
    """Write this worker's heartbeat and renew the leases of its claims in flight. Returns how
    many leases were renewed."""
    with engine_write():
        # stopped_at cleared too: a worker wrongly marked dead (its claims already reaped)
        # works on, and its new claims must not be reaped at once.
        revived = Worker.objects.filter(pk=worker.pk, stopped_at__isnull=False).update(
            heartbeat_at=timezone.now(), stopped_at=None)
        if not revived:
            Worker.objects.filter(pk=worker.pk).update(heartbeat_at=timezone.now())
    if revived:
        logger.warning("worker %s was taken for dead; its earlier claims were reconciled",
                       worker)
    return renew_leases(worker.pk)


def stop(worker: Worker) -> None:
    """A clean exit: whatever this worker still holds is reaped at once."""
    with engine_write():
        Worker.objects.filter(pk=worker.pk).update(stopped_at=timezone.now())


def forget_old(now: datetime | None = None) -> int:
    """Delete the rows of workers stopped more than FORGET_AFTER ago."""
    now = now or timezone.now()
    with engine_write():
        deleted, _ = Worker.objects.filter(stopped_at__lt=now - FORGET_AFTER).delete()
    return deleted


def live_workers(now: datetime | None = None) -> QuerySet[Worker]:
    """Workers that have not stopped and whose heartbeat is recent."""
    return Worker.objects.exclude(pk__in=dead_workers(now).values("pk"))


def clock_skew() -> float:
    """Seconds this process's clock is ahead of the database's (negative: behind)."""
    before = timezone.now()
    if connection.vendor == "sqlite":
        return 0.0  # the database is a file on this machine: the same clock
    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_TIMESTAMP")
        (db_now,) = cursor.fetchone()
    after = timezone.now()
    middle = before + (after - before) / 2
    return (middle - db_now).total_seconds()


def check_clock(worker: Worker | None = None) -> float:
    """Measure the skew, record it on the worker's row (shown by /healthz) and log a warning
    when it exceeds CLOCK_SKEW_WARNING_SECONDS."""
    skew = clock_skew()
    if worker is not None:
        with engine_write():
            Worker.objects.filter(pk=worker.pk).update(clock_skew=round(skew, 3))
    if abs(skew) > CLOCK_SKEW_WARNING_SECONDS:
        logger.warning(
            "this machine's clock is %.1f s %s the database's: heartbeats and due times are "
            "off by as much; synchronise the clocks (NTP)", abs(skew),
            "ahead of" if skew > 0 else "behind")
    return skew


class Heartbeat:
    """The heartbeat thread of one registered process."""

    def __init__(self, worker: Worker, interval: float | None = None) -> None:
        self.worker = worker
        self.interval = interval or settings.KERYX_HEARTBEAT_SECONDS
        self.stop_event = threading.Event()
        self.skew: float | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        self._thread = threading.Thread(target=self.run, name="keryx-heartbeat", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        next_clock_check = 0.0
        next_forget = 0.0
        elapsed = 0.0
        try:
            while not self.stop_event.wait(self.interval):
                elapsed += self.interval
                try:
                    beat(self.worker)
                    if elapsed >= next_clock_check:
                        next_clock_check = elapsed + CLOCK_CHECK_EVERY_SECONDS
                        self.skew = check_clock(self.worker)
                    if elapsed >= next_forget:
                        next_forget = elapsed + 3600.0
                        forget_old()
                except Exception:
                    # The database may be away for a while; beat again when it is back.
                    logger.exception("heartbeat failed; retrying")
                    connection.close()
        finally:
            connection.close()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
