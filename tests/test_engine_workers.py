"""Workers declare themselves alive: the claims of one that stopped or fell silent are reaped
into `unknown` at once, a live one's are left alone however long its requests take, and a
restarted process reaps what its dead predecessor on the same host held before it claims."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from keryx.publishing import services, workers
from keryx.publishing.delivery import publish_claimed
from keryx.publishing.models import PostTarget, TargetState, Worker
from keryx.publishing.scheduler import claim_due, reap_expired, renew_leases
from tests.support.engine import fast_passwords, loopback, make_channel, run_due  # noqa: F401

pytestmark = pytest.mark.django_db


def _posts(people, channel, count: int = 2) -> list[PostTarget]:
    for i in range(count):
        services.create_post(workspace=people.acme, author=people.alice, text=f"Post {i}",
                             channels=[channel], actor="alice")
    return list(PostTarget.objects.order_by("pk"))


def _states() -> list[str]:
    return list(PostTarget.objects.order_by("pk").values_list("state", flat=True))


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_claim_records_its_worker_and_is_released_when_written(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    _posts(people, channel, 1)
    me = workers.register()
    (claim,) = claim_due("me", worker=me.pk)
    assert PostTarget.objects.get(pk=claim.target_id).claimed_worker_id == me.pk
    assert run_due() == []  # already claimed
    assert publish_claimed(claim, worker_id="me") == "published"
    assert PostTarget.objects.get(pk=claim.target_id).claimed_worker_id is None


def test_a_silent_workers_claims_are_reaped_into_unknown_long_before_the_lease(
    people, loopback, settings  # noqa: F811
):
    settings.KERYX_LEASE_SECONDS = 120
    settings.KERYX_WORKER_DEAD_SECONDS = 8
    channel = make_channel(people.acme, loopback)
    _posts(people, channel)
    me = workers.register()
    assert len(claim_due("me", worker=me.pk)) == 2
    soon = timezone.now() + timedelta(seconds=5)
    assert reap_expired(now=soon) == 0  # heartbeat 5 s old: alive
    later = timezone.now() + timedelta(seconds=9)
    assert reap_expired(now=later) == 2  # 9 s: dead, 111 s before the lease would run out
    assert _states() == [TargetState.UNKNOWN, TargetState.UNKNOWN]  # never `scheduled`
    target = PostTarget.objects.first()
    assert target.claimed_worker_id is None and target.claim_token == ""
    assert "stopped while publishing" in target.events.last().message
    # Reconciled as before: looked up, then published once.
    assert sorted(run_due(now=later)) == ["published", "published"]
    assert set(loopback.key_counts().values()) == {1}


def test_a_live_worker_keeps_its_claims_and_renews_their_leases(
    people, loopback, settings  # noqa: F811
):
    settings.KERYX_LEASE_SECONDS = 10
    channel = make_channel(people.acme, loopback)
    _posts(people, channel)
    me = workers.register()
    claim_due("me", worker=me.pk)
    # A slow network: 30 s later the requests are still in flight, the heartbeat still beats.
    for step in range(1, 7):
        now = timezone.now() + timedelta(seconds=5 * step)
        Worker.objects.filter(pk=me.pk).update(heartbeat_at=now)
        renew_leases(me.pk, now=now)
        assert reap_expired(now=now + timedelta(seconds=1)) == 0
    assert _states() == [TargetState.PUBLISHING, TargetState.PUBLISHING]


def test_renewal_touches_only_leases_past_half_their_length(people, loopback, settings):  # noqa: F811
    settings.KERYX_LEASE_SECONDS = 120
    channel = make_channel(people.acme, loopback)
    _posts(people, channel)
    me = workers.register()
    claim_due("me", worker=me.pk)
    assert renew_leases(me.pk) == 0  # fresh leases: no write needed
    assert renew_leases(me.pk, now=timezone.now() + timedelta(seconds=61)) == 2
    assert renew_leases(workers.register().pk, now=timezone.now() + timedelta(seconds=61)) == 0


def test_a_stopped_workers_claims_are_reaped_at_once(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    _posts(people, channel)
    me, other = workers.register(), workers.register()
    claim_due("me", worker=me.pk, limit=1)
    claim_due("other", worker=other.pk, limit=1)
    workers.stop(me)
    assert reap_expired() == 1
    assert sorted(_states()) == [TargetState.PUBLISHING, TargetState.UNKNOWN]
    assert set(workers.live_workers().values_list("pk", flat=True)) == {other.pk}


def test_claims_without_a_worker_still_fall_back_on_the_lease(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    _posts(people, channel, 1)
    claim_due("a task")
    assert reap_expired(now=timezone.now() + timedelta(seconds=60)) == 0
    assert reap_expired(now=timezone.now() + timedelta(minutes=5)) == 1


def test_on_start_the_rows_of_gone_processes_on_this_host_are_marked_stopped(db):
    me = workers.register()
    now = timezone.now()
    gone = Worker.objects.create(host=me.host, pid=_dead_pid(), started_at=now, heartbeat_at=now)
    same_pid = Worker.objects.create(host=me.host, pid=me.pid, started_at=now, heartbeat_at=now)
    parent = Worker.objects.create(host=me.host, pid=os.getppid(), started_at=now,
                                   heartbeat_at=now)
    elsewhere = Worker.objects.create(host="another-host", pid=_dead_pid(), started_at=now,
                                      heartbeat_at=now)
    assert workers.mark_gone_on_this_host(me) == 2
    stopped = set(Worker.objects.filter(stopped_at__isnull=False).values_list("pk", flat=True))
    assert stopped == {gone.pk, same_pid.pk}
    assert parent.pk not in stopped and elsewhere.pk not in stopped and me.pk not in stopped


def test_a_worker_taken_for_dead_comes_back_with_its_next_heartbeat(db):
    me = workers.register()
    workers.stop(me)
    assert not workers.live_workers().exists()
    workers.beat(me)
    assert list(workers.live_workers()) == [me]


@pytest.mark.django_db(transaction=True)  # the thread has a connection of its own
def test_the_heartbeat_thread_beats_and_old_rows_are_forgotten():
    me = workers.register()
    Worker.objects.filter(pk=me.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=1))
    old = workers.register()
    Worker.objects.filter(pk=old.pk).update(stopped_at=timezone.now() - timedelta(days=8))
    heartbeat = workers.Heartbeat(me, interval=0.05).start()
    try:
        deadline = timezone.now() + timedelta(seconds=10)
        while Worker.objects.filter(pk=old.pk).exists() and timezone.now() < deadline:
            time.sleep(0.02)
    finally:
        heartbeat.stop()
    me.refresh_from_db()
    assert timezone.now() - me.heartbeat_at < timedelta(seconds=5)
    assert not Worker.objects.filter(pk=old.pk).exists()
    assert heartbeat.skew is not None


# -- /healthz and the clock -------------------------------------------------------------------


def test_healthz_is_503_without_a_live_worker_and_200_with_one(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["live_workers"] == 0
    assert "No worker is running" in body["problems"][0]
    workers.register("serve")
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["live_workers"] == 1
    assert response.json()["workers"][0]["role"] == "serve"


def test_healthz_reports_the_oldest_overdue_delivery(client, people, loopback, settings):  # noqa: F811
    settings.KERYX_HEALTH_OVERDUE_SECONDS = 60
    workers.register()
    channel = make_channel(people.acme, loopback)
    (target,) = _posts(people, channel, 1)
    PostTarget.objects.filter(pk=target.pk).update(
        due_at=timezone.now() - timedelta(seconds=30))
    body = client.get("/healthz").json()
    assert body["due_deliveries"] == 1 and 29 <= body["oldest_overdue_seconds"] <= 40
    assert body["status"] == "ok"
    PostTarget.objects.filter(pk=target.pk).update(
        due_at=timezone.now() - timedelta(seconds=300))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "overdue" in response.json()["problems"][0]


def test_a_clock_off_by_more_than_a_second_is_logged_and_shown(client, db, monkeypatch,
                                                               caplog):
    me = workers.register()
    monkeypatch.setattr(workers, "clock_skew", lambda: 2.5)
    with caplog.at_level("WARNING", logger="keryx.publishing.workers"):
        assert workers.check_clock(me) == 2.5
    assert "2.5 s ahead of the database" in caplog.text
    body = client.get("/healthz").json()
    assert body["workers"][0]["clock_skew_seconds"] == 2.5
    assert "+2.5 s off" in body["warnings"][0]
    assert client.get("/healthz").status_code == 200  # a warning, not an outage


def test_the_clock_skew_of_one_machine_is_near_zero(db):
    assert abs(workers.clock_skew()) < 1.0


def test_a_process_started_while_the_database_is_down_waits_for_it():
    """`keryx serve`/`worker` starting during a PostgreSQL restart (the chaos suite found it
    exiting with a traceback): each start-up step waits for the database, done once."""
    from django.db import OperationalError

    from keryx.publishing import background

    calls = []

    def step() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError('database "keryx" is not currently accepting connections')
        return "registered"

    assert background._until_database_answers(step, "registering") == "registered"
    assert len(calls) == 3
