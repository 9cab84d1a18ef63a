"""The engine's batch path (delivery.prepare / send / write_outcomes, the dispatcher's outcome
writer) against a real HTTP server on loopback: one attempt transaction per batch before any
request, outcomes written together, and every row still guarded by its own lease."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from keryx.channels.models import ChannelStatus
from keryx.publishing import delivery, dispatcher, services
from keryx.publishing.models import PostTarget, TargetEvent, TargetState
from keryx.publishing.scheduler import claim_due, reap_expired
from tests.support.engine import fast_passwords, loopback, make_channel  # noqa: F401

pytestmark = pytest.mark.django_db


def _posts(people, channels, count, text="Batch post"):
    return [
        services.create_post(workspace=people.acme, author=people.alice, text=f"{text} {i}",
                             channels=channels, actor="alice@example.com")
        for i in range(count)
    ]


def _targets() -> dict[int, PostTarget]:
    return PostTarget.objects.in_bulk()


def test_the_attempt_of_a_whole_batch_is_on_disk_before_any_request(people, loopback):  # noqa: F811
    good = make_channel(people.acme, loopback, "Good")
    gone = make_channel(people.acme, loopback, "Gone")
    _posts(people, [good, gone], 3)
    gone.status, gone.status_message = ChannelStatus.DISCONNECTED, "Removed by the network"
    gone.save()
    claims = claim_due("w", limit=100)
    assert len(claims) == 6

    jobs, finished = delivery.prepare(claims, worker_id="w")

    assert loopback.requests == []  # nothing sent yet
    rows = _targets()
    assert {job.target.channel_id for job in jobs} == {good.pk}
    assert len(jobs) == 3 and len(finished) == 3
    for job in jobs:
        row = rows[job.claim.target_id]
        assert row.state == TargetState.PUBLISHING and row.attempts == 1
        assert row.idempotency_key == job.target.idempotency_key != ""
        assert TargetEvent.objects.filter(target=row, to_state=TargetState.PUBLISHING,
                                          attempt=1).count() == 1
    for target_id, state in finished.items():
        assert state == TargetState.FAILED
        assert rows[target_id].error_code == "channel_inactive"
        assert rows[target_id].attempts == 0 and rows[target_id].claim_token == ""

    states = delivery.write_outcomes([delivery.send(job) for job in jobs])

    assert set(states.values()) == {TargetState.PUBLISHED}
    rows = _targets()
    assert loopback.key_counts() == {rows[t].idempotency_key: 1 for t in states}
    for target_id in states:
        assert rows[target_id].remote_id == loopback.posts[rows[target_id].idempotency_key]["id"]
        assert rows[target_id].claim_token == "" and rows[target_id].published_at is not None


def test_a_reaped_target_in_a_batch_of_outcomes_is_left_alone(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    _posts(people, [channel], 3)
    jobs, _ = delivery.prepare(claim_due("slow", limit=10), worker_id="slow")
    outcomes = [delivery.send(job) for job in jobs]
    # The lease of one target expires before the outcomes are written: reaped into unknown.
    victim = jobs[1].claim.target_id
    PostTarget.objects.filter(pk=victim).update(claimed_until=timezone.now() - timedelta(1))
    assert reap_expired() == 1

    states = delivery.write_outcomes(outcomes)

    assert set(states) == {jobs[0].claim.target_id, jobs[2].claim.target_id}
    rows = _targets()
    assert rows[victim].state == TargetState.UNKNOWN  # the next attempt looks it up
    assert rows[victim].remote_id == ""
    assert not TargetEvent.objects.filter(target_id=victim,
                                          to_state=TargetState.PUBLISHED).exists()
    for target_id in states:
        assert rows[target_id].state == TargetState.PUBLISHED
        assert TargetEvent.objects.filter(target_id=target_id,
                                          to_state=TargetState.PUBLISHED).count() == 1


def test_a_target_reaped_while_its_batch_is_prepared_gets_no_attempt(
    people, loopback, monkeypatch  # noqa: F811
):
    channel = make_channel(people.acme, loopback)
    _posts(people, [channel], 3)
    claims = claim_due("slow", limit=10)
    victim = claims[0].target_id
    real = delivery._variants_and_media

    def reaped_meanwhile(targets):
        # Between reading the batch and writing its attempt, the lease of one target is reaped.
        PostTarget.objects.filter(pk=victim).update(claimed_until=timezone.now() - timedelta(1))
        reap_expired()
        return real(targets)

    monkeypatch.setattr(delivery, "_variants_and_media", reaped_meanwhile)
    jobs, finished = delivery.prepare(claims, worker_id="slow")

    assert {job.claim.target_id for job in jobs} == {c.target_id for c in claims[1:]}
    assert finished == {}
    row = _targets()[victim]
    assert row.state == TargetState.UNKNOWN and row.attempts == 0
    assert not TargetEvent.objects.filter(target_id=victim, attempt=1).exists()
    for job in jobs:
        assert _targets()[job.claim.target_id].attempts == 1


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_writes_waiting_outcomes_when_it_stops(
    people, loopback, monkeypatch  # noqa: F811
):
    """Outcomes wait for a batch; stopping the worker writes them rather than dropping them."""
    monkeypatch.setattr(dispatcher, "OUTCOME_DELAY_SECONDS", 3600.0)
    monkeypatch.setattr(dispatcher, "OUTCOME_BATCH", 1000)
    channel = make_channel(people.acme, loopback)
    _posts(people, [channel], 5)
    # More threads than targets: the batch never fills, only the stop writes it.
    running = dispatcher.Dispatcher(threads=8, poll_interval=0.05, worker_id="stopper")
    thread = threading.Thread(target=running.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(loopback.posts_seen()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(loopback.posts_seen()) == 5
        time.sleep(0.2)
        # Sent, answered, but not yet written: still publishing under the lease.
        assert set(PostTarget.objects.values_list("state", flat=True)) == {
            TargetState.PUBLISHING}
    finally:
        running.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert set(PostTarget.objects.values_list("state", flat=True)) == {TargetState.PUBLISHED}
    assert running.published == 5
    assert sorted(loopback.key_counts().values()) == [1] * 5


def test_requests_are_built_in_prepare_so_the_threads_only_send(
    people, loopback, monkeypatch  # noqa: F811
):
    channel = make_channel(people.acme, loopback)
    _posts(people, [channel], 2, text="Built ahead")
    jobs, _finished = delivery.prepare(claim_due("w", limit=10), worker_id="w")
    assert [job.request.text for job in sorted(jobs, key=lambda j: j.claim.target_id)] == [
        "Built ahead 0", "Built ahead 1"]
    assert all(job.request.idempotency_key == job.target.idempotency_key for job in jobs)

    def no_building(*args, **kwargs):
        raise AssertionError("send built a request")

    monkeypatch.setattr(delivery, "request_for", no_building)
    states = delivery.write_outcomes([delivery.send(job) for job in jobs])
    assert set(states.values()) == {TargetState.PUBLISHED}
    assert len(loopback.requests) == 2


def test_a_request_that_cannot_be_built_is_an_unknown_outcome(
    people, loopback, monkeypatch  # noqa: F811
):
    channel = make_channel(people.acme, loopback)
    (post,) = _posts(people, [channel], 1)

    def broken(*args, **kwargs):
        raise RuntimeError("adaptation crashed")

    monkeypatch.setattr(delivery, "request_for", broken)
    jobs, _finished = delivery.prepare(claim_due("w", limit=10), worker_id="w")
    assert len(jobs) == 1 and jobs[0].request is None
    states = delivery.write_outcomes([delivery.send(jobs[0])])

    assert list(states.values()) == [TargetState.UNKNOWN]  # as if the provider had raised it
    assert loopback.requests == []
    target = post.targets.get()
    assert target.attempts == 1 and "adaptation crashed" in target.error_message
