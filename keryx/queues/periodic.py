"""Periodic work beside the engine: evergreen copies, feed fetches, metric readings, inbox
syncs, competitors and scheduled reports.

Started by keryx.publishing.background wherever the dispatcher or the reaper runs (every
`keryx serve`, `keryx worker` and `keryx scheduler`; never `keryx web`). Each job claims its rows
with a guarded UPDATE, so several processes may run this loop at once and each period's work
is done once: evergreen rules (next_at), feed sources (next_fetch_at), collection jobs and
competitors (due_at + claim token), inbox sync states (next_sync_at), scheduled reports
(claimed_until + claim token). Token refresh runs in its own loop beside this one
(keryx.channels.tasks), one channel at a time under a PostgreSQL advisory lock.

The loop ticks every TICK_SECONDS; each job is called at most once per its own interval
(`INTERVALS`): evergreen, feeds and metrics once a minute as before, the inbox every tick,
because a channel whose off-hours assistant is on is due every 30 s (keryx.inbox.services
.sync_period) and the answer must go out within a minute of the message."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import connection

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0  # the jobs' default interval
TICK_SECONDS = 5.0
INTERVALS = {"evergreen": INTERVAL_SECONDS, "feeds": INTERVAL_SECONDS,
             "metrics": INTERVAL_SECONDS, "inbox": TICK_SECONDS}
FIRST_RUN_AFTER_SECONDS = 5.0


def _jobs() -> list[tuple[str, Callable[[], int]]]:
    from keryx.analytics.collect import collect_due
    from keryx.analytics.competitors import collect_due as read_competitors
    from keryx.analytics.reports.schedule import send_due as send_reports
    from keryx.feeds.services import fetch_due
    from keryx.inbox.services import sync_due
    from keryx.queues.services import recycle_due

    return [("evergreen", recycle_due), ("feeds", fetch_due), ("metrics", collect_due),
            ("inbox", sync_due), ("competitors", read_competitors),
            ("reports", send_reports)]


def run_once(only: set[str] | None = None) -> dict[str, int]:
    done = {}
    for name, job in _jobs():
        if only is not None and name not in only:
            continue
        try:
            done[name] = job()
        except Exception:
            logger.exception("periodic job %s failed; trying again next round", name)
            connection.close()
    return done


def due_jobs(last_run: dict[str, float], now: float) -> set[str]:
    """The jobs whose interval has passed since they last ran (all of them the first time)."""
    return {name for name, every in INTERVALS.items()
            if name not in last_run or now - last_run[name] >= every - 0.5}


def periodic_loop(stop: threading.Event) -> None:
    if stop.wait(FIRST_RUN_AFTER_SECONDS):
        return
    last_run: dict[str, float] = {}
    while not stop.is_set():
        started = time.monotonic()
        names = due_jobs(last_run, started)
        run_once(names)
        for name in names:
            last_run[name] = started
        stop.wait(TICK_SECONDS)
