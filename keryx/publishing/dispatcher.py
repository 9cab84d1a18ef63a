"""The worker loop: claim what is due, publish it on a thread pool, write the outcomes, repeat.

It polls every KERYX_POLL_INTERVAL seconds, sooner when the next target falls due earlier, and
claims only as many targets as it has free threads, so a lease is never spent waiting in a
queue. Several dispatchers (threads, processes, machines) can run at once: the claim decides.
It also reaps lost claims (of dead workers, or with an expired lease) every REAP_EVERY_SECONDS;
the reaper is one guarded UPDATE, safe anywhere, and a mere read when nothing is lost.

Per claimed batch the attempt is written in one transaction before anything is sent
(delivery.prepare); the publishing threads only talk to the network and hand their outcomes to
an OutcomeWriter, which this loop flushes in one transaction every OUTCOME_BATCH outcomes or
OUTCOME_DELAY_SECONDS, whichever comes first, and once more on the way out. When every thread
is busy, freed threads are gathered for a moment (CLAIM_GATHER_SECONDS) so that a claim takes a
batch rather than one target at a time.

KERYX_EXTRA_PROVIDERS ("name=module:Class,...") registers extra networks at start-up, so a
test or benchmark can point worker processes at a loopback provider. Production leaves it unset.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from keryx.networks import registry
from keryx.publishing.delivery import Job, Outcome, prepare, send, write_outcomes
from keryx.publishing.scheduler import claim_due, next_due_at, reap_expired

logger = logging.getLogger(__name__)

# Well inside KERYX_WORKER_DEAD_SECONDS, so a dead worker's claims wait at most about that long.
REAP_EVERY_SECONDS = 1.0
# Outcomes wait at most this long, or until this many are waiting, before they are written.
# Far inside any lease (KERYX_LEASE_SECONDS), and short next to a network's answer.
OUTCOME_BATCH = 64
OUTCOME_DELAY_SECONDS = 0.05
# With all threads busy, a claim waits this long for a quarter of them to come free.
CLAIM_GATHER_SECONDS = 0.02

# Dispatchers running in this process, so a queued "publish now" task can wake them.
_running: set[Dispatcher] = set()


def nudge_running() -> bool:
    """Wake this process's dispatchers; False if none runs here."""
    for dispatcher in list(_running):
        dispatcher.nudge()
    return bool(_running)


def load_extra_providers(spec: str | None = None) -> list[str]:
    """Register providers named in KERYX_EXTRA_PROVIDERS. Returns the names registered."""
    spec = os.environ.get("KERYX_EXTRA_PROVIDERS", "") if spec is None else spec
    names = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, target = item.partition("=")
        module_name, _, class_name = target.partition(":")
        registry.register(name.strip(), getattr(importlib.import_module(module_name), class_name))
        names.append(name.strip())
    return names


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class OutcomeWriter:
    """Outcomes handed over by publishing threads, written together by flush(). Until then the
    targets stay `publishing` under their lease, so a crash loses nothing: they are reaped into
    `unknown` and looked up."""

    def __init__(self, max_batch: int = OUTCOME_BATCH,
                 max_delay: float = OUTCOME_DELAY_SECONDS) -> None:
        self.max_batch = max_batch
        self.max_delay = max_delay
        self._lock = threading.Lock()
        self._pending: list[Outcome] = []
        self._oldest = 0.0

    def add(self, outcome: Outcome) -> bool:
        """Queue one outcome; True when the batch is full and should be written now."""
        with self._lock:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append(outcome)
            return len(self._pending) >= self.max_batch

    def due_in(self, now: float | None = None) -> float | None:
        """Seconds until a flush is due (0: now); None when nothing waits."""
        with self._lock:
            if not self._pending:
                return None
            if len(self._pending) >= self.max_batch:
                return 0.0
            now = time.monotonic() if now is None else now
            return max(0.0, self._oldest + self.max_delay - now)

    def flush(self) -> dict[int, str]:
        """Write everything waiting in one transaction. On an error the outcomes go back in the
        queue for the next flush (each write is guarded, so a late one is harmless)."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return {}
        try:
            return write_outcomes(batch)
        except Exception:
            with self._lock:
                self._pending[:0] = batch
                self._oldest = time.monotonic()
            raise


class Dispatcher:
    def __init__(
        self,
        *,
        threads: int | None = None,
        poll_interval: float | None = None,
        batch: int | None = None,
        worker_id: str | None = None,
        worker: int | None = None,
        reap: bool = True,
    ) -> None:
        """`worker`: this process's Worker id (keryx.publishing.workers), recorded on every
        claim so the claims are reaped as soon as the process is gone."""
        self.threads = threads or settings.KERYX_WORKER_THREADS
        self.poll_interval = poll_interval or settings.KERYX_POLL_INTERVAL
        self.batch = batch or settings.KERYX_CLAIM_BATCH
        self.worker_id = worker_id or default_worker_id()
        self.worker = worker
        self.reap = reap
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self.outcomes = OutcomeWriter(max_batch=max(1, min(OUTCOME_BATCH, self.threads)),
                                      max_delay=OUTCOME_DELAY_SECONDS)
        # Freed threads worth claiming for at once (see CLAIM_GATHER_SECONDS).
        self.gather = max(1, min(self.batch, self.threads // 4))
        self._inflight = 0
        self._lock = threading.Lock()
        self._last_claim = 0.0
        self.published = 0

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Run until stop() is called; waits for in-flight targets and writes their outcomes
        before returning."""
        executor = ThreadPoolExecutor(self.threads, thread_name_prefix="keryx-publish")
        last_reap = 0.0
        logger.info("dispatcher %s: %d threads", self.worker_id, self.threads)
        _running.add(self)
        try:
            while not self.stop_event.is_set():
                try:
                    if self.reap and time.monotonic() - last_reap > REAP_EVERY_SECONDS:
                        last_reap = time.monotonic()
                        if reaped := reap_expired(actor=f"reaper:{self.worker_id}"):
                            logger.warning("reaped %d lost claims", reaped)
                    if self.outcomes.due_in() == 0.0:
                        self._flush()
                    claimed, limit = self._claim_and_submit(executor)
                    if claimed and claimed == limit:
                        continue  # there may be more due right now
                    self._sleep(checked_due=limit > 0)
                except Exception:
                    # A database hiccup must not kill the worker; the table keeps the truth.
                    logger.exception("dispatcher loop error; retrying")
                    connection.close()
                    self.stop_event.wait(1.0)
        finally:
            _running.discard(self)
            self._close_thread_connections(executor)
            executor.shutdown(wait=True)
            try:
                self._flush()
            except Exception:
                # Their leases expire and the reaper hands them to a lookup: nothing is lost.
                logger.exception("could not write the last outcomes")
            connection.close()

    def _flush(self) -> None:
        states = self.outcomes.flush()
        published = sum(1 for state in states.values() if state == "published")
        if published:
            with self._lock:
                self.published += published

    def _claim_and_submit(self, executor: ThreadPoolExecutor) -> tuple[int, int]:
        """Returns (targets claimed, the most that could have been)."""
        with self._lock:
            busy = self._inflight
        free = self.threads - busy
        if free <= 0:
            return 0, 0
        now = time.monotonic()
        if busy and free < self.gather and now - self._last_claim < CLAIM_GATHER_SECONDS:
            return 0, 0
        self._last_claim = now
        limit = min(self.batch, free)
        claims = claim_due(self.worker_id, limit=limit, worker=self.worker)
        jobs, _finished = prepare(claims, worker_id=self.worker_id)
        with self._lock:
            self._inflight += len(jobs)
        for job in jobs:
            executor.submit(self._publish, job)
        return len(claims), limit

    def _publish(self, job: Job) -> None:
        try:
            full = self.outcomes.add(send(job))
        except Exception:
            logger.exception("publishing target %s failed unexpectedly", job.claim.target_id)
            # A broken connection is not reused by the next target on this thread.
            connection.close()
            full = False
        with self._lock:
            self._inflight -= 1
            free = self.threads - self._inflight
        # Wake the loop when there is something worth doing; otherwise it wakes on its own
        # within CLAIM_GATHER_SECONDS / OUTCOME_DELAY_SECONDS.
        if full or free >= self.gather or free == self.threads:
            self.wake_event.set()

    def _sleep(self, *, checked_due: bool) -> None:
        timeout = self.poll_interval
        flush_in = self.outcomes.due_in()
        if flush_in is not None:
            timeout = min(timeout, flush_in)
        with self._lock:
            has_room = self._inflight < self.threads
        if has_room:
            if checked_due:
                upcoming = next_due_at()
                if upcoming is not None:
                    timeout = max(0.0, min(
                        timeout, (upcoming - timezone.now()).total_seconds()))
            else:  # a claim is being gathered
                timeout = min(timeout, max(
                    0.0, self._last_claim + CLAIM_GATHER_SECONDS - time.monotonic()))
        self.wake_event.wait(timeout)
        self.wake_event.clear()

    def _close_thread_connections(self, executor: ThreadPoolExecutor) -> None:
        """Each pool thread holds its own connection; close each on its own thread. The
        barrier makes every thread take exactly one of these jobs."""
        barrier = threading.Barrier(self.threads)

        def close() -> None:
            try:
                barrier.wait(timeout=5)
            except threading.BrokenBarrierError:
                pass
            connections.close_all()

        for _ in range(self.threads):
            executor.submit(close)

    def stop(self) -> None:
        self.stop_event.set()
        self.wake_event.set()

    def nudge(self) -> None:
        self.wake_event.set()
