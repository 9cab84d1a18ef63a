"""The publishing state machine against a real HTTP server on loopback: success, classified
failures, reconciling unknown outcomes, leases, and channels failing independently."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from keryx.channels.models import ChannelStatus
from keryx.publishing import services
from keryx.publishing.delivery import publish_claimed
from keryx.publishing.models import PostTarget, TargetEvent, TargetState
from keryx.publishing.scheduler import claim_due, reap_expired
from tests.support.engine import fast_passwords, loopback, make_channel, run_due  # noqa: F401
from tests.support.loopback import Scripted

pytestmark = pytest.mark.django_db


def _post(people, channels, text="Hello from Keryx", **kw):
    return services.create_post(
        workspace=people.acme, author=people.alice, text=text, channels=channels,
        actor="alice@example.com", **kw,
    )


def _target(post, channel=None) -> PostTarget:
    qs = PostTarget.objects.filter(post=post)
    if channel is not None:
        qs = qs.filter(channel=channel)
    return qs.get()


def _transitions(target) -> list[tuple[str, str]]:
    return list(TargetEvent.objects.filter(target=target).values_list("from_state", "to_state"))


def test_publish_now_goes_out_once_and_records_every_step(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])

    assert run_due() == ["published"]

    target = _target(post)
    assert target.state == TargetState.PUBLISHED
    assert target.attempts == 1
    assert target.idempotency_key
    remote = loopback.posts[target.idempotency_key]
    assert target.remote_id == remote["id"] and target.remote_url == remote["url"]
    assert remote["text"] == "Hello from Keryx"
    assert target.published_at is not None and target.claim_token == ""
    assert _transitions(target) == [
        ("", "scheduled"), ("scheduled", "publishing"), ("publishing", "published"),
    ]
    assert services.post_state(post) == "published"
    # Nothing more is due: a second run sends nothing.
    assert run_due() == []
    assert loopback.key_counts() == {target.idempotency_key: 1}


def test_future_post_is_not_claimed_before_its_time(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    when = timezone.now() + timedelta(hours=2)
    post = _post(people, [channel], scheduled_at=when)
    assert run_due() == []
    assert run_due(now=when - timedelta(seconds=1)) == []
    assert run_due(now=when) == ["published"]
    assert _target(post).state == TargetState.PUBLISHED


def test_variant_text_is_what_the_channel_gets(people, loopback):  # noqa: F811
    one = make_channel(people.acme, loopback, "One")
    two = make_channel(people.acme, loopback, "Two")
    post = _post(people, [one, two], variants={two.pk: {"text": "Short for two"}})
    run_due()
    texts = {loopback.posts[_target(post, ch).idempotency_key]["text"] for ch in (one, two)}
    assert texts == {"Hello from Keryx", "Short for two"}


def test_rate_limit_waits_as_long_as_the_network_says(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])
    loopback.fail_next(Scripted(429, {"Retry-After": "120"}, {"error": "Too many requests"}))

    before = timezone.now()
    assert run_due() == ["failed"]
    target = _target(post)
    assert target.error_code == "rate_limited"
    assert target.error_message == "Too many requests"
    assert before + timedelta(seconds=119) <= target.due_at <= timezone.now() + timedelta(
        seconds=121
    )
    # Not due yet; at the time the network named, it goes out with the same key.
    assert run_due() == []
    assert run_due(now=target.due_at) == ["published"]
    target.refresh_from_db()
    assert target.attempts == 2
    assert loopback.key_counts() == {target.idempotency_key: 2}
    assert len(loopback.posts) == 1


def test_transient_errors_back_off_then_stop_after_max_attempts(settings, people, loopback):  # noqa: F811
    settings.KERYX_MAX_ATTEMPTS = 3
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])
    loopback.fail_next(*[Scripted(503, body={"error": "Service unavailable"})] * 3)

    assert run_due() == ["failed"]
    first = _target(post)
    delay = (first.due_at - timezone.now()).total_seconds()
    assert 20 < delay < 40  # 30 s +-20 %
    assert run_due(now=first.due_at) == ["failed"]
    second = _target(post)
    assert 45 < (second.due_at - timezone.now()).total_seconds() < 75  # doubled
    assert run_due(now=second.due_at) == ["failed"]
    final = _target(post)
    assert final.attempts == 3 and final.due_at is None
    assert final.error_code == "transient" and final.error_message == "Service unavailable"
    assert run_due(now=timezone.now() + timedelta(days=1)) == []

    # A person can still retry, and it keeps the same key.
    services.retry_target(final, actor="alice@example.com")
    assert run_due() == ["published"]
    assert _target(post).idempotency_key == first.idempotency_key


def test_bad_content_is_final_with_the_networks_reason(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])
    loopback.fail_next(Scripted(422, body={"error": "Validation failed: Text is spam"}))
    assert run_due() == ["failed"]
    target = _target(post)
    assert target.error_code == "bad_content" and target.due_at is None
    assert target.error_message == "Validation failed: Text is spam"
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE


def test_expired_token_fails_and_marks_the_channel_for_reconnecting(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    channel.credentials = {"access_token": "revoked"}
    channel.save()
    post = _post(people, [channel])
    assert run_due() == ["failed"]
    target = _target(post)
    assert target.error_code == "auth_expired" and target.due_at is None
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_RECONNECT
    assert channel.status_message == "The access token is invalid"
    # Later posts on the channel are refused before anything is sent.
    requests_before = len(loopback.requests)
    with pytest.raises(services.PostRejected):
        _post(people, [channel], text="again")
    assert len(loopback.requests) == requests_before


def test_one_channel_failing_leaves_the_other_published_and_retry_never_reposts(
    people, loopback  # noqa: F811
):
    good = make_channel(people.acme, loopback, "Good")
    bad = make_channel(people.acme, loopback, "Bad")
    bad.credentials = {"access_token": "wrong"}
    bad.save()
    post = _post(people, [good, bad])

    assert sorted(run_due()) == ["failed", "published"]
    good_target, bad_target = _target(post, good), _target(post, bad)
    assert good_target.state == TargetState.PUBLISHED
    assert bad_target.state == TargetState.FAILED
    assert services.post_state(post) == "partial"

    # The user fixes the credentials and retries the failed one only.
    bad.refresh_from_db()
    bad.credentials = {"access_token": loopback.token}
    bad.status = ChannelStatus.ACTIVE
    bad.save()
    services.retry_target(bad_target, actor="alice@example.com")
    with pytest.raises(services.InvalidTransition):
        services.retry_target(good_target, actor="alice@example.com")
    assert run_due() == ["published"]
    assert services.post_state(post) == "published"
    assert loopback.key_counts()[good_target.idempotency_key] == 1
    assert len(loopback.posts) == 2


def test_server_error_after_the_write_is_reconciled_not_reposted(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])
    # The network stores the post, then answers 500: we cannot tell it went out.
    loopback.fail_next(Scripted(500, body={"error": "Internal error"}, store=True))
    assert run_due() == ["unknown"]
    target = _target(post)
    assert target.error_code == "outcome_unknown" and target.due_at is not None

    assert run_due(now=target.due_at) == ["published"]
    target.refresh_from_db()
    assert target.remote_id == loopback.posts[target.idempotency_key]["id"]
    assert loopback.key_counts() == {target.idempotency_key: 1}  # looked up, not re-sent
    assert ("unknown", "publishing") in _transitions(target)


def test_timeout_is_unknown_then_found_by_lookup(settings, people, loopback):  # noqa: F811
    settings.KERYX_HTTP_TIMEOUT = 0.5
    loopback.hold = 1.5  # stored, but the answer comes after our timeout
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])
    assert run_due() == ["unknown"]
    loopback.hold = 0
    target = _target(post)
    assert run_due(now=target.due_at) == ["published"]
    assert loopback.key_counts() == {_target(post).idempotency_key: 1}


def test_reaper_sends_expired_leases_to_unknown_then_reconcile(people, loopback):  # noqa: F811
    """A worker died holding two leases: one had reached the network, one had not."""
    channel = make_channel(people.acme, loopback, "A")
    other = make_channel(people.acme, loopback, "B")
    sent = _post(people, [channel], text="sent before the crash")
    unsent = _post(people, [other], text="never sent")
    claims = claim_due("dead-worker", limit=10)
    assert len(claims) == 2
    # The dead worker had written its attempt and reached the network for `sent` only.
    sent_target = _target(sent)
    sent_target.idempotency_key = "key-sent"
    sent_target.save()
    loopback.posts["key-sent"] = {
        "id": "r1", "url": "http://127.0.0.1/@loop/r1", "text": "sent before the crash",
        "created_at": timezone.now().isoformat(), "key": "key-sent",
    }

    assert reap_expired() == 0  # leases still valid
    later = timezone.now() + timedelta(minutes=5)
    assert reap_expired(now=later) == 2
    for target in (_target(sent), _target(unsent)):
        assert target.state == TargetState.UNKNOWN  # never straight back to scheduled
        assert ("publishing", "unknown") in _transitions(target)

    assert sorted(run_due(now=later)) == ["published", "published"]
    assert _target(sent).remote_id == "r1"
    counts = loopback.key_counts()
    assert "key-sent" not in counts  # found by lookup, not posted again
    assert counts[_target(unsent).idempotency_key] == 1  # not found: published once
    # The dead worker's late writes are refused: its token is gone.
    assert publish_claimed(claims[0], worker_id="dead-worker") == "lost"


def test_a_reaped_lease_cannot_overwrite_the_new_owner(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])
    (old_claim,) = claim_due("slow", limit=10)
    later = timezone.now() + timedelta(minutes=5)
    reap_expired(now=later)
    (new_claim,) = claim_due("fast", limit=10, now=later)
    assert new_claim.token != old_claim.token
    assert publish_claimed(old_claim, worker_id="slow") == "lost"
    assert _target(post).state == TargetState.PUBLISHING
    assert publish_claimed(new_claim, worker_id="fast") == "published"
    assert len(loopback.posts) == 1


def test_inactive_channel_fails_at_send_time_without_a_request(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])
    channel.status = ChannelStatus.DISCONNECTED
    channel.status_message = "Account suspended"
    channel.save()
    assert run_due() == ["failed"]
    target = _target(post)
    assert target.error_code == "channel_inactive"
    assert target.error_message == "Account suspended"
    assert loopback.requests == []


@pytest.mark.django_db(transaction=True)
def test_two_claimers_never_get_the_same_target(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    for i in range(60):
        _post(people, [channel], text=f"post {i}")
    got: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def claimer(name: str) -> None:
        from django.db import connection

        mine: list[int] = []
        try:
            # Lock-step rounds: every claimer calls claim_due in each round, so all four
            # really compete (4 x 7 per round < 60 targets: nobody can take everything).
            for _round in range(3):
                barrier.wait()
                mine.extend(c.target_id for c in claim_due(name, limit=7))
        finally:
            connection.close()
        got[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [pk for ids in got.values() for pk in ids]
    assert len(everything) == 60 == len(set(everything))
    assert all(got.values())  # every claimer won some: they really competed


def test_a_failed_follow_up_is_recorded_without_failing_or_resending_the_post(
    people, loopback, monkeypatch  # noqa: F811
):
    """A thread reply or first comment that fails after the post is out: published, once,
    with the network's reason visible on the target and in its history."""
    from dataclasses import replace

    from tests.support.loopback import LoopbackProvider

    original = LoopbackProvider.publish

    def publish_with_failed_comment(self, request):
        result = original(self, request)
        return replace(result, raw={**result.raw,
                                    "follow_up_error": "First comment refused: too long"})

    monkeypatch.setattr(LoopbackProvider, "publish", publish_with_failed_comment)
    channel = make_channel(people.acme, loopback)
    post = _post(people, [channel])

    assert run_due() == ["published"]
    target = _target(post)
    assert target.state == TargetState.PUBLISHED
    assert target.error_code == "follow_up_failed"
    assert "First comment refused" in target.error_message
    assert "First comment refused" in target.events.last().message
    assert run_due() == []
    assert loopback.key_counts() == {target.idempotency_key: 1}
