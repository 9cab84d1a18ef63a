"""The worker loop: claim what is due, publish it on a thread pool, repeat.

It polls every KERYX_POLL_INTERVAL seconds, sooner when the next target falls due earlier, and
claims only as many targets as it has free threads, so a lease is never spent waiting in a
queue. Several dispatchers (threads, processes, machines) can run at once: the claim decides.
It also reaps expired leases now and then; the reaper is one guarded UPDATE, safe anywhere.

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
from keryx.publishing.delivery import publish_claimed
from keryx.publishing.scheduler import Claim, claim_due, next_due_at, reap_expired

logger = logging.getLogger(__name__)

REAP_EVERY_SECONDS = 5.0

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


class Dispatcher:
    def __init__(
        self,
        *,
        threads: int | None = None,
        poll_interval: float | None = None,
        batch: int | None = None,
        worker_id: str | None = None,
        reap: bool = True,
    ) -> None:
        self.threads = threads or settings.KERYX_WORKER_THREADS
        self.poll_interval = poll_interval or settings.KERYX_POLL_INTERVAL
        self.batch = batch or settings.KERYX_CLAIM_BATCH
        self.worker_id = worker_id or default_worker_id()
        self.reap = reap
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self._inflight = 0
        self._lock = threading.Lock()
        self.published = 0

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Run until stop() is called; waits for in-flight targets before returning."""
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
                            logger.warning("reaped %d expired leases", reaped)
                    claimed = self._claim_and_submit(executor)
                    if claimed and claimed == self._last_limit:
                        continue  # there may be more due right now
                    self._sleep()
                except Exception:
                    # A database hiccup must not kill the worker; the table keeps the truth.
                    logger.exception("dispatcher loop error; retrying")
                    connection.close()
                    self.stop_event.wait(1.0)
        finally:
            _running.discard(self)
            self._close_thread_connections(executor)
            executor.shutdown(wait=True)
            connection.close()

    _last_limit = 0

    def _claim_and_submit(self, executor: ThreadPoolExecutor) -> int:
        with self._lock:
            free = self.threads - self._inflight
        self._last_limit = min(self.batch, free)
        if self._last_limit <= 0:
            return 0
        claims = claim_due(self.worker_id, limit=self._last_limit)
        for claim in claims:
            with self._lock:
                self._inflight += 1
            executor.submit(self._publish, claim)
        return len(claims)

    def _publish(self, claim: Claim) -> None:
        try:
            state = publish_claimed(claim, worker_id=self.worker_id)
            if state == "published":
                with self._lock:
                    self.published += 1
        except Exception:
            logger.exception("publishing target %s failed unexpectedly", claim.target_id)
            # A broken connection is not reused by the next target on this thread.
            connection.close()
        finally:
            with self._lock:
                self._inflight -= 1
            self.wake_event.set()

    def _sleep(self) -> None:
        timeout = self.poll_interval
        with self._lock:
            has_room = self._inflight < self.threads
        if has_room:
            upcoming = next_due_at()
            if upcoming is not None:
                timeout = max(0.0, min(timeout, (upcoming - timezone.now()).total_seconds()))
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
