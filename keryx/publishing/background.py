"""Starting and stopping the engine's background threads, shared by `keryx serve`,
`keryx worker` and `keryx scheduler`.

- dispatcher: claims and publishes due targets (keryx.publishing.dispatcher)
- tasks: django-tasks-db's worker loop for queued Django tasks (the "publish now" nudge)
- reaper: turns lost claims (dead workers', expired leases) into `unknown` (the dispatcher
  reaps too; this is for `keryx scheduler` running on its own)
- heartbeat: this process's Worker row (keryx.publishing.workers)

Before anything claims, start() registers the process and reaps the claims of dead workers,
so the posts a crashed process held go out as soon as it is restarted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

from keryx.channels.tasks import token_refresh_loop
from keryx.publishing import workers
from keryx.publishing.dispatcher import Dispatcher, default_worker_id, load_extra_providers
from keryx.publishing.models import Worker
from keryx.publishing.scheduler import reap_expired
from keryx.queues.periodic import periodic_loop

logger = logging.getLogger(__name__)

REAPER_INTERVAL_SECONDS = 1.0
DATABASE_RETRY_SECONDS = 1.0  # how often a starting process tries an unreachable database
T = TypeVar("T")


def _task_worker(worker_id: str):  # -> django_tasks_db Worker
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["default"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"tasks:{worker_id}"[:64],
        excluded_queue_names=[],
    )


@dataclass
class Background:
    dispatcher: Dispatcher | None = None
    threads: list[threading.Thread] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)
    worker: Worker | None = None
    heartbeat: workers.Heartbeat | None = None
    _task_worker: object | None = None

    def stop(self, timeout: float = 60.0) -> None:
        """Stop claiming, let in-flight publishes finish, then return. The heartbeat goes on
        until they have: the worker is alive while it finishes."""
        self.stop_event.set()
        if self.dispatcher is not None:
            self.dispatcher.stop()
        if self._task_worker is not None:
            self._task_worker.running = False  # type: ignore[attr-defined]
        for thread in self.threads:
            thread.join(timeout)
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.worker is not None:
            try:
                workers.stop(self.worker)
            except Exception:  # its heartbeat stops anyway: it is taken for dead soon
                logger.exception("could not record this worker's stop")


def _thread(name: str, target, background: Background) -> None:  # noqa: ANN001
    def run() -> None:
        try:
            target()
        except Exception:
            logger.exception("%s stopped with an error", name)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    background.threads.append(thread)


def _until_database_answers(step: Callable[[], T], what: str) -> T:
    """Run `step`, waiting for as long as the database is unreachable: a process started while
    PostgreSQL restarts (systemd restarting both after a crash, say) waits for it instead of
    exiting. Each step is retried on its own, so a step that succeeded is not done twice."""
    waited_since = None
    while True:
        try:
            result = step()
        except (OperationalError, InterfaceError) as exc:
            connection.close()
            now = time.monotonic()
            if waited_since is None:
                waited_since = now
                logger.warning("database unavailable while %s (%s); waiting for it", what,
                               str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            time.sleep(DATABASE_RETRY_SECONDS)
            continue
        if waited_since is not None:
            logger.warning("database back after %.1f s; %s", time.monotonic() - waited_since,
                           what)
        return result


def _register(background: Background, role: str, worker_id: str) -> None:
    """Register this process, then reap what dead workers held, before anything claims."""
    me = background.worker = _until_database_answers(
        lambda: workers.register(role), "registering this process")
    if gone := _until_database_answers(lambda: workers.mark_gone_on_this_host(me),
                                       "looking for earlier processes"):
        logger.warning("%d earlier process(es) on this host are gone", gone)
    if count := _until_database_answers(lambda: reap_expired(actor=f"reaper:{worker_id}"),
                                        "reaping dead workers' claims"):
        logger.warning("reaped %d claims of stopped workers", count)
    _until_database_answers(lambda: workers.check_clock(me), "checking the clock")
    background.heartbeat = workers.Heartbeat(me).start()
    connection.close()  # the threads below open their own


def start(*, dispatch: bool = True, tasks: bool = True, reaper: bool = False,
          threads: int | None = None, role: str = "worker") -> Background:
    load_extra_providers()
    background = Background()
    worker_id = default_worker_id()
    _register(background, role, worker_id)
    if dispatch:
        background.dispatcher = Dispatcher(threads=threads, worker_id=worker_id,
                                           worker=background.worker.pk)
        _thread("keryx-dispatcher", background.dispatcher.run, background)
    if tasks:
        task_worker = _task_worker(worker_id)
        background._task_worker = task_worker
        _thread("keryx-tasks", task_worker.run, background)
    if reaper:
        def reap_loop() -> None:
            while not background.stop_event.is_set():
                try:
                    if count := reap_expired(actor=f"reaper:{worker_id}"):
                        logger.warning("reaped %d lost claims", count)
                except Exception:
                    logger.exception("reaper error; retrying")
                    connection.close()
                background.stop_event.wait(REAPER_INTERVAL_SECONDS)

        _thread("keryx-reaper", reap_loop, background)
    if dispatch or reaper:
        # OAuth tokens are renewed before they expire, wherever the engine runs.
        _thread("keryx-tokens", lambda: token_refresh_loop(background.stop_event), background)
        # Evergreen copies and feed fetches, once a minute (guarded claims: safe anywhere).
        _thread("keryx-periodic", lambda: periodic_loop(background.stop_event), background)
    return background
