"""Periodic work beside the engine: evergreen copies, feed fetches, metric readings, inbox
syncs, competitors, scheduled reports, goals, listening (due searches run and evaluate their
alerts; then the alert deliveries due for another attempt) and the partners' follow-up reminders.

Started by keryx.publishing.background wherever the dispatcher or the reaper runs (every
`keryx serve`, `keryx worker` and `keryx scheduler`; never `keryx web`). Each job claims its rows
with a guarded UPDATE, so several processes may run this loop at once and each period's work
is done once: evergreen rules (next_at), feed sources (next_fetch_at), collection jobs and
competitors (due_at + claim token), inbox sync states (next_sync_at), scheduled reports
(claimed_until + claim token), partners' follow-up reminders (reminded_for). Token refresh
runs in its own loop beside this one (keryx.channels.tasks), one channel at a time under a
PostgreSQL advisory lock.

Two lanes (threads) tick every TICK_SECONDS; each job is called at most once per its own
interval (`INTERVALS`, default once a minute). The inbox runs every tick in a lane of its own,
because a channel whose off-hours assistant is on is due every 30 s (keryx.inbox.services
.sync_period) and the answer must go out within a minute of the message, whatever the other
lane is doing (the collector may drain readings for up to 40 s)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import connection

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0  # the jobs' default interval
TICK_SECONDS = 5.0
# Jobs called more often than once a minute; every other job in _jobs() runs once a minute.
INTERVALS = {"inbox": TICK_SECONDS}
# The inbox has a lane (thread) of its own: the assistant's answer must go out within a minute,
# and a long job in the other lane (the collector drains its due readings for up to 40 s)
# must not hold it up.
FAST_LANE = frozenset({"inbox"})
FIRST_RUN_AFTER_SECONDS = 5.0


def _jobs() -> list[tuple[str, Callable[[], int]]]:
    from keryx.analytics.collect import collect_due
    from keryx.analytics.competitors import collect_due as read_competitors
    from keryx.analytics.reports.schedule import send_due as send_reports
    from keryx.feeds.services import fetch_due
    from keryx.inbox.services import sync_due
    from keryx.listening.services import poll_due as listen
    from keryx.queues.services import recycle_due
    from keryx.strategy.goals import progress_due as goal_progress
    from keryx.strategy.partners import follow_up_due as partner_follow_ups

    return [("evergreen", recycle_due), ("feeds", fetch_due), ("metrics", collect_due),
            ("inbox", sync_due), ("competitors", read_competitors),
            ("reports", send_reports), ("goals", goal_progress), ("listening", listen),
            ("partners", partner_follow_ups)]


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


def due_jobs(last_run: dict[str, float], now: float,
             names: frozenset[str] | set[str] | None = None) -> set[str]:
    """The jobs (of `names`, default all) whose interval has passed since they last ran (all
    of them the first time)."""
    names = names if names is not None else {name for name, _job in _jobs()}
    return {name for name in names
            if name not in last_run
            or now - last_run[name] >= INTERVALS.get(name, INTERVAL_SECONDS) - 0.5}


def _lane(stop: threading.Event, names: frozenset[str] | set[str]) -> None:
    last_run: dict[str, float] = {}
    while not stop.is_set():
        started = time.monotonic()
        due = due_jobs(last_run, started, names)
        run_once(due)
        for name in due:
            last_run[name] = started
        stop.wait(TICK_SECONDS)
    connection.close()


def periodic_loop(stop: threading.Event) -> None:
    if stop.wait(FIRST_RUN_AFTER_SECONDS):
        return
    everything = {name for name, _job in _jobs()}
    fast = threading.Thread(target=_lane, args=(stop, everything & FAST_LANE),
                            name="keryx-periodic-fast", daemon=True)
    fast.start()
    try:
        _lane(stop, everything - FAST_LANE)
    finally:
        fast.join(timeout=TICK_SECONDS * 2)
