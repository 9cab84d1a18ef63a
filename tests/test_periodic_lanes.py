"""The periodic loop runs every job of _jobs(), and a slow job never holds up the inbox."""

from __future__ import annotations

import threading
import time

import pytest

from keryx.queues import periodic


def test_every_job_is_due_the_first_time_and_once_a_minute_after():
    names = {name for name, _job in periodic._jobs()}
    assert {"evergreen", "feeds", "metrics", "inbox", "competitors", "reports"} <= names
    assert periodic.due_jobs({}, 1000.0) == names
    ran_at = {name: 1000.0 for name in names}
    assert periodic.due_jobs(ran_at, 1006.0) == {"inbox"}
    assert periodic.due_jobs(ran_at, 1060.0) == names


def test_a_slow_job_does_not_hold_up_the_inbox(monkeypatch: pytest.MonkeyPatch):
    inbox_runs: list[float] = []
    release = threading.Event()

    def slow_collector() -> int:
        release.wait(10)  # the collector draining its due readings
        return 0

    def inbox() -> int:
        inbox_runs.append(time.monotonic())
        return 0

    monkeypatch.setattr(periodic, "_jobs", lambda: [("metrics", slow_collector),
                                                    ("inbox", inbox)])
    monkeypatch.setattr(periodic, "FIRST_RUN_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(periodic, "TICK_SECONDS", 0.05)
    monkeypatch.setattr(periodic, "INTERVALS", {"inbox": 0.05})
    stop = threading.Event()
    loop = threading.Thread(target=periodic.periodic_loop, args=(stop,), daemon=True)
    loop.start()
    try:
        deadline = time.monotonic() + 5
        while len(inbox_runs) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(inbox_runs) >= 3, "the inbox waited for the slow job"
    finally:
        stop.set()
        release.set()
        loop.join(5)
    assert not loop.is_alive()
